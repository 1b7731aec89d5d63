/* descovo-bench-fleet: a fleet of CI jobs against one descovo-mock (issue 19).
 *
 * T tenants (one keep-alive connection each), each looping the
 * whole workflow for D seconds: create, set filters, build,
 * advance its clock, poll the status, estimate, enrich, advance, poll the
 * enrichment, export companies and prospects, download both CSVs; every N
 * loops it resets itself (tenant i first after N - i % N loops, unless
 * --reset-lockstep: the resets of a fleet started at once are spread over
 * the cycle, as a real fleet's are). It prints workflows and requests per second, p50
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
 * What each tenant sends and reads is fleet_workflow.h's; this file is
 * the transports, the workers and the report. With --floor the tenants
 * send the same requests with placeholder ids and take any 2xx answer
 * without reading it: the fleet against descovo-bench-bare, the floor
 * that bench/fleet.sh --baseline compares the mock with. The endpoint
 * table's "mean B" is the answers' mean body size (fleet.sh gives the
 * bare server the downloads' sizes from it).
 *
 * Exits 0 when there were no errors and every balance is exact, 1
 * otherwise, 2 on bad usage. Only the given base URL is contacted. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
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
#include "fleet_workflow.h"

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
    fw_options wf;            /* what each tenant sends (fleet_workflow.h) */
    int tenants;
    double duration_s;
    long server_pid;          /* 0: no CPU or RSS figures */
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

/* A tenant: what it sends and reads (wf), and how (its transport). */
typedef struct tenant {
    fw_tenant wf;
    const fleet_options *options;
    CURL *curl;
    struct curl_slist *headers;
    char *answer;
    size_t answer_len, answer_cap;
    histogram hist[FW_COUNT];
    uint64_t answer_bytes[FW_COUNT]; /* bodies of the answers, for their mean size */
    uint64_t requests;
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

/* One request through libcurl (the tenant's easy handle: in the worker's
 * multi handle, or performed here with --blocking). Returns 0, or -1 with
 * the error in err. *took_us is set either way. */
static int send_curl(tenant *t, const char *method, const char *url, const char *body, fw_reply *r, uint64_t *took_us,
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
static int send_http(tenant *t, const char *method, const char *url, const char *body, fw_reply *r, uint64_t *took_us,
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

/* The tenant's fw_send_fn: the request through its transport, timed and
 * counted for the report. */
static int send_one(void *ctx, fw_endpoint ep, const char *method, const char *url, const char *body, fw_reply *r,
                    char *err, size_t err_len)
{
    tenant *t = ctx;
    uint64_t us = 0;
    int rc = t->conn != NULL ? send_http(t, method, url, body, r, &us, err, err_len)
                             : send_curl(t, method, url, body, r, &us, err, err_len);
    t->requests++;
    t->hist[ep].counts[hist_bucket(us)]++;
    t->hist[ep].n++;
    if (rc == 0)
        t->answer_bytes[ep] += r->len;
    return rc;
}

static void *tenant_main(void *arg)
{
    tenant *t = arg;
    double end = now_s() + t->options->duration_s;
    if (fw_start(&t->wf) != 0)
        return NULL;
    while (!atomic_load(&stop_flag) && now_s() < end) {
        if (fw_loop(&t->wf) != 0)
            break;
    }
    fw_finish(&t->wf);
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
    double cpu_s;             /* user + system */
    double user_s;
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
    out->user_s = (double)utime / (double)sysconf(_SC_CLK_TCK);
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
          "  --reset-every N    a tenant resets itself every N workflows (default 20; 0 never);\n"
          "                     tenant i first after N - i % N of them, so that the\n"
          "                     fleet's resets are spread over the cycle\n"
          "  --reset-lockstep   every tenant first resets (or takes a new key) after N\n"
          "                     workflows (then they come in bursts, sessions 1-10)\n"
          "  --fresh-keys N     a tenant takes a new key every N workflows (0: never),\n"
          "                     tenant i first after N - i % N of them, as resets\n"
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
          "  --floor            the floor: the same requests (placeholder ids where the\n"
          "                     real ones come from an answer), any 2xx answer taken and\n"
          "                     none read, no balance checked; for descovo-bench-bare\n"
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
        {"floor", no_argument, NULL, 'F'}, {"reset-lockstep", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    long v = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'u': o->wf.url = optarg; break;
        case 't': if (parse_long(optarg, 1, 4096, &v) != 0) goto bad; o->tenants = (int)v; break;
        case 'd': if (parse_long(optarg, 1, 3600, &v) != 0) goto bad; o->duration_s = (double)v; break;
        case 'r': if (parse_long(optarg, 0, 1000000, &v) != 0) goto bad; o->wf.reset_every = (int)v; break;
        case 'f': if (parse_long(optarg, 0, 1000000, &v) != 0) goto bad; o->wf.fresh_keys = (int)v; break;
        case 'p': o->wf.setup_put = 1; break;
        case 'L': o->wf.reset_lockstep = 1; break;
        case 'g': o->wf.global_clock = 1; break;
        case 's': if (parse_long(optarg, 1, 1L << 30, &v) != 0) goto bad; o->server_pid = v; break;
        case 'k': o->wf.prefix = optarg; break;
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
        case 'F': o->wf.floor = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (o->wf.url == NULL || optind != argc) {
        usage(stderr);
        return -1;
    }
    /* Paths are appended to it: "http://h:p/" would make "//v1/..." */
    static char url[512];
    size_t url_len = strlen(o->wf.url);
    if (url_len > 0 && url_len < sizeof url && o->wf.url[url_len - 1] == '/') {
        memcpy(url, o->wf.url, url_len - 1);
        url[url_len - 1] = '\0';
        o->wf.url = url;
    }
    if (o->blocking && o->own_client_asked) {
        fprintf(stderr, "descovo-bench-fleet: --blocking runs libcurl easy handles: not with --client http\n");
        return -1;
    }
    if (o->blocking)
        o->use_curl = 1;
    if (!o->use_curl && fh_parse_base_url(o->wf.url, &o->addr, o->host, sizeof o->host) != 0) {
        fprintf(stderr, "descovo-bench-fleet: --url: the own client takes http://127.0.0.1:PORT, got \"%s\" "
                        "(--client curl takes any)\n", o->wf.url);
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
    fleet_options o = {.wf = {.reset_every = 20}, .tenants = 64, .duration_s = 10, .workers = 2};
    /* --smoke changes the defaults; options given still count. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            o = (fleet_options){.wf = {.reset_every = 2}, .tenants = 4, .duration_s = 1, .workers = 1};
    }
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    if (o.wf.prefix == NULL) {
        snprintf(prefix, sizeof prefix, "sk_test_fleet_%ld_", (long)getpid());
        o.wf.prefix = prefix;
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
        ts[i].options = &o;
        if (fw_tenant_init(&ts[i].wf, &o.wf, i, send_one, &ts[i]) != 0) {
            fprintf(stderr, "descovo-bench-fleet: out of memory\n");
            return 1;
        }
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

    histogram *total = calloc(FW_COUNT, sizeof *total);
    uint64_t answer_bytes[FW_COUNT] = {0};
    uint64_t workflows = 0, requests = 0, errors = 0;
    int checked = 0, exact = 0;
    for (int i = 0; i < o.tenants; i++) {
        tenant *t = &ts[i];
        workflows += t->wf.workflows;
        requests += t->requests;
        errors += t->wf.errors;
        checked += t->wf.checked;
        exact += t->wf.exact;
        for (int e = 0; e < FW_COUNT && total != NULL; e++) {
            for (size_t b = 0; b < HIST_BUCKETS; b++)
                total[e].counts[b] += t->hist[e].counts[b];
            total[e].n += t->hist[e].n;
            answer_bytes[e] += t->answer_bytes[e];
        }
    }
    printf("fleet: %d tenants, %.1f s, %s clock, keys %s, reset every %d (%s), fresh keys every %d%s\n", o.tenants,
           wall, o.wf.global_clock ? "global" : "tenant", o.wf.setup_put ? "by PUT" : "on demand", o.wf.reset_every,
           o.wf.reset_lockstep ? "lockstep" : "staggered", o.wf.fresh_keys, o.wf.floor ? ", floor" : "");
    if (o.blocking)
        printf("generator   a thread per tenant (--blocking)\n");
    else
        printf("generator   %d worker thread%s, %s\n", o.workers, o.workers == 1 ? "" : "s",
               o.use_curl ? "curl multi (--client curl)" : "own HTTP client, epoll (--client http)");
    printf("workflows   %" PRIu64 " (%.0f/s)\n", workflows, (double)workflows / wall);
    printf("requests    %" PRIu64 " (%.0f/s)\n", requests, (double)requests / wall);
    printf("errors      %" PRIu64 "\n", errors);
    if (o.wf.floor)
        printf("credits     not checked (--floor: the workflow's requests, any 2xx answer taken, none read)\n");
    else
        printf("credits     %d of %d balances exact\n", exact, checked);
    printf("generator CPU %.2f s (user %.2f, sys %.2f), %.0f us per workflow, %.1f us per request\n",
           self_user + self_sys, self_user, self_sys,
           workflows ? (self_user + self_sys) * 1e6 / (double)workflows : 0.0,
           requests ? (self_user + self_sys) * 1e6 / (double)requests : 0.0);
    if (have_proc) {
        double cpu = after.cpu_s - before.cpu_s;
        double user = after.user_s - before.user_s;
        double per_workflow = workflows ? 1e6 / (double)workflows : 0.0;
        /* The split says how much is the kernel's (loopback TCP, wake-ups). */
        printf("server CPU  %.2f s, %.0f us per workflow, %.1f us per request; user %.0f, system %.0f us per workflow\n",
               cpu, cpu * per_workflow, requests ? cpu * 1e6 / (double)requests : 0.0, user * per_workflow,
               (cpu - user) * per_workflow);
        printf("server RSS  %.1f MB at the start, %.1f MB at the end\n", before.rss_kb / 1024.0, after.rss_kb / 1024.0);
        if (samples >= 2)
            printf("server RSS  %.1f to %.1f MB over %d samples (max/min %.2f)\n", min_rss, max_rss, samples,
                   min_rss > 0 ? max_rss / min_rss : 0.0);
    }
    printf("%-26s %10s %9s %9s %9s\n", "endpoint", "requests", "p50 us", "p99 us", "mean B");
    for (int e = 0; e < FW_COUNT && total != NULL; e++) {
        if (total[e].n == 0)
            continue;
        printf("%-26s %10" PRIu64 " %9.0f %9.0f %9.0f\n", fw_endpoint_names[e], total[e].n,
               hist_quantile(&total[e], 0.5), hist_quantile(&total[e], 0.99),
               (double)answer_bytes[e] / (double)total[e].n);
    }
    int shown = 0;
    for (int i = 0; i < o.tenants && shown < FW_MAX_ERROR_TEXTS; i++) {
        for (int k = 0; k < ts[i].wf.n_error_texts && shown < FW_MAX_ERROR_TEXTS; k++, shown++)
            printf("error: tenant %d: %s\n", i, ts[i].wf.error_text[k]);
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
        fw_tenant_free(&ts[i].wf);
    }
    free(workers);
    free(worker_tenants);
    free(total);
    free(ts);
    free(threads);
    curl_global_cleanup();
    return errors == 0 && exact == checked && workflows > 0 ? 0 : 1;
}
