/* fleet_http_parse: every response reads the same whole, byte by byte and
 * split in two at every byte; chunked bodies with extensions and
 * trailers, Content-Length, bodies until close, 1xx and 204; malformed and
 * oversize responses are errors that name what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet_http_parse.h"

#define MAX_BODY 4096

/* What one way of feeding a response gave. */
typedef struct outcome {
    fhp_result result;
    int status;
    int closes;
    size_t used;           /* bytes of the input taken, over every call */
    char body[MAX_BODY + 1];
    size_t body_len;
    char error[160];
} outcome;

/* Feeds text in pieces of `piece` bytes (0: whole), the first piece
 * `first` bytes long when first > 0; stops at the first DONE or ERROR;
 * `finish` calls fhp_finish after the last byte (the server closed). */
static void feed(fhp *p, const char *text, size_t len, size_t first, size_t piece, int finish, outcome *o)
{
    fhp_reset(p);
    size_t at = 0;
    fhp_result r = FHP_MORE;
    while (at < len && r == FHP_MORE) {
        size_t n = len - at;
        if (at == 0 && first > 0)
            n = first;
        else if (piece > 0 && piece < n)
            n = piece;
        size_t used = 0;
        r = fhp_feed(p, text + at, n, &used);
        assert_true(used <= n);
        /* It stops early only when the response is done or broken. */
        if (r == FHP_MORE)
            assert_int_equal(used, n);
        at += used;
        if (used < n)
            break;
    }
    if (r == FHP_MORE && finish)
        r = fhp_finish(p);
    o->result = r;
    o->status = fhp_status(p);
    o->closes = fhp_closes(p);
    o->used = at;
    o->body_len = fhp_body_len(p);
    assert_true(o->body_len <= MAX_BODY);
    memcpy(o->body, fhp_body(p), o->body_len + 1);
    assert_int_equal(o->body[o->body_len], '\0');
    snprintf(o->error, sizeof o->error, "%s", fhp_error(p));
}

static void assert_same(const outcome *a, const outcome *b)
{
    assert_int_equal(a->result, b->result);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->closes, b->closes);
    assert_string_equal(a->error, b->error);
    /* How much of a broken response was kept depends on the pieces. */
    if (a->result == FHP_ERROR)
        return;
    assert_int_equal(a->body_len, b->body_len);
    assert_memory_equal(a->body, b->body, a->body_len);
    assert_int_equal(a->used, b->used);
}

/* Parses text whole, then byte by byte, then split at every byte, and
 * checks that every way gives what the whole did; returns that. */
static outcome *parse_every_way(const char *text, int finish)
{
    size_t len = strlen(text);
    fhp *p = fhp_new(MAX_BODY);
    assert_non_null(p);
    outcome *whole = calloc(1, sizeof *whole);
    outcome *other = calloc(1, sizeof *other);
    assert_non_null(whole);
    assert_non_null(other);
    feed(p, text, len, 0, 0, finish, whole);
    feed(p, text, len, 0, 1, finish, other);
    assert_same(whole, other);
    for (size_t split = 1; split < len; split++) {
        feed(p, text, len, split, 0, finish, other);
        assert_same(whole, other);
    }
    free(other);
    fhp_free(p);
    return whole;
}

static void expect_body(const char *text, int finish, int status, const char *body, int closes)
{
    outcome *o = parse_every_way(text, finish);
    assert_int_equal(o->result, FHP_DONE);
    assert_int_equal(o->status, status);
    assert_int_equal(o->closes, closes);
    assert_int_equal(o->body_len, strlen(body));
    assert_memory_equal(o->body, body, o->body_len);
    assert_string_equal(o->error, "");
    free(o);
}

/* The error must come whichever way the bytes arrive, naming `what`. */
static void expect_error(const char *text, int finish, const char *what)
{
    outcome *o = parse_every_way(text, finish);
    assert_int_equal(o->result, FHP_ERROR);
    if (strstr(o->error, what) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", o->error, what);
    free(o);
}

static void test_content_length(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
                "{\"output\":{}}",
                0, 200, "{\"output\":{}}", 0);
    expect_body("HTTP/1.1 404 Not Found\r\ncontent-length:  5 \r\n\r\nnope!", 0, 404, "nope!", 0);
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, "", 0);
    /* No reason phrase, bare LF line ends. */
    expect_body("HTTP/1.1 201\nContent-Length: 2\n\nok", 0, 201, "ok", 0);
}

static void test_chunked(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n1;name=value;other\r\n,\r\nA \r\n abcdefghi\r\n0\r\n\r\n",
                0, 200, "hello, abcdefghi", 0);
    /* Trailers after the last chunk are read and dropped. */
    expect_body("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
                "3;x\r\nabc\r\n0;last\r\nX-Checksum: 1234\r\nX-More: 5\r\n\r\n",
                0, 200, "abc", 0);
    /* Transfer-Encoding wins over a Content-Length. */
    expect_body("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nhi\r\n0\r\n\r\n",
                0, 200, "hi", 0);
}

static void test_connection_close(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", 0, 200, "bye", 1);
    expect_body("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 1\r\n\r\nx", 0, 200, "x", 1);
    expect_body("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 0, 200, "x", 1);
    expect_body("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 0, 200, "x", 0);
    /* No length: the body is the rest of the connection. */
    expect_body("HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n", 1, 200, "a,b\r\n1,2\r\n", 1);
}

static void test_no_body_and_interim(void **state)
{
    (void)state;
    expect_body("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0, 204, "", 0);
    expect_body("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 200, "ok", 0);
}

/* A second response on the same connection: bytes after the first one are
 * not taken, and the parser reads the next one after a reset. */
static void test_keep_alive_sequence(void **state)
{
    (void)state;
    const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nbc";
    fhp *p = fhp_new(MAX_BODY);
    assert_non_null(p);
    size_t used = 0;
    assert_int_equal(fhp_feed(p, two, sizeof two - 1, &used), FHP_DONE);
    assert_int_equal(used, strlen("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"));
    assert_string_equal(fhp_body(p), "a");
    size_t more = 0;
    assert_int_equal(fhp_feed(p, two + used, 1, &more), FHP_DONE);
    assert_int_equal(more, 0);
    assert_int_equal(fhp_finish(p), FHP_DONE);
    fhp_reset(p);
    assert_int_equal(fhp_started(p), 0);
    assert_int_equal(fhp_feed(p, two + used, sizeof two - 1 - used, &more), FHP_DONE);
    assert_int_equal(more, sizeof two - 1 - used);
    assert_int_equal(fhp_status(p), 500);
    assert_string_equal(fhp_body(p), "bc");
    assert_int_equal(fhp_started(p), 1);
    fhp_free(p);
    fhp_free(NULL);
}

static void test_bad_status_line(void **state)
{
    (void)state;
    expect_error("HTTP/2 200 OK\r\n\r\n", 0, "bad status line");
    expect_error("HTTP/1.1 20 OK\r\n\r\n", 0, "bad status line");
    expect_error("HTTP/1.1 2x0 OK\r\n\r\n", 0, "bad status line");
    expect_error("HTTP/1.1 200OK\r\n\r\n", 0, "bad status line");
    expect_error("SSH-2.0-OpenSSH\r\n", 0, "bad status line");
    expect_error("HTTP/1.1 099 Low\r\n\r\n", 0, "bad status code");
}

static void test_bad_headers(void **state)
{
    (void)state;
    expect_error("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 0, "bad header line");
    expect_error("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, "bad header name");
    expect_error("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", 0, "folded header");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, "bad Content-Length");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "bad Content-Length");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, "empty Content-Length");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 0, "two different");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0, "too large");
}

static void test_bad_chunks(void **state)
{
    (void)state;
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *bodies[][2] = {
        {"zz\r\nab\r\n0\r\n\r\n", "bad chunk size"},
        {"\r\nab\r\n0\r\n\r\n", "bad chunk size"},
        {"2 x\r\nab\r\n0\r\n\r\n", "bad chunk size"},
        {"-2\r\nab\r\n0\r\n\r\n", "bad chunk size"},
        {"2\r\nabc\r\n0\r\n\r\n", "chunk data longer"},
        {"FFFFFFFFFFFFFFFFFFFF\r\n", "allowed"},
    };
    char text[256];
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        snprintf(text, sizeof text, "%s%s", head, bodies[i][0]);
        expect_error(text, 0, bodies[i][1]);
    }
}

static void test_oversize(void **state)
{
    (void)state;
    char text[3 * MAX_BODY];
    snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", MAX_BODY + 1);
    expect_error(text, 0, "more than the 4096 bytes allowed");
    /* Chunks that together pass the limit. */
    int n = snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n, "400\r\n");
        memset(text + n, 'x', 0x400);
        n += 0x400;
        n += snprintf(text + n, sizeof text - (size_t)n, "\r\n");
    }
    expect_error(text, 0, "allowed");
    /* A body until close that grows past the limit. */
    n = snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\n\r\n");
    memset(text + n, 'y', MAX_BODY + 1);
    text[n + MAX_BODY + 1] = '\0';
    expect_error(text, 1, "allowed");
    /* A header line past FHP_MAX_LINE. */
    char *big = malloc(FHP_MAX_LINE + 64);
    assert_non_null(big);
    n = snprintf(big, FHP_MAX_LINE + 64, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(big + n, 'z', FHP_MAX_LINE);
    snprintf(big + n + FHP_MAX_LINE, 64 - (size_t)n, "\r\n\r\n");
    fhp *p = fhp_new(MAX_BODY);
    assert_non_null(p);
    size_t used = 0;
    assert_int_equal(fhp_feed(p, big, strlen(big), &used), FHP_ERROR);
    assert_non_null(strstr(fhp_error(p), "line longer than"));
    /* Broken stays broken until a reset. */
    assert_int_equal(fhp_feed(p, "HTTP/1.1 200 OK\r\n", 17, &used), FHP_ERROR);
    assert_int_equal(used, 0);
    fhp_reset(p);
    assert_string_equal(fhp_error(p), "");
    /* Many short header lines past FHP_MAX_HEAD. */
    fhp_result r = fhp_feed(p, "HTTP/1.1 200 OK\r\n", 17, &used);
    for (int i = 0; i < FHP_MAX_HEAD / 8 && r == FHP_MORE; i++)
        r = fhp_feed(p, "X-A: b\r\n", 8, &used);
    assert_int_equal(r, FHP_ERROR);
    assert_non_null(strstr(fhp_error(p), "headers longer than"));
    fhp_free(p);
    free(big);
}

static void test_cut_short(void **state)
{
    (void)state;
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1, "closed mid-answer");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1, "closed mid-answer");
    expect_error("HTTP/1.1 200 OK\r\nContent-", 1, "closed mid-answer");
    fhp *p = fhp_new(MAX_BODY);
    assert_non_null(p);
    assert_int_equal(fhp_finish(p), FHP_ERROR);
    assert_non_null(strstr(fhp_error(p), "before any answer"));
    fhp_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),    cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_connection_close),  cmocka_unit_test(test_no_body_and_interim),
        cmocka_unit_test(test_keep_alive_sequence), cmocka_unit_test(test_bad_status_line),
        cmocka_unit_test(test_bad_headers),       cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_oversize),          cmocka_unit_test(test_cut_short),
    };
    return cmocka_run_group_tests_name("fleet_http_parse", tests, NULL, NULL);
}
