#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "text/strbuf.h"

static void quiet_defaults(mock_options *options)
{
    options->port = 0;
    options->quiet = 1;
    options->clock_mode = MOCK_CLOCK_MANUAL;
    options->companies = 400;
    options->threads = 2;
}

harness *harness_start(harness_configure_fn configure)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    mock_options options;
    mock_options_default(&options);
    quiet_defaults(&options);
    if (configure != NULL)
        configure(&options);
    char err[512] = "";
    h->app = mock_app_new(&options, err, sizeof err);
    if (h->app == NULL || mock_app_start(h->app, err, sizeof err) != 0)
        fail_msg("cannot start descovo-mock: %s", err);
    snprintf(h->base_url, sizeof h->base_url, "%s", mock_app_base_url(h->app));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h->curl = curl_easy_init();
    assert_non_null(h->curl);
    return h;
}

void harness_stop(harness *h)
{
    if (h == NULL)
        return;
    curl_easy_cleanup(h->curl);
    mock_app_free(h->app);
    free(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append(ctx, data, size * n);
    return size * n;
}

/* Copies the value of a header we care about. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    http_response *res = ctx;
    size_t len = size * n;
    static const struct {
        const char *name;
        size_t offset;
        size_t size;
    } wanted[] = {
        {"Retry-After:", offsetof(http_response, retry_after), sizeof ((http_response *)0)->retry_after},
        {"Allow:", offsetof(http_response, allow), sizeof ((http_response *)0)->allow},
        {"Content-Type:", offsetof(http_response, content_type), sizeof ((http_response *)0)->content_type},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t name_len = strlen(wanted[i].name);
        if (len > name_len && strncasecmp(data, wanted[i].name, name_len) == 0) {
            const char *v = data + name_len;
            size_t vlen = len - name_len;
            while (vlen > 0 && (*v == ' '))
                v++, vlen--;
            while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
                vlen--;
            char *dst = (char *)res + wanted[i].offset;
            snprintf(dst, wanted[i].size, "%.*s", (int)vlen, v);
        }
    }
    return len;
}

/* How a request goes out: JSON or nothing (harness_request), or anything
 * (harness_raw_request). */
typedef struct request_shape {
    const char *content_type;   /* NULL: no Content-Type header at all */
    const char *body;           /* NULL: none */
    size_t body_len;
    int fresh;                  /* on a new connection */
    int as_is;                  /* the path exactly as given ("/./", "/../") */
} request_shape;

static CURLcode perform_try(harness *h, const char *method, const char *path, const request_shape *shape,
                            http_response *out)
{
    memset(out, 0, sizeof *out);
    strbuf url = STRBUF_INIT;
    strbuf_printf(&url, "%s%s", h->base_url, path);
    assert_int_equal(url.oom, 0);
    strbuf buf = STRBUF_INIT;
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, (long)shape->as_is);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* libcurl silently resends a request whose reused connection closed
     * before any answer; a test of dropped connections needs a new one. */
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long)shape->fresh);
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    char type_header[256] = "Content-Type:"; /* sends none, not even curl's default */
    if (shape->content_type != NULL)
        snprintf(type_header, sizeof type_header, "Content-Type: %s", shape->content_type);
    headers = curl_slist_append(headers, type_header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (shape->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, shape->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)shape->body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    strbuf_release(&url);
    assert_int_equal(buf.oom, 0);
    out->raw_len = buf.len;
    out->raw = buf.data != NULL ? strbuf_detach(&buf) : calloc(1, 1);
    out->json = json_loadb(out->raw, out->raw_len, 0, NULL);
    return rc;
}

/* A JSON body (or none) on harness_request's terms. */
static request_shape json_shape(const char *body, int fresh)
{
    return (request_shape){body != NULL ? "application/json" : NULL, body, body != NULL ? strlen(body) : 0, fresh, 0};
}

CURLcode harness_try_request(harness *h, const char *method, const char *path,
                             const char *body, http_response *out)
{
    request_shape shape = json_shape(body, 1);
    return perform_try(h, method, path, &shape, out);
}

CURLcode harness_raw_request(harness *h, const char *method, const char *path, const char *content_type,
                             const char *body, size_t body_len, http_response *out)
{
    request_shape shape = {content_type, body, body_len, 0, 1};
    return perform_try(h, method, path, &shape, out);
}

void harness_request(harness *h, const char *method, const char *path,
                     const char *body, http_response *out)
{
    request_shape shape = json_shape(body, 0);
    CURLcode rc = perform_try(h, method, path, &shape, out);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
}

size_t harness_env_size(const char *name, size_t fallback)
{
    const char *text = getenv(name);
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return fallback;
    unsigned long long n = strtoull(text, &end, 10);
    return end != text && *end == '\0' && n > 0 ? (size_t)n : fallback;
}

void http_response_free(http_response *res)
{
    json_decref(res->json);
    free(res->raw);
    memset(res, 0, sizeof *res);
}

long harness_get(harness *h, http_response *out, const char *fmt, ...)
{
    char path[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    harness_request(h, "GET", path, NULL, out);
    return out->status;
}

long harness_send(harness *h, const char *method, http_response *out,
                  const char *path, const char *body_fmt, ...)
{
    strbuf body = STRBUF_INIT;
    va_list ap;
    va_start(ap, body_fmt);
    strbuf_vprintf(&body, body_fmt, ap);
    va_end(ap);
    harness_request(h, method, path, body.data != NULL ? body.data : "", out);
    strbuf_release(&body);
    return out->status;
}

int harness_connect(const char *base_url)
{
    const char *colon = strrchr(base_url, ':');
    assert_non_null(colon);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

void harness_advance(harness *h, double seconds)
{
    http_response res;
    harness_send(h, "POST", &res, "/_mock/clock/advance", "{\"seconds\": %.3f}", seconds);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
}

const char *harness_error_message(const http_response *res)
{
    const char *msg = json_string_value(json_object_get(json_object_get(res->json, "error"), "message"));
    return msg != NULL ? msg : "";
}

static void expect_ok(const http_response *res, const char *what)
{
    if (res->status != 200)
        fail_msg("%s: HTTP %ld: %s", what, res->status, res->raw);
}

const char *harness_create(harness *h, const char *key, const char *name, const char *method)
{
    static char id[64];
    http_response res;
    harness_send(h, "POST", &res, "/v1/audiences/create",
                 "{\"apiKey\":\"%s\",\"name\":\"%s\",\"creationMethod\":\"%s\"}", key, name, method);
    expect_ok(&res, "create");
    const char *value = json_string_value(json_object_get(json_object_get(res.json, "output"), "audienceId"));
    assert_non_null(value);
    snprintf(id, sizeof id, "%s", value);
    http_response_free(&res);
    return id;
}

void harness_set_filters(harness *h, const char *key, const char *id, const char *params_json)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    http_response res;
    harness_send(h, "PATCH", &res, path, "{\"apiKey\":\"%s\",%s}", key, params_json);
    expect_ok(&res, "search-params");
    http_response_free(&res);
}

void harness_build_until_normal(harness *h, const char *key, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", key);
    expect_ok(&res, "build");
    http_response_free(&res);
    harness_wait_normal(h, key, id);
}

int harness_group_setup(void **state)
{
    *state = harness_start(NULL);
    return 0;
}

int harness_group_teardown(void **state)
{
    harness_stop(*state);
    return 0;
}

int harness_reset_state(void **state)
{
    harness_reset(*state);
    return 0;
}

void harness_reset(harness *h)
{
    http_response res;
    harness_request(h, "POST", "/_mock/reset", NULL, &res);
    expect_ok(&res, "reset");
    http_response_free(&res);
}

void harness_wait_normal(harness *h, const char *key, const char *id)
{
    http_response res;
    for (int i = 0; i < 200; i++) {
        harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key);
        expect_ok(&res, "status");
        const char *status = json_string_value(json_object_get(json_object_get(res.json, "output"), "status"));
        int done = status != NULL && strcmp(status, "NORMAL") == 0;
        int failed = status != NULL && strcmp(status, "FAILED") == 0;
        http_response_free(&res);
        if (done)
            return;
        if (failed)
            fail_msg("build of %s FAILED", id);
        harness_advance(h, 1.0);
    }
    fail_msg("build of %s never finished", id);
}

long long harness_credits(harness *h, const char *key)
{
    http_response res;
    harness_get(h, &res, "/v1/credits?apiKey=%s", key);
    expect_ok(&res, "credits");
    long long credits = json_integer_value(json_object_get(json_object_get(res.json, "output"), "credits"));
    http_response_free(&res);
    return credits;
}

char *harness_download(harness *h, const char *url, size_t *len, long *status)
{
    /* Download URLs are absolute, on this server. */
    size_t base_len = strlen(h->base_url);
    if (strncmp(url, h->base_url, base_len) != 0)
        fail_msg("download URL %s is not on %s", url, h->base_url);
    http_response res;
    harness_request(h, "GET", url + base_len, NULL, &res);
    *len = res.raw_len;
    *status = res.status;
    char *raw = res.raw;
    res.raw = NULL;
    http_response_free(&res);
    return raw;
}

void harness_expect_statuses(harness *h, const char *key, const char *id,
                             const char *const *expected, size_t n, double step_s)
{
    size_t next = 0;
    for (int i = 0; i < 2000 && next < n; i++) {
        http_response res;
        harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key);
        expect_ok(&res, "status");
        const char *status = json_string_value(json_object_get(json_object_get(res.json, "output"), "status"));
        if (strcmp(status, expected[next]) == 0)
            next++;
        else if (next == 0 || strcmp(status, expected[next - 1]) != 0)
            fail_msg("status %s out of order: expected %s%s%s", status, next > 0 ? expected[next - 1] : "",
                     next > 0 ? " or " : "", expected[next]);
        http_response_free(&res);
        if (next < n)
            harness_advance(h, step_s);
    }
    if (next < n)
        fail_msg("never reached status %s", expected[next]);
}
