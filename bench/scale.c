/* descovo-bench-scale: the mock's figures on a database of about a million
 * prospects, each printed next to its target from issue 6.
 *
 *   start-up     mock_app_new + mock_app_start (dataset, store, keys, daemon),
 *                wall time; and dataset_generate alone
 *   memory       VmRSS and VmHWM from /proc/self/status once started
 *   builds       filters_compile + filters_run, CPU time of this thread
 *                (median of --repeat runs), for a typical build and two others;
 *                each result compared with filters_run_scan (must be identical)
 *   export       every prospect (and every company) with every column through
 *                export_reader in 64 KiB reads, nothing kept: MB/s (10^6 bytes)
 *
 * Usage: descovo-bench-scale [--companies N] [--seed N] [--repeat N] [--smoke]
 * --smoke: the default 2,000-company database, one repetition: checks that it
 * runs and that indexed and scan results agree, not the timings.
 * Exits 0, or 1 when something failed or an indexed result differs from the
 * scan (a missed target is reported, not an error). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "app.h"
#include "data/dataset.h"
#include "data/export.h"
#include "data/filters.h"
#include "sim/pricing.h"

#define DEFAULT_COMPANIES 98000u
#define SMOKE_COMPANIES 2000u
#define MAX_REPEAT 50
#define READ_BLOCK (64 * 1024)     /* what server.c hands libmicrohttpd */

/* Targets of issue 6. */
#define TARGET_START_MS 1000.0
#define TARGET_RSS_MB 300.0
#define TARGET_BUILD_CPU_MS 100.0
#define TARGET_EXPORT_MBPS 200.0

typedef struct build_case {
    const char *name;
    creation_method method;
    const char *company;           /* JSON, or NULL */
    const char *prospect;
    int typical;                   /* the one the target applies to */
} build_case;

static const build_case build_cases[] = {
    {"typical: US + software + 50-1000 employees + vp/director", CREATION_NORMAL,
     "{\"headquartersCountryCode\":[\"US\"],\"industriesV2\":[\"software\"],"
     "\"employeeCountV2\":{\"min\":50,\"max\":1000}}",
     "{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\",\"director\"]}]}}", 1},
    {"broad: US companies, any prospect", CREATION_NORMAL,
     "{\"headquartersCountryCode\":[\"US\"]}", NULL, 0},
    {"START_FROM_PROSPECTS: vp/director in DEU", CREATION_START_FROM_PROSPECTS, NULL,
     "{\"country3LetterCode\":[\"DEU\"],"
     "\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\",\"director\"]}]}}", 0},
};

#define N_BUILD_CASES (sizeof build_cases / sizeof build_cases[0])

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static double cpu_ms(void)
{
    return clock_ms(CLOCK_THREAD_CPUTIME_ID);
}

/* A "VmRSS:   1234 kB" line of /proc/self/status, in MB; -1 if absent. */
static double proc_status_mb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    double mb = -1;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, flen) != 0 || line[flen] != ':')
            continue;
        char *end = NULL;
        errno = 0;
        long long kb = strtoll(line + flen + 1, &end, 10);
        if (errno == 0 && end != line + flen + 1)
            mb = (double)kb / 1024.0;
        break;
    }
    fclose(f);
    return mb;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void figure(const char *name, double value, const char *unit, const char *cmp, double target)
{
    int ok = cmp[0] == '<' ? value <= target : value >= target;
    printf("%-44s %12.1f %-5s  target %s %g %-5s  %s\n", name, value, unit, cmp, target, unit,
           ok ? "ok" : "MISSED");
}

static int parse_ulong(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    if (text == NULL || text[0] == '\0' || text[0] == '-')
        return -1;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static json_t *load_json(const char *text)
{
    if (text == NULL)
        return NULL;
    json_error_t error;
    json_t *value = json_loads(text, 0, &error);
    if (value == NULL)
        fprintf(stderr, "scale: bad built-in filter JSON: %s\n", error.text);
    return value;
}

static int same_result(const build_result *a, const build_result *b)
{
    return a->n_companies == b->n_companies && a->n_prospects == b->n_prospects &&
           (a->n_companies == 0 || memcmp(a->companies, b->companies, a->n_companies * sizeof a->companies[0]) == 0) &&
           (a->n_prospects == 0 || memcmp(a->prospects, b->prospects, a->n_prospects * sizeof a->prospects[0]) == 0);
}

/* Pricing the largest enrichment (API_MAX_ENRICH_PROSPECTS) of a build
 * result, with its index and by scanning: prints both times and whether
 * they agree. Returns 0, or -1 on a difference or out of memory. */
static int bench_estimate(const dataset *ds, const build_result *result)
{
    enrichment_options options = {API_MAX_ENRICH_PROSPECTS, 1, 1, 1, 1, 1, 1, 1};
    pricing_index index;
    double t0 = cpu_ms();
    if (pricing_index_build(ds, result->prospects, result->n_prospects, &index) != 0)
        return -1;
    double index_ms = cpu_ms() - t0;
    enrichment_cost with_index;
    enrichment_cost scanned;
    enum { RUNS = 200 };
    double t1 = cpu_ms();
    for (int i = 0; i < RUNS; i++)
        pricing_enrichment_indexed(ds, result->prospects, result->n_prospects, &index, &options, &with_index);
    double t2 = cpu_ms();
    for (int i = 0; i < RUNS; i++)
        pricing_enrichment(ds, result->prospects, result->n_prospects, &options, &scanned);
    double t3 = cpu_ms();
    int same = with_index.total == scanned.total && with_index.n_companies == scanned.n_companies;
    printf("  %-58s %8.1f us CPU (scan %.1f us; index built in %.1f ms)  same cost: %s\n",
           "estimate of the first 100,000 of them", (t2 - t1) * 1000.0 / RUNS, (t3 - t2) * 1000.0 / RUNS, index_ms,
           same ? "yes" : "NO");
    pricing_index_free(&index);
    return same ? 0 : -1;
}

/* Runs one build case `repeat` times (compile + run); prints its CPU time,
 * compares with the scan. Returns 0, or -1 on failure or a difference. */
static int bench_build(const dataset *ds, const build_case *bc, unsigned long repeat, double *typical_ms)
{
    int rc = -1;
    json_t *company = load_json(bc->company);
    json_t *prospect = load_json(bc->prospect);
    json_t *warnings = json_array();
    build_result indexed = {0};
    build_result scan = {0};
    double times[MAX_REPEAT];
    if ((bc->company != NULL && company == NULL) || (bc->prospect != NULL && prospect == NULL) || warnings == NULL)
        goto out;
    for (unsigned long r = 0; r < repeat; r++) {
        char err[512];
        audience_filters *filters = NULL;
        build_result_free(&indexed);
        double t0 = cpu_ms();
        int failed = filters_compile(company, prospect, bc->method, &warnings, &filters, err, sizeof err) != 0 ||
                     filters_run(filters, ds, bc->method, API_MAX_BUILD_CAP, API_MAX_BUILD_CAP, &indexed) != 0;
        times[r] = cpu_ms() - t0;
        if (failed) {
            fprintf(stderr, "scale: build \"%s\" failed: %s\n", bc->name, filters == NULL ? err : "out of memory");
            filters_free(filters);
            goto out;
        }
        if (r + 1 == repeat) {
            double t1 = cpu_ms();
            if (filters_run_scan(filters, ds, bc->method, API_MAX_BUILD_CAP, API_MAX_BUILD_CAP, &scan) != 0) {
                filters_free(filters);
                fprintf(stderr, "scale: scan of \"%s\" ran out of memory\n", bc->name);
                goto out;
            }
            double scan_ms = cpu_ms() - t1;
            double med = median(times, repeat);
            int equal = same_result(&indexed, &scan);
            printf("  %-58s %8.1f ms CPU (scan %.1f ms)  %zu companies, %zu prospects  indexed == scan: %s\n",
                   bc->name, med, scan_ms, indexed.n_companies, indexed.n_prospects, equal ? "yes" : "NO");
            if (bc->typical)
                *typical_ms = med;
            rc = equal ? 0 : -1;
            if (indexed.n_prospects >= API_MAX_ENRICH_PROSPECTS && bench_estimate(ds, &indexed) != 0)
                rc = -1;
        }
        filters_free(filters);
    }
out:
    build_result_free(&indexed);
    build_result_free(&scan);
    json_decref(company);
    json_decref(prospect);
    json_decref(warnings);
    return rc;
}

/* Streams every record of one kind with every column. Returns MB/s or -1. */
static double bench_export(const dataset *ds, export_kind kind, double *out_mb, double *rss_growth_mb,
                           double *cpu_mbps)
{
    double mbps = -1;
    size_t n = kind == EXPORT_PROSPECTS ? ds->n_prospects : ds->n_companies;
    uint32_t *rows = malloc((n > 0 ? n : 1) * sizeof *rows);
    uint8_t *revealed = kind == EXPORT_PROSPECTS ? malloc(n > 0 ? n : 1) : NULL;
    char *buf = malloc(READ_BLOCK);
    export_job *job = NULL;
    export_reader *reader = NULL;
    uint8_t selected[EXPORT_MAX_COLUMNS];
    char err[256];
    if (rows == NULL || buf == NULL || (kind == EXPORT_PROSPECTS && revealed == NULL))
        goto out;
    for (size_t i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    if (revealed != NULL)
        memset(revealed, DS_CONTACT_ALL, n);  /* every contact column filled */
    if (export_select_columns(kind, NULL, selected, err, sizeof err) != 0) {
        fprintf(stderr, "scale: %s\n", err);
        goto out;
    }
    job = export_job_new(ds, kind, rows, revealed, n, selected);
    reader = job != NULL ? export_reader_new(job) : NULL;
    if (reader == NULL)
        goto out;
    double rss_before = proc_status_mb("VmRSS");
    double t0 = wall_ms();
    double c0 = cpu_ms();
    unsigned long long bytes = 0;
    for (;;) {
        ssize_t got = export_reader_read(reader, buf, READ_BLOCK);
        if (got < 0)
            goto out;
        if (got == 0)
            break;
        bytes += (unsigned long long)got;
    }
    double seconds = (wall_ms() - t0) / 1e3;
    double cpu_seconds = (cpu_ms() - c0) / 1e3;
    *rss_growth_mb = proc_status_mb("VmRSS") - rss_before;
    *out_mb = (double)bytes / 1e6;
    mbps = seconds > 0 ? *out_mb / seconds : 0;
    *cpu_mbps = cpu_seconds > 0 ? *out_mb / cpu_seconds : 0;
out:
    export_reader_free(reader);
    export_job_free(job);
    free(buf);
    free(revealed);
    free(rows);
    return mbps;
}

int main(int argc, char **argv)
{
    unsigned long companies = DEFAULT_COMPANIES;
    unsigned long seed = 42;
    unsigned long repeat = 5;
    int smoke = 0;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(argv[i], "--smoke") == 0) {
            smoke = 1;
            continue;
        }
        if (strcmp(argv[i], "--companies") == 0)
            rc = parse_ulong(value, 1, DATASET_MAX_COMPANIES, &companies);
        else if (strcmp(argv[i], "--seed") == 0)
            rc = parse_ulong(value, 0, (unsigned long)-1, &seed);
        else if (strcmp(argv[i], "--repeat") == 0)
            rc = parse_ulong(value, 1, MAX_REPEAT, &repeat);
        else
            rc = -1;
        if (rc != 0) {
            fprintf(stderr, "usage: descovo-bench-scale [--companies 1..%u] [--seed N] [--repeat 1..%d] [--smoke]\n",
                    DATASET_MAX_COMPANIES, MAX_REPEAT);
            return 2;
        }
        i++;
    }
    if (smoke) {
        companies = SMOKE_COMPANIES;
        repeat = 1;
    }

    int rc = 1;
    char err[512];
    mock_options options;
    mock_options_default(&options);
    options.port = 0;
    options.seed = seed;
    options.companies = (uint32_t)companies;
    options.clock_mode = MOCK_CLOCK_MANUAL;
    options.quiet = 1;
    options.log = NULL;

    double t0 = wall_ms();
    double c0 = cpu_ms();
    mock_app *app = mock_app_new(&options, err, sizeof err);
    if (app == NULL || mock_app_start(app, err, sizeof err) != 0) {
        fprintf(stderr, "scale: %s\n", err);
        goto out;
    }
    double start_ms = wall_ms() - t0;
    double start_cpu_ms = cpu_ms() - c0;
    double rss_mb = proc_status_mb("VmRSS");
    double hwm_mb = proc_status_mb("VmHWM");
    const dataset *ds = mock_app_dataset(app);

    /* Generation alone, on a second copy, after the memory figures. */
    t0 = wall_ms();
    dataset *copy = dataset_generate(seed, (uint32_t)companies);
    double gen_ms = wall_ms() - t0;
    if (copy == NULL) {
        fprintf(stderr, "scale: out of memory generating the dataset\n");
        goto out;
    }
    dataset_free(copy);

    printf("descovo-bench-scale%s: seed %lu, %zu companies, %zu prospects\n", smoke ? " (smoke)" : "",
           seed, ds->n_companies, ds->n_prospects);
    figure("start-up (mock_app_new + mock_app_start)", start_ms, "ms", "<=", TARGET_START_MS);
    printf("%-44s %12.1f ms\n", "  CPU time of that (this thread)", start_cpu_ms);
    printf("%-44s %12.1f ms\n", "  dataset_generate alone (wall)", gen_ms);
    figure("resident memory after start (VmRSS)", rss_mb, "MB", "<=", TARGET_RSS_MB);
    printf("%-44s %12.1f MB\n", "  peak so far (VmHWM)", hwm_mb);

    printf("builds (filters_compile + filters_run, median of %lu, CPU of this thread):\n", repeat);
    double typical_ms = 0;
    int builds_ok = 1;
    for (size_t i = 0; i < N_BUILD_CASES; i++)
        if (bench_build(ds, &build_cases[i], repeat, &typical_ms) != 0)
            builds_ok = 0;
    figure("typical build CPU time", typical_ms, "ms", "<=", TARGET_BUILD_CPU_MS);

    double p_mb = 0, p_growth = 0, p_cpu = 0, c_mb = 0, c_growth = 0, c_cpu = 0;
    double p_mbps = bench_export(ds, EXPORT_PROSPECTS, &p_mb, &p_growth, &p_cpu);
    double c_mbps = bench_export(ds, EXPORT_COMPANIES, &c_mb, &c_growth, &c_cpu);
    if (p_mbps < 0 || c_mbps < 0) {
        fprintf(stderr, "scale: export failed (out of memory)\n");
        goto out;
    }
    figure("CSV export, prospects, all columns", p_mbps, "MB/s", ">=", TARGET_EXPORT_MBPS);
    printf("%-44s %12.1f MB streamed, %.1f MB per CPU second, VmRSS grew %.1f MB meanwhile\n", "", p_mb, p_cpu, p_growth);
    figure("CSV export, companies, all columns", c_mbps, "MB/s", ">=", TARGET_EXPORT_MBPS);
    printf("%-44s %12.1f MB streamed, %.1f MB per CPU second, VmRSS grew %.1f MB meanwhile\n", "", c_mb, c_cpu, c_growth);
    printf("indexed results == scan results: %s\n", builds_ok ? "yes (all builds)" : "NO");
    rc = builds_ok ? 0 : 1;
out:
    mock_app_free(app);
    return rc;
}
