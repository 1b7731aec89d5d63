/* store_snapshot: writing the store's state as lines (store_snapshot.h);
 * reading them back is store_restore.c. */
#include "sim/store_snapshot.h"

#include <stdio.h>
#include <string.h>

#include "data/export.h"
#include "sim/store_internal.h"
#include "sim/store_snapshot_format.h"
#include "text/jsonw.h"

/* ,"name": (names are plain ASCII). No printf on the way: it was most
 * of the time the store is held for a snapshot. */
static void put_name(strbuf *out, const char *name)
{
    strbuf_puts(out, ",\"");
    strbuf_puts(out, name);
    strbuf_puts(out, "\":");
}

static void put_string(strbuf *out, const char *name, const char *value)
{
    put_name(out, name);
    jsonw_string(out, value, strlen(value));
}

static void put_int(strbuf *out, const char *name, long long value)
{
    put_name(out, name);
    jsonw_integer(out, value);
}

/* Fields that are 0 in most objects (a draft's build times) are left out:
 * a large state's snapshot is mostly drafts, and each field costs at
 * restore. */
static void put_nonzero(strbuf *out, const char *name, long long value)
{
    if (value != 0)
        put_int(out, name, value);
}

/* Doubles as text ("%.17g" reads back to the same bits), so that the
 * fast reader (jsonr, which takes no reals) reads every line. */
static void put_double(strbuf *out, const char *name, double value)
{
    strbuf_printf(out, ",\"%s\":\"%.17g\"", name, value);
}

static void put_json(strbuf *out, const char *name, const json_t *value)
{
    put_name(out, name);
    if (jsonw_write(value, out) != 0)
        out->oom = 1;
}

/* Bytes below 16 (contact masks) as one hex digit each. */
static void put_nibbles(strbuf *out, const char *name, const uint8_t *bytes, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put_name(out, name);
    strbuf_putc(out, '"');
    char *at = strbuf_extend(out, n);
    if (at != NULL) {
        for (size_t i = 0; i < n; i++)
            at[i] = hex[bytes[i] & 15];
    }
    strbuf_putc(out, '"');
}

/* Ascending row numbers as the differences from the one before, in
 * decimal, comma-separated: a few bytes a row. */
static void put_rows(strbuf *out, const char *name, const uint32_t *rows, size_t n)
{
    put_name(out, name);
    strbuf_putc(out, '"');
    uint32_t before = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_putc(out, ',');
        jsonw_integer(out, rows[i] - before);
        before = rows[i];
    }
    strbuf_putc(out, '"');
}

static int same_config(const store_config *a, const store_config *b)
{
    return a->seed == b->seed && a->build_stages == b->build_stages && a->rate_limit_scale == b->rate_limit_scale &&
           a->enrichment_slowdown == b->enrichment_slowdown && a->keys_on_demand == b->keys_on_demand &&
           a->demand_credits == b->demand_credits && a->demand_export_quota == b->demand_export_quota &&
           a->clock_runs == b->clock_runs && a->idle_expiry_ms == b->idle_expiry_ms;
}

static void write_store(const store *st, strbuf *out)
{
    strbuf_printf(out, "{\"" SNAP_STORE "\":{\"audienceSeq\":%llu", (unsigned long long)st->next_audience_seq);
    put_int(out, "enrichmentSeq", (long long)st->next_enrichment_seq);
    /* Settings a scenario changed; otherwise those of the command line
     * at restart, as a replay would have them. */
    if (!same_config(&st->config, &st->initial_config)) {
        const store_config *c = &st->config;
        strbuf_puts(out, ",\"config\":{\"seed\":");
        strbuf_printf(out, "\"%llu\"", (unsigned long long)c->seed);
        put_int(out, "buildStages", c->build_stages);
        put_double(out, "rateLimitScale", c->rate_limit_scale);
        put_double(out, "enrichmentSlowdown", c->enrichment_slowdown);
        put_int(out, "keysOnDemand", c->keys_on_demand);
        put_int(out, "demandCredits", c->demand_credits);
        put_int(out, "demandExportQuota", c->demand_export_quota);
        put_int(out, "clockRuns", c->clock_runs);
        put_int(out, "idleExpiryMs", c->idle_expiry_ms);
        strbuf_putc(out, '}');
    }
    strbuf_puts(out, "}}\n");
}

static void write_ledger(const ledger *l, strbuf *out)
{
    strbuf_printf(out, ",\"ledger\":[%llu,%llu,%lld,[", (unsigned long long)l->last_seq,
                  (unsigned long long)l->dropped, (long long)l->opening);
    for (size_t i = 0; i < l->count; i++) {
        const ledger_entry *e = ledger_at(l, i);
        strbuf_printf(out, "%s[%llu,%lld,%lld,%lld,%lld,%u,%u,", i > 0 ? "," : "", (unsigned long long)e->seq,
                      (long long)e->time_ms, (long long)e->amount, (long long)e->balance_after,
                      (long long)e->cause_ms, e->kind, e->cause);
        jsonw_string(out, e->audience_id, strlen(e->audience_id));
        strbuf_putc(out, ',');
        jsonw_string(out, e->enrichment_id, strlen(e->enrichment_id));
        strbuf_putc(out, ']');
    }
    strbuf_puts(out, "]]");
}

static void write_account(const account *a, strbuf *out)
{
    strbuf_puts(out, "{\"" SNAP_ACCOUNT "\":{\"key\":");
    jsonw_string(out, a->key, strlen(a->key));
    put_int(out, "enabled", a->enabled);
    put_int(out, "initial", a->initial);
    put_int(out, "credits", a->credits);
    put_int(out, "quota", a->export_quota);
    put_int(out, "used", a->export_used);
    put_int(out, "periodStart", a->export_period_start_ms);
    put_int(out, "initialCredits", a->initial_credits);
    put_int(out, "initialQuota", a->initial_export_quota);
    if (a->own_clock)
        strbuf_printf(out, ",\"clock\":[%lld,%lld]", (long long)a->clock_base_ms, (long long)a->clock_anchor_ms);
    if (a->own_rate_limit_scale >= 0)
        put_double(out, "ownRateLimitScale", a->own_rate_limit_scale);
    if (a->own_build_stages >= 0)
        put_int(out, "ownBuildStages", a->own_build_stages);
    if (a->own_enrichment_slowdown >= 0)
        put_double(out, "ownEnrichmentSlowdown", a->own_enrichment_slowdown);
    put_int(out, "nextExport", (long long)a->next_export);
    put_int(out, "exportExpiry", a->export_expiry_ms);
    write_ledger(&a->ledger, out);
    strbuf_puts(out, "}}\n");
}

static void write_enrichment(const enrichment *e, strbuf *out)
{
    const enrichment_options *o = &e->options;
    strbuf_puts(out, ",\"enrichment\":{\"id\":");
    jsonw_string(out, e->id, strlen(e->id));
    strbuf_printf(out, ",\"options\":[%u,%d,%d,%d,%d,%d,%d,%d]", o->max_prospects, o->get_work_emails,
                  o->get_personal_emails, o->get_phone_numbers, o->run_company_live, o->run_profile_live,
                  o->run_sales_nav, o->run_contact);
    strbuf_puts(out, ",\"plan\":[");
    for (size_t i = 0; i < e->plan.n_stages; i++) {
        strbuf_printf(out, "%s[\"%s\",%lld]", i > 0 ? "," : "", enrichment_stage_name(e->plan.stages[i]),
                      (long long)e->plan.duration_ms[i]);
    }
    strbuf_putc(out, ']');
    put_int(out, "total", e->plan.total_ms);
    put_int(out, "created", e->created_ms);
    put_int(out, "completed", e->completed_ms);
    put_int(out, "credits", e->credits);
    put_int(out, "prospects", (long long)e->n_prospects);
    if (e->user_email != NULL)
        put_string(out, "email", e->user_email);
    put_int(out, "applied", e->applied);
    put_int(out, "failAt", e->fail_at_ms);
    put_int(out, "failed", e->failed);
    strbuf_putc(out, '}');
}

static void write_audience(const audience *aud, strbuf *out)
{
    strbuf_puts(out, "{\"" SNAP_AUDIENCE "\":{\"owner\":");
    jsonw_string(out, aud->owner->key, strlen(aud->owner->key));
    put_string(out, "id", aud->id);
    put_string(out, "asl", aud->search_logic_id);
    put_string(out, "name", aud->name);
    put_nonzero(out, "method", aud->method);
    put_int(out, "created", aud->created_ms);
    put_nonzero(out, "archived", aud->archived);
    put_string(out, "status", audience_status_name(aud->status));
    if (aud->company_params != NULL)
        put_json(out, "company", aud->company_params);
    if (aud->prospect_params != NULL)
        put_json(out, "prospect", aud->prospect_params);
    if (aud->filters != NULL)
        put_int(out, "filters", 1);
    put_nonzero(out, "maxCompanies", aud->max_companies);
    put_nonzero(out, "maxProspects", aud->max_prospects);
    put_nonzero(out, "started", aud->build_started_ms);
    put_nonzero(out, "finishes", aud->build_finishes_ms);
    put_nonzero(out, "finished", aud->build_finished_ms);
    if (aud->result.companies != NULL || aud->result.prospects != NULL)
        strbuf_printf(out, ",\"result\":[%zu,%zu]", aud->result.n_companies, aud->result.n_prospects);
    put_nonzero(out, "cost", aud->build_cost);
    if (aud->failure != NULL)
        put_string(out, "failure", aud->failure);
    if (aud->inject_failure)
        put_int(out, "injectFailure", 1);
    if (aud->hold_rule != 0)
        strbuf_printf(out, ",\"hold\":[%llu,\"%s\"]", (unsigned long long)aud->hold_rule,
                      audience_status_name(aud->hold_status));
    if (aud->enrichment != NULL)
        write_enrichment(aud->enrichment, out);
    if (aud->revealed != NULL)
        put_nibbles(out, "revealed", aud->revealed, aud->result.n_prospects);
    strbuf_puts(out, "}}\n");
}

/* The order in which settle finds an account's pending work (ties). */
static void write_pending(const account *a, strbuf *out)
{
    strbuf_puts(out, "{\"" SNAP_PENDING "\":{\"owner\":");
    jsonw_string(out, a->key, strlen(a->key));
    strbuf_puts(out, ",\"ids\":[");
    for (size_t i = 0; i < a->n_pending; i++) {
        if (i > 0)
            strbuf_putc(out, ',');
        jsonw_string(out, a->pending[i]->id, strlen(a->pending[i]->id));
    }
    strbuf_puts(out, "]}}\n");
}

static void write_export(const export_file *f, size_t slot, strbuf *out)
{
    export_job_parts parts;
    export_job_describe(f->job, &parts);
    strbuf_puts(out, "{\"" SNAP_EXPORT "\":{\"owner\":");
    jsonw_string(out, f->owner->key, strlen(f->owner->key));
    put_int(out, "slot", (long long)slot);
    put_string(out, "token", f->token);
    put_string(out, "filename", f->filename);
    put_int(out, "created", f->created_ms);
    put_int(out, "expires", f->expires_ms);
    if (f->user_email != NULL)
        put_string(out, "email", f->user_email);
    put_int(out, "kind", parts.kind);
    strbuf_puts(out, ",\"columns\":[");
    int first = 1;
    for (size_t c = 0; c < EXPORT_MAX_COLUMNS; c++) {
        if (parts.selected[c]) {
            strbuf_printf(out, first ? "%zu" : ",%zu", c);
            first = 0;
        }
    }
    strbuf_putc(out, ']');
    put_rows(out, "rows", parts.rows, parts.n_rows);
    if (parts.revealed != NULL)
        put_nibbles(out, "revealed", parts.revealed, parts.n_rows);
    strbuf_puts(out, "}}\n");
}

/* Links under link_base without it ("relativeLinks"), others as they are. */
static void write_links(const json_t *links, const char *link_base, strbuf *out)
{
    size_t n = link_base != NULL ? strlen(link_base) : 0;
    int relative = n > 0 && json_array_size(links) > 0;
    for (size_t i = 0; i < json_array_size(links) && relative; i++) {
        const char *link = json_string_value(json_array_get(links, i));
        relative = link != NULL && strncmp(link, link_base, n) == 0;
    }
    if (!relative) {
        put_json(out, "links", links);
        return;
    }
    strbuf_puts(out, ",\"relativeLinks\":[");
    for (size_t i = 0; i < json_array_size(links); i++) {
        const char *link = json_string_value(json_array_get(links, i)) + n;
        if (i > 0)
            strbuf_putc(out, ',');
        jsonw_string(out, link, strlen(link));
    }
    strbuf_putc(out, ']');
}

static size_t write_outbox(const store *st, const char *link_base, strbuf *out)
{
    size_t oldest = (st->outbox_next + STORE_OUTBOX_CAPACITY - st->outbox_count) % STORE_OUTBOX_CAPACITY;
    for (size_t i = 0; i < st->outbox_count; i++) {
        const outbox_message *m = &st->outbox[(oldest + i) % STORE_OUTBOX_CAPACITY];
        strbuf_puts(out, "{\"" SNAP_OUTBOX "\":{\"owner\":");
        if (m->owner != NULL)
            jsonw_string(out, m->owner->key, strlen(m->owner->key));
        else
            strbuf_puts(out, "null");
        put_int(out, "time", m->time_ms);
        put_string(out, "to", m->to != NULL ? m->to : "");
        put_string(out, "subject", m->subject != NULL ? m->subject : "");
        put_string(out, "body", m->body != NULL ? m->body : "");
        if (m->links != NULL)
            write_links(m->links, link_base, out);
        strbuf_puts(out, "}}\n");
    }
    return st->outbox_count;
}

/* An account, then what it owns. */
static size_t write_account_all(const account *a, strbuf *out)
{
    size_t lines = 1;
    write_account(a, out);
    for (size_t i = 0; i < a->n_audiences; i++, lines++)
        write_audience(a->audiences[i], out);
    if (a->n_pending > 0) {
        write_pending(a, out);
        lines++;
    }
    for (size_t slot = 0; slot < STORE_MAX_EXPORTS_PER_KEY; slot++) {
        if (a->exports[slot] != NULL) {
            write_export(a->exports[slot], slot, out);
            lines++;
        }
    }
    return lines;
}

size_t store_snapshot_write(store *st, const char *link_base, strbuf *out)
{
    size_t lines = 1;
    write_store(st, out);
    /* Oldest first in the order of use: a restore that adds them in this
     * order keeps it (idle expiry takes the oldest). Accounts out of that
     * list (the keys file's) follow. */
    for (const account *a = st->lru_oldest; a != NULL; a = a->lru_newer)
        lines += write_account_all(a, out);
    for (size_t b = 0; b < ACCOUNT_BUCKETS; b++) {
        for (const account *a = st->accounts[b]; a != NULL; a = a->next) {
            int listed = a->lru_newer != NULL || a->lru_older != NULL || st->lru_oldest == a;
            if (!listed)
                lines += write_account_all(a, out);
        }
    }
    lines += write_outbox(st, link_base, out);
    return lines;
}
