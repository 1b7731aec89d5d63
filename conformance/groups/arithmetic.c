/* arithmetic: the numbers of one answer agree with each other and with the
 * documented prices (prices.h) - each estimate line follows its unit
 * price, the enrich charges the estimate of the options it was sent, the
 * balance moves by exactly that, the export quota falls by the rows
 * exported, the list's total is the number of audiences it lists. (The
 * sums inside every estimate are checked by enrichment.c on each one.) */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "csv.h"
#include "groups.h"
#include "pages.h"
#include "prices.h"

/* Distinct values of member among items[0..n). */
static long long distinct(const json_t *items, size_t n, const char *member)
{
    long long count = 0;
    for (size_t i = 0; i < n && i < json_array_size(items); i++) {
        const char *v = api_str(json_array_get(items, i), member);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(v, api_str(json_array_get(items, j), member)) == 0;
        count += !seen;
    }
    return count;
}

static void estimate_lines_follow_unit_prices(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    long long prospects = 0;
    const char *id = api_shared_audience(k, NULL, &prospects);
    CONF_CHECK(k, prospects > 0, "the shared audience has no prospects: nothing to price");
    const json_t *items = pages_walk(k, key, id, "prospects", 500, prospects);
    const json_t *all = enr_estimate(k, key, id, (long)prospects, NULL);
    long long live = api_int(all, "breakdown.liveProspect.credits");
    CONF_CHECK(k, live == PRICE_PROSPECT_LIVE * prospects,
               "estimate for %lld prospects: breakdown.liveProspect is %lld credits; documented %d per prospect live "
               "enrichment, so %lld", prospects, live, PRICE_PROSPECT_LIVE, PRICE_PROSPECT_LIVE * prospects);
    const json_t *one = enr_estimate(k, key, id, 1, NULL);
    CONF_CHECK(k, api_int(one, "breakdown.liveProspect.credits") == PRICE_PROSPECT_LIVE,
               "estimate for 1 prospect: breakdown.liveProspect is %lld credits, documented %d",
               api_int(one, "breakdown.liveProspect.credits"), PRICE_PROSPECT_LIVE);
    CONF_CHECK(k, api_int(one, "totalCredits") <= api_int(all, "totalCredits"),
               "estimate: 1 prospect costs %lld, all %lld of them %lld", api_int(one, "totalCredits"), prospects,
               api_int(all, "totalCredits"));
    if (!k->ctx->target->is_mock)
        return;
    /* Simulator-defined: 1 per distinct company of the enriched prospects,
     * and asking for more prospects than the audience holds enriches them
     * all (the first maxProspectsToEnrich). */
    long long companies = distinct(items, (size_t)prospects, "companyName");
    CONF_CHECK(k, api_int(all, "breakdown.liveCompany.credits") == PRICE_COMPANY_LIVE_MOCK * companies,
               "estimate: breakdown.liveCompany is %lld credits for prospects of %lld companies (%d each)",
               api_int(all, "breakdown.liveCompany.credits"), companies, PRICE_COMPANY_LIVE_MOCK);
    const json_t *more = enr_estimate(k, key, id, (long)prospects + 5, NULL);
    CONF_CHECK(k, api_int(more, "totalCredits") == api_int(all, "totalCredits"),
               "estimate: %lld prospects asked of an audience of %lld cost %lld, all of them %lld", prospects + 5,
               prospects, api_int(more, "totalCredits"), api_int(all, "totalCredits"));
}

/* Non-empty cells of the named columns over the data rows. */
static long long filled(conf_case *k, const csv_doc *doc, const char *a, const char *b)
{
    int ca = csv_column_index(doc, a), cb = csv_column_index(doc, b);
    CONF_CHECK(k, ca >= 0 && cb >= 0, "prospects CSV: no %s or %s column", a, b);
    long long n = 0;
    for (size_t r = 1; r < doc->n; r++)
        n += (doc->rows[r].cells[ca][0] != '\0') + (doc->rows[r].cells[cb][0] != '\0');
    return n;
}

/* Mock only (simulator-defined: the estimate prices the contacts those
 * prospects actually have): enriching the whole audience reveals exactly
 * what the estimate priced, at the documented unit prices. */
static void estimate_prices_the_revealed_contacts(conf_case *k)
{
    conf_need_mock(k, "pricing by the contacts the prospects hold is simulator-defined");
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "prices", "NORMAL");
    long long prospects = api_int(api_status(k, key, id), "prospectsCount");
    const json_t *estimate = enr_estimate(k, key, id, (long)prospects, NULL);
    /* The charge is another case's concern: only the reveals matter here. */
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    api_expect_ok(k, api_call(k, key, "POST", path, json_pack("{s:I}", "maxProspectsToEnrich", (json_int_t)prospects)),
                  "enrich", "charged-now");
    api_wait_enrichment(k, key, id);
    csv_doc doc;
    api_fetch_export(k, api_export(k, key, id, "prospects", NULL), &doc);
    const struct {
        const char *op, *col1, *col2, *what;
        int price;
    } lines[] = {
        {"workEmail", "work_email_1", "work_email_2", "work emails", PRICE_WORK_EMAIL},
        {"personalEmail", "personal_email_1", "personal_email_2", "personal emails", PRICE_PERSONAL_EMAIL},
        {"phone", "phone_number_1", "phone_number_2", "phone numbers", PRICE_PHONE},
    };
    const json_t *ops = json_object_get(json_object_get(json_object_get(estimate, "breakdown"), "waterfall"),
                                        "operations");
    for (size_t i = 0; i < N_FIELDS(lines); i++) {
        long long revealed = filled(k, &doc, lines[i].col1, lines[i].col2);
        long long priced = api_int(ops, lines[i].op);
        CONF_CHECK(k, priced == lines[i].price * revealed,
                   "estimate: breakdown.waterfall.operations.%s is %lld credits, but enriching revealed %lld %s "
                   "(documented %d credits each: %lld)", lines[i].op, priced, revealed, lines[i].what, lines[i].price,
                   lines[i].price * revealed);
    }
}

static void enrich_charges_the_estimate_of_its_options(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_built_audience(k, key, "charge-options", "NORMAL");
    long long prospects = api_int(api_status(k, key, id), "prospectsCount");
    long n = prospects < 2 ? (long)prospects : 2;
    const json_t *options = api_own_json(k, json_pack("{s:{s:b, s:b}, s:b, s:b}", "enrichmentType",
                                                      "getPersonalEmails", 0, "getPhoneNumbers", 0,
                                                      "runCompanyLiveEnrichment", 0, "runProfileSalesNav", 0));
    long long plain = api_int(enr_estimate(k, key, id, n, NULL), "totalCredits");
    long long cost = api_int(enr_estimate(k, key, id, n, options), "totalCredits");
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, cost < plain, "the options did not lower the estimate (%lld, defaults %lld): nothing to observe",
                   cost, plain);
    conf_need_spend(k, cost, "enriching with fewer options");
    long long before = api_credits(k, key);
    const json_t *out = enr_enrich(k, key, id, n, options, cost);
    long long after = api_credits(k, key);
    CONF_CHECK(k, before - after == cost, "enrich: charged %lld by its answer, but credits went from %lld to %lld",
               cost, before, after);
    enr_wait(k, key, id, options, api_str(out, "enrichmentId"));
    long long done = api_credits(k, key);
    CONF_CHECK(k, done == after, "credits moved again during the enrichment: %lld, then %lld", after, done);
}

/* Mock only (maxRowsAllowed as what the quota has left is
 * simulator-defined): each export lowers it by the rows it exported. */
static void export_quota_falls_by_rows_exported(conf_case *k)
{
    conf_need_mock(k, "maxRowsAllowed as the quota left is simulator-defined");
    const char *key = k->ctx->target->api_key;
    long long companies = 0;
    const char *id = api_shared_audience(k, &companies, NULL);
    static const struct {
        const char *kind;
        int max_rows;
    } steps[] = {{"companies", 1}, {"prospects", 2}, {"companies", 0}};
    long long last_allowed = -1, last_rows = 0;
    for (size_t i = 0; i < N_FIELDS(steps); i++) {
        json_t *extra = steps[i].max_rows > 0 ? json_pack("{s:i}", "maxRowsToExport", steps[i].max_rows) : NULL;
        const json_t *out = api_export(k, key, id, steps[i].kind, extra);
        long long allowed = api_int(out, "maxRowsAllowed"), rows = api_int(out, "estimatedRows");
        if (last_allowed >= 0)
            CONF_CHECK(k, allowed == last_allowed - last_rows, "export %zu: maxRowsAllowed %lld; the export before it "
                       "had %lld and exported %lld rows, so %lld", i + 1, allowed, last_allowed, last_rows,
                       last_allowed - last_rows);
        CONF_CHECK(k, rows <= allowed, "export %zu: %lld rows with maxRowsAllowed %lld", i + 1, rows, allowed);
        if (steps[i].max_rows > 0)
            CONF_CHECK(k, rows == steps[i].max_rows, "export %zu: maxRowsToExport %d, estimatedRows %lld", i + 1,
                       steps[i].max_rows, rows);
        last_allowed = allowed;
        last_rows = rows;
    }
    CONF_CHECK(k, last_rows == companies || last_rows == last_allowed, "export without maxRowsToExport: %lld rows of "
               "%lld companies with %lld allowed", last_rows, companies, last_allowed);
}

static const json_t *list_of(conf_case *k, const char *key)
{
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", "/v1/audiences", NULL), "list", "free");
    const json_t *list = json_object_get(out, "audiences");
    CONF_CHECK(k, json_is_array(list), "list: \"audiences\" is not an array");
    CONF_CHECK(k, api_int(out, "totalCount") == (long long)json_array_size(list),
               "list: totalCount %lld, but it lists %zu audiences", api_int(out, "totalCount"), json_array_size(list));
    return list;
}

static int lists(const json_t *list, const char *id)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(api_str(json_array_get(list, i), "audienceId"), id) == 0)
            return 1;
    return 0;
}

/* The list holds what the key created and did not archive; on the mock,
 * with an account of its own, exactly that. */
static void list_total_counts_the_items(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    char own[256];
    if (k->ctx->target->is_mock) {
        snprintf(own, sizeof own, "sk_test_%slist", k->ctx->target->prefix);
        api_mock_account(k, own, json_pack("{s:i}", "credits", 100));
        key = own;
    }
    const char *kept[2], *gone;
    kept[0] = api_create(k, key, "list-a", "NORMAL");
    gone = api_create(k, key, "list-b", "NORMAL");
    kept[1] = api_create(k, key, "list-c", "START_FROM_PROSPECTS");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", gone);
    api_expect_ok(k, api_call(k, key, "DELETE", path, NULL), "archive", "free");
    const json_t *list = list_of(k, key);
    for (size_t i = 0; i < 2; i++)
        CONF_CHECK(k, lists(list, kept[i]), "list: %s is not listed", kept[i]);
    CONF_CHECK(k, !lists(list, gone), "list: the archived %s is still listed", gone);
    if (k->ctx->target->is_mock)
        CONF_CHECK(k, json_array_size(list) == 2, "list: an account with 2 audiences (and 1 archived) lists %zu",
                   json_array_size(list));
}

int group_arithmetic(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(estimate_lines_follow_unit_prices),
        CONF_CASE(estimate_prices_the_revealed_contacts),
        CONF_CASE(enrich_charges_the_estimate_of_its_options),
        CONF_CASE(export_quota_falls_by_rows_exported),
        CONF_CASE(list_total_counts_the_items),
    };
    return conf_run_group(ctx, "arithmetic", cases, N_FIELDS(cases));
}
