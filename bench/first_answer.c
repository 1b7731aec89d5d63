/* descovo-bench-first-answer: how long a server takes from exec to its first
 * HTTP answer.
 *
 * Usage: descovo-bench-first-answer [--runs N] [--timeout-ms T]
 *                                   [--path /_mock/health] -- PROGRAM ARGS...
 *        descovo-bench-first-answer --free-port   (prints a free port, for
 *                                   servers that cannot be given port 0)
 *
 * Each run picks a free loopback port, replaces "@PORT@" in the arguments
 * with it, starts PROGRAM (output to /dev/null), and polls GET PATH on that
 * port in a tight loop (a connect attempt every 100 us) until an answer with
 * status 200 arrives; then it stops the server with SIGTERM (SIGKILL after
 * 5 s) and waits for it. Prints one line per run and a summary line:
 *   first_answer_ms median=12.345 min=... max=... runs=N
 * Exits 0, or 1 when a run failed (the server exited, or no answer before
 * the timeout). Every server it starts is stopped before it exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 50
#define MAX_ARGS 64
#define POLL_PAUSE_NS 100000L
#define STOP_GRACE_MS 5000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void pause_ns(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static int parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return -1;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* A port nobody listens on now: bind port 0, read it, close. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

/* One attempt: connect, send GET path, read the status line. Returns 1 on a
 * 200, 0 otherwise (refused, reset, other status). */
static int try_request(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    char request[512];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", path, port);
    if (n < 0 || (size_t)n >= sizeof request)
        goto out;
    struct timeval timeout = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto out;
    if (send(fd, request, (size_t)n, MSG_NOSIGNAL) != n)
        goto out;
    char status[16];
    size_t got = 0;
    while (got < 12) {
        ssize_t r = recv(fd, status + got, 12 - got, 0);
        if (r <= 0)
            goto out;
        got += (size_t)r;
    }
    ok = memcmp(status, "HTTP/1.1 200", 12) == 0 || memcmp(status, "HTTP/1.0 200", 12) == 0;
out:
    close(fd);
    return ok;
}

/* Stops the child: SIGTERM, then SIGKILL after the grace period. */
static void stop_child(pid_t pid)
{
    kill(pid, SIGTERM);
    double deadline = now_ms() + STOP_GRACE_MS;
    while (now_ms() < deadline) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        pause_ns(1000000L);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Starts argv with "@PORT@" replaced; returns the pid or -1. */
static pid_t start_child(char **argv, int argc, int port)
{
    static char storage[MAX_ARGS][256];
    char *args[MAX_ARGS + 1];
    for (int i = 0; i < argc; i++) {
        const char *mark = strstr(argv[i], "@PORT@");
        if (mark == NULL) {
            args[i] = argv[i];
            continue;
        }
        int n = snprintf(storage[i], sizeof storage[i], "%.*s%d%s", (int)(mark - argv[i]), argv[i], port, mark + 6);
        if (n < 0 || (size_t)n >= sizeof storage[i])
            return -1;
        args[i] = storage[i];
    }
    args[argc] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(args[0], args);
    _exit(127);
}

/* One run: returns ms to the first 200, or -1. */
static double measure(char **argv, int argc, const char *path, long timeout_ms)
{
    int port = free_port();
    if (port < 0) {
        fprintf(stderr, "first-answer: no free port\n");
        return -1;
    }
    double start = now_ms();
    pid_t pid = start_child(argv, argc, port);
    if (pid < 0) {
        fprintf(stderr, "first-answer: cannot start %s\n", argv[0]);
        return -1;
    }
    double result = -1;
    while (!interrupted && now_ms() - start < (double)timeout_ms) {
        if (try_request(port, path)) {
            result = now_ms() - start;
            break;
        }
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "first-answer: %s exited (status %d) before answering\n", argv[0], status);
            return -1;
        }
        pause_ns(POLL_PAUSE_NS);
    }
    stop_child(pid);
    if (result < 0)
        fprintf(stderr, "first-answer: no 200 on %s from %s within %ld ms\n", path, argv[0], timeout_ms);
    return result;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long runs = 5;
    long timeout_ms = 60000;
    const char *path = "/_mock/health";
    if (argc == 2 && strcmp(argv[1], "--free-port") == 0) {
        int port = free_port();
        if (port < 0)
            return 1;
        printf("%d\n", port);
        return 0;
    }
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = -1;
        if (strcmp(argv[i], "--runs") == 0)
            rc = parse_long(value, 1, MAX_RUNS, &runs);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            rc = parse_long(value, 1, 600000, &timeout_ms);
        else if (strcmp(argv[i], "--path") == 0 && value != NULL && value[0] == '/') {
            path = value;
            rc = 0;
        }
        if (rc != 0) {
            fprintf(stderr, "usage: descovo-bench-first-answer [--runs N] [--timeout-ms T] [--path P] -- PROGRAM ARGS...\n");
            return 2;
        }
    }
    if (i >= argc - 1 || argc - i - 1 > MAX_ARGS) {
        fprintf(stderr, "usage: descovo-bench-first-answer [--runs N] [--timeout-ms T] [--path P] -- PROGRAM ARGS...\n");
        return 2;
    }
    char **child_argv = argv + i + 1;
    int child_argc = argc - i - 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    double ms[MAX_RUNS];
    for (long r = 0; r < runs; r++) {
        ms[r] = measure(child_argv, child_argc, path, timeout_ms);
        if (ms[r] < 0)
            return 1;
        printf("run %ld: %.3f ms\n", r + 1, ms[r]);
    }
    qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
    double median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    printf("first_answer_ms median=%.3f min=%.3f max=%.3f runs=%ld\n", median, ms[0], ms[runs - 1], runs);
    return 0;
}
