/* target: configuration from the environment, and the mock's life when the
 * suite starts it. */
#include "target.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The mock prints its URL within this long, or it is considered dead. */
#define MOCK_START_TIMEOUT_MS 15000

static int copy_env(char *dst, size_t size, const char *name, const char *dflt)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        v = dflt;
    int n = snprintf(dst, size, "%s", v != NULL ? v : "");
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* A non-negative integer from the environment, or dflt when unset. */
static int env_long(const char *name, long long dflt, long long *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 0) {
        snprintf(err, errlen, "%s=%s: expected a non-negative integer", name, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* A number from 0.001 to 1000000 (descovo-mock's --time-scale range), or
 * dflt when unset. */
static int env_scale(const char *name, double dflt, double *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        *out = dflt;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(x >= 0.001 && x <= 1000000.0)) {
        snprintf(err, errlen, "%s=%s: expected a number from 0.001 to 1000000", name, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && strcmp(v, "1") == 0;
}

/* Reads one line from fd within the timeout; returns 0 when a newline
 * arrived. */
static int read_first_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, MOCK_START_TIMEOUT_MS) <= 0)
            break;
        ssize_t got = read(fd, buf + n, 1);
        if (got <= 0)
            break;
        if (buf[n++] == '\n') {
            buf[n] = '\0';
            return 0;
        }
    }
    buf[n] = '\0';
    return -1;
}

static int start_mock(conf_target *t, const char *binary, char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(binary, "descovo-mock", "--port", "0", "--clock", "manual", "--quiet", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    t->mock_pid = pid;
    char line[512];
    int got = read_first_line(fds[0], line, sizeof line);
    /* Kept open until the mock stops: with --quiet it writes only its stop
     * message, which must not meet a closed pipe. */
    t->mock_out = fds[0];
    const char *url = got == 0 ? strstr(line, "http://") : NULL;
    if (url == NULL) {
        snprintf(err, errlen, "%s did not print its URL (first line: \"%.200s\")", binary, line);
        target_close(t);
        return -1;
    }
    size_t len = strcspn(url, " \r\n");
    snprintf(t->base_url, sizeof t->base_url, "%.*s", (int)len, url);
    return 0;
}

int target_open(conf_target *t, const char *mock_binary, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->mock_out = -1;
    const char *base = getenv("DESCOVO_BASE_URL");
    int own_mock = base == NULL || base[0] == '\0';
    long long interval = 0, timeout = 0;

    if (copy_env(t->api_key, sizeof t->api_key, "DESCOVO_API_KEY", own_mock ? CONF_MOCK_KEY : NULL) != 0 ||
        copy_env(t->api_key_2, sizeof t->api_key_2, "DESCOVO_API_KEY_2", own_mock ? CONF_MOCK_KEY_2 : NULL) != 0) {
        snprintf(err, errlen, "DESCOVO_API_KEY or DESCOVO_API_KEY_2 is too long");
        return -1;
    }
    if (!own_mock && t->api_key[0] == '\0') {
        snprintf(err, errlen, "DESCOVO_BASE_URL is set but DESCOVO_API_KEY is not");
        return -1;
    }
    if (env_long("DESCOVO_MAX_CREDITS", CONF_DEFAULT_MAX_CREDITS, &t->max_credits, err, errlen) != 0 ||
        env_long("DESCOVO_POLL_INTERVAL", 5, &interval, err, errlen) != 0 ||
        env_long("DESCOVO_POLL_TIMEOUT", 600, &timeout, err, errlen) != 0 ||
        env_scale("DESCOVO_TIME_SCALE", 1.0, &t->time_scale, err, errlen) != 0)
        return -1;
    t->poll_interval_s = interval > 0 ? (long)interval : 1;
    t->poll_timeout_s = (long)timeout;
    t->allow_spend = env_flag("DESCOVO_ALLOW_SPEND");
    t->allow_flood = env_flag("DESCOVO_ALLOW_FLOOD");
    /* Unique per run, so a run's audiences are recognisable in a shared
     * account and never collide with another run's. */
    snprintf(t->prefix, sizeof t->prefix, "conformance-%lld-%ld-", (long long)time(NULL), (long)getpid());

    if (own_mock)
        return start_mock(t, mock_binary, err, errlen);
    if (copy_env(t->base_url, sizeof t->base_url, "DESCOVO_BASE_URL", NULL) != 0) {
        snprintf(err, errlen, "DESCOVO_BASE_URL is too long");
        return -1;
    }
    size_t len = strlen(t->base_url);
    while (len > 0 && t->base_url[len - 1] == '/')
        t->base_url[--len] = '\0';
    return 0;
}

long target_wait_ms(const conf_target *t, double seconds)
{
    double ms = seconds * 1000.0 / (t->time_scale > 0 ? t->time_scale : 1.0);
    long whole = (long)ms;
    if ((double)whole < ms)
        whole++;
    return whole < 1 ? 1 : whole;
}

int target_detect(conf_target *t, wire *w, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s/_mock/health", t->base_url);
    wire_response res;
    if (wire_send(w, "GET", url, NULL, &res, err, errlen) != 0)
        return -1;
    const json_t *out = json_object_get(res.json, "output");
    const char *status = json_string_value(json_object_get(out, "status"));
    const char *clock = json_string_value(json_object_get(out, "clock"));
    t->is_mock = res.status == 200 && status != NULL && strcmp(status, "ok") == 0;
    t->manual_clock = t->is_mock && clock != NULL && strcmp(clock, "manual") == 0;
    if (t->is_mock)
        t->allow_spend = 1;
    wire_response_clear(&res);
    return 0;
}

void target_close(conf_target *t)
{
    if (t->mock_pid <= 0)
        return;
    kill(t->mock_pid, SIGTERM);
    int stopped = 0;
    for (int i = 0; i < 500 && !stopped; i++) {
        stopped = waitpid(t->mock_pid, NULL, WNOHANG) == t->mock_pid;
        if (!stopped) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (!stopped) {
        kill(t->mock_pid, SIGKILL);
        waitpid(t->mock_pid, NULL, 0);
    }
    t->mock_pid = 0;
    if (t->mock_out >= 0)
        close(t->mock_out);
    t->mock_out = -1;
}

