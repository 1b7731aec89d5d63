#include "sim/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/mix.h"
#include "sim/clock.h"
#include "sim/keys.h"
#include "sim/store_internal.h"
#include "sim/token.h"
#include "text/fnv.h"
#include "text/join.h"
#include "text/utf8.h"

/* --- ids and hashing ------------------------------------------------------ */

static uint64_t hash_string(const char *s)
{
    return fnv1a_str(s);
}

/* Ids look opaque but follow from the seed and a sequence number, so two
 * servers with the same seed hand out the same ids in the same order. */
static void make_id(char out[32], const char *prefix, uint64_t seed, uint64_t salt, uint64_t seq)
{
    char hex[JOIN_NUMBER_MAX];
    join_hex16(hex, mix64(seed ^ mix64(salt + seq)));
    join(out, 32, prefix, hex, NULL);
}

/* --- growable pointer arrays ---------------------------------------------- */

int store_ptr_push(void ***items, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 8;
        void **grown = realloc(*items, new_cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        *items = grown;
        *cap = new_cap;
    }
    (*items)[(*n)++] = item;
    return 0;
}

/* --- store ---------------------------------------------------------------- */

store *store_new(const dataset *ds, const store_config *config)
{
    store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->n_audience_buckets = 1024;
    st->audience_buckets = calloc(st->n_audience_buckets, sizeof *st->audience_buckets);
    st->n_export_buckets = 256;
    st->export_buckets = calloc(st->n_export_buckets, sizeof *st->export_buckets);
    if (config->idle_expiry_ms > 0)
        st->tombstones = calloc(STORE_TOMBSTONES, sizeof *st->tombstones);
    if (st->audience_buckets == NULL || st->export_buckets == NULL ||
        (config->idle_expiry_ms > 0 && st->tombstones == NULL)) {
        free(st->audience_buckets);
        free(st->export_buckets);
        free(st->tombstones);
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_rwlock_init(&st->work, NULL);
    st->ds = ds;
    st->config = *config;
    if (st->config.enrichment_slowdown < 1)
        st->config.enrichment_slowdown = 1;
    st->initial_config = st->config;
    return st;
}

static void enrichment_free(enrichment *enr)
{
    if (enr == NULL)
        return;
    free(enr->user_email);
    free(enr);
}

void store_audience_free(audience *aud)
{
    if (aud == NULL)
        return;
    free(aud->name);
    json_decref(aud->company_params);
    json_decref(aud->prospect_params);
    filters_free(aud->filters);
    build_result_free(&aud->result);
    pricing_index_free(&aud->pricing);
    free(aud->failure);
    enrichment_free(aud->enrichment);
    free(aud->revealed);
    free(aud);
}

void store_export_file_free(export_file *file)
{
    if (file == NULL)
        return;
    if (file->refs > 0) {
        file->expired = 1; /* the last download frees it */
        return;
    }
    export_job_free(file->job);
    free(file->user_email);
    free(file);
}

/* Frees every audience and export; empties the accounts' lists. */
void store_drop_contents(store *st)
{
    for (size_t b = 0; b < st->n_audience_buckets; b++) {
        audience *aud = st->audience_buckets[b];
        while (aud != NULL) {
            audience *next = aud->next;
            store_audience_free(aud);
            aud = next;
        }
        st->audience_buckets[b] = NULL;
    }
    st->n_audiences = 0;
    for (size_t b = 0; b < st->n_export_buckets; b++) {
        export_file *file = st->export_buckets[b];
        while (file != NULL) {
            export_file *next = file->next;
            store_export_file_free(file);
            file = next;
        }
        st->export_buckets[b] = NULL;
    }
    st->n_exports = 0;
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        for (account *acct = st->accounts[b]; acct != NULL; acct = acct->next) {
            acct->n_audiences = 0;
            acct->n_pending = 0;
            memset(acct->exports, 0, sizeof acct->exports);
            acct->next_export = 0;
            acct->export_expiry_ms = 0;
        }
    }
}

/* An account's own memory (its audiences and exports are the store's). The
 * one place an account is freed: at store_free and when a tenant expires. */
static void account_free(account *acct)
{
    free(acct->key);
    free(acct->audiences);
    free(acct->pending);
    ledger_free(&acct->ledger);
    free(acct);
}

static void free_dropped(audience *audiences, export_file *exports, account *accounts);

void store_free(store *st)
{
    if (st == NULL)
        return;
    free_dropped(st->dropped_audiences, st->dropped_exports, st->dropped_accounts);
    store_drop_contents(st);
    store_outbox_clear(st);
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        account *acct = st->accounts[b];
        while (acct != NULL) {
            account *next = acct->next;
            account_free(acct);
            acct = next;
        }
    }
    free(st->audience_buckets);
    free(st->export_buckets);
    free(st->tombstones);
    pthread_rwlock_destroy(&st->work);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

void store_lock(store *st)
{
    pthread_mutex_lock(&st->lock);
}

/* Lock held. Puts an unlinked audience, export or account aside for
 * store_unlock to free. An export a download still reads is only marked:
 * the last download frees it (store_export_release). */
static void drop_audience(store *st, audience *aud)
{
    aud->next = st->dropped_audiences;
    st->dropped_audiences = aud;
}

static void drop_export(store *st, export_file *file)
{
    if (file->refs > 0) {
        file->expired = 1;
        return;
    }
    file->next = st->dropped_exports;
    st->dropped_exports = file;
}

static void drop_account(store *st, account *acct)
{
    acct->next = st->dropped_accounts;
    st->dropped_accounts = acct;
}

/* Frees chains of dropped audiences, exports and accounts (no lock needed:
 * nothing links to them any more). */
static void free_dropped(audience *audiences, export_file *exports, account *accounts)
{
    while (audiences != NULL) {
        audience *next = audiences->next;
        store_audience_free(audiences);
        audiences = next;
    }
    while (exports != NULL) {
        export_file *next = exports->next;
        store_export_file_free(exports);
        exports = next;
    }
    while (accounts != NULL) {
        account *next = accounts->next;
        account_free(accounts);
        accounts = next;
    }
}

void store_unlock(store *st)
{
    audience *audiences = st->dropped_audiences;
    export_file *exports = st->dropped_exports;
    account *accounts = st->dropped_accounts;
    if (audiences == NULL && exports == NULL && accounts == NULL) {
        pthread_mutex_unlock(&st->lock); /* the usual request: nothing dropped */
        return;
    }
    st->dropped_audiences = NULL;
    st->dropped_exports = NULL;
    st->dropped_accounts = NULL;
    pthread_mutex_unlock(&st->lock);
    if (st->drop_hook != NULL)
        st->drop_hook(st, st->drop_hook_ctx);
    free_dropped(audiences, exports, accounts);
}

void store_work_begin(store *st)
{
    pthread_rwlock_rdlock(&st->work);
}

void store_work_end(store *st)
{
    pthread_rwlock_unlock(&st->work);
}

void store_work_alone_begin(store *st)
{
    if (st->alone_hook != NULL)
        st->alone_hook(st->alone_hook_ctx);
    pthread_rwlock_wrlock(&st->work);
}

void store_work_alone_end(store *st)
{
    pthread_rwlock_unlock(&st->work);
}

void store_stats_of(const store *st, store_stats *out)
{
    *out = (store_stats){
        .tenants = st->n_enabled,
        .accounts = st->n_accounts,
        .audiences = st->n_audiences,
        .exports = st->n_exports,
        .expired = st->n_expired,
    };
}

const dataset *store_dataset(const store *st)
{
    return st->ds;
}

const store_config *store_config_of(const store *st)
{
    return &st->config;
}

void store_set_config(store *st, const store_config *config)
{
    st->config = *config;
}

/* --- accounts ------------------------------------------------------------- */

/* No settings of its own. */
static void clear_own_settings(account *acct)
{
    acct->own_rate_limit_scale = -1;
    acct->own_build_stages = -1;
    acct->own_enrichment_slowdown = -1;
}

/* --- accounts by last use (idle expiry) ---------------------------------- */

static void lru_unlink(store *st, account *acct)
{
    if (acct->lru_newer != NULL)
        acct->lru_newer->lru_older = acct->lru_older;
    else if (st->lru_newest == acct)
        st->lru_newest = acct->lru_older;
    if (acct->lru_older != NULL)
        acct->lru_older->lru_newer = acct->lru_newer;
    else if (st->lru_oldest == acct)
        st->lru_oldest = acct->lru_newer;
    acct->lru_newer = acct->lru_older = NULL;
}

static void lru_push_newest(store *st, account *acct)
{
    acct->lru_older = st->lru_newest;
    acct->lru_newer = NULL;
    if (st->lru_newest != NULL)
        st->lru_newest->lru_newer = acct;
    st->lru_newest = acct;
    if (st->lru_oldest == NULL)
        st->lru_oldest = acct;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a reset restores of an account (its contents dropped apart): its
 * first credits and quota, no rate windows, no clock or settings of its own. */
static void ledger_note(account *acct, ledger_kind kind, int64_t amount, int64_t time_ms,
                        ledger_cause by, int64_t cause_ms, const char *audience_id, const char *enrichment_id);

/* Back to its start: credits, quota, rate windows, its own clock and
 * settings, and a ledger with the starting grant alone. */
static void restore_account(account *acct)
{
    acct->credits = acct->initial_credits;
    ledger_clear(&acct->ledger);
    if (acct->enabled)
        ledger_note(acct, LEDGER_GRANT, acct->credits, -1, LEDGER_BY_START, -1, NULL, NULL);
    acct->export_quota = acct->initial_export_quota;
    acct->export_used = 0;
    acct->export_period_start_ms = 0;
    memset(acct->rate, 0, sizeof acct->rate);
    acct->own_clock = 0;
    clear_own_settings(acct);
}


account *store_find_account_any(store *st, const char *key)
{
    for (account *acct = st->accounts[hash_string(key) % ACCOUNT_BUCKETS]; acct != NULL; acct = acct->next) {
        if (strcmp(acct->key, key) == 0)
            return acct;
    }
    return NULL;
}

/* An id into a ledger entry's field (ids are 20 characters, the fields
 * 24): cut, never overrun, and no format call for gcc's truncation check
 * to doubt at -O2. */
static void copy_id(char *out, size_t size, const char *id)
{
    size_t n = id != NULL ? strnlen(id, size - 1) : 0;
    if (n > 0)
        memcpy(out, id, n);
    out[n] = '\0';
}

/* Lock held. Records a change of the account's balance (already made). */
static void ledger_note(account *acct, ledger_kind kind, int64_t amount, int64_t time_ms,
                        ledger_cause by, int64_t cause_ms, const char *audience_id, const char *enrichment_id)
{
    ledger_entry e = {
        .time_ms = time_ms,
        .amount = amount,
        .balance_after = acct->credits,
        .cause_ms = cause_ms,
        .kind = (unsigned char)kind,
        .cause = (unsigned char)by,
    };
    copy_id(e.audience_id, sizeof e.audience_id, audience_id);
    copy_id(e.enrichment_id, sizeof e.enrichment_id, enrichment_id);
    ledger_add(&acct->ledger, &e); /* out of memory: counted as dropped */
}

account *store_new_account(store *st, const char *key)
{
    if (st->n_accounts >= STORE_MAX_ACCOUNTS) {
        errno = ENOSPC;
        return NULL;
    }
    account *acct = calloc(1, sizeof *acct);
    if (acct == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    acct->key = strdup(key);
    if (acct->key == NULL) {
        free(acct);
        errno = ENOMEM;
        return NULL;
    }
    clear_own_settings(acct);
    st->n_accounts++;
    size_t b = hash_string(key) % ACCOUNT_BUCKETS;
    acct->next = st->accounts[b];
    st->accounts[b] = acct;
    lru_push_newest(st, acct);
    return acct;
}

account *store_put_account(store *st, const char *key, int64_t credits,
                           int64_t export_quota, int initial, const store_cause *cause)
{
    account *acct = store_find_account_any(st, key);
    if (acct == NULL) {
        acct = store_new_account(st, key);
        if (acct == NULL)
            return NULL;
    }
    if (!acct->enabled) {
        /* What a reset of this account alone restores: its values when it
         * became known. */
        st->n_enabled++;
        acct->initial_credits = credits;
        acct->initial_export_quota = export_quota;
    }
    int granted = !acct->enabled;
    int64_t before = granted ? 0 : acct->credits;
    acct->enabled = 1;
    acct->credits = credits;
    acct->export_quota = export_quota;
    int64_t when = cause != NULL ? cause->time_ms : -1;
    if (granted)
        ledger_clear(&acct->ledger);
    if (granted || credits != before)
        ledger_note(acct, granted ? LEDGER_GRANT : LEDGER_ADJUSTMENT, credits - before, when,
                    cause != NULL ? cause->by : LEDGER_BY_START, when, NULL, NULL);
    if (initial) {
        acct->initial = 1;
        acct->initial_credits = credits;
        acct->initial_export_quota = export_quota;
    }
    return acct;
}

account *store_find_account(store *st, const char *key)
{
    account *acct = store_find_account_any(st, key);
    return acct != NULL && acct->enabled ? acct : NULL;
}

static int by_key(const void *a, const void *b)
{
    return strcmp((*(account *const *)a)->key, (*(account *const *)b)->key);
}

long store_list_accounts(store *st, account ***out)
{
    account **list = malloc((st->n_accounts ? st->n_accounts : 1) * sizeof *list);
    if (list == NULL)
        return -1;
    size_t n = 0;
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        for (account *acct = st->accounts[b]; acct != NULL; acct = acct->next) {
            if (acct->enabled && n < st->n_accounts)
                list[n++] = acct;
        }
    }
    qsort(list, n, sizeof *list, by_key);
    *out = list;
    return (long)n;
}

int store_key_is_live(const char *key)
{
    return strncmp(key, STORE_LIVE_PREFIX, strlen(STORE_LIVE_PREFIX)) == 0;
}

/* "sk_test_" and 1 to STORE_DEMAND_KEY_MAX of [A-Za-z0-9_-]. */
static int is_demand_key(const char *key)
{
    size_t prefix = strlen(STORE_DEMAND_PREFIX);
    if (strncmp(key, STORE_DEMAND_PREFIX, prefix) != 0)
        return 0;
    size_t n = 0;
    for (const char *p = key + prefix; *p != '\0'; p++, n++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok || n == STORE_DEMAND_KEY_MAX)
            return 0;
    }
    return n > 0;
}

/* Whether the account runs a build's filters outside the lock right now:
 * the build comes back to it. */
static int has_work_outside(const account *acct)
{
    return acct->filters_outside > 0;
}

static void unlink_account(store *st, account *acct)
{
    account **link = &st->accounts[hash_string(acct->key) % ACCOUNT_BUCKETS];
    while (*link != NULL && *link != acct)
        link = &(*link)->next;
    if (*link == acct)
        *link = acct->next;
}

static void drop_account_contents(store *st, account *acct);

/* Drops an idle tenant (never one of the keys file): its contents and the
 * account itself; its key is remembered as a tombstone. */
static void expire_account(store *st, account *acct, int64_t server_ms)
{
    if (st->expire_hook != NULL)
        st->expire_hook(st->expire_hook_ctx, acct->key, server_ms);
    drop_account_contents(st, acct);
    st->n_expired++;
    lru_unlink(st, acct);
    unlink_account(st, acct);
    st->n_accounts--;
    if (st->tombstones != NULL && acct->enabled) {
        uint64_t id = keys_id(acct->key);
        st->tombstones[id % STORE_TOMBSTONES] = id;
    }
    if (acct->enabled)
        st->n_enabled--;
    drop_account(st, acct);
}

/* Marks acct used now and expires at most two tenants idle for longer than
 * the expiry (the least recently used ones): constant work per request. */
static void touch_and_sweep(store *st, account *acct, int64_t server_ms)
{
    int64_t expiry = st->config.idle_expiry_ms;
    if (expiry <= 0 || st->expiry_paused)
        return;
    int64_t real_ms = monotonic_ms();
    acct->seen_sim_ms = server_ms;
    acct->seen_real_ms = real_ms;
    lru_unlink(st, acct);
    if (!acct->initial)
        lru_push_newest(st, acct);
    for (int i = 0; i < 2;) {
        account *old = st->lru_oldest;
        if (old == NULL || old == acct)
            return;
        if (old->initial) {
            /* The keys file's accounts never expire: out of the list, once each. */
            lru_unlink(st, old);
            continue;
        }
        int idle = server_ms - old->seen_sim_ms >= expiry || real_ms - old->seen_real_ms >= expiry;
        if (!idle)
            return;
        i++;
        if (has_work_outside(old)) {
            /* Busy: counts as used now. */
            old->seen_sim_ms = server_ms;
            old->seen_real_ms = real_ms;
            lru_unlink(st, old);
            lru_push_newest(st, old);
            continue;
        }
        expire_account(st, old, server_ms);
    }
}

account *store_open_account(store *st, const char *key, int64_t server_ms)
{
    if (store_key_is_live(key)) {
        errno = EPERM;
        return NULL;
    }
    account *acct = store_find_account(st, key);
    if (acct == NULL) {
        if (!st->config.keys_on_demand || !is_demand_key(key)) {
            errno = ENOENT;
            return NULL;
        }
        if (st->tombstones != NULL) {
            uint64_t id = keys_id(key);
            if (st->tombstones[id % STORE_TOMBSTONES] == id) {
                st->tombstones[id % STORE_TOMBSTONES] = 0;
                errno = ESTALE;
                return NULL;
            }
        }
        acct = store_put_account(st, key, st->config.demand_credits, st->config.demand_export_quota, 0, NULL);
        if (acct == NULL)
            return NULL;
    }
    touch_and_sweep(st, acct, server_ms);
    return acct;
}

void store_pause_expiry(store *st, int paused, int64_t server_ms)
{
    st->expiry_paused = paused;
    if (paused)
        return;
    int64_t real_ms = monotonic_ms();
    for (account *acct = st->lru_newest; acct != NULL; acct = acct->lru_older) {
        acct->seen_sim_ms = server_ms;
        acct->seen_real_ms = real_ms;
    }
}

void store_set_expire_hook(store *st, store_expire_hook hook, void *ctx)
{
    st->expire_hook = hook;
    st->expire_hook_ctx = ctx;
}

account *store_update_account(store *st, const char *key, const account_update *update,
                              int64_t now_ms)
{
    account *acct = store_find_account(st, key);
    if (acct != NULL) {
        now_ms = store_tenant_now(st, acct, now_ms); /* its own clock from here on */
        store_settle(st, acct, now_ms);
    }
    int64_t credits = update->credits >= 0 ? update->credits
                      : acct != NULL ? acct->credits : update->default_credits;
    int64_t quota = update->export_quota >= 0 ? update->export_quota
                    : acct != NULL ? acct->export_quota : update->default_export_quota;
    acct = store_put_account(st, key, credits, quota, 0, &(store_cause){update->by, now_ms});
    if (acct == NULL)
        return NULL;
    store_roll_export_period(acct, now_ms);
    if (update->export_rows_used >= 0)
        acct->export_used = update->export_rows_used;
    return acct;
}

int store_take_rate(account *acct, int bucket, int64_t now_ms, unsigned limit)
{
    return ratelimit_take(&acct->rate[bucket], now_ms, limit, RATELIMIT_WINDOW_MS);
}

/* --- audiences ------------------------------------------------------------ */

static size_t audience_bucket(const store *st, const char *id)
{
    return hash_string(id) & (st->n_audience_buckets - 1);
}

/* Doubles the table when it is full on average, so lookups stay O(1). */
static void grow_audience_table(store *st)
{
    if (st->n_audiences < st->n_audience_buckets)
        return;
    size_t n = st->n_audience_buckets * 2;
    audience **buckets = calloc(n, sizeof *buckets);
    if (buckets == NULL)
        return; /* longer chains, still correct */
    for (size_t b = 0; b < st->n_audience_buckets; b++) {
        audience *aud = st->audience_buckets[b];
        while (aud != NULL) {
            audience *next = aud->next;
            size_t nb = hash_string(aud->id) & (n - 1);
            aud->next = buckets[nb];
            buckets[nb] = aud;
            aud = next;
        }
    }
    free(st->audience_buckets);
    st->audience_buckets = buckets;
    st->n_audience_buckets = n;
}

void store_index_audience(store *st, audience *aud)
{
    grow_audience_table(st);
    size_t b = audience_bucket(st, aud->id);
    aud->next = st->audience_buckets[b];
    st->audience_buckets[b] = aud;
    st->n_audiences++;
}

audience *store_create_audience(store *st, account *owner, const char *name,
                                creation_method method, int64_t now_ms)
{
    if (owner->n_audiences >= STORE_MAX_AUDIENCES_PER_KEY) {
        errno = ENOSPC;
        return NULL;
    }
    audience *aud = calloc(1, sizeof *aud);
    if (aud == NULL)
        goto oom;
    aud->name = strdup(name);
    if (aud->name == NULL)
        goto oom;
    if (store_ptr_push((void ***)&owner->audiences, &owner->n_audiences, &owner->cap_audiences, aud) != 0)
        goto oom;
    uint64_t seq = ++st->next_audience_seq;
    make_id(aud->id, "aud_", st->config.seed, 0x61756400, seq);
    make_id(aud->search_logic_id, "asl_", st->config.seed, 0x61736c00, seq);
    aud->owner = owner;
    aud->method = method;
    aud->created_ms = now_ms;
    aud->status = AUDIENCE_DRAFT;
    store_index_audience(st, aud);
    return aud;
oom:
    store_audience_free(aud);
    errno = ENOMEM;
    return NULL;
}

audience *store_find_audience(store *st, const account *owner, const char *id)
{
    for (audience *aud = st->audience_buckets[audience_bucket(st, id)]; aud != NULL; aud = aud->next) {
        if (strcmp(aud->id, id) == 0)
            return aud->owner == owner && !aud->archived ? aud : NULL;
    }
    return NULL;
}

static void remove_pending(account *acct, const audience *aud)
{
    for (size_t i = 0; i < acct->n_pending; i++) {
        if (acct->pending[i] == aud) {
            memmove(&acct->pending[i], &acct->pending[i + 1], (acct->n_pending - i - 1) * sizeof *acct->pending);
            acct->n_pending--;
            return;
        }
    }
}

static int has_pending(const account *acct, const audience *aud)
{
    for (size_t i = 0; i < acct->n_pending; i++) {
        if (acct->pending[i] == aud)
            return 1;
    }
    return 0;
}

static int add_pending(account *acct, audience *aud)
{
    if (has_pending(acct, aud))
        return 0;
    return store_ptr_push((void ***)&acct->pending, &acct->n_pending, &acct->cap_pending, aud);
}

audience_status store_audience_status(const store *st, const account *acct, const audience *aud, int64_t now_ms)
{
    if (aud->status != AUDIENCE_BUILDING || aud->result_pending)
        return aud->status;
    if (aud->hold_rule != 0)
        return aud->hold_status;
    return lifecycle_build_status(aud->build_started_ms, aud->build_finishes_ms, now_ms, store_build_stages(st, acct));
}

void store_enrichment_progress(const enrichment *enr, int64_t now_ms, enrichment_progress *progress)
{
    if (!enr->failed) {
        lifecycle_enrichment_progress(&enr->plan, now_ms - enr->created_ms, progress);
        return;
    }
    /* Frozen where it failed: the stages done before, then FAILED. */
    lifecycle_enrichment_progress(&enr->plan, enr->fail_at_ms - enr->created_ms, progress);
    progress->stage = STAGE_FAILED;
}

void store_set_search_params(store *st, audience *aud, audience_filters *filters,
                             json_t *company, json_t *prospect,
                             uint32_t max_companies, uint32_t max_prospects)
{
    (void)st;
    filters_free(aud->filters);
    aud->filters = filters;
    json_decref(aud->company_params);
    json_decref(aud->prospect_params);
    /* A reference, not a deep copy (15k instructions for a fleet's filters):
     * nothing changes a request body. */
    aud->company_params = json_incref(company);
    aud->prospect_params = json_incref(prospect);
    aud->max_companies = max_companies;
    aud->max_prospects = max_prospects;
}

void store_begin_build(store *st, audience *aud, int64_t now_ms, const store_build_faults *faults)
{
    (void)st;
    aud->status = AUDIENCE_BUILDING;
    aud->result_pending = 1;
    aud->build_started_ms = now_ms;
    aud->build_finishes_ms = 0;
    if (faults == NULL)
        return;
    if (faults->fail)
        aud->inject_failure = 1;
    if (faults->hold_rule != 0) {
        aud->hold_rule = faults->hold_rule;
        aud->hold_status = faults->hold_status;
    }
}

void store_fail_build(store *st, const account *owner, const char *audience_id, int64_t now_ms)
{
    audience *aud = store_find_audience(st, owner, audience_id);
    if (aud == NULL || !aud->result_pending)
        return;
    aud->result_pending = 0;
    aud->status = AUDIENCE_FAILED;
    aud->build_finished_ms = now_ms;
}

/* Frees what only a live audience needs: its filters, build result,
 * reveals and enrichment. The struct (its id) stays until a reset. */
static void release_audience_data(audience *aud)
{
    json_decref(aud->company_params);
    json_decref(aud->prospect_params);
    aud->company_params = aud->prospect_params = NULL;
    filters_free(aud->filters);
    aud->filters = NULL;
    build_result_free(&aud->result);
    pricing_index_free(&aud->pricing);
    free(aud->revealed);
    aud->revealed = NULL;
    enrichment_free(aud->enrichment);
    aud->enrichment = NULL;
}

int store_archive_audience(store *st, audience *aud)
{
    (void)st;
    if (aud->status == AUDIENCE_BUILDING) {
        errno = EBUSY;
        return -1;
    }
    aud->archived = 1;
    /* Nothing reads an archived audience again but its id (lists skip it,
     * lookups answer 404, exports are snapshots), so its data goes now,
     * unless an enrichment of it has still to settle. */
    if (!has_pending(aud->owner, aud))
        release_audience_data(aud);
    return 0;
}

audience *store_find_audience_any(store *st, const char *id)
{
    audience *aud = NULL;
    for (audience *it = st->audience_buckets[audience_bucket(st, id)]; it != NULL; it = it->next) {
        if (strcmp(it->id, id) == 0)
            aud = it;
    }
    return aud;
}

void store_finish_build(store *st, const char *audience_id, build_result *result, pricing_index *pricing)
{
    audience *aud = store_find_audience_any(st, audience_id);
    if (aud == NULL || !aud->result_pending) {
        build_result_free(result);
        pricing_index_free(pricing);
        return;
    }
    aud->result = *result;
    *result = (build_result){0};
    aud->pricing = *pricing;
    *pricing = (pricing_index){0};
    aud->result_pending = 0;
    aud->build_finishes_ms = aud->build_started_ms +
        lifecycle_build_duration_ms(aud->result.n_companies, aud->result.n_prospects);
    aud->build_cost = (int64_t)aud->result.n_companies + (int64_t)aud->result.n_prospects;
    if (add_pending(aud->owner, aud) != 0) {
        /* Cannot track it: fail it now rather than leave it building forever. */
        aud->status = AUDIENCE_FAILED;
        aud->build_finished_ms = aud->build_started_ms;
        aud->failure = strdup("out of memory while scheduling the build");
    }
}

/* The time at which the audience's next pending event happens, or INT64_MAX. */
static int64_t next_event_ms(const audience *aud)
{
    if (aud->status == AUDIENCE_BUILDING && !aud->result_pending)
        return aud->hold_rule != 0 ? INT64_MAX : aud->build_finishes_ms;
    const enrichment *enr = aud->enrichment;
    if (enr != NULL && !enr->applied)
        return enr->fail_at_ms != 0 ? enr->fail_at_ms : enr->created_ms + enr->plan.total_ms;
    return INT64_MAX;
}

/* Whether the audience still has work that settle must finish later. */
static int still_pending(const audience *aud)
{
    if (aud->status == AUDIENCE_BUILDING)
        return 1;
    return aud->enrichment != NULL && !aud->enrichment->applied;
}

static void complete_build(audience *aud)
{
    account *acct = aud->owner;
    aud->build_finished_ms = aud->build_finishes_ms;
    if (aud->inject_failure) {
        aud->status = AUDIENCE_FAILED;
        aud->failure = strdup("failed by an injected fault (fail-build)");
        return;
    }
    if (acct->credits < aud->build_cost) {
        char msg[160];
        snprintf(msg, sizeof msg, "insufficient credits at build completion: needed %lld, had %lld",
                 (long long)aud->build_cost, (long long)acct->credits);
        aud->status = AUDIENCE_FAILED;
        aud->failure = strdup(msg);
        return;
    }
    acct->credits -= aud->build_cost;
    ledger_note(acct, LEDGER_BUILD, -aud->build_cost, aud->build_finished_ms, LEDGER_BY_BUILD,
                aud->build_started_ms, aud->id, NULL);
    aud->status = AUDIENCE_NORMAL;
    aud->revealed = calloc(aud->result.n_prospects ? aud->result.n_prospects : 1, 1);
}

/* Sends the e-mail the real service sends when an enrichment ends, if the
 * caller gave userEmail. */
static void notify_enrichment(store *st, const audience *aud)
{
    const enrichment *enr = aud->enrichment;
    if (enr->user_email == NULL)
        return;
    char subject[160];
    char body[512];
    char link[256];
    snprintf(subject, sizeof subject, "Your Descovo enrichment of \"%.*s\" %s",
             (int)utf8_cut(aud->name, strlen(aud->name), STORE_SUBJECT_NAME_MAX), aud->name,
             enr->failed ? "failed" : "is complete");
    snprintf(body, sizeof body, "Enrichment %s of audience %s %s. %s", enr->id, aud->id,
             enr->failed ? "failed; its credits were refunded" : "is DONE",
             enr->failed ? "Start a new enrichment to try again." : "Export the prospects to get the contact details.");
    link[0] = '\0';
    if (st->link_hook != NULL)
        st->link_hook(st->link_hook_ctx, aud->id, link, sizeof link);
    json_t *links = link[0] != '\0' ? json_pack("[s]", link) : json_array();
    store_outbox_add(st, aud->owner, enr->completed_ms, enr->user_email, subject, body, links);
    json_decref(links);
}

static void complete_enrichment(store *st, audience *aud)
{
    const dataset *ds = st->ds;
    enrichment *enr = aud->enrichment;
    enr->applied = 1;
    if (enr->fail_at_ms != 0) {
        /* Simulator-defined: a failed enrichment gives its credits back. */
        enr->failed = 1;
        enr->completed_ms = enr->fail_at_ms;
        aud->owner->credits += enr->credits;
        ledger_note(aud->owner, LEDGER_REFUND, enr->credits, enr->fail_at_ms, LEDGER_BY_ENRICH,
                    enr->created_ms, aud->id, enr->id);
        notify_enrichment(st, aud);
        return;
    }
    enr->completed_ms = enr->created_ms + enr->plan.total_ms;
    notify_enrichment(st, aud);
    unsigned types = 0;
    if (enr->options.run_contact) {
        types |= enr->options.get_work_emails ? DS_CONTACT_WORK_EMAIL : 0;
        types |= enr->options.get_personal_emails ? DS_CONTACT_PERSONAL_EMAIL : 0;
        types |= enr->options.get_phone_numbers ? DS_CONTACT_PHONE : 0;
    }
    if (aud->revealed == NULL)
        return;
    for (size_t i = 0; i < enr->n_prospects && i < aud->result.n_prospects; i++)
        aud->revealed[i] |= ds->prospects[aud->result.prospects[i]].contacts & types;
}

static void unlink_export(store *st, export_file *file);

/* Drops the account's exports expired by now_ms. They are in the ring in
 * the order they were made (and so expire): from the slot written next
 * (the oldest, or empty) on, the first live one ends the walk. */
static void expire_exports(store *st, account *acct, int64_t now_ms)
{
    /* The usual request: nothing due (one comparison). */
    if (acct->export_expiry_ms == 0 || now_ms < acct->export_expiry_ms)
        return;
    acct->export_expiry_ms = 0;
    for (size_t k = 0; k < STORE_MAX_EXPORTS_PER_KEY; k++) {
        size_t slot = (acct->next_export + k) % STORE_MAX_EXPORTS_PER_KEY;
        export_file *file = acct->exports[slot];
        if (file == NULL)
            continue;
        if (file->expires_ms > now_ms) {
            acct->export_expiry_ms = file->expires_ms;
            return;
        }
        unlink_export(st, file);
        drop_export(st, file);
        acct->exports[slot] = NULL;
    }
}

void store_settle(store *st, account *owner, int64_t now_ms)
{
    expire_exports(st, owner, now_ms);
    /* Complete events in the order they happened, so that charges and
     * reveals follow the simulated history whatever order requests come in. */
    for (;;) {
        audience *first = NULL;
        int64_t first_ms = INT64_MAX;
        for (size_t i = 0; i < owner->n_pending; i++) {
            int64_t t = next_event_ms(owner->pending[i]);
            if (t < first_ms) {
                first_ms = t;
                first = owner->pending[i];
            }
        }
        if (first == NULL || first_ms > now_ms)
            break;
        if (first->status == AUDIENCE_BUILDING)
            complete_build(first);
        else
            complete_enrichment(st, first);
        if (!still_pending(first))
            remove_pending(owner, first);
    }
}

/* Offset of the start of `stage` in the plan; a stage the plan skips fails
 * at the next stage it has (or its last one). */
static int64_t stage_offset_ms(const enrichment_plan *plan, enrichment_stage stage)
{
    int64_t offset = 0;
    for (size_t i = 0; i < plan->n_stages; i++) {
        if (plan->stages[i] >= stage || i + 1 == plan->n_stages)
            return offset;
        offset += plan->duration_ms[i];
    }
    return offset;
}

enrichment *store_start_enrichment(store *st, audience *aud,
                                   const enrichment_options *options,
                                   size_t n_prospects, int64_t credits,
                                   const char *user_email, int64_t now_ms,
                                   enrichment_stage fail_stage)
{
    enrichment *enr = calloc(1, sizeof *enr);
    if (enr == NULL)
        return NULL;
    if (user_email != NULL) {
        enr->user_email = strdup(user_email);
        if (enr->user_email == NULL)
            goto oom;
    }
    if (add_pending(aud->owner, aud) != 0)
        goto oom;
    make_id(enr->id, "enr_", st->config.seed, 0x656e7200, ++st->next_enrichment_seq);
    enr->options = *options;
    lifecycle_enrichment_plan(options, n_prospects, &enr->plan);
    lifecycle_enrichment_plan_scale(&enr->plan, store_enrichment_slowdown(st, aud->owner));
    enr->created_ms = now_ms;
    if (fail_stage != STAGE_COUNT)
        enr->fail_at_ms = now_ms + stage_offset_ms(&enr->plan, fail_stage) + 1;
    enr->credits = credits;
    enr->n_prospects = n_prospects;
    aud->owner->credits -= credits;
    ledger_note(aud->owner, LEDGER_ENRICHMENT, -credits, now_ms, LEDGER_BY_ENRICH, now_ms, aud->id, enr->id);
    enrichment_free(aud->enrichment);
    aud->enrichment = enr;
    return enr;
oom:
    enrichment_free(enr);
    return NULL;
}

/* --- exports -------------------------------------------------------------- */

static size_t export_bucket(const store *st, const char *token)
{
    return hash_string(token) % st->n_export_buckets;
}

static void unlink_export(store *st, export_file *file)
{
    export_file **link = &st->export_buckets[export_bucket(st, file->token)];
    while (*link != NULL && *link != file)
        link = &(*link)->next;
    if (*link == file) {
        *link = file->next;
        st->n_exports--;
    }
}

_Static_assert(sizeof ((export_file *)0)->token > TOKEN_LEN, "a download id fits its export");

void store_index_export(store *st, export_file *file)
{
    size_t b = export_bucket(st, file->token);
    file->next = st->export_buckets[b];
    st->export_buckets[b] = file;
    st->n_exports++;
}

export_file *store_add_export(store *st, account *owner, export_job *job,
                              const char *audience_id, const char *kind,
                              const char *user_email, int64_t now_ms)
{
    export_file *file = calloc(1, sizeof *file);
    if (file == NULL)
        goto fail;
    if (st->forced_token[0] != '\0') {
        memcpy(file->token, st->forced_token, sizeof file->token);
        st->forced_token[0] = '\0';
    } else if (token_new(file->token) != 0) {
        goto fail;
    }
    if (user_email != NULL) {
        file->user_email = strdup(user_email);
        if (file->user_email == NULL)
            goto fail;
    }
    join(file->filename, sizeof file->filename, audience_id, "-", kind, ".csv", NULL);
    file->owner = owner;
    file->job = job;
    file->created_ms = now_ms;
    file->expires_ms = now_ms + STORE_EXPORT_LINK_TTL_MS;
    export_file *oldest = owner->exports[owner->next_export];
    if (oldest != NULL) {
        unlink_export(st, oldest);
        drop_export(st, oldest);
    }
    owner->exports[owner->next_export] = file;
    if (owner->export_expiry_ms == 0)
        owner->export_expiry_ms = file->expires_ms;
    owner->next_export = (owner->next_export + 1) % STORE_MAX_EXPORTS_PER_KEY;
    owner->export_used += (int64_t)export_job_rows(job);
    store_index_export(st, file);
    return file;
fail:
    if (file != NULL)
        free(file->user_email);
    free(file);
    export_job_free(job);
    return NULL;
}

export_file *store_find_export(store *st, const char *token)
{
    for (export_file *file = st->export_buckets[export_bucket(st, token)]; file != NULL; file = file->next) {
        if (strcmp(file->token, token) == 0)
            return file;
    }
    return NULL;
}

void store_export_acquire(export_file *file)
{
    file->refs++;
}

void store_export_release(export_file *file)
{
    if (file == NULL)
        return;
    file->refs--;
    if (file->refs == 0 && file->expired)
        store_export_file_free(file);
}

void store_roll_export_period(account *acct, int64_t now_ms)
{
    if (acct->export_period_start_ms == 0 || now_ms >= acct->export_period_start_ms + STORE_EXPORT_PERIOD_MS) {
        acct->export_period_start_ms = now_ms;
        acct->export_used = 0;
    }
}

/* --- holds and outbox ---------------------------------------------------- */

void store_release_holds(store *st, uint64_t rule_id, int64_t now_ms)
{
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        for (account *acct = st->accounts[b]; acct != NULL; acct = acct->next) {
            for (size_t i = 0; i < acct->n_pending; i++) {
                audience *aud = acct->pending[i];
                if (aud->hold_rule == 0 || (rule_id != 0 && aud->hold_rule != rule_id))
                    continue;
                aud->hold_rule = 0;
                if (aud->build_finishes_ms < now_ms)
                    aud->build_finishes_ms = now_ms;
            }
        }
    }
}

static void outbox_message_clear(outbox_message *m)
{
    free(m->to);
    free(m->subject);
    free(m->body);
    json_decref(m->links);
    memset(m, 0, sizeof *m);
}

void store_outbox_add(store *st, const account *owner, int64_t now_ms, const char *to, const char *subject,
                      const char *body, json_t *links)
{
    outbox_message *m = &st->outbox[st->outbox_next];
    outbox_message_clear(m);
    m->owner = owner;
    m->time_ms = now_ms;
    m->to = strdup(to);
    m->subject = strdup(subject);
    m->body = strdup(body);
    m->links = links != NULL ? json_deep_copy(links) : json_array();
    st->outbox_next = (st->outbox_next + 1) % STORE_OUTBOX_CAPACITY;
    if (st->outbox_count < STORE_OUTBOX_CAPACITY)
        st->outbox_count++;
}

json_t *store_outbox_json(store *st, const char *to, const account *owner)
{
    json_t *messages = json_array();
    size_t oldest = (st->outbox_next + STORE_OUTBOX_CAPACITY - st->outbox_count) % STORE_OUTBOX_CAPACITY;
    for (size_t i = 0; i < st->outbox_count; i++) {
        const outbox_message *m = &st->outbox[(oldest + i) % STORE_OUTBOX_CAPACITY];
        if (to != NULL && (m->to == NULL || strcmp(m->to, to) != 0))
            continue;
        if (owner != NULL && m->owner != owner)
            continue;
        char when[32];
        mock_time_format(m->time_ms, when);
        json_array_append_new(messages, json_pack("{s:s, s:s?, s:s?, s:s?, s:O}", "time", when, "to", m->to,
                                                  "subject", m->subject, "body", m->body, "links", m->links));
    }
    return json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(messages), "messages", messages);
}

void store_outbox_clear(store *st)
{
    for (size_t i = 0; i < STORE_OUTBOX_CAPACITY; i++)
        outbox_message_clear(&st->outbox[i]);
    st->outbox_next = 0;
    st->outbox_count = 0;
}

/* --- reset ---------------------------------------------------------------- */

void store_force_export_token(store *st, const char *token)
{
    snprintf(st->forced_token, sizeof st->forced_token, "%s", token != NULL ? token : "");
}

void store_set_link_hook(store *st, store_link_hook hook, void *ctx)
{
    st->link_hook = hook;
    st->link_hook_ctx = ctx;
}

void store_set_build_hook(store *st, store_build_hook hook, void *ctx)
{
    st->build_hook = hook;
    st->build_hook_ctx = ctx;
}

void store_set_alone_hook(store *st, store_alone_hook hook, void *ctx)
{
    st->alone_hook = hook;
    st->alone_hook_ctx = ctx;
}

void store_filters_begin(store *st, account *acct)
{
    (void)st;
    acct->filters_outside++;
}

void store_filters_end(store *st, account *acct)
{
    (void)st;
    acct->filters_outside--;
}

void store_filters_running(store *st, const char *audience_id)
{
    if (st->build_hook != NULL)
        st->build_hook(st->build_hook_ctx, audience_id);
}

void store_set_reset_hook(store *st, store_reset_hook hook, void *ctx)
{
    st->reset_hook = hook;
    st->reset_hook_ctx = ctx;
}

void store_reset(store *st)
{
    pthread_rwlock_wrlock(&st->work);
    store_lock(st);
    store_drop_contents(st);
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        for (account *acct = st->accounts[b]; acct != NULL; acct = acct->next) {
            st->n_enabled -= (size_t)(acct->enabled && !acct->initial);
            acct->enabled = acct->initial;
            restore_account(acct);
        }
    }
    st->next_audience_seq = 0;
    st->next_enrichment_seq = 0;
    st->config = st->initial_config;
    store_outbox_clear(st);
    if (st->reset_hook != NULL)
        st->reset_hook(st->reset_hook_ctx);
    store_unlock(st);
    pthread_rwlock_unlock(&st->work);
}

/* --- tenants -------------------------------------------------------------- */

double store_rate_limit_scale(const store *st, const account *acct)
{
    return acct != NULL && acct->own_rate_limit_scale >= 0 ? acct->own_rate_limit_scale : st->config.rate_limit_scale;
}

int store_build_stages(const store *st, const account *acct)
{
    return acct != NULL && acct->own_build_stages >= 0 ? acct->own_build_stages : st->config.build_stages;
}

double store_enrichment_slowdown(const store *st, const account *acct)
{
    return acct != NULL && acct->own_enrichment_slowdown >= 0 ? acct->own_enrichment_slowdown
                                                               : st->config.enrichment_slowdown;
}

void store_set_own_settings(account *acct, double rate_limit_scale, int build_stages,
                            double enrichment_slowdown)
{
    if (rate_limit_scale >= 0)
        acct->own_rate_limit_scale = rate_limit_scale;
    if (build_stages >= 0)
        acct->own_build_stages = build_stages;
    if (enrichment_slowdown >= 0)
        acct->own_enrichment_slowdown = enrichment_slowdown;
}

int64_t store_tenant_now(const store *st, const account *acct, int64_t server_ms)
{
    if (!acct->own_clock)
        return server_ms;
    return acct->clock_base_ms + (st->config.clock_runs ? server_ms - acct->clock_anchor_ms : 0);
}

void store_advance_tenant_clock(store *st, account *acct, int64_t server_ms, int64_t ms)
{
    int64_t now = store_tenant_now(st, acct, server_ms);
    acct->own_clock = 1;
    acct->clock_base_ms = now + ms;
    acct->clock_anchor_ms = server_ms;
}

static void unlink_audience(store *st, const audience *aud)
{
    audience **link = &st->audience_buckets[audience_bucket(st, aud->id)];
    while (*link != NULL && *link != aud)
        link = &(*link)->next;
    if (*link == aud) {
        *link = aud->next;
        st->n_audiences--;
    }
}

/* Lock held. Frees the account's audiences, exports and outbox messages. */
static void drop_account_contents(store *st, account *acct)
{
    for (size_t i = 0; i < acct->n_audiences; i++) {
        unlink_audience(st, acct->audiences[i]);
        drop_audience(st, acct->audiences[i]);
    }
    acct->n_audiences = 0;
    acct->n_pending = 0;
    for (size_t i = 0; i < STORE_MAX_EXPORTS_PER_KEY; i++) {
        if (acct->exports[i] != NULL) {
            unlink_export(st, acct->exports[i]);
            drop_export(st, acct->exports[i]);
            acct->exports[i] = NULL;
        }
    }
    acct->next_export = 0;
    acct->export_expiry_ms = 0;
    /* Keep the other accounts' messages, oldest first. */
    size_t oldest = (st->outbox_next + STORE_OUTBOX_CAPACITY - st->outbox_count) % STORE_OUTBOX_CAPACITY;
    size_t kept = 0;
    for (size_t i = 0; i < st->outbox_count; i++) {
        outbox_message *m = &st->outbox[(oldest + i) % STORE_OUTBOX_CAPACITY];
        if (m->owner == acct) {
            outbox_message_clear(m);
            continue;
        }
        outbox_message *to = &st->outbox[(oldest + kept) % STORE_OUTBOX_CAPACITY];
        if (to != m) {
            *to = *m;
            memset(m, 0, sizeof *m);
        }
        kept++;
    }
    st->outbox_count = kept;
    st->outbox_next = (oldest + kept) % STORE_OUTBOX_CAPACITY;
}

void store_reset_account(store *st, account *acct)
{
    drop_account_contents(st, acct);
    restore_account(acct);
}
