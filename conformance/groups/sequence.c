/* sequence: every step taken out of order answers 400 in the error shape
 * (docs/API.md sections 2-9, and the seed: "Attempting to build before
 * setting filters, or enriching before building, returns a 400"). On the
 * mock, whose messages are documented to name the audience's status, the
 * message is checked too. Also the 400s of bad input. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "descovo.h"
#include "groups.h"

/* Sends the request and expects a 400 naming `status` (on the mock). */
static void expect_400(conf_case *k, const char *method, const char *id, const char *tail, json_t *body,
                       const char *status)
{
    char path[256];
    char what[256];
    snprintf(path, sizeof path, "/v1/audiences/%s%s", id, tail);
    snprintf(what, sizeof what, "%s %s while %s", method, tail[0] != '\0' ? tail : "(archive)", status);
    const char *message = api_expect_error(k, api_call(k, k->ctx->target->api_key, method, path, body), 400, what);
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, strstr(message, status) != NULL, "%s: the message does not name the status %s: \"%s\"", what,
                   status, message);
}

/* expect_400 for an audience that should still be building. On a real
 * clock a tiny build may finish between two requests: an answer other
 * than 400 then skips the case if the audience is no longer building (the
 * manual clock of the mock, where nothing moves by itself, still fails). */
static void expect_400_building(conf_case *k, const char *method, const char *id, const char *tail, json_t *body,
                                const char *status)
{
    if (k->ctx->target->manual_clock) {
        expect_400(k, method, id, tail, body, status);
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s%s", id, tail);
    wire_response *res = api_call(k, k->ctx->target->api_key, method, path, body);
    if (res->status != 400) {
        char status_path[256];
        snprintf(status_path, sizeof status_path, "/v1/audiences/%s", id);
        wire_response *now = api_call(k, k->ctx->target->api_key, "GET", status_path, NULL);
        const char *st = api_str(json_object_get(now->json, "output"), "status");
        if (now->status == 404 || (now->status == 200 && !descovo_status_is_building(st)))
            conf_skip(k, "the build finished while it was being observed (%s %s answered %ld)", method,
                      tail[0] != '\0' ? tail : "(archive)", res->status);
    }
    char what[256];
    snprintf(what, sizeof what, "%s %s while building", method, tail[0] != '\0' ? tail : "(archive)");
    const char *message = api_expect_error(k, res, 400, what);
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, strstr(message, status) != NULL, "%s: the message does not name the status %s: \"%s\"", what,
                   status, message);
}

static void build_before_filters_400(conf_case *k)
{
    const char *id = api_create(k, k->ctx->target->api_key, "no-filters", "NORMAL");
    expect_400(k, "POST", id, "/build", NULL, "DRAFT");
    /* Null params are not filters either. */
    api_set_params(k, k->ctx->target->api_key, id, NULL, NULL, 0, 0);
    expect_400(k, "POST", id, "/build", NULL, "DRAFT");
}

/* Everything that needs a built audience, on a DRAFT one (which has no
 * records, so even a broken server could not charge the enrich). */
static void steps_before_build_400(conf_case *k)
{
    const char *id = api_create(k, k->ctx->target->api_key, "draft", "NORMAL");
    expect_400(k, "POST", id, "/enrichment/estimate", json_pack("{s:i}", "maxProspectsToEnrich", 1), "DRAFT");
    expect_400(k, "POST", id, "/enrich", json_pack("{s:i}", "maxProspectsToEnrich", 1), "DRAFT");
    expect_400(k, "GET", id, "/enrichment/status", NULL, "DRAFT");
    expect_400(k, "POST", id, "/export/companies", json_pack("{s:s}", "format", "COMPANY_GENERIC_CSV"), "DRAFT");
    expect_400(k, "POST", id, "/export/prospects", json_pack("{s:s}", "format", "PROSPECT_GENERIC_CSV"), "DRAFT");
    expect_400(k, "GET", id, "/companies", NULL, "DRAFT");
    expect_400(k, "GET", id, "/prospects", NULL, "DRAFT");
}

static void steps_while_building_400(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    conf_need_spend(k, api_cap_companies(k) + api_cap_prospects(k), "building an audience");
    const char *id = api_create(k, key, "building", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, api_cap_companies(k), api_cap_prospects(k));
    api_build(k, key, id);
    const char *status = json_string_value(json_object_get(api_status(k, key, id), "status"));
    if (strcmp(status, "NORMAL") == 0) {
        /* A real service may finish a tiny build before the next request. */
        api_wait_build(k, key, id, NULL, 0);
        conf_skip(k, "the build finished before it could be observed BUILDING");
    }
    const char *named = k->ctx->target->is_mock ? "BUILDING" : "";
    expect_400_building(k, "POST", id, "/build", NULL, named);
    expect_400_building(k, "PATCH", id, "/search-params",
                        json_pack("{s:o}", "companySearchParams", api_company_filters()), named);
    expect_400_building(k, "DELETE", id, "", NULL, named);
    expect_400_building(k, "POST", id, "/enrichment/estimate", json_pack("{s:i}", "maxProspectsToEnrich", 1), named);
    expect_400_building(k, "POST", id, "/export/companies", json_pack("{s:s}", "format", "COMPANY_GENERIC_CSV"),
                        named);
    api_wait_build(k, key, id, NULL, 0);
}

static void steps_when_normal_400(conf_case *k)
{
    const char *id = api_shared_audience(k, NULL, NULL);
    expect_400(k, "POST", id, "/build", NULL, "NORMAL");
    expect_400(k, "PATCH", id, "/search-params", json_pack("{s:o}", "companySearchParams", api_company_filters()),
               "NORMAL");
    /* Before any enrichment the enrichment status has nothing to report. */
    const char *key = k->ctx->target->api_key;
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/status", id);
    wire_response *res = api_call(k, key, "GET", path, NULL);
    if (res->status == 200)
        conf_skip(k, "the shared audience was enriched already (enrichment status answered 200)");
    api_expect_error(k, res, 400, "enrichment status before any enrichment");
}

/* Mock only: a build forced to fail (fault rule fail-build) ends FAILED;
 * building it again is refused. */
static void build_when_failed_400(conf_case *k)
{
    api_mock_use(k, "a fail-build fault rule");
    const char *key = k->ctx->target->api_key;
    api_expect_ok(k, api_raw(k, "POST", "/_mock/faults",
                             "{\"match\":{\"method\":\"POST\",\"path\":\"/v1/audiences/*/build\"},"
                             "\"action\":{\"type\":\"fail-build\"}}"), "add fault", NULL);
    const char *id = api_create(k, key, "failed", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, 1, 1);
    long long before = api_credits(k, key);
    api_build(k, key, id);
    const char *status = "";
    for (int i = 0; i < 200; i++) {
        status = json_string_value(json_object_get(api_status(k, key, id), "status"));
        if (strcmp(status, "FAILED") == 0)
            break;
        api_mock_advance(k, 1);
    }
    CONF_CHECK(k, strcmp(status, "FAILED") == 0, "a fail-build fault: the build ended %s, not FAILED", status);
    CONF_CHECK(k, api_credits(k, key) == before, "a build that ended FAILED moved credits from %lld to %lld", before,
               api_credits(k, key));
    expect_400(k, "POST", id, "/build", NULL, "FAILED");
    expect_400(k, "POST", id, "/enrichment/estimate", json_pack("{s:i}", "maxProspectsToEnrich", 1), "FAILED");
}

/* Mock only (simulator-defined): a second enrichment while one runs. */
static void second_enrichment_while_running_400(conf_case *k)
{
    conf_need_mock(k, "the rule for a second enrichment is simulator-defined");
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "second-enrichment", "NORMAL");
    long long cost = json_integer_value(json_object_get(api_estimate(k, key, id, 1), "totalCredits"));
    api_enrich(k, key, id, 1, cost);
    expect_400(k, "POST", id, "/enrich", json_pack("{s:i}", "maxProspectsToEnrich", 1), "");
    api_wait_enrichment(k, key, id);
}

/* Bad input: the documented bounds of create and of the estimate. */
static void invalid_input_400(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    char long_name[202];
    memset(long_name, 'n', 201);
    long_name[201] = '\0';
    api_expect_error(k, api_call(k, key, "POST", "/v1/audiences/create", json_pack("{s:s}", "name", "")), 400,
                     "create with an empty name");
    api_expect_error(k, api_call(k, key, "POST", "/v1/audiences/create", json_pack("{s:s}", "name", long_name)), 400,
                     "create with a 201-character name");
    api_expect_error(k, api_call(k, key, "POST", "/v1/audiences/create",
                                 json_pack("{s:s, s:s}", "name", "conformance", "creationMethod", "SIDEWAYS")),
                     400, "create with an unknown creationMethod");
    const char *id = api_create(k, key, "bad-input", "NORMAL");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    api_expect_error(k, api_call(k, key, "PATCH", path, json_pack("{s:i}", "maxCompanies", 0)), 400,
                     "search-params with maxCompanies 0");
    if (k->ctx->target->is_mock)
        api_expect_error(k, api_raw(k, "POST", "/v1/audiences/create", "{\"name\": "), 400, "a body that is not JSON");
}

int group_sequence(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(build_before_filters_400),
        CONF_CASE(steps_before_build_400),
        CONF_CASE(steps_while_building_400),
        CONF_CASE(steps_when_normal_400),
        CONF_CASE(build_when_failed_400),
        CONF_CASE(second_enrichment_while_running_400),
        CONF_CASE(invalid_input_400),
    };
    return conf_run_group(ctx, "sequence", cases, N_FIELDS(cases));
}
