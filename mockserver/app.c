#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/links.h"
#include "api/routes.h"
#include "http/server.h"
#include "sim/compactor.h"
#include "sim/keys.h"
#include "sim/persist.h"
#include "sim/scenario.h"
#include "sim/store_snapshot.h"

struct mock_app {
    mock_options options;
    int restoring;               /* a snapshot's lines are being restored */
    dataset *ds;
    mock_context ctx;            /* what requests see; points into the above */
    mock_http *http;
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
    options->idle_timeout_s = MOCK_HTTP_IDLE_TIMEOUT_S;
    options->request_timeout_s = MOCK_HTTP_REQUEST_TIMEOUT_S;
    options->chaos_seed = 1;
    options->compact_after = COMPACTOR_DEFAULT_FLOOR;
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
    return store_put_account(app->ctx.store, key, credits, quota, 1, NULL) != NULL ? 0 : -1;
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
    store_lock(app->ctx.store);
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
    store_unlock(app->ctx.store);
    return rc;
}

/* The store's link hook: the e-mail of an ended enrichment links to its
 * status. */
static void enrichment_link(void *cls, const char *audience_id, char *out, size_t size)
{
    const mock_context *ctx = cls;
    links_enrichment_status(ctx->base_url, audience_id, out, size);
}

/* An idle tenant expires (store lock held): its fault rules and journal
 * entries go with it, and the state file records a reset of it, so that a
 * restart does not bring its data back. */
static void tenant_expired(void *cls, const char *key, int64_t server_ms)
{
    mock_context *ctx = cls;
    faults_remove_key(ctx->faults, key, NULL, NULL);
    if (ctx->journal != NULL)
        journal_clear_key(ctx->journal, keys_id(key));
    if (ctx->persist == NULL || !mock_context_ready(ctx))
        return; /* a replay: the log has the reset already */
    char path[192];
    int n = snprintf(path, sizeof path, "/_mock/accounts/%s/reset", key);
    if (n > 0 && (size_t)n < sizeof path)
        persist_append(ctx->persist, "POST", path, NULL, NULL, server_ms, NULL, NULL);
}

/* The failure paths set *why (main.c's exit status); the public functions
 * below pass a scratch one. */
static mock_app *app_new(const mock_options *options, mock_exit *why, char *err, size_t errlen)
{
    *why = MOCK_EXIT_INTERNAL;
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
        .clock_runs = options->clock_mode == MOCK_CLOCK_REAL,
        .idle_expiry_ms = options->tenant_idle_expiry_s * 1000,
        .demand_credits = options->default_credits,
        .demand_export_quota = options->default_export_quota,
    };
    mock_context *ctx = &app->ctx;
    ctx->ds = app->ds;
    ctx->exports = export_cache_new(app->ds, EXPORT_CACHE_DEFAULT_BYTES);
    ctx->store = store_new(app->ds, &config);
    ctx->clock = mock_clock_new(options->clock_mode, options->start_ms, options->time_scale);
    ctx->faults = faults_new(options->chaos_rate, options->chaos_seed);
    if (options->journal_size > 0)
        ctx->journal = journal_new(options->journal_size, JOURNAL_DEFAULT_BODY_CAP);
    if (ctx->exports == NULL || ctx->store == NULL || ctx->clock == NULL || ctx->faults == NULL ||
        (options->journal_size > 0 && ctx->journal == NULL)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    ctx->options = (mock_context_options){
        .seed = options->seed,
        .clock_mode = options->clock_mode,
        .time_scale = options->time_scale,
        .chaos_rate = options->chaos_rate,
        .chaos_seed = options->chaos_seed,
        .default_credits = options->default_credits,
        .default_export_quota = options->default_export_quota,
        .scenario = options->scenario,
        .control = options->control,
        .admin_token = options->admin_token,
    };
    *why = MOCK_EXIT_INPUT;
    if (mock_app_load_accounts(app, err, errlen) != 0)
        goto fail;
    *why = MOCK_EXIT_STATE;
    if (options->state_file != NULL) {
        persist_identity identity = {options->seed, options->companies, options->clock_mode};
        ctx->persist = persist_open(options->state_file, &identity, err, errlen);
        if (ctx->persist == NULL)
            goto fail;
        store_set_reset_hook(ctx->store, persist_truncate, ctx->persist);
    }
    store_set_link_hook(ctx->store, enrichment_link, ctx);
    *why = MOCK_EXIT_OK;
    store_set_expire_hook(ctx->store, tenant_expired, ctx);
    return app;
fail:
    mock_app_free(app);
    return NULL;
}

mock_app *mock_app_new(const mock_options *options, char *err, size_t errlen)
{
    mock_exit why;
    return app_new(options, &why, err, errlen);
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
    json_t *summary = scenario_apply(&app->ctx, scenario, SCENARIO_WHOLE, detail, sizeof detail);
    json_decref(scenario);
    if (summary == NULL) {
        snprintf(err, errlen, "--scenario %s: %s", app->options.scenario, detail);
        return -1;
    }
    json_decref(summary);
    return 0;
}

/* The HTTP layer's dispatch callback: the route table. */
static void dispatch(void *ctx, const http_request *request, mock_reply *reply)
{
    routes_dispatch(ctx, request, reply);
}

static int app_prepare(mock_app *app, mock_exit *why, char *err, size_t errlen);

static int app_start(mock_app *app, mock_exit *why, char *err, size_t errlen)
{
    /* The control plane can reset state and move time: off the loopback
     * interface it needs a token, or must be switched off explicitly. */
    if (app->options.control && app->options.admin_token == NULL && !is_loopback(app->options.host)) {
        snprintf(err, errlen, "--host %s is not a loopback address: give --admin-token TOKEN (or set "
                 "DESCOVO_ADMIN_TOKEN) to protect the /_mock/ control plane, or --no-control to disable it",
                 app->options.host);
        *why = MOCK_EXIT_USAGE;
        return -1;
    }
    mock_http_config config = {
        .host = app->options.host,
        .port = app->options.port,
        .threads = app->options.threads,
        .idle_timeout_s = app->options.idle_timeout_s,
        .request_timeout_s = app->options.request_timeout_s,
        .log = app->options.quiet ? NULL : app->options.log,
        .log_json = app->options.log_json,
        .journal = app->ctx.journal,
        .clock = app->ctx.clock,
        .store = app->ctx.store,
        .dispatch = dispatch,
        .dispatch_ctx = &app->ctx,
    };
    app->http = mock_http_start(&config, err, errlen);
    if (app->http == NULL) {
        *why = MOCK_EXIT_LISTEN;
        return -1;
    }
    const char *host = strcmp(app->options.host, "0.0.0.0") == 0 ? "127.0.0.1" : app->options.host;
    snprintf(app->ctx.base_url, sizeof app->ctx.base_url, "http://%s:%u", host, mock_http_port(app->http));
    return app_prepare(app, why, err, errlen);
}

int mock_app_start(mock_app *app, char *err, size_t errlen)
{
    mock_exit why;
    return app_start(app, &why, err, errlen);
}

/* The state file's replay callback: each logged request goes through the
 * route table again, as it did live (routes_replay). */
static int replay_record(void *cls, const persist_record *record, char *detail, size_t detail_len)
{
    mock_app *app = cls;
    mock_reply reply = {0};
    routes_replay(&app->ctx, record->method, record->path, record->body, record->query_key, record->now_ms,
                  record->fault, record->export_id, &reply);
    int rc = 0;
    if (reply.status != 200) {
        const char *message = json_string_value(json_object_get(json_object_get(reply.body, "error"), "message"));
        snprintf(detail, detail_len, "replays as HTTP %u (%s); was it written with other keys or another "
                 "--scenario?", reply.status, message != NULL ? message : "no message");
        rc = -1;
    }
    json_decref(reply.body);
    strbuf_release(&reply.text);
    return rc;
}

/* The state file's restore callback: a line of the snapshot opening it,
 * into a store emptied first (the start scenario's state included: the
 * snapshot holds what it became). */
static int restore_line(void *cls, const char *line, size_t len, char *detail, size_t detail_len)
{
    mock_app *app = cls;
    store_lock(app->ctx.store);
    if (!app->restoring) {
        store_snapshot_restore_begin(app->ctx.store);
        app->restoring = 1;
    }
    int rc = store_snapshot_restore_line(app->ctx.store, app->ctx.base_url, line, len, detail, detail_len);
    store_unlock(app->ctx.store);
    return rc;
}

/* Replays the state file, then lets what hold rules held resume (the rules
 * are gone with the process) and moves a real clock up to the last logged
 * time. */
static int replay_state(mock_app *app, char *err, size_t errlen)
{
    mock_context *ctx = &app->ctx;
    /* Requests the log does not hold (GETs) kept tenants alive: a replay
     * must not expire them; the expiries that happened are in the log. */
    store_lock(ctx->store);
    store_pause_expiry(ctx->store, 1, 0);
    store_unlock(ctx->store);
    if (persist_replay(ctx->persist, restore_line, replay_record, app, err, errlen) < 0)
        return -1;
    /* The last change, or a later clock mark: answers were given up to
     * then, and a restart must not show less. */
    mock_clock_not_before(ctx->clock, persist_replayed_until(ctx->persist));
    int64_t now = mock_clock_now_ms(ctx->clock);
    store_lock(ctx->store);
    store_release_holds(ctx->store, 0, now);
    store_pause_expiry(ctx->store, 0, now);
    store_unlock(ctx->store);
    ctx->compactor = compactor_start(ctx->store, ctx->persist, app->options.compact_after, ctx->base_url);
    if (ctx->compactor == NULL) {
        snprintf(err, errlen, "out of memory starting the state file's compaction");
        return -1;
    }
    return 0;
}

static int app_prepare(mock_app *app, mock_exit *why, char *err, size_t errlen)
{
    *why = MOCK_EXIT_INPUT;
    if (load_start_scenario(app, err, errlen) != 0)
        return -1;
    /* The start scenario first, then the changes made after it, as they
     * happened; requests wait (503) until then. */
    *why = MOCK_EXIT_STATE;
    if (app->ctx.persist != NULL && replay_state(app, err, errlen) != 0)
        return -1;
    *why = MOCK_EXIT_OK;
    __atomic_store_n(&app->ctx.ready, 1, __ATOMIC_RELEASE);
    return 0;
}

int mock_app_prepare(mock_app *app, char *err, size_t errlen)
{
    mock_exit why;
    return app_prepare(app, &why, err, errlen);
}

mock_app *mock_app_launch(const mock_options *options, mock_exit *why, char *err, size_t errlen)
{
    mock_app *app = app_new(options, why, err, errlen);
    if (app != NULL && app_start(app, why, err, errlen) != 0) {
        mock_app_free(app);
        app = NULL;
    }
    return app;
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
    compactor_stop(app->ctx.compactor);
    persist_close(app->ctx.persist);
    store_free(app->ctx.store);
    faults_free(app->ctx.faults);
    journal_free(app->ctx.journal);
    mock_clock_free(app->ctx.clock);
    export_cache_free(app->ctx.exports); /* after the store: its exports use it */
    dataset_free(app->ds);
    free(app);
}

const mock_context *mock_app_context(const mock_app *app)
{
    return &app->ctx;
}

store *mock_app_store(mock_app *app)
{
    return app->ctx.store;
}

mock_clock *mock_app_clock(mock_app *app)
{
    return app->ctx.clock;
}

faults *mock_app_faults(mock_app *app)
{
    return app->ctx.faults;
}

journal *mock_app_journal(mock_app *app)
{
    return app->ctx.journal;
}

const mock_options *mock_app_options(const mock_app *app)
{
    return &app->options;
}

const dataset *mock_app_dataset(const mock_app *app)
{
    return app->ds;
}

const char *mock_app_base_url(const mock_app *app)
{
    return app->ctx.base_url;
}

void mock_app_set_base_url(mock_app *app, const char *url)
{
    snprintf(app->ctx.base_url, sizeof app->ctx.base_url, "%s", url);
}
