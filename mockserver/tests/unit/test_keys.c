/* memmem (the reference of test_mask_text_finds_every_key): _GNU_SOURCE. */
#define _GNU_SOURCE
/* Unit tests of keys: the keys file parser, fed from strings. A recording
 * visitor keeps what it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/keys.h"

#define MAX_SEEN 16

typedef struct seen_key {
    char key[KEYS_MAX_KEY_LEN + 2];
    int64_t credits;
    int64_t export_quota;
} seen_key;

typedef struct recorder {
    seen_key keys[MAX_SEEN];
    size_t n;
    size_t fail_at;   /* 1-based call that returns -1; 0: never */
    size_t calls;
} recorder;

static int record(void *ctx, const char *key, int64_t credits, int64_t export_quota)
{
    recorder *r = ctx;
    r->calls++;
    if (r->fail_at != 0 && r->calls == r->fail_at)
        return -1;
    assert_true(r->n < MAX_SEEN);
    assert_true(strlen(key) <= KEYS_MAX_KEY_LEN);
    seen_key *k = &r->keys[r->n++];
    snprintf(k->key, sizeof k->key, "%s", key);
    k->credits = credits;
    k->export_quota = export_quota;
    return 0;
}

/* Parses a NUL-terminated text. */
static int parse(const char *text, recorder *r, char *err, size_t errlen)
{
    memset(r->keys, 0, sizeof r->keys);
    r->n = 0;
    r->calls = 0;
    err[0] = '\0';
    return keys_parse(text, strlen(text), record, r, err, errlen);
}

static void expect_key(const recorder *r, size_t i, const char *key,
                       int64_t credits, int64_t quota)
{
    assert_true(i < r->n);
    assert_string_equal(r->keys[i].key, key);
    assert_int_equal(r->keys[i].credits, credits);
    assert_int_equal(r->keys[i].export_quota, quota);
}

/* Expects failure with an error that starts with "line N:". */
static void expect_error(const char *text, int line, const char *fragment)
{
    recorder r = {0};
    char err[256];
    char prefix[32];
    assert_int_equal(parse(text, &r, err, sizeof err), -1);
    snprintf(prefix, sizeof prefix, "line %d:", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s...\", got \"%s\"", prefix, err);
    if (fragment != NULL && strstr(err, fragment) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", fragment, err);
}

static void test_empty(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    assert_int_equal(parse("", &r, err, sizeof err), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(parse("\n\n\n", &r, err, sizeof err), 0);
    assert_int_equal(r.n, 0);
}

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    const char *text =
        "# a comment\n"
        "\n"
        "   \n"
        "\t\n"
        "#sk_not_a_key 10\n"
        "   # indented comment\n"
        "sk_one\n"
        "\n"
        "# trailing comment\n";
    assert_int_equal(parse(text, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_one", -1, -1);
}

static void test_word_counts(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    const char *text =
        "sk_a\n"
        "sk_b 500\n"
        "sk_c 25 1000\n"
        "sk_d 0 0\n";
    assert_int_equal(parse(text, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 4);
    expect_key(&r, 0, "sk_a", -1, -1);
    expect_key(&r, 1, "sk_b", 500, -1);
    expect_key(&r, 2, "sk_c", 25, 1000);
    expect_key(&r, 3, "sk_d", 0, 0);
}

static void test_spacing(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    const char *text =
        "   sk_lead 10\n"
        "\tsk_tab\t20\t30\n"
        "sk_many    40     50   \n"
        "sk_crlf 60\r\n"
        "sk_last 70";                  /* no final newline */
    assert_int_equal(parse(text, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 5);
    expect_key(&r, 0, "sk_lead", 10, -1);
    expect_key(&r, 1, "sk_tab", 20, 30);
    expect_key(&r, 2, "sk_many", 40, 50);
    expect_key(&r, 3, "sk_crlf", 60, -1);
    expect_key(&r, 4, "sk_last", 70, -1);
}

static void test_len_bounds_text(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    /* Only len bytes are read: the second line is outside. */
    const char *text = "sk_in 12\nsk_out 2\n";
    assert_int_equal(keys_parse(text, 9, record, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_in", 12, -1);
    /* A cut in the middle of a number keeps only the digits before it. */
    r.n = 0;
    assert_int_equal(keys_parse(text, 7, record, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_in", 1, -1);
    /* A cut before the number leaves it missing. */
    r.n = 0;
    assert_int_equal(keys_parse(text, 6, record, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_in", -1, -1);
}

static void test_large_numbers(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    assert_int_equal(parse("sk_big 1000000000000 999999999999\n", &r, err, sizeof err), 0);
    expect_key(&r, 0, "sk_big", 1000000000000LL, 999999999999LL);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    expect_error("sk_a 10\nsk_b abc\n", 2, "abc");
    expect_error("sk_a -5\n", 1, "-5");
    expect_error("sk_a 12x\n", 1, "12x");
    expect_error("sk_a 1.5\n", 1, "1.5");
    expect_error("# c\n\nsk_a 10 ten\n", 3, "ten");
    expect_error("sk_a 10 -1\n", 1, "-1");
    expect_error("sk_a 99999999999999999999999\n", 1, NULL);
}

static void test_too_many_words(void **state)
{
    (void)state;
    expect_error("sk_a 1 2 3\n", 1, NULL);
    expect_error("sk_ok\nsk_a 1 2 3 4 5 6\n", 2, NULL);
}

static void test_key_length(void **state)
{
    (void)state;
    char text[KEYS_MAX_KEY_LEN + 16];
    recorder r = {0};
    char err[256];

    memset(text, 'k', KEYS_MAX_KEY_LEN);
    snprintf(text + KEYS_MAX_KEY_LEN, 16, " 7\n");
    assert_int_equal(parse(text, &r, err, sizeof err), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(strlen(r.keys[0].key), KEYS_MAX_KEY_LEN);
    assert_int_equal(r.keys[0].credits, 7);

    memset(text, 'k', KEYS_MAX_KEY_LEN + 1);
    snprintf(text + KEYS_MAX_KEY_LEN + 1, 15, " 7\n");
    expect_error(text, 1, NULL);
}

static void test_very_long_line(void **state)
{
    (void)state;
    /* Longer than any line buffer a parser could reasonably keep. */
    char text[4096];
    snprintf(text, sizeof text, "sk_ok\n");
    size_t n = strlen(text);
    memset(text + n, 'x', sizeof text - n - 2);
    text[sizeof text - 2] = '\n';
    text[sizeof text - 1] = '\0';
    expect_error(text, 2, NULL);
}

static void test_visitor_fails(void **state)
{
    (void)state;
    recorder r = {0};
    r.fail_at = 2;
    char err[128] = "";
    const char *text = "# keys\nsk_a 1\n\nsk_b 2\nsk_c 3\n";
    r.n = 0;
    r.calls = 0;
    assert_int_equal(keys_parse(text, strlen(text), record, &r, err, sizeof err), -1);
    assert_int_equal(r.calls, 2);           /* stopped at once */
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_a", 1, -1);
    if (strncmp(err, "line 4:", 7) != 0)
        fail_msg("expected \"line 4:...\", got \"%s\"", err);
}

static void test_stops_at_first_error(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128];
    assert_int_equal(parse("sk_a 1\nsk_b x\nsk_c 3\n", &r, err, sizeof err), -1);
    assert_int_equal(r.n, 1);
    expect_key(&r, 0, "sk_a", 1, -1);
}

static void test_small_err_buffer(void **state)
{
    (void)state;
    recorder r = {0};
    char err[8];
    memset(err, 'Z', sizeof err);
    assert_int_equal(keys_parse("sk_a bad\n", 9, record, &r, err, sizeof err), -1);
    /* Truncated, but terminated inside the buffer. */
    assert_non_null(memchr(err, '\0', sizeof err));
    assert_memory_equal(err, "line 1:", 7);
}

static void test_default_keys(void **state)
{
    (void)state;
    recorder r = {0};
    char err[128] = "";
    assert_true(mock_default_keys_len > 0);
    int rc = keys_parse((const char *)mock_default_keys, mock_default_keys_len,
                        record, &r, err, sizeof err);
    if (rc != 0)
        fail_msg("embedded keys.txt: %s", err);
    assert_true(r.n >= 1);
    int found = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (strcmp(r.keys[i].key, "sk_test_descovo_dev") == 0) {
            found = 1;
            assert_int_equal(r.keys[i].credits, 50000);
        }
    }
    assert_true(found);
}

/* Logs and the journal show the first 8 and last 2 characters; short keys
 * show nothing of themselves. */
static void test_mask(void **state)
{
    (void)state;
    char out[32];
    keys_mask("sk_test_descovo_dev", out);
    assert_string_equal(out, "sk_test_***ev");
    keys_mask("sk_test_abc", out);
    assert_string_equal(out, "***");
    keys_mask("sk_test_abcd", out);
    assert_string_equal(out, "sk_test_***cd");
}

static char *masked(const char *text, const char *key)
{
    size_t len = 0;
    int oom = 0;
    keys_secret secret;
    keys_secret_init(&secret, key);
    char *out = keys_mask_text(text, strlen(text), &secret, &len, &oom);
    assert_false(oom);
    if (out != NULL)
        assert_int_equal(len, strlen(out));
    return out;
}

static void test_mask_text(void **state)
{
    (void)state;
    assert_null(masked("{\"name\":\"x\"}", "sk_test_descovo_dev"));
    assert_null(masked("", NULL));
    char *out = masked("{\"apiKey\":\"sk_test_descovo_dev\",\"name\":\"sk_test_descovo_dev!\"}", "sk_test_descovo_dev");
    assert_string_equal(out, "{\"apiKey\":\"sk_test_***ev\",\"name\":\"sk_test_***ev!\"}");
    free(out);
    /* Any apiKey field, with spaces, escapes and short values. */
    out = masked("[{\"apiKey\" :\n \"sk_other_key_42\"}, {\"apiKey\":\"a\\\"b\"}, {\"apiKey\":1}]", NULL);
    assert_string_equal(out, "[{\"apiKey\" :\n \"sk_other***42\"}, {\"apiKey\":\"***\"}, {\"apiKey\":1}]");
    free(out);
    /* A path. */
    out = masked("/_mock/accounts/sk_test_descovo_new", "sk_test_descovo_new");
    assert_string_equal(out, "/_mock/accounts/sk_test_***ew");
    free(out);
    /* An unterminated value is masked to the end. */
    out = masked("{\"apiKey\":\"sk_test_desc", NULL);
    assert_string_equal(out, "{\"apiKey\":\"sk_test_***sc");
    free(out);
    /* One prepared secret serves every text of a request; NULL is none. */
    keys_secret secret;
    keys_secret_init(&secret, "sk_test_descovo_dev");
    size_t len = 0;
    int oom = 0;
    out = keys_mask_text("/_mock/accounts/sk_test_descovo_dev", 35, &secret, &len, &oom);
    assert_string_equal(out, "/_mock/accounts/sk_test_***ev");
    free(out);
    out = keys_mask_text("{\"name\":\"sk_test_descovo_dev\"}", 30, &secret, &len, &oom);
    assert_string_equal(out, "{\"name\":\"sk_test_***ev\"}");
    free(out);
    assert_null(keys_mask_text("{\"name\":\"sk_test_descovo_dev\"}", 30, NULL, &len, &oom));
    assert_false(oom);
}

/* The reference: every occurrence of key, left to right, not overlapping,
 * replaced by its keys_mask form, found with memmem. NULL when none. */
static char *reference_masked(const char *text, const char *key)
{
    size_t len = strlen(text), n = strlen(key);
    char mask[32];
    keys_mask(key, mask);
    char *out = malloc(len * 3 + 1); /* "***" for a key of one byte */
    size_t o = 0, from = 0;
    int any = 0;
    const char *hit;
    while ((hit = memmem(text + from, len - from, key, n)) != NULL) {
        size_t at = (size_t)(hit - text);
        memcpy(out + o, text + from, at - from);
        o += at - from;
        memcpy(out + o, mask, strlen(mask));
        o += strlen(mask);
        from = at + n;
        any = 1;
    }
    memcpy(out + o, text + from, len - from + 1);
    if (!any) {
        free(out);
        return NULL;
    }
    return out;
}

/* The key is found wherever memmem finds it, whatever byte the search
 * looks for first and whatever its ends (compared before the rest): random
 * texts over the key's own characters (near misses everywhere), the key
 * planted at random places, at the start and the end; keys of one and two
 * bytes (first, last and pivot byte the same), and keys ending in digits as
 * the fleet's do, whose first byte starts many a near miss. */
static void test_mask_text_finds_every_key(void **state)
{
    (void)state;
    static const char *const keys[] = {"sk_test_descovo_dev", "sk_test_A1", "plainlowercasekey", "k-e-y_withsep",
                                       "s", "k1", "sk_test_fleet_12_3_0", "s0s0s0s0s0s0s"};
    static const char alphabet[] = "sk_test_descovdA1plainwrykh-\"{}:, 0123";
    unsigned seed = 12345;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *key = keys[k];
        for (int round = 0; round < 3000; round++) {
            char text[256];
            size_t len = 0, want = (size_t)(rand_r(&seed) % 200);
            while (len < want) {
                if (rand_r(&seed) % 9 == 0 && len + strlen(key) < sizeof text - 1) {
                    memcpy(text + len, key, strlen(key));
                    len += strlen(key);
                } else {
                    text[len++] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
                }
            }
            text[len] = '\0';
            char *expect = reference_masked(text, key);
            char *got = masked(text, key);
            if (expect == NULL || got == NULL) {
                if (expect != got)
                    fail_msg("key %s in \"%s\": expected %s, got %s", key, text, expect ? expect : "(nothing masked)",
                             got ? got : "(nothing masked)");
            } else if (strcmp(expect, got) != 0) {
                fail_msg("key %s in \"%s\": expected \"%s\", got \"%s\"", key, text, expect, got);
            }
            free(expect);
            free(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_text),
        cmocka_unit_test(test_mask_text_finds_every_key),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_word_counts),
        cmocka_unit_test(test_spacing),
        cmocka_unit_test(test_len_bounds_text),
        cmocka_unit_test(test_large_numbers),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_too_many_words),
        cmocka_unit_test(test_key_length),
        cmocka_unit_test(test_very_long_line),
        cmocka_unit_test(test_visitor_fails),
        cmocka_unit_test(test_stops_at_first_error),
        cmocka_unit_test(test_small_err_buffer),
        cmocka_unit_test(test_default_keys),
        cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
