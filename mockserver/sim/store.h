/* store: all mutable state of the simulator: accounts (one per API key),
 * their audiences, enrichments and exports.
 *
 * Locking: one mutex, taken with store_lock()/store_unlock(), protects every
 * field of every object reachable from the store. Handlers hold it while they
 * read or change state and build their small output objects; serialisation
 * and I/O happen after it is released. Long work (running a build's filters)
 * is done outside it under store_work_begin(), which store_reset() waits for.
 *
 * Lifetime: accounts live as long as the store (a reset restores their
 * initial values; accounts added at run time are disabled, not freed), so an
 * account pointer stays valid without the lock, with one exception: with
 * --tenant-idle-expiry, an account added at run time that no request has
 * opened for that long is freed (store_open_account), so a pointer kept
 * without the lock is valid only while its request runs. Audiences live
 * until reset, expiry or store_free; hold the lock while using one.
 *
 * Time: builds and enrichments advance lazily. store_settle() brings an
 * account's pending work up to `now` (completing builds, charging them,
 * applying enrichment reveals) in the order it finished, so every observer
 * sees the same history whatever it polls.
 *
 * Transitions: every change of state goes through a function of this
 * header (the state machine of an audience, the credit and export-row
 * ledgers, holds, rate-limit windows): callers read the structs below but
 * never write their fields. That keeps what a state file replays (the
 * requests that called these functions) and what a change does in one
 * place. A module that adds state adds its transitions here too, each
 * saying "Lock held." or "Lock NOT held." first, and writes it in the
 * snapshot of the state file (store_snapshot.c, store_restore.c: the one
 * place that sets fields directly, through store_internal.h, to what a
 * snapshot wrote; test_compaction.c fails on what a snapshot misses). */
#ifndef DESCOVO_STORE_H
#define DESCOVO_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "data/export.h"
#include "data/filters.h"
#include "sim/ledger.h"
#include "sim/lifecycle.h"
#include "sim/pricing.h"
#include "sim/ratelimit.h"

/* Rate-limit buckets: one per limited endpoint (see routes.c). */
#define STORE_RATE_BUCKETS 16
/* A build finds at most this many companies and prospects when
 * maxCompanies / maxProspects are not set (and they may not be larger). */
#define STORE_BUILD_CAP 1000000u
/* Most audiences one key may hold (archived ones count): memory stays bounded. */
#define STORE_MAX_AUDIENCES_PER_KEY 10000
/* Most accounts (keys) the store holds, those added at run time by
 * PUT /_mock/accounts or scenarios included: memory stays bounded. */
#define STORE_MAX_ACCOUNTS 10000
/* Most export files kept per key; the oldest expires first. */
#define STORE_MAX_EXPORTS_PER_KEY 32
/* Download links expire this long after the export, on the owner's clock
 * (simulator-defined; the export answer says when, expiresAt). */
#define STORE_EXPORT_LINK_TTL_MS (3600LL * 1000)
/* Export quota period. */
#define STORE_EXPORT_PERIOD_MS (30LL * 24 * 3600 * 1000)
/* chargeInfo carries lowCreditAlert when the balance is below this. */
#define STORE_LOW_CREDIT_THRESHOLD 1000

typedef struct audience audience;
typedef struct export_file export_file;

typedef struct account {
    char *key;
    int enabled;                   /* 0: unknown to the API (removed by a reset) */
    int64_t credits;
    int64_t export_quota;          /* rows per period */
    int64_t export_used;           /* rows in the current period */
    int64_t export_period_start_ms;
    int64_t initial_credits;       /* what a reset restores */
    int64_t initial_export_quota;
    int initial;                   /* from the command line or keys file */
    rl_window rate[STORE_RATE_BUCKETS];
    audience **audiences;          /* creation order, archived included */
    size_t n_audiences, cap_audiences;
    audience **pending;            /* with a build or enrichment in progress */
    size_t n_pending, cap_pending;
    export_file *exports[STORE_MAX_EXPORTS_PER_KEY]; /* ring */
    size_t next_export;
    ledger ledger;                 /* every change of credits (sim/ledger.h) */
    int64_t export_expiry_ms;      /* no export expires before this; 0: none held */
    /* Its clock (store_tenant_now): the server's until it is advanced on
     * its own; from then on clock_base_ms at the server's clock_anchor_ms,
     * running on with a real server clock and standing still with a
     * manual one (which only its own advances move). */
    int own_clock;
    int64_t clock_base_ms;
    int64_t clock_anchor_ms;
    /* Settings of its own (POST /_mock/accounts/{key}/scenario); < 0: the
     * server's. */
    double own_rate_limit_scale;
    int own_build_stages;
    double own_enrichment_slowdown;
    /* Idle expiry: the server's clock and the real monotonic time of its
     * last request, and its place in the list of accounts by last use. */
    int64_t seen_sim_ms;
    int64_t seen_real_ms;
    struct account *lru_newer, *lru_older;
    unsigned filters_outside;      /* builds running filters unlocked (store_filters_begin) */
    struct account *next;          /* hash chain */
} account;

typedef struct enrichment {
    char id[32];
    enrichment_options options;
    enrichment_plan plan;
    int64_t created_ms;
    int64_t completed_ms;          /* 0 until done */
    int64_t credits;               /* charged upfront */
    size_t n_prospects;            /* prospects it enriches */
    char *user_email;              /* NULL when not given */
    int applied;                   /* settled: reveals applied, or failed */
    int64_t fail_at_ms;            /* injected failure time, 0: none */
    int failed;                    /* ended FAILED (charge refunded) */
} enrichment;

struct audience {
    char id[32];
    char search_logic_id[32];
    char *name;
    account *owner;
    creation_method method;
    int64_t created_ms;
    int archived;
    /* DRAFT: filters as given (echoed back) and compiled. */
    json_t *company_params;        /* NULL when not set */
    json_t *prospect_params;
    audience_filters *filters;     /* NULL until search-params */
    uint32_t max_companies;        /* 0: not set */
    uint32_t max_prospects;
    /* Build. */
    audience_status status;        /* DRAFT, BUILDING (until settled), NORMAL, FAILED */
    int result_pending;            /* filters are running outside the lock */
    int64_t build_started_ms;
    int64_t build_finishes_ms;
    int64_t build_finished_ms;     /* 0 until settled */
    build_result result;
    pricing_index pricing;         /* running sums over result.prospects */
    int64_t build_cost;
    char *failure;                 /* why it FAILED, for logs and /_mock */
    int inject_failure;            /* a fault rule: this build ends FAILED */
    uint64_t hold_rule;            /* a fault rule holds it building, 0: none */
    audience_status hold_status;   /* what it shows while held */
    /* Enrichment: the latest one, and what all of them revealed. */
    enrichment *enrichment;
    uint8_t *revealed;             /* per result prospect, DS_CONTACT_* */
    struct audience *next;         /* hash chain */
};

struct export_file {
    char token[40];                /* unguessable download id */
    char filename[96];
    account *owner;
    export_job *job;
    int64_t created_ms;
    int64_t expires_ms;            /* created_ms + STORE_EXPORT_LINK_TTL_MS */
    char *user_email;
    int refs;                      /* downloads streaming it */
    int expired;                   /* unlinked; freed when refs drops to 0 */
    struct export_file *next;      /* hash chain */
};

/* Settings that scenarios may change at run time (lock held) and that a
 * reset restores. */
typedef struct store_config {
    uint64_t seed;                 /* ids derive from it: same seed, same ids */
    int build_stages;              /* report SAVING_* / LINKING_* while building */
    double rate_limit_scale;       /* multiplies per-minute limits; 0: none */
    double enrichment_slowdown;    /* multiplies enrichment durations (>= 1) */
    int keys_on_demand;            /* sk_test_ keys become accounts on first use */
    int64_t demand_credits;        /* what such an account starts with */
    int64_t demand_export_quota;
    int clock_runs;                /* the server's clock is real: a tenant's own clock runs with it */
    int64_t idle_expiry_ms;        /* drop a tenant idle this long (0: never), store_touch_account */
} store_config;

/* Keys of expired tenants remembered (a direct-mapped table of key ids), so
 * that their next request is told, not silently given a fresh tenant. */
#define STORE_TOMBSTONES 65536

/* Keys on demand: "sk_test_" then 1 to STORE_DEMAND_KEY_MAX more characters
 * from [A-Za-z0-9_-]. Keys that start with "sk_live_" are never taken. */
#define STORE_DEMAND_PREFIX "sk_test_"
#define STORE_LIVE_PREFIX "sk_live_"
#define STORE_DEMAND_KEY_MAX 120

/* Notification e-mails kept (a ring): the outbox of GET /_mock/outbox. */
#define STORE_OUTBOX_CAPACITY 1000
/* Bytes of an audience name quoted in an e-mail subject, cut on a character
 * boundary (utf8_cut). */
#define STORE_SUBJECT_NAME_MAX 80

typedef struct store store;

/* Returns a new empty store over the dataset (borrowed: it must outlive the
 * store), or NULL when out of memory. */
store *store_new(const dataset *ds, const store_config *config);
void store_free(store *st);

void store_lock(store *st);
void store_unlock(store *st);

/* Brackets long work done without the lock on objects of the store
 * (a build's filters). store_reset waits until no such work is running. */
void store_work_begin(store *st);
void store_work_end(store *st);
/* Waits until no other work runs, and keeps any from starting until
 * store_work_alone_end (a scenario load, whose changes and their log
 * record nothing else may come between). Store lock NOT held. */
void store_work_alone_begin(store *st);
void store_work_alone_end(store *st);

/* Lock held. What the store holds, for GET /_mock/health. */
typedef struct store_stats {
    size_t tenants;                /* accounts the API knows now */
    size_t accounts;               /* kept in memory, disabled ones included */
    size_t audiences;              /* archived included */
    size_t exports;                /* download links alive */
    size_t expired;                /* tenants dropped for idleness since start */
} store_stats;
void store_stats_of(const store *st, store_stats *out);

const dataset *store_dataset(const store *st);
/* Lock held (or, for the fields no scenario changes, any time). */
const store_config *store_config_of(const store *st);
/* Lock held. Replaces the settings (scenarios); a reset restores those of
 * store_new. */
void store_set_config(store *st, const store_config *config);

/* What made a change of credits, for the account's ledger. */
typedef struct store_cause {
    ledger_cause by;
    int64_t time_ms;
} store_cause;

/* Lock held. Adds an account or updates an existing one. `initial` marks
 * accounts that a reset restores. The ledger gets a grant (a new or
 * re-enabled account) or an adjustment (credits changed), caused by
 * `cause` (NULL: the start, from the command line or keys file). Returns
 * the account, or NULL when out of memory (errno ENOMEM) or when a new one
 * would pass STORE_MAX_ACCOUNTS (errno ENOSPC). */
account *store_put_account(store *st, const char *key, int64_t credits,
                           int64_t export_quota, int initial, const store_cause *cause);

/* Lock held. The enabled accounts, sorted by key, into a new array (free
 * it; the accounts stay the store's). Returns the number, or -1 when out
 * of memory. */
long store_list_accounts(store *st, account ***out);

/* Lock held. The status an audience of acct shows at now_ms (the
 * tenant's time): its stored status, or the build stage it is in (with
 * the tenant's --build-stages setting), or what a hold rule makes it show. */
audience_status store_audience_status(const store *st, const account *acct, const audience *aud, int64_t now_ms);

/* Lock held. The enabled account with this key, or NULL. */
account *store_find_account(store *st, const char *key);

/* Lock held. The account a request with this key acts as: the enabled
 * account with this key; else, with keys on demand, a new one (or a
 * disabled one enabled again) with the demand credits and quota when the
 * key has the form of a test key. Returns NULL with errno EPERM for a key
 * that looks live (even one in the keys file), ENOENT for any other
 * unknown key, ENOSPC when STORE_MAX_ACCOUNTS are held, ENOMEM, and
 * ESTALE once for a key whose tenant expired (store_touch_account): the
 * request after that one starts it afresh.
 * With idle expiry on, marks the account used at server_ms (and now in
 * real time) and expires at most two tenants idle for longer (never an
 * account of the keys file, nor one whose build runs outside the lock). */
account *store_open_account(store *st, const char *key, int64_t server_ms);

/* Called under the lock when an idle tenant is dropped, with its key,
 * before its memory is freed (app.c: its fault rules and journal entries
 * go too, and the state file records a reset of it). NULL: none. */
typedef void (*store_expire_hook)(void *ctx, const char *key, int64_t server_ms);

/* Lock held. paused 1: no tenant expires (a replay of the state file);
 * 0: expiry again, every account counting as used at server_ms (and now). */
void store_pause_expiry(store *st, int paused, int64_t server_ms);
void store_set_expire_hook(store *st, store_expire_hook hook, void *ctx);

/* Whether a key looks like a live key (the simulator never takes one). */
int store_key_is_live(const char *key);

/* A change to an account (PUT /_mock/accounts/{key}, a scenario). */
typedef struct account_update {
    int64_t credits;               /* -1: unchanged (a new account: default_credits) */
    int64_t export_quota;          /* -1: unchanged (a new account: default_export_quota) */
    int64_t export_rows_used;      /* -1: unchanged */
    int64_t default_credits;
    int64_t default_export_quota;
    ledger_cause by;               /* who asks, for the ledger (at now_ms) */
} account_update;

/* Lock held. Settles an existing account to now_ms (the server's time,
 * taken to the account's own clock), then applies the update
 * (the account is enabled; one added here is not restored by a reset) and
 * starts a new export period if the current one is over. Returns the
 * account, or NULL as store_put_account does (errno ENOMEM or ENOSPC). */
account *store_update_account(store *st, const char *key, const account_update *update,
                              int64_t now_ms);

/* Lock held. Takes one request from the account's rate-limit bucket
 * (0 <= bucket < STORE_RATE_BUCKETS; limit 0: unlimited). Returns 0, or the
 * seconds until the window lets one through (the request is refused). */
int store_take_rate(account *acct, int bucket, int64_t now_ms, unsigned limit);

/* Lock held. Creates a DRAFT audience. Returns NULL when out of memory or
 * when the account holds STORE_MAX_AUDIENCES_PER_KEY audiences (errno set to
 * ENOMEM or ENOSPC). */
audience *store_create_audience(store *st, account *owner, const char *name,
                                creation_method method, int64_t now_ms);

/* Lock held. The audience with this id if `owner` owns it and it is not
 * archived; NULL otherwise (unknown and foreign look the same). */
audience *store_find_audience(store *st, const account *owner, const char *id);

/* Lock held. Completes the account's builds and enrichments that have
 * finished by now_ms, in the order they finished, and drops its exports
 * whose links have expired by then. */
void store_settle(store *st, account *owner, int64_t now_ms);

/* Where an enrichment stands at now_ms; one that failed stays at the
 * stage it failed in, as FAILED. */
void store_enrichment_progress(const enrichment *enr, int64_t now_ms, enrichment_progress *progress);


/* Lock held. Sets the search params of a DRAFT audience: takes ownership
 * of filters (compiled from company and prospect), replacing what was set.
 * company and prospect (either may be NULL) are kept by reference, not
 * copied: the caller must never change them afterwards (they are parts of
 * a request body, which nothing changes). max_*: 0 for no cap. */
void store_set_search_params(store *st, audience *aud, audience_filters *filters,
                             json_t *company, json_t *prospect,
                             uint32_t max_companies, uint32_t max_prospects);

/* What an injected fault does to a build (faults.h: fail-build, hold). */
typedef struct store_build_faults {
    int fail;                      /* the build ends FAILED, nothing charged */
    uint64_t hold_rule;            /* the rule holding it building; 0: none */
    audience_status hold_status;   /* what it shows while held */
} store_build_faults;

/* Lock held. Marks a DRAFT audience BUILDING with its result pending;
 * faults may be NULL. */
void store_begin_build(store *st, audience *aud, int64_t now_ms, const store_build_faults *faults);

/* Lock held. The filters of a pending build could not run: the audience
 * with this id ends FAILED at now_ms, if owner still has it and it still
 * waits for its result (a reset may have dropped it meanwhile). */
void store_fail_build(store *st, const account *owner, const char *audience_id, int64_t now_ms);

/* Lock held. Archives the audience: lists and lookups no longer show it.
 * Returns 0, or -1 with errno EBUSY while it is BUILDING. */
int store_archive_audience(store *st, audience *aud);

/* Lock held. Attaches a finished filter run and its pricing index (taking
 * ownership of both, which are left empty) to the audience with this id, if
 * it still waits for one; otherwise frees them. Sets the build's end time
 * from the result's size. */
void store_finish_build(store *st, const char *audience_id, build_result *result, pricing_index *pricing);

/* Lock held. Starts an enrichment (credits already checked), charging it.
 * fail_stage: STAGE_COUNT for none, or the stage at which an injected fault
 * makes it fail. */
enrichment *store_start_enrichment(store *st, audience *aud,
                                   const enrichment_options *options,
                                   size_t n_prospects, int64_t credits,
                                   const char *user_email, int64_t now_ms,
                                   enrichment_stage fail_stage);

/* Lock held. Registers an export file (taking ownership of job), counts its
 * rows against the owner's export quota, and returns it, or NULL when out of
 * memory (job is freed, nothing counted). Expires the account's oldest
 * export when it holds STORE_MAX_EXPORTS_PER_KEY. */
export_file *store_add_export(store *st, account *owner, export_job *job,
                              const char *audience_id, const char *kind,
                              const char *user_email, int64_t now_ms);

/* Lock held. The export with this token, or NULL. A download takes a
 * reference with store_export_acquire, streams without the lock, and gives it
 * back with store_export_release (lock held), so that expiry or a reset
 * during a download frees the file only after the download ends. */
export_file *store_find_export(store *st, const char *token);
void store_export_acquire(export_file *file);
void store_export_release(export_file *file);

/* Lock held. Starts a new export quota period when the current one is over. */
void store_roll_export_period(account *acct, int64_t now_ms);

/* Lock held. Ends the holds of rule_id (0: of every rule): held builds
 * finish at their planned time, or now if that has passed. */
void store_release_holds(store *st, uint64_t rule_id, int64_t now_ms);

/* Lock held. Records a notification e-mail (copies everything; links is a
 * JSON array, borrowed). */
void store_outbox_add(store *st, const account *owner, int64_t now_ms, const char *to, const char *subject,
                      const char *body, json_t *links);
/* Lock held. {"count", "messages": [...]}, only those to `to` and of
 * `owner` when not NULL. New reference. */
json_t *store_outbox_json(store *st, const char *to, const account *owner);
void store_outbox_clear(store *st);

/* Lock held. The next store_add_export uses this download id instead of a
 * random one (a replay from the state file: routes_replay). */
void store_force_export_token(store *st, const char *token);

/* Called by store_reset with the lock held, after the state is dropped
 * (the state file starts over: persist.c). NULL: none. */
typedef void (*store_reset_hook)(void *ctx);
void store_set_reset_hook(store *st, store_reset_hook hook, void *ctx);

/* Writes the link of an enrichment's status into out (size bytes), for the
 * e-mail sent when it ends; the store knows no URL, the wiring does
 * (app.c: api/links.h). Called with the lock held; must not call back into
 * the store. NULL (the default): the e-mail has no link. */
typedef void (*store_link_hook)(void *ctx, const char *audience_id, char *out, size_t size);
void store_set_link_hook(store *st, store_link_hook hook, void *ctx);

/* Tests: called by a live build while its filters run, the lock NOT held,
 * so that a test can make a change fall inside a build (tests/http
 * test_persist_order). Set while no build runs. NULL (the default): none. */
typedef void (*store_build_hook)(void *ctx, const char *audience_id);
void store_set_build_hook(store *st, store_build_hook hook, void *ctx);

/* Tests: called by store_work_alone_begin before it waits for the work
 * running, the lock NOT held, so that a test can make a change while a
 * request waits to run alone (tests/http test_persist_order). Set while
 * nothing runs alone. NULL (the default): none. */
typedef void (*store_alone_hook)(void *ctx);
void store_set_alone_hook(store *st, store_alone_hook hook, void *ctx);

/* Lock held. A build of acct runs its filters outside the lock from now
 * until store_filters_end (lock held again): the account does not expire
 * meanwhile (the build comes back to it), though a reset may drop the
 * audience. */
void store_filters_begin(store *st, account *acct);
void store_filters_end(store *st, account *acct);
/* Lock NOT held: calls the build hook, if one is set. */
void store_filters_running(store *st, const char *audience_id);

/* Lock NOT held: it first waits for running store_work, then takes the lock.
 * Drops every audience, enrichment and export; restores initial accounts,
 * disables the others; restores the settings; empties the outbox; restarts
 * id sequences, so a reset server behaves like a fresh one. */
void store_reset(store *st);

/* --- tenants: one account as a test owns it ------------------------------- */

/* Lock held. The account's time when the server's clock reads server_ms. */
int64_t store_tenant_now(const store *st, const account *acct, int64_t server_ms);

/* Lock held. The settings that apply to this account: its own where a
 * tenant scenario set them, else the server's. */
double store_rate_limit_scale(const store *st, const account *acct);
int store_build_stages(const store *st, const account *acct);
double store_enrichment_slowdown(const store *st, const account *acct);

/* Lock held. Gives the account settings of its own (a tenant scenario);
 * a value < 0 leaves that one as it is. */
void store_set_own_settings(account *acct, double rate_limit_scale, int build_stages,
                            double enrichment_slowdown);

/* Lock held. Moves the account's clock forward by ms (>= 0); from then on
 * it has a clock of its own, which the server's manual advances no longer
 * move. */
void store_advance_tenant_clock(store *st, account *acct, int64_t server_ms, int64_t ms);

/* Lock held. Like store_reset, for one account, and without waiting for
 * any work: a build of the account running its filters outside the lock
 * holds filters of its own (filters_retain) and finds its audience gone
 * when it comes back (store_finish_build). Drops its audiences,
 * enrichments, exports and outbox messages; restores the credits and quota
 * it had when it became known; clears its rate windows, its own clock and
 * its own settings.
 * Nothing of any other account changes. Ids are not rewound (they are
 * unique across the server). */
void store_reset_account(store *st, account *acct);

#endif
