/* limits: 402 when credits run out, 403 when the export quota is used up,
 * 429 with Retry-After. They are provoked through the mock's control
 * plane; against a real service only the 429 can run, and only when
 * DESCOVO_ALLOW_FLOOD=1 asks for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "groups.h"

/* Requests sent at most to provoke a 429: the documented limit of the
 * credits endpoint is 100 a minute. */
#define FLOOD_MAX_REQUESTS 250

static void check_out_of_credits(conf_case *k, const wire_response *res, const char *what, long long available)
{
    api_expect_error(k, res, 402, what);
    static const field_spec alert[] = {
        {"getMoreCreditsUrl", F_STRING}, {"message", F_STRING}, {"availableCredits", F_NUMBER},
    };
    char label[160];
    snprintf(label, sizeof label, "%s: error.outOfCreditsAlert", what);
    api_check_fields(k, json_object_get(json_object_get(res->json, "error"), "outOfCreditsAlert"), label, alert,
                     N_FIELDS(alert));
    long long told = json_integer_value(json_object_get(
        json_object_get(json_object_get(res->json, "error"), "outOfCreditsAlert"), "availableCredits"));
    CONF_CHECK(k, told == available, "%s: availableCredits %lld, the balance is %lld", what, told, available);
}

static void out_of_credits_402(conf_case *k)
{
    api_mock_use(k, "an account without credits");
    const char *key = "sk_test_conformance_broke";
    api_mock_account(k, key, json_pack("{s:i}", "credits", 100));
    const char *id = api_built_audience(k, key, "paid", "NORMAL");
    const char *draft = api_create(k, key, "unpaid", "NORMAL");
    api_set_params(k, key, draft, api_company_filters(), NULL, 1, 1);

    /* Enrich with fewer credits than the estimate: refused, nothing taken. */
    long long cost = json_integer_value(json_object_get(api_estimate(k, key, id, 1), "totalCredits"));
    CONF_CHECK(k, cost > 1, "an estimate of %lld: cannot go below it", cost);
    api_mock_account(k, key, json_pack("{s:i}", "credits", 1));
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    check_out_of_credits(k, api_call(k, key, "POST", path, json_pack("{s:i}", "maxProspectsToEnrich", 1)),
                         "enrich with 1 credit", 1);
    CONF_CHECK(k, api_credits(k, key) == 1, "a refused enrichment charged credits");

    /* A build with a balance of 0 is refused upfront. */
    api_mock_account(k, key, json_pack("{s:i}", "credits", 0));
    snprintf(path, sizeof path, "/v1/audiences/%s/build", draft);
    check_out_of_credits(k, api_call(k, key, "POST", path, NULL), "build with 0 credits", 0);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(api_status(k, key, draft), "status")), "DRAFT") == 0,
               "a refused build changed the audience's status");
}

/* Mock only (simulator-defined): a build accepted with too few credits for
 * what it finds ends FAILED and charges nothing. */
static void build_failing_at_completion_charges_nothing(conf_case *k)
{
    api_mock_use(k, "an account with a few credits");
    const char *key = "sk_test_conformance_short";
    api_mock_account(k, key, json_pack("{s:i}", "credits", 5));
    const char *id = api_create(k, key, "short", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, api_cap_companies(k), api_cap_prospects(k));
    api_build(k, key, id);
    const char *status = "";
    for (int i = 0; i < 200; i++) {
        status = api_str(api_status(k, key, id), "status");
        if (strcmp(status, "FAILED") == 0 || strcmp(status, "NORMAL") == 0)
            break;
        api_mock_advance(k, 1);
    }
    CONF_CHECK(k, strcmp(status, "FAILED") == 0, "a build of up to %ld records with 5 credits ended %s, not FAILED",
               api_cap_companies(k) + api_cap_prospects(k), status);
    long long left = api_credits(k, key);
    CONF_CHECK(k, left == 5, "a build that ended FAILED charged %lld credits (5 before, %lld after)", 5 - left, left);
}

static void export_quota_403(conf_case *k)
{
    api_mock_use(k, "an account with a small export quota");
    const char *key = "sk_test_conformance_quota";
    api_mock_account(k, key, json_pack("{s:i, s:i, s:i}", "credits", 1000, "exportQuota", 3, "exportRowsUsed", 0));
    const char *id = api_built_audience(k, key, "quota", "NORMAL");
    long long companies = json_integer_value(json_object_get(api_status(k, key, id), "companiesCount"));
    CONF_CHECK(k, companies >= 3, "the audience has %lld companies; the case needs 3", companies);
    const json_t *out = api_export(k, key, id, "companies", json_pack("{s:i}", "maxRowsToExport", 2));
    CONF_CHECK(k, json_integer_value(json_object_get(out, "maxRowsAllowed")) == 3,
               "maxRowsAllowed %lld with the whole quota of 3 left",
               (long long)json_integer_value(json_object_get(out, "maxRowsAllowed")));
    /* One row left: the next export is capped to it. */
    out = api_export(k, key, id, "companies", NULL);
    CONF_CHECK(k, json_integer_value(json_object_get(out, "estimatedRows")) == 1,
               "an export with 1 row of quota left has %lld rows",
               (long long)json_integer_value(json_object_get(out, "estimatedRows")));
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/prospects", id);
    const char *message = api_expect_error(k, api_call(k, key, "POST", path,
                                                       json_pack("{s:s}", "format", "PROSPECT_GENERIC_CSV")),
                                           403, "export with the quota used up");
    CONF_CHECK(k, strstr(message, "Export quota exhausted") != NULL,
               "403 message \"%s\" does not say \"Export quota exhausted\"", message);
}

/* Retry-After: whole seconds (the HTTP-date form is not used by either). */
static long parse_retry_after(conf_case *k, const wire_response *res)
{
    CONF_CHECK(k, res->has_retry_after, "429 without a Retry-After header");
    char *end = NULL;
    errno = 0;
    long seconds = strtol(res->retry_after, &end, 10);
    CONF_CHECK(k, errno == 0 && end != res->retry_after && *end == '\0' && seconds >= 0,
               "Retry-After \"%s\" is not a number of seconds", res->retry_after);
    return seconds;
}

static void rate_limit_429_with_retry_after(conf_case *k)
{
    const conf_target *t = k->ctx->target;
    const char *key = t->api_key;
    if (t->is_mock) {
        api_mock_use(k, "the rate-limited scenario");
        api_expect_ok(k, api_raw(k, "POST", "/_mock/scenarios", "{\"name\":\"rate-limited\"}"), "scenario", NULL);
    } else if (!t->allow_flood) {
        conf_skip(k, "provoking a 429 floods the real service: set DESCOVO_ALLOW_FLOOD=1 to allow up to %d "
                  "credit checks", FLOOD_MAX_REQUESTS);
    }
    wire_response *res = NULL;
    int sent = 0;
    for (; sent < FLOOD_MAX_REQUESTS; sent++) {
        res = api_call(k, key, "GET", "/v1/credits", NULL);
        if (res->status != 200)
            break;
    }
    CONF_CHECK(k, sent < FLOOD_MAX_REQUESTS, "no 429 after %d credit checks", sent);
    api_expect_error(k, res, 429, "the request past the limit");
    long seconds = parse_retry_after(k, res);
    CONF_CHECK(k, seconds >= 1 && seconds <= 60, "Retry-After %ld: a 60-second window closes within 1..60 s",
               seconds);
    if (!t->manual_clock)
        return;
    /* A refused request is not counted, and the window reopens on time. */
    res = api_call(k, key, "GET", "/v1/credits", NULL);
    api_expect_error(k, res, 429, "a second request past the limit");
    api_mock_advance(k, (double)seconds);
    api_expect_ok(k, api_call(k, key, "GET", "/v1/credits", NULL), "credits after Retry-After", "free");
}

int group_limits(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(out_of_credits_402),
        CONF_CASE(build_failing_at_completion_charges_nothing),
        CONF_CASE(export_quota_403),
        CONF_CASE(rate_limit_429_with_retry_after),
    };
    return conf_run_group(ctx, "limits", cases, N_FIELDS(cases));
}
