#include "text/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for `extra` more bytes plus the NUL. Returns 0, or -1 and sets
 * sb->oom when the allocation fails (the old contents stay valid). */
static int strbuf_grow(strbuf *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    if (extra > (size_t)-1 / 2 - sb->len) {
        sb->oom = 1;
        return -1;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    char *data = realloc(sb->data, cap);
    if (data == NULL) {
        sb->oom = 1;
        return -1;
    }
    sb->data = data;
    sb->cap = cap;
    return 0;
}

void strbuf_reserve(strbuf *sb, size_t n)
{
    strbuf_grow(sb, n);
}

char *strbuf_extend(strbuf *sb, size_t n)
{
    if ((sb->cap - sb->len <= n || sb->oom) && strbuf_grow(sb, n) != 0)
        return NULL;
    char *at = sb->data + sb->len;
    sb->len += n;
    sb->data[sb->len] = '\0';
    return at;
}

void strbuf_append(strbuf *sb, const char *s, size_t n)
{
    /* The room is usually there: check that before anything else. */
    if ((sb->cap - sb->len <= n || sb->oom) && strbuf_grow(sb, n) != 0)
        return;
    if (n > 0)
        memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    if (sb->oom)
        return;
    /* Format straight into the spare room; only when it does not fit,
     * grow and format again (most calls fit, and formatting is the cost). */
    size_t room = sb->cap > sb->len ? sb->cap - sb->len : 0;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(room > 0 ? sb->data + sb->len : NULL, room, fmt, copy);
    va_end(copy);
    if (n < 0) {
        sb->oom = 1;
        return;
    }
    if ((size_t)n < room) {
        sb->len += (size_t)n;
        return;
    }
    if (strbuf_grow(sb, (size_t)n) != 0)
        return;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->data != NULL)
        sb->data[0] = '\0';
}

char *strbuf_detach(strbuf *sb)
{
    char *data = sb->data;
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->oom = 0;
    return data;
}

void strbuf_release(strbuf *sb)
{
    free(strbuf_detach(sb));
}
