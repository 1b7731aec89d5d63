#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http/body.h"
#include "proxy/har_journal.h"
#include "proxy/redact.h"
#include "proxy/upstream.h"
#include "text/csvcount.h"
#include "text/percent.h"

#define PROXY_CONNECTION_LIMIT 256
#define PROXY_CONNECTION_TIMEOUT_S 330   /* longer than the upstream's total timeout */
#define PROXY_MAX_REQUEST_BYTES (8 * 1024 * 1024)
#define PROXY_MAX_BUFFERED_BYTES (64 * 1024 * 1024)  /* a JSON answer, whole */
#define PROXY_STREAM_BLOCK (64 * 1024)
/* How much of a streamed body (a CSV) the HAR keeps; its row count is
 * always recorded whole (content._descovoRows). */
#define PROXY_RECORD_STREAM_CAP (1024 * 1024)
#define PROXY_MAX_FORWARDED_HEADERS 48

struct proxy {
    struct MHD_Daemon *daemon;
    char upstream[1024];         /* without a trailing slash */
    char self[64];
    char record_path[4096];
    FILE *log;
    proxy_hooks hooks;
    har_recorder *recorder;      /* NULL: not recording */
    redactor *redactor;
};

/* One request, from the first call of the access handler to completion. */
typedef struct request_state {
    strbuf body;
    int too_large;
} request_state;

/* What the HAR entry needs, kept until the answer has been sent. */
typedef struct exchange {
    proxy *p;
    json_t *entry;               /* request done, response being filled */
    double started_ms;           /* monotonic */
    double wait_ms;
    char method[16];
    char path[256];
} exchange;

/* A body streamed from the upstream to the client. */
typedef struct stream {
    exchange x;
    upstream_xfer *xfer;
    strbuf kept;                 /* the first PROXY_RECORD_STREAM_CAP bytes */
    int truncated;
    int first;
    csv_count rows;              /* of the whole body, across blocks */
    size_t total;
    int failed;
} stream;

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* "2026-12-01T20:07:09.123456Z": microseconds, so that a replay at a fast
 * recorded clock (--time-scale) places each entry where it happened. */
static void iso_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.20s.%06dZ", day, (int)(ts.tv_nsec / 1000L) % 1000000);
}

/* Leaves path and query percent-encoded as the client sent them, so that
 * they are forwarded byte for byte; the HAR gets decoded copies. */
static size_t no_unescape(void *cls, struct MHD_Connection *connection, char *s)
{
    (void)cls;
    (void)connection;
    return strlen(s);
}

static enum MHD_Result send_json(struct MHD_Connection *connection, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return MHD_NO;
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *connection, unsigned status, const char *message)
{
    return send_json(connection, status, json_pack("{s:{s:i, s:s}}", "error", "code", (int)status, "message", message));
}

/* Collects the query string (raw) and its decoded pairs for the HAR. */
typedef struct query_walk {
    strbuf raw;
    json_t *pairs;               /* [{name, value}], decoded, apiKey redacted */
    redactor *redactor;
} query_walk;

/* A query name or value as libmicrohttpd hands it over here: its '+'
 * already a space (it does that before any unescape callback), its %XX
 * left as sent (no_unescape). */

/* Appends it as the client sent it: a space can only have been a '+' (a
 * raw space ends the request line), so the upstream gets the same bytes. */
static void put_raw(strbuf *out, const char *s)
{
    for (; *s != '\0'; s++)
        strbuf_putc(out, *s == ' ' ? '+' : *s);
}

/* Decoded as the server decodes it (text/percent.h), so that the replay of
 * the HAR sees what the recorded service was sent: "%00" stays as it is
 * rather than cutting the value short. */
static char *decode(const char *s)
{
    char *out = strdup(s);
    if (out != NULL)
        percent_decode(out, out, strlen(out));
    return out;
}

static enum MHD_Result query_step(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    (void)kind;
    query_walk *w = cls;
    if (w->raw.len > 0)
        strbuf_putc(&w->raw, '&');
    put_raw(&w->raw, name);
    if (value != NULL) {
        strbuf_putc(&w->raw, '=');
        put_raw(&w->raw, value);
    }
    char *dname = decode(name);
    char *dvalue = decode(value != NULL ? value : "");
    if (dname != NULL && dvalue != NULL) {
        char placeholder[32];
        const char *shown = dvalue;
        if (strcmp(dname, "apiKey") == 0) {
            redact_key(w->redactor, dvalue, placeholder);
            shown = placeholder;
        }
        json_array_append_new(w->pairs, json_pack("{s:s, s:s}", "name", dname, "value", shown));
    }
    free(dname);
    free(dvalue);
    return MHD_YES;
}

/* Rebuilds a query string from HAR pairs, percent-encoded. */
static void encode_pairs(const json_t *pairs, strbuf *out)
{
    size_t i = 0;
    json_t *pair = NULL;
    json_array_foreach(pairs, i, pair) {
        char *n = curl_easy_escape(NULL, json_string_value(json_object_get(pair, "name")), 0);
        char *v = curl_easy_escape(NULL, json_string_value(json_object_get(pair, "value")), 0);
        strbuf_printf(out, "%s%s=%s", i > 0 ? "&" : "", n != NULL ? n : "", v != NULL ? v : "");
        curl_free(n);
        curl_free(v);
    }
}

typedef struct header_walk {
    const char *lines[PROXY_MAX_FORWARDED_HEADERS];
    char *owned[PROXY_MAX_FORWARDED_HEADERS];
    size_t n;
    json_t *har;                 /* [{name, value}], secrets redacted */
} header_walk;

static int is_hop_header(const char *name)
{
    static const char *const hop[] = {
        "Host", "Connection", "Keep-Alive", "Content-Length", "Transfer-Encoding", "Expect", "Accept-Encoding",
        "Upgrade", "TE", "Trailer", "Proxy-Connection",
    };
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++) {
        if (strcasecmp(name, hop[i]) == 0)
            return 1;
    }
    return 0;
}

static json_t *har_header(const char *name, const char *value)
{
    return json_pack("{s:s, s:s}", "name", name, "value", redact_is_secret_header(name) ? "<redacted>" : value);
}

static enum MHD_Result header_step(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    (void)kind;
    header_walk *w = cls;
    if (value == NULL || is_hop_header(name) || w->n == PROXY_MAX_FORWARDED_HEADERS)
        return MHD_YES;
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    if (line == NULL)
        return MHD_YES;
    snprintf(line, len, "%s: %s", name, value);
    w->owned[w->n] = line;
    w->lines[w->n++] = line;
    json_array_append_new(w->har, har_header(name, value));
    return MHD_YES;
}

/* Finds the apiKey of a body that is not JSON, so that the entry's last
 * pass still replaces it: "apiKey" then ':' then a string. */
static void learn_key_in_text(redactor *r, const char *text)
{
    const char *at = text != NULL ? strstr(text, "\"apiKey\"") : NULL;
    if (at == NULL)
        return;
    const char *v = strchr(at + 8, '"');
    const char *end = v != NULL ? strchr(v + 1, '"') : NULL;
    if (end == NULL || end - v > 512)
        return;
    char key[520];
    memcpy(key, v + 1, (size_t)(end - v - 1));
    key[end - v - 1] = '\0';
    char placeholder[32];
    redact_key(r, key, placeholder);
}

/* Builds the request half of the entry. */
static json_t *request_entry(proxy *p, const char *method, const char *url, const json_t *query_pairs,
                             json_t *har_headers, const request_state *state, const char *content_type)
{
    json_t *request = json_pack("{s:s, s:s, s:s, s:[], s:O, s:O, s:i, s:I}", "method", method, "url", url,
                                "httpVersion", "HTTP/1.1", "cookies", "headers", har_headers,
                                "queryString", query_pairs, "headersSize", -1, "bodySize",
                                (json_int_t)state->body.len);
    if (request == NULL || state->body.len == 0)
        return request;
    json_error_t jerr;
    json_t *body = json_loadb(state->body.data, state->body.len, 0, &jerr);
    char *text = NULL;
    if (body != NULL) {
        redact_json(p->redactor, body);
        text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(body);
    } else {
        learn_key_in_text(p->redactor, state->body.data);
        text = strndup(state->body.data, state->body.len);
    }
    json_object_set_new(request, "postData",
                        json_pack("{s:s, s:s?}", "mimeType", content_type != NULL ? content_type : "",
                                  "text", text));
    free(text);
    return request;
}

static void log_exchange(proxy *p, const exchange *x, long status, double ms)
{
    if (p->log == NULL)
        return;
    fprintf(p->log, "%s %s -> %ld %.1f ms\n", x->method, x->path, status, ms);
    fflush(p->log);
}

/* Completes the entry with the response (taken) and appends it to the
 * journal; frees the entry. */
static void record(exchange *x, json_t *response, double receive_ms)
{
    proxy *p = x->p;
    double total = monotonic_ms() - x->started_ms;
    long status = (long)json_integer_value(json_object_get(response, "status"));
    log_exchange(p, x, status, total);
    if (p->recorder == NULL || x->entry == NULL) {
        json_decref(response);
        return;
    }
    json_object_set_new(x->entry, "response", response);
    json_object_set_new(x->entry, "time", json_real(total));
    json_object_set_new(x->entry, "cache", json_object());
    json_object_set_new(x->entry, "timings", json_pack("{s:f, s:f, s:f}", "send", 0.0, "wait", x->wait_ms,
                                                       "receive", receive_ms));
    if (redact_entry_strings(p->redactor, x->entry) == 0)
        har_recorder_add(p->recorder, x->entry);
    json_decref(x->entry);
    x->entry = NULL;
}

static json_t *response_entry(const upstream_xfer *xfer, long status, const char *mime, json_int_t size,
                              const char *text)
{
    json_t *headers = json_array();
    for (size_t i = 0; i < upstream_header_count(xfer); i++) {
        const char *name = NULL;
        const char *value = NULL;
        upstream_header_at(xfer, i, &name, &value);
        json_array_append_new(headers, har_header(name, value));
    }
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    return json_pack("{s:I, s:s, s:s, s:[], s:o, s:{s:I, s:s, s:s?}, s:s, s:i, s:I}", "status", (json_int_t)status,
                     "statusText", reason != NULL ? reason : "", "httpVersion", "HTTP/1.1", "cookies", "headers",
                     headers, "content", "size", size, "mimeType", mime, "text", text, "redirectURL", "",
                     "headersSize", -1, "bodySize", size);
}

/* Points every string that starts with the upstream's base URL at the
 * proxy instead. Returns 1 if anything changed. */
static int rewrite_urls(proxy *p, json_t *node)
{
    int changed = 0;
    size_t base_len = strlen(p->upstream);
    if (json_is_string(node)) {
        const char *s = json_string_value(node);
        if (strncmp(s, p->upstream, base_len) == 0 && (s[base_len] == '/' || s[base_len] == '\0')) {
            strbuf url = STRBUF_INIT;
            strbuf_puts(&url, p->self);
            strbuf_puts(&url, s + base_len);
            if (!url.oom)
                json_string_set(node, url.data);
            strbuf_release(&url);
            return 1;
        }
        return 0;
    }
    const char *name = NULL;
    json_t *value = NULL;
    size_t i = 0;
    if (json_is_object(node)) {
        json_object_foreach(node, name, value)
            changed |= rewrite_urls(p, value);
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, value)
            changed |= rewrite_urls(p, value);
    }
    return changed;
}

static void copy_header(struct MHD_Response *response, const upstream_xfer *xfer, const char *name,
                        const char *override)
{
    const char *value = override != NULL ? override : upstream_header(xfer, name);
    if (value != NULL && value[0] != '\0')
        MHD_add_response_header(response, name, value);
}

/* The answer a client depends on, as the upstream sent it. */
static void copy_headers(struct MHD_Response *response, const upstream_xfer *xfer, const proxy_answer *answer)
{
    copy_header(response, xfer, "Content-Type", answer != NULL ? answer->content_type : NULL);
    copy_header(response, xfer, "Retry-After", answer != NULL ? answer->retry_after : NULL);
    copy_header(response, xfer, "Allow", NULL);
    copy_header(response, xfer, "Content-Disposition", NULL);
    copy_header(response, xfer, "Location", NULL);
    copy_header(response, xfer, "Cache-Control", NULL);
}

static void set_response_header(json_t *response, const char *name, const char *value)
{
    json_t *headers = json_object_get(response, "headers");
    size_t i = 0;
    json_t *h = NULL;
    json_array_foreach(headers, i, h) {
        if (strcasecmp(json_string_value(json_object_get(h, "name")), name) == 0) {
            if (value[0] == '\0')
                json_array_remove(headers, i);
            else
                json_object_set_new(h, "value", json_string(value));
            return;
        }
    }
    if (value[0] != '\0')
        json_array_append_new(headers, json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* A whole (JSON or error) answer: read, rewrite, send, record. */
static enum MHD_Result answer_buffered(proxy *p, struct MHD_Connection *connection, exchange *x,
                                       upstream_xfer *xfer)
{
    double body_started = monotonic_ms();
    strbuf body = STRBUF_INIT;
    char err[256];
    char block[PROXY_STREAM_BLOCK];
    for (;;) {
        ssize_t n = upstream_read(xfer, block, sizeof block, err, sizeof err);
        if (n < 0 || body.len + (size_t)(n > 0 ? n : 0) > PROXY_MAX_BUFFERED_BYTES) {
            strbuf_release(&body);
            json_decref(x->entry);
            x->entry = NULL;
            return send_error(connection, 502, n < 0 ? "proxy: the upstream's answer was cut" :
                              "proxy: the upstream's answer is larger than 64 MiB");
        }
        if (n == 0)
            break;
        strbuf_append(&body, block, (size_t)n);
    }
    long status = upstream_status(xfer);
    const char *ctype = upstream_header(xfer, "Content-Type");
    proxy_answer answer = {.method = x->method, .path = x->path, .status = status};
    snprintf(answer.content_type, sizeof answer.content_type, "%s", ctype != NULL ? ctype : "");
    const char *retry = upstream_header(xfer, "Retry-After");
    snprintf(answer.retry_after, sizeof answer.retry_after, "%s", retry != NULL ? retry : "");
    json_error_t jerr;
    answer.json = body.len > 0 ? json_loadb(body.data, body.len, 0, &jerr) : NULL;
    int changed = answer.json != NULL && rewrite_urls(p, answer.json);
    if (p->hooks.json_answer != NULL) {
        p->hooks.json_answer(p->hooks.cls, &answer);
        changed = 1;
    }
    if (changed && answer.json != NULL) {
        char *text = json_dumps(answer.json, JSON_COMPACT);
        strbuf_reset(&body);
        if (text != NULL)
            strbuf_puts(&body, text);
        free(text);
    }
    size_t len = body.len;
    char *data = strbuf_detach(&body);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data != NULL ? data : (char *)"", data != NULL ? MHD_RESPMEM_MUST_FREE
                                                                                           : MHD_RESPMEM_PERSISTENT);
    if (response == NULL) {
        free(data);
        json_decref(answer.json);
        return MHD_NO;
    }
    copy_headers(response, xfer, &answer);
    enum MHD_Result rc = MHD_queue_response(connection, (unsigned)answer.status, response);
    MHD_destroy_response(response);

    /* The HAR keeps the answer as the client got it, redacted. */
    char *recorded = NULL;
    if (answer.json != NULL) {
        redact_json(p->redactor, answer.json);
        recorded = json_dumps(answer.json, JSON_COMPACT | JSON_ENCODE_ANY);
    } else if (data != NULL) {
        recorded = strndup(data, len);
    }
    json_t *har = response_entry(xfer, answer.status, answer.content_type, (json_int_t)len, recorded);
    set_response_header(har, "Retry-After", answer.retry_after);
    set_response_header(har, "Content-Type", answer.content_type);
    free(recorded);
    json_decref(answer.json);
    record(x, har, monotonic_ms() - body_started);
    return rc;
}

static void keep(stream *s, const char *data, size_t n)
{
    if (s->x.p->recorder == NULL || s->truncated)
        return;
    size_t room = PROXY_RECORD_STREAM_CAP - s->kept.len;
    if (n > room) {
        n = room;
        s->truncated = 1;
    }
    strbuf_append(&s->kept, data, n);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *s = cls;
    char err[256];
    if (s->first) {
        /* The first block goes through the hook whole, then out. */
        s->first = 0;
        strbuf head = STRBUF_INIT;
        ssize_t n = upstream_read(s->xfer, buf, max, err, sizeof err);
        if (n <= 0) {
            s->failed = n < 0;
            return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
        }
        strbuf_append(&head, buf, (size_t)n);
        if (s->x.p->hooks.stream_head != NULL)
            s->x.p->hooks.stream_head(s->x.p->hooks.cls, s->x.path, &head);
        size_t len = head.len < max ? head.len : max;
        memcpy(buf, head.data, len);
        strbuf_release(&head);
        n = (ssize_t)len;
        csv_count_feed(&s->rows, buf, len);
        keep(s, buf, len);
        s->total += len;
        return n;
    }
    ssize_t n = upstream_read(s->xfer, buf, max, err, sizeof err);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0) {
        s->failed = 1;
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    csv_count_feed(&s->rows, buf, (size_t)n);
    keep(s, buf, (size_t)n);
    s->total += (size_t)n;
    return n;
}

/* Called once the streamed answer is done (sent, or the client left). */
static void stream_free(void *cls)
{
    stream *s = cls;
    if (s->x.entry != NULL) {
        double receive = monotonic_ms() - s->x.started_ms - s->x.wait_ms;
        const char *ctype = upstream_header(s->xfer, "Content-Type");
        /* Keep whole rows only, redacted. */
        if (s->truncated) {
            while (s->kept.len > 0 && s->kept.data[s->kept.len - 1] != '\n')
                s->kept.len--;
            if (s->kept.data != NULL)
                s->kept.data[s->kept.len] = '\0';
        }
        if (s->kept.data != NULL)
            redact_csv(s->kept.data, s->kept.len);
        json_t *har = response_entry(s->xfer, upstream_status(s->xfer), ctype != NULL ? ctype : "",
                                     (json_int_t)s->total, s->kept.data != NULL ? s->kept.data : "");
        json_t *content = json_object_get(har, "content");
        json_object_set_new(content, "_descovoRows", json_integer(csv_count_rows(&s->rows)));
        if (s->truncated)
            json_object_set_new(content, "comment", json_string("text cut to the first 1 MiB of whole rows; "
                                                                "_descovoRows counts every data row"));
        if (s->failed)
            json_object_set_new(content, "_descovoCut", json_true());
        record(&s->x, har, receive);
    }
    upstream_free(s->xfer);
    strbuf_release(&s->kept);
    free(s);
}

static int is_json_type(const char *ctype)
{
    return ctype == NULL || strstr(ctype, "json") != NULL;
}

static enum MHD_Result forward(proxy *p, struct MHD_Connection *connection, request_state *state,
                               const char *url, const char *method)
{
    enum MHD_Result rc = MHD_NO;
    query_walk q = {STRBUF_INIT, json_array(), p->redactor};
    header_walk h = {.har = json_array()};
    strbuf target = STRBUF_INIT;
    strbuf recorded_url = STRBUF_INIT;
    exchange x = {.p = p, .started_ms = monotonic_ms()};
    snprintf(x.method, sizeof x.method, "%s", method);
    snprintf(x.path, sizeof x.path, "%s", url);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, query_step, &q);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, header_step, &h);
    strbuf_printf(&target, "%s%s%s%s", p->upstream, url, q.raw.len > 0 ? "?" : "", q.raw.len > 0 ? q.raw.data : "");
    strbuf_printf(&recorded_url, "%s%s%s", p->upstream, url, json_array_size(q.pairs) > 0 ? "?" : "");
    encode_pairs(q.pairs, &recorded_url);
    if (target.oom || recorded_url.oom || q.raw.oom || q.pairs == NULL || h.har == NULL) {
        rc = send_error(connection, 500, "proxy: out of memory");
        goto out;
    }
    char started[32];
    iso_now(started);
    const char *ctype = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Type");
    if (p->recorder != NULL) {
        json_t *request = request_entry(p, method, recorded_url.data, q.pairs, h.har, state, ctype);
        x.entry = json_pack("{s:s, s:o}", "startedDateTime", started, "request", request);
    }
    upstream_request req = {
        .method = method,
        .url = target.data,
        .body = state->body.data,
        .body_len = state->body.len,
        .headers = h.lines,
        .n_headers = h.n,
    };
    char err[CURL_ERROR_SIZE + 64];
    upstream_xfer *xfer = upstream_start(&req, err, sizeof err);
    if (xfer == NULL) {
        char message[CURL_ERROR_SIZE + 1200];
        snprintf(message, sizeof message, "proxy: no answer from the upstream %s: %s", p->upstream, err);
        log_exchange(p, &x, 502, monotonic_ms() - x.started_ms);
        json_decref(x.entry);
        rc = send_error(connection, 502, message);
        goto out;
    }
    x.wait_ms = upstream_wait_ms(xfer);
    const char *answer_type = upstream_header(xfer, "Content-Type");
    if (is_json_type(answer_type) || upstream_status(xfer) != 200) {
        rc = answer_buffered(p, connection, &x, xfer);
        upstream_free(xfer);
        goto out;
    }
    stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        upstream_free(xfer);
        json_decref(x.entry);
        goto out;
    }
    s->x = x;
    s->xfer = xfer;
    s->first = 1;
    s->rows = (csv_count)CSV_COUNT_INIT;
    struct MHD_Response *response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, PROXY_STREAM_BLOCK, stream_read, s, stream_free);
    if (response == NULL) {
        stream_free(s);
        goto out;
    }
    copy_headers(response, xfer, NULL);
    rc = MHD_queue_response(connection, (unsigned)upstream_status(xfer), response);
    MHD_destroy_response(response);
out:
    for (size_t i = 0; i < h.n; i++)
        free(h.owned[i]);
    json_decref(h.har);
    json_decref(q.pairs);
    strbuf_release(&q.raw);
    strbuf_release(&target);
    strbuf_release(&recorded_url);
    return rc;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    (void)version;
    proxy *p = cls;
    request_state *state = *con_cls;
    if (state == NULL) {
        state = calloc(1, sizeof *state);
        if (state == NULL)
            return MHD_NO;
        *con_cls = state;
        return MHD_YES;
    }
    if (http_body_take(&state->body, &state->too_large, PROXY_MAX_REQUEST_BYTES, upload_data, upload_data_size))
        return MHD_YES;
    if (strncmp(url, "/_mock/", 7) == 0 || strcmp(url, "/_mock") == 0) {
        if (strcmp(url, "/_mock/health") == 0 && strcmp(method, "GET") == 0)
            return send_json(connection, 200,
                             json_pack("{s:{s:s, s:s, s:s?}}", "output", "status", "proxy", "upstream", p->upstream,
                                       "recording", p->recorder != NULL ? p->record_path : NULL));
        return send_error(connection, 404, "descovo-mock is running as a recording proxy: the /_mock/ control "
                          "plane is not served (GET /_mock/health says where it forwards)");
    }
    if (strncmp(url, "/v1/", 4) != 0)
        return send_error(connection, 404, "descovo-mock is running as a recording proxy: only /v1/ is forwarded");
    if (state->too_large || state->body.oom)
        return send_error(connection, 413, "proxy: the request body is larger than 8 MiB");
    return forward(p, connection, state, url, method);
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    request_state *state = *con_cls;
    if (state == NULL)
        return;
    strbuf_release(&state->body);
    free(state);
    *con_cls = NULL;
}

proxy *proxy_start(const proxy_options *options, proxy_start_failure *why, char *err, size_t errlen)
{
    *why = PROXY_FAILED_USAGE;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options->port);
    const char *ip = strcmp(options->host, "localhost") == 0 ? "127.0.0.1" : options->host;
    if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "--host: expected an IPv4 address such as 127.0.0.1, got \"%s\"", options->host);
        return NULL;
    }
    if (strncmp(options->upstream, "http://", 7) != 0 && strncmp(options->upstream, "https://", 8) != 0) {
        snprintf(err, errlen, "--upstream: expected an http:// or https:// base URL, got \"%s\"", options->upstream);
        return NULL;
    }
    proxy *p = calloc(1, sizeof *p);
    if (p == NULL) {
        *why = PROXY_FAILED_MEMORY;
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int n = snprintf(p->upstream, sizeof p->upstream, "%s", options->upstream);
    if (n < 0 || (size_t)n >= sizeof p->upstream) {
        snprintf(err, errlen, "--upstream: the URL is longer than %zu bytes", sizeof p->upstream - 1);
        goto fail;
    }
    while (n > 0 && p->upstream[n - 1] == '/')
        p->upstream[--n] = '\0';
    p->log = options->log;
    p->hooks = options->hooks;
    p->redactor = redactor_new();
    if (p->redactor == NULL) {
        *why = PROXY_FAILED_MEMORY;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (options->record_path != NULL) {
        snprintf(p->record_path, sizeof p->record_path, "%s", options->record_path);
        p->recorder = har_recorder_open(options->record_path, options->version, err, errlen);
        if (p->recorder == NULL) {
            *why = PROXY_FAILED_RECORD;
            goto fail;
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    p->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, p,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_CONNECTION_LIMIT, PROXY_CONNECTION_LIMIT,
                                 MHD_OPTION_CONNECTION_TIMEOUT, PROXY_CONNECTION_TIMEOUT_S,
                                 MHD_OPTION_NOTIFY_COMPLETED, request_completed, p,
                                 MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                                 MHD_OPTION_END);
    if (p->daemon == NULL) {
        *why = PROXY_FAILED_LISTEN;
        snprintf(err, errlen, "cannot listen on %s:%u (address in use, or not an address of this machine)",
                 options->host, options->port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(p->self, sizeof p->self, "http://%s:%u", ip, info != NULL ? info->port : options->port);
    return p;
fail:
    if (p->recorder != NULL) {
        char ignored[64];
        har_recorder_close(p->recorder, ignored, sizeof ignored);
    }
    redactor_free(p->redactor);
    free(p);
    return NULL;
}

const char *proxy_url(const proxy *p)
{
    return p->self;
}

long proxy_stop(proxy *p, char *err, size_t errlen)
{
    if (p == NULL)
        return 0;
    MHD_stop_daemon(p->daemon);
    long n = har_recorder_close(p->recorder, err, errlen);
    redactor_free(p->redactor);
    free(p);
    return n;
}
