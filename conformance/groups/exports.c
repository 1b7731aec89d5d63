/* exports: the CSV parses strictly, has the documented columns, and
 * honours excludeFields, maxRowsToExport and onlyWithContacts. The files
 * are read through the mock's downloadUrl (a simulator extension); against
 * a service that gives no download link only the answers are checked. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "columns.h"
#include "csv.h"
#include "groups.h"

static void check_header(conf_case *k, const csv_doc *doc, const char *kind, const char *const *excluded,
                         size_t n_excluded)
{
    int companies = strcmp(kind, "companies") == 0;
    const char *const *columns = companies ? conf_company_columns : conf_prospect_columns;
    size_t n = companies ? CONF_N_COMPANY_COLUMNS : CONF_N_PROSPECT_COLUMNS;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        for (size_t j = 0; j < n_excluded; j++)
            skip |= strcmp(columns[i], excluded[j]) == 0;
        if (skip) {
            CONF_CHECK(k, csv_column_index(doc, columns[i]) < 0, "%s CSV: excluded column %s is present", kind,
                       columns[i]);
            continue;
        }
        CONF_CHECK(k, at < doc->rows[0].n, "%s CSV: the header stops at %zu columns; %s is missing", kind, at,
                   columns[i]);
        CONF_CHECK(k, strcmp(doc->rows[0].cells[at], columns[i]) == 0,
                   "%s CSV: column %zu is \"%s\", documented \"%s\"", kind, at + 1, doc->rows[0].cells[at], columns[i]);
        at++;
    }
    CONF_CHECK(k, at == doc->rows[0].n, "%s CSV: %zu columns, expected %zu", kind, doc->rows[0].n, at);
    for (size_t r = 1; r < doc->n; r++)
        CONF_CHECK(k, doc->rows[r].n == doc->rows[0].n, "%s CSV: record %zu has %zu fields, the header %zu", kind,
                   r + 1, doc->rows[r].n, doc->rows[0].n);
}

static long long rows_of(const json_t *export)
{
    return json_integer_value(json_object_get(export, "estimatedRows"));
}

static void csv_rfc4180_with_documented_columns(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    long long companies = 0, prospects = 0;
    const char *id = api_shared_audience(k, &companies, &prospects);
    const json_t *ec = api_export(k, key, id, "companies", NULL);
    const json_t *ep = api_export(k, key, id, "prospects", NULL);
    CONF_CHECK(k, rows_of(ec) == companies, "export companies: estimatedRows %lld, the audience has %lld",
               rows_of(ec), companies);
    csv_doc doc;
    api_fetch_export(k, ec, &doc);
    check_header(k, &doc, "companies", NULL, 0);
    CONF_CHECK(k, (long long)doc.n - 1 == rows_of(ec), "companies CSV: %zu records, estimatedRows %lld", doc.n - 1,
               rows_of(ec));
    /* The shared audience is never enriched: no prospect has a revealed
     * contact, and the documented default keeps only those that do... or
     * all of them; the spec's wording is ambiguous, so only the count
     * agreement is checked here (onlyWithContacts has its own case). */
    api_fetch_export(k, ep, &doc);
    check_header(k, &doc, "prospects", NULL, 0);
    CONF_CHECK(k, (long long)doc.n - 1 == rows_of(ep), "prospects CSV: %zu records, estimatedRows %lld", doc.n - 1,
               rows_of(ep));
    /* A text column with commas or quotes proves the quoting: the mock's
     * descriptions have commas; any row must round-trip its field count,
     * which check_header verified. */
}

static void exclude_fields_honoured(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_shared_audience(k, NULL, NULL);
    const char *excluded[] = {conf_company_columns[1], conf_company_columns[5], conf_company_columns[69]};
    json_t *list = json_pack("[sss]", excluded[0], excluded[1], excluded[2]);
    const json_t *ec = api_export(k, key, id, "companies", json_pack("{s:o}", "excludeFields", list));
    csv_doc doc;
    api_fetch_export(k, ec, &doc);
    check_header(k, &doc, "companies", excluded, N_FIELDS(excluded));
    const char *pexcluded[] = {conf_prospect_columns[2]};
    const json_t *ep = api_export(k, key, id, "prospects",
                                  json_pack("{s:[s]}", "excludeFields", pexcluded[0]));
    api_fetch_export(k, ep, &doc);
    check_header(k, &doc, "prospects", pexcluded, N_FIELDS(pexcluded));
}

static void unknown_exclude_field_400(conf_case *k)
{
    conf_need_mock(k, "the message naming excludeFields[i] is simulator-defined");
    const char *key = k->ctx->target->api_key;
    const char *id = api_shared_audience(k, NULL, NULL);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    const char *message = api_expect_error(k, api_call(k, key, "POST", path,
                                                       json_pack("{s:s, s:[ss]}", "format", "COMPANY_GENERIC_CSV",
                                                                 "excludeFields", "descovo_id", "no_such_column")),
                                           400, "an unknown excludeFields column");
    CONF_CHECK(k, strstr(message, "excludeFields[1]") != NULL, "the message does not name excludeFields[1]: \"%s\"",
               message);
}

static void max_rows_to_export_honoured(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    long long companies = 0;
    const char *id = api_shared_audience(k, &companies, NULL);
    const json_t *ec = api_export(k, key, id, "companies", json_pack("{s:i}", "maxRowsToExport", 1));
    CONF_CHECK(k, rows_of(ec) == (companies > 0 ? 1 : 0), "maxRowsToExport 1: estimatedRows %lld", rows_of(ec));
    csv_doc doc;
    api_fetch_export(k, ec, &doc);
    CONF_CHECK(k, doc.n - 1 == (size_t)rows_of(ec), "maxRowsToExport 1: %zu records in the CSV", doc.n - 1);
    if (companies > 2) {
        ec = api_export(k, key, id, "companies", json_pack("{s:i}", "maxRowsToExport", 2));
        CONF_CHECK(k, rows_of(ec) == 2, "maxRowsToExport 2: estimatedRows %lld", rows_of(ec));
        api_fetch_export(k, ec, &doc);
        CONF_CHECK(k, doc.n - 1 == 2, "maxRowsToExport 2: %zu records in the CSV", doc.n - 1);
    }
    /* A cap above what the audience holds exports what it holds. */
    ec = api_export(k, key, id, "companies", json_pack("{s:i}", "maxRowsToExport", 1000));
    CONF_CHECK(k, rows_of(ec) == companies, "maxRowsToExport 1000 of an audience of %lld companies: estimatedRows %lld",
               companies, rows_of(ec));
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    api_expect_error(k, api_call(k, key, "POST", path,
                                 json_pack("{s:s, s:i}", "format", "COMPANY_GENERIC_CSV", "maxRowsToExport", 0)),
                     400, "maxRowsToExport 0");
}

static int has_contact(conf_case *k, const csv_doc *doc, size_t r)
{
    int any = 0;
    for (size_t i = 0; i < CONF_N_CONTACT_COLUMNS; i++) {
        int col = csv_column_index(doc, conf_contact_columns[i]);
        CONF_CHECK(k, col >= 0, "prospects CSV: no %s column", conf_contact_columns[i]);
        any |= doc->rows[r].cells[col][0] != '\0';
    }
    return any;
}

static void only_with_contacts_honoured(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "contacts", "NORMAL");
    long long prospects = json_integer_value(json_object_get(api_status(k, key, id), "prospectsCount"));
    /* Before any enrichment nothing is revealed. */
    const json_t *before = api_export(k, key, id, "prospects", json_pack("{s:b}", "onlyWithContacts", 1));
    CONF_CHECK(k, rows_of(before) == 0, "onlyWithContacts before any enrichment: %lld rows, expected 0",
               rows_of(before));
    const json_t *all = api_export(k, key, id, "prospects", json_pack("{s:b}", "onlyWithContacts", 0));
    CONF_CHECK(k, rows_of(all) == prospects, "onlyWithContacts false: %lld rows, the audience has %lld prospects",
               rows_of(all), prospects);
    csv_doc doc;
    api_fetch_export(k, all, &doc);
    CONF_CHECK(k, (long long)doc.n - 1 == prospects, "onlyWithContacts false: %zu records", doc.n - 1);
    for (size_t r = 1; r < doc.n; r++)
        CONF_CHECK(k, !has_contact(k, &doc, r), "record %zu shows a contact before any enrichment", r + 1);

    long n = prospects < 2 ? (long)prospects : 2;
    long long cost = json_integer_value(json_object_get(api_estimate(k, key, id, n), "totalCredits"));
    conf_need_spend(k, cost, "enriching prospects");
    api_enrich(k, key, id, n, cost);
    api_wait_enrichment(k, key, id);
    /* Exactly the rows of the full export that show a contact. */
    const json_t *full = api_export(k, key, id, "prospects", NULL);
    api_fetch_export(k, full, &doc);
    long long showing = 0;
    for (size_t r = 1; r < doc.n; r++)
        showing += has_contact(k, &doc, r);
    const json_t *with = api_export(k, key, id, "prospects", json_pack("{s:b}", "onlyWithContacts", 1));
    CONF_CHECK(k, rows_of(with) == showing, "onlyWithContacts: %lld rows, but %lld rows of the full export show a "
               "contact", rows_of(with), showing);
    CONF_CHECK(k, rows_of(with) <= n, "onlyWithContacts after enriching %ld: %lld rows", n, rows_of(with));
    api_fetch_export(k, with, &doc);
    CONF_CHECK(k, (long long)doc.n - 1 == rows_of(with), "onlyWithContacts: %zu records, estimatedRows %lld",
               doc.n - 1, rows_of(with));
    CONF_CHECK(k, doc.n > 1, "onlyWithContacts: no enriched prospect has a contact (expected on the mock's data)");
    for (size_t r = 1; r < doc.n; r++)
        CONF_CHECK(k, has_contact(k, &doc, r), "onlyWithContacts: record %zu has no e-mail or phone", r + 1);
    /* Simulator-defined: an export is a snapshot, so the one made before
     * the enrichment still shows nothing when downloaded after it. */
    if (k->ctx->target->is_mock) {
        api_fetch_export(k, all, &doc);
        for (size_t r = 1; r < doc.n; r++)
            CONF_CHECK(k, !has_contact(k, &doc, r), "the export made before the enrichment shows a contact in record "
                       "%zu when downloaded after it (an export is a snapshot)", r + 1);
    }
}

/* Mock only: the spec's other formats are documented as not simulated. */
static void other_formats_400(conf_case *k)
{
    conf_need_mock(k, "which formats are simulated is simulator-defined");
    const char *id = api_shared_audience(k, NULL, NULL);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/prospects", id);
    api_expect_error(k, api_call(k, k->ctx->target->api_key, "POST", path,
                                 json_pack("{s:s}", "format", "PROSPECT_LI_ADS_CSV")),
                     400, "format PROSPECT_LI_ADS_CSV");
}

int group_exports(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(csv_rfc4180_with_documented_columns),
        CONF_CASE(exclude_fields_honoured),
        CONF_CASE(unknown_exclude_field_400),
        CONF_CASE(max_rows_to_export_honoured),
        CONF_CASE(only_with_contacts_honoured),
        CONF_CASE(other_formats_400),
    };
    return conf_run_group(ctx, "exports", cases, N_FIELDS(cases));
}
