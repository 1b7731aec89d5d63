/* wire: one HTTP exchange, reported as it came. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

struct wire {
    CURL *curl;
    long timeout_ms;
    char errbuf[CURL_ERROR_SIZE];
};

typedef struct body_sink {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} body_sink;

wire *wire_new(long timeout_ms)
{
    wire *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->curl = curl_easy_init();
    if (w->curl == NULL) {
        free(w);
        return NULL;
    }
    w->timeout_ms = timeout_ms;
    return w;
}

void wire_free(wire *w)
{
    if (w == NULL)
        return;
    curl_easy_cleanup(w->curl);
    free(w);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    body_sink *sink = ctx;
    size_t len = size * n;
    if (sink->len + len + 1 > (size_t)WIRE_MAX_BODY_BYTES) {
        sink->failed = 1;
        return 0;
    }
    if (sink->len + len + 1 > sink->cap) {
        size_t cap = sink->cap != 0 ? sink->cap : 4096;
        while (cap < sink->len + len + 1)
            cap *= 2;
        char *grown = realloc(sink->data, cap);
        if (grown == NULL) {
            sink->failed = 1;
            return 0;
        }
        sink->data = grown;
        sink->cap = cap;
    }
    memcpy(sink->data + sink->len, data, len);
    sink->len += len;
    sink->data[sink->len] = '\0';
    return len;
}

/* Copies the value of header `name` (with its colon) when line is it. */
static int take_header(const char *line, size_t len, const char *name, char *dst, size_t size)
{
    size_t name_len = strlen(name);
    if (len < name_len || strncasecmp(line, name, name_len) != 0)
        return 0;
    const char *v = line + name_len;
    size_t vlen = len - name_len;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    snprintf(dst, size, "%.*s", (int)vlen, v);
    return 1;
}

/* Keeps the headers of the final answer only: a new status line (after a
 * 100-continue) starts over. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    wire_response *res = ctx;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        res->has_retry_after = 0;
        res->retry_after[0] = '\0';
        res->content_type[0] = '\0';
        res->allow[0] = '\0';
    } else if (take_header(data, len, "Retry-After:", res->retry_after, sizeof res->retry_after)) {
        res->has_retry_after = 1;
    } else if (!take_header(data, len, "Content-Type:", res->content_type, sizeof res->content_type)) {
        take_header(data, len, "Allow:", res->allow, sizeof res->allow);
    }
    return len;
}

int wire_send(wire *w, const char *method, const char *url, const char *body,
              wire_response *out, char *err, size_t errlen)
{
    CURL *c = w->curl;
    body_sink sink = {0};
    struct curl_slist *headers = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    w->errbuf[0] = '\0';
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, w->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, w->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "descovo-conformance");
    if (body != NULL) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        if (headers == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    }
    CURLcode code = curl_easy_perform(c);
    if (code != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", method, url,
                 sink.failed ? "response too large or out of memory"
                 : w->errbuf[0] != '\0' ? w->errbuf : curl_easy_strerror(code));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (sink.data == NULL) {
        sink.data = calloc(1, 1);
        if (sink.data == NULL) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    out->body = sink.data;
    out->len = sink.len;
    sink.data = NULL;
    json_error_t jerr;
    out->json = json_loadb(out->body, out->len, JSON_REJECT_DUPLICATES, &jerr);
    if (out->json == NULL)
        snprintf(out->json_error, sizeof out->json_error, "%.160s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
    rc = 0;
out:
    curl_slist_free_all(headers);
    free(sink.data);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void wire_response_clear(wire_response *res)
{
    if (res == NULL)
        return;
    json_decref(res->json);
    free(res->body);
    memset(res, 0, sizeof *res);
}

int wire_add_query(char *url, size_t size, const char *name, const char *value)
{
    char *escaped = curl_easy_escape(NULL, value, 0);
    if (escaped == NULL)
        return -1;
    size_t used = strlen(url);
    const char *sep = strchr(url, '?') != NULL ? "&" : "?";
    int n = snprintf(url + used, size - used, "%s%s=%s", sep, name, escaped);
    curl_free(escaped);
    if (n < 0 || (size_t)n >= size - used) {
        url[used] = '\0';
        return -1;
    }
    return 0;
}
