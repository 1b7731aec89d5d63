/* glob: the meaning of '*' and '**', and matching in time linear in the
 * text whatever the pattern (the old backtracking matcher took exponential
 * time on "**a**a**a...b"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "text/glob.h"

static int matches(const char *pattern, const char *text)
{
    char err[128];
    glob *g = glob_compile(pattern, err, sizeof err);
    assert_non_null(g);
    int m = glob_match(g, text);
    glob_free(g);
    return m;
}

static void test_meaning(void **state)
{
    (void)state;
    assert_true(matches("/v1/credits", "/v1/credits"));
    assert_false(matches("/v1/credits", "/v1/credit"));
    assert_false(matches("/v1/credit", "/v1/credits"));
    assert_true(matches("", ""));
    assert_false(matches("", "a"));
    assert_true(matches("*", ""));
    assert_true(matches("*", "abc"));
    assert_false(matches("*", "a/b"));
    assert_true(matches("**", "a/b/c"));
    assert_true(matches("***", "a/b/c"));
    assert_true(matches("/v1/audiences/*/build", "/v1/audiences/aud_1/build"));
    assert_false(matches("/v1/audiences/*/build", "/v1/audiences/a/b/build"));
    assert_true(matches("/v1/audiences/*/build", "/v1/audiences//build"));
    assert_true(matches("/v1/**", "/v1/audiences/aud_1/build"));
    assert_true(matches("/v1/**/build", "/v1/audiences/aud_1/build"));
    assert_true(matches("**/build", "/v1/audiences/aud_1/build"));
    assert_false(matches("**/build", "/v1/audiences/aud_1/builds"));
    assert_true(matches("/v1/a*c", "/v1/abc"));
    assert_true(matches("/v1/a*c", "/v1/ac"));
    assert_true(matches("/v1/a*c*", "/v1/acxc"));
    assert_false(matches("/v1/a*c", "/v1/ab/c"));
    assert_true(matches("/v1/*/*", "/v1/x/y"));
    assert_false(matches("/v1/*/*", "/v1/x"));
    assert_true(matches("a*/**", "ab/c/d"));
    assert_true(matches("a*/**", "a/"));
    assert_false(matches("a*/**", "a"));
}

static void test_limits(void **state)
{
    (void)state;
    char pattern[GLOB_MAX_PATTERN + 2];
    memset(pattern, 'a', sizeof pattern - 1);
    pattern[sizeof pattern - 1] = '\0';
    char err[128] = "";
    assert_null(glob_compile(pattern, err, sizeof err));
    assert_non_null(strstr(err, "at most 256"));
    /* The longest pattern uses the last state bit. */
    pattern[GLOB_MAX_PATTERN] = '\0';
    assert_true(matches(pattern, pattern));
    pattern[GLOB_MAX_PATTERN - 1] = '*';
    assert_true(matches(pattern, pattern));
    char text[GLOB_MAX_PATTERN + 10];
    memcpy(text, pattern, GLOB_MAX_PATTERN - 1);
    memcpy(text + GLOB_MAX_PATTERN - 1, "xyz", 4);
    assert_true(matches(pattern, text));
    glob_free(NULL);
}

/* A pattern that made the backtracking matcher try about n^7 splits of an
 * 8 KiB path (it never finished): 200 matches must end before the alarm
 * (30 s, far above what they take even with sanitizers), or SIGALRM ends
 * the test as a failure. No timing is asserted. */
static void test_linear(void **state)
{
    (void)state;
    char path[8192];
    for (size_t i = 0; i < sizeof path - 1; i++)
        path[i] = i % 50 == 0 ? '/' : 'a';
    path[sizeof path - 1] = '\0';
    char err[128];
    glob *g = glob_compile("**a**a**a**a**a**a**a**b", err, sizeof err);
    assert_non_null(g);
    alarm(30);
    for (int i = 0; i < 200; i++)
        assert_false(glob_match(g, path));
    path[sizeof path - 2] = 'b';
    assert_true(glob_match(g, path));
    alarm(0);
    glob_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meaning),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests_name("glob", tests, NULL, NULL);
}
