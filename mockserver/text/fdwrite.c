/* fdwrite: see fdwrite.h. */
#include "text/fdwrite.h"

#include <errno.h>
#include <unistd.h>

/* The loop of both: write(2) when offset is -1, pwrite(2) at it otherwise. */
static int write_whole(int fd, const void *data, size_t len, off_t offset)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = offset < 0 ? write(fd, p, len) : pwrite(fd, p, len, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        if (offset >= 0)
            offset += n;
    }
    return 0;
}

int fdwrite_all(int fd, const void *data, size_t len)
{
    return write_whole(fd, data, len, -1);
}

int fdwrite_at(int fd, const void *data, size_t len, off_t offset)
{
    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    return write_whole(fd, data, len, offset);
}
