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

/* Answers the request into *reply (which starts zeroed). The HTTP layer
 * calls it through the dispatch callback app.c gives mock_http_start. */
void routes_dispatch(const mock_context *ctx, const http_request *http, mock_reply *reply);

/* Replays one request of the state file (app.c calls it for each record
 * persist_replay gives back): its handler runs as it did, at now_ms,
 * without rate limits, fault rules or logging; fault is
 * the logged side effect of a rule (or NULL), export_token the logged
 * download id of an export (or NULL), query_key the apiKey of a route that
 * reads it from the query. body is borrowed. Fills *reply (which starts
 * zeroed); the caller frees reply->body. */
void routes_replay(const mock_context *ctx, const char *method, const char *path, json_t *body,
                   const char *query_key, int64_t now_ms, const fault_decision *fault,
                   const char *export_token, mock_reply *reply);

/* The route table, for documentation tests: pattern and method of entry i,
 * or NULL past the end. */
const char *routes_pattern(size_t i, const char **method);

#endif
