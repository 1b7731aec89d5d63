/* Unit tests of strbuf: appends, growth, reset, detach, release and the
 * sticky out-of-memory flag. No server, no dataset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/strbuf.h"

static void test_init_is_empty(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    assert_int_equal(sb.cap, 0);
    assert_int_equal(sb.oom, 0);
}

static void test_appends(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, "abcdef", 3);
    strbuf_puts(&sb, "-xyz");
    strbuf_putc(&sb, '!');
    assert_false(sb.oom);
    assert_non_null(sb.data);
    assert_string_equal(sb.data, "abc-xyz!");
    assert_int_equal(sb.len, 8);
    assert_true(sb.cap > sb.len);

    /* Appending nothing keeps the contents and the terminator. */
    strbuf_append(&sb, "ignored", 0);
    strbuf_puts(&sb, "");
    assert_string_equal(sb.data, "abc-xyz!");
    assert_int_equal(sb.len, 8);
    strbuf_release(&sb);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, "a\0b", 3);
    strbuf_putc(&sb, '\0');
    assert_int_equal(sb.len, 4);
    assert_memory_equal(sb.data, "a\0b\0", 5);
    strbuf_release(&sb);
}

static void test_large_append(void **state)
{
    (void)state;
    size_t n = 100000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    strbuf sb = STRBUF_INIT;
    strbuf_putc(&sb, '<');
    strbuf_append(&sb, big, n);
    strbuf_putc(&sb, '>');
    assert_false(sb.oom);
    assert_int_equal(sb.len, n + 2);
    assert_true(sb.cap >= n + 3);
    assert_int_equal(sb.data[0], '<');
    assert_memory_equal(sb.data + 1, big, n);
    assert_int_equal(sb.data[n + 1], '>');
    assert_int_equal(sb.data[n + 2], '\0');
    free(big);
    strbuf_release(&sb);
}

static void test_printf_growth(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    char expected[16384];
    size_t used = 0;
    /* Many small appends, crossing several reallocations. */
    for (int i = 0; i < 1500; i++) {
        strbuf_printf(&sb, "%d,", i);
        int w = snprintf(expected + used, sizeof expected - used, "%d,", i);
        assert_true(w > 0 && (size_t)w < sizeof expected - used);
        used += (size_t)w;
        assert_int_equal(sb.len, used);
    }
    assert_false(sb.oom);
    assert_string_equal(sb.data, expected);

    /* One call whose output is much larger than the spare capacity. */
    strbuf_reset(&sb);
    strbuf_printf(&sb, "[%0900d|%s]", 7, "end");
    assert_int_equal(sb.len, 1 + 900 + 1 + 3 + 1);
    assert_int_equal(sb.data[0], '[');
    assert_int_equal(sb.data[900], '7');
    assert_string_equal(sb.data + 901, "|end]");

    /* Formatting to nothing still leaves a valid empty string. */
    strbuf empty = STRBUF_INIT;
    strbuf_printf(&empty, "%s", "");
    assert_false(empty.oom);
    assert_int_equal(empty.len, 0);
    if (empty.data != NULL)
        assert_string_equal(empty.data, "");
    strbuf_release(&empty);
    strbuf_release(&sb);
}

static void vprintf_helper(strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vprintf_helper(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

static void test_vprintf(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "x=");
    vprintf_helper(&sb, "%d %s %.2f", 42, "ok", 1.5);
    assert_string_equal(sb.data, "x=42 ok 1.50");
    strbuf_release(&sb);
}

static void test_reset_keeps_allocation(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "some text that will be dropped");
    char *data = sb.data;
    size_t cap = sb.cap;
    strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_ptr_equal(sb.data, data);
    assert_int_equal(sb.cap, cap);
    assert_string_equal(sb.data, "");
    strbuf_puts(&sb, "new");
    assert_string_equal(sb.data, "new");
    assert_int_equal(sb.len, 3);
    strbuf_release(&sb);

    /* Resetting a buffer that never allocated is harmless. */
    strbuf never = STRBUF_INIT;
    strbuf_reset(&never);
    assert_int_equal(never.len, 0);
    strbuf_release(&never);
}

static void test_detach(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "hand over");
    char *s = strbuf_detach(&sb);
    assert_non_null(s);
    assert_string_equal(s, "hand over");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    assert_int_equal(sb.cap, 0);
    free(s);

    /* The detached buffer is reusable. */
    strbuf_puts(&sb, "again");
    assert_string_equal(sb.data, "again");
    strbuf_release(&sb);

    /* Nothing appended: NULL, as the header says. */
    strbuf empty = STRBUF_INIT;
    assert_null(strbuf_detach(&empty));
    assert_null(empty.data);
    assert_int_equal(empty.len, 0);
}

static void test_release(void **state)
{
    (void)state;
    strbuf empty = STRBUF_INIT;
    strbuf_release(&empty);
    assert_null(empty.data);
    assert_int_equal(empty.len, 0);
    assert_int_equal(empty.cap, 0);
    strbuf_release(&empty); /* twice is fine */

    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "freed");
    strbuf_release(&sb);
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    assert_int_equal(sb.cap, 0);
    strbuf_puts(&sb, "reused");
    assert_string_equal(sb.data, "reused");
    strbuf_release(&sb);
}

/* No allocator can satisfy SIZE_MAX bytes, so this append must fail before
 * reading its source; afterwards the flag sticks and the old contents stay. */
static void test_oom_is_sticky(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "abc");
    strbuf_append(&sb, "x", SIZE_MAX);
    assert_int_equal(sb.oom, 1);
    assert_int_equal(sb.len, 3);
    assert_string_equal(sb.data, "abc");
    strbuf_puts(&sb, "def");
    strbuf_putc(&sb, 'g');
    strbuf_printf(&sb, "%d", 1);
    assert_int_equal(sb.oom, 1);
    assert_int_equal(sb.len, 3);
    assert_string_equal(sb.data, "abc");
    strbuf_release(&sb);
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
}

/* One reservation, then appends that fit it never move the data. */
static void test_reserve(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_reserve(&sb, 1000);
    assert_false(sb.oom);
    assert_true(sb.cap > 1000);
    const char *data = sb.data;
    for (int i = 0; i < 100; i++)
        strbuf_put_literal(&sb, "0123456789");
    assert_ptr_equal(sb.data, data);
    assert_int_equal(sb.len, 1000);
    assert_int_equal(strlen(sb.data), 1000);
    strbuf_putc(&sb, '!');
    assert_int_equal(sb.len, 1001);
    assert_int_equal(sb.data[1000], '!');
    assert_int_equal(sb.data[1001], '\0');
    strbuf_release(&sb);
}

static void test_extend(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_put_literal(&sb, "ab");
    char *at = strbuf_extend(&sb, 3);
    assert_non_null(at);
    assert_ptr_equal(at, sb.data + 2);
    assert_int_equal(at[3], '\0');
    memcpy(at, "cde", 3);
    assert_string_equal(sb.data, "abcde");
    assert_int_equal(sb.len, 5);
    at = strbuf_extend(&sb, 0);
    assert_non_null(at);
    assert_string_equal(sb.data, "abcde");
    assert_null(strbuf_extend(&sb, SIZE_MAX));
    assert_int_equal(sb.oom, 1);
    assert_null(strbuf_extend(&sb, 1));
    assert_string_equal(sb.data, "abcde");
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_large_append),
        cmocka_unit_test(test_printf_growth),
        cmocka_unit_test(test_vprintf),
        cmocka_unit_test(test_reset_keeps_allocation),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_oom_is_sticky),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_extend),
    };
    return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
