/* The descovo-mock binary itself: --help, --version, bad options, the URL
 * line on start with --port 0, serving, a clean stop on SIGTERM, and the
 * start-up contract of docs/API.md: the first line (text or JSON), the
 * --ready-file, DESCOVO_ADMIN_TOKEN, and one test per exit status. */
#include <dirent.h>
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

typedef struct child {
    pid_t pid;
    int out;          /* read end of its stdout */
} child;

/* What a child gets besides argv: one environment variable ("NAME=VALUE"
 * or NULL) and a cap on its address space in bytes (0: none). */
typedef struct child_setup {
    char *env;
    rlim_t address_space;
} child_setup;

static child spawn_with(char *const argv[], child_setup setup)
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
        unsetenv("DESCOVO_ADMIN_TOKEN");
        if (setup.env != NULL)
            putenv(setup.env);
        if (setup.address_space > 0) {
            struct rlimit limit = {setup.address_space, setup.address_space};
            setrlimit(RLIMIT_AS, &limit);
        }
        execv(DESCOVO_MOCK_BINARY, argv);
        _exit(127);
    }
    close(fds[1]);
    return (child){pid, fds[0]};
}

static child spawn(char *const argv[])
{
    return spawn_with(argv, (child_setup){0});
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

static int run_and_capture_with(char *const argv[], child_setup setup, char *out, size_t size)
{
    child c = spawn_with(argv, setup);
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

static int run_and_capture(char *const argv[], char *out, size_t size)
{
    return run_and_capture_with(argv, (child_setup){0}, out, size);
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

/* Copies the URL of a first line (text or JSON) into base. */
static void url_of(const char *line, char *base, size_t size)
{
    const char *url = strstr(line, "http://127.0.0.1:");
    if (url == NULL)
        fail_msg("no URL in the first line: \"%s\"", line);
    snprintf(base, size, "%.*s", (int)strcspn(url, " \"\n"), url);
}

static json_t *parse_line(const char *line)
{
    json_error_t error;
    json_t *value = json_loads(line, 0, &error);
    if (value == NULL)
        fail_msg("not a JSON line: %s (%s)", line, error.text);
    return value;
}

static long get_status(const char *base, const char *path, const char *token)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, path);
    char header[300];
    snprintf(header, sizeof header, "X-Mock-Admin-Token: %s", token != NULL ? token : "");
    struct curl_slist *headers = token != NULL ? curl_slist_append(NULL, header) : NULL;
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    fclose(sink);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    return status;
}

static void stop_child(child *c)
{
    kill(c->pid, SIGTERM);
    assert_int_equal(wait_exit(c->pid), 0);
    close(c->out);
}

static void test_json_log(void **state)
{
    (void)state;
    char *argv[] = {"descovo-mock", "--port", "0", "--log-format", "json", "--clock", "manual", NULL};
    child c = spawn(argv);
    char line[512];
    read_line(c.out, line, sizeof line);
    /* The first line is JSON too, in the documented (stable) shape. */
    json_t *first = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(first, "event")), "listening");
    assert_string_equal(json_string_value(json_object_get(first, "version")), DESCOVO_VERSION);
    assert_int_equal(json_integer_value(json_object_get(first, "pid")), c.pid);
    assert_string_equal(json_string_value(json_object_get(first, "clock")), "manual");
    assert_int_equal(json_integer_value(json_object_get(first, "seed")), 42);
    harness h = {0};
    snprintf(h.base_url, sizeof h.base_url, "%s", json_string_value(json_object_get(first, "url")));
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%lld", (long long)json_integer_value(json_object_get(first, "port")));
    assert_string_equal(h.base_url, want);
    json_decref(first);

    h.curl = curl_easy_init();
    http_response res;
    assert_int_equal(harness_get(&h, &res, "/v1/credits?apiKey=" DEV_KEY), 200);
    http_response_free(&res);
    curl_easy_cleanup(h.curl);
    read_line(c.out, line, sizeof line);
    json_t *entry = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(entry, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(entry, "path")), "/v1/credits");
    assert_int_equal(json_integer_value(json_object_get(entry, "status")), 200);
    assert_string_equal(json_string_value(json_object_get(entry, "apiKey")), "sk_test_***ev");
    assert_true(json_is_integer(json_object_get(entry, "durationUs")));
    json_decref(entry);
    kill(c.pid, SIGTERM);
    read_line(c.out, line, sizeof line);
    json_t *stopping = parse_line(line);
    assert_string_equal(json_string_value(json_object_get(stopping, "event")), "stopping");
    assert_string_equal(json_string_value(json_object_get(stopping, "signal")), "SIGTERM");
    json_decref(stopping);
    assert_int_equal(wait_exit(c.pid), 0);
    close(c.out);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_ready_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/descovo-ready-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/ready.json", dir);
    /* A stale file of an earlier run is never taken for this one. */
    FILE *stale = fopen(path, "w");
    assert_non_null(stale);
    fputs("{\"url\":\"http://127.0.0.1:1\",\"port\":1,\"pid\":1,\"version\":\"0\"}\n", stale);
    fclose(stale);

    char *argv[] = {"descovo-mock", "--port", "0", "--quiet", "--ready-file", path, NULL};
    child c = spawn(argv);
    char line[512];
    read_line(c.out, line, sizeof line);
    char base[64];
    url_of(line, base, sizeof base);

    /* Written before the first line, whole, and nothing else left beside it. */
    json_error_t error;
    json_t *ready = json_load_file(path, 0, &error);
    if (ready == NULL)
        fail_msg("ready file: %s", error.text);
    assert_int_equal(json_object_size(ready), 4);
    assert_string_equal(json_string_value(json_object_get(ready, "url")), base);
    assert_int_equal(json_integer_value(json_object_get(ready, "pid")), c.pid);
    assert_string_equal(json_string_value(json_object_get(ready, "version")), DESCOVO_VERSION);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%lld", (long long)json_integer_value(json_object_get(ready, "port")));
    assert_string_equal(want, base);
    json_decref(ready);
    assert_int_equal(count_entries(dir), 1);
    /* It answers once the file is there. */
    assert_int_equal(get_status(base, "/_mock/health", NULL), 200);

    stop_child(&c);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(rmdir(dir), 0);
}

static void test_admin_token_from_environment(void **state)
{
    (void)state;
    char env[] = "DESCOVO_ADMIN_TOKEN=token-from-env-17";
    char *argv[] = {"descovo-mock", "--host", "0.0.0.0", "--port", "0", "--quiet", NULL};
    child c = spawn_with(argv, (child_setup){env, 0});
    char line[512];
    read_line(c.out, line, sizeof line);
    char base[64];
    url_of(line, base, sizeof base);
    assert_int_equal(get_status(base, "/_mock/requests", NULL), 401);
    assert_int_equal(get_status(base, "/_mock/requests", "token-from-env-17"), 200);
    stop_child(&c);

    /* --admin-token wins over the environment. */
    char *given[] = {"descovo-mock", "--port", "0", "--quiet", "--admin-token", "token-given-17", NULL};
    c = spawn_with(given, (child_setup){env, 0});
    read_line(c.out, line, sizeof line);
    url_of(line, base, sizeof base);
    assert_int_equal(get_status(base, "/_mock/requests", "token-from-env-17"), 401);
    assert_int_equal(get_status(base, "/_mock/requests", "token-given-17"), 200);
    stop_child(&c);
}

/* Runs argv and checks its exit status and that its output names what was wrong. */
static void expect_exit(char *const argv[], child_setup setup, int status, const char *mentions)
{
    char out[8192];
    int got = run_and_capture_with(argv, setup, out, sizeof out);
    if (got != status || strstr(out, mentions) == NULL)
        fail_msg("%s ... exited %d, expected %d with \"%s\"; it printed: %s", argv[1], got, status, mentions, out);
}

static void test_exit_statuses(void **state)
{
    (void)state;
    child_setup none = {0};
    char *host[] = {"descovo-mock", "--host", "example.org", NULL};
    expect_exit(host, none, 2, "--host: expected an IPv4 address");
    char *open_plane[] = {"descovo-mock", "--host", "0.0.0.0", "--port", "0", NULL};
    expect_exit(open_plane, none, 2, "--no-control");
    char short_env[] = "DESCOVO_ADMIN_TOKEN=short";
    expect_exit(open_plane, (child_setup){short_env, 0}, 2, "DESCOVO_ADMIN_TOKEN: expected 8 to 256");

    char *first[] = {"descovo-mock", "--port", "0", "--quiet", NULL};
    child c = spawn(first);
    char line[512];
    read_line(c.out, line, sizeof line);
    char base[64];
    url_of(line, base, sizeof base);
    char *taken[] = {"descovo-mock", "--port", strrchr(base, ':') + 1, NULL};
    expect_exit(taken, none, 3, "cannot listen");
    stop_child(&c);

    char *keys[] = {"descovo-mock", "--port", "0", "--keys-file", "/nonexistent/keys.txt", NULL};
    expect_exit(keys, none, 4, "/nonexistent/keys.txt");
    char *scenario[] = {"descovo-mock", "--port", "0", "--scenario", "/nonexistent/scenario.json", NULL};
    expect_exit(scenario, none, 4, "/nonexistent/scenario.json");

    char state_path[] = "/tmp/descovo-state-XXXXXX";
    int fd = mkstemp(state_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a state file\n", 17), 17);
    close(fd);
    char *bad_state[] = {"descovo-mock", "--port", "0", "--state-file", state_path, NULL};
    expect_exit(bad_state, none, 5, "state header");
    unlink(state_path);

    char *ready[] = {"descovo-mock", "--port", "0", "--ready-file", "/nonexistent/ready.json", NULL};
    expect_exit(ready, none, 6, "--ready-file: cannot create");
}

static void test_exit_status_internal(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan reserves terabytes of address space: no limit can apply */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    skip();
#endif
#endif
    /* Out of memory for the largest database: a 64 MiB address space. */
    char *big[] = {"descovo-mock", "--port", "0", "--companies", "400000", NULL};
    expect_exit(big, (child_setup){NULL, (rlim_t)64 << 20}, 1, "cannot generate a database");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_version_and_bad_options),
        cmocka_unit_test(test_starts_serves_and_stops),
        cmocka_unit_test(test_json_log),
        cmocka_unit_test(test_ready_file),
        cmocka_unit_test(test_admin_token_from_environment),
        cmocka_unit_test(test_exit_statuses),
        cmocka_unit_test(test_exit_status_internal),
    };
    return cmocka_run_group_tests_name("binary", tests, NULL, NULL);
}
