/* server: the HTTP layer on libmicrohttpd. Reads each request (body up to
 * API_MAX_BODY_BYTES) into an http_request, hands it to the dispatch
 * callback it was started with, writes the reply (JSON, or a streamed CSV),
 * and logs one line per request through logq.c (its own thread: a request
 * never waits for the output).
 *
 * It knows the request and reply types (api/api.h) but no route: what a
 * request means is the callback's business (app.c points it at
 * routes_dispatch), so this layer never includes the route table.
 *
 * Threading: a pool of `threads` epoll threads (0: one per core); the
 * callback runs concurrently in them and must be thread-safe.
 *
 * Memory per open connection: its request's state, a body buffer of up to
 * 16 KiB kept between requests, and its last small JSON answer, which is
 * sent again without being rebuilt when the next answer is the same bytes
 * (a client polling a status). */
#ifndef DESCOVO_SERVER_H
#define DESCOVO_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include "api/api.h"
#include "sim/clock.h"
#include "sim/journal.h"
#include "sim/store.h"

typedef struct mock_http mock_http;

/* Slow and idle clients (docs/RELIABILITY.md, "Connections"):
 *  - a keep-alive connection that sends no request line for the idle
 *    timeout is closed;
 *  - a request whose request line arrived must be read whole (headers and
 *    body) within the request timeout, however slowly it trickles, or the
 *    connection is closed;
 *  - the process's descriptor limit is raised to its hard limit, and the
 *    connection limit sized from it (MOCK_HTTP_FD_RESERVE kept for files);
 *    the last MOCK_HTTP_HEADROOM connections below it are answered 503
 *    (Retry-After: 1, then closed) rather than left unanswered. */
#define MOCK_HTTP_IDLE_TIMEOUT_S 15
#define MOCK_HTTP_REQUEST_TIMEOUT_S 10
#define MOCK_HTTP_FD_RESERVE 64
#define MOCK_HTTP_HEADROOM 16

/* Answers one request into *reply (which starts zeroed); ctx is
 * mock_http_config.dispatch_ctx. */
typedef void (*mock_http_dispatch)(void *ctx, const http_request *request, mock_reply *reply);

typedef struct mock_http_config {
    const char *host;            /* an IPv4 address, or "localhost" */
    uint16_t port;               /* 0 picks a free one */
    unsigned threads;            /* 0: one per core */
    unsigned idle_timeout_s;     /* 0: MOCK_HTTP_IDLE_TIMEOUT_S */
    unsigned request_timeout_s;  /* 0: MOCK_HTTP_REQUEST_TIMEOUT_S */
    FILE *log;                   /* one line per request; NULL: none */
    int log_json;                /* the line as one JSON object */
    journal *journal;            /* records every request; NULL: none */
    mock_clock *clock;           /* the simulated time of the log and journal */
    store *store;                /* where a streamed CSV's export is released */
    mock_http_dispatch dispatch;
    void *dispatch_ctx;
} mock_http_config;

/* Starts listening (config is copied). Returns the server, or NULL with a
 * message in err. */
mock_http *mock_http_start(const mock_http_config *config, char *err, size_t errlen);

/* The port actually bound. */
uint16_t mock_http_port(const mock_http *http);

/* Stops accepting, waits for handlers to finish, frees; accepts NULL. */
void mock_http_stop(mock_http *http);

#endif
