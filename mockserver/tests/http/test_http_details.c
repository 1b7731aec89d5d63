/* HTTP/1.1 details a client may rely on, sent byte for byte on a socket:
 * absolute-form request targets, transfer codings other than chunked, and
 * an encoded '/' inside a path segment. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Sends request as is and reads the answer until the server closes or 5 s
 * pass; returns the status of the status line, 0 for none. */
static int raw_exchange(harness *h, const char *request, char *answer, size_t size)
{
    int port = atoi(strrchr(h->base_url, ':') + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    size_t len = strlen(request);
    assert_int_equal(write(fd, request, len), (ssize_t)len);
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t got = read(fd, answer + n, size - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    answer[n] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(answer, "HTTP/1.1 %d", &status) != 1)
        return 0;
    return status;
}

static void test_absolute_form(void **state)
{
    harness *h = *state;
    char request[512], answer[4096];
    snprintf(request, sizeof request, "GET %s/v1/credits?apiKey=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             h->base_url, DEV_KEY);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 200);
    assert_non_null(strstr(answer, "\"credits\""));
    /* Scheme case-insensitive; an authority with no path is "/". */
    snprintf(request, sizeof request, "GET HTTP://%s/_mock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             h->base_url + 7);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 200);
    snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", h->base_url);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 404);
    assert_non_null(strstr(answer, "No such endpoint: GET /."));
}

static void test_transfer_codings(void **state)
{
    harness *h = *state;
    char answer[4096];
    const char *codings[] = {"gzip, chunked", "chunked, gzip", "gzip", "identity"};
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++) {
        char request[512];
        snprintf(request, sizeof request, "POST /v1/audiences/create HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: %s\r\n\r\n5\r\nhello\r\n0\r\n\r\n", codings[i]);
        assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 501);
        assert_non_null(strstr(answer, "only \\\"chunked\\\""));
    }
    /* chunked alone still works. */
    char body[128];
    int n = snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"chunked\"}", DEV_KEY);
    char request[512];
    snprintf(request, sizeof request, "POST /v1/audiences/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", n, body);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 200);
}

static void test_encoded_slash(void **state)
{
    harness *h = *state;
    char answer[4096];
    char request[512];
    const char *id = harness_create(h, DEV_KEY, "slash", "NORMAL");
    /* aud_x%2F..%2Faud_real would otherwise reach another route. */
    snprintf(request, sizeof request, "GET /v1/audiences/%s%%2fenrichment%%2Fstatus?apiKey=%s HTTP/1.1\r\nHost: x\r\n"
             "Connection: close\r\n\r\n", id, DEV_KEY);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 400);
    assert_non_null(strstr(answer, "%2F"));
    /* In a query value it is data. */
    snprintf(request, sizeof request, "GET /v1/credits?apiKey=%s%%2F HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             DEV_KEY);
    assert_int_equal(raw_exchange(h, request, answer, sizeof answer), 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_absolute_form, harness_reset_state),
        cmocka_unit_test_setup(test_transfer_codings, harness_reset_state),
        cmocka_unit_test_setup(test_encoded_slash, harness_reset_state),
    };
    return cmocka_run_group_tests_name("http_details", tests, harness_group_setup, harness_group_teardown);
}
