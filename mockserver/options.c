#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: descovo-mock [OPTIONS]\n"
    "An offline, stateful simulator of the Descovo Audiences API.\n"
    "\n"
    "  --host ADDR            IPv4 address to listen on (default 127.0.0.1)\n"
    "  --port N               port, 0 picks a free one (default 8080)\n"
    "  --seed N               seed of the synthetic database (default 42)\n"
    "  --companies N          database size in companies; prospects scale with it,\n"
    "                         about 10 per company (default 2000)\n"
    "  --api-key KEY[:CREDITS]  an account; repeatable; replaces the keys file\n"
    "  --keys-file PATH       accounts, one 'KEY [CREDITS [EXPORT_ROWS]]' a line\n"
    "                         (default: the embedded fixtures/keys.txt)\n"
    "  --strict-keys          only the keys file and --api-key count (default: any\n"
    "                         sk_test_ key becomes an account on its first request)\n"
    "  --tenant-idle-expiry S drop the audiences, exports and settings of a key\n"
    "                         without requests for S seconds (on the server's\n"
    "                         clock or in real time, whichever passes first);\n"
    "                         its next request is told (401). 0: never (default)\n"
    "  --credits N            credits of keys given without any, and of keys on\n"
    "                         demand (default 50000)\n"
    "  --export-quota N       export rows per 30-day period (default 100000)\n"
    "  --clock real|manual    real time, or time that moves only through\n"
    "                         POST /_mock/clock/advance (default real)\n"
    "  --time-scale F         speed of the real clock (default 1; 10 = 10x faster)\n"
    "  --start-ms N           start of the manual clock, ms since the epoch\n"
    "                         (default 1735689600000 = 2025-01-01T00:00:00Z)\n"
    "  --build-stages         report SAVING_COMPANIES, SAVING_PROSPECTS and\n"
    "                         LINKING_PROSPECTS_WITH_COMPANIES while building\n"
    "  --rate-limit-scale F   multiply the per-minute rate limits (default 1)\n"
    "  --no-rate-limit        disable rate limits\n"
    "  --scenario NAME|FILE   load a scenario at start (GET /_mock/scenarios lists\n"
    "                         the built-in ones: rate-limited, flaky-5xx, ...)\n"
    "  --chaos-rate R         share of /v1/ requests given a random 429, 500, 503\n"
    "                         or latency (0 to 1, default 0)\n"
    "  --chaos-seed N         seed of that randomness (default 1)\n"
    "  --journal-size N       requests kept for GET /_mock/requests (default 4096;\n"
    "                         0 turns the journal off)\n"
    "  --admin-token TOKEN    require X-Mock-Admin-Token: TOKEN on /_mock/ calls\n"
    "                         (needed to serve the control plane off loopback;\n"
    "                         default: $DESCOVO_ADMIN_TOKEN when set)\n"
    "  --no-control           do not serve the /_mock/ control plane\n"
    "  --state-file PATH      keep state in PATH: every change is written (and\n"
    "                         synced) before its answer, and replayed at start\n"
    "  --compact-after N      compact the state file (a snapshot, then a new log)\n"
    "                         once N lines follow its last snapshot, or as many\n"
    "                         as the snapshot has if more (default 10000; 0:\n"
    "                         only on POST /_mock/state/compact)\n"
    "  --threads N            HTTP thread pool size (default: one per core)\n"
    "  --ready-file PATH      once serving, write {url, port, pid, version} to PATH\n"
    "                         (atomically); removed at a clean stop\n"
    "  --idle-timeout S       close a keep-alive connection idle for S seconds\n"
    "                         (default 15)\n"
    "  --request-timeout S    close a connection whose request is not read whole\n"
    "                         within S seconds (slow clients; default 10)\n"
    "  --quiet                no request log\n"
    "  --log-format text|json the request log as text (default) or one JSON\n"
    "                         object a line\n"
    "\n"
    "Drift detection (docs/DRIFT.md):\n"
    "  --upstream URL         run as a proxy: forward every /v1/ request to URL\n"
    "  --record FILE.har      with --upstream: record each exchange, redacted, in\n"
    "                         HTTP Archive 1.2 format\n"
    "  --verify FILE.har      replay FILE's requests against a fresh simulator and\n"
    "                         report every difference (exit 0 none, 1 drift, 2 bad file)\n"
    "  --known KNOWN.json     with --verify: accepted divergences, each with its reason\n"
    "  --format text|json|junit  the report's format (default text)\n"
    "  --out PATH             write the report to PATH instead of stdout\n"
    "  --help                 this text\n"
    "  --version              the version\n"
    "\n"
    "Default development key: sk_test_descovo_dev (50000 credits).\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM, 1 internal error, 2 usage,\n"
    "3 cannot listen, 4 bad keys file or scenario, 5 bad state file,\n"
    "6 cannot write the ready file.\n"
    "Docs: README.md and docs/API.md in the source tree.\n";

enum {
    OPT_HOST = 256, OPT_PORT, OPT_SEED, OPT_COMPANIES, OPT_API_KEY, OPT_KEYS_FILE,
    OPT_CREDITS, OPT_EXPORT_QUOTA, OPT_CLOCK, OPT_TIME_SCALE, OPT_START_MS,
    OPT_BUILD_STAGES, OPT_RATE_SCALE, OPT_NO_RATE_LIMIT, OPT_THREADS, OPT_QUIET,
    OPT_SCENARIO, OPT_CHAOS_RATE, OPT_CHAOS_SEED, OPT_JOURNAL_SIZE, OPT_ADMIN_TOKEN,
    OPT_NO_CONTROL, OPT_STATE_FILE, OPT_COMPACT_AFTER, OPT_LOG_FORMAT, OPT_READY_FILE, OPT_HELP, OPT_VERSION,
    OPT_IDLE_TIMEOUT, OPT_REQUEST_TIMEOUT, OPT_UPSTREAM, OPT_RECORD, OPT_VERIFY, OPT_KNOWN, OPT_FORMAT, OPT_OUT,
    OPT_STRICT_KEYS, OPT_IDLE_EXPIRY
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"companies", required_argument, NULL, OPT_COMPANIES},
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"keys-file", required_argument, NULL, OPT_KEYS_FILE},
    {"credits", required_argument, NULL, OPT_CREDITS},
    {"strict-keys", no_argument, NULL, OPT_STRICT_KEYS},
    {"tenant-idle-expiry", required_argument, NULL, OPT_IDLE_EXPIRY},
    {"export-quota", required_argument, NULL, OPT_EXPORT_QUOTA},
    {"clock", required_argument, NULL, OPT_CLOCK},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"start-ms", required_argument, NULL, OPT_START_MS},
    {"build-stages", no_argument, NULL, OPT_BUILD_STAGES},
    {"rate-limit-scale", required_argument, NULL, OPT_RATE_SCALE},
    {"no-rate-limit", no_argument, NULL, OPT_NO_RATE_LIMIT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"chaos-rate", required_argument, NULL, OPT_CHAOS_RATE},
    {"chaos-seed", required_argument, NULL, OPT_CHAOS_SEED},
    {"journal-size", required_argument, NULL, OPT_JOURNAL_SIZE},
    {"admin-token", required_argument, NULL, OPT_ADMIN_TOKEN},
    {"no-control", no_argument, NULL, OPT_NO_CONTROL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"state-file", required_argument, NULL, OPT_STATE_FILE},
    {"compact-after", required_argument, NULL, OPT_COMPACT_AFTER},
    {"ready-file", required_argument, NULL, OPT_READY_FILE},
    {"upstream", required_argument, NULL, OPT_UPSTREAM},
    {"record", required_argument, NULL, OPT_RECORD},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"known", required_argument, NULL, OPT_KNOWN},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"out", required_argument, NULL, OPT_OUT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Parses an unsigned integer in [min, max]. */
static int parse_uint(const char *text, unsigned long long min, unsigned long long max,
                      unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    if (text[0] == '-')
        return -1;
    unsigned long long n = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static int parse_double(const char *text, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(x >= min && x <= max))
        return -1;
    *out = x;
    return 0;
}

/* --api-key KEY[:CREDITS] */
static int parse_key(char *text, mock_options *options, char *err, size_t errlen)
{
    if (options->n_keys == MOCK_MAX_KEYS) {
        snprintf(err, errlen, "--api-key: at most %d keys", MOCK_MAX_KEYS);
        return -1;
    }
    mock_key_option *k = &options->keys[options->n_keys];
    k->key = text;
    k->credits = -1;
    k->export_quota = -1;
    char *colon = strrchr(text, ':');
    if (colon != NULL) {
        unsigned long long credits = 0;
        if (parse_uint(colon + 1, 0, 1000000000000ULL, &credits) != 0) {
            snprintf(err, errlen, "--api-key: expected KEY[:CREDITS] with CREDITS a non-negative integer, got \"%s\"", text);
            return -1;
        }
        *colon = '\0';
        k->credits = (int64_t)credits;
    }
    if (k->key[0] == '\0' || strlen(k->key) > 128) {
        snprintf(err, errlen, "--api-key: the key must have 1 to 128 characters");
        return -1;
    }
    options->n_keys++;
    return 0;
}

/* Names the option getopt_long just refused, from optopt: a known long
 * option's value (>= OPT_HOST: a missing or unexpected value), a short
 * option's letter, or 0 for an unknown long option, which getopt_long has
 * moved (argv is permuted) to just before optind. */
static const char *bad_option_name(char **argv, char *buf, size_t size)
{
    for (size_t i = 0; optopt >= OPT_HOST && long_options[i].name != NULL; i++) {
        if (long_options[i].val == optopt) {
            snprintf(buf, size, "--%s", long_options[i].name);
            return buf;
        }
    }
    if (optopt > 0 && optopt < 256)
        snprintf(buf, size, "-%c", optopt);
    else
        snprintf(buf, size, "%s", optind > 0 ? argv[optind - 1] : "?");
    return buf;
}

static int valid_token(const char *token)
{
    size_t n = strlen(token);
    return n >= 8 && n <= 256;
}

/* Writes the message into err and returns OPTIONS_ERROR, for
 * `return bad(...)`. */
static options_result bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static options_result bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return OPTIONS_ERROR;
}

/* The drift options go together only in these ways (docs/DRIFT.md). */
static options_result check_drift_options(const mock_options *o, char *err, size_t errlen)
{
    if (o->record != NULL && o->upstream == NULL)
        return bad(err, errlen, "--record needs --upstream URL (the service to record)");
    if (o->upstream != NULL && strncmp(o->upstream, "http://", 7) != 0 && strncmp(o->upstream, "https://", 8) != 0)
        return bad(err, errlen, "--upstream: expected an http:// or https:// base URL, got \"%s\"", o->upstream);
    if (o->verify != NULL && o->upstream != NULL)
        return bad(err, errlen, "--verify replays against the simulator: it cannot be combined with --upstream");
    if (o->verify == NULL && (o->known != NULL || o->report_format != NULL || o->report_out != NULL))
        return bad(err, errlen, "--known, --format and --out go with --verify FILE.har");
    if ((o->record != NULL && o->record[0] == '\0') || (o->verify != NULL && o->verify[0] == '\0'))
        return bad(err, errlen, "--record and --verify expect a file path");
    return OPTIONS_RUN;
}

options_result options_parse(int argc, char **argv, mock_options *options,
                             FILE *out, char *err, size_t errlen)
{
    unsigned long long n = 0;
    double x = 0;
    char name[64];
    /* 0, not 1: glibc then also resets its internal state, so that the
     * function can parse several argument vectors (the tests do). */
    optind = 0;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":", long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_HOST: options->host = optarg; break;
        case OPT_PORT:
            if (parse_uint(optarg, 0, 65535, &n) != 0)
                return bad(err, errlen, "--port: expected 0 to 65535, got \"%s\"", optarg);
            options->port = (uint16_t)n;
            break;
        case OPT_SEED:
            if (parse_uint(optarg, 0, UINT64_MAX, &n) != 0)
                return bad(err, errlen, "--seed: expected a non-negative integer, got \"%s\"", optarg);
            options->seed = n;
            break;
        case OPT_COMPANIES:
            if (parse_uint(optarg, 1, DATASET_MAX_COMPANIES, &n) != 0)
                return bad(err, errlen, "--companies: expected 1 to %u, got \"%s\"", DATASET_MAX_COMPANIES, optarg);
            options->companies = (uint32_t)n;
            break;
        case OPT_API_KEY:
            if (parse_key(optarg, options, err, errlen) != 0)
                return OPTIONS_ERROR;
            break;
        case OPT_KEYS_FILE: options->keys_file = optarg; break;
        case OPT_STRICT_KEYS: options->strict_keys = 1; break;
        case OPT_IDLE_EXPIRY:
            if (parse_uint(optarg, 0, 10ULL * 365 * 24 * 3600, &n) != 0)
                return bad(err, errlen, "--tenant-idle-expiry: expected seconds from 0 (never) to 10 years, got \"%s\"", optarg);
            options->tenant_idle_expiry_s = (int64_t)n;
            break;
        case OPT_CREDITS:
            if (parse_uint(optarg, 0, 1000000000000ULL, &n) != 0)
                return bad(err, errlen, "--credits: expected a non-negative integer, got \"%s\"", optarg);
            options->default_credits = (int64_t)n;
            break;
        case OPT_EXPORT_QUOTA:
            if (parse_uint(optarg, 0, 1000000000000ULL, &n) != 0)
                return bad(err, errlen, "--export-quota: expected a non-negative integer, got \"%s\"", optarg);
            options->default_export_quota = (int64_t)n;
            break;
        case OPT_CLOCK:
            if (strcmp(optarg, "real") == 0)
                options->clock_mode = MOCK_CLOCK_REAL;
            else if (strcmp(optarg, "manual") == 0)
                options->clock_mode = MOCK_CLOCK_MANUAL;
            else
                return bad(err, errlen, "--clock: expected real or manual, got \"%s\"", optarg);
            break;
        case OPT_TIME_SCALE:
            if (parse_double(optarg, 0.001, 1000000, &x) != 0)
                return bad(err, errlen, "--time-scale: expected a number from 0.001 to 1000000, got \"%s\"", optarg);
            options->time_scale = x;
            break;
        case OPT_START_MS:
            if (parse_uint(optarg, 0, 253402300799999ULL, &n) != 0)
                return bad(err, errlen, "--start-ms: expected milliseconds since 1970 before year 10000, got \"%s\"", optarg);
            options->start_ms = (int64_t)n;
            break;
        case OPT_BUILD_STAGES: options->build_stages = 1; break;
        case OPT_RATE_SCALE:
            if (parse_double(optarg, 0, 1000000, &x) != 0)
                return bad(err, errlen, "--rate-limit-scale: expected a number from 0 to 1000000, got \"%s\"", optarg);
            options->rate_limit_scale = x;
            break;
        case OPT_NO_RATE_LIMIT: options->rate_limit_scale = 0; break;
        case OPT_THREADS:
            if (parse_uint(optarg, 1, 256, &n) != 0)
                return bad(err, errlen, "--threads: expected 1 to 256, got \"%s\"", optarg);
            options->threads = (unsigned)n;
            break;
        case OPT_IDLE_TIMEOUT:
            if (parse_uint(optarg, 1, 3600, &n) != 0)
                return bad(err, errlen, "--idle-timeout: expected 1 to 3600 seconds, got \"%s\"", optarg);
            options->idle_timeout_s = (unsigned)n;
            break;
        case OPT_REQUEST_TIMEOUT:
            if (parse_uint(optarg, 1, 3600, &n) != 0)
                return bad(err, errlen, "--request-timeout: expected 1 to 3600 seconds, got \"%s\"", optarg);
            options->request_timeout_s = (unsigned)n;
            break;
        case OPT_QUIET: options->quiet = 1; break;
        case OPT_SCENARIO: options->scenario = optarg; break;
        case OPT_CHAOS_RATE:
            if (parse_double(optarg, 0, 1, &x) != 0)
                return bad(err, errlen, "--chaos-rate: expected a number from 0 to 1, got \"%s\"", optarg);
            options->chaos_rate = x;
            break;
        case OPT_CHAOS_SEED:
            if (parse_uint(optarg, 0, UINT64_MAX, &n) != 0)
                return bad(err, errlen, "--chaos-seed: expected a non-negative integer, got \"%s\"", optarg);
            options->chaos_seed = n;
            break;
        case OPT_JOURNAL_SIZE:
            if (parse_uint(optarg, 0, 1000000, &n) != 0)
                return bad(err, errlen, "--journal-size: expected 0 to 1000000, got \"%s\"", optarg);
            options->journal_size = (size_t)n;
            break;
        case OPT_ADMIN_TOKEN:
            if (!valid_token(optarg))
                return bad(err, errlen, "--admin-token: expected 8 to 256 characters");
            options->admin_token = optarg;
            break;
        case OPT_NO_CONTROL: options->control = 0; break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
                return bad(err, errlen, "--log-format: expected text or json, got \"%s\"", optarg);
            options->log_json = strcmp(optarg, "json") == 0;
            break;
        case OPT_STATE_FILE:
            if (optarg[0] == '\0')
                return bad(err, errlen, "--state-file: expected a file path");
            options->state_file = optarg;
            break;
        case OPT_COMPACT_AFTER:
            if (parse_uint(optarg, 0, 1000000000ULL, &n) != 0)
                return bad(err, errlen, "--compact-after: expected a number of lines from 0 (never on its own) to "
                           "1000000000, got \"%s\"", optarg);
            options->compact_after = n;
            break;
        case OPT_READY_FILE:
            if (optarg[0] == '\0')
                return bad(err, errlen, "--ready-file: expected a file path");
            options->ready_file = optarg;
            break;
        case OPT_UPSTREAM: options->upstream = optarg; break;
        case OPT_RECORD: options->record = optarg; break;
        case OPT_VERIFY: options->verify = optarg; break;
        case OPT_KNOWN: options->known = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0 && strcmp(optarg, "junit") != 0)
                return bad(err, errlen, "--format: expected text, json or junit, got \"%s\"", optarg);
            options->report_format = optarg;
            break;
        case OPT_OUT: options->report_out = optarg; break;
        case OPT_HELP:
            fputs(usage, out);
            return OPTIONS_EXIT;
        case OPT_VERSION:
            fprintf(out, "descovo-mock %s\n", DESCOVO_VERSION);
            return OPTIONS_EXIT;
        case ':':
            return bad(err, errlen, "%s: missing value (see --help)", bad_option_name(argv, name, sizeof name));
        default:
            return bad(err, errlen, "unknown option or value %s (see --help)", bad_option_name(argv, name, sizeof name));
        }
    }
    if (optind < argc)
        return bad(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
    struct in_addr addr;
    if (strcmp(options->host, "localhost") != 0 && inet_pton(AF_INET, options->host, &addr) != 1)
        return bad(err, errlen, "--host: expected an IPv4 address such as 127.0.0.1 or 0.0.0.0, got \"%s\"",
                   options->host);
    /* The token from the environment keeps it out of ps and lets a
     * container image take it without a shell (Containerfile). */
    const char *env_token = getenv("DESCOVO_ADMIN_TOKEN");
    if (options->admin_token == NULL && env_token != NULL && env_token[0] != '\0') {
        if (!valid_token(env_token))
            return bad(err, errlen, "DESCOVO_ADMIN_TOKEN: expected 8 to 256 characters");
        options->admin_token = env_token;
    }
    return check_drift_options(options, err, errlen);
}
