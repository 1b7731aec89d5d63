/* filters_run: applies compiled filters to the dataset (see filters.h).
 *
 * filters_run() takes its candidates from the most selective posting-list
 * source it has (NORMAL: companies by country, by any industry, by one
 * required industry; START_FROM_PROSPECTS: prospects by country, by job
 * title), then tests every candidate with the same predicates as
 * filters_run_scan(), which visits every record. A source only narrows the
 * candidates to a superset of the matches, so both give the same result.
 *
 * Candidates from a few posting lists (CAND_MERGE_MAX) are merged as they
 * are read, so that a capped build (maxCompanies 20 of thousands) reads
 * only the head of each list; from more lists, through a bitmap over the
 * records (n/64 words), which yields them ascending at O(n/64 + hits). */
#include "data/filters.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/filters_internal.h"
#include "data/vocab.h"

/* ---------------------------------------------------------------------- */
/* A growing array of ids */

typedef struct id_vec {
    uint32_t *ids;
    size_t n;
    size_t cap;
    size_t first;                 /* the capacity of the first allocation */
} id_vec;

/* An empty vector for at most max ids (0: no bound known): its first
 * allocation holds them all, up to 1024. A build keeps its vectors, so a
 * small one (a fleet builds 20 companies and 40 prospects) comes from
 * malloc's cache of small blocks instead of a 4 KiB block each time. */
static id_vec vec_for(uint32_t max)
{
    id_vec v = {NULL, 0, 0, max > 0 && max < 1024 ? max : 1024};
    return v;
}

static int vec_push(id_vec *v, uint32_t id)
{
    if (v->n == v->cap) {
        size_t cap = v->cap == 0 ? v->first : v->cap * 2;
        uint32_t *ids = realloc(v->ids, cap * sizeof *ids);
        if (ids == NULL) {
            return -1;
        }
        v->ids = ids;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Candidates */

typedef enum cand_mode { CAND_RANGE, CAND_LIST, CAND_MERGE, CAND_BITMAP } cand_mode;

/* The most posting lists merged by comparing their heads (O(lists) a
 * candidate); more go through a bitmap. */
#define CAND_MERGE_MAX 4

/* Yields candidate ids ascending: every id below `end` (RANGE), one posting
 * list (LIST), the union of a few lists, each id once and only those below
 * `end` (MERGE: list[head[l]..tail[l]) for l < n_lists), or the set bits of
 * a bitmap (BITMAP). */
typedef struct cand_iter {
    cand_mode mode;
    size_t pos;
    size_t end;
    const uint32_t *list;
    uint64_t *bitmap;
    size_t n_words;
    uint64_t cur;
    size_t n_lists;
    size_t head[CAND_MERGE_MAX];
    size_t tail[CAND_MERGE_MAX];
} cand_iter;

/* A posting-list source: the union of the lists of the keys set in `keys`. */
typedef struct cand_source {
    const ds_index *index;
    const uint64_t *keys;
    size_t n_words;
    size_t min_keys;    /* the index must cover this many keys to be used */
} cand_source;

/* Past the last key of the source's index that its set can name. */
static size_t key_end(const cand_source *s)
{
    size_t n = s->n_words * 64;
    return s->index->n_keys < n ? s->index->n_keys : n;
}

/* The first key >= from in the source's set, or key_end(s): a word at a
 * time (a country set is 4 words, usually 1-3 bits). */
static size_t key_next(const cand_source *s, size_t from)
{
    size_t end = key_end(s);
    for (size_t w = from / 64; w * 64 < end; w++) {
        uint64_t bits = s->keys[w];
        if (w == from / 64) {
            bits &= ~(uint64_t)0 << (from % 64);
        }
        if (bits != 0) {
            size_t k = w * 64 + (size_t)__builtin_ctzll(bits);
            return k < end ? k : end;
        }
    }
    return end;
}

/* The number of ids the source would yield (with repeats for multi-valued
 * attributes), or SIZE_MAX when it cannot be used. */
static size_t source_size(const cand_source *s)
{
    const ds_index *idx = s->index;
    size_t total = 0;
    size_t k = 0;

    if (idx->start == NULL || idx->ids == NULL || idx->n_keys < s->min_keys) {
        return SIZE_MAX;
    }
    for (k = key_next(s, 0); k < key_end(s); k = key_next(s, k + 1)) {
        total += idx->start[k + 1] - idx->start[k];
    }
    return total;
}

static void cand_range(cand_iter *it, size_t n)
{
    memset(it, 0, sizeof *it);
    it->mode = CAND_RANGE;
    it->end = n;
}

/* Sets up iteration over the source's ids below `universe`. Returns 0, or
 * -1 when out of memory. */
static int cand_from_source(cand_iter *it, const cand_source *s, size_t universe)
{
    const ds_index *idx = s->index;
    size_t n_lists = 0;
    size_t only = 0;
    size_t k = 0;

    memset(it, 0, sizeof *it);
    for (k = key_next(s, 0); k < key_end(s); k = key_next(s, k + 1)) {
        if (idx->start[k + 1] > idx->start[k]) {
            if (n_lists < CAND_MERGE_MAX) {
                it->head[n_lists] = idx->start[k];
                it->tail[n_lists] = idx->start[k + 1];
            }
            n_lists++;
            only = k;
        }
    }
    if (n_lists <= 1) {
        /* one list is already ascending; ids >= universe are skipped by
         * the caller's bound check */
        it->mode = CAND_LIST;
        it->list = idx->ids;
        it->pos = n_lists == 1 ? idx->start[only] : 0;
        it->end = n_lists == 1 ? idx->start[only + 1] : 0;
        return 0;
    }
    if (n_lists <= CAND_MERGE_MAX) {
        it->mode = CAND_MERGE;
        it->list = idx->ids;
        it->end = universe;
        it->n_lists = n_lists;
        return 0;
    }
    it->mode = CAND_BITMAP;
    it->n_words = (universe + 63) / 64;
    it->bitmap = calloc(it->n_words == 0 ? 1 : it->n_words, sizeof *it->bitmap);
    if (it->bitmap == NULL) {
        return -1;
    }
    for (k = key_next(s, 0); k < key_end(s); k = key_next(s, k + 1)) {
        size_t i = 0;

        for (i = idx->start[k]; i < idx->start[k + 1]; i++) {
            uint32_t id = idx->ids[i];
            if (id < universe) {
                it->bitmap[id / 64] |= (uint64_t)1 << (id % 64);
            }
        }
    }
    it->pos = 0;
    it->cur = it->n_words > 0 ? it->bitmap[0] : 0;
    return 0;
}

/* Picks the smallest usable source; falls back to the full range when none
 * is smaller than it. */
static int cand_best(cand_iter *it, const cand_source *sources, size_t n_sources,
                     size_t universe)
{
    size_t best = SIZE_MAX;
    size_t best_size = universe;
    size_t i = 0;

    for (i = 0; i < n_sources; i++) {
        size_t size = source_size(&sources[i]);
        if (size < best_size) {
            best_size = size;
            best = i;
        }
    }
    if (best == SIZE_MAX) {
        cand_range(it, universe);
        return 0;
    }
    return cand_from_source(it, &sources[best], universe);
}

/* CAND_MERGE: the smallest head of the lists, past every copy of it;
 * 0 at the end (the lists ascend, so past `end` is the end too). */
static int merge_next(cand_iter *it, uint32_t *id)
{
    uint32_t least = UINT32_MAX;
    int found = 0;
    for (size_t l = 0; l < it->n_lists; l++) {
        if (it->head[l] < it->tail[l] && (!found || it->list[it->head[l]] < least)) {
            least = it->list[it->head[l]];
            found = 1;
        }
    }
    if (!found || least >= it->end) {
        return 0;
    }
    for (size_t l = 0; l < it->n_lists; l++) {
        while (it->head[l] < it->tail[l] && it->list[it->head[l]] == least) {
            it->head[l]++;
        }
    }
    *id = least;
    return 1;
}

/* Returns 1 and sets *id, or 0 at the end. */
static int cand_next(cand_iter *it, uint32_t *id)
{
    switch (it->mode) {
    case CAND_RANGE:
        if (it->pos >= it->end) {
            return 0;
        }
        *id = (uint32_t)it->pos++;
        return 1;
    case CAND_LIST:
        if (it->pos >= it->end) {
            return 0;
        }
        *id = it->list[it->pos++];
        return 1;
    case CAND_MERGE:
        return merge_next(it, id);
    case CAND_BITMAP:
        while (it->cur == 0) {
            it->pos++;
            if (it->pos >= it->n_words) {
                return 0;
            }
            it->cur = it->bitmap[it->pos];
        }
        *id = (uint32_t)(it->pos * 64 + (size_t)__builtin_ctzll(it->cur));
        it->cur &= it->cur - 1;
        return 1;
    }
    return 0;
}

static void cand_free(cand_iter *it)
{
    free(it->bitmap);
    it->bitmap = NULL;
}

/* ---------------------------------------------------------------------- */
/* Shared steps */

/* Filters used when none were compiled: everything matches. */
static const audience_filters no_filters = {
    .company = {.emp_max = UINT32_MAX},
    .prospect = {.years_max = UINT32_MAX},
};

static const audience_filters *or_no_filters(const audience_filters *f)
{
    return f != NULL ? f : &no_filters;
}

/* The prospects of company c: [first, end). */
static void company_prospects(const dataset *ds, size_t c, size_t *first, size_t *end)
{
    size_t b = ds->companies[c].first_prospect;
    size_t e = c + 1 < ds->n_companies ? ds->companies[c + 1].first_prospect : ds->n_prospects;

    if (e > ds->n_prospects) {
        e = ds->n_prospects;
    }
    if (b > e) {
        b = e;
    }
    *first = b;
    *end = e;
}

/* START_FROM_PROSPECTS, after the prospects are chosen: the distinct
 * companies of those prospects, ascending, at most max_companies; prospects
 * whose company fell outside that cap are dropped (in place). */
static int companies_of_prospects(const dataset *ds, uint32_t max_companies, id_vec *prospects,
                                  id_vec *companies)
{
    size_t n_words = (ds->n_companies + 63) / 64;
    uint64_t *seen = calloc(n_words == 0 ? 1 : n_words, sizeof *seen);
    uint64_t *kept = calloc(n_words == 0 ? 1 : n_words, sizeof *kept);
    size_t i = 0;
    size_t w = 0;
    size_t out = 0;
    int rc = -1;

    if (seen == NULL || kept == NULL) {
        goto out;
    }
    for (i = 0; i < prospects->n; i++) {
        uint32_t c = ds->prospects[prospects->ids[i]].company;
        if (c < ds->n_companies) {
            seen[c / 64] |= (uint64_t)1 << (c % 64);
        }
    }
    for (w = 0; w < n_words && companies->n < max_companies; w++) {
        uint64_t bits = seen[w];
        while (bits != 0 && companies->n < max_companies) {
            uint32_t c = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            bits &= bits - 1;
            if (vec_push(companies, c) != 0) {
                goto out;
            }
            kept[c / 64] |= (uint64_t)1 << (c % 64);
        }
    }
    for (i = 0; i < prospects->n; i++) {
        uint32_t p = prospects->ids[i];
        uint32_t c = ds->prospects[p].company;
        if (c < ds->n_companies && ((kept[c / 64] >> (c % 64)) & 1u)) {
            prospects->ids[out++] = p;
        }
    }
    prospects->n = out;
    rc = 0;
out:
    free(seen);
    free(kept);
    return rc;
}

static void fill_result(build_result *out, id_vec *companies, id_vec *prospects)
{
    out->companies = companies->ids;
    out->n_companies = companies->n;
    out->prospects = prospects->ids;
    out->n_prospects = prospects->n;
    memset(companies, 0, sizeof *companies);
    memset(prospects, 0, sizeof *prospects);
}

/* ---------------------------------------------------------------------- */
/* Indexed */

static int run_normal(const audience_filters *f, const dataset *ds, uint32_t max_companies,
                      uint32_t max_prospects, id_vec *companies, id_vec *prospects)
{
    const company_filter *cf = &f->company;
    const prospect_filter *pf = &f->prospect;
    cand_source sources[2 + VOCAB_N_INDUSTRIES];
    uint64_t ind_any_keys = cf->ind_any & ~cf->ind_none;
    uint64_t ind_one[VOCAB_N_INDUSTRIES];
    size_t n_sources = 0;
    cand_iter it;
    uint32_t id = 0;
    size_t i = 0;
    int rc = -1;

    memset(&it, 0, sizeof it);
    if (cf->never || max_companies == 0) {
        return 0;
    }
    if (cf->has_country) {
        cand_source s = {&ds->companies_by_country, cf->country_ok.w, FILTER_COUNTRY_WORDS,
                         vocab_n_countries};
        sources[n_sources++] = s;
    }
    if (cf->ind_has_any) {
        cand_source s = {&ds->companies_by_industry, &ind_any_keys, 1, VOCAB_N_INDUSTRIES};
        sources[n_sources++] = s;
    }
    /* every required industry is a source on its own */
    for (i = 0; i < VOCAB_N_INDUSTRIES; i++) {
        if ((cf->ind_all >> i) & 1u) {
            ind_one[i] = (uint64_t)1 << i;
            cand_source s = {&ds->companies_by_industry, &ind_one[i], 1, VOCAB_N_INDUSTRIES};
            sources[n_sources++] = s;
        }
    }
    if (cand_best(&it, sources, n_sources, ds->n_companies) != 0) {
        goto out;
    }
    while (companies->n < max_companies && cand_next(&it, &id)) {
        if (id < ds->n_companies && company_matches(cf, &ds->companies[id])
            && vec_push(companies, id) != 0) {
            goto out;
        }
    }

    for (i = 0; i < companies->n && prospects->n < max_prospects && !pf->never; i++) {
        size_t p = 0;
        size_t end = 0;

        company_prospects(ds, companies->ids[i], &p, &end);
        for (; p < end && prospects->n < max_prospects; p++) {
            if (prospect_matches(pf, &ds->prospects[p]) && vec_push(prospects, (uint32_t)p) != 0) {
                goto out;
            }
        }
    }
    rc = 0;
out:
    cand_free(&it);
    return rc;
}

static int run_from_prospects(const audience_filters *f, const dataset *ds,
                              uint32_t max_companies, uint32_t max_prospects,
                              id_vec *companies, id_vec *prospects)
{
    const prospect_filter *pf = &f->prospect;
    cand_source sources[2];
    size_t n_sources = 0;
    cand_iter it;
    uint32_t id = 0;
    int rc = -1;

    memset(&it, 0, sizeof it);
    if (pf->never || max_prospects == 0) {
        return 0;
    }
    if (pf->has_country) {
        cand_source s = {&ds->prospects_by_country, pf->country_ok.w, FILTER_COUNTRY_WORDS,
                         vocab_n_countries};
        sources[n_sources++] = s;
    }
    if (pf->has_title) {
        cand_source s = {&ds->prospects_by_job_title, pf->title_ok, FILTER_TITLE_WORDS,
                         vocab_n_job_titles};
        sources[n_sources++] = s;
    }
    if (cand_best(&it, sources, n_sources, ds->n_prospects) != 0) {
        goto out;
    }
    while (prospects->n < max_prospects && cand_next(&it, &id)) {
        if (id < ds->n_prospects && prospect_matches(pf, &ds->prospects[id])
            && vec_push(prospects, id) != 0) {
            goto out;
        }
    }
    rc = companies_of_prospects(ds, max_companies, prospects, companies);
out:
    cand_free(&it);
    return rc;
}

int filters_run(const audience_filters *filters, const dataset *ds, creation_method method,
                uint32_t max_companies, uint32_t max_prospects, build_result *out)
{
    const audience_filters *f = or_no_filters(filters);
    id_vec companies = vec_for(max_companies);
    id_vec prospects = vec_for(max_prospects);
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (method == CREATION_START_FROM_PROSPECTS) {
        rc = run_from_prospects(f, ds, max_companies, max_prospects, &companies, &prospects);
    } else {
        rc = run_normal(f, ds, max_companies, max_prospects, &companies, &prospects);
    }
    if (rc != 0) {
        free(companies.ids);
        free(prospects.ids);
        return -1;
    }
    fill_result(out, &companies, &prospects);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Scan: no index, every record visited */

static int scan_normal(const audience_filters *f, const dataset *ds, uint32_t max_companies,
                       uint32_t max_prospects, id_vec *companies, id_vec *prospects)
{
    size_t n_words = (ds->n_companies + 63) / 64;
    uint64_t *chosen = NULL;
    size_t i = 0;
    int rc = -1;

    chosen = calloc(n_words == 0 ? 1 : n_words, sizeof *chosen);
    if (chosen == NULL) {
        goto out;
    }
    for (i = 0; i < ds->n_companies && companies->n < max_companies; i++) {
        if (company_matches(&f->company, &ds->companies[i])) {
            if (vec_push(companies, (uint32_t)i) != 0) {
                goto out;
            }
            chosen[i / 64] |= (uint64_t)1 << (i % 64);
        }
    }
    for (i = 0; i < ds->n_prospects && prospects->n < max_prospects; i++) {
        const ds_prospect *p = &ds->prospects[i];
        if (p->company < ds->n_companies && ((chosen[p->company / 64] >> (p->company % 64)) & 1u)
            && prospect_matches(&f->prospect, p) && vec_push(prospects, (uint32_t)i) != 0) {
            goto out;
        }
    }
    rc = 0;
out:
    free(chosen);
    return rc;
}

static int scan_from_prospects(const audience_filters *f, const dataset *ds,
                               uint32_t max_companies, uint32_t max_prospects,
                               id_vec *companies, id_vec *prospects)
{
    size_t i = 0;

    for (i = 0; i < ds->n_prospects && prospects->n < max_prospects; i++) {
        if (prospect_matches(&f->prospect, &ds->prospects[i])
            && vec_push(prospects, (uint32_t)i) != 0) {
            return -1;
        }
    }
    return companies_of_prospects(ds, max_companies, prospects, companies);
}

int filters_run_scan(const audience_filters *filters, const dataset *ds, creation_method method,
                     uint32_t max_companies, uint32_t max_prospects, build_result *out)
{
    const audience_filters *f = or_no_filters(filters);
    id_vec companies = vec_for(max_companies);
    id_vec prospects = vec_for(max_prospects);
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (method == CREATION_START_FROM_PROSPECTS) {
        rc = scan_from_prospects(f, ds, max_companies, max_prospects, &companies, &prospects);
    } else {
        rc = scan_normal(f, ds, max_companies, max_prospects, &companies, &prospects);
    }
    if (rc != 0) {
        free(companies.ids);
        free(prospects.ids);
        return -1;
    }
    fill_result(out, &companies, &prospects);
    return 0;
}

void build_result_free(build_result *result)
{
    if (result == NULL) {
        return;
    }
    free(result->companies);
    free(result->prospects);
    memset(result, 0, sizeof *result);
}
