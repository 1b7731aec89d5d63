#include "sim/lifecycle.h"

#include <string.h>

static const char *const audience_status_names[] = {
    [AUDIENCE_DRAFT] = "DRAFT",
    [AUDIENCE_BUILDING] = "BUILDING",
    [AUDIENCE_SAVING_COMPANIES] = "SAVING_COMPANIES",
    [AUDIENCE_SAVING_PROSPECTS] = "SAVING_PROSPECTS",
    [AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES] = "LINKING_PROSPECTS_WITH_COMPANIES",
    [AUDIENCE_HEALING_COMPANIES] = "HEALING_COMPANIES",
    [AUDIENCE_NORMAL] = "NORMAL",
    [AUDIENCE_FAILED] = "FAILED",
};

static const char *const enrichment_stage_names[STAGE_COUNT] = {
    [STAGE_NOT_STARTED] = "NOT_STARTED",
    [STAGE_STARTED] = "STARTED",
    [STAGE_RUNNING_SALES_NAV] = "RUNNING_SALES_NAV",
    [STAGE_RUNNING_LIVE_ENRICH] = "RUNNING_LIVE_ENRICH",
    [STAGE_RESUBMITTING_AUDIENCE] = "RESUBMITTING_AUDIENCE",
    [STAGE_CLEANING_NAMES] = "CLEANING_NAMES",
    [STAGE_FETCHING_CONTACT_DETAILS] = "FETCHING_CONTACT_DETAILS",
    [STAGE_VALIDATING_CONTACT_DETAILS] = "VALIDATING_CONTACT_DETAILS",
    [STAGE_EXPORTING_CSV] = "EXPORTING_CSV",
    [STAGE_DONE] = "DONE",
    [STAGE_FAILED] = "FAILED",
};

const char *audience_status_name(audience_status status)
{
    return audience_status_names[status];
}

const char *enrichment_stage_name(enrichment_stage stage)
{
    return enrichment_stage_names[stage];
}

int audience_status_from_name(const char *name, audience_status *out)
{
    for (size_t i = 0; name != NULL && i < sizeof audience_status_names / sizeof audience_status_names[0]; i++) {
        if (strcmp(audience_status_names[i], name) == 0) {
            *out = (audience_status)i;
            return 0;
        }
    }
    return -1;
}

int enrichment_stage_from_name(const char *name, enrichment_stage *out)
{
    for (size_t i = 0; name != NULL && i < STAGE_COUNT; i++) {
        if (strcmp(enrichment_stage_names[i], name) == 0) {
            *out = (enrichment_stage)i;
            return 0;
        }
    }
    return -1;
}

int64_t lifecycle_build_duration_ms(size_t n_companies, size_t n_prospects)
{
    int64_t ms = 2000 + (int64_t)n_companies + (int64_t)n_prospects;
    return ms > 120000 ? 120000 : ms;
}

audience_status lifecycle_build_status(int64_t started_ms, int64_t finishes_ms,
                                       int64_t now_ms, int with_stages)
{
    if (!with_stages || finishes_ms <= started_ms)
        return AUDIENCE_BUILDING;
    /* Parts of the build: 0-1 BUILDING, 2 SAVING_COMPANIES, 3 SAVING_PROSPECTS,
     * 4 LINKING, and with level 2 a last part HEALING_COMPANIES. */
    static const audience_status parts[] = {
        AUDIENCE_BUILDING, AUDIENCE_BUILDING, AUDIENCE_SAVING_COMPANIES, AUDIENCE_SAVING_PROSPECTS,
        AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES, AUDIENCE_HEALING_COMPANIES};
    int64_t n_parts = with_stages >= 2 ? 6 : 5;
    int64_t part = (now_ms - started_ms) * n_parts / (finishes_ms - started_ms);
    if (part < 0)
        part = 0;
    if (part >= n_parts)
        part = n_parts - 1;
    return parts[part];
}

/* A stage's duration: a fixed part plus a part per prospect, in ms. */
typedef struct stage_cost {
    int64_t fixed_ms;
    int64_t per_prospect_ms;
} stage_cost;

static const stage_cost stage_costs[STAGE_COUNT] = {
    [STAGE_NOT_STARTED] = {1000, 0},
    [STAGE_STARTED] = {1000, 0},
    [STAGE_RUNNING_SALES_NAV] = {2000, 20},
    [STAGE_RUNNING_LIVE_ENRICH] = {2000, 50},
    [STAGE_RESUBMITTING_AUDIENCE] = {1000, 0},
    [STAGE_CLEANING_NAMES] = {1000, 5},
    [STAGE_FETCHING_CONTACT_DETAILS] = {2000, 50},
    [STAGE_VALIDATING_CONTACT_DETAILS] = {1000, 20},
    [STAGE_EXPORTING_CSV] = {1000, 2},
};

static void plan_add(enrichment_plan *plan, enrichment_stage stage, size_t n_prospects)
{
    int64_t ms = stage_costs[stage].fixed_ms + stage_costs[stage].per_prospect_ms * (int64_t)n_prospects;
    plan->stages[plan->n_stages] = stage;
    plan->duration_ms[plan->n_stages] = ms;
    plan->n_stages++;
    plan->total_ms += ms;
}

void lifecycle_enrichment_plan(const enrichment_options *options,
                               size_t n_prospects, enrichment_plan *plan)
{
    int live = options->run_company_live || options->run_profile_live;
    plan->n_stages = 0;
    plan->total_ms = 0;
    plan_add(plan, STAGE_NOT_STARTED, n_prospects);
    plan_add(plan, STAGE_STARTED, n_prospects);
    if (options->run_sales_nav)
        plan_add(plan, STAGE_RUNNING_SALES_NAV, n_prospects);
    if (live) {
        plan_add(plan, STAGE_RUNNING_LIVE_ENRICH, n_prospects);
        plan_add(plan, STAGE_RESUBMITTING_AUDIENCE, n_prospects);
    }
    plan_add(plan, STAGE_CLEANING_NAMES, n_prospects);
    if (options->run_contact) {
        plan_add(plan, STAGE_FETCHING_CONTACT_DETAILS, n_prospects);
        plan_add(plan, STAGE_VALIDATING_CONTACT_DETAILS, n_prospects);
    }
    plan_add(plan, STAGE_EXPORTING_CSV, n_prospects);
}

void lifecycle_enrichment_plan_scale(enrichment_plan *plan, double factor)
{
    if (!(factor > 1))
        return;
    plan->total_ms = 0;
    for (size_t i = 0; i < plan->n_stages; i++) {
        plan->duration_ms[i] = (int64_t)((double)plan->duration_ms[i] * factor);
        plan->total_ms += plan->duration_ms[i];
    }
}

void lifecycle_enrichment_progress(const enrichment_plan *plan,
                                   int64_t elapsed_ms,
                                   enrichment_progress *progress)
{
    if (elapsed_ms >= plan->total_ms) {
        progress->stage = STAGE_DONE;
        progress->n_completed = plan->n_stages;
        progress->percent = 100;
        return;
    }
    if (elapsed_ms < 0)
        elapsed_ms = 0;
    size_t i = 0;
    int64_t left = elapsed_ms;
    while (i < plan->n_stages && left >= plan->duration_ms[i]) {
        left -= plan->duration_ms[i];
        i++;
    }
    progress->stage = plan->stages[i];
    progress->n_completed = i;
    /* Below 100 until DONE, so "100 %" and "DONE" always agree. */
    int percent = (int)(elapsed_ms * 100 / plan->total_ms);
    progress->percent = percent > 99 ? 99 : percent;
}
