/* End to end over HTTP: the control plane's fault injection, scenarios,
 * request journal, outbox and safety switches. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "api/routes.h"
#include "sim/scenario.h"

static json_t *output_of(const http_response *res)
{
    return json_object_get(res->json, "output");
}

/* POSTs a JSON body to a control path and expects 200; returns output.id. */
static long long control_post(harness *h, const char *path, const char *body)
{
    http_response res;
    harness_request(h, "POST", path, body, &res);
    if (res.status != 200)
        fail_msg("POST %s: %ld %s", path, res.status, res.raw);
    long long id = json_integer_value(json_object_get(output_of(&res), "id"));
    http_response_free(&res);
    return id;
}

static const char *status_of(harness *h, const char *key, const char *id, char out[64])
{
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key), 200);
    snprintf(out, 64, "%s", json_string_value(json_object_get(output_of(&res), "status")));
    http_response_free(&res);
    return out;
}

static void new_filtered_audience(harness *h, char id[64])
{
    snprintf(id, 64, "%s", harness_create(h, DEV_KEY, "control", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":10");
}

static long post_build(harness *h, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    http_response res;
    long status = harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", DEV_KEY);
    http_response_free(&res);
    return status;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- faults --------------------------------------------------------------- */

static void test_status_fault_after_and_times(void **state)
{
    harness *h = *state;
    control_post(h, "/_mock/faults", "{\"match\":{\"method\":\"GET\",\"path\":\"/v1/credits\",\"apiKey\":\"" DEV_KEY "\"},"
                 "\"after\":1,\"times\":2,\"action\":{\"type\":\"status\",\"status\":503,\"retryAfter\":7}}");
    long expected[] = {200, 503, 503, 200};
    for (size_t i = 0; i < 4; i++) {
        http_response res;
        harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
        assert_int_equal(res.status, expected[i]);
        if (expected[i] == 503) {
            assert_string_equal(res.retry_after, "7");
            assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "error"), "code")), 503);
        }
        http_response_free(&res);
    }
    /* Another key is not matched. */
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKey=%s", OTHER_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/faults"), 200);
    json_t *rule = json_array_get(json_object_get(output_of(&res), "faults"), 0);
    assert_int_equal(json_integer_value(json_object_get(rule, "seen")), 4);
    assert_int_equal(json_integer_value(json_object_get(rule, "fired")), 2);
    assert_false(json_is_true(json_object_get(rule, "active")));
    http_response_free(&res);
}

static void test_every_status_and_bad_rules(void **state)
{
    harness *h = *state;
    static const int statuses[] = {400, 401, 403, 404, 429, 500, 502, 503};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"match\":{\"path\":\"/v1/audiences\"},\"times\":1,"
                 "\"action\":{\"type\":\"status\",\"status\":%d}}", statuses[i]);
        control_post(h, "/_mock/faults", body);
        http_response res;
        harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY);
        assert_int_equal(res.status, statuses[i]);
        assert_true(strlen(harness_error_message(&res)) > 0);
        assert_int_equal(res.retry_after[0] != '\0', statuses[i] == 429 || statuses[i] == 503);
        http_response_free(&res);
    }
    static const struct {
        const char *rule;
        const char *needle;
    } bad[] = {
        {"{\"action\":{\"type\":\"status\",\"status\":418}}", "action.status"},
        {"{\"action\":{\"type\":\"explode\"}}", "action.type"},
        {"{\"match\":[],\"action\":{\"type\":\"drop\"}}", "match"},
        {"{\"probability\":2,\"action\":{\"type\":\"drop\"}}", "probability"},
        {"{\"times\":-1,\"action\":{\"type\":\"drop\"}}", "times"},
        {"{\"action\":{\"type\":\"latency\",\"minMs\":50,\"maxMs\":10}}", "minMs"},
        {"{\"action\":{\"type\":\"fail-enrichment\",\"stage\":\"LUNCH\"}}", "action.stage"},
        {"{\"action\":{\"type\":\"hold\",\"status\":\"NORMAL\"}}", "action.status"},
        {"{\"action\":{\"type\":\"drop\",\"when\":\"later\"}}", "action.when"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_response res;
        harness_request(h, "POST", "/_mock/faults", bad[i].rule, &res);
        assert_int_equal(res.status, 400);
        if (strstr(harness_error_message(&res), bad[i].needle) == NULL)
            fail_msg("\"%s\" does not name %s", harness_error_message(&res), bad[i].needle);
        http_response_free(&res);
    }
    /* Control requests are never faulted, and deleting works. */
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/**\"},\"action\":{\"type\":\"status\",\"status\":500}}");
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    http_response_free(&res);
    harness_request(h, "DELETE", "/_mock/faults/999", NULL, &res);
    assert_int_equal(res.status, 404);
    http_response_free(&res);
    harness_request(h, "DELETE", "/_mock/faults", NULL, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY), 200);
    http_response_free(&res);
}

typedef struct delayed_call {
    harness *h;
    long status;
    double seconds;
} delayed_call;

static void *slow_request(void *arg)
{
    delayed_call *call = arg;
    /* A harness of its own: curl handles are not shared across threads. */
    harness mine = {0};
    snprintf(mine.base_url, sizeof mine.base_url, "%s", call->h->base_url);
    mine.curl = curl_easy_init();
    double t0 = now_s();
    http_response res;
    harness_get(&mine, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    call->seconds = now_s() - t0;
    call->status = res.status;
    http_response_free(&res);
    curl_easy_cleanup(mine.curl);
    return NULL;
}

static void one_thread(mock_options *options)
{
    options->threads = 1;
}

static void test_latency_does_not_hold_a_thread(void **state)
{
    (void)state;
    harness *h = harness_start(one_thread);
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/credits\"},\"times\":1,"
                 "\"action\":{\"type\":\"latency\",\"ms\":400}}");
    delayed_call call = {h, 0, 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, slow_request, &call), 0);
    /* Wait until the delayed request has arrived (the journal sees it only
     * once answered, so poll the rule's counter instead). */
    for (int i = 0; i < 200; i++) {
        http_response res;
        harness_get(h, &res, "/_mock/faults");
        long long fired = json_integer_value(json_object_get(json_array_get(json_object_get(output_of(&res), "faults"), 0), "fired"));
        http_response_free(&res);
        if (fired == 1)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    /* With one server thread, this answer comes while the other waits. */
    double t0 = now_s();
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    http_response_free(&res);
    double quick = now_s() - t0;
    pthread_join(thread, NULL);
    assert_int_equal(call.status, 200);
    assert_true(call.seconds >= 0.35);
    assert_true(quick < 0.2);
    harness_stop(h);
}

static void test_drop_and_reset(void **state)
{
    harness *h = *state;
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/credits\"},\"times\":1,\"action\":{\"type\":\"drop\"}}");
    http_response res;
    CURLcode rc = harness_try_request(h, "GET", "/v1/credits?apiKey=" DEV_KEY, NULL, &res);
    assert_int_equal(rc, CURLE_GOT_NOTHING);
    http_response_free(&res);
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/credits\"},\"times\":1,\"action\":{\"type\":\"reset\"}}");
    rc = harness_try_request(h, "GET", "/v1/credits?apiKey=" DEV_KEY, NULL, &res);
    assert_int_equal(rc, CURLE_RECV_ERROR); /* connection reset by peer */
    http_response_free(&res);
    /* "after": the request is processed, the answer lost. */
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/audiences/create\"},\"times\":1,"
                 "\"action\":{\"type\":\"drop\",\"when\":\"after\"}}");
    rc = harness_try_request(h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"lost answer\"}", &res);
    assert_int_equal(rc, CURLE_GOT_NOTHING);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "totalCount")), 1);
    http_response_free(&res);
    /* The journal records them with status 0; the server still serves. */
    assert_int_equal(harness_get(h, &res, "/_mock/requests?status=0"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 3);
    http_response_free(&res);
}

static void test_fail_build(void **state)
{
    harness *h = *state;
    long long credits = harness_credits(h, DEV_KEY);
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/audiences/*/build\"},\"times\":1,\"action\":{\"type\":\"fail-build\"}}");
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    harness_advance(h, 300);
    char status[64];
    assert_string_equal(status_of(h, DEV_KEY, id, status), "FAILED");
    assert_int_equal(harness_credits(h, DEV_KEY), credits);
    /* The rule fired once: the next audience builds. */
    new_filtered_audience(h, id);
    harness_build_until_normal(h, DEV_KEY, id);
}

static void test_fail_enrichment_refunds(void **state)
{
    harness *h = *state;
    char id[64];
    new_filtered_audience(h, id);
    harness_build_until_normal(h, DEV_KEY, id);
    long long before = harness_credits(h, DEV_KEY);
    control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/audiences/*/enrich\"},"
                 "\"action\":{\"type\":\"fail-enrichment\",\"stage\":\"FETCHING_CONTACT_DETAILS\"}}");
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":20}", DEV_KEY), 200);
    long long charged = json_integer_value(json_object_get(json_object_get(res.json, "chargeInfo"), "creditsCharged"));
    assert_true(charged > 0);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), before - charged);
    harness_advance(h, 3600);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, DEV_KEY), 200);
    json_t *out = output_of(&res);
    assert_string_equal(json_string_value(json_object_get(out, "currentStage")), "FAILED");
    assert_true(json_integer_value(json_object_get(out, "progressPercent")) < 100);
    assert_true(json_is_null(json_object_get(out, "currentStep")));
    assert_int_equal(json_array_size(json_object_get(out, "stepsRemaining")), 0);
    json_t *done = json_object_get(out, "stepsCompleted");
    const char *last = json_string_value(json_array_get(done, json_array_size(done) - 1));
    assert_string_equal(last, "CLEANING_NAMES");
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), before); /* refunded */
    /* Nothing was revealed. */
    snprintf(path, sizeof path, "/v1/audiences/%s/export/prospects", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"PROSPECT_GENERIC_CSV\",\"onlyWithContacts\":true}", DEV_KEY), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "estimatedRows")), 0);
    http_response_free(&res);
}

static void test_hold_until_released(void **state)
{
    harness *h = *state;
    long long rule = control_post(h, "/_mock/faults", "{\"match\":{\"path\":\"/v1/audiences/*/build\"},"
                                  "\"action\":{\"type\":\"hold\",\"status\":\"HEALING_COMPANIES\"}}");
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    harness_advance(h, 3600);
    char status[64];
    assert_string_equal(status_of(h, DEV_KEY, id, status), "HEALING_COMPANIES");
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
    http_response res;
    harness_request(h, "DELETE", path, NULL, &res);
    assert_int_equal(res.status, 400);
    http_response_free(&res);
    snprintf(path, sizeof path, "/_mock/faults/%lld", rule);
    harness_request(h, "DELETE", path, NULL, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    assert_string_equal(status_of(h, DEV_KEY, id, status), "NORMAL");
}

static uint64_t chaos_seed = 5;

static void with_chaos(mock_options *options)
{
    options->chaos_rate = 0.3;
    options->chaos_seed = chaos_seed;
}

/* The statuses of 60 identical requests, as a string of class digits. */
static void chaos_run(char out[64])
{
    harness *h = harness_start(with_chaos);
    for (int i = 0; i < 60; i++) {
        http_response res;
        harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY);
        out[i] = res.status == 200 ? '.' : res.status == 429 ? 'r' : res.status == 500 ? 'e' : res.status == 503 ? 'u' : '?';
        http_response_free(&res);
    }
    out[60] = '\0';
    harness_stop(h);
}

static void test_chaos_replays(void **state)
{
    (void)state;
    char first[64];
    char second[64];
    char other[64];
    chaos_seed = 5;
    chaos_run(first);
    chaos_run(second);
    chaos_seed = 6;
    chaos_run(other);
    assert_string_equal(first, second);
    assert_string_not_equal(first, other);
    assert_non_null(strchr(first, '.'));
    assert_true(strchr(first, 'r') != NULL || strchr(first, 'e') != NULL || strchr(first, 'u') != NULL);
    assert_null(strchr(first, '?'));
}

/* --- journal -------------------------------------------------------------- */

static long long journal_count(harness *h, const char *query)
{
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/requests?%s", query), 200);
    long long n = json_integer_value(json_object_get(output_of(&res), "count"));
    http_response_free(&res);
    return n;
}

static void test_journal_filters(void **state)
{
    harness *h = *state;
    http_response res;
    harness_request(h, "DELETE", "/_mock/requests", NULL, &res);
    http_response_free(&res);
    char id[64];
    new_filtered_audience(h, id);
    post_build(h, id);
    post_build(h, id);  /* 400: already building */
    post_build(h, "aud_missing");
    harness_get(h, &res, "/v1/credits?apiKey=%s", OTHER_KEY);
    http_response_free(&res);
    harness_advance(h, 10);
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    http_response_free(&res);

    assert_int_equal(journal_count(h, "method=POST&path=/v1/audiences/*/build"), 3);
    assert_int_equal(journal_count(h, "path=/v1/audiences/*/build&status=400"), 1);
    assert_int_equal(journal_count(h, "path=/v1/audiences/*/build&status=404"), 1);
    assert_int_equal(journal_count(h, "path=/v1/credits&apiKey=" OTHER_KEY), 1);
    /* create, search-params, three builds, credits */
    assert_int_equal(journal_count(h, "path=/v1/**&apiKey=" DEV_KEY), 6);
    assert_int_equal(journal_count(h, "path=/v1/credits&since=2025-01-01T00:00:05Z"), 1);
    /* Entries carry bodies and the masked key, never the key. */
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/v1/audiences/create&limit=1"), 200);
    json_t *entry = json_array_get(json_object_get(output_of(&res), "entries"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(entry, "requestBody")), "\"name\""));
    assert_non_null(strstr(json_string_value(json_object_get(entry, "responseBody")), "audienceId"));
    assert_null(strstr(res.raw, DEV_KEY));
    assert_string_equal(json_string_value(json_object_get(entry, "apiKey")), "sk_test_***ev");
    http_response_free(&res);
    harness_get(h, &res, "/_mock/requests?since=yesterday");
    assert_int_equal(res.status, 400);
    http_response_free(&res);
    harness_request(h, "DELETE", "/_mock/requests", NULL, &res);
    http_response_free(&res);
    assert_int_equal(journal_count(h, "path=/v1/**"), 0);
}

/* Patterns that made the old backtracking matcher run for ever: on the
 * journal (it held journal slots locked), and in a fault rule (it held the
 * fault lock, so every request waited, health included). Each request here
 * must answer within the harness's 20 s timeout; they take milliseconds. */
static void test_patterns_cannot_hang(void **state)
{
    harness *h = *state;
    http_response res;
    char path[200] = "/v1/audiences/";
    size_t used = strlen(path);
    memset(path + used, 'a', 120);
    path[used + 120] = '\0';
    for (int i = 0; i < 8; i++) {
        harness_get(h, &res, "%s?apiKey=%s", path, DEV_KEY);
        http_response_free(&res);
    }
    const char *evil = "**a**a**a**a**a**a**a**b";
    assert_int_equal(journal_count(h, "path=**a**a**a**a**a**a**a**b"), 0);
    assert_int_equal(journal_count(h, "path=**a**a**a**a**a**a**a"), 8);
    char rule[256];
    snprintf(rule, sizeof rule, "{\"match\":{\"path\":\"%s\"},\"action\":{\"type\":\"status\",\"status\":500}}", evil);
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/faults", "%s", rule), 200);
    http_response_free(&res);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(harness_get(h, &res, "%s?apiKey=%s", path, DEV_KEY), 404);
        http_response_free(&res);
    }
    assert_int_equal(harness_get(h, &res, "%sb?apiKey=%s", path, DEV_KEY), 500);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 200);
    http_response_free(&res);
    /* Patterns are bounded: a clear 400 past 256 characters. */
    char long_query[400] = "path=";
    memset(long_query + 5, '*', 300);
    long_query[305] = '\0';
    assert_int_equal(harness_get(h, &res, "/_mock/requests?%s", long_query), 400);
    assert_non_null(strstr(harness_error_message(&res), "at most 256"));
    http_response_free(&res);
    harness_request(h, "DELETE", "/_mock/faults", NULL, &res);
    http_response_free(&res);
}

/* The journal keeps no key: not in a path (/_mock/accounts/KEY), not in a
 * request body (apiKey, or the key quoted elsewhere), not in an answer. */
static void test_journal_masks_keys(void **state)
{
    harness *h = *state;
    http_response res;
    harness_request(h, "DELETE", "/_mock/requests", NULL, &res);
    http_response_free(&res);
    const char *secret = "sk_test_journal_secret_1";
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/sk_test_journal_secret_1", "%s",
                                  "{\"credits\":50}"), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s", secret), 200);
    http_response_free(&res);
    assert_int_equal(harness_send(h, "POST", &res, "/v1/audiences/create",
                                  "{\"apiKey\" : \"%s\",\"name\":\"named %s\"}", secret, secret), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKey=%s", secret), 200);
    http_response_free(&res);
    assert_int_equal(harness_send(h, "POST", &res, "/v1/audiences/create", "{\"apiKey\":\"sk_wrong_but_secret\"}"), 401);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 6); /* the clear too */
    assert_null(strstr(res.raw, secret));
    assert_null(strstr(res.raw, "sk_wrong_but_secret"));
    assert_non_null(strstr(res.raw, "/_mock/accounts/sk_test_***_1"));
    assert_non_null(strstr(res.raw, "named sk_test_***_1"));
    http_response_free(&res);
}

static void small_journal(mock_options *options)
{
    options->journal_size = 5;
}

static void test_journal_is_a_ring(void **state)
{
    (void)state;
    harness *h = harness_start(small_journal);
    for (int i = 0; i < 12; i++) {
        http_response res;
        harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
        http_response_free(&res);
    }
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/requests"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "total")), 5);
    http_response_free(&res);
    harness_stop(h);
}

/* --- outbox --------------------------------------------------------------- */

static void test_outbox(void **state)
{
    harness *h = *state;
    char id[64];
    new_filtered_audience(h, id);
    harness_build_until_normal(h, DEV_KEY, id);
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5,\"userEmail\":\"dev@example.com\"}", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/outbox"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 0); /* not done yet */
    http_response_free(&res);
    harness_advance(h, 3600);
    /* The outbox settles by itself: the enrichment finished, its e-mail is
     * there before any other request of that key. */
    assert_int_equal(harness_get(h, &res, "/_mock/outbox"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 1);
    http_response_free(&res);
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\",\"userEmail\":\"ops@example.org\"}", DEV_KEY);
    assert_int_equal(res.status, 200);
    char url[256];
    snprintf(url, sizeof url, "%s", json_string_value(json_object_get(output_of(&res), "downloadUrl")));
    http_response_free(&res);

    assert_int_equal(harness_get(h, &res, "/_mock/outbox?to=dev@example.com"), 200);
    json_t *messages = json_object_get(output_of(&res), "messages");
    assert_int_equal(json_array_size(messages), 1);
    json_t *m = json_array_get(messages, 0);
    assert_non_null(strstr(json_string_value(json_object_get(m, "subject")), "complete"));
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(m, "links"), 0)), "/enrichment/status"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/outbox?to=ops@example.org"), 200);
    m = json_array_get(json_object_get(output_of(&res), "messages"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "links"), 0)), url);
    http_response_free(&res);
    harness_request(h, "DELETE", "/_mock/outbox", NULL, &res);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/outbox"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 0);
    http_response_free(&res);
}

/* A name whose 80th byte falls inside a character: the subjects are cut on
 * a character boundary, and both messages arrive (a split character made
 * the message invalid UTF-8, and it was dropped). */
static void test_outbox_non_ascii_names(void **state)
{
    harness *h = *state;
    char name[200] = "a";
    for (int i = 0; i < 30; i++)
        strcat(name, "\xc3\xa9\xe2\x9c\x93"); /* é✓, 5 bytes: byte 80 is inside a ✓ */
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, name, "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":10");
    harness_build_until_normal(h, DEV_KEY, id);
    char path[128];
    http_response res;
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5,"
                                  "\"userEmail\":\"dev@example.com\"}", DEV_KEY), 200);
    http_response_free(&res);
    harness_advance(h, 3600);
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    http_response_free(&res);
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\","
                                  "\"userEmail\":\"dev@example.com\"}", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/outbox?to=dev@example.com"), 200);
    json_t *messages = json_object_get(output_of(&res), "messages");
    assert_int_equal(json_array_size(messages), 2);
    for (size_t i = 0; i < 2; i++) {
        const char *subject = json_string_value(json_object_get(json_array_get(messages, i), "subject"));
        assert_non_null(subject);
        assert_non_null(strstr(subject, "\xe2\x9c\x93\xc3\xa9\"")); /* 78 bytes: ...✓é */
    }
    http_response_free(&res);
}

/* --- scenarios ------------------------------------------------------------ */

static void load_scenario(harness *h, const char *name)
{
    char body[128];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
    http_response res;
    harness_request(h, "POST", "/_mock/scenarios", body, &res);
    if (res.status != 200)
        fail_msg("scenario %s: %ld %s", name, res.status, res.raw);
    http_response_free(&res);
}

/* A --scenario that is neither built in nor a readable file: the message
 * names the file's problem, without a "(line -1)". */
static void test_scenario_file_unreadable(void **state)
{
    (void)state;
    char err[512] = "";
    json_t *s = scenario_load("/nonexistent/scenario.json", err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent/scenario.json"));
    assert_null(strstr(err, "line -1"));
}

static void test_scenario_list_and_errors(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/scenarios"), 200);
    static const char *const names[] = {"rate-limited", "flaky-5xx", "build-fails", "slow-enrichment",
                                        "low-credits", "quota-exhausted", "in-progress-statuses"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"name\":\"%s\"", names[i]);
        assert_non_null(strstr(res.raw, needle));
    }
    http_response_free(&res);
    harness_request(h, "POST", "/_mock/scenarios", "{\"name\":\"no-such\"}", &res);
    assert_int_equal(res.status, 404);
    http_response_free(&res);
    /* A bad scenario changes nothing, even its valid parts. */
    harness_request(h, "POST", "/_mock/scenarios",
                    "{\"accounts\":{\"" DEV_KEY "\":{\"credits\":1}},\"faults\":[{\"action\":{\"type\":\"nope\"}}]}", &res);
    assert_int_equal(res.status, 400);
    assert_non_null(strstr(harness_error_message(&res), "faults[0]"));
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), 50000);
}

static void test_scenario_rate_limited(void **state)
{
    harness *h = *state;
    load_scenario(h, "rate-limited");
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    http_response res;
    harness_send(h, "POST", &res, "/v1/audiences/x/build", "{\"apiKey\":\"%s\"}", DEV_KEY);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.retry_after, "60");
    http_response_free(&res);
}

static void test_scenario_flaky(void **state)
{
    harness *h = *state;
    load_scenario(h, "flaky-5xx");
    char first[41];
    for (int i = 0; i < 40; i++) {
        http_response res;
        harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY);
        first[i] = res.status == 200 ? '.' : res.status == 503 ? 'u' : res.status == 500 ? 'e' : '?';
        if (res.status == 503)
            assert_string_equal(res.retry_after, "1");
        http_response_free(&res);
    }
    first[40] = '\0';
    assert_non_null(strchr(first, 'u'));
    assert_non_null(strchr(first, '.'));
    assert_null(strchr(first, '?'));
    /* The same sequence again after a reset and a reload. */
    harness_reset(h);
    load_scenario(h, "flaky-5xx");
    for (int i = 0; i < 40; i++) {
        http_response res;
        harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY);
        char c = res.status == 200 ? '.' : res.status == 503 ? 'u' : res.status == 500 ? 'e' : '?';
        assert_int_equal(c, first[i]);
        http_response_free(&res);
    }
}

static void test_scenario_build_fails(void **state)
{
    harness *h = *state;
    load_scenario(h, "build-fails");
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    harness_advance(h, 300);
    char status[64];
    assert_string_equal(status_of(h, DEV_KEY, id, status), "FAILED");
}

static long long estimate_seconds(harness *h, const char *id)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":10}", DEV_KEY), 200);
    long long s = json_integer_value(json_object_get(json_object_get(output_of(&res), "timeEstimate"), "totalSeconds"));
    http_response_free(&res);
    return s;
}

static void test_scenario_slow_enrichment(void **state)
{
    harness *h = *state;
    char id[64];
    new_filtered_audience(h, id);
    harness_build_until_normal(h, DEV_KEY, id);
    long long normal = estimate_seconds(h, id);
    load_scenario(h, "slow-enrichment");
    long long slow = estimate_seconds(h, id);
    assert_true(slow >= normal * 19);
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":10}", DEV_KEY);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    double t0 = now_s();
    harness_get(h, &res, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, DEV_KEY);
    assert_true(now_s() - t0 >= 0.09);
    http_response_free(&res);
    harness_advance(h, (double)normal + 1);
    harness_get(h, &res, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, DEV_KEY);
    assert_string_not_equal(json_string_value(json_object_get(output_of(&res), "currentStage")), "DONE");
    http_response_free(&res);
}

static void test_scenario_low_credits(void **state)
{
    harness *h = *state;
    load_scenario(h, "low-credits");
    http_response res;
    harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "credits")), 60);
    json_t *alert = json_object_get(json_object_get(res.json, "chargeInfo"), "lowCreditAlert");
    assert_int_equal(json_integer_value(json_object_get(alert, "availableCredits")), 60);
    http_response_free(&res);
}

static void test_scenario_quota_exhausted(void **state)
{
    harness *h = *state;
    char id[64];
    new_filtered_audience(h, id);
    harness_build_until_normal(h, DEV_KEY, id);
    load_scenario(h, "quota-exhausted");
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    http_response res;
    harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", DEV_KEY);
    assert_int_equal(res.status, 403);
    http_response_free(&res);
}

static void test_scenario_in_progress_statuses(void **state)
{
    harness *h = *state;
    load_scenario(h, "in-progress-statuses");
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    static const char *const expected[] = {"BUILDING", "SAVING_COMPANIES", "SAVING_PROSPECTS",
                                           "LINKING_PROSPECTS_WITH_COMPANIES", "HEALING_COMPANIES", "NORMAL"};
    harness_expect_statuses(h, DEV_KEY, id, expected, 6, 0.05);
}

/* --- safety --------------------------------------------------------------- */

static void with_token(mock_options *options)
{
    options->admin_token = "s3cret-token";
}

static void without_control(mock_options *options)
{
    options->control = 0;
}

/* POST /_mock/reset with an Origin header (NULL: none); returns the status. */
static long reset_from_origin(harness *h, const char *origin)
{
    char url[128], header[160];
    snprintf(url, sizeof url, "%s/_mock/reset", h->base_url);
    struct curl_slist *headers = NULL;
    if (origin != NULL) {
        snprintf(header, sizeof header, "Origin: %s", origin);
        headers = curl_slist_append(headers, header);
    }
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    long status = 0;
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    fclose(sink);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return status;
}

/* A page of another site cannot reach the control plane through the
 * visitor's browser (a form POST needs no preflight); the dashboard,
 * curl and the helpers still can. */
static void test_cross_site_control_refused(void **state)
{
    harness *h = *state;
    const char *key = DEV_KEY;
    const char *id = harness_create(h, key, "kept", "NORMAL");
    assert_int_equal(reset_from_origin(h, "http://attacker.example"), 403);
    assert_int_equal(reset_from_origin(h, "null"), 403);
    /* Refused means nothing happened: the audience is still there. */
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key), 200);
    http_response_free(&res);
    char own[96];
    snprintf(own, sizeof own, "%s", h->base_url);
    assert_int_equal(reset_from_origin(h, own), 200);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, key), 404);
    http_response_free(&res);
    assert_int_equal(reset_from_origin(h, NULL), 200);
}

static void test_admin_token_and_no_control(void **state)
{
    (void)state;
    harness *h = harness_start(with_token);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 401);
    assert_non_null(strstr(harness_error_message(&res), "X-Mock-Admin-Token"));
    http_response_free(&res);
    /* Without the token, no route is revealed: 401 before any 404 or 405. */
    assert_int_equal(harness_send(h, "DELETE", &res, "/_mock/health", "%s", ""), 401);
    assert_string_equal(res.allow, "");
    assert_null(strstr(res.raw, "allowed"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/no-such-thing"), 401);
    http_response_free(&res);
    struct curl_slist *headers = curl_slist_append(NULL, "X-Mock-Admin-Token: s3cret-token");
    char url[128];
    snprintf(url, sizeof url, "%s/_mock/health", h->base_url);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, (curl_write_callback)NULL);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    fclose(sink);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    /* The API itself does not need the token. */
    assert_int_equal(harness_get(h, &res, "/v1/credits?apiKey=%s", DEV_KEY), 200);
    http_response_free(&res);
    harness_stop(h);

    h = harness_start(without_control);
    assert_int_equal(harness_get(h, &res, "/_mock/health"), 404);
    http_response_free(&res);
    /* The documented 404, whatever the method. */
    assert_int_equal(harness_send(h, "DELETE", &res, "/_mock/health", "%s", ""), 404);
    assert_string_equal(res.allow, "");
    assert_non_null(strstr(harness_error_message(&res), "--no-control"));
    http_response_free(&res);
    harness_stop(h);

    /* Off loopback, the control plane needs a token or --no-control. */
    mock_options options;
    mock_options_default(&options);
    options.host = "0.0.0.0";
    options.port = 0;
    options.quiet = 1;
    options.companies = 10;
    char err[512] = "";
    mock_app *app = mock_app_new(&options, err, sizeof err);
    assert_non_null(app);
    assert_int_equal(mock_app_start(app, err, sizeof err), -1);
    assert_non_null(strstr(err, "--admin-token"));
    mock_app_free(app);
}

static const char *no_query(const mock_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

/* Until its state file is replayed (mock_app_prepare) the server answers
 * every request 503 with Retry-After 1, control plane included. */
static void test_answers_503_until_ready(void **state)
{
    (void)state;
    mock_options options;
    mock_options_default(&options);
    options.quiet = 1;
    options.companies = 10;
    char err[512] = "";
    mock_app *app = mock_app_new(&options, err, sizeof err);
    assert_non_null(app);
    static const char *const paths[] = {"/_mock/health", "/v1/credits", "/v1/audiences/create"};
    for (int ready = 0; ready < 2; ready++) {
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            http_request http = {.method = i == 2 ? "POST" : "GET", .path = paths[i], .query = no_query};
            mock_reply reply = {0};
            routes_dispatch(mock_app_context(app), &http, &reply);
            if (!ready) {
                assert_int_equal(reply.status, 503);
                assert_int_equal(reply.retry_after, 1);
                const char *message = json_string_value(json_object_get(json_object_get(reply.body, "error"), "message"));
                assert_non_null(strstr(message, "starting"));
            } else {
                assert_int_not_equal(reply.status, 503);
            }
            json_decref(reply.body);
            strbuf_release(&reply.text);
        }
        if (!ready)
            assert_int_equal(mock_app_prepare(app, err, sizeof err), 0);
    }
    mock_app_free(app);
}

static void test_serves_its_openapi_document(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/openapi.json"), 200);
    assert_string_equal(json_string_value(json_object_get(res.json, "openapi")), "3.1.0");
    json_t *paths = json_object_get(res.json, "paths");
    assert_non_null(json_object_get(paths, "/v1/audiences/create"));
    assert_non_null(json_object_get(paths, "/_mock/openapi.json"));
    http_response_free(&res);
}

static void with_start_scenario(mock_options *options)
{
    options->scenario = "low-credits";
}

static void test_start_scenario_survives_reset(void **state)
{
    (void)state;
    harness *h = harness_start(with_start_scenario);
    assert_int_equal(harness_credits(h, DEV_KEY), 60);
    http_response res;
    harness_request(h, "PUT", "/_mock/accounts/" DEV_KEY, "{\"credits\":5}", &res);
    http_response_free(&res);
    harness_reset(h);
    assert_int_equal(harness_credits(h, DEV_KEY), 60);
    harness_stop(h);
}

/* PUT /_mock/accounts settles the account first, then changes only what it
 * names: a build that finished meanwhile stays charged when only the export
 * quota is set. */
static void test_account_put_keeps_settled_charges(void **state)
{
    harness *h = *state;
    long long before = harness_credits(h, DEV_KEY);
    char id[64];
    new_filtered_audience(h, id);
    assert_int_equal(post_build(h, id), 200);
    harness_advance(h, 3600);
    http_response res;
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" DEV_KEY, "{\"exportQuota\":7}"), 200);
    long long put_credits = json_integer_value(json_object_get(output_of(&res), "credits"));
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "exportQuota")), 7);
    http_response_free(&res);
    assert_true(put_credits < before);
    assert_int_equal(harness_credits(h, DEV_KEY), put_credits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_account_put_keeps_settled_charges, harness_reset_state),
        cmocka_unit_test_setup(test_status_fault_after_and_times, harness_reset_state),
        cmocka_unit_test_setup(test_every_status_and_bad_rules, harness_reset_state),
        cmocka_unit_test(test_latency_does_not_hold_a_thread),
        cmocka_unit_test_setup(test_drop_and_reset, harness_reset_state),
        cmocka_unit_test_setup(test_fail_build, harness_reset_state),
        cmocka_unit_test_setup(test_fail_enrichment_refunds, harness_reset_state),
        cmocka_unit_test_setup(test_hold_until_released, harness_reset_state),
        cmocka_unit_test(test_chaos_replays),
        cmocka_unit_test_setup(test_journal_filters, harness_reset_state),
        cmocka_unit_test(test_journal_is_a_ring),
        cmocka_unit_test_setup(test_patterns_cannot_hang, harness_reset_state),
        cmocka_unit_test_setup(test_journal_masks_keys, harness_reset_state),
        cmocka_unit_test_setup(test_outbox, harness_reset_state),
        cmocka_unit_test_setup(test_outbox_non_ascii_names, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_list_and_errors, harness_reset_state),
        cmocka_unit_test(test_scenario_file_unreadable),
        cmocka_unit_test_setup(test_scenario_rate_limited, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_flaky, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_build_fails, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_slow_enrichment, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_low_credits, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_quota_exhausted, harness_reset_state),
        cmocka_unit_test_setup(test_scenario_in_progress_statuses, harness_reset_state),
        cmocka_unit_test_setup(test_cross_site_control_refused, harness_reset_state),
        cmocka_unit_test(test_admin_token_and_no_control),
        cmocka_unit_test(test_start_scenario_survives_reset),
        cmocka_unit_test_setup(test_serves_its_openapi_document, harness_reset_state),
        cmocka_unit_test(test_answers_503_until_ready),
    };
    return cmocka_run_group_tests_name("control", tests, harness_group_setup, harness_group_teardown);
}
