/* HTTP/1.1 details a client may rely on, sent byte for byte on a socket:
 * absolute-form request targets, transfer codings other than chunked, an
 * encoded '/' inside a path segment, the answers of one keep-alive
 * connection that polls, downloads pipelined on two at once, and a
 * request journaled once it is answered. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Sends request as is and reads the answer until the server closes or 5 s
 * pass; returns the status of the status line, 0 for none. */
static int raw_exchange(harness *h, const char *request, char *answer, size_t size)
{
    int fd = harness_connect(h->base_url);
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

/* One GET on an open keep-alive connection: reads the answer up to its
 * Content-Length and copies its body into body (size bytes). Returns the
 * status. */
static int keepalive_get(int fd, const char *path, char *body, size_t size)
{
    char request[512];
    int len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    assert_int_equal(write(fd, request, (size_t)len), len);
    char answer[8192];
    size_t n = 0;
    const char *head_end = NULL;
    size_t want = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 5000) > 0);
        ssize_t got = read(fd, answer + n, sizeof answer - 1 - n);
        assert_true(got > 0);
        n += (size_t)got;
        answer[n] = '\0';
        head_end = strstr(answer, "\r\n\r\n");
        if (head_end == NULL)
            continue;
        const char *length = strstr(answer, "Content-Length: ");
        assert_non_null(length);
        want = (size_t)(head_end + 4 - answer) + strtoul(length + 16, NULL, 10);
        if (n >= want)
            break;
    }
    assert_int_equal(n, want); /* nothing more than the one answer */
    size_t body_len = want - (size_t)(head_end + 4 - answer);
    assert_true(body_len < size);
    memcpy(body, head_end + 4, body_len);
    body[body_len] = '\0';
    int status = 0;
    assert_int_equal(sscanf(answer, "HTTP/1.1 %d", &status), 1);
    return status;
}

/* Whether the journal holds exactly `count` answers of GET path, the last
 * of them equal to `last`. */
static void assert_journaled(harness *h, const char *path, size_t count, const char *last)
{
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/requests?method=GET&path=%s", path), 200);
    json_t *entries = json_object_get(json_object_get(res.json, "output"), "entries");
    assert_int_equal(json_array_size(entries), count);
    json_t *newest = json_array_get(entries, count - 1);
    assert_string_equal(json_string_value(json_object_get(newest, "responseBody")), last);
    http_response_free(&res);
}

/* A client polling one audience on one keep-alive connection sees every
 * change at once: the connection's last answer is sent again only when the
 * bytes are the same (server.c, connection_slot), and every poll is
 * journaled with its own answer. */
static void test_keepalive_polls_see_changes(void **state)
{
    harness *h = *state;
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "polled", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":10");
    char status_path[160], audience_path[96];
    snprintf(audience_path, sizeof audience_path, "/v1/audiences/%s", id);
    snprintf(status_path, sizeof status_path, "%s?apiKey=%s", audience_path, DEV_KEY);
    int fd = harness_connect(h->base_url);
    char first[4096], again[4096], other[4096];
    assert_int_equal(keepalive_get(fd, status_path, first, sizeof first), 200);
    assert_non_null(strstr(first, "\"status\":\"DRAFT\""));
    assert_int_equal(keepalive_get(fd, status_path, again, sizeof again), 200);
    assert_string_equal(again, first);
    /* Changed by another connection: the next poll shows it. */
    http_response res;
    char build_path[128];
    snprintf(build_path, sizeof build_path, "%s/build", audience_path);
    assert_int_equal(harness_send(h, "POST", &res, build_path, "{\"apiKey\":\"%s\"}", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(keepalive_get(fd, status_path, again, sizeof again), 200);
    assert_null(strstr(again, "\"status\":\"DRAFT\""));
    harness_advance(h, 3600);
    assert_int_equal(keepalive_get(fd, status_path, again, sizeof again), 200);
    assert_non_null(strstr(again, "\"status\":\"NORMAL\""));
    assert_journaled(h, audience_path, 4, again);
    /* Another answer between two equal ones. */
    char credits_path[96];
    snprintf(credits_path, sizeof credits_path, "/v1/credits?apiKey=%s", DEV_KEY);
    assert_int_equal(keepalive_get(fd, credits_path, other, sizeof other), 200);
    assert_non_null(strstr(other, "\"credits\""));
    assert_int_equal(keepalive_get(fd, status_path, first, sizeof first), 200);
    assert_string_equal(first, again);
    assert_int_equal(keepalive_get(fd, status_path, first, sizeof first), 200);
    assert_string_equal(first, again);
    assert_journaled(h, audience_path, 6, again);
    /* An error answer, twice, and the status after it. */
    assert_int_equal(keepalive_get(fd, "/v1/credits?apiKey=not_a_key", other, sizeof other), 401);
    assert_int_equal(keepalive_get(fd, "/v1/credits?apiKey=not_a_key", first, sizeof first), 401);
    assert_string_equal(first, other);
    assert_int_equal(keepalive_get(fd, status_path, first, sizeof first), 200);
    assert_string_equal(first, again);
    /* Two audiences whose answers differ in a few bytes, not in length. */
    char twin[64], twin_path[160];
    snprintf(twin, sizeof twin, "%s", harness_create(h, DEV_KEY, "pollee", "NORMAL"));
    snprintf(twin_path, sizeof twin_path, "/v1/audiences/%s?apiKey=%s", twin, DEV_KEY);
    char a[4096], b[4096];
    assert_int_equal(keepalive_get(fd, twin_path, a, sizeof a), 200);
    snprintf(twin, sizeof twin, "%s", harness_create(h, DEV_KEY, "pollex", "NORMAL"));
    snprintf(twin_path, sizeof twin_path, "/v1/audiences/%s?apiKey=%s", twin, DEV_KEY);
    assert_int_equal(keepalive_get(fd, twin_path, b, sizeof b), 200);
    assert_int_equal(strlen(a), strlen(b));
    assert_non_null(strstr(b, "\"name\":\"pollex\""));
    assert_non_null(strstr(b, twin));
    close(fd);
}

/* The query's apiKey is found by name as libmicrohttpd finds names, in any
 * case; a name without a value is no key. The dispatcher takes it from its
 * walk over the query (routes.c, check_query) instead of a lookup. */
static void test_query_key_names(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/credits?APIKEY=%s", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/credits?limit=1&apikey=%s", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKey"), 401);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKeys=%s", DEV_KEY), 401);
    http_response_free(&res);
    /* The first of two spellings counts (each name is given once). */
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKey=%s&APIKEY=nope", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/credits?APIKEY=nope&apiKey=%s", DEV_KEY), 401);
    http_response_free(&res);
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

static void big_dataset(mock_options *options)
{
    options->companies = 20000;
}

/* A request is in the journal once its answer has begun: a client that
 * has the headers of a download (and reads no more) finds it there on
 * another connection. Journaled at completion instead, the entry waited for
 * the last byte of the body, which this client never takes. */
static void test_journaled_once_answered(void **state)
{
    (void)state;
    harness *h = harness_start(big_dataset);
    http_response res;
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" DEV_KEY, "{\"credits\":100000000}"), 200);
    http_response_free(&res);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "big", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id,
                        "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":20000");
    harness_build_until_normal(h, DEV_KEY, id);
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}",
                                  DEV_KEY), 200);
    const char *url = json_string_value(json_object_get(json_object_get(res.json, "output"), "downloadUrl"));
    assert_non_null(url);
    char download[200];
    snprintf(download, sizeof download, "%s", strstr(url, "/v1/exports/"));
    http_response_free(&res);

    /* A client with a small receive window: the body (megabytes) cannot
     * all be sent while it does not read. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int small = 4096;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    addr.sin_port = htons((uint16_t)atoi(strrchr(h->base_url, ':') + 1));
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char request[400];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", download);
    assert_int_equal(write(fd, request, (size_t)n), n);
    char head[2048];
    size_t got = 0;
    while (got + 1 < sizeof head) {
        struct pollfd p = {fd, POLLIN, 0};
        assert_true(poll(&p, 1, 5000) > 0);
        ssize_t r = read(fd, head + got, 1); /* byte by byte: take no more than the headers */
        assert_true(r == 1);
        got++;
        head[got] = '\0';
        if (strstr(head, "\r\n\r\n") != NULL)
            break;
    }
    assert_non_null(strstr(head, "HTTP/1.1 200"));
    assert_non_null(strstr(head, "text/csv"));
    assert_int_equal(harness_get(h, &res, "/_mock/requests?method=GET&path=/v1/exports/*"), 200);
    json_t *entries = json_object_get(json_object_get(res.json, "output"), "entries");
    assert_int_equal(json_array_size(entries), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(entries, 0), "status")), 200);
    http_response_free(&res);
    close(fd);
    harness_stop(h);
}

/* Requests an export of audience id and returns its download path (on this
 * server, without the base URL) in path. */
static void export_path(harness *h, const char *id, const char *kind, const char *format, char *path, size_t size)
{
    char request[128];
    snprintf(request, sizeof request, "/v1/audiences/%s/export/%s", id, kind);
    http_response res;
    long status = harness_send(h, "POST", &res, request, "{\"apiKey\":\"%s\",\"format\":\"%s\"}", DEV_KEY, format);
    if (status != 200)
        fail_msg("export %s: %ld %s", kind, status, res.raw);
    const char *url = json_string_value(json_object_get(json_object_get(res.json, "output"), "downloadUrl"));
    assert_non_null(url);
    size_t base_len = strlen(h->base_url);
    assert_int_equal(strncmp(url, h->base_url, base_len), 0);
    snprintf(path, size, "%s", url + base_len);
    http_response_free(&res);
}

/* Where the answer that starts at answer[from] ends (its Content-Length
 * after its head), or 0 when its head is not all in answer[0..n). */
static size_t answer_end(const char *answer, size_t n, size_t from)
{
    const char *head_end = NULL;
    for (size_t i = from; i + 4 <= n && head_end == NULL; i++)
        if (memcmp(answer + i, "\r\n\r\n", 4) == 0)
            head_end = answer + i;
    if (head_end == NULL)
        return 0;
    const char *length = strstr(answer + from, "Content-Length: ");
    assert_true(length != NULL && length < head_end);
    return (size_t)(head_end + 4 - answer) + strtoul(length + 16, NULL, 10);
}

/* One keep-alive connection that pipelines downloads and reads their
 * answers as they come. */
typedef struct pipeline {
    int fd;
    char *answer;
    size_t cap, n, from;          /* from: where the next answer starts */
    size_t next;                  /* answers read whole */
} pipeline;

/* When the next answer is all in, checks that it is a 200 whose body is
 * want[0..want_len) and moves past it; otherwise reads what has come. */
static void read_some(pipeline *r, const char *want, size_t want_len)
{
    size_t end = answer_end(r->answer, r->n, r->from);
    if (end == 0 || r->n < end) {
        struct pollfd p = {r->fd, POLLIN, 0};
        assert_true(poll(&p, 1, 5000) > 0);
        size_t room = r->cap - 1 - r->n;
        assert_true(room > 0);
        ssize_t got = read(r->fd, r->answer + r->n, room);
        assert_true(got > 0);
        r->n += (size_t)got;
        r->answer[r->n] = '\0';
        return;
    }
    const char *body = strstr(r->answer + r->from, "\r\n\r\n") + 4;
    assert_int_equal(strncmp(r->answer + r->from, "HTTP/1.1 200", 12), 0);
    assert_int_equal(r->answer + end - body, (ptrdiff_t)want_len);
    assert_memory_equal(body, want, want_len);
    r->from = end;
    r->next++;
}

/* Downloads pipelined on two keep-alive connections at once, each held
 * by injected latency after it is read (its answer waits, built, while
 * the other connection's download is read): every answer has the bytes
 * of that download alone. A CSV is read into a buffer that its response
 * gives back to the server for the next download (server.c,
 * CSV_HEAD_FIRST) only once the response is done: two answers waiting
 * have two buffers. The last download is larger than a buffer. */
static void test_pipelined_downloads(void **state)
{
    harness *h = *state;
    enum { N = 4, CONNS = 2 };
    /* Two different CSVs of 40-64 KiB (not one the other's first rows)
     * and one larger. */
    char id[64], other_id[64], big_id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "pipelined", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":100");
    harness_build_until_normal(h, DEV_KEY, id);
    snprintf(other_id, sizeof other_id, "%s", harness_create(h, DEV_KEY, "pipelined too", "NORMAL"));
    harness_set_filters(h, DEV_KEY, other_id,
                        "\"companySearchParams\":{\"employeeCountV2\":{\"min\":50}},\"maxCompanies\":130");
    harness_build_until_normal(h, DEV_KEY, other_id);
    snprintf(big_id, sizeof big_id, "%s", harness_create(h, DEV_KEY, "pipelined big", "NORMAL"));
    harness_set_filters(h, DEV_KEY, big_id,
                        "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":300");
    harness_build_until_normal(h, DEV_KEY, big_id);
    char paths[N][160];
    export_path(h, id, "companies", "COMPANY_GENERIC_CSV", paths[0], sizeof paths[0]);
    export_path(h, other_id, "companies", "COMPANY_GENERIC_CSV", paths[1], sizeof paths[1]);
    snprintf(paths[2], sizeof paths[2], "%s", paths[0]);
    export_path(h, big_id, "companies", "COMPANY_GENERIC_CSV", paths[3], sizeof paths[3]);
    char *alone[N];
    size_t alone_len[N];
    for (size_t i = 0; i < N; i++) {
        http_response res;
        assert_int_equal(harness_get(h, &res, "%s", paths[i]), 200);
        alone_len[i] = res.raw_len;
        alone[i] = malloc(res.raw_len + 1);
        assert_non_null(alone[i]);
        memcpy(alone[i], res.raw, res.raw_len + 1);
        http_response_free(&res);
    }
    for (size_t i = 0; i < 2; i++)
        assert_true(alone_len[i] > 40 * 1024 && alone_len[i] < 64 * 1024);
    assert_true(alone_len[3] > 64 * 1024);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/faults", "%s",
                                  "{\"match\":{\"path\":\"/v1/exports/*\"},\"action\":{\"type\":\"latency\",\"ms\":150}}"),
                     200);
    http_response_free(&res);

    /* Connection c asks for the downloads in its own order, starting at c. */
    pipeline readers[CONNS];
    for (size_t c = 0; c < CONNS; c++) {
        pipeline *r = &readers[c];
        *r = (pipeline){harness_connect(h->base_url), NULL, 1024, 0, 0, 0};
        char request[N * 200] = "";
        size_t request_len = 0;
        for (size_t i = 0; i < N; i++) {
            r->cap += alone_len[i] + 1024;
            request_len += (size_t)snprintf(request + request_len, sizeof request - request_len,
                                            "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[(c + i) % N]);
        }
        r->answer = malloc(r->cap);
        assert_non_null(r->answer);
        r->answer[0] = '\0';
        assert_int_equal(write(r->fd, request, request_len), (ssize_t)request_len);
    }
    for (size_t left = CONNS; left > 0;) {
        left = 0;
        for (size_t c = 0; c < CONNS; c++) {
            pipeline *r = &readers[c];
            if (r->next == N)
                continue;
            size_t want = (c + r->next) % N;
            read_some(r, alone[want], alone_len[want]);
            left += r->next < N;
        }
    }
    for (size_t c = 0; c < CONNS; c++) {
        assert_int_equal(readers[c].n, readers[c].from); /* nothing after the last answer */
        close(readers[c].fd);
        free(readers[c].answer);
    }
    for (size_t i = 0; i < N; i++)
        free(alone[i]);
    harness_request(h, "DELETE", "/_mock/faults", NULL, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_absolute_form, harness_reset_state),
        cmocka_unit_test_setup(test_transfer_codings, harness_reset_state),
        cmocka_unit_test_setup(test_encoded_slash, harness_reset_state),
        cmocka_unit_test_setup(test_keepalive_polls_see_changes, harness_reset_state),
        cmocka_unit_test_setup(test_query_key_names, harness_reset_state),
        cmocka_unit_test_setup(test_pipelined_downloads, harness_reset_state),
        cmocka_unit_test(test_journaled_once_answered),
    };
    return cmocka_run_group_tests_name("http_details", tests, harness_group_setup, harness_group_teardown);
}
