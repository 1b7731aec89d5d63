/* target: which server the suite talks to, and the rules for talking to it.
 *
 * From the environment (see README.md): DESCOVO_BASE_URL, DESCOVO_API_KEY,
 * DESCOVO_API_KEY_2, DESCOVO_ALLOW_SPEND, DESCOVO_MAX_CREDITS,
 * DESCOVO_ALLOW_FLOOD, DESCOVO_POLL_INTERVAL, DESCOVO_POLL_TIMEOUT,
 * DESCOVO_TIME_SCALE. With no
 * base URL the suite starts descovo-mock itself (manual clock, free port)
 * and stops it at the end. */
#ifndef CONF_TARGET_H
#define CONF_TARGET_H

#include <sys/types.h>

#include "wire.h"

/* The development keys of descovo-mock (fixtures/keys.txt), used when the
 * suite starts the mock itself. */
#define CONF_MOCK_KEY "sk_test_descovo_dev"
#define CONF_MOCK_KEY_2 "sk_test_descovo_other"

/* Default ceiling on what one run may spend on a real account. */
#define CONF_DEFAULT_MAX_CREDITS 50

typedef struct conf_target {
    char base_url[512];        /* without a trailing slash */
    char api_key[256];
    char api_key_2[256];       /* "": the isolation tests are skipped */
    int is_mock;               /* GET /_mock/health answered "ok" */
    int manual_clock;          /* ... with the manual clock */
    int allow_spend;           /* DESCOVO_ALLOW_SPEND=1 (always on a mock) */
    int allow_flood;           /* DESCOVO_ALLOW_FLOOD=1: provoke a real 429 */
    long long max_credits;     /* DESCOVO_MAX_CREDITS; ignored on a mock */
    long long reserved;        /* credits reserved by spending steps so far */
    long poll_interval_s;      /* DESCOVO_POLL_INTERVAL, 5 */
    long poll_timeout_s;       /* DESCOVO_POLL_TIMEOUT, 600 */
    double time_scale;         /* DESCOVO_TIME_SCALE, 1: how many of the target's
                                * seconds pass in a real one */
    char prefix[64];           /* start of every audience name of this run */
    pid_t mock_pid;            /* > 0 when the suite started the mock */
    int mock_out;              /* read end of its stdout, -1 when none */
} conf_target;

/* Reads the environment into *t and, without DESCOVO_BASE_URL, starts
 * mock_binary (--port 0 --clock manual --quiet) and reads its URL from its
 * first line. Returns 0, or -1 with the reason in err (nothing left
 * running). */
int target_open(conf_target *t, const char *mock_binary, char *err, size_t errlen);

/* How long, in real milliseconds, the suite waits for `seconds` of the
 * target's clock to pass: seconds * 1000 / time_scale, rounded up, at least
 * 1 ms. */
long target_wait_ms(const conf_target *t, double seconds);

/* Asks GET /_mock/health and sets is_mock and manual_clock. A mock forces
 * allow_spend on (its credits are not money). Returns 0, or -1 when the
 * target does not answer HTTP at all. */
int target_detect(conf_target *t, wire *w, char *err, size_t errlen);

/* Stops the mock the suite started, if any (SIGTERM, then SIGKILL after
 * 5 s). */
void target_close(conf_target *t);

#endif
