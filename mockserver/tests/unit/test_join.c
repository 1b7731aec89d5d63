/* join: the same text as snprintf("%s%s..."), cut where snprintf cuts it;
 * the numbers as "%llu" and "%016llx" write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text/join.h"

static void test_joins(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(join(out, sizeof out, NULL), 0);
    assert_string_equal(out, "");
    assert_int_equal(join(out, sizeof out, "http://127.0.0.1:9", "/v1/exports/", "exp_1", NULL), 0);
    assert_string_equal(out, "http://127.0.0.1:9/v1/exports/exp_1");
    assert_int_equal(join(out, sizeof out, "", "a", "", "b", NULL), 0);
    assert_string_equal(out, "ab");
}

static void test_cuts_as_snprintf(void **state)
{
    (void)state;
    const char *parts[] = {"companySearchParams", ".", "employeeCount", "[", "12", "]"};
    for (size_t size = 1; size <= 40; size++) {
        char ours[40], theirs[40];
        memset(ours, 'x', sizeof ours);
        int rc = join(ours, size, parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], NULL);
        int n = snprintf(theirs, size, "%s%s%s%s%s%s", parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
        assert_string_equal(ours, theirs);
        assert_int_equal(rc, (size_t)n < size ? 0 : -1);
    }
}

static void test_numbers(void **state)
{
    (void)state;
    const uint64_t values[] = {0, 1, 9, 10, 99, 100, 4096, 1234567890123ULL, UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char ours[JOIN_NUMBER_MAX], theirs[32];
        snprintf(theirs, sizeof theirs, "%llu", (unsigned long long)values[i]);
        assert_int_equal(join_u64(ours, values[i]), strlen(theirs));
        assert_string_equal(ours, theirs);
        snprintf(theirs, sizeof theirs, "%016llx", (unsigned long long)values[i]);
        join_hex16(ours, values[i]);
        assert_string_equal(ours, theirs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_joins),
        cmocka_unit_test(test_cuts_as_snprintf),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests_name("join", tests, NULL, NULL);
}
