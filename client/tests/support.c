#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

/* ---- The mock ---- */

test_mock *test_mock_start(mock_configure_fn configure)
{
    test_mock *m = calloc(1, sizeof *m);
    assert_non_null(m);
    mock_options options;
    mock_options_default(&options);
    options.port = 0;
    options.quiet = 1;
    options.clock_mode = MOCK_CLOCK_MANUAL;
    options.companies = 400;
    options.threads = 2;
    if (configure != NULL)
        configure(&options);
    char err[512] = "";
    m->app = mock_app_new(&options, err, sizeof err);
    if (m->app == NULL || mock_app_start(m->app, err, sizeof err) != 0)
        fail_msg("cannot start descovo-mock: %s", err);
    snprintf(m->base_url, sizeof m->base_url, "%s", mock_app_base_url(m->app));
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    descovo_options o;
    descovo_options_init(&o);
    o.base_url = m->base_url;
    o.retry.max_attempts = 1;
    m->control = descovo_client_new(&o);
    assert_non_null(m->control);
    return m;
}

void test_mock_stop(test_mock *m)
{
    if (m == NULL)
        return;
    descovo_client_free(m->control);
    mock_app_free(m->app);
    curl_global_cleanup();
    free(m);
}

static void control(test_mock *m, const char *method, const char *path, const char *json)
{
    json_t *body = NULL;
    if (json != NULL) {
        body = json_loads(json, 0, NULL);
        assert_non_null(body);
    }
    json_t *answer = descovo_request(m->control, method, path, body);
    if (answer == NULL)
        fail_msg("%s %s: %s", method, path, descovo_last_error(m->control)->message);
    json_decref(answer);
    json_decref(body);
}

void test_mock_reset(test_mock *m)
{
    control(m, "POST", "/_mock/reset", NULL);
}

void test_mock_put_account(test_mock *m, const char *key, const char *json)
{
    char path[256];
    snprintf(path, sizeof path, "/_mock/accounts/%s", key);
    control(m, "PUT", path, json);
}

void test_mock_advance_ms(test_mock *m, int64_t ms)
{
    char body[64];
    snprintf(body, sizeof body, "{\"seconds\": %.3f}", (double)ms / 1000.0);
    control(m, "POST", "/_mock/clock/advance", body);
}

/* ---- The test clock ---- */

static int64_t clock_now(void *ctx)
{
    return ((test_clock *)ctx)->now_ms;
}

static void clock_sleep(void *ctx, int64_t ms)
{
    test_clock *t = ctx;
    t->now_ms += ms;
    t->slept_ms += ms;
    t->last_sleep_ms = ms;
    t->sleeps++;
    if (t->mock != NULL)
        test_mock_advance_ms(t->mock, ms);
}

static uint32_t clock_random(void *ctx)
{
    return ((test_clock *)ctx)->random_value;
}

void test_client_options(descovo_options *o, const char *base_url, const char *key, test_clock *clock)
{
    descovo_options_init(o);
    o->base_url = base_url;
    o->api_key = key;
    o->timeout_ms = 20000;
    if (clock != NULL) {
        o->now_ms = clock_now;
        o->sleep_ms = clock_sleep;
        o->random = clock_random;
        o->time_ctx = clock;
    }
}

descovo_client *test_client_new(const char *base_url, const char *key, test_clock *clock)
{
    descovo_options o;
    test_client_options(&o, base_url, key, clock);
    descovo_client *c = descovo_client_new(&o);
    assert_non_null(c);
    return c;
}

/* ---- The fake server ---- */

/* Reads one request: the headers and a Content-Length body, so that closing
 * afterwards is a clean FIN (no RST for unread data). */
static void read_request(int fd)
{
    char buf[8192];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 2000) <= 0)
            return;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL) {
            if (len == sizeof buf - 1)
                return;
            continue;
        }
        size_t body = 0;
        for (const char *h = buf; h < end; h++) {
            if (strncasecmp(h, "\r\nContent-Length:", 17) == 0)
                body = strtoul(h + 17, NULL, 10);
        }
        if (len >= (size_t)(end + 4 - buf) + body || len == sizeof buf - 1)
            return;
    }
}

static void *fake_main(void *arg)
{
    fake_server *s = arg;
    while (!s->stop) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int conn = accept(s->fd, NULL, NULL);
        if (conn < 0)
            continue;
        int i = s->connections < s->n_actions ? s->connections : s->n_actions - 1;
        s->connections++;
        read_request(conn);
        const fake_action *a = &s->actions[i];
        char raw[4096];
        int len = a->status == NULL ? -1
            : snprintf(raw, sizeof raw, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       a->status, a->headers != NULL ? a->headers : "", strlen(a->body), a->body);
        if (len > 0 && (size_t)len < sizeof raw) {
            size_t off = 0;
            while (off < (size_t)len) {
                ssize_t n = write(conn, raw + off, (size_t)len - off);
                if (n <= 0)
                    break;
                off += (size_t)n;
            }
        }
        shutdown(conn, SHUT_RDWR);
        close(conn);
    }
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t alen = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

void fake_server_start(fake_server *s, const fake_action *actions, int n_actions)
{
    memset(s, 0, sizeof *s);
    s->fd = listen_loopback(&s->port);
    assert_int_equal(listen(s->fd, 16), 0);
    s->actions = actions;
    s->n_actions = n_actions;
    snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, fake_main, s), 0);
}

void fake_server_stop(fake_server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
}

int test_closed_port(void)
{
    int port = 0;
    int fd = listen_loopback(&port);
    close(fd);
    return port;
}
