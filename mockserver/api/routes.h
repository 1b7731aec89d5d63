/* routes: the route table (method + path pattern -> handler, key location,
 * rate limit) and the dispatch every request goes through:
 *
 *   match route (404 unknown path, 405 known path with another method)
 *   -> check the path id and the query string (400: bytes, lengths, repeats)
 *   -> check the Content-Type of a JSON route (415)
 *   -> parse the JSON body (413 too large, 400 too deep, not UTF-8, not a
 *      JSON object)
 *   -> find the API key (401 missing or unknown: before anything else)
 *   -> settle the account's pending work to now
 *   -> rate limit (429 with Retry-After)
 *   -> handler (with the store locked)
 *
 * Thread-safe: called concurrently from the HTTP thread pool. */
#ifndef DESCOVO_ROUTES_H
#define DESCOVO_ROUTES_H

#include <stddef.h>

#include "api/api.h"

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
    /* Calls fn for every query parameter in order (value NULL for a bare
     * name) until fn returns nonzero; NULL when the request has none. */
    void (*query_each)(void *ctx, int (*fn)(void *cls, const char *name, const char *value),
                       void *cls);
} http_request;

/* Answers the request into *reply (which starts zeroed). */
void routes_dispatch(mock_app *app, const http_request *http, mock_reply *reply);

/* Replays one request of the state file (persist.c): its handler runs as
 * it did, at now_ms, without rate limits, fault rules or logging; fault is
 * the logged side effect of a rule (or NULL), export_token the logged
 * download id of an export (or NULL), query_key the apiKey of a route that
 * reads it from the query. body is borrowed. Fills *reply (which starts
 * zeroed); the caller frees reply->body. */
void routes_replay(mock_app *app, const char *method, const char *path, json_t *body,
                   const char *query_key, int64_t now_ms, const fault_decision *fault,
                   const char *export_token, mock_reply *reply);

/* The route table, for documentation tests: pattern and method of entry i,
 * or NULL past the end. */
const char *routes_pattern(size_t i, const char **method);

#endif
