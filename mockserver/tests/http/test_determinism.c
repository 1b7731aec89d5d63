/* Determinism and time: two servers with the same seed give the same ids and
 * byte-identical exports; another seed gives other data; the manual clock
 * moves only when told; --build-stages shows the in-progress statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static uint64_t seed_for_next_server = 42;

static void with_seed(mock_options *options)
{
    options->seed = seed_for_next_server;
}

static void with_stages(mock_options *options)
{
    options->build_stages = 1;
}

/* Runs a fixed workflow and returns the two CSVs concatenated, with the
 * audience id written first. */
static char *run_workflow(harness *h, size_t *len)
{
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "determinism", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id,
                        "\"companySearchParams\":{\"industriesV2\":{\"anyOf\":[\"Software\",\"Finance\"]}},"
                        "\"prospectSearchParams\":{\"jobTitleV2\":{\"included\":[\"engineer\",\"manager\"]}}");
    harness_build_until_normal(h, DEV_KEY, id);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":25}", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    harness_advance(h, 3600);
    size_t total = strlen(id);
    char *all = strdup(id);
    assert_non_null(all);
    static const char *const kinds[][2] = {{"companies", "COMPANY_GENERIC_CSV"}, {"prospects", "PROSPECT_GENERIC_CSV"}};
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, kinds[k][0]);
        harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"%s\"}", DEV_KEY, kinds[k][1]);
        assert_int_equal(res.status, 200);
        const char *url = json_string_value(json_object_get(json_object_get(res.json, "output"), "downloadUrl"));
        size_t n = 0;
        long status = 0;
        char *csv = harness_download(h, url, &n, &status);
        assert_int_equal(status, 200);
        assert_true(n > 100);
        all = realloc(all, total + n + 1);
        assert_non_null(all);
        memcpy(all + total, csv, n);
        total += n;
        all[total] = '\0';
        free(csv);
        http_response_free(&res);
    }
    *len = total;
    return all;
}

static char *workflow_on_new_server(uint64_t seed, size_t *len)
{
    seed_for_next_server = seed;
    harness *h = harness_start(with_seed);
    char *out = run_workflow(h, len);
    harness_stop(h);
    return out;
}

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    size_t a_len = 0;
    size_t b_len = 0;
    size_t c_len = 0;
    char *a = workflow_on_new_server(42, &a_len);
    char *b = workflow_on_new_server(42, &b_len);
    char *c = workflow_on_new_server(7, &c_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    assert_true(a_len != c_len || memcmp(a, c, a_len) != 0);
    free(a);
    free(b);
    free(c);
}

static void test_manual_clock_moves_only_when_told(void **state)
{
    (void)state;
    harness *h = harness_start(NULL);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/clock"), 200);
    json_t *output = json_object_get(res.json, "output");
    assert_string_equal(json_string_value(json_object_get(output, "mode")), "manual");
    assert_string_equal(json_string_value(json_object_get(output, "now")), "2025-01-01T00:00:00.000Z");
    http_response_free(&res);

    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "clock", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    harness_send(h, "POST", &res, "/v1/audiences/create", "{}");
    http_response_free(&res);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    /* Many polls, no time: still building. */
    for (int i = 0; i < 20; i++) {
        harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
        assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "output"), "status")), "BUILDING");
        assert_true(json_is_null(json_object_get(json_object_get(res.json, "output"), "companiesCount")));
        http_response_free(&res);
    }
    harness_advance(h, 1.5);
    harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
    assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "output"), "status")), "BUILDING");
    http_response_free(&res);
    harness_advance(h, 200);
    harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
    assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "output"), "status")), "NORMAL");
    http_response_free(&res);
    /* Bad advances. */
    harness_send(h, "POST", &res, "/_mock/clock/advance", "{\"seconds\":-1}");
    assert_int_equal(res.status, 400);
    http_response_free(&res);
    harness_send(h, "POST", &res, "/_mock/clock/advance", "{\"secs\":1}");
    assert_int_equal(res.status, 400);
    http_response_free(&res);
    harness_stop(h);
}

static void test_build_stages_are_reported(void **state)
{
    (void)state;
    harness *h = harness_start(with_stages);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "stages", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    static const char *const expected[] = {"BUILDING", "SAVING_COMPANIES", "SAVING_PROSPECTS",
                                           "LINKING_PROSPECTS_WITH_COMPANIES", "NORMAL"};
    harness_expect_statuses(h, DEV_KEY, id, expected, 5, 0.1);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_manual_clock_moves_only_when_told),
        cmocka_unit_test(test_build_stages_are_reported),
    };
    return cmocka_run_group_tests_name("determinism_and_time", tests, NULL, NULL);
}
