#include "sim/compactor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/store_snapshot.h"
#include "text/strbuf.h"

struct compactor {
    store *st;
    persist *p;
    uint64_t floor;
    const char *link_base;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int asked;                   /* the log passed its threshold */
    compactor_done_fn job_done;  /* compactor_run_async's, claimed; NULL: none */
    void *job_arg;
    int running;                 /* a compaction runs (thread or compactor_run) */
    int stopping;
    int64_t last_pause_us;
    pthread_t thread;
    int thread_started;
};

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The snapshot and the cut, alone and under the lock; then the file. */
static int compact(compactor *c, int64_t *pause_us, char *err, size_t errlen)
{
    strbuf text = STRBUF_INIT;
    persist_cut cut;
    store_work_alone_begin(c->st);
    store_lock(c->st);
    int64_t started = monotonic_us();
    size_t lines = store_snapshot_write(c->st, c->link_base, &text);
    persist_cut_here(c->p, &cut);
    int64_t pause = monotonic_us() - started;
    store_unlock(c->st);
    store_work_alone_end(c->st);
    int rc = -1;
    if (text.oom) {
        snprintf(err, errlen, "compaction: out of memory writing the snapshot");
        errno = ENOMEM;
    } else {
        rc = persist_compact(c->p, &cut, text.data != NULL ? text.data : "", text.len, lines, err, errlen);
    }
    int saved = errno;
    strbuf_release(&text);
    pthread_mutex_lock(&c->lock);
    c->last_pause_us = pause;
    pthread_mutex_unlock(&c->lock);
    if (pause_us != NULL)
        *pause_us = pause;
    errno = saved;
    return rc;
}

/* Claims the right to compact: 0, or -1 (EBUSY) when one runs. */
static int claim(compactor *c)
{
    pthread_mutex_lock(&c->lock);
    int busy = c->running;
    c->running = 1;
    pthread_mutex_unlock(&c->lock);
    if (busy)
        errno = EBUSY;
    return busy ? -1 : 0;
}

static void release(compactor *c)
{
    pthread_mutex_lock(&c->lock);
    c->running = 0;
    pthread_mutex_unlock(&c->lock);
}

int compactor_run(compactor *c, int64_t *pause_us, char *err, size_t errlen)
{
    if (claim(c) != 0) {
        snprintf(err, errlen, "a compaction of the state file is already running");
        return -1;
    }
    int rc = compact(c, pause_us, err, errlen);
    int saved = errno;
    release(c);
    errno = saved;
    return rc;
}

void compactor_run_async(compactor *c, compactor_done_fn done, void *arg)
{
    if (claim(c) != 0) {
        done(arg, -1, EBUSY, 0, "a compaction of the state file is already running");
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->job_done = done;
    c->job_arg = arg;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* Lock held: runs the asked compaction, claimed by compactor_run_async,
 * and calls back (the lock released meanwhile). */
static void run_job(compactor *c)
{
    compactor_done_fn done = c->job_done;
    void *arg = c->job_arg;
    c->job_done = NULL;
    c->job_arg = NULL;
    pthread_mutex_unlock(&c->lock);
    char err[512] = "";
    int64_t pause_us = 0;
    int rc = compact(c, &pause_us, err, sizeof err);
    int error = rc != 0 ? errno : 0;
    release(c);
    done(arg, rc, error, pause_us, err);
    pthread_mutex_lock(&c->lock);
}

/* The log's hook (its lock held): only wakes the thread. */
static void on_due(void *ctx)
{
    compactor *c = ctx;
    pthread_mutex_lock(&c->lock);
    c->asked = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

static void *run_thread(void *arg)
{
    compactor *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->asked && c->job_done == NULL && !c->stopping)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->job_done != NULL) {
            run_job(c);
            continue;
        }
        if (c->stopping)
            break;
        c->asked = 0;
        pthread_mutex_unlock(&c->lock);
        char err[256];
        /* Busy: a forced one runs, which does the same. A failure is in the
         * health counters; the log asks again later (persist.c). */
        if (claim(c) == 0) {
            (void)compact(c, NULL, err, sizeof err);
            release(c);
        }
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

compactor *compactor_start(store *st, persist *p, uint64_t floor, const char *link_base)
{
    compactor *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->st = st;
    c->p = p;
    c->floor = floor;
    c->link_base = link_base;
    c->last_pause_us = -1;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, run_thread, c) != 0) {
        compactor_stop(c);
        return NULL;
    }
    c->thread_started = 1;
    if (floor > 0)
        persist_set_compact_hook(p, floor, on_due, c);
    return c;
}

int64_t compactor_last_pause_us(compactor *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t pause = c->last_pause_us;
    pthread_mutex_unlock(&c->lock);
    return pause;
}

uint64_t compactor_floor(const compactor *c)
{
    return c->floor;
}

persist *compactor_log(const compactor *c)
{
    return c->p;
}

void compactor_stop(compactor *c)
{
    if (c == NULL)
        return;
    persist_set_compact_hook(c->p, 0, NULL, NULL);
    if (c->thread_started) {
        pthread_mutex_lock(&c->lock);
        c->stopping = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
