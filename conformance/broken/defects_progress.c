/* Progress and options: enrichment steps that do not partition the stages,
 * a frozen percent, wrong build times; switches ignored; warnings lost. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void edit_progress(proxy *p, exchange *x, edit_fn edit)
{
    edit_output(p, x, "GET", "/v1/audiences/*/enrichment/status", edit);
}

static void completed_still_remaining(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_array_extend(json_object_get(out, "stepsRemaining"), json_object_get(out, "stepsCompleted"));
}

static void steps_remaining_stale(proxy *p, exchange *x)
{
    edit_progress(p, x, completed_still_remaining);
}

static void current_also_completed(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *current = json_object_get(out, "currentStep");
    if (json_is_string(current))
        json_array_append(json_object_get(out, "stepsCompleted"), current);
}

static void current_step_completed(proxy *p, exchange *x)
{
    edit_progress(p, x, current_also_completed);
}

static void done_loses_last(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *completed = json_object_get(out, "stepsCompleted");
    if (strcmp(json_string_value(json_object_get(out, "currentStage")), "DONE") == 0 && json_array_size(completed) > 0)
        json_array_remove(completed, json_array_size(completed) - 1);
}

static void done_steps_truncated(proxy *p, exchange *x)
{
    edit_progress(p, x, done_loses_last);
}

static void sales_nav_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runProfileSalesNav", 0);
}

static void percent_zero(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    if (strcmp(json_string_value(json_object_get(out, "currentStage")), "DONE") != 0)
        json_object_set_new(out, "progressPercent", json_integer(0));
}

static void progress_percent_frozen(proxy *p, exchange *x)
{
    edit_progress(p, x, percent_zero);
}

static void finished_at_start(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *started = json_object_get(out, "buildingStartedAt");
    if (json_is_string(json_object_get(out, "buildingFinishedAt")) && json_is_string(started))
        json_object_set(out, "buildingFinishedAt", started);
}

static void build_finished_at_start(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", finished_at_start);
}


static void enrichment_type_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "enrichmentType", 1);
}

static void company_live_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runCompanyLiveEnrichment", 1);
}

static void profile_live_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runProfileLiveEnrichment", 1);
}

static void contact_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runContactEnrichment", 1);
}

/* Applies edit to the warnings of any 200 JSON answer that has some. */
static void edit_warnings(exchange *x, void (*edit)(exchange *x, json_t *v, json_t *warnings))
{
    if (x->status != 200 || strncmp(x->content_type, "application/json", 16) != 0)
        return;
    json_t *v = parse(&x->response);
    json_t *warnings = json_object_get(v, "warnings");
    if (json_array_size(warnings) > 0) {
        edit(x, v, warnings);
        set_json(&x->response, v);
    }
    json_decref(v);
}

static void drop_warnings(exchange *x, json_t *v, json_t *warnings)
{
    (void)x;
    (void)warnings;
    json_object_del(v, "warnings");
}

static void warnings_dropped(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, drop_warnings);
}

/* A strict server: what it would warn about, it refuses. */
static void refuse_unknown(exchange *x, json_t *v, json_t *warnings)
{
    const char *field = json_string_value(json_object_get(json_array_get(warnings, 0), "field"));
    char message[512];
    snprintf(message, sizeof message, "%s: unknown field.", field != NULL ? field : "?");
    json_object_clear(v);
    json_object_set_new(v, "error", json_pack("{s:i, s:s}", "code", 400, "message", message));
    x->status = 400;
}

static void unknown_field_400(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, refuse_unknown);
}

static void last_segment_only(exchange *x, json_t *v, json_t *warnings)
{
    (void)x;
    (void)v;
    for (size_t i = 0; i < json_array_size(warnings); i++) {
        json_t *w = json_array_get(warnings, i);
        const char *field = json_string_value(json_object_get(w, "field"));
        const char *dot = field != NULL ? strrchr(field, '.') : NULL;
        if (dot != NULL)
            set_string(w, "field", dot + 1);
    }
}

static void warning_path_short(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, last_segment_only);
}

/* One "current enrichment" per server: every enrichment status answers
 * for the audience enriched last. */
static void enrichment_status_shared_before(proxy *p, exchange *x)
{
    if (!is(x, "GET", "/v1/audiences/*/enrichment/status"))
        return;
    pthread_mutex_lock(&p->lock);
    if (p->last_enriched[0] != '\0')
        snprintf(x->path_buf, sizeof x->path_buf, "/v1/audiences/%s/enrichment/status", p->last_enriched);
    pthread_mutex_unlock(&p->lock);
    if (x->path_buf[0] != '\0')
        x->path = x->path_buf;
}

static void enrichment_status_shared_after(proxy *p, exchange *x)
{
    if (!is(x, "POST", "/v1/audiences/*/enrich") || x->status != 200)
        return;
    pthread_mutex_lock(&p->lock);
    sscanf(x->path, "/v1/audiences/%127[^/]", p->last_enriched);
    pthread_mutex_unlock(&p->lock);
}

static const mode table[] = {
    {"steps-remaining-stale", "completed steps stay in stepsRemaining", NULL, steps_remaining_stale},
    {"current-step-completed", "the current step is also listed as completed", NULL, current_step_completed},
    {"done-steps-truncated", "at DONE stepsCompleted lacks its last step", NULL, done_steps_truncated},
    {"sales-nav-switch-ignored", "enrich ignores runProfileSalesNav", sales_nav_switch_ignored, NULL},
    {"progress-percent-frozen", "progressPercent stays 0 until DONE", NULL, progress_percent_frozen},
    {"build-finished-at-start", "buildingFinishedAt equals buildingStartedAt", NULL, build_finished_at_start},
    {"enrichment-type-ignored", "estimate and enrich ignore enrichmentType", enrichment_type_ignored, NULL},
    {"company-live-switch-ignored", "estimate and enrich ignore runCompanyLiveEnrichment", company_live_switch_ignored,
     NULL},
    {"profile-live-switch-ignored", "estimate and enrich ignore runProfileLiveEnrichment", profile_live_switch_ignored,
     NULL},
    {"contact-switch-ignored", "estimate and enrich ignore runContactEnrichment", contact_switch_ignored, NULL},
    {"warnings-dropped", "answers lose their warnings", NULL, warnings_dropped},
    {"unknown-field-400", "unknown fields answer 400 instead of a warning", NULL, unknown_field_400},
    {"warning-path-short", "warnings name the last path segment only", NULL, warning_path_short},
    {"enrichment-status-shared", "every enrichment status answers for the last audience enriched",
     enrichment_status_shared_before, enrichment_status_shared_after},
};

const mode_table defects_progress = {table, sizeof table / sizeof table[0]};
