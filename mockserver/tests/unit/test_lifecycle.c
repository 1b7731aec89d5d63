/* Unit tests of lifecycle: build durations and statuses, enrichment plans
 * and progress. All pure functions of times given as numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/lifecycle.h"

#define T0 1735689600000LL

static enrichment_options all_options(void)
{
    enrichment_options o = {
        .max_prospects = 100,
        .get_work_emails = 1,
        .get_personal_emails = 1,
        .get_phone_numbers = 1,
        .run_company_live = 1,
        .run_profile_live = 1,
        .run_sales_nav = 1,
        .run_contact = 1,
    };
    return o;
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(audience_status_name(AUDIENCE_DRAFT), "DRAFT");
    assert_string_equal(audience_status_name(AUDIENCE_BUILDING), "BUILDING");
    assert_string_equal(audience_status_name(AUDIENCE_SAVING_COMPANIES), "SAVING_COMPANIES");
    assert_string_equal(audience_status_name(AUDIENCE_SAVING_PROSPECTS), "SAVING_PROSPECTS");
    assert_string_equal(audience_status_name(AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES),
                        "LINKING_PROSPECTS_WITH_COMPANIES");
    assert_string_equal(audience_status_name(AUDIENCE_HEALING_COMPANIES), "HEALING_COMPANIES");
    assert_string_equal(audience_status_name(AUDIENCE_NORMAL), "NORMAL");
    assert_string_equal(audience_status_name(AUDIENCE_FAILED), "FAILED");

    static const char *const stages[STAGE_COUNT] = {
        "NOT_STARTED", "STARTED", "RUNNING_SALES_NAV", "RUNNING_LIVE_ENRICH",
        "RESUBMITTING_AUDIENCE", "CLEANING_NAMES", "FETCHING_CONTACT_DETAILS",
        "VALIDATING_CONTACT_DETAILS", "EXPORTING_CSV", "DONE", "FAILED",
    };
    for (int s = 0; s < STAGE_COUNT; s++)
        assert_string_equal(enrichment_stage_name((enrichment_stage)s), stages[s]);
}

static void test_build_duration(void **state)
{
    (void)state;
    assert_int_equal(lifecycle_build_duration_ms(0, 0), 2000);
    assert_int_equal(lifecycle_build_duration_ms(1, 0), 2001);
    assert_int_equal(lifecycle_build_duration_ms(0, 1), 2001);
    assert_int_equal(lifecycle_build_duration_ms(100, 900), 3000);
    assert_int_equal(lifecycle_build_duration_ms(2000, 20000), 24000);
    /* The cap: 118 000 records reach exactly 120 s. */
    assert_int_equal(lifecycle_build_duration_ms(18000, 100000), 120000);
    assert_int_equal(lifecycle_build_duration_ms(18000, 99999), 119999);
    assert_int_equal(lifecycle_build_duration_ms(18000, 100001), 120000);
    assert_int_equal(lifecycle_build_duration_ms(400000, 4000000), 120000);
    assert_int_equal(lifecycle_build_duration_ms(118000, 0), 120000);
}

static void test_build_status_without_stages(void **state)
{
    (void)state;
    int64_t end = T0 + 10000;
    for (int64_t t = T0; t < end; t += 250)
        assert_int_equal(lifecycle_build_status(T0, end, t, 0), AUDIENCE_BUILDING);
    assert_int_equal(lifecycle_build_status(T0, end, end - 1, 0), AUDIENCE_BUILDING);
}

static void test_build_status_with_stages(void **state)
{
    (void)state;
    int64_t end = T0 + 10000;
    /* 0-40 % BUILDING, then 20 % each. */
    assert_int_equal(lifecycle_build_status(T0, end, T0, 1), AUDIENCE_BUILDING);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 3999, 1), AUDIENCE_BUILDING);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 4000, 1), AUDIENCE_SAVING_COMPANIES);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 5999, 1), AUDIENCE_SAVING_COMPANIES);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 6000, 1), AUDIENCE_SAVING_PROSPECTS);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 7999, 1), AUDIENCE_SAVING_PROSPECTS);
    assert_int_equal(lifecycle_build_status(T0, end, T0 + 8000, 1),
                     AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES);
    assert_int_equal(lifecycle_build_status(T0, end, end - 1, 1),
                     AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES);
}

static int status_rank(audience_status s)
{
    switch (s) {
    case AUDIENCE_BUILDING: return 0;
    case AUDIENCE_SAVING_COMPANIES: return 1;
    case AUDIENCE_SAVING_PROSPECTS: return 2;
    case AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES: return 3;
    default: return -1;
    }
}

/* For durations that do not divide by 5, every ms maps to the status its
 * share of the build calls for, and statuses only move forward. */
static void test_build_status_every_ms(void **state)
{
    (void)state;
    static const int64_t durations[] = {2000, 2001, 2003, 2999, 7777, 120000};
    for (size_t d = 0; d < sizeof durations / sizeof durations[0]; d++) {
        int64_t len = durations[d];
        int64_t end = T0 + len;
        int last = 0;
        for (int64_t e = 0; e < len; e++) {
            audience_status s = lifecycle_build_status(T0, end, T0 + e, 1);
            int rank = status_rank(s);
            assert_true(rank >= 0);
            int expected;
            if (e * 10 < len * 4)
                expected = 0;
            else if (e * 10 < len * 6)
                expected = 1;
            else if (e * 10 < len * 8)
                expected = 2;
            else
                expected = 3;
            if (rank != expected)
                fail_msg("build of %lld ms at %lld ms: %s", (long long)len, (long long)e,
                         audience_status_name(s));
            assert_true(rank >= last);
            last = rank;
        }
        assert_int_equal(last, 3);
    }
}

static void expect_stages(const enrichment_plan *plan, const enrichment_stage *stages, size_t n)
{
    if (plan->n_stages != n) {
        fail_msg("expected %zu stages, got %zu", n, plan->n_stages);
    }
    for (size_t i = 0; i < n; i++) {
        if (plan->stages[i] != stages[i])
            fail_msg("stage %zu: expected %s, got %s", i, enrichment_stage_name(stages[i]),
                     enrichment_stage_name(plan->stages[i]));
    }
}

/* Invariants of every plan. */
static void check_plan(const enrichment_plan *plan)
{
    assert_true(plan->n_stages >= 1);
    assert_true(plan->n_stages < STAGE_COUNT);
    assert_int_equal(plan->stages[0], STAGE_NOT_STARTED);
    int64_t sum = 0;
    for (size_t i = 0; i < plan->n_stages; i++) {
        assert_true(plan->stages[i] != STAGE_DONE);
        assert_true(plan->stages[i] != STAGE_FAILED);
        assert_true(plan->stages[i] < STAGE_COUNT);
        /* The spec's order, each stage once. */
        if (i > 0)
            assert_true(plan->stages[i] > plan->stages[i - 1]);
        assert_true(plan->duration_ms[i] > 0);
        sum += plan->duration_ms[i];
    }
    assert_int_equal(plan->total_ms, sum);
}

static int plan_has(const enrichment_plan *plan, enrichment_stage stage)
{
    for (size_t i = 0; i < plan->n_stages; i++) {
        if (plan->stages[i] == stage)
            return 1;
    }
    return 0;
}

static void test_plan_all_options(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    enrichment_plan plan;
    memset(&plan, 0xab, sizeof plan); /* the plan must not rely on a zeroed struct */
    lifecycle_enrichment_plan(&o, 100, &plan);
    check_plan(&plan);
    static const enrichment_stage expected[] = {
        STAGE_NOT_STARTED, STAGE_STARTED, STAGE_RUNNING_SALES_NAV,
        STAGE_RUNNING_LIVE_ENRICH, STAGE_RESUBMITTING_AUDIENCE, STAGE_CLEANING_NAMES,
        STAGE_FETCHING_CONTACT_DETAILS, STAGE_VALIDATING_CONTACT_DETAILS,
        STAGE_EXPORTING_CSV,
    };
    expect_stages(&plan, expected, sizeof expected / sizeof expected[0]);
}

/* Each option adds its stages; nothing requested adds none of them. */
static void test_plan_per_option(void **state)
{
    (void)state;
    enrichment_options none = all_options();
    none.run_company_live = 0;
    none.run_profile_live = 0;
    none.run_sales_nav = 0;
    none.run_contact = 0;
    enrichment_plan plan;
    lifecycle_enrichment_plan(&none, 50, &plan);
    check_plan(&plan);
    assert_false(plan_has(&plan, STAGE_RUNNING_SALES_NAV));
    assert_false(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH));
    assert_false(plan_has(&plan, STAGE_RESUBMITTING_AUDIENCE));
    assert_false(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS));
    assert_false(plan_has(&plan, STAGE_VALIDATING_CONTACT_DETAILS));

    enrichment_options o = none;
    o.run_sales_nav = 1;
    lifecycle_enrichment_plan(&o, 50, &plan);
    check_plan(&plan);
    assert_true(plan_has(&plan, STAGE_RUNNING_SALES_NAV));
    assert_false(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH));
    assert_false(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS));

    o = none;
    o.run_company_live = 1;
    lifecycle_enrichment_plan(&o, 50, &plan);
    check_plan(&plan);
    assert_true(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH));
    assert_false(plan_has(&plan, STAGE_RUNNING_SALES_NAV));
    assert_false(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS));

    o = none;
    o.run_profile_live = 1;
    lifecycle_enrichment_plan(&o, 50, &plan);
    check_plan(&plan);
    assert_true(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH));
    assert_false(plan_has(&plan, STAGE_RUNNING_SALES_NAV));
    assert_false(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS));

    o = none;
    o.run_contact = 1;
    lifecycle_enrichment_plan(&o, 50, &plan);
    check_plan(&plan);
    assert_true(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS));
    assert_true(plan_has(&plan, STAGE_VALIDATING_CONTACT_DETAILS));
    assert_false(plan_has(&plan, STAGE_RUNNING_SALES_NAV));
    assert_false(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH));

    /* The contact types alone do not add or remove stages. */
    enrichment_plan with_types;
    o.get_work_emails = 0;
    o.get_personal_emails = 0;
    lifecycle_enrichment_plan(&o, 50, &with_types);
    check_plan(&with_types);
    assert_int_equal(with_types.n_stages, plan.n_stages);
}

/* Every combination of the four run flags gives a valid plan, and a plan
 * that does more lasts at least as long. */
static void test_plan_all_combinations(void **state)
{
    (void)state;
    for (unsigned mask = 0; mask < 16; mask++) {
        enrichment_options o = all_options();
        o.run_company_live = (mask & 1) != 0;
        o.run_profile_live = (mask & 2) != 0;
        o.run_sales_nav = (mask & 4) != 0;
        o.run_contact = (mask & 8) != 0;
        enrichment_plan plan;
        lifecycle_enrichment_plan(&o, 200, &plan);
        check_plan(&plan);
        assert_int_equal(plan_has(&plan, STAGE_RUNNING_SALES_NAV), o.run_sales_nav);
        assert_int_equal(plan_has(&plan, STAGE_RUNNING_LIVE_ENRICH),
                         o.run_company_live || o.run_profile_live);
        assert_int_equal(plan_has(&plan, STAGE_FETCHING_CONTACT_DETAILS), o.run_contact);

        for (unsigned bit = 1; bit < 16; bit <<= 1) {
            if (mask & bit)
                continue;
            enrichment_options more = o;
            more.run_company_live |= (bit & 1) != 0;
            more.run_profile_live |= (bit & 2) != 0;
            more.run_sales_nav |= (bit & 4) != 0;
            more.run_contact |= (bit & 8) != 0;
            enrichment_plan bigger;
            lifecycle_enrichment_plan(&more, 200, &bigger);
            assert_true(bigger.total_ms >= plan.total_ms);
        }
    }
}

/* More prospects never make an enrichment shorter. */
static void test_plan_grows_with_prospects(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    int64_t last = 0;
    static const size_t sizes[] = {0, 1, 10, 100, 1000, 10000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        enrichment_plan plan;
        lifecycle_enrichment_plan(&o, sizes[i], &plan);
        check_plan(&plan);
        assert_true(plan.total_ms >= last);
        last = plan.total_ms;
    }
}

static void check_progress(const enrichment_plan *plan, int64_t elapsed,
                           const enrichment_progress *p)
{
    assert_true(p->percent >= 0 && p->percent <= 100);
    if (elapsed >= plan->total_ms) {
        assert_int_equal(p->stage, STAGE_DONE);
        assert_int_equal(p->percent, 100);
        assert_int_equal(p->n_completed, plan->n_stages);
        return;
    }
    assert_true(p->stage != STAGE_DONE);
    assert_true(p->percent < 100);
    assert_true(p->n_completed < plan->n_stages);
    /* The current stage is the first one not fully done. */
    assert_int_equal(p->stage, plan->stages[p->n_completed]);
    int64_t done_ms = 0;
    for (size_t i = 0; i < p->n_completed; i++)
        done_ms += plan->duration_ms[i];
    int64_t e = elapsed < 0 ? 0 : elapsed;
    assert_true(done_ms <= e);
    assert_true(e < done_ms + plan->duration_ms[p->n_completed]);
}

static void test_progress_walk(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    enrichment_plan plan;
    lifecycle_enrichment_plan(&o, 37, &plan);
    check_plan(&plan);

    enrichment_progress p;
    int last_percent = -1;
    size_t last_completed = 0;
    int last_stage = -1;
    int saw_done = 0;
    for (int64_t e = 0; e <= plan.total_ms + 100; e += 7) {
        lifecycle_enrichment_progress(&plan, e, &p);
        check_progress(&plan, e, &p);
        assert_true(p.percent >= last_percent);
        assert_true(p.n_completed >= last_completed);
        assert_true((int)p.stage >= last_stage);
        last_percent = p.percent;
        last_completed = p.n_completed;
        last_stage = (int)p.stage;
        saw_done |= p.stage == STAGE_DONE;
    }
    assert_true(saw_done);
    assert_int_equal(last_percent, 100);
}

static void test_progress_boundaries(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    enrichment_plan plan;
    lifecycle_enrichment_plan(&o, 5, &plan);
    enrichment_progress p;

    lifecycle_enrichment_progress(&plan, 0, &p);
    check_progress(&plan, 0, &p);
    assert_int_equal(p.stage, STAGE_NOT_STARTED);
    assert_int_equal(p.n_completed, 0);
    assert_int_equal(p.percent, 0);

    /* At each stage boundary the next stage begins. */
    int64_t at = 0;
    for (size_t i = 0; i < plan.n_stages; i++) {
        lifecycle_enrichment_progress(&plan, at, &p);
        check_progress(&plan, at, &p);
        assert_int_equal(p.stage, plan.stages[i]);
        assert_int_equal(p.n_completed, i);
        at += plan.duration_ms[i];
        lifecycle_enrichment_progress(&plan, at - 1, &p);
        check_progress(&plan, at - 1, &p);
        assert_int_equal(p.stage, plan.stages[i]);
    }
    assert_int_equal(at, plan.total_ms);

    lifecycle_enrichment_progress(&plan, plan.total_ms - 1, &p);
    assert_int_equal(p.stage, plan.stages[plan.n_stages - 1]);
    assert_true(p.percent < 100);

    lifecycle_enrichment_progress(&plan, plan.total_ms, &p);
    check_progress(&plan, plan.total_ms, &p);
    assert_int_equal(p.stage, STAGE_DONE);

    lifecycle_enrichment_progress(&plan, INT64_MAX, &p);
    check_progress(&plan, INT64_MAX, &p);
}

/* A large plan: at one ms before the end the percent would round to 100. */
static void test_progress_below_100_until_done(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    enrichment_plan plan;
    lifecycle_enrichment_plan(&o, 100000, &plan);
    check_plan(&plan);
    assert_true(plan.total_ms > 1000);
    enrichment_progress p;
    for (int64_t back = 1; back <= 1000; back++) {
        lifecycle_enrichment_progress(&plan, plan.total_ms - back, &p);
        assert_true(p.percent < 100);
        assert_true(p.stage != STAGE_DONE);
    }
    /* Halfway is about half. */
    lifecycle_enrichment_progress(&plan, plan.total_ms / 2, &p);
    assert_true(p.percent >= 45 && p.percent <= 55);
}

static void test_progress_negative_elapsed(void **state)
{
    (void)state;
    enrichment_options o = all_options();
    enrichment_plan plan;
    lifecycle_enrichment_plan(&o, 10, &plan);
    enrichment_progress p;
    /* Before it was accepted (a clock read just earlier): not started. */
    const int64_t negatives[] = {-1, -1000, -plan.total_ms, -plan.total_ms * 10, INT64_MIN};
    for (size_t i = 0; i < sizeof negatives / sizeof negatives[0]; i++) {
        memset(&p, 0xab, sizeof p);
        lifecycle_enrichment_progress(&plan, negatives[i], &p);
        check_progress(&plan, negatives[i], &p);
        assert_int_equal(p.stage, STAGE_NOT_STARTED);
        assert_int_equal(p.n_completed, 0);
        assert_int_equal(p.percent, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_build_duration),
        cmocka_unit_test(test_build_status_without_stages),
        cmocka_unit_test(test_build_status_with_stages),
        cmocka_unit_test(test_build_status_every_ms),
        cmocka_unit_test(test_plan_all_options),
        cmocka_unit_test(test_plan_per_option),
        cmocka_unit_test(test_plan_all_combinations),
        cmocka_unit_test(test_plan_grows_with_prospects),
        cmocka_unit_test(test_progress_walk),
        cmocka_unit_test(test_progress_boundaries),
        cmocka_unit_test(test_progress_below_100_until_done),
        cmocka_unit_test(test_progress_negative_elapsed),
    };
    return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
