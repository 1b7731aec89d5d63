/* The private side of libdescovo: the client struct and the interfaces
 * between its files.
 *
 *   client.c     handle, options, errors, and the request driver (retries)
 *   transport.c  one HTTP exchange over the client's curl handle
 *   decode.c     envelopes and error bodies -> output or descovo_error
 *   retry.c      whether to retry an attempt, and how long to wait
 *   endpoints.c  one function per endpoint
 *   poll.c       wait for a build or an enrichment
 *   download.c   stream an export to a file
 *   mockclock.c  mock_clock: the health check and advancing the mock's clock
 */
#ifndef DESCOVO_INTERNAL_H
#define DESCOVO_INTERNAL_H

#include <stdio.h>

#include <curl/curl.h>

#include "descovo.h"

/* The largest response body kept in memory; exports are streamed instead. */
#define DESCOVO_MAX_BODY_BYTES (64L * 1024 * 1024)

struct descovo_client {
    CURL *curl;
    char *base_url;            /* without a trailing slash */
    char *api_key;
    char *user_agent;
    long connect_timeout_ms;
    long timeout_ms;
    descovo_retry_policy retry;
    descovo_now_fn now_ms;
    descovo_sleep_fn sleep_ms;
    descovo_random_fn random;
    void *time_ctx;
    uint64_t prng;             /* state of the default random function */
    descovo_event_fn on_event;
    void *event_ctx;
    int mock_clock;            /* options.mock_clock */
    int mock_state;            /* 0: not checked yet, 1: a manual-clock mock, -1: refused */
    int64_t mock_ms;           /* time advanced on the mock's clock */
    descovo_error mock_refusal;  /* mock_state -1: the error every call repeats */
    descovo_error err;
    json_t *last;              /* last response body, see descovo_last_response */
    char curl_errbuf[CURL_ERROR_SIZE];
};

/* ---- client.c ---- */

/* Sets the client's error; fmt NULL keeps message empty. Returns -1. */
int client_set_error(descovo_client *c, descovo_error_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void client_clear_error(descovo_client *c);

/* How a request may be retried after an ambiguous failure. */
typedef enum request_kind {
    REQUEST_SAFE,      /* GET: retried after resets, timeouts and 5xx */
    REQUEST_UNSAFE     /* everything else: only after 429, 503 or a refused connect */
} request_kind;

/* Sends method to base_url + path (path already escaped). For authenticated
 * calls (auth != 0) the API key goes into the body (POST, PATCH, PUT; body
 * is then copied and "apiKey" added) or the query (GET, DELETE). Retries
 * per the policy. On a 2xx with an envelope, returns 0 and sets *output to
 * a BORROWED "output" (valid until the next request). Otherwise -1 with the
 * error set. output may be NULL. */
int client_call(descovo_client *c, const char *method, const char *path,
                const json_t *body, int auth, const json_t **output);

/* The same for a raw response body (descovo_request): *envelope borrowed. */
int client_call_raw(descovo_client *c, const char *method, const char *path,
                    const json_t *body, int auth, const json_t **envelope);

int64_t client_now(descovo_client *c);
/* Waits ms (through the injected sleep, or by advancing the mock's clock).
 * Returns 0, or -1 with the error set when the mock's clock could not be
 * advanced. */
int client_sleep(descovo_client *c, int64_t ms);
/* Reports an event to options.on_event, when set. */
void client_emit(descovo_client *c, const descovo_event *event);

/* ---- transport.c ---- */

typedef struct transport_request {
    const char *method;
    const char *url;
    const char *path;          /* for events: url without the host and the key */
    const char *body;          /* NULL: no body */
    size_t body_len;
    FILE *sink;                /* NULL: keep the body in memory */
    long timeout_ms;
    /* Send on a new connection. libcurl silently sends a request again when
     * the reused connection it went out on closes before any answer byte;
     * for a request that is not safe to repeat (an enrich the server may
     * have processed) that would be a second charge, so those never ride a
     * reused connection. */
    int fresh_connection;
} transport_request;

typedef struct transport_result {
    CURLcode code;
    long status;               /* 0 when no response */
    int has_retry_after;
    long retry_after;          /* seconds, clamped to >= 0 */
    char *body;                /* NUL-terminated, malloc'd; NULL if sink was used */
    size_t body_len;
    int too_large;             /* body exceeded DESCOVO_MAX_BODY_BYTES */
    int write_failed;          /* the sink refused bytes */
    int64_t duration_ms;       /* wall clock, from curl */
} transport_result;

/* One exchange. Returns 0 when an HTTP answer arrived (any status), -1 on a
 * transport failure (res->code, c->curl_errbuf), never for OOM alone: an
 * out-of-memory body is reported as CURLE_WRITE_ERROR. Always call
 * transport_result_free afterwards. */
int transport_perform(descovo_client *c, const transport_request *req, transport_result *res);
void transport_result_free(transport_result *res);

/* ---- decode.c ---- */

/* Reads an answer. 2xx with a JSON object: returns 0 and *body (a new
 * reference). Otherwise fills err (class, status, message, retry-after) and
 * returns -1 with *body the parsed body if any (new reference, or NULL). */
int decode_response(const transport_result *res, json_t **body, descovo_error *err);

/* The error class of an HTTP error status; message disambiguates 400. */
descovo_error_class decode_classify(long status, const char *message);

/* Copies a string member of obj into buf ("" when absent or null). */
void decode_copy_string(const json_t *obj, const char *key, char *buf, size_t size);
/* An integer member of obj, or dflt when absent or not a number. */
long long decode_integer(const json_t *obj, const char *key, long long dflt);

/* ---- retry.c ---- */

/* Whether an attempt that failed with res (transport or HTTP error) may be
 * retried for this kind of request. */
int retry_should(request_kind kind, const transport_result *res, int transport_failed);
/* Why retry_should decided as it did, in words (for events). */
const char *retry_reason(request_kind kind, const transport_result *res, int transport_failed);

/* The wait before attempt number `attempt + 1` (attempt counts from 1):
 * full jitter over min(cap, base * 2^(attempt-1)), and at least the
 * Retry-After clamped to the policy's maximum. */
int64_t retry_delay_ms(const descovo_retry_policy *policy, int attempt,
                       int has_retry_after, long retry_after, uint32_t random);

/* ---- client.c, continued ---- */

/* The retry driver: attempts req until it succeeds, the policy says stop,
 * or the attempts or total time run out. Returns 0 (c->last holds the
 * parsed body, NULL for a sink) or -1 with the error of the last attempt. */
int client_perform(descovo_client *c, request_kind kind, const transport_request *req);

/* ---- mockclock.c ---- */

/* mock_clock: checks once that the server is a descovo-mock with a manual
 * clock (GET /_mock/health). Returns 0 (or when mock_clock is off), or -1
 * with DESCOVO_ERR_NOT_A_MOCK (or a network error) set; a refusal is kept
 * and repeated without sending anything more. */
int mockclock_check(descovo_client *c);
/* POST /_mock/clock/advance by ms. Leaves c->err and c->last alone on
 * success; -1 with the error set otherwise. */
int mockclock_advance(descovo_client *c, int64_t ms);

#endif
