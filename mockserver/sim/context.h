/* context: what the layers below the wiring (routes, handlers, scenarios)
 * are given of a running simulator, instead of the application itself.
 * app.c fills one and owns everything it points to; a handler receives it
 * as req->ctx (api/api.h), scenario_apply as its first argument.
 *
 * A plain struct, with no functions of its own: it knows only the types of
 * the modules it points to, so any layer from sim/ up may include it and
 * none of them reaches back up into app.c.
 *
 * Threading: the pointers and the options are set before the first
 * request and never change; each object pointed to states its own locking
 * (the store's mutex, the clock's and faults' own locks). `ready` and
 * `base_url` are written once by app.c, before `ready` is set with release
 * order (mock_context_ready reads it with acquire order). */
#ifndef DESCOVO_CONTEXT_H
#define DESCOVO_CONTEXT_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/export_cache.h"
#include "sim/clock.h"
#include "sim/compactor.h"
#include "sim/faults.h"
#include "sim/journal.h"
#include "sim/persist.h"
#include "sim/store.h"

/* The options that requests read after start (a copy of mock_options'). */
typedef struct mock_context_options {
    uint64_t seed;
    mock_clock_mode clock_mode;
    double time_scale;           /* what POST /_mock/reset restores */
    double chaos_rate;
    uint64_t chaos_seed;
    int64_t default_credits;     /* accounts created without credits */
    int64_t default_export_quota;
    const char *scenario;        /* --scenario, reapplied by a reset; NULL: none */
    int control;                 /* the /_mock/ control plane is served */
    const char *admin_token;     /* required in X-Mock-Admin-Token when set */
} mock_context_options;

typedef struct mock_context {
    store *store;
    mock_clock *clock;
    faults *faults;
    journal *journal;            /* NULL with --journal-size 0 */
    const dataset *ds;
    export_cache *exports;       /* records exports rendered, shared (export_cache.h); NULL: none */
    persist *persist;            /* the state file; NULL without --state-file */
    compactor *compactor;        /* its compaction; NULL without it, or until replayed */
    mock_context_options options;
    char base_url[64];           /* "http://127.0.0.1:PORT", for download URLs */
    int ready;                   /* 0 until the state file is replayed: requests get 503 */
} mock_context;

static inline int mock_context_ready(const mock_context *ctx)
{
    return __atomic_load_n(&ctx->ready, __ATOMIC_ACQUIRE);
}

#endif
