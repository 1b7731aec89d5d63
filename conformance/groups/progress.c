/* progress: the enrichment status and the build times tell the truth -
 * stepsCompleted, currentStep and stepsRemaining partition the stages the
 * options imply (enrichment.c checks that on every poll of the suite;
 * here with options that drop stages), progressPercent follows the clock,
 * and the build's timestamps follow its documented duration. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "groups.h"

/* Work e-mails only, no Sales Navigator, no live enrichment: the stages
 * RUNNING_SALES_NAV, RUNNING_LIVE_ENRICH and RESUBMITTING_AUDIENCE drop
 * out (docs/API.md section 7). */
static void steps_follow_the_options(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "steps", "NORMAL");
    const json_t *options = api_own_json(k, json_pack("{s:{s:b, s:b}, s:b, s:b, s:b}", "enrichmentType",
                                                      "getPersonalEmails", 0, "getPhoneNumbers", 0,
                                                      "runProfileSalesNav", 0, "runCompanyLiveEnrichment", 0,
                                                      "runProfileLiveEnrichment", 0));
    long long cost = api_int(enr_estimate(k, key, id, 1, options), "totalCredits");
    conf_need_spend(k, cost, "enriching one prospect for work e-mails");
    const json_t *out = enr_enrich(k, key, id, 1, options, cost);
    const json_t *done = enr_wait(k, key, id, options, api_str(out, "enrichmentId"));
    const json_t *completed = json_object_get(done, "stepsCompleted");
    for (size_t i = 0; i < json_array_size(completed); i++) {
        const char *step = json_string_value(json_array_get(completed, i));
        CONF_CHECK(k, strcmp(step, "RUNNING_SALES_NAV") != 0 && strcmp(step, "RUNNING_LIVE_ENRICH") != 0,
                   "step %s completed, but the enrichment was asked to skip it", step);
    }
}

/* Mock only: with the manual clock, an enrichment's progressPercent is the
 * share of its documented duration (the estimate's timeEstimate, the same
 * sum of stages) that has passed, and it completes when that is over. */
static void progress_percent_follows_the_clock(conf_case *k)
{
    conf_need_mock(k, "the durations of the stages are simulator-defined");
    CONF_CHECK(k, k->ctx->target->manual_clock, "needs the manual clock");
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "percent", "NORMAL");
    long long prospects = api_int(api_status(k, key, id), "prospectsCount");
    const json_t *estimate = enr_estimate(k, key, id, (long)prospects, NULL);
    double total_s = json_number_value(json_object_get(json_object_get(estimate, "timeEstimate"), "totalSeconds"));
    CONF_CHECK(k, total_s >= 2, "timeEstimate.totalSeconds %g: too short to watch", total_s);
    const json_t *out = enr_enrich(k, key, id, (long)prospects, NULL, api_int(estimate, "totalCredits"));
    const char *enrichment_id = api_strdup(k, api_str(out, "enrichmentId"));
    /* totalSeconds is rounded to whole seconds: one second of slack. */
    double slack = 100.0 / total_s + 1;
    const json_t *prev = NULL;
    for (int polls = 0; polls < 600; polls++) {
        const json_t *st = enr_status(k, key, id);
        enr_check_progress(k, st, prev, NULL);
        CONF_CHECK(k, strcmp(api_str(st, "enrichmentId"), enrichment_id) == 0, "enrichmentId changed to %s",
                   api_str(st, "enrichmentId"));
        long long created = api_time_ms(api_str(st, "createdAt"));
        if (strcmp(api_str(st, "currentStage"), "DONE") == 0) {
            long long took = api_time_ms(api_str(st, "completedAt")) - created;
            CONF_CHECK(k, fabs((double)took - total_s * 1000) <= 1000,
                       "the enrichment took %lld ms (completedAt - createdAt); its estimate said %g s", took, total_s);
            return;
        }
        double elapsed_s = (double)(api_mock_now_ms(k) - created) / 1000;
        double expected = elapsed_s * 100 / total_s;
        double percent = json_number_value(json_object_get(st, "progressPercent"));
        CONF_CHECK(k, fabs(percent - (expected < 99 ? expected : 99)) <= slack,
                   "progressPercent %g after %.1f s of an enrichment estimated at %g s (about %.0f expected)", percent,
                   elapsed_s, total_s, expected);
        prev = st;
        api_mock_advance(k, 1);
    }
    CONF_FAIL(k, "the enrichment of %s did not reach DONE in 600 simulated seconds", id);
}

/* Mock only: a build takes 2 s plus 1 ms per company and prospect found,
 * at most 120 s, from the moment it was accepted. */
static void build_times_follow_the_documented_duration(conf_case *k)
{
    conf_need_mock(k, "the build duration is simulator-defined");
    CONF_CHECK(k, k->ctx->target->manual_clock, "needs the manual clock");
    const char *key = k->ctx->target->api_key;
    const char *id = api_create(k, key, "build-times", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, api_cap_companies(k), api_cap_prospects(k));
    api_build(k, key, id);
    long long accepted = api_mock_now_ms(k);   /* the manual clock has not moved since */
    const json_t *st = api_wait_build(k, key, id, NULL, 0);
    long long created = api_time_ms(api_str(st, "createdAt"));
    long long started = api_time_ms(api_str(st, "buildingStartedAt"));
    long long finished = api_time_ms(api_str(st, "buildingFinishedAt"));
    long long records = api_int(st, "companiesCount") + api_int(st, "prospectsCount");
    long long expected = 2000 + records < 120000 ? 2000 + records : 120000;
    CONF_CHECK(k, created <= started, "buildingStartedAt %s is before createdAt %s", api_str(st, "buildingStartedAt"),
               api_str(st, "createdAt"));
    CONF_CHECK(k, started == accepted, "buildingStartedAt %s, but the build was accepted at %lld ms",
               api_str(st, "buildingStartedAt"), accepted);
    CONF_CHECK(k, finished - started == expected,
               "buildingFinishedAt - buildingStartedAt is %lld ms; documented 2 s plus 1 ms per record found (%lld): "
               "%lld ms", finished - started, records, expected);
}

int group_progress(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(steps_follow_the_options),
        CONF_CASE(progress_percent_follows_the_clock),
        CONF_CASE(build_times_follow_the_documented_duration),
    };
    return conf_run_group(ctx, "progress", cases, N_FIELDS(cases));
}
