/* The descovo-mock binary itself: --help, --version, bad options, the URL
 * line on start with --port 0, serving, and a clean stop on SIGTERM. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

typedef struct child {
    pid_t pid;
    int out;          /* read end of its stdout */
} child;

static child spawn(char *const argv[])
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(DESCOVO_MOCK_BINARY, argv);
        _exit(127);
    }
    close(fds[1]);
    return (child){pid, fds[0]};
}

/* Reads until a newline or 10 s pass. */
static void read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t got = read(fd, buf + n, 1);
        if (got <= 0)
            break;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
}

/* Waits up to 10 s for the child; returns its exit status or -1. */
static int wait_exit(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        int status = 0;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int run_and_capture(char *const argv[], char *out, size_t size)
{
    child c = spawn(argv);
    size_t n = 0;
    for (;;) {
        struct pollfd p = {c.out, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t got = read(c.out, out + n, size - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        if (n + 1 >= size)
            break;
    }
    out[n] = '\0';
    close(c.out);
    return wait_exit(c.pid);
}

static void test_help_version_and_bad_options(void **state)
{
    (void)state;
    char out[8192];
    char *help[] = {"descovo-mock", "--help", NULL};
    assert_int_equal(run_and_capture(help, out, sizeof out), 0);
    assert_non_null(strstr(out, "--clock real|manual"));
    char *version[] = {"descovo-mock", "--version", NULL};
    assert_int_equal(run_and_capture(version, out, sizeof out), 0);
    assert_non_null(strstr(out, "descovo-mock " DESCOVO_VERSION));
    char *bad[] = {"descovo-mock", "--port", "http", NULL};
    assert_int_equal(run_and_capture(bad, out, sizeof out), 2);
    assert_non_null(strstr(out, "--port"));
    char *unknown[] = {"descovo-mock", "--colour", NULL};
    assert_int_equal(run_and_capture(unknown, out, sizeof out), 2);
    char *missing_file[] = {"descovo-mock", "--port", "0", "--keys-file", "/nonexistent/keys.txt", NULL};
    assert_int_equal(run_and_capture(missing_file, out, sizeof out), 1);
    assert_non_null(strstr(out, "/nonexistent/keys.txt"));
}

static void test_starts_serves_and_stops(void **state)
{
    (void)state;
    char *argv[] = {"descovo-mock", "--port", "0", "--strict-keys", "--api-key", "sk_test_binary_key_1:123", NULL};
    child c = spawn(argv);
    char line[512];
    read_line(c.out, line, sizeof line);
    const char *url = strstr(line, "http://127.0.0.1:");
    if (url == NULL)
        fail_msg("no URL in the first line: \"%s\"", line);
    char base[64];
    size_t n = strcspn(url, " \n");
    snprintf(base, sizeof base, "%.*s", (int)n, url);

    harness h = {0};
    snprintf(h.base_url, sizeof h.base_url, "%s", base);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h.curl = curl_easy_init();
    http_response res;
    assert_int_equal(harness_get(&h, &res, "/v1/credits?apiKey=sk_test_binary_key_1"), 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "output"), "credits")), 123);
    http_response_free(&res);
    /* --api-key replaces the default keys (with --strict-keys: no keys on demand). */
    assert_int_equal(harness_get(&h, &res, "/v1/credits?apiKey=" DEV_KEY), 401);
    http_response_free(&res);
    curl_easy_cleanup(h.curl);

    /* The log line names the request and masks the key. */
    read_line(c.out, line, sizeof line);
    assert_non_null(strstr(line, "GET /v1/credits 200"));
    assert_null(strstr(line, "sk_test_binary_key_1"));
    assert_non_null(strstr(line, "key=sk_test_***_1"));

    kill(c.pid, SIGTERM);
    assert_int_equal(wait_exit(c.pid), 0);
    close(c.out);
}

static void test_json_log(void **state)
{
    (void)state;
    char *argv[] = {"descovo-mock", "--port", "0", "--log-format", "json", NULL};
    child c = spawn(argv);
    char line[512];
    read_line(c.out, line, sizeof line);
    const char *url = strstr(line, "http://127.0.0.1:");
    assert_non_null(url);
    harness h = {0};
    snprintf(h.base_url, sizeof h.base_url, "%.*s", (int)strcspn(url, " \n"), url);
    h.curl = curl_easy_init();
    http_response res;
    assert_int_equal(harness_get(&h, &res, "/v1/credits?apiKey=" DEV_KEY), 200);
    http_response_free(&res);
    curl_easy_cleanup(h.curl);
    read_line(c.out, line, sizeof line);
    json_error_t error;
    json_t *entry = json_loads(line, 0, &error);
    if (entry == NULL)
        fail_msg("log line is not JSON: %s (%s)", line, error.text);
    assert_string_equal(json_string_value(json_object_get(entry, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(entry, "path")), "/v1/credits");
    assert_int_equal(json_integer_value(json_object_get(entry, "status")), 200);
    assert_string_equal(json_string_value(json_object_get(entry, "apiKey")), "sk_test_***ev");
    assert_true(json_is_integer(json_object_get(entry, "durationUs")));
    json_decref(entry);
    kill(c.pid, SIGTERM);
    assert_int_equal(wait_exit(c.pid), 0);
    close(c.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_version_and_bad_options),
        cmocka_unit_test(test_starts_serves_and_stops),
        cmocka_unit_test(test_json_log),
    };
    return cmocka_run_group_tests_name("binary", tests, NULL, NULL);
}
