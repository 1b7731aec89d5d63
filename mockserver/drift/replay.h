/* replay: sends one request to an in-process simulator through the same
 * request path the HTTP server uses (routes_dispatch), without a socket,
 * and collects the answer as the wire would carry it: status, the
 * Content-Type, Retry-After and Allow headers, the JSON body, or the CSV
 * text with its row count.
 *
 * The caller owns the app and must not serve it over HTTP at the same time
 * (replay is for one thread). */
#ifndef DESCOVO_DRIFT_REPLAY_H
#define DESCOVO_DRIFT_REPLAY_H

#include <jansson.h>
#include <stddef.h>

#include "app.h"
#include "drift/har.h"
#include "text/strbuf.h"

typedef struct replay_answer {
    unsigned status;
    char content_type[64];
    char retry_after[16];        /* "" when absent */
    char allow[64];              /* "" when absent */
    json_t *json;                /* owned; NULL for a CSV */
    strbuf csv;                  /* the first REPLAY_CSV_KEEP bytes */
    long csv_rows;               /* data rows, counted over the whole file */
} replay_answer;

#define REPLAY_CSV_KEEP (64 * 1024)

/* Dispatches method + path (decoded) with the query pairs and the body. */
void replay_dispatch(mock_app *app, const char *method, const char *path, const drift_pair *query, size_t n_query,
                     const char *content_type, const char *body, size_t body_len, replay_answer *out);

void replay_answer_release(replay_answer *answer);

#endif
