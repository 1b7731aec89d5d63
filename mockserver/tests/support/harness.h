/* harness: end-to-end test support. Starts descovo-mock in-process on a free
 * loopback port (manual clock, quiet), and talks to it over real HTTP with
 * libcurl. Used from cmocka tests; every function asserts on transport
 * failures, so a test reads as the workflow it checks. */
#ifndef DESCOVO_TEST_HARNESS_H
#define DESCOVO_TEST_HARNESS_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

#include "app.h"

#define DEV_KEY "sk_test_descovo_dev"
#define OTHER_KEY "sk_test_descovo_other"
#define POOR_KEY "sk_test_descovo_poor"

typedef struct harness {
    mock_app *app;
    char base_url[64];
    CURL *curl;
} harness;

typedef struct http_response {
    long status;
    json_t *json;              /* parsed body, NULL if not JSON */
    char *raw;                 /* body bytes, NUL-terminated */
    size_t raw_len;
    char retry_after[32];
    char allow[64];
    char content_type[64];
} http_response;

/* Options a test may change before the server starts. */
typedef void (*harness_configure_fn)(mock_options *options);

/* Starts a server (configure may be NULL). Asserts on failure. */
harness *harness_start(harness_configure_fn configure);
void harness_stop(harness *h);

/* Sends a request; path may include a query string; body may be NULL.
 * The response must be freed with http_response_free. */
void harness_request(harness *h, const char *method, const char *path,
                     const char *body, http_response *out);
void http_response_free(http_response *res);
/* A positive count from the environment (a test's size knob), or fallback
 * when the variable is unset, empty or not a positive integer. */
size_t harness_env_size(const char *name, size_t fallback);
/* Like harness_request, on a new connection, but returns curl's result
 * instead of failing the test when the transfer fails (dropped or reset
 * connections). */
CURLcode harness_try_request(harness *h, const char *method, const char *path,
                             const char *body, http_response *out);
/* Anything a hostile client may send: any method (HEAD without a body),
 * the path exactly as given, content_type NULL for no Content-Type at all,
 * body_len bytes of body (NUL bytes included) or none. Returns curl's
 * result instead of failing the test. */
CURLcode harness_raw_request(harness *h, const char *method, const char *path, const char *content_type,
                             const char *body, size_t body_len, http_response *out);

/* printf-style conveniences that return the status and fill *out. */
long harness_get(harness *h, http_response *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
long harness_send(harness *h, const char *method, http_response *out,
                  const char *path, const char *body_fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* cmocka fixtures: a group setup that starts a default server in *state,
 * its teardown, and a per-test setup that resets it. */
int harness_group_setup(void **state);
int harness_group_teardown(void **state);
int harness_reset_state(void **state);

/* Moves the manual clock. */
void harness_advance(harness *h, double seconds);

/* Workflow steps that assert success; return borrowed/owned values as said. */
/* Creates an audience and returns its id (static buffer, copy it). */
const char *harness_create(harness *h, const char *key, const char *name, const char *method);
void harness_set_filters(harness *h, const char *key, const char *id, const char *params_json);
/* Builds and advances the clock until NORMAL. */
void harness_build_until_normal(harness *h, const char *key, const char *id);
/* Advances the clock until the audience is NORMAL (fails on FAILED). */
void harness_wait_normal(harness *h, const char *key, const char *id);
/* Polls the audience, advancing the clock by step_s between polls, until it
 * has shown every status of expected[0..n) in that order; fails when a
 * status comes out of order or the sequence does not complete. */
void harness_expect_statuses(harness *h, const char *key, const char *id,
                             const char *const *expected, size_t n, double step_s);
/* POST /_mock/reset: a fresh server state for the next test. */
void harness_reset(harness *h);
long long harness_credits(harness *h, const char *key);
/* Error message of an error response, or "". */
const char *harness_error_message(const http_response *res);

/* A new TCP connection to the server at base_url ("http://127.0.0.1:PORT",
 * a harness's or a child's), for requests written byte for byte. Asserts. */
int harness_connect(const char *base_url);

/* Downloads a URL (absolute) into a new NUL-terminated buffer. */
char *harness_download(harness *h, const char *url, size_t *len, long *status);

#endif
