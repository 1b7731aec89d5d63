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

#include "dataset.h"
#include "lifecycle.h"
#include "strbuf.h"

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

/* The DS_CONTACT_* types an enrichment with these options reveals. */
unsigned pricing_revealed_types(const enrichment_options *options);

/* Writes the estimate endpoint's output object as JSON text:
 * {totalCredits, breakdown: {salesNav, liveCompany, liveProspect, waterfall,
 * validation}, timeEstimate: {totalSeconds, formatted}}. Text rather than a
 * jansson tree: estimates are requested before every enrichment, often in
 * loops. */
void pricing_estimate_write(strbuf *out, const enrichment_cost *cost, int64_t duration_ms);

#endif
