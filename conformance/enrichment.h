/* enrichment: steps 5-7 with their options - the estimate and its
 * arithmetic, the enrich and its charge, the enrichment status and its
 * progress rules. Included by api.h.
 *
 * Options are a JSON object of the request members besides apiKey and
 * maxProspectsToEnrich: {"enrichmentType": {"getPhoneNumbers": false},
 * "runProfileSalesNav": false, ...}. They are always borrowed; NULL means
 * every option at its documented default (true). Answers are owned by the
 * case; every function fails the case when the server breaks the rules. */
#ifndef CONF_ENRICHMENT_H
#define CONF_ENRICHMENT_H

#include <jansson.h>

#include "suite.h"

/* The documented switches, with their default true: "runProfileSalesNav",
 * "runCompanyLiveEnrichment", "runProfileLiveEnrichment",
 * "runContactEnrichment", or "enrichmentType.getWorkEmails" and its two
 * siblings. Returns 1 when on. */
int enr_switch(const json_t *options, const char *name);

/* The stages an enrichment with these options passes, in order, DONE left
 * out (docs/API.md section 7, simulator-defined). Returns their number;
 * out has room for at least 10. */
size_t enr_stages(const json_t *options, const char **out);

/* POST .../enrichment/estimate for n prospects with options. Checks the
 * fields, and the arithmetic any server must keep: totalCredits is the sum
 * of the breakdown's lines, the waterfall's originalCredits the sum of its
 * operations, a line marked isFree costs nothing (on the mock also: no
 * discount). Returns the output. */
const json_t *enr_estimate(conf_case *k, const char *key, const char *id, long n, const json_t *options);

/* POST .../enrich with the same body: spends (the caller reserves first).
 * Checks the output (audienceId, NOT_STARTED) and that both
 * estimatedCredits and chargeInfo.creditsCharged equal estimated. */
const json_t *enr_enrich(conf_case *k, const char *key, const char *id, long n, const json_t *options,
                         long long estimated);

/* One GET .../enrichment/status, its fields checked. */
const json_t *enr_status(conf_case *k, const char *key, const char *id);

/* The progress rules of one status answer, given the previous answer of
 * the same enrichment (NULL for the first): the steps partition one list
 * that never changes between polls (completed, the current one, remaining;
 * no name twice), completed steps only accumulate, percent only grows and
 * is 100 exactly at DONE, where nothing remains. On the mock also: the
 * list is the one enr_stages gives for the options (the names are
 * simulator-defined) and currentStep is the current stage. */
void enr_check_progress(conf_case *k, const json_t *out, const json_t *prev, const json_t *options);

/* Polls until DONE, checking each answer with enr_check_progress and, when
 * enrichment_id is not NULL, that it reports that enrichment. Fails on
 * FAILED or when it never ends. Returns the final output. */
const json_t *enr_wait(conf_case *k, const char *key, const char *id, const json_t *options,
                       const char *enrichment_id);

/* The defaults: every option on. */
const json_t *api_estimate(conf_case *k, const char *key, const char *id, long n);
const json_t *api_enrich(conf_case *k, const char *key, const char *id, long n, long long estimated);
const json_t *api_wait_enrichment(conf_case *k, const char *key, const char *id);

#endif
