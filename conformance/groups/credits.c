/* credits: the balance moves by exactly what each step says it charges -
 * a build by one per company and prospect found, at completion; an
 * enrichment by its estimate, upfront; every other step by nothing. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "groups.h"

static void build_charges_one_per_record(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    conf_need_spend(k, api_cap_companies(k) + api_cap_prospects(k), "building an audience");
    const char *id = api_create(k, key, "credits-build", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, api_cap_companies(k), api_cap_prospects(k));
    long long before = api_credits(k, key);
    api_build(k, key, id);
    if (k->ctx->target->manual_clock) {
        /* charging-later: nothing moves before the build completes. */
        long long during = api_credits(k, key);
        CONF_CHECK(k, during == before, "credits moved from %lld to %lld when the build started (charging-later)",
                   before, during);
    }
    const json_t *st = api_wait_build(k, key, id, NULL, 0);
    long long records = json_integer_value(json_object_get(st, "companiesCount")) +
                        json_integer_value(json_object_get(st, "prospectsCount"));
    CONF_CHECK(k, records > 0, "the build found nothing: no charge to observe");
    long long after = api_credits(k, key);
    CONF_CHECK(k, before - after == records, "the build found %lld companies and prospects, but credits went from "
               "%lld to %lld (charged %lld)", records, before, after, before - after);
}

static void enrich_charges_the_estimate_upfront(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "credits-enrich", "NORMAL");
    long long cost = json_integer_value(json_object_get(api_estimate(k, key, id, 1), "totalCredits"));
    CONF_CHECK(k, cost > 0, "the estimate for one prospect is 0: no charge to observe");
    conf_need_spend(k, cost, "enriching one prospect");
    long long before = api_credits(k, key);
    api_enrich(k, key, id, 1, cost);
    long long after = api_credits(k, key);
    CONF_CHECK(k, before - after == cost, "enrich: estimate %lld, but credits went from %lld to %lld right after "
               "(charged %lld)", cost, before, after, before - after);
    api_wait_enrichment(k, key, id);
    long long done = api_credits(k, key);
    CONF_CHECK(k, done == after, "credits moved again during the enrichment: %lld, then %lld", after, done);
}

static void free_steps_charge_nothing(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *shared = api_shared_audience(k, NULL, NULL);
    long long before = api_credits(k, key);
    const char *id = api_create(k, key, "credits-free", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, 1, 1);
    api_status(k, key, id);
    api_estimate(k, key, shared, 1);
    api_expect_ok(k, api_call(k, key, "GET", "/v1/audiences", NULL), "list", "free");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/companies", shared);
    api_expect_ok(k, api_call(k, key, "GET", path, NULL), "companies page", "free");
    api_export(k, key, shared, "companies", json_pack("{s:i}", "maxRowsToExport", 1));
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    api_expect_ok(k, api_call(k, key, "DELETE", path, NULL), "archive", "free");
    long long after = api_credits(k, key);
    CONF_CHECK(k, after == before, "free steps moved credits from %lld to %lld", before, after);
}

/* Mock only (the threshold is simulator-defined): below 1,000 credits every
 * answer carries lowCreditAlert with the balance. */
static void low_credit_alert_below_threshold(conf_case *k)
{
    api_mock_use(k, "an account with few credits");
    const char *key = "sk_test_conformance_low";
    api_mock_account(k, key, json_pack("{s:i}", "credits", 500));
    wire_response *res = api_call(k, key, "GET", "/v1/credits", NULL);
    api_expect_ok(k, res, "credits", "free");
    const json_t *alert = json_object_get(json_object_get(res->json, "chargeInfo"), "lowCreditAlert");
    CONF_CHECK(k, alert != NULL, "500 credits: no chargeInfo.lowCreditAlert");
    CONF_CHECK(k, json_integer_value(json_object_get(alert, "availableCredits")) == 500,
               "lowCreditAlert.availableCredits is not 500");
    /* After a build has charged, every answer's alert shows the new
     * balance, not the one it first saw. */
    const char *id = api_built_audience(k, key, "low-credits", "NORMAL");
    long long balance = api_credits(k, key);
    CONF_CHECK(k, balance < 500, "the build charged nothing: no new balance to show");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    res = api_call(k, key, "GET", path, NULL);
    api_expect_ok(k, res, "status", "free");
    alert = json_object_get(json_object_get(res->json, "chargeInfo"), "lowCreditAlert");
    CONF_CHECK(k, alert != NULL, "%lld credits: the status answer has no chargeInfo.lowCreditAlert", balance);
    CONF_CHECK(k, api_int(alert, "availableCredits") == balance,
               "the status answer's lowCreditAlert.availableCredits is %lld, the balance %lld",
               api_int(alert, "availableCredits"), balance);
}

int group_credits(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(build_charges_one_per_record),
        CONF_CASE(enrich_charges_the_estimate_upfront),
        CONF_CASE(free_steps_charge_nothing),
        CONF_CASE(low_credit_alert_below_threshold),
    };
    return conf_run_group(ctx, "credits", cases, N_FIELDS(cases));
}
