/* routes: the route table (method + path pattern -> handler, key location,
 * rate limit) and the dispatch every request goes through:
 *
 *   match route (404 unknown path, 405 known path with another method)
 *   -> parse the JSON body (413 too large, 400 not a JSON object)
 *   -> find the API key (401 missing or unknown: before anything else)
 *   -> settle the account's pending work to now
 *   -> rate limit (429 with Retry-After)
 *   -> handler (with the store locked)
 *
 * Thread-safe: called concurrently from the HTTP thread pool. */
#ifndef DESCOVO_ROUTES_H
#define DESCOVO_ROUTES_H

#include <stddef.h>

#include "api.h"

/* One HTTP request as the HTTP layer read it. */
typedef struct http_request {
    const char *method;
    const char *path;             /* decoded, without the query string */
    const char *body;             /* NULL when none */
    size_t body_len;
    int body_too_large;           /* more than API_MAX_BODY_BYTES were sent */
    const char *(*query)(const struct mock_request *req, const char *name);
    void *query_ctx;
    /* A request header, or NULL. */
    const char *(*header)(void *ctx, const char *name);
} http_request;

/* Answers the request into *reply (which starts zeroed). */
void routes_dispatch(mock_app *app, const http_request *http, mock_reply *reply);

/* The route table, for documentation tests: pattern and method of entry i,
 * or NULL past the end. */
const char *routes_pattern(size_t i, const char **method);

#endif
