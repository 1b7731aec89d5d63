/* persist: the state file of --state-file PATH, so that every acknowledged
 * change survives a crash.
 *
 * The simulator is deterministic: the same seed, the same requests at the
 * same simulated times give the same state, ids included (builds rerun
 * their filters, exports rebuild their rows, enrichments reveal the same
 * contacts). So the state file is a log of the requests that changed state,
 * one JSON object a line, each written and synced (fdatasync) before its
 * answer is sent; a restart replays them through the same handlers. What a
 * replay cannot recompute is logged with the request: its simulated time,
 * the export's random download id, the side effect of a fault rule.
 *
 * This module is only the log: it knows no route and no URL path. Method
 * and path are strings it stores and gives back; persist_replay hands each
 * record to a callback, which the wiring (app.c) points at the route
 * table (routes_replay), so a replayed request takes the path a live one
 * takes.
 *
 * Format 3 (docs/RELIABILITY.md, "The state file"):
 *   {"descovoState":3,"seed":"42","companies":2000,"clock":"manual"}   header
 *   {"snapshot":{"lines":N,"t":...,"c":...}}   optional: a snapshot of N lines
 *   ... N lines, each a JSON object, opaque here (sim/store_snapshot.h)
 *   {"snapshotEnd":N}
 *   {"t":1735689600000,"m":"POST","p":"/v1/audiences/create","b":{...}}
 *   {"t":...,"m":"DELETE","p":"/v1/audiences/aud_..","k":"sk_..."}    key of a query route
 *   {"t":...,"m":"POST","p":"/v1/audiences/aud_../export/companies","b":{...},"x":"exp_..."}
 *   {"t":...,"m":"POST","p":"/v1/audiences/aud_../build","b":{...},"f":{"type":"hold","rule":3,"hold":"BUILDING"}}
 *   {"c":1735689700000}                 clock mark: answers were given up to this time
 * Fault types, enrichment stages and statuses are written by name, so that
 * reordering an enum cannot change what an old file means; formats 2 (no
 * snapshot) and 1 (enum integers) are still read. Every field read back is
 * checked: times are integers from 0 to the end of year 9999 and never go
 * back from one change to the next, names must be known; anything else
 * refuses the start with the line number.
 *
 * Logged: the requests of routes marked ROUTE_PERSIST in routes.c when
 * they answer 200 (create, search-params, build, enrich, exports, archive,
 * clock advance, account PUT, fault deletions (they release holds), outbox
 * clear, scenario load), in the order in which they took effect: under the
 * store lock, at the moment the change is made (a build logs itself
 * before it releases the lock to run its filters; a scenario load runs
 * alone). POST /_mock/reset empties the file (a new header, written to a
 * temporary file, synced and renamed). Not kept: fault rules (those of
 * scenario loads too: a replay applies a scenario's store part only), the
 * chaos and time scale a scenario set, the request journal, rate-limit
 * windows; a build held by a hold rule is released at restart.
 *
 * Durability, group commit: persist_append queues a record in memory and
 * returns its sequence number; persist_sync(seq) returns once that record
 * is written and synced. One thread at a time (the leader) writes and
 * syncs everything queued so far (one fdatasync for every change made
 * while the previous sync ran); the others wait for it. The server's
 * threads never lead: their answers wait for the log's flusher thread
 * (persist_await), so no request waits for the disk behind another's
 * sync. Every answer still waits for its own change to be durable.
 *
 * Time: with a real clock, time moves without any logged change, and an
 * answer may show what that time did (a build finished). persist_vouch_time
 * makes sure, before such an answer is sent, that the log holds a clock
 * mark at least as late, written ahead of time, so a restart never shows a
 * state older than one already answered.
 *
 * A torn last line (a crash in the middle of a write, never acknowledged) is
 * dropped at open. Any other damage, or a header of another seed, size or
 * clock mode, refuses the start with a message.
 *
 * The tail: the file is extended with zeros ahead of its records, and each
 * batch is written with pwrite at the log's end, over them (never
 * O_APPEND). A sync then writes into blocks the file has already, and
 * commits no new file size through the file system's journal, except the
 * one sync in every 768 KiB of records that also writes the next zeros
 * (1 MiB, once fewer than 256 KiB are left; on the thread that syncs,
 * outside every lock; fallocate would not do: writing into its unwritten
 * extents is a journal commit again). Read back, the log ends at its first NUL byte:
 * records are written in order, each sync covers every byte before the
 * end it wrote, and no record holds a raw NUL (JSON escapes it); so a NUL
 * at offset X means that no sync covering X ever ended, and nothing at or
 * after X was acknowledged. A torn line before it is dropped as above, and
 * whatever follows it too (records of a batch that reached the disk out of
 * order in a crash). Whenever anything but zeros follows the last whole
 * line, open cuts the file there, synced, before any new record is
 * written, so that no old byte can ever join a new record; the next sync
 * extends it again. Files of formats 1 to 3 without a tail read as before.
 * Zeros that do not fit (a full disk, a file size limit) are not an
 * error: the records are what must fit, and they go on growing the file.
 * Sizes reported (compaction, GET /_mock/health) are the log's, records
 * only. No checksum per record: before the first NUL the bytes are the
 * ones written, in order, as in an appended file; a line damaged all the
 * same (the medium) fails the checks of every line read back and refuses
 * the start, naming it, where a checksum would drop it silently, though
 * it may have been acknowledged.
 *
 * Compaction (persist_compact): the state the log replays to, written as
 * a snapshot by the caller at a cut (persist_cut: the records up to it),
 * becomes a new file: header, snapshot, then the records appended after
 * the cut, copied from the old file, then its tail; it is synced and
 * renamed over PATH while serving, and the log goes on in it. A crash at
 * any moment leaves either the old file or the new one, each complete; a
 * PATH.compact left behind is deleted at open. persist knows no store:
 * snapshot lines are text it writes and hands back (persist_restore_fn).
 *
 * Threads: persist_append runs with the store lock held; persist_sync and
 * persist_vouch_time with no lock held, from any thread. Lock order: the
 * store's, then persist's own. */
#ifndef DESCOVO_PERSIST_H
#define DESCOVO_PERSIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim/clock.h"
#include "sim/faults.h"

typedef struct persist persist;

/* What a state file must match to be replayed. */
typedef struct persist_identity {
    uint64_t seed;
    uint32_t companies;
    mock_clock_mode clock_mode;
} persist_identity;

/* Opens the state file, creating it (mode 0600: it holds API keys) when it
 * does not exist, and checks its header. Returns NULL with a message in err
 * when it cannot be read or written, is damaged, or was written by a
 * server with another identity. */
persist *persist_open(const char *path, const persist_identity *identity,
                      char *err, size_t errlen);

/* One logged request, as persist_replay gives it back. Everything is
 * borrowed from the log for the duration of the callback. */
typedef struct persist_record {
    int64_t now_ms;              /* its simulated time */
    const char *method;
    const char *path;
    json_t *body;                /* a JSON object, or NULL */
    const char *query_key;       /* the apiKey of a query route, or NULL */
    const fault_decision *fault; /* a fault rule's side effect, or NULL */
    const char *export_id;       /* the download id it created, or NULL */
} persist_record;

/* Restores one line of the snapshot that opens the file (line, len: the
 * JSON object, without its newline; borrowed). Returns 0, or -1 with why
 * it cannot be restored in detail (persist_replay adds file and line). */
typedef int (*persist_restore_fn)(void *ctx, const char *line, size_t len, char *detail, size_t detail_len);

/* Replays one record. Returns 0, or -1 with why it no longer applies in
 * detail (persist_replay adds the file, line, method and path). */
typedef int (*persist_replay_fn)(void *ctx, const persist_record *record,
                                 char *detail, size_t detail_len);

/* Hands each line of the file's snapshot, if it has one, to restore, then
 * every logged request after it, in order, to replay (once, before
 * serving), and frees the text read at open. Returns the number of
 * requests replayed, or -1 with a message in err naming the line that is
 * damaged, holds a value out of range or unknown, or that restore or
 * replay refused (a file with a snapshot and restore NULL is refused). */
long persist_replay(persist *p, persist_restore_fn restore, persist_replay_fn replay, void *ctx, char *err,
                    size_t errlen);

/* After persist_replay: the latest time the log vouches for (its last
 * change, or a later clock mark). A clock restarts no earlier. */
int64_t persist_replayed_until(const persist *p);

/* Store lock held. Queues one request whose answer is 200, as the next
 * record. query_key is the apiKey of a route that takes it from the query,
 * fault the decision for the request (only fail-build, fail-enrichment
 * and hold are kept), export_id the download id the request created (""
 * or NULL: none). Returns the record's sequence number for persist_sync,
 * or 0 when out of memory or a text is not UTF-8 (the log then misses a
 * change: persist_failed). */
uint64_t persist_append(persist *p, const char *method, const char *path, const json_t *body,
                        const char *query_key, int64_t now_ms, const fault_decision *fault,
                        const char *export_id);

/* The same with the body as the text it was read from: body_text (borrowed,
 * body_len bytes) is a JSON object that the server's reader accepted whole
 * (so valid UTF-8, no raw control character in a string, nothing after
 * the object). It is written without the whitespace between its tokens
 * instead of being written again from its tree: the same bytes, read back
 * by the same reader at a replay, give the same object. NULL: no body. */
uint64_t persist_append_text(persist *p, const char *method, const char *path, const char *body_text,
                             size_t body_len, const char *query_key, int64_t now_ms,
                             const fault_decision *fault, const char *export_id);

/* Store lock NOT held. Returns once record seq (and all before it) is
 * written and synced: 0, or -1 when a write, a sync or an earlier append
 * failed (errno set). */
int persist_sync(persist *p, uint64_t seq);

/* The asynchronous persist_sync, so that an answer waits for its record
 * without holding a server thread: done(arg, error) is called once record
 * seq is durable (error 0) or the log has failed (its errno), from the
 * log's flusher thread (or at once, from this one); it must not call back
 * into the log. Returns 0, or -1 when out of memory (done is then never
 * called: use persist_sync). */
typedef void (*persist_done_fn)(void *arg, int error);
int persist_await(persist *p, uint64_t seq, persist_done_fn done, void *arg);

/* Store lock NOT held. Before an answer showing time now_ms (real clock):
 * returns 0 at once when the log already vouches for it; otherwise queues
 * a clock mark for now_ms + ahead_ms and waits until it is durable (one
 * such wait per ahead_ms of time). -1 when the log cannot be written. */
int persist_vouch_time(persist *p, int64_t now_ms, int64_t ahead_ms);

/* fdatasync calls made, and records appended, since open (benchmark). */
uint64_t persist_syncs(persist *p);
uint64_t persist_records(persist *p);

/* The errno of a failed write or sync (the log then misses a change and
 * later changes are refused until a restart), or 0. Any thread. */
int persist_failed(const persist *p);

/* --- compaction ------------------------------------------------------------ */

/* A point of the log: the records up to it are what a snapshot taken at
 * the same moment stands for. */
typedef struct persist_cut {
    uint64_t seq;                /* the last record before the cut */
    off_t offset;                /* where the record after it starts in the file */
    int64_t last_t;              /* the latest change's time up to the cut */
    int64_t vouched_ms;          /* the latest time vouched for up to the cut */
    uint64_t generation;         /* a truncate after the cut voids it */
} persist_cut;

/* Store lock held, with nothing changing the store outside it (so that no
 * change falls between the snapshot and the cut). Fills *cut with the
 * log's position now. */
void persist_cut_here(persist *p, persist_cut *cut);

/* What compaction has done, for GET /_mock/health. */
typedef struct persist_compact_stats {
    uint64_t compactions;        /* files replaced since start */
    int64_t last_ms;             /* the last one's duration (real ms), -1: none yet */
    uint64_t last_bytes;         /* the new file's log then (records: its tail not counted) */
    uint64_t since_snapshot;     /* lines after the snapshot now (what a restart replays) */
    size_t snapshot_lines;       /* objects in the snapshot */
} persist_compact_stats;
void persist_compact_stats_of(persist *p, persist_compact_stats *out);

/* No lock held; one at a time (-1, EBUSY, otherwise). Replaces the file
 * with the header, the snapshot (n_lines lines of text, each ending with a
 * newline: what the log replayed to up to cut) and the records after cut,
 * as said above. The log's own lock is held only for the last copy, the
 * sync and the rename: group commit goes on meanwhile. Returns 0, or -1
 * with errno and a message in err (ECANCELED: a reset came after the cut,
 * the old file stands; any other error: the old file stands too, and the
 * log goes on in it). */
int persist_compact(persist *p, const persist_cut *cut, const char *snapshot, size_t len, size_t n_lines,
                    char *err, size_t errlen);

/* Called (log lock held: it must only wake a thread) when the lines after
 * the snapshot pass max(floor, the snapshot's lines): a compaction then
 * costs O(1) per change, and a restart replays at most that many lines.
 * Called once, then again after the next persist_compact. floor 0: never. */
typedef void (*persist_compact_hook)(void *ctx);
void persist_set_compact_hook(persist *p, uint64_t floor, persist_compact_hook hook, void *ctx);

/* Tests only: step(ctx, k) is called at each step k (1, 2, ...) of a
 * compaction, so that a test can end the process there. */
typedef void (*persist_step_fn)(void *ctx, int step);
void persist_set_step_hook(persist *p, persist_step_fn step, void *ctx);

/* Tests only: hook(ctx) is called by the thread that syncs, after each
 * group commit's fdatasync that succeeded and before the records it covered count as
 * durable (it may block, to hold their answers back); an errno it returns
 * fails the sync as a failed fdatasync would. */
typedef int (*persist_sync_hook)(void *ctx);
void persist_set_sync_hook(persist *p, persist_sync_hook hook, void *ctx);

/* Store lock held (store_reset's hook). Replaces the file with an empty log
 * (header only, then its tail), atomically. */
void persist_truncate(void *p);

/* The name of the log's flusher thread (at most 15 characters). */
#define PERSIST_FLUSHER_NAME "persist-flush"

/* Accepts NULL. */
void persist_close(persist *p);

#endif
