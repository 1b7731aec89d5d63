/* upstream: one HTTP exchange with the upstream service over libcurl, read
 * in two steps so that a large answer (a CSV) can be passed on as it
 * arrives: upstream_start returns once the status and headers are in, then
 * upstream_read hands over the body piece by piece, never holding more than
 * what one transfer step delivered (libcurl reads at most about a hundred
 * 16 KiB blocks in one step), whatever the size of the body.
 *
 * TLS is verified (peer and host name); connect and total timeouts are
 * always set. One transfer is used by one thread at a time. */
#ifndef DESCOVO_UPSTREAM_H
#define DESCOVO_UPSTREAM_H

#include <stddef.h>
#include <sys/types.h>

#define UPSTREAM_CONNECT_TIMEOUT_MS 10000L
#define UPSTREAM_TOTAL_TIMEOUT_MS 300000L

typedef struct upstream_request {
    const char *method;
    const char *url;                 /* absolute */
    const char *body;                /* NULL: none */
    size_t body_len;
    const char *const *headers;      /* "Name: value" lines, borrowed */
    size_t n_headers;
} upstream_request;

typedef struct upstream_xfer upstream_xfer;

/* Sends the request and waits for the answer's headers. Returns the
 * transfer, or NULL with a message in err (cannot connect, TLS failure,
 * timeout). */
upstream_xfer *upstream_start(const upstream_request *req, char *err, size_t errlen);

/* The answer's status, and its headers as received (the last response
 * when the upstream sent 1xx first). */
long upstream_status(const upstream_xfer *x);
size_t upstream_header_count(const upstream_xfer *x);
void upstream_header_at(const upstream_xfer *x, size_t i, const char **name, const char **value);
/* The value of a header (case-insensitive name), or NULL. */
const char *upstream_header(const upstream_xfer *x, const char *name);

/* Copies up to max bytes of the body into buf. Returns the count, 0 at the
 * end of the body, or -1 with a message in err (connection lost, timeout). */
ssize_t upstream_read(upstream_xfer *x, char *buf, size_t max, char *err, size_t errlen);

/* Milliseconds from the start to the headers (HAR "wait"). */
double upstream_wait_ms(const upstream_xfer *x);

/* Frees; accepts NULL. A transfer not read to its end is abandoned. */
void upstream_free(upstream_xfer *x);

#endif
