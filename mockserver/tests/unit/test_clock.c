/* Unit tests of clock: the manual clock, the real clock (briefly, at a
 * large scale) and the ISO 8601 formatter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sim/clock.h"

static void test_manual_starts_at_start(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_MANUAL, MOCK_CLOCK_DEFAULT_START_MS, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_mode_of(clock), MOCK_CLOCK_MANUAL);
    assert_int_equal(mock_clock_now_ms(clock), MOCK_CLOCK_DEFAULT_START_MS);
    /* It does not move by itself. */
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    assert_int_equal(mock_clock_now_ms(clock), MOCK_CLOCK_DEFAULT_START_MS);
    mock_clock_free(clock);

    clock = mock_clock_new(MOCK_CLOCK_MANUAL, 0, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_now_ms(clock), 0);
    mock_clock_free(clock);

    clock = mock_clock_new(MOCK_CLOCK_MANUAL, 123456789, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_now_ms(clock), 123456789);
    mock_clock_free(clock);
}

static void test_manual_advance(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_MANUAL, 1000, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_advance(clock, 0), 0);
    assert_int_equal(mock_clock_now_ms(clock), 1000);
    assert_int_equal(mock_clock_advance(clock, 1), 0);
    assert_int_equal(mock_clock_now_ms(clock), 1001);
    assert_int_equal(mock_clock_advance(clock, 60000), 0);
    assert_int_equal(mock_clock_now_ms(clock), 61001);
    /* Thirty days, as the export quota period uses. */
    assert_int_equal(mock_clock_advance(clock, 30LL * 24 * 3600 * 1000), 0);
    assert_int_equal(mock_clock_now_ms(clock), 61001 + 30LL * 24 * 3600 * 1000);
    mock_clock_free(clock);
}

static void test_manual_refuses_negative(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_MANUAL, 5000, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_advance(clock, -1), -1);
    assert_int_equal(mock_clock_now_ms(clock), 5000);
    assert_int_equal(mock_clock_advance(clock, -5000), -1);
    assert_int_equal(mock_clock_now_ms(clock), 5000);
    assert_int_equal(mock_clock_advance(clock, INT64_MIN), -1);
    assert_int_equal(mock_clock_now_ms(clock), 5000);
    mock_clock_free(clock);
}

static void test_real_refuses_advance(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_REAL, 0, 1.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_mode_of(clock), MOCK_CLOCK_REAL);
    int64_t before = mock_clock_now_ms(clock);
    assert_int_equal(mock_clock_advance(clock, 3600000), -1);
    int64_t after = mock_clock_now_ms(clock);
    /* Nothing changed: no hour jump (allow for the real time that passed). */
    assert_true(after >= before);
    assert_true(after - before < 1000);
    mock_clock_free(clock);
}

static void test_real_starts_at_wall_time(void **state)
{
    (void)state;
    struct timespec ts;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
    int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    /* start_ms is ignored by the real clock. */
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_REAL, 42, 1.0);
    assert_non_null(clock);
    int64_t now = mock_clock_now_ms(clock);
    assert_true(now >= wall - 1000);
    assert_true(now <= wall + 1000);
    mock_clock_free(clock);
}

static void test_real_scale(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_REAL, 0, 1000.0);
    assert_non_null(clock);
    assert_true(mock_clock_scale(clock) == 1000.0);
    int64_t t0 = mock_clock_now_ms(clock);
    struct timespec ts = {0, 2000000}; /* 2 ms real = at least 2 s simulated */
    while (nanosleep(&ts, &ts) != 0)
        ;
    int64_t t1 = mock_clock_now_ms(clock);
    /* One ms of slack for truncation of each reading. */
    assert_true(t1 - t0 >= 1999);
    mock_clock_free(clock);
}

static void test_real_monotonic(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_REAL, 0, 1000.0);
    assert_non_null(clock);
    int64_t last = mock_clock_now_ms(clock);
    for (int i = 0; i < 100000; i++) {
        int64_t now = mock_clock_now_ms(clock);
        assert_true(now >= last);
        last = now;
    }
    mock_clock_free(clock);
}

static void test_manual_ignores_scale(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_MANUAL, 7, 0.0);
    assert_non_null(clock);
    assert_int_equal(mock_clock_now_ms(clock), 7);
    mock_clock_free(clock);
}

static void test_free_null(void **state)
{
    (void)state;
    mock_clock_free(NULL);
}

static void expect_format(int64_t ms, const char *expected)
{
    char out[32];
    memset(out, 'X', sizeof out);
    mock_time_format(ms, out);
    assert_string_equal(out, expected);
    assert_int_equal(strlen(out), MOCK_TIME_TEXT_LEN);
}

static void test_format(void **state)
{
    (void)state;
    expect_format(0, "1970-01-01T00:00:00.000Z");
    expect_format(999, "1970-01-01T00:00:00.999Z");
    expect_format(1000, "1970-01-01T00:00:01.000Z");
    expect_format(MOCK_CLOCK_DEFAULT_START_MS, "2025-01-01T00:00:00.000Z");
    expect_format(1735689600000LL - 1, "2024-12-31T23:59:59.999Z");
    expect_format(1738417530123LL, "2025-02-01T13:45:30.123Z");
    expect_format(1709251199999LL, "2024-02-29T23:59:59.999Z");
    expect_format(951868800001LL, "2000-03-01T00:00:00.001Z");
    expect_format(1735689600007LL, "2025-01-01T00:00:00.007Z");
    expect_format(1735689600070LL, "2025-01-01T00:00:00.070Z");
    /* The largest --start-ms accepted. */
    expect_format(253402300799999LL, "9999-12-31T23:59:59.999Z");
}

/* mock_time_format(ms) is what gmtime_r and strftime make of it. */
static void expect_like_gmtime(int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    assert_non_null(gmtime_r(&seconds, &tm));
    char expected[40];
    size_t n = strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_int_equal(n, 19);
    snprintf(expected + n, sizeof expected - n, ".%03dZ", (int)(ms % 1000));
    char out[32];
    mock_time_format(ms, out);
    if (strcmp(out, expected) != 0)
        fail_msg("%lld: expected %s, got %s", (long long)ms, expected, out);
}

/* Against the C library, over the whole range (gmtime_r and strftime are
 * what the formatter replaced on the hot path). */
static void test_format_matches_gmtime(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        expect_like_gmtime((int64_t)(x % 253402300800000ULL));
    }
}

/* Timestamps walking through days in small and large steps, forwards and
 * back (the formatter keeps the last day's date), against the C library. */
static void test_format_walk_matches_gmtime(void **state)
{
    (void)state;
    static const int64_t steps[] = {1, 999, 3600000, 86399999, 86400000, -86400001, -1, 2629800000LL};
    int64_t ms = 1735689600000LL - 5;
    for (int i = 0; i < 20000; i++) {
        ms += steps[i % (int)(sizeof steps / sizeof steps[0])] * (i % 3 + 1);
        expect_like_gmtime(ms);
    }
}

/* The manual clock's default start formats as the header says. */
static void test_default_start(void **state)
{
    (void)state;
    mock_clock *clock = mock_clock_new(MOCK_CLOCK_MANUAL, MOCK_CLOCK_DEFAULT_START_MS, 1.0);
    assert_non_null(clock);
    char out[32];
    mock_time_format(mock_clock_now_ms(clock), out);
    assert_string_equal(out, "2025-01-01T00:00:00.000Z");
    assert_int_equal(mock_clock_advance(clock, 1500), 0);
    mock_time_format(mock_clock_now_ms(clock), out);
    assert_string_equal(out, "2025-01-01T00:00:01.500Z");
    mock_clock_free(clock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manual_starts_at_start),
        cmocka_unit_test(test_manual_advance),
        cmocka_unit_test(test_manual_refuses_negative),
        cmocka_unit_test(test_real_refuses_advance),
        cmocka_unit_test(test_real_starts_at_wall_time),
        cmocka_unit_test(test_real_scale),
        cmocka_unit_test(test_real_monotonic),
        cmocka_unit_test(test_manual_ignores_scale),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_matches_gmtime),
        cmocka_unit_test(test_format_walk_matches_gmtime),
        cmocka_unit_test(test_default_start),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
