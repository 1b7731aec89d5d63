/* filters: search filters of an audience, validated, compiled and applied to
 * the dataset.
 *
 * Two dialects of the same keys are accepted (see docs/API.md, "Filters"):
 * the docs' examples (["US"], {"min":50,"max":500}, slugs,
 * {"included":[...],"excluded":[...]}) and the public spec's shapes
 * ({anyOf, noneOf, allOf}, {lowerBoundExclusive, upperBoundInclusive},
 * alpha-3 and region codes, industry names, {type:"term"|"static-groups"|
 * "dynamic-groups"}). Applied keys:
 *   company:  keywords, headquartersCountryCode, employeeCountV2,
 *             industriesV2, stage
 *   prospect: jobTitleV2, country3LetterCode, yearsOfExperience, tags
 * Other keys of vocabulary.json are accepted, not applied, and reported as a
 * warning; keys that are not in the vocabulary at all are reported as
 * unknown in a warning. Values of the wrong type or outside their enumeration
 * are an error that names the field path and what was expected.
 *
 * Ownership: filters_compile() returns a new audience_filters holding one
 * reference, which the caller lets go of with filters_free();
 * filters_retain() takes another (a build running the filters while the
 * audience that owns them may be dropped). The last filters_free() frees
 * them; both may be called from any thread. It does not keep references to
 * the JSON. A compiled filter is immutable: any number of threads may run
 * it at once. */
#ifndef DESCOVO_FILTERS_H
#define DESCOVO_FILTERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

typedef struct audience_filters audience_filters;

typedef enum creation_method {
    CREATION_NORMAL = 0,
    CREATION_START_FROM_PROSPECTS = 1
} creation_method;

/* Validates and compiles the two filter objects of a search-params request.
 * company_params and prospect_params may each be NULL or JSON null (no
 * filters on that side); otherwise each must be an object.
 *
 * Warnings (keys accepted but not applied, unknown keys, company params given
 * to a START_FROM_PROSPECTS audience, region codes whose members are not
 * simulated) are appended to *warnings, a JSON array, as
 * {"field": "companySearchParams.revenueUSD", "message": "..."}; when
 * *warnings is NULL, the array is made (a new reference for the caller) on
 * the first one, so that a compile without any allocates none. warnings
 * NULL: they are dropped.
 *
 * Returns 0 and sets *out, or -1 with a message in err (errlen bytes) that
 * starts with the field path, e.g.
 * "companySearchParams.employeeCountV2.min: expected a non-negative integer,
 * got string". On -1 nothing is allocated and *out is untouched. Out of
 * memory is also -1, with the message "out of memory". */
int filters_compile(const json_t *company_params, const json_t *prospect_params,
                    creation_method method, json_t **warnings,
                    audience_filters **out, char *err, size_t errlen);

/* Another reference to filters (NULL: returns NULL). */
audience_filters *filters_retain(audience_filters *filters);

/* Lets go of a reference (NULL: nothing); frees the filters with the last. */
void filters_free(audience_filters *filters);

/* 1 when no applied or accepted filter key was given on either side (an
 * audience with such filters cannot be built), 0 otherwise. */
int filters_is_empty(const audience_filters *filters);

/* The companies and prospects an audience build finds: dataset indexes in
 * ascending order. */
typedef struct build_result {
    uint32_t *companies;
    size_t n_companies;
    uint32_t *prospects;
    size_t n_prospects;
} build_result;

/* Runs the filters over the dataset.
 *   NORMAL: companies matching the company filters, ascending, at most
 *   max_companies; then the prospects of those companies that match the
 *   prospect filters, ascending, at most max_prospects.
 *   START_FROM_PROSPECTS: prospects matching the prospect filters, ascending,
 *   at most max_prospects; companies are the distinct companies of those
 *   prospects, ascending, at most max_companies (a prospect whose company
 *   fell outside that cap is dropped).
 * Uses the dataset's posting lists to avoid visiting records that cannot
 * match. Returns 0 and fills *out (free with build_result_free), or -1 when
 * out of memory (*out is then empty). */
int filters_run(const audience_filters *filters, const dataset *ds,
                creation_method method, uint32_t max_companies,
                uint32_t max_prospects, build_result *out);

/* Same contract and same result as filters_run, visiting every record with
 * no index: the reference that tests compare the indexed path against. */
int filters_run_scan(const audience_filters *filters, const dataset *ds,
                     creation_method method, uint32_t max_companies,
                     uint32_t max_prospects, build_result *out);

/* Frees the arrays and empties *result; accepts NULL and empty results. */
void build_result_free(build_result *result);

#endif
