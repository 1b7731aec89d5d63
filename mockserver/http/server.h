/* server: the HTTP layer on libmicrohttpd. Reads each request (body up to
 * API_MAX_BODY_BYTES), hands it to routes_dispatch, writes the reply (JSON,
 * or a streamed CSV), and logs one line per request.
 *
 * Threading: a pool of `threads` epoll threads (0: one per core); handlers
 * run concurrently and share state only through the store's lock. */
#ifndef DESCOVO_SERVER_H
#define DESCOVO_SERVER_H

#include <stdint.h>
#include <stdio.h>

typedef struct mock_app mock_app;
typedef struct mock_http mock_http;
typedef struct journal journal;

/* Starts listening on host:port (port 0 picks a free one). `log` receives
 * one line per request, or nothing when NULL; `journal` (may be NULL)
 * records every request. Returns the server, or NULL
 * with a message in err. */
mock_http *mock_http_start(mock_app *app, const char *host, uint16_t port,
                           unsigned threads, FILE *log, journal *journal,
                           char *err, size_t errlen);

/* The port actually bound. */
uint16_t mock_http_port(const mock_http *http);

/* Stops accepting, waits for handlers to finish, frees; accepts NULL. */
void mock_http_stop(mock_http *http);

/* Masks an API key for logs: the first 8 and last 2 characters, or only
 * asterisks for short keys. */
void mock_mask_key(const char *key, char out[32]);

#endif
