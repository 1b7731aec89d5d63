/* faults: fault injection. Rules added through POST /_mock/faults (or a
 * scenario) decide, request by request, whether the simulator misbehaves;
 * seeded chaos adds a reproducible random mix on top.
 *
 * A rule: {"match": {"method", "path", "apiKey"}, "after": N, "times": N,
 *          "probability": P, "seed": S, "action": {...}}
 *   match     every field optional; path is a glob where '*' matches within
 *             one segment ("/v1/audiences/ * /build" without the spaces) and
 *             '**' across segments
 *   after     let the first N matching requests through
 *   times     fire at most N times (then the rule stays listed, exhausted)
 *   probability  fire with this chance (0..1), from a PRNG seeded by `seed`
 *             (default: the rule id), so a run replays identically
 *   action.type:
 *     status           answer {status} (400/401/403/404/429/500/502/503) in
 *                      the service's error shape; Retry-After for 429/503
 *                      ({retryAfter}, default 1); {message} optional
 *     latency          delay the answer by {ms}, or uniformly in
 *                      [{minMs}, {maxMs}], without holding a server thread
 *     drop, reset      close the connection without an answer (reset: TCP
 *                      RST); {when}: "before" (default: not processed) or
 *                      "after" (processed, answer lost)
 *     fail-build       the matching build request succeeds, but that build
 *                      ends FAILED (nothing charged)
 *     fail-enrichment  the matching enrich request succeeds, but the
 *                      enrichment ends FAILED on reaching {stage} (its
 *                      charge is refunded)
 *     hold             the matching build stays in {status} (BUILDING,
 *                      SAVING_COMPANIES, SAVING_PROSPECTS,
 *                      LINKING_PROSPECTS_WITH_COMPANIES or HEALING_COMPANIES)
 *                      until the rule is deleted
 * The first rule (in creation order) that matches and fires decides.
 * Which requests may be faulted is the caller's choice: routes.c asks for
 * every request but those of the control plane (/_mock/ is never faulted).
 *
 * Thread-safe: one mutex of its own. */
#ifndef DESCOVO_FAULTS_H
#define DESCOVO_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/lifecycle.h"

typedef enum fault_type {
    FAULT_NONE = 0,
    FAULT_STATUS,
    FAULT_LATENCY,
    FAULT_DROP,
    FAULT_RESET,
    FAULT_FAIL_BUILD,
    FAULT_FAIL_ENRICHMENT,
    FAULT_HOLD
} fault_type;

/* What to do with one request. */
typedef struct fault_decision {
    fault_type type;
    uint64_t rule_id;            /* 0 for chaos */
    unsigned status;             /* FAULT_STATUS */
    int retry_after;             /* FAULT_STATUS 429/503, seconds */
    char message[200];           /* FAULT_STATUS */
    int64_t delay_ms;            /* FAULT_LATENCY */
    int after_processing;        /* FAULT_DROP / FAULT_RESET */
    enrichment_stage fail_stage; /* FAULT_FAIL_ENRICHMENT */
    audience_status hold_status; /* FAULT_HOLD */
} fault_decision;

/* The name of a fault type as rules spell it ("fail-build"), and back:
 * 0, or -1 for no such name (NULL and "none" included). */
const char *fault_type_name(fault_type type);
int fault_type_from_name(const char *name, fault_type *out);

typedef struct faults faults;

/* chaos_rate in [0, 1]: the share of the requests given to faults_decide
 * (those of the Descovo API, /v1/) that get a random fault (429, 500, 503
 * or 50-250 ms of latency) when no rule fired. */
faults *faults_new(double chaos_rate, uint64_t chaos_seed);
void faults_free(faults *f);

/* Validates and adds a rule. Returns its new JSON description (new
 * reference, with "id"), or NULL with a message naming the field in err. */
json_t *faults_add(faults *f, const json_t *rule, char *err, size_t errlen);

/* {"faults": [rule with "id", "fired", "seen", "active"]}; new reference. */
json_t *faults_list(faults *f);

/* The same, of the rules whose match.apiKey is key only (one tenant's). */
json_t *faults_list_key(faults *f, const char *key);

/* Removes the rules whose match.apiKey is key, calling removed (if not
 * NULL, without the faults lock) with each one's id. Returns how many. */
size_t faults_remove_key(faults *f, const char *key, void (*removed)(void *ctx, uint64_t id), void *ctx);

/* Removes one rule (0) or reports it unknown (-1). */
int faults_remove(faults *f, uint64_t id);
void faults_clear(faults *f);

/* Chaos settings, changeable at run time (scenarios). */
void faults_set_chaos(faults *f, double rate, uint64_t seed);

/* Decides for one request (path as sent: rules match it against their
 * globs; this module gives no path a meaning of its own). key may be NULL. Fills *out (type FAULT_NONE when
 * nothing fires). Counts matches and firings. */
void faults_decide(faults *f, const char *method, const char *path,
                   const char *key, fault_decision *out);

#endif
