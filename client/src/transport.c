/* One HTTP exchange over the client's reused curl handle. Knows nothing of
 * JSON or retries: it reports the status, the Retry-After header and the
 * body (in memory, or streamed to a file for 2xx answers). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

typedef struct sink_state {
    descovo_client *c;
    transport_result *res;
    FILE *file;                /* 2xx bodies go here when set */
    size_t cap;
} sink_state;

static int answer_is_success(CURL *curl)
{
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    sink_state *s = ctx;
    size_t len = size * n;
    transport_result *res = s->res;
    if (s->file != NULL && answer_is_success(s->c->curl)) {
        if (fwrite(data, 1, len, s->file) != len) {
            res->write_failed = 1;
            return 0;
        }
        return len;
    }
    if (res->body_len + len > (size_t)DESCOVO_MAX_BODY_BYTES) {
        res->too_large = 1;
        return 0;
    }
    if (res->body_len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < res->body_len + len + 1)
            cap *= 2;
        char *grown = realloc(res->body, cap);
        if (grown == NULL) {
            res->write_failed = 1;
            return 0;
        }
        res->body = grown;
        s->cap = cap;
    }
    memcpy(res->body + res->body_len, data, len);
    res->body_len += len;
    res->body[res->body_len] = '\0';
    return len;
}

/* Notes whether the answer carries Retry-After; the value is read through
 * CURLINFO_RETRY_AFTER, which also understands HTTP dates. A new status
 * line (a redirect or 100-continue) starts over. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    transport_result *res = ctx;
    size_t len = size * n;
    static const char name[] = "Retry-After:";
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
        res->has_retry_after = 0;
    else if (len > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
        res->has_retry_after = 1;
    return len;
}

/* Sets the method explicitly: options persist between requests on one
 * handle, so every request undoes what the previous one set. */
static void set_method(CURL *curl, const transport_request *req)
{
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);
    if (req->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        if (strcmp(req->method, "GET") != 0)
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    }
}

int transport_perform(descovo_client *c, const transport_request *req, transport_result *res)
{
    memset(res, 0, sizeof *res);
    CURL *curl = c->curl;
    sink_state sink = {.c = c, .res = res, .file = req->sink};
    struct curl_slist *headers = NULL;
    struct curl_slist *grown = NULL;

    if (req->sink != NULL) {
        /* A retried download starts the file over. */
        fflush(req->sink);
        if (ftruncate(fileno(req->sink), 0) != 0 || fseek(req->sink, 0, SEEK_SET) != 0) {
            res->code = CURLE_WRITE_ERROR;
            res->write_failed = 1;
            snprintf(c->curl_errbuf, sizeof c->curl_errbuf, "cannot rewind the output file");
            return -1;
        }
    }
    c->curl_errbuf[0] = '\0';
    /* A failed append only loses a header; the request still goes out. */
    grown = curl_slist_append(headers, req->sink != NULL ? "Accept: */*" : "Accept: application/json");
    if (grown != NULL)
        headers = grown;
    if (req->body != NULL) {
        grown = curl_slist_append(headers, "Content-Type: application/json");
        if (grown != NULL)
            headers = grown;
    }
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
    set_method(curl, req);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->curl_errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, res);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

    res->code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    curl_off_t total_us = 0;
    if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK)
        res->duration_ms = (int64_t)(total_us / 1000);
    if (res->code != CURLE_OK)
        return -1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (res->has_retry_after) {
        curl_off_t after = 0;
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &after) != CURLE_OK)
            after = 0;
        /* 7.88 reports a date in the past as a negative delay. */
        res->retry_after = after < 0 ? 0 : after > 86400 ? 86400 : (long)after;
    }
    if (req->sink != NULL && fflush(req->sink) != 0) {
        res->code = CURLE_WRITE_ERROR;
        res->write_failed = 1;
        return -1;
    }
    return 0;
}

void transport_result_free(transport_result *res)
{
    if (res == NULL)
        return;
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
}
