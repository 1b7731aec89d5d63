/* libFuzzer target: whole requests through routes_dispatch, paths, path
 * ids and query strings first. Input: four lines (method, path, query
 * string, Content-Type or "-" for none), then the body. In the path, @D,
 * @N and @E stand for a DRAFT audience, a NORMAL one and an export. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_app.h"

/* The next line of [*at, end) as a new string; NULL past the end. */
static char *next_line(const char **at, const char *end)
{
    if (*at >= end)
        return NULL;
    const char *nl = memchr(*at, '\n', (size_t)(end - *at));
    const char *stop = nl != NULL ? nl : end;
    char *line = strndup(*at, (size_t)(stop - *at));
    *at = nl != NULL ? nl + 1 : end;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *at = (const char *)data;
    const char *end = at + size;
    char *method = next_line(&at, end);
    char *path = next_line(&at, end);
    char *query = next_line(&at, end);
    char *type = next_line(&at, end);
    /* The HTTP layer hands over NUL-free method and path strings. */
    if (method != NULL && path != NULL && query != NULL && type != NULL && method[0] != '\0' &&
        strlen(method) < 64 && path[0] == '/') {
        fuzz_app_begin_input();
        fuzz_app_request(method, path, query, strlen(query), strcmp(type, "-") == 0 ? NULL : type, at,
                         (size_t)(end - at));
    }
    free(method);
    free(path);
    free(query);
    free(type);
    return 0;
}
