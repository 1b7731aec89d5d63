/* The lists the dashboard (/_mock/ui) reads, usable by any client of the
 * control plane: GET /_mock/accounts, GET /_mock/audiences (paged, across
 * accounts, with each audience's timeline) and
 * GET /_mock/accounts/{apiKey}/ledger. Each answer is one page, so its
 * cost is bounded by the page size, not by how much the server holds
 * (the status filter of /_mock/audiences scans, at most 10,000 audiences
 * per key). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/links.h"
#include "sim/keys.h"
#include "sim/clock.h"

#define ACCOUNTS_PAGE_DEFAULT 100
#define ACCOUNTS_PAGE_MAX 1000
#define AUDIENCES_PAGE_DEFAULT 50
#define AUDIENCES_PAGE_MAX 500
#define LEDGER_PAGE_DEFAULT 100

static charge_info control_charge(void)
{
    return charge_free(NULL, "Control endpoints are free.");
}

/* Reads ?name= as an integer from min to max (def when absent). Returns 0,
 * or -1 with a 400 naming the parameter. */
static int query_count(const mock_request *req, mock_reply *reply, const char *name,
                       long def, long min, long max, long *out)
{
    const char *text = req->query(req, name);
    *out = def;
    if (text == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < min || n > max) {
        reply_error(reply, 400, "%s: expected an integer from %ld to %ld, got \"%.64s\".", name, min, max, text);
        return -1;
    }
    *out = n;
    return 0;
}

static int read_page(const mock_request *req, mock_reply *reply, long def, long max, long *offset, long *limit)
{
    if (query_count(req, reply, "offset", 0, 0, 1000000000L, offset) != 0)
        return -1;
    return query_count(req, reply, "limit", def, 1, max, limit);
}

void handle_mock_accounts_list(const mock_request *req, mock_reply *reply)
{
    long offset = 0;
    long limit = 0;
    if (read_page(req, reply, ACCOUNTS_PAGE_DEFAULT, ACCOUNTS_PAGE_MAX, &offset, &limit) != 0)
        return;
    account **list = NULL;
    long n = store_list_accounts(req->store, &list);
    if (n < 0)
        return; /* out of memory: the dispatcher answers 500 */
    json_t *accounts = json_array();
    for (long i = offset; i < n && i < offset + limit; i++) {
        int64_t now = store_tenant_now(req->store, list[i], req->now_ms); /* its own clock */
        store_settle(req->store, list[i], now);
        json_array_append_new(accounts, handler_account_json(list[i], now));
    }
    free(list);
    json_t *output = json_pack("{s:I, s:I, s:o}", "count", (json_int_t)n, "offset", (json_int_t)offset,
                               "accounts", accounts);
    reply_ok(reply, req, output, control_charge());
}

/* --- audiences ------------------------------------------------------------ */

static json_t *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char text[32];
    mock_time_format(ms, text);
    return json_string(text);
}

static int timeline_add(json_t *timeline, audience_status status, int64_t at_ms)
{
    return json_array_append_new(timeline, json_pack("{s:s, s:o}", "status", audience_status_name(status),
                                                     "at", time_or_null(at_ms)));
}

/* Created, building started, each in-progress status the build has shown
 * so far (lifecycle_build_status at the start of each of its parts), then
 * NORMAL or FAILED. A held build shows its hold status without a time. */
static json_t *timeline_json(const store *st, const audience *aud, int64_t now_ms)
{
    json_t *timeline = json_array();
    timeline_add(timeline, AUDIENCE_DRAFT, aud->created_ms);
    if (aud->status == AUDIENCE_DRAFT)
        return timeline;
    timeline_add(timeline, AUDIENCE_BUILDING, aud->build_started_ms);
    int64_t start = aud->build_started_ms;
    int64_t end = aud->build_finishes_ms;
    int stages = store_config_of(st)->build_stages;
    if (!aud->result_pending && end > start && stages) {
        int64_t parts = stages >= 2 ? 6 : 5;
        int64_t until = aud->status == AUDIENCE_BUILDING ? now_ms : end - 1;
        audience_status shown = AUDIENCE_BUILDING;
        for (int64_t k = 1; k < parts; k++) {
            /* The first millisecond of part k. */
            int64_t t = start + (k * (end - start) + parts - 1) / parts;
            if (t > until)
                break;
            audience_status s = lifecycle_build_status(start, end, t, stages);
            if (s != shown)
                timeline_add(timeline, s, t);
            shown = s;
        }
    }
    if (aud->status == AUDIENCE_BUILDING && aud->hold_rule != 0)
        timeline_add(timeline, aud->hold_status, 0);
    if (aud->status == AUDIENCE_NORMAL || aud->status == AUDIENCE_FAILED)
        timeline_add(timeline, aud->status, aud->build_finished_ms);
    return timeline;
}

static json_t *enrichment_json(const enrichment *enr, int64_t now_ms)
{
    if (enr == NULL)
        return json_null();
    enrichment_progress progress;
    store_enrichment_progress(enr, now_ms, &progress);
    int done = progress.stage == STAGE_DONE || progress.stage == STAGE_FAILED;
    int64_t completed = enr->failed ? enr->completed_ms : enr->created_ms + enr->plan.total_ms;
    return json_pack("{s:s, s:s, s:i, s:I, s:o, s:o}", "enrichmentId", enr->id,
                     "currentStage", enrichment_stage_name(progress.stage), "progressPercent", progress.percent,
                     "credits", (json_int_t)enr->credits, "createdAt", time_or_null(enr->created_ms),
                     "completedAt", done ? time_or_null(completed) : json_null());
}

/* The audience's exports still kept (the key's last 32), oldest first,
 * with download links relative to the server. Their file names start with
 * the audience id ("aud_...-companies.csv"). */
static json_t *exports_json(const audience *aud)
{
    json_t *exports = json_array();
    const account *owner = aud->owner;
    size_t id_len = strlen(aud->id);
    for (size_t i = 0; i < STORE_MAX_EXPORTS_PER_KEY; i++) {
        const export_file *file = owner->exports[(owner->next_export + i) % STORE_MAX_EXPORTS_PER_KEY];
        if (file == NULL || strncmp(file->filename, aud->id, id_len) != 0 || file->filename[id_len] != '-')
            continue;
        const char *kind = file->filename + id_len + 1;
        char url[64];
        links_download("", file->token, url, sizeof url);
        json_array_append_new(exports, json_pack("{s:s, s:s#, s:I, s:o, s:s}", "exportId", file->token,
                                                 "kind", kind, (int)strcspn(kind, "."),
                                                 "rows", (json_int_t)export_job_rows(file->job),
                                                 "createdAt", time_or_null(file->created_ms), "downloadUrl", url));
    }
    return exports;
}

static json_t *params_or_null(const json_t *params)
{
    return params != NULL ? json_deep_copy(params) : json_null();
}

static json_t *audience_json(const store *st, const audience *aud, audience_status status, int64_t now_ms)
{
    char masked[32];
    keys_mask(aud->owner->key, masked);
    int built = status == AUDIENCE_NORMAL;
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "audienceId", aud->id, "apiKey", masked,
                            "name", aud->name, "status", audience_status_name(status),
                            "creationMethod", aud->method == CREATION_START_FROM_PROSPECTS ? "START_FROM_PROSPECTS" : "NORMAL",
                            "createdAt", time_or_null(aud->created_ms), "archived", aud->archived);
    if (out == NULL)
        return NULL;
    json_object_set_new(out, "companiesCount", built ? json_integer((json_int_t)aud->result.n_companies) : json_null());
    json_object_set_new(out, "prospectsCount", built ? json_integer((json_int_t)aud->result.n_prospects) : json_null());
    json_object_set_new(out, "companySearchParams", params_or_null(aud->company_params));
    json_object_set_new(out, "prospectSearchParams", params_or_null(aud->prospect_params));
    json_object_set_new(out, "maxCompanies", aud->max_companies ? json_integer(aud->max_companies) : json_null());
    json_object_set_new(out, "maxProspects", aud->max_prospects ? json_integer(aud->max_prospects) : json_null());
    json_object_set_new(out, "failure", aud->failure != NULL ? json_string(aud->failure) : json_null());
    json_object_set_new(out, "timeline", timeline_json(st, aud, now_ms));
    json_object_set_new(out, "enrichment", enrichment_json(aud->enrichment, now_ms));
    json_object_set_new(out, "exports", exports_json(aud));
    return out;
}

/* Whether ?status= names a status; sets *out. */
static int parse_status(const char *text, audience_status *out)
{
    for (int s = AUDIENCE_DRAFT; s <= AUDIENCE_FAILED; s++) {
        if (strcmp(text, audience_status_name((audience_status)s)) == 0) {
            *out = (audience_status)s;
            return 0;
        }
    }
    return -1;
}

/* Newest first, account by account in key order: offset and limit pick
 * the page, count is every match. */
void handle_mock_audiences(const mock_request *req, mock_reply *reply)
{
    long offset = 0;
    long limit = 0;
    if (read_page(req, reply, AUDIENCES_PAGE_DEFAULT, AUDIENCES_PAGE_MAX, &offset, &limit) != 0)
        return;
    const char *status_text = req->query(req, "status");
    audience_status wanted = AUDIENCE_DRAFT;
    if (status_text != NULL && parse_status(status_text, &wanted) != 0) {
        reply_error(reply, 400, "status: expected DRAFT, BUILDING, SAVING_COMPANIES, SAVING_PROSPECTS, "
                    "LINKING_PROSPECTS_WITH_COMPANIES, HEALING_COMPANIES, NORMAL or FAILED, got \"%.64s\".", status_text);
        return;
    }
    const char *key = req->query(req, "apiKey");
    account **list = NULL;
    long n_accounts = 0;
    if (key != NULL) {
        account *acct = store_find_account(req->store, key);
        if (acct == NULL) {
            reply_error(reply, 404, "apiKey: no account with this API key. GET /_mock/accounts lists them.");
            return;
        }
        list = malloc(sizeof *list);
        if (list == NULL)
            return;
        list[0] = acct;
        n_accounts = 1;
    } else {
        n_accounts = store_list_accounts(req->store, &list);
        if (n_accounts < 0)
            return;
    }
    json_t *audiences = json_array();
    long matched = 0;
    for (long a = 0; a < n_accounts; a++) {
        account *acct = list[a];
        long n = (long)acct->n_audiences;
        int64_t now = store_tenant_now(req->store, acct, req->now_ms); /* its own clock */
        if (status_text == NULL) {
            /* Without a filter the page is found by counting: only the
             * accounts it covers are settled, only its audiences read. */
            long skip = offset > matched ? offset - matched : 0;
            if (skip < n && (long)json_array_size(audiences) < limit) {
                store_settle(req->store, acct, now);
                for (long j = skip; j < n && (long)json_array_size(audiences) < limit; j++) {
                    const audience *aud = acct->audiences[n - 1 - j];
                    audience_status status = store_audience_status(req->store, acct, aud, now);
                    json_array_append_new(audiences, audience_json(req->store, aud, status, now));
                }
            }
            matched += n;
            continue;
        }
        store_settle(req->store, acct, now);
        for (long j = 0; j < n; j++) {
            const audience *aud = acct->audiences[n - 1 - j];
            audience_status status = store_audience_status(req->store, acct, aud, now);
            if (status != wanted)
                continue;
            if (matched >= offset && matched < offset + limit)
                json_array_append_new(audiences, audience_json(req->store, aud, status, now));
            matched++;
        }
    }
    free(list);
    json_t *output = json_pack("{s:I, s:I, s:I, s:o}", "count", (json_int_t)matched, "offset", (json_int_t)offset,
                               "limit", (json_int_t)limit, "audiences", audiences);
    reply_ok(reply, req, output, control_charge());
}

/* --- ledger --------------------------------------------------------------- */

/* The request behind an entry as {method, path, time}, or null for the
 * start (command line, keys file). */
static json_t *cause_json(const ledger_entry *e, const char *masked_key)
{
    char path[160];
    const char *method = "POST";
    int cut = 0;
    switch (e->cause) {
    case LEDGER_BY_ACCOUNT_PUT:
        method = "PUT";
        cut = links_account("", masked_key, path, sizeof path);
        break;
    case LEDGER_BY_SCENARIO:
        cut = links_scenarios("", path, sizeof path);
        break;
    case LEDGER_BY_BUILD:
        cut = links_build("", e->audience_id, path, sizeof path);
        break;
    case LEDGER_BY_ENRICH:
        cut = links_enrich("", e->audience_id, path, sizeof path);
        break;
    default:
        return json_null();
    }
    if (cut != 0)
        return json_null(); /* cannot happen: ids and masked keys are short */
    json_t *cause = json_pack("{s:s, s:s}", "method", method, "path", path);
    if (cause != NULL && e->cause_ms >= 0)
        json_object_set_new(cause, "time", time_or_null(e->cause_ms));
    return cause;
}

static json_t *ledger_entry_json(const ledger_entry *e, const char *masked_key)
{
    json_t *out = json_pack("{s:I, s:o, s:s, s:I, s:I, s:o}", "seq", (json_int_t)e->seq,
                            "time", e->time_ms >= 0 ? time_or_null(e->time_ms) : json_null(),
                            "kind", ledger_kind_name(e->kind), "amount", (json_int_t)e->amount,
                            "balanceAfter", (json_int_t)e->balance_after, "request", cause_json(e, masked_key));
    if (out == NULL)
        return NULL;
    if (e->audience_id[0] != '\0')
        json_object_set_new(out, "audienceId", json_string(e->audience_id));
    if (e->enrichment_id[0] != '\0')
        json_object_set_new(out, "enrichmentId", json_string(e->enrichment_id));
    return out;
}

/* Newest first: offset skips the newest. openingBalance + every amount
 * kept == credits. */
void handle_mock_ledger(const mock_request *req, mock_reply *reply)
{
    long offset = 0;
    long limit = 0;
    if (read_page(req, reply, LEDGER_PAGE_DEFAULT, LEDGER_CAPACITY, &offset, &limit) != 0)
        return;
    account *acct = store_find_account(req->store, req->param);
    if (acct == NULL) {
        reply_error(reply, 404, "No account with this API key. Create one with PUT /_mock/accounts/{apiKey}.");
        return;
    }
    /* Charges of builds that finished by now (its own clock) are on the ledger. */
    store_settle(req->store, acct, store_tenant_now(req->store, acct, req->now_ms));
    char masked[32];
    keys_mask(acct->key, masked);
    const ledger *l = &acct->ledger;
    json_t *entries = json_array();
    for (size_t i = (size_t)offset; i < l->count && i < (size_t)(offset + limit); i++)
        json_array_append_new(entries, ledger_entry_json(ledger_at(l, l->count - 1 - i), masked));
    json_t *output = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "apiKey", acct->key,
                               "credits", (json_int_t)acct->credits, "openingBalance", (json_int_t)l->opening,
                               "count", (json_int_t)l->count, "dropped", (json_int_t)l->dropped,
                               "offset", (json_int_t)offset, "entries", entries);
    reply_ok(reply, req, output, control_charge());
}
