/* ratelimit: per-key, per-endpoint request limits over fixed windows.
 *
 * A window opens with the first request after the previous one closed and
 * lasts `window_ms`; within it at most `limit` requests pass. The caller keeps
 * one rl_window per (key, endpoint) and holds the lock that protects it.
 * Pure logic on the simulator's clock, so tests move time instead of waiting. */
#ifndef DESCOVO_RATELIMIT_H
#define DESCOVO_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_WINDOW_MS 60000

typedef struct rl_window {
    int64_t start_ms;   /* when the current window opened */
    uint32_t count;     /* requests passed in it */
} rl_window;

/* Counts one request at now_ms against `limit` per window. Returns 0 when it
 * passes (and counts it), or the number of whole seconds until the window
 * closes (>= 1, for Retry-After) when it is refused (not counted).
 * limit 0 means unlimited. */
int ratelimit_take(rl_window *window, int64_t now_ms, uint32_t limit, int64_t window_ms);

#endif
