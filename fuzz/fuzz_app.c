#include "fuzz_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app.h"
#include "api/routes.h"
#include "sim/store.h"

#define MAX_PARAMS 64
#define DEV_KEY "sk_test_descovo_dev"

typedef struct fake_query {
    char *names[MAX_PARAMS];
    char *values[MAX_PARAMS];
    size_t n;
    const char *content_type;
} fake_query;

static mock_app *app;
static unsigned long inputs;
static char draft_id[64];
static char normal_id[64];
static char export_id[64];
static int faults_maybe;        /* a fault rule or chaos may answer 5xx */

static const char *query_value(const mock_request *req, const char *name)
{
    const fake_query *q = req->query_ctx;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    }
    return NULL;
}

static const char *header_value(void *ctx, const char *name)
{
    const fake_query *q = ctx;
    return strcmp(name, "Content-Type") == 0 ? q->content_type : NULL;
}

static void query_each(void *ctx, int (*fn)(void *cls, const char *name, const char *value), void *cls)
{
    const fake_query *q = ctx;
    for (size_t i = 0; i < q->n; i++) {
        if (fn(cls, q->names[i], q->values[i]) != 0)
            return;
    }
}

static void parse_query(fake_query *q, const char *text, size_t len)
{
    size_t start = 0;
    while (start < len && q->n < MAX_PARAMS) {
        const char *amp = memchr(text + start, '&', len - start);
        size_t end = amp != NULL ? (size_t)(amp - text) : len;
        const char *eq = memchr(text + start, '=', end - start);
        size_t name_end = eq != NULL ? (size_t)(eq - text) : end;
        q->names[q->n] = strndup(text + start, name_end - start);
        q->values[q->n] = eq != NULL ? strndup(eq + 1, end - name_end - 1) : NULL;
        q->n++;
        start = end + 1;
    }
}

/* Replaces @D, @N and @E in path. */
static void expand_path(const char *path, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = path; *p != '\0' && n + 1 < size; p++) {
        const char *id = NULL;
        if (p[0] == '@' && p[1] == 'D')
            id = draft_id;
        else if (p[0] == '@' && p[1] == 'N')
            id = normal_id;
        else if (p[0] == '@' && p[1] == 'E')
            id = export_id;
        if (id != NULL) {
            int w = snprintf(out + n, size - n, "%s", id);
            n += w > 0 && (size_t)w < size - n ? (size_t)w : 0;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static int status_expected(unsigned status)
{
    static const unsigned expected[] = {200, 400, 401, 402, 403, 404, 405, 413, 415, 429};
    if (faults_maybe && (status == 500 || status == 502 || status == 503))
        return 1;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (expected[i] == status)
            return 1;
    }
    return 0;
}

/* Dispatches and checks; returns the 200 answer's body (new reference) or NULL. */
static json_t *dispatch(const char *method, const char *path, fake_query *q, const char *body, size_t body_len)
{
    http_request http = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body_len,
        .body_too_large = body_len > API_MAX_BODY_BYTES,
        .query = query_value,
        .query_ctx = q,
        .header = header_value,
        .query_each = query_each,
    };
    mock_reply reply = {0};
    routes_dispatch(mock_app_context(app), &http, &reply);
    if (reply.status == 200 && strcmp(method, "POST") == 0 &&
        (strncmp(path, "/_mock/faults", 13) == 0 || strncmp(path, "/_mock/scenarios", 16) == 0))
        faults_maybe = 1;
    if (!status_expected(reply.status)) {
        fprintf(stderr, "unexpected status %u for %s %s\n", reply.status, method, path);
        abort();
    }
    if (reply.csv != NULL) {
        char buf[4096];
        while (export_reader_read(reply.csv, buf, sizeof buf) > 0) {
        }
        export_reader_free(reply.csv);
        store_lock(mock_app_store(app));
        store_export_release(reply.csv_file);
        store_unlock(mock_app_store(app));
        return NULL;
    }
    if (reply.text.data != NULL && reply.content_type != NULL) {
        /* A page of its own type (the dashboard's HTML): a 200 with text. */
        int empty = reply.text.len == 0 || reply.text.oom;
        strbuf_release(&reply.text);
        json_decref(reply.body);
        if (empty || reply.status != 200) {
            fprintf(stderr, "empty or failed %s answer for %s %s\n", reply.content_type, method, path);
            abort();
        }
        return NULL;
    }
    if (reply.text.data != NULL) {
        /* A success answer, serialised by reply_ok: it must be JSON. */
        json_t *parsed = reply.text.oom ? NULL : json_loadb(reply.text.data, reply.text.len, 0, NULL);
        strbuf_release(&reply.text);
        if (parsed == NULL || reply.status != 200) {
            fprintf(stderr, "answer is not JSON for %s %s\n", method, path);
            abort();
        }
        json_decref(reply.body);
        reply.body = parsed;
    }
    if (reply.body == NULL) {
        fprintf(stderr, "no body for %s %s\n", method, path);
        abort();
    }
    if (reply.status != 200) {
        json_t *error = json_object_get(reply.body, "error");
        const char *message = json_string_value(json_object_get(error, "message"));
        if (json_integer_value(json_object_get(error, "code")) != (json_int_t)reply.status || message == NULL ||
            message[0] == '\0') {
            fprintf(stderr, "not the error shape for %s %s\n", method, path);
            abort();
        }
        json_decref(reply.body);
        return NULL;
    }
    /* What the HTTP layer would send must serialise. */
    char *text = json_dumps(reply.body, JSON_COMPACT);
    if (text == NULL) {
        fprintf(stderr, "answer does not serialise for %s %s\n", method, path);
        abort();
    }
    free(text);
    return reply.body;
}

static json_t *simple(const char *method, const char *path, const char *query, const char *body)
{
    fake_query q = {.content_type = "application/json"};
    if (query != NULL)
        parse_query(&q, query, strlen(query));
    json_t *answer = dispatch(method, path, &q, body, body != NULL ? strlen(body) : 0);
    for (size_t i = 0; i < q.n; i++) {
        free(q.names[i]);
        free(q.values[i]);
    }
    return answer;
}

static void copy_output_string(json_t *answer, const char *field, char *out, size_t size)
{
    const char *value = json_string_value(json_object_get(json_object_get(answer, "output"), field));
    if (value == NULL) {
        fprintf(stderr, "fuzz setup: no output.%s\n", field);
        abort();
    }
    snprintf(out, size, "%s", value);
    json_decref(answer);
}

static void make_state(void)
{
    faults_maybe = 0;
    json_decref(simple("POST", "/_mock/reset", NULL, NULL));
    copy_output_string(simple("POST", "/v1/audiences/create", NULL, "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"draft\"}"),
                       "audienceId", draft_id, sizeof draft_id);
    copy_output_string(simple("POST", "/v1/audiences/create", NULL, "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"normal\"}"),
                       "audienceId", normal_id, sizeof normal_id);
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", normal_id);
    json_decref(simple("PATCH", path, NULL, "{\"apiKey\":\"" DEV_KEY "\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":5}"));
    snprintf(path, sizeof path, "/v1/audiences/%s/build", normal_id);
    json_decref(simple("POST", path, NULL, "{\"apiKey\":\"" DEV_KEY "\"}"));
    json_decref(simple("POST", "/_mock/clock/advance", NULL, "{\"seconds\":3600}"));
    snprintf(path, sizeof path, "/v1/audiences/%s/export/prospects", normal_id);
    copy_output_string(simple("POST", path, NULL, "{\"apiKey\":\"" DEV_KEY "\",\"format\":\"PROSPECT_GENERIC_CSV\"}"),
                       "exportId", export_id, sizeof export_id);
}

void fuzz_app_begin_input(void)
{
    if (app == NULL) {
        mock_options options;
        mock_options_default(&options);
        options.quiet = 1;
        options.companies = 150;
        options.clock_mode = MOCK_CLOCK_MANUAL;
        options.journal_size = 16;
        options.rate_limit_scale = 0;
        char err[512];
        app = mock_app_new(&options, err, sizeof err);
        if (app == NULL || mock_app_prepare(app, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz: cannot create the app: %s\n", err);
            abort();
        }
        make_state();
    } else if (++inputs % FUZZ_RESET_EVERY == 0) {
        make_state();
    }
}

void fuzz_app_request(const char *method, const char *path, const char *query, size_t query_len,
                      const char *content_type, const char *body, size_t body_len)
{
    char expanded[4096];
    expand_path(path, expanded, sizeof expanded);
    fake_query q = {.content_type = content_type};
    if (query != NULL)
        parse_query(&q, query, query_len);
    json_decref(dispatch(method, expanded, &q, body, body_len));
    for (size_t i = 0; i < q.n; i++) {
        free(q.names[i]);
        free(q.values[i]);
    }
}
