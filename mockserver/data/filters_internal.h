/* filters_internal: the compiled form of audience_filters and the per-record
 * predicates, shared by filters.c (which builds it) and filters_run.c (which
 * runs it, with and without the posting-list indexes). Include it from
 * filters*.c only.
 *
 * Every filter key is compiled into bit sets over vocabulary indexes, so that
 * testing a record is a handful of AND/compare operations and the indexed and
 * scanning paths cannot disagree: both call company_matches() and
 * prospect_matches() below. */
#ifndef DESCOVO_FILTERS_INTERNAL_H
#define DESCOVO_FILTERS_INTERNAL_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/filters.h"
#include "data/vocab.h"

/* Countries are kept as a bit set over vocab_countries indexes. The
 * vocabulary has about 250; filters_compile() refuses to run if it ever
 * outgrows this. */
#define FILTER_COUNTRY_WORDS 8
#define FILTER_MAX_COUNTRIES (FILTER_COUNTRY_WORDS * 64)

/* Job titles: two words, VOCAB_MAX_JOB_TITLES = 128. */
#define FILTER_TITLE_WORDS 2

typedef struct filter_country_set {
    uint64_t w[FILTER_COUNTRY_WORDS];
} filter_country_set;

typedef struct company_filter {
    /* Set when the filters can match no company at all (containsAll with a
     * keyword the vocabulary does not know). */
    int never;

    /* keywords: every bit of kw_all, at least one of kw_any (when
     * kw_has_any), none of kw_none. */
    uint64_t kw_all;
    uint64_t kw_any;
    uint64_t kw_none;
    int kw_has_any;

    /* headquartersCountryCode, folded into one allowed set (anyOf minus
     * noneOf, or everything minus noneOf). Tested only when has_country. */
    int has_country;
    filter_country_set country_ok;

    /* employeeCountV2, inclusive; 0..UINT32_MAX when not given. */
    uint32_t emp_min;
    uint32_t emp_max;

    /* industriesV2: a company has one to three industries. */
    uint64_t ind_all;
    uint64_t ind_any;
    uint64_t ind_none;
    int ind_has_any;

    /* stage: one per company; allowed set. */
    int has_stage;
    uint32_t stage_ok;
} company_filter;

typedef struct prospect_filter {
    int never;

    /* jobTitleV2 and every one of its terms and groups, compiled to the set
     * of vocab_job_titles a prospect may hold. */
    int has_title;
    uint64_t title_ok[FILTER_TITLE_WORDS];

    /* country3LetterCode, as for companies. */
    int has_country;
    filter_country_set country_ok;

    /* yearsOfExperience, inclusive. */
    uint32_t years_min;
    uint32_t years_max;

    /* tags: a prospect holds any number of the 15. */
    uint32_t tags_all;
    uint32_t tags_any;
    uint32_t tags_none;
    int tags_has_any;
} prospect_filter;

struct audience_filters {
    company_filter company;
    prospect_filter prospect;
    /* Keys given with a non-null value that are applied or accepted (not
     * the unknown ones); company keys are not counted when the company
     * params were ignored (START_FROM_PROSPECTS). */
    size_t n_company_keys;
    size_t n_prospect_keys;
    unsigned refs;  /* filters_retain, filters_free: atomic */
};

static inline int filter_country_has(const filter_country_set *set, unsigned idx)
{
    if (idx >= FILTER_MAX_COUNTRIES) {
        return 0;
    }
    return (int)((set->w[idx / 64] >> (idx % 64)) & 1u);
}

static inline int company_matches(const company_filter *f, const ds_company *c)
{
    if (f->never) {
        return 0;
    }
    if ((c->keywords & f->kw_all) != f->kw_all) {
        return 0;
    }
    if (f->kw_has_any && (c->keywords & f->kw_any) == 0) {
        return 0;
    }
    if ((c->keywords & f->kw_none) != 0) {
        return 0;
    }
    if (f->has_country && !filter_country_has(&f->country_ok, c->country)) {
        return 0;
    }
    if (c->employee_count < f->emp_min || c->employee_count > f->emp_max) {
        return 0;
    }
    if ((c->industries & f->ind_all) != f->ind_all) {
        return 0;
    }
    if (f->ind_has_any && (c->industries & f->ind_any) == 0) {
        return 0;
    }
    if ((c->industries & f->ind_none) != 0) {
        return 0;
    }
    if (f->has_stage && (c->stage >= 32 || ((f->stage_ok >> c->stage) & 1u) == 0)) {
        return 0;
    }
    return 1;
}

static inline int prospect_matches(const prospect_filter *f, const ds_prospect *p)
{
    if (f->never) {
        return 0;
    }
    if (f->has_title) {
        unsigned t = p->job_title;
        if (t >= FILTER_TITLE_WORDS * 64 || ((f->title_ok[t / 64] >> (t % 64)) & 1u) == 0) {
            return 0;
        }
    }
    if (f->has_country && !filter_country_has(&f->country_ok, p->country)) {
        return 0;
    }
    if (p->years_experience < f->years_min || p->years_experience > f->years_max) {
        return 0;
    }
    if (((uint32_t)p->tags & f->tags_all) != f->tags_all) {
        return 0;
    }
    if (f->tags_has_any && ((uint32_t)p->tags & f->tags_any) == 0) {
        return 0;
    }
    if (((uint32_t)p->tags & f->tags_none) != 0) {
        return 0;
    }
    return 1;
}

#endif
