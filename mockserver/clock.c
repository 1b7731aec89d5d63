#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct mock_clock {
    pthread_mutex_t lock;
    mock_clock_mode mode;
    int64_t start_ms;         /* manual clock: where a reset takes it */
    double scale;
    int64_t origin_ms;        /* simulated time at the origin */
    int64_t origin_mono_ns;   /* real clock: CLOCK_MONOTONIC at the origin */
    int64_t manual_ms;        /* manual clock: current time */
    int64_t last_ms;          /* what now() last returned: never go back */
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
    clock->mode = mode;
    clock->scale = mode == MOCK_CLOCK_REAL ? scale : 1.0;
    clock->origin_ms = mode == MOCK_CLOCK_REAL ? wall_ms() : start_ms;
    clock->origin_mono_ns = monotonic_ns();
    clock->manual_ms = start_ms;
    clock->start_ms = start_ms;
    clock->last_ms = clock->origin_ms;
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
    return clock->scale;
}

int64_t mock_clock_now_ms(mock_clock *clock)
{
    pthread_mutex_lock(&clock->lock);
    int64_t now;
    if (clock->mode == MOCK_CLOCK_MANUAL) {
        now = clock->manual_ms;
    } else {
        double elapsed_ms = (double)(monotonic_ns() - clock->origin_mono_ns) / 1e6;
        now = clock->origin_ms + (int64_t)(elapsed_ms * clock->scale);
    }
    if (now < clock->last_ms)
        now = clock->last_ms;
    clock->last_ms = now;
    pthread_mutex_unlock(&clock->lock);
    return now;
}

void mock_clock_set_scale(mock_clock *clock, double scale)
{
    if (clock->mode != MOCK_CLOCK_REAL || !(scale > 0))
        return;
    int64_t now = mock_clock_now_ms(clock);
    pthread_mutex_lock(&clock->lock);
    clock->origin_ms = now;
    clock->origin_mono_ns = monotonic_ns();
    clock->scale = scale;
    pthread_mutex_unlock(&clock->lock);
}

void mock_clock_reset(mock_clock *clock, double scale)
{
    if (clock->mode == MOCK_CLOCK_REAL) {
        mock_clock_set_scale(clock, scale);
        return;
    }
    pthread_mutex_lock(&clock->lock);
    clock->manual_ms = clock->start_ms;
    clock->last_ms = clock->start_ms;
    pthread_mutex_unlock(&clock->lock);
}

int mock_clock_advance(mock_clock *clock, int64_t ms)
{
    if (clock->mode != MOCK_CLOCK_MANUAL || ms < 0)
        return -1;
    pthread_mutex_lock(&clock->lock);
    clock->manual_ms += ms;
    pthread_mutex_unlock(&clock->lock);
    return 0;
}

void mock_time_format(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    int millis = (int)(ms % 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    /* Years are clamped to four digits: the clock never leaves 1970..9999. */
    int year = tm.tm_year + 1900;
    year = year < 0 ? 0 : year > 9999 ? 9999 : year;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, millis % 1000);
}
