/* Unit tests of ratelimit: fixed windows on the simulator's clock. Time is
 * a plain number here, so nothing waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sim/ratelimit.h"

#define T0 1735689600000LL

static void test_passes_up_to_limit(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    for (int i = 0; i < 10; i++)
        assert_int_equal(ratelimit_take(&w, T0 + i, 10, RATELIMIT_WINDOW_MS), 0);
    assert_true(ratelimit_take(&w, T0 + 10, 10, RATELIMIT_WINDOW_MS) > 0);
}

static void test_limit_one(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, T0, 1, 1000), 0);
    assert_int_equal(ratelimit_take(&w, T0, 1, 1000), 1);
    assert_int_equal(ratelimit_take(&w, T0 + 1000, 1, 1000), 0);
}

static void test_retry_after_rounds_up(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, T0, 2, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(ratelimit_take(&w, T0 + 100, 2, RATELIMIT_WINDOW_MS), 0);

    /* The window opened at T0 and closes at T0 + 60 000. */
    assert_int_equal(ratelimit_take(&w, T0 + 100, 2, RATELIMIT_WINDOW_MS), 60);
    assert_int_equal(ratelimit_take(&w, T0 + 1, 2, RATELIMIT_WINDOW_MS), 60);
    assert_int_equal(ratelimit_take(&w, T0 + 1000, 2, RATELIMIT_WINDOW_MS), 59);
    assert_int_equal(ratelimit_take(&w, T0 + 1001, 2, RATELIMIT_WINDOW_MS), 59);
    assert_int_equal(ratelimit_take(&w, T0 + 30500, 2, RATELIMIT_WINDOW_MS), 30);
    assert_int_equal(ratelimit_take(&w, T0 + 58999, 2, RATELIMIT_WINDOW_MS), 2);
    assert_int_equal(ratelimit_take(&w, T0 + 59000, 2, RATELIMIT_WINDOW_MS), 1);
    /* Less than a second left still says at least 1. */
    assert_int_equal(ratelimit_take(&w, T0 + 59999, 2, RATELIMIT_WINDOW_MS), 1);
}

static void test_retry_after_at_least_one(void **state)
{
    (void)state;
    /* A window shorter than a second. */
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, T0, 1, 10), 0);
    assert_int_equal(ratelimit_take(&w, T0 + 9, 1, 10), 1);
}

static void test_new_window(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(&w, T0 + 10 * i, 3, RATELIMIT_WINDOW_MS), 0);
    assert_true(ratelimit_take(&w, T0 + 59999, 3, RATELIMIT_WINDOW_MS) >= 1);

    /* At T0 + window the old window has closed: a fresh one with the full limit. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(&w, T0 + 60000 + i, 3, RATELIMIT_WINDOW_MS), 0);
    /* That window opened at T0 + 60 000, not at T0 + 120 000. */
    assert_int_equal(ratelimit_take(&w, T0 + 60500, 3, RATELIMIT_WINDOW_MS), 60);

    /* Long after, still the full limit again. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ratelimit_take(&w, T0 + 10 * 60000 + 7, 3, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(ratelimit_take(&w, T0 + 10 * 60000 + 7, 3, RATELIMIT_WINDOW_MS), 60);
}

/* The next window opens with the first request after the previous one
 * closed, not on a fixed grid. */
static void test_window_opens_with_first_request(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, T0, 1, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(ratelimit_take(&w, T0 + 90000, 1, RATELIMIT_WINDOW_MS), 0);
    /* Grid-aligned windows would reopen at T0 + 120 000 (30 s); ours at +150 000. */
    assert_int_equal(ratelimit_take(&w, T0 + 119999, 1, RATELIMIT_WINDOW_MS), 31);
    assert_int_equal(ratelimit_take(&w, T0 + 120000, 1, RATELIMIT_WINDOW_MS), 30);
    assert_int_equal(ratelimit_take(&w, T0 + 150000, 1, RATELIMIT_WINDOW_MS), 0);
}

static void test_unlimited(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    for (int i = 0; i < 100000; i++)
        assert_int_equal(ratelimit_take(&w, T0, 0, RATELIMIT_WINDOW_MS), 0);
}

static void test_refused_not_counted(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, T0, 2, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(ratelimit_take(&w, T0, 2, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(w.count, 2);
    for (int i = 0; i < 50; i++)
        assert_true(ratelimit_take(&w, T0 + 1000 + i, 2, RATELIMIT_WINDOW_MS) >= 1);
    assert_int_equal(w.count, 2);
    assert_int_equal(w.start_ms, T0);

    /* Hammering during the window does not push it back. */
    assert_int_equal(ratelimit_take(&w, T0 + 60000, 2, RATELIMIT_WINDOW_MS), 0);
    assert_int_equal(ratelimit_take(&w, T0 + 60001, 2, RATELIMIT_WINDOW_MS), 0);
    assert_true(ratelimit_take(&w, T0 + 60002, 2, RATELIMIT_WINDOW_MS) >= 1);
}

/* Windows are independent: the caller keeps one per (key, endpoint). */
static void test_windows_independent(void **state)
{
    (void)state;
    rl_window a = {0, 0};
    rl_window b = {0, 0};
    assert_int_equal(ratelimit_take(&a, T0, 1, RATELIMIT_WINDOW_MS), 0);
    assert_true(ratelimit_take(&a, T0, 1, RATELIMIT_WINDOW_MS) >= 1);
    assert_int_equal(ratelimit_take(&b, T0, 1, RATELIMIT_WINDOW_MS), 0);
}

/* A manual clock may start at 0: a zeroed window must still work there. */
static void test_time_zero(void **state)
{
    (void)state;
    rl_window w = {0, 0};
    assert_int_equal(ratelimit_take(&w, 0, 2, 1000), 0);
    assert_int_equal(ratelimit_take(&w, 0, 2, 1000), 0);
    assert_int_equal(ratelimit_take(&w, 500, 2, 1000), 1);
    assert_int_equal(ratelimit_take(&w, 1000, 2, 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes_up_to_limit),
        cmocka_unit_test(test_limit_one),
        cmocka_unit_test(test_retry_after_rounds_up),
        cmocka_unit_test(test_retry_after_at_least_one),
        cmocka_unit_test(test_new_window),
        cmocka_unit_test(test_window_opens_with_first_request),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_refused_not_counted),
        cmocka_unit_test(test_windows_independent),
        cmocka_unit_test(test_time_zero),
    };
    return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
