/* app: one running simulator: its options, dataset, store, clock and HTTP
 * daemon. main.c and the tests create one with mock_app_new, start it, and
 * stop it with mock_app_free.
 *
 * The top layer: it builds every module and wires them with callbacks (the
 * HTTP layer's dispatch, the state file's replay, the store's reset hook);
 * no module below includes this header. What requests need of it is the
 * plain mock_context (sim/context.h) it fills.
 *
 * Ownership: the app owns everything it creates; mock_app_free stops the
 * daemon first (no handler runs after it returns), then frees the state. */
#ifndef DESCOVO_APP_H
#define DESCOVO_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data/dataset.h"
#include "sim/clock.h"
#include "sim/context.h"
#include "sim/faults.h"
#include "sim/journal.h"
#include "sim/store.h"

#define MOCK_MAX_KEYS 64

typedef struct mock_key_option {
    const char *key;
    int64_t credits;        /* -1: the default */
    int64_t export_quota;   /* -1: the default */
} mock_key_option;

typedef struct mock_options {
    const char *host;            /* "127.0.0.1" */
    uint16_t port;               /* 8080; 0 picks a free port */
    uint64_t seed;               /* 42 */
    uint32_t companies;          /* database size, 2000 */
    mock_key_option keys[MOCK_MAX_KEYS]; /* --api-key; replaces the keys file */
    size_t n_keys;
    const char *keys_file;       /* NULL: the embedded fixtures/keys.txt */
    int strict_keys;             /* no keys on demand: only keys_file / --api-key */
    int64_t tenant_idle_expiry_s;/* drop tenants idle this long, 0: never */
    int64_t default_credits;     /* for keys given without credits */
    int64_t default_export_quota;/* rows per 30-day period */
    mock_clock_mode clock_mode;
    double time_scale;           /* real clock speed-up, 1.0 */
    int64_t start_ms;            /* manual clock start */
    unsigned threads;            /* thread pool size, 0: one per core */
    unsigned idle_timeout_s;     /* a keep-alive connection with no request is closed */
    unsigned request_timeout_s;  /* a request must be read whole within this */
    int quiet;                   /* no request log */
    int log_json;                /* request log as one JSON object a line */
    int build_stages;            /* report SAVING_* / LINKING_* while building */
    double rate_limit_scale;     /* multiplies the per-minute limits; 0 disables them */
    double chaos_rate;           /* share of /v1/ requests given a random fault */
    uint64_t chaos_seed;
    size_t journal_size;         /* requests kept by GET /_mock/requests */
    int control;                 /* the /_mock/ control plane is served */
    const char *admin_token;     /* required in X-Mock-Admin-Token when set */
    const char *scenario;        /* a scenario to load at start: name or file */
    const char *state_file;      /* --state-file: log of changes, replayed at start */
    uint64_t compact_after;      /* --compact-after: lines after a snapshot that make the next; 0: never */
    const char *ready_file;      /* --ready-file: written by main.c once serving */
    FILE *log;                   /* request log, stdout by default */
    /* Drift detection (docs/DRIFT.md): a recording proxy, or a replay. */
    const char *upstream;        /* --upstream URL: forward /v1/ there (proxy/) */
    const char *record;          /* --record FILE.har */
    const char *verify;          /* --verify FILE.har (drift/) */
    const char *known;           /* --known KNOWN.json */
    const char *report_format;   /* --format text|json|junit, "text" */
    const char *report_out;      /* --out PATH, NULL: stdout */
} mock_options;

/* Fills the defaults listed above. */
void mock_options_default(mock_options *options);

typedef struct mock_app mock_app;

/* Why descovo-mock could not start: its exit status (docs/API.md, "Exit
 * codes"; a stable contract for harnesses). */
typedef enum mock_exit {
    MOCK_EXIT_OK = 0,
    MOCK_EXIT_INTERNAL = 1,   /* out of memory, a thread that cannot start */
    MOCK_EXIT_USAGE = 2,      /* a bad option, value or combination of them */
    MOCK_EXIT_LISTEN = 3,     /* cannot listen on --host:--port */
    MOCK_EXIT_INPUT = 4,      /* --keys-file or --scenario unreadable or invalid */
    MOCK_EXIT_STATE = 5,      /* --state-file unreadable, damaged or another server's */
    MOCK_EXIT_READY_FILE = 6  /* --ready-file cannot be written */
} mock_exit;

/* mock_app_new then mock_app_start, for main.c: returns the started app,
 * or NULL with a message in err and the exit status in *why. */
mock_app *mock_app_launch(const mock_options *options, mock_exit *why, char *err, size_t errlen);

/* Generates the dataset and loads the keys. Returns NULL with a message in
 * err when a keys file cannot be read or parsed, or memory runs out. */
mock_app *mock_app_new(const mock_options *options, char *err, size_t errlen);

/* Starts serving. Returns 0, or -1 with a message in err (port in use...). */
int mock_app_start(mock_app *app, char *err, size_t errlen);

/* What mock_app_start does once it listens: loads the --scenario, replays
 * the --state-file, and lets requests through. Fuzzers call it instead of
 * mock_app_start to dispatch requests without HTTP. Returns 0 or -1 with a
 * message in err. */
int mock_app_prepare(mock_app *app, char *err, size_t errlen);

/* The port it listens on (the chosen one when the option was 0). */
uint16_t mock_app_port(const mock_app *app);

/* Stops the daemon if started, then frees everything; accepts NULL. */
void mock_app_free(mock_app *app);

/* What handlers, routes and scenarios are given (routes_dispatch takes it;
 * fuzzers and tests dispatch requests without HTTP with it). */
const mock_context *mock_app_context(const mock_app *app);

/* For tests and benchmarks. */
store *mock_app_store(mock_app *app);
mock_clock *mock_app_clock(mock_app *app);
faults *mock_app_faults(mock_app *app);
journal *mock_app_journal(mock_app *app);
const mock_options *mock_app_options(const mock_app *app);
const dataset *mock_app_dataset(const mock_app *app);
/* "http://127.0.0.1:PORT", for download URLs. */
const char *mock_app_base_url(const mock_app *app);
/* Sets that URL for an app dispatched without HTTP (--verify, drift/), before
 * mock_app_prepare: download URLs and notification links then name it. */
void mock_app_set_base_url(mock_app *app, const char *url);
/* Adds the accounts of the options or the keys file (mock_app_new does,
 * marking them as those a reset restores). Lock NOT held. Returns 0 or -1
 * (message in err). */
int mock_app_load_accounts(mock_app *app, char *err, size_t errlen);

#endif
