/* suite: the case runner on top of cmocka, and the run's bookkeeping. */
#include "suite.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static void record(conf_case *k, const char *prefix, const char *fmt, va_list ap)
{
    if (k->why[0] != '\0')
        return;
    int n = snprintf(k->why, sizeof k->why, "%s", prefix);
    if (n < 0 || (size_t)n >= sizeof k->why)
        return;
    vsnprintf(k->why + n, sizeof k->why - (size_t)n, fmt, ap);
}

void conf_fail_at(conf_case *k, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(k, "", fmt, ap);
    va_end(ap);
    /* Through _assert_true rather than fail_msg: cmocka 1.1.5 puts only
     * what goes through its internal error printer into the JUnit
     * <failure>, and this one also carries the caller's file and line. */
    _assert_true(0, k->why, file, line);
    abort();   /* not reached: the assertion jumps out of the case */
}

void conf_skip(conf_case *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(k, "", fmt, ap);
    va_end(ap);
    k->skipped = 1;
    skip();
    abort();   /* not reached */
}

void conf_need_mock(conf_case *k, const char *why)
{
    if (!k->ctx->target->is_mock)
        conf_skip(k, "mock only (needs the /_mock/ control plane): %s", why);
}

void conf_need_second_key(conf_case *k)
{
    if (k->ctx->target->api_key_2[0] == '\0')
        conf_skip(k, "needs a second account: set DESCOVO_API_KEY_2");
}

void conf_need_spend(conf_case *k, long long credits, const char *what)
{
    conf_target *t = k->ctx->target;
    if (t->is_mock)
        return;
    if (!t->allow_spend)
        conf_skip(k, "%s spends up to %lld credits: set DESCOVO_ALLOW_SPEND=1 to allow it", what, credits);
    if (t->reserved + credits > t->max_credits)
        conf_skip(k, "%s could spend %lld credits, past DESCOVO_MAX_CREDITS=%lld (%lld reserved so far)",
                  what, credits, t->max_credits, t->reserved);
    t->reserved += credits;
}

struct conf_cleanup {
    void (*free_fn)(void *);
    void *p;
    struct conf_cleanup *next;
};

void conf_defer(conf_case *k, void (*free_fn)(void *), void *p)
{
    struct conf_cleanup *c = malloc(sizeof *c);
    if (c == NULL) {
        free_fn(p);
        CONF_FAIL(k, "out of memory");
    }
    c->free_fn = free_fn;
    c->p = p;
    c->next = k->cleanups;
    k->cleanups = c;
}

static void response_free(void *p)
{
    wire_response_clear(p);
    free(p);
}

wire_response *conf_own(conf_case *k, wire_response *res)
{
    conf_defer(k, response_free, res);
    return res;
}

void conf_track_audience(conf_ctx *ctx, const char *key, const char *id)
{
    conf_audience_ref *grown = realloc(ctx->created, (ctx->n_created + 1) * sizeof *grown);
    if (grown == NULL)
        return;   /* only the clean-up list is shorter; the run goes on */
    ctx->created = grown;
    conf_audience_ref *ref = &ctx->created[ctx->n_created++];
    snprintf(ref->key, sizeof ref->key, "%s", key);
    snprintf(ref->id, sizeof ref->id, "%s", id);
}

void conf_forget_audiences(conf_ctx *ctx)
{
    ctx->n_created = 0;
    ctx->shared_id[0] = '\0';
}

/* Moves the mock's manual clock, outside any check (a failure only
 * leaves the clock where it was). */
static void advance_clock(conf_ctx *ctx, long seconds)
{
    char url[600];
    char body[64];
    char err[512];
    wire_response adv;
    snprintf(url, sizeof url, "%s/_mock/clock/advance", ctx->target->base_url);
    snprintf(body, sizeof body, "{\"seconds\": %ld}", seconds);
    if (wire_send(ctx->wire, "POST", url, body, &adv, err, sizeof err) == 0)
        wire_response_clear(&adv);
}

/* Waits out a 429 before the next DELETE: the mock's manual clock is
 * moved, anything else is really waited for (at most a minute of the
 * target's clock: DESCOVO_TIME_SCALE). */
static void wait_retry_after(conf_ctx *ctx, const wire_response *res)
{
    char *end = NULL;
    long seconds = strtol(res->retry_after, &end, 10);
    if (end == res->retry_after || seconds < 1 || seconds > 60)
        seconds = 60;
    if (ctx->target->manual_clock) {
        advance_clock(ctx, seconds);
        return;
    }
    long ms = target_wait_ms(ctx->target, (double)seconds);
    if (ctx->target->time_scale != 1.0)
        printf("  (rate limited while archiving: waiting %ld s of the target's clock, %.3f s)\n", seconds,
               (double)ms / 1000.0);
    else
        printf("  (rate limited while archiving: waiting %ld s)\n", seconds);
    fflush(stdout);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* DELETEs one audience, waiting out at most three 429s. Returns 0 when it
 * is archived (or already gone: 404). */
static int archive_one(conf_ctx *ctx, const conf_audience_ref *ref)
{
    char url[1024];
    char err[512];
    snprintf(url, sizeof url, "%s/v1/audiences/%s", ctx->target->base_url, ref->id);
    if (wire_add_query(url, sizeof url, "apiKey", ref->key) != 0)
        return -1;
    for (int attempt = 0; attempt < 4; attempt++) {
        wire_response res;
        if (wire_send(ctx->wire, "DELETE", url, NULL, &res, err, sizeof err) != 0) {
            printf("  could not archive %s: %s\n", ref->id, err);
            return -1;
        }
        long status = res.status;
        if (status == 429 && attempt < 3)
            wait_retry_after(ctx, &res);
        else if (status != 200 && status != 404)
            printf("  could not archive %s: HTTP %ld %.200s\n", ref->id, status, res.body);
        wire_response_clear(&res);
        if (status != 429)
            return status == 200 || status == 404 ? 0 : -1;
    }
    return -1;
}

int conf_archive_created(conf_ctx *ctx)
{
    int left = 0;
    for (size_t i = 0; i < ctx->n_created; i++)
        left += archive_one(ctx, &ctx->created[i]) != 0;
    free(ctx->created);
    ctx->created = NULL;
    ctx->n_created = 0;
    return left;
}

static int case_setup(void **state)
{
    conf_case *k = *state;
    k->finished = 0;
    k->skipped = 0;
    k->reset_mock = 0;
    k->why[0] = '\0';
    k->cleanups = NULL;
    /* On a manual clock each case starts in fresh rate-limit windows (they
     * last 60 s): a case that failed before moving the clock must not
     * leave the next one a spent budget. */
    if (k->ctx->target->manual_clock)
        advance_clock(k->ctx, 60);
    return 0;
}

/* POST /_mock/reset outside any check: the teardown cannot fail the case
 * any more, so a failed reset is only reported. */
static void reset_mock(conf_ctx *ctx)
{
    char url[600];
    char err[512];
    wire_response res;
    snprintf(url, sizeof url, "%s/_mock/reset", ctx->target->base_url);
    if (wire_send(ctx->wire, "POST", url, NULL, &res, err, sizeof err) != 0)
        printf("  (could not reset the mock: %s)\n", err);
    else if (res.status != 200)
        printf("  (could not reset the mock: HTTP %ld)\n", res.status);
    wire_response_clear(&res);
    conf_forget_audiences(ctx);
}

static int case_teardown(void **state)
{
    conf_case *k = *state;
    conf_ctx *ctx = k->ctx;
    if (k->reset_mock)
        reset_mock(ctx);
    while (k->cleanups != NULL) {
        struct conf_cleanup *c = k->cleanups;
        k->cleanups = c->next;
        c->free_fn(c->p);
        free(c);
    }
    if (k->skipped) {
        ctx->skipped++;
        printf("  skip  %s/%s: %s\n", k->group, k->name, k->why);
    } else if (k->finished) {
        ctx->passed++;
        printf("  ok    %s/%s\n", k->group, k->name);
    } else {
        ctx->failed++;
        printf("  FAIL  %s/%s: %s\n", k->group, k->name,
               k->why[0] != '\0' ? k->why : "(an assertion outside the suite's checks, or a crash)");
    }
    fflush(stdout);
    return 0;
}

static void case_body(void **state)
{
    conf_case *k = *state;
    k->fn(k);
    k->finished = 1;
}

int conf_run_group(conf_ctx *ctx, const char *group, conf_case *cases, size_t n)
{
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (tests == NULL) {
        printf("%s: out of memory\n", group);
        ctx->failed += (int)n;
        return (int)n;
    }
    for (size_t i = 0; i < n; i++) {
        cases[i].ctx = ctx;
        cases[i].group = group;
        tests[i].name = cases[i].name;
        tests[i].test_func = case_body;
        tests[i].setup_func = case_setup;
        tests[i].teardown_func = case_teardown;
        tests[i].initial_state = &cases[i];
    }
    printf("%s\n", group);
    fflush(stdout);
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}
