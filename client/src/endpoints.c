/* One function per endpoint: build the path and the body, call, and copy
 * the answer's "output" into the caller's struct. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Escapes the audience id into "/v1/audiences/{id}{suffix}". Returns 0, or
 * -1 with the error set. */
static int audience_path(descovo_client *c, const char *id, const char *suffix,
                         char *path, size_t size)
{
    if (id == NULL || id[0] == '\0')
        return client_set_error(c, DESCOVO_ERR_USAGE, "an audience id is required");
    char *escaped = curl_easy_escape(c->curl, id, 0);
    if (escaped == NULL)
        return client_set_error(c, DESCOVO_ERR_OOM, "out of memory");
    int n = snprintf(path, size, "/v1/audiences/%s%s", escaped, suffix);
    curl_free(escaped);
    if (n < 0 || (size_t)n >= size)
        return client_set_error(c, DESCOVO_ERR_USAGE, "audience id too long");
    return 0;
}

/* Starts a call: the client must exist; errors are cleared. */
static int begin(descovo_client *c)
{
    if (c == NULL)
        return -1;
    client_clear_error(c);
    return 0;
}

static int oom(descovo_client *c)
{
    return client_set_error(c, DESCOVO_ERR_OOM, "out of memory");
}

static void copy_audience(const json_t *o, descovo_audience *out)
{
    decode_copy_string(o, "audienceId", out->id, sizeof out->id);
    decode_copy_string(o, "name", out->name, sizeof out->name);
    decode_copy_string(o, "status", out->status, sizeof out->status);
    decode_copy_string(o, "creationMethod", out->creation_method, sizeof out->creation_method);
    decode_copy_string(o, "createdAt", out->created_at, sizeof out->created_at);
    decode_copy_string(o, "buildingStartedAt", out->building_started_at, sizeof out->building_started_at);
    decode_copy_string(o, "buildingFinishedAt", out->building_finished_at, sizeof out->building_finished_at);
    out->companies_count = decode_integer(o, "companiesCount", -1);
    out->prospects_count = decode_integer(o, "prospectsCount", -1);
}

int descovo_create(descovo_client *c, const char *name, const char *method,
                   descovo_audience *out)
{
    if (begin(c) != 0)
        return -1;
    if (name == NULL)
        return client_set_error(c, DESCOVO_ERR_USAGE, "a name is required");
    json_t *body = json_pack("{s:s, s:s}", "name", name, "creationMethod", method != NULL ? method : "NORMAL");
    if (body == NULL)
        return oom(c);
    /* Cleared only now: name may point into *out. */
    if (out != NULL)
        memset(out, 0, sizeof *out);
    const json_t *output = NULL;
    int rc = client_call(c, "POST", "/v1/audiences/create", body, 1, &output);
    json_decref(body);
    if (rc == 0 && out != NULL)
        copy_audience(output, out);
    return rc;
}

int descovo_set_search_params(descovo_client *c, const char *id,
                              const json_t *company, const json_t *prospect,
                              long max_companies, long max_prospects)
{
    char path[512];
    json_t *body = NULL;
    int rc = -1;
    if (begin(c) != 0 || audience_path(c, id, "/search-params", path, sizeof path) != 0)
        return -1;
    body = json_pack("{s:O?, s:O?}", "companySearchParams", (json_t *)company,
                     "prospectSearchParams", (json_t *)prospect);
    if (body == NULL)
        goto nomem;
    if (max_companies > 0 && json_object_set_new(body, "maxCompanies", json_integer(max_companies)) != 0)
        goto nomem;
    if (max_prospects > 0 && json_object_set_new(body, "maxProspects", json_integer(max_prospects)) != 0)
        goto nomem;
    rc = client_call(c, "PATCH", path, body, 1, NULL);
    goto out;
nomem:
    rc = oom(c);
out:
    json_decref(body);
    return rc;
}

int descovo_build(descovo_client *c, const char *id, char status_out[DESCOVO_STATUS_MAX])
{
    char path[512];
    if (status_out != NULL)
        status_out[0] = '\0';
    if (begin(c) != 0 || audience_path(c, id, "/build", path, sizeof path) != 0)
        return -1;
    const json_t *output = NULL;
    if (client_call(c, "POST", path, NULL, 1, &output) != 0)
        return -1;
    if (status_out != NULL)
        decode_copy_string(output, "status", status_out, DESCOVO_STATUS_MAX);
    return 0;
}

int descovo_status(descovo_client *c, const char *id, descovo_audience *out)
{
    char path[512];
    if (begin(c) != 0 || audience_path(c, id, "", path, sizeof path) != 0)
        return -1;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    const json_t *output = NULL;
    if (client_call(c, "GET", path, NULL, 1, &output) != 0)
        return -1;
    if (out != NULL)
        copy_audience(output, out);
    return 0;
}

void descovo_enrich_options_init(descovo_enrich_options *o, long max_prospects)
{
    memset(o, 0, sizeof *o);
    o->max_prospects = max_prospects;
    o->work_emails = o->personal_emails = o->phone_numbers = 1;
    o->company_live = o->profile_live = o->sales_nav = o->contact = 1;
}

/* The body shared by estimate and enrich. Returns a new object or NULL. */
static json_t *enrich_body(const descovo_enrich_options *o, int with_email)
{
    json_t *body = json_pack("{s:I, s:{s:b, s:b, s:b}, s:b, s:b, s:b, s:b}",
                             "maxProspectsToEnrich", (json_int_t)o->max_prospects,
                             "enrichmentType",
                             "getWorkEmails", o->work_emails != 0,
                             "getPersonalEmails", o->personal_emails != 0,
                             "getPhoneNumbers", o->phone_numbers != 0,
                             "runCompanyLiveEnrichment", o->company_live != 0,
                             "runProfileLiveEnrichment", o->profile_live != 0,
                             "runProfileSalesNav", o->sales_nav != 0,
                             "runContactEnrichment", o->contact != 0);
    if (body != NULL && with_email && o->user_email != NULL &&
        json_object_set_new(body, "userEmail", json_string(o->user_email)) != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* POSTs the enrichment options to the audience's `suffix` (the estimate
 * and the enrich itself take the same body; enrich adds userEmail). */
static int post_enrich_options(descovo_client *c, const char *id, const char *suffix,
                               const descovo_enrich_options *o, int with_email,
                               const json_t **output)
{
    char path[512];
    if (begin(c) != 0 || audience_path(c, id, suffix, path, sizeof path) != 0)
        return -1;
    if (o == NULL)
        return client_set_error(c, DESCOVO_ERR_USAGE, "enrichment options are required");
    json_t *body = enrich_body(o, with_email);
    if (body == NULL)
        return oom(c);
    int rc = client_call(c, "POST", path, body, 1, output);
    json_decref(body);
    return rc;
}

int descovo_estimate_enrichment(descovo_client *c, const char *id,
                                const descovo_enrich_options *o, descovo_estimate *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    const json_t *output = NULL;
    int rc = post_enrich_options(c, id, "/enrichment/estimate", o, 0, &output);
    if (rc == 0 && out != NULL) {
        const json_t *time = json_object_get(output, "timeEstimate");
        out->total_credits = decode_integer(output, "totalCredits", 0);
        out->time_seconds = decode_integer(time, "totalSeconds", 0);
        decode_copy_string(time, "formatted", out->time_formatted, sizeof out->time_formatted);
    }
    return rc;
}

int descovo_enrich(descovo_client *c, const char *id,
                   const descovo_enrich_options *o, descovo_enrichment *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    const json_t *output = NULL;
    int rc = post_enrich_options(c, id, "/enrich", o, 1, &output);
    if (rc == 0 && out != NULL) {
        decode_copy_string(output, "enrichmentId", out->enrichment_id, sizeof out->enrichment_id);
        decode_copy_string(output, "status", out->status, sizeof out->status);
        out->estimated_credits = decode_integer(output, "estimatedCredits", 0);
        out->credits_charged = decode_integer(json_object_get(c->last, "chargeInfo"), "creditsCharged", -1);
    }
    return rc;
}

int descovo_enrichment_status(descovo_client *c, const char *id,
                              descovo_enrichment_progress *out)
{
    char path[512];
    if (begin(c) != 0 || audience_path(c, id, "/enrichment/status", path, sizeof path) != 0)
        return -1;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    const json_t *output = NULL;
    if (client_call(c, "GET", path, NULL, 1, &output) != 0)
        return -1;
    if (out != NULL) {
        decode_copy_string(output, "enrichmentId", out->enrichment_id, sizeof out->enrichment_id);
        decode_copy_string(output, "currentStage", out->current_stage, sizeof out->current_stage);
        decode_copy_string(output, "currentStep", out->current_step, sizeof out->current_step);
        decode_copy_string(output, "createdAt", out->created_at, sizeof out->created_at);
        decode_copy_string(output, "completedAt", out->completed_at, sizeof out->completed_at);
        out->progress_percent = (int)decode_integer(output, "progressPercent", 0);
    }
    return 0;
}

/* The body of an export request; NULL when out of memory. */
static json_t *export_body(const descovo_export_options *o, const char *format, int prospects)
{
    json_t *body = json_pack("{s:s}", "format", format);
    json_t *fields = NULL;
    if (body == NULL || o == NULL)
        return body;
    if (o->max_rows > 0 && json_object_set_new(body, "maxRowsToExport", json_integer(o->max_rows)) != 0)
        goto fail;
    if (o->user_email != NULL && json_object_set_new(body, "userEmail", json_string(o->user_email)) != 0)
        goto fail;
    if (prospects && o->only_with_contacts && json_object_set_new(body, "onlyWithContacts", json_true()) != 0)
        goto fail;
    if (o->n_exclude_fields > 0) {
        fields = json_array();
        if (fields == NULL)
            goto fail;
        for (size_t i = 0; i < o->n_exclude_fields; i++) {
            if (json_array_append_new(fields, json_string(o->exclude_fields[i])) != 0)
                goto fail;
        }
        if (json_object_set(body, "excludeFields", fields) != 0)
            goto fail;
        json_decref(fields);
    }
    return body;
fail:
    json_decref(fields);
    json_decref(body);
    return NULL;
}

static int export_any(descovo_client *c, const char *id, const descovo_export_options *o,
                      descovo_export *out, int prospects)
{
    char path[512];
    if (begin(c) != 0 ||
        audience_path(c, id, prospects ? "/export/prospects" : "/export/companies", path, sizeof path) != 0)
        return -1;
    if (out != NULL)
        memset(out, 0, sizeof *out);
    json_t *body = export_body(o, prospects ? "PROSPECT_GENERIC_CSV" : "COMPANY_GENERIC_CSV", prospects);
    if (body == NULL)
        return oom(c);
    const json_t *output = NULL;
    int rc = client_call(c, "POST", path, body, 1, &output);
    json_decref(body);
    if (rc == 0 && out != NULL) {
        decode_copy_string(output, "message", out->message, sizeof out->message);
        decode_copy_string(output, "exportId", out->export_id, sizeof out->export_id);
        decode_copy_string(output, "downloadUrl", out->download_url, sizeof out->download_url);
        decode_copy_string(output, "format", out->format, sizeof out->format);
        out->estimated_rows = decode_integer(output, "estimatedRows", 0);
        out->max_rows_allowed = decode_integer(output, "maxRowsAllowed", 0);
    }
    return rc;
}

int descovo_export_companies(descovo_client *c, const char *id,
                             const descovo_export_options *o, descovo_export *out)
{
    return export_any(c, id, o, out, 0);
}

int descovo_export_prospects(descovo_client *c, const char *id,
                             const descovo_export_options *o, descovo_export *out)
{
    return export_any(c, id, o, out, 1);
}

int descovo_credits(descovo_client *c, long long *credits)
{
    if (begin(c) != 0)
        return -1;
    const json_t *output = NULL;
    if (client_call(c, "GET", "/v1/credits", NULL, 1, &output) != 0)
        return -1;
    if (!json_is_integer(json_object_get(output, "credits")))
        return client_set_error(c, DESCOVO_ERR_PROTOCOL, "credits: no integer \"credits\" in the answer");
    if (credits != NULL)
        *credits = decode_integer(output, "credits", 0);
    return 0;
}

/* A GET whose "output" goes to the caller as a new reference. */
static json_t *get_output(descovo_client *c, const char *path)
{
    const json_t *output = NULL;
    if (client_call(c, "GET", path, NULL, 1, &output) != 0)
        return NULL;
    return json_incref((json_t *)output);
}

json_t *descovo_list(descovo_client *c)
{
    if (begin(c) != 0)
        return NULL;
    return get_output(c, "/v1/audiences");
}

int descovo_archive(descovo_client *c, const char *id)
{
    char path[512];
    if (begin(c) != 0 || audience_path(c, id, "", path, sizeof path) != 0)
        return -1;
    return client_call(c, "DELETE", path, NULL, 1, NULL);
}

static json_t *page(descovo_client *c, const char *id, const char *what,
                    const char *cursor, int page_size)
{
    char path[1024];
    char *escaped = NULL;
    json_t *result = NULL;
    if (begin(c) != 0 || audience_path(c, id, what, path, sizeof path) != 0)
        return NULL;
    size_t used = strlen(path);
    char sep = '?';
    if (page_size > 0) {
        int n = snprintf(path + used, sizeof path - used, "%cpageSize=%d", sep, page_size);
        if (n < 0 || (size_t)n >= sizeof path - used)
            goto toolong;
        used += (size_t)n;
        sep = '&';
    }
    if (cursor != NULL && cursor[0] != '\0') {
        escaped = curl_easy_escape(c->curl, cursor, 0);
        if (escaped == NULL) {
            oom(c);
            goto out;
        }
        int n = snprintf(path + used, sizeof path - used, "%ccursor=%s", sep, escaped);
        if (n < 0 || (size_t)n >= sizeof path - used)
            goto toolong;
    }
    result = get_output(c, path);
    goto out;
toolong:
    client_set_error(c, DESCOVO_ERR_USAGE, "cursor too long");
out:
    curl_free(escaped);
    return result;
}

json_t *descovo_companies_page(descovo_client *c, const char *id,
                               const char *cursor, int page_size)
{
    return page(c, id, "/companies", cursor, page_size);
}

json_t *descovo_prospects_page(descovo_client *c, const char *id,
                               const char *cursor, int page_size)
{
    return page(c, id, "/prospects", cursor, page_size);
}
