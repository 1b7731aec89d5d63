/* wire: the suite's own view of HTTP. One exchange at a time over a reused
 * libcurl handle, reporting exactly what came back - status, the headers the
 * contract talks about, the raw body and its JSON - so checks see the wire,
 * not a client library's interpretation of it. Nothing is retried. */
#ifndef CONF_WIRE_H
#define CONF_WIRE_H

#include <stddef.h>

#include <jansson.h>

/* Responses larger than this are refused (an export of a tiny audience is a
 * few kilobytes; the mock's largest is far below). */
#define WIRE_MAX_BODY_BYTES (32L * 1024 * 1024)

typedef struct wire wire;

typedef struct wire_response {
    long status;
    char *body;                /* NUL-terminated; may contain NULs before len */
    size_t len;
    json_t *json;              /* the body parsed as JSON (duplicate keys
                                * refused), or NULL */
    char json_error[256];      /* why json is NULL, "" when it is not */
    int has_retry_after;
    char retry_after[64];      /* the raw header value */
    char content_type[128];
    char allow[128];           /* Allow, of a 405 */
} wire_response;

/* A new handle with the given whole-request timeout. NULL when out of
 * memory or when curl_easy_init fails. curl_global_init is the program's
 * job. */
wire *wire_new(long timeout_ms);
void wire_free(wire *w);

/* Sends method to url with body (NULL: none; sent as application/json).
 * Returns 0 when an HTTP answer arrived, whatever its status, with *out
 * filled (free it with wire_response_clear). Returns -1 on a transport
 * failure, with the reason in err and *out empty. */
int wire_send(wire *w, const char *method, const char *url, const char *body,
              wire_response *out, char *err, size_t errlen);

/* Frees what *res holds and zeroes it. Accepts NULL. */
void wire_response_clear(wire_response *res);

/* Appends "name=value" to url's query, percent-encoding value. Returns 0,
 * or -1 when url[size] is too small (url then unchanged). */
int wire_add_query(char *url, size_t size, const char *name, const char *value);

#endif
