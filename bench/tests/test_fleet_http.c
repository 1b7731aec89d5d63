/* fleet_http: the fleet's connection against a scripted server on
 * 127.0.0.1 (a thread that reads each request and answers as the test
 * says, byte by byte): the request as sent, answers split across reads,
 * keep-alive and Connection: close, a kept connection the server dropped
 * (sent again once, never twice), malformed and cut-short answers, bytes
 * after the answer, a refused connect and a passed deadline are errors,
 * and the next request works on a new connection. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet_http.h"

typedef enum action_kind {
    END,          /* no more on this connection: wait for the client to close it */
    ANSWER,       /* read a request, write text a byte at a time */
    ANSWER_WHOLE, /* read a request, write text in one send */
    CLOSE,        /* read a request, close without answering */
    DROP,         /* close now, without reading (and tell the test) */
    HOLD,         /* read a request, answer nothing until the client closes */
} action_kind;

typedef struct action {
    action_kind kind;
    const char *text;
} action;

#define MAX_CONNS 4
#define MAX_ACTIONS 4

typedef struct server {
    int listener;
    int port;
    action script[MAX_CONNS][MAX_ACTIONS];
    int conns;              /* connections accepted */
    char requests[4096];    /* every request read, in order */
    size_t requests_len;
    int dropped[2];         /* a pipe: DROP writes a byte once it closed */
    pthread_t thread;
} server;

static void append_request(server *s, const char *text, size_t n)
{
    if (n > sizeof s->requests - 1 - s->requests_len)
        n = sizeof s->requests - 1 - s->requests_len;
    memcpy(s->requests + s->requests_len, text, n);
    s->requests_len += n;
    s->requests[s->requests_len] = '\0';
}

/* Reads one request (head and Content-Length body); 0, or -1 at EOF. */
static int read_request(server *s, int fd)
{
    char buf[2048];
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        const char *cl = strcasestr(buf, "Content-Length:");
        size_t body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
        if (len >= (size_t)(end + 4 - buf) + body) {
            append_request(s, buf, len);
            return 0;
        }
    }
}

static void write_all(int fd, const char *text, size_t len, int byte_by_byte)
{
    for (size_t at = 0; at < len;) {
        ssize_t n = send(fd, text + at, byte_by_byte ? 1 : len - at, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        at += (size_t)n;
    }
}

static void *serve(void *arg)
{
    server *s = arg;
    for (int c = 0; c < MAX_CONNS && s->script[c][0].kind != END; c++) {
        int fd = accept(s->listener, NULL, NULL);
        if (fd < 0)
            return NULL;
        s->conns++;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int open = 1;
        for (int a = 0; a < MAX_ACTIONS && open && s->script[c][a].kind != END; a++) {
            const action *act = &s->script[c][a];
            if (act->kind == DROP) {
                close(fd);
                open = 0;
                if (write(s->dropped[1], "x", 1) != 1)
                    return NULL;
                break;
            }
            if (read_request(s, fd) != 0)
                break;
            if (act->kind == ANSWER || act->kind == ANSWER_WHOLE)
                write_all(fd, act->text, strlen(act->text), act->kind == ANSWER);
            if (act->kind == CLOSE) {
                close(fd);
                open = 0;
            }
        }
        if (open) {
            /* Until the client closes (HOLD and END alike). */
            char buf[256];
            while (recv(fd, buf, sizeof buf, 0) > 0)
                ;
            close(fd);
        }
    }
    return NULL;
}

static server *start_server(const action script[][MAX_ACTIONS], int n_conns)
{
    server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    for (int c = 0; c < n_conns; c++)
        memcpy(s->script[c], script[c], sizeof s->script[c]);
    s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->listener >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->listener, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s->listener, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pipe(s->dropped), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
    return s;
}

/* Joins the server (the client must have closed its connection first)
 * and returns how many connections it accepted; copies what it read into
 * requests when that is not NULL. */
static int stop_server(server *s, char *requests, size_t len)
{
    shutdown(s->listener, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    int conns = s->conns;
    if (requests != NULL)
        snprintf(requests, len, "%s", s->requests);
    close(s->listener);
    close(s->dropped[0]);
    close(s->dropped[1]);
    free(s);
    return conns;
}

typedef struct client {
    int epfd;
    fh_conn *conn;
    char host[64];
} client;

static void open_client(client *c, int port)
{
    char url[64];
    struct sockaddr_in addr;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    assert_int_equal(fh_parse_base_url(url, &addr, c->host, sizeof c->host), 0);
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(c->epfd >= 0);
    c->conn = fh_conn_new(c->epfd, &addr, c->host, c);
    assert_non_null(c->conn);
}

static void close_client(client *c)
{
    fh_conn_free(c->conn);
    close(c->epfd);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request through the client's epoll loop, as the fleet's worker
 * runs it; at most 10 s (the test fails rather than hangs). */
static fh_result request(client *c, const char *method, const char *path, const char *body)
{
    double deadline = now_s() + 10;
    fh_result r = fh_conn_request(c->conn, method, path, body, body != NULL ? strlen(body) : 0, deadline);
    while (r == FH_PENDING) {
        struct epoll_event ev[4];
        int n = epoll_wait(c->epfd, ev, 4, 100);
        for (int i = 0; i < n && r == FH_PENDING; i++) {
            assert_ptr_equal(ev[i].data.ptr, c);
            r = fh_conn_on_event(c->conn, ev[i].events);
        }
        if (r == FH_PENDING)
            r = fh_conn_check_deadline(c->conn, now_s());
    }
    return r;
}

static void expect_answer(client *c, const char *method, const char *path, const char *body, int status,
                          const char *answer)
{
    fh_result r = request(c, method, path, body);
    if (r != FH_DONE)
        fail_msg("%s %s: %s", method, path, fh_conn_error(c->conn));
    const fhp *p = fh_conn_response(c->conn);
    assert_int_equal(fhp_status(p), status);
    assert_string_equal(fhp_body(p), answer);
    assert_false(fh_conn_busy(c->conn));
}

static void expect_error(client *c, const char *what)
{
    fh_result r = request(c, "GET", "/x", NULL);
    assert_int_equal(r, FH_ERROR);
    if (strstr(fh_conn_error(c->conn), what) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", fh_conn_error(c->conn), what);
    assert_false(fh_conn_busy(c->conn));
}

#define OK(body) "HTTP/1.1 200 OK\r\nContent-Length: " #body "\r\n\r\n"

static void test_requests_and_split_answers(void **state)
{
    (void)state;
    const action script[][MAX_ACTIONS] = {
        {{ANSWER, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"},
         {ANSWER, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"},
         {ANSWER, "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnope"}},
        {{ANSWER, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}},
    };
    server *s = start_server(script, 2);
    client c;
    open_client(&c, s->port);
    expect_answer(&c, "POST", "/v1/audiences/create", "{\"n\":1}", 201, "{\"a\":1}");
    expect_answer(&c, "GET", "/v1/credits?apiKey=k", NULL, 200, "abcde");
    expect_answer(&c, "PATCH", "/v1/p", "", 404, "nope");
    /* The server said close: the next request opens a new connection. */
    expect_answer(&c, "GET", "/again", NULL, 200, "ok");
    close_client(&c);
    int port = s->port;
    char got[sizeof s->requests];
    assert_int_equal(stop_server(s, got, sizeof got), 2);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "POST /v1/audiences/create HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
             "Content-Length: 7\r\n\r\n{\"n\":1}"
             "GET /v1/credits?apiKey=k HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
             "PATCH /v1/p HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
             "Content-Length: 0\r\n\r\n"
             "GET /again HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
             port, port, port, port);
    assert_string_equal(got, expected);
}

/* The server closes a kept connection; the next request goes again on a
 * new one. When that one closes before answering too, it is an error,
 * not a third try. */
static void test_dropped_connection(void **state)
{
    (void)state;
    const action script[][MAX_ACTIONS] = {
        {{ANSWER, OK(1) "a"}, {DROP, NULL}},
        {{ANSWER, OK(1) "b"}, {DROP, NULL}},
        {{CLOSE, NULL}},
        {{ANSWER, OK(1) "c"}},
    };
    server *s = start_server(script, 4);
    client c;
    open_client(&c, s->port);
    char byte;
    expect_answer(&c, "GET", "/1", NULL, 200, "a");
    assert_int_equal(read(s->dropped[0], &byte, 1), 1);
    expect_answer(&c, "POST", "/2", "{}", 200, "b");
    assert_int_equal(read(s->dropped[0], &byte, 1), 1);
    expect_error(&c, "closed the connection");
    expect_answer(&c, "GET", "/4", NULL, 200, "c");
    close_client(&c);
    assert_int_equal(stop_server(s, NULL, 0), 4);
}

static void test_bad_answers(void **state)
{
    (void)state;
    const action script[][MAX_ACTIONS] = {
        {{ANSWER, "HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n"}},
        {{ANSWER, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, {DROP, NULL}},
        {{ANSWER_WHOLE, OK(1) "a" OK(1) "b"}},
        {{ANSWER, "HTTP/1.1 200 OK\r\n\r\nthe rest"}, {DROP, NULL}},
    };
    server *s = start_server(script, 4);
    client c;
    open_client(&c, s->port);
    expect_error(&c, "bad Content-Length");
    expect_error(&c, "closed mid-answer");
    expect_error(&c, "bytes after the answer");
    /* Without a length the body ends with the connection. */
    expect_answer(&c, "GET", "/rest", NULL, 200, "the rest");
    close_client(&c);
    assert_int_equal(stop_server(s, NULL, 0), 4);
}

static void test_deadline_and_refused(void **state)
{
    (void)state;
    const action script[][MAX_ACTIONS] = {{{HOLD, NULL}}};
    server *s = start_server(script, 1);
    client c;
    open_client(&c, s->port);
    double start = now_s();
    assert_int_equal(fh_conn_request(c.conn, "GET", "/slow", NULL, 0, start + 5), FH_PENDING);
    assert_int_equal(fh_conn_check_deadline(c.conn, start + 1), FH_PENDING);
    /* No need to wait: the loop gives the time. */
    assert_int_equal(fh_conn_check_deadline(c.conn, start + 6), FH_ERROR);
    assert_non_null(strstr(fh_conn_error(c.conn), "deadline"));
    assert_false(fh_conn_busy(c.conn));
    close_client(&c);
    stop_server(s, NULL, 0); /* it may not have accepted the connection yet */

    /* A port nobody listens on. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    open_client(&c, ntohs(a.sin_port));
    expect_error(&c, "connect to 127.0.0.1");
    close_client(&c);
}

static void test_base_url(void **state)
{
    (void)state;
    struct sockaddr_in a;
    char host[64];
    assert_int_equal(fh_parse_base_url("http://127.0.0.1:8080", &a, host, sizeof host), 0);
    assert_string_equal(host, "127.0.0.1:8080");
    assert_int_equal(ntohs(a.sin_port), 8080);
    assert_int_equal(fh_parse_base_url("http://localhost:1/", &a, host, sizeof host), 0);
    assert_string_equal(host, "localhost:1");
    const char *bad[] = {"https://127.0.0.1:8080", "http://10.0.0.1:80", "http://127.0.0.1",
                         "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:80/v1",
                         "http://127.0.0.1:8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (fh_parse_base_url(bad[i], &a, host, sizeof host) != -1)
            fail_msg("%s accepted", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_and_split_answers),
        cmocka_unit_test(test_dropped_connection),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_deadline_and_refused),
        cmocka_unit_test(test_base_url),
    };
    return cmocka_run_group_tests_name("fleet_http", tests, NULL, NULL);
}
