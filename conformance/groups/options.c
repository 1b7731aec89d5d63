/* options: requests the rest of the suite never sends - each enrichmentType
 * and run* switch turned off (each removes exactly its own line of the
 * estimate), unknown fields and filter keys (answered with warnings that
 * name their full path, not with errors), and two audiences of one key
 * enriched at the same time (each status is its own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "groups.h"

static const char *const lines[] = {
    "salesNav.credits", "liveCompany.credits", "liveProspect.credits", "waterfall.credits", "validation.credits",
};

/* The estimate for n prospects with one switch off. */
static const json_t *estimate_without(conf_case *k, const char *id, long n, const char *option)
{
    json_t *options = NULL;
    if (strncmp(option, "enrichmentType.", 15) == 0)
        options = json_pack("{s:{s:b}}", "enrichmentType", option + 15, 0);
    else
        options = json_pack("{s:b}", option, 0);
    return enr_estimate(k, k->ctx->target->api_key, id, n, api_own_json(k, options));
}

static void enrichment_type_switches_change_the_breakdown(conf_case *k)
{
    static const struct {
        const char *option, *op;
    } types[] = {
        {"enrichmentType.getWorkEmails", "workEmail"},
        {"enrichmentType.getPersonalEmails", "personalEmail"},
        {"enrichmentType.getPhoneNumbers", "phone"},
    };
    long long prospects = 0;
    const char *id = api_shared_audience(k, NULL, &prospects);
    const json_t *base = enr_estimate(k, k->ctx->target->api_key, id, (long)prospects, NULL);
    const json_t *base_ops = json_object_get(json_object_get(json_object_get(base, "breakdown"), "waterfall"),
                                             "operations");
    for (size_t t = 0; t < N_FIELDS(types); t++) {
        long long own = api_int(base_ops, types[t].op);
        if (k->ctx->target->is_mock)
            CONF_CHECK(k, own > 0, "the default estimate has no %s credits: %s cannot be observed", types[t].op,
                       types[t].option);
        const json_t *e = estimate_without(k, id, (long)prospects, types[t].option);
        const json_t *ops = json_object_get(json_object_get(json_object_get(e, "breakdown"), "waterfall"),
                                            "operations");
        for (size_t o = 0; o < N_FIELDS(types); o++) {
            if (o == t)
                continue;
            CONF_CHECK(k, api_int(ops, types[o].op) == api_int(base_ops, types[o].op),
                       "estimate with %s false: operations.%s changed from %lld to %lld", types[t].option,
                       types[o].op, api_int(base_ops, types[o].op), api_int(ops, types[o].op));
        }
        long long base_original = api_int(base, "breakdown.waterfall.originalCredits");
        CONF_CHECK(k, api_int(e, "breakdown.waterfall.originalCredits") == base_original - own,
                   "estimate with %s false: waterfall.originalCredits %lld; the defaults cost %lld with %lld for %s",
                   types[t].option, api_int(e, "breakdown.waterfall.originalCredits"), base_original, own, types[t].op);
        for (size_t l = 0; l < N_FIELDS(lines); l++) {
            if (strcmp(lines[l], "waterfall.credits") == 0)
                continue;
            char path[64];
            snprintf(path, sizeof path, "breakdown.%s", lines[l]);
            CONF_CHECK(k, api_int(e, path) == api_int(base, path), "estimate with %s false: %s changed from %lld to "
                       "%lld", types[t].option, lines[l], api_int(base, path), api_int(e, path));
        }
    }
}

static void run_switches_change_the_breakdown(conf_case *k)
{
    static const struct {
        const char *option, *line;
        int drops_a_stage;     /* on the mock the time estimate shrinks */
    } switches[] = {
        {"runCompanyLiveEnrichment", "liveCompany.credits", 0},
        {"runProfileLiveEnrichment", "liveProspect.credits", 0},
        {"runContactEnrichment", "waterfall.credits", 1},
        {"runProfileSalesNav", "salesNav.credits", 1},
    };
    long long prospects = 0;
    const char *id = api_shared_audience(k, NULL, &prospects);
    const json_t *base = enr_estimate(k, k->ctx->target->api_key, id, (long)prospects, NULL);
    double base_s = json_number_value(json_object_get(json_object_get(base, "timeEstimate"), "totalSeconds"));
    for (size_t s = 0; s < N_FIELDS(switches); s++) {
        char own_path[64];
        snprintf(own_path, sizeof own_path, "breakdown.%s", switches[s].line);
        long long own = api_int(base, own_path);
        if (k->ctx->target->is_mock && strcmp(switches[s].option, "runProfileSalesNav") != 0)
            CONF_CHECK(k, own > 0, "the default estimate has no %s: %s cannot be observed", switches[s].line,
                       switches[s].option);
        const json_t *e = estimate_without(k, id, (long)prospects, switches[s].option);
        CONF_CHECK(k, api_int(e, own_path) == 0, "estimate with %s false: breakdown.%s is %lld credits, expected 0",
                   switches[s].option, switches[s].line, api_int(e, own_path));
        for (size_t l = 0; l < N_FIELDS(lines); l++) {
            char path[64];
            snprintf(path, sizeof path, "breakdown.%s", lines[l]);
            if (strcmp(lines[l], switches[s].line) == 0)
                continue;
            CONF_CHECK(k, api_int(e, path) == api_int(base, path), "estimate with %s false: %s changed from %lld to "
                       "%lld", switches[s].option, lines[l], api_int(base, path), api_int(e, path));
        }
        CONF_CHECK(k, api_int(e, "totalCredits") == api_int(base, "totalCredits") - own,
                   "estimate with %s false: totalCredits %lld; the defaults cost %lld with %lld for %s",
                   switches[s].option, api_int(e, "totalCredits"), api_int(base, "totalCredits"), own,
                   switches[s].line);
        double e_s = json_number_value(json_object_get(json_object_get(e, "timeEstimate"), "totalSeconds"));
        CONF_CHECK(k, e_s <= base_s, "estimate with %s false takes longer: %g s, the defaults %g s",
                   switches[s].option, e_s, base_s);
        if (k->ctx->target->is_mock && switches[s].drops_a_stage)
            CONF_CHECK(k, e_s < base_s, "estimate with %s false: its stages drop out, but timeEstimate stays %g s",
                       switches[s].option, e_s);
    }
}

/* 200 with a warning whose field is exactly `field`. */
static void expect_warning(conf_case *k, const wire_response *res, const char *what, const char *field)
{
    api_expect_ok(k, res, what, NULL);
    const json_t *warnings = json_object_get(res->json, "warnings");
    for (size_t i = 0; i < json_array_size(warnings); i++)
        if (strcmp(api_str(json_array_get(warnings, i), "field"), field) == 0)
            return;
    char *shown = json_dumps(warnings, JSON_COMPACT | JSON_ENCODE_ANY);
    char copy[400];
    snprintf(copy, sizeof copy, "%s", shown != NULL ? shown : "none");
    free(shown);
    CONF_FAIL(k, "%s: no warning names %s (warnings: %s)", what, field, copy);
}

static void unknown_fields_answered_with_warnings(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    char name[256];
    snprintf(name, sizeof name, "%swarnings", k->ctx->target->prefix);
    wire_response *res = api_call(k, key, "POST", "/v1/audiences/create",
                                  json_pack("{s:s, s:i}", "name", name, "conformanceUnknownField", 1));
    if (res->status == 200)
        conf_track_audience(k->ctx, key, api_str(json_object_get(res->json, "output"), "audienceId"));
    expect_warning(k, res, "create with an unknown field", "conformanceUnknownField");
    const char *id = api_strdup(k, api_str(json_object_get(res->json, "output"), "audienceId"));
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    res = api_call(k, key, "PATCH", path,
                   json_pack("{s:{s:[s], s:[s]}, s:n, s:b}", "companySearchParams", "headquartersCountryCode", "US",
                             "conformanceNoSuchFilter", "x", "prospectSearchParams", "conformanceExtra", 1));
    expect_warning(k, res, "search-params with an unknown filter key", "companySearchParams.conformanceNoSuchFilter");
    expect_warning(k, res, "search-params with an unknown field", "conformanceExtra");
    const json_t *out = json_object_get(res->json, "output");
    CONF_CHECK(k, strcmp(api_str(out, "status"), "DRAFT") == 0, "search-params with unknown keys: status %s",
               api_str(out, "status"));
    CONF_CHECK(k, json_object_get(json_object_get(out, "companySearchParams"), "headquartersCountryCode") != NULL,
               "search-params with an unknown filter key: the known key headquartersCountryCode was not kept");
    if (!k->ctx->target->allow_spend)
        return;
    const char *shared = api_shared_audience(k, NULL, NULL);
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", shared);
    res = api_call(k, key, "POST", path, json_pack("{s:i, s:i}", "maxProspectsToEnrich", 1, "conformanceExtra", 1));
    expect_warning(k, res, "estimate with an unknown field", "conformanceExtra");
    CONF_CHECK(k, api_int(json_object_get(res->json, "output"), "totalCredits") ==
                      api_int(api_estimate(k, key, shared, 1), "totalCredits"),
               "estimate: an unknown field changed the price");
}

/* Mock only (which keys are applied is simulator-defined): a real filter
 * key the simulator does not apply, and company filters on an audience
 * that starts from prospects, are accepted with a warning. */
static void unsimulated_filters_answered_with_warnings(conf_case *k)
{
    conf_need_mock(k, "which filter keys are simulated is simulator-defined");
    const char *key = k->ctx->target->api_key;
    const char *id = api_create(k, key, "unsimulated", "NORMAL");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    expect_warning(k, api_call(k, key, "PATCH", path,
                               json_pack("{s:{s:[s], s:{s:i}}}", "companySearchParams", "headquartersCountryCode", "US",
                                         "revenueUSD", "min", 1000000)),
                   "search-params with revenueUSD", "companySearchParams.revenueUSD");
    id = api_create(k, key, "unsimulated-from-prospects", "START_FROM_PROSPECTS");
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    expect_warning(k, api_call(k, key, "PATCH", path,
                               json_pack("{s:{s:[s]}, s:{s:[s]}}", "companySearchParams", "headquartersCountryCode",
                                         "US", "prospectSearchParams", "country3LetterCode", "USA")),
                   "search-params with company filters on START_FROM_PROSPECTS", "companySearchParams");
}

static const char *built(conf_case *k, const char *key, const char *label)
{
    const char *id = api_create(k, key, label, "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, api_cap_companies(k), api_cap_prospects(k));
    api_build(k, key, id);
    return id;
}

static void check_own_status(conf_case *k, const char *key, const char *id, const char *enrichment_id,
                             const json_t *options)
{
    const json_t *st = enr_status(k, key, id);
    CONF_CHECK(k, strcmp(api_str(st, "enrichmentId"), enrichment_id) == 0,
               "enrichment status of %s: enrichmentId %s, but its enrich answered %s", id, api_str(st, "enrichmentId"),
               enrichment_id);
    enr_check_progress(k, st, NULL, options);
}

/* Two audiences built at once, then enriched at once with different
 * options: each answers for its own enrichment. */
static void two_audiences_enriched_at_once(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    conf_need_spend(k, 2 * (api_cap_companies(k) + api_cap_prospects(k)), "building two audiences");
    const char *a = built(k, key, "at-once-a");
    const char *b = built(k, key, "at-once-b");
    api_wait_build(k, key, a, NULL, 0);
    api_wait_build(k, key, b, NULL, 0);
    const json_t *opt_a = api_own_json(k, json_pack("{s:b, s:b, s:b}", "runProfileSalesNav", 0,
                                                    "runCompanyLiveEnrichment", 0, "runContactEnrichment", 0));
    const json_t *opt_b = api_own_json(k, json_pack("{s:b, s:b}", "runProfileLiveEnrichment", 0,
                                                    "runContactEnrichment", 0));
    long long cost_a = api_int(enr_estimate(k, key, a, 1, opt_a), "totalCredits");
    long long cost_b = api_int(enr_estimate(k, key, b, 1, opt_b), "totalCredits");
    conf_need_spend(k, cost_a + cost_b, "two enrichments");
    const char *id_a = api_strdup(k, api_str(enr_enrich(k, key, a, 1, opt_a, cost_a), "enrichmentId"));
    const char *id_b = api_strdup(k, api_str(enr_enrich(k, key, b, 1, opt_b, cost_b), "enrichmentId"));
    CONF_CHECK(k, strcmp(id_a, id_b) != 0, "two enrichments answered the same enrichmentId %s", id_a);
    check_own_status(k, key, a, id_a, opt_a);
    check_own_status(k, key, b, id_b, opt_b);
    enr_wait(k, key, a, opt_a, id_a);
    check_own_status(k, key, b, id_b, opt_b);
    enr_wait(k, key, b, opt_b, id_b);
    check_own_status(k, key, a, id_a, opt_a);
}

int group_options(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(enrichment_type_switches_change_the_breakdown),
        CONF_CASE(run_switches_change_the_breakdown),
        CONF_CASE(unknown_fields_answered_with_warnings),
        CONF_CASE(unsimulated_filters_answered_with_warnings),
        CONF_CASE(two_audiences_enriched_at_once),
    };
    return conf_run_group(ctx, "options", cases, N_FIELDS(cases));
}
