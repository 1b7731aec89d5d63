/* Compaction of the state file (issue 14, "A restart that does not grow
 * with history"), servers in-process over loopback:
 *  - a rich history (tenants on demand, builds finished and BUILDING,
 *    enrichments with e-mail, exports, archive, account PUTs, clock
 *    advances, scenarios (with fault rules, chaos and a time scale, which
 *    neither path brings back), a tenant reset), compacted twice with changes
 *    between and after: a restart from snapshot + log equals a restart from
 *    the whole uncompacted log (the same records), byte for byte, over
 *    HTTP answers for every key and the store's own dump;
 *  - a crash (_exit in a forked child) at every step of a compaction, and a
 *    torn PATH.compact left behind: nothing acknowledged is lost;
 *  - a damaged snapshot line refuses the start, naming the line;
 *  - changes made while compactions run survive; automatic compaction
 *    keeps the lines after the snapshot bounded; 404 and 409;
 *  - a compaction holds no server thread: with one, other requests are
 *    answered while it runs. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "sim/persist.h"
#include "sim/store_snapshot.h"
#include "text/strbuf.h"

#define TENANT_A "sk_test_compact_a"
#define TENANT_B "sk_test_compact_b"

static const char *const keys[] = {DEV_KEY, OTHER_KEY, POOR_KEY, TENANT_A, TENANT_B};

/* What the next server starts with (harness_start's configure). */
static char next_file[512];
static uint64_t next_compact_after;

static void configure(mock_options *options)
{
    options->state_file = next_file;
    options->compact_after = next_compact_after;
    options->companies = 2000;
    options->rate_limit_scale = 0;
}

static harness *start_on(const char *file, uint64_t compact_after)
{
    snprintf(next_file, sizeof next_file, "%s", file);
    next_compact_after = compact_after;
    return harness_start(configure);
}

static void temp_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/descovo-compact-%ld-%s", getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
             (long)getpid(), name);
    unlink(out);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    strbuf text = STRBUF_INIT;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(&text, buf, n);
    fclose(f);
    if (len != NULL)
        *len = text.len;
    return text.data != NULL ? strbuf_detach(&text) : strdup("");
}

static void write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void ok(harness *h, const char *method, const char *path, const char *body)
{
    http_response res;
    harness_request(h, method, path, body, &res);
    if (res.status != 200)
        fail_msg("%s %s: %ld %s", method, path, res.status, res.raw);
    http_response_free(&res);
}

static json_t *ok_json(harness *h, const char *method, const char *path, const char *body)
{
    http_response res;
    harness_request(h, method, path, body, &res);
    if (res.status != 200)
        fail_msg("%s %s: %ld %s", method, path, res.status, res.raw);
    json_t *output = json_incref(json_object_get(res.json, "output"));
    http_response_free(&res);
    return output;
}

static void compact_now(harness *h)
{
    json_t *out = ok_json(h, "POST", "/_mock/state/compact", NULL);
    assert_true(json_is_true(json_object_get(out, "compacted")));
    json_decref(out);
}

/* An audience of key with these filters; built (and finished) unless
 * build is 0; returns its id in id. */
static void make_audience(harness *h, const char *key, const char *method, const char *filters, int build, char id[64])
{
    snprintf(id, 64, "%s", harness_create(h, key, "compacted history", method));
    char path[160], body[512];
    if (filters == NULL)
        return;
    snprintf(path, sizeof path, "/v1/audiences/%s/search-params", id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",%s}", key, filters);
    ok(h, "PATCH", path, body);
    if (!build)
        return;
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", key);
    ok(h, "POST", path, body);
}

/* Download links met, to fetch again after a restart. */
static char downloads[64][160];
static size_t n_downloads;

static void export(harness *h, const char *key, const char *id, const char *kind, const char *extra)
{
    char path[160], body[512];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, kind);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"%s\"%s}", key,
             strcmp(kind, "companies") == 0 ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV", extra);
    json_t *out = ok_json(h, "POST", path, body);
    const char *url = json_string_value(json_object_get(out, "downloadUrl"));
    const char *rest = url != NULL ? strstr(url, "/v1/exports/") : NULL;
    assert_non_null(rest);
    if (n_downloads < 64)
        snprintf(downloads[n_downloads++], sizeof downloads[0], "%s", rest);
    json_decref(out);
}

static void enrich(harness *h, const char *key, const char *id, int prospects)
{
    char path[160], body[512];
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":%d,\"userEmail\":\"qa@example.com\"}",
             key, prospects);
    ok(h, "POST", path, body);
}

#define SMALL "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}},\"maxCompanies\":6,\"maxProspects\":40"
#define WIDE "\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":2,\"max\":30}}"

/* One round of history: every kind of logged change. */
/* 1: history() also loads scenarios with fault rules, chaos and a time scale. */
static int with_process_state;

static void history(harness *h, int round)
{
    char normal[64], building[64], doomed[64], draft[64], prospects[64], tenant[64], gone[64];
    make_audience(h, DEV_KEY, "NORMAL", SMALL, 1, normal);
    make_audience(h, DEV_KEY, "START_FROM_PROSPECTS", WIDE, 1, prospects);
    make_audience(h, DEV_KEY, "NORMAL", SMALL, 0, doomed);
    make_audience(h, OTHER_KEY, "NORMAL", round % 2 ? WIDE : SMALL, 0, draft);
    make_audience(h, TENANT_A, "NORMAL", SMALL, 1, tenant);
    harness_advance(h, 600);
    /* Its own clock stands still on a manual server clock. */
    ok(h, "POST", "/_mock/accounts/" TENANT_A "/clock/advance", "{\"seconds\":600}");
    enrich(h, DEV_KEY, normal, 5);
    enrich(h, TENANT_A, tenant, 3);
    harness_advance(h, 3);
    export(h, DEV_KEY, normal, "companies", ",\"userEmail\":\"csv@example.com\"");
    export(h, DEV_KEY, prospects, "prospects", ",\"maxRowsToExport\":25,\"excludeFields\":[\"descovo_id\"]");
    char path[200];
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", doomed, DEV_KEY);
    ok(h, "DELETE", path, NULL);
    ok(h, "PUT", "/_mock/accounts/" OTHER_KEY, round % 2 ? "{\"credits\":777777}" : "{\"credits\":123456}");
    ok(h, "POST", "/_mock/accounts/" TENANT_A "/clock/advance", "{\"seconds\":45}");
    ok(h, "POST", "/_mock/scenarios", round % 2 ? "{\"name\":\"low-credits\"}" : "{\"name\":\"in-progress-statuses\"}");
    /* What a scenario sets outside the store (rules, chaos, time scale) is
     * the process's: neither a replay nor a snapshot brings it back (only
     * where two restarts are compared: a live server still has it). */
    if (with_process_state) {
        ok(h, "POST", "/_mock/scenarios",
           "{\"name\":\"outside\",\"settings\":{\"timeScale\":3,\"chaosRate\":0,\"chaosSeed\":9},"
           "\"faults\":[{\"match\":{\"path\":\"/v1/none\"},\"action\":{\"type\":\"status\",\"status\":503}}]}");
        ok(h, "POST", "/_mock/accounts/" TENANT_A "/scenario",
           "{\"faults\":[{\"match\":{\"path\":\"/v1/none\"},\"action\":{\"type\":\"status\",\"status\":502}}]}");
    }
    ok(h, "PUT", "/_mock/accounts/" DEV_KEY, "{\"credits\":90000}");
    make_audience(h, TENANT_B, "NORMAL", SMALL, 1, gone);
    ok(h, "POST", "/_mock/accounts/" TENANT_B "/reset", NULL);
    harness_advance(h, 900);
    /* Left building, and enriching, across the compaction and restart. */
    make_audience(h, DEV_KEY, "NORMAL", WIDE, 1, building);
    enrich(h, DEV_KEY, normal, 9);
    export(h, TENANT_A, tenant, "prospects", ",\"onlyWithContacts\":true");
    if (round == 1)
        ok(h, "DELETE", "/_mock/outbox", NULL);
}

/* Everything a client can see, and the store's own dump, as one text;
 * the server's port replaced by BASE. */
static char *dump(harness *h)
{
    strbuf out = STRBUF_INIT;
    store *st = mock_app_store(h->app);
    store_lock(st);
    store_snapshot_write(st, h->base_url, &out);
    store_unlock(st);
    const char *control[] = {"/_mock/accounts", "/_mock/audiences", "/_mock/outbox", "/_mock/clock", "/_mock/faults"};
    char path[300];
    for (size_t i = 0; i < sizeof control / sizeof control[0]; i++) {
        json_t *o = ok_json(h, "GET", control[i], NULL);
        char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        strbuf_printf(&out, "%s %s\n", control[i], text);
        free(text);
        json_decref(o);
    }
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *per_key[] = {"/v1/audiences?limit=100&apiKey=%s", "/v1/credits?apiKey=%s",
                                 "/_mock/accounts/%s", "/_mock/accounts/%s/ledger", "/_mock/accounts/%s/clock"};
        json_t *list = NULL;
        for (size_t i = 0; i < sizeof per_key / sizeof per_key[0]; i++) {
            snprintf(path, sizeof path, per_key[i], keys[k]);
            http_response res;
            harness_request(h, "GET", path, NULL, &res);
            strbuf_printf(&out, "%s %ld %s\n", path, res.status, res.raw);
            if (i == 0)
                list = json_incref(json_object_get(json_object_get(res.json, "output"), "audiences"));
            http_response_free(&res);
        }
        for (size_t a = 0; a < json_array_size(list); a++) {
            const char *id = json_string_value(json_object_get(json_array_get(list, a), "audienceId"));
            const char *each[] = {"/v1/audiences/%s?apiKey=%s", "/v1/audiences/%s/enrichment/status?apiKey=%s",
                                  "/v1/audiences/%s/companies?apiKey=%s", "/v1/audiences/%s/prospects?apiKey=%s"};
            for (size_t i = 0; i < sizeof each / sizeof each[0]; i++) {
                snprintf(path, sizeof path, each[i], id, keys[k]);
                http_response res;
                harness_request(h, "GET", path, NULL, &res);
                strbuf_printf(&out, "%s %ld %s\n", path, res.status, res.raw);
                http_response_free(&res);
            }
        }
        json_decref(list);
    }
    for (size_t i = 0; i < n_downloads; i++) {
        http_response res;
        harness_request(h, "GET", downloads[i], NULL, &res);
        strbuf_printf(&out, "%s %ld %s\n", downloads[i], res.status, res.raw);
        http_response_free(&res);
    }
    json_t *health = ok_json(h, "GET", "/_mock/health", NULL);
    const char *counts[] = {"tenants", "accounts", "audiences", "exports"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        strbuf_printf(&out, "%s %lld\n", counts[i], (long long)json_integer_value(json_object_get(health, counts[i])));
    json_decref(health);
    assert_false(out.oom);
    char *text = strbuf_detach(&out);
    size_t n = strlen(h->base_url);
    for (char *at = strstr(text, h->base_url); at != NULL; at = strstr(at, h->base_url)) {
        memmove(at + 4, at + n, strlen(at + n) + 1);
        memcpy(at, "BASE", 4);
    }
    return text;
}

/* The records after the snapshot of a compacted file (all of it after
 * the header when it has none). */
static const char *tail_of(const char *text)
{
    const char *end = strstr(text, "{\"snapshotEnd\":");
    const char *from = end != NULL ? end : text;
    from = strchr(from, '\n');
    assert_non_null(from);
    return from + 1;
}

static void append_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void assert_same(const char *want, const char *got)
{
    if (strcmp(want, got) == 0)
        return;
    size_t i = 0;
    while (want[i] == got[i])
        i++;
    size_t from = i > 200 ? i - 200 : 0;
    fail_msg("differs at byte %zu:\nreference: %.400s\nrestored:  %.400s", i, want + from, got + from);
}

/* Stops h and restarts on file: the restarted server shows what h showed. */
static void assert_restart_keeps(harness *h, const char *file, uint64_t compact_after)
{
    char *want = dump(h);
    harness_stop(h);
    h = start_on(file, compact_after);
    char *got = dump(h);
    harness_stop(h);
    assert_same(want, got);
    free(want);
    free(got);
}

/* Restart from snapshot + log == restart from the whole log. */
static void test_equal_to_full_log(void **state)
{
    (void)state;
    char file[256], reference[256];
    temp_path(file, sizeof file, "equal.log");
    temp_path(reference, sizeof reference, "equal-ref.log");
    n_downloads = 0;
    with_process_state = 1;
    harness *h = start_on(file, 0);
    history(h, 0);
    /* Round 1 then 2, each after a compaction: the reference gets the
     * records the compacted file kept after its snapshot. */
    char *text = read_text(file, NULL);
    write_text(reference, text, strlen(text));
    free(text);
    for (int round = 1; round <= 2; round++) {
        compact_now(h);
        history(h, round);
        text = read_text(file, NULL);
        assert_non_null(strstr(text, "{\"descovoState\":3,"));
        assert_non_null(strstr(text, "\n{\"snapshot\":{\"lines\":"));
        append_text(reference, tail_of(text));
        free(text);
    }
    harness_stop(h);

    h = start_on(reference, 0);
    char *want = dump(h);
    harness_stop(h);
    h = start_on(file, 0);
    char *got = dump(h);
    harness_stop(h);
    with_process_state = 0;
    assert_same(want, got);
    /* Neither restart kept what the scenarios set outside the store. */
    assert_non_null(strstr(got, "/_mock/faults {\"chaosRate\":0.0,\"chaosSeed\":1,\"faults\":[]}"));
    assert_non_null(strstr(got, "\"scale\":1.0}"));
    free(want);
    free(got);
    /* The reference really is the whole history: longer than the file. */
    size_t compacted = 0, whole = 0;
    free(read_text(file, &compacted));
    free(read_text(reference, &whole));
    assert_true(whole > 0 && compacted > 0);
    unlink(file);
    unlink(reference);
}

/* --- crashes --------------------------------------------------------------- */

static int crash_step;

static void exit_at(void *ctx, int step)
{
    (void)ctx;
    if (step == crash_step)
        _exit(42);
}

/* In a child: a server on file, a history, its dump written to dump_path,
 * then a compaction that ends the process at step k. */
static void crash_child(const char *file, const char *dump_path, int k)
{
    n_downloads = 0;
    harness *h = start_on(file, 0);
    history(h, 0);
    char *text = dump(h);
    write_text(dump_path, text, strlen(text));
    free(text);
    crash_step = k;
    persist_set_step_hook(mock_app_context(h->app)->persist, exit_at, NULL);
    http_response res;
    harness_request(h, "POST", "/_mock/state/compact", NULL, &res);
    /* Past the last step: the compaction ended normally. */
    _exit(res.status == 200 ? 0 : 1);
}

static void test_kill_at_every_step(void **state)
{
    (void)state;
    char file[256], dump_path[256], compact[300];
    temp_path(file, sizeof file, "crash.log");
    temp_path(dump_path, sizeof dump_path, "crash.dump");
    snprintf(compact, sizeof compact, "%s.compact", file);
    for (int k = 1; k <= 9; k++) {
        unlink(file);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            crash_child(file, dump_path, k);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), k <= 8 ? 42 : 0);
        char *want = read_text(dump_path, NULL);
        /* The child's download links, from its dump. */
        n_downloads = 0;
        for (const char *at = strstr(want, "\n/v1/exports/"); at != NULL && n_downloads < 64;
             at = strstr(at + 1, "\n/v1/exports/")) {
            size_t len = strcspn(at + 1, " ");
            snprintf(downloads[n_downloads++], sizeof downloads[0], "%.*s", (int)len, at + 1);
        }
        harness *h = start_on(file, 0);
        /* Whatever the step, the file names the same state; a PATH.compact
         * left behind is gone. */
        assert_int_equal(access(compact, F_OK), -1);
        char *got = dump(h);
        harness_stop(h);
        assert_same(want, got);
        free(want);
        free(got);
    }
    unlink(file);
    unlink(dump_path);
}

/* A torn PATH.compact beside a whole log: deleted, the log replayed. */
static void test_torn_compact_file_left_behind(void **state)
{
    (void)state;
    char file[256], compact[300];
    temp_path(file, sizeof file, "torn.log");
    snprintf(compact, sizeof compact, "%s.compact", file);
    harness *h = start_on(file, 0);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "kept", "NORMAL"));
    harness_stop(h);
    const char torn[] = "{\"descovoState\":3,\"seed\":\"42\",\"companies\":2000,\"clock\":\"manual\"}\n"
                        "{\"snapshot\":{\"lines\":3,\"t\":0,\"c\":0}}\n{\"store\":{\"audienceSe";
    write_text(compact, torn, sizeof torn - 1);
    h = start_on(file, 0);
    assert_int_equal(access(compact, F_OK), -1);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY), 200);
    http_response_free(&res);
    harness_stop(h);
    unlink(file);
}

/* A damaged line of the snapshot refuses the start, with its number and
 * the field. */
static void test_damaged_snapshot_line(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "damaged.log");
    harness *h = start_on(file, 0);
    harness_create(h, DEV_KEY, "one", "NORMAL");
    compact_now(h);
    harness_stop(h);
    char *text = read_text(file, NULL);
    static const struct {
        const char *from, *to, *want;
    } cases[] = {
        {"\"name\":\"one\"", "\"name\":\"one\",\"method\":7", "\"audience\".method: expected an integer from 0 to 1"},
        {"\"status\":\"DRAFT\"", "\"status\":\"ASLEEP\"", "\"audience\".status: expected an audience status"},
        {"{\"store\":{\"audienceSeq\"", "{\"store\":{\"audienceSeq\":{}", "line 3 (snapshot) is damaged"},
        {"\"snapshotEnd\":", "\"snapshotEnd\":9", "is not the end of the snapshot"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *at = strstr(text, cases[i].from);
        assert_non_null(at);
        strbuf bad = STRBUF_INIT;
        strbuf_append(&bad, text, (size_t)(at - text));
        strbuf_puts(&bad, cases[i].to);
        strbuf_puts(&bad, at + strlen(cases[i].from));
        write_text(file, bad.data, bad.len);
        /* The line of the change, counted from 1. */
        long line = 1;
        for (const char *c = bad.data; c < bad.data + (at - text); c++)
            line += *c == '\n';
        strbuf_release(&bad);
        mock_options options;
        mock_options_default(&options);
        options.port = 0;
        options.quiet = 1;
        options.clock_mode = MOCK_CLOCK_MANUAL;
        options.state_file = file;
        options.rate_limit_scale = 0;
        char err[1024] = "";
        mock_exit why = MOCK_EXIT_OK;
        mock_app *app = mock_app_launch(&options, &why, err, sizeof err);
        assert_null(app);
        assert_int_equal(why, MOCK_EXIT_STATE);
        char want_line[32];
        snprintf(want_line, sizeof want_line, ": line %ld ", line);
        if (strstr(err, cases[i].want) == NULL || strstr(err, want_line) == NULL)
            fail_msg("case %zu: expected \"%s\" at%s, got \"%s\"", i, cases[i].want, want_line, err);
    }
    free(text);
    unlink(file);
}

/* The state file's counter `name` in GET /_mock/health. */
static json_int_t state_file_count(const json_t *health, const char *name)
{
    return json_integer_value(json_object_get(json_object_get(health, "stateFile"), name));
}

/* --- concurrency and automatic compaction ---------------------------------- */

typedef struct writer {
    const char *base;
    int stop;                    /* atomic */
    int created;                 /* atomic: read while it runs */
    int failed;
} writer;

static void *write_loop(void *arg)
{
    writer *w = arg;
    harness h = {0};
    snprintf(h.base_url, sizeof h.base_url, "%s", w->base);
    h.curl = curl_easy_init();
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) && w->created < 5000) {
        http_response res;
        harness_request(&h, "POST", "/v1/audiences/create", "{\"apiKey\":\"" OTHER_KEY "\",\"name\":\"during\"}", &res);
        if (res.status == 200)
            __atomic_add_fetch(&w->created, 1, __ATOMIC_RELEASE);
        else
            w->failed++;
        http_response_free(&res);
    }
    curl_easy_cleanup(h.curl);
    return NULL;
}

static void test_changes_during_compaction(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "during.log");
    harness *h = start_on(file, 0);
    for (int i = 0; i < 300; i++)
        harness_create(h, DEV_KEY, "bulk", "NORMAL");
    writer w = {.base = h->base_url};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, write_loop, &w), 0);
    /* At least 20 compactions, and as many more as it takes for 20
     * creates to be made while they run (the writer's thread may start
     * late on a loaded machine); bounded in count. */
    int compactions = 0;
    while (compactions < 1000 && (compactions < 20 || __atomic_load_n(&w.created, __ATOMIC_ACQUIRE) < 20)) {
        compact_now(h);
        compactions++;
    }
    int created_meanwhile = __atomic_load_n(&w.created, __ATOMIC_ACQUIRE);
    print_message("%d compactions, %d creates meanwhile\n", compactions, created_meanwhile);
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    pthread_join(thread, NULL);
    assert_int_equal(w.failed, 0);
    if (created_meanwhile < 20)
        fail_msg("%d creates during %d compactions", created_meanwhile, compactions);
    /* The new file is its log, then the zeros of its tail (sim/persist.h):
     * "bytes", in the answer and in the health, is the log's size. */
    json_t *out = ok_json(h, "POST", "/_mock/state/compact", NULL);
    json_int_t bytes = json_integer_value(json_object_get(out, "bytes"));
    json_decref(out);
    json_t *health = ok_json(h, "GET", "/_mock/health", NULL);
    assert_int_equal(state_file_count(health, "bytes"), bytes);
    json_decref(health);
    size_t size = 0;
    char *text = read_text(file, &size);
    assert_int_equal(strlen(text), (size_t)bytes);
    assert_true(size >= (size_t)bytes + 256 * 1024);
    free(text);
    assert_restart_keeps(h, file, 0);
    unlink(file);
}

/* Waits (bounded) until the state file has been compacted more than
 * `done` times: the compactor runs on a thread of its own, with no signal
 * a client can wait for. The deadline only bounds a failure, so it is
 * generous: a sanitizer build on a loaded machine is slow. */
static void wait_for_compactions(harness *h, json_int_t done)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    time_t deadline = now.tv_sec + 60;
    for (;;) {
        json_t *health = ok_json(h, "GET", "/_mock/health", NULL);
        json_int_t count = state_file_count(health, "compactions");
        json_decref(health);
        if (count > done)
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec >= deadline)
            fail_msg("still %lld compactions after 60 s", (long long)count);
        usleep(10000);
    }
}

/* --compact-after N: compactions happen on their own, and the lines after
 * the snapshot stay bounded: N, and those made while the last one ran.
 * How many are made meanwhile depends on the disk (a compaction syncs a
 * new file and its tail; a change, one record), so the writer waits for a
 * compaction it sees due before going on: the bound then holds however
 * slow the machine, and still fails if compactions stop. */
static void test_automatic(void **state)
{
    (void)state;
    enum { COMPACT_AFTER = 50 };
    char file[256];
    temp_path(file, sizeof file, "auto.log");
    harness *h = start_on(file, COMPACT_AFTER);
    json_int_t most = 0;
    for (int i = 0; i < 400; i++) {
        ok(h, "PUT", "/_mock/accounts/" DEV_KEY, i % 2 ? "{\"credits\":1000}" : "{\"credits\":2000}");
        if (i % 20 == 19) {
            json_t *health = ok_json(h, "GET", "/_mock/health", NULL);
            json_int_t since = state_file_count(health, "linesSinceSnapshot");
            json_int_t done = state_file_count(health, "compactions");
            json_decref(health);
            most = since > most ? since : most;
            /* Due, and not done yet (a finished one leaves fewer than
             * COMPACT_AFTER: at most the 19 changes made since the last
             * look; the snapshot's own few lines do not raise the due). */
            if (since >= COMPACT_AFTER)
                wait_for_compactions(h, done);
        }
    }
    wait_for_compactions(h, 2);
    json_t *health = ok_json(h, "GET", "/_mock/health", NULL);
    json_t *sf = json_object_get(health, "stateFile");
    assert_true(json_integer_value(json_object_get(sf, "compactions")) >= 3);
    assert_int_equal(json_integer_value(json_object_get(sf, "compactAfter")), COMPACT_AFTER);
    assert_true(json_integer_value(json_object_get(sf, "snapshotObjects")) > 0);
    /* COMPACT_AFTER and the 19 made before the writer looked. */
    if (most >= 2 * COMPACT_AFTER)
        fail_msg("%lld lines after the snapshot, out of 400 changes", (long long)most);
    json_decref(health);
    assert_restart_keeps(h, file, COMPACT_AFTER);
    unlink(file);
}

/* With a state file, a tenant reset runs alone already: it took the work
 * lock a second time, glibc refused that one (EDEADLK), the unlock after
 * it released the route's, and the route's own unlock then broke the lock:
 * the next scenario load, reset or compaction waited for ever. */
static void test_tenant_reset_keeps_the_work_lock(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "lock.log");
    harness *h = start_on(file, 0);
    ok(h, "POST", "/_mock/accounts/" DEV_KEY "/reset", NULL);
    harness_create(h, DEV_KEY, "after the tenant reset", "NORMAL");
    ok(h, "POST", "/_mock/scenarios", "{\"name\":\"low-credits\"}");
    compact_now(h);
    ok(h, "POST", "/_mock/reset", NULL);
    harness_stop(h);
    unlink(file);
}

/* Holds a compaction at its first step (the store free, the old file
 * still in use) until the test lets it go, at most 10 s. */
typedef struct holder {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int inside;    /* the compaction is held */
    int released;  /* the test is done with it */
    int timed_out; /* it was let go after 10 s, not by the test */
} holder;

static void hold_at_first_step(void *ctx, int k)
{
    holder *hd = ctx;
    if (k != 1)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&hd->mutex);
    hd->inside = 1;
    pthread_cond_broadcast(&hd->cond);
    int rc = 0;
    while (!hd->released && rc == 0)
        rc = pthread_cond_timedwait(&hd->cond, &hd->mutex, &until);
    hd->timed_out = !hd->released;
    pthread_mutex_unlock(&hd->mutex);
}

typedef struct compaction_call {
    const char *base;
    long status;
} compaction_call;

static void *compact_in_thread(void *arg)
{
    compaction_call *call = arg;
    harness h = {0};
    snprintf(h.base_url, sizeof h.base_url, "%s", call->base);
    h.curl = curl_easy_init();
    http_response res;
    harness_request(&h, "POST", "/_mock/state/compact", NULL, &res);
    call->status = res.status;
    http_response_free(&res);
    curl_easy_cleanup(h.curl);
    return NULL;
}

static void one_thread(mock_options *options)
{
    configure(options);
    options->threads = 1;
}

/* POST /_mock/state/compact holds no server thread while it runs: with one
 * thread, a status GET and a second compaction (409) are answered while
 * the first is held in the middle (held on that thread, they would wait
 * for the hook's 10 s and the test would fail). */
static void test_compaction_frees_the_thread(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "thread.log");
    snprintf(next_file, sizeof next_file, "%s", file);
    next_compact_after = 0;
    harness *h = harness_start(one_thread);
    harness_create(h, DEV_KEY, "before", "NORMAL");
    holder hd = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    persist_set_step_hook(mock_app_context(h->app)->persist, hold_at_first_step, &hd);
    compaction_call call = {.base = h->base_url};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, compact_in_thread, &call), 0);
    pthread_mutex_lock(&hd.mutex);
    while (!hd.inside)
        pthread_cond_wait(&hd.cond, &hd.mutex);
    pthread_mutex_unlock(&hd.mutex);

    http_response res;
    harness_request(h, "GET", "/v1/credits?apiKey=" DEV_KEY, NULL, &res);
    long credits_status = res.status;
    http_response_free(&res);
    harness_request(h, "POST", "/_mock/state/compact", NULL, &res);
    long second_status = res.status;
    int named = res.raw != NULL && strstr(res.raw, "already running") != NULL;
    http_response_free(&res);
    pthread_mutex_lock(&hd.mutex);
    hd.released = 1;
    pthread_cond_broadcast(&hd.cond);
    int timed_out = hd.timed_out;
    pthread_mutex_unlock(&hd.mutex);
    pthread_join(thread, NULL);
    persist_set_step_hook(mock_app_context(h->app)->persist, NULL, NULL);

    if (timed_out)
        fail_msg("the GET waited for the compaction: it held the server's only thread");
    assert_int_equal(credits_status, 200);
    assert_int_equal(second_status, 409);
    assert_true(named);
    assert_int_equal(call.status, 200);
    harness_create(h, DEV_KEY, "after", "NORMAL");
    assert_restart_keeps(h, file, 0);
    unlink(file);
}

static void test_no_state_file_is_404(void **state)
{
    (void)state;
    harness *h = harness_start(NULL);
    http_response res;
    harness_request(h, "POST", "/_mock/state/compact", NULL, &res);
    assert_int_equal(res.status, 404);
    assert_non_null(strstr(res.raw, "--state-file"));
    http_response_free(&res);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_to_full_log),
        cmocka_unit_test(test_kill_at_every_step),
        cmocka_unit_test(test_torn_compact_file_left_behind),
        cmocka_unit_test(test_damaged_snapshot_line),
        cmocka_unit_test(test_changes_during_compaction),
        cmocka_unit_test(test_automatic),
        cmocka_unit_test(test_tenant_reset_keeps_the_work_lock),
        cmocka_unit_test(test_compaction_frees_the_thread),
        cmocka_unit_test(test_no_state_file_is_404),
    };
    return cmocka_run_group_tests_name("compaction", tests, NULL, NULL);
}
