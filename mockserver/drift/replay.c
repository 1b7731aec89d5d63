#include "drift/replay.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/routes.h"
#include "text/csvcount.h"

typedef struct fake_request {
    const drift_pair *query;
    size_t n_query;
    const char *content_type;
} fake_request;

static const char *query_value(const mock_request *req, const char *name)
{
    const fake_request *f = req->query_ctx;
    for (size_t i = 0; i < f->n_query; i++) {
        if (strcmp(f->query[i].name, name) == 0)
            return f->query[i].value;
    }
    return NULL;
}

static const char *header_value(void *ctx, const char *name)
{
    const fake_request *f = ctx;
    return strcasecmp(name, "Content-Type") == 0 ? f->content_type : NULL;
}

static void query_each(void *ctx, int (*fn)(void *cls, const char *name, const char *value), void *cls)
{
    const fake_request *f = ctx;
    for (size_t i = 0; i < f->n_query; i++) {
        if (fn(cls, f->query[i].name, f->query[i].value) != 0)
            return;
    }
}

static void read_csv(mock_app *app, mock_reply *reply, replay_answer *out)
{
    char block[16 * 1024];
    csv_count rows = CSV_COUNT_INIT;
    for (;;) {
        ssize_t n = export_reader_read(reply->csv, block, sizeof block);
        if (n <= 0)
            break;
        csv_count_feed(&rows, block, (size_t)n);
        if (out->csv.len < REPLAY_CSV_KEEP)
            strbuf_append(&out->csv, block, (size_t)n);
    }
    out->csv_rows = csv_count_rows(&rows);
    export_reader_free(reply->csv);
    store_lock(mock_app_store(app));
    store_export_release(reply->csv_file);
    store_unlock(mock_app_store(app));
    reply->csv = NULL;
    reply->csv_file = NULL;
}

void replay_dispatch(mock_app *app, const char *method, const char *path, const drift_pair *query, size_t n_query,
                     const char *content_type, const char *body, size_t body_len, replay_answer *out)
{
    memset(out, 0, sizeof *out);
    out->csv_rows = -1;
    fake_request f = {query, n_query, content_type};
    http_request http = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body_len,
        .body_too_large = body_len > API_MAX_BODY_BYTES,
        .query = query_value,
        .query_ctx = &f,
        .header = header_value,
        .query_each = n_query > 0 ? query_each : NULL,
    };
    mock_reply reply = {0};
    routes_dispatch(mock_app_context(app), &http, &reply);
    out->status = reply.status;
    if (reply.retry_after > 0)
        snprintf(out->retry_after, sizeof out->retry_after, "%d", reply.retry_after);
    snprintf(out->allow, sizeof out->allow, "%s", reply.allow);
    if (reply.csv != NULL) {
        snprintf(out->content_type, sizeof out->content_type, "text/csv; charset=utf-8");
        read_csv(app, &reply, out);
    } else {
        snprintf(out->content_type, sizeof out->content_type, "application/json");
        if (reply.text.data != NULL && !reply.text.oom)
            out->json = json_loadb(reply.text.data, reply.text.len, 0, NULL);
        else
            out->json = json_incref(reply.body);
    }
    json_decref(reply.body);
    strbuf_release(&reply.text);
}

void replay_answer_release(replay_answer *answer)
{
    json_decref(answer->json);
    strbuf_release(&answer->csv);
    memset(answer, 0, sizeof *answer);
}
