#include "sim/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every request reads the clock, from several threads: reads take no lock.
 * Writers (advance, scale changes, reset) serialise on `lock` and publish
 * through a sequence counter; a reader retries if a write overlapped. */
struct mock_clock {
    pthread_mutex_t lock;             /* writers only */
    atomic_uint seq;                  /* odd while a write is in progress */
    mock_clock_mode mode;
    int64_t start_ms;                 /* manual clock: where a reset takes it */
    _Atomic double scale;
    _Atomic int64_t origin_ms;        /* simulated time at the origin */
    _Atomic int64_t origin_mono_ns;   /* real clock: CLOCK_MONOTONIC at the origin */
    _Atomic int64_t manual_ms;        /* manual clock: current time */
    _Atomic int64_t last_ms;          /* what now() last returned: never go back */
};

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

mock_clock *mock_clock_new(mock_clock_mode mode, int64_t start_ms, double scale)
{
    if (mode == MOCK_CLOCK_REAL && !(scale > 0))
        return NULL;
    mock_clock *clock = calloc(1, sizeof *clock);
    if (clock == NULL)
        return NULL;
    pthread_mutex_init(&clock->lock, NULL);
    atomic_init(&clock->seq, 0);
    clock->mode = mode;
    clock->start_ms = start_ms;
    atomic_init(&clock->scale, mode == MOCK_CLOCK_REAL ? scale : 1.0);
    atomic_init(&clock->origin_ms, mode == MOCK_CLOCK_REAL ? wall_ms() : start_ms);
    atomic_init(&clock->origin_mono_ns, monotonic_ns());
    atomic_init(&clock->manual_ms, start_ms);
    atomic_init(&clock->last_ms, atomic_load(&clock->origin_ms));
    return clock;
}

void mock_clock_free(mock_clock *clock)
{
    if (clock == NULL)
        return;
    pthread_mutex_destroy(&clock->lock);
    free(clock);
}

mock_clock_mode mock_clock_mode_of(const mock_clock *clock)
{
    return clock->mode;
}

double mock_clock_scale(const mock_clock *clock)
{
    return atomic_load(&((mock_clock *)clock)->scale);
}

/* Writers bracket their changes with these (lock held). */
static void write_begin(mock_clock *clock)
{
    pthread_mutex_lock(&clock->lock);
    atomic_fetch_add_explicit(&clock->seq, 1, memory_order_acq_rel);
}

static void write_end(mock_clock *clock)
{
    atomic_fetch_add_explicit(&clock->seq, 1, memory_order_release);
    pthread_mutex_unlock(&clock->lock);
}

/* The time the parameters give now, read consistently. */
static int64_t raw_now(mock_clock *clock)
{
    for (;;) {
        unsigned before = atomic_load_explicit(&clock->seq, memory_order_acquire);
        if (before & 1u)
            continue;
        int64_t now;
        if (clock->mode == MOCK_CLOCK_MANUAL) {
            now = atomic_load_explicit(&clock->manual_ms, memory_order_relaxed);
        } else {
            int64_t origin = atomic_load_explicit(&clock->origin_ms, memory_order_relaxed);
            int64_t mono = atomic_load_explicit(&clock->origin_mono_ns, memory_order_relaxed);
            double scale = atomic_load_explicit(&clock->scale, memory_order_relaxed);
            now = origin + (int64_t)((double)(monotonic_ns() - mono) / 1e6 * scale);
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&clock->seq, memory_order_relaxed) == before)
            return now;
    }
}

int64_t mock_clock_now_ms(mock_clock *clock)
{
    int64_t now = raw_now(clock);
    /* Never go back, even when two threads race: keep the largest value. */
    int64_t last = atomic_load_explicit(&clock->last_ms, memory_order_relaxed);
    while (now > last &&
           !atomic_compare_exchange_weak_explicit(&clock->last_ms, &last, now,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    return now > last ? now : last;
}

void mock_clock_set_scale(mock_clock *clock, double scale)
{
    if (clock->mode != MOCK_CLOCK_REAL || !(scale > 0))
        return;
    int64_t now = mock_clock_now_ms(clock);
    write_begin(clock);
    atomic_store_explicit(&clock->origin_ms, now, memory_order_relaxed);
    atomic_store_explicit(&clock->origin_mono_ns, monotonic_ns(), memory_order_relaxed);
    atomic_store_explicit(&clock->scale, scale, memory_order_relaxed);
    write_end(clock);
}

void mock_clock_reset(mock_clock *clock, double scale)
{
    if (clock->mode == MOCK_CLOCK_REAL) {
        mock_clock_set_scale(clock, scale);
        return;
    }
    write_begin(clock);
    atomic_store_explicit(&clock->manual_ms, clock->start_ms, memory_order_relaxed);
    atomic_store_explicit(&clock->last_ms, clock->start_ms, memory_order_relaxed);
    write_end(clock);
}

int mock_clock_advance(mock_clock *clock, int64_t ms)
{
    if (clock->mode != MOCK_CLOCK_MANUAL || ms < 0)
        return -1;
    write_begin(clock);
    atomic_fetch_add_explicit(&clock->manual_ms, ms, memory_order_relaxed);
    write_end(clock);
    return 0;
}

void mock_clock_not_before(mock_clock *clock, int64_t ms)
{
    if (mock_clock_now_ms(clock) >= ms)
        return;
    write_begin(clock);
    if (clock->mode == MOCK_CLOCK_MANUAL) {
        atomic_store_explicit(&clock->manual_ms, ms, memory_order_relaxed);
    } else {
        atomic_store_explicit(&clock->origin_ms, ms, memory_order_relaxed);
        atomic_store_explicit(&clock->origin_mono_ns, monotonic_ns(), memory_order_relaxed);
    }
    atomic_store_explicit(&clock->last_ms, ms, memory_order_relaxed);
    write_end(clock);
}

/* Year, month and day of a count of days since 1970-01-01 (proleptic
 * Gregorian), by integer arithmetic: gmtime_r takes glibc's time-zone lock
 * and was a tenth of a status request's cost. */
static void civil_from_days(int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

/* Two decimal digits of 0..99, from a table of the 100 pairs. */
static void put2(char *at, int value)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    memcpy(at, pairs + 2 * value, 2);
}

/* The "YYYY-MM-DD" of the day this thread formatted last: the timestamps
 * of one answer mostly fall on one day, and the date is half the work. */
static _Thread_local int64_t cached_day = -1;
static _Thread_local char cached_date[10];

void mock_time_format(int64_t ms, char out[32])
{
    /* The clock never leaves 1970..9999; clamp so the text keeps its shape. */
    if (ms < 0)
        ms = 0;
    if (ms > 253402300799999LL)
        ms = 253402300799999LL;
    int64_t days = ms / 86400000;
    if (days != cached_day) {
        int year, month, day;
        civil_from_days(days, &year, &month, &day);
        memcpy(cached_date, "0000-00-00", 10);
        put2(cached_date, year / 100);
        put2(cached_date + 2, year % 100);
        put2(cached_date + 5, month);
        put2(cached_date + 8, day);
        cached_day = days;
    }
    int in_day = (int)(ms % 86400000); /* fits: below 86.4 million */
    int seconds = in_day / 1000;
    int millis = in_day % 1000;
    memcpy(out, cached_date, 10);
    memcpy(out + 10, "T00:00:00.000Z", 15);
    put2(out + 11, seconds / 3600);
    put2(out + 14, seconds / 60 % 60);
    put2(out + 17, seconds % 60);
    out[20] = (char)('0' + millis / 100);
    put2(out + 21, millis % 100);
}
