/* prices: the documented unit prices the suite checks answers against.
 * Written out here from the sources, never read from a server. */
#ifndef CONF_PRICES_H
#define CONF_PRICES_H

/* Build, charged at completion: "1 credits per company and 1 credits per
 * profile found" (the public spec of the API, buildAudience,
 * x-credit-cost.variableCosts getCompanyFromDb / getPersonFromDb). */
#define PRICE_BUILD_COMPANY 1
#define PRICE_BUILD_PROSPECT 1

/* Enrichment, charged upfront: "2 per work email, 2 per personal email,
 * 3 per phone number, 1 per prospect live enrichment" (the vendor's
 * Credits section, quoted in the reference API.md; the public spec,
 * triggerEnrichment, x-credit-cost.variableCosts workEmailReveal,
 * personalEmailReveal, phoneReveal, liveEnrichPersonForContactReveal). */
#define PRICE_WORK_EMAIL 2
#define PRICE_PERSONAL_EMAIL 2
#define PRICE_PHONE 3
#define PRICE_PROSPECT_LIVE 1

/* Simulator-defined (docs/API.md section 5; the sources give company live
 * enrichment its own breakdown line but no price): 1 per distinct company
 * of the enriched prospects. Checked on the mock only. */
#define PRICE_COMPANY_LIVE_MOCK 1

#endif
