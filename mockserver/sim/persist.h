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
 *   {"descovoState":1,"seed":"42","companies":2000,"clock":"manual"}   header
 *   {"t":1735689600000,"m":"POST","p":"/v1/audiences/create","b":{...}}
 *   {"t":...,"m":"DELETE","p":"/v1/audiences/aud_..","k":"sk_..."}    key of a query route
 *   {"t":...,"m":"POST","p":"/v1/audiences/aud_../export/companies","b":{...},"x":"exp_..."}
 *   {"t":...,"m":"POST","p":"/v1/audiences/aud_../build","b":{...},"f":{"type":5,...}}
 *
 * Logged: the requests of routes marked ROUTE_PERSIST in routes.c when
 * they answer 200 (create, search-params, build, enrich, exports, archive,
 * clock advance, account PUT, fault deletions (they release holds), outbox
 * clear, scenario load). POST /_mock/reset empties the file (a new header,
 * written to a temporary file, synced and renamed), so the log only grows
 * between resets. Not kept: fault rules, the request journal, rate-limit
 * windows; a build held by a hold rule is released at restart.
 *
 * A torn last line (a crash in the middle of a write, never acknowledged) is
 * dropped at open. Any other damage, or a header of another seed, size or
 * clock mode, refuses the start with a message.
 *
 * Threads: persist_append runs with the store lock held, so the log order is
 * the order in which changes were made; persist_sync runs after the lock is
 * released, before the answer is sent. */
#ifndef DESCOVO_PERSIST_H
#define DESCOVO_PERSIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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

/* Replays one record. Returns 0, or -1 with why it no longer applies in
 * detail (persist_replay adds the file, line, method and path). */
typedef int (*persist_replay_fn)(void *ctx, const persist_record *record,
                                 char *detail, size_t detail_len);

/* Hands every logged request, in order, to replay (once, before serving)
 * and frees the text read at open. Returns the number of requests
 * replayed, or -1 with a message in err naming the line that is damaged or
 * that replay refused. */
long persist_replay(persist *p, persist_replay_fn replay, void *ctx, char *err, size_t errlen);

/* Store lock held. Appends one request whose answer was 200. query_key is
 * the apiKey of a route that takes it from the query, fault the decision
 * for the request (only fail-build, fail-enrichment and hold are kept),
 * export_id the download id the request created ("" or NULL: none).
 * Returns 0, or -1 when the write failed (the file is cut back to its last
 * whole line). */
int persist_append(persist *p, const char *method, const char *path, const json_t *body,
                   const char *query_key, int64_t now_ms, const fault_decision *fault,
                   const char *export_id);

/* Store lock NOT held. Makes everything appended so far durable. Returns
 * 0, or -1 when a sync or an earlier append failed (errno set). */
int persist_sync(persist *p);

/* The errno of a failed write or sync (the log then misses a change and
 * later changes are refused until a restart), or 0. Any thread. */
int persist_failed(const persist *p);

/* Store lock held (store_reset's hook). Replaces the file with an empty log
 * (header only), atomically. */
void persist_truncate(void *p);

/* Accepts NULL. */
void persist_close(persist *p);

#endif
