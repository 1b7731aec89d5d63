/* Group commit over HTTP (docs/RELIABILITY.md, "Group commit"): an answer
 * is never sent before the sync that makes its change durable (the log's
 * flusher runs every sync of a held answer). A sync hook
 * (persist_set_sync_hook) holds the syncs open, in-process over loopback:
 *  - a lone client: no answer while its sync is held, then 200, and its
 *    change is in the file;
 *  - 8 clients: the first one's sync held, the 7 others made
 *    meanwhile and held for the next sync: none answered while held, then 200
 *    for each, every change in the file;
 *  - syncs that fail: 500 for a lone client and for 8 at once.
 * Clients are threads with their own libcurl handles (cmocka asserts only
 * in the main thread); every wait is bounded. */
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
#include <curl/curl.h>

#include "harness.h"
#include "sim/persist.h"
#include "sync_gate.h"

#define CLIENTS 8
/* How long an answer held by a sync must stay unsent to count as held. */
#define HELD_MS 300

static char state_path[512];

static void configure(mock_options *options)
{
    options->state_file = state_path;
    options->rate_limit_scale = 0;
    options->threads = 2; /* one to hold a sync, one to take the others */
}

typedef struct client {
    sync_gate *g;
    const char *base;
    int n;
    long status;                  /* 0: no answer (transport error) */
} client;

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* One create, on its own connection; counts the answer in g->answered. */
static void *create_one(void *arg)
{
    client *c = arg;
    char url[128], body[128];
    snprintf(url, sizeof url, "%s/v1/audiences/create", c->base);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"group-commit-%d\"}", DEV_KEY, c->n);
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (curl != NULL && headers != NULL) {
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(curl) == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    sync_gate_bump(c->g, &c->g->answered);
    return NULL;
}

/* Lines of the state file naming a create of this test. */
static int creates_in_file(void)
{
    FILE *f = fopen(state_path, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        n += strstr(line, "\"name\":\"group-commit-") != NULL;
    fclose(f);
    return n;
}

/* Waits up to 10 s until the log holds `want` records; returns how many. */
static uint64_t wait_records(persist *log, uint64_t want)
{
    for (int i = 0; i < 1000 && persist_records(log) < want; i++) {
        struct timespec ms = {0, 10000000};
        nanosleep(&ms, NULL);
    }
    return persist_records(log);
}

/* n clients against a server whose syncs are held: the first one's change
 * is synced by the flusher, held there; the others then come in, their
 * changes made and their answers held for the flusher's next sync. None
 * answered while held; then each answered `want`. */
static void held_creates(int n, int fail, long want)
{
    snprintf(state_path, sizeof state_path, "%s/descovo-group-commit-%ld.log",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", (long)getpid());
    unlink(state_path);
    harness *h = harness_start(configure);
    persist *log = mock_app_context(h->app)->persist;
    sync_gate g;
    sync_gate_init(&g, fail);
    persist_set_sync_hook(log, sync_gate_hold, &g);
    uint64_t before = persist_records(log);
    client clients[CLIENTS];
    pthread_t threads[CLIENTS];
    for (int i = 0; i < n; i++) {
        clients[i] = (client){&g, h->base_url, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, create_one, &clients[i]), 0);
        if (i == 0)
            sync_gate_wait(&g, &g.entered, 1, 10000);
    }
    int entered = sync_gate_wait(&g, &g.entered, 1, 0);
    uint64_t made = wait_records(log, before + (uint64_t)n);
    int early = sync_gate_wait(&g, &g.answered, 1, HELD_MS);
    sync_gate_release(&g);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(entered, 1);
    assert_int_equal(made, before + (uint64_t)n);
    if (early != 0)
        fail_msg("%d of %d answers were sent while the sync of the first change was held", early, n);
    for (int i = 0; i < n; i++) {
        if (clients[i].status != want)
            fail_msg("client %d: status %ld, expected %ld", i, clients[i].status, want);
    }
    persist_set_sync_hook(log, NULL, NULL);
    harness_stop(h);
    sync_gate_destroy(&g);
    assert_int_equal(creates_in_file(), fail ? 0 : n);
    unlink(state_path);
}

static void test_lone_client_waits_for_its_sync(void **state)
{
    (void)state;
    held_creates(1, 0, 200);
}

static void test_batch_waits_for_its_sync(void **state)
{
    (void)state;
    held_creates(CLIENTS, 0, 200);
}

static void test_failed_sync_answers_500(void **state)
{
    (void)state;
    held_creates(1, 1, 500);
    held_creates(CLIENTS, 1, 500);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_client_waits_for_its_sync),
        cmocka_unit_test(test_batch_waits_for_its_sync),
        cmocka_unit_test(test_failed_sync_answers_500),
    };
    int rc = cmocka_run_group_tests_name("group_commit", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
