/* conns: the open connections, their deadlines and the connection limit.
 *
 * libmicrohttpd times a connection out only when it is silent, so a client
 * that trickles one byte at a time (a slowloris) keeps a connection, and
 * enough of them lock everyone out. Here every connection is tracked from
 * open to close with the time its current wait began, and a reaper thread
 * (twice a second) closes, with shutdown(2), each one that is
 *   - idle (no request line since it opened or since its last answer) for
 *     longer than the idle timeout, or
 *   - reading a request (the request line arrived, headers or body not
 *     yet whole) for longer than the request timeout.
 * A connection being answered has no deadline here (injected latency,
 * streamed CSVs); libmicrohttpd's inactivity timeout still applies.
 *
 * Safe to shut a socket down from the reaper: libmicrohttpd reports a
 * connection closed (conns_close) before it closes its descriptor, and
 * both happen under this module's lock.
 *
 * Threads: every function may be called from any thread. */
#ifndef DESCOVO_CONNS_H
#define DESCOVO_CONNS_H

#include <stddef.h>

typedef struct conns conns;
typedef struct conn conn;

/* Raises the soft descriptor limit to the hard one and returns the soft
 * limit then in force (0 if unknown). */
size_t conns_raise_fd_limit(void);

/* Starts the reaper. serving_limit: connections beyond it are marked over
 * the limit (answered 503). Returns NULL when out of memory or no thread
 * can be started. */
conns *conns_start(unsigned idle_timeout_s, unsigned request_timeout_s, size_t serving_limit);

/* A connection opened on fd. Returns its tracking (NULL when out of
 * memory: it is then not tracked). */
conn *conns_open(conns *c, int fd);

/* The connection closed (before libmicrohttpd closes fd); frees k. Accepts
 * NULL. */
void conns_close(conns *c, conn *k);

/* Whether k was opened beyond the serving limit. Accepts NULL (0). */
int conn_over_limit(const conn *k);

/* Where k is in its life; each accepts NULL. */
void conn_reading(conn *k);      /* a request line arrived */
void conn_answering(conn *k);    /* the request is read whole */
void conn_idle(conn *k);         /* answered: waiting for the next request */

/* Connections open, and connections closed by a deadline so far. */
size_t conns_open_count(conns *c);
size_t conns_reaped(conns *c);

/* Stops the reaper and frees; connections still tracked are forgotten.
 * Accepts NULL. */
void conns_stop(conns *c);

#endif
