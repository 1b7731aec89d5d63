#include "text/csv.h"

#include <stdint.h>
#include <string.h>

/* Appends n bytes. An export writes ~100 short fields per row, so the call
 * chain of strbuf_append costs more than the copy; when the buffer already
 * has room (almost always: the reader reuses it), copy directly. The fields
 * used are the documented ones of strbuf.h, and the NUL is kept. `len` is
 * kept in a local because a char store may alias *out and would force the
 * compiler to reload it. */
static inline void csv_put(strbuf *out, const char *s, size_t n)
{
    size_t len = out->len;
    if (out->oom == 0 && out->cap - len > n) {
        char *data = out->data;
        memcpy(data + len, s, n);
        len += n;
        data[len] = '\0';
        out->len = len;
        return;
    }
    strbuf_append(out, s, n);
}

/* Bytes that force a field into quotes wherever they appear. A space only
 * forces quotes at either end (readers that trim would otherwise lose it),
 * so it is checked separately. */
static int csv_special(unsigned char c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

#define CSV_ONES 0x0101010101010101ull
#define CSV_HIGHS 0x8080808080808080ull

/* Nonzero when some byte of v is zero. The classic bit trick is exact about
 * whether there is one (only which one may be misreported, which we never
 * ask). */
static inline uint64_t csv_zero_byte(uint64_t v)
{
    return (v - CSV_ONES) & ~v & CSV_HIGHS;
}

/* Nonzero when some byte of v is special. Zero bytes never are, so a word
 * padded with zeros can be tested too. */
static inline uint64_t csv_special_word(uint64_t v)
{
    return csv_zero_byte(v ^ (CSV_ONES * ',')) |
           csv_zero_byte(v ^ (CSV_ONES * '"')) |
           csv_zero_byte(v ^ (CSV_ONES * '\r')) |
           csv_zero_byte(v ^ (CSV_ONES * '\n'));
}

/* The scan runs over every byte an export writes, hundreds per row, so it
 * tests eight bytes per step; the last, partial step is a word (or two
 * half-words) ending at the last byte, which may re-test a few bytes. */
static int csv_has_special(const char *p, size_t len)
{
    uint64_t v = 0;
    if (len >= 8) {
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            memcpy(&v, p + i, 8);
            if (csv_special_word(v) != 0)
                return 1;
        }
        if (i == len)
            return 0;
        memcpy(&v, p + len - 8, 8);
        return csv_special_word(v) != 0;
    }
    if (len >= 4) {
        memcpy(&v, p, 4);
        uint64_t hit = csv_special_word(v);
        memcpy(&v, p + len - 4, 4);
        return (hit | csv_special_word(v)) != 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (csv_special((unsigned char)p[i]))
            return 1;
    }
    return 0;
}

static int csv_needs_quotes(const char *value, size_t len)
{
    if (len == 0)
        return 0;
    if (value[0] == ' ' || value[len - 1] == ' ')
        return 1;
    return csv_has_special(value, len);
}

/* Writes value between quotes, doubling every quote inside. Runs without a
 * quote are appended in one piece. Kept out of line so that csv_field, called
 * for every cell, stays small. */
__attribute__((noinline)) static void csv_quoted(strbuf *out, const char *value, size_t len)
{
    csv_put(out, "\"", 1);
    size_t start = 0;
    while (start < len) {
        const char *q = memchr(value + start, '"', len - start);
        if (q == NULL) {
            csv_put(out, value + start, len - start);
            break;
        }
        /* Include the quote itself, then write it once more. */
        size_t upto = (size_t)(q - value) + 1;
        csv_put(out, value + start, upto - start);
        csv_put(out, "\"", 1);
        start = upto;
    }
    csv_put(out, "\"", 1);
}

void csv_field(strbuf *out, int first, const char *value, size_t len)
{
    if (!first)
        csv_put(out, ",", 1);
    if (len == 0)
        return;
    if (csv_needs_quotes(value, len))
        csv_quoted(out, value, len);
    else
        csv_put(out, value, len);
}

static size_t csv_count_quotes(const char *p, size_t len)
{
    size_t quotes = 0;
    const char *end = p + len;
    const char *q = memchr(p, '"', len);
    while (q != NULL) {
        quotes++;
        q++;
        q = memchr(q, '"', (size_t)(end - q));
    }
    return quotes;
}

/* Rewrites the len bytes at out->data + start as a quoted field, in place.
 * Out of line, like csv_quoted, and for the same reason. */
__attribute__((noinline)) static void csv_requote(strbuf *out, size_t start, size_t len)
{
    /* Make room for the two enclosing quotes and one more per quote. The
     * padding is overwritten below; out of memory leaves `oom` set for the
     * caller, who then discards the record. */
    static const char pad[64];
    size_t quotes = csv_count_quotes(out->data + start, len);
    size_t extra = quotes + 2;
    for (size_t left = extra; left > 0;) {
        size_t n = left < sizeof pad ? left : sizeof pad;
        strbuf_append(out, pad, n);
        left -= n;
    }
    if (out->oom)
        return;

    /* Expand from the end backwards: the write position stays at or after
     * the read position, so no byte is overwritten before it is read. */
    char *base = out->data + start;
    if (quotes == 0) {
        /* The usual case (a comma in a description): one move. */
        memmove(base + 1, base, len);
        base[0] = '"';
        base[len + 1] = '"';
        return;
    }
    size_t src = len;
    size_t dst = len + extra;
    base[--dst] = '"';
    while (src > 0) {
        char c = base[--src];
        base[--dst] = c;
        if (c == '"')
            base[--dst] = '"';
    }
    base[--dst] = '"';
}

void csv_quote_in_place(strbuf *out, size_t start)
{
    if (out->oom || start >= out->len)
        return;
    size_t len = out->len - start;
    if (csv_needs_quotes(out->data + start, len))
        csv_requote(out, start, len);
}

void csv_end_record(strbuf *out)
{
    csv_put(out, "\r\n", 2);
}
