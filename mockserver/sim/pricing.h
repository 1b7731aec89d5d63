/* pricing: what an enrichment costs, as the estimate shows it and as enrich
 * charges it (the two are the same computation, so they cannot disagree).
 *
 * The enriched prospects are the first min(maxProspectsToEnrich, audience
 * size) prospects of the audience, in audience order. Prices (docs/API.md,
 * "Credits"): 2 per work email, 2 per personal email, 3 per phone number
 * found among them for the requested types when contact enrichment runs;
 * 1 per prospect for profile live enrichment; 1 per distinct company for
 * company live enrichment; Sales Navigator and validation are free. */
#ifndef DESCOVO_PRICING_H
#define DESCOVO_PRICING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "sim/lifecycle.h"
#include "text/strbuf.h"

#define PRICE_WORK_EMAIL 2
#define PRICE_PERSONAL_EMAIL 2
#define PRICE_PHONE 3
#define PRICE_LIVE_PROSPECT 1
#define PRICE_LIVE_COMPANY 1

typedef struct enrichment_cost {
    size_t n_prospects;        /* prospects enriched */
    size_t n_companies;        /* distinct companies among them */
    size_t n_work_emails;      /* found, of the requested types */
    size_t n_personal_emails;
    size_t n_phones;
    int64_t live_company;      /* credits */
    int64_t live_prospect;
    int64_t waterfall;
    int64_t total;
} enrichment_cost;

/* Computes the cost of enriching `prospects` (the audience's prospects, in
 * order, n of them) with `options`. Reads the dataset only. */
void pricing_enrichment(const dataset *ds, const uint32_t *prospects, size_t n,
                        const enrichment_options *options, enrichment_cost *cost);

/* Running sums over an audience's prospects, every PRICING_BLOCK of them,
 * kept with its build result: pricing the first n prospects then reads one
 * checkpoint and at most PRICING_BLOCK - 1 prospects, instead of all n
 * (estimates come in loops, and run under the store lock).
 * checkpoints[b] sums prospects [0, b * PRICING_BLOCK): the contacts each
 * has, whatever an enrichment asks for, and the company changes between
 * neighbours. Only for prospects in company order (as builds list them);
 * for any other order the index stays empty and pricing scans.
 * Ownership: the index owns checkpoints; pricing_index_free frees them and
 * accepts an empty index. */
#define PRICING_BLOCK 1024

typedef struct pricing_checkpoint {
    uint32_t work_emails;
    uint32_t personal_emails;
    uint32_t phones;
    uint32_t company_changes;   /* i in [1, b * PRICING_BLOCK) with a new company */
} pricing_checkpoint;

typedef struct pricing_index {
    pricing_checkpoint *checkpoints;   /* NULL: none, scan */
    size_t n_checkpoints;
} pricing_index;

/* Fills *out for these prospects (n of them, in audience order). Returns 0,
 * or -1 when out of memory; *out is empty then, and when the prospects are
 * not in company order, which pricing handles by scanning. */
int pricing_index_build(const dataset *ds, const uint32_t *prospects, size_t n, pricing_index *out);
void pricing_index_free(pricing_index *index);

/* The same cost as pricing_enrichment, reading the index where it can;
 * index may be NULL or empty. */
void pricing_enrichment_indexed(const dataset *ds, const uint32_t *prospects, size_t n,
                                const pricing_index *index, const enrichment_options *options,
                                enrichment_cost *cost);

/* The DS_CONTACT_* types an enrichment with these options reveals. */
unsigned pricing_revealed_types(const enrichment_options *options);

/* Writes the estimate endpoint's output object as JSON text:
 * {totalCredits, breakdown: {salesNav, liveCompany, liveProspect, waterfall,
 * validation}, timeEstimate: {totalSeconds, formatted}}. Text rather than a
 * jansson tree: estimates are requested before every enrichment, often in
 * loops. */
void pricing_estimate_write(strbuf *out, const enrichment_cost *cost, int64_t duration_ms);

#endif
