/* The state file under concurrency and time (issue 14, defects 1 and 5):
 *  - each kind of logged change, made while a build runs its filters
 *    (outside the store lock), then a restart: the state after it equals
 *    the state before (the old log put such a change before the build,
 *    and a credits change then made every restart fail with a 402);
 *  - with a real clock, a scenario load that waits to run alone while
 *    changes are logged: logged at the time it runs, the restart starts;
 *  - with a real clock at --time-scale 1000, a build seen NORMAL before a
 *    SIGKILL is NORMAL after the restart, with the same credits (GETs are
 *    not logged; clock marks vouch for the time they showed).
 * The first runs the server in-process, where the store's build hook holds
 * each build in its filters while the change is made (no timing: the change
 * falls inside the build on every run); the last runs the binary as a
 * child process, to SIGKILL it. All bounded in count and time. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "child.h"
#include "harness.h"
#include "text/strbuf.h"

#define KEY DEV_KEY

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append(ctx, data, size * n);
    return size * n;
}

/* One request on a new handle; returns the status and, in *json, the
 * parsed answer (may be NULL). */
static long call(const char *base, const char *method, const char *path, const char *body, json_t **json)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    strbuf buf = STRBUF_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (json != NULL)
        *json = buf.data != NULL ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
    strbuf_release(&buf);
    curl_easy_cleanup(c);
    return status;
}

static void expect(const char *base, const char *method, const char *path, const char *body, long status)
{
    long got = call(base, method, path, body, NULL);
    if (got != status)
        fail_msg("%s %s: expected %ld, got %ld", method, path, status, got);
}

/* Creates an audience with filters that take the build a while. */
static void new_audience(const char *base, char id[64], int heavy)
{
    json_t *answer = NULL;
    assert_int_equal(call(base, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"order\"}", &answer),
                     200);
    snprintf(id, 64, "%s", json_string_value(json_object_get(json_object_get(answer, "output"), "audienceId")));
    json_decref(answer);
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    expect(base, "PATCH", path, heavy ? "{\"apiKey\":\"" KEY "\",\"prospectSearchParams\":{\"yearsOfExperience\":"
                                        "{\"min\":0,\"max\":60}}}"
                                      : "{\"apiKey\":\"" KEY "\",\"companySearchParams\":{\"employeeCountV2\":"
                                        "{\"min\":1}},\"maxCompanies\":5,\"maxProspects\":20}", 200);
}

/* Holds a build inside its filters (the store lock free) until the test
 * has made its change: the build hook waits here, on a server thread. */
typedef struct gate {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int armed;    /* the next build stops in the hook */
    int inside;   /* a build is stopped in the hook */
    int released; /* the test has made its change */
} gate;

static gate the_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void hold_build(void *ctx, const char *audience_id)
{
    (void)audience_id;
    gate *g = ctx;
    pthread_mutex_lock(&g->mutex);
    if (g->armed) {
        g->armed = 0;
        g->inside = 1;
        pthread_cond_broadcast(&g->cond);
        while (!g->released)
            pthread_cond_wait(&g->cond, &g->mutex);
    }
    pthread_mutex_unlock(&g->mutex);
}

/* Waits until *flag is set, at most 30 s; returns 0, or -1 on time out. */
static int wait_for(gate *g, const int *flag)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    int rc = 0;
    pthread_mutex_lock(&g->mutex);
    while (!*flag && rc == 0)
        rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
    int ok = *flag;
    pthread_mutex_unlock(&g->mutex);
    return ok ? 0 : -1;
}

typedef struct call_args {
    const char *base;
    const char *method;
    char path[256];
    const char *body;
    long status;
    int done;
} call_args;

static void *run_call(void *arg)
{
    call_args *a = arg;
    long status = call(a->base, a->method, a->path, a->body, NULL);
    pthread_mutex_lock(&the_gate.mutex);
    a->status = status;
    a->done = 1;
    pthread_cond_broadcast(&the_gate.cond);
    pthread_mutex_unlock(&the_gate.mutex);
    return NULL;
}

/* Starts the build of audience id on its own thread and returns once it
 * is held in its filters (the gate armed for it). */
static void start_held_build(const char *base, const char *id, call_args *build, pthread_t *thread)
{
    *build = (call_args){.base = base, .method = "POST", .body = "{\"apiKey\":\"" KEY "\"}"};
    snprintf(build->path, sizeof build->path, "/v1/audiences/%s/build", id);
    pthread_mutex_lock(&the_gate.mutex);
    the_gate.armed = 1;
    the_gate.inside = 0;
    the_gate.released = 0;
    pthread_mutex_unlock(&the_gate.mutex);
    assert_int_equal(pthread_create(thread, NULL, run_call, build), 0);
    if (wait_for(&the_gate, &the_gate.inside) != 0)
        fail_msg("the build of %s never reached its filters", id);
}

/* Lets the held build go on. */
static void release_build(void)
{
    pthread_mutex_lock(&the_gate.mutex);
    the_gate.released = 1;
    pthread_cond_broadcast(&the_gate.cond);
    pthread_mutex_unlock(&the_gate.mutex);
}

/* Everything a client can see of the state, as one JSON text. */
static char *state_of(const char *base)
{
    json_t *all = json_object();
    const char *paths[] = {"/v1/audiences?apiKey=" KEY "&limit=100", "/v1/credits?apiKey=" KEY,
                           "/_mock/accounts/" KEY, "/_mock/outbox", "/_mock/clock"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        json_t *answer = NULL;
        assert_int_equal(call(base, "GET", paths[i], NULL, &answer), 200);
        json_object_set_new(all, paths[i], json_incref(json_object_get(answer, "output")));
        json_decref(answer);
    }
    char *text = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(all);
    /* Links name the server's port, which a restart changes. */
    size_t n = strlen(base);
    for (char *at = strstr(text, base); at != NULL; at = strstr(at, base)) {
        memmove(at + 4, at + n, strlen(at + n) + 1);
        memcpy(at, "BASE", 4);
    }
    return text;
}

static void temp_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/descovo-order-%ld-%s", getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
             (long)getpid(), name);
    unlink(out);
}

static char state_file[256];

static void with_state_file(mock_options *options)
{
    options->state_file = state_file;
    options->companies = 2000;
    options->threads = 2; /* the change is served while a build holds one */
    options->rate_limit_scale = 0;
}

/* A server on a new state file named name (in state_file), whose builds
 * stop in the build hook whenever the gate is armed. */
static harness *start_with_build_gate(const char *name, harness_configure_fn configure)
{
    temp_path(state_file, sizeof state_file, name);
    harness *h = harness_start(configure);
    store_set_build_hook(mock_app_store(h->app), hold_build, &the_gate);
    return h;
}

/* Each change is made while a build is stopped in its filters (the build
 * hook), so it falls inside the build every time, whatever the machine's
 * speed; a change that runs alone (a scenario load) waits for the build,
 * and the tenant's scenario and reset do not (the build holds its own
 * filters: the sanitizer build sees a use after free if it did not). */
static void test_changes_during_a_build(void **state)
{
    (void)state;
    harness *h = start_with_build_gate("build.log", with_state_file);
    const char *base = h->base_url;
    /* Prepared: a NORMAL audience (enrich, export), a DRAFT one (PATCH),
     * one to archive. */
    char normal[64], draft[64], doomed[64];
    new_audience(base, normal, 0);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", normal);
    expect(base, "POST", path, "{\"apiKey\":\"" KEY "\"}", 200);
    expect(base, "POST", "/_mock/clock/advance", "{\"seconds\":600}", 200);
    new_audience(base, draft, 0);
    new_audience(base, doomed, 0);

    char enrich[160], export_path[160], patch[160], archive[160];
    snprintf(enrich, sizeof enrich, "/v1/audiences/%s/enrich", normal);
    snprintf(export_path, sizeof export_path, "/v1/audiences/%s/export/companies", normal);
    snprintf(patch, sizeof patch, "/v1/audiences/%s/search-params", draft);
    snprintf(archive, sizeof archive, "/v1/audiences/%s?apiKey=" KEY, doomed);
    const struct {
        const char *method, *path, *body;
        int alone; /* waits for the build to end */
    } changes[] = {
        {"PUT", "/_mock/accounts/" KEY, "{\"credits\":0}", 0},
        {"POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"during\"}", 0},
        {"PATCH", patch, "{\"apiKey\":\"" KEY "\",\"companySearchParams\":{\"employeeCountV2\":{\"min\":2}}}", 0},
        {"DELETE", archive, NULL, 0},
        {"POST", "/_mock/clock/advance", "{\"seconds\":1}", 0},
        {"POST", enrich, "{\"apiKey\":\"" KEY "\",\"maxProspectsToEnrich\":3,\"userEmail\":\"a@example.com\"}", 0},
        {"POST", export_path, "{\"apiKey\":\"" KEY "\",\"format\":\"COMPANY_GENERIC_CSV\"}", 0},
        {"DELETE", "/_mock/outbox", NULL, 0},
        {"DELETE", "/_mock/faults", NULL, 0},
        {"POST", "/_mock/scenarios", "{\"name\":\"low-credits\"}", 1},
        /* A tenant's own: not alone, other tenants' requests go on. */
        {"POST", "/_mock/accounts/" KEY "/scenario", "{\"name\":\"low-credits\"}", 0},
        /* The build comes back to an audience that is gone and keeps nothing. */
        {"POST", "/_mock/accounts/" KEY "/reset", NULL, 0},
    };
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        expect(base, "PUT", "/_mock/accounts/" KEY, "{\"credits\":50000}", 200);
        char id[64];
        new_audience(base, id, 1);
        call_args change = {.base = base, .method = changes[i].method, .body = changes[i].body};
        snprintf(change.path, sizeof change.path, "%s", changes[i].path);
        call_args build;
        pthread_t build_thread, change_thread;
        start_held_build(base, id, &build, &build_thread);
        assert_int_equal(pthread_create(&change_thread, NULL, run_call, &change), 0);
        int answered = changes[i].alone ? 0 : wait_for(&the_gate, &change.done);
        release_build();
        pthread_join(change_thread, NULL);
        pthread_join(build_thread, NULL);
        if (answered != 0)
            fail_msg("%s %s was not answered while a build ran its filters", changes[i].method, changes[i].path);
        if (change.status != 200 || build.status != 200)
            fail_msg("%s %s during a build: %ld (build %ld)", changes[i].method, changes[i].path, change.status,
                     build.status);
    }
    expect(base, "POST", "/_mock/clock/advance", "{\"seconds\":3600}", 200);
    char *before = state_of(base);
    harness_stop(h);

    /* The restart replays the log; no hook: nothing is held. */
    h = harness_start(with_state_file);
    char *after = state_of(h->base_url);
    assert_string_equal(after, before);
    free(before);
    free(after);
    harness_stop(h);
    unlink(state_file);
}

static void with_real_clock(mock_options *options)
{
    with_state_file(options);
    options->clock_mode = MOCK_CLOCK_REAL;
    options->time_scale = 1000; /* a millisecond of the server's clock every microsecond */
    options->threads = 3;       /* one holds the build, one the scenario load waiting for it */
}

/* Set by the store when a request is about to wait to run alone. */
static int load_waits;

static void note_alone(void *ctx)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->mutex);
    load_waits = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->mutex);
}

/* A change that runs alone (a scenario load) waits for running work; a
 * change logged meanwhile is later than the time the load came in at, so
 * the load is logged at the time it runs, or the log goes back in time
 * and every restart is refused ("earlier than the line before"). The PUT
 * is made once the load waits (the store's alone hook) for a build held in
 * its filters (the build hook), on a new connection, which the third
 * server thread takes. */
static void test_alone_change_logged_at_its_time(void **state)
{
    (void)state;
    harness *h = start_with_build_gate("alone.log", with_real_clock);
    const char *base = h->base_url;
    char id[64];
    new_audience(base, id, 1);
    call_args load = {.base = base, .method = "POST", .path = "/_mock/scenarios", .body = "{\"name\":\"low-credits\"}"};
    call_args build;
    pthread_t build_thread, load_thread;
    load_waits = 0;
    start_held_build(base, id, &build, &build_thread);
    store_set_alone_hook(mock_app_store(h->app), note_alone, &the_gate);
    assert_int_equal(pthread_create(&load_thread, NULL, run_call, &load), 0);
    int waited = wait_for(&the_gate, &load_waits);
    long put = waited == 0 ? call(base, "PUT", "/_mock/accounts/" KEY, "{\"credits\":60000}", NULL) : 0;
    pthread_mutex_lock(&the_gate.mutex);
    int early = load.done;
    pthread_mutex_unlock(&the_gate.mutex);
    release_build();
    pthread_join(load_thread, NULL);
    pthread_join(build_thread, NULL);
    store_set_alone_hook(mock_app_store(h->app), NULL, NULL);
    if (waited != 0)
        fail_msg("the scenario load never came to wait for the build");
    if (early)
        fail_msg("the scenario load was answered while a build ran its filters");
    assert_int_equal(put, 200);
    assert_int_equal(load.status, 200);
    assert_int_equal(build.status, 200);
    harness_stop(h);

    h = harness_start(with_real_clock); /* asserts that it starts */
    expect(h->base_url, "GET", "/v1/credits?apiKey=" KEY, NULL, 200);
    harness_stop(h);
    unlink(state_file);
}

/* Real clock, 1,000 times faster: a build takes a few real milliseconds. */
static void test_no_rollback_with_time_scale(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "scale.log");
    const char *const args[] = {"--port", "0", "--quiet", "--time-scale", "1000", "--companies", "400",
                                "--no-rate-limit", "--state-file", file, NULL};
    child c;
    char line[512];
    assert_int_equal(child_start(args, NULL, &c, line, sizeof line), 0);
    char id[64];
    new_audience(c.url, id, 0);
    char path[160];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    expect(c.url, "POST", path, "{\"apiKey\":\"" KEY "\"}", 200);
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=" KEY, id);
    const char *status = NULL;
    json_t *answer = NULL;
    for (int i = 0; i < 500; i++) {
        json_decref(answer);
        assert_int_equal(call(c.url, "GET", path, NULL, &answer), 200);
        status = json_string_value(json_object_get(json_object_get(answer, "output"), "status"));
        if (status != NULL && strcmp(status, "NORMAL") == 0)
            break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_string_equal(status, "NORMAL");
    json_decref(answer);
    json_t *credits = NULL;
    assert_int_equal(call(c.url, "GET", "/v1/credits?apiKey=" KEY, NULL, &credits), 200);
    json_int_t seen = json_integer_value(json_object_get(json_object_get(credits, "output"), "credits"));
    json_decref(credits);
    assert_true(seen < 50000); /* the build was charged */
    kill(c.pid, SIGKILL);
    child_kill(&c);

    assert_int_equal(child_start(args, NULL, &c, line, sizeof line), 0);
    assert_int_equal(call(c.url, "GET", path, NULL, &answer), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(answer, "output"), "status")), "NORMAL");
    json_decref(answer);
    assert_int_equal(call(c.url, "GET", "/v1/credits?apiKey=" KEY, NULL, &credits), 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(credits, "output"), "credits")), seen);
    json_decref(credits);
    child_kill(&c);
    unlink(file);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_during_a_build),
        cmocka_unit_test(test_alone_change_logged_at_its_time),
        cmocka_unit_test(test_no_rollback_with_time_scale),
    };
    int rc = cmocka_run_group_tests_name("persist_order", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
