/* Test support for libdescovo: an in-process descovo-mock on a free port
 * (manual clock), an injectable test clock that advances the mock's clock
 * instead of sleeping, and a tiny fake HTTP server for transport failures.
 * Functions assert (cmocka) on setup failures; never call them from a
 * server thread. */
#ifndef DESCOVO_CLIENT_TEST_SUPPORT_H
#define DESCOVO_CLIENT_TEST_SUPPORT_H

#include <pthread.h>
#include <stdint.h>

#include "app.h"
#include "descovo.h"

#define DEV_KEY "sk_test_descovo_dev"
#define OTHER_KEY "sk_test_descovo_other"
#define POOR_KEY "sk_test_descovo_poor"

/* ---- The mock ---- */

typedef void (*mock_configure_fn)(mock_options *options);

typedef struct test_mock {
    mock_app *app;
    char base_url[64];
    descovo_client *control;   /* no key: for /_mock/ requests */
} test_mock;

/* Starts descovo-mock in-process: port 0, quiet, manual clock, 400
 * companies; configure (may be NULL) changes options first. */
test_mock *test_mock_start(mock_configure_fn configure);
void test_mock_stop(test_mock *m);
/* POST /_mock/reset. */
void test_mock_reset(test_mock *m);
/* PUT /_mock/accounts/{key} with a JSON body. */
void test_mock_put_account(test_mock *m, const char *key, const char *json);
/* POST /_mock/clock/advance. */
void test_mock_advance_ms(test_mock *m, int64_t ms);

/* ---- The test clock ---- */

typedef struct test_clock {
    int64_t now_ms;            /* virtual time */
    int64_t slept_ms;          /* total of every sleep */
    int sleeps;                /* number of sleeps */
    int64_t last_sleep_ms;
    uint32_t random_value;     /* what random() returns */
    test_mock *mock;           /* when set, each sleep advances its clock */
} test_clock;

/* Options for a client of base_url with key, using the test clock. */
void test_client_options(descovo_options *o, const char *base_url, const char *key, test_clock *clock);
descovo_client *test_client_new(const char *base_url, const char *key, test_clock *clock);

/* ---- A fake HTTP server ---- */

/* What the fake server does with connection number i (from 0); the last
 * action repeats. status NULL drops the connection without answering;
 * otherwise it answers "HTTP/1.1 <status>", the extra header lines
 * (each ending in \r\n), Content-Length, Connection: close and the body. */
typedef struct fake_action {
    const char *status;        /* "200 OK"; NULL: drop */
    const char *headers;       /* may be NULL */
    const char *body;
} fake_action;

typedef struct fake_server {
    int fd;
    int port;
    char base_url[64];
    const fake_action *actions;
    int n_actions;
    int connections;           /* read after fake_server_stop */
    volatile int stop;
    pthread_t thread;
} fake_server;

/* Listens on a free loopback port and serves from a thread. */
void fake_server_start(fake_server *s, const fake_action *actions, int n_actions);
/* Stops the thread and closes the socket; connections is then final. */
void fake_server_stop(fake_server *s);

/* A loopback port with nothing listening (bound, then closed). */
int test_closed_port(void);

#endif
