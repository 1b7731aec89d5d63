/* api: requests, envelope checks, workflow steps and polling. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "descovo.h"

/* Polling bounds on a manual clock: the step, and the most polls before
 * concluding the work never ends (a build takes at most 120 simulated
 * seconds, an enrichment of a tiny audience well under a minute). */
#define MANUAL_BUILD_STEP_S 0.2
#define MANUAL_MAX_POLLS 1500

const field_spec api_create_fields[6] = {
    {"audienceId", F_STRING}, {"name", F_STRING}, {"status", F_STRING},
    {"creationMethod", F_STRING}, {"audienceSearchLogicId", F_STRING}, {"createdAt", F_TIME},
};
const field_spec api_search_params_fields[4] = {
    {"audienceId", F_STRING}, {"status", F_STRING},
    {"companySearchParams", F_OBJECT | F_NULL}, {"prospectSearchParams", F_OBJECT | F_NULL},
};
const field_spec api_build_fields[3] = {
    {"audienceId", F_STRING}, {"status", F_STRING}, {"message", F_STRING},
};
const field_spec api_status_fields[9] = {
    {"audienceId", F_STRING}, {"name", F_STRING}, {"status", F_STRING},
    {"creationMethod", F_STRING}, {"createdAt", F_TIME},
    {"buildingStartedAt", F_TIME | F_NULL}, {"buildingFinishedAt", F_TIME | F_NULL},
    {"companiesCount", F_INT | F_NULL}, {"prospectsCount", F_INT | F_NULL},
};
const field_spec api_estimate_fields[3] = {
    {"totalCredits", F_INT}, {"breakdown", F_OBJECT}, {"timeEstimate", F_OBJECT},
};
const field_spec api_enrich_fields[4] = {
    {"enrichmentId", F_STRING}, {"audienceId", F_STRING}, {"status", F_STRING},
    {"estimatedCredits", F_INT},
};
const field_spec api_enrichment_status_fields[8] = {
    {"enrichmentId", F_STRING}, {"currentStage", F_STRING}, {"progressPercent", F_NUMBER},
    {"stepsCompleted", F_ARRAY}, {"currentStep", F_STRING | F_NULL}, {"stepsRemaining", F_ARRAY},
    {"createdAt", F_TIME}, {"completedAt", F_TIME | F_NULL},
};
const field_spec api_export_fields[3] = {
    {"message", F_STRING}, {"estimatedRows", F_INT}, {"maxRowsAllowed", F_INT},
};
/* The simulator's extensions: required of the mock only. */
const field_spec api_export_mock_fields[3] = {
    {"exportId", F_STRING}, {"downloadUrl", F_STRING}, {"format", F_STRING},
};

static const char *const audience_statuses[] = {
    "DRAFT", "BUILDING", "SAVING_COMPANIES", "SAVING_PROSPECTS",
    "LINKING_PROSPECTS_WITH_COMPANIES", "HEALING_COMPANIES", "NORMAL", "FAILED",
};
static const char *const charge_methods[] = {
    "free", "charging-later", "charged-now", "charged-for-async-process",
};

/* Index of s in list, or -1. */
int api_index_of(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(list[i], s) == 0)
            return (int)i;
    return -1;
}

/* YYYY-MM-DDTHH:MM:SS.mmmZ */
static int is_iso_ms(const char *s)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (s == NULL || strlen(s) != sizeof pattern - 1)
        return 0;
    for (size_t i = 0; pattern[i] != '\0'; i++) {
        if (pattern[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pattern[i])
            return 0;
    }
    return 1;
}

static int has_type(const json_t *v, unsigned types)
{
    if ((types & F_NULL) && json_is_null(v))
        return 1;
    if ((types & F_STRING) && json_is_string(v))
        return 1;
    if ((types & F_TIME) && is_iso_ms(json_string_value(v)))
        return 1;
    if ((types & F_INT) && json_is_integer(v))
        return 1;
    if ((types & F_NUMBER) && json_is_number(v))
        return 1;
    if ((types & F_BOOL) && json_is_boolean(v))
        return 1;
    if ((types & F_OBJECT) && json_is_object(v))
        return 1;
    return (types & F_ARRAY) && json_is_array(v);
}

static const char *type_names(unsigned types, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {F_STRING, "string"}, {F_INT, "integer"}, {F_BOOL, "boolean"}, {F_NULL, "null"},
        {F_OBJECT, "object"}, {F_ARRAY, "array"}, {F_TIME, "ISO 8601 UTC time with ms"},
        {F_NUMBER, "number"},
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(types & names[i].bit))
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used > 0 ? " or " : "", names[i].name);
    }
    return buf;
}

void api_check_fields(conf_case *k, const json_t *obj, const char *what,
                      const field_spec *spec, size_t n)
{
    CONF_CHECK(k, json_is_object(obj), "%s: expected an object", what);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(obj, spec[i].name);
        char types[128];
        CONF_CHECK(k, v != NULL, "%s: required field \"%s\" is missing", what, spec[i].name);
        if (!has_type(v, spec[i].types)) {
            char *shown = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            char copy[160];
            snprintf(copy, sizeof copy, "%s", shown != NULL ? shown : "?");
            free(shown);
            CONF_FAIL(k, "%s: field \"%s\" is %s, expected %s", what, spec[i].name, copy,
                      type_names(spec[i].types, types, sizeof types));
        }
    }
}

long long api_int(const json_t *obj, const char *path)
{
    char name[128];
    const char *at = path;
    while (obj != NULL) {
        const char *dot = strchr(at, '.');
        size_t len = dot != NULL ? (size_t)(dot - at) : strlen(at);
        if (len >= sizeof name)
            return 0;
        memcpy(name, at, len);
        name[len] = '\0';
        obj = json_object_get(obj, name);
        if (dot == NULL)
            return json_is_integer(obj) ? (long long)json_integer_value(obj) : 0;
        at = dot + 1;
    }
    return 0;
}

const char *api_str(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s != NULL ? s : "";
}

long long api_time_ms(const char *iso)
{
    if (!is_iso_ms(iso))
        return -1;
    struct tm tm = {0};
    int ms = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm) * 1000 + ms;
}

static void owned_free(void *p)
{
    free(p);
}

static void decref(void *p)
{
    json_decref(p);
}

const json_t *api_own_json(conf_case *k, json_t *v)
{
    CONF_CHECK(k, v != NULL, "out of memory");
    conf_defer(k, decref, v);
    return v;
}

const char *api_strdup(conf_case *k, const char *s)
{
    char *copy = strdup(s);
    CONF_CHECK(k, copy != NULL, "out of memory");
    conf_defer(k, owned_free, copy);
    return copy;
}

static wire_response *send_owned(conf_case *k, const char *method, const char *url, const char *body)
{
    wire_response *res = calloc(1, sizeof *res);
    CONF_CHECK(k, res != NULL, "out of memory");
    char err[512];
    if (wire_send(k->ctx->wire, method, url, body, res, err, sizeof err) != 0) {
        free(res);
        CONF_FAIL(k, "no HTTP answer: %s", err);
    }
    return conf_own(k, res);
}

static void make_url(conf_case *k, const char *path, char *url, size_t size)
{
    int absolute = strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0;
    int n = snprintf(url, size, "%s%s", absolute ? "" : k->ctx->target->base_url, path);
    CONF_CHECK(k, n > 0 && (size_t)n < size, "URL too long: %s", path);
}

wire_response *api_raw(conf_case *k, const char *method, const char *path, const char *body)
{
    char url[2048];
    make_url(k, path, url, sizeof url);
    return send_owned(k, method, url, body);
}

wire_response *api_call(conf_case *k, const char *key, const char *method, const char *path,
                        json_t *body)
{
    char url[2048];
    char *text = NULL;
    make_url(k, path, url, sizeof url);
    int in_query = strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0;
    if (body != NULL)
        conf_defer(k, decref, body);
    if (in_query) {
        CONF_CHECK(k, body == NULL, "api_call: a body with %s", method);
        if (key != NULL)
            CONF_CHECK(k, wire_add_query(url, sizeof url, "apiKey", key) == 0, "URL too long");
    } else {
        if (body == NULL) {
            body = json_object();
            CONF_CHECK(k, body != NULL, "out of memory");
            conf_defer(k, decref, body);
        }
        if (key != NULL)
            json_object_set_new(body, "apiKey", json_string(key));
        text = json_dumps(body, JSON_COMPACT);
        CONF_CHECK(k, text != NULL, "out of memory");
        conf_defer(k, owned_free, text);
    }
    return send_owned(k, method, url, text);
}

static int is_json_content(const wire_response *res)
{
    return strncmp(res->content_type, "application/json", 16) == 0;
}

/* A short, printable excerpt of a body for messages. */
static const char *excerpt(const wire_response *res)
{
    static char buf[300];
    snprintf(buf, sizeof buf, "%.280s", res->body != NULL ? res->body : "");
    return buf;
}

static void check_alert(conf_case *k, const json_t *alert, const char *what)
{
    static const field_spec fields[] = {
        {"getMoreCreditsUrl", F_STRING}, {"message", F_STRING}, {"availableCredits", F_NUMBER},
    };
    api_check_fields(k, alert, what, fields, N_FIELDS(fields));
}

static void check_charge_info(conf_case *k, const json_t *ci, const char *what, const char *expected)
{
    char label[160];
    snprintf(label, sizeof label, "%s: chargeInfo", what);
    CONF_CHECK(k, json_is_object(ci), "%s is missing or not an object", label);
    const char *method = json_string_value(json_object_get(ci, "method"));
    CONF_CHECK(k, api_index_of(charge_methods, N_FIELDS(charge_methods), method) >= 0,
               "%s.method is %s, not one of free, charging-later, charged-now, charged-for-async-process",
               label, method != NULL ? method : "missing");
    if (expected != NULL)
        CONF_CHECK(k, strcmp(method, expected) == 0, "%s.method is \"%s\", expected \"%s\"", label,
                   method, expected);
    if (strncmp(method, "charged-", 8) == 0)
        CONF_CHECK(k, json_is_integer(json_object_get(ci, "creditsCharged")) &&
                      json_integer_value(json_object_get(ci, "creditsCharged")) >= 0,
                   "%s: method %s without a non-negative integer creditsCharged", label, method);
    const json_t *alert = json_object_get(ci, "lowCreditAlert");
    if (alert != NULL) {
        snprintf(label, sizeof label, "%s: chargeInfo.lowCreditAlert", what);
        check_alert(k, alert, label);
    }
}

const json_t *api_expect_ok(conf_case *k, const wire_response *res, const char *what,
                            const char *charge_method)
{
    CONF_CHECK(k, res->status == 200, "%s: HTTP %ld, expected 200: %s", what, res->status, excerpt(res));
    CONF_CHECK(k, is_json_content(res), "%s: Content-Type \"%s\", expected application/json", what,
               res->content_type);
    CONF_CHECK(k, json_is_object(res->json), "%s: the body is not a JSON object (%s): %s", what,
               res->json_error, excerpt(res));
    CONF_CHECK(k, json_object_get(res->json, "error") == NULL, "%s: a 200 with an \"error\": %s", what,
               excerpt(res));
    const json_t *output = json_object_get(res->json, "output");
    CONF_CHECK(k, json_is_object(output), "%s: \"output\" is missing or not an object", what);
    check_charge_info(k, json_object_get(res->json, "chargeInfo"), what, charge_method);
    const json_t *warnings = json_object_get(res->json, "warnings");
    if (warnings != NULL) {
        CONF_CHECK(k, json_is_array(warnings), "%s: \"warnings\" is not an array", what);
        for (size_t i = 0; i < json_array_size(warnings); i++) {
            const json_t *w = json_array_get(warnings, i);
            CONF_CHECK(k, json_is_string(json_object_get(w, "field")) &&
                          json_is_string(json_object_get(w, "message")),
                       "%s: warnings[%zu] is not {field, message}", what, i);
        }
    }
    return output;
}

const char *api_expect_error(conf_case *k, const wire_response *res, long status, const char *what)
{
    CONF_CHECK(k, res->status == status, "%s: HTTP %ld, expected %ld: %s", what, res->status, status,
               excerpt(res));
    CONF_CHECK(k, is_json_content(res), "%s: Content-Type \"%s\", expected application/json", what,
               res->content_type);
    CONF_CHECK(k, json_is_object(res->json), "%s: the error body is not a JSON object (%s): %s", what,
               res->json_error, excerpt(res));
    CONF_CHECK(k, json_object_get(res->json, "output") == NULL, "%s: an error with an \"output\"", what);
    const json_t *error = json_object_get(res->json, "error");
    CONF_CHECK(k, json_is_object(error), "%s: no \"error\" object: %s", what, excerpt(res));
    const json_t *code = json_object_get(error, "code");
    CONF_CHECK(k, json_is_integer(code) && json_integer_value(code) == status,
               "%s: error.code is not %ld: %s", what, status, excerpt(res));
    const char *message = json_string_value(json_object_get(error, "message"));
    CONF_CHECK(k, message != NULL && message[0] != '\0', "%s: error.message missing or empty", what);
    return message;
}

const char *api_create(conf_case *k, const char *key, const char *label, const char *method)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", k->ctx->target->prefix, label);
    wire_response *res = api_call(k, key, "POST", "/v1/audiences/create",
                                  json_pack("{s:s, s:s}", "name", name, "creationMethod", method));
    const json_t *out = api_expect_ok(k, res, "create", "free");
    api_check_fields(k, out, "create output", api_create_fields, N_FIELDS(api_create_fields));
    const char *id = json_string_value(json_object_get(out, "audienceId"));
    CONF_CHECK(k, id[0] != '\0', "create: empty audienceId");
    conf_track_audience(k->ctx, key, id);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "status")), "DRAFT") == 0,
               "create: status is %s, expected DRAFT", json_string_value(json_object_get(out, "status")));
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "name")), name) == 0,
               "create: name is \"%s\", expected \"%s\"", json_string_value(json_object_get(out, "name")), name);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "creationMethod")), method) == 0,
               "create: creationMethod is %s, expected %s",
               json_string_value(json_object_get(out, "creationMethod")), method);
    return api_strdup(k, id);
}

void api_set_params(conf_case *k, const char *key, const char *id, json_t *company,
                    json_t *prospect, long max_companies, long max_prospects)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    json_t *body = json_pack("{s:o, s:o}", "companySearchParams", company != NULL ? company : json_null(),
                             "prospectSearchParams", prospect != NULL ? prospect : json_null());
    CONF_CHECK(k, body != NULL, "out of memory");
    if (max_companies > 0)
        json_object_set_new(body, "maxCompanies", json_integer(max_companies));
    if (max_prospects > 0)
        json_object_set_new(body, "maxProspects", json_integer(max_prospects));
    const json_t *out = api_expect_ok(k, api_call(k, key, "PATCH", path, body), "search-params", "free");
    api_check_fields(k, out, "search-params output", api_search_params_fields,
                     N_FIELDS(api_search_params_fields));
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "audienceId")), id) == 0,
               "search-params: audienceId is not %s", id);
}

void api_build(conf_case *k, const char *key, const char *id)
{
    /* Keeps to the documented 10 builds a minute on a manual clock, which
     * moves only when the suite moves it (a real clock passes by itself). */
    if (k->ctx->target->manual_clock)
        api_mock_advance(k, 6);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "POST", path, NULL), "build", "charging-later");
    api_check_fields(k, out, "build output", api_build_fields, N_FIELDS(api_build_fields));
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "status")), "BUILDING") == 0,
               "build: status is %s, expected BUILDING", json_string_value(json_object_get(out, "status")));
    CONF_CHECK(k, strcmp(api_str(out, "audienceId"), id) == 0, "build: audienceId is \"%s\", the request was for %s",
               api_str(out, "audienceId"), id);
}

/* Waits between two polls: the mock's manual clock moves, anything else
 * is really waited for. Returns 0, or -1 when the timeout has passed. */
int api_poll_pause(conf_case *k, double manual_step_s, int polls, time_t started)
{
    const conf_target *t = k->ctx->target;
    if (t->manual_clock) {
        if (polls >= MANUAL_MAX_POLLS)
            return -1;
        api_mock_advance(k, manual_step_s);
        return 0;
    }
    if (t->poll_timeout_s > 0 && time(NULL) - started > t->poll_timeout_s)
        return -1;
    long ms = t->is_mock ? 200 : target_wait_ms(t, (double)t->poll_interval_s);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

static void append_seen(char *seen, size_t size, const char *status)
{
    if (seen == NULL)
        return;
    const char *last = strrchr(seen, ' ');
    last = last != NULL ? last + 1 : seen;
    if (strcmp(last, status) == 0)
        return;
    size_t used = strlen(seen);
    snprintf(seen + used, size - used, "%s%s", used > 0 ? " " : "", status);
}

/* The fields one status answer must have for the status it reports. */
static void check_status_consistency(conf_case *k, const json_t *out, const char *status)
{
    const char *started = json_string_value(json_object_get(out, "buildingStartedAt"));
    const char *finished = json_string_value(json_object_get(out, "buildingFinishedAt"));
    if (descovo_status_is_building(status)) {
        CONF_CHECK(k, started != NULL, "status %s without buildingStartedAt", status);
        CONF_CHECK(k, json_is_null(json_object_get(out, "companiesCount")) &&
                      json_is_null(json_object_get(out, "prospectsCount")),
                   "status %s: the counts must be null until NORMAL", status);
    } else if (strcmp(status, "NORMAL") == 0) {
        CONF_CHECK(k, started != NULL && finished != NULL,
                   "status NORMAL without buildingStartedAt and buildingFinishedAt");
        CONF_CHECK(k, strcmp(started, finished) <= 0, "buildingFinishedAt %s is before buildingStartedAt %s",
                   finished, started);
        CONF_CHECK(k, json_is_integer(json_object_get(out, "companiesCount")) &&
                      json_is_integer(json_object_get(out, "prospectsCount")),
                   "status NORMAL: companiesCount and prospectsCount must be integers");
        CONF_CHECK(k, json_integer_value(json_object_get(out, "companiesCount")) >= 0 &&
                      json_integer_value(json_object_get(out, "prospectsCount")) >= 0,
                   "status NORMAL: negative counts");
    } else if (strcmp(status, "DRAFT") == 0) {
        CONF_CHECK(k, json_is_null(json_object_get(out, "companiesCount")),
                   "status DRAFT: companiesCount must be null");
    }
}

const json_t *api_wait_build(conf_case *k, const char *key, const char *id,
                             char *seen, size_t seen_size)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    time_t started = time(NULL);
    int last_rank = -1;
    if (seen != NULL && seen_size > 0)
        seen[0] = '\0';
    for (int polls = 0;; polls++) {
        const json_t *out = api_expect_ok(k, api_call(k, key, "GET", path, NULL), "status", "free");
        api_check_fields(k, out, "status output", api_status_fields, N_FIELDS(api_status_fields));
        const char *status = json_string_value(json_object_get(out, "status"));
        int rank = api_index_of(audience_statuses, N_FIELDS(audience_statuses), status);
        CONF_CHECK(k, rank >= 0, "status \"%s\" is not a documented audience status", status);
        append_seen(seen, seen_size, status);
        CONF_CHECK(k, strcmp(status, "DRAFT") != 0, "status DRAFT after the build was accepted");
        CONF_CHECK(k, strcmp(status, "FAILED") != 0, "the build of %s ended FAILED", id);
        check_status_consistency(k, out, status);
        /* The simulator documents the order of its in-progress statuses;
         * the real service only promises they mean "still building". */
        if (k->ctx->target->is_mock)
            CONF_CHECK(k, rank >= last_rank, "status went back from %s to %s", audience_statuses[last_rank],
                       status);
        last_rank = rank;
        if (strcmp(status, "NORMAL") == 0)
            return out;
        CONF_CHECK(k, descovo_status_is_building(status), "unexpected status %s while building", status);
        if (api_poll_pause(k, MANUAL_BUILD_STEP_S, polls, started) != 0)
            CONF_FAIL(k, "the build of %s did not reach NORMAL in time (still %s)", id, status);
    }
}

long long api_credits(conf_case *k, const char *key)
{
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", "/v1/credits", NULL), "credits", "free");
    const json_t *credits = json_object_get(out, "credits");
    CONF_CHECK(k, json_is_integer(credits), "credits: output.credits is not an integer");
    return json_integer_value(credits);
}

void api_mock_reset(conf_case *k)
{
    api_expect_ok(k, api_raw(k, "POST", "/_mock/reset", NULL), "POST /_mock/reset", NULL);
    conf_forget_audiences(k->ctx);
}

void api_mock_use(conf_case *k, const char *why)
{
    conf_need_mock(k, why);
    k->reset_mock = 1;
    api_mock_reset(k);
}

void api_mock_advance(conf_case *k, double seconds)
{
    char body[64];
    snprintf(body, sizeof body, "{\"seconds\": %.3f}", seconds);
    api_expect_ok(k, api_raw(k, "POST", "/_mock/clock/advance", body), "POST /_mock/clock/advance", NULL);
}

void api_mock_account(conf_case *k, const char *key, json_t *body)
{
    char path[512];
    snprintf(path, sizeof path, "/_mock/accounts/%s", key);
    api_expect_ok(k, api_call(k, NULL, "PUT", path, body), "PUT /_mock/accounts", NULL);
}

long api_cap_companies(const conf_case *k)
{
    return k->ctx->target->is_mock ? 4 : 1;
}

long api_cap_prospects(const conf_case *k)
{
    return k->ctx->target->is_mock ? 16 : 1;
}

json_t *api_company_filters(void)
{
    return json_pack("{s:[s]}", "headquartersCountryCode", "US");
}

const char *api_built_audience(conf_case *k, const char *key, const char *label, const char *method)
{
    long caps = api_cap_companies(k) + api_cap_prospects(k);
    conf_need_spend(k, caps, "building an audience");
    const char *id = api_create(k, key, label, method);
    int from_prospects = strcmp(method, "START_FROM_PROSPECTS") == 0;
    api_set_params(k, key, id, from_prospects ? NULL : api_company_filters(),
                   from_prospects ? json_pack("{s:[s]}", "country3LetterCode", "USA") : NULL,
                   api_cap_companies(k), api_cap_prospects(k));
    api_build(k, key, id);
    api_wait_build(k, key, id, NULL, 0);
    return id;
}

const char *api_shared_audience(conf_case *k, long long *companies, long long *prospects)
{
    conf_ctx *ctx = k->ctx;
    if (ctx->shared_id[0] == '\0') {
        const char *id = api_built_audience(k, ctx->target->api_key, "shared", "NORMAL");
        char path[256];
        snprintf(path, sizeof path, "/v1/audiences/%s", id);
        const json_t *out = api_expect_ok(k, api_call(k, ctx->target->api_key, "GET", path, NULL), "status", "free");
        ctx->shared_companies = json_integer_value(json_object_get(out, "companiesCount"));
        ctx->shared_prospects = json_integer_value(json_object_get(out, "prospectsCount"));
        snprintf(ctx->shared_id, sizeof ctx->shared_id, "%s", id);
    }
    if (companies != NULL)
        *companies = ctx->shared_companies;
    if (prospects != NULL)
        *prospects = ctx->shared_prospects;
    return ctx->shared_id;
}

static void doc_free(void *p)
{
    csv_doc_free(p);
    free(p);
}

wire_response *api_download_csv(conf_case *k, const char *url, csv_doc *doc)
{
    wire_response *res = api_raw(k, "GET", url, NULL);
    CONF_CHECK(k, res->status == 200, "download %s: HTTP %ld", url, res->status);
    CONF_CHECK(k, strncmp(res->content_type, "text/csv", 8) == 0, "download: Content-Type \"%s\", expected text/csv",
               res->content_type);
    char err[256];
    csv_doc *parsed = calloc(1, sizeof *parsed);
    CONF_CHECK(k, parsed != NULL, "out of memory");
    if (csv_parse_strict(res->body, res->len, parsed, err, sizeof err) != 0) {
        free(parsed);
        CONF_FAIL(k, "the export is not RFC 4180 CSV: %s", err);
    }
    conf_defer(k, doc_free, parsed);
    *doc = *parsed;
    return res;
}

void api_fetch_export(conf_case *k, const json_t *export, csv_doc *doc)
{
    const char *url = json_string_value(json_object_get(export, "downloadUrl"));
    if (url == NULL)
        conf_skip(k, "the export answer has no downloadUrl (a simulator extension): no file to check");
    api_download_csv(k, url, doc);
}

void api_need_download(conf_case *k)
{
    if (k->ctx->target->is_mock)
        return;
    const char *id = api_shared_audience(k, NULL, NULL);
    const json_t *out = api_export(k, k->ctx->target->api_key, id, "companies",
                                   json_pack("{s:i}", "maxRowsToExport", 1));
    if (json_string_value(json_object_get(out, "downloadUrl")) == NULL)
        conf_skip(k, "the export answer has no downloadUrl (a simulator extension): no file to check");
}

long long api_mock_now_ms(conf_case *k)
{
    const json_t *out = api_expect_ok(k, api_raw(k, "GET", "/_mock/clock", NULL), "GET /_mock/clock", NULL);
    CONF_CHECK(k, json_is_integer(json_object_get(out, "nowMs")), "GET /_mock/clock: no integer nowMs");
    return api_int(out, "nowMs");
}

const json_t *api_status(conf_case *k, const char *key, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", path, NULL), "status", "free");
    api_check_fields(k, out, "status output", api_status_fields, N_FIELDS(api_status_fields));
    const char *status = json_string_value(json_object_get(out, "status"));
    CONF_CHECK(k, api_index_of(audience_statuses, N_FIELDS(audience_statuses), status) >= 0,
               "status \"%s\" is not a documented audience status", status);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(out, "audienceId")), id) == 0,
               "status: audienceId is not %s", id);
    check_status_consistency(k, out, status);
    return out;
}

const json_t *api_export(conf_case *k, const char *key, const char *id, const char *kind, json_t *extra)
{
    char path[256];
    char what[64];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, kind);
    snprintf(what, sizeof what, "export %s", kind);
    json_t *body = json_pack("{s:s}", "format",
                             strcmp(kind, "companies") == 0 ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV");
    CONF_CHECK(k, body != NULL, "out of memory");
    if (extra != NULL) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    const json_t *out = api_expect_ok(k, api_call(k, key, "POST", path, body), what, "free");
    api_check_fields(k, out, what, api_export_fields, N_FIELDS(api_export_fields));
    if (k->ctx->target->is_mock)
        api_check_fields(k, out, what, api_export_mock_fields, N_FIELDS(api_export_mock_fields));
    CONF_CHECK(k, json_integer_value(json_object_get(out, "estimatedRows")) >= 0, "%s: negative estimatedRows", what);
    return out;
}
