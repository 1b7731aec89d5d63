/* The client handle, its options and errors, and the request driver that
 * applies the retry policy around transport_perform. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static const char *const class_names[] = {
    [DESCOVO_OK] = "ok",
    [DESCOVO_ERR_AUTH] = "auth",
    [DESCOVO_ERR_NOT_FOUND] = "not_found",
    [DESCOVO_ERR_INVALID_STATE] = "invalid_state",
    [DESCOVO_ERR_VALIDATION] = "validation",
    [DESCOVO_ERR_CREDITS] = "credits",
    [DESCOVO_ERR_QUOTA] = "quota",
    [DESCOVO_ERR_RATE_LIMITED] = "rate_limited",
    [DESCOVO_ERR_SERVER] = "server",
    [DESCOVO_ERR_NETWORK] = "network",
    [DESCOVO_ERR_PROTOCOL] = "protocol",
    [DESCOVO_ERR_FAILED] = "failed",
    [DESCOVO_ERR_TIMEOUT] = "timeout",
    [DESCOVO_ERR_IO] = "io",
    [DESCOVO_ERR_USAGE] = "usage",
    [DESCOVO_ERR_OOM] = "oom",
    [DESCOVO_ERR_NOT_A_MOCK] = "not_a_mock",
};

const char *descovo_error_class_name(descovo_error_class cls)
{
    if ((size_t)cls >= sizeof class_names / sizeof class_names[0] || class_names[cls] == NULL)
        return "unknown";
    return class_names[cls];
}

const char *descovo_version(void)
{
    return DESCOVO_VERSION;
}

int descovo_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void descovo_global_cleanup(void)
{
    curl_global_cleanup();
}

void descovo_options_init(descovo_options *options)
{
    memset(options, 0, sizeof *options);
    options->connect_timeout_ms = 10000;
    options->timeout_ms = 60000;
    options->retry.max_attempts = 5;
    options->retry.base_ms = 500;
    options->retry.cap_ms = 30000;
    options->retry.max_total_ms = 120000;
    options->retry.max_retry_after_s = 300;
}

static int64_t default_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void default_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* xorshift64*: jitter needs spread, not secrecy. */
static uint32_t default_random(void *ctx)
{
    descovo_client *c = ctx;
    c->prng ^= c->prng >> 12;
    c->prng ^= c->prng << 25;
    c->prng ^= c->prng >> 27;
    return (uint32_t)((c->prng * 0x2545F4914F6CDD1DULL) >> 32);
}

static char *dup_or_null(const char *s, const char *dflt, int *oom)
{
    const char *src = s != NULL ? s : dflt;
    if (src == NULL)
        return NULL;
    char *copy = strdup(src);
    if (copy == NULL)
        *oom = 1;
    return copy;
}

descovo_client *descovo_client_new(const descovo_options *options)
{
    descovo_options defaults;
    if (options == NULL) {
        descovo_options_init(&defaults);
        options = &defaults;
    }
    descovo_client *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    int oom = 0;
    c->base_url = dup_or_null(options->base_url, DESCOVO_DEFAULT_BASE_URL, &oom);
    c->api_key = dup_or_null(options->api_key, NULL, &oom);
    c->user_agent = dup_or_null(options->user_agent, "libdescovo/" DESCOVO_VERSION, &oom);
    c->curl = curl_easy_init();
    if (oom || c->curl == NULL) {
        descovo_client_free(c);
        return NULL;
    }
    size_t len = strlen(c->base_url);
    while (len > 0 && c->base_url[len - 1] == '/')
        c->base_url[--len] = '\0';
    c->connect_timeout_ms = options->connect_timeout_ms > 0 ? options->connect_timeout_ms : 10000;
    c->timeout_ms = options->timeout_ms > 0 ? options->timeout_ms : 60000;
    c->retry = options->retry;
    if (c->retry.max_attempts < 1)
        c->retry.max_attempts = 1;
    if (c->retry.max_retry_after_s < 0)
        c->retry.max_retry_after_s = 0;
    c->now_ms = options->now_ms != NULL ? options->now_ms : default_now;
    c->sleep_ms = options->sleep_ms != NULL ? options->sleep_ms : default_sleep;
    c->random = options->random;
    c->time_ctx = options->time_ctx;
    c->on_event = options->on_event;
    c->event_ctx = options->event_ctx;
    c->mock_clock = options->mock_clock != 0;
    c->prng = (uint64_t)default_now(NULL) * 0x9E3779B97F4A7C15ULL + (uintptr_t)c;
    if (c->prng == 0)
        c->prng = 1;
    return c;
}

void descovo_client_free(descovo_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    json_decref(c->last);
    free(c->base_url);
    free(c->api_key);
    free(c->user_agent);
    free(c);
}

const descovo_error *descovo_last_error(const descovo_client *c)
{
    static const descovo_error none = {.cls = DESCOVO_ERR_USAGE, .retry_after = -1,
                                       .message = "no client (NULL)"};
    return c != NULL ? &c->err : &none;
}

const json_t *descovo_last_response(const descovo_client *c)
{
    return c != NULL ? c->last : NULL;
}

void client_clear_error(descovo_client *c)
{
    memset(&c->err, 0, sizeof c->err);
    c->err.retry_after = -1;
}

int client_set_error(descovo_client *c, descovo_error_class cls, const char *fmt, ...)
{
    c->err.cls = cls;
    c->err.message[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err.message, sizeof c->err.message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int64_t client_now(descovo_client *c)
{
    return c->mock_clock ? c->mock_ms : c->now_ms(c->time_ctx);
}

int client_sleep(descovo_client *c, int64_t ms)
{
    if (ms <= 0)
        return 0;
    if (c->mock_clock)
        return mockclock_advance(c, ms);
    c->sleep_ms(c->time_ctx, ms);
    return 0;
}

void client_emit(descovo_client *c, const descovo_event *event)
{
    if (c->on_event != NULL)
        c->on_event(c->event_ctx, event);
}

static uint32_t client_random(descovo_client *c)
{
    return c->random != NULL ? c->random(c->time_ctx) : default_random(c);
}

static int method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0;
}

/* Builds the URL (with ?apiKey= for GET/DELETE) and the body text (with
 * "apiKey" for POST/PATCH/PUT). Returns 0, or -1 with the error set. */
static int prepare(descovo_client *c, const char *method, const char *path, const json_t *body,
                   int auth, char **url_out, char **body_out)
{
    char *escaped = NULL;
    char *url = NULL;
    char *text = NULL;
    json_t *copy = NULL;
    int rc = -1;
    int with_body = method_has_body(method);

    if (auth && (c->api_key == NULL || c->api_key[0] == '\0')) {
        client_set_error(c, DESCOVO_ERR_AUTH, "No API key: set one in descovo_options.api_key.");
        goto out;
    }
    if (auth && !with_body) {
        escaped = curl_easy_escape(c->curl, c->api_key, 0);
        if (escaped == NULL)
            goto oom;
    }
    size_t size = strlen(c->base_url) + strlen(path) + (escaped ? strlen(escaped) : 0) + 16;
    url = malloc(size);
    if (url == NULL)
        goto oom;
    int n = escaped != NULL
        ? snprintf(url, size, "%s%s%sapiKey=%s", c->base_url, path, strchr(path, '?') ? "&" : "?", escaped)
        : snprintf(url, size, "%s%s", c->base_url, path);
    if (n < 0 || (size_t)n >= size) {
        client_set_error(c, DESCOVO_ERR_USAGE, "URL too long");
        goto out;
    }
    if (with_body) {
        copy = body != NULL ? json_deep_copy(body) : json_object();
        if (copy == NULL)
            goto oom;
        if (auth && json_object_set_new(copy, "apiKey", json_string(c->api_key)) != 0)
            goto oom;
        text = json_dumps(copy, JSON_COMPACT);
        if (text == NULL)
            goto oom;
    }
    *url_out = url;
    *body_out = text;
    url = NULL;
    text = NULL;
    rc = 0;
    goto out;
oom:
    client_set_error(c, DESCOVO_ERR_OOM, "out of memory");
out:
    curl_free(escaped);
    free(url);
    free(text);
    json_decref(copy);
    return rc;
}

/* Records a transport failure (no HTTP answer) in the client's error. */
static void set_transport_error(descovo_client *c, const transport_result *res)
{
    const char *text = c->curl_errbuf[0] != '\0' ? c->curl_errbuf : curl_easy_strerror(res->code);
    c->err.cls = res->too_large ? DESCOVO_ERR_PROTOCOL : DESCOVO_ERR_NETWORK;
    c->err.http_status = 0;
    c->err.curl_code = (int)res->code;
    snprintf(c->err.curl_error, sizeof c->err.curl_error, "%s", text);
    if (res->too_large)
        snprintf(c->err.message, sizeof c->err.message, "response larger than %ld bytes", DESCOVO_MAX_BODY_BYTES);
    else
        snprintf(c->err.message, sizeof c->err.message, "%s", text);
}

/* One attempt: perform and decode. Returns 0 on success (c->last set), -1
 * with c->err set; *retry says whether the policy allows another attempt. */
static int attempt_once(descovo_client *c, request_kind kind, const transport_request *req,
                        int *retry, transport_result *res)
{
    json_t *body = NULL;
    *retry = 0;
    descovo_event ev = {.kind = DESCOVO_EVENT_RESPONSE, .method = req->method,
                        .path = req->path != NULL ? req->path : "", .error = "", .reason = "",
                        .attempt = c->err.attempts, .max_attempts = c->retry.max_attempts};
    int sent = transport_perform(c, req, res);
    ev.duration_ms = res->duration_ms;
    if (sent != 0) {
        set_transport_error(c, res);
        *retry = !res->too_large && retry_should(kind, res, 1);
        ev.error = c->err.message;
        client_emit(c, &ev);
        return -1;
    }
    descovo_error err;
    int rc = decode_response(res, &body, &err);
    json_decref(c->last);
    c->last = body;
    ev.http_status = res->status;
    if (rc == 0) {
        ev.warnings = json_object_get(body, "warnings");
        client_emit(c, &ev);
        return 0;
    }
    ev.error = err.message;
    client_emit(c, &ev);
    int attempts = c->err.attempts;
    c->err = err;
    c->err.attempts = attempts;
    *retry = retry_should(kind, res, 0);
    return -1;
}

/* Tells the event callback what becomes of a failed attempt. */
static void emit_decision(descovo_client *c, const transport_request *req, descovo_event_kind kind,
                          int attempt, int64_t delay, const char *reason)
{
    descovo_event ev = {.kind = kind, .method = req->method, .path = req->path != NULL ? req->path : "",
                        .http_status = c->err.http_status, .error = c->err.message, .attempt = attempt,
                        .max_attempts = c->retry.max_attempts, .delay_ms = delay, .reason = reason};
    client_emit(c, &ev);
}

int client_perform(descovo_client *c, request_kind kind, const transport_request *req_in)
{
    if (mockclock_check(c) != 0)
        return -1;
    transport_request fresh = *req_in;
    fresh.fresh_connection = kind == REQUEST_UNSAFE;
    const transport_request *req = &fresh;
    int64_t started = client_now(c);
    for (int attempt = 1;; attempt++) {
        transport_result res;
        int retry = 0;
        c->err.attempts = attempt;
        int rc = attempt_once(c, kind, req, &retry, &res);
        int has_ra = res.has_retry_after;
        long ra = res.retry_after;
        const char *reason = rc == 0 ? "" : retry_reason(kind, &res, res.status == 0);
        transport_result_free(&res);
        if (rc == 0) {
            int attempts = attempt;
            client_clear_error(c);
            c->err.attempts = attempts;
            return 0;
        }
        c->err.retry_after = has_ra ? ra : -1;
        if (!retry) {
            emit_decision(c, req, DESCOVO_EVENT_GIVE_UP, attempt, 0, reason);
            return -1;
        }
        if (attempt >= c->retry.max_attempts) {
            emit_decision(c, req, DESCOVO_EVENT_GIVE_UP, attempt, 0, "no attempts left");
            return -1;
        }
        int64_t delay = retry_delay_ms(&c->retry, attempt, has_ra, ra, client_random(c));
        int64_t elapsed = client_now(c) - started;
        if (c->retry.max_total_ms > 0 && elapsed + delay > c->retry.max_total_ms) {
            emit_decision(c, req, DESCOVO_EVENT_GIVE_UP, attempt, delay,
                          "the wait would pass the retry time budget (retry.max_total_ms)");
            return -1;
        }
        emit_decision(c, req, DESCOVO_EVENT_RETRY, attempt, delay, reason);
        descovo_error kept = c->err;
        if (client_sleep(c, delay) != 0)
            return -1;
        c->err = kept;
    }
}

int client_call_raw(descovo_client *c, const char *method, const char *path,
                    const json_t *body, int auth, const json_t **envelope)
{
    char *url = NULL;
    char *text = NULL;
    client_clear_error(c);
    json_decref(c->last);
    c->last = NULL;
    if (prepare(c, method, path, body, auth, &url, &text) != 0)
        return -1;
    transport_request req = {
        .method = method,
        .url = url,
        .path = path,
        .body = text,
        .body_len = text != NULL ? strlen(text) : 0,
        .timeout_ms = c->timeout_ms,
    };
    request_kind kind = strcmp(method, "GET") == 0 ? REQUEST_SAFE : REQUEST_UNSAFE;
    int rc = client_perform(c, kind, &req);
    free(url);
    free(text);
    if (rc == 0 && envelope != NULL)
        *envelope = c->last;
    return rc;
}

int client_call(descovo_client *c, const char *method, const char *path,
                const json_t *body, int auth, const json_t **output)
{
    const json_t *envelope = NULL;
    if (client_call_raw(c, method, path, body, auth, &envelope) != 0)
        return -1;
    const json_t *out = json_object_get(envelope, "output");
    if (!json_is_object(out)) {
        c->err.http_status = 200;
        return client_set_error(c, DESCOVO_ERR_PROTOCOL, "answer without an \"output\" object");
    }
    if (output != NULL)
        *output = out;
    return 0;
}

json_t *descovo_request(descovo_client *c, const char *method, const char *path,
                        const json_t *body)
{
    if (c == NULL)
        return NULL;
    if (method == NULL || path == NULL || path[0] != '/') {
        client_clear_error(c);
        client_set_error(c, DESCOVO_ERR_USAGE, "descovo_request: method and a path starting with / are required");
        return NULL;
    }
    const json_t *envelope = NULL;
    if (client_call_raw(c, method, path, body, 0, &envelope) != 0)
        return NULL;
    return json_incref((json_t *)envelope);
}
