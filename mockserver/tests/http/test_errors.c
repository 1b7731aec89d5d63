/* End to end over HTTP: every error the simulator promises, with its status
 * and a message that names the field or the current status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "harness.h"

/* Asserts status and that the error message contains `needle`. */
static void expect_error(const http_response *res, long status, const char *needle)
{
    if (res->status != status)
        fail_msg("expected HTTP %ld, got %ld: %s", status, res->status, res->raw);
    json_t *error = json_object_get(res->json, "error");
    assert_true(json_is_object(error));
    assert_int_equal(json_integer_value(json_object_get(error, "code")), status);
    const char *message = harness_error_message(res);
    if (strstr(message, needle) == NULL)
        fail_msg("message \"%s\" does not contain \"%s\"", message, needle);
}

/* Sends and checks in one go; frees the response. */
static void send_expect(harness *h, const char *method, const char *path, const char *body,
                        long status, const char *needle)
{
    http_response res;
    harness_request(h, method, path, body, &res);
    expect_error(&res, status, needle);
    http_response_free(&res);
}

static const char *new_audience(harness *h, const char *key, char out[64])
{
    snprintf(out, 64, "%s", harness_create(h, key, "errors", "NORMAL"));
    return out;
}

static void path_of(char *out, size_t size, const char *fmt, const char *id)
{
    snprintf(out, size, fmt, id);
}

/* --- 401 ----------------------------------------------------------------- */

typedef struct endpoint {
    const char *method;
    const char *path;   /* %s: audience id */
    int key_in_body;
} endpoint;

static const endpoint endpoints[] = {
    {"POST", "/v1/audiences/create", 1},
    {"PATCH", "/v1/audiences/%s/search-params", 1},
    {"POST", "/v1/audiences/%s/build", 1},
    {"GET", "/v1/audiences/%s", 0},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1},
    {"POST", "/v1/audiences/%s/enrich", 1},
    {"GET", "/v1/audiences/%s/enrichment/status", 0},
    {"POST", "/v1/audiences/%s/export/companies", 1},
    {"POST", "/v1/audiences/%s/export/prospects", 1},
    {"GET", "/v1/credits", 0},
    {"GET", "/v1/audiences", 0},
    {"DELETE", "/v1/audiences/%s", 0},
    {"GET", "/v1/audiences/%s/companies", 0},
    {"GET", "/v1/audiences/%s/prospects", 0},
};

static void test_401_on_every_endpoint(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    static const char *const keys[] = {NULL, "wrong_key", ""};
    for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++) {
        for (size_t k = 0; k < 3; k++) {
            char path[256];
            char full[320];
            path_of(path, sizeof path, endpoints[e].path, id);
            char body[256];
            const char *send_body = NULL;
            if (endpoints[e].key_in_body) {
                snprintf(full, sizeof full, "%s", path);
                if (keys[k] != NULL)
                    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"n\"}", keys[k]);
                else
                    snprintf(body, sizeof body, "{\"name\":\"n\"}");
                send_body = body;
            } else if (keys[k] != NULL) {
                snprintf(full, sizeof full, "%s?apiKey=%s", path, keys[k]);
            } else {
                snprintf(full, sizeof full, "%s", path);
            }
            http_response res;
            harness_request(h, endpoints[e].method, full, send_body, &res);
            if (res.status != 401 || strcmp(res.raw, "{\"error\":{\"code\":401,\"message\":\"Invalid API key.\"}}") != 0)
                fail_msg("%s %s key=%s: %ld %s", endpoints[e].method, full, keys[k] ? keys[k] : "(none)", res.status, res.raw);
            http_response_free(&res);
        }
    }
}

static void test_401_before_404_and_validation(void **state)
{
    harness *h = *state;
    send_expect(h, "POST", "/v1/audiences/aud_nope/build", "{\"apiKey\":\"bad\"}", 401, "Invalid API key.");
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"bad\",\"name\":5}", 401, "Invalid API key.");
}

/* --- 404 ----------------------------------------------------------------- */

static void test_404_unknown_and_foreign_look_the_same(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, OTHER_KEY, id);
    for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++) {
        if (strstr(endpoints[e].path, "%s") == NULL)
            continue;
        char path[256];
        path_of(path, sizeof path, endpoints[e].path, id);
        char unknown_path[256];
        path_of(unknown_path, sizeof unknown_path, endpoints[e].path, "aud_0000000000000000");
        http_response foreign;
        http_response unknown;
        char full[320];
        char body[128];
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", DEV_KEY);
        snprintf(full, sizeof full, endpoints[e].key_in_body ? "%s" : "%s?apiKey=" DEV_KEY, path);
        harness_request(h, endpoints[e].method, full, endpoints[e].key_in_body ? body : NULL, &foreign);
        snprintf(full, sizeof full, endpoints[e].key_in_body ? "%s" : "%s?apiKey=" DEV_KEY, unknown_path);
        harness_request(h, endpoints[e].method, full, endpoints[e].key_in_body ? body : NULL, &unknown);
        expect_error(&foreign, 404, "Audience not found");
        expect_error(&unknown, 404, "Audience not found");
        /* Same body but for the id itself. */
        char expected[512];
        snprintf(expected, sizeof expected,
                 "{\"error\":{\"code\":404,\"message\":\"Audience not found: no audience with id \\\"%s\\\" for this API key. "
                 "Check the audienceId, or create a new audience.\"}}", id);
        assert_string_equal(foreign.raw, expected);
        http_response_free(&foreign);
        http_response_free(&unknown);
    }
    /* The owner still sees it. */
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, OTHER_KEY), 200);
    http_response_free(&res);
}

static void test_404_unknown_path_and_405(void **state)
{
    harness *h = *state;
    send_expect(h, "GET", "/v1/nothing-here", NULL, 404, "No such endpoint");
    send_expect(h, "GET", "/", NULL, 404, "No such endpoint");
    http_response res;
    harness_request(h, "PUT", "/v1/audiences/create", "{}", &res);
    expect_error(&res, 405, "not allowed");
    assert_string_equal(res.allow, "POST");
    http_response_free(&res);
    harness_request(h, "POST", "/v1/audiences/aud_x", "{}", &res);
    expect_error(&res, 405, "allowed: GET, DELETE");
    assert_string_equal(res.allow, "GET, DELETE");
    http_response_free(&res);
    /* A literal segment wins over {id}, whatever the method: GET of the
     * create path is not the status of an audience called "create". */
    harness_request(h, "GET", "/v1/audiences/create/?apiKey=" DEV_KEY, NULL, &res);
    expect_error(&res, 405, "allowed: POST");
    http_response_free(&res);
    /* A trailing slash is tolerated; an empty segment is not a path. */
    assert_int_equal(harness_get(h, &res, "/v1/credits/?apiKey=%s", DEV_KEY), 200);
    http_response_free(&res);
    send_expect(h, "GET", "/v1/audiences/aud_none/?apiKey=" DEV_KEY, NULL, 404, "aud_none");
    send_expect(h, "GET", "/v1//credits?apiKey=" DEV_KEY, NULL, 404, "No such endpoint");
    send_expect(h, "GET", "/v1/audiences//enrichment/status?apiKey=" DEV_KEY, NULL, 404, "No such endpoint");
    send_expect(h, "GET", "/v1/credits/extra?apiKey=" DEV_KEY, NULL, 404, "No such endpoint");
}

/* --- sequence ------------------------------------------------------------ */

static void build_request(harness *h, const char *key, const char *id, http_response *res)
{
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/build", id);
    char body[128];
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", key);
    harness_request(h, "POST", path, body, res);
}

static void test_sequence_errors(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    char path[256];
    char body[256];
    http_response res;

    /* Build with no filters. */
    build_request(h, DEV_KEY, id, &res);
    expect_error(&res, 400, "no search filters");
    http_response_free(&res);
    /* Params with only null objects are still "no filters". */
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":null,\"prospectSearchParams\":{}");
    build_request(h, DEV_KEY, id, &res);
    expect_error(&res, 400, "DRAFT");
    http_response_free(&res);

    /* Estimate, enrich, enrichment status, exports before NORMAL (DRAFT). */
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5,\"format\":\"COMPANY_GENERIC_CSV\"}", DEV_KEY);
    path_of(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    send_expect(h, "POST", path, body, 400, "DRAFT");
    path_of(path, sizeof path, "/v1/audiences/%s/enrich", id);
    send_expect(h, "POST", path, body, 400, "DRAFT");
    path_of(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    send_expect(h, "POST", path, body, 400, "DRAFT");
    char get_path[256];
    snprintf(get_path, sizeof get_path, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, DEV_KEY);
    send_expect(h, "GET", get_path, NULL, 400, "No enrichment has been started");

    /* Build, then: search-params, build again, estimate, export while BUILDING. */
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"industriesV2\":[\"software\"]}");
    build_request(h, DEV_KEY, id, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    build_request(h, DEV_KEY, id, &res);
    expect_error(&res, 400, "already BUILDING");
    http_response_free(&res);
    path_of(path, sizeof path, "/v1/audiences/%s/search-params", id);
    send_expect(h, "PATCH", path, body, 400, "it is BUILDING");
    path_of(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    send_expect(h, "POST", path, body, 400, "BUILDING");
    path_of(path, sizeof path, "/v1/audiences/%s/export/prospects", id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"PROSPECT_GENERIC_CSV\",\"maxProspectsToEnrich\":5}", DEV_KEY);
    send_expect(h, "POST", path, body, 400, "BUILDING");
    snprintf(get_path, sizeof get_path, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
    send_expect(h, "DELETE", get_path, NULL, 400, "cannot be archived while building");

    /* NORMAL: build again and search-params are refused. */
    harness_wait_normal(h, DEV_KEY, id);
    build_request(h, DEV_KEY, id, &res);
    expect_error(&res, 400, "already NORMAL");
    http_response_free(&res);
    path_of(path, sizeof path, "/v1/audiences/%s/search-params", id);
    send_expect(h, "PATCH", path, body, 400, "it is NORMAL");

    /* Enrich, then enrich again while it runs. */
    path_of(path, sizeof path, "/v1/audiences/%s/enrich", id);
    harness_request(h, "POST", path, body, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    send_expect(h, "POST", path, body, 400, "already running");
    /* Once done, a second enrichment is accepted. */
    harness_advance(h, 3600);
    harness_request(h, "POST", path, body, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
}

static void set_account(harness *h, const char *key, const char *json)
{
    char path[256];
    snprintf(path, sizeof path, "/_mock/accounts/%s", key);
    http_response res;
    harness_request(h, "PUT", path, json, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
}

static void test_failed_build_when_credits_run_short(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, POOR_KEY, id);
    harness_set_filters(h, POOR_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    http_response res;
    build_request(h, POOR_KEY, id, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    harness_advance(h, 600);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, POOR_KEY), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "output"), "status")), "FAILED");
    http_response_free(&res);
    assert_int_equal(harness_credits(h, POOR_KEY), 25); /* nothing charged */
    build_request(h, POOR_KEY, id, &res);
    expect_error(&res, 400, "FAILED");
    http_response_free(&res);
    /* A build with no credits at all is refused upfront. */
    set_account(h, POOR_KEY, "{\"credits\":0}");
    new_audience(h, POOR_KEY, id);
    harness_set_filters(h, POOR_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    build_request(h, POOR_KEY, id, &res);
    expect_error(&res, 402, "Not enough credits");
    assert_true(json_is_object(json_object_get(json_object_get(res.json, "error"), "outOfCreditsAlert")));
    http_response_free(&res);
}

static void test_402_enrich_charges_nothing(void **state)
{
    harness *h = *state;
    char id[64];
    set_account(h, POOR_KEY, "{\"credits\":100000}");
    new_audience(h, POOR_KEY, id);
    harness_set_filters(h, POOR_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":20");
    harness_build_until_normal(h, POOR_KEY, id);
    set_account(h, POOR_KEY, "{\"credits\":10}");
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":100}", POOR_KEY);
    expect_error(&res, 402, "balance is 10");
    json_t *alert = json_object_get(json_object_get(res.json, "error"), "outOfCreditsAlert");
    assert_int_equal(json_integer_value(json_object_get(alert, "availableCredits")), 10);
    assert_non_null(json_string_value(json_object_get(alert, "getMoreCreditsUrl")));
    http_response_free(&res);
    assert_int_equal(harness_credits(h, POOR_KEY), 10);
    char status_path[256];
    snprintf(status_path, sizeof status_path, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, POOR_KEY);
    send_expect(h, "GET", status_path, NULL, 400, "No enrichment");
}

static void test_export_quota(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":30");
    harness_build_until_normal(h, DEV_KEY, id);
    set_account(h, DEV_KEY, "{\"exportQuota\":12}");
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", DEV_KEY);
    assert_int_equal(res.status, 200);
    json_t *output = json_object_get(res.json, "output");
    assert_int_equal(json_integer_value(json_object_get(output, "estimatedRows")), 12);
    assert_int_equal(json_integer_value(json_object_get(output, "maxRowsAllowed")), 12);
    http_response_free(&res);
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", DEV_KEY);
    expect_error(&res, 403, "Export quota exhausted");
    http_response_free(&res);
    /* A new period (30 days later) renews it. */
    harness_advance(h, 30.0 * 24 * 3600 + 1);
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\",\"maxRowsToExport\":5}", DEV_KEY);
    assert_int_equal(res.status, 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "output"), "estimatedRows")), 5);
    http_response_free(&res);
}

/* --- 429 ----------------------------------------------------------------- */

static void test_429_with_retry_after(void **state)
{
    harness *h = *state;
    http_response res;
    for (int i = 0; i < 100; i++) {
        harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
        assert_int_equal(res.status, 200);
        http_response_free(&res);
    }
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    expect_error(&res, 429, "Rate limit exceeded");
    assert_string_equal(res.retry_after, "60");
    http_response_free(&res);
    /* Per key: the other key is not limited. */
    harness_get(h, &res, "/v1/credits?apiKey=%s", OTHER_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    /* Per endpoint: the list still answers. */
    harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    harness_advance(h, 45);
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.retry_after, "15");
    http_response_free(&res);
    harness_advance(h, 15);
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
}

static void test_429_on_build_limit(void **state)
{
    harness *h = *state;
    http_response res;
    /* Ten builds a minute; the refused ones do not even look at the audience. */
    for (int i = 0; i < 10; i++) {
        harness_send(h, "POST", &res, "/v1/audiences/aud_none/build", "{\"apiKey\":\"%s\"}", DEV_KEY);
        assert_int_equal(res.status, 404);
        http_response_free(&res);
    }
    harness_send(h, "POST", &res, "/v1/audiences/aud_none/build", "{\"apiKey\":\"%s\"}", DEV_KEY);
    expect_error(&res, 429, "10 requests per minute");
    assert_true(atoi(res.retry_after) >= 1);
    http_response_free(&res);
}

/* --- validation ---------------------------------------------------------- */

static void test_create_validation(void **state)
{
    harness *h = *state;
    char body[512];
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" DEV_KEY "\"}", 400, "name: required");
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\"}", 400, "name: required");
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" DEV_KEY "\",\"name\":7}", 400, "name: expected a string, got integer");
    char long_name[202];
    memset(long_name, 'a', 201);
    long_name[201] = '\0';
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"%s\"}", DEV_KEY, long_name);
    send_expect(h, "POST", "/v1/audiences/create", body, 400, "name: expected at most 200 characters, got 201");
    /* 200 characters of two bytes each is fine: the limit counts characters. */
    char utf8_name[401];
    for (int i = 0; i < 200; i++)
        memcpy(utf8_name + 2 * i, "\xc3\xa9", 2);
    utf8_name[400] = '\0';
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"%s\"}", DEV_KEY, utf8_name);
    http_response res;
    harness_request(h, "POST", "/v1/audiences/create", body, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"x\",\"creationMethod\":\"FAST\"}",
                400, "creationMethod: expected \"NORMAL\" or \"START_FROM_PROSPECTS\", got \"FAST\"");
}

static void test_body_errors(void **state)
{
    harness *h = *state;
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":", 400, "invalid JSON");
    send_expect(h, "POST", "/v1/audiences/create", "[1,2]", 400, "expected a JSON object, got an array");
    send_expect(h, "POST", "/v1/audiences/create", "", 400, "empty body");
    send_expect(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"a\",\"apiKey\":\"b\"}", 400, "duplicate");
    size_t big = API_MAX_BODY_BYTES + 10;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    send_expect(h, "POST", "/v1/audiences/create", huge, 413, "too large");
    free(huge);
    /* The server is still healthy. */
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    http_response_free(&res);
}

static void test_filter_validation_names_the_field(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/search-params", id);
    static const struct {
        const char *params;
        const char *needle;
    } cases[] = {
        {"\"companySearchParams\":[]", "companySearchParams: expected an object"},
        {"\"companySearchParams\":{\"employeeCountV2\":{\"min\":500,\"max\":10}}", "companySearchParams.employeeCountV2"},
        {"\"companySearchParams\":{\"employeeCountV2\":{\"min\":\"ten\"}}", "companySearchParams.employeeCountV2.min"},
        {"\"companySearchParams\":{\"headquartersCountryCode\":[\"ZZ\"]}", "companySearchParams.headquartersCountryCode"},
        {"\"companySearchParams\":{\"industriesV2\":{\"anyOf\":[\"Basket Weaving\"]}}", "companySearchParams.industriesV2.anyOf[0]"},
        {"\"companySearchParams\":{\"stage\":{\"anyOf\":[\"series_z\"]}}", "companySearchParams.stage.anyOf[0]"},
        {"\"prospectSearchParams\":{\"tags\":{\"anyOf\":[\"wizard\"]}}", "prospectSearchParams.tags.anyOf[0]"},
        {"\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":-1}}", "prospectSearchParams.yearsOfExperience.min"},
        {"\"prospectSearchParams\":{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"static-groups\",\"groups\":[\"kings\"]}]}}", "prospectSearchParams.jobTitleV2.anyOf[0]"},
        {"\"maxCompanies\":0", "maxCompanies: expected an integer from 1"},
        {"\"maxProspects\":\"many\"", "maxProspects: expected a positive integer, got string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",%s}", DEV_KEY, cases[i].params);
        send_expect(h, "PATCH", path, body, 400, cases[i].needle);
    }
    /* Nothing was stored by the failed requests: building still needs filters. */
    http_response res;
    build_request(h, DEV_KEY, id, &res);
    expect_error(&res, 400, "no search filters");
    http_response_free(&res);
}

static void test_warnings_for_unknown_and_unsimulated(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/search-params", id);
    http_response res;
    harness_send(h, "PATCH", &res, path,
                 "{\"apiKey\":\"%s\",\"companySearchParams\":{\"revenueUSD\":{\"min\":1},\"madeUp\":1,"
                 "\"headquartersCountryCode\":[\"US\"]},\"extra\":true}", DEV_KEY);
    assert_int_equal(res.status, 200);
    json_t *warnings = json_object_get(res.json, "warnings");
    assert_true(json_is_array(warnings));
    int seen_revenue = 0, seen_made_up = 0, seen_extra = 0;
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) {
        const char *field = json_string_value(json_object_get(w, "field"));
        assert_non_null(json_string_value(json_object_get(w, "message")));
        seen_revenue |= strcmp(field, "companySearchParams.revenueUSD") == 0;
        seen_made_up |= strcmp(field, "companySearchParams.madeUp") == 0;
        seen_extra |= strcmp(field, "extra") == 0;
    }
    assert_true(seen_revenue && seen_made_up && seen_extra);
    http_response_free(&res);
}

static void test_enrich_and_export_validation(void **state)
{
    harness *h = *state;
    char id[64];
    new_audience(h, DEV_KEY, id);
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":5");
    harness_build_until_normal(h, DEV_KEY, id);
    char path[256];
    path_of(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\"}", 400, "maxProspectsToEnrich: required");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"maxProspectsToEnrich\":0}", 400, "maxProspectsToEnrich");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"maxProspectsToEnrich\":5,\"enrichmentType\":[]}", 400, "enrichmentType: expected an object");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"maxProspectsToEnrich\":5,\"enrichmentType\":{\"getWorkEmails\":\"yes\"}}", 400, "enrichmentType.getWorkEmails: expected a boolean");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"maxProspectsToEnrich\":5,\"runProfileSalesNav\":1}", 400, "runProfileSalesNav: expected a boolean");
    path_of(path, sizeof path, "/v1/audiences/%s/enrich", id);
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"maxProspectsToEnrich\":5,\"userEmail\":\"nobody\"}", 400, "userEmail: expected an e-mail address");
    path_of(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\"}", 400, "format: required");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"format\":\"PROSPECT_GENERIC_CSV\"}", 400, "format: expected \"COMPANY_GENERIC_CSV\"");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"format\":\"GOOGLE_MAPS_CSV\"}", 400, "not simulated");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"format\":\"COMPANY_GENERIC_CSV\",\"excludeFields\":[\"name\",\"shoe_size\"]}", 400, "excludeFields[1]");
    send_expect(h, "POST", path, "{\"apiKey\":\"" DEV_KEY "\",\"format\":\"COMPANY_GENERIC_CSV\",\"maxRowsToExport\":-3}", 400, "maxRowsToExport");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_401_on_every_endpoint, harness_reset_state),
        cmocka_unit_test_setup(test_401_before_404_and_validation, harness_reset_state),
        cmocka_unit_test_setup(test_404_unknown_and_foreign_look_the_same, harness_reset_state),
        cmocka_unit_test_setup(test_404_unknown_path_and_405, harness_reset_state),
        cmocka_unit_test_setup(test_sequence_errors, harness_reset_state),
        cmocka_unit_test_setup(test_failed_build_when_credits_run_short, harness_reset_state),
        cmocka_unit_test_setup(test_402_enrich_charges_nothing, harness_reset_state),
        cmocka_unit_test_setup(test_export_quota, harness_reset_state),
        cmocka_unit_test_setup(test_429_with_retry_after, harness_reset_state),
        cmocka_unit_test_setup(test_429_on_build_limit, harness_reset_state),
        cmocka_unit_test_setup(test_create_validation, harness_reset_state),
        cmocka_unit_test_setup(test_body_errors, harness_reset_state),
        cmocka_unit_test_setup(test_filter_validation_names_the_field, harness_reset_state),
        cmocka_unit_test_setup(test_warnings_for_unknown_and_unsimulated, harness_reset_state),
        cmocka_unit_test_setup(test_enrich_and_export_validation, harness_reset_state),
    };
    return cmocka_run_group_tests_name("errors", tests, harness_group_setup, harness_group_teardown);
}
