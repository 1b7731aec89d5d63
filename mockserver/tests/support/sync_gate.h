/* sync_gate: holds the state file's syncs open for a test (the hook of
 * persist_set_sync_hook), so that it can check what is, and is not,
 * answered meanwhile. Counters change under the gate's lock and wake its
 * waiters; any thread may bump or wait (no cmocka assert in here). */
#ifndef DESCOVO_TEST_SYNC_GATE_H
#define DESCOVO_TEST_SYNC_GATE_H

#include <pthread.h>

typedef struct sync_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int entered;                  /* syncs that reached the hook */
    int released;                 /* 1: syncs go through */
    int fail;                     /* 1: each sync fails with EIO */
    int answered;                 /* the test's own count (sync_gate_bump) */
} sync_gate;

void sync_gate_init(sync_gate *g, int fail);
void sync_gate_destroy(sync_gate *g);

/* The hook: counts the sync in `entered`, waits until released; returns
 * EIO when `fail`, else 0. ctx: the gate. */
int sync_gate_hold(void *ctx);

void sync_gate_release(sync_gate *g);

/* Adds 1 to *count (a counter of g). */
void sync_gate_bump(sync_gate *g, int *count);

/* Waits up to ms until *count (a counter of g) reaches want; returns its
 * value then. */
int sync_gate_wait(sync_gate *g, const int *count, int want, long ms);

#endif
