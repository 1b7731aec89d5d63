#include "text/join.h"

#include <stdarg.h>
#include <string.h>

int join(char *out, size_t size, ...)
{
    va_list ap;
    size_t used = 0;
    int rc = 0;
    va_start(ap, size);
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
        size_t n = strlen(s);
        if (n >= size - used) {
            n = size - 1 - used;
            rc = -1;
        }
        memcpy(out + used, s, n);
        used += n;
        if (rc != 0)
            break;
    }
    va_end(ap);
    out[used] = '\0';
    return rc;
}

size_t join_u64(char out[JOIN_NUMBER_MAX], uint64_t value)
{
    char digits[JOIN_NUMBER_MAX];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    out[n] = '\0';
    return n;
}

void join_hex16(char out[JOIN_NUMBER_MAX], uint64_t value)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = hex[value & 15];
        value >>= 4;
    }
    out[16] = '\0';
}
