/* suite: how the conformance checks run on cmocka.
 *
 * A check is a conf_case: a name, a function and the run's context. Groups
 * (auth, workflow, ...) are arrays of cases run by conf_run_group, one
 * cmocka group each, so each group gets its own JUnit file. Around every
 * case a setup and a teardown keep the bookkeeping cmocka does not: the
 * reason of a failure or a skip (printed on the console, since cmocka's own
 * output goes to the XML files), the responses the case received (freed in
 * the teardown, even when the case failed half-way), and the run's totals.
 *
 * Failing and skipping: CONF_CHECK / CONF_FAIL fail the case with a message;
 * conf_need_* skip it with a stated reason. Both jump out of the case (they
 * are cmocka's fail() and skip()), and both are called from case bodies
 * only: cmocka 1.1.5 reports a skip inside a setup as a failure. cmocka is
 * not thread-safe; everything here runs on the main thread. */
#ifndef CONF_SUITE_H
#define CONF_SUITE_H

#include <stddef.h>

#include "target.h"
#include "wire.h"

typedef struct conf_audience_ref {
    char key[256];
    char id[128];
} conf_audience_ref;

/* The run: the target, the one HTTP handle, what the run created, and the
 * tiny built audience that several cases share (built on first use). */
typedef struct conf_ctx {
    conf_target *target;
    wire *wire;
    conf_audience_ref *created;   /* archived at the end of the run */
    size_t n_created;
    char shared_id[128];          /* "" until built */
    long long shared_companies;
    long long shared_prospects;
    int passed, failed, skipped;
} conf_ctx;

typedef struct conf_case conf_case;
typedef void (*conf_case_fn)(conf_case *k);

struct conf_case {
    const char *name;
    conf_case_fn fn;
    /* Filled by the runner. */
    conf_ctx *ctx;
    const char *group;
    int finished;                 /* the body returned normally */
    int skipped;
    int reset_mock;               /* the case changed the mock's settings:
                                   * the teardown resets it */
    char why[1024];               /* first failure or skip reason */
    struct conf_cleanup *cleanups;  /* run by the teardown, newest first */
};

#define CONF_CASE(f) {.name = #f, .fn = f}

/* Runs cases[0..n) as the cmocka group `group`, printing one line per case.
 * Returns the number of failed cases. */
int conf_run_group(conf_ctx *ctx, const char *group, conf_case *cases, size_t n);

/* Fails the case: records the message (the first one wins) and calls
 * cmocka's fail. Does not return. */
void conf_fail_at(conf_case *k, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));
#define CONF_FAIL(k, ...) conf_fail_at((k), __FILE__, __LINE__, __VA_ARGS__)
#define CONF_CHECK(k, cond, ...)                                              \
    do {                                                                      \
        if (!(cond))                                                          \
            conf_fail_at((k), __FILE__, __LINE__, __VA_ARGS__);               \
    } while (0)

/* Skips the case with the reason. Does not return. */
void conf_skip(conf_case *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Skip unless the target is descovo-mock (its /_mock/ control plane). */
void conf_need_mock(conf_case *k, const char *why);
/* Skip unless DESCOVO_API_KEY_2 gives a second account. */
void conf_need_second_key(conf_case *k);
/* Skip unless spending is allowed and `credits` more stay within
 * DESCOVO_MAX_CREDITS; then reserves them. On a mock it always passes.
 * `credits` is the most the step can cost, not the expected cost. */
void conf_need_spend(conf_case *k, long long credits, const char *what);

/* Gives p to the case: free_fn(p) runs in its teardown, whether the case
 * passed or not. When out of memory it runs at once and the case fails. */
void conf_defer(conf_case *k, void (*free_fn)(void *), void *p);
/* conf_defer for a malloc'd response. Returns res. */
wire_response *conf_own(conf_case *k, wire_response *res);

/* Remembers an audience the run created, to archive at the end. */
void conf_track_audience(conf_ctx *ctx, const char *key, const char *id);

/* After a mock reset: the audiences of the run are gone, the shared one
 * too; nothing is left to archive. */
void conf_forget_audiences(conf_ctx *ctx);

/* Archives every audience the run created (DELETE); prints those that could
 * not be archived. Returns their number. */
int conf_archive_created(conf_ctx *ctx);

#endif
