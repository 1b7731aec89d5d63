/* percent_decode: what is decoded, what stays, in place and bounded by len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text/percent.h"

/* Decodes s into a fresh buffer and checks the result and its length. */
static void expect(const char *s, const char *decoded)
{
    char out[64];
    size_t len = strlen(s);
    assert_true(len < sizeof out);
    assert_int_equal(percent_decode(out, s, len), strlen(decoded));
    assert_string_equal(out, decoded);
}

static void test_decodes(void **state)
{
    (void)state;
    expect("", "");
    expect("/v1/credits", "/v1/credits");
    expect("%41", "A");
    expect("a%2fb%2Fc", "a/b/c");
    expect("%e2%82%ac", "\xe2\x82\xac");
    expect("%7E%7e", "~~");
    expect("100%25", "100%");
}

static void test_leaves_what_is_not_an_escape(void **state)
{
    (void)state;
    expect("aud_1%00x", "aud_1%00x"); /* a NUL would cut the id short */
    expect("%", "%");
    expect("%4", "%4");
    expect("%4g%g4", "%4g%g4");
    expect("%%41", "%A");
    expect("50%", "50%");
    expect("+", "+"); /* a plus is not a space in a path */
}

static void test_in_place(void **state)
{
    (void)state;
    char s[] = "/v1/audiences/aud%5F1?x";
    assert_int_equal(percent_decode(s, s, strlen(s)), strlen("/v1/audiences/aud_1?x"));
    assert_string_equal(s, "/v1/audiences/aud_1?x");
    char plain[] = "no-escape";
    assert_int_equal(percent_decode(plain, plain, strlen(plain)), 9);
    assert_string_equal(plain, "no-escape");
}

static void test_reads_only_len_bytes(void **state)
{
    (void)state;
    char out[16];
    /* The digits after len are not part of the input: "%4" stays. */
    assert_int_equal(percent_decode(out, "ab%41", 4), 4);
    assert_string_equal(out, "ab%4");
    /* A prefix: the path of "/a%20b?q=%41" up to the "?". */
    const char *url = "/a%20b?q=%41";
    assert_int_equal(percent_decode(out, url, strcspn(url, "?")), 4);
    assert_string_equal(out, "/a b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decodes),
        cmocka_unit_test(test_leaves_what_is_not_an_escape),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_reads_only_len_bytes),
    };
    return cmocka_run_group_tests_name("percent", tests, NULL, NULL);
}
