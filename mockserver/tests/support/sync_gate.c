#include "sync_gate.h"

#include <errno.h>
#include <time.h>

void sync_gate_init(sync_gate *g, int fail)
{
    pthread_mutex_init(&g->lock, NULL);
    /* Waits are measured on the monotonic clock: a step of the wall clock
     * (NTP) cannot cut them short. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cond, &attr);
    pthread_condattr_destroy(&attr);
    g->entered = 0;
    g->released = 0;
    g->fail = fail;
    g->answered = 0;
}

void sync_gate_destroy(sync_gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

int sync_gate_hold(void *ctx)
{
    sync_gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->entered++;
    pthread_cond_broadcast(&g->cond);
    while (!g->released)
        pthread_cond_wait(&g->cond, &g->lock);
    int fail = g->fail;
    pthread_mutex_unlock(&g->lock);
    return fail ? EIO : 0;
}

void sync_gate_release(sync_gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->released = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void sync_gate_bump(sync_gate *g, int *count)
{
    pthread_mutex_lock(&g->lock);
    (*count)++;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

int sync_gate_wait(sync_gate *g, const int *count, int want, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    while (*count < want && pthread_cond_timedwait(&g->cond, &g->lock, &until) == 0) {
    }
    int n = *count;
    pthread_mutex_unlock(&g->lock);
    return n;
}
