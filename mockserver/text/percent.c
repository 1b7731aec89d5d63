/* percent: see percent.h. */
#include "text/percent.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t percent_decode(char *out, const char *in, size_t len)
{
    const char *first = memchr(in, '%', len);
    if (first == NULL) { /* nothing to decode: the usual case */
        if (out != in)
            memmove(out, in, len);
        out[len] = '\0';
        return len;
    }
    size_t n = (size_t)(first - in);
    if (out != in)
        memmove(out, in, n);
    for (size_t i = n; i < len; i++) {
        int hi = in[i] == '%' && i + 2 < len ? hex_value(in[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = in[i];
        }
    }
    out[n] = '\0';
    return n;
}
