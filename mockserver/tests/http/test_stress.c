/* Concurrency stress: client threads on several keys run the whole
 * workflow at once (create, filters, build, polls, estimate, enrich,
 * exports and downloads, pages, credits, list, archive) while another
 * thread moves the manual clock. Then, with everything settled:
 *   - each key's credits spent equal the sum of its charges: builds
 *     (companiesCount + prospectsCount of its NORMAL audiences, archived
 *     ones included) and enrichments (creditsCharged of each 200);
 *   - no audience lost or duplicated: the list is exactly the created ids
 *     minus the archived ones, each once;
 *   - no answer was 5xx, and none was outside the statuses expected;
 *   - the server keeps a --state-file, written by all those threads at
 *     once: a server restarted on it alone passes the same checks.
 *
 * STRESS_SECONDS (default 3) and STRESS_THREADS (default 8) in the
 * environment run it longer or wider; it also stops after
 * STRESS_MAX_STEPS steps per thread. Seeded per thread. Threads never call
 * cmocka: they record failures, and the main thread asserts. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "text/strbuf.h"

#define N_KEYS 3
#define MAX_THREADS 32
#define MAX_OWN 6                 /* audiences a thread works on at once */
#define MAX_IDS 20000
#define STRESS_MAX_STEPS 200000

static const struct {
    const char *key;
    int64_t credits;
} keys[N_KEYS] = {
    {"sk_stress_alpha_000001", 400000},
    {"sk_stress_beta_0000002", 400000},
    {"sk_stress_poor_0000003", 3000},  /* runs short: FAILED builds, 402s */
};

static const char *const filter_sets[] = {
    "\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":15,\"maxProspects\":40",
    "\"companySearchParams\":{\"employeeCountV2\":{\"min\":10,\"max\":500}},\"maxCompanies\":8",
    "\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":3,\"max\":20}},\"maxCompanies\":5,\"maxProspects\":30",
    "\"companySearchParams\":{\"industriesV2\":[\"artificial-intelligence\"]},\"maxProspects\":25",
};

typedef struct own {
    char id[40];
    int built;                    /* build accepted */
} own;

typedef struct worker {
    pthread_t thread;
    int index;
    const char *base_url;
    const char *key;
    int64_t deadline_ns;
    uint64_t rng;
    CURL *curl;
    own audiences[MAX_OWN];
    size_t n_own;
    /* What the invariants are checked against. */
    char (*created)[40];
    size_t n_created;
    char (*archived)[40];
    size_t n_archived;
    int64_t enrich_charges;
    int64_t archived_build_charges; /* NORMAL audiences it archived */
    size_t requests;
    size_t by_class[6];           /* 1xx..5xx */
    size_t by_4xx[32];            /* 400..431 */
    size_t enrichments, exports, downloads, builds, failed_builds;
    char error[512];              /* the first unexpected thing */
} worker;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t next_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append(ctx, data, size * n);
    return size * n;
}

static void note(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(worker *w, const char *fmt, ...)
{
    if (w->error[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
}

/* One request; returns the status (0 on a transport failure) and the
 * parsed body in *json (NULL if not JSON). `allowed` lists the statuses
 * that are not a failure, 0-terminated. */
static long call(worker *w, const char *method, const char *path, const char *body, json_t **json,
                 const long *allowed)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", path[0] == '/' ? w->base_url : "", path);
    strbuf buf = STRBUF_INIT;
    CURL *c = w->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *headers = NULL;
    if (body != NULL) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    w->requests++;
    if (status >= 100 && status < 600)
        w->by_class[status / 100]++;
    if (status >= 400 && status < 432)
        w->by_4xx[status - 400]++;
    *json = buf.data != NULL ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
    int ok = 0;
    for (size_t i = 0; allowed[i] != 0 && !ok; i++)
        ok = allowed[i] == status;
    if (!ok)
        note(w, "%s %s: status %ld (%s): %.200s", method, path, status,
             rc == CURLE_OK ? "answered" : curl_easy_strerror(rc), buf.data != NULL ? buf.data : "");
    strbuf_release(&buf);
    return status;
}

static json_t *output(json_t *json)
{
    return json_object_get(json, "output");
}

static const long ok_only[] = {200, 0};
static const long ok_or_limit[] = {200, 403, 0};
static const long ok_or_state[] = {200, 400, 0};        /* 400: not in the right status (yet) */
static const long ok_or_money[] = {200, 400, 402, 0};
static const long ok_or_quota[] = {200, 400, 403, 0};
static const long download_codes[] = {200, 404, 0};     /* 404: expired from the ring of 32 */

static void start_audience(worker *w)
{
    char body[512];
    json_t *json = NULL;
    int from_prospects = next_rand(&w->rng) % 4 == 0;
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"stress %d\",\"creationMethod\":\"%s\"}", w->key,
             w->index, from_prospects ? "START_FROM_PROSPECTS" : "NORMAL");
    /* 403: the key holds 10,000 audiences (archived ones count), in long runs. */
    if (call(w, "POST", "/v1/audiences/create", body, &json, ok_or_limit) != 200) {
        json_decref(json);
        return;
    }
    const char *id = json_string_value(json_object_get(output(json), "audienceId"));
    if (id == NULL || w->n_created == MAX_IDS) {
        note(w, "create: no audienceId or too many");
        json_decref(json);
        return;
    }
    own *a = &w->audiences[w->n_own++];
    snprintf(a->id, sizeof a->id, "%s", id);
    a->built = 0;
    snprintf(w->created[w->n_created++], 40, "%s", id);
    json_decref(json);
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", a->id);
    /* START_FROM_PROSPECTS ignores company filters: give it prospect ones. */
    size_t set = from_prospects ? 2 : next_rand(&w->rng) % (sizeof filter_sets / sizeof filter_sets[0]);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",%s}", w->key, filter_sets[set]);
    call(w, "PATCH", path, body, &json, ok_only);
    json_decref(json);
}

static void forget(worker *w, size_t i)
{
    w->audiences[i] = w->audiences[--w->n_own];
}

static void archive(worker *w, size_t i, int64_t charge)
{
    char path[160];
    json_t *json = NULL;
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", w->audiences[i].id, w->key);
    if (call(w, "DELETE", path, NULL, &json, ok_only) == 200) {
        snprintf(w->archived[w->n_archived++], 40, "%s", w->audiences[i].id);
        w->archived_build_charges += charge;
        forget(w, i);
    }
    json_decref(json);
}

static void download(worker *w, json_t *json)
{
    const char *url = json_string_value(json_object_get(output(json), "downloadUrl"));
    if (url == NULL) {
        note(w, "export without downloadUrl");
        return;
    }
    json_t *ignored = NULL;
    if (call(w, "GET", url, NULL, &ignored, download_codes) == 200)
        w->downloads++;
    json_decref(ignored);
}

/* One step on a built (NORMAL) audience. */
static void use_normal(worker *w, size_t i, int64_t build_charge)
{
    const char *id = w->audiences[i].id;
    char path[160];
    char body[512];
    json_t *json = NULL;
    switch (next_rand(&w->rng) % 8) {
    case 0:
        snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":%d}", w->key,
                 1 + (int)(next_rand(&w->rng) % 20));
        call(w, "POST", path, body, &json, ok_or_state);
        break;
    case 1:
    case 2:
        snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":%d,\"runProfileSalesNav\":%s}",
                 w->key, 1 + (int)(next_rand(&w->rng) % 20), next_rand(&w->rng) % 2 ? "true" : "false");
        if (call(w, "POST", path, body, &json, ok_or_money) == 200) {
            json_t *charged = json_object_get(json_object_get(json, "chargeInfo"), "creditsCharged");
            if (!json_is_integer(charged))
                note(w, "enrich without chargeInfo.creditsCharged");
            w->enrich_charges += json_integer_value(charged);
            w->enrichments++;
        }
        break;
    case 3:
        snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, w->key);
        call(w, "GET", path, NULL, &json, ok_or_state);
        break;
    case 4:
    case 5: {
        int prospects = next_rand(&w->rng) % 2;
        snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, prospects ? "prospects" : "companies");
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"%s\",\"maxRowsToExport\":20}", w->key,
                 prospects ? "PROSPECT_GENERIC_CSV" : "COMPANY_GENERIC_CSV");
        if (call(w, "POST", path, body, &json, ok_or_quota) == 200) {
            w->exports++;
            download(w, json);
        }
        break;
    }
    case 6:
        snprintf(path, sizeof path, "/v1/audiences/%s/%s?apiKey=%s&pageSize=7", id,
                 next_rand(&w->rng) % 2 ? "companies" : "prospects", w->key);
        call(w, "GET", path, NULL, &json, ok_only);
        break;
    default:
        archive(w, i, build_charge);
        break;
    }
    json_decref(json);
}

/* One step on one of the thread's audiences. */
static void step(worker *w)
{
    json_t *json = NULL;
    char path[160];
    if (w->n_own < MAX_OWN && next_rand(&w->rng) % 3 == 0) {
        start_audience(w);
        return;
    }
    if (next_rand(&w->rng) % 10 == 0) {
        snprintf(path, sizeof path, next_rand(&w->rng) % 2 ? "/v1/credits?apiKey=%s" : "/v1/audiences?apiKey=%s", w->key);
        call(w, "GET", path, NULL, &json, ok_only);
        json_decref(json);
        return;
    }
    if (w->n_own == 0)
        return;
    size_t i = next_rand(&w->rng) % w->n_own;
    own *a = &w->audiences[i];
    if (!a->built) {
        char body[160];
        snprintf(path, sizeof path, "/v1/audiences/%s/build", a->id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", w->key);
        long status = call(w, "POST", path, body, &json, ok_or_money);
        if (status == 200) {
            a->built = 1;
            w->builds++;
        } else if (status == 402) {
            archive(w, i, 0); /* never built: nothing charged */
        }
        json_decref(json);
        return;
    }
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", a->id, w->key);
    if (call(w, "GET", path, NULL, &json, ok_only) != 200) {
        json_decref(json);
        return;
    }
    const char *status = json_string_value(json_object_get(output(json), "status"));
    int64_t charge = json_integer_value(json_object_get(output(json), "companiesCount")) +
                     json_integer_value(json_object_get(output(json), "prospectsCount"));
    if (status == NULL) {
        note(w, "status without status");
    } else if (strcmp(status, "NORMAL") == 0) {
        use_normal(w, i, charge);
    } else if (strcmp(status, "FAILED") == 0) {
        w->failed_builds++;
        archive(w, i, 0);
    }
    json_decref(json);
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    w->curl = curl_easy_init();
    if (w->curl == NULL) {
        note(w, "curl_easy_init failed");
        return NULL;
    }
    for (size_t s = 0; s < STRESS_MAX_STEPS && now_ns() < w->deadline_ns; s++)
        step(w);
    curl_easy_cleanup(w->curl);
    return NULL;
}

typedef struct ticker {
    pthread_t thread;
    const char *base_url;
    int stop;                     /* set with __atomic_store_n */
    size_t advances;
    char error[512];
} ticker;

/* Moves the manual clock by half a second, again and again. */
static void *run_ticker(void *arg)
{
    ticker *t = arg;
    worker w = {.base_url = t->base_url, .curl = curl_easy_init()};
    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) && w.error[0] == '\0') {
        json_t *json = NULL;
        call(&w, "POST", "/_mock/clock/advance", "{\"seconds\":0.5}", &json, ok_only);
        json_decref(json);
        t->advances++;
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    snprintf(t->error, sizeof t->error, "%s", w.error);
    curl_easy_cleanup(w.curl);
    return NULL;
}

/* The server keeps a state file: the log written by concurrent requests
 * must replay to the same state (checked after a restart). */
static char state_file[128];

static void configure(mock_options *options)
{
    options->state_file = state_file;
    for (size_t i = 0; i < N_KEYS; i++)
        options->keys[i] = (mock_key_option){keys[i].key, keys[i].credits, -1};
    options->n_keys = N_KEYS;
    options->rate_limit_scale = 0;
    options->threads = 4;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Checks one key after the run. */
static void check_key(harness *h, size_t k, worker *workers, size_t n_workers)
{
    const char *key = keys[k].key;
    size_t n_expected = 0;
    int64_t charges = 0;
    for (size_t i = 0; i < n_workers; i++) {
        if (workers[i].key == key)
            n_expected += workers[i].n_created;
    }
    char (*expected)[40] = calloc(n_expected + 1, 40);
    n_expected = 0;
    for (size_t i = 0; i < n_workers; i++) {
        worker *w = &workers[i];
        if (w->key != key)
            continue;
        charges += w->enrich_charges + w->archived_build_charges;
        for (size_t c = 0; c < w->n_created; c++) {
            int archived = 0;
            for (size_t a = 0; a < w->n_archived && !archived; a++)
                archived = strcmp(w->archived[a], w->created[c]) == 0;
            if (!archived)
                snprintf(expected[n_expected++], 40, "%s", w->created[c]);
        }
    }
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", key), 200);
    json_t *list = json_object_get(json_object_get(res.json, "output"), "audiences");
    size_t n_listed = json_array_size(list);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "output"), "totalCount")), n_listed);
    char (*listed)[40] = calloc(n_listed + 1, 40);
    for (size_t i = 0; i < n_listed; i++) {
        json_t *item = json_array_get(list, i);
        snprintf(listed[i], 40, "%s", json_string_value(json_object_get(item, "audienceId")));
        if (strcmp(json_string_value(json_object_get(item, "status")), "NORMAL") == 0)
            charges += json_integer_value(json_object_get(item, "companiesCount")) +
                       json_integer_value(json_object_get(item, "prospectsCount"));
    }
    http_response_free(&res);
    qsort(expected, n_expected, 40, id_cmp);
    qsort(listed, n_listed, 40, id_cmp);
    for (size_t i = 1; i < n_listed; i++) {
        if (strcmp(listed[i - 1], listed[i]) == 0)
            fail_msg("%s: audience %s listed twice", key, listed[i]);
    }
    if (n_listed != n_expected)
        fail_msg("%s: %zu audiences listed, %zu created and not archived", key, n_listed, n_expected);
    for (size_t i = 0; i < n_listed; i++) {
        if (strcmp(listed[i], expected[i]) != 0)
            fail_msg("%s: listed %s, expected %s", key, listed[i], expected[i]);
    }
    long long credits = harness_credits(h, key);
    print_message("%s: %zu audiences listed, credits %lld of %lld, charges %lld\n", key, n_listed, credits,
                  (long long)keys[k].credits, (long long)charges);
    if (keys[k].credits - credits != charges)
        fail_msg("%s: spent %lld credits, charges add up to %lld", key, (long long)(keys[k].credits - credits),
                 (long long)charges);
    free(expected);
    free(listed);
}

static void test_stress(void **state)
{
    (void)state;
    snprintf(state_file, sizeof state_file, "/tmp/descovo-stress-%ld.log", (long)getpid());
    unlink(state_file);
    harness *h = harness_start(configure);
    size_t seconds = harness_env_size("STRESS_SECONDS", 3);
    size_t n_workers = harness_env_size("STRESS_THREADS", 8);
    if (n_workers > MAX_THREADS)
        n_workers = MAX_THREADS;
    worker *workers = calloc(n_workers, sizeof *workers);
    int64_t deadline = now_ns() + (int64_t)seconds * 1000000000LL;
    ticker tick = {.base_url = h->base_url};
    assert_int_equal(pthread_create(&tick.thread, NULL, run_ticker, &tick), 0);
    for (size_t i = 0; i < n_workers; i++) {
        worker *w = &workers[i];
        w->index = (int)i;
        w->base_url = h->base_url;
        w->key = keys[i % N_KEYS].key;
        w->deadline_ns = deadline;
        w->rng = 1000 + i;
        w->created = calloc(MAX_IDS, 40);
        w->archived = calloc(MAX_IDS, 40);
        assert_int_equal(pthread_create(&w->thread, NULL, run_worker, w), 0);
    }
    size_t total = 0;
    size_t classes[6] = {0};
    size_t by_4xx[32] = {0};
    size_t builds = 0, failed = 0, enrichments = 0, exports = 0, downloads = 0;
    for (size_t i = 0; i < n_workers; i++) {
        worker *w = &workers[i];
        pthread_join(w->thread, NULL);
        if (w->error[0] != '\0')
            fail_msg("worker %zu: %s", i, w->error);
        total += w->requests;
        for (size_t c = 0; c < 6; c++)
            classes[c] += w->by_class[c];
        for (size_t c = 0; c < 32; c++)
            by_4xx[c] += w->by_4xx[c];
        builds += w->builds;
        failed += w->failed_builds;
        enrichments += w->enrichments;
        exports += w->exports;
        downloads += w->downloads;
    }
    __atomic_store_n(&tick.stop, 1, __ATOMIC_RELEASE);
    pthread_join(tick.thread, NULL);
    if (tick.error[0] != '\0')
        fail_msg("clock thread: %s", tick.error);
    print_message("%zu threads, %zu s: %zu requests (2xx %zu, 4xx %zu, 5xx %zu), %zu clock advances; "
                  "%zu builds (%zu FAILED seen), %zu enrichments, %zu exports, %zu downloads\n",
                  n_workers, seconds, total, classes[2], classes[4], classes[5], tick.advances, builds, failed,
                  enrichments, exports, downloads);
    print_message("4xx:");
    for (size_t c = 0; c < 32; c++) {
        if (by_4xx[c] > 0)
            print_message(" %zu x %zu", 400 + c, by_4xx[c]);
    }
    print_message("\n");
    assert_int_equal(classes[5], 0);
    assert_true(builds > 0 && enrichments > 0 && exports > 0);
    /* Everything in flight finishes: a day later, nothing is pending. */
    harness_advance(h, 86400);
    for (size_t k = 0; k < N_KEYS; k++)
        check_key(h, k, workers, n_workers);
    /* The same state again from the state file alone. */
    harness_stop(h);
    h = harness_start(configure);
    print_message("restarted from %s:\n", state_file);
    for (size_t k = 0; k < N_KEYS; k++)
        check_key(h, k, workers, n_workers);
    unlink(state_file);
    for (size_t i = 0; i < n_workers; i++) {
        free(workers[i].created);
        free(workers[i].archived);
    }
    free(workers);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
