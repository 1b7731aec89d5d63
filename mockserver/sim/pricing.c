#include "sim/pricing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/jsonw.h"

unsigned pricing_revealed_types(const enrichment_options *options)
{
    if (!options->run_contact)
        return 0;
    unsigned types = 0;
    if (options->get_work_emails)
        types |= DS_CONTACT_WORK_EMAIL;
    if (options->get_personal_emails)
        types |= DS_CONTACT_PERSONAL_EMAIL;
    if (options->get_phone_numbers)
        types |= DS_CONTACT_PHONE;
    return types;
}

/* Distinct companies among the prospects. A build lists prospects in
 * ascending order, and a company's prospects are contiguous in the dataset,
 * so their companies come in non-decreasing order and counting changes is
 * exact, in O(n) without memory. Any other order is sorted first. */
static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static size_t count_runs(const uint32_t *companies, size_t n)
{
    size_t distinct = n > 0;
    for (size_t i = 1; i < n; i++)
        distinct += companies[i] != companies[i - 1];
    return distinct;
}

static size_t count_companies(const dataset *ds, const uint32_t *prospects, size_t n)
{
    int ordered = 1;
    for (size_t i = 1; i < n && ordered; i++)
        ordered = ds->prospects[prospects[i]].company >= ds->prospects[prospects[i - 1]].company;
    if (ordered) {
        size_t distinct = n > 0;
        for (size_t i = 1; i < n; i++)
            distinct += ds->prospects[prospects[i]].company != ds->prospects[prospects[i - 1]].company;
        return distinct;
    }
    uint32_t *companies = malloc(n * sizeof *companies);
    if (companies == NULL)
        return 0; /* out of memory: no live-company line rather than a wrong one */
    for (size_t i = 0; i < n; i++)
        companies[i] = ds->prospects[prospects[i]].company;
    qsort(companies, n, sizeof *companies, compare_u32);
    size_t distinct = count_runs(companies, n);
    free(companies);
    return distinct;
}

/* Credits from the counts in *cost. */
static void price_counts(const enrichment_options *options, enrichment_cost *cost)
{
    cost->waterfall = PRICE_WORK_EMAIL * (int64_t)cost->n_work_emails +
                      PRICE_PERSONAL_EMAIL * (int64_t)cost->n_personal_emails +
                      PRICE_PHONE * (int64_t)cost->n_phones;
    cost->live_prospect = options->run_profile_live ? PRICE_LIVE_PROSPECT * (int64_t)cost->n_prospects : 0;
    cost->live_company = options->run_company_live ? PRICE_LIVE_COMPANY * (int64_t)cost->n_companies : 0;
    cost->total = cost->waterfall + cost->live_prospect + cost->live_company;
}

void pricing_enrichment(const dataset *ds, const uint32_t *prospects, size_t n,
                        const enrichment_options *options, enrichment_cost *cost)
{
    if (n > options->max_prospects)
        n = options->max_prospects;
    unsigned types = pricing_revealed_types(options);
    *cost = (enrichment_cost){0};
    cost->n_prospects = n;
    for (size_t i = 0; i < n; i++) {
        unsigned found = ds->prospects[prospects[i]].contacts & types;
        cost->n_work_emails += (found & DS_CONTACT_WORK_EMAIL) != 0;
        cost->n_personal_emails += (found & DS_CONTACT_PERSONAL_EMAIL) != 0;
        cost->n_phones += (found & DS_CONTACT_PHONE) != 0;
    }
    cost->n_companies = count_companies(ds, prospects, n);
    price_counts(options, cost);
}

/* Whether the prospects come in company order (non-decreasing). */
static int in_company_order(const dataset *ds, const uint32_t *prospects, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (ds->prospects[prospects[i]].company < ds->prospects[prospects[i - 1]].company)
            return 0;
    }
    return 1;
}

/* Adds prospects [from, to) to a running sum (changes counted from 1). */
static void add_prospects(const dataset *ds, const uint32_t *prospects, size_t from, size_t to,
                          pricing_checkpoint *sum)
{
    for (size_t i = from; i < to; i++) {
        const ds_prospect *p = &ds->prospects[prospects[i]];
        sum->work_emails += (p->contacts & DS_CONTACT_WORK_EMAIL) != 0;
        sum->personal_emails += (p->contacts & DS_CONTACT_PERSONAL_EMAIL) != 0;
        sum->phones += (p->contacts & DS_CONTACT_PHONE) != 0;
        sum->company_changes += i > 0 && p->company != ds->prospects[prospects[i - 1]].company;
    }
}

int pricing_index_build(const dataset *ds, const uint32_t *prospects, size_t n, pricing_index *out)
{
    *out = (pricing_index){0};
    if (n < PRICING_BLOCK || n > UINT32_MAX || !in_company_order(ds, prospects, n))
        return 0; /* short enough to scan, or not in company order: scan */
    size_t n_checkpoints = n / PRICING_BLOCK + 1;
    pricing_checkpoint *checkpoints = calloc(n_checkpoints, sizeof *checkpoints);
    if (checkpoints == NULL)
        return -1;
    for (size_t b = 1; b < n_checkpoints; b++) {
        checkpoints[b] = checkpoints[b - 1];
        add_prospects(ds, prospects, (b - 1) * PRICING_BLOCK, b * PRICING_BLOCK, &checkpoints[b]);
    }
    out->checkpoints = checkpoints;
    out->n_checkpoints = n_checkpoints;
    return 0;
}

void pricing_index_free(pricing_index *index)
{
    if (index == NULL)
        return;
    free(index->checkpoints);
    *index = (pricing_index){0};
}

void pricing_enrichment_indexed(const dataset *ds, const uint32_t *prospects, size_t n,
                                const pricing_index *index, const enrichment_options *options,
                                enrichment_cost *cost)
{
    if (n > options->max_prospects)
        n = options->max_prospects;
    size_t b = n / PRICING_BLOCK;
    if (index == NULL || index->checkpoints == NULL || b >= index->n_checkpoints) {
        pricing_enrichment(ds, prospects, n, options, cost);
        return;
    }
    pricing_checkpoint sum = index->checkpoints[b];
    add_prospects(ds, prospects, b * PRICING_BLOCK, n, &sum);
    unsigned types = pricing_revealed_types(options);
    *cost = (enrichment_cost){0};
    cost->n_prospects = n;
    cost->n_work_emails = (types & DS_CONTACT_WORK_EMAIL) ? sum.work_emails : 0;
    cost->n_personal_emails = (types & DS_CONTACT_PERSONAL_EMAIL) ? sum.personal_emails : 0;
    cost->n_phones = (types & DS_CONTACT_PHONE) ? sum.phones : 0;
    cost->n_companies = n > 0 ? (size_t)sum.company_changes + 1 : 0;
    price_counts(options, cost);
}

static void format_duration(int64_t seconds, char out[32])
{
    if (seconds < 60)
        snprintf(out, 32, "%llds", (long long)seconds);
    else if (seconds < 3600)
        snprintf(out, 32, "%lldm %llds", (long long)(seconds / 60), (long long)(seconds % 60));
    else
        snprintf(out, 32, "%lldh %lldm", (long long)(seconds / 3600), (long long)(seconds % 3600 / 60));
}

void pricing_estimate_write(strbuf *out, const enrichment_cost *cost, int64_t duration_ms)
{
    /* Written piece by piece, not with one printf: estimates are polled. */
    int64_t seconds = (duration_ms + 999) / 1000;
    char formatted[32];
    format_duration(seconds, formatted);
    strbuf_put_literal(out, "{\"totalCredits\":");
    jsonw_integer(out, cost->total);
    strbuf_put_literal(out, ",\"breakdown\":{\"salesNav\":{\"credits\":0,\"isFree\":true},"
                            "\"liveCompany\":{\"credits\":");
    jsonw_integer(out, cost->live_company);
    strbuf_put_literal(out, ",\"discounted\":false},\"liveProspect\":{\"credits\":");
    jsonw_integer(out, cost->live_prospect);
    strbuf_put_literal(out, ",\"discounted\":false},\"waterfall\":{\"credits\":");
    jsonw_integer(out, cost->waterfall);
    strbuf_put_literal(out, ",\"originalCredits\":");
    jsonw_integer(out, cost->waterfall);
    strbuf_put_literal(out, ",\"discount\":0,\"operations\":{\"workEmail\":");
    jsonw_integer(out, PRICE_WORK_EMAIL * (int64_t)cost->n_work_emails);
    strbuf_put_literal(out, ",\"personalEmail\":");
    jsonw_integer(out, PRICE_PERSONAL_EMAIL * (int64_t)cost->n_personal_emails);
    strbuf_put_literal(out, ",\"phone\":");
    jsonw_integer(out, PRICE_PHONE * (int64_t)cost->n_phones);
    strbuf_put_literal(out, "}},\"validation\":{\"credits\":0,\"isFree\":true}},\"timeEstimate\":{\"totalSeconds\":");
    jsonw_integer(out, seconds);
    strbuf_put_literal(out, ",\"formatted\":");
    jsonw_string(out, formatted, strlen(formatted));
    strbuf_put_literal(out, "}}");
}
