/* descovo-broken-proxy: a test-only HTTP proxy that breaks the contract on
 * purpose. It sits between the conformance suite and a real descovo-mock
 * and plants one defect per mode, so CTest can show the suite catches it.
 * It is never built into the product and has no use outside the tests.
 *
 *   descovo-broken-proxy --mode MODE --upstream URL [--owner-key KEY]
 *
 * It prints "... listening on http://127.0.0.1:PORT" as its first line and
 * serves until SIGTERM or SIGINT. Every mode rewrites the downloadUrl of
 * export answers to point at the proxy, so downloads pass through it too. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "proxy.h"

/* ---- forwarding ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    buffer *b = ctx;
    size_t len = size * n;
    if (b->len + len > (size_t)MAX_BODY_BYTES)
        return 0;
    char *grown = realloc(b->data, b->len + len + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->len, data, len);
    b->data = grown;
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

static void header_value(const char *line, size_t len, const char *name, char *dst, size_t size)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0)
        return;
    line += n;
    len -= n;
    while (len > 0 && *line == ' ') {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    snprintf(dst, size, "%.*s", (int)len, line);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    exchange *x = ctx;
    size_t len = size * n;
    header_value(data, len, "Content-Type:", x->content_type, sizeof x->content_type);
    header_value(data, len, "Retry-After:", x->retry_after, sizeof x->retry_after);
    header_value(data, len, "Allow:", x->allow, sizeof x->allow);
    header_value(data, len, "Content-Disposition:", x->disposition, sizeof x->disposition);
    return len;
}

int upstream_call(proxy *p, const char *method, const char *path_and_query, const buffer *body,
                         exchange *out)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char url[4096];
    snprintf(url, sizeof url, "%s%s", p->upstream, path_and_query);
    struct curl_slist *headers = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->response);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (body != NULL && body->data != NULL) {
        headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

typedef struct query_builder {
    char *buf;
    size_t size;
    exchange *x;
} query_builder;

static enum MHD_Result add_arg(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_builder *q = ctx;
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = curl_easy_escape(NULL, value != NULL ? value : "", 0);
    size_t used = strlen(q->buf);
    if (k != NULL && v != NULL)
        snprintf(q->buf + used, q->size - used, "%s%s=%s", used == 0 ? "?" : "&", k, v);
    if (strcmp(key, "apiKey") == 0 && value != NULL)
        snprintf(q->x->query_key, sizeof q->x->query_key, "%s", value);
    curl_free(k);
    curl_free(v);
    return MHD_YES;
}

/* Points an export's downloadUrl at the proxy. */
static void rewrite_download_url(proxy *p, exchange *x)
{
    if (!is(x, "POST", "/v1/audiences/*/export/*") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    json_t *out = json_object_get(v, "output");
    const char *url = json_string_value(json_object_get(out, "downloadUrl"));
    size_t n = strlen(p->upstream);
    if (url != NULL && strncmp(url, p->upstream, n) == 0) {
        char moved[1024];
        snprintf(moved, sizeof moved, "%s%s", p->self, url + n);
        json_object_set_new(out, "downloadUrl", json_string(moved));
        set_json(&x->response, v);
    }
    json_decref(v);
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, exchange *x)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(x->response.len, x->response.data,
                                                             MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO;
    x->response.data = NULL;
    if (x->content_type[0] != '\0')
        MHD_add_response_header(r, "Content-Type", x->content_type);
    if (x->retry_after[0] != '\0')
        MHD_add_response_header(r, "Retry-After", x->retry_after);
    if (x->allow[0] != '\0')
        MHD_add_response_header(r, "Allow", x->allow);
    if (x->disposition[0] != '\0')
        MHD_add_response_header(r, "Content-Disposition", x->disposition);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)x->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    proxy *p = cls;
    exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof *x);
        if (x == NULL)
            return MHD_NO;
        *con_cls = x;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (on_body((char *)upload, 1, *upload_size, &x->request) != *upload_size)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    x->method = method;
    x->path = url;
    query_builder q = {x->query, sizeof x->query, x};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    if (p->mode->before != NULL)
        p->mode->before(p, x);
    char target[4096];
    snprintf(target, sizeof target, "%s%s", x->path, x->query);
    int has_body = strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0 && x->request.data != NULL;
    if (upstream_call(p, method, target, has_body ? &x->request : NULL, x) != 0) {
        x->status = 502;
        set_body(&x->response, "{\"error\":{\"code\":502,\"message\":\"proxy: upstream failed\"}}");
        snprintf(x->content_type, sizeof x->content_type, "application/json");
    }
    rewrite_download_url(p, x);
    if (p->mode->after != NULL)
        p->mode->after(p, x);
    return send_answer(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    exchange *x = *con_cls;
    if (x == NULL)
        return;
    free(x->request.data);
    free(x->response.data);
    free(x);
    *con_cls = NULL;
}

static const mode passthrough = {"passthrough", "none: every answer as the mock gave it", NULL, NULL};

static const mode_table *const tables[] = {
    &defects_contract, &defects_echoes, &defects_money, &defects_records, &defects_progress,
};

/* The mode named name, or NULL. */
static const mode *find_mode(const char *name)
{
    if (name == NULL)
        return NULL;
    if (strcmp(name, passthrough.name) == 0)
        return &passthrough;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < tables[t]->n; i++)
            if (strcmp(tables[t]->modes[i].name, name) == 0)
                return &tables[t]->modes[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: descovo-broken-proxy --mode MODE --upstream URL [--owner-key KEY]\n"
                 "A test-only proxy that plants one contract defect. Modes:\n");
    fprintf(out, "  %-32s %s\n", passthrough.name, passthrough.defect);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < tables[t]->n; i++)
            fprintf(out, "  %-32s %s\n", tables[t]->modes[i].name, tables[t]->modes[i].defect);
}

int main(int argc, char **argv)
{
    static proxy p;
    const char *mode_name = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mode") == 0)
            mode_name = argv[i + 1];
        else if (strcmp(argv[i], "--upstream") == 0)
            snprintf(p.upstream, sizeof p.upstream, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--owner-key") == 0)
            snprintf(p.owner_key, sizeof p.owner_key, "%s", argv[i + 1]);
    }
    p.mode = find_mode(mode_name);
    if (p.mode == NULL || p.upstream[0] == '\0') {
        usage(stderr);
        return 2;
    }
    pthread_mutex_init(&p.lock, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                            NULL, NULL, on_request, &p, MHD_OPTION_SOCK_ADDR, &addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "descovo-broken-proxy: cannot start\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(p.self, sizeof p.self, "http://127.0.0.1:%u", (unsigned)info->port);
    printf("descovo-broken-proxy listening on %s (mode %s: %s)\n", p.self, p.mode->name, p.mode->defect);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    curl_global_cleanup();
    pthread_mutex_destroy(&p.lock);
    return 0;
}
