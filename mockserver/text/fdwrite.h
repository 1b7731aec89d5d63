/* fdwrite: writing a whole buffer to a file descriptor, the loop every
 * log file here needs (the HAR journal of proxy/, the state file of
 * sim/): write(2) and pwrite(2) may take less than they were given and
 * may be interrupted by a signal. */
#ifndef DESCOVO_FDWRITE_H
#define DESCOVO_FDWRITE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes the len bytes at data to fd, retrying after a short write or
 * EINTR. Returns 0 once all are written (len 0 included), or -1 with errno
 * set (EIO when write took nothing without saying why); then an unknown
 * prefix of data may have been written. */
int fdwrite_all(int fd, const void *data, size_t len);

/* The same with pwrite at offset (the file position does not move; fd
 * must not be O_APPEND, where Linux appends whatever the offset). A
 * negative offset: -1, EINVAL. */
int fdwrite_at(int fd, const void *data, size_t len, off_t offset);

#endif
