/* fleet_http: the fleet's own HTTP/1.1 client, cheaper than libcurl for
 * what the fleet does: one keep-alive connection per tenant to a server
 * on 127.0.0.1, one request in flight, non-blocking, driven by the
 * caller's epoll loop (one per worker thread).
 *
 * A request is written with one send when the socket takes it (the rest
 * when epoll says it can); the answer is read as it arrives and parsed
 * incrementally (fleet_http_parse.h). The connection is opened on the
 * first request and again after the server closed it (Connection: close,
 * or an idle connection it dropped). A request sent on a kept connection
 * that the server closes before sending any byte is sent once more on a
 * new one, as libcurl does: the server dropped the connection, not the
 * request. Anything else that goes wrong (refused, reset, a malformed or
 * oversize answer, no whole answer by the deadline) ends the request as
 * FH_ERROR with a message (fh_conn_error) and closes the connection; the
 * next request opens a new one.
 *
 * Ownership: the connection owns its socket, its request buffer and its
 * parser; fh_conn_free closes the socket (which also leaves the epoll
 * set). Threads: a connection is used by one thread, the one running its
 * epoll loop. */
#ifndef FLEET_HTTP_H
#define FLEET_HTTP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet_http_parse.h"

/* Largest answer body accepted (the CSV downloads are ~40 KB). */
#define FH_MAX_BODY (16u * 1024 * 1024)

typedef enum fh_result {
    FH_PENDING, /* in flight: wait for the next epoll event on it */
    FH_DONE,    /* a whole answer is in: fh_conn_response */
    FH_ERROR,   /* the request failed: fh_conn_error */
} fh_result;

/* Where to connect, from a base URL "http://127.0.0.1:PORT" (or
 * localhost; a trailing '/' is allowed). Fills *addr and host (the Host
 * header, e.g. "127.0.0.1:8080"). Returns 0, or -1 for any other URL. */
int fh_parse_base_url(const char *url, struct sockaddr_in *addr, char *host, size_t host_len);

typedef struct fh_conn fh_conn;

/* A connection to addr, not opened yet, whose socket will be watched by
 * epfd with `owner` as its epoll data (so the loop knows whose it is).
 * host is copied. NULL when out of memory. */
fh_conn *fh_conn_new(int epfd, const struct sockaddr_in *addr, const char *host, void *owner);
/* Closes the socket. Accepts NULL. */
void fh_conn_free(fh_conn *c);

/* Starts "METHOD PATH HTTP/1.1" with Host, Content-Type: application/json
 * and Content-Length (when body is not NULL) headers and the body,
 * opening the connection first when there is none. The request must end
 * before `deadline` (CLOCK_MONOTONIC seconds). Returns FH_PENDING, or
 * FH_ERROR (nothing could be sent: fh_conn_error). Only one request at a
 * time: calling it with one in flight is an FH_ERROR. */
fh_result fh_conn_request(fh_conn *c, const char *method, const char *path, const char *body, size_t body_len,
                          double deadline);

/* The loop calls this when epoll reports `events` on the connection's
 * socket. Returns FH_DONE when the answer is complete, FH_PENDING when
 * more is needed, FH_ERROR when the request failed. With no request in
 * flight it reads what the server sent: a close closes the connection
 * (FH_PENDING); bytes nobody asked for close it too and are reported as
 * the error of the next request. */
fh_result fh_conn_on_event(fh_conn *c, uint32_t events);

/* FH_ERROR (and the connection closed) when the request in flight passed
 * its deadline at `now`; FH_PENDING otherwise. */
fh_result fh_conn_check_deadline(fh_conn *c, double now);

/* The answer of the request that just ended with FH_DONE, valid until the
 * next fh_conn_request. */
const fhp *fh_conn_response(const fh_conn *c);
/* What went wrong with the request that ended with FH_ERROR. */
const char *fh_conn_error(const fh_conn *c);
/* 1 while a request is in flight. */
int fh_conn_busy(const fh_conn *c);

#endif
