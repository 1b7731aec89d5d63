/* compactor: when and how the state file is compacted (persist.h,
 * "Compaction"): a snapshot of the store (store_snapshot.h) taken at a
 * cut of the log, then written with a new log after it.
 *
 * The snapshot is taken alone: no build runs its filters outside the
 * store lock (store_work_alone_begin) and the lock is held while the
 * state is serialised into memory and the cut taken, so the two agree;
 * that is the one pause requests see. Writing, syncing and the rename
 * happen after it, with the store free.
 *
 * Automatic: a thread of its own compacts once the lines after the last
 * snapshot pass max(floor, the snapshot's lines) (floor 0: only when
 * asked with compactor_run).
 *
 * Asked (POST /_mock/state/compact): compactor_run compacts on the
 * caller's thread; compactor_run_async on the compactor's own, calling
 * back when done, so that a server thread is not held meanwhile.
 *
 * Threads: compactor_run and compactor_run_async from any thread, no lock
 * held; one compaction at a time. */
#ifndef DESCOVO_COMPACTOR_H
#define DESCOVO_COMPACTOR_H

#include <stddef.h>
#include <stdint.h>

#include "sim/persist.h"
#include "sim/store.h"

/* Lines after a snapshot that make the next one (--compact-after): a
 * restart then replays at most this many, about 55 ms at 5.5 us each. */
#define COMPACTOR_DEFAULT_FLOOR 10000

typedef struct compactor compactor;

/* Starts the thread and, floor > 0, hooks it to the log; link_base is the
 * server's URL (store_snapshot_write). All borrowed: they must outlive it. Call after the state file is replayed. Returns
 * NULL when out of memory or a thread cannot start. */
compactor *compactor_start(store *st, persist *p, uint64_t floor, const char *link_base);

/* Compacts now; returns when the new file is durable: 0, or -1 with errno
 * (EBUSY: one is running; ECANCELED: a reset came in the middle) and a
 * message in err. *pause_us (may be NULL): how long the store was held. */
int compactor_run(compactor *c, int64_t *pause_us, char *err, size_t errlen);

/* What an asynchronous compaction became: rc and error (errno) as
 * compactor_run returns them, the store's pause, the message of a failure
 * (borrowed for the call). */
typedef void (*compactor_done_fn)(void *arg, int rc, int error, int64_t pause_us, const char *err);

/* compactor_run on the compactor's thread: returns at once, and done(arg,
 * ...) is called once, from that thread when the new file is durable or
 * the compaction failed, or from this one, before it returns, when one is
 * already running (EBUSY). done must not call back into the compactor. */
void compactor_run_async(compactor *c, compactor_done_fn done, void *arg);

/* The last snapshot's pause (microseconds the store was held), -1: none. */
int64_t compactor_last_pause_us(compactor *c);
uint64_t compactor_floor(const compactor *c);
/* The log it compacts (compactor_start's p). */
persist *compactor_log(const compactor *c);

/* Stops the thread (waits for a compaction running, or asked with
 * compactor_run_async, and its callback). Accepts NULL. */
void compactor_stop(compactor *c);

#endif
