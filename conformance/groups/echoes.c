/* echoes: what a request set comes back the same wherever the API repeats
 * it - the audienceId in the answer of every step, the name, the
 * creationMethod and createdAt in the status and the list, the filters and
 * caps in search-params, the enrichment's id in its status. A stub that
 * answers a canned id or a default value passes every shape check and
 * fails these. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "groups.h"
#include "pages.h"

/* The cheapest enrichment: profile live enrichment only, 1 credit per
 * prospect (prices.h). */
static json_t *cheap_options(void)
{
    return json_pack("{s:b, s:b, s:b}", "runProfileSalesNav", 0, "runCompanyLiveEnrichment", 0,
                     "runContactEnrichment", 0);
}

/* Every step names the audience it was asked about. */
static void every_step_echoes_the_audience(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "echo-steps", "NORMAL");   /* create, params, build, status */
    long long companies = api_int(api_status(k, key, id), "companiesCount");
    long long prospects = api_int(api_status(k, key, id), "prospectsCount");
    pages_walk(k, key, id, "companies", 100, companies);
    pages_walk(k, key, id, "prospects", 100, prospects);
    const json_t *options = api_own_json(k, cheap_options());
    long long cost = api_int(enr_estimate(k, key, id, 1, options), "totalCredits");
    conf_need_spend(k, cost, "enriching one prospect");
    const json_t *enrich = enr_enrich(k, key, id, 1, options, cost);
    const char *enrichment_id = api_strdup(k, api_str(enrich, "enrichmentId"));
    CONF_CHECK(k, enrichment_id[0] != '\0', "enrich: empty enrichmentId");
    enr_wait(k, key, id, options, enrichment_id);
    const json_t *ep = api_export(k, key, id, "prospects", json_pack("{s:i}", "maxRowsToExport", 1));
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, strcmp(api_str(ep, "format"), "PROSPECT_GENERIC_CSV") == 0,
                   "export prospects: format is \"%s\", the request asked PROSPECT_GENERIC_CSV", api_str(ep, "format"));
}

/* The stored filters come back as sent (on the mock byte for byte, with
 * the caps, whose names are simulator-defined; elsewhere every key sent is
 * there), and setting them again replaces them. */
static void search_params_echo_filters_and_caps(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    int mock = k->ctx->target->is_mock;
    const char *id = api_create(k, key, "echo-params", "NORMAL");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    json_t *company = json_pack("{s:[s], s:{s:i, s:i}}", "headquartersCountryCode", "US", "employeeCountV2", "min", 1,
                                "max", 500);
    json_t *prospect = json_pack("{s:[s], s:{s:i, s:i}}", "country3LetterCode", "USA", "yearsOfExperience", "min", 2,
                                 "max", 30);
    const json_t *sent_c = api_own_json(k, json_deep_copy(company));
    const json_t *sent_p = api_own_json(k, json_deep_copy(prospect));
    json_t *body = json_pack("{s:o, s:o, s:i, s:i}", "companySearchParams", company, "prospectSearchParams", prospect,
                             "maxCompanies", 3, "maxProspects", 7);
    const json_t *out = api_expect_ok(k, api_call(k, key, "PATCH", path, body), "search-params", "free");
    api_check_fields(k, out, "search-params output", api_search_params_fields, N_FIELDS(api_search_params_fields));
    CONF_CHECK(k, strcmp(api_str(out, "status"), "DRAFT") == 0, "search-params: status %s, expected DRAFT",
               api_str(out, "status"));
    static const char *const sides[] = {"companySearchParams", "prospectSearchParams"};
    const json_t *sent[] = {sent_c, sent_p};
    for (size_t s = 0; s < 2; s++) {
        const json_t *echo = json_object_get(out, sides[s]);
        const char *name = NULL;
        const json_t *value = NULL;
        json_object_foreach((json_t *)sent[s], name, value) {
            const json_t *got = json_object_get(echo, name);
            CONF_CHECK(k, got != NULL, "search-params: the answer's %s lacks %s, which the request set", sides[s],
                       name);
            if (mock)
                CONF_CHECK(k, json_equal(got, value), "search-params: %s.%s does not come back as it was sent",
                           sides[s], name);
        }
    }
    if (mock) {
        CONF_CHECK(k, api_int(out, "maxCompanies") == 3 && api_int(out, "maxProspects") == 7,
                   "search-params: maxCompanies %lld and maxProspects %lld, the request set 3 and 7",
                   api_int(out, "maxCompanies"), api_int(out, "maxProspects"));
    }
    /* Again: the new params replace the old ones. */
    body = json_pack("{s:n, s:{s:[s]}}", "companySearchParams", "prospectSearchParams", "country3LetterCode", "CAN");
    out = api_expect_ok(k, api_call(k, key, "PATCH", path, body), "search-params again", "free");
    CONF_CHECK(k, json_is_null(json_object_get(out, "companySearchParams")),
               "search-params again: companySearchParams set to null, but the answer still holds filters");
    const json_t *p = json_object_get(out, "prospectSearchParams");
    CONF_CHECK(k, json_object_get(p, "yearsOfExperience") == NULL,
               "search-params again: yearsOfExperience of the first request survived the replacement");
    CONF_CHECK(k, json_object_get(p, "country3LetterCode") != NULL,
               "search-params again: the answer lacks country3LetterCode, which the request set");
}

/* A list item of id, or NULL. */
static const json_t *listed(conf_case *k, const char *key, const char *id)
{
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", "/v1/audiences", NULL), "list", "free");
    const json_t *list = json_object_get(out, "audiences");
    CONF_CHECK(k, json_is_array(list), "list: \"audiences\" is not an array");
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(api_str(json_array_get(list, i), "audienceId"), id) == 0)
            return json_array_get(list, i);
    return NULL;
}

/* The create answer's values reappear unchanged in the status and the
 * list: name (with quotes and non-ASCII), creationMethod, createdAt. */
static void check_echo(conf_case *k, const char *key, const char *label, const char *method)
{
    const char *id = api_create(k, key, label, method);
    char name[256];
    snprintf(name, sizeof name, "%s%s", k->ctx->target->prefix, label);
    const json_t *st = api_status(k, key, id);
    const json_t *item = listed(k, key, id);
    CONF_CHECK(k, item != NULL, "list: %s is not listed", id);
    const json_t *answers[] = {st, item};
    const char *what[] = {"status", "list item"};
    for (size_t i = 0; i < 2; i++) {
        CONF_CHECK(k, strcmp(api_str(answers[i], "name"), name) == 0, "%s: name is \"%s\", created as \"%s\"", what[i],
                   api_str(answers[i], "name"), name);
        CONF_CHECK(k, strcmp(api_str(answers[i], "creationMethod"), method) == 0,
                   "%s: creationMethod is %s, created as %s", what[i], api_str(answers[i], "creationMethod"), method);
        CONF_CHECK(k, strcmp(api_str(answers[i], "status"), "DRAFT") == 0, "%s: status is %s, expected DRAFT",
                   what[i], api_str(answers[i], "status"));
    }
    CONF_CHECK(k, strcmp(api_str(st, "createdAt"), api_str(item, "createdAt")) == 0,
               "createdAt: the status says %s, the list %s", api_str(st, "createdAt"), api_str(item, "createdAt"));
}

static void status_and_list_echo_the_audience(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    check_echo(k, key, "echo \"quoted\" \xc3\xa9\xe2\x9c\x93", "NORMAL");
    check_echo(k, key, "echo-from-prospects", "START_FROM_PROSPECTS");
    /* A built audience: the list's counts are the status's. */
    if (!k->ctx->target->allow_spend)
        return;
    const char *id = api_shared_audience(k, NULL, NULL);
    const json_t *st = api_status(k, key, id);
    const json_t *item = listed(k, key, id);
    CONF_CHECK(k, item != NULL, "list: %s is not listed", id);
    static const char *const same[] = {"status", "name", "creationMethod", "createdAt", "companiesCount",
                                       "prospectsCount"};
    for (size_t i = 0; i < N_FIELDS(same); i++) {
        char *a = json_dumps(json_object_get(st, same[i]), JSON_ENCODE_ANY);
        char *b = json_dumps(json_object_get(item, same[i]), JSON_ENCODE_ANY);
        int equal = json_equal(json_object_get(st, same[i]), json_object_get(item, same[i]));
        char shown[256];
        snprintf(shown, sizeof shown, "the status says %s, the list %s", a != NULL ? a : "?", b != NULL ? b : "?");
        free(a);
        free(b);
        CONF_CHECK(k, equal, "built audience: %s: %s", same[i], shown);
    }
}

int group_echoes(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(every_step_echoes_the_audience),
        CONF_CASE(search_params_echo_filters_and_caps),
        CONF_CASE(status_and_list_echo_the_audience),
    };
    return conf_run_group(ctx, "echoes", cases, N_FIELDS(cases));
}
