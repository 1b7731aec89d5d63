/* test_filters: compilation of both filter dialects, their errors and
 * warnings, and the indexed run against the scanning reference, on a small
 * hand-made dataset and on a generated one.
 *
 * FILTERS_BENCH=1 in the environment also times a typical build on a
 * generated dataset of 100,000 companies (skipped otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "data/dataset.h"
#include "data/filters.h"
#include "data/vocab.h"

/* ---------------------------------------------------------------------- */
/* The hand-made dataset */

typedef struct hand_company {
    const char *country;
    const char *industries[3];
    const char *keywords[3];
    uint32_t employees;
    const char *stage;
} hand_company;

static const hand_company hand_companies[] = {
    {"USA", {"Artificial Intelligence", "Software"}, {"saas", "machine learning"}, 5, "seed"},
    {"USA", {"Finance"}, {"fintech", "payments"}, 50, "series_a"},
    {"DEU", {"Artificial Intelligence"}, {"saas"}, 51, "series_b"},
    {"AUT", {"Healthcare"}, {"healthtech"}, 200, "public"},
    {"CHE", {"Software"}, {"b2b", "saas"}, 1000, "acquired"},
    {"FRA", {"Software", "Cloud"}, {"cloud computing"}, 10, "pre_seed"},
    {"GBR", {"Artificial Intelligence", "Finance"}, {"fintech", "machine learning"}, 10000,
     "series_c"},
    {"USA", {"Gaming"}, {NULL}, 1, "unknown"},
    {"BRA", {"Retail"}, {"e-commerce"}, 501, "no_funding_yet"},
    {"JPN", {"Hardware"}, {"hardware", "iot"}, 5001, "public"},
};
#define N_HAND_COMPANIES (sizeof hand_companies / sizeof hand_companies[0])
#define HAND_PROSPECTS_PER_COMPANY 4

static const char *const hand_titles[] = {
    "CEO", "VP of Engineering", "Software Engineer", "Senior Software Engineer",
    "Director of Sales", "Marketing Intern", "Founder", "Board Member",
    "Executive Assistant", "Data Scientist", "Machine Learning Engineer",
};
#define N_HAND_TITLES (sizeof hand_titles / sizeof hand_titles[0])

static int title_index(const char *title)
{
    size_t i = 0;

    for (i = 0; i < vocab_n_job_titles; i++) {
        if (strcmp(vocab_job_titles[i].title, title) == 0) {
            return (int)i;
        }
    }
    return -1;
}

typedef size_t (*keys_of_fn)(const dataset *ds, uint32_t id, uint32_t keys[64]);

static size_t k_company_country(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->companies[id].country;
    return 1;
}

static size_t k_company_industry(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    size_t n = 0;
    uint64_t m = ds->companies[id].industries;

    for (; m != 0; m &= m - 1) {
        keys[n++] = (uint32_t)__builtin_ctzll(m);
    }
    return n;
}

static size_t k_prospect_country(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->prospects[id].country;
    return 1;
}

static size_t k_prospect_title(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->prospects[id].job_title;
    return 1;
}

/* CSR by counting: records in ascending order, so every list is ascending. */
static void hand_index(ds_index *idx, const dataset *ds, size_t n_records, size_t n_keys,
                       keys_of_fn keys_of)
{
    uint32_t keys[64];
    uint32_t *fill = calloc(n_keys + 1, sizeof *fill);
    size_t id = 0;
    size_t k = 0;

    assert_non_null(fill);
    idx->n_keys = n_keys;
    idx->start = calloc(n_keys + 1, sizeof *idx->start);
    assert_non_null(idx->start);
    for (id = 0; id < n_records; id++) {
        size_t n = keys_of(ds, (uint32_t)id, keys);
        for (k = 0; k < n; k++) {
            idx->start[keys[k] + 1]++;
        }
    }
    for (k = 0; k < n_keys; k++) {
        idx->start[k + 1] += idx->start[k];
    }
    idx->ids = calloc(idx->start[n_keys] + 1, sizeof *idx->ids);
    assert_non_null(idx->ids);
    memcpy(fill, idx->start, (n_keys + 1) * sizeof *fill);
    for (id = 0; id < n_records; id++) {
        size_t n = keys_of(ds, (uint32_t)id, keys);
        for (k = 0; k < n; k++) {
            idx->ids[fill[keys[k]]++] = (uint32_t)id;
        }
    }
    free(fill);
}

static dataset *hand_dataset(void)
{
    dataset *ds = calloc(1, sizeof *ds);
    size_t c = 0;
    size_t j = 0;

    assert_non_null(ds);
    ds->n_companies = N_HAND_COMPANIES;
    ds->n_prospects = N_HAND_COMPANIES * HAND_PROSPECTS_PER_COMPANY;
    ds->companies = calloc(ds->n_companies, sizeof *ds->companies);
    ds->prospects = calloc(ds->n_prospects, sizeof *ds->prospects);
    assert_non_null(ds->companies);
    assert_non_null(ds->prospects);

    for (c = 0; c < N_HAND_COMPANIES; c++) {
        const hand_company *h = &hand_companies[c];
        ds_company *dc = &ds->companies[c];
        int country = vocab_country_find(h->country);
        int stage = vocab_stage_find(h->stage);

        assert_true(country >= 0);
        assert_true(stage >= 0);
        dc->country = (uint16_t)country;
        dc->stage = (uint8_t)stage;
        dc->employee_count = h->employees;
        dc->first_prospect = (uint32_t)(c * HAND_PROSPECTS_PER_COMPANY);
        for (j = 0; j < 3 && h->industries[j] != NULL; j++) {
            int ind = vocab_industry_find(h->industries[j]);
            assert_true(ind >= 0);
            dc->industries |= (uint64_t)1 << ind;
        }
        for (j = 0; j < 3 && h->keywords[j] != NULL; j++) {
            int kw = vocab_keyword_find(h->keywords[j]);
            assert_true(kw >= 0);
            dc->keywords |= (uint64_t)1 << kw;
        }
        for (j = 0; j < HAND_PROSPECTS_PER_COMPANY; j++) {
            ds_prospect *p = &ds->prospects[c * HAND_PROSPECTS_PER_COMPANY + j];
            int title = title_index(hand_titles[(c * 3 + j) % N_HAND_TITLES]);
            int phd = vocab_prospect_tag_find("phd");
            int dm = vocab_prospect_tag_find("decision-maker");

            assert_true(title >= 0);
            p->company = (uint32_t)c;
            p->job_title = (uint8_t)title;
            p->country = j == 2 ? (uint16_t)vocab_country_find("GBR") : dc->country;
            p->years_experience = (uint8_t)((c * 7 + j * 5) % 30);
            p->tags = (uint16_t)((((c + j) % 3 == 0) ? 1u << phd : 0)
                                 | (((c + j) % 2 == 0) ? 1u << dm : 0));
        }
    }
    hand_index(&ds->companies_by_country, ds, ds->n_companies, vocab_n_countries,
               k_company_country);
    hand_index(&ds->companies_by_industry, ds, ds->n_companies, VOCAB_N_INDUSTRIES,
               k_company_industry);
    hand_index(&ds->prospects_by_country, ds, ds->n_prospects, vocab_n_countries,
               k_prospect_country);
    hand_index(&ds->prospects_by_job_title, ds, ds->n_prospects, vocab_n_job_titles,
               k_prospect_title);
    return ds;
}

static void hand_free(dataset *ds)
{
    ds_index *idx[4];
    size_t i = 0;

    if (ds == NULL) {
        return;
    }
    idx[0] = &ds->companies_by_country;
    idx[1] = &ds->companies_by_industry;
    idx[2] = &ds->prospects_by_country;
    idx[3] = &ds->prospects_by_job_title;
    for (i = 0; i < 4; i++) {
        free(idx[i]->start);
        free(idx[i]->ids);
    }
    free(ds->companies);
    free(ds->prospects);
    free(ds);
}

static int setup_hand(void **state)
{
    *state = hand_dataset();
    return 0;
}

static int teardown_hand(void **state)
{
    hand_free(*state);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers */

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *v = NULL;

    if (text == NULL) {
        return NULL;
    }
    v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    }
    return v;
}

/* Compiles; fails the test on error. warnings may be NULL. */
static audience_filters *compile_ok(const char *company, const char *prospect,
                                    creation_method method, json_t *warnings)
{
    json_t *c = parse_json(company);
    json_t *p = parse_json(prospect);
    audience_filters *f = NULL;
    char err[512] = "";
    int rc = filters_compile(c, p, method, warnings != NULL ? &warnings : NULL, &f, err, sizeof err);

    if (rc != 0) {
        fail_msg("compile of %s / %s failed: %s", company ? company : "NULL",
                 prospect ? prospect : "NULL", err);
    }
    json_decref(c);
    json_decref(p);
    return f;
}

/* Compiles expecting an error; checks the message starts with `expect`. */
static void compile_err(const char *company, const char *prospect, creation_method method,
                        const char *expect)
{
    json_t *c = parse_json(company);
    json_t *p = parse_json(prospect);
    json_t *warnings = json_array();
    audience_filters *f = (audience_filters *)(uintptr_t)0x1;
    char err[1024] = "";
    int rc = filters_compile(c, p, method, warnings != NULL ? &warnings : NULL, &f, err, sizeof err);

    if (rc != -1) {
        fail_msg("expected an error for %s / %s", company ? company : "NULL",
                 prospect ? prospect : "NULL");
    }
    if (strncmp(err, expect, strlen(expect)) != 0) {
        fail_msg("error\n  got:      %s\n  expected: %s...", err, expect);
    }
    assert_true(f == (audience_filters *)(uintptr_t)0x1);
    assert_int_equal(json_array_size(warnings), 0);
    json_decref(warnings);
    json_decref(c);
    json_decref(p);
}

static void assert_same_result(const build_result *a, const build_result *b)
{
    assert_int_equal(a->n_companies, b->n_companies);
    assert_int_equal(a->n_prospects, b->n_prospects);
    if (a->n_companies > 0) {
        assert_memory_equal(a->companies, b->companies, a->n_companies * sizeof(uint32_t));
    }
    if (a->n_prospects > 0) {
        assert_memory_equal(a->prospects, b->prospects, a->n_prospects * sizeof(uint32_t));
    }
}

/* Runs indexed and scan, checks they agree and returns the indexed one. */
static build_result run_both(const audience_filters *f, const dataset *ds, creation_method m,
                             uint32_t max_c, uint32_t max_p)
{
    build_result a;
    build_result b;

    assert_int_equal(filters_run(f, ds, m, max_c, max_p, &a), 0);
    assert_int_equal(filters_run_scan(f, ds, m, max_c, max_p, &b), 0);
    assert_same_result(&a, &b);
    build_result_free(&b);
    return a;
}

static build_result run_json(const dataset *ds, const char *company, const char *prospect,
                             creation_method m)
{
    audience_filters *f = compile_ok(company, prospect, m, NULL);
    build_result r = run_both(f, ds, m, UINT32_MAX, UINT32_MAX);

    filters_free(f);
    return r;
}

static void assert_ids(const uint32_t *ids, size_t n, const uint32_t *expect, size_t n_expect)
{
    size_t i = 0;

    if (n != n_expect) {
        fail_msg("got %zu ids, expected %zu", n, n_expect);
    }
    for (i = 0; i < n; i++) {
        if (ids[i] != expect[i]) {
            fail_msg("id %zu: got %u, expected %u", i, ids[i], expect[i]);
        }
    }
}

#define EXPECT_COMPANIES(r, ...)                                                       \
    do {                                                                               \
        static const uint32_t exp_[] = {__VA_ARGS__};                                  \
        assert_ids((r).companies, (r).n_companies, exp_, sizeof exp_ / sizeof exp_[0]); \
    } while (0)

/* Two spellings of the same filter give the same result. */
static void assert_equivalent(const dataset *ds, const char *c1, const char *p1, const char *c2,
                              const char *p2)
{
    build_result a = run_json(ds, c1, p1, CREATION_NORMAL);
    build_result b = run_json(ds, c2, p2, CREATION_NORMAL);

    assert_same_result(&a, &b);
    build_result_free(&a);
    build_result_free(&b);
}

/* ---------------------------------------------------------------------- */
/* Dialects */

static void test_company_dialects(void **state)
{
    const dataset *ds = *state;
    build_result r;

    r = run_json(ds, "{\"headquartersCountryCode\":[\"US\"]}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 1, 7);
    assert_int_equal(r.n_prospects, 12);
    build_result_free(&r);
    assert_equivalent(ds, "{\"headquartersCountryCode\":[\"US\"]}", NULL,
                      "{\"headquartersCountryCode\":{\"anyOf\":[\"USA\"]}}", NULL);
    assert_equivalent(ds, "{\"headquartersCountryCode\":[\"us\",\"gb\"]}", NULL,
                      "{\"headquartersCountryCode\":{\"anyOf\":[\"USA\",\"GBR\"]}}", NULL);

    r = run_json(ds, "{\"headquartersCountryCode\":{\"noneOf\":[\"USA\",\"DEU\"]}}", NULL,
                 CREATION_NORMAL);
    EXPECT_COMPANIES(r, 3, 4, 5, 6, 8, 9);
    build_result_free(&r);

    r = run_json(ds, "{\"employeeCountV2\":{\"min\":51,\"max\":500}}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 2, 3);
    build_result_free(&r);
    assert_equivalent(ds, "{\"employeeCountV2\":{\"min\":51,\"max\":500}}", NULL,
                      "{\"employeeCountV2\":{\"lowerBoundExclusive\":50,"
                      "\"upperBoundInclusive\":500}}", NULL);
    assert_equivalent(ds, "{\"employeeCountV2\":{\"min\":1001}}", NULL,
                      "{\"employeeCountV2\":{\"lowerBoundExclusive\":1000,"
                      "\"upperBoundInclusive\":null}}", NULL);
    r = run_json(ds, "{\"employeeCountV2\":{\"upperBoundInclusive\":10}}", NULL,
                 CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 5, 7);
    build_result_free(&r);

    r = run_json(ds, "{\"industriesV2\":[\"artificial-intelligence\"]}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 2, 6);
    build_result_free(&r);
    assert_equivalent(ds, "{\"industriesV2\":[\"artificial-intelligence\"]}", NULL,
                      "{\"industriesV2\":{\"anyOf\":[\"Artificial Intelligence\"]}}", NULL);
    r = run_json(ds, "{\"industriesV2\":{\"allOf\":[\"Artificial Intelligence\",\"Software\"]}}",
                 NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0);
    build_result_free(&r);
    r = run_json(ds, "{\"industriesV2\":{\"anyOf\":[\"software\",\"finance\"],"
                     "\"noneOf\":[\"Cloud\",\"artificial-intelligence\"]}}",
                 NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 1, 4);
    build_result_free(&r);

    r = run_json(ds, "{\"stage\":[\"seed\",\"public\"]}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 3, 9);
    build_result_free(&r);
    assert_equivalent(ds, "{\"stage\":[\"seed\",\"public\"]}", NULL,
                      "{\"stage\":{\"anyOf\":[\"SEED\",\"public\"]}}", NULL);
    r = run_json(ds, "{\"stage\":{\"noneOf\":[\"public\",\"unknown\"]}}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 1, 2, 4, 5, 6, 8);
    build_result_free(&r);

    r = run_json(ds, "{\"keywords\":[\"saas\"]}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 2, 4);
    build_result_free(&r);
    assert_equivalent(ds, "{\"keywords\":[\"saas\"]}", NULL,
                      "{\"keywords\":{\"containsAny\":[\"SaaS\",\"no-such-keyword\"]}}", NULL);
    r = run_json(ds, "{\"keywords\":{\"containsAll\":[\"saas\",\"machine learning\"]}}", NULL,
                 CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0);
    build_result_free(&r);
    r = run_json(ds, "{\"keywords\":{\"containsNone\":[\"saas\",\"no-such-keyword\"]}}", NULL,
                 CREATION_NORMAL);
    EXPECT_COMPANIES(r, 1, 3, 5, 6, 7, 8, 9);
    build_result_free(&r);
    /* unknown keywords match nothing in containsAny and containsAll */
    r = run_json(ds, "{\"keywords\":{\"containsAny\":[\"no-such-keyword\"]}}", NULL,
                 CREATION_NORMAL);
    assert_int_equal(r.n_companies, 0);
    assert_int_equal(r.n_prospects, 0);
    build_result_free(&r);
    r = run_json(ds, "{\"keywords\":{\"containsAll\":[\"saas\",\"no-such-keyword\"]}}", NULL,
                 CREATION_NORMAL);
    assert_int_equal(r.n_companies, 0);
    build_result_free(&r);
}

/* Counts the prospects of all companies whose title passes `pred`. */
static size_t count_titles(const dataset *ds, int (*pred)(const char *title))
{
    size_t n = 0;
    size_t i = 0;

    for (i = 0; i < ds->n_prospects; i++) {
        if (pred(vocab_job_titles[ds->prospects[i].job_title].title)) {
            n++;
        }
    }
    return n;
}

static int engineer_not_senior(const char *t)
{
    return strstr(t, "Engineer") != NULL && strstr(t, "Senior") == NULL;
}

static int founder_or_ceo_static(const char *t)
{
    /* founder and c-suite titles used by the hand-made dataset */
    return strcmp(t, "CEO") == 0 || strcmp(t, "Founder") == 0;
}

static int vp_or_director_sales(const char *t)
{
    return strcmp(t, "VP of Engineering") == 0 || strcmp(t, "Director of Sales") == 0;
}

static int director_sales(const char *t)
{
    return strcmp(t, "Director of Sales") == 0;
}

static void test_prospect_dialects(void **state)
{
    const dataset *ds = *state;
    build_result r;
    size_t i = 0;

    r = run_json(ds, NULL, "{\"jobTitleV2\":{\"included\":[\"engineer\"],"
                           "\"excluded\":[\"senior\"]}}", CREATION_NORMAL);
    assert_int_equal(r.n_companies, N_HAND_COMPANIES);
    assert_int_equal(r.n_prospects, count_titles(ds, engineer_not_senior));
    assert_true(r.n_prospects > 0);
    build_result_free(&r);
    assert_equivalent(ds, NULL,
                      "{\"jobTitleV2\":{\"included\":[\"engineer\"],\"excluded\":[\"senior\"]}}",
                      NULL,
                      "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"term\",\"term\":\"ENGINEER\"}],"
                      "\"noneOf\":[{\"type\":\"term\",\"term\":\"Senior\"}]}}");

    r = run_json(ds, NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"static-groups\","
                           "\"groups\":[\"founder\",\"c-suite\"]}]}}", CREATION_NORMAL);
    assert_int_equal(r.n_prospects, count_titles(ds, founder_or_ceo_static));
    assert_true(r.n_prospects > 0);
    build_result_free(&r);

    r = run_json(ds, NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\","
                           "\"groups\":[\"vp\",\"director\"]}]}}", CREATION_NORMAL);
    assert_int_equal(r.n_prospects, count_titles(ds, vp_or_director_sales));
    build_result_free(&r);
    r = run_json(ds, NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\","
                           "\"groups\":[\"vp\",\"director\"],\"keywords\":[\"sales\"]}]}}",
                 CREATION_NORMAL);
    assert_int_equal(r.n_prospects, count_titles(ds, director_sales));
    assert_true(r.n_prospects > 0);
    build_result_free(&r);
    /* allOf: a title in every item's set */
    r = run_json(ds, NULL, "{\"jobTitleV2\":{\"allOf\":[{\"type\":\"dynamic-groups\","
                           "\"groups\":[\"vp\",\"director\"]},\"sales\"]}}", CREATION_NORMAL);
    assert_int_equal(r.n_prospects, count_titles(ds, director_sales));
    build_result_free(&r);

    r = run_json(ds, NULL, "{\"country3LetterCode\":[\"GBR\"]}", CREATION_NORMAL);
    /* the third prospect of every company, and every prospect of company 6 */
    assert_int_equal(r.n_prospects, N_HAND_COMPANIES - 1 + HAND_PROSPECTS_PER_COMPANY);
    build_result_free(&r);
    assert_equivalent(ds, NULL, "{\"country3LetterCode\":[\"GBR\"]}", NULL,
                      "{\"country3LetterCode\":{\"anyOf\":[\"GB\"]}}");
    assert_equivalent(ds, NULL, "{\"country3LetterCode\":{\"noneOf\":[\"GBR\"]}}", NULL,
                      "{\"country3LetterCode\":{\"anyOf\":[\"USA\",\"DEU\",\"AUT\",\"CHE\","
                      "\"FRA\",\"BRA\",\"JPN\"]}}");

    r = run_json(ds, NULL, "{\"yearsOfExperience\":{\"min\":5,\"max\":15}}", CREATION_NORMAL);
    assert_true(r.n_prospects > 0);
    for (i = 0; i < r.n_prospects; i++) {
        uint8_t y = ds->prospects[r.prospects[i]].years_experience;
        assert_true(y >= 5 && y <= 15);
    }
    build_result_free(&r);
    assert_equivalent(ds, NULL, "{\"yearsOfExperience\":{\"min\":5,\"max\":15}}", NULL,
                      "{\"yearsOfExperience\":{\"lowerBound\":5,\"upperBound\":15}}");

    r = run_json(ds, NULL, "{\"tags\":{\"allOf\":[\"phd\",\"decision-maker\"]}}",
                 CREATION_NORMAL);
    assert_true(r.n_prospects > 0);
    for (i = 0; i < r.n_prospects; i++) {
        uint32_t p = r.prospects[i];
        uint32_t c = ds->prospects[p].company;
        uint32_t j = p % HAND_PROSPECTS_PER_COMPANY;
        assert_true((c + j) % 6 == 0);
    }
    build_result_free(&r);
    assert_equivalent(ds, NULL, "{\"tags\":[\"phd\"]}", NULL, "{\"tags\":{\"anyOf\":[\"PhD\"]}}");
    /* student is never set in the hand-made dataset */
    assert_equivalent(ds, NULL, "{\"tags\":{\"allOf\":[\"decision-maker\"],\"noneOf\":[\"phd\"]}}",
                      NULL,
                      "{\"tags\":{\"anyOf\":[\"decision-maker\"],"
                      "\"noneOf\":[\"phd\",\"student\"]}}");
}

static void test_region_expansion(void **state)
{
    const dataset *ds = *state;
    build_result r;
    json_t *warnings = json_array();
    audience_filters *f = NULL;

    r = run_json(ds, "{\"headquartersCountryCode\":{\"anyOf\":[\"X-DACH\"]}}", NULL,
                 CREATION_NORMAL);
    EXPECT_COMPANIES(r, 2, 3, 4);
    build_result_free(&r);
    assert_equivalent(ds, "{\"headquartersCountryCode\":{\"anyOf\":[\"X-DACH\"]}}", NULL,
                      "{\"headquartersCountryCode\":[\"DE\",\"AT\",\"CH\"]}", NULL);
    r = run_json(ds, "{\"headquartersCountryCode\":{\"anyOf\":[\"x-dach\",\"USA\"],"
                     "\"noneOf\":[\"AUT\"]}}", NULL, CREATION_NORMAL);
    EXPECT_COMPANIES(r, 0, 1, 2, 4, 7);
    build_result_free(&r);

    /* a region without simulated members: warned about and ignored */
    f = compile_ok("{\"headquartersCountryCode\":{\"anyOf\":[\"X-SOUTH_ASIA\",\"DEU\"]}}", NULL,
                   CREATION_NORMAL, warnings);
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(warnings, 0), "field")),
                        "companySearchParams.headquartersCountryCode.anyOf[0]");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(warnings, 0), "message")),
        "region X-SOUTH_ASIA is not simulated; ignored");
    r = run_both(f, ds, CREATION_NORMAL, UINT32_MAX, UINT32_MAX);
    EXPECT_COMPANIES(r, 2);
    build_result_free(&r);
    filters_free(f);
    json_decref(warnings);
}

/* ---------------------------------------------------------------------- */
/* Errors */

typedef struct err_case {
    const char *company;
    const char *prospect;
    const char *expect;
} err_case;

static void test_errors(void **state)
{
    static const err_case cases[] = {
        {"{\"employeeCountV2\":{\"min\":\"5\"}}", NULL,
         "companySearchParams.employeeCountV2.min: expected a non-negative integer, got string"},
        {"{\"employeeCountV2\":{\"min\":-1}}", NULL,
         "companySearchParams.employeeCountV2.min: expected a non-negative integer up to "
         "2147483647, got -1"},
        {"{\"employeeCountV2\":{\"max\":3000000000}}", NULL,
         "companySearchParams.employeeCountV2.max: expected a non-negative integer up to "
         "2147483647, got 3000000000"},
        {"{\"employeeCountV2\":{\"min\":500,\"max\":50}}", NULL,
         "companySearchParams.employeeCountV2: min (500) must not be greater than max (50)"},
        {"{\"employeeCountV2\":{\"lowerBoundExclusive\":500,\"upperBoundInclusive\":500}}", NULL,
         "companySearchParams.employeeCountV2: lowerBoundExclusive (500) must be less than "
         "upperBoundInclusive (500)"},
        {"{\"employeeCountV2\":{\"lowerBoundExclusive\":7}}", NULL,
         "companySearchParams.employeeCountV2.lowerBoundExclusive: expected one of 0, 1, 10, 50, "
         "200, 500, 1000, 5000, 10000, or null, got 7"},
        {"{\"employeeCountV2\":{\"min\":5,\"upperBoundInclusive\":50}}", NULL,
         "companySearchParams.employeeCountV2: expected either {min, max} or "
         "{lowerBoundExclusive, upperBoundInclusive}, got members of both"},
        {"{\"employeeCountV2\":[1,2]}", NULL,
         "companySearchParams.employeeCountV2: expected an object {min, max} or "
         "{lowerBoundExclusive, upperBoundInclusive}, got array"},
        {"{\"headquartersCountryCode\":{\"anyOf\":[\"USA\",\"DEU\",\"ZZZ\"]}}", NULL,
         "companySearchParams.headquartersCountryCode.anyOf[2]: unknown country or region code "
         "\"ZZZ\"; expected ISO 3166-1 alpha-2 or alpha-3, or a region code such as X-DACH"},
        {"{\"headquartersCountryCode\":{\"anyOf\":\"USA\"}}", NULL,
         "companySearchParams.headquartersCountryCode.anyOf: expected an array, got string"},
        {"{\"headquartersCountryCode\":[\"US\",5]}", NULL,
         "companySearchParams.headquartersCountryCode[1]: expected a string, got integer"},
        {"{\"headquartersCountryCode\":\"US\"}", NULL,
         "companySearchParams.headquartersCountryCode: expected an array of country codes or an "
         "object {anyOf, noneOf}, got string"},
        {"{\"industriesV2\":{\"allOf\":[\"Nope\"]}}", NULL,
         "companySearchParams.industriesV2.allOf[0]: unknown industry \"Nope\""},
        {"{\"stage\":[\"series_z\"]}", NULL,
         "companySearchParams.stage[0]: unknown stage \"series_z\"; expected one of acquired, "
         "public, closed, pre_seed"},
        {"{\"stage\":5}", NULL,
         "companySearchParams.stage: expected an array of stages or an object {anyOf, noneOf}, "
         "got integer"},
        {"{\"keywords\":{\"containsAny\":[null]}}", NULL,
         "companySearchParams.keywords.containsAny[0]: expected a string, got null"},
        {"{\"keywords\":true}", NULL,
         "companySearchParams.keywords: expected an array of strings or an object "
         "{containsAll, containsAny, containsNone}, got boolean"},
        {NULL, "{\"tags\":{\"allOf\":[\"wizard\"]}}",
         "prospectSearchParams.tags.allOf[0]: unknown tag \"wizard\"; expected one of student, "},
        {NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"bogus\"}]}}",
         "prospectSearchParams.jobTitleV2.anyOf[0].type: unknown type \"bogus\""},
        {NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"term\":\"x\"}]}}",
         "prospectSearchParams.jobTitleV2.anyOf[0].type: required"},
        {NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"static-groups\",\"groups\":[\"ceo\"]}]}}",
         "prospectSearchParams.jobTitleV2.anyOf[0].groups[0]: unknown static group \"ceo\"; "
         "expected one of founder, c-suite, board-member"},
        {NULL, "{\"jobTitleV2\":{\"noneOf\":[{\"type\":\"dynamic-groups\"}]}}",
         "prospectSearchParams.jobTitleV2.noneOf[0].groups: required"},
        {NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\"],"
               "\"keywords\":[1]}]}}",
         "prospectSearchParams.jobTitleV2.anyOf[0].keywords[0]: expected a string, got integer"},
        {NULL, "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"term\"}]}}",
         "prospectSearchParams.jobTitleV2.anyOf[0].term: required"},
        {NULL, "{\"jobTitleV2\":{\"included\":[42]}}",
         "prospectSearchParams.jobTitleV2.included[0]: expected a string or an object "
         "{type, ...}, got integer"},
        {NULL, "{\"yearsOfExperience\":{\"min\":1.5}}",
         "prospectSearchParams.yearsOfExperience.min: expected a non-negative integer, got real "
         "number"},
        {NULL, "{\"yearsOfExperience\":{\"lowerBound\":10,\"upperBound\":5}}",
         "prospectSearchParams.yearsOfExperience: lowerBound (10) must not be greater than "
         "upperBound (5)"},
        {NULL, "{\"country3LetterCode\":{\"noneOf\":[\"XX\"]}}",
         "prospectSearchParams.country3LetterCode.noneOf[0]: unknown country or region code "
         "\"XX\""},
        {"\"x\"", NULL, "companySearchParams: expected an object or null, got string"},
        {NULL, "[]", "prospectSearchParams: expected an object or null, got array"},
    };
    size_t i = 0;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        compile_err(cases[i].company, cases[i].prospect, CREATION_NORMAL, cases[i].expect);
    }
    /* the company params must still be an object when they are ignored */
    compile_err("[1]", NULL, CREATION_START_FROM_PROSPECTS,
                "companySearchParams: expected an object or null, got array");
}

static double cpu_ms(void);

static void test_limits(void **state)
{
    json_t *c = json_object();
    json_t *list = json_array();
    json_t *p = NULL;
    audience_filters *f = NULL;
    char err[256] = "";
    char long_term[202];
    size_t i = 0;

    (void)state;
    for (i = 0; i < 1001; i++) {
        assert_int_equal(json_array_append_new(list, json_string("saas")), 0);
    }
    assert_int_equal(json_object_set_new(c, "keywords",
                                         json_pack("{s:o}", "containsAny", list)), 0);
    assert_int_equal(filters_compile(c, NULL, CREATION_NORMAL, NULL, &f, err, sizeof err), -1);
    assert_string_equal(err, "companySearchParams.keywords.containsAny: 1001 items is too many; "
                             "at most 1000");
    /* exactly 1000 is fine */
    assert_int_equal(json_array_remove(list, 0), 0);
    assert_int_equal(filters_compile(c, NULL, CREATION_NORMAL, NULL, &f, err, sizeof err), 0);
    filters_free(f);
    json_decref(c);

    memset(long_term, 'a', 201);
    long_term[201] = '\0';
    p = json_pack("{s:{s:[s]}}", "jobTitleV2", "included", long_term);
    assert_non_null(p);
    assert_int_equal(filters_compile(NULL, p, CREATION_NORMAL, NULL, &f, err, sizeof err), -1);
    assert_string_equal(err, "prospectSearchParams.jobTitleV2.included[0]: string of 201 bytes "
                             "is too long; at most 200");
    json_decref(p);

    /* warnings are bounded */
    c = json_object();
    for (i = 0; i < 150; i++) {
        char key[32];
        snprintf(key, sizeof key, "unknown%zu", i);
        assert_int_equal(json_object_set_new(c, key, json_true()), 0);
    }
    {
        json_t *warnings = json_array();
        assert_int_equal(filters_compile(c, NULL, CREATION_NORMAL, &warnings, &f, err, sizeof err),
                         0);
        assert_int_equal(json_array_size(warnings), 101);
        assert_string_equal(json_string_value(json_object_get(json_array_get(warnings, 100),
                                                              "message")),
                            "further warnings omitted");
        json_decref(warnings);
        filters_free(f);
    }
    json_decref(c);

    /* a long multi-byte key is cut at a character boundary in the field */
    {
        char key[801];
        json_t *warnings = json_array();
        const char *field = NULL;

        for (i = 0; i < 400; i++) {
            key[2 * i] = (char)0xC3;
            key[2 * i + 1] = (char)0xA9;
        }
        key[800] = '\0';
        c = json_object();
        assert_int_equal(json_object_set_new(c, key, json_true()), 0);
        assert_int_equal(filters_compile(c, NULL, CREATION_NORMAL, &warnings, &f, err, sizeof err),
                         0);
        field = json_string_value(json_object_get(json_array_get(warnings, 0), "field"));
        assert_non_null(field);
        assert_true(strlen(field) < 320);
        assert_int_equal((strlen(field) - strlen("companySearchParams.")) % 2, 0);
        json_decref(warnings);
        json_decref(c);
        filters_free(f);
    }

    /* at most 10,000 strings in all, and the worst case compiles fast */
    {
        json_t *items = json_array();
        double t0 = 0;

        for (i = 0; i < 10; i++) {
            json_t *kw = json_array();
            size_t k = 0;
            for (k = 0; k < 999; k++) {
                json_array_append_new(kw, json_string("xxxxxxxxxxxxxxxxxxxe"));
            }
            json_array_append_new(items, json_pack("{s:s,s:[s,s,s,s,s,s],s:o}", "type",
                                                   "dynamic-groups", "groups", "vp", "director",
                                                   "management", "entry-level", "assistant",
                                                   "intern", "keywords", kw));
        }
        p = json_pack("{s:{s:o}}", "jobTitleV2", "anyOf", items);
        t0 = cpu_ms();
        assert_int_equal(filters_compile(NULL, p, CREATION_NORMAL, NULL, &f, err, sizeof err),
                         -1);
        assert_true(cpu_ms() - t0 < 500);
        assert_non_null(strstr(err, ": too many values; at most 10000 strings in all the filters"));
        assert_int_equal(strncmp(err, "prospectSearchParams.jobTitleV2.anyOf[", 38), 0);
        json_decref(p);
    }

    /* a tiny error buffer is cut, not overrun */
    p = json_pack("{s:[s]}", "tags", "wizard");
    assert_int_equal(filters_compile(NULL, p, CREATION_NORMAL, NULL, &f, err, 8), -1);
    assert_string_equal(err, "prospec");
    json_decref(p);
}

/* ---------------------------------------------------------------------- */
/* Warnings */

static void assert_warnings(json_t *warnings, const char *expect_json)
{
    json_t *expect = parse_json(expect_json);

    if (!json_equal(warnings, expect)) {
        char *got = json_dumps(warnings, JSON_COMPACT);
        fail_msg("warnings\n  got:      %s\n  expected: %s", got, expect_json);
    }
    json_decref(expect);
}

/* *warnings NULL: a compile without any warning makes no array, and one
 * with a warning makes it for the caller. */
static void test_warnings_made_on_first(void **state)
{
    json_t *c = parse_json("{\"employeeCountV2\":{\"min\":10}}");
    json_t *odd = parse_json("{\"foo\":1}");
    json_t *warnings = NULL;
    audience_filters *f = NULL;
    char err[512] = "";

    (void)state;
    assert_int_equal(filters_compile(c, NULL, CREATION_NORMAL, &warnings, &f, err, sizeof err), 0);
    assert_null(warnings);
    filters_free(f);
    f = NULL;
    assert_int_equal(filters_compile(odd, NULL, CREATION_NORMAL, &warnings, &f, err, sizeof err), 0);
    assert_warnings(warnings, "[{\"field\":\"companySearchParams.foo\",\"message\":\"unknown field; ignored\"}]");
    filters_free(f);
    json_decref(warnings);
    json_decref(c);
    json_decref(odd);
}

static void test_warnings(void **state)
{
    json_t *warnings = json_array();
    audience_filters *f = NULL;

    (void)state;
    f = compile_ok("{\"revenueUSD\":{\"min\":1},\"foo\":1,"
                   "\"employeeCountV2\":{\"min\":10,\"avg\":5},"
                   "\"stage\":{\"anyOf\":[\"seed\"],\"someOf\":[]},"
                   "\"totalFundingUSD\":null}",
                   "{\"foo\":null,\"keywords\":[\"x\"],"
                   "\"jobTitleV2\":{\"anyOf\":[{\"type\":\"term\",\"term\":\"ceo\",\"x\":1}]},"
                   "\"Tags\":[\"phd\"]}",
                   CREATION_NORMAL, warnings);
    assert_warnings(warnings,
        "[{\"field\":\"companySearchParams.revenueUSD\",\"message\":\"accepted but not "
        "simulated by descovo-mock; the filter is ignored\"},"
        "{\"field\":\"companySearchParams.foo\",\"message\":\"unknown field; ignored\"},"
        "{\"field\":\"companySearchParams.employeeCountV2.avg\",\"message\":\"unknown field; "
        "ignored\"},"
        "{\"field\":\"companySearchParams.stage.someOf\",\"message\":\"unknown field; ignored\"},"
        "{\"field\":\"prospectSearchParams.foo\",\"message\":\"unknown field; ignored\"},"
        "{\"field\":\"prospectSearchParams.keywords\",\"message\":\"accepted but not simulated "
        "by descovo-mock; the filter is ignored\"},"
        "{\"field\":\"prospectSearchParams.jobTitleV2.anyOf[0].x\",\"message\":\"unknown field; "
        "ignored\"},"
        "{\"field\":\"prospectSearchParams.Tags\",\"message\":\"unknown field; ignored\"}]");
    filters_free(f);
    json_decref(warnings);

    /* warnings are appended after what the caller has, and only on success */
    warnings = json_pack("[{s:s,s:s}]", "field", "name", "message", "earlier");
    compile_err("{\"foo\":1,\"stage\":[\"nope\"]}", NULL, CREATION_NORMAL,
                "companySearchParams.stage[0]: unknown stage");
    f = compile_ok("{\"foo\":1}", NULL, CREATION_NORMAL, warnings);
    assert_int_equal(json_array_size(warnings), 2);
    filters_free(f);
    json_decref(warnings);
}

/* ---------------------------------------------------------------------- */
/* START_FROM_PROSPECTS and caps */

static void test_start_from_prospects(void **state)
{
    const dataset *ds = *state;
    json_t *warnings = json_array();
    audience_filters *f = NULL;
    build_result r;
    size_t i = 0;

    f = compile_ok("{\"headquartersCountryCode\":[\"ZZ-not-validated\"]}",
                   "{\"country3LetterCode\":[\"GBR\"]}", CREATION_START_FROM_PROSPECTS,
                   warnings);
    assert_warnings(warnings, "[{\"field\":\"companySearchParams\",\"message\":\"ignored: "
                              "creationMethod is START_FROM_PROSPECTS\"}]");
    r = run_both(f, ds, CREATION_START_FROM_PROSPECTS, UINT32_MAX, UINT32_MAX);
    assert_int_equal(r.n_prospects, N_HAND_COMPANIES - 1 + HAND_PROSPECTS_PER_COMPANY);
    assert_int_equal(r.n_companies, N_HAND_COMPANIES);
    build_result_free(&r);

    /* caps: 3 prospects, then companies of those prospects */
    r = run_both(f, ds, CREATION_START_FROM_PROSPECTS, UINT32_MAX, 3);
    assert_int_equal(r.n_prospects, 3);
    EXPECT_COMPANIES(r, 0, 1, 2);
    build_result_free(&r);
    /* company cap drops the prospects of later companies */
    r = run_both(f, ds, CREATION_START_FROM_PROSPECTS, 2, UINT32_MAX);
    EXPECT_COMPANIES(r, 0, 1);
    assert_int_equal(r.n_prospects, 2);
    for (i = 0; i < r.n_prospects; i++) {
        assert_true(ds->prospects[r.prospects[i]].company < 2);
    }
    build_result_free(&r);
    r = run_both(f, ds, CREATION_START_FROM_PROSPECTS, 0, UINT32_MAX);
    assert_int_equal(r.n_prospects, 0);
    assert_int_equal(r.n_companies, 0);
    build_result_free(&r);
    filters_free(f);
    json_decref(warnings);

    /* an empty company object is no warning */
    warnings = json_array();
    f = compile_ok("{}", "{\"tags\":[\"phd\"]}", CREATION_START_FROM_PROSPECTS, warnings);
    assert_int_equal(json_array_size(warnings), 0);
    filters_free(f);
    json_decref(warnings);
}

static void test_caps_normal(void **state)
{
    const dataset *ds = *state;
    audience_filters *f = compile_ok("{\"keywords\":{\"containsNone\":[\"saas\"]}}",
                                     "{\"tags\":{\"noneOf\":[\"phd\"]}}", CREATION_NORMAL, NULL);
    build_result r;
    build_result all;

    all = run_both(f, ds, CREATION_NORMAL, UINT32_MAX, UINT32_MAX);
    r = run_both(f, ds, CREATION_NORMAL, 2, UINT32_MAX);
    EXPECT_COMPANIES(r, 1, 3);
    build_result_free(&r);
    r = run_both(f, ds, CREATION_NORMAL, UINT32_MAX, 3);
    assert_int_equal(r.n_companies, all.n_companies);
    assert_int_equal(r.n_prospects, 3);
    assert_memory_equal(r.prospects, all.prospects, 3 * sizeof(uint32_t));
    build_result_free(&r);
    r = run_both(f, ds, CREATION_NORMAL, 0, 0);
    assert_int_equal(r.n_companies, 0);
    assert_int_equal(r.n_prospects, 0);
    build_result_free(&r);
    build_result_free(&all);
    filters_free(f);
    build_result_free(NULL);
}

typedef struct empty_case {
    const char *company;
    const char *prospect;
    creation_method method;
    int empty;
} empty_case;

static void test_is_empty(void **state)
{
    static const empty_case cases[] = {
        {NULL, NULL, CREATION_NORMAL, 1},
        {"null", "null", CREATION_NORMAL, 1},
        {"{}", "{}", CREATION_NORMAL, 1},
        {"{\"foo\":1}", "{\"bar\":[]}", CREATION_NORMAL, 1},
        {"{\"stage\":null}", NULL, CREATION_NORMAL, 1},
        {"{\"revenueUSD\":{\"min\":1}}", NULL, CREATION_NORMAL, 0},
        {"{\"stage\":[]}", NULL, CREATION_NORMAL, 0},
        {NULL, "{\"tags\":[\"phd\"]}", CREATION_NORMAL, 0},
        {"{\"stage\":[\"seed\"]}", NULL, CREATION_START_FROM_PROSPECTS, 1},
        {"{\"stage\":[\"seed\"]}", "{\"languages\":[\"en\"]}", CREATION_START_FROM_PROSPECTS, 0},
    };
    size_t i = 0;

    (void)state;
    assert_int_equal(filters_is_empty(NULL), 1);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        audience_filters *f = compile_ok(cases[i].company, cases[i].prospect, cases[i].method,
                                         NULL);
        if (filters_is_empty(f) != cases[i].empty) {
            fail_msg("case %zu: filters_is_empty is %d", i, filters_is_empty(f));
        }
        filters_free(f);
    }
    filters_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* Randomized: indexed against scan on a generated dataset */

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return n == 0 ? 0 : (uint32_t)(z % n);
}

static json_t *rnd_strings(const char *const *pool, size_t n_pool, size_t max_n)
{
    json_t *a = json_array();
    size_t n = 1 + rnd((uint32_t)max_n);
    size_t i = 0;

    for (i = 0; i < n; i++) {
        json_array_append_new(a, json_string(pool[rnd((uint32_t)n_pool)]));
    }
    return a;
}

/* {op: [...]} for a random non-empty subset of ops, or a plain array. */
static json_t *rnd_set(const char *const *ops, size_t n_ops, const char *const *pool,
                       size_t n_pool, int plain_ok)
{
    json_t *o = NULL;
    size_t i = 0;

    if (plain_ok && rnd(4) == 0) {
        return rnd_strings(pool, n_pool, 3);
    }
    o = json_object();
    for (i = 0; i < n_ops; i++) {
        if (rnd(2) == 0) {
            json_object_set_new(o, ops[i], rnd_strings(pool, n_pool, 3));
        }
    }
    return o;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const pool_countries[] = {
    "USA", "US", "GBR", "DEU", "FRA", "IND", "CAN", "BRA", "CHN", "JPN", "X-DACH",
    "X-NORDICS", "X-EUROPEAN_UNION", "X-SOUTH_ASIA", "AUS", "NLD", "ESP"};
static const char *const pool_keywords[] = {
    "saas", "b2b", "fintech", "machine learning", "cybersecurity", "iot", "no-such-kw",
    "e-commerce", "healthtech", "crm"};
static const char *const pool_stages[] = {
    "seed", "pre_seed", "series_a", "series_b", "public", "acquired", "unknown",
    "no_funding_yet"};
static const char *const pool_tags[] = {
    "phd", "decision-maker", "student", "c-suite", "influencer", "recently-promoted",
    "experienced-executive"};
static const char *const pool_terms[] = {
    "engineer", "manager", "vp", "director", "sales", "intern", "ceo", "data", "head"};
static const char *const pool_static[] = {"founder", "c-suite", "board-member"};
static const char *const pool_dynamic[] = {
    "vp", "director", "management", "entry-level", "assistant", "intern"};
static const char *const ops_any_none[] = {"anyOf", "noneOf"};
static const char *const ops_all3[] = {"anyOf", "noneOf", "allOf"};
static const char *const ops_contains[] = {"containsAll", "containsAny", "containsNone"};

static json_t *rnd_industries(void)
{
    const char *pool[8];
    size_t i = 0;

    for (i = 0; i < N(pool); i++) {
        size_t k = rnd(VOCAB_N_INDUSTRIES);
        pool[i] = rnd(2) ? vocab_industry_names[k] : vocab_industry_slugs[k];
    }
    return rnd_set(ops_all3, 3, pool, N(pool), 1);
}

static json_t *rnd_title_item(void)
{
    switch (rnd(4)) {
    case 0:
        return json_string(pool_terms[rnd(N(pool_terms))]);
    case 1:
        return json_pack("{s:s,s:s}", "type", "term", "term", pool_terms[rnd(N(pool_terms))]);
    case 2:
        return json_pack("{s:s,s:o}", "type", "static-groups", "groups",
                         rnd_strings(pool_static, N(pool_static), 2));
    default:
        if (rnd(2)) {
            return json_pack("{s:s,s:o,s:o}", "type", "dynamic-groups", "groups",
                             rnd_strings(pool_dynamic, N(pool_dynamic), 3), "keywords",
                             rnd_strings(pool_terms, N(pool_terms), 2));
        }
        return json_pack("{s:s,s:o}", "type", "dynamic-groups", "groups",
                         rnd_strings(pool_dynamic, N(pool_dynamic), 3));
    }
}

static json_t *rnd_titles(void)
{
    static const char *const ops[] = {"anyOf", "noneOf", "allOf", "included", "excluded"};
    json_t *o = json_object();
    size_t i = 0;

    for (i = 0; i < N(ops); i++) {
        if (rnd(3) == 0) {
            json_t *a = json_array();
            size_t n = 1 + rnd(3);
            size_t j = 0;
            for (j = 0; j < n; j++) {
                json_array_append_new(a, rnd_title_item());
            }
            json_object_set_new(o, ops[i], a);
        }
    }
    return o;
}

static json_t *rnd_employees(void)
{
    if (rnd(2)) {
        size_t lo = rnd(VOCAB_N_EMPLOYEE_BOUNDS - 1);
        size_t hi = lo + 1 + rnd((uint32_t)(VOCAB_N_EMPLOYEE_BOUNDS - 1 - lo));
        return json_pack("{s:i,s:i}", "lowerBoundExclusive", vocab_employee_bounds[lo],
                         "upperBoundInclusive", vocab_employee_bounds[hi]);
    }
    return json_pack("{s:i,s:i}", "min", (int)rnd(300), "max", (int)(300 + rnd(20000)));
}

static json_t *rnd_company(void)
{
    json_t *c = json_object();

    if (rnd(2)) {
        json_object_set_new(c, "headquartersCountryCode",
                            rnd_set(ops_any_none, 2, pool_countries, N(pool_countries), 1));
    }
    if (rnd(3) == 0) {
        json_object_set_new(c, "keywords",
                            rnd_set(ops_contains, 3, pool_keywords, N(pool_keywords), 1));
    }
    if (rnd(2)) {
        json_object_set_new(c, "employeeCountV2", rnd_employees());
    }
    if (rnd(2)) {
        json_object_set_new(c, "industriesV2", rnd_industries());
    }
    if (rnd(3) == 0) {
        json_object_set_new(c, "stage", rnd_set(ops_any_none, 2, pool_stages, N(pool_stages), 1));
    }
    return c;
}

static json_t *rnd_prospect(void)
{
    json_t *p = json_object();

    if (rnd(2)) {
        json_object_set_new(p, "jobTitleV2", rnd_titles());
    }
    if (rnd(2)) {
        json_object_set_new(p, "country3LetterCode",
                            rnd_set(ops_any_none, 2, pool_countries, N(pool_countries), 1));
    }
    if (rnd(3) == 0) {
        int lo = (int)rnd(20);
        json_object_set_new(p, "yearsOfExperience",
                            rnd(2) ? json_pack("{s:i,s:i}", "min", lo, "max", lo + (int)rnd(20))
                                   : json_pack("{s:i}", "lowerBound", lo));
    }
    if (rnd(3) == 0) {
        json_object_set_new(p, "tags", rnd_set(ops_all3, 3, pool_tags, N(pool_tags), 1));
    }
    return p;
}

static uint32_t rnd_cap(size_t n)
{
    switch (rnd(4)) {
    case 0:
        return rnd((uint32_t)n + 1);
    case 1:
        return rnd(50);
    default:
        return UINT32_MAX;
    }
}

static void compare_random(const dataset *ds, int rounds)
{
    int round = 0;
    int compiled = 0;
    size_t nonempty = 0;

    for (round = 0; round < rounds; round++) {
        json_t *c = rnd_company();
        json_t *p = rnd_prospect();
        creation_method m = rnd(3) == 0 ? CREATION_START_FROM_PROSPECTS : CREATION_NORMAL;
        audience_filters *f = NULL;
        char err[512];

        if (filters_compile(c, p, m, NULL, &f, err, sizeof err) == 0) {
            uint32_t max_c = rnd_cap(ds->n_companies);
            uint32_t max_p = rnd_cap(ds->n_prospects);
            build_result a;
            build_result b;

            assert_int_equal(filters_run(f, ds, m, max_c, max_p, &a), 0);
            assert_int_equal(filters_run_scan(f, ds, m, max_c, max_p, &b), 0);
            if (a.n_companies != b.n_companies || a.n_prospects != b.n_prospects) {
                char *cs = json_dumps(c, JSON_COMPACT);
                char *ps = json_dumps(p, JSON_COMPACT);
                fail_msg("round %d (%s, caps %u/%u): %s / %s: indexed %zu/%zu, scan %zu/%zu",
                         round, m == CREATION_NORMAL ? "NORMAL" : "START", max_c, max_p, cs, ps,
                         a.n_companies, a.n_prospects, b.n_companies, b.n_prospects);
            }
            assert_same_result(&a, &b);
            nonempty += a.n_prospects > 0;
            build_result_free(&a);
            build_result_free(&b);
            filters_free(f);
            compiled++;
        }
        json_decref(c);
        json_decref(p);
    }
    /* the generator must exercise real cases, not only errors or empties */
    assert_true(compiled > rounds / 2);
    assert_true(nonempty > (size_t)rounds / 10);
}

static void test_random_hand(void **state)
{
    compare_random(*state, 500);
}

static void test_random_generated(void **state)
{
    dataset *ds = dataset_generate(42, 3000);

    (void)state;
    assert_non_null(ds);
    compare_random(ds, 1500);
    dataset_free(ds);
}

/* ---------------------------------------------------------------------- */
/* Timing (FILTERS_BENCH=1) */

static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void bench_one(const dataset *ds, const char *name, const char *company,
                      const char *prospect, creation_method m)
{
    audience_filters *f = compile_ok(company, prospect, m, NULL);
    build_result r;
    double t0 = 0;
    double t1 = 0;
    double t2 = 0;
    int i = 0;
    const int reps = 20;

    t0 = cpu_ms();
    for (i = 0; i < reps; i++) {
        assert_int_equal(filters_run(f, ds, m, UINT32_MAX, UINT32_MAX, &r), 0);
        if (i + 1 < reps) {
            build_result_free(&r);
        }
    }
    t1 = cpu_ms();
    build_result b;
    assert_int_equal(filters_run_scan(f, ds, m, UINT32_MAX, UINT32_MAX, &b), 0);
    t2 = cpu_ms();
    assert_same_result(&r, &b);
    print_message("%-28s %7zu companies %8zu prospects: indexed %.2f ms, scan %.2f ms\n", name,
                  r.n_companies, r.n_prospects, (t1 - t0) / reps, t2 - t1);
    build_result_free(&r);
    build_result_free(&b);
    filters_free(f);
}

static void test_bench(void **state)
{
    const char *env = getenv("FILTERS_BENCH");
    dataset *ds = NULL;
    double t0 = 0;

    (void)state;
    if (env == NULL || env[0] == '\0' || strcmp(env, "0") == 0) {
        skip();
    }
    t0 = cpu_ms();
    ds = dataset_generate(7, 100000);
    assert_non_null(ds);
    print_message("dataset: %zu companies, %zu prospects, generated in %.0f ms\n",
                  ds->n_companies, ds->n_prospects, cpu_ms() - t0);
    bench_one(ds, "typical (NORMAL)",
              "{\"headquartersCountryCode\":[\"US\"],"
              "\"industriesV2\":[\"software\",\"artificial-intelligence\"],"
              "\"employeeCountV2\":{\"min\":50,\"max\":500}}",
              "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\","
              "\"director\"]}]}}",
              CREATION_NORMAL);
    bench_one(ds, "broad (NORMAL)", "{\"employeeCountV2\":{\"min\":1}}",
              "{\"tags\":{\"noneOf\":[\"student\"]}}", CREATION_NORMAL);
    bench_one(ds, "START_FROM_PROSPECTS title", NULL,
              "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"static-groups\",\"groups\":[\"c-suite\"]}]},"
              "\"country3LetterCode\":{\"anyOf\":[\"X-DACH\",\"GBR\"]}}",
              CREATION_START_FROM_PROSPECTS);
    dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest hand[] = {
        cmocka_unit_test(test_company_dialects),
        cmocka_unit_test(test_prospect_dialects),
        cmocka_unit_test(test_region_expansion),
        cmocka_unit_test(test_start_from_prospects),
        cmocka_unit_test(test_caps_normal),
        cmocka_unit_test(test_random_hand),
    };
    const struct CMUnitTest compile[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_warnings_made_on_first),
        cmocka_unit_test(test_is_empty),
    };
    const struct CMUnitTest generated[] = {
        cmocka_unit_test(test_random_generated),
        cmocka_unit_test(test_bench),
    };
    int failed = 0;

    failed += cmocka_run_group_tests_name("filters_hand_dataset", hand, setup_hand, teardown_hand);
    failed += cmocka_run_group_tests_name("filters_compile", compile, NULL, NULL);
    failed += cmocka_run_group_tests_name("filters_generated", generated, NULL, NULL);
    return failed == 0 ? 0 : 1;
}
