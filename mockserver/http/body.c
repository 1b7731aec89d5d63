#include "http/body.h"

int http_body_take(strbuf *body, int *too_large, size_t limit, const char *data, size_t *size)
{
    if (*size == 0)
        return 0;
    if (!*too_large && *size <= limit && body->len <= limit - *size)
        strbuf_append(body, data, *size);
    else
        *too_large = 1;
    *size = 0;
    return 1;
}
