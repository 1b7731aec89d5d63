/* consistency: the endpoints that show the same records agree - the cells
 * of an exported CSV are the records the companies and prospects pages
 * serve, in the same order; the counts of the status are what the pages
 * and the exports hold; contact columns are filled only for the prospects
 * an enrichment covered and only with the contact types it asked for. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "columns.h"
#include "csv.h"
#include "groups.h"
#include "pages.h"

typedef struct column_pair {
    const char *column;        /* in the CSV */
    const char *member;        /* of a page item */
} column_pair;

/* Row r of the CSV is item r-1 of the pages, for every pair whose page
 * value is a string (the pages may leave a field null). */
static void check_rows(conf_case *k, const csv_doc *doc, const json_t *items, const char *kind,
                       const column_pair *pairs, size_t n_pairs)
{
    CONF_CHECK(k, doc->n - 1 == json_array_size(items), "%s CSV: %zu rows, the pages serve %zu records", kind,
               doc->n - 1, json_array_size(items));
    for (size_t p = 0; p < n_pairs; p++) {
        int col = csv_column_index(doc, pairs[p].column);
        CONF_CHECK(k, col >= 0, "%s CSV: no %s column", kind, pairs[p].column);
        for (size_t r = 1; r < doc->n; r++) {
            const char *served = json_string_value(json_object_get(json_array_get(items, r - 1), pairs[p].member));
            if (served == NULL)
                continue;
            CONF_CHECK(k, strcmp(doc->rows[r].cells[col], served) == 0,
                       "%s CSV row %zu: %s is \"%s\", but record %zu of the %s pages has %s \"%s\"", kind, r,
                       pairs[p].column, doc->rows[r].cells[col], r, kind, pairs[p].member, served);
        }
    }
}

static void companies_csv_matches_pages(conf_case *k)
{
    static const column_pair pairs[] = {
        {"descovo_id", "companyId"}, {"name", "name"}, {"domain", "domain"}, {"linkedin_url", "linkedinUrl"},
    };
    const char *key = k->ctx->target->api_key;
    long long companies = 0;
    const char *id = api_shared_audience(k, &companies, NULL);
    const json_t *items = pages_walk(k, key, id, "companies", 2, companies);
    const json_t *ec = api_export(k, key, id, "companies", NULL);
    CONF_CHECK(k, api_int(ec, "estimatedRows") == companies, "export companies: estimatedRows %lld, but the status "
               "counts %lld companies", api_int(ec, "estimatedRows"), companies);
    csv_doc doc;
    api_fetch_export(k, ec, &doc);
    check_rows(k, &doc, items, "companies", pairs, N_FIELDS(pairs));
}

static int has_name(const json_t *items, const char *member, const char *name)
{
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(api_str(json_array_get(items, i), member), name) == 0)
            return 1;
    return 0;
}

static void prospects_csv_matches_pages(conf_case *k)
{
    static const column_pair pairs[] = {
        {"descovo_id", "prospectId"}, {"first_name", "firstName"}, {"last_name", "lastName"},
        {"profile_url", "linkedinUrl"}, {"job_title", "jobTitle"}, {"company", "companyName"},
    };
    const char *key = k->ctx->target->api_key;
    long long companies = 0, prospects = 0;
    const char *id = api_shared_audience(k, &companies, &prospects);
    const json_t *items = pages_walk(k, key, id, "prospects", 3, prospects);
    /* NORMAL: the prospects are people of the audience's companies. */
    const json_t *firms = pages_walk(k, key, id, "companies", 500, companies);
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *p = json_array_get(items, i);
        const char *firm = json_string_value(json_object_get(p, "companyName"));
        if (firm != NULL)
            CONF_CHECK(k, has_name(firms, "name", firm), "prospect %s works at \"%s\", which is not among the "
                       "audience's companies", api_str(p, "prospectId"), firm);
    }
    const json_t *ep = api_export(k, key, id, "prospects", NULL);
    CONF_CHECK(k, api_int(ep, "estimatedRows") == prospects, "export prospects: estimatedRows %lld, but the status "
               "counts %lld prospects", api_int(ep, "estimatedRows"), prospects);
    csv_doc doc;
    api_fetch_export(k, ep, &doc);
    check_rows(k, &doc, items, "prospects", pairs, N_FIELDS(pairs));
}

static int any_contact(const csv_doc *doc, size_t r)
{
    for (size_t i = 0; i < CONF_N_CONTACT_COLUMNS; i++) {
        int col = csv_column_index(doc, conf_contact_columns[i]);
        if (col >= 0 && doc->rows[r].cells[col][0] != '\0')
            return 1;
    }
    return 0;
}

/* Enrich the first prospects for work e-mails only: no row shows a
 * personal e-mail or a phone, at most that many rows show anything, and on
 * the mock (which documents that the first maxProspectsToEnrich are
 * enriched) only the first rows. */
static void contacts_only_for_enriched_and_requested(conf_case *k)
{
    static const char *const not_asked[] = {
        "personal_email_1", "personal_email_2", "phone_number_1", "phone_number_2", "other_phone_numbers",
    };
    const char *key = k->ctx->target->api_key;
    api_need_download(k);
    const char *id = api_built_audience(k, key, "reveals", "NORMAL");
    long long prospects = api_int(api_status(k, key, id), "prospectsCount");
    long n = prospects < 2 ? (long)prospects : 2;
    const json_t *options = api_own_json(k, json_pack("{s:{s:b, s:b}, s:b, s:b}", "enrichmentType",
                                                      "getPersonalEmails", 0, "getPhoneNumbers", 0,
                                                      "runCompanyLiveEnrichment", 0, "runProfileSalesNav", 0));
    long long cost = api_int(enr_estimate(k, key, id, n, options), "totalCredits");
    conf_need_spend(k, cost, "enriching for work e-mails");
    const json_t *out = enr_enrich(k, key, id, n, options, cost);
    enr_wait(k, key, id, options, api_str(out, "enrichmentId"));
    csv_doc doc;
    api_fetch_export(k, api_export(k, key, id, "prospects", NULL), &doc);
    CONF_CHECK(k, (long long)doc.n - 1 == prospects, "prospects CSV: %zu rows, the audience has %lld", doc.n - 1,
               prospects);
    size_t shown = 0;
    for (size_t r = 1; r < doc.n; r++) {
        for (size_t i = 0; i < N_FIELDS(not_asked); i++) {
            int col = csv_column_index(&doc, not_asked[i]);
            CONF_CHECK(k, col >= 0, "prospects CSV: no %s column", not_asked[i]);
            CONF_CHECK(k, doc.rows[r].cells[col][0] == '\0', "prospects CSV row %zu: %s is \"%s\", but the enrichment "
                       "asked for work e-mails only", r, not_asked[i], doc.rows[r].cells[col]);
        }
        int any = any_contact(&doc, r);
        shown += (size_t)any;
        if (k->ctx->target->is_mock)
            CONF_CHECK(k, !any || (long)r <= n, "prospects CSV row %zu shows a contact, but only the first %ld "
                       "prospects were enriched", r, n);
    }
    CONF_CHECK(k, (long)shown <= n, "prospects CSV: %zu rows show contacts, but %ld prospects were enriched", shown, n);
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, shown > 0, "no enriched prospect shows a work e-mail: nothing to observe");
}

/* The cell of column in row r ("" when there is no such column). */
static const char *cell(const csv_doc *doc, size_t r, const char *column)
{
    int col = csv_column_index(doc, column);
    return col >= 0 && r < doc->n ? doc->rows[r].cells[col] : "";
}

/* Mock only (simulator-defined): a second enrichment, once the first is
 * DONE, is charged again and its reveals add to the first one's. */
static void second_enrichment_adds_to_the_first(conf_case *k)
{
    conf_need_mock(k, "what a second enrichment does is simulator-defined");
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "twice", "NORMAL");
    long n = (long)api_int(api_status(k, key, id), "prospectsCount");
    const json_t *emails = api_own_json(k, json_pack("{s:{s:b, s:b}, s:b, s:b}", "enrichmentType", "getPersonalEmails",
                                                     0, "getPhoneNumbers", 0, "runCompanyLiveEnrichment", 0,
                                                     "runProfileSalesNav", 0));
    const json_t *phones = api_own_json(k, json_pack("{s:{s:b, s:b}, s:b, s:b}", "enrichmentType", "getWorkEmails", 0,
                                                     "getPersonalEmails", 0, "runCompanyLiveEnrichment", 0,
                                                     "runProfileSalesNav", 0));
    long long cost = api_int(enr_estimate(k, key, id, n, emails), "totalCredits");
    enr_wait(k, key, id, emails, api_str(enr_enrich(k, key, id, n, emails, cost), "enrichmentId"));
    csv_doc first;
    api_fetch_export(k, api_export(k, key, id, "prospects", NULL), &first);
    cost = api_int(enr_estimate(k, key, id, n, phones), "totalCredits");
    long long before = api_credits(k, key);
    const char *second_id = api_strdup(k, api_str(enr_enrich(k, key, id, n, phones, cost), "enrichmentId"));
    CONF_CHECK(k, api_credits(k, key) == before - cost, "the second enrichment was not charged its estimate of %lld",
               cost);
    enr_wait(k, key, id, phones, second_id);
    csv_doc second;
    api_fetch_export(k, api_export(k, key, id, "prospects", NULL), &second);
    CONF_CHECK(k, first.n == second.n, "the prospects CSV has %zu rows, then %zu", first.n - 1, second.n - 1);
    size_t kept = 0, phoned = 0;
    for (size_t r = 1; r < second.n; r++) {
        const char *was = cell(&first, r, "work_email_1");
        CONF_CHECK(k, strcmp(cell(&second, r, "work_email_1"), was) == 0, "prospects CSV row %zu: work_email_1 was "
                   "\"%s\" after the first enrichment, \"%s\" after the second (reveals add up)", r, was,
                   cell(&second, r, "work_email_1"));
        kept += was[0] != '\0';
        phoned += cell(&second, r, "phone_number_1")[0] != '\0';
    }
    CONF_CHECK(k, kept > 0 && phoned > 0, "the two enrichments revealed %zu work e-mails and %zu phones: nothing to "
               "observe", kept, phoned);
}

int group_consistency(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(companies_csv_matches_pages),
        CONF_CASE(prospects_csv_matches_pages),
        CONF_CASE(contacts_only_for_enriched_and_requested),
        CONF_CASE(second_enrichment_adds_to_the_first),
    };
    return conf_run_group(ctx, "consistency", cases, N_FIELDS(cases));
}
