#include "csv.h"

#include <string.h>

/* Appends n bytes. An export writes ~100 short fields per row, so the call
 * chain of strbuf_append costs more than the copy; when the buffer already
 * has room (almost always: the reader reuses it), copy directly. The fields
 * used are the documented ones of strbuf.h, and the NUL is kept. */
static inline void csv_put(strbuf *out, const char *s, size_t n)
{
    if (!out->oom && out->cap - out->len > n) {
        memcpy(out->data + out->len, s, n);
        out->len += n;
        out->data[out->len] = '\0';
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

static int csv_needs_quotes(const char *value, size_t len)
{
    if (len == 0)
        return 0;
    if (value[0] == ' ' || value[len - 1] == ' ')
        return 1;
    for (size_t i = 0; i < len; i++) {
        if (csv_special((unsigned char)value[i]))
            return 1;
    }
    return 0;
}

/* Writes value between quotes, doubling every quote inside. Runs without a
 * quote are appended in one piece. */
static void csv_quoted(strbuf *out, const char *value, size_t len)
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

void csv_end_record(strbuf *out)
{
    csv_put(out, "\r\n", 2);
}
