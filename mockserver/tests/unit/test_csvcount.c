/* csv_count: rows of whole texts, and the same count whatever the blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text/csvcount.h"

static long rows_whole(const char *text)
{
    csv_count c = CSV_COUNT_INIT;
    csv_count_feed(&c, text, strlen(text));
    return csv_count_rows(&c);
}

/* The same text fed in blocks of `size` bytes. */
static long rows_in_blocks(const char *text, size_t size)
{
    csv_count c = CSV_COUNT_INIT;
    size_t len = strlen(text);
    for (size_t at = 0; at < len; at += size)
        csv_count_feed(&c, text + at, len - at < size ? len - at : size);
    return csv_count_rows(&c);
}

static void test_rows(void **state)
{
    (void)state;
    assert_int_equal(rows_whole(""), 0);
    assert_int_equal(rows_whole("a,b"), 0);          /* a header alone */
    assert_int_equal(rows_whole("a,b\r\n"), 0);
    assert_int_equal(rows_whole("a,b\r\n1,2\r\n"), 1);
    assert_int_equal(rows_whole("a,b\r\n1,2"), 1);    /* no line end after the last */
    assert_int_equal(rows_whole("a,b\n1,2\n3,4\n"), 2);
}

static void test_quotes(void **state)
{
    (void)state;
    assert_int_equal(rows_whole("a,b\r\n1,\"x\r\ny\"\r\n2,3"), 2); /* a line end inside quotes */
    assert_int_equal(rows_whole("a\r\n\"say \"\"hi\"\"\"\r\n\"\"\r\n"), 2);
    assert_int_equal(rows_whole("a\r\n\"x\ny\""), 1);  /* the last record ends in a quote */
}

static void test_blocks_do_not_matter(void **state)
{
    (void)state;
    const char *text = "id,name,note\r\n1,\"Ann\",\"two\r\nlines\"\r\n2,Bo,\"a \"\"quote\"\"\"\r\n3,Cy,";
    long whole = rows_whole(text);
    assert_int_equal(whole, 3);
    for (size_t size = 1; size <= strlen(text); size++)
        assert_int_equal(rows_in_blocks(text, size), whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_blocks_do_not_matter),
    };
    return cmocka_run_group_tests_name("csvcount", tests, NULL, NULL);
}
