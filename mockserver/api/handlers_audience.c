/* Steps 1-4 (create, search-params, build, status) and the audience
 * endpoints of the API family (list, archive, companies and prospects pages,
 * credits). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/clock.h"
#include "api/handlers.h"
#include "text/jsonw.h"

/* Most items in one page of companies or prospects (the spec's maximum). */
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX 500

audience *handler_audience(const mock_request *req, mock_reply *reply)
{
    audience *aud = store_find_audience(req->store, req->account, req->param);
    if (aud == NULL)
        reply_error(reply, 404, "Audience not found: no audience with id \"%s\" for this API key. "
                    "Check the audienceId, or create a new audience.", req->param);
    return aud;
}

/* The status an audience shows now: stored status, or a build stage. */
static audience_status current_status(const mock_request *req, const audience *aud)
{
    return store_audience_status(req->store, req->account, aud, req->now_ms);
}

static const char *method_name(creation_method method)
{
    return method == CREATION_START_FROM_PROSPECTS ? "START_FROM_PROSPECTS" : "NORMAL";
}

static const char *const create_fields[] = {"apiKey", "name", "creationMethod", NULL};

void handle_create(const mock_request *req, mock_reply *reply)
{
    request_warn_unknown_fields(req, create_fields);
    const char *name = NULL;
    const char *method_text = NULL;
    if (body_string(req, reply, "name", API_MAX_NAME_CHARS, &name) != 0 ||
        body_string(req, reply, "creationMethod", 64, &method_text) != 0)
        return;
    if (name == NULL || name[0] == '\0') {
        reply_error(reply, 400, "name: required, a string of 1 to %d characters, e.g. \"AI VPs in US\".", API_MAX_NAME_CHARS);
        return;
    }
    creation_method method = CREATION_NORMAL;
    if (method_text != NULL && strcmp(method_text, "START_FROM_PROSPECTS") == 0) {
        method = CREATION_START_FROM_PROSPECTS;
    } else if (method_text != NULL && strcmp(method_text, "NORMAL") != 0) {
        reply_error(reply, 400, "creationMethod: expected \"NORMAL\" or \"START_FROM_PROSPECTS\", got \"%s\".", method_text);
        return;
    }
    audience *aud = store_create_audience(req->store, req->account, name, method, req->now_ms);
    if (aud == NULL) {
        if (errno == ENOSPC)
            reply_error(reply, 403, "Audience limit reached: this API key holds %d audiences (archived ones included).",
                        STORE_MAX_AUDIENCES_PER_KEY);
        return; /* out of memory: the dispatcher answers 500 */
    }
    char created[32];
    mock_time_format(aud->created_ms, created);
    const char *method_text_out = method_name(method);
    /* Text rather than a jansson tree: the first request of every workflow. */
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"audienceId\":");
    jsonw_string(t, aud->id, strlen(aud->id));
    strbuf_put_literal(t, ",\"name\":");
    jsonw_string(t, aud->name, strlen(aud->name));
    strbuf_put_literal(t, ",\"status\":\"DRAFT\",\"creationMethod\":");
    jsonw_string(t, method_text_out, strlen(method_text_out));
    strbuf_put_literal(t, ",\"audienceSearchLogicId\":");
    jsonw_string(t, aud->search_logic_id, strlen(aud->search_logic_id));
    strbuf_put_literal(t, ",\"createdAt\":");
    jsonw_string(t, created, strlen(created));
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(req->account, "Creating an audience is free."));
}

static const char *const search_params_fields[] = {
    "apiKey", "companySearchParams", "prospectSearchParams", "maxCompanies", "maxProspects", NULL};

/* Checks a params field is absent, null or an object. */
static int params_object(const mock_request *req, mock_reply *reply, const char *field, json_t **out)
{
    json_t *value = json_object_get(req->body, field);
    *out = NULL;
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_object(value)) {
        reply_error(reply, 400, "%s: expected an object of filters or null.", field);
        return -1;
    }
    *out = value;
    return 0;
}

/* A JSON value, or null for NULL (json_pack's "O?"). */
static void write_or_null(strbuf *t, const json_t *value)
{
    if (value == NULL)
        strbuf_put_literal(t, "null");
    else if (jsonw_write(value, t) != 0)
        t->oom = 1;
}

/* A build cap: the number, or null when not set (0). */
static void write_cap(strbuf *t, uint32_t cap)
{
    if (cap == 0)
        strbuf_put_literal(t, "null");
    else
        jsonw_integer(t, (long long)cap);
}

void handle_search_params(const mock_request *req, mock_reply *reply)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    audience_status status = current_status(req, aud);
    if (status != AUDIENCE_DRAFT) {
        reply_error(reply, 400, "Search params can only be set while the audience is DRAFT; it is %s. "
                    "Create a new audience for new filters.", audience_status_name(status));
        return;
    }
    request_warn_unknown_fields(req, search_params_fields);
    json_t *company = NULL;
    json_t *prospect = NULL;
    uint32_t max_companies = 0;
    uint32_t max_prospects = 0;
    if (params_object(req, reply, "companySearchParams", &company) != 0 ||
        params_object(req, reply, "prospectSearchParams", &prospect) != 0 ||
        body_positive_int(req, reply, "maxCompanies", API_MAX_BUILD_CAP, &max_companies) != 0 ||
        body_positive_int(req, reply, "maxProspects", API_MAX_BUILD_CAP, &max_prospects) != 0)
        return;
    char err[512];
    audience_filters *filters = NULL;
    if (filters_compile(company, prospect, aud->method, req->warnings, &filters, err, sizeof err) != 0) {
        reply_error(reply, 400, "%s", err);
        return;
    }
    store_set_search_params(req->store, aud, filters, company, prospect, max_companies, max_prospects);
    /* Text around the echoed filters rather than a tree holding them. */
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"audienceId\":");
    jsonw_string(t, aud->id, strlen(aud->id));
    strbuf_put_literal(t, ",\"status\":\"DRAFT\",\"companySearchParams\":");
    write_or_null(t, aud->company_params);
    strbuf_put_literal(t, ",\"prospectSearchParams\":");
    write_or_null(t, aud->prospect_params);
    strbuf_put_literal(t, ",\"maxCompanies\":");
    write_cap(t, max_companies);
    strbuf_put_literal(t, ",\"maxProspects\":");
    write_cap(t, max_prospects);
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(req->account, "Setting search params is free."));
}

/* Why a build cannot start now, or NULL when it can. */
static const char *build_refusal(audience_status status, char *buf, size_t size)
{
    switch (status) {
    case AUDIENCE_DRAFT:
        return NULL;
    case AUDIENCE_NORMAL:
        return "Audience is already NORMAL (built). Create a new audience for new filters.";
    case AUDIENCE_FAILED:
        return "Audience is FAILED. Create a new audience and build it again.";
    default:
        snprintf(buf, size, "Audience is already %s: a build is in progress. Poll GET /v1/audiences/{id} instead.",
                 audience_status_name(status));
        return buf;
    }
}

static const char *const build_fields[] = {"apiKey", NULL};

void handle_build(const mock_request *req, mock_reply *reply)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    char buf[160];
    const char *refusal = build_refusal(current_status(req, aud), buf, sizeof buf);
    if (refusal != NULL) {
        reply_error(reply, 400, "%s", refusal);
        return;
    }
    if (aud->filters == NULL || filters_is_empty(aud->filters)) {
        reply_error(reply, 400, "Audience is DRAFT with no search filters set. "
                    "Set filters with PATCH /v1/audiences/{id}/search-params before building.");
        return;
    }
    if (req->account->credits <= 0) {
        reply_out_of_credits(reply, req->account, 1, "a build (1 credit per company and per prospect found)");
        return;
    }
    request_warn_unknown_fields(req, build_fields);
    store_build_faults faults = {0};
    if (req->fault != NULL && req->fault->type == FAULT_FAIL_BUILD)
        faults.fail = 1;
    if (req->fault != NULL && req->fault->type == FAULT_HOLD) {
        faults.hold_rule = req->fault->rule_id;
        faults.hold_status = req->fault->hold_status;
    }
    store_begin_build(req->store, aud, req->now_ms, &faults);
    /* The build takes effect now: log it before the lock goes, so that a
     * change made while the filters run comes after it in the log. */
    request_took_effect(req);

    /* Run the filters without the lock: the audience is BUILDING, so its
     * filters cannot change. A reset of its tenant may drop the audience
     * meanwhile (it does not wait for the build: other tenants' requests
     * would wait with it), so the build holds filters of its own and finds
     * the audience again by id (store_finish_build, store_fail_build). */
    char id[sizeof aud->id];
    memcpy(id, aud->id, sizeof id);
    audience_filters *filters = filters_retain(aud->filters);
    creation_method method = aud->method;
    uint32_t max_companies = aud->max_companies ? aud->max_companies : STORE_BUILD_CAP;
    uint32_t max_prospects = aud->max_prospects ? aud->max_prospects : STORE_BUILD_CAP;
    account *acct = req->account;
    store_filters_begin(req->store, acct);
    store_unlock(req->store);
    if (!req->replaying)
        store_filters_running(req->store, id);
    build_result result = {0};
    pricing_index pricing = {0};
    int rc = filters_run(filters, store_dataset(req->store), method, max_companies, max_prospects, &result);
    /* Out of memory for the index only makes estimates scan. */
    if (rc == 0)
        (void)pricing_index_build(store_dataset(req->store), result.prospects, result.n_prospects, &pricing);
    filters_free(filters);
    store_lock(req->store);
    store_filters_end(req->store, acct);
    if (rc != 0) {
        store_fail_build(req->store, acct, id, req->now_ms);
        reply_error(reply, 500, "Internal error: out of memory while building; the audience is FAILED.");
        return;
    }
    store_finish_build(req->store, id, &result, &pricing);
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"audienceId\":");
    jsonw_string(t, id, strlen(id));
    strbuf_put_literal(t, ",\"status\":\"BUILDING\","
                       "\"message\":\"Build started. Poll GET /v1/audiences/{id} until status is NORMAL.\"}");
    reply_text_end(reply, req,
                   charge_later(acct, "1 credit per company and 1 per prospect found, charged when the build completes."));
}

/* Writes an audience as JSON text: the status endpoint's output, or (in_list)
 * an item of the list, without the build times and with counts as numbers
 * (0 until built). One writer for both, in the order the public spec lists
 * the fields; text rather than a jansson tree because status is the most
 * polled endpoint. */
/* A timestamp; its text needs no escaping. */
static void write_time(strbuf *t, int64_t ms)
{
    char text[32];
    mock_time_format(ms, text);
    jsonw_plain(t, text, MOCK_TIME_TEXT_LEN);
}

/* A build time, or null for 0 (not yet). */
static void write_build_time(strbuf *t, int64_t ms)
{
    if (ms == 0)
        strbuf_put_literal(t, "null");
    else
        write_time(t, ms);
}

static void write_audience(strbuf *t, const mock_request *req, const audience *aud, int in_list)
{
    const char *status = audience_status_name(current_status(req, aud));
    const char *method = method_name(aud->method);
    strbuf_put_literal(t, "{\"audienceId\":");
    jsonw_string(t, aud->id, strlen(aud->id));
    strbuf_put_literal(t, ",\"name\":");
    jsonw_string(t, aud->name, strlen(aud->name));
    /* Names and timestamps need no escaping; no printf: this runs on
     * every status poll. */
    strbuf_put_literal(t, ",\"status\":");
    jsonw_plain(t, status, strlen(status));
    strbuf_put_literal(t, ",\"creationMethod\":");
    jsonw_plain(t, method, strlen(method));
    strbuf_put_literal(t, ",\"createdAt\":");
    write_time(t, aud->created_ms);
    if (!in_list) {
        strbuf_put_literal(t, ",\"buildingStartedAt\":");
        write_build_time(t, aud->build_started_ms);
        strbuf_put_literal(t, ",\"buildingFinishedAt\":");
        write_build_time(t, aud->build_finished_ms);
    }
    int built = aud->status == AUDIENCE_NORMAL;
    if (built || in_list) {
        strbuf_put_literal(t, ",\"companiesCount\":");
        jsonw_integer(t, built ? (long long)aud->result.n_companies : 0);
        strbuf_put_literal(t, ",\"prospectsCount\":");
        jsonw_integer(t, built ? (long long)aud->result.n_prospects : 0);
    } else {
        strbuf_put_literal(t, ",\"companiesCount\":null,\"prospectsCount\":null");
    }
    strbuf_putc(t, '}');
}

void handle_status(const mock_request *req, mock_reply *reply)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    write_audience(reply_text_begin(reply), req, aud, 0);
    reply_text_end(reply, req, charge_free(req->account, "Checking status is free."));
}

void handle_credits(const mock_request *req, mock_reply *reply)
{
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"credits\":");
    jsonw_integer(t, req->account->credits);
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(req->account, "Checking credits is free."));
}

void handle_list(const mock_request *req, mock_reply *reply)
{
    strbuf *t = reply_text_begin(reply);
    size_t total = 0;
    const account *acct = req->account;
    strbuf_put_literal(t, "{\"audiences\":[");
    for (size_t i = 0; i < acct->n_audiences; i++) {
        const audience *aud = acct->audiences[i];
        if (aud->archived)
            continue;
        if (total++ > 0)
            strbuf_putc(t, ',');
        write_audience(t, req, aud, 1);
    }
    strbuf_printf(t, "],\"totalCount\":%zu}", total);
    reply_text_end(reply, req, charge_free(req->account, "Listing audiences is free."));
}

void handle_archive(const mock_request *req, mock_reply *reply)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    if (store_archive_audience(req->store, aud) != 0) {
        reply_error(reply, 400, "Audience is %s: it cannot be archived while building. "
                    "Poll GET /v1/audiences/{id} and archive it once NORMAL or FAILED.",
                    audience_status_name(current_status(req, aud)));
        return;
    }
    json_t *output = json_pack("{s:s, s:b}", "audienceId", aud->id, "archived", 1);
    reply_ok(reply, req, output, charge_free(req->account, "Archiving is free."));
}

/* Reads pageSize and cursor. The cursor is the decimal offset of the next
 * item: opaque to clients, stable because a built audience never changes. */
static int page_window(const mock_request *req, mock_reply *reply, size_t total,
                       size_t *offset, size_t *size)
{
    const char *size_text = req->query(req, "pageSize");
    const char *cursor = req->query(req, "cursor");
    *size = PAGE_SIZE_DEFAULT;
    *offset = 0;
    if (size_text != NULL) {
        char *end = NULL;
        errno = 0;
        long n = strtol(size_text, &end, 10);
        if (errno != 0 || end == size_text || *end != '\0' || n < 1 || n > PAGE_SIZE_MAX) {
            reply_error(reply, 400, "pageSize: expected an integer from 1 to %d, got \"%s\".", PAGE_SIZE_MAX, size_text);
            return -1;
        }
        *size = (size_t)n;
    }
    if (cursor != NULL && cursor[0] != '\0') {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cursor + (strncmp(cursor, "c_", 2) == 0 ? 2 : 0), &end, 10);
        if (strncmp(cursor, "c_", 2) != 0 || errno != 0 || *end != '\0' || n > total) {
            reply_error(reply, 400, "cursor: \"%s\" is not a cursor of this audience; pass the nextCursor of the previous page.", cursor);
            return -1;
        }
        *offset = (size_t)n;
    }
    return 0;
}

typedef json_t *(*item_fn)(const dataset *ds, uint32_t index);

static void handle_page(const mock_request *req, mock_reply *reply, int prospects)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    audience_status status = current_status(req, aud);
    if (status != AUDIENCE_NORMAL) {
        reply_error(reply, 400, "Audience is %s: its %s can be listed once it is NORMAL. %s", audience_status_name(status),
                    prospects ? "prospects" : "companies",
                    status == AUDIENCE_DRAFT ? "Set filters and build it first." : "Poll GET /v1/audiences/{id}.");
        return;
    }
    const uint32_t *ids = prospects ? aud->result.prospects : aud->result.companies;
    size_t total = prospects ? aud->result.n_prospects : aud->result.n_companies;
    item_fn item = prospects ? ds_prospect_item : ds_company_item;
    size_t offset = 0;
    size_t size = 0;
    if (page_window(req, reply, total, &offset, &size) != 0)
        return;
    size_t end = offset + size < total ? offset + size : total;
    json_t *items = json_array();
    const dataset *ds = store_dataset(req->store);
    for (size_t i = offset; i < end; i++)
        json_array_append_new(items, item(ds, ids[i]));
    char next[32];
    snprintf(next, sizeof next, "c_%zu", end);
    json_t *output = json_pack("{s:s, s:o, s:I, s:o, s:b}", "audienceId", aud->id,
                               prospects ? "prospects" : "companies", items,
                               "totalCount", (json_int_t)total,
                               "nextCursor", end < total ? json_string(next) : json_null(),
                               "hasMore", end < total);
    reply_ok(reply, req, output, charge_free(req->account, "Listing audience records is free."));
}

void handle_companies_page(const mock_request *req, mock_reply *reply)
{
    handle_page(req, reply, 0);
}

void handle_prospects_page(const mock_request *req, mock_reply *reply)
{
    handle_page(req, reply, 1);
}
