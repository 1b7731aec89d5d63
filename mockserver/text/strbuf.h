/* strbuf: a growable byte buffer, always NUL-terminated.
 *
 * Ownership: the strbuf owns `data`. strbuf_release() frees it and leaves an
 * empty buffer; strbuf_detach() hands `data` to the caller (free() it).
 * Out of memory is sticky: once an append fails, `oom` is set, later appends
 * do nothing, and the caller checks `oom` once at the end instead of after
 * every call. Not thread-safe; one owner at a time. */
#ifndef DESCOVO_STRBUF_H
#define DESCOVO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct strbuf {
    char *data;  /* NULL until the first append; then NUL-terminated */
    size_t len;  /* bytes used, not counting the NUL */
    size_t cap;  /* bytes allocated */
    int oom;     /* 1 once any append failed for lack of memory */
} strbuf;

#define STRBUF_INIT {NULL, 0, 0, 0}

void strbuf_append(strbuf *sb, const char *s, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_putc(strbuf *sb, char c);
/* Appends a string literal, its length known when compiling (no strlen),
 * inline: when the buffer has room (the usual case of a JSON writer's
 * field names) the copy is a few moves, not a call. */
#define strbuf_put_literal(sb, literal) strbuf_append_known((sb), "" literal, sizeof(literal) - 1)
static inline void strbuf_append_known(strbuf *sb, const char *s, size_t n)
{
    if (!sb->oom && sb->cap - sb->len > n) {
        memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
        return;
    }
    strbuf_append(sb, s, n);
}
void strbuf_printf(strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap);
/* Makes room for n more bytes at once, ahead of appends whose total size
 * is roughly known, so that they do not grow the buffer one doubling at a
 * time. Sets oom when the allocation fails. */
void strbuf_reserve(strbuf *sb, size_t n);
/* Appends n bytes for the caller to fill, and returns where they start
 * (the NUL after them is written); NULL, with oom set, when out of memory.
 * The pointer is valid until the next call on sb. */
char *strbuf_extend(strbuf *sb, size_t n);
/* Drops the contents but keeps the allocation, for reuse in a loop. */
void strbuf_reset(strbuf *sb);
/* Returns the data ("" never NULL is not promised: NULL if nothing was
 * appended) and leaves sb empty. The caller frees it. */
char *strbuf_detach(strbuf *sb);
void strbuf_release(strbuf *sb);

#endif
