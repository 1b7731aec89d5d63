/* jsonr must read request bodies exactly as jansson does, or leave them to
 * jansson: hand-picked texts, random trees written every way jansson
 * writes them, and thousands of mutations of those (tests/jsonr_check.c
 * holds the comparison). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/jsonr.h"
#include "jsonr_check.h"
#include "random_json.h"

static void expect_outcome(const char *text, size_t len, int expected)
{
    char why[256] = "";
    int got = jsonr_check(text, len, why, sizeof why);
    if (got < 0)
        fail_msg("%s: %.*s", why, (int)len, text);
    if (got != expected)
        fail_msg("expected jsonr to %s: %.*s", expected == JSONR_READ ? "read it" : "give up", (int)len, text);
}

static void expect_read(const char *text)
{
    expect_outcome(text, strlen(text), JSONR_READ);
}

static void expect_gave_up(const char *text)
{
    expect_outcome(text, strlen(text), JSONR_GAVE_UP);
}

static void test_reads_bodies(void **state)
{
    (void)state;
    expect_read("{}");
    expect_read(" \t\r\n{ } \n");
    expect_read("{\"apiKey\":\"sk_test_descovo_dev\",\"maxProspectsToEnrich\":50,"
                "\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":null}}");
    expect_read("{\"a\":[],\"b\":[1,[2,[3]],{}],\"c\":{\"d\":{\"e\":\"f\"}}}");
    expect_read("{\"z\":1,\"a\":2,\"m\":3}");
    expect_read("{\"n\":-0,\"m\":0,\"big\":9223372036854775807,\"small\":-9223372036854775808}");
    expect_read("{\"s\":\"quote \\\" backslash \\\\ slash \\/ \\b\\f\\n\\r\\t\"}");
    expect_read("{\"u\":\"\\u00e9\\u2713\\uD83D\\uDE00\\u001f\\uffff\"}");
    expect_read("{\"raw\":\"\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \x7f\"}");
    expect_read("{\"\":\"\",\"key with spaces\":\" \"}");
    expect_read("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }");
}

static void test_leaves_the_rest_to_jansson(void **state)
{
    (void)state;
    /* jansson reads these; jsonr does not, by design. */
    expect_gave_up("[1,2]");
    expect_gave_up("{\"real\":1.5}");
    expect_gave_up("{\"real\":1e3}");
    expect_gave_up("{\"real\":-0.0}");
    expect_gave_up("{\"k\\u0065y\":1}");
    /* Invalid: jansson refuses them, and so must jsonr. */
    static const char *const invalid[] = {
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}", "{\"a\":[1,]}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":tru}",
        "{\"a\":truex}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":\"x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u0000\"}", "{\"a\":\"\\uD800\"}", "{\"a\":\"\\uDC00\"}", "{\"a\":\"\\uD800\\u0041\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":1,\"a\":2}",
        "{'a':1}", "{a:1}", "\xef\xbb\xbf{}", "{\"a\":99999999999999999999}", "{\"a\":-9223372036854775809}",
        "{\"a\":9223372036854775808}", "{\"a\":[}", "{\"a\":{\"b\":1}", "{\"a\":1]",
        /* duplicates found after the value is read, nested and of every type */
        "{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", "{\"a\":{\"b\":1},\"a\":{\"b\":1}}", "{\"a\":\"s\",\"b\":[],\"a\":null}",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        expect_gave_up(invalid[i]);
    /* A NUL byte, inside a string and after the object; after a number
     * jansson skips it and reads the object: jsonr leaves that to it. */
    expect_outcome("{\"a\":\"x\0y\"}", 11, JSONR_GAVE_UP);
    expect_outcome("{\"a\":1}\0", 8, JSONR_GAVE_UP);
    expect_outcome("{\"a\":1\0}", 8, JSONR_GAVE_UP);
}

/* Strings are read 8 bytes at a time while they are plain ASCII: a byte
 * that ends the run (quote, escape, control, UTF-8, invalid) at every
 * offset of a word, in keys and values, reads as jansson reads it. */
static void test_every_offset_of_a_word(void **state)
{
    (void)state;
    static const char *const cuts[] = {"", "\\n", "\\u00e9", "\xc3\xa9", "\xe2\x82\xac", "\x01", "\xff", "\xc3", "\"x"};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        for (size_t before = 0; before < 20; before++) {
            char plain[24];
            memset(plain, 'a', before);
            plain[before] = '\0';
            char text[160];
            snprintf(text, sizeof text, "{\"k%s%sz\":\"%s%sbbbbbbbbb\",\"v\":\"%s%s\"}", plain, cuts[c], plain,
                     cuts[c], plain, cuts[c]);
            char why[256] = "";
            if (jsonr_check(text, strlen(text), why, sizeof why) < 0)
                fail_msg("%s: %s", why, text);
        }
    }
    expect_read("{\"abcdefghijklmnopqrstuvwxyz\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~\"}");
}

static void test_depth(void **state)
{
    (void)state;
    char text[6 * (JSONR_MAX_DEPTH + 2)];
    for (int depth = JSONR_MAX_DEPTH - 1; depth <= JSONR_MAX_DEPTH + 1; depth++) {
        /* {"a":{"a":...{}...}} with `depth` objects */
        size_t len = 0;
        for (int i = 0; i < depth - 1; i++) {
            memcpy(text + len, "{\"a\":", 5);
            len += 5;
        }
        text[len++] = '{';
        memset(text + len, '}', (size_t)depth);
        len += (size_t)depth;
        expect_outcome(text, len, depth <= JSONR_MAX_DEPTH ? JSONR_READ : JSONR_GAVE_UP);
    }
    /* A lower limit, as the dispatcher asks for (API_MAX_JSON_DEPTH). */
    json_t *two = jsonr_object("{\"a\":[]}", 8, 2);
    assert_non_null(two);
    json_decref(two);
    assert_null(jsonr_object("{\"a\":[[]]}", 10, 2));
    assert_null(jsonr_object("{\"a\":{\"b\":{}}}", 14, 2));
}

static void mutate(random_json *r, char *text, size_t *len, size_t cap)
{
    static const char interesting[] = "{}[],:\"\\ 0-1.eEtfnu\x00\x1f\x7f\xc3\xa9\xed\xff";
    size_t at = *len > 0 ? random_json_next(r) % *len : 0;
    char c = interesting[random_json_next(r) % (sizeof interesting - 1)];
    switch (random_json_next(r) % 4) {
    case 0:
        if (*len > 0)
            text[at] = c;
        break;
    case 1:
        if (*len > 0) {
            memmove(text + at, text + at + 1, *len - at - 1);
            (*len)--;
        }
        break;
    case 2:
        if (*len + 1 < cap) {
            memmove(text + at + 1, text + at, *len - at);
            text[at] = c;
            (*len)++;
        }
        break;
    default:
        *len = at;
        break;
    }
}

static void test_random_trees_and_mutations(void **state)
{
    (void)state;
    static const size_t flags[] = {JSON_COMPACT, JSON_INDENT(2), JSON_ENSURE_ASCII, JSON_COMPACT | JSON_ENSURE_ASCII};
    random_json r = {.state = 0x9E3779B97F4A7C15ULL};
    for (int i = 0; i < 4000; i++) {
        /* Keys jsonr reads itself: no escape, even with JSON_ENSURE_ASCII. */
        r.keys = (flags[i % 4] & JSON_ENSURE_ASCII) ? TEXT_ASCII : TEXT_PLAIN;
        json_t *tree = random_json_object(&r);
        char *text = json_dumps(tree, flags[i % 4]);
        assert_non_null(text);
        size_t len = strlen(text);
        expect_outcome(text, len, JSONR_READ);
        char buf[4096];
        for (int m = 0; m < 20 && len < sizeof buf; m++) {
            size_t mutated_len = len;
            memcpy(buf, text, len);
            for (int edits = 1 + (int)(random_json_next(&r) % 3); edits > 0; edits--)
                mutate(&r, buf, &mutated_len, sizeof buf);
            char why[256] = "";
            if (jsonr_check(buf, mutated_len, why, sizeof why) < 0)
                fail_msg("%s: %.*s", why, (int)mutated_len, buf);
        }
        free(text);
        json_decref(tree);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_bodies),
        cmocka_unit_test(test_leaves_the_rest_to_jansson),
        cmocka_unit_test(test_every_offset_of_a_word),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_random_trees_and_mutations),
    };
    return cmocka_run_group_tests_name("jsonr", tests, NULL, NULL);
}
