/* store_restore: reading a snapshot's lines back into the store
 * (store_snapshot.h). Each field is checked; the first wrong one is named
 * in why as "audience".maxCompanies: expected ... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/export.h"
#include "data/filters.h"
#include "sim/store_internal.h"
#include "sim/store_snapshot.h"
#include "sim/store_snapshot_format.h"
#include "text/jsonr.h"

/* The object of one line being read; the first problem wins. */
typedef struct fields {
    json_t *obj;
    const char *what;
    char *why;
    size_t whylen;
    int bad;
    const char *link_base;      /* the restoring server's URL, or NULL */
} fields;

static void fail(fields *f, const char *name, const char *expected)
{
    if (f->bad)
        return;
    f->bad = 1;
    snprintf(f->why, f->whylen, "\"%s\".%s: expected %s", f->what, name, expected);
}

static int64_t int_in(fields *f, json_t *value, const char *name, int64_t min, int64_t max)
{
    if (!json_is_integer(value) || json_integer_value(value) < min || json_integer_value(value) > max) {
        char expected[96];
        snprintf(expected, sizeof expected, "an integer from %lld to %lld", (long long)min, (long long)max);
        fail(f, name, expected);
        return min;
    }
    return json_integer_value(value);
}

static int64_t get_int(fields *f, const char *name, int64_t min, int64_t max)
{
    return int_in(f, json_object_get(f->obj, name), name, min, max);
}

static int64_t opt_int(fields *f, const char *name, int64_t min, int64_t max, int64_t absent)
{
    json_t *value = json_object_get(f->obj, name);
    return value == NULL ? absent : int_in(f, value, name, min, max);
}

static int64_t get_time(fields *f, const char *name)
{
    return get_int(f, name, 0, SNAP_MAX_MS);
}

/* A field the writer leaves out when it is 0. */
static int64_t opt_zero(fields *f, const char *name, int64_t max)
{
    return opt_int(f, name, 0, max, 0);
}

/* A string of at most max bytes; NULL when absent and not required. */
static const char *get_string(fields *f, const char *name, size_t max, int required)
{
    json_t *value = json_object_get(f->obj, name);
    if (value == NULL && !required)
        return NULL;
    if (!json_is_string(value) || json_string_length(value) > max || strlen(json_string_value(value)) !=
        json_string_length(value)) {
        char expected[64];
        snprintf(expected, sizeof expected, "a string of at most %zu bytes", max);
        fail(f, name, expected);
        return NULL;
    }
    return json_string_value(value);
}

/* A double written as text; absent when not there. */
static double opt_double(fields *f, const char *name, double min, double max, double absent)
{
    json_t *value = json_object_get(f->obj, name);
    if (value == NULL)
        return absent;
    const char *text = json_string_value(value);
    char *end = NULL;
    double d = text != NULL ? strtod(text, &end) : 0;
    if (text == NULL || end == text || *end != '\0' || !(d >= min && d <= max)) {
        char expected[96];
        snprintf(expected, sizeof expected, "a number from %g to %g, as a string", min, max);
        fail(f, name, expected);
        return absent;
    }
    return d;
}

static account *owner_of(fields *f, store *st)
{
    const char *key = get_string(f, "owner", 256, 1);
    account *owner = key != NULL ? store_find_account_any(st, key) : NULL;
    if (key != NULL && owner == NULL)
        fail(f, "owner", "the key of an account restored before it");
    return owner;
}

/* One hex digit a byte, n of them, into a new array (n ? n : 1 bytes). */
static uint8_t *nibbles(fields *f, const char *name, size_t n, unsigned max)
{
    const char *text = get_string(f, name, n, 1);
    if (text == NULL || strlen(text) != n) {
        fail(f, name, "one hex digit per row");
        return NULL;
    }
    uint8_t *out = calloc(n ? n : 1, 1);
    if (out == NULL) {
        fail(f, name, "memory to hold it");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 99;
        if (v > max) {
            fail(f, name, "hex digits of contact masks (0 to 7)");
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)v;
    }
    return out;
}

/* --- the store ----------------------------------------------------------- */

static void restore_store(store *st, fields *f)
{
    st->next_audience_seq = (uint64_t)get_int(f, "audienceSeq", 0, SNAP_MAX_AMOUNT);
    st->next_enrichment_seq = (uint64_t)get_int(f, "enrichmentSeq", 0, SNAP_MAX_AMOUNT);
    json_t *config = json_object_get(f->obj, "config");
    if (config == NULL)
        return;
    fields c = {config, "store\".\"config", f->why, f->whylen, 0, NULL};
    store_config next = st->config;
    const char *seed = get_string(&c, "seed", 24, 1);
    char *end = NULL;
    unsigned long long seed_value = seed != NULL ? strtoull(seed, &end, 10) : 0;
    if (seed != NULL && (end == seed || *end != '\0'))
        fail(&c, "seed", "a decimal number");
    next.seed = seed_value;
    next.build_stages = (int)get_int(&c, "buildStages", 0, 2);
    next.rate_limit_scale = opt_double(&c, "rateLimitScale", 0, 1e9, -1);
    next.enrichment_slowdown = opt_double(&c, "enrichmentSlowdown", 1, 1e9, -1);
    next.keys_on_demand = (int)get_int(&c, "keysOnDemand", 0, 1);
    next.demand_credits = get_int(&c, "demandCredits", 0, SNAP_MAX_AMOUNT);
    next.demand_export_quota = get_int(&c, "demandExportQuota", 0, SNAP_MAX_AMOUNT);
    next.clock_runs = (int)get_int(&c, "clockRuns", 0, 1);
    next.idle_expiry_ms = get_int(&c, "idleExpiryMs", 0, SNAP_MAX_MS);
    if (next.rate_limit_scale < 0 || next.enrichment_slowdown < 0)
        fail(&c, "rateLimitScale", "it and enrichmentSlowdown");
    f->bad |= c.bad;
    if (!f->bad)
        st->config = next;
}

/* --- accounts ------------------------------------------------------------ */

static void restore_ledger(fields *f, ledger *l)
{
    json_t *value = json_object_get(f->obj, "ledger");
    json_t *entries = json_array_get(value, 3);
    if (json_array_size(value) != 4 || !json_is_array(entries) || json_array_size(entries) > LEDGER_CAPACITY) {
        fail(f, "ledger", "[lastSeq, dropped, opening, [entries, at most 500]]");
        return;
    }
    ledger next = LEDGER_INIT;
    next.last_seq = (uint64_t)int_in(f, json_array_get(value, 0), "ledger[0]", 0, SNAP_MAX_AMOUNT);
    next.dropped = (uint64_t)int_in(f, json_array_get(value, 1), "ledger[1]", 0, SNAP_MAX_AMOUNT);
    next.opening = int_in(f, json_array_get(value, 2), "ledger[2]", -SNAP_MAX_AMOUNT, SNAP_MAX_AMOUNT);
    size_t n = json_array_size(entries);
    next.ring = n > 0 ? calloc(n, sizeof *next.ring) : NULL;
    if (n > 0 && next.ring == NULL) {
        fail(f, "ledger", "memory to hold it");
        return;
    }
    next.cap = n;
    for (size_t i = 0; i < n && !f->bad; i++) {
        json_t *e = json_array_get(entries, i);
        ledger_entry *out = &next.ring[i];
        const char *aud = json_string_value(json_array_get(e, 7));
        const char *enr = json_string_value(json_array_get(e, 8));
        if (json_array_size(e) != 9 || aud == NULL || enr == NULL || strlen(aud) >= sizeof out->audience_id ||
            strlen(enr) >= sizeof out->enrichment_id) {
            fail(f, "ledger", "entries [seq, time, amount, balance, causeTime, kind, cause, audience, enrichment]");
            break;
        }
        out->seq = (uint64_t)int_in(f, json_array_get(e, 0), "ledger seq", 1, SNAP_MAX_AMOUNT);
        out->time_ms = int_in(f, json_array_get(e, 1), "ledger time", -1, SNAP_MAX_MS);
        out->amount = int_in(f, json_array_get(e, 2), "ledger amount", -SNAP_MAX_AMOUNT, SNAP_MAX_AMOUNT);
        out->balance_after = int_in(f, json_array_get(e, 3), "ledger balance", -SNAP_MAX_AMOUNT, SNAP_MAX_AMOUNT);
        out->cause_ms = int_in(f, json_array_get(e, 4), "ledger causeTime", -1, SNAP_MAX_MS);
        out->kind = (unsigned char)int_in(f, json_array_get(e, 5), "ledger kind", LEDGER_GRANT, LEDGER_REFUND);
        out->cause = (unsigned char)int_in(f, json_array_get(e, 6), "ledger cause", LEDGER_BY_START, LEDGER_BY_ENRICH);
        snprintf(out->audience_id, sizeof out->audience_id, "%s", aud);
        snprintf(out->enrichment_id, sizeof out->enrichment_id, "%s", enr);
        next.count++;
    }
    if (f->bad) {
        ledger_free(&next);
        return;
    }
    ledger_free(l);
    *l = next;
}

static void restore_account(store *st, fields *f)
{
    const char *key = get_string(f, "key", 256, 1);
    if (key == NULL)
        return;
    account *a = store_find_account_any(st, key);
    if (a == NULL)
        a = store_new_account(st, key);
    if (a == NULL) {
        fail(f, "key", errno == ENOSPC ? "at most 10000 accounts" : "memory for a new account");
        return;
    }
    int enabled = (int)get_int(f, "enabled", 0, 1);
    a->initial = (int)get_int(f, "initial", 0, 1);
    a->credits = get_int(f, "credits", -SNAP_MAX_AMOUNT, SNAP_MAX_AMOUNT);
    a->export_quota = get_int(f, "quota", 0, SNAP_MAX_AMOUNT);
    a->export_used = get_int(f, "used", 0, SNAP_MAX_AMOUNT);
    a->export_period_start_ms = get_time(f, "periodStart");
    a->initial_credits = get_int(f, "initialCredits", -SNAP_MAX_AMOUNT, SNAP_MAX_AMOUNT);
    a->initial_export_quota = get_int(f, "initialQuota", 0, SNAP_MAX_AMOUNT);
    json_t *clock = json_object_get(f->obj, "clock");
    a->own_clock = clock != NULL;
    if (clock != NULL) {
        if (json_array_size(clock) != 2)
            fail(f, "clock", "[base, anchor]");
        a->clock_base_ms = int_in(f, json_array_get(clock, 0), "clock[0]", 0, SNAP_MAX_MS);
        a->clock_anchor_ms = int_in(f, json_array_get(clock, 1), "clock[1]", 0, SNAP_MAX_MS);
    }
    a->own_rate_limit_scale = opt_double(f, "ownRateLimitScale", 0, 1e9, -1);
    a->own_build_stages = (int)opt_int(f, "ownBuildStages", 0, 2, -1);
    a->own_enrichment_slowdown = opt_double(f, "ownEnrichmentSlowdown", 1, 1e9, -1);
    a->next_export = (size_t)get_int(f, "nextExport", 0, STORE_MAX_EXPORTS_PER_KEY - 1);
    a->export_expiry_ms = get_time(f, "exportExpiry");
    restore_ledger(f, &a->ledger);
    if (enabled != a->enabled)
        st->n_enabled = enabled ? st->n_enabled + 1 : st->n_enabled - 1;
    a->enabled = enabled;
}

/* --- audiences ----------------------------------------------------------- */

static void restore_enrichment(store *st, fields *parent, audience *aud)
{
    (void)st;
    json_t *value = json_object_get(parent->obj, "enrichment");
    if (value == NULL)
        return;
    fields f = {value, "audience\".\"enrichment", parent->why, parent->whylen, 0, NULL};
    enrichment *e = calloc(1, sizeof *e);
    if (e == NULL) {
        fail(parent, "enrichment", "memory to hold it");
        return;
    }
    aud->enrichment = e;
    const char *id = get_string(&f, "id", sizeof e->id - 1, 1);
    if (id != NULL)
        snprintf(e->id, sizeof e->id, "%s", id);
    json_t *o = json_object_get(value, "options");
    if (json_array_size(o) != 8)
        fail(&f, "options", "8 integers");
    enrichment_options *opt = &e->options;
    opt->max_prospects = (uint32_t)int_in(&f, json_array_get(o, 0), "options[0]", 1, UINT32_MAX);
    int *flags[] = {&opt->get_work_emails, &opt->get_personal_emails, &opt->get_phone_numbers,
                    &opt->run_company_live, &opt->run_profile_live, &opt->run_sales_nav, &opt->run_contact};
    for (size_t i = 0; i < 7; i++)
        *flags[i] = (int)int_in(&f, json_array_get(o, i + 1), "options", 0, 1);
    json_t *plan = json_object_get(value, "plan");
    if (!json_is_array(plan) || json_array_size(plan) > STAGE_COUNT)
        fail(&f, "plan", "an array of [stage, milliseconds]");
    for (size_t i = 0; i < json_array_size(plan) && !f.bad; i++) {
        json_t *stage = json_array_get(plan, i);
        if (enrichment_stage_from_name(json_string_value(json_array_get(stage, 0)), &e->plan.stages[i]) != 0 ||
            e->plan.stages[i] == STAGE_COUNT)
            fail(&f, "plan", "known stage names");
        e->plan.duration_ms[i] = int_in(&f, json_array_get(stage, 1), "plan", 0, SNAP_MAX_MS);
        e->plan.n_stages++;
    }
    e->plan.total_ms = get_int(&f, "total", 0, SNAP_MAX_MS);
    e->created_ms = get_time(&f, "created");
    e->completed_ms = get_time(&f, "completed");
    e->credits = get_int(&f, "credits", 0, SNAP_MAX_AMOUNT);
    e->n_prospects = (size_t)get_int(&f, "prospects", 0, SNAP_MAX_AMOUNT);
    const char *email = get_string(&f, "email", 320, 0);
    if (email != NULL && (e->user_email = strdup(email)) == NULL)
        fail(&f, "email", "memory to hold it");
    e->applied = (int)get_int(&f, "applied", 0, 1);
    e->fail_at_ms = get_time(&f, "failAt");
    e->failed = (int)get_int(&f, "failed", 0, 1);
    parent->bad |= f.bad;
}

/* The build's result, recomputed from its filters as a build computes it
 * (handlers_audience.c), and checked against the counts written. */
static void rebuild_result(store *st, fields *f, audience *aud)
{
    json_t *counts = json_object_get(f->obj, "result");
    if (counts == NULL)
        return;
    size_t n_companies = (size_t)int_in(f, json_array_get(counts, 0), "result[0]", 0, SNAP_MAX_AMOUNT);
    size_t n_prospects = (size_t)int_in(f, json_array_get(counts, 1), "result[1]", 0, SNAP_MAX_AMOUNT);
    if (aud->filters == NULL) {
        fail(f, "result", "filters to rebuild it from (\"filters\":1)");
        return;
    }
    if (f->bad)
        return;
    uint32_t max_companies = aud->max_companies ? aud->max_companies : STORE_BUILD_CAP;
    uint32_t max_prospects = aud->max_prospects ? aud->max_prospects : STORE_BUILD_CAP;
    const dataset *ds = store_dataset(st);
    if (filters_run(aud->filters, ds, aud->method, max_companies, max_prospects, &aud->result) != 0) {
        fail(f, "result", "memory to rebuild it");
        return;
    }
    if (aud->result.n_companies != n_companies || aud->result.n_prospects != n_prospects) {
        char expected[160];
        snprintf(expected, sizeof expected, "%zu companies and %zu prospects, as its filters find now (it says %zu "
                 "and %zu: another dataset?)", aud->result.n_companies, aud->result.n_prospects, n_companies,
                 n_prospects);
        fail(f, "result", expected);
        return;
    }
    (void)pricing_index_build(ds, aud->result.prospects, aud->result.n_prospects, &aud->pricing);
}

/* Filters as given, and compiled again from them. */
static void restore_filters(fields *f, audience *aud)
{
    json_t *company = json_object_get(f->obj, "company");
    json_t *prospect = json_object_get(f->obj, "prospect");
    aud->company_params = json_incref(company);
    aud->prospect_params = json_incref(prospect);
    aud->max_companies = (uint32_t)opt_zero(f, "maxCompanies", STORE_BUILD_CAP);
    aud->max_prospects = (uint32_t)opt_zero(f, "maxProspects", STORE_BUILD_CAP);
    if (opt_int(f, "filters", 1, 1, 0) == 0 || f->bad)
        return;
    char err[512];
    if (filters_compile(company, prospect, aud->method, NULL, &aud->filters, err, sizeof err) != 0) {
        char expected[600];
        snprintf(expected, sizeof expected, "filters that compile (%s)", err);
        fail(f, "company", expected);
    }
}

static void restore_audience(store *st, fields *f)
{
    account *owner = owner_of(f, st);
    const char *id = get_string(f, "id", 31, 1);
    const char *asl = get_string(f, "asl", 31, 1);
    const char *name = get_string(f, "name", 1u << 20, 1);
    if (f->bad)
        return;
    if (store_find_audience_any(st, id) != NULL) {
        fail(f, "id", "an id not restored before");
        return;
    }
    if (owner->n_audiences >= STORE_MAX_AUDIENCES_PER_KEY) {
        fail(f, "owner", "an account with at most 10000 audiences");
        return;
    }
    audience *aud = calloc(1, sizeof *aud);
    if (aud == NULL || (aud->name = strdup(name)) == NULL) {
        store_audience_free(aud);
        fail(f, "name", "memory to hold it");
        return;
    }
    /* Both at most 31 bytes (get_string): memcpy, a restore does 500,000. */
    memcpy(aud->id, id, strlen(id) + 1);
    memcpy(aud->search_logic_id, asl, strlen(asl) + 1);
    aud->owner = owner;
    aud->method = (creation_method)opt_zero(f, "method", CREATION_START_FROM_PROSPECTS);
    aud->created_ms = get_time(f, "created");
    aud->archived = (int)opt_zero(f, "archived", 1);
    if (audience_status_from_name(get_string(f, "status", 64, 1), &aud->status) != 0)
        fail(f, "status", "an audience status (DRAFT, BUILDING, ..., NORMAL, FAILED)");
    restore_filters(f, aud);
    aud->build_started_ms = opt_zero(f, "started", SNAP_MAX_MS);
    aud->build_finishes_ms = opt_zero(f, "finishes", SNAP_MAX_MS);
    aud->build_finished_ms = opt_zero(f, "finished", SNAP_MAX_MS);
    rebuild_result(st, f, aud);
    aud->build_cost = opt_zero(f, "cost", SNAP_MAX_AMOUNT);
    const char *failure = get_string(f, "failure", 1024, 0);
    if (failure != NULL && (aud->failure = strdup(failure)) == NULL)
        fail(f, "failure", "memory to hold it");
    aud->inject_failure = (int)opt_int(f, "injectFailure", 1, 1, 0);
    json_t *hold = json_object_get(f->obj, "hold");
    if (hold != NULL) {
        aud->hold_rule = (uint64_t)int_in(f, json_array_get(hold, 0), "hold[0]", 1, SNAP_MAX_AMOUNT);
        if (audience_status_from_name(json_string_value(json_array_get(hold, 1)), &aud->hold_status) != 0)
            fail(f, "hold", "[rule, an audience status]");
    }
    restore_enrichment(st, f, aud);
    if (json_object_get(f->obj, "revealed") != NULL && !f->bad)
        aud->revealed = nibbles(f, "revealed", aud->result.n_prospects, DS_CONTACT_ALL);
    if (!f->bad && store_ptr_push((void ***)&owner->audiences, &owner->n_audiences, &owner->cap_audiences, aud) != 0)
        fail(f, "id", "memory to hold it");
    if (f->bad) {
        store_audience_free(aud);
        return;
    }
    store_index_audience(st, aud);
}

static void restore_pending(store *st, fields *f)
{
    account *owner = owner_of(f, st);
    json_t *ids = json_object_get(f->obj, "ids");
    if (!json_is_array(ids))
        fail(f, "ids", "an array of audience ids");
    if (f->bad)
        return;
    owner->n_pending = 0;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        audience *aud = id != NULL ? store_find_audience_any(st, id) : NULL;
        if (aud == NULL || aud->owner != owner) {
            fail(f, "ids", "ids of the owner's audiences, restored before");
            return;
        }
        if (store_ptr_push((void ***)&owner->pending, &owner->n_pending, &owner->cap_pending, aud) != 0) {
            fail(f, "ids", "memory to hold them");
            return;
        }
    }
}

/* --- exports and the outbox ---------------------------------------------- */

/* Rows as differences from the one before (store_snapshot.c), each below
 * limit, into a new array. */
static uint32_t *parse_rows(fields *f, size_t limit, size_t *n_out)
{
    const char *text = get_string(f, "rows", SIZE_MAX >> 1, 1);
    if (text == NULL)
        return NULL;
    size_t cap = 1;
    for (const char *c = text; *c != '\0'; c++)
        cap += *c == ',';
    uint32_t *rows = malloc(cap * sizeof *rows);
    size_t n = 0;
    uint64_t row = 0;
    const char *at = text;
    while (rows != NULL && *at != '\0') {
        char *end = NULL;
        unsigned long long delta = strtoull(at, &end, 10);
        row += delta;
        if (end == at || (*end != ',' && *end != '\0') || row >= limit || (n > 0 && delta == 0)) {
            fail(f, "rows", "ascending row numbers of the dataset, as differences");
            free(rows);
            return NULL;
        }
        rows[n++] = (uint32_t)row;
        at = *end == ',' ? end + 1 : end;
    }
    if (rows == NULL)
        fail(f, "rows", "memory to hold them");
    *n_out = n;
    return rows;
}

static export_job *restore_job(store *st, fields *f)
{
    const dataset *ds = store_dataset(st);
    export_kind kind = (export_kind)get_int(f, "kind", EXPORT_COMPANIES, EXPORT_PROSPECTS);
    uint8_t selected[EXPORT_MAX_COLUMNS] = {0};
    json_t *columns = json_object_get(f->obj, "columns");
    if (!json_is_array(columns))
        fail(f, "columns", "an array of column numbers");
    for (size_t i = 0; i < json_array_size(columns); i++)
        selected[int_in(f, json_array_get(columns, i), "columns", 0, EXPORT_MAX_COLUMNS - 1)] = 1;
    if (f->bad)
        return NULL;
    size_t n = 0;
    uint32_t *rows = parse_rows(f, kind == EXPORT_COMPANIES ? ds->n_companies : ds->n_prospects, &n);
    uint8_t *revealed = NULL;
    if (rows != NULL && json_object_get(f->obj, "revealed") != NULL)
        revealed = nibbles(f, "revealed", n, DS_CONTACT_ALL);
    export_job *job = f->bad ? NULL : export_job_new(ds, kind, rows, revealed, n, selected);
    if (!f->bad && job == NULL)
        fail(f, "rows", "memory to hold them");
    free(rows);
    free(revealed);
    return job;
}

static void restore_export(store *st, fields *f)
{
    account *owner = owner_of(f, st);
    size_t slot = (size_t)get_int(f, "slot", 0, STORE_MAX_EXPORTS_PER_KEY - 1);
    const char *token = get_string(f, "token", 39, 1);
    const char *filename = get_string(f, "filename", 95, 1);
    const char *email = get_string(f, "email", 320, 0);
    if (f->bad)
        return;
    if (owner->exports[slot] != NULL || store_find_export(st, token) != NULL) {
        fail(f, "token", "an export not restored before, in a free slot");
        return;
    }
    export_file *file = calloc(1, sizeof *file);
    if (file == NULL || (email != NULL && (file->user_email = strdup(email)) == NULL)) {
        free(file);
        fail(f, "email", "memory to hold it");
        return;
    }
    snprintf(file->token, sizeof file->token, "%s", token);
    snprintf(file->filename, sizeof file->filename, "%s", filename);
    file->owner = owner;
    file->created_ms = get_time(f, "created");
    file->expires_ms = get_time(f, "expires");
    file->job = restore_job(st, f);
    if (f->bad) {
        store_export_file_free(file);
        return;
    }
    owner->exports[slot] = file;
    store_index_export(st, file);
}

static void restore_outbox(store *st, fields *f)
{
    account *owner = NULL;
    if (!json_is_null(json_object_get(f->obj, "owner")))
        owner = owner_of(f, st);
    int64_t time_ms = get_time(f, "time");
    const char *to = get_string(f, "to", 1024, 1);
    const char *subject = get_string(f, "subject", 1024, 1);
    const char *body = get_string(f, "body", 4096, 1);
    json_t *links = json_object_get(f->obj, "links");
    json_t *relative = json_object_get(f->obj, "relativeLinks");
    if ((links != NULL && !json_is_array(links)) || (relative != NULL && !json_is_array(relative)))
        fail(f, "links", "an array");
    json_t *made = NULL;
    if (relative != NULL && !f->bad) {
        /* Links to this server, as a replay here would write them. */
        made = json_array();
        for (size_t i = 0; i < json_array_size(relative); i++) {
            const char *path = json_string_value(json_array_get(relative, i));
            char link[1024];
            if (path == NULL || snprintf(link, sizeof link, "%s%s", f->link_base != NULL ? f->link_base : "", path) >=
                                    (int)sizeof link)
                fail(f, "relativeLinks", "paths of links to this server");
            else
                json_array_append_new(made, json_string(link));
        }
        links = made;
    }
    if (!f->bad)
        store_outbox_add(st, owner, time_ms, to, subject, body, links);
    json_decref(made);
}

/* --- lines --------------------------------------------------------------- */

void store_snapshot_restore_begin(store *st)
{
    store_drop_contents(st);
    store_outbox_clear(st);
}

typedef struct line_kind {
    const char *name;
    void (*restore)(store *st, fields *f);
} line_kind;

static const line_kind kinds[] = {
    {SNAP_STORE, restore_store},     {SNAP_ACCOUNT, restore_account}, {SNAP_AUDIENCE, restore_audience},
    {SNAP_PENDING, restore_pending}, {SNAP_EXPORT, restore_export},   {SNAP_OUTBOX, restore_outbox},
};

int store_snapshot_restore_line(store *st, const char *link_base, const char *line, size_t len, char *why,
                                size_t whylen)
{
    json_t *root = jsonr_object(line, len, JSONR_MAX_DEPTH);
    json_error_t error;
    if (root == NULL)
        root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        snprintf(why, whylen, "is damaged (%s)", error.text);
        return -1;
    }
    const char *name = json_object_size(root) == 1 ? json_object_iter_key(json_object_iter(root)) : NULL;
    json_t *obj = name != NULL ? json_object_get(root, name) : NULL;
    const line_kind *kind = NULL;
    for (size_t i = 0; obj != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kinds[i].name, name) == 0)
            kind = &kinds[i];
    }
    int rc = -1;
    if (kind == NULL || !json_is_object(obj)) {
        snprintf(why, whylen, "is damaged (expected {\"store\"|\"account\"|\"audience\"|\"pending\"|\"export\"|"
                 "\"outbox\": {...}})");
    } else {
        fields f = {obj, kind->name, why, whylen, 0, link_base};
        kind->restore(st, &f);
        rc = f.bad ? -1 : 0;
    }
    json_decref(root);
    return rc;
}
