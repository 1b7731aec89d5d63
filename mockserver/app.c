#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/keys.h"
#include "sim/persist.h"
#include "sim/scenario.h"
#include "http/server.h"

struct mock_app {
    mock_options options;
    dataset *ds;
    store *store;
    mock_clock *clock;
    faults *faults;
    journal *journal;            /* NULL with --journal-size 0 */
    mock_http *http;
    persist *persist;            /* NULL without --state-file */
    int ready;                   /* the state file is replayed: serve */
    char base_url[64];
};

void mock_options_default(mock_options *options)
{
    memset(options, 0, sizeof *options);
    options->host = "127.0.0.1";
    options->port = 8080;
    options->seed = 42;
    options->companies = 2000;
    options->default_credits = 50000;
    options->default_export_quota = 100000;
    options->clock_mode = MOCK_CLOCK_REAL;
    options->time_scale = 1.0;
    options->start_ms = MOCK_CLOCK_DEFAULT_START_MS;
    options->rate_limit_scale = 1.0;
    options->journal_size = JOURNAL_DEFAULT_CAPACITY;
    options->chaos_seed = 1;
    options->control = 1;
    options->log = stdout;
}

static int add_key(void *ctx, const char *key, int64_t credits, int64_t quota)
{
    mock_app *app = ctx;
    if (credits < 0)
        credits = app->options.default_credits;
    if (quota < 0)
        quota = app->options.default_export_quota;
    return store_put_account(app->store, key, credits, quota, 1) != NULL ? 0 : -1;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "--keys-file: cannot open %s", path);
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *text = malloc(cap);
    while (text != NULL) {
        size_t got = fread(text + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= (1u << 24)) {
            snprintf(err, errlen, "--keys-file: %s is larger than 16 MiB", path);
            free(text);
            text = NULL;
            break;
        }
        char *grown = realloc(text, cap * 2);
        if (grown == NULL)
            free(text);
        text = grown;
        cap *= 2;
    }
    fclose(f);
    if (text == NULL && err[0] == '\0')
        snprintf(err, errlen, "out of memory reading %s", path);
    *len = n;
    return text;
}

int mock_app_load_accounts(mock_app *app, char *err, size_t errlen)
{
    int rc = 0;
    store_lock(app->store);
    if (app->options.n_keys > 0) {
        for (size_t i = 0; i < app->options.n_keys && rc == 0; i++) {
            const mock_key_option *k = &app->options.keys[i];
            rc = add_key(app, k->key, k->credits, k->export_quota);
        }
        if (rc != 0)
            snprintf(err, errlen, "out of memory adding keys");
    } else if (app->options.keys_file != NULL) {
        size_t len = 0;
        err[0] = '\0';
        char *text = read_file(app->options.keys_file, &len, err, errlen);
        if (text == NULL) {
            rc = -1;
        } else {
            char detail[200];
            rc = keys_parse(text, len, add_key, app, detail, sizeof detail);
            if (rc != 0)
                snprintf(err, errlen, "--keys-file %s: %s", app->options.keys_file, detail);
            free(text);
        }
    } else {
        rc = keys_parse((const char *)mock_default_keys, mock_default_keys_len, add_key, app, err, errlen);
    }
    store_unlock(app->store);
    return rc;
}

mock_app *mock_app_new(const mock_options *options, char *err, size_t errlen)
{
    mock_app *app = calloc(1, sizeof *app);
    if (app == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    app->options = *options;
    app->ds = dataset_generate(options->seed, options->companies);
    if (app->ds == NULL) {
        snprintf(err, errlen, "cannot generate a database of %u companies (the range is 1 to %u, or memory ran out)",
                 options->companies, DATASET_MAX_COMPANIES);
        goto fail;
    }
    store_config config = {
        .seed = options->seed,
        .build_stages = options->build_stages,
        .rate_limit_scale = options->rate_limit_scale,
        .enrichment_slowdown = 1,
        .keys_on_demand = !options->strict_keys,
        .demand_credits = options->default_credits,
        .demand_export_quota = options->default_export_quota,
    };
    app->store = store_new(app->ds, &config);
    app->clock = mock_clock_new(options->clock_mode, options->start_ms, options->time_scale);
    app->faults = faults_new(options->chaos_rate, options->chaos_seed);
    if (options->journal_size > 0)
        app->journal = journal_new(options->journal_size, JOURNAL_DEFAULT_BODY_CAP);
    if (app->store == NULL || app->clock == NULL || app->faults == NULL ||
        (options->journal_size > 0 && app->journal == NULL)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (mock_app_load_accounts(app, err, errlen) != 0)
        goto fail;
    if (options->state_file != NULL) {
        persist_identity identity = {options->seed, options->companies, options->clock_mode};
        app->persist = persist_open(options->state_file, &identity, err, errlen);
        if (app->persist == NULL)
            goto fail;
        store_set_reset_hook(app->store, persist_truncate, app->persist);
    }
    return app;
fail:
    mock_app_free(app);
    return NULL;
}

static int is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0;
}

/* Loads the scenario of --scenario, once the server knows its URL. */
static int load_start_scenario(mock_app *app, char *err, size_t errlen)
{
    if (app->options.scenario == NULL)
        return 0;
    json_t *scenario = scenario_load(app->options.scenario, err, errlen);
    if (scenario == NULL)
        return -1;
    char detail[256];
    json_t *summary = scenario_apply(app, scenario, detail, sizeof detail);
    json_decref(scenario);
    if (summary == NULL) {
        snprintf(err, errlen, "--scenario %s: %s", app->options.scenario, detail);
        return -1;
    }
    json_decref(summary);
    return 0;
}

int mock_app_start(mock_app *app, char *err, size_t errlen)
{
    /* The control plane can reset state and move time: off the loopback
     * interface it needs a token, or must be switched off explicitly. */
    if (app->options.control && app->options.admin_token == NULL && !is_loopback(app->options.host)) {
        snprintf(err, errlen, "--host %s is not a loopback address: give --admin-token TOKEN to protect the "
                 "/_mock/ control plane, or --no-control to disable it", app->options.host);
        return -1;
    }
    FILE *log = app->options.quiet ? NULL : app->options.log;
    app->http = mock_http_start(app, app->options.host, app->options.port, app->options.threads, log,
                                app->journal, err, errlen);
    if (app->http == NULL)
        return -1;
    const char *host = strcmp(app->options.host, "0.0.0.0") == 0 ? "127.0.0.1" : app->options.host;
    snprintf(app->base_url, sizeof app->base_url, "http://%s:%u", host, mock_http_port(app->http));
    store_lock(app->store);
    snprintf(store_settings(app->store)->base_url, sizeof store_settings(app->store)->base_url, "%s", app->base_url);
    store_unlock(app->store);
    return mock_app_prepare(app, err, errlen);
}

int mock_app_prepare(mock_app *app, char *err, size_t errlen)
{
    if (load_start_scenario(app, err, errlen) != 0)
        return -1;
    /* The start scenario first, then the changes made after it, as they
     * happened; requests wait (503) until then. */
    if (app->persist != NULL && persist_replay(app->persist, app, err, errlen) < 0)
        return -1;
    __atomic_store_n(&app->ready, 1, __ATOMIC_RELEASE);
    return 0;
}

uint16_t mock_app_port(const mock_app *app)
{
    return app->http != NULL ? mock_http_port(app->http) : 0;
}

void mock_app_free(mock_app *app)
{
    if (app == NULL)
        return;
    mock_http_stop(app->http);
    persist_close(app->persist);
    store_free(app->store);
    faults_free(app->faults);
    journal_free(app->journal);
    mock_clock_free(app->clock);
    dataset_free(app->ds);
    free(app);
}

store *mock_app_store(mock_app *app)
{
    return app->store;
}

mock_clock *mock_app_clock(mock_app *app)
{
    return app->clock;
}

faults *mock_app_faults(mock_app *app)
{
    return app->faults;
}

journal *mock_app_journal(mock_app *app)
{
    return app->journal;
}

const mock_options *mock_app_options(const mock_app *app)
{
    return &app->options;
}

const dataset *mock_app_dataset(const mock_app *app)
{
    return app->ds;
}

struct persist *mock_app_persist(mock_app *app)
{
    return app->persist;
}

int mock_app_ready(const mock_app *app)
{
    return __atomic_load_n(&app->ready, __ATOMIC_ACQUIRE);
}

const char *mock_app_base_url(const mock_app *app)
{
    return app->base_url;
}
