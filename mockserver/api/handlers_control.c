/* The control plane under /_mock/: health, reset, the clock and accounts.
 * Not part of the Descovo API; answers use the same envelopes so that one
 * client can read both. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sim/clock.h"
#include "api/handlers.h"
#include "sim/scenario.h"
#include "sim/keys.h"
#include "text/glob.h"

/* Largest single clock advance: 10 years, so arithmetic never overflows. */
#define MAX_ADVANCE_SECONDS (10.0 * 365 * 24 * 3600)

/* Generated from docs/openapi.json (openapi_data.c.in). */
extern const unsigned char mock_openapi_json[];
extern const size_t mock_openapi_json_len;

static json_t *openapi_document;
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;

static void parse_openapi(void)
{
    openapi_document = json_loadb((const char *)mock_openapi_json, mock_openapi_json_len, 0, NULL);
}

/* The document itself, not in an envelope: tools read it as they would a
 * file. Parsed once, shared read-only by every request. */
void handle_mock_openapi(const mock_request *req, mock_reply *reply)
{
    (void)req;
    pthread_once(&openapi_once, parse_openapi);
    if (openapi_document == NULL) {
        reply_error(reply, 500, "Internal error: the compiled-in OpenAPI document does not parse.");
        return;
    }
    json_decref(reply->body);
    reply->status = 200;
    reply->body = json_incref(openapi_document);
}

/* Resident memory of this process in bytes, from /proc/self/statm, or -1. */
static long long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (long long)(resident * (unsigned long long)page) : -1;
}

/* Bytes the allocator has handed out and not got back, or -1. */
static long long heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return (long long)(info.uordblks + info.hblkhd);
#else
    return -1;
#endif
}

void handle_mock_health(const mock_request *req, mock_reply *reply)
{
    const dataset *ds = store_dataset(req->store);
    const mock_context_options *options = &req->ctx->options;
    store_stats stats;
    store_stats_of(req->store, &stats);
    json_t *output = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}, s:o}",
                               "status", "ok", "version", DESCOVO_VERSION,
                               "seed", (json_int_t)options->seed,
                               "companies", (json_int_t)ds->n_companies,
                               "prospects", (json_int_t)ds->n_prospects,
                               "clock", options->clock_mode == MOCK_CLOCK_MANUAL ? "manual" : "real",
                               "keysOnDemand", store_config_of(req->store)->keys_on_demand,
                               "tenants", (json_int_t)stats.tenants,
                               "accounts", (json_int_t)stats.accounts,
                               "audiences", (json_int_t)stats.audiences,
                               "exports", (json_int_t)stats.exports,
                               "expiredTenants", (json_int_t)stats.expired,
                               "tenantIdleExpirySeconds", (json_int_t)(store_config_of(req->store)->idle_expiry_ms / 1000),
                               "memory", "rssBytes", (json_int_t)resident_bytes(),
                               "heapBytes", (json_int_t)heap_bytes(),
                               "stateFile", state_file_health(req->ctx));
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_reset(const mock_request *req, mock_reply *reply)
{
    /* A fresh server: state, settings, faults and journal as at start,
     * including the start scenario if one was given. */
    const mock_context_options *options = &req->ctx->options;
    store_reset(req->store);
    faults_clear(req->ctx->faults);
    faults_set_chaos(req->ctx->faults, options->chaos_rate, options->chaos_seed);
    if (req->ctx->journal != NULL)
        journal_clear(req->ctx->journal);
    mock_clock_reset(req->ctx->clock, options->time_scale);
    if (options->scenario != NULL) {
        char err[256];
        json_t *scenario = scenario_load(options->scenario, err, sizeof err);
        json_t *summary = scenario != NULL ? scenario_apply(req->ctx, scenario, SCENARIO_WHOLE, err, sizeof err) : NULL;
        json_decref(scenario);
        json_decref(summary);
    }
    json_t *output = json_pack("{s:b}", "reset", 1);
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}

static json_t *clock_json(mock_clock *clock)
{
    int64_t now = mock_clock_now_ms(clock);
    char text[32];
    mock_time_format(now, text);
    int manual = mock_clock_mode_of(clock) == MOCK_CLOCK_MANUAL;
    return json_pack("{s:s, s:s, s:I, s:f}", "mode", manual ? "manual" : "real", "now", text,
                     "nowMs", (json_int_t)now, "scale", mock_clock_scale(clock));
}

void handle_mock_clock(const mock_request *req, mock_reply *reply)
{
    reply_ok(reply, req, clock_json(req->ctx->clock), charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_clock_advance(const mock_request *req, mock_reply *reply)
{
    json_t *seconds = json_object_get(req->body, "seconds");
    if (!json_is_number(seconds) || json_number_value(seconds) < 0 ||
        json_number_value(seconds) > MAX_ADVANCE_SECONDS || isnan(json_number_value(seconds))) {
        reply_error(reply, 400, "seconds: required, a number from 0 to %.0f.", MAX_ADVANCE_SECONDS);
        return;
    }
    mock_clock *clock = req->ctx->clock;
    if (mock_clock_mode_of(clock) != MOCK_CLOCK_MANUAL) {
        reply_error(reply, 400, "The clock is real: start descovo-mock with --clock manual to move time by hand.");
        return;
    }
    mock_clock_advance(clock, (int64_t)llround(json_number_value(seconds) * 1000.0));
    reply_ok(reply, req, clock_json(req->ctx->clock), charge_free(NULL, "Control endpoints are free."));
}

/* The account as of now_ms: rows used in an export period that is over
 * show as 0, without starting a new period (the next export does). */
json_t *handler_account_json(const account *acct, int64_t now_ms)
{
    int64_t used = acct->export_used;
    if (acct->export_period_start_ms != 0 && now_ms >= acct->export_period_start_ms + STORE_EXPORT_PERIOD_MS)
        used = 0;
    return json_pack("{s:s, s:I, s:I, s:I, s:I}", "apiKey", acct->key,
                     "credits", (json_int_t)acct->credits,
                     "exportQuota", (json_int_t)acct->export_quota,
                     "exportRowsUsed", (json_int_t)used,
                     "audiences", (json_int_t)acct->n_audiences);
}

void handle_mock_account_get(const mock_request *req, mock_reply *reply)
{
    account *acct = store_find_account(req->store, req->param);
    if (acct == NULL) {
        reply_error(reply, 404, "No account with this API key. Create one with PUT /_mock/accounts/{apiKey}.");
        return;
    }
    /* Reading changes nothing but lazily settled work, so that a state
     * file (persist.c) needs no record of it. */
    int64_t now = store_tenant_now(req->store, acct, req->now_ms); /* its own clock */
    store_settle(req->store, acct, now);
    reply_ok(reply, req, handler_account_json(acct, now), charge_free(NULL, "Control endpoints are free."));
}

/* Reads an optional non-negative integer field of the body (-1: absent). */
static int read_amount(const mock_request *req, mock_reply *reply, const char *field, int64_t *out)
{
    json_t *value = json_object_get(req->body, field);
    *out = -1;
    if (value == NULL)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < 0) {
        reply_error(reply, 400, "%s: expected a non-negative integer.", field);
        return -1;
    }
    *out = json_integer_value(value);
    return 0;
}

void handle_mock_account_put(const mock_request *req, mock_reply *reply)
{
    static const char *const fields[] = {"credits", "exportQuota", "exportRowsUsed", NULL};
    const mock_context_options *options = &req->ctx->options;
    if (store_key_is_live(req->param)) {
        reply_error(reply, 400, "apiKey in the path: \"sk_live_...\" is a live key; descovo-mock is a simulator and "
                    "never takes live keys. Use a test key (sk_test_...).");
        return;
    }
    account_update update = {
        .default_credits = options->default_credits,
        .default_export_quota = options->default_export_quota,
        .by = LEDGER_BY_ACCOUNT_PUT,
    };
    if (read_amount(req, reply, "credits", &update.credits) != 0 ||
        read_amount(req, reply, "exportQuota", &update.export_quota) != 0 ||
        read_amount(req, reply, "exportRowsUsed", &update.export_rows_used) != 0)
        return;
    request_warn_unknown_fields(req, fields);
    account *acct = store_update_account(req->store, req->param, &update, req->now_ms);
    if (acct == NULL) {
        if (errno == ENOSPC)
            reply_error(reply, 403, "Account limit reached: the server holds %d API keys.", STORE_MAX_ACCOUNTS);
        return; /* out of memory: the dispatcher answers 500 */
    }
    reply_ok(reply, req, handler_account_json(acct, store_tenant_now(req->store, acct, req->now_ms)),
             charge_free(NULL, "Control endpoints are free."));
}

/* --- faults --------------------------------------------------------------- */

void handle_mock_faults_list(const mock_request *req, mock_reply *reply)
{
    reply_ok(reply, req, faults_list(req->ctx->faults), charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_faults_add(const mock_request *req, mock_reply *reply)
{
    char err[256];
    json_t *rule = faults_add(req->ctx->faults, req->body, err, sizeof err);
    if (rule == NULL) {
        reply_error(reply, 400, "%s", err);
        return;
    }
    reply_ok(reply, req, rule, charge_free(NULL, "Control endpoints are free."));
}

/* Fault rules are not in the state file: a replayed deletion replays only
 * what it did to the store, the release of the builds the rules held. */
void handle_mock_faults_clear(const mock_request *req, mock_reply *reply)
{
    if (!req->replaying)
        faults_clear(req->ctx->faults);
    store_release_holds(req->store, 0, req->now_ms);
    reply_ok(reply, req, json_pack("{s:b}", "cleared", 1), charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_fault_delete(const mock_request *req, mock_reply *reply)
{
    char *end = NULL;
    errno = 0;
    unsigned long long id = strtoull(req->param, &end, 10);
    if (errno != 0 || end == req->param || *end != '\0' || id == 0 ||
        (!req->replaying && faults_remove(req->ctx->faults, (uint64_t)id) != 0)) {
        reply_error(reply, 404, "No fault rule with id \"%s\". GET /_mock/faults lists them.", req->param);
        return;
    }
    /* Deleting a hold rule releases what it held. */
    store_release_holds(req->store, (uint64_t)id, req->now_ms);
    reply_ok(reply, req, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1),
             charge_free(NULL, "Control endpoints are free."));
}

/* --- journal -------------------------------------------------------------- */

static journal *journal_or_error(const mock_request *req, mock_reply *reply)
{
    journal *j = req->ctx->journal;
    if (j == NULL)
        reply_error(reply, 400, "The request journal is off (--journal-size 0).");
    return j;
}

/* Reads ?since= as milliseconds since the epoch or an ISO 8601 UTC time. */
static int parse_since(const char *text, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long ms = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0' && ms >= 0) {
        *out = ms;
        return 0;
    }
    struct tm tm = {0};
    int millis = 0;
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    const char *rest = text + n;
    if (*rest == '.') {
        int digits = 0;
        if (sscanf(rest, ".%3d%n", &millis, &digits) != 1)
            return -1;
        rest += digits;
    }
    if (strcmp(rest, "Z") != 0 && *rest != '\0')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm) * 1000 + millis;
    return 0;
}

/* The control plane names a key in its paths (/_mock/accounts/{apiKey}/...):
 * the journal shows it masked, as it shows every key. Paths are the route
 * table's business, so this is done here, not in the journal. */
static void mask_account_paths(json_t *entries)
{
    static const char prefix[] = "/_mock/accounts/";
    size_t i;
    json_t *entry;
    json_array_foreach(entries, i, entry) {
        const char *path = json_string_value(json_object_get(entry, "path"));
        if (path == NULL || strncmp(path, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *key = path + sizeof prefix - 1;
        size_t n = strcspn(key, "/");
        char raw[API_MAX_PATH_PARAM + 1];
        char masked[32];
        if (n == 0 || n > API_MAX_PATH_PARAM)
            continue;
        memcpy(raw, key, n);
        raw[n] = '\0';
        keys_mask(raw, masked);
        char out[320]; /* journal paths are cut to 255 bytes */
        int len = snprintf(out, sizeof out, "%s%s%s", prefix, masked, key + n);
        if (len < 0 || (size_t)len >= sizeof out)
            continue;
        json_object_set_new(entry, "path", json_string(out));
    }
}

void handle_mock_requests(const mock_request *req, mock_reply *reply)
{
    journal *j = journal_or_error(req, reply);
    if (j == NULL)
        return;
    journal_filter filter = {
        .method = req->query(req, "method"),
        .path = req->query(req, "path"),
        .status = -1,
    };
    if (filter.path != NULL && strlen(filter.path) > GLOB_MAX_PATTERN) {
        reply_error(reply, 400, "path: expected a pattern of at most %d characters, got %zu.", GLOB_MAX_PATTERN,
                    strlen(filter.path));
        return;
    }
    char masked[32];
    const char *key = req->query(req, "apiKey");
    if (key != NULL && strstr(key, "***") != NULL) {
        /* Already masked, as the journal shows keys: compare as given. */
        filter.masked_key = key;
    } else if (key != NULL) {
        keys_mask(key, masked);
        filter.masked_key = masked;
        /* A whole key names its own entries exactly; a masked one ("sk_test_***ev")
         * those of every key that masks the same. */
        filter.key_id = strstr(key, "***") == NULL ? keys_id(key) : 0;
    }
    const char *status = req->query(req, "status");
    const char *since = req->query(req, "since");
    const char *limit = req->query(req, "limit");
    const char *before = req->query(req, "before");
    const char *bodies = req->query(req, "bodies");
    char *end = NULL;
    if (before != NULL) {
        errno = 0;
        unsigned long long seq = strtoull(before, &end, 10);
        if (errno != 0 || end == before || *end != '\0' || before[0] == '-' || seq == 0) {
            reply_error(reply, 400, "before: expected the seq of a journal entry (a positive integer), got \"%s\".", before);
            return;
        }
        filter.before_seq = (uint64_t)seq;
    }
    if (bodies != NULL) {
        if (strcmp(bodies, "false") != 0 && strcmp(bodies, "true") != 0) {
            reply_error(reply, 400, "bodies: expected true or false, got \"%s\".", bodies);
            return;
        }
        filter.no_bodies = strcmp(bodies, "false") == 0;
    }
    if (status != NULL) {
        long code = strtol(status, &end, 10);
        if (end == status || *end != '\0' || code < 0 || code > 599) {
            reply_error(reply, 400, "status: expected an HTTP status such as 429 (0 for dropped connections), got \"%s\".", status);
            return;
        }
        filter.status = (int)code;
    }
    if (since != NULL && parse_since(since, &filter.since_ms) != 0) {
        reply_error(reply, 400, "since: expected milliseconds since 1970 or an ISO 8601 UTC time such as "
                    "2025-01-01T00:00:00.000Z, got \"%s\".", since);
        return;
    }
    if (limit != NULL) {
        long n = strtol(limit, &end, 10);
        if (end == limit || *end != '\0' || n < 1) {
            reply_error(reply, 400, "limit: expected a positive integer, got \"%s\".", limit);
            return;
        }
        filter.limit = (size_t)n;
    }
    json_t *output = journal_query(j, &filter);
    if (output == NULL)
        return; /* out of memory: the dispatcher answers 500 */
    mask_account_paths(json_object_get(output, "entries"));
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_requests_clear(const mock_request *req, mock_reply *reply)
{
    journal *j = journal_or_error(req, reply);
    if (j == NULL)
        return;
    journal_clear(j);
    reply_ok(reply, req, json_pack("{s:b}", "cleared", 1), charge_free(NULL, "Control endpoints are free."));
}

/* --- outbox --------------------------------------------------------------- */

void handle_mock_outbox(const mock_request *req, mock_reply *reply)
{
    const char *key = req->query(req, "apiKey");
    account *owner = key != NULL ? store_find_account(req->store, key) : NULL;
    if (key != NULL && owner == NULL) {
        reply_ok(reply, req, json_pack("{s:i, s:[]}", "count", 0, "messages"), charge_free(NULL, "Control endpoints are free."));
        return;
    }
    /* The e-mail of work that finished by now is sent by then: settle the
     * key asked for, or every key with work under way, on its own clock. */
    if (owner != NULL) {
        store_settle(req->store, owner, store_tenant_now(req->store, owner, req->now_ms));
    } else {
        account **list = NULL;
        long n = store_list_accounts(req->store, &list);
        for (long i = 0; i < n; i++) {
            if (list[i]->n_pending > 0)
                store_settle(req->store, list[i], store_tenant_now(req->store, list[i], req->now_ms));
        }
        free(list);
    }
    reply_ok(reply, req, store_outbox_json(req->store, req->query(req, "to"), owner),
             charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_outbox_clear(const mock_request *req, mock_reply *reply)
{
    store_outbox_clear(req->store);
    reply_ok(reply, req, json_pack("{s:b}", "cleared", 1), charge_free(NULL, "Control endpoints are free."));
}

/* --- scenarios ------------------------------------------------------------ */

void handle_mock_scenarios(const mock_request *req, mock_reply *reply)
{
    reply_ok(reply, req, json_pack("{s:o}", "scenarios", scenario_builtin_list()),
             charge_free(NULL, "Control endpoints are free."));
}

/* Body: a scenario object, or {"name": "rate-limited"} for a built-in one.
 * Runs without the store lock (ROUTE_UNLOCKED): scenario_apply locks. */
void handle_mock_scenario_load(const mock_request *req, mock_reply *reply)
{
    const char *unknown = NULL;
    json_t *scenario = scenario_from_body(req->body, &unknown);
    if (scenario == NULL) {
        reply_error(reply, 404, "No built-in scenario \"%s\". GET /_mock/scenarios lists them.", unknown);
        return;
    }
    char err[256];
    json_t *summary = scenario_apply(req->ctx, scenario, req->replaying ? SCENARIO_STORE_ONLY : SCENARIO_WHOLE,
                                     err, sizeof err);
    json_decref(scenario);
    if (summary == NULL) {
        reply_error(reply, 400, "%s", err);
        return;
    }
    reply_ok(reply, req, summary, charge_free(NULL, "Control endpoints are free."));
}
