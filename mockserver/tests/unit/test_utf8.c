/* utf8_sequence_length: RFC 3629's ranges, and never past `avail`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "text/utf8.h"

static size_t length_of(const char *bytes, size_t avail)
{
    return utf8_sequence_length((const unsigned char *)bytes, avail);
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(length_of("a", 1), 1);
    assert_int_equal(length_of("\x7f", 1), 1);
    assert_int_equal(length_of("\xc2\x80", 2), 2);         /* U+0080 */
    assert_int_equal(length_of("\xdf\xbf", 2), 2);         /* U+07FF */
    assert_int_equal(length_of("\xe0\xa0\x80", 3), 3);     /* U+0800 */
    assert_int_equal(length_of("\xed\x9f\xbf", 3), 3);     /* U+D7FF */
    assert_int_equal(length_of("\xee\x80\x80", 3), 3);     /* U+E000 */
    assert_int_equal(length_of("\xef\xbf\xbf", 3), 3);     /* U+FFFF */
    assert_int_equal(length_of("\xf0\x90\x80\x80", 4), 4); /* U+10000 */
    assert_int_equal(length_of("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
    assert_int_equal(length_of("\xc3\xa9xyz", 5), 2);      /* only the first */
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x80", "\xbf",                     /* a continuation byte first */
        "\xc0\x80", "\xc1\xbf",             /* overlong two-byte forms */
        "\xe0\x80\x80", "\xe0\x9f\xbf",     /* overlong three-byte forms */
        "\xed\xa0\x80", "\xed\xbf\xbf",     /* surrogates */
        "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", /* overlong four-byte forms */
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", /* above U+10FFFF */
        "\xc3\x28", "\xe2\x28\xa1", "\xe2\x82\x28", "\xf0\x28\x8c\xbc", /* a bad continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (length_of(bad[i], strlen(bad[i])) != 0)
            fail_msg("case %zu was accepted", i);
    }
    /* Cut short by avail, even when the bytes after are right. */
    assert_int_equal(length_of("\xc3\xa9", 1), 0);
    assert_int_equal(length_of("\xe2\x9c\x93", 2), 0);
    assert_int_equal(length_of("\xf0\x9f\x98\x80", 3), 0);
    assert_int_equal(length_of("a", 0), 0);
}

/* reply_make_utf8 replaces each byte that starts no valid sequence. */
static void test_make_utf8(void **state)
{
    (void)state;
    char text[] = "ok \xc3\xa9 \xff \xe2\x9c \xf0\x9f\x98\x80 \xc3";
    assert_int_equal(reply_make_utf8(text), 4);
    assert_string_equal(text, "ok \xc3\xa9 ? ?? \xf0\x9f\x98\x80 ?");
}

/* utf8_whole_prefix drops a sequence cut short at the end, and only that. */
static void test_whole_prefix(void **state)
{
    (void)state;
    assert_int_equal(utf8_whole_prefix("abc", 3), 3);
    assert_int_equal(utf8_whole_prefix("", 0), 0);
    assert_int_equal(utf8_whole_prefix("a\xc3\xa9", 3), 3);          /* whole */
    assert_int_equal(utf8_whole_prefix("a\xc3\xa9", 2), 1);          /* é cut after its lead */
    assert_int_equal(utf8_whole_prefix("a\xe2\x9c\x93", 3), 1);      /* ✓ cut after two bytes */
    assert_int_equal(utf8_whole_prefix("a\xf0\x9f\x98\x80", 4), 1);  /* 😀 cut after three */
    assert_int_equal(utf8_whole_prefix("a\xf0\x9f\x98\x80", 5), 5);
    assert_int_equal(utf8_whole_prefix("\x80\x80", 2), 2);            /* nothing to cut back to */
    char cut[] = "path.\xe2\x9c";
    utf8_trim(cut);
    assert_string_equal(cut, "path.");
    char whole[] = "path.\xe2\x9c\x93";
    utf8_trim(whole);
    assert_string_equal(whole, "path.\xe2\x9c\x93");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_make_utf8),
        cmocka_unit_test(test_whole_prefix),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
