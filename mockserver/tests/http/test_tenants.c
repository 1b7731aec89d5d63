/* Tenants over HTTP (issue 19): keys on demand, --strict-keys, live keys
 * refused, and what GET /_mock/health reports of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define TENANT_A "sk_test_tenant_a"
#define TENANT_B "sk_test_tenant_b"

static json_t *output_of(const http_response *res)
{
    return json_object_get(res->json, "output");
}

static long long health_int(harness *h, const char *field)
{
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    json_t *value = json_object_get(output_of(&res), field);
    if (!json_is_integer(value))
        fail_msg("health.%s is not an integer in %s", field, res.raw);
    long long n = json_integer_value(value);
    http_response_free(&res);
    return n;
}

static void expect_error(harness *h, const char *path, long status, const char *message_part)
{
    http_response res;
    long got = harness_get(h, &res, "%s", path);
    if (got != status || strstr(harness_error_message(&res), message_part) == NULL)
        fail_msg("GET %s: %ld %s; expected %ld with \"%s\"", path, got, res.raw, status, message_part);
    http_response_free(&res);
}

/* --- keys on demand -------------------------------------------------------- */

static void test_key_on_demand_is_an_account(void **state)
{
    harness *h = *state;
    long long tenants = health_int(h, "tenants");
    /* First request of an unknown sk_test_ key: an account with the
     * default credits (50000) and quota, no set-up call. */
    assert_int_equal(harness_credits(h, TENANT_A), 50000);
    assert_int_equal(health_int(h, "tenants"), tenants + 1);
    const char *id = harness_create(h, TENANT_A, "mine", "NORMAL");
    char mine[64];
    snprintf(mine, sizeof mine, "%s", id);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/" TENANT_A), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "exportQuota")), 100000);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "audiences")), 1);
    http_response_free(&res);
    /* Its audience is its own. */
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", mine, TENANT_B), 404);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", mine, TENANT_A), 200);
    http_response_free(&res);
    assert_int_equal(health_int(h, "audiences"), 1);
}

static void test_reset_forgets_keys_on_demand(void **state)
{
    harness *h = *state;
    long long tenants = health_int(h, "tenants");
    harness_create(h, TENANT_A, "x", "NORMAL");
    assert_int_equal(health_int(h, "tenants"), tenants + 1);
    harness_reset(h);
    assert_int_equal(health_int(h, "tenants"), tenants);
    assert_int_equal(health_int(h, "audiences"), 0);
    /* Known again at its next request, from the start. */
    assert_int_equal(harness_credits(h, TENANT_A), 50000);
}

static void test_only_test_keys_on_demand(void **state)
{
    harness *h = *state;
    static const char *const paths[] = {
        "/v1/credits?apiKey=wrong_key",
        "/v1/credits?apiKey=sk_test_",                      /* nothing after the prefix */
        "/v1/credits?apiKey=sk_test_has%20space",           /* not [A-Za-z0-9_-] */
        "/v1/credits?apiKey=sk_test_dot.dot",
        "/v1/credits?apiKey=pk_test_abc",
    };
    long long tenants = health_int(h, "tenants");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        http_response res;
        assert_int_equal(harness_get(h, &res, "%s", paths[i]), 401);
        assert_string_equal(res.raw, "{\"error\":{\"code\":401,\"message\":\"Invalid API key.\"}}");
        http_response_free(&res);
    }
    assert_int_equal(health_int(h, "tenants"), tenants);
}

static void test_live_keys_refused(void **state)
{
    harness *h = *state;
    long long tenants = health_int(h, "tenants");
    expect_error(h, "/v1/credits?apiKey=sk_live_abcdef", 401, "never takes live keys");
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/v1/audiences/create", "{\"apiKey\":\"sk_live_x\",\"name\":\"n\"}"),
                     401);
    assert_non_null(strstr(harness_error_message(&res), "never takes live keys"));
    http_response_free(&res);
    /* Not even through the control plane. */
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/sk_live_abc", "{\"credits\":5}"), 400);
    assert_non_null(strstr(harness_error_message(&res), "never takes live keys"));
    http_response_free(&res);
    expect_error(h, "/v1/credits?apiKey=sk_live_abc", 401, "never takes live keys");
    assert_int_equal(health_int(h, "tenants"), tenants);
}

static void test_health_reports_memory(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    json_t *memory = json_object_get(output_of(&res), "memory");
    assert_true(json_integer_value(json_object_get(memory, "rssBytes")) > 1000000);
    assert_true(json_integer_value(json_object_get(memory, "heapBytes")) > 0);
    assert_true(json_is_true(json_object_get(output_of(&res), "keysOnDemand")));
    assert_true(json_is_integer(json_object_get(output_of(&res), "exports")));
    http_response_free(&res);
}

/* --- --strict-keys --------------------------------------------------------- */

static void strict(mock_options *options)
{
    options->strict_keys = 1;
}

static void test_strict_keys(void **state)
{
    (void)state;
    harness *h = harness_start(strict);
    expect_error(h, "/v1/credits?apiKey=" TENANT_A, 401, "Invalid API key.");
    expect_error(h, "/v1/credits?apiKey=sk_live_abc", 401, "never takes live keys");
    /* The keys file still counts, and so does PUT /_mock/accounts. */
    assert_int_equal(harness_credits(h, DEV_KEY), 50000);
    http_response res;
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" TENANT_A, "{\"credits\":7}"), 200);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, TENANT_A), 7);
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    assert_true(json_is_false(json_object_get(output_of(&res), "keysOnDemand")));
    http_response_free(&res);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest on_demand[] = {
        cmocka_unit_test_setup(test_key_on_demand_is_an_account, harness_reset_state),
        cmocka_unit_test_setup(test_reset_forgets_keys_on_demand, harness_reset_state),
        cmocka_unit_test_setup(test_only_test_keys_on_demand, harness_reset_state),
        cmocka_unit_test_setup(test_live_keys_refused, harness_reset_state),
        cmocka_unit_test_setup(test_health_reports_memory, harness_reset_state),
    };
    const struct CMUnitTest strict_keys[] = {
        cmocka_unit_test(test_strict_keys),
    };
    int failed = cmocka_run_group_tests_name("tenants.keys", on_demand, harness_group_setup, harness_group_teardown);
    failed += cmocka_run_group_tests_name("tenants.strict", strict_keys, NULL, NULL);
    return failed;
}
