#include "proxy/upstream.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "text/strbuf.h"

#define UPSTREAM_MAX_HEADERS 64
#define POLL_MS 100

typedef struct header {
    char *name;
    char *value;
} header;

struct upstream_xfer {
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    header received[UPSTREAM_MAX_HEADERS];
    size_t n_received;
    long status;
    int headers_done;
    int done;                    /* the transfer finished (see result) */
    CURLcode result;
    strbuf pending;              /* body bytes not handed over yet */
    size_t pending_off;
    double started_ms;
    double wait_ms;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void clear_headers(upstream_xfer *x)
{
    for (size_t i = 0; i < x->n_received; i++) {
        free(x->received[i].name);
        free(x->received[i].value);
    }
    x->n_received = 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *cls)
{
    upstream_xfer *x = cls;
    size_t len = size * n;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        clear_headers(x); /* a new response: a 1xx came before */
        return len;
    }
    if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200) {
            x->status = status;
            x->headers_done = 1;
            x->wait_ms = now_ms() - x->started_ms;
        }
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (colon == NULL || x->n_received == UPSTREAM_MAX_HEADERS)
        return len;
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1;
    const char *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    header *h = &x->received[x->n_received];
    h->name = strndup(data, name_len);
    h->value = strndup(v, (size_t)(end - v));
    if (h->name == NULL || h->value == NULL) {
        free(h->name);
        free(h->value);
        return 0; /* out of memory: abort the transfer */
    }
    x->n_received++;
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *cls)
{
    upstream_xfer *x = cls;
    strbuf_append(&x->pending, data, size * n);
    return x->pending.oom ? 0 : size * n;
}

/* One step of the transfer: perform, then wait for the socket at most
 * POLL_MS. Returns 0, or -1 when the transfer failed. */
static int step(upstream_xfer *x)
{
    int running = 0;
    CURLMcode mc = curl_multi_perform(x->multi, &running);
    if (mc != CURLM_OK) {
        snprintf(x->errbuf, sizeof x->errbuf, "%s", curl_multi_strerror(mc));
        x->done = 1;
        x->result = CURLE_RECV_ERROR;
        return -1;
    }
    int left = 0;
    CURLMsg *msg = NULL;
    while ((msg = curl_multi_info_read(x->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            x->done = 1;
            x->result = msg->data.result;
        }
    }
    if (x->done)
        return x->result == CURLE_OK ? 0 : -1;
    if (running > 0)
        curl_multi_poll(x->multi, NULL, 0, POLL_MS, NULL);
    return 0;
}

static void fail_message(const upstream_xfer *x, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(x->result));
}

upstream_xfer *upstream_start(const upstream_request *req, char *err, size_t errlen)
{
    upstream_xfer *x = calloc(1, sizeof *x);
    if (x == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->started_ms = now_ms();
    x->multi = curl_multi_init();
    x->easy = curl_easy_init();
    if (x->multi == NULL || x->easy == NULL) {
        snprintf(err, errlen, "cannot start a libcurl transfer");
        goto fail;
    }
    for (size_t i = 0; i < req->n_headers; i++)
        x->headers = curl_slist_append(x->headers, req->headers[i]);
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    x->headers = curl_slist_append(x->headers, "Expect:");
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(req->method, "HEAD") == 0 ? "HEAD" : NULL);
        curl_easy_setopt(e, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ? 1L : 0L);
    } else {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body != NULL ? req->body_len : 0));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, UPSTREAM_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, UPSTREAM_TOTAL_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL); /* bodies pass as sent, never re-encoded */
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_multi_add_handle(x->multi, e);
    while (!x->headers_done && !x->done) {
        if (step(x) != 0)
            break;
    }
    if (!x->headers_done) {
        if (x->result == CURLE_OK && x->errbuf[0] == '\0')
            snprintf(x->errbuf, sizeof x->errbuf, "the upstream closed the connection without an answer");
        fail_message(x, err, errlen);
        goto fail;
    }
    return x;
fail:
    upstream_free(x);
    return NULL;
}

long upstream_status(const upstream_xfer *x)
{
    return x->status;
}

size_t upstream_header_count(const upstream_xfer *x)
{
    return x->n_received;
}

void upstream_header_at(const upstream_xfer *x, size_t i, const char **name, const char **value)
{
    *name = x->received[i].name;
    *value = x->received[i].value;
}

const char *upstream_header(const upstream_xfer *x, const char *name)
{
    for (size_t i = 0; i < x->n_received; i++) {
        if (strcasecmp(x->received[i].name, name) == 0)
            return x->received[i].value;
    }
    return NULL;
}

ssize_t upstream_read(upstream_xfer *x, char *buf, size_t max, char *err, size_t errlen)
{
    while (x->pending_off == x->pending.len) {
        strbuf_reset(&x->pending);
        x->pending_off = 0;
        if (x->done) {
            if (x->result != CURLE_OK) {
                fail_message(x, err, errlen);
                return -1;
            }
            return 0;
        }
        if (step(x) != 0 && x->pending.len == 0) {
            fail_message(x, err, errlen);
            return -1;
        }
    }
    size_t n = x->pending.len - x->pending_off;
    if (n > max)
        n = max;
    memcpy(buf, x->pending.data + x->pending_off, n);
    x->pending_off += n;
    return (ssize_t)n;
}

double upstream_wait_ms(const upstream_xfer *x)
{
    return x->wait_ms;
}

void upstream_free(upstream_xfer *x)
{
    if (x == NULL)
        return;
    if (x->multi != NULL && x->easy != NULL)
        curl_multi_remove_handle(x->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_multi_cleanup(x->multi);
    curl_slist_free_all(x->headers);
    clear_headers(x);
    strbuf_release(&x->pending);
    free(x);
}
