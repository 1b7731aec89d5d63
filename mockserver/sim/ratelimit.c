#include "sim/ratelimit.h"

int ratelimit_take(rl_window *window, int64_t now_ms, uint32_t limit, int64_t window_ms)
{
    if (limit == 0)
        return 0;
    if (window->count == 0 || now_ms >= window->start_ms + window_ms) {
        window->start_ms = now_ms;
        window->count = 0;
    }
    if (window->count < limit) {
        window->count++;
        return 0;
    }
    int64_t left_ms = window->start_ms + window_ms - now_ms;
    int64_t secs = (left_ms + 999) / 1000;
    return secs < 1 ? 1 : (int)secs;
}
