/* enrichment: estimate, enrich and enrichment status with their options. */
#include "enrichment.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "prices.h"

/* Polling step on a manual clock: an enrichment of a tiny audience takes
 * well under a minute of simulated time. */
#define MANUAL_ENRICH_STEP_S 1.0
#define MAX_STEPS 32

static const char *const enrichment_stages[] = {
    "NOT_STARTED", "STARTED", "RUNNING_SALES_NAV", "RUNNING_LIVE_ENRICH", "RESUBMITTING_AUDIENCE",
    "CLEANING_NAMES", "FETCHING_CONTACT_DETAILS", "VALIDATING_CONTACT_DETAILS", "EXPORTING_CSV",
    "DONE", "FAILED",
};

int enr_switch(const json_t *options, const char *name)
{
    const json_t *v = NULL;
    if (strncmp(name, "enrichmentType.", 15) == 0)
        v = json_object_get(json_object_get(options, "enrichmentType"), name + 15);
    else
        v = json_object_get(options, name);
    return v == NULL || !json_is_false(v);
}

size_t enr_stages(const json_t *options, const char **out)
{
    size_t n = 0;
    out[n++] = "NOT_STARTED";
    out[n++] = "STARTED";
    if (enr_switch(options, "runProfileSalesNav"))
        out[n++] = "RUNNING_SALES_NAV";
    if (enr_switch(options, "runCompanyLiveEnrichment") || enr_switch(options, "runProfileLiveEnrichment")) {
        out[n++] = "RUNNING_LIVE_ENRICH";
        out[n++] = "RESUBMITTING_AUDIENCE";
    }
    out[n++] = "CLEANING_NAMES";
    if (enr_switch(options, "runContactEnrichment")) {
        out[n++] = "FETCHING_CONTACT_DETAILS";
        out[n++] = "VALIDATING_CONTACT_DETAILS";
    }
    out[n++] = "EXPORTING_CSV";
    return n;
}

static json_t *body_of(conf_case *k, long n, const json_t *options)
{
    json_t *body = json_pack("{s:I}", "maxProspectsToEnrich", (json_int_t)n);
    CONF_CHECK(k, body != NULL, "out of memory");
    if (options != NULL) {
        json_t *copy = json_deep_copy(options);
        json_object_update(body, copy);
        json_decref(copy);
    }
    return body;
}

static void check_breakdown_fields(conf_case *k, const json_t *estimate)
{
    static const field_spec free_line[] = {{"credits", F_INT}, {"isFree", F_BOOL}};
    static const field_spec live_line[] = {{"credits", F_INT}, {"discounted", F_BOOL}};
    static const field_spec waterfall[] = {
        {"credits", F_INT}, {"originalCredits", F_INT}, {"discount", F_NUMBER}, {"operations", F_OBJECT},
    };
    static const field_spec operations[] = {{"workEmail", F_INT}, {"personalEmail", F_INT}, {"phone", F_INT}};
    static const field_spec time_estimate[] = {{"totalSeconds", F_NUMBER}, {"formatted", F_STRING}};
    const json_t *b = json_object_get(estimate, "breakdown");
    api_check_fields(k, json_object_get(b, "salesNav"), "estimate breakdown.salesNav", free_line, 2);
    api_check_fields(k, json_object_get(b, "liveCompany"), "estimate breakdown.liveCompany", live_line, 2);
    api_check_fields(k, json_object_get(b, "liveProspect"), "estimate breakdown.liveProspect", live_line, 2);
    api_check_fields(k, json_object_get(b, "waterfall"), "estimate breakdown.waterfall", waterfall, 4);
    api_check_fields(k, json_object_get(json_object_get(b, "waterfall"), "operations"),
                     "estimate breakdown.waterfall.operations", operations, 3);
    api_check_fields(k, json_object_get(b, "validation"), "estimate breakdown.validation", free_line, 2);
    api_check_fields(k, json_object_get(estimate, "timeEstimate"), "estimate timeEstimate", time_estimate, 2);
}

/* A line that a switch turns off costs nothing. */
static void check_off(conf_case *k, const json_t *options, const char *option, const json_t *b, const char *line)
{
    if (enr_switch(options, option))
        return;
    long long credits = api_int(b, line);
    CONF_CHECK(k, credits == 0, "estimate with %s false: breakdown.%s is %lld credits, expected 0", option, line,
               credits);
}

/* The arithmetic of a breakdown, whatever the audience holds. */
static void check_arithmetic(conf_case *k, const json_t *out, const json_t *options)
{
    const json_t *b = json_object_get(out, "breakdown");
    long long sales_nav = api_int(b, "salesNav.credits"), live_company = api_int(b, "liveCompany.credits");
    long long live_prospect = api_int(b, "liveProspect.credits"), waterfall = api_int(b, "waterfall.credits");
    long long validation = api_int(b, "validation.credits"), total = api_int(out, "totalCredits");
    long long sum = sales_nav + live_company + live_prospect + waterfall + validation;
    CONF_CHECK(k, total == sum,
               "estimate: totalCredits %lld is not the sum of its breakdown lines (salesNav %lld + liveCompany %lld + "
               "liveProspect %lld + waterfall %lld + validation %lld = %lld)",
               total, sales_nav, live_company, live_prospect, waterfall, validation, sum);
    long long work = api_int(b, "waterfall.operations.workEmail");
    long long personal = api_int(b, "waterfall.operations.personalEmail");
    long long phone = api_int(b, "waterfall.operations.phone");
    long long original = api_int(b, "waterfall.originalCredits");
    CONF_CHECK(k, original == work + personal + phone,
               "estimate: breakdown.waterfall.originalCredits %lld is not the sum of its operations (workEmail %lld + "
               "personalEmail %lld + phone %lld = %lld)",
               original, work, personal, phone, work + personal + phone);
    CONF_CHECK(k, waterfall <= original, "estimate: breakdown.waterfall.credits %lld above its originalCredits %lld",
               waterfall, original);
    CONF_CHECK(k, sales_nav >= 0 && live_company >= 0 && live_prospect >= 0 && waterfall >= 0 && validation >= 0 &&
                  work >= 0 && personal >= 0 && phone >= 0,
               "estimate: a negative line in the breakdown");
    /* Whole units at the documented prices (prices.h). */
    CONF_CHECK(k, work % PRICE_WORK_EMAIL == 0 && personal % PRICE_PERSONAL_EMAIL == 0 && phone % PRICE_PHONE == 0,
               "estimate: operations workEmail %lld, personalEmail %lld, phone %lld are not whole units at the "
               "documented %d, %d and %d credits",
               work, personal, phone, PRICE_WORK_EMAIL, PRICE_PERSONAL_EMAIL, PRICE_PHONE);
    CONF_CHECK(k, !json_is_true(json_object_get(json_object_get(b, "salesNav"), "isFree")) || sales_nav == 0,
               "estimate: breakdown.salesNav isFree but costs %lld", sales_nav);
    CONF_CHECK(k, !json_is_true(json_object_get(json_object_get(b, "validation"), "isFree")) || validation == 0,
               "estimate: breakdown.validation isFree but costs %lld", validation);
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, waterfall == original && json_number_value(json_object_get(json_object_get(b, "waterfall"),
                                                                                  "discount")) == 0,
                   "estimate: a waterfall discount (credits %lld of %lld) on the mock, which documents none",
                   waterfall, original);
    check_off(k, options, "runCompanyLiveEnrichment", b, "liveCompany.credits");
    check_off(k, options, "runProfileLiveEnrichment", b, "liveProspect.credits");
    check_off(k, options, "runContactEnrichment", b, "waterfall.originalCredits");
    check_off(k, options, "enrichmentType.getWorkEmails", b, "waterfall.operations.workEmail");
    check_off(k, options, "enrichmentType.getPersonalEmails", b, "waterfall.operations.personalEmail");
    check_off(k, options, "enrichmentType.getPhoneNumbers", b, "waterfall.operations.phone");
}

const json_t *enr_estimate(conf_case *k, const char *key, const char *id, long n, const json_t *options)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "POST", path, body_of(k, n, options)), "estimate", "free");
    api_check_fields(k, out, "estimate output", api_estimate_fields, N_FIELDS(api_estimate_fields));
    check_breakdown_fields(k, out);
    CONF_CHECK(k, api_int(out, "totalCredits") >= 0, "estimate: negative totalCredits");
    check_arithmetic(k, out, options);
    return out;
}

const json_t *enr_enrich(conf_case *k, const char *key, const char *id, long n, const json_t *options,
                         long long estimated)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    wire_response *res = api_call(k, key, "POST", path, body_of(k, n, options));
    const json_t *out = api_expect_ok(k, res, "enrich", "charged-now");
    api_check_fields(k, out, "enrich output", api_enrich_fields, N_FIELDS(api_enrich_fields));
    CONF_CHECK(k, strcmp(api_str(out, "status"), "NOT_STARTED") == 0, "enrich: status is %s, expected NOT_STARTED",
               api_str(out, "status"));
    CONF_CHECK(k, strcmp(api_str(out, "audienceId"), id) == 0, "enrich: audienceId is \"%s\", the request was for %s",
               api_str(out, "audienceId"), id);
    long long charged = api_int(json_object_get(res->json, "chargeInfo"), "creditsCharged");
    long long told = api_int(out, "estimatedCredits");
    CONF_CHECK(k, told == estimated, "enrich: estimatedCredits %lld, but the estimate said %lld", told, estimated);
    CONF_CHECK(k, charged == estimated, "enrich: chargeInfo.creditsCharged %lld, but the estimate said %lld",
               charged, estimated);
    return out;
}

const json_t *enr_status(conf_case *k, const char *key, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/status", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", path, NULL), "enrichment status", "free");
    api_check_fields(k, out, "enrichment status output", api_enrichment_status_fields,
                     N_FIELDS(api_enrichment_status_fields));
    const char *stage = api_str(out, "currentStage");
    CONF_CHECK(k, api_index_of(enrichment_stages, N_FIELDS(enrichment_stages), stage) >= 0,
               "enrichment stage \"%s\" is not a documented stage", stage);
    return out;
}

/* completed ++ [current] ++ remaining, each a string. Returns the count. */
static size_t all_steps(conf_case *k, const json_t *out, const char **steps)
{
    static const char *const parts[] = {"stepsCompleted", "currentStep", "stepsRemaining"};
    size_t n = 0;
    for (size_t p = 0; p < 3; p++) {
        const json_t *v = json_object_get(out, parts[p]);
        if (json_is_null(v))
            continue;
        size_t count = json_is_array(v) ? json_array_size(v) : 1;
        for (size_t i = 0; i < count; i++) {
            const char *s = json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
            CONF_CHECK(k, s != NULL, "enrichment status: %s holds something that is not a step name", parts[p]);
            CONF_CHECK(k, n < MAX_STEPS, "enrichment status: more than %d steps", MAX_STEPS);
            steps[n++] = s;
        }
    }
    return n;
}

static const char *joined(const char **list, size_t n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i > 0 ? " " : "", list[i]);
    }
    return buf;
}

static int same_list(const char **a, size_t na, const char **b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return 0;
    return 1;
}

void enr_check_progress(conf_case *k, const json_t *out, const json_t *prev, const json_t *options)
{
    const char *stage = api_str(out, "currentStage");
    const char *current = json_string_value(json_object_get(out, "currentStep"));
    const json_t *completed = json_object_get(out, "stepsCompleted");
    double percent = json_number_value(json_object_get(out, "progressPercent"));
    int done = strcmp(stage, "DONE") == 0;
    char a[1024], b[1024];

    CONF_CHECK(k, strcmp(stage, "FAILED") != 0, "the enrichment ended FAILED");
    CONF_CHECK(k, percent >= 0 && percent <= 100, "progressPercent %g outside 0..100", percent);
    CONF_CHECK(k, (percent == 100) == done, "progressPercent %g at stage %s (100 only at DONE)", percent, stage);
    CONF_CHECK(k, json_is_null(json_object_get(out, "completedAt")) == !done,
               "completedAt must be null until DONE and set at DONE (stage %s)", stage);
    if (done) {
        CONF_CHECK(k, current == NULL, "currentStep must be null at DONE");
        CONF_CHECK(k, json_array_size(json_object_get(out, "stepsRemaining")) == 0,
                   "stepsRemaining must be empty at DONE");
    } else if (k->ctx->target->is_mock) {
        /* The public spec lets currentStep be null; the mock documents it
         * as the current stage. */
        CONF_CHECK(k, current != NULL, "currentStep is null at stage %s, before DONE", stage);
    }

    const char *steps[MAX_STEPS];
    size_t n = all_steps(k, out, steps);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            CONF_CHECK(k, strcmp(steps[i], steps[j]) != 0,
                       "step %s is listed twice: stepsCompleted, currentStep and stepsRemaining must partition the "
                       "steps (%s)", steps[i], joined(steps, n, a, sizeof a));
    if (k->ctx->target->is_mock) {
        const char *expected[MAX_STEPS];
        size_t ne = enr_stages(options, expected);
        CONF_CHECK(k, same_list(steps, n, expected, ne), "stage %s: the steps are %s; the options imply %s", stage,
                   joined(steps, n, a, sizeof a), joined(expected, ne, b, sizeof b));
        if (!done)
            CONF_CHECK(k, strcmp(current, stage) == 0, "currentStep %s is not the currentStage %s", current, stage);
        else
            CONF_CHECK(k, json_array_size(completed) == ne, "at DONE stepsCompleted has %zu steps; the options imply "
                       "%zu: %s", json_array_size(completed), ne, joined(expected, ne, b, sizeof b));
    }
    if (prev == NULL)
        return;
    const char *before[MAX_STEPS];
    size_t nb = all_steps(k, prev, before);
    /* A null currentStep (allowed by the spec) leaves a step out of the
     * list: compare only two complete ones. */
    int prev_whole = !json_is_null(json_object_get(prev, "currentStep")) ||
                     strcmp(api_str(prev, "currentStage"), "DONE") == 0;
    if (prev_whole && (current != NULL || done))
        CONF_CHECK(k, same_list(steps, n, before, nb), "the steps changed between two polls: %s, then %s",
                   joined(before, nb, b, sizeof b), joined(steps, n, a, sizeof a));
    const json_t *was = json_object_get(prev, "stepsCompleted");
    CONF_CHECK(k, json_array_size(completed) >= json_array_size(was), "stepsCompleted shrank from %zu to %zu",
               json_array_size(was), json_array_size(completed));
    for (size_t i = 0; i < json_array_size(was); i++)
        CONF_CHECK(k, json_equal(json_array_get(was, i), json_array_get(completed, i)),
                   "stepsCompleted did not accumulate: step %zu was %s, now %s", i + 1,
                   json_string_value(json_array_get(was, i)), json_string_value(json_array_get(completed, i)));
    double last = json_number_value(json_object_get(prev, "progressPercent"));
    CONF_CHECK(k, percent >= last, "progressPercent went back from %g to %g", last, percent);
}

const json_t *enr_wait(conf_case *k, const char *key, const char *id, const json_t *options,
                       const char *enrichment_id)
{
    time_t started = time(NULL);
    const json_t *prev = NULL;
    for (int polls = 0;; polls++) {
        const json_t *out = enr_status(k, key, id);
        if (enrichment_id != NULL)
            CONF_CHECK(k, strcmp(api_str(out, "enrichmentId"), enrichment_id) == 0,
                       "enrichment status of %s: enrichmentId %s, but its enrich answered %s", id,
                       api_str(out, "enrichmentId"), enrichment_id);
        enr_check_progress(k, out, prev, options);
        if (strcmp(api_str(out, "currentStage"), "DONE") == 0)
            return out;
        prev = out;
        if (api_poll_pause(k, MANUAL_ENRICH_STEP_S, polls, started) != 0)
            CONF_FAIL(k, "the enrichment of %s did not reach DONE in time (still %s)", id,
                      api_str(out, "currentStage"));
    }
}

const json_t *api_estimate(conf_case *k, const char *key, const char *id, long n)
{
    return enr_estimate(k, key, id, n, NULL);
}

const json_t *api_enrich(conf_case *k, const char *key, const char *id, long n, long long estimated)
{
    return enr_enrich(k, key, id, n, NULL, estimated);
}

const json_t *api_wait_enrichment(conf_case *k, const char *key, const char *id)
{
    return enr_wait(k, key, id, NULL, NULL);
}
