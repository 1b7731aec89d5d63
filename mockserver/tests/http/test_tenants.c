/* Tenants over HTTP (issue 19): keys on demand, --strict-keys, live keys
 * refused, what GET /_mock/health reports of them, and the key limit's 403
 * as docs/openapi.json documents it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/routes.h"
#include "harness.h"
#include "sim/store.h"

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
    /* 0 under AddressSanitizer, whose allocator glibc's mallinfo2 does not see. */
    assert_true(json_is_integer(json_object_get(memory, "heapBytes")));
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


/* --- clocks, faults, scenarios, journal, outbox, reset --------------------- */

static long long clock_ms(harness *h, const char *key, int *own)
{
    http_response res;
    long status = key != NULL ? harness_get(h, &res, "/_mock/accounts/%s/clock", key) : harness_get(h, &res, "/_mock/clock");
    assert_int_equal(status, 200);
    long long ms = json_integer_value(json_object_get(output_of(&res), "nowMs"));
    if (own != NULL)
        *own = json_is_true(json_object_get(output_of(&res), "own"));
    http_response_free(&res);
    return ms;
}

static void advance_tenant(harness *h, const char *key, double seconds)
{
    http_response res;
    char path[192];
    snprintf(path, sizeof path, "/_mock/accounts/%s/clock/advance", key);
    long status = harness_send(h, "POST", &res, path, "{\"seconds\":%g}", seconds);
    if (status != 200)
        fail_msg("advance %s: %ld %s", key, status, res.raw);
    http_response_free(&res);
}

static const char *status_of(harness *h, const char *key, const char *id, long *http_status)
{
    static char status[64];
    http_response res;
    *http_status = harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key);
    const char *value = json_string_value(json_object_get(output_of(&res), "status"));
    snprintf(status, sizeof status, "%s", value != NULL ? value : "");
    http_response_free(&res);
    return status;
}

/* A DRAFT audience of key with filters set and its build started. */
static void start_build(harness *h, const char *key, char id[64])
{
    snprintf(id, 64, "%s", harness_create(h, key, "clocked", "NORMAL"));
    harness_set_filters(h, key, id, "\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},"
                                    "\"maxCompanies\":10,\"maxProspects\":20");
    http_response res;
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", key), 200);
    http_response_free(&res);
}

static void test_tenant_clocks_are_their_own(void **state)
{
    harness *h = *state;
    int own = 1;
    long long server0 = clock_ms(h, NULL, NULL);
    assert_int_equal(clock_ms(h, TENANT_A, &own), server0);
    assert_false(own); /* nobody advanced it: the server's */
    char a[64], b[64];
    start_build(h, TENANT_A, a);
    start_build(h, TENANT_B, b);
    advance_tenant(h, TENANT_A, 300);
    assert_int_equal(clock_ms(h, TENANT_A, &own), server0 + 300000);
    assert_true(own);
    assert_int_equal(clock_ms(h, NULL, NULL), server0);
    assert_int_equal(clock_ms(h, TENANT_B, &own), server0);
    assert_false(own);
    long http_status = 0;
    assert_string_equal(status_of(h, TENANT_A, a, &http_status), "NORMAL");
    assert_string_equal(status_of(h, TENANT_B, b, &http_status), "BUILDING");
    /* The server's advance moves every tenant without a clock of its own. */
    harness_advance(h, 50);
    assert_int_equal(clock_ms(h, TENANT_B, NULL), server0 + 50000);
    assert_int_equal(clock_ms(h, TENANT_A, NULL), server0 + 300000);
    /* Its answers carry its time: createdAt of a new audience. */
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/v1/audiences/create", "{\"apiKey\":\"%s\",\"name\":\"t\"}", TENANT_A), 200);
    assert_string_equal(json_string_value(json_object_get(output_of(&res), "createdAt")), "2025-01-01T00:05:00.000Z");
    http_response_free(&res);
    /* So do its journal entries, control requests included. */
    assert_int_equal(harness_get(h, &res, "/_mock/requests?apiKey=%s&limit=2", TENANT_A), 200);
    json_t *entries = json_object_get(output_of(&res), "entries");
    assert_int_equal(json_array_size(entries), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(entries, i), "time")),
                            "2025-01-01T00:05:00.000Z");
    http_response_free(&res);
    /* Bad bodies name the field. */
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_A "/clock/advance", "{\"seconds\":-1}"), 400);
    assert_non_null(strstr(harness_error_message(&res), "seconds"));
    http_response_free(&res);
}

static long credits_status(harness *h, const char *key)
{
    http_response res;
    long status = harness_get(h, &res, "/v1/credits?apiKey=%s", key);
    http_response_free(&res);
    return status;
}

static size_t count_of(harness *h, const char *fmt, const char *key)
{
    http_response res;
    assert_int_equal(harness_get(h, &res, fmt, key), 200);
    size_t n = (size_t)json_integer_value(json_object_get(output_of(&res), "count"));
    http_response_free(&res);
    return n;
}

static void test_tenant_faults_and_scenarios(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_A "/scenario",
                                  "{\"name\":\"broken\",\"accounts\":{\"sk_test_descovo_dev\":{\"credits\":60}},"
                                  "\"settings\":{\"rateLimitScale\":0.1},"
                                  "\"faults\":[{\"match\":{\"path\":\"/v1/audiences\"},\"action\":{\"type\":\"status\",\"status\":503}}]}"),
                     200);
    http_response_free(&res);
    /* A's failures, credits and limits; B sees none of them. */
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", TENANT_A), 503);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", TENANT_B), 200);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, TENANT_A), 60);
    assert_int_equal(harness_credits(h, TENANT_B), 50000);
    assert_int_equal(harness_credits(h, DEV_KEY), 50000);
    /* rateLimitScale 0.1: 10 credits reads a minute for A, 100 for B. */
    int a_limited = 0;
    for (int i = 0; i < 12; i++)
        a_limited += credits_status(h, TENANT_A) == 429;
    assert_true(a_limited > 0);
    for (int i = 0; i < 12; i++)
        assert_int_equal(credits_status(h, TENANT_B), 200);
    /* Listed and removed per tenant. */
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/" TENANT_A "/faults"), 200);
    json_t *rules = json_object_get(output_of(&res), "faults");
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(rules, 0), "match"), "apiKey")),
                        TENANT_A);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/" TENANT_B "/faults"), 200);
    assert_int_equal(json_array_size(json_object_get(output_of(&res), "faults")), 0);
    http_response_free(&res);
    assert_int_equal(harness_send(h, "DELETE", &res, "/_mock/accounts/" TENANT_A "/faults", "%s", ""), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "removed")), 1);
    http_response_free(&res);
    advance_tenant(h, TENANT_A, 61);
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", TENANT_A), 200);
    http_response_free(&res);
    /* Server-wide settings and other keys' rules are not a tenant's. */
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_A "/scenario",
                                  "{\"settings\":{\"timeScale\":10}}"), 400);
    assert_non_null(strstr(harness_error_message(&res), "timeScale"));
    http_response_free(&res);
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_A "/scenario",
                                  "{\"faults\":[{\"match\":{\"apiKey\":\"%s\"},\"action\":{\"type\":\"status\",\"status\":500}}]}",
                                  TENANT_B), 400);
    assert_non_null(strstr(harness_error_message(&res), "match.apiKey"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/faults"), 200);
    assert_int_equal(json_array_size(json_object_get(output_of(&res), "faults")), 0);
    http_response_free(&res);
}

/* Builds, enriches with userEmail (an outbox message) and exports. */
static void full_workflow(harness *h, const char *key, char id[64])
{
    start_build(h, key, id);
    advance_tenant(h, key, 200);
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    long status = harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5,\"userEmail\":\"%s@example.com\","
                               "\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":false}}",
                               key, key);
    if (status != 200)
        fail_msg("enrich: %ld %s", status, res.raw);
    http_response_free(&res);
    advance_tenant(h, key, 3600);
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", key), 200);
    http_response_free(&res);
}

static void test_tenant_reset_is_its_own(void **state)
{
    harness *h = *state;
    char a[64], b[64];
    full_workflow(h, TENANT_A, a);
    full_workflow(h, TENANT_B, b);
    long long b_credits = harness_credits(h, TENANT_B);
    assert_true(b_credits < 50000);
    assert_true(harness_credits(h, TENANT_A) < 50000);
    size_t b_journal = count_of(h, "/_mock/requests?apiKey=%s", TENANT_B);
    assert_true(count_of(h, "/_mock/requests?apiKey=%s", TENANT_A) > 0);
    assert_int_equal(count_of(h, "/_mock/outbox?apiKey=%s", TENANT_A), 1);
    assert_int_equal(count_of(h, "/_mock/outbox?apiKey=%s", TENANT_B), 1);
    long long exports = health_int(h, "exports");
    advance_tenant(h, TENANT_A, 10);

    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_A "/reset", "%s", ""), 200);
    http_response_free(&res);
    /* Its journal entries are gone: the reset itself is the one left. */
    assert_int_equal(count_of(h, "/_mock/requests?apiKey=%s", TENANT_A), 1);
    /* A is back to its start: no audience, full credits, the server's clock. */
    long http_status = 0;
    status_of(h, TENANT_A, a, &http_status);
    assert_int_equal(http_status, 404);
    assert_int_equal(harness_credits(h, TENANT_A), 50000);
    int own = 1;
    assert_int_equal(clock_ms(h, TENANT_A, &own), clock_ms(h, NULL, NULL));
    assert_false(own);
    assert_int_equal(count_of(h, "/_mock/outbox?apiKey=%s", TENANT_A), 0);
    assert_int_equal(health_int(h, "exports"), exports - 1);
    /* B keeps everything. */
    assert_string_equal(status_of(h, TENANT_B, b, &http_status), "NORMAL");
    assert_int_equal(harness_credits(h, TENANT_B), b_credits);
    assert_int_equal(count_of(h, "/_mock/outbox?apiKey=%s", TENANT_B), 1);
    assert_true(count_of(h, "/_mock/requests?apiKey=%s", TENANT_B) >= b_journal);
    assert_true(clock_ms(h, TENANT_B, &own) > clock_ms(h, NULL, NULL));
    assert_true(own);
}

static void test_tenant_live_key_refused(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/sk_live_x/clock/advance", "{\"seconds\":1}"), 400);
    assert_non_null(strstr(harness_error_message(&res), "never takes live keys"));
    http_response_free(&res);
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/nokey/reset", "%s", ""), 404);
    http_response_free(&res);
}

/* --- bounded memory ------------------------------------------------------- */

static void test_download_links_expire(void **state)
{
    harness *h = *state;
    char a[64];
    full_workflow(h, TENANT_A, a);
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/prospects", a);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"PROSPECT_GENERIC_CSV\"}", TENANT_A), 200);
    char url[256], expires[32];
    snprintf(url, sizeof url, "%s", json_string_value(json_object_get(output_of(&res), "downloadUrl")));
    snprintf(expires, sizeof expires, "%s", json_string_value(json_object_get(output_of(&res), "expiresAt")));
    http_response_free(&res);
    /* The tenant's clock after full_workflow: 200 s + 3600 s past the start. */
    assert_string_equal(expires, "2025-01-01T02:03:20.000Z");
    long long exports = health_int(h, "exports");
    size_t len = 0;
    long status = 0;
    advance_tenant(h, TENANT_A, 3599);
    free(harness_download(h, url, &len, &status));
    assert_int_equal(status, 200);
    /* The server's clock and other tenants' do not age A's links. */
    harness_advance(h, 7200);
    free(harness_download(h, url, &len, &status));
    assert_int_equal(status, 200);
    advance_tenant(h, TENANT_A, 1);
    char *body = harness_download(h, url, &len, &status);
    assert_int_equal(status, 404);
    assert_non_null(strstr(body, "expired at 2025-01-01T02:03:20.000Z"));
    free(body);
    /* Dropped from memory: this one and the companies export before it. */
    assert_int_equal(health_int(h, "exports"), exports - 2);
}

static void idle_expiry_600(mock_options *options)
{
    options->tenant_idle_expiry_s = 600;
}

static void test_idle_tenants_expire(void **state)
{
    (void)state;
    harness *h = harness_start(idle_expiry_600);
    char a[64], b[64], dev[64];
    full_workflow(h, TENANT_A, a);
    full_workflow(h, TENANT_B, b);
    snprintf(dev, sizeof dev, "%s", harness_create(h, DEV_KEY, "kept", "NORMAL"));
    long long b_credits = harness_credits(h, TENANT_B);
    assert_int_equal(health_int(h, "audiences"), 3);
    /* 599 s idle on the server's clock: nothing happens. */
    harness_advance(h, 599);
    assert_int_equal(harness_credits(h, TENANT_B), b_credits);
    assert_int_equal(health_int(h, "expiredTenants"), 0);
    /* A idle 600 s: the next request of anyone drops it, B (active) stays. */
    harness_advance(h, 1);
    assert_int_equal(harness_credits(h, TENANT_B), b_credits);
    assert_int_equal(health_int(h, "expiredTenants"), 1);
    assert_int_equal(health_int(h, "audiences"), 2);
    assert_int_equal(health_int(h, "tenantIdleExpirySeconds"), 600);
    /* A is told once, then starts afresh. */
    expect_error(h, "/v1/credits?apiKey=" TENANT_A, 401, "expired after 600 s without a request");
    assert_int_equal(harness_credits(h, TENANT_A), 50000);
    long http_status = 0;
    status_of(h, TENANT_A, a, &http_status);
    assert_int_equal(http_status, 404);
    /* Keys of the keys file never expire. */
    harness_advance(h, 3600);
    assert_int_equal(harness_credits(h, TENANT_B) >= 0, 1);
    assert_string_equal(status_of(h, DEV_KEY, dev, &http_status), "DRAFT");
    assert_int_equal(http_status, 200);
    harness_stop(h);
}

/* Downloads and counts the CRLF-ended lines. */
static size_t download_lines(harness *h, const char *url, size_t *len)
{
    long status = 0;
    char *csv = harness_download(h, url, len, &status);
    assert_int_equal(status, 200);
    size_t lines = 0;
    for (size_t i = 0; i + 1 < *len; i++)
        lines += csv[i] == '\r' && csv[i + 1] == '\n';
    free(csv);
    return lines;
}

/* A CSV past the size sent whole streams the rest after what was read. */
static void test_large_and_small_downloads(void **state)
{
    harness *h = *state;
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, TENANT_A, "big", "NORMAL"));
    harness_set_filters(h, TENANT_A, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1,\"max\":1000000}},"
                                       "\"maxCompanies\":2000,\"maxProspects\":4000");
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", TENANT_A), 200);
    http_response_free(&res);
    advance_tenant(h, TENANT_A, 600);
    static const char *const kinds[] = {"prospects", "companies"};
    static const char *const formats[] = {"PROSPECT_GENERIC_CSV", "COMPANY_GENERIC_CSV"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, kinds[k]);
        long status = harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"%s\"}", TENANT_A, formats[k]);
        if (status != 200)
            fail_msg("export %s: %ld %s", kinds[k], status, res.raw);
        long long rows = json_integer_value(json_object_get(output_of(&res), "estimatedRows"));
        char url[256];
        snprintf(url, sizeof url, "%s", json_string_value(json_object_get(output_of(&res), "downloadUrl")));
        http_response_free(&res);
        size_t len = 0;
        assert_int_equal(download_lines(h, url, &len), (size_t)rows + 1);
        if (k == 0)
            assert_true(len > 256 * 1024); /* streamed past the whole-CSV size */
        else
            assert_true(len < 256 * 1024); /* sent whole */
    }
    /* Archiving frees the audience's data (6,000 records: over 24 KB of
     * ids alone); heapBytes is 0 where it cannot be read (sanitizers). The
     * heap is the whole test process's: the journal entries of the three
     * requests between the two readings (a few KB) and malloc's own
     * bookkeeping move it too, so the bar is 16 KB, not 24 (with 24 it
     * failed now and then, freeing 24.5 KB); an archive that kept the
     * records would free nothing. */
    http_response mem;
    assert_int_equal(harness_get(h, &mem, "/_mock/health"), 200);
    long long before = json_integer_value(json_object_get(json_object_get(output_of(&mem), "memory"), "heapBytes"));
    http_response_free(&mem);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, TENANT_A), 200);
    http_response_free(&res);
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", id, TENANT_A);
    assert_int_equal(harness_send(h, "DELETE", &res, path, "%s", ""), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &mem, "/_mock/health"), 200);
    long long after = json_integer_value(json_object_get(json_object_get(output_of(&mem), "memory"), "heapBytes"));
    http_response_free(&mem);
    if (before > 0)
        assert_true(before - after > 16 * 1024);
}

/* --- a restart keeps tenant clocks ---------------------------------------- */

static char state_file[128];

static void with_state_file(mock_options *options)
{
    options->state_file = state_file;
}

static void test_restart_keeps_tenant_clocks(void **state)
{
    (void)state;
    snprintf(state_file, sizeof state_file, "/tmp/descovo-tenants-%ld.log", (long)getpid());
    unlink(state_file);
    harness *h = harness_start(with_state_file);
    char a[64];
    start_build(h, TENANT_A, a);
    advance_tenant(h, TENANT_A, 500);
    harness_advance(h, 20);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/accounts/" TENANT_B "/scenario",
                                  "{\"accounts\":{\"x\":{\"credits\":77}}}"), 200);
    http_response_free(&res);
    long long a_ms = clock_ms(h, TENANT_A, NULL);
    long long server_ms = clock_ms(h, NULL, NULL);
    long long a_credits = harness_credits(h, TENANT_A);
    harness_stop(h);

    h = harness_start(with_state_file);
    int own = 0;
    assert_int_equal(clock_ms(h, TENANT_A, &own), a_ms);
    assert_true(own);
    assert_int_equal(clock_ms(h, NULL, NULL), server_ms);
    assert_int_equal(clock_ms(h, TENANT_B, &own), server_ms);
    assert_false(own);
    long http_status = 0;
    assert_string_equal(status_of(h, TENANT_A, a, &http_status), "NORMAL");
    assert_int_equal(harness_credits(h, TENANT_A), a_credits);
    assert_int_equal(harness_credits(h, TENANT_B), 77);
    harness_stop(h);
    unlink(state_file);
}

static void idle_expiry_and_state_file(mock_options *options)
{
    options->tenant_idle_expiry_s = 600;
    options->state_file = state_file;
}

/* An expiry is in the state file: a restart does not bring the data back. */
static void test_restart_after_expiry(void **state)
{
    (void)state;
    snprintf(state_file, sizeof state_file, "/tmp/descovo-tenants-expiry-%ld.log", (long)getpid());
    unlink(state_file);
    harness *h = harness_start(idle_expiry_and_state_file);
    char a[64];
    snprintf(a, sizeof a, "%s", harness_create(h, TENANT_A, "gone", "NORMAL"));
    harness_create(h, TENANT_B, "kept", "NORMAL");
    harness_advance(h, 400);
    assert_int_equal(harness_credits(h, TENANT_B), 50000);
    harness_advance(h, 300);
    harness_create(h, TENANT_B, "kept too", "NORMAL"); /* drops A, idle 700 s */
    assert_int_equal(health_int(h, "expiredTenants"), 1);
    harness_stop(h);

    h = harness_start(idle_expiry_and_state_file);
    assert_int_equal(health_int(h, "audiences"), 2);
    long http_status = 0;
    status_of(h, TENANT_A, a, &http_status);
    assert_int_equal(http_status, 404);
    harness_stop(h);
    unlink(state_file);
}

/* --- the key limit, and docs/openapi.json -------------------------------- */

#define OPENAPI_PATH DESCOVO_FIXTURES_DIR "/../docs/openapi.json"

/* The document's responses of method (lower case) on a route pattern
 * ("/_mock/accounts/{id}/clock": the document names {id} {apiKey}). */
static json_t *documented_responses(json_t *doc, const char *pattern, const char *method)
{
    const char *rest = pattern + strlen("/_mock/accounts/{id}");
    char path[160];
    snprintf(path, sizeof path, "/_mock/accounts/{apiKey}%s", rest);
    json_t *operation = json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
    if (operation == NULL)
        fail_msg("docs/openapi.json has no %s %s", method, path);
    return json_object_get(operation, "responses");
}

/* At the key limit, each GET of a tenant route with a new key answers 403
 * exactly where docs/openapi.json documents it (AccountLimit), and 404
 * (not opened on demand) elsewhere; a key already held still works. */
static void test_key_limit_documented(void **state)
{
    (void)state;
    harness *h = harness_start(NULL);
    store *st = mock_app_store(h->app);
    store_lock(st);
    for (int i = 0; i < STORE_MAX_ACCOUNTS; i++) {
        char key[40];
        snprintf(key, sizeof key, "sk_test_limit_%05d", i);
        if (store_put_account(st, key, 10, 10, 0, NULL) == NULL)
            break; /* full: the keys of the start count too */
    }
    store_unlock(st);
    json_error_t error;
    json_t *doc = json_load_file(OPENAPI_PATH, 0, &error);
    if (doc == NULL)
        fail_msg("%s: %s", OPENAPI_PATH, error.text);
    const char *method = NULL;
    const char *pattern;
    size_t limited = 0;
    for (size_t i = 0; (pattern = routes_pattern(i, &method)) != NULL; i++) {
        if (strcmp(method, "GET") != 0 || strncmp(pattern, "/_mock/accounts/{id}", 20) != 0)
            continue;
        char path[160];
        snprintf(path, sizeof path, "/_mock/accounts/sk_test_limit_new%s", pattern + 20);
        http_response res;
        long status = harness_get(h, &res, "%s", path);
        const char *message = harness_error_message(&res);
        json_t *forbidden = json_object_get(documented_responses(doc, pattern, "get"), "403");
        const char *ref = json_string_value(json_object_get(forbidden, "$ref"));
        int documented = ref != NULL && strcmp(ref, "#/components/responses/AccountLimit") == 0;
        if (status == 403 && (!documented || strstr(message, "Account limit") == NULL))
            fail_msg("GET %s: 403 (%s), not documented as AccountLimit", pattern, message);
        if (status != 403 && (documented || status != 404))
            fail_msg("GET %s: %ld at the key limit%s", pattern, status,
                     documented ? ", documented as a 403 (AccountLimit)" : "");
        limited += status == 403;
        http_response_free(&res);
    }
    assert_true(limited > 0);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/" DEV_KEY "/clock"), 200);
    http_response_free(&res);
    json_decref(doc);
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
        cmocka_unit_test_setup(test_tenant_clocks_are_their_own, harness_reset_state),
        cmocka_unit_test_setup(test_tenant_faults_and_scenarios, harness_reset_state),
        cmocka_unit_test_setup(test_tenant_reset_is_its_own, harness_reset_state),
        cmocka_unit_test_setup(test_tenant_live_key_refused, harness_reset_state),
        cmocka_unit_test_setup(test_download_links_expire, harness_reset_state),
        cmocka_unit_test_setup(test_large_and_small_downloads, harness_reset_state),
    };
    const struct CMUnitTest own_servers[] = {
        cmocka_unit_test(test_strict_keys),
        cmocka_unit_test(test_restart_keeps_tenant_clocks),
        cmocka_unit_test(test_idle_tenants_expire),
        cmocka_unit_test(test_restart_after_expiry),
        cmocka_unit_test(test_key_limit_documented),
    };
    int failed = cmocka_run_group_tests_name("tenants.keys", on_demand, harness_group_setup, harness_group_teardown);
    failed += cmocka_run_group_tests_name("tenants.own_servers", own_servers, NULL, NULL);
    return failed;
}
