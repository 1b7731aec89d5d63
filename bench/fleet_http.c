/* fleet_http: one non-blocking keep-alive HTTP/1.1 connection (see the
 * header). The socket stays in its loop's epoll set (level-triggered) for
 * reading as long as it is open, so a request costs one send and usually
 * one recv; EPOLLOUT is asked for only while connecting or while a request
 * is partly sent. */
#include "fleet_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* One recv takes at most this much (a CSV download in one go). */
#define READ_BYTES (64 * 1024)

struct fh_conn {
    int epfd;
    int fd;                /* -1: not open */
    struct sockaddr_in addr;
    char host[64];
    void *owner;
    uint32_t watched;      /* the events epoll watches for on fd */
    int connecting;        /* connect() in progress */
    int reused;            /* fd already carried a whole answer */
    int busy;              /* a request is in flight */
    int retried;           /* this request was sent again on a new connection */
    char *out;             /* the request */
    size_t out_len, out_cap, out_sent;
    double deadline;
    fhp *parser;
    char stray[160];       /* bytes nobody asked for: the next request's error */
    char err[256];
};

int fh_parse_base_url(const char *url, struct sockaddr_in *addr, char *host, size_t host_len)
{
    const char *p = NULL;
    if (strncmp(url, "http://127.0.0.1:", 17) == 0)
        p = url + 17;
    else if (strncmp(url, "http://localhost:", 17) == 0)
        p = url + 17;
    else
        return -1;
    long port = 0;
    const char *d = p;
    for (; *d >= '0' && *d <= '9' && port <= 65535; d++)
        port = port * 10 + (*d - '0');
    if (d == p || port < 1 || port > 65535 || !(*d == '\0' || (d[0] == '/' && d[1] == '\0')))
        return -1;
    int n = snprintf(host, host_len, "%.*s", (int)(d - (url + 7)), url + 7);
    if (n < 0 || (size_t)n >= host_len)
        return -1;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return 0;
}

fh_conn *fh_conn_new(int epfd, const struct sockaddr_in *addr, const char *host, void *owner)
{
    fh_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->parser = fhp_new(FH_MAX_BODY);
    if (c->parser == NULL || strlen(host) >= sizeof c->host) {
        fh_conn_free(c);
        return NULL;
    }
    c->epfd = epfd;
    c->fd = -1;
    c->addr = *addr;
    snprintf(c->host, sizeof c->host, "%s", host);
    c->owner = owner;
    return c;
}

static void close_fd(fh_conn *c)
{
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->watched = 0;
    c->connecting = 0;
    c->reused = 0;
}

void fh_conn_free(fh_conn *c)
{
    if (c == NULL)
        return;
    close_fd(c);
    fhp_free(c->parser);
    free(c->out);
    free(c);
}

/* Ends the request in flight as failed and drops the connection. */
static fh_result fail(fh_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static fh_result fail(fh_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    close_fd(c);
    c->busy = 0;
    return FH_ERROR;
}

static int watch(fh_conn *c, uint32_t events)
{
    if (events == c->watched)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = c->owner};
    if (epoll_ctl(c->epfd, c->watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &ev) != 0)
        return -1;
    c->watched = events;
    return 0;
}

static fh_result open_socket(fh_conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return fail(c, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)&c->addr, sizeof c->addr) != 0) {
        if (errno != EINPROGRESS)
            return fail(c, "connect to %s: %s", c->host, strerror(errno));
        c->connecting = 1;
    }
    if (watch(c, EPOLLIN | (c->connecting ? EPOLLOUT : 0)) != 0)
        return fail(c, "epoll_ctl: %s", strerror(errno));
    return FH_PENDING;
}

/* Sends what is left of the request; watches for room while some is. */
static fh_result send_rest(fh_conn *c)
{
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return fail(c, "send to %s: %s", c->host, strerror(errno));
        c->out_sent += (size_t)n;
    }
    uint32_t want = EPOLLIN | (c->out_sent < c->out_len ? EPOLLOUT : 0);
    if (watch(c, want) != 0)
        return fail(c, "epoll_ctl: %s", strerror(errno));
    return FH_PENDING;
}

/* Opens a connection when there is none and sends the request from its
 * first byte. */
static fh_result start(fh_conn *c)
{
    c->out_sent = 0;
    fhp_reset(c->parser);
    if (c->fd < 0 && open_socket(c) != FH_PENDING)
        return FH_ERROR;
    return c->connecting ? FH_PENDING : send_rest(c);
}

static char *put(char *at, const char *s, size_t n)
{
    memcpy(at, s, n);
    return at + n;
}

#define PUT_LITERAL(at, s) put((at), (s), sizeof(s) - 1)

static char *put_decimal(char *at, size_t v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        *at++ = digits[--n];
    return at;
}

/* The request in c->out, pieces copied in turn (snprintf was a tenth of
 * the client's instructions). */
static int format_request(fh_conn *c, const char *method, const char *path, const char *body, size_t body_len)
{
    size_t method_len = strlen(method), path_len = strlen(path), host_len = strlen(c->host);
    size_t need = method_len + path_len + host_len + body_len + 128;
    if (need > c->out_cap) {
        char *grown = realloc(c->out, need);
        if (grown == NULL)
            return -1;
        c->out = grown;
        c->out_cap = need;
    }
    char *at = put(c->out, method, method_len);
    at = PUT_LITERAL(at, " ");
    at = put(at, path, path_len);
    at = PUT_LITERAL(at, " HTTP/1.1\r\nHost: ");
    at = put(at, c->host, host_len);
    if (body != NULL) {
        at = PUT_LITERAL(at, "\r\nContent-Type: application/json\r\nContent-Length: ");
        at = put_decimal(at, body_len);
    }
    at = PUT_LITERAL(at, "\r\n\r\n");
    if (body_len > 0)
        at = put(at, body, body_len);
    c->out_len = (size_t)(at - c->out);
    return 0;
}

fh_result fh_conn_request(fh_conn *c, const char *method, const char *path, const char *body, size_t body_len,
                          double deadline)
{
    if (c->busy) {
        snprintf(c->err, sizeof c->err, "a request is already in flight");
        return FH_ERROR;
    }
    if (c->stray[0] != '\0') {
        snprintf(c->err, sizeof c->err, "%s", c->stray);
        c->stray[0] = '\0';
        return FH_ERROR;
    }
    if (format_request(c, method, path, body, body_len) != 0) {
        snprintf(c->err, sizeof c->err, "out of memory for a request of %zu bytes", body_len);
        return FH_ERROR;
    }
    c->busy = 1;
    c->retried = 0;
    c->deadline = deadline;
    return start(c);
}

/* The server closed (or reset) the connection before any byte of the
 * answer: a kept connection it dropped gets the request once more. */
static fh_result closed_early(fh_conn *c, const char *why)
{
    if (c->reused && !c->retried && !fhp_started(c->parser)) {
        close_fd(c);
        c->retried = 1;
        return start(c);
    }
    if (fhp_finish(c->parser) == FHP_DONE) {
        close_fd(c);
        c->busy = 0;
        return FH_DONE;
    }
    return fail(c, "%s: %s", why, fhp_error(c->parser));
}

static fh_result on_connected(fh_conn *c)
{
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
        so_error = errno;
    if (so_error != 0)
        return fail(c, "connect to %s: %s", c->host, strerror(so_error));
    c->connecting = 0;
    return send_rest(c);
}

/* Reads once and feeds the parser. */
static fh_result on_readable(fh_conn *c)
{
    char buf[READ_BYTES];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return FH_PENDING;
    if (!c->busy) {
        /* The server closed an idle connection, or said something unasked. */
        if (n > 0)
            snprintf(c->stray, sizeof c->stray, "%zd bytes from the server with no request in flight", n);
        close_fd(c);
        return FH_PENDING;
    }
    if (n == 0)
        return closed_early(c, "the server closed the connection");
    if (n < 0) {
        if (errno == ECONNRESET || errno == EPIPE)
            return closed_early(c, strerror(errno));
        return fail(c, "recv from %s: %s", c->host, strerror(errno));
    }
    size_t used = 0;
    fhp_result r = fhp_feed(c->parser, buf, (size_t)n, &used);
    if (r == FHP_ERROR)
        return fail(c, "bad answer: %s", fhp_error(c->parser));
    if (r == FHP_MORE)
        return FH_PENDING;
    if (used < (size_t)n)
        return fail(c, "%zd bytes after the answer", n - (ssize_t)used);
    c->busy = 0;
    c->reused = 1;
    if (fhp_closes(c->parser))
        close_fd(c);
    return FH_DONE;
}

fh_result fh_conn_on_event(fh_conn *c, uint32_t events)
{
    if (c->fd < 0)
        return FH_PENDING; /* nothing open: an event of a socket closed since */
    if (c->connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
            return FH_PENDING;
        return on_connected(c);
    }
    if ((events & EPOLLOUT) && c->busy && c->out_sent < c->out_len) {
        fh_result r = send_rest(c);
        if (r != FH_PENDING)
            return r;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        return on_readable(c);
    return FH_PENDING;
}

fh_result fh_conn_check_deadline(fh_conn *c, double now)
{
    if (c->busy && now > c->deadline)
        return fail(c, "no whole answer from %s by the deadline", c->host);
    return FH_PENDING;
}

const fhp *fh_conn_response(const fh_conn *c)
{
    return c->parser;
}

const char *fh_conn_error(const fh_conn *c)
{
    return c->err;
}

int fh_conn_busy(const fh_conn *c)
{
    return c->busy;
}
