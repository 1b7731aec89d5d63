/* clock: the simulator's time, real or manual.
 *
 * Every duration the simulator models (builds, enrichments, rate-limit
 * windows, export quota periods) is measured on this clock, never on the
 * system's, so tests can move time instead of sleeping.
 *   real:   starts at the wall-clock time of mock_clock_new and runs at
 *           `scale` times real speed (scale 10: a 30 s build takes 3 s).
 *   manual: starts at `start_ms` and moves only by mock_clock_advance.
 * Thread-safe: any thread may read or advance it. */
#ifndef DESCOVO_CLOCK_H
#define DESCOVO_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef enum mock_clock_mode {
    MOCK_CLOCK_REAL = 0,
    MOCK_CLOCK_MANUAL = 1
} mock_clock_mode;

typedef struct mock_clock mock_clock;

/* The manual clock's default start: 2025-01-01T00:00:00.000Z. */
#define MOCK_CLOCK_DEFAULT_START_MS 1735689600000LL

/* Returns a new clock, or NULL when out of memory. For the real clock,
 * start_ms is ignored; scale must be > 0 (it is ignored by the manual one). */
mock_clock *mock_clock_new(mock_clock_mode mode, int64_t start_ms, double scale);
void mock_clock_free(mock_clock *clock);

mock_clock_mode mock_clock_mode_of(const mock_clock *clock);
double mock_clock_scale(const mock_clock *clock);

/* Milliseconds since the Unix epoch, simulated. Never goes backwards,
 * except through mock_clock_reset. */
int64_t mock_clock_now_ms(mock_clock *clock);

/* Changes the speed of a real clock from now on (scale > 0); the time
 * already passed stays. No effect on a manual clock. */
void mock_clock_set_scale(mock_clock *clock, double scale);

/* Back to the start: a manual clock returns to its start time; a real one
 * keeps its time (it cannot go back) and takes `scale` again. */
void mock_clock_reset(mock_clock *clock, double scale);

/* Moves a manual clock forward by ms (>= 0). Returns 0, or -1 for a real
 * clock or a negative amount (nothing changes). */
int mock_clock_advance(mock_clock *clock, int64_t ms);

/* Moves the clock forward to ms if it is behind (a restart from a state
 * file: the simulated time reached before must not go back). A real clock
 * keeps running at its scale from there. */
void mock_clock_not_before(mock_clock *clock, int64_t ms);

/* Formats ms since the epoch as ISO 8601 UTC with milliseconds,
 * "2025-01-01T00:00:00.000Z", into out (at least 25 bytes): always
 * MOCK_TIME_TEXT_LEN bytes and a NUL (ms is clamped to 1970..9999). */
void mock_time_format(int64_t ms, char out[32]);
#define MOCK_TIME_TEXT_LEN 24

#endif
