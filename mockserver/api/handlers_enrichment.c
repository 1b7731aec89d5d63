/* Steps 5-7: estimate, enrich, enrichment status. The estimate and the
 * charge come from the same pricing_enrichment_indexed() call, so they
 * agree. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sim/clock.h"
#include "api/handlers.h"
#include "sim/pricing.h"
#include "text/jsonw.h"

static const char *const estimate_fields[] = {
    "apiKey", "maxProspectsToEnrich", "enrichmentType", "runCompanyLiveEnrichment",
    "runProfileLiveEnrichment", "runProfileSalesNav", "runContactEnrichment", NULL};
static const char *const enrich_fields[] = {
    "apiKey", "maxProspectsToEnrich", "enrichmentType", "runCompanyLiveEnrichment",
    "runProfileLiveEnrichment", "runProfileSalesNav", "runContactEnrichment", "userEmail", NULL};

/* Reads enrichmentType: absent or null means every type. */
static int read_enrichment_type(const mock_request *req, mock_reply *reply, enrichment_options *options)
{
    static const struct {
        const char *name;
        size_t offset;
    } types[] = {
        {"getWorkEmails", offsetof(enrichment_options, get_work_emails)},
        {"getPersonalEmails", offsetof(enrichment_options, get_personal_emails)},
        {"getPhoneNumbers", offsetof(enrichment_options, get_phone_numbers)},
    };
    json_t *type = json_object_get(req->body, "enrichmentType");
    if (type == NULL || json_is_null(type))
        return 0;
    if (!json_is_object(type)) {
        reply_error(reply, 400, "enrichmentType: expected an object such as "
                    "{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}.");
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(type, key, value) {
        size_t i = 0;
        while (i < sizeof types / sizeof types[0] && strcmp(types[i].name, key) != 0)
            i++;
        if (i == sizeof types / sizeof types[0]) {
            char field[96];
            snprintf(field, sizeof field, "enrichmentType.%s", key);
            request_warn(req, field, "unknown field; ignored");
            continue;
        }
        if (json_is_null(value))
            continue;
        if (!json_is_boolean(value)) {
            reply_error(reply, 400, "enrichmentType.%s: expected a boolean.", key);
            return -1;
        }
        *(int *)((char *)options + types[i].offset) = json_is_true(value);
    }
    return 0;
}

static int read_options(const mock_request *req, mock_reply *reply, enrichment_options *options)
{
    *options = (enrichment_options){0, 1, 1, 1, 1, 1, 1, 1};
    if (body_positive_int(req, reply, "maxProspectsToEnrich", API_MAX_ENRICH_PROSPECTS, &options->max_prospects) != 0)
        return -1;
    if (options->max_prospects == 0) {
        reply_error(reply, 400, "maxProspectsToEnrich: required, an integer from 1 to %u.", API_MAX_ENRICH_PROSPECTS);
        return -1;
    }
    if (read_enrichment_type(req, reply, options) != 0 ||
        body_bool(req, reply, "runCompanyLiveEnrichment", &options->run_company_live) != 0 ||
        body_bool(req, reply, "runProfileLiveEnrichment", &options->run_profile_live) != 0 ||
        body_bool(req, reply, "runProfileSalesNav", &options->run_sales_nav) != 0 ||
        body_bool(req, reply, "runContactEnrichment", &options->run_contact) != 0)
        return -1;
    return 0;
}

/* The audience, if it is NORMAL; otherwise NULL with the 400 or 404 set. */
static audience *built_audience(const mock_request *req, mock_reply *reply, const char *action)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return NULL;
    if (aud->status == AUDIENCE_NORMAL)
        return aud;
    const char *next = aud->status == AUDIENCE_DRAFT ? "Set filters and build it first."
                     : aud->status == AUDIENCE_FAILED ? "Create a new audience and build it."
                     : "Poll GET /v1/audiences/{id} until it is NORMAL.";
    const char *status = aud->status == AUDIENCE_BUILDING ? "BUILDING" : audience_status_name(aud->status);
    reply_error(reply, 400, "Audience is %s: %s needs a built (NORMAL) audience. %s", status, action, next);
    return NULL;
}

static int enrichment_running(const audience *aud)
{
    return aud->enrichment != NULL && !aud->enrichment->applied;
}

void handle_estimate(const mock_request *req, mock_reply *reply)
{
    audience *aud = built_audience(req, reply, "an enrichment estimate");
    if (aud == NULL)
        return;
    enrichment_options options;
    if (read_options(req, reply, &options) != 0)
        return;
    request_warn_unknown_fields(req, estimate_fields);
    enrichment_cost cost;
    pricing_enrichment_indexed(store_dataset(req->store), aud->result.prospects, aud->result.n_prospects,
                               &aud->pricing, &options, &cost);
    enrichment_plan plan;
    lifecycle_enrichment_plan(&options, cost.n_prospects, &plan);
    lifecycle_enrichment_plan_scale(&plan, store_enrichment_slowdown(req->store, req->account));
    pricing_estimate_write(reply_text_begin(reply), &cost, plan.total_ms);
    reply_text_end(reply, req, charge_free(req->account, "Estimating is free."));
}

void handle_enrich(const mock_request *req, mock_reply *reply)
{
    audience *aud = built_audience(req, reply, "enrichment");
    if (aud == NULL)
        return;
    if (enrichment_running(aud)) {
        enrichment_progress progress;
        lifecycle_enrichment_progress(&aud->enrichment->plan, req->now_ms - aud->enrichment->created_ms, &progress);
        reply_error(reply, 400, "An enrichment is already running on this audience (%s, %d%%). "
                    "Poll GET /v1/audiences/{id}/enrichment/status until it is DONE.",
                    enrichment_stage_name(progress.stage), progress.percent);
        return;
    }
    enrichment_options options;
    const char *user_email = NULL;
    if (read_options(req, reply, &options) != 0 || body_email(req, reply, "userEmail", &user_email) != 0)
        return;
    request_warn_unknown_fields(req, enrich_fields);
    enrichment_cost cost;
    pricing_enrichment_indexed(store_dataset(req->store), aud->result.prospects, aud->result.n_prospects,
                               &aud->pricing, &options, &cost);
    if (cost.total > req->account->credits) {
        reply_out_of_credits(reply, req->account, cost.total, "this enrichment");
        return;
    }
    enrichment_stage fail_stage = req->fault != NULL && req->fault->type == FAULT_FAIL_ENRICHMENT
                                  ? req->fault->fail_stage : STAGE_COUNT;
    enrichment *enr = store_start_enrichment(req->store, aud, &options, cost.n_prospects, cost.total,
                                             user_email, req->now_ms, fail_stage);
    if (enr == NULL)
        return;
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"enrichmentId\":");
    jsonw_string(t, enr->id, strlen(enr->id));
    strbuf_put_literal(t, ",\"audienceId\":");
    jsonw_string(t, aud->id, strlen(aud->id));
    strbuf_put_literal(t, ",\"status\":\"NOT_STARTED\",\"estimatedCredits\":");
    jsonw_integer(t, (long long)cost.total);
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_now(req->account, cost.total));
}

/* Writes the names of the plan's stages from..to (to excluded) as a JSON
 * array. */
static void write_stages(strbuf *t, const enrichment *enr, size_t from, size_t to)
{
    strbuf_putc(t, '[');
    for (size_t i = from; i < to && i < enr->plan.n_stages; i++) {
        const char *name = enrichment_stage_name(enr->plan.stages[i]);
        if (i > from)
            strbuf_putc(t, ',');
        jsonw_string(t, name, strlen(name));
    }
    strbuf_putc(t, ']');
}

void handle_enrichment_status(const mock_request *req, mock_reply *reply)
{
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    const enrichment *enr = aud->enrichment;
    if (enr == NULL) {
        reply_error(reply, 400, "No enrichment has been started on this audience (status %s). "
                    "Estimate with POST /v1/audiences/{id}/enrichment/estimate, then POST /v1/audiences/{id}/enrich.",
                    audience_status_name(aud->status));
        return;
    }
    enrichment_progress progress;
    store_enrichment_progress(enr, req->now_ms, &progress);
    int done = progress.stage == STAGE_DONE || progress.stage == STAGE_FAILED;
    const char *stage = enrichment_stage_name(progress.stage);
    char time_text[32];
    /* Text rather than a jansson tree: it is polled in every workflow. */
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"enrichmentId\":");
    jsonw_string(t, enr->id, strlen(enr->id));
    strbuf_put_literal(t, ",\"currentStage\":");
    jsonw_string(t, stage, strlen(stage));
    strbuf_put_literal(t, ",\"progressPercent\":");
    jsonw_integer(t, progress.percent);
    strbuf_put_literal(t, ",\"stepsCompleted\":");
    write_stages(t, enr, 0, progress.n_completed);
    strbuf_put_literal(t, ",\"currentStep\":");
    if (done)
        strbuf_put_literal(t, "null");
    else
        jsonw_string(t, stage, strlen(stage));
    strbuf_put_literal(t, ",\"stepsRemaining\":");
    write_stages(t, enr, progress.n_completed + 1, enr->failed ? 0 : enr->plan.n_stages);
    mock_time_format(enr->created_ms, time_text);
    strbuf_put_literal(t, ",\"createdAt\":");
    jsonw_string(t, time_text, strlen(time_text));
    strbuf_put_literal(t, ",\"completedAt\":");
    if (done) {
        mock_time_format(enr->failed ? enr->completed_ms : enr->created_ms + enr->plan.total_ms, time_text);
        jsonw_string(t, time_text, strlen(time_text));
    } else {
        strbuf_put_literal(t, "null");
    }
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(req->account, "Checking enrichment status is free."));
}
