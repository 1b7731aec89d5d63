#include "drift/verify.h"

#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "drift/compare.h"
#include "drift/har.h"
#include "drift/idmap.h"
#include "drift/known.h"
#include "drift/replay.h"
#include "drift/report.h"
#include "proxy/har_journal.h"

#define ENDPOINT_LEN 160
#define MAX_ACCOUNTS 256
#define PATH_LEN 1024
#define VERIFY_BASE_URL "http://descovo-mock.verify"

/* One key of the recording, as an account of the simulator. */
typedef struct key_state {
    const char *key;
    int64_t start_credits;       /* -1: not seen */
    int got_answer;              /* any answer but 401 */
    int have_credits;            /* last_* hold a reading */
    json_int_t last_recorded;
    json_int_t last_simulated;
    size_t last_entry;
} key_state;

typedef struct verify {
    const mock_options *options;
    drift_har har;
    drift_run run;
    idmap *ids;                  /* recorded id -> simulator id */
    idmap *tainted;              /* recorded id -> index of the diverged entry */
    idmap *exports_rec;          /* recorded export id -> recorded estimatedRows */
    idmap *exports_sim;          /* recorded export id -> simulated estimatedRows */
    key_state keys[MAX_ACCOUNTS];
    size_t n_keys;
    mock_app *app;
} verify;

/* The route of a path: "METHOD /v1/audiences/{id}/build", and its {id}. */
static void endpoint_of(const char *method, const char *path, char *out, size_t size, char *param, size_t psize)
{
    param[0] = '\0';
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    const char *match = NULL;
    const char *route_method = NULL;
    for (size_t i = 0; routes_pattern(i, &route_method) != NULL && match == NULL; i++) {
        const char *pattern = routes_pattern(i, &route_method);
        const char *p = pattern;
        const char *s = path;
        const char *s_end = path + plen;
        const char *id = NULL;
        size_t id_len = 0;
        while (*p != '\0' && s < s_end) {
            if (strncmp(p, "{id}", 4) == 0) {
                const char *seg_end = memchr(s, '/', (size_t)(s_end - s));
                if (seg_end == NULL)
                    seg_end = s_end;
                if (seg_end == s)
                    break;
                id = s;
                id_len = (size_t)(seg_end - s);
                s = seg_end;
                p += 4;
            } else if (*p == *s) {
                p++;
                s++;
            } else {
                break;
            }
        }
        if (*p == '\0' && s == s_end && (strcmp(route_method, method) == 0 || match == NULL)) {
            match = pattern;
            if (id != NULL)
                snprintf(param, psize, "%.*s", (int)id_len, id);
        }
    }
    snprintf(out, size, "%s %.*s", method, match != NULL ? (int)strlen(match) : (int)plen, match != NULL ? match : path);
}

static const char *pair_value(const drift_entry *e, const char *name)
{
    for (size_t i = 0; i < e->n_query; i++) {
        if (strcmp(e->query[i].name, name) == 0)
            return e->query[i].value;
    }
    return NULL;
}

/* The apiKey of an entry (body, then query), or NULL. Borrowed from
 * `body` when it comes from there. */
static const char *entry_key(const drift_entry *e, json_t *body)
{
    const char *key = json_string_value(json_object_get(body, "apiKey"));
    return key != NULL ? key : pair_value(e, "apiKey");
}

static key_state *find_key(verify *v, const char *key, int add)
{
    for (size_t i = 0; i < v->n_keys; i++) {
        if (strcmp(v->keys[i].key, key) == 0)
            return &v->keys[i];
    }
    if (!add || v->n_keys == MAX_ACCOUNTS)
        return NULL;
    char *copy = strdup(key);
    if (copy == NULL)
        return NULL;
    key_state *k = &v->keys[v->n_keys++];
    memset(k, 0, sizeof *k);
    k->key = copy;
    k->start_credits = -1;
    return k;
}

static json_t *parse_body(const drift_entry *e)
{
    if (e->request_text == NULL || e->request_text[0] == '\0')
        return NULL;
    return json_loads(e->request_text, 0, NULL);
}

/* Before replaying: each key, whether it ever got an answer but 401, and
 * its starting credits. */
static void scan_keys(verify *v)
{
    for (size_t i = 0; i < v->har.n; i++) {
        drift_entry *e = &v->har.entries[i];
        json_t *body = parse_body(e);
        const char *key = entry_key(e, body);
        key_state *k = key != NULL && key[0] != '\0' ? find_key(v, key, 1) : NULL;
        if (k != NULL) {
            if (e->status != 401 && e->status != 0)
                k->got_answer = 1;
            json_t *credits = json_object_get(json_object_get(e->json, "output"), "credits");
            json_t *alert = json_object_get(json_object_get(e->json, "error"), "outOfCreditsAlert");
            json_t *available = json_object_get(alert, "availableCredits");
            if (k->start_credits < 0 && e->status == 200 && strcmp(e->method, "GET") == 0 &&
                strncmp(e->path, "/v1/credits", 11) == 0 && json_is_integer(credits))
                k->start_credits = json_integer_value(credits);
            else if (k->start_credits < 0 && e->status == 402 && json_is_integer(available))
                k->start_credits = json_integer_value(available);
        }
        json_decref(body);
    }
}

static void free_keys(verify *v)
{
    for (size_t i = 0; i < v->n_keys; i++)
        free((char *)v->keys[i].key);
}

static int make_simulator(verify *v, char *err, size_t errlen)
{
    mock_options o = *v->options;
    o.clock_mode = MOCK_CLOCK_MANUAL;
    o.journal_size = 0;
    o.quiet = 1;
    o.state_file = NULL;
    o.verify = NULL;
    v->app = mock_app_new(&o, err, errlen);
    if (v->app == NULL)
        return -1;
    mock_app_set_base_url(v->app, VERIFY_BASE_URL);
    if (mock_app_prepare(v->app, err, errlen) != 0)
        return -1;
    store *st = mock_app_store(v->app);
    int rc = 0;
    store_lock(st);
    for (size_t i = 0; i < v->n_keys && rc == 0; i++) {
        key_state *k = &v->keys[i];
        if (!k->got_answer)
            continue;
        int64_t credits = k->start_credits >= 0 ? k->start_credits : o.default_credits;
        if (store_put_account(st, k->key, credits, o.default_export_quota, 1, NULL) == NULL) {
            snprintf(err, errlen, "cannot create the account of a recorded key (%zu keys)", v->n_keys);
            rc = -1;
        }
    }
    store_unlock(st);
    return rc;
}

static void skip(verify *v, size_t entry, const char *endpoint, const char *reason)
{
    drift_run *r = &v->run;
    if (r->n_skips == r->cap_skips) {
        size_t cap = r->cap_skips == 0 ? 16 : r->cap_skips * 2;
        drift_skip *grown = realloc(r->skips, cap * sizeof *grown);
        if (grown == NULL)
            return;
        r->skips = grown;
        r->cap_skips = cap;
    }
    drift_skip *s = &r->skips[r->n_skips++];
    s->entry = entry;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
}

/* The entry a request depends on, if it names a tainted id: its {id},
 * a query value or a string of its body. */
static const char *depends_on(verify *v, const char *param, const drift_entry *e, json_t *body)
{
    const char *t = param[0] != '\0' ? idmap_get(v->tainted, param) : NULL;
    for (size_t i = 0; i < e->n_query && t == NULL; i++)
        t = idmap_get(v->tainted, e->query[i].value);
    const char *name = NULL;
    json_t *value = NULL;
    json_object_foreach(body, name, value) {
        if (t == NULL && json_is_string(value))
            t = idmap_get(v->tainted, json_string_value(value));
    }
    return t;
}

static void taint(verify *v, size_t entry, const char *param, const json_t *recorded)
{
    char index[24];
    snprintf(index, sizeof index, "%zu", entry);
    if (param[0] != '\0')
        idmap_put(v->tainted, param, index);
    static const char *const fields[] = {"audienceId", "enrichmentId", "exportId"};
    const json_t *out = json_object_get(recorded, "output");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *id = json_string_value(json_object_get(out, fields[i]));
        if (id != NULL)
            idmap_put(v->tainted, id, index);
    }
}

/* Maps every string of a JSON body that names a recorded id. */
static void map_json(const idmap *ids, json_t *node);

static void map_value(const idmap *ids, json_t *value)
{
    const char *to = json_is_string(value) ? idmap_get(ids, json_string_value(value)) : NULL;
    if (to != NULL)
        json_string_set(value, to);
    else
        map_json(ids, value);
}

static void map_json(const idmap *ids, json_t *node)
{
    const char *name = NULL;
    json_t *value = NULL;
    size_t i = 0;
    if (json_is_object(node)) {
        json_object_foreach(node, name, value)
            map_value(ids, value);
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, value)
            map_value(ids, value);
    }
}

/* Maps each segment of path into out. */
static void map_path(const idmap *ids, const char *path, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    const char *p = path;
    while (*p != '\0') {
        size_t len = strcspn(p + 1, "/") + 1; /* "/segment" */
        char segment[PATH_LEN];
        snprintf(segment, sizeof segment, "%.*s", (int)(len - 1), p + 1);
        const char *to = idmap_get(ids, segment);
        int w = snprintf(out + n, size - n, "/%s", to != NULL ? to : segment);
        if (w < 0 || (size_t)w >= size - n)
            return;
        n += (size_t)w;
        p += len;
    }
}

/* After an entry that was not compared or diverged, the two balances of
 * its key may rightly move apart: the next reading starts afresh. */
static void forget_balance(verify *v, const char *key)
{
    key_state *k = key != NULL ? find_key(v, key, 0) : NULL;
    if (k != NULL)
        k->have_credits = 0;
}

/* Credit arithmetic: between two readings of one key, the recorded and
 * the simulated balance must move by the same amount. */
static void compare_credits(verify *v, drift_compare *c, const drift_entry *e, const char *key,
                            const json_t *simulated)
{
    json_t *rec = json_object_get(json_object_get(e->json, "output"), "credits");
    json_t *sim = json_object_get(json_object_get(simulated, "output"), "credits");
    key_state *k = key != NULL ? find_key(v, key, 0) : NULL;
    if (k == NULL || !json_is_integer(rec) || !json_is_integer(sim))
        return;
    json_int_t r = json_integer_value(rec);
    json_int_t s = json_integer_value(sim);
    if (k->have_credits && r - k->last_recorded != s - k->last_simulated) {
        char a[96];
        char b[96];
        snprintf(a, sizeof a, "%+lld since entries[%zu]", (long long)(r - k->last_recorded), k->last_entry);
        snprintf(b, sizeof b, "%+lld", (long long)(s - k->last_simulated));
        drift_diffs_add(c->diffs, c->entry, c->endpoint, "output.credits", "credits", a, b);
    }
    k->have_credits = 1;
    k->last_recorded = r;
    k->last_simulated = s;
    k->last_entry = e->index;
}

/* An export answer: keep both sides' estimatedRows for its download. */
static void note_export(verify *v, const drift_entry *e, const json_t *simulated)
{
    const json_t *out = json_object_get(e->json, "output");
    const char *id = json_string_value(json_object_get(out, "exportId"));
    json_t *rec_rows = json_object_get(out, "estimatedRows");
    json_t *sim_rows = json_object_get(json_object_get(simulated, "output"), "estimatedRows");
    if (id == NULL || !json_is_integer(rec_rows) || !json_is_integer(sim_rows))
        return;
    char n[24];
    snprintf(n, sizeof n, "%lld", (long long)json_integer_value(rec_rows));
    idmap_put(v->exports_rec, id, n);
    snprintf(n, sizeof n, "%lld", (long long)json_integer_value(sim_rows));
    idmap_put(v->exports_sim, id, n);
}

/* A CSV: its columns, and its row count against the export answer. */
static void compare_csv(verify *v, drift_compare *c, const drift_entry *e, const char *param,
                        const replay_answer *sim)
{
    drift_compare_csv_columns(c, e->text, sim->csv.data != NULL ? sim->csv.data : "");
    const char *rec_est = param[0] != '\0' ? idmap_get(v->exports_rec, param) : NULL;
    const char *sim_est = param[0] != '\0' ? idmap_get(v->exports_sim, param) : NULL;
    if (rec_est == NULL || sim_est == NULL)
        return;
    int rec_match = e->csv_rows == strtol(rec_est, NULL, 10);
    int sim_match = sim->csv_rows == strtol(sim_est, NULL, 10);
    if (rec_match != sim_match) {
        char a[96];
        char b[96];
        snprintf(a, sizeof a, "%ld rows, the export said %s", e->csv_rows, rec_est);
        snprintf(b, sizeof b, "%ld rows, the export said %s", sim->csv_rows, sim_est);
        drift_diffs_add(c->diffs, c->entry, c->endpoint, "csv.rows", "csv-rows", a, b);
    }
}

/* 1 if the answer's output.status or output.currentStage differ: the
 * fields that say how far a build or an enrichment has got. */
static int progress_differs(const drift_entry *e, const json_t *simulated)
{
    static const char *const fields[] = {"status", "currentStage"};
    const json_t *rec = json_object_get(e->json, "output");
    const json_t *sim = json_object_get(simulated, "output");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *a = json_string_value(json_object_get(rec, fields[i]));
        const char *b = json_string_value(json_object_get(sim, fields[i]));
        if (a != NULL && b != NULL && strcmp(a, b) != 0)
            return 1;
    }
    return 0;
}

static int is_csv(const char *type)
{
    return type != NULL && strstr(type, "csv") != NULL;
}

static void replay_entry(verify *v, drift_entry *e, int64_t first_us)
{
    char *endpoint = v->run.endpoints + e->index * ENDPOINT_LEN;
    char param[PATH_LEN];
    endpoint_of(e->method, e->path, endpoint, ENDPOINT_LEN, param, sizeof param);
    if (e->status == 0) {
        skip(v, e->index, endpoint, "no answer was recorded (the upstream did not answer)");
        return;
    }
    json_t *body = parse_body(e);
    const char *dep = depends_on(v, param, e, body);
    if (dep != NULL) {
        char reason[64];
        size_t origin = (size_t)strtoul(dep, NULL, 10);
        snprintf(reason, sizeof reason, "depends on entries[%zu]", origin);
        skip(v, e->index, endpoint, reason);
        /* What this entry created depends on the same entry. */
        taint(v, origin, param, e->json);
        forget_balance(v, entry_key(e, body));
        json_decref(body);
        return;
    }
    /* Time: the entry's offset from the first, at the recording's speed.
     * The service made its answer about halfway to the first byte back
     * (timings.wait / 2): the same estimate for every entry, so that the
     * delays of the way there cancel out between a POST and its polls. */
    mock_clock *clock = mock_app_clock(v->app);
    double offset_ms = (double)(e->started_us - first_us) / 1000.0 + e->wait_ms / 2;
    int64_t target = v->options->start_ms + (int64_t)(offset_ms * v->options->time_scale);
    int64_t now = mock_clock_now_ms(clock);
    if (target > now)
        mock_clock_advance(clock, target - now);

    char path[PATH_LEN];
    map_path(v->ids, e->path, path, sizeof path);
    drift_pair query[64];
    size_t n_query = e->n_query < 64 ? e->n_query : 64;
    for (size_t i = 0; i < n_query; i++) {
        const char *to = idmap_get(v->ids, e->query[i].value);
        query[i].name = e->query[i].name;
        query[i].value = to != NULL ? to : e->query[i].value;
    }
    char *text = NULL;
    if (body != NULL) {
        json_t *mapped = json_deep_copy(body);
        map_json(v->ids, mapped);
        text = json_dumps(mapped, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(mapped);
    }
    const char *sent = text != NULL ? text : e->request_text;
    replay_answer sim;
    replay_dispatch(v->app, e->method, path, query, n_query, e->request_type, sent, sent != NULL ? strlen(sent) : 0,
                    &sim);
    free(text);

    if (strcmp(e->method, "GET") == 0 && e->json != NULL && sim.json != NULL && e->time_ms > 0 &&
        progress_differs(e, sim.json)) {
        /* The recorded service answered at some instant of [started,
         * started + time]; a GET asked again at the end of that window
         * reads the same state if the difference was only where inside the
         * window the answer was made (a stage that ended meanwhile). */
        int64_t end = v->options->start_ms +
                      (int64_t)(((double)(e->started_us - first_us) / 1000.0 + e->time_ms) * v->options->time_scale);
        now = mock_clock_now_ms(clock);
        if (end > now) {
            mock_clock_advance(clock, end - now);
            replay_answer_release(&sim);
            replay_dispatch(v->app, e->method, path, query, n_query, e->request_type, NULL, 0, &sim);
        }
    }
    drift_compare c = {&v->run.diffs, v->ids, e->index, endpoint};
    v->run.compared++;
    if ((long)sim.status != e->status) {
        char a[16];
        char b[16];
        snprintf(a, sizeof a, "%ld", e->status);
        snprintf(b, sizeof b, "%u", sim.status);
        drift_diffs_add(&v->run.diffs, e->index, endpoint, "status", "status", a, b);
        taint(v, e->index, param, e->json);
        forget_balance(v, entry_key(e, body));
        goto out;
    }
    drift_compare_headers(&c, e->content_type, e->retry_after, e->allow, sim.content_type,
                          sim.retry_after[0] != '\0' ? sim.retry_after : NULL, sim.allow[0] != '\0' ? sim.allow : NULL);
    if (e->json != NULL && sim.json != NULL) {
        drift_compare_json(&c, e->json, sim.json);
        compare_credits(v, &c, e, entry_key(e, body), sim.json);
        note_export(v, e, sim.json);
    } else if (e->text != NULL && is_csv(e->content_type) && sim.json == NULL) {
        compare_csv(v, &c, e, param, &sim);
    }
out:
    replay_answer_release(&sim);
    json_decref(body);
}

static int run(verify *v, char *err, size_t errlen)
{
    v->run.file = v->options->verify;
    v->run.entries = v->har.n;
    v->run.endpoints = calloc(v->har.n + 1, ENDPOINT_LEN);
    v->ids = idmap_new();
    v->tainted = idmap_new();
    v->exports_rec = idmap_new();
    v->exports_sim = idmap_new();
    if (v->run.endpoints == NULL || v->ids == NULL || v->tainted == NULL || v->exports_rec == NULL ||
        v->exports_sim == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    scan_keys(v);
    if (make_simulator(v, err, errlen) != 0)
        return -1;
    int64_t first_us = v->har.n > 0 ? v->har.entries[0].started_us : 0;
    for (size_t i = 0; i < v->har.n; i++)
        replay_entry(v, &v->har.entries[i], first_us);
    if (v->run.diffs.oom) {
        snprintf(err, errlen, "out of memory collecting differences");
        return -1;
    }
    return 0;
}

int drift_verify_main(const mock_options *options, FILE *err_out)
{
    char err[1024] = "";
    int code = 2;
    verify v;
    memset(&v, 0, sizeof v);
    v.options = options;
    drift_known known;
    memset(&known, 0, sizeof known);
    FILE *out = stdout;
    size_t dropped = 0;
    long completed = har_journal_complete(options->verify, &dropped, err, sizeof err);
    if (completed == -1)
        goto out;
    if (completed >= 0)
        fprintf(err_out, "descovo-mock: completed the unfinished recording %s%s into %s: %ld entries%s\n",
                options->verify, HAR_JOURNAL_SUFFIX, options->verify, completed,
                dropped > 0 ? " (a last entry cut by the crash was left out)" : "");
    if (drift_har_load(options->verify, &v.har, err, sizeof err) != 0)
        goto out;
    if (options->known != NULL && drift_known_load(options->known, &known, err, sizeof err) != 0)
        goto out;
    if (run(&v, err, sizeof err) != 0)
        goto out;
    drift_known_apply(&known, &v.run.diffs);
    if (options->report_out != NULL) {
        out = fopen(options->report_out, "w");
        if (out == NULL) {
            snprintf(err, sizeof err, "--out %s: cannot create it", options->report_out);
            goto out;
        }
    }
    if (drift_report_write(&v.run, &known, options->report_format != NULL ? options->report_format : "text", out) != 0) {
        snprintf(err, sizeof err, "cannot write the report");
        goto out;
    }
    code = drift_run_drift(&v.run) > 0 ? 1 : 0;
out:
    if (code == 2)
        fprintf(err_out, "descovo-mock: %s\n", err);
    if (out != stdout && out != NULL)
        fclose(out);
    mock_app_free(v.app);
    free_keys(&v);
    idmap_free(v.ids);
    idmap_free(v.tainted);
    idmap_free(v.exports_rec);
    idmap_free(v.exports_sim);
    drift_diffs_release(&v.run.diffs);
    free(v.run.skips);
    free(v.run.endpoints);
    drift_known_free(&known);
    drift_har_free(&v.har);
    return code;
}
