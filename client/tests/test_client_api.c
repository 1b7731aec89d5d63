/* libdescovo against an in-process descovo-mock: every endpoint, the
 * download, and every error class. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

typedef struct state {
    test_mock *mock;
    test_clock clock;
    descovo_client *c;        /* DEV_KEY, test clock advancing the mock */
} state;

static const char company_filters[] = "{\"headquartersCountryCode\":[\"US\",\"GB\",\"DE\"],"
                                      "\"employeeCountV2\":{\"min\":10,\"max\":5000}}";
static const char prospect_filters[] = "{\"yearsOfExperience\":{\"min\":1,\"max\":40}}";

static int group_setup(void **st)
{
    state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->mock = test_mock_start(NULL);
    *st = s;
    return 0;
}

static int group_teardown(void **st)
{
    state *s = *st;
    test_mock_stop(s->mock);
    free(s);
    return 0;
}

/* Every test starts from a reset server and a fresh client and clock. */
static int setup(void **st)
{
    state *s = *st;
    test_mock_reset(s->mock);
    memset(&s->clock, 0, sizeof s->clock);
    s->clock.mock = s->mock;
    s->c = test_client_new(s->mock->base_url, DEV_KEY, &s->clock);
    return 0;
}

static int teardown(void **st)
{
    state *s = *st;
    descovo_client_free(s->c);
    s->c = NULL;
    return 0;
}

static void expect_ok(descovo_client *c, int rc)
{
    if (rc != 0)
        fail_msg("call failed: %s: %s", descovo_error_class_name(descovo_last_error(c)->cls),
                 descovo_last_error(c)->message);
}

static void expect_error(descovo_client *c, int rc, descovo_error_class cls, long status)
{
    const descovo_error *err = descovo_last_error(c);
    assert_int_equal(rc, -1);
    if (err->cls != cls)
        fail_msg("expected %s, got %s (HTTP %ld: %s)", descovo_error_class_name(cls),
                 descovo_error_class_name(err->cls), err->http_status, err->message);
    assert_int_equal(err->http_status, status);
    assert_true(err->message[0] != '\0');
}

/* Creates, filters (small caps) and builds an audience with key c. */
static void built_audience(state *s, descovo_client *c, long max_companies, long max_prospects,
                           char id[DESCOVO_ID_MAX])
{
    descovo_audience aud;
    expect_ok(c, descovo_create(c, "built", NULL, &aud));
    snprintf(id, DESCOVO_ID_MAX, "%s", aud.id);
    json_t *company = json_loads(company_filters, 0, NULL);
    json_t *prospect = json_loads(prospect_filters, 0, NULL);
    expect_ok(c, descovo_set_search_params(c, id, company, prospect, max_companies, max_prospects));
    json_decref(company);
    json_decref(prospect);
    expect_ok(c, descovo_build(c, id, NULL));
    descovo_wait_options w;
    descovo_wait_options_init(&w);
    w.interval_ms = 1000;
    expect_ok(c, descovo_wait_build(c, id, &w, &aud));
    assert_string_equal(aud.status, "NORMAL");
    (void)s;
}

static long count_lines(const char *path, char *header, size_t header_size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[65536];
    long n = 0;
    int in_quotes = 0;
    header[0] = '\0';
    /* Records end at a newline outside quotes; fields may hold newlines. */
    while (fgets(line, sizeof line, f) != NULL) {
        if (n == 0 && !in_quotes && header[0] == '\0') {
            size_t len = strlen(line) < header_size - 1 ? strlen(line) : header_size - 1;
            memcpy(header, line, len);
            header[len] = '\0';
        }
        for (const char *p = line; *p != '\0'; p++) {
            if (*p == '"')
                in_quotes = !in_quotes;
            else if (*p == '\n' && !in_quotes)
                n++;
        }
    }
    fclose(f);
    return n;
}

/* The nine steps, credits, list, pages, archive and the download. */
static void test_every_endpoint(void **st)
{
    state *s = *st;
    descovo_client *c = s->c;
    long long credits0 = 0;
    expect_ok(c, descovo_credits(c, &credits0));
    assert_int_equal(credits0, 50000);

    descovo_audience aud;
    expect_ok(c, descovo_create(c, "AI VPs in US", "NORMAL", &aud));
    assert_string_equal(aud.status, "DRAFT");
    assert_string_equal(aud.name, "AI VPs in US");
    assert_string_equal(aud.creation_method, "NORMAL");
    assert_int_equal(aud.companies_count, -1);
    char id[DESCOVO_ID_MAX];
    snprintf(id, sizeof id, "%s", aud.id);

    json_t *company = json_loads(company_filters, 0, NULL);
    json_t *prospect = json_loads(prospect_filters, 0, NULL);
    expect_ok(c, descovo_set_search_params(c, id, company, prospect, 40, 150));
    json_decref(company);
    json_decref(prospect);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(descovo_last_response(c), "output"),
                                                        "maxCompanies")), 40);

    char status[DESCOVO_STATUS_MAX];
    expect_ok(c, descovo_build(c, id, status));
    assert_string_equal(status, "BUILDING");
    expect_ok(c, descovo_status(c, id, &aud));
    assert_true(descovo_status_is_building(aud.status));
    descovo_wait_options w;
    descovo_wait_options_init(&w);
    w.interval_ms = 500;
    expect_ok(c, descovo_wait_build(c, id, &w, &aud));
    assert_string_equal(aud.status, "NORMAL");
    assert_true(aud.companies_count > 0 && aud.companies_count <= 40);
    assert_true(aud.prospects_count > 0 && aud.prospects_count <= 150);
    assert_true(aud.building_finished_at[0] != '\0');
    assert_true(s->clock.slept_ms >= 2000);  /* waited through the injected sleep */

    long long credits1 = 0;
    expect_ok(c, descovo_credits(c, &credits1));
    assert_int_equal(credits1, credits0 - aud.companies_count - aud.prospects_count);

    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 20);
    eo.personal_emails = 0;
    descovo_estimate est;
    expect_ok(c, descovo_estimate_enrichment(c, id, &eo, &est));
    assert_true(est.total_credits > 0);
    assert_true(est.time_seconds > 0);

    descovo_enrichment enr;
    expect_ok(c, descovo_enrich(c, id, &eo, &enr));
    assert_string_equal(enr.status, "NOT_STARTED");
    assert_int_equal(enr.estimated_credits, est.total_credits);
    assert_int_equal(enr.credits_charged, est.total_credits);
    long long credits2 = 0;
    expect_ok(c, descovo_credits(c, &credits2));
    assert_int_equal(credits2, credits1 - est.total_credits);

    descovo_enrichment_progress prog;
    expect_ok(c, descovo_enrichment_status(c, id, &prog));
    assert_string_equal(prog.enrichment_id, enr.enrichment_id);
    assert_true(prog.progress_percent < 100);
    expect_ok(c, descovo_wait_enrichment(c, id, &w, &prog));
    assert_string_equal(prog.current_stage, "DONE");
    assert_int_equal(prog.progress_percent, 100);
    assert_true(prog.completed_at[0] != '\0');

    descovo_export exp;
    expect_ok(c, descovo_export_companies(c, id, NULL, &exp));
    assert_int_equal(exp.estimated_rows, aud.companies_count);
    assert_string_equal(exp.format, "COMPANY_GENERIC_CSV");
    assert_true(strncmp(exp.download_url, "http://", 7) == 0);

    char dir[] = "/tmp/descovo-client-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    char header[4096];
    long long bytes = 0;
    snprintf(path, sizeof path, "%s/companies.csv", dir);
    expect_ok(c, descovo_download(c, exp.download_url, path, &bytes));
    assert_true(bytes > 0);
    assert_int_equal(count_lines(path, header, sizeof header), exp.estimated_rows + 1);
    assert_true(strncmp(header, "descovo_id,", 11) == 0);
    unlink(path);

    const char *exclude[] = {"email"};
    descovo_export_options xo = {.max_rows = 5, .exclude_fields = exclude, .n_exclude_fields = 0,
                                 .only_with_contacts = 1};
    expect_ok(c, descovo_export_prospects(c, id, &xo, &exp));
    assert_true(exp.estimated_rows > 0 && exp.estimated_rows <= 5);
    assert_string_equal(exp.format, "PROSPECT_GENERIC_CSV");
    snprintf(path, sizeof path, "%s/prospects.csv", dir);
    expect_ok(c, descovo_download(c, exp.download_url, path, NULL));
    assert_int_equal(count_lines(path, header, sizeof header), exp.estimated_rows + 1);
    unlink(path);
    rmdir(dir);

    json_t *page = descovo_companies_page(c, id, NULL, 3);
    assert_non_null(page);
    assert_int_equal(json_array_size(json_object_get(page, "companies")), 3);
    const char *cursor = json_string_value(json_object_get(page, "nextCursor"));
    assert_non_null(cursor);
    json_t *page2 = descovo_companies_page(c, id, cursor, 3);
    assert_non_null(page2);
    assert_int_equal(json_integer_value(json_object_get(page2, "totalCount")), aud.companies_count);
    json_decref(page);
    json_decref(page2);
    page = descovo_prospects_page(c, id, NULL, 0);
    assert_non_null(page);
    assert_int_equal(json_integer_value(json_object_get(page, "totalCount")), aud.prospects_count);
    json_decref(page);

    json_t *list = descovo_list(c);
    assert_non_null(list);
    assert_int_equal(json_integer_value(json_object_get(list, "totalCount")), 1);
    json_decref(list);
    expect_ok(c, descovo_archive(c, id));
    list = descovo_list(c);
    assert_non_null(list);
    assert_int_equal(json_integer_value(json_object_get(list, "totalCount")), 0);
    json_decref(list);
}

static void test_error_auth(void **st)
{
    state *s = *st;
    descovo_client *bad = test_client_new(s->mock->base_url, "nope_not_a_key", &s->clock);
    long long credits = 0;
    expect_error(bad, descovo_credits(bad, &credits), DESCOVO_ERR_AUTH, 401);
    assert_string_equal(descovo_last_error(bad)->message, "Invalid API key.");
    assert_int_equal(descovo_last_error(bad)->attempts, 1);
    descovo_audience aud;
    expect_error(bad, descovo_create(bad, "x", NULL, &aud), DESCOVO_ERR_AUTH, 401);
    descovo_client_free(bad);

    descovo_client *nokey = test_client_new(s->mock->base_url, NULL, &s->clock);
    assert_int_equal(descovo_credits(nokey, &credits), -1);
    assert_int_equal(descovo_last_error(nokey)->cls, DESCOVO_ERR_AUTH);
    descovo_client_free(nokey);
}

static void test_error_not_found(void **st)
{
    state *s = *st;
    descovo_audience aud;
    expect_error(s->c, descovo_status(s->c, "aud_does_not_exist", &aud), DESCOVO_ERR_NOT_FOUND, 404);
    /* Another key's audience is not found either. */
    expect_ok(s->c, descovo_create(s->c, "mine", NULL, &aud));
    descovo_client *other = test_client_new(s->mock->base_url, OTHER_KEY, &s->clock);
    descovo_audience seen;
    expect_error(other, descovo_status(other, aud.id, &seen), DESCOVO_ERR_NOT_FOUND, 404);
    descovo_client_free(other);
}

static void test_error_invalid_state(void **st)
{
    state *s = *st;
    descovo_client *c = s->c;
    descovo_audience aud;
    expect_ok(c, descovo_create(c, "out of order", NULL, &aud));
    /* Build before filters, estimate and export before a build. */
    expect_error(c, descovo_build(c, aud.id, NULL), DESCOVO_ERR_INVALID_STATE, 400);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 5);
    descovo_estimate est;
    expect_error(c, descovo_estimate_enrichment(c, aud.id, &eo, &est), DESCOVO_ERR_INVALID_STATE, 400);
    descovo_export exp;
    expect_error(c, descovo_export_companies(c, aud.id, NULL, &exp), DESCOVO_ERR_INVALID_STATE, 400);
    descovo_enrichment_progress prog;
    expect_error(c, descovo_enrichment_status(c, aud.id, &prog), DESCOVO_ERR_INVALID_STATE, 400);
    /* Waiting on a DRAFT audience is an error, not a hang. */
    expect_error(c, descovo_wait_build(c, aud.id, NULL, NULL), DESCOVO_ERR_INVALID_STATE, 0);
    /* A second build of a built audience. */
    char id[DESCOVO_ID_MAX];
    built_audience(s, c, 5, 5, id);
    expect_error(c, descovo_build(c, id, NULL), DESCOVO_ERR_INVALID_STATE, 400);
    expect_error(c, descovo_set_search_params(c, id, NULL, NULL, 1, 1), DESCOVO_ERR_INVALID_STATE, 400);
}

static void test_error_validation(void **st)
{
    state *s = *st;
    descovo_client *c = s->c;
    descovo_audience aud;
    expect_error(c, descovo_create(c, "", NULL, &aud), DESCOVO_ERR_VALIDATION, 400);
    expect_error(c, descovo_create(c, "x", "SIDEWAYS", &aud), DESCOVO_ERR_VALIDATION, 400);
    char id[DESCOVO_ID_MAX];
    built_audience(s, c, 5, 5, id);
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 0);  /* maxProspectsToEnrich must be > 0 */
    descovo_estimate est;
    expect_error(c, descovo_estimate_enrichment(c, id, &eo, &est), DESCOVO_ERR_VALIDATION, 400);
    const char *exclude[] = {"no_such_column"};
    descovo_export_options xo = {.exclude_fields = exclude, .n_exclude_fields = 1};
    descovo_export exp;
    expect_error(c, descovo_export_companies(c, id, &xo, &exp), DESCOVO_ERR_VALIDATION, 400);
    /* Usage errors are caught before any request. */
    expect_error(c, descovo_status(c, "", &aud), DESCOVO_ERR_USAGE, 0);
    assert_int_equal(descovo_last_error(c)->attempts, 0);
}

static void test_error_credits(void **st)
{
    state *s = *st;
    descovo_client *poor = test_client_new(s->mock->base_url, POOR_KEY, &s->clock);
    char id[DESCOVO_ID_MAX];
    built_audience(s, poor, 3, 5, id);
    long long balance = 0;
    expect_ok(poor, descovo_credits(poor, &balance));
    descovo_enrich_options eo;
    descovo_enrich_options_init(&eo, 5);
    descovo_estimate est;
    expect_ok(poor, descovo_estimate_enrichment(poor, id, &eo, &est));
    assert_true(est.total_credits > balance);
    descovo_enrichment enr;
    expect_error(poor, descovo_enrich(poor, id, &eo, &enr), DESCOVO_ERR_CREDITS, 402);
    const json_t *alert = json_object_get(json_object_get(descovo_last_response(poor), "error"), "outOfCreditsAlert");
    assert_non_null(alert);
    long long after = 0;
    expect_ok(poor, descovo_credits(poor, &after));
    assert_int_equal(after, balance);
    descovo_client_free(poor);
}

static void test_error_quota(void **st)
{
    state *s = *st;
    char id[DESCOVO_ID_MAX];
    built_audience(s, s->c, 5, 5, id);
    test_mock_put_account(s->mock, DEV_KEY, "{\"exportQuota\":0}");
    descovo_export exp;
    expect_error(s->c, descovo_export_prospects(s->c, id, NULL, &exp), DESCOVO_ERR_QUOTA, 403);
    assert_int_equal(descovo_last_error(s->c)->attempts, 1);
}

static void test_error_network(void **st)
{
    state *s = *st;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", test_closed_port());
    descovo_options o;
    test_client_options(&o, url, DEV_KEY, &s->clock);
    s->clock.mock = NULL;
    o.retry.max_attempts = 3;
    descovo_client *c = descovo_client_new(&o);
    assert_non_null(c);
    long long credits = 0;
    expect_error(c, descovo_credits(c, &credits), DESCOVO_ERR_NETWORK, 0);
    const descovo_error *err = descovo_last_error(c);
    assert_int_equal(err->curl_code, 7);       /* CURLE_COULDNT_CONNECT */
    assert_true(err->curl_error[0] != '\0');
    /* Nothing was sent: retried, even for a request that spends credits. */
    assert_int_equal(err->attempts, 3);
    assert_int_equal(descovo_build(c, "aud_x", NULL), -1);
    assert_int_equal(descovo_last_error(c)->attempts, 3);
    descovo_client_free(c);
}


/* Events seen by a test: the last few, copied. */
typedef struct event_log {
    int responses, retries, give_ups;
    char last_path[256];
    char retry_reason[128];
    int64_t retry_delay;
    int saw_warning;
    int saw_key;
} event_log;

static void record_event(void *ctx, const descovo_event *ev)
{
    event_log *l = ctx;
    if (strstr(ev->path, DEV_KEY) != NULL)
        l->saw_key = 1;
    if (ev->kind == DESCOVO_EVENT_RESPONSE) {
        l->responses++;
        snprintf(l->last_path, sizeof l->last_path, "%s", ev->path);
        if (ev->warnings != NULL && json_array_size(ev->warnings) > 0)
            l->saw_warning = 1;
    } else if (ev->kind == DESCOVO_EVENT_RETRY) {
        l->retries++;
        l->retry_delay = ev->delay_ms;
        snprintf(l->retry_reason, sizeof l->retry_reason, "%s", ev->reason);
    } else {
        l->give_ups++;
    }
}

static void post_fault(state *s, const char *json)
{
    json_t *body = json_loads(json, 0, NULL);
    assert_non_null(body);
    json_t *answer = descovo_request(s->mock->control, "POST", "/_mock/faults", body);
    assert_non_null(answer);
    json_decref(answer);
    json_decref(body);
}

/* on_event: every attempt (path without the key), retries with their wait
 * and reason, the answer's warnings. */
static void test_events(void **st)
{
    state *s = *st;
    event_log log;
    memset(&log, 0, sizeof log);
    descovo_options o;
    test_client_options(&o, s->mock->base_url, DEV_KEY, &s->clock);
    o.on_event = record_event;
    o.event_ctx = &log;
    descovo_client *c = descovo_client_new(&o);
    assert_non_null(c);
    long long credits = 0;
    assert_int_equal(descovo_credits(c, &credits), 0);
    assert_int_equal(log.responses, 1);
    assert_string_equal(log.last_path, "/v1/credits");
    post_fault(s, "{\"match\":{\"path\":\"/v1/credits\"},\"times\":1,"
                  "\"action\":{\"type\":\"status\",\"status\":503,\"retryAfter\":3}}");
    assert_int_equal(descovo_credits(c, &credits), 0);
    assert_int_equal(log.retries, 1);
    assert_true(log.retry_delay >= 3000);
    assert_string_equal(log.retry_reason, "the service did not process it");
    descovo_audience aud;
    assert_int_equal(descovo_create(c, "events", NULL, &aud), 0);
    json_t *f = json_pack("{s:[s], s:{s:i}}", "headquartersCountryCode", "US", "revenueUSD", "min", 1);
    assert_int_equal(descovo_set_search_params(c, aud.id, f, NULL, 5, 5), 0);
    json_decref(f);
    assert_true(log.saw_warning);
    assert_int_equal(descovo_status(c, "aud_missing", &aud), -1);
    assert_int_equal(log.give_ups, 1);
    assert_false(log.saw_key);
    descovo_client_free(c);
}

/* Polls are never closer than the endpoint's per-minute limit allows. */
static void test_poll_floor(void **st)
{
    state *s = *st;
    descovo_audience aud;
    json_t *f = json_pack("{s:[s]}", "headquartersCountryCode", "US");
    assert_int_equal(descovo_create(s->c, "floor", NULL, &aud), 0);
    assert_int_equal(descovo_set_search_params(s->c, aud.id, f, NULL, 30, 60), 0);
    json_decref(f);
    assert_int_equal(descovo_build(s->c, aud.id, NULL), 0);
    descovo_wait_options w;
    descovo_wait_options_init(&w);
    w.interval_ms = 1;
    s->clock.sleeps = 0;
    assert_int_equal(descovo_wait_build(s->c, aud.id, &w, &aud), 0);
    assert_true(s->clock.sleeps > 0);
    assert_true(s->clock.slept_ms >= (int64_t)s->clock.sleeps * DESCOVO_STATUS_MIN_INTERVAL_MS);
}

static void configure_real(mock_options *o)
{
    o->clock_mode = MOCK_CLOCK_REAL;
}

/* mock_clock: waits move the manual clock; anything but a manual-clock
 * mock is refused after one health check, and nothing else is sent. */
static void test_mock_clock_option(void **st)
{
    state *s = *st;
    assert_int_equal(descovo_global_init(), 0);
    descovo_options o;
    descovo_options_init(&o);
    o.api_key = DEV_KEY;
    o.base_url = s->mock->base_url;
    o.mock_clock = 1;
    descovo_client *c = descovo_client_new(&o);
    assert_non_null(c);
    descovo_audience aud;
    json_t *f = json_pack("{s:[s]}", "headquartersCountryCode", "US");
    assert_int_equal(descovo_create(c, "mock clock", NULL, &aud), 0);
    assert_int_equal(descovo_set_search_params(c, aud.id, f, NULL, 20, 40), 0);
    json_decref(f);
    assert_int_equal(descovo_build(c, aud.id, NULL), 0);
    /* Real time would take seconds of sleeping; the manual clock none. */
    assert_int_equal(descovo_wait_build(c, aud.id, NULL, &aud), 0);
    assert_string_equal(aud.status, "NORMAL");
    descovo_client_free(c);
    descovo_global_cleanup();

    static const fake_action not_found[] = {{"404 Not Found", NULL, "{\"error\":{\"code\":404,\"message\":\"no\"}}"}};
    fake_server fake;
    fake_server_start(&fake, not_found, 1);
    o.base_url = fake.base_url;
    c = descovo_client_new(&o);
    long long credits = 0;
    assert_int_equal(descovo_credits(c, &credits), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_NOT_A_MOCK);
    assert_int_equal(descovo_credits(c, &credits), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_NOT_A_MOCK);
    descovo_client_free(c);
    fake_server_stop(&fake);
    assert_int_equal(fake.connections, 1);

    test_mock *real = test_mock_start(configure_real);
    o.base_url = real->base_url;
    c = descovo_client_new(&o);
    assert_int_equal(descovo_credits(c, &credits), -1);
    assert_int_equal(descovo_last_error(c)->cls, DESCOVO_ERR_NOT_A_MOCK);
    assert_non_null(strstr(descovo_last_error(c)->message, "real clock"));
    descovo_client_free(c);
    test_mock_stop(real);
}

static void test_free_null(void **st)
{
    (void)st;
    descovo_client_free(NULL);
    assert_int_equal(descovo_last_error(NULL)->cls, DESCOVO_ERR_USAGE);
    assert_null(descovo_last_response(NULL));
    assert_int_equal(descovo_credits(NULL, NULL), -1);
    assert_string_equal(descovo_error_class_name(DESCOVO_ERR_QUOTA), "quota");
    assert_string_equal(descovo_error_class_name((descovo_error_class)999), "unknown");
    assert_true(descovo_status_is_building("SAVING_PROSPECTS"));
    assert_true(descovo_status_is_building("LINKING_PROSPECTS_WITH_COMPANIES"));
    assert_true(descovo_status_is_building("HEALING_COMPANIES"));
    assert_false(descovo_status_is_building("NORMAL"));
    assert_false(descovo_status_is_building(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_invalid_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_credits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_network, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_clock_option, setup, teardown),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests_name("client_api", tests, group_setup, group_teardown);
}
