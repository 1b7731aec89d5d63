/* libFuzzer target: filters_compile on any JSON, and, when it compiles,
 * the indexed filters_run against the full scan (filters_run_scan), which
 * must find exactly the same records. Input: a JSON object; with
 * "companySearchParams"/"prospectSearchParams" those are used, otherwise the
 * object is both. An odd length builds START_FROM_PROSPECTS. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/dataset.h"
#include "data/filters.h"

static dataset *ds;

static int same(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ds == NULL) {
        ds = dataset_generate(42, 120);
        if (ds == NULL)
            abort();
    }
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return 0;
    }
    json_t *company = json_object_get(doc, "companySearchParams");
    json_t *prospect = json_object_get(doc, "prospectSearchParams");
    if (company == NULL && prospect == NULL)
        company = prospect = doc;
    creation_method method = size % 2 ? CREATION_START_FROM_PROSPECTS : CREATION_NORMAL;
    json_t *warnings = json_array();
    audience_filters *filters = NULL;
    char err[512];
    if (filters_compile(company, prospect, method, &warnings, &filters, err, sizeof err) == 0) {
        uint32_t cap_c = 1 + (uint32_t)(size % 97);
        uint32_t cap_p = 1 + (uint32_t)(size % 389);
        build_result indexed = {0}, scan = {0};
        if (filters_run(filters, ds, method, cap_c, cap_p, &indexed) != 0 ||
            filters_run_scan(filters, ds, method, cap_c, cap_p, &scan) != 0)
            abort();
        if (!same(indexed.companies, indexed.n_companies, scan.companies, scan.n_companies) ||
            !same(indexed.prospects, indexed.n_prospects, scan.prospects, scan.n_prospects)) {
            fprintf(stderr, "indexed run differs from the scan\n");
            abort();
        }
        build_result_free(&indexed);
        build_result_free(&scan);
        filters_free(filters);
    } else if (err[0] == '\0') {
        fprintf(stderr, "filters_compile failed without a message\n");
        abort();
    }
    json_decref(warnings);
    json_decref(doc);
    return 0;
}
