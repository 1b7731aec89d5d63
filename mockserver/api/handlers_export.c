/* Steps 8-9: exports, and the download of the CSV files they produce (a
 * simulator extension: the real service mails links or returns them; the
 * mock answers with a downloadUrl it serves itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/links.h"
#include "text/join.h"
#include "text/jsonw.h"
#include "text/utf8.h"

static const char *const company_export_fields[] = {
    "apiKey", "format", "maxRowsToExport", "excludeFields", "userEmail", NULL};
static const char *const prospect_export_fields[] = {
    "apiKey", "format", "maxRowsToExport", "excludeFields", "userEmail", "onlyWithContacts", NULL};

/* Formats of the public spec that the simulator does not produce. */
static const char *const other_formats[] = {
    "PROSPECT_LI_ADS_CSV", "PROSPECT_GOOGLE_ADS_CSV", "PROSPECT_META_ADS_CSV", "COMPANY_LI_ADS_CSV",
    "LI_PROFILE_URL_FIXUP", "LI_COMPANY_URL_FIXUP", "GOOGLE_MAPS_CSV", "DOMAIN_AGENT_CSV", NULL};

static int check_format(const mock_request *req, mock_reply *reply, const char *expected)
{
    const char *format = NULL;
    if (body_string(req, reply, "format", 64, &format) != 0)
        return -1;
    if (format == NULL) {
        reply_error(reply, 400, "format: required; use \"%s\".", expected);
        return -1;
    }
    if (strcmp(format, expected) == 0)
        return 0;
    for (size_t i = 0; other_formats[i] != NULL; i++) {
        if (strcmp(other_formats[i], format) == 0) {
            reply_error(reply, 400, "format: \"%s\" is not simulated by descovo-mock on this endpoint; use \"%s\".",
                        format, expected);
            return -1;
        }
    }
    reply_error(reply, 400, "format: expected \"%s\", got \"%s\".", expected, format);
    return -1;
}

/* The rows an export may contain, before caps: every company, or every
 * prospect (only those with a revealed contact when asked). Returns a new
 * array (free it) and its length, or NULL when out of memory. */
static uint32_t *candidate_rows(const audience *aud, export_kind kind, int only_with_contacts,
                                uint8_t **revealed_out, size_t *n_out)
{
    size_t n = kind == EXPORT_COMPANIES ? aud->result.n_companies : aud->result.n_prospects;
    const uint32_t *ids = kind == EXPORT_COMPANIES ? aud->result.companies : aud->result.prospects;
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    uint8_t *revealed = malloc(n ? n : 1);
    if (rows == NULL || revealed == NULL) {
        free(rows);
        free(revealed);
        return NULL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t mask = kind == EXPORT_PROSPECTS && aud->revealed != NULL ? aud->revealed[i] : 0;
        if (only_with_contacts && mask == 0)
            continue;
        rows[kept] = ids[i];
        revealed[kept] = mask;
        kept++;
    }
    *revealed_out = revealed;
    *n_out = kept;
    return rows;
}

static void handle_export(const mock_request *req, mock_reply *reply, export_kind kind)
{
    const char *format = kind == EXPORT_COMPANIES ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV";
    audience *aud = handler_audience(req, reply);
    if (aud == NULL)
        return;
    if (aud->status != AUDIENCE_NORMAL) {
        reply_error(reply, 400, "Audience is %s: exports need a built (NORMAL) audience. %s",
                    audience_status_name(aud->status),
                    aud->status == AUDIENCE_DRAFT ? "Set filters and build it first."
                    : aud->status == AUDIENCE_FAILED ? "Create a new audience and build it."
                    : "Poll GET /v1/audiences/{id} until it is NORMAL.");
        return;
    }
    uint32_t max_rows = 0;
    int only_with_contacts = 0;
    const char *user_email = NULL;
    uint8_t selected[EXPORT_MAX_COLUMNS];
    char err[512];
    if (check_format(req, reply, format) != 0 ||
        body_positive_int(req, reply, "maxRowsToExport", UINT32_MAX >> 1, &max_rows) != 0 ||
        body_email(req, reply, "userEmail", &user_email) != 0 ||
        (kind == EXPORT_PROSPECTS && body_bool(req, reply, "onlyWithContacts", &only_with_contacts) != 0))
        return;
    if (export_select_columns(kind, json_object_get(req->body, "excludeFields"), selected, err, sizeof err) != 0) {
        reply_error(reply, 400, "%s", err);
        return;
    }
    request_warn_unknown_fields(req, kind == EXPORT_COMPANIES ? company_export_fields : prospect_export_fields);

    account *acct = req->account;
    store_roll_export_period(acct, req->now_ms);
    int64_t remaining = acct->export_quota - acct->export_used;
    if (remaining <= 0) {
        reply_error(reply, 403, "Export quota exhausted: %lld of %lld rows used in this period. "
                    "The quota renews 30 days after the period started.",
                    (long long)acct->export_used, (long long)acct->export_quota);
        return;
    }
    uint8_t *revealed = NULL;
    size_t n = 0;
    uint32_t *rows = candidate_rows(aud, kind, only_with_contacts, &revealed, &n);
    if (rows == NULL)
        return;
    if (max_rows != 0 && n > max_rows)
        n = max_rows;
    if ((int64_t)n > remaining)
        n = (size_t)remaining;
    export_job *job = export_job_new(store_dataset(req->store), kind, rows, revealed, n, selected);
    free(rows);
    free(revealed);
    if (job == NULL)
        return;
    export_job_use_cache(job, req->ctx->exports);
    export_file *file = store_add_export(req->store, acct, job, aud->id,
                                         kind == EXPORT_COMPANIES ? "companies" : "prospects",
                                         user_email, req->now_ms);
    if (file == NULL)
        return;
    join(reply->export_id, sizeof reply->export_id, file->token, NULL);
    char url[256];
    links_download(req->ctx->base_url, file->token, url, sizeof url); /* 64 + 40 bytes: fits */
    char rows_text[JOIN_NUMBER_MAX];
    join_u64(rows_text, n);
    char message[256];
    join(message, sizeof message, "Export ready: ", rows_text, " rows.",
         user_email != NULL ? " A link was sent to userEmail." : "", " Download it from downloadUrl.", NULL);
    if (user_email != NULL) {
        char subject[160];
        snprintf(subject, sizeof subject, "Your Descovo %s export of \"%.*s\" is ready",
                 kind == EXPORT_COMPANIES ? "company" : "prospect",
                 (int)utf8_cut(aud->name, strlen(aud->name), STORE_SUBJECT_NAME_MAX), aud->name);
        char body[256];
        snprintf(body, sizeof body, "%zu rows of audience %s. Download the CSV from the link below.", n, aud->id);
        json_t *links = json_pack("[s]", url);
        store_outbox_add(req->store, req->account, req->now_ms, user_email, subject, body, links);
        json_decref(links);
    }
    char expires[32];
    mock_time_format(file->expires_ms, expires);
    /* Text rather than a jansson tree: two exports in every workflow. */
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"message\":");
    jsonw_string(t, message, strlen(message));
    strbuf_put_literal(t, ",\"estimatedRows\":");
    jsonw_integer(t, (long long)n);
    strbuf_put_literal(t, ",\"maxRowsAllowed\":");
    jsonw_integer(t, (long long)remaining);
    strbuf_put_literal(t, ",\"exportId\":");
    jsonw_string(t, file->token, strlen(file->token));
    strbuf_put_literal(t, ",\"downloadUrl\":");
    jsonw_string(t, url, strlen(url));
    strbuf_put_literal(t, ",\"format\":");
    jsonw_string(t, format, strlen(format));
    strbuf_put_literal(t, ",\"expiresAt\":");
    jsonw_string(t, expires, strlen(expires));
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(acct, "Exports are free, subject to the export quota."));
}

void handle_export_companies(const mock_request *req, mock_reply *reply)
{
    handle_export(req, reply, EXPORT_COMPANIES);
}

void handle_export_prospects(const mock_request *req, mock_reply *reply)
{
    handle_export(req, reply, EXPORT_PROSPECTS);
}

void handle_download(const mock_request *req, mock_reply *reply)
{
    export_file *file = store_find_export(req->store, req->param);
    if (file == NULL) {
        reply_error(reply, 404, "Export not found: it never existed or has expired (links live %lld s, and each key "
                    "keeps its last %d exports).", STORE_EXPORT_LINK_TTL_MS / 1000, STORE_MAX_EXPORTS_PER_KEY);
        return;
    }
    /* Expiry is on the owner's clock, as its exports were made. */
    int64_t owner_now = store_tenant_now(req->store, file->owner, req->now_ms);
    if (owner_now >= file->expires_ms) {
        char when[32];
        mock_time_format(file->expires_ms, when);
        store_settle(req->store, file->owner, owner_now); /* drops it */
        reply_error(reply, 404, "Export not found: its link expired at %s (links live %lld s after the export).",
                    when, STORE_EXPORT_LINK_TTL_MS / 1000);
        return;
    }
    /* The reader borrows the job: hold a reference while it streams. */
    reply->csv = export_reader_new(file->job);
    if (reply->csv == NULL)
        return;
    store_export_acquire(file);
    reply->csv_file = file;
    reply->status = 200;
    join(reply->filename, sizeof reply->filename, file->filename, NULL);
}
