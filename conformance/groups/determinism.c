/* determinism (mock only): the simulator documents that the same seed gives
 * the same records - the same filters give the same rows, byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "groups.h"

static const char *csv_of(conf_case *k, const char *id, const char *kind)
{
    const json_t *out = api_export(k, k->ctx->target->api_key, id, kind, NULL);
    wire_response *res = api_raw(k, "GET", json_string_value(json_object_get(out, "downloadUrl")), NULL);
    CONF_CHECK(k, res->status == 200, "download: HTTP %ld", res->status);
    return res->body;
}

static const char *page_of(conf_case *k, const char *id, const char *kind)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/%s?pageSize=500", id, kind);
    const json_t *out = api_expect_ok(k, api_call(k, k->ctx->target->api_key, "GET", path, NULL), kind, "free");
    char *text = json_dumps(json_object_get(out, kind), JSON_COMPACT | JSON_SORT_KEYS);
    CONF_CHECK(k, text != NULL, "out of memory");
    const char *copy = api_strdup(k, text);
    free(text);
    return copy;
}

static void same_filters_same_rows(conf_case *k)
{
    conf_need_mock(k, "determinism is a property the simulator documents");
    const char *key = k->ctx->target->api_key;
    const char *a = api_built_audience(k, key, "determinism-a", "NORMAL");
    const char *b = api_built_audience(k, key, "determinism-b", "NORMAL");
    CONF_CHECK(k, strcmp(a, b) != 0, "two creates gave the same id %s", a);
    static const char *const kinds[] = {"companies", "prospects"};
    for (size_t i = 0; i < 2; i++) {
        CONF_CHECK(k, strcmp(page_of(k, a, kinds[i]), page_of(k, b, kinds[i])) == 0,
                   "the same filters gave different %s", kinds[i]);
        CONF_CHECK(k, strcmp(csv_of(k, a, kinds[i]), csv_of(k, b, kinds[i])) == 0,
                   "the same filters gave different %s CSV files", kinds[i]);
    }
}

static void same_filters_same_rows_from_prospects(conf_case *k)
{
    conf_need_mock(k, "determinism is a property the simulator documents");
    const char *key = k->ctx->target->api_key;
    const char *a = api_built_audience(k, key, "determinism-p-a", "START_FROM_PROSPECTS");
    const char *b = api_built_audience(k, key, "determinism-p-b", "START_FROM_PROSPECTS");
    CONF_CHECK(k, strcmp(page_of(k, a, "prospects"), page_of(k, b, "prospects")) == 0,
               "the same prospect filters gave different prospects");
    CONF_CHECK(k, strcmp(csv_of(k, a, "companies"), csv_of(k, b, "companies")) == 0,
               "the same prospect filters gave different companies CSV files");
}

int group_determinism(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(same_filters_same_rows),
        CONF_CASE(same_filters_same_rows_from_prospects),
    };
    return conf_run_group(ctx, "determinism", cases, N_FIELDS(cases));
}
