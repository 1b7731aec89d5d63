/* fleet_http_parse: an incremental parser of HTTP/1.1 responses, for the
 * fleet's own client (fleet_http.h).
 *
 * Bytes go in as they arrive, in pieces of any size: a response may be
 * split at any byte, and the result never depends on where. It reads the
 * status line, the headers it needs (Content-Length, Transfer-Encoding:
 * chunked, Connection), and the body: Content-Length bytes, chunks (chunk
 * extensions and trailers are read and dropped), or everything until the
 * connection closes when the response gives neither. Interim 1xx answers
 * are skipped; 204 and 304 have no body.
 *
 * Ownership: the parser owns its body buffer and keeps it from one
 * response to the next (fhp_reset), so a keep-alive connection allocates
 * only while its largest answer grows. The body is NUL-terminated.
 *
 * Errors: a malformed or oversize response (limits below) puts the parser
 * in FHP_ERROR with a message saying what was wrong (fhp_error); it takes
 * no more bytes until fhp_reset. It never reads past the given length.
 *
 * Threads: none of its own; a parser belongs to one connection. */
#ifndef FLEET_HTTP_PARSE_H
#define FLEET_HTTP_PARSE_H

#include <stddef.h>

/* Longest status, header, chunk-size or trailer line, CRLF excluded. */
#define FHP_MAX_LINE 8192
/* Most bytes before the body (status line and headers, 1xx included). */
#define FHP_MAX_HEAD (64 * 1024)

typedef enum fhp_result {
    FHP_MORE,   /* the response is not complete: feed more bytes */
    FHP_DONE,   /* a whole response is in */
    FHP_ERROR,  /* malformed or oversize: see fhp_error */
} fhp_result;

typedef struct fhp fhp;

/* A parser that accepts bodies of at most max_body bytes. NULL when out
 * of memory. */
fhp *fhp_new(size_t max_body);
/* Accepts NULL. */
void fhp_free(fhp *p);

/* Ready for the next response; the body buffer is kept. */
void fhp_reset(fhp *p);

/* Reads up to len bytes of data and sets *used to how many it took (only
 * bytes of this response: once it is FHP_DONE the rest, if any, is not
 * its). Returns FHP_DONE, FHP_MORE or FHP_ERROR; after FHP_DONE or
 * FHP_ERROR it takes nothing more (until fhp_reset) and says so again. */
fhp_result fhp_feed(fhp *p, const char *data, size_t len, size_t *used);

/* The connection ended: FHP_DONE when the body was the rest of the
 * connection (no length given) or the response was already complete,
 * FHP_ERROR otherwise (a response cut short). */
fhp_result fhp_finish(fhp *p);

/* 1 once any byte of the response was fed (a server that closed a kept
 * connection before answering can be retried; one that began cannot). */
int fhp_started(const fhp *p);
/* The status code (0 before the status line is in). */
int fhp_status(const fhp *p);
/* 1 when the server will close the connection after this response
 * (Connection: close, HTTP/1.0 without keep-alive, or a body until close). */
int fhp_closes(const fhp *p);
/* The body collected so far, NUL-terminated (never NULL), and its length. */
const char *fhp_body(const fhp *p);
size_t fhp_body_len(const fhp *p);
/* What was wrong, once fhp_feed or fhp_finish said FHP_ERROR ("" before). */
const char *fhp_error(const fhp *p);

#endif
