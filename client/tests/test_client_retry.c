/* Retries, backoff and polling: a 429 storm on a descovo-mock with lowered
 * rate limits, dropped connections from a fake server, and builds that pass
 * through the in-progress statuses. No test sleeps: the injected sleep
 * moves the mock's manual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/faults.h"
#include "internal.h"
#include "sim/journal.h"
#include "support.h"

/* ---- The policy, as pure functions ---- */

static void test_delay_backoff_and_jitter(void **st)
{
    (void)st;
    descovo_retry_policy p = {.max_attempts = 5, .base_ms = 500, .cap_ms = 4000, .max_total_ms = 60000,
                              .max_retry_after_s = 300};
    /* Full jitter: 0 at the bottom, the capped ceiling at the top. */
    assert_int_equal(retry_delay_ms(&p, 1, 0, 0, 0), 0);
    assert_int_equal(retry_delay_ms(&p, 1, 0, 0, UINT32_MAX), 499);
    assert_int_equal(retry_delay_ms(&p, 2, 0, 0, UINT32_MAX), 999);
    assert_int_equal(retry_delay_ms(&p, 3, 0, 0, 0x80000000u), 1000);
    assert_int_equal(retry_delay_ms(&p, 10, 0, 0, UINT32_MAX), 3999);
    assert_int_equal(retry_delay_ms(&p, 60, 0, 0, UINT32_MAX), 3999);
    /* Retry-After is the minimum, clamped to the policy's maximum. */
    assert_int_equal(retry_delay_ms(&p, 1, 1, 7, UINT32_MAX), 7000);
    assert_int_equal(retry_delay_ms(&p, 10, 1, 2, UINT32_MAX), 3999);
    assert_int_equal(retry_delay_ms(&p, 1, 1, 100000, 0), 300000);
    assert_int_equal(retry_delay_ms(&p, 1, 1, -5, 0), 0);
}

static void test_which_failures_retry(void **st)
{
    (void)st;
    transport_result r = {0};
    r.status = 429;
    assert_true(retry_should(REQUEST_UNSAFE, &r, 0));
    r.status = 503;
    assert_true(retry_should(REQUEST_UNSAFE, &r, 0));
    r.status = 500;
    assert_false(retry_should(REQUEST_UNSAFE, &r, 0));
    assert_true(retry_should(REQUEST_SAFE, &r, 0));
    r.status = 502;
    assert_true(retry_should(REQUEST_SAFE, &r, 0));
    r.status = 400;
    assert_false(retry_should(REQUEST_SAFE, &r, 0));
    r.status = 0;
    r.code = CURLE_GOT_NOTHING;
    assert_false(retry_should(REQUEST_UNSAFE, &r, 1));
    assert_true(retry_should(REQUEST_SAFE, &r, 1));
    r.code = CURLE_OPERATION_TIMEDOUT;
    assert_false(retry_should(REQUEST_UNSAFE, &r, 1));
    r.code = CURLE_COULDNT_CONNECT;
    assert_true(retry_should(REQUEST_UNSAFE, &r, 1));
}

static void test_classify(void **st)
{
    (void)st;
    assert_int_equal(decode_classify(400, "Audience is BUILDING: enrichment needs a built (NORMAL) audience."),
                     DESCOVO_ERR_INVALID_STATE);
    assert_int_equal(decode_classify(400, "Invalid audience status for this operation"), DESCOVO_ERR_INVALID_STATE);
    assert_int_equal(decode_classify(400, "name: required, a string of 1 to 200 characters"), DESCOVO_ERR_VALIDATION);
    assert_int_equal(decode_classify(400, NULL), DESCOVO_ERR_VALIDATION);
    assert_int_equal(decode_classify(502, "bad gateway"), DESCOVO_ERR_SERVER);
}

/* ---- A 429 storm against the mock ---- */

static void slow_limits(mock_options *o)
{
    o->rate_limit_scale = 0.1;   /* create: 5 per minute */
}

static void test_rate_limit_storm(void **st)
{
    (void)st;
    test_mock *m = test_mock_start(slow_limits);
    test_clock clock = {.mock = m};
    descovo_client *c = test_client_new(m->base_url, DEV_KEY, &clock);
    int retried = 0;
    for (int i = 0; i < 25; i++) {
        descovo_audience aud;
        char name[32];
        snprintf(name, sizeof name, "storm %d", i);
        if (descovo_create(c, name, NULL, &aud) != 0)
            fail_msg("create %d: %s", i, descovo_last_error(c)->message);
        int attempts = descovo_last_error(c)->attempts;
        /* The 6th, 11th, 16th, 21st requests wait out the minute once. */
        assert_int_equal(attempts, i > 0 && i % 5 == 0 ? 2 : 1);
        retried += attempts - 1;
    }
    assert_int_equal(retried, 4);
    assert_int_equal(clock.sleeps, 4);
    assert_int_equal(clock.slept_ms, 4 * 60 * 1000);   /* exactly Retry-After each time */
    assert_int_equal(clock.last_sleep_ms, 60000);

    /* With one attempt allowed the caller sees the 429 and Retry-After. */
    descovo_options o;
    test_client_options(&o, m->base_url, DEV_KEY, &clock);
    o.retry.max_attempts = 1;
    descovo_client *once = descovo_client_new(&o);
    assert_non_null(once);
    descovo_audience aud;
    int rc = descovo_create(once, "over the limit", NULL, &aud);
    assert_int_equal(rc, -1);
    assert_int_equal(descovo_last_error(once)->cls, DESCOVO_ERR_RATE_LIMITED);
    assert_int_equal(descovo_last_error(once)->http_status, 429);
    assert_int_equal(descovo_last_error(once)->retry_after, 60);

    /* A total-time bound shorter than Retry-After gives up without waiting. */
    o.retry.max_attempts = 5;
    o.retry.max_total_ms = 10000;
    descovo_client *hasty = descovo_client_new(&o);
    assert_non_null(hasty);
    int64_t slept = clock.slept_ms;
    assert_int_equal(descovo_create(hasty, "hasty", NULL, &aud), -1);
    assert_int_equal(descovo_last_error(hasty)->cls, DESCOVO_ERR_RATE_LIMITED);
    assert_int_equal(clock.slept_ms, slept);

    descovo_client_free(hasty);
    descovo_client_free(once);
    descovo_client_free(c);
    test_mock_stop(m);
}

/* ---- Dropped connections ---- */

#define JSON_TYPE "Content-Type: application/json\r\n"

static const fake_action drop = {NULL, NULL, NULL};
static const fake_action ok_credits = {"200 OK", JSON_TYPE,
                                       "{\"output\":{\"credits\":7},\"chargeInfo\":{\"method\":\"free\"}}"};
static const fake_action unavailable = {"503 Service Unavailable", "Retry-After: 3\r\n" JSON_TYPE,
                                        "{\"error\":{\"code\":503,\"message\":\"Try again shortly.\"}}"};
static const fake_action ok_enrich = {"200 OK", JSON_TYPE,
                                      "{\"output\":{\"enrichmentId\":\"enr_1\",\"status\":\"NOT_STARTED\","
                                      "\"estimatedCredits\":9},\"chargeInfo\":{\"method\":\"charged-now\",\"creditsCharged\":9}}"};
static const fake_action server_error = {"500 Internal Server Error", "Content-Type: text/plain\r\n", "oops"};

static void test_enrich_not_retried_after_drop(void **st)
{
    (void)st;
    fake_action drops[] = {drop};
    fake_server s;
    fake_server_start(&s, drops, 1);
    test_clock clock = {0};
    descovo_client *c = test_client_new(s.base_url, DEV_KEY, &clock);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 10);
    descovo_enrichment enr;
    assert_int_equal(descovo_enrich(c, "aud_1", &eo, &enr), -1);
    const descovo_error *err = descovo_last_error(c);
    assert_int_equal(err->cls, DESCOVO_ERR_NETWORK);
    assert_int_equal(err->attempts, 1);
    assert_true(err->curl_error[0] != '\0');
    /* build spends credits too: the same rule. */
    assert_int_equal(descovo_build(c, "aud_1", NULL), -1);
    assert_int_equal(descovo_last_error(c)->attempts, 1);
    descovo_client_free(c);
    fake_server_stop(&s);
    assert_int_equal(s.connections, 2);     /* one each: no retry */
    assert_int_equal(clock.sleeps, 0);
}

static void test_enrich_not_retried_after_500(void **st)
{
    (void)st;
    fake_action fail[] = {server_error};
    fake_server s;
    fake_server_start(&s, fail, 1);
    test_clock clock = {0};
    descovo_client *c = test_client_new(s.base_url, DEV_KEY, &clock);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 10);
    descovo_enrichment enr;
    assert_int_equal(descovo_enrich(c, "aud_1", &eo, &enr), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_SERVER);
    assert_int_equal(descovo_last_error(c)->http_status, 500);
    descovo_client_free(c);
    fake_server_stop(&s);
    assert_int_equal(s.connections, 1);
}

static void test_enrich_retried_after_503(void **st)
{
    (void)st;
    fake_action script[] = {unavailable, ok_enrich};
    fake_server s;
    fake_server_start(&s, script, 2);
    test_clock clock = {0};
    descovo_client *c = test_client_new(s.base_url, DEV_KEY, &clock);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 10);
    descovo_enrichment enr;
    if (descovo_enrich(c, "aud_1", &eo, &enr) != 0)
        fail_msg("enrich: %s", descovo_last_error(c)->message);
    assert_string_equal(enr.enrichment_id, "enr_1");
    assert_int_equal(enr.credits_charged, 9);
    assert_int_equal(descovo_last_error(c)->attempts, 2);
    assert_int_equal(clock.slept_ms, 3000);
    descovo_client_free(c);
    fake_server_stop(&s);
    assert_int_equal(s.connections, 2);
}

static void test_get_retried_after_drop(void **st)
{
    (void)st;
    fake_action script[] = {drop, server_error, ok_credits};
    fake_server s;
    fake_server_start(&s, script, 3);
    test_clock clock = {.random_value = UINT32_MAX};
    descovo_client *c = test_client_new(s.base_url, DEV_KEY, &clock);
    long long credits = 0;
    if (descovo_credits(c, &credits) != 0)
        fail_msg("credits: %s", descovo_last_error(c)->message);
    assert_int_equal(credits, 7);
    assert_int_equal(descovo_last_error(c)->attempts, 3);
    /* Backoff with jitter at its top: 499 ms, then 999 ms. */
    assert_int_equal(clock.sleeps, 2);
    assert_int_equal(clock.slept_ms, 499 + 999);
    descovo_client_free(c);
    fake_server_stop(&s);
    assert_int_equal(s.connections, 3);
}

static void test_get_gives_up(void **st)
{
    (void)st;
    fake_action drops[] = {drop};
    fake_server s;
    fake_server_start(&s, drops, 1);
    test_clock clock = {0};
    descovo_options o;
    test_client_options(&o, s.base_url, DEV_KEY, &clock);
    o.retry.max_attempts = 4;
    descovo_client *c = descovo_client_new(&o);
    assert_non_null(c);
    long long credits = 0;
    assert_int_equal(descovo_credits(c, &credits), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_NETWORK);
    assert_int_equal(descovo_last_error(c)->attempts, 4);
    descovo_client_free(c);
    fake_server_stop(&s);
    assert_int_equal(s.connections, 4);
}

/* ---- Polling through the in-progress statuses ---- */

static void with_stages(mock_options *o)
{
    o->build_stages = 1;
}

typedef struct seen {
    char statuses[16][64];
    int n;
    int last_percent;
    int monotonic;
} seen;

static void record(void *ctx, const char *status, int percent, int64_t elapsed_ms)
{
    seen *s = ctx;
    (void)elapsed_ms;
    if (percent >= 0 && percent < s->last_percent)
        s->monotonic = 0;
    s->last_percent = percent;
    if (s->n > 0 && strcmp(s->statuses[s->n - 1], status) == 0)
        return;
    if (s->n < 16)
        snprintf(s->statuses[s->n++], sizeof s->statuses[0], "%s", status);
}

static int saw(const seen *s, const char *status)
{
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->statuses[i], status) == 0)
            return 1;
    }
    return 0;
}

static void test_polling_stages(void **st)
{
    (void)st;
    test_mock *m = test_mock_start(with_stages);
    test_clock clock = {.mock = m};
    descovo_client *c = test_client_new(m->base_url, DEV_KEY, &clock);
    descovo_audience aud;
    assert_int_equal(descovo_create(c, "stages", NULL, &aud), 0);
    json_t *company = json_pack("{s:[s]}", "headquartersCountryCode", "US");
    assert_int_equal(descovo_set_search_params(c, aud.id, company, NULL, 0, 0), 0);
    json_decref(company);
    assert_int_equal(descovo_build(c, aud.id, NULL), 0);

    /* A timeout shorter than the build gives up in simulated time. */
    descovo_wait_options w;
    descovo_wait_options_init(&w);
    w.interval_ms = 250;
    w.timeout_ms = 1000;
    assert_int_equal(descovo_wait_build(c, aud.id, &w, NULL), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_TIMEOUT);
    assert_int_equal(clock.slept_ms, 1000);

    seen s = {.last_percent = -1, .monotonic = 1};
    w.timeout_ms = 600000;
    w.progress = record;
    w.progress_ctx = &s;
    if (descovo_wait_build(c, aud.id, &w, &aud) != 0)
        fail_msg("wait: %s", descovo_last_error(c)->message);
    assert_string_equal(aud.status, "NORMAL");
    assert_true(saw(&s, "SAVING_COMPANIES"));
    assert_true(saw(&s, "SAVING_PROSPECTS"));
    assert_true(saw(&s, "LINKING_PROSPECTS_WITH_COMPANIES"));
    assert_string_equal(s.statuses[s.n - 1], "NORMAL");

    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 10);
    descovo_enrichment enr;
    assert_int_equal(descovo_enrich(c, aud.id, &eo, &enr), 0);
    seen e = {.last_percent = -1, .monotonic = 1};
    w.progress_ctx = &e;
    w.interval_ms = 1000;
    descovo_enrichment_progress prog;
    if (descovo_wait_enrichment(c, aud.id, &w, &prog) != 0)
        fail_msg("wait enrichment: %s", descovo_last_error(c)->message);
    assert_string_equal(prog.current_stage, "DONE");
    assert_true(e.n >= 4);
    assert_true(e.monotonic);
    assert_int_equal(e.last_percent, 100);

    descovo_client_free(c);
    test_mock_stop(m);
}

/* libcurl resends, on its own, a request whose reused connection closes
 * before any answer byte. An enrich the server processed and whose answer
 * was lost must not go out twice: unsafe requests use a new connection. */
static void test_enrich_not_resent_on_reused_connection(void **st)
{
    (void)st;
    test_mock *m = test_mock_start(NULL);
    test_clock clock = {.mock = m};
    descovo_client *c = test_client_new(m->base_url, DEV_KEY, &clock);
    descovo_audience aud;
    assert_int_equal(descovo_create(c, "resend", NULL, &aud), 0);
    json_t *company = json_pack("{s:[s]}", "headquartersCountryCode", "US");
    assert_int_equal(descovo_set_search_params(c, aud.id, company, NULL, 5, 20), 0);
    json_decref(company);
    assert_int_equal(descovo_build(c, aud.id, NULL), 0);
    assert_int_equal(descovo_wait_build(c, aud.id, NULL, &aud), 0);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 10);
    descovo_estimate est;
    assert_int_equal(descovo_estimate_enrichment(c, aud.id, &eo, &est), 0);
    assert_true(est.total_credits > 0);
    long long before = 0;
    assert_int_equal(descovo_credits(c, &before), 0); /* leaves a kept-alive connection */

    char err[256];
    json_t *rule = json_pack("{s:{s:s}, s:i, s:{s:s, s:s}}", "match", "path", "/v1/audiences/*/enrich",
                             "times", 1, "action", "type", "drop", "when", "after");
    json_t *added = faults_add(mock_app_faults(m->app), rule, err, sizeof err);
    assert_non_null(added);
    json_decref(added);
    json_decref(rule);

    descovo_enrichment enr;
    assert_int_equal(descovo_enrich(c, aud.id, &eo, &enr), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_NETWORK);
    assert_int_equal(descovo_last_error(c)->attempts, 1);
    journal_filter filter = {.path = "/v1/audiences/*/enrich", .status = -1};
    json_t *seen = journal_query(mock_app_journal(m->app), &filter);
    assert_int_equal(json_integer_value(json_object_get(seen, "count")), 1);
    json_decref(seen);
    long long after = 0;
    assert_int_equal(descovo_credits(c, &after), 0);
    assert_int_equal(after, before - est.total_credits); /* charged once */

    descovo_client_free(c);
    test_mock_stop(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_backoff_and_jitter),
        cmocka_unit_test(test_which_failures_retry),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_rate_limit_storm),
        cmocka_unit_test(test_enrich_not_retried_after_drop),
        cmocka_unit_test(test_enrich_not_retried_after_500),
        cmocka_unit_test(test_enrich_retried_after_503),
        cmocka_unit_test(test_get_retried_after_drop),
        cmocka_unit_test(test_get_gives_up),
        cmocka_unit_test(test_polling_stages),
        cmocka_unit_test(test_enrich_not_resent_on_reused_connection),
    };
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    int failed = cmocka_run_group_tests_name("client_retry", tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
