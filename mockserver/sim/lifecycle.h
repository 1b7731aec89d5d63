/* lifecycle: the time-driven parts of an audience's life, as pure functions
 * of the simulator's clock: how long a build takes and which status it shows
 * meanwhile, and how an enrichment walks its stages.
 *
 * Nothing here holds state or locks; store.c calls these with the times it
 * recorded. See docs/API.md ("Lifecycle") for the durations chosen. */
#ifndef DESCOVO_LIFECYCLE_H
#define DESCOVO_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

typedef enum audience_status {
    AUDIENCE_DRAFT = 0,
    AUDIENCE_BUILDING,
    AUDIENCE_SAVING_COMPANIES,
    AUDIENCE_SAVING_PROSPECTS,
    AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES,
    AUDIENCE_HEALING_COMPANIES,
    AUDIENCE_NORMAL,
    AUDIENCE_FAILED
} audience_status;

const char *audience_status_name(audience_status status);
/* The status named `name` into *out: 0, or -1 for no such name (NULL
 * included). */
int audience_status_from_name(const char *name, audience_status *out);

/* Simulated duration of a build that finds this many records: 2 s plus 1 ms
 * per record, at most 120 s. */
int64_t lifecycle_build_duration_ms(size_t n_companies, size_t n_prospects);

/* The status a build shows at now_ms, started at started_ms and ending at
 * finishes_ms (now_ms < finishes_ms). with_stages 0: BUILDING throughout.
 * 1, as the real service reports: BUILDING for the first 40 %, then
 * SAVING_COMPANIES, SAVING_PROSPECTS and LINKING_PROSPECTS_WITH_COMPANIES
 * for 20 % each. 2: the same in sixths, then HEALING_COMPANIES last. */
audience_status lifecycle_build_status(int64_t started_ms, int64_t finishes_ms,
                                       int64_t now_ms, int with_stages);

/* Enrichment stages, in the spec's order. */
typedef enum enrichment_stage {
    STAGE_NOT_STARTED = 0,
    STAGE_STARTED,
    STAGE_RUNNING_SALES_NAV,
    STAGE_RUNNING_LIVE_ENRICH,
    STAGE_RESUBMITTING_AUDIENCE,
    STAGE_CLEANING_NAMES,
    STAGE_FETCHING_CONTACT_DETAILS,
    STAGE_VALIDATING_CONTACT_DETAILS,
    STAGE_EXPORTING_CSV,
    STAGE_DONE,
    STAGE_FAILED,
    STAGE_COUNT
} enrichment_stage;

const char *enrichment_stage_name(enrichment_stage stage);
/* The stage named `name` into *out (STAGE_COUNT is no stage): 0, or -1. */
int enrichment_stage_from_name(const char *name, enrichment_stage *out);

/* What an enrichment was asked to do (the estimate and enrich bodies). */
typedef struct enrichment_options {
    uint32_t max_prospects;      /* maxProspectsToEnrich, > 0 */
    int get_work_emails;
    int get_personal_emails;
    int get_phone_numbers;
    int run_company_live;        /* runCompanyLiveEnrichment */
    int run_profile_live;        /* runProfileLiveEnrichment */
    int run_sales_nav;           /* runProfileSalesNav */
    int run_contact;             /* runContactEnrichment */
} enrichment_options;

/* The stages an enrichment passes through (NOT_STARTED first, then those its
 * options call for, DONE excluded) and how long each lasts. */
typedef struct enrichment_plan {
    enrichment_stage stages[STAGE_COUNT];
    int64_t duration_ms[STAGE_COUNT];
    size_t n_stages;
    int64_t total_ms;
} enrichment_plan;

void lifecycle_enrichment_plan(const enrichment_options *options,
                               size_t n_prospects, enrichment_plan *plan);

/* Multiplies every stage's duration by factor (>= 1): slow enrichments. */
void lifecycle_enrichment_plan_scale(enrichment_plan *plan, double factor);

/* Where an enrichment stands elapsed_ms after it was accepted. */
typedef struct enrichment_progress {
    enrichment_stage stage;   /* DONE once elapsed >= total */
    size_t n_completed;       /* stages of the plan fully done */
    int percent;              /* 0..100; 100 only when DONE */
} enrichment_progress;

void lifecycle_enrichment_progress(const enrichment_plan *plan,
                                   int64_t elapsed_ms,
                                   enrichment_progress *progress);

#endif
