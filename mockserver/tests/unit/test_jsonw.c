/* jsonw must write exactly what json_dumps(JSON_COMPACT |
 * JSON_REAL_PRECISION(10)) writes, and jsonw_write_exact what
 * json_dumps(JSON_COMPACT) writes: checked on hand-picked values and on
 * thousands of random trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/jsonw.h"
#include "random_json.h"

static void assert_same_as(const json_t *value, size_t flags, int (*write)(const json_t *, strbuf *))
{
    char *expected = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | flags);
    assert_non_null(expected);
    strbuf got = STRBUF_INIT;
    assert_int_equal(write(value, &got), 0);
    assert_false(got.oom);
    if (strcmp(expected, got.data) != 0)
        fail_msg("json_dumps: %s\njsonw:      %s", expected, got.data);
    free(expected);
    strbuf_release(&got);
}

static void assert_same(const json_t *value)
{
    assert_same_as(value, JSON_REAL_PRECISION(10), jsonw_write);
    assert_same_as(value, 0, jsonw_write_exact);
}

static void test_examples(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:b, s:n, s:[i, s, {}], s:{}, s:[]}",
                          "text", "quote \" backslash \\ newline \n tab \t bell \a del \x7f é ✓",
                          "big", (json_int_t)INT64_MAX, "small", (json_int_t)INT64_MIN,
                          "real", 0.2, "whole", 3.0, "tiny", 1e-12, "yes", 1, "none",
                          "list", 1, "two", "obj", "empty", "arr");
    assert_same(v);
    json_decref(v);
    json_t *s = json_stringn("nul\0inside", 10);
    assert_same(s);
    json_decref(s);
    static const double reals[] = {1e-05, 1e100, 123456789012.0, -0.0, 0.1, 2.5e-300, 1.0 / 3.0, 1e21, 100.0};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        json_t *r = json_real(reals[i]);
        assert_same(r);
        json_decref(r);
    }
    json_t *ordered = json_object();
    json_object_set_new(ordered, "z", json_integer(1));
    json_object_set_new(ordered, "a", json_integer(2));
    json_object_set_new(ordered, "m", json_real(-1.5e300));
    assert_same(ordered);
    json_decref(ordered);
}

static void test_random_trees(void **state)
{
    (void)state;
    random_json r = {.state = 12345, .reals = 1, .keys = TEXT_ANY};
    for (int i = 0; i < 5000; i++) {
        json_t *v = random_json_value(&r, 0);
        assert_same(v);
        json_decref(v);
    }
}

/* Strings are scanned 8 bytes at a time: put each byte that must (or must
 * not) be escaped at every position of strings of every length up to 24,
 * so that a word boundary falls before, on and after it. */
static void test_escape_at_every_position(void **state)
{
    (void)state;
    /* Escaped bytes, their neighbours, and UTF-8 (bytes of 0x80 and up). */
    static const char *const probes[] = {"\x00", "\x01", "\b", "\n", "\x1f", " ", "!", "\"", "\\",
                                         "/", "[", "]", "\x7f", "\xc3\xa9", "\xe2\x9c\x93"};
    char buf[32];
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
        size_t probe_len = probes[p][0] == '\0' ? 1 : strlen(probes[p]);
        for (size_t len = probe_len; len <= 24; len++) {
            for (size_t at = 0; at + probe_len <= len; at++) {
                memset(buf, 'a', len);
                memcpy(buf + at, probes[p], probe_len);
                json_t *v = json_stringn(buf, len);
                assert_non_null(v);
                assert_same(v);
                json_decref(v);
            }
        }
    }
}

static void test_depth_limit(void **state)
{
    (void)state;
    json_t *root = json_array();
    json_t *cur = root;
    for (int i = 0; i < JSONW_MAX_DEPTH + 5; i++) {
        json_t *inner = json_array();
        json_array_append_new(cur, inner);
        cur = inner;
    }
    strbuf out = STRBUF_INIT;
    assert_int_equal(jsonw_write(root, &out), -1);
    strbuf_release(&out);
    json_decref(root);
}

/* jsonw_plain quotes what it is given, as jsonw_string does a string with
 * nothing to escape. */
static void test_plain(void **state)
{
    (void)state;
    static const char *const texts[] = {"", "NORMAL", "2025-01-01T00:00:00.000Z", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        strbuf plain = STRBUF_INIT, escaped = STRBUF_INIT;
        jsonw_plain(&plain, texts[i], strlen(texts[i]));
        jsonw_string(&escaped, texts[i], strlen(texts[i]));
        assert_false(plain.oom);
        assert_string_equal(plain.data, escaped.data);
        strbuf_release(&plain);
        strbuf_release(&escaped);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_random_trees),
        cmocka_unit_test(test_escape_at_every_position),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_plain),
    };
    return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
