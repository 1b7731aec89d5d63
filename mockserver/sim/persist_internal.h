/* persist_internal: the state file's struct, shared by persist.c (the log:
 * open, replay, group commit), persist_compact.c (a snapshot and a new
 * log after it) and persist_tail.c (the zeros ahead of the records).
 * Nothing else includes it. */
#ifndef DESCOVO_PERSIST_INTERNAL_H
#define DESCOVO_PERSIST_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <sys/types.h>

#include "sim/persist.h"
#include "text/strbuf.h"

/* 3: a snapshot may open the log. 2: fault types, stages and statuses by
 * name; clock marks. 1: the same with raw enum integers. All three are
 * read; 3 is written. */
#define STATE_FORMAT 3
#define STATE_FORMAT_NAMES 2
#define STATE_FORMAT_INTEGERS 1
/* Largest state file read at start; far above what 10,000 audiences per
 * key between two resets write. */
#define STATE_MAX_BYTES (1024LL * 1024 * 1024)
/* Latest time a state file may hold: the end of year 9999, as --start-ms
 * allows; far from overflowing the sums the lifecycle makes with it. */
#define STATE_MAX_MS 253402300799999LL

/* The tail (persist.h): zeros written PERSIST_TAIL_CHUNK at a time, once
 * fewer than PERSIST_TAIL_LOW bytes of them are left after a batch. The
 * fdatasync of that batch commits the new size (once every 768 KiB of
 * records: about 7,000 creates); the others write into blocks the file
 * already has. */
#define PERSIST_TAIL_CHUNK (1024 * 1024)
#define PERSIST_TAIL_LOW (256 * 1024)

typedef struct persist_waiter {
    uint64_t seq;
    persist_done_fn done;
    void *arg;
} persist_waiter;

struct persist {
    char *path;
    int fd;                      /* written with pwrite (never O_APPEND); replaced with dup2 by
                                  * truncate and compaction */
    persist_identity identity;
    int failed_errno;            /* sticky: a write failed, the log misses a change */
    char *text;                  /* the log read at open, until replayed */
    size_t text_len;
    int format;                  /* of the file read at open */
    int64_t replayed_ms;         /* the latest time the replayed log vouches for */

    /* Group commit (lock): records are appended to `pending` in the order
     * of their sequence numbers; one thread at a time (the leader) writes
     * and syncs everything pending, and wakes those it made durable. */
    pthread_mutex_t lock;
    pthread_cond_t synced;
    strbuf pending;              /* whole lines not yet written */
    strbuf spare;                /* the leader's last batch, kept for reuse */
    uint64_t appended;           /* sequence number of the last record appended */
    uint64_t durable;            /* ... of the last one written and synced */
    int flushing;                /* a leader is writing and syncing */
    off_t size;                  /* bytes of whole lines in the file: its logical size */
    off_t alloc;                 /* the file's size: the lines, then the zero tail (leader or
                                  * lock with no leader) */
    off_t tail_retry_at;         /* after zeros that did not fit: none before this size */
    off_t end;                   /* where the next line queued will start in the file */
    uint64_t syncs;              /* fdatasync calls, for the benchmark */
    /* Clock marks: the log vouches that time reached `vouched_ms`; a mark
     * for `mark_ms` is pending as record `mark_seq`. */
    int64_t vouched_ms;          /* atomic: read without the lock */
    int64_t mark_ms;
    uint64_t mark_seq;
    int64_t last_t;              /* the latest "t" queued (changes never go back) */
    int64_t queued_ms;           /* the latest time any queued line vouches for */
    /* Answers waiting for their record (persist_await), and the thread
     * that writes, syncs and calls them back. */
    persist_waiter *waiters;
    size_t n_waiters, cap_waiters;
    pthread_t flusher;
    int flusher_started;
    int stopping;
    /* The flusher sleeps on a semaphore, not on a condition variable of
     * `lock`: glibc hands a mutex back from pthread_cond_wait marked as
     * contended, so the flusher's next unlock was a futex call every time
     * it woke (a quarter of a durable create's futex calls). */
    int flusher_idle;            /* it sleeps, or is about to, on `wake`: post it (lock) */
    sem_t wake;

    /* Compaction (lock). */
    uint64_t generation;         /* bumped by truncate: a snapshot taken before is void */
    uint64_t since_snapshot;     /* lines after the snapshot (or the header) */
    size_t snapshot_lines;       /* of the last snapshot written or read */
    uint64_t compact_floor;      /* 0: never ask */
    int compact_asked;           /* the hook was called; cleared when a compaction ends */
    uint64_t ask_after;          /* after a failed one: not before this many lines */
    persist_compact_hook compact_hook;
    void *compact_hook_ctx;
    int compacting;              /* a persist_compact runs */
    persist_compact_stats stats;
    persist_sync_hook sync_hook; /* tests: called after each sync (lock not held) */
    void *sync_hook_ctx;
    persist_step_fn step_hook;   /* tests: called at each step of a compaction */
    void *step_hook_ctx;
};

/* Sticky failure: later changes are refused durability. */
void persist_mark_failed(persist *p, int error);
/* Syncs the directory holding path, so that a create or rename survives. */
int persist_sync_dir(const char *path);
/* The version line of a file with this identity, without its newline;
 * a new string, or NULL when out of memory. */
char *persist_header_line(const persist_identity *id);

/* The log's length in text read from a state file: up to its first NUL
 * (the tail, or bytes no sync covered), or len. */
size_t persist_tail_logical(const char *text, size_t len);
/* Whether text[from, len) is all NUL: nothing after the log but zeros. */
int persist_tail_clean(const char *text, size_t from, size_t len);
/* After lines up to end in a file of alloc bytes: the size to extend it
 * to with zeros (alloc itself: enough left). */
off_t persist_tail_target(off_t end, off_t alloc);
/* Writes zeros over [from, to) of fd, if it can: returns to, or from
 * when the zeros do not fit (a full disk, a file size limit). The records
 * are what must fit: the log then goes on growing the file with each
 * sync, as without a tail (the zeros written are harmless). */
off_t persist_tail_extend(int fd, off_t from, off_t to);

#endif
