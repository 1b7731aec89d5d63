/* persist_tail: the zeros ahead of the state file's records (persist.h,
 * "The tail"). */
#include <string.h>

#include "sim/persist_internal.h"
#include "text/fdwrite.h"

/* Only read: what a tail is written from. */
static char zeros[64 * 1024];

size_t persist_tail_logical(const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    return nul != NULL ? (size_t)(nul - text) : len;
}

int persist_tail_clean(const char *text, size_t from, size_t len)
{
    if (from >= len)
        return 1;
    /* All NUL: the first is, and each equals the next (one memcmp over a
     * megabyte, not a loop of byte compares). */
    return text[from] == '\0' && memcmp(text + from, text + from + 1, len - from - 1) == 0;
}

off_t persist_tail_target(off_t end, off_t alloc)
{
    if (alloc - end >= PERSIST_TAIL_LOW)
        return alloc;
    /* Whole pages, so that the next extension starts on a fresh one. */
    off_t to = end + PERSIST_TAIL_CHUNK;
    return to - to % 4096;
}

off_t persist_tail_extend(int fd, off_t from, off_t to)
{
    for (off_t at = from; at < to;) {
        size_t n = (size_t)(to - at) < sizeof zeros ? (size_t)(to - at) : sizeof zeros;
        if (fdwrite_at(fd, zeros, n, at) != 0)
            return from;
        at += (off_t)n;
    }
    return to;
}
