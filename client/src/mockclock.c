/* options.mock_clock: time is descovo-mock's manual clock. The client first
 * makes sure it talks to such a mock (GET /_mock/health says clock
 * "manual"), then "sleeps" by POST /_mock/clock/advance. Both requests go
 * straight to the transport: no retries, no effect on the caller's error or
 * last response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Sends one control request; *body gets the parsed 2xx body (new
 * reference). Returns 0 or -1 with the error set (what names the step). */
static int control(descovo_client *c, const char *method, const char *path, const char *text,
                   const char *what, json_t **body)
{
    char url[DESCOVO_URL_MAX + 64];
    int n = snprintf(url, sizeof url, "%s%s", c->base_url, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return client_set_error(c, DESCOVO_ERR_USAGE, "base URL too long");
    transport_request req = {.method = method, .url = url, .path = path, .body = text,
                             .body_len = text != NULL ? strlen(text) : 0, .timeout_ms = c->timeout_ms};
    transport_result res;
    *body = NULL;
    int rc = -1;
    descovo_event ev = {.kind = DESCOVO_EVENT_RESPONSE, .method = method, .path = path, .error = "",
                        .reason = "", .attempt = 1, .max_attempts = 1};
    if (transport_perform(c, &req, &res) != 0) {
        const char *text_err = c->curl_errbuf[0] != '\0' ? c->curl_errbuf : curl_easy_strerror(res.code);
        client_clear_error(c);
        c->err.curl_code = (int)res.code;
        snprintf(c->err.curl_error, sizeof c->err.curl_error, "%s", text_err);
        client_set_error(c, DESCOVO_ERR_NETWORK, "%s: %s", what, text_err);
        ev.error = text_err;
        goto out;
    }
    ev.http_status = res.status;
    descovo_error err;
    if (decode_response(&res, body, &err) != 0) {
        json_decref(*body);
        *body = NULL;
        client_clear_error(c);
        c->err.http_status = res.status;
        client_set_error(c, DESCOVO_ERR_NOT_A_MOCK, "%s: HTTP %ld%s%s", what, res.status,
                         err.message[0] != '\0' ? ": " : "", err.message);
        ev.error = err.message;
        goto out;
    }
    rc = 0;
out:
    ev.duration_ms = res.duration_ms;
    client_emit(c, &ev);
    transport_result_free(&res);
    return rc;
}

int mockclock_check(descovo_client *c)
{
    if (!c->mock_clock || c->mock_state == 1)
        return 0;
    if (c->mock_state == -1) {
        c->err = c->mock_refusal;
        return -1;
    }
    json_t *body = NULL;
    int rc = control(c, "GET", "/_mock/health", NULL,
                     "mock clock: GET /_mock/health (is this a descovo-mock?)", &body);
    if (rc == 0) {
        const char *clock = json_string_value(json_object_get(json_object_get(body, "output"), "clock"));
        if (clock == NULL) {
            client_clear_error(c);
            client_set_error(c, DESCOVO_ERR_NOT_A_MOCK,
                             "mock clock: %s does not answer GET /_mock/health like a descovo-mock; nothing else was sent",
                             c->base_url);
            rc = -1;
        } else if (strcmp(clock, "manual") != 0) {
            client_clear_error(c);
            client_set_error(c, DESCOVO_ERR_NOT_A_MOCK,
                             "mock clock: the descovo-mock at %s runs a %s clock; start it with --clock manual, "
                             "or wait without the mock clock; nothing else was sent", c->base_url, clock);
            rc = -1;
        }
    } else if (c->err.cls == DESCOVO_ERR_NOT_A_MOCK) {
        size_t len = strlen(c->err.message);
        snprintf(c->err.message + len, sizeof c->err.message - len,
                 ": %s is not a descovo-mock; nothing else was sent", c->base_url);
    }
    json_decref(body);
    if (rc == 0) {
        c->mock_state = 1;
        return 0;
    }
    /* A network failure may pass; a server that is not a mock will not. */
    if (c->err.cls == DESCOVO_ERR_NOT_A_MOCK) {
        c->mock_state = -1;
        c->mock_refusal = c->err;
    }
    return -1;
}

int mockclock_advance(descovo_client *c, int64_t ms)
{
    char text[64];
    snprintf(text, sizeof text, "{\"seconds\":%lld.%03lld}", (long long)(ms / 1000), (long long)(ms % 1000));
    json_t *body = NULL;
    descovo_error kept = c->err;
    if (control(c, "POST", "/_mock/clock/advance", text, "mock clock: POST /_mock/clock/advance", &body) != 0)
        return -1;
    json_decref(body);
    c->err = kept;
    c->mock_ms += ms;
    return 0;
}
