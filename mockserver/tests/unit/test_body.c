/* http_body_take: chunks kept up to the limit exactly, the whole body
 * consumed past it (too large, nothing more kept), the final call told
 * apart, and a limit near SIZE_MAX without overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/body.h"

static void test_up_to_the_limit(void **state)
{
    (void)state;
    strbuf body = STRBUF_INIT;
    int too_large = 0;
    size_t n = 4;
    assert_int_equal(http_body_take(&body, &too_large, 10, "abcd", &n), 1);
    assert_int_equal(n, 0);
    n = 6;
    assert_int_equal(http_body_take(&body, &too_large, 10, "efghij", &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(too_large, 0);
    assert_int_equal(body.len, 10);
    assert_memory_equal(body.data, "abcdefghij", 10);
    n = 0;
    assert_int_equal(http_body_take(&body, &too_large, 10, NULL, &n), 0); /* the final call */
    strbuf_release(&body);
}

static void test_past_the_limit(void **state)
{
    (void)state;
    strbuf body = STRBUF_INIT;
    int too_large = 0;
    size_t n = 8;
    assert_int_equal(http_body_take(&body, &too_large, 10, "abcdefgh", &n), 1);
    n = 3;
    assert_int_equal(http_body_take(&body, &too_large, 10, "ijk", &n), 1);
    assert_int_equal(n, 0); /* consumed all the same */
    assert_int_equal(too_large, 1);
    /* Once too large, a chunk that would fit is dropped too. */
    n = 1;
    assert_int_equal(http_body_take(&body, &too_large, 10, "z", &n), 1);
    assert_int_equal(body.len, 8);
    assert_int_equal(too_large, 1);
    n = 0;
    assert_int_equal(http_body_take(&body, &too_large, 10, NULL, &n), 0);
    strbuf_release(&body);
}

static void test_no_overflow(void **state)
{
    (void)state;
    strbuf body = STRBUF_INIT;
    int too_large = 0;
    size_t n = 2;
    assert_int_equal(http_body_take(&body, &too_large, 1, "ab", &n), 1);
    assert_int_equal(too_large, 1);
    assert_int_equal(body.len, 0);
    too_large = 0;
    n = 2;
    assert_int_equal(http_body_take(&body, &too_large, SIZE_MAX, "ab", &n), 1);
    assert_int_equal(too_large, 0);
    assert_int_equal(body.len, 2);
    strbuf_release(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_up_to_the_limit),
        cmocka_unit_test(test_past_the_limit),
        cmocka_unit_test(test_no_overflow),
    };
    return cmocka_run_group_tests_name("body", tests, NULL, NULL);
}
