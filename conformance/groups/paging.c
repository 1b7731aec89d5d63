/* paging: the end conditions of the record pages - a page that ends
 * exactly at the total is the last one, every page size walks the same
 * records in the same order (no cursor repeats or skips one), and the
 * documented pageSize bounds are enforced. The rules of each walk are in
 * pages.c. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "groups.h"
#include "pages.h"

static void pages_end_exactly(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    long long companies = 0, prospects = 0;
    const char *id = api_shared_audience(k, &companies, &prospects);
    CONF_CHECK(k, companies > 0 && prospects > 0, "the shared audience is empty: no pages to end");
    /* One page holding everything, then pages that divide the total. */
    pages_walk(k, key, id, "companies", (long)companies, companies);
    pages_walk(k, key, id, "prospects", (long)prospects, prospects);
    if (prospects % 2 == 0)
        pages_walk(k, key, id, "prospects", (long)prospects / 2, prospects);
    if (companies > 1)
        pages_walk(k, key, id, "companies", (long)companies - 1, companies);
    /* No pageSize: the documented default of 100. */
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/prospects", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", path, NULL), "prospects", "free");
    long long expected = prospects < 100 ? prospects : 100;
    CONF_CHECK(k, (long long)json_array_size(json_object_get(out, "prospects")) == expected,
               "prospects without pageSize: %zu items of %lld (default pageSize 100)",
               json_array_size(json_object_get(out, "prospects")), prospects);
    CONF_CHECK(k, json_is_true(json_object_get(out, "hasMore")) == (prospects > 100),
               "prospects without pageSize: hasMore is %s with %lld prospects",
               json_is_true(json_object_get(out, "hasMore")) ? "true" : "false", prospects);
}

static void same_records(conf_case *k, const json_t *a, const json_t *b, const char *kind, long size)
{
    const char *field = strcmp(kind, "companies") == 0 ? "companyId" : "prospectId";
    for (size_t i = 0; i < json_array_size(a) && i < json_array_size(b); i++)
        CONF_CHECK(k, strcmp(api_str(json_array_get(a, i), field), api_str(json_array_get(b, i), field)) == 0,
                   "%s with pageSize %ld: record %zu is %s, with pageSize 500 %s", kind, size, i + 1,
                   api_str(json_array_get(b, i), field), api_str(json_array_get(a, i), field));
}

static void cursor_never_repeats_or_skips(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    long long companies = 0, prospects = 0;
    const char *id = api_shared_audience(k, &companies, &prospects);
    static const long sizes[] = {1, 3};
    static const char *const kinds[] = {"companies", "prospects"};
    long long totals[] = {companies, prospects};
    for (size_t kind = 0; kind < 2; kind++) {
        const json_t *whole = pages_walk(k, key, id, kinds[kind], 500, totals[kind]);
        for (size_t s = 0; s < N_FIELDS(sizes); s++)
            same_records(k, whole, pages_walk(k, key, id, kinds[kind], sizes[s], totals[kind]), kinds[kind],
                         sizes[s]);
    }
}

/* pageSize: 1 to 500 (the public spec: exclusiveMinimum 0, maximum 500). */
static void page_size_bounds_400(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_shared_audience(k, NULL, NULL);
    static const char *const bad[] = {"0", "501", "-1", "ten"};
    for (size_t i = 0; i < N_FIELDS(bad); i++) {
        char path[256], what[64];
        snprintf(path, sizeof path, "/v1/audiences/%s/companies?pageSize=%s", id, bad[i]);
        snprintf(what, sizeof what, "companies with pageSize=%s", bad[i]);
        api_expect_error(k, api_call(k, key, "GET", path, NULL), 400, what);
    }
    pages_walk(k, key, id, "companies", 500, -1);
}

int group_paging(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(pages_end_exactly),
        CONF_CASE(cursor_never_repeats_or_skips),
        CONF_CASE(page_size_bounds_400),
    };
    return conf_run_group(ctx, "paging", cases, N_FIELDS(cases));
}
