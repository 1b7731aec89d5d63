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
 * Threads: compactor_run from any thread, no lock held; one compaction at
 * a time. */
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

/* Starts the thread (floor > 0) and hooks it to the log; link_base is the
 * server's URL (store_snapshot_write). All borrowed: they must outlive it. Call after the state file is replayed. Returns
 * NULL when out of memory or a thread cannot start. */
compactor *compactor_start(store *st, persist *p, uint64_t floor, const char *link_base);

/* Compacts now; returns when the new file is durable: 0, or -1 with errno
 * (EBUSY: one is running; ECANCELED: a reset came in the middle) and a
 * message in err. *pause_us (may be NULL): how long the store was held. */
int compactor_run(compactor *c, int64_t *pause_us, char *err, size_t errlen);

/* The last snapshot's pause (microseconds the store was held), -1: none. */
int64_t compactor_last_pause_us(compactor *c);
uint64_t compactor_floor(const compactor *c);

/* Stops the thread (waits for a compaction running). Accepts NULL. */
void compactor_stop(compactor *c);

#endif
