/* fleet_workflow: a tenant's requests, with a scripted send function in
 * place of the network. Against answers like the mock's, the real mode
 * runs whole workflows with exact balances; against answers like
 * descovo-bench-bare's (one fixed body for everything), the real mode
 * fails and the floor mode sends the very same requests (methods, URLs
 * with their query strings, bodies, byte for byte once the mock's ids are
 * read as the floor's placeholders), takes any 2xx and counts anything
 * else as an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fleet_workflow.h"

#define BASE "http://127.0.0.1:9"
/* Ids as the mock makes them (a real run's). */
#define MOCK_AUDIENCE "aud_f9c8ef0e2dcf65ce"
#define MOCK_COMPANIES_CSV "/v1/exports/exp_4cbeecca5e76edac71f33b593ddd1c97"
#define MOCK_PROSPECTS_CSV "/v1/exports/exp_70d2a11d826c0e0180c3a8e6871459dc"
#define START_CREDITS 100000
#define BUILD_COST 60      /* companiesCount + prospectsCount */
#define ENRICH_COST 35

typedef enum server_kind { LIKE_MOCK, LIKE_BARE } server_kind;

/* The scripted server: what it answers, and every request it was sent. */
typedef struct script {
    server_kind kind;
    long bare_status;          /* LIKE_BARE: the status of every answer */
    fw_endpoint fail_ep;       /* LIKE_BARE: this endpoint answers 500 ... */
    int fail_on;               /* ... when non-zero */
    int64_t balance;           /* LIKE_MOCK */
    char answer[512];
    char log[16384];           /* "METHOD URL BODY\n" per request */
    size_t log_len;
    int requests;
    int resets;
} script;

static void log_request(script *s, const char *method, const char *url, const char *body)
{
    int n = snprintf(s->log + s->log_len, sizeof s->log - s->log_len, "%s %s %s\n", method, url,
                     body != NULL ? body : "-");
    assert_true(n > 0 && (size_t)n < sizeof s->log - s->log_len);
    s->log_len += (size_t)n;
    s->requests++;
}

/* What the mock says to each endpoint, enough for the real mode. */
static const char *mock_answer(script *s, fw_endpoint ep)
{
    switch (ep) {
    case FW_CREATE:
        return "{\"output\":{\"audienceId\":\"" MOCK_AUDIENCE "\",\"status\":\"DRAFT\"}}";
    case FW_STATUS:
        s->balance -= BUILD_COST;
        return "{\"output\":{\"status\":\"NORMAL\",\"companiesCount\":20,\"prospectsCount\":40}}";
    case FW_ESTIMATE:
        return "{\"output\":{\"totalCredits\":35}}";
    case FW_ENRICH:
        s->balance -= ENRICH_COST;
        return "{\"output\":{\"status\":\"ENRICHING\"},\"chargeInfo\":{\"creditsCharged\":35}}";
    case FW_ENRICH_STATUS:
        return "{\"output\":{\"currentStage\":\"DONE\"}}";
    case FW_EXPORT_COMPANIES:
        return "{\"output\":{\"downloadUrl\":\"" BASE MOCK_COMPANIES_CSV "\"}}";
    case FW_EXPORT_PROSPECTS:
        return "{\"output\":{\"downloadUrl\":\"" BASE MOCK_PROSPECTS_CSV "\"}}";
    case FW_DOWNLOAD_COMPANIES:
    case FW_DOWNLOAD_PROSPECTS:
        return "id,name\n1,a\n";
    case FW_RESET:
    case FW_SETUP:
        s->balance = START_CREDITS;
        return "{\"output\":{}}";
    case FW_CREDITS:
        snprintf(s->answer, sizeof s->answer, "{\"output\":{\"credits\":%lld}}", (long long)s->balance);
        return s->answer;
    default:
        return "{\"output\":{}}";
    }
}

static int scripted_send(void *ctx, fw_endpoint ep, const char *method, const char *url, const char *body,
                         fw_reply *r, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    script *s = ctx;
    log_request(s, method, url, body);
    s->resets += ep == FW_RESET;
    if (s->kind == LIKE_MOCK) {
        r->status = 200;
        r->body = mock_answer(s, ep);
    } else {
        r->status = s->fail_on && ep == s->fail_ep ? 500 : s->bare_status;
        r->body = "{\"output\":{\"pad\":\"xxxxxxxxxxxxxxxx\"}}";
    }
    r->len = strlen(r->body);
    return 0;
}

/* Replaces every `from` in text by `to` (of the same length). */
static void replace_all(char *text, const char *from, const char *to)
{
    size_t n = strlen(from);
    assert_int_equal(n, strlen(to));
    for (char *p = strstr(text, from); p != NULL; p = strstr(p + n, from))
        memcpy(p, to, n);
}

/* Tenant 3 of o against s, started. */
static void start_tenant(const fw_options *o, script *s, fw_tenant *t)
{
    assert_int_equal(fw_tenant_init(t, o, 3, scripted_send, s), 0);
    assert_int_equal(fw_start(t), 0);
}

/* A tenant's start, `loops` workflows and its end against s. */
static void run_tenant(const fw_options *o, script *s, int loops, fw_tenant *t)
{
    start_tenant(o, s, t);
    for (int i = 0; i < loops; i++)
        assert_int_equal(fw_loop(t), 0);
    fw_finish(t);
}

/* The real mode against the mock and the floor against the bare server,
 * with options o: same requests; returns how many each sent. */
static int same_requests(fw_options o, int loops)
{
    script mock = {.kind = LIKE_MOCK, .balance = START_CREDITS};
    script bare = {.kind = LIKE_BARE, .bare_status = 200};
    fw_tenant real, floor;

    o.floor = 0;
    run_tenant(&o, &mock, loops, &real);
    assert_int_equal(real.errors, 0);
    assert_int_equal(real.workflows, (uint64_t)loops);
    assert_true(real.checked > 0);
    assert_int_equal(real.exact, real.checked);

    o.floor = 1;
    run_tenant(&o, &bare, loops, &floor);
    assert_int_equal(floor.errors, 0);
    assert_int_equal(floor.workflows, (uint64_t)loops);
    assert_int_equal(floor.checked, 0);

    replace_all(mock.log, MOCK_AUDIENCE, FW_FLOOR_AUDIENCE);
    replace_all(mock.log, MOCK_COMPANIES_CSV, FW_FLOOR_COMPANIES_CSV);
    replace_all(mock.log, MOCK_PROSPECTS_CSV, FW_FLOOR_PROSPECTS_CSV);
    assert_int_equal(bare.requests, mock.requests);
    assert_string_equal(bare.log, mock.log);
    fw_tenant_free(&real);
    fw_tenant_free(&floor);
    return bare.requests;
}

static void test_floor_sends_the_workflows_requests(void **state)
{
    (void)state;
    fw_options o = {.url = BASE, .prefix = "sk_test_w_", .reset_every = 2};
    /* Two workflows of 13 requests; the balance read at the start, checked
     * before the reset and read after it, and checked at the end. */
    assert_int_equal(same_requests(o, 2), 1 + 13 + 13 + 3 + 1);
}

static void test_floor_with_keys_by_put_and_the_global_clock(void **state)
{
    (void)state;
    fw_options o = {.url = BASE, .prefix = "sk_test_w_", .fresh_keys = 1, .setup_put = 1, .global_clock = 1};
    /* A new key (PUT, then its balance) after each workflow. */
    assert_int_equal(same_requests(o, 2), 2 + (13 + 1 + 2) * 2 + 1);
}

static void test_the_real_mode_cannot_run_on_the_bare_server(void **state)
{
    (void)state;
    fw_options o = {.url = BASE, .prefix = "sk_test_w_"};
    script bare = {.kind = LIKE_BARE, .bare_status = 200};
    fw_tenant t;
    start_tenant(&o, &bare, &t);
    assert_int_equal(fw_loop(&t), 0);
    assert_int_equal(t.workflows, 0);
    assert_true(t.errors > 0);
    fw_tenant_free(&t);
}

static void test_floor_takes_any_2xx_and_nothing_else(void **state)
{
    (void)state;
    fw_options o = {.url = BASE, .prefix = "sk_test_w_", .floor = 1};
    script bare = {.kind = LIKE_BARE, .bare_status = 204};
    fw_tenant t;
    start_tenant(&o, &bare, &t);
    assert_int_equal(fw_loop(&t), 0);
    assert_int_equal(t.workflows, 1);
    assert_int_equal(t.errors, 0);

    /* A 500 on the build: that workflow is an error, and the tenant reads
     * its balance anew and goes on. */
    bare.fail_ep = FW_BUILD;
    bare.fail_on = 1;
    int before = bare.requests;
    assert_int_equal(fw_loop(&t), 0);
    assert_int_equal(t.workflows, 1);
    assert_int_equal(t.errors, 1);
    assert_int_equal(bare.requests - before, 3 + 1);
    assert_non_null(strstr(t.error_text[0], "/build: 500"));

    bare.fail_on = 0;
    bare.bare_status = 302;
    assert_int_equal(fw_loop(&t), -1);
    assert_int_equal(t.workflows, 1);
    assert_int_equal(t.errors, 3);
    fw_tenant_free(&t);
    fw_tenant_free(NULL);
}

/* After which of its first `loops` workflows tenant `index` resets:
 * after[w] is 1 when it reset after workflow w + 1; keys[w] (when not
 * NULL), 1 when it took a new key then. */
static void cycles_of(fw_options o, int index, int loops, int *after, int *keys)
{
    script mock = {.kind = LIKE_MOCK, .balance = START_CREDITS};
    fw_tenant t;
    assert_int_equal(fw_tenant_init(&t, &o, index, scripted_send, &mock), 0);
    assert_int_equal(fw_start(&t), 0);
    for (int w = 0; w < loops; w++) {
        int before = mock.resets;
        int generation = t.generation;
        mock.log_len = 0; /* only the counts are read here */
        assert_int_equal(fw_loop(&t), 0);
        after[w] = mock.resets - before;
        if (keys != NULL)
            keys[w] = t.generation - generation;
    }
    fw_finish(&t);
    assert_int_equal(t.errors, 0);
    assert_int_equal(t.exact, t.checked);
    fw_tenant_free(&t);
}

static void test_the_fleets_resets_are_spread_over_the_cycle(void **state)
{
    (void)state;
    enum { EVERY = 4, LOOPS = 12 };
    fw_options o = {.url = BASE, .prefix = "sk_test_w_", .reset_every = EVERY};
    int after[LOOPS];
    /* Tenant i first resets after EVERY - i % EVERY workflows, then every
     * EVERY: tenants 0-3 reset after 4, 3, 2 and 1, tenant 5 as tenant 1. */
    for (int index = 0; index < 6; index++) {
        cycles_of(o, index, LOOPS, after, NULL);
        int first = EVERY - index % EVERY;
        for (int w = 1; w <= LOOPS; w++)
            assert_int_equal(after[w - 1], w >= first && (w - first) % EVERY == 0);
    }
    /* In lockstep, every tenant after 4, 8 and 12. */
    o.reset_lockstep = 1;
    for (int index = 0; index < 6; index++) {
        cycles_of(o, index, LOOPS, after, NULL);
        for (int w = 1; w <= LOOPS; w++)
            assert_int_equal(after[w - 1], w % EVERY == 0);
    }
}

static void test_the_fleets_new_keys_are_spread_over_the_cycle(void **state)
{
    (void)state;
    enum { EVERY = 3, LOOPS = 9 };
    fw_options o = {.url = BASE, .prefix = "sk_test_w_", .fresh_keys = EVERY};
    int after[LOOPS], keys[LOOPS];
    /* As resets: tenant i first takes a new key after EVERY - i % EVERY
     * workflows, then every EVERY; it never resets here. */
    for (int index = 0; index < 5; index++) {
        cycles_of(o, index, LOOPS, after, keys);
        int first = EVERY - index % EVERY;
        for (int w = 1; w <= LOOPS; w++) {
            assert_int_equal(keys[w - 1], w >= first && (w - first) % EVERY == 0);
            assert_int_equal(after[w - 1], 0);
        }
    }
    /* In lockstep, every tenant after 3, 6 and 9. */
    o.reset_lockstep = 1;
    for (int index = 0; index < 5; index++) {
        cycles_of(o, index, LOOPS, after, keys);
        for (int w = 1; w <= LOOPS; w++)
            assert_int_equal(keys[w - 1], w % EVERY == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor_sends_the_workflows_requests),
        cmocka_unit_test(test_floor_with_keys_by_put_and_the_global_clock),
        cmocka_unit_test(test_the_real_mode_cannot_run_on_the_bare_server),
        cmocka_unit_test(test_floor_takes_any_2xx_and_nothing_else),
        cmocka_unit_test(test_the_fleets_resets_are_spread_over_the_cycle),
        cmocka_unit_test(test_the_fleets_new_keys_are_spread_over_the_cycle),
    };
    return cmocka_run_group_tests_name("fleet_workflow", tests, NULL, NULL);
}
