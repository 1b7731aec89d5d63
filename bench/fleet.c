/* descovo-bench-fleet: a fleet of CI jobs against one descovo-mock (issue 19).
 *
 * T tenants (one keep-alive connection each), each looping the
 * whole workflow for D seconds: create, set filters, build,
 * advance its clock, poll the status, estimate, enrich, advance, poll the
 * enrichment, export companies and prospects, download both CSVs; every N
 * loops it resets itself. It prints workflows and requests per second, p50
 * and p99 per endpoint, the server's CPU time per workflow and its RSS at
 * the start and the end (from /proc/PID, when --server-pid is given),
 * errors, and checks that every tenant's balance equals its start balance
 * less what its answers charged (builds: companiesCount + prospectsCount of
 * the NORMAL audience, as the build answer says; enrichments:
 * chargeInfo.creditsCharged).
 *
 * How the tenants run: by default W worker threads (--workers, 2) each
 * drive their share of the tenants, every tenant a coroutine (fleet_coro.h)
 * that waits for each answer before its next request, as a CI job does.
 * A worker talks HTTP through the fleet's own client (fleet_http.h: one
 * keep-alive socket per tenant, all of a worker's in one epoll set), or
 * with --client curl through one libcurl multi handle (the reference).
 * The server sees what it saw with a thread per tenant (--blocking, the
 * first version of this generator, libcurl easy handles): T keep-alive
 * connections with one request in flight each. What changes is the
 * generator's own cost, which on a 2-core machine is CPU taken from the
 * server: 64 threads blocking in recv cost two context switches and a
 * wake-up per request, and libcurl's multi machinery costs more than the
 * server's answer.
 *
 * Exits 0 when there were no errors and every balance is exact, 1
 * otherwise, 2 on bad usage. Only the given base URL is contacted. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fleet_coro.h"
#include "fleet_http.h"
#include "text/jsonr.h"

typedef enum endpoint {
    EP_CREATE, EP_FILTERS, EP_BUILD, EP_ADVANCE, EP_STATUS, EP_ESTIMATE, EP_ENRICH,
    EP_ENRICH_STATUS, EP_EXPORT_COMPANIES, EP_EXPORT_PROSPECTS, EP_DOWNLOAD_COMPANIES,
    EP_DOWNLOAD_PROSPECTS, EP_RESET, EP_SETUP, EP_CREDITS, EP_COUNT
} endpoint;

static const char *const endpoint_names[EP_COUNT] = {
    "POST create", "PATCH search-params", "POST build", "POST clock/advance", "GET status",
    "POST estimate", "POST enrich", "GET enrichment/status", "POST export/companies",
    "POST export/prospects", "GET download companies", "GET download prospects",
    "POST reset", "PUT account (setup)", "GET credits",
};

/* Latency histogram, log-linear over microseconds: exact below 64 us, then
 * 32 buckets per power of two (about 3 % wide), up to 2^31 us. */
#define HIST_LINEAR 64
#define HIST_SUB 32
#define HIST_BUCKETS (HIST_LINEAR + (31 - 6) * HIST_SUB)

typedef struct histogram {
    uint64_t counts[HIST_BUCKETS];
    uint64_t n;
} histogram;

static size_t hist_bucket(uint64_t us)
{
    if (us < HIST_LINEAR)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us);
    if (e > 30)
        return HIST_BUCKETS - 1;
    size_t sub = (size_t)((us >> (e - 5)) & (HIST_SUB - 1));
    return HIST_LINEAR + (size_t)(e - 6) * HIST_SUB + sub;
}

/* The middle of a bucket, in microseconds. */
static double hist_value(size_t b)
{
    if (b < HIST_LINEAR)
        return (double)b;
    size_t e = (b - HIST_LINEAR) / HIST_SUB + 6;
    size_t sub = (b - HIST_LINEAR) % HIST_SUB;
    double lo = (double)((HIST_SUB + sub) << (e - 5));
    double width = (double)(1ULL << (e - 5));
    return lo + width / 2;
}

static double hist_quantile(const histogram *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->n - 1)) + 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank)
            return hist_value(b);
    }
    return hist_value(HIST_BUCKETS - 1);
}

typedef struct fleet_options {
    const char *url;
    int tenants;
    double duration_s;
    int reset_every;          /* loops between resets of a tenant, 0: never */
    int fresh_keys;           /* loops before a tenant takes a new key, 0: never */
    int setup_put;            /* PUT /_mock/accounts/{key} first (else: keys on demand) */
    int global_clock;         /* POST /_mock/clock/advance instead of the tenant's */
    long server_pid;          /* 0: no CPU or RSS figures */
    const char *prefix;       /* keys are PREFIX<tenant>_<generation> */
    int sample_s;             /* RSS sampled this often (with server_pid), 0: start and end only */
    int workers;              /* threads driving the tenants as coroutines */
    int use_curl;             /* --client curl: the workers use libcurl multi handles */
    int own_client_asked;     /* --client http given (not with --blocking) */
    int blocking;             /* a thread per tenant, curl_easy_perform (the first version) */
    struct sockaddr_in addr;  /* the server, for the own client */
    char host[64];            /* its Host header */
    int smoke;
} fleet_options;

typedef struct worker worker;

/* Errors kept verbatim for the report. */
#define MAX_ERROR_TEXTS 8

typedef struct tenant {
    int index;
    const fleet_options *options;
    CURL *curl;
    char key[96];
    int generation;
    struct curl_slist *headers;
    char *answer;
    size_t answer_len, answer_cap;
    histogram hist[EP_COUNT];
    uint64_t workflows;
    uint64_t requests;
    uint64_t errors;
    int64_t start_credits;    /* balance after the last reset or key change */
    int64_t charged;          /* since then, from the answers */
    int checked;              /* balance compared at the end */
    int exact;
    char error_text[MAX_ERROR_TEXTS][256];
    int n_error_texts;
    /* Event-driven modes: the tenant's coroutine and the worker running it. */
    worker *worker;           /* NULL: blocking mode */
    fc_coro *coro;
    CURLcode result;          /* of the transfer just finished (curl) */
    fh_conn *conn;            /* the own client's connection (NULL with curl) */
    fh_result http_result;    /* of the request just finished (own client) */
} tenant;

/* A thread that runs its tenants' requests (in one multi handle, or its
 * own epoll set) and resumes each tenant when its answer is in. */
struct worker {
    CURLM *multi;             /* --client curl */
    int epfd;                 /* the own client: every tenant's socket */
    tenant **tenants;
    int n_tenants;
};

/* Each tenant's coroutine: the workflow's buffers, libcurl's setopt calls
 * and jansson's parser run on it (the transfers run on the worker's). */
#define TENANT_STACK_BYTES (256 * 1024)

static _Atomic int stop_flag;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    tenant *t = ctx;
    size_t len = size * n;
    if (t->answer_len + len + 1 > t->answer_cap) {
        size_t cap = t->answer_cap ? t->answer_cap : 4096;
        while (cap < t->answer_len + len + 1)
            cap *= 2;
        char *grown = realloc(t->answer, cap);
        if (grown == NULL)
            return 0;
        t->answer = grown;
        t->answer_cap = cap;
    }
    memcpy(t->answer + t->answer_len, data, len);
    t->answer_len += len;
    t->answer[t->answer_len] = '\0';
    return len;
}

static void note_error(tenant *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_error(tenant *t, const char *fmt, ...)
{
    t->errors++;
    if (t->n_error_texts == MAX_ERROR_TEXTS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error_text[t->n_error_texts++], sizeof t->error_text[0], fmt, ap);
    va_end(ap);
}

/* What a transport brings back: the status and the body, borrowed until
 * the tenant's next request. */
typedef struct reply {
    long status;
    const char *body;
    size_t len;
} reply;

/* One request through libcurl (the tenant's easy handle: in the worker's
 * multi handle, or performed here with --blocking). Returns 0, or -1 with
 * the error in err. *took_us is set either way. */
static int send_curl(tenant *t, const char *method, const char *url, const char *body, reply *r, uint64_t *took_us,
                     char *err, size_t err_len)
{
    CURL *c = t->curl;
    t->answer_len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body != NULL ? strlen(body) : 0));
    }
    CURLcode rc = CURLE_OK;
    if (t->worker != NULL) {
        /* Hand the transfer to the worker; it comes back here when done. */
        CURLMcode mc = curl_multi_add_handle(t->worker->multi, c);
        if (mc != CURLM_OK) {
            *took_us = 0;
            snprintf(err, err_len, "%s", curl_multi_strerror(mc));
            return -1;
        }
        fc_yield(t->coro);
        rc = t->result;
    } else {
        rc = curl_easy_perform(c);
    }
    curl_off_t took = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &took);
    *took_us = took > 0 ? (uint64_t)took : 0;
    if (rc != CURLE_OK) {
        snprintf(err, err_len, "%s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->body = t->answer != NULL ? t->answer : "";
    r->len = t->answer_len;
    return 0;
}

/* The path of an absolute URL ("/" when it has none). The own client
 * sends everything to the base URL's server: download links are the
 * server's own. */
static const char *path_of(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *path = strchr(scheme != NULL ? scheme + 3 : url, '/');
    return path != NULL ? path : "/";
}

/* Requests that have no whole answer after this long are errors. */
#define REQUEST_TIMEOUT_S 30.0

/* One request through the own client: sent from here, the answer waited
 * for in the worker's epoll loop. Returns 0, or -1 with the error in err. */
static int send_http(tenant *t, const char *method, const char *url, const char *body, reply *r, uint64_t *took_us,
                     char *err, size_t err_len)
{
    double start = now_s();
    fh_result res = fh_conn_request(t->conn, method, path_of(url), body, body != NULL ? strlen(body) : 0,
                                    start + REQUEST_TIMEOUT_S);
    if (res == FH_PENDING) {
        fc_yield(t->coro);
        res = t->http_result;
    }
    double took = (now_s() - start) * 1e6;
    *took_us = took > 0 ? (uint64_t)took : 0;
    if (res != FH_DONE) {
        snprintf(err, err_len, "%s", fh_conn_error(t->conn));
        return -1;
    }
    const fhp *answer = fh_conn_response(t->conn);
    r->status = fhp_status(answer);
    r->body = fhp_body(answer);
    r->len = fhp_body_len(answer);
    return 0;
}

/* One request to the server. Returns the parsed answer (new reference)
 * when it is a 200 with a JSON body, or NULL after counting an error. For
 * CSV downloads (json 0) returns json_true() on a 200 with a body. */
static json_t *call(tenant *t, endpoint ep, const char *method, const char *url, const char *body, int json)
{
    reply r = {0};
    uint64_t us = 0;
    char err[256];
    int rc = t->conn != NULL ? send_http(t, method, url, body, &r, &us, err, sizeof err)
                             : send_curl(t, method, url, body, &r, &us, err, sizeof err);
    t->requests++;
    t->hist[ep].counts[hist_bucket(us)]++;
    t->hist[ep].n++;
    if (rc != 0) {
        note_error(t, "%s %s: %s", method, url, err);
        return NULL;
    }
    if (r.status != 200) {
        note_error(t, "%s %s: %ld %.160s", method, url, r.status, r.body);
        return NULL;
    }
    if (!json) {
        if (r.len > 0)
            return json_true();
        note_error(t, "%s %s: empty body", method, url);
        return NULL;
    }
    /* jsonr builds json_loadb's tree without its character-at-a-time
     * reading (most of the generator's instructions); whatever it does
     * not read, jansson does. */
    json_t *answer = jsonr_object(r.body, r.len, JSONR_MAX_DEPTH);
    if (answer == NULL)
        answer = json_loadb(r.body, r.len, 0, NULL);
    if (answer == NULL)
        note_error(t, "%s %s: the answer is not JSON", method, url);
    return answer;
}

static json_t *output_of(json_t *answer)
{
    return json_object_get(answer, "output");
}

static const char *out_str(json_t *answer, const char *field)
{
    return json_string_value(json_object_get(output_of(answer), field));
}

static int64_t out_int(json_t *answer, const char *field)
{
    return (int64_t)json_integer_value(json_object_get(output_of(answer), field));
}

static void next_key(tenant *t)
{
    snprintf(t->key, sizeof t->key, "%s%d_%d", t->options->prefix, t->index, t->generation++);
}

/* Moves the tenant's clock (or the server's) forward. Returns 0 or -1. */
static int advance(tenant *t, int seconds)
{
    char url[512], body[64];
    if (t->options->global_clock)
        snprintf(url, sizeof url, "%s/_mock/clock/advance", t->options->url);
    else
        snprintf(url, sizeof url, "%s/_mock/accounts/%s/clock/advance", t->options->url, t->key);
    snprintf(body, sizeof body, "{\"seconds\":%d}", seconds);
    json_t *a = call(t, EP_ADVANCE, "POST", url, body, 1);
    json_decref(a);
    return a != NULL ? 0 : -1;
}

/* Reads the balance into start_credits and zeroes what was charged. */
static int read_start_balance(tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/credits?apiKey=%s", t->options->url, t->key);
    json_t *a = call(t, EP_CREDITS, "GET", url, NULL, 1);
    if (a == NULL)
        return -1;
    t->start_credits = out_int(a, "credits");
    t->charged = 0;
    json_decref(a);
    return 0;
}

/* Compares the balance with what the answers charged since the start. */
static void check_balance(tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/credits?apiKey=%s", t->options->url, t->key);
    json_t *a = call(t, EP_CREDITS, "GET", url, NULL, 1);
    if (a == NULL)
        return;
    int64_t credits = out_int(a, "credits");
    t->checked++;
    if (credits == t->start_credits - t->charged) {
        t->exact++;
    } else {
        note_error(t, "%s: balance %" PRId64 ", expected %" PRId64 " - %" PRId64 " = %" PRId64, t->key,
                   credits, t->start_credits, t->charged, t->start_credits - t->charged);
    }
    json_decref(a);
}

static int setup_key(tenant *t)
{
    if (t->options->setup_put) {
        char url[512];
        snprintf(url, sizeof url, "%s/_mock/accounts/%s", t->options->url, t->key);
        json_t *a = call(t, EP_SETUP, "PUT", url, "{\"credits\":1000000000,\"exportQuota\":1000000000}", 1);
        if (a == NULL)
            return -1;
        json_decref(a);
    }
    return read_start_balance(t);
}

static int reset_tenant(tenant *t)
{
    char url[512];
    snprintf(url, sizeof url, "%s/_mock/accounts/%s/reset", t->options->url, t->key);
    json_t *a = call(t, EP_RESET, "POST", url, "{}", 1);
    if (a == NULL)
        return -1;
    json_decref(a);
    return read_start_balance(t);
}

/* Polls until the audience leaves BUILDING; returns its build cost, or -1. */
static int64_t wait_built(tenant *t, const char *id)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/audiences/%s?apiKey=%s", t->options->url, id, t->key);
    for (int i = 0; i < 20; i++) {
        if (advance(t, 130) != 0)
            return -1;
        json_t *a = call(t, EP_STATUS, "GET", url, NULL, 1);
        if (a == NULL)
            return -1;
        const char *status = out_str(a, "status");
        if (status != NULL && strcmp(status, "NORMAL") == 0) {
            int64_t cost = out_int(a, "companiesCount") + out_int(a, "prospectsCount");
            json_decref(a);
            return cost;
        }
        int failed = status == NULL || strcmp(status, "FAILED") == 0;
        json_decref(a);
        if (failed) {
            note_error(t, "%s: build FAILED or no status", id);
            return -1;
        }
    }
    note_error(t, "%s: never NORMAL", id);
    return -1;
}

static int wait_enriched(tenant *t, const char *id)
{
    char url[512];
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrichment/status?apiKey=%s", t->options->url, id, t->key);
    for (int i = 0; i < 20; i++) {
        if (advance(t, 600) != 0)
            return -1;
        json_t *a = call(t, EP_ENRICH_STATUS, "GET", url, NULL, 1);
        if (a == NULL)
            return -1;
        const char *stage = out_str(a, "currentStage");
        int done = stage != NULL && strcmp(stage, "DONE") == 0;
        int failed = stage == NULL || strcmp(stage, "FAILED") == 0;
        json_decref(a);
        if (done)
            return 0;
        if (failed) {
            note_error(t, "%s: enrichment FAILED or no stage", id);
            return -1;
        }
    }
    note_error(t, "%s: enrichment never DONE", id);
    return -1;
}

/* Requests an export and downloads it. */
static int export_and_download(tenant *t, const char *id, int companies)
{
    char url[512], body[256];
    snprintf(url, sizeof url, "%s/v1/audiences/%s/export/%s", t->options->url, id, companies ? "companies" : "prospects");
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"format\":\"%s\"}", t->key,
             companies ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV");
    json_t *a = call(t, companies ? EP_EXPORT_COMPANIES : EP_EXPORT_PROSPECTS, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    const char *link = out_str(a, "downloadUrl");
    if (link == NULL) {
        note_error(t, "%s: export without downloadUrl", id);
        json_decref(a);
        return -1;
    }
    snprintf(url, sizeof url, "%s", link);
    json_decref(a);
    json_t *csv = call(t, companies ? EP_DOWNLOAD_COMPANIES : EP_DOWNLOAD_PROSPECTS, "GET", url, NULL, 0);
    json_decref(csv);
    return csv != NULL ? 0 : -1;
}

static const char enrich_fields[] =
    "\"maxProspectsToEnrich\":20,"
    "\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}";

/* One whole workflow. Returns 0, or -1 after an error (counted). */
static int workflow(tenant *t)
{
    const char *base = t->options->url;
    char url[512], body[512], id[64];
    snprintf(url, sizeof url, "%s/v1/audiences/create", base);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",\"name\":\"fleet %d\"}", t->key, t->index);
    json_t *a = call(t, EP_CREATE, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    snprintf(id, sizeof id, "%s", out_str(a, "audienceId") != NULL ? out_str(a, "audienceId") : "");
    json_decref(a);

    snprintf(url, sizeof url, "%s/v1/audiences/%s/search-params", base, id);
    snprintf(body, sizeof body,
             "{\"apiKey\":\"%s\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\",\"GB\"],"
             "\"employeeCountV2\":{\"min\":10,\"max\":5000}},"
             "\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":1,\"max\":40}},"
             "\"maxCompanies\":20,\"maxProspects\":40}", t->key);
    a = call(t, EP_FILTERS, "PATCH", url, body, 1);
    if (a == NULL)
        return -1;
    json_decref(a);

    snprintf(url, sizeof url, "%s/v1/audiences/%s/build", base, id);
    snprintf(body, sizeof body, "{\"apiKey\":\"%s\"}", t->key);
    a = call(t, EP_BUILD, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    json_decref(a);
    int64_t build_cost = wait_built(t, id);
    if (build_cost < 0)
        return -1;
    t->charged += build_cost;

    snprintf(body, sizeof body, "{\"apiKey\":\"%s\",%s}", t->key, enrich_fields);
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrichment/estimate", base, id);
    a = call(t, EP_ESTIMATE, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    int64_t estimate = out_int(a, "totalCredits");
    json_decref(a);
    snprintf(url, sizeof url, "%s/v1/audiences/%s/enrich", base, id);
    a = call(t, EP_ENRICH, "POST", url, body, 1);
    if (a == NULL)
        return -1;
    json_t *charged = json_object_get(json_object_get(a, "chargeInfo"), "creditsCharged");
    int64_t cost = json_is_integer(charged) ? (int64_t)json_integer_value(charged) : -1;
    json_decref(a);
    if (cost != estimate) {
        note_error(t, "%s: enrich charged %" PRId64 ", the estimate said %" PRId64, id, cost, estimate);
        return -1;
    }
    t->charged += cost;
    if (wait_enriched(t, id) != 0)
        return -1;
    if (export_and_download(t, id, 1) != 0 || export_and_download(t, id, 0) != 0)
        return -1;
    return 0;
}

static void *tenant_main(void *arg)
{
    tenant *t = arg;
    const fleet_options *o = t->options;
    double end = now_s() + o->duration_s;
    next_key(t);
    if (setup_key(t) != 0)
        return NULL;
    int loops = 0;
    while (!atomic_load(&stop_flag) && now_s() < end) {
        if (workflow(t) != 0) {
            /* Start the balance over: an interrupted workflow may have
             * charged what its answers did not say. */
            if (read_start_balance(t) != 0)
                break;
            continue;
        }
        t->workflows++;
        loops++;
        if (o->fresh_keys > 0 && loops % o->fresh_keys == 0) {
            check_balance(t);
            next_key(t);
            if (setup_key(t) != 0)
                break;
        } else if (o->reset_every > 0 && loops % o->reset_every == 0) {
            check_balance(t);
            if (reset_tenant(t) != 0)
                break;
        }
    }
    check_balance(t);
    return NULL;
}

/* The coroutine's entry; returning resumes the worker. */
static void tenant_entry(void *arg)
{
    tenant_main(arg);
}

static int tenant_coroutine(tenant *t, worker *w)
{
    t->worker = w;
    t->coro = fc_new(tenant_entry, t, TENANT_STACK_BYTES);
    return t->coro != NULL ? 0 : -1;
}

/* Runs t until its next request is in flight or it has finished; returns
 * 1 when it has finished. */
static int resume(tenant *t)
{
    fc_resume(t->coro);
    return fc_finished(t->coro);
}

/* Starts every tenant of the worker, then runs transfers and resumes the
 * tenant of each finished one until all have finished. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    int running = 0;
    tenant **ready = calloc((size_t)w->n_tenants, sizeof *ready);
    if (ready == NULL)
        return NULL;
    for (int i = 0; i < w->n_tenants; i++) {
        running += !resume(w->tenants[i]);
    }
    while (running > 0) {
        int still = 0;
        curl_multi_perform(w->multi, &still);
        /* Collected first: a resumed tenant adds its next transfer. */
        int n_ready = 0;
        int queued = 0;
        CURLMsg *m = NULL;
        while ((m = curl_multi_info_read(w->multi, &queued)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            tenant *t = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            t->result = m->data.result;
            ready[n_ready++] = t;
        }
        for (int i = 0; i < n_ready; i++) {
            tenant *t = ready[i];
            curl_multi_remove_handle(w->multi, t->curl);
            running -= resume(t);
        }
        if (running > 0 && n_ready == 0)
            curl_multi_poll(w->multi, NULL, 0, 100, NULL);
    }
    free(ready);
    return NULL;
}

/* The own client's loop: starts every tenant of the worker, then waits
 * on its epoll set and resumes each tenant whose answer is in (or whose
 * request failed or passed its deadline) until all have finished. */
static void *http_worker_main(void *arg)
{
    worker *w = arg;
    int running = 0;
    for (int i = 0; i < w->n_tenants; i++) {
        running += !resume(w->tenants[i]);
    }
    struct epoll_event events[64];
    double last_check = now_s();
    while (running > 0) {
        int n = epoll_wait(w->epfd, events, 64, 100);
        for (int i = 0; i < n; i++) {
            tenant *t = events[i].data.ptr;
            fh_result r = fh_conn_on_event(t->conn, events[i].events);
            if (r == FH_PENDING || fc_finished(t->coro))
                continue;
            t->http_result = r;
            running -= resume(t);
        }
        /* Deadlines are seconds long: a look every 100 ms is enough. */
        double now = now_s();
        if (now - last_check < 0.1)
            continue;
        last_check = now;
        for (int i = 0; i < w->n_tenants; i++) {
            tenant *t = w->tenants[i];
            if (fc_finished(t->coro) || fh_conn_check_deadline(t->conn, now) != FH_ERROR)
                continue;
            t->http_result = FH_ERROR;
            running -= resume(t);
        }
    }
    return NULL;
}

typedef struct proc_sample {
    double cpu_s;
    long rss_kb;
} proc_sample;

static int sample_proc(long pid, proc_sample *out)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: state is 3rd. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    out->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    out->rss_kb = -1;
    while (fgets(buf, sizeof buf, f) != NULL) {
        if (strncmp(buf, "VmRSS:", 6) == 0)
            out->rss_kb = strtol(buf + 6, NULL, 10);
    }
    fclose(f);
    return 0;
}

/* The generator's own CPU time (every thread), user and system, in seconds. */
static void self_cpu(double *user_s, double *sys_s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The tenant's libcurl easy handle (--client curl, --blocking). Returns 0
 * or -1. */
static int curl_tenant(tenant *t)
{
    t->curl = curl_easy_init();
    t->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (t->curl == NULL || t->headers == NULL)
        return -1;
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(t->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(t->curl, CURLOPT_PRIVATE, (char *)t);
    return 0;
}

/* Worker k of o->workers: its tenants (k, k + W, ...) as coroutines, and
 * its multi handle (curl) or epoll set with a connection per tenant (the
 * own client). w->tenants must have room. Returns 0, or -1 after saying
 * why. */
static int setup_worker(worker *w, int k, tenant *ts, const fleet_options *o)
{
    if (o->use_curl)
        w->multi = curl_multi_init();
    else
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (o->use_curl ? w->multi == NULL : w->epfd < 0) {
        fprintf(stderr, "descovo-bench-fleet: cannot make worker %d's %s\n", k, o->use_curl ? "multi handle" : "epoll set");
        return -1;
    }
    for (int i = k; i < o->tenants; i += o->workers) {
        tenant *t = &ts[i];
        if (!o->use_curl)
            t->conn = fh_conn_new(w->epfd, &o->addr, o->host, t);
        if (tenant_coroutine(t, w) != 0 || (!o->use_curl && t->conn == NULL)) {
            fprintf(stderr, "descovo-bench-fleet: cannot make tenant %d's coroutine or connection\n", i);
            return -1;
        }
        w->tenants[w->n_tenants++] = t;
    }
    /* One connection per tenant, kept: the default cache (4 per handle
     * added) would close connections between transfers. */
    if (o->use_curl)
        curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)w->n_tenants + 1);
    return 0;
}

static void usage(FILE *out)
{
    fputs("Usage: descovo-bench-fleet --url URL [OPTIONS]\n"
          "  --tenants T        parallel tenants (default 64)\n"
          "  --duration S       seconds each tenant loops (default 10)\n"
          "  --reset-every N    a tenant resets itself every N workflows (default 20; 0 never)\n"
          "  --fresh-keys N     a tenant takes a new key every N workflows (0: never)\n"
          "  --setup-put        create each key with PUT /_mock/accounts/{key} (default:\n"
          "                     keys on demand)\n"
          "  --global-clock     advance POST /_mock/clock/advance, not the tenant's clock\n"
          "  --server-pid PID   the server's process, for CPU per workflow and RSS\n"
          "  --key-prefix P     keys are P<tenant>_<n> (default sk_test_fleet_<pid>_)\n"
          "  --sample S         print the server's RSS every S seconds (needs --server-pid)\n"
          "  --workers W        threads driving the tenants as coroutines (default 2)\n"
          "  --client C         how the workers talk HTTP: http (default), the fleet's own\n"
          "                     client (keep-alive sockets in one epoll set per worker;\n"
          "                     the URL must be http://127.0.0.1:PORT), or curl, one\n"
          "                     libcurl multi handle per worker (the reference)\n"
          "  --blocking         a thread per tenant instead, each blocking in\n"
          "                     curl_easy_perform (the first version of this generator)\n"
          "  --smoke            4 tenants, 1 s, reset every 2 (CI)\n", out);
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, fleet_options *o)
{
    static const struct option longs[] = {
        {"url", required_argument, NULL, 'u'}, {"tenants", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'}, {"reset-every", required_argument, NULL, 'r'},
        {"fresh-keys", required_argument, NULL, 'f'}, {"setup-put", no_argument, NULL, 'p'},
        {"global-clock", no_argument, NULL, 'g'}, {"server-pid", required_argument, NULL, 's'},
        {"key-prefix", required_argument, NULL, 'k'}, {"smoke", no_argument, NULL, 'S'},
        {"sample", required_argument, NULL, 'm'}, {"workers", required_argument, NULL, 'w'},
        {"blocking", no_argument, NULL, 'b'}, {"client", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    long v = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 't': if (parse_long(optarg, 1, 4096, &v) != 0) goto bad; o->tenants = (int)v; break;
        case 'd': if (parse_long(optarg, 1, 3600, &v) != 0) goto bad; o->duration_s = (double)v; break;
        case 'r': if (parse_long(optarg, 0, 1000000, &v) != 0) goto bad; o->reset_every = (int)v; break;
        case 'f': if (parse_long(optarg, 0, 1000000, &v) != 0) goto bad; o->fresh_keys = (int)v; break;
        case 'p': o->setup_put = 1; break;
        case 'g': o->global_clock = 1; break;
        case 's': if (parse_long(optarg, 1, 1L << 30, &v) != 0) goto bad; o->server_pid = v; break;
        case 'k': o->prefix = optarg; break;
        case 'm': if (parse_long(optarg, 0, 3600, &v) != 0) goto bad; o->sample_s = (int)v; break;
        case 'w': if (parse_long(optarg, 1, 64, &v) != 0) goto bad; o->workers = (int)v; break;
        case 'b': o->blocking = 1; break;
        case 'c':
            if (strcmp(optarg, "curl") != 0 && strcmp(optarg, "http") != 0) {
                fprintf(stderr, "descovo-bench-fleet: --client: expected http or curl, got \"%s\"\n", optarg);
                return -1;
            }
            o->use_curl = strcmp(optarg, "curl") == 0;
            o->own_client_asked = !o->use_curl;
            break;
        case 'S': o->smoke = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (o->url == NULL || optind != argc) {
        usage(stderr);
        return -1;
    }
    /* Paths are appended to it: "http://h:p/" would make "//v1/..." */
    static char url[512];
    size_t url_len = strlen(o->url);
    if (url_len > 0 && url_len < sizeof url && o->url[url_len - 1] == '/') {
        memcpy(url, o->url, url_len - 1);
        url[url_len - 1] = '\0';
        o->url = url;
    }
    if (o->blocking && o->own_client_asked) {
        fprintf(stderr, "descovo-bench-fleet: --blocking runs libcurl easy handles: not with --client http\n");
        return -1;
    }
    if (o->blocking)
        o->use_curl = 1;
    if (!o->use_curl && fh_parse_base_url(o->url, &o->addr, o->host, sizeof o->host) != 0) {
        fprintf(stderr, "descovo-bench-fleet: --url: the own client takes http://127.0.0.1:PORT, got \"%s\" "
                        "(--client curl takes any)\n", o->url);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "descovo-bench-fleet: %s: expected a number in range, got \"%s\"\n", argv[optind - 1], optarg);
    return -1;
}

int main(int argc, char **argv)
{
    static char prefix[64];
    fleet_options o = {.tenants = 64, .duration_s = 10, .reset_every = 20, .workers = 2};
    /* --smoke changes the defaults; options given still count. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            o = (fleet_options){.tenants = 4, .duration_s = 1, .reset_every = 2, .workers = 1};
    }
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    if (o.prefix == NULL) {
        snprintf(prefix, sizeof prefix, "sk_test_fleet_%ld_", (long)getpid());
        o.prefix = prefix;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    tenant *ts = calloc((size_t)o.tenants, sizeof *ts);
    pthread_t *threads = calloc((size_t)o.tenants, sizeof *threads);
    if (o.workers > o.tenants)
        o.workers = o.tenants;
    worker *workers = calloc((size_t)o.workers, sizeof *workers);
    tenant **worker_tenants = calloc((size_t)o.tenants, sizeof *worker_tenants);
    if (ts == NULL || threads == NULL || workers == NULL || worker_tenants == NULL) {
        fprintf(stderr, "descovo-bench-fleet: out of memory\n");
        return 1;
    }
    for (int i = 0; i < o.tenants; i++) {
        ts[i].index = i;
        ts[i].options = &o;
        if (o.use_curl && curl_tenant(&ts[i]) != 0) {
            fprintf(stderr, "descovo-bench-fleet: cannot make a curl handle\n");
            return 1;
        }
    }
    /* Tenant i runs on worker i % W; each worker's tenants are contiguous
     * in worker_tenants. */
    for (int k = 0, next = 0; k < o.workers && !o.blocking; k++) {
        workers[k].tenants = &worker_tenants[next];
        if (setup_worker(&workers[k], k, ts, &o) != 0)
            return 1;
        next += workers[k].n_tenants;
    }
    proc_sample before = {0}, after = {0};
    int have_proc = o.server_pid > 0 && sample_proc(o.server_pid, &before) == 0;
    double self_user0 = 0, self_sys0 = 0;
    self_cpu(&self_user0, &self_sys0);
    double start = now_s();
    int n_threads = o.blocking ? o.tenants : o.workers;
    for (int i = 0; i < n_threads; i++) {
        int rc = o.blocking ? pthread_create(&threads[i], NULL, tenant_main, &ts[i])
                 : o.use_curl ? pthread_create(&threads[i], NULL, worker_main, &workers[i])
                              : pthread_create(&threads[i], NULL, http_worker_main, &workers[i]);
        if (rc != 0) {
            fprintf(stderr, "descovo-bench-fleet: cannot start thread %d\n", i);
            atomic_store(&stop_flag, 1);
            n_threads = i;
            break;
        }
    }
    /* RSS over the run: flat means bounded memory. */
    double min_rss = 0, max_rss = 0;
    int samples = 0;
    if (have_proc && o.sample_s > 0) {
        for (int k = 1; now_s() - start + o.sample_s <= o.duration_s + 0.5; k++) {
            struct timespec pause = {o.sample_s, 0};
            nanosleep(&pause, NULL);
            proc_sample s;
            if (sample_proc(o.server_pid, &s) != 0)
                break;
            double mb = s.rss_kb / 1024.0;
            printf("rss         t=%4ds %7.1f MB\n", k * o.sample_s, mb);
            fflush(stdout);
            /* The first sample is the warm one: the store's tables have grown. */
            if (samples == 0 || mb < min_rss)
                min_rss = mb;
            if (samples == 0 || mb > max_rss)
                max_rss = mb;
            samples++;
        }
    }
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    double wall = now_s() - start;
    double self_user = 0, self_sys = 0;
    self_cpu(&self_user, &self_sys);
    self_user -= self_user0;
    self_sys -= self_sys0;
    if (have_proc)
        have_proc = sample_proc(o.server_pid, &after) == 0;

    histogram *total = calloc(EP_COUNT, sizeof *total);
    uint64_t workflows = 0, requests = 0, errors = 0;
    int checked = 0, exact = 0;
    for (int i = 0; i < o.tenants; i++) {
        tenant *t = &ts[i];
        workflows += t->workflows;
        requests += t->requests;
        errors += t->errors;
        checked += t->checked;
        exact += t->exact;
        for (int e = 0; e < EP_COUNT && total != NULL; e++) {
            for (size_t b = 0; b < HIST_BUCKETS; b++)
                total[e].counts[b] += t->hist[e].counts[b];
            total[e].n += t->hist[e].n;
        }
    }
    printf("fleet: %d tenants, %.1f s, %s clock, keys %s, reset every %d, fresh keys every %d\n", o.tenants, wall,
           o.global_clock ? "global" : "tenant", o.setup_put ? "by PUT" : "on demand", o.reset_every, o.fresh_keys);
    if (o.blocking)
        printf("generator   a thread per tenant (--blocking)\n");
    else
        printf("generator   %d worker thread%s, %s\n", o.workers, o.workers == 1 ? "" : "s",
               o.use_curl ? "curl multi (--client curl)" : "own HTTP client, epoll (--client http)");
    printf("workflows   %" PRIu64 " (%.0f/s)\n", workflows, (double)workflows / wall);
    printf("requests    %" PRIu64 " (%.0f/s)\n", requests, (double)requests / wall);
    printf("errors      %" PRIu64 "\n", errors);
    printf("credits     %d of %d balances exact\n", exact, checked);
    printf("generator CPU %.2f s (user %.2f, sys %.2f), %.0f us per workflow, %.1f us per request\n",
           self_user + self_sys, self_user, self_sys,
           workflows ? (self_user + self_sys) * 1e6 / (double)workflows : 0.0,
           requests ? (self_user + self_sys) * 1e6 / (double)requests : 0.0);
    if (have_proc) {
        double cpu = after.cpu_s - before.cpu_s;
        printf("server CPU  %.2f s, %.0f us per workflow, %.1f us per request\n", cpu,
               workflows ? cpu * 1e6 / (double)workflows : 0.0, requests ? cpu * 1e6 / (double)requests : 0.0);
        printf("server RSS  %.1f MB at the start, %.1f MB at the end\n", before.rss_kb / 1024.0, after.rss_kb / 1024.0);
        if (samples >= 2)
            printf("server RSS  %.1f to %.1f MB over %d samples (max/min %.2f)\n", min_rss, max_rss, samples,
                   min_rss > 0 ? max_rss / min_rss : 0.0);
    }
    printf("%-26s %10s %9s %9s\n", "endpoint", "requests", "p50 us", "p99 us");
    for (int e = 0; e < EP_COUNT && total != NULL; e++) {
        if (total[e].n == 0)
            continue;
        printf("%-26s %10" PRIu64 " %9.0f %9.0f\n", endpoint_names[e], total[e].n, hist_quantile(&total[e], 0.5),
               hist_quantile(&total[e], 0.99));
    }
    int shown = 0;
    for (int i = 0; i < o.tenants && shown < MAX_ERROR_TEXTS; i++) {
        for (int k = 0; k < ts[i].n_error_texts && shown < MAX_ERROR_TEXTS; k++, shown++)
            printf("error: tenant %d: %s\n", i, ts[i].error_text[k]);
    }
    for (int k = 0; k < o.workers && !o.blocking; k++) {
        curl_multi_cleanup(workers[k].multi);
        if (workers[k].epfd > 0)
            close(workers[k].epfd);
    }
    for (int i = 0; i < o.tenants; i++) {
        fh_conn_free(ts[i].conn);
        curl_easy_cleanup(ts[i].curl);
        curl_slist_free_all(ts[i].headers);
        free(ts[i].answer);
        fc_free(ts[i].coro);
    }
    free(workers);
    free(worker_tenants);
    free(total);
    free(ts);
    free(threads);
    curl_global_cleanup();
    return errors == 0 && exact == checked && workflows > 0 ? 0 : 1;
}
