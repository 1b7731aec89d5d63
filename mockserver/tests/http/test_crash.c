/* Crash safety of --state-file: the binary runs a load of state-changing
 * requests, is killed with SIGKILL in the middle of it, and restarted on
 * the same file; every change whose answer was received must be there
 * (audiences, builds, enrichments, exports downloadable byte for byte,
 * archives, the clock), and the credits must add up exactly to the charges
 * of what the restarted server holds. Three rounds on one file, so that a
 * replayed log is extended and replayed again. Then: a torn last line is
 * dropped (and a record after the zeros of the file's tail), a damaged one
 * and a file of another seed refuse the start.
 *
 * CRASH_ROUNDS (default 3) in the environment runs more rounds. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "harness.h"
#include "text/strbuf.h"

#define MAX_KNOWN 4000
#define KEY DEV_KEY
/* The key's credits, given on the command line: enough for CRASH_ROUNDS
 * of load (about 10,000 a round), so that a build never fails for want of
 * them (the keys file's 50,000 ran out in round 5). */
#define INITIAL_CREDITS 10000000
#define STR(x) #x
#define XSTR(x) STR(x)

/* --- the child process ---------------------------------------------------- */

typedef child server;

/* Largest file the child may write (RLIMIT_FSIZE), 0 for no limit: past
 * it a write fails with EFBIG, as on a full disk. */
static rlim_t child_file_limit;

static void limit_file_size(void)
{
    if (child_file_limit > 0) {
        struct rlimit limit = {child_file_limit, child_file_limit};
        signal(SIGXFSZ, SIG_IGN); /* kept across exec: writes fail instead */
        setrlimit(RLIMIT_FSIZE, &limit);
    }
}

static int start_server(const char *state_file, const char *seed, server *s, char *output, size_t size)
{
    const char *const args[] = {"--port", "0", "--quiet", "--clock", "manual", "--companies", "400",
                                "--no-rate-limit", "--seed", seed, "--state-file", state_file,
                                "--api-key", KEY ":" XSTR(INITIAL_CREDITS), NULL};
    return child_start(args, limit_file_size, s, output, size);
}

/* --- a small client -------------------------------------------------------- */

typedef struct client {
    CURL *curl;
    const char *base;
} client;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append(ctx, data, size * n);
    return size * n;
}

/* Returns the status, 0 when there was no answer; *json and *raw may be NULL. */
static long request(client *c, const char *method, const char *path, const char *body, json_t **json,
                    strbuf *raw)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", strncmp(path, "http", 4) == 0 ? "" : c->base, path);
    strbuf buf = STRBUF_INIT;
    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL)
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c->curl) == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (json != NULL)
        *json = status != 0 && buf.data != NULL ? json_loadb(buf.data, buf.len, 0, NULL) : NULL;
    if (raw != NULL && status != 0) {
        *raw = buf;
        return status;
    }
    strbuf_release(&buf);
    return status;
}

static json_t *out(json_t *json, const char *field)
{
    return json_object_get(json_object_get(json, "output"), field);
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* --- what the load learned from the answers it received ------------------ */

typedef struct known {
    char id[40];
    int filters;                 /* search-params acknowledged */
    int built;                   /* build acknowledged */
    int normal;                  /* seen NORMAL */
    int64_t counts;              /* companiesCount + prospectsCount once NORMAL */
    int enrich_sent;             /* an enrich was sent (answered or not) */
    int64_t price;               /* its estimate: the charge */
    char enrichment[40];         /* acknowledged enrichmentId */
    int export_sent;
    char export_url[256];        /* acknowledged: the path of its downloadUrl */
    uint64_t export_hash;        /* of the CSV downloaded before the crash */
    size_t export_len;
    int export_downloaded;
    size_t export_seq;           /* 1 + exports acknowledged before it */
    int64_t export_clock_ms;     /* the acknowledged clock before it: its link lives an hour from later */
    int archive_sent;
    int archived;                /* acknowledged */
} known;

typedef struct load {
    client c;
    known *aud;
    size_t n;
    int64_t clock_ms;            /* the latest acknowledged clock */
    uint64_t rng;
    size_t acked;                /* changes acknowledged, this round */
    size_t exports;              /* exports acknowledged */
    size_t lost_exports;         /* sent without an answer: maybe made */
    int stop;                    /* set with __atomic_store_n */
    /* Set under `lock`, signalling `ready_cond`, once a change of this
     * round is acknowledged (or the load ended): the kill's pause starts
     * from there. */
    pthread_mutex_t lock;
    pthread_cond_t ready_cond;
    int ready;
} load;

static uint64_t next_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One state-changing step. Returns 0, or -1 when the server did not answer. */
static int load_step(load *l)
{
    char path[256];
    char body[512];
    json_t *json = NULL;
    long status;
    size_t pick = l->n > 0 ? next_rand(&l->rng) % l->n : 0;
    known *a = l->n > 0 ? &l->aud[pick] : NULL;
    unsigned action = (unsigned)(next_rand(&l->rng) % 10);
    if (a == NULL || action == 0 || (action == 1 && l->n < MAX_KNOWN - 1)) {
        if (l->n == MAX_KNOWN)
            return 0;
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"crash %zu\"}", KEY, l->n);
        status = request(&l->c, "POST", "/v1/audiences/create", body, &json, NULL);
        const char *id = json_string_value(out(json, "audienceId"));
        if (status == 200 && id != NULL) {
            known *k = &l->aud[l->n++];
            memset(k, 0, sizeof *k);
            snprintf(k->id, sizeof k->id, "%s", id);
            l->acked++;
        }
    } else if (action == 2) {
        status = request(&l->c, "POST", "/_mock/clock/advance", "{\"seconds\":1.5}", &json, NULL);
        if (status == 200) {
            l->clock_ms = json_integer_value(out(json, "nowMs"));
            l->acked++;
        }
    } else if (a->archived || a->archive_sent) {
        return 0;
    } else if (!a->filters) {
        snprintf(path, sizeof path, "/v1/audiences/%s/search-params", a->id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"companySearchParams\":{\"headquartersCountryCode\":[\"%s\"]},"
                 "\"maxCompanies\":%d}", KEY, next_rand(&l->rng) % 2 ? "US" : "DE", 2 + (int)(next_rand(&l->rng) % 6));
        status = request(&l->c, "PATCH", path, body, &json, NULL);
        a->filters = status == 200;
        l->acked += status == 200;
    } else if (!a->built) {
        snprintf(path, sizeof path, "/v1/audiences/%s/build", a->id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", KEY);
        status = request(&l->c, "POST", path, body, &json, NULL);
        a->built = status == 200;
        l->acked += status == 200;
    } else if (!a->normal) {
        snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", a->id, KEY);
        status = request(&l->c, "GET", path, NULL, &json, NULL);
        const char *s = json_string_value(out(json, "status"));
        if (status == 200 && s != NULL && strcmp(s, "NORMAL") == 0) {
            a->normal = 1;
            a->counts = json_integer_value(out(json, "companiesCount")) + json_integer_value(out(json, "prospectsCount"));
        }
    } else if (!a->enrich_sent && action < 6) {
        snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", a->id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":3}", KEY);
        status = request(&l->c, "POST", path, body, &json, NULL);
        if (status == 200) {
            a->price = json_integer_value(out(json, "totalCredits"));
            json_decref(json);
            a->enrich_sent = 1;
            snprintf(path, sizeof path, "/v1/audiences/%s/enrich", a->id);
            status = request(&l->c, "POST", path, body, &json, NULL);
            const char *id = json_string_value(out(json, "enrichmentId"));
            if (status == 200 && id != NULL) {
                snprintf(a->enrichment, sizeof a->enrichment, "%s", id);
                l->acked++;
            }
        }
    } else if (!a->export_sent && action < 8) {
        a->export_sent = 1;
        snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", a->id);
        snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", KEY);
        status = request(&l->c, "POST", path, body, &json, NULL);
        const char *url = json_string_value(out(json, "downloadUrl"));
        l->lost_exports += status == 0;
        if (status == 200 && url != NULL && strstr(url, "/v1/exports/") != NULL) {
            /* The path: a restarted server on --port 0 has another port. */
            snprintf(a->export_url, sizeof a->export_url, "%s", strstr(url, "/v1/exports/"));
            a->export_seq = ++l->exports;
            a->export_clock_ms = l->clock_ms;
            l->acked++;
            strbuf csv = STRBUF_INIT;
            if (request(&l->c, "GET", a->export_url, NULL, NULL, &csv) == 200) {
                a->export_hash = hash_bytes(csv.data, csv.len);
                a->export_len = csv.len;
                a->export_downloaded = 1;
            }
            strbuf_release(&csv);
        }
    } else {
        a->archive_sent = 1;
        snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", a->id, KEY);
        status = request(&l->c, "DELETE", path, NULL, &json, NULL);
        a->archived = status == 200;
        l->acked += status == 200;
    }
    json_decref(json);
    return status == 0 ? -1 : 0;
}

static void set_ready(load *l)
{
    pthread_mutex_lock(&l->lock);
    l->ready = 1;
    pthread_cond_broadcast(&l->ready_cond);
    pthread_mutex_unlock(&l->lock);
}

static void *run_load(void *arg)
{
    load *l = arg;
    int told = 0;
    while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE) && load_step(l) == 0) {
        if (!told && l->acked > 0) {
            set_ready(l);
            told = 1;
        }
    }
    set_ready(l);
    return NULL;
}

/* Waits until the load has had a change acknowledged (or ended), at most
 * 60 s: a server that answers nothing for that long fails the round. */
static void wait_ready(load *l)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&l->lock);
    int rc = 0;
    while (!l->ready && rc == 0)
        rc = pthread_cond_timedwait(&l->ready_cond, &l->lock, &until);
    pthread_mutex_unlock(&l->lock);
}

/* --- checks after a restart ---------------------------------------------- */

static void verify(load *l)
{
    client *c = &l->c;
    json_t *json = NULL;
    char path[256];
    assert_int_equal(request(c, "GET", "/_mock/clock", NULL, &json, NULL), 200);
    int64_t now_ms = json_integer_value(out(json, "nowMs"));
    if (now_ms < l->clock_ms)
        fail_msg("clock went back: %lld < acknowledged %lld", (long long)json_integer_value(out(json, "nowMs")),
                 (long long)l->clock_ms);
    json_decref(json);
    /* What was acknowledged is there. */
    for (size_t i = 0; i < l->n; i++) {
        known *a = &l->aud[i];
        snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", a->id, KEY);
        long status = request(c, "GET", path, NULL, &json, NULL);
        if (a->archived && status != 404)
            fail_msg("%s: archived (acknowledged) but answers %ld", a->id, status);
        if (!a->archive_sent && status != 200)
            fail_msg("%s: created (acknowledged) but answers %ld", a->id, status);
        const char *s = json_string_value(out(json, "status"));
        if (status == 200 && a->built && strcmp(s, "DRAFT") == 0)
            fail_msg("%s: build acknowledged but DRAFT after restart", a->id);
        if (status == 200 && a->normal && strcmp(s, "NORMAL") != 0)
            fail_msg("%s: was NORMAL, is %s after restart", a->id, s);
        json_decref(json);
        if (a->enrichment[0] != '\0' && status == 200) {
            snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/status?apiKey=%s", a->id, KEY);
            assert_int_equal(request(c, "GET", path, NULL, &json, NULL), 200);
            const char *id = json_string_value(out(json, "enrichmentId"));
            if (id == NULL || strcmp(id, a->enrichment) != 0)
                fail_msg("%s: enrichment %s acknowledged, found %s", a->id, a->enrichment, id ? id : "none");
            json_decref(json);
        }
        /* A key keeps its last 32 exports, each for an hour: older ones expire by design. */
        if (a->export_url[0] != '\0' && l->exports - a->export_seq + l->lost_exports < 31 &&
            now_ms < a->export_clock_ms + 3600 * 1000) {
            strbuf csv = STRBUF_INIT;
            long got = request(c, "GET", a->export_url, NULL, NULL, &csv);
            if (got != 200)
                fail_msg("%s: export %s acknowledged, download answers %ld", a->id, a->export_url, got);
            if (a->export_downloaded && (csv.len != a->export_len || hash_bytes(csv.data, csv.len) != a->export_hash))
                fail_msg("%s: export %s differs after restart (%zu bytes, %zu before)", a->id, a->export_url,
                         csv.len, a->export_len);
            strbuf_release(&csv);
        }
    }
    /* Everything in flight finishes; then the credits are exact. */
    assert_int_equal(request(c, "POST", "/_mock/clock/advance", "{\"seconds\":86400}", &json, NULL), 200);
    l->clock_ms = json_integer_value(out(json, "nowMs"));
    json_decref(json);
    int64_t charges = 0;
    for (size_t i = 0; i < l->n; i++) {
        known *a = &l->aud[i];
        snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", a->id, KEY);
        long status = request(c, "GET", path, NULL, &json, NULL);
        const char *s = json_string_value(out(json, "status"));
        if (status == 200 && strcmp(s, "NORMAL") == 0) {
            int64_t counts = json_integer_value(out(json, "companiesCount")) + json_integer_value(out(json, "prospectsCount"));
            if (a->normal && counts != a->counts)
                fail_msg("%s: %lld records after restart, %lld before", a->id, (long long)counts, (long long)a->counts);
            a->normal = 1;
            a->counts = counts;
            charges += counts;
        } else if (status == 404) {
            a->archived = 1; /* acknowledged now: it is gone */
            charges += a->normal ? a->counts : 0;
        } else if (status == 200 && strcmp(s, "FAILED") == 0) {
            fail_msg("%s: FAILED with credits to spare", a->id);
        }
        json_decref(json);
        if (a->enrich_sent && status == 200) {
            snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/status?apiKey=%s", a->id, KEY);
            if (request(c, "GET", path, NULL, &json, NULL) == 200) {
                charges += a->price;
                if (a->enrichment[0] == '\0')
                    snprintf(a->enrichment, sizeof a->enrichment, "%s", json_string_value(out(json, "enrichmentId")));
            }
            json_decref(json);
        } else if (a->enrich_sent && a->enrichment[0] != '\0') {
            charges += a->price; /* archived after its enrichment */
        }
    }
    assert_int_equal(request(c, "GET", "/v1/credits?apiKey=" KEY, NULL, &json, NULL), 200);
    int64_t credits = json_integer_value(out(json, "credits"));
    json_decref(json);
    if (INITIAL_CREDITS - credits != charges)
        fail_msg("credits: %lld spent, the restored state accounts for %lld", (long long)(INITIAL_CREDITS - credits),
                 (long long)charges);
}

static void temp_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "/tmp/descovo-crash-%ld-%s", (long)getpid(), name);
    unlink(out);
}

static void test_sigkill_under_load(void **state)
{
    (void)state;
    char file[256];
    temp_path(file, sizeof file, "state.log");
    load l = {.aud = calloc(MAX_KNOWN, sizeof(known)), .rng = 42, .c.curl = curl_easy_init(),
              .lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* wait_ready's deadline */
    pthread_cond_init(&l.ready_cond, &attr);
    pthread_condattr_destroy(&attr);
    size_t rounds = harness_env_size("CRASH_ROUNDS", 3);
    char line[512];
    for (size_t round = 0; round < rounds; round++) {
        server s;
        if (start_server(file, "42", &s, line, sizeof line) != 0)
            fail_msg("round %zu: the server did not start: %s", round, line);
        l.c.base = s.url;
        if (round > 0)
            verify(&l);
        __atomic_store_n(&l.stop, 0, __ATOMIC_RELEASE);
        l.acked = 0;
        l.ready = 0;
        /* Kill in the middle of the load, at a seeded moment after its
         * first acknowledged change (a pause counted from the start may
         * end before any, on a slow or loaded machine). Drawn before the
         * load starts: the load's thread draws from l.rng. */
        struct timespec pause = {0, (long)(200 + next_rand(&l.rng) % 400) * 1000 * 1000};
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, NULL, run_load, &l), 0);
        wait_ready(&l);
        nanosleep(&pause, NULL);
        kill(s.pid, SIGKILL);
        __atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
        pthread_join(thread, NULL);
        assert_int_equal(child_wait(s.pid), 128 + SIGKILL);
        close(s.out);
        print_message("round %zu: %zu changes acknowledged before SIGKILL (%zu audiences known)\n", round, l.acked,
                      l.n);
        assert_true(l.acked > 0);
    }
    /* The last restart, checked, and stopped cleanly. */
    server s;
    if (start_server(file, "42", &s, line, sizeof line) != 0)
        fail_msg("final start: %s", line);
    l.c.base = s.url;
    verify(&l);
    kill(s.pid, SIGTERM);
    assert_int_equal(child_wait(s.pid), 0);
    close(s.out);
    curl_easy_cleanup(l.c.curl);
    pthread_cond_destroy(&l.ready_cond);
    free(l.aud);
    unlink(file);
}

/* Where the log of a state file ends: at its first NUL (the zero tail
 * ahead of the records, sim/persist.h), or its end. */
static off_t log_end(const char *file)
{
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    off_t at = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF && ch != '\0')
        at++;
    fclose(f);
    return at;
}

/* Writes text at offset `at` of the file, over what is there. */
static void write_at(const char *file, const char *text, off_t at)
{
    int fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, text, strlen(text), at), (ssize_t)strlen(text));
    close(fd);
}

static void test_damaged_and_foreign_files(void **state)
{
    (void)state;
    char file[256];
    char line[512];
    temp_path(file, sizeof file, "damaged.log");
    server s;
    assert_int_equal(start_server(file, "42", &s, line, sizeof line), 0);
    client c = {curl_easy_init(), s.url};
    json_t *json = NULL;
    assert_int_equal(request(&c, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"kept\"}", &json, NULL), 200);
    char id[40];
    snprintf(id, sizeof id, "%s", json_string_value(out(json, "audienceId")));
    json_decref(json);
    kill(s.pid, SIGKILL);
    child_wait(s.pid);
    close(s.out);

    /* Another seed: refused, saying why. */
    char refusal[1024];
    assert_int_equal(start_server(file, "43", &s, refusal, sizeof refusal), -1);
    assert_int_equal(child_wait(s.pid), MOCK_EXIT_STATE);
    close(s.out);
    if (strstr(refusal, "--seed 42") == NULL || strstr(refusal, "--seed 43") == NULL)
        fail_msg("refusal does not name the seeds: %s", refusal);

    /* A torn last line (no newline: never acknowledged) before the zeros
     * is dropped, and so is a whole record after them (it reached the
     * disk out of order in a crash: no sync covering it ended). */
    off_t end = log_end(file);
    write_at(file, "{\"t\":1735689600000,\"m\":\"POST\",\"p\":\"/v1/audi", end);
    write_at(file, "{\"t\":1735689600000,\"m\":\"POST\",\"p\":\"/v1/audiences/create\",\"b\":{\"apiKey\":\"" KEY
             "\",\"name\":\"never acknowledged\"}}\n", end + 8192);
    assert_int_equal(start_server(file, "42", &s, line, sizeof line), 0);
    c.base = s.url;
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", id, KEY);
    assert_int_equal(request(&c, "GET", path, NULL, NULL, NULL), 200);
    assert_int_equal(request(&c, "GET", "/v1/audiences?apiKey=" KEY, NULL, &json, NULL), 200);
    assert_int_equal(json_array_size(out(json, "audiences")), 1);
    json_decref(json);
    assert_int_equal(log_end(file), end); /* cut after the last whole line */
    kill(s.pid, SIGTERM);
    assert_int_equal(child_wait(s.pid), 0);
    close(s.out);

    /* A damaged whole line refuses the start, naming it. */
    write_at(file, "{\"t\":oops}\n", log_end(file));
    assert_int_equal(start_server(file, "42", &s, refusal, sizeof refusal), -1);
    assert_int_equal(child_wait(s.pid), MOCK_EXIT_STATE);
    close(s.out);
    if (strstr(refusal, "line 3 is damaged") == NULL)
        fail_msg("refusal does not name the line: %s", refusal);
    curl_easy_cleanup(c.curl);
    unlink(file);
}

static void test_reset_empties_the_file(void **state)
{
    (void)state;
    char file[256];
    char line[512];
    temp_path(file, sizeof file, "reset.log");
    server s;
    assert_int_equal(start_server(file, "42", &s, line, sizeof line), 0);
    client c = {curl_easy_init(), s.url};
    assert_int_equal(request(&c, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"gone\"}", NULL, NULL), 200);
    assert_int_equal(request(&c, "POST", "/_mock/reset", NULL, NULL, NULL), 200);
    json_t *json = NULL;
    assert_int_equal(request(&c, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"after\"}", &json, NULL), 200);
    char id[40];
    snprintf(id, sizeof id, "%s", json_string_value(out(json, "audienceId")));
    json_decref(json);
    kill(s.pid, SIGKILL);
    child_wait(s.pid);
    close(s.out);
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    size_t lines = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF)
        lines += ch == '\n';
    fclose(f);
    assert_int_equal(lines, 2); /* the header and the create after the reset */
    assert_int_equal(start_server(file, "42", &s, line, sizeof line), 0);
    c.base = s.url;
    assert_int_equal(request(&c, "GET", "/v1/audiences?apiKey=" KEY, NULL, &json, NULL), 200);
    assert_int_equal(json_array_size(out(json, "audiences")), 1);
    json_decref(json);
    kill(s.pid, SIGTERM);
    assert_int_equal(child_wait(s.pid), 0);
    close(s.out);
    curl_easy_cleanup(c.curl);
    unlink(file);
}

static void test_write_failure_refuses_changes(void **state)
{
    (void)state;
    char file[256];
    char line[512];
    temp_path(file, sizeof file, "full.log");
    child_file_limit = 2048;
    server s;
    int started = start_server(file, "42", &s, line, sizeof line);
    child_file_limit = 0;
    assert_int_equal(started, 0);
    client c = {curl_easy_init(), s.url};
    json_t *json = NULL;
    long status = 200;
    int creates = 0;
    while (status == 200 && creates < 100) {
        status = request(&c, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"fills the disk\"}",
                         &json, NULL);
        creates += status == 200;
        if (status != 200) {
            const char *message = json_string_value(json_object_get(json_object_get(json, "error"), "message"));
            if (status != 500 || message == NULL || strstr(message, "could not be written to the state file") == NULL)
                fail_msg("a failed write answers %ld: %s", status, message ? message : "");
        }
        json_decref(json);
    }
    assert_true(creates > 5 && creates < 100);
    /* Later changes are refused before they are made; reads still work. */
    assert_int_equal(request(&c, "POST", "/v1/audiences/create", "{\"apiKey\":\"" KEY "\",\"name\":\"x\"}", &json, NULL), 500);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(json, "error"), "message")),
                           "changes are refused until descovo-mock is restarted"));
    json_decref(json);
    assert_int_equal(request(&c, "GET", "/v1/audiences?apiKey=" KEY, NULL, &json, NULL), 200);
    assert_int_equal(json_array_size(out(json, "audiences")), creates + 1);
    json_decref(json);
    kill(s.pid, SIGKILL);
    child_wait(s.pid);
    close(s.out);
    /* What was acknowledged replays; the half-written line is dropped. */
    assert_int_equal(start_server(file, "42", &s, line, sizeof line), 0);
    c.base = s.url;
    assert_int_equal(request(&c, "GET", "/v1/audiences?apiKey=" KEY, NULL, &json, NULL), 200);
    assert_int_equal(json_array_size(out(json, "audiences")), creates);
    json_decref(json);
    kill(s.pid, SIGTERM);
    assert_int_equal(child_wait(s.pid), 0);
    close(s.out);
    curl_easy_cleanup(c.curl);
    unlink(file);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_under_load),
        cmocka_unit_test(test_damaged_and_foreign_files),
        cmocka_unit_test(test_reset_empties_the_file),
        cmocka_unit_test(test_write_failure_refuses_changes),
    };
    int rc = cmocka_run_group_tests_name("crash", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
