/* fleet_workflow: one tenant's requests, and what it reads from the
 * answers (see fleet_workflow.h). */
#include "fleet_workflow.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text/jsonr.h"

const char *const fw_endpoint_names[FW_COUNT] = {
    "POST create", "PATCH search-params", "POST build", "POST clock/advance", "GET status",
    "POST estimate", "POST enrich", "GET enrichment/status", "POST export/companies",
    "POST export/prospects", "GET download companies", "GET download prospects",
    "POST reset", "PUT account (setup)", "GET credits",
};

/* What each floor answer stands for: the fields the real run reads from
 * that endpoint's answer, with the values it waits for. The exports' "%s"
 * is the base URL (the mock's links are absolute). */
static const char *const floor_answer_text[FW_COUNT] = {
    [FW_CREATE] = "{\"output\":{\"audienceId\":\"" FW_FLOOR_AUDIENCE "\"}}",
    [FW_STATUS] = "{\"output\":{\"status\":\"NORMAL\",\"companiesCount\":0,\"prospectsCount\":0}}",
    [FW_ESTIMATE] = "{\"output\":{\"totalCredits\":0}}",
    [FW_ENRICH] = "{\"output\":{},\"chargeInfo\":{\"creditsCharged\":0}}",
    [FW_ENRICH_STATUS] = "{\"output\":{\"currentStage\":\"DONE\"}}",
    [FW_EXPORT_COMPANIES] = "{\"output\":{\"downloadUrl\":\"%s" FW_FLOOR_COMPANIES_CSV "\"}}",
    [FW_EXPORT_PROSPECTS] = "{\"output\":{\"downloadUrl\":\"%s" FW_FLOOR_PROSPECTS_CSV "\"}}",
    [FW_CREDITS] = "{\"output\":{\"credits\":0}}",
};

int fw_tenant_init(fw_tenant *t, const fw_options *o, int index, fw_send_fn send, void *send_ctx)
{
    memset(t, 0, sizeof *t);
    t->options = o;
    t->index = index;
    t->send = send;
    t->send_ctx = send_ctx;
    for (int e = 0; e < FW_COUNT && o->floor; e++) {
        char text[512];
        const char *fmt = floor_answer_text[e] != NULL ? floor_answer_text[e] : "{\"output\":{}}";
        int n = snprintf(text, sizeof text, fmt, o->url);
        if (n < 0 || (size_t)n >= sizeof text)
            return -1;
        t->floor_answer[e] = json_loads(text, 0, NULL);
        if (t->floor_answer[e] == NULL)
            return -1;
    }
    return 0;
}

void fw_tenant_free(fw_tenant *t)
{
    if (t == NULL)
        return;
    for (int e = 0; e < FW_COUNT; e++) {
        json_decref(t->floor_answer[e]);
        t->floor_answer[e] = NULL;
    }
}

static void note_error(fw_tenant *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_error(fw_tenant *t, const char *fmt, ...)
{
    t->errors++;
    if (t->n_error_texts == FW_MAX_ERROR_TEXTS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error_text[t->n_error_texts++], sizeof t->error_text[0], fmt, ap);
    va_end(ap);
}

/* One request to the server. Returns the parsed answer (new reference)
 * when it is a 200 with a JSON body, or NULL after counting an error. For
 * CSV downloads (json 0) returns json_true() on a 200 with a body. In the
 * floor mode any 2xx will do, and the answer returned is the floor's. */
static json_t *call(fw_tenant *t, fw_endpoint ep, const char *method, const char *url, const char *body, int json)
{
    fw_reply r = {0};
    char err[256];
    if (t->send(t->send_ctx, ep, method, url, body, &r, err, sizeof err) != 0) {
        note_error(t, "%s %s: %s", method, url, err);
        return NULL;
    }
    if (t->options->floor) {
        if (r.status < 200 || r.status > 299) {
            note_error(t, "%s %s: %ld %.160s", method, url, r.status, r.body);
            return NULL;
        }
        return json ? json_incref(t->floor_answer[ep]) : json_true();
    }
    if (r.status != 200) {
        note_error(t, "%s %s: %ld %.160s", method, url, r.status, r.body);
        return NULL;
    }
    if (!json) {
        if (r.len > 0)
            return json_true();
        note_error(t, "%s %s: empty body", method, url);
        return NULL;
    }
    /* jsonr builds json_loadb's tree without its character-at-a-time
     * reading (most of the generator's instructions); whatever it does
     * not read, jansson does. */
    json_t *answer = jsonr_object(r.body, r.len, JSONR_MAX_DEPTH);
    if (answer == NULL)
        answer = json_loadb(r.body, r.len, 0, NULL);
    if (answer == NULL)
        note_error(t, "%s %s: the answer is not JSON", method, url);
    return answer;
}

static json_t *output_of(json_t *answer)
{
    return json_object_get(answer, "output");
}

static const char *out_str(json_t *answer, const char *field)
{
    return json_string_value(json_object_get(output_of(answer), field));
}

static int64_t out_int(json_t *answer, const char *field)
{
    return (int64_t)json_integer_value(json_object_get(output_of(answer), field));
}

static void next_key(fw_tenant *t)
{
    snprintf(t->key, sizeof t->key, "%s%d_%d", t->options->prefix, t->index, t->generation++);
}

/* Moves the tenant's clock (or the server's) forward. Returns 0 or -1. */
static int advance(fw_tenant *t, int seconds)
{
    char url[512], body[64];
    if (t->options->global_clock)
        snprintf(url, sizeof url, "%s/_mock/clock/advance", t->options->url);
    else
        snprintf(url, sizeof url, "%s/_mock/accounts/%s/clock/advance", t->options->url, t->key);
    snprintf(body, sizeof body, "{\"seconds\":%d}", seconds);
    json_t *a = call(t, FW_ADVANCE, "POST", url, body, 1);
    json_decref(a);
    return a != NULL ? 0 : -1;
}

/* Reads the balance into start_credits and zeroes what was charged. */
static int read_start_balance(fw_tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/credits?apiKey=%s", t->options->url, t->key);
    json_t *a = call(t, FW_CREDITS, "GET", url, NULL, 1);
    if (a == NULL)
        return -1;
    t->start_credits = out_int(a, "credits");
    t->charged = 0;
    json_decref(a);
    return 0;
}

/* Compares the balance with what the answers charged since the start
 * (the floor sends the GET and compares nothing). */
static void check_balance(fw_tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/credits?apiKey=%s", t->options->url, t->key);
    json_t *a = call(t, FW_CREDITS, "GET", url, NULL, 1);
    if (a == NULL || t->options->floor) {
        json_decref(a);
        return;
    }
    int64_t credits = out_int(a, "credits");
    t->checked++;
    if (credits == t->start_credits - t->charged) {
        t->exact++;
    } else {
        note_error(t, "%s: balance %" PRId64 ", expected %" PRId64 " - %" PRId64 " = %" PRId64, t->key,
                   credits, t->start_credits, t->charged, t->start_credits - t->charged);
    }
    json_decref(a);
}

static int setup_key(fw_tenant *t)
{
    if (t->options->setup_put) {
        char url[512];
        snprintf(url, sizeof url, "%s/_mock/accounts/%s", t->options->url, t->key);
        json_t *a = call(t, FW_SETUP, "PUT", url, "{\"credits\":1000000000,\"exportQuota\":1000000000}", 1);
        if (a == NULL)
            return -1;
        json_decref(a);
    }
    return read_start_balance(t);
}

static int reset_tenant(fw_tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/_mock/accounts/%s/reset", t->options->url, t->key);
    json_t *a = call(t, FW_RESET, "POST", url, "{}", 1);
    if (a == NULL)
        return -1;
    json_decref(a);
    return read_start_balance(t);
}

/* Advances the tenant's clock by step_s and GETs url until field is done,
 * at most 20 times. Returns that answer (the caller's), or NULL when the
 * field is missing, says FAILED or never says done (an error noted). */
static json_t *poll_until(fw_tenant *t, fw_endpoint ep, const char *url, int step_s,
                          const char *field, const char *done, const char *what)
{
    for (int i = 0; i < 20; i++) {
        if (advance(t, step_s) != 0)
            return NULL;
        json_t *a = call(t, ep, "GET", url, NULL, 1);
        if (a == NULL)
            return NULL;
        const char *value = out_str(a, field);
        if (value != NULL && strcmp(value, done) == 0)
            return a;
        int failed = value == NULL || strcmp(value, "FAILED") == 0;
        json_decref(a);
        if (failed) {
            note_error(t, "%s: %s FAILED or no %s", what, field, field);
            return NULL;
        }
    }
    note_error(t, "%s: %s never %s", what, field, done);
    return NULL;
}

/* Polls until the audience is NORMAL; returns its build cost, or -1. */
static int64_t wait_built(fw_tenant *t, const char *id)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/audiences/%s?apiKey=%s", t->options->url, id, t->key);
    json_t *a = poll_until(t, FW_STATUS, url, 130, "status", "NORMAL", id);
    if (a == NULL)
        return -1;
    int64_t cost = out_int(a, "companiesCount") + out_int(a, "prospectsCount");
    json_decref(a);
    return cost;
}

static int wait_enriched(fw_tenant *t, const char *id)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrichment/status?apiKey=%s", t->options->url, id, t->key);
    json_t *a = poll_until(t, FW_ENRICH_STATUS, url, 600, "currentStage", "DONE", id);
    if (a == NULL)
        return -1;
    json_decref(a);
    return 0;
}

/* Requests an export and downloads it. */
static int export_and_download(fw_tenant *t, const char *id, int companies)
{
    char url[512], body[256];
    snprintf(url, sizeof url, "%s/v1/audiences/%s/export/%s", t->options->url, id, companies ? "companies" : "prospects");
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"%s\"}", t->key,
             companies ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV");
    json_t *a = call(t, companies ? FW_EXPORT_COMPANIES : FW_EXPORT_PROSPECTS, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    const char *link = out_str(a, "downloadUrl");
    if (link == NULL) {
        note_error(t, "%s: export without downloadUrl", id);
        json_decref(a);
        return -1;
    }
    snprintf(url, sizeof url, "%s", link);
    json_decref(a);
    json_t *csv = call(t, companies ? FW_DOWNLOAD_COMPANIES : FW_DOWNLOAD_PROSPECTS, "GET", url, NULL, 0);
    json_decref(csv);
    return csv != NULL ? 0 : -1;
}

static const char enrich_fields[] =
    "\"maxProspectsToEnrich\":20,"
    "\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}";

/* One whole workflow. Returns 0, or -1 after an error (counted). */
static int workflow(fw_tenant *t)
{
    const char *base = t->options->url;
    char url[512], body[512], id[64];
    snprintf(url, sizeof url, "%s/v1/audiences/create", base);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"fleet %d\"}", t->key, t->index);
    json_t *a = call(t, FW_CREATE, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    snprintf(id, sizeof id, "%s", out_str(a, "audienceId") != NULL ? out_str(a, "audienceId") : "");
    json_decref(a);

    snprintf(url, sizeof url, "%s/v1/audiences/%s/search-params", base, id);
    snprintf(body, sizeof body,
             "{\"apiKey\":\"%s\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\",\"GB\"],"
             "\"employeeCountV2\":{\"min\":10,\"max\":5000}},"
             "\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":1,\"max\":40}},"
             "\"maxCompanies\":20,\"maxProspects\":40}", t->key);
    a = call(t, FW_FILTERS, "PATCH", url, body, 1);
    if (a == NULL)
        return -1;
    json_decref(a);

    snprintf(url, sizeof url, "%s/v1/audiences/%s/build", base, id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", t->key);
    a = call(t, FW_BUILD, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    json_decref(a);
    int64_t build_cost = wait_built(t, id);
    if (build_cost < 0)
        return -1;
    t->charged += build_cost;

    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",%s}", t->key, enrich_fields);
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrichment/estimate", base, id);
    a = call(t, FW_ESTIMATE, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    int64_t estimate = out_int(a, "totalCredits");
    json_decref(a);
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrich", base, id);
    a = call(t, FW_ENRICH, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    json_t *charged = json_object_get(json_object_get(a, "chargeInfo"), "creditsCharged");
    int64_t cost = json_is_integer(charged) ? (int64_t)json_integer_value(charged) : -1;
    json_decref(a);
    if (cost != estimate) {
        note_error(t, "%s: enrich charged %" PRId64 ", the estimate said %" PRId64, id, cost, estimate);
        return -1;
    }
    t->charged += cost;
    if (wait_enriched(t, id) != 0)
        return -1;
    if (export_and_download(t, id, 1) != 0 || export_and_download(t, id, 0) != 0)
        return -1;
    return 0;
}

int fw_start(fw_tenant *t)
{
    next_key(t);
    return setup_key(t);
}

/* Whether something done every `every` workflows (a reset, a new key) is
 * due after the workflow just done. Real CI jobs do not reset or start
 * with a new key at the same moment, and a fleet whose tenants all start
 * together and run the same workflow would: tenant i is i workflows into
 * its cycle from the start, which spreads them over the cycle. */
static int cycle_due(const fw_tenant *t, int every)
{
    uint64_t n = (uint64_t)every;
    uint64_t phase = t->options->reset_lockstep ? 0 : (uint64_t)t->index % n;
    return (t->workflows + phase) % n == 0;
}

int fw_loop(fw_tenant *t)
{
    const fw_options *o = t->options;
    if (workflow(t) != 0)
        return read_start_balance(t);
    t->workflows++;
    if (o->fresh_keys > 0 && cycle_due(t, o->fresh_keys)) {
        check_balance(t);
        next_key(t);
        return setup_key(t);
    }
    if (o->reset_every > 0 && cycle_due(t, o->reset_every)) {
        check_balance(t);
        return reset_tenant(t);
    }
    return 0;
}

void fw_finish(fw_tenant *t)
{
    check_balance(t);
}
