/* body: a request body as libmicrohttpd hands it over, in chunks to the
 * access handler, read into a buffer of the caller's up to a limit. Shared
 * by the server (server.c, API_MAX_BODY_BYTES) and the recording proxy
 * (proxy/proxy.c, its own limit); each answers the 413 in its own words.
 *
 * Past the limit, the rest of the body is still consumed (and dropped):
 * libmicrohttpd 0.9.75 queues an answer only on the first or the final
 * call, so the 413 goes out once the whole body has been read. */
#ifndef DESCOVO_HTTP_BODY_H
#define DESCOVO_HTTP_BODY_H

#include <stddef.h>

#include "text/strbuf.h"

/* One call of the access handler after its first: with data (*size > 0),
 * appends it to body unless that would pass limit bytes (then sets
 * *too_large, and keeps nothing more of this body), sets *size to 0 (all
 * consumed) and returns 1: the handler returns MHD_YES and waits for more.
 * Returns 0 on the final call (*size == 0): the body is whole, or
 * *too_large, or body->oom (memory ran out: the caller answers as for one
 * too large). */
int http_body_take(strbuf *body, int *too_large, size_t limit, const char *data, size_t *size);

#endif
