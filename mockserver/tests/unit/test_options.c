/* Unit tests of options: the command line, parsed from writable copies of
 * argv (options_parse may write into --api-key values and getopt_long may
 * permute argv). Output of --help and --version goes to a memory stream.
 *
 * getopt keeps hidden state between calls (glibc: a pointer into the last
 * argv while inside a cluster of short options). options_parse sets
 * optind = 1, which does not clear it, so run_parse() first resets getopt
 * fully (optind = 0) to keep each parse independent of the one before;
 * test_parse_after_cluster_error calls options_parse directly to show
 * what happens without that reset (the first version of options.c read
 * the previous argv there). */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define MAX_ARGS 80

/* One parse: its argv (copies in the arena), the options and what was
 * printed. */
typedef struct parse_run {
    int argc;
    char *argv[MAX_ARGS + 1];
    mock_options options;
    options_result result;
    char err[256];
    char *out;       /* what was printed to out, NUL-terminated (arena) */
    size_t out_len;
} parse_run;

/* Strings of the current test: argv copies and captured output. They live
 * until the test's teardown, so a failed assertion (a longjmp) leaks
 * nothing and options never point into freed memory. */
/* 0 while a test checks options_parse's own reset (restored on teardown). */
static int reset_before_parse = 1;

#define ARENA_MAX 512
static char *arena[ARENA_MAX];
static size_t arena_len;

static char *keep(char *p)
{
    assert_non_null(p);
    assert_true(arena_len < ARENA_MAX);
    arena[arena_len++] = p;
    return p;
}

static int teardown(void **state)
{
    (void)state;
    reset_before_parse = 1;
    for (size_t i = 0; i < arena_len; i++)
        free(arena[i]);
    arena_len = 0;
    return 0;
}

/* Forgets any state getopt kept from an earlier parse: optind = 0 makes
 * glibc and musl reinitialise on the next call, which finds nothing to do. */
static void reset_getopt(void)
{
    static const struct option none[] = {{NULL, 0, NULL, 0}};
    char name[] = "reset";
    char *argv[] = {name, NULL};
    optind = 0;
    opterr = 0;
    (void)getopt_long(1, argv, "", none, NULL);
}

/* Parses "descovo-mock" followed by the given NULL-terminated words. */
static void run_parse(parse_run *run, ...)
{
    va_list ap;
    if (reset_before_parse)
        reset_getopt();
    memset(run, 0, sizeof *run);
    run->argv[run->argc++] = keep(strdup("descovo-mock"));
    va_start(ap, run);
    for (;;) {
        const char *word = va_arg(ap, const char *);
        if (word == NULL)
            break;
        assert_true(run->argc < MAX_ARGS);
        run->argv[run->argc++] = keep(strdup(word));
    }
    va_end(ap);
    run->argv[run->argc] = NULL;

    FILE *out = open_memstream(&run->out, &run->out_len);
    assert_non_null(out);
    mock_options_default(&run->options);
    run->result = options_parse(run->argc, run->argv, &run->options, out,
                                run->err, sizeof run->err);
    assert_int_equal(fclose(out), 0);
    keep(run->out);
}

static void expect_run(parse_run *run)
{
    if (run->result != OPTIONS_RUN)
        fail_msg("expected OPTIONS_RUN, got %d: %s", (int)run->result, run->err);
    assert_int_equal(run->out_len, 0);
}

/* Expects OPTIONS_ERROR with a message containing `fragment`. */
static void expect_error(parse_run *run, const char *fragment)
{
    if (run->result != OPTIONS_ERROR)
        fail_msg("expected OPTIONS_ERROR mentioning \"%s\", got %d", fragment, (int)run->result);
    if (strstr(run->err, fragment) == NULL)
        fail_msg("expected \"%s\" in the error, got \"%s\"", fragment, run->err);
    assert_int_equal(run->out_len, 0);
}

/* `option value` must fail and name the option. */
static void expect_bad_value(const char *option, const char *value)
{
    parse_run run;
    run_parse(&run, option, value, NULL);
    if (run.result != OPTIONS_ERROR)
        fail_msg("%s \"%s\": expected an error", option, value);
    if (strstr(run.err, option) == NULL)
        fail_msg("%s \"%s\": the error does not name the option: \"%s\"", option, value, run.err);

    /* The same in the --option=value form. */
    char joined[128];
    snprintf(joined, sizeof joined, "%s=%s", option, value);
    run_parse(&run, joined, NULL);
    if (run.result != OPTIONS_ERROR)
        fail_msg("%s: expected an error", joined);
    if (strstr(run.err, option) == NULL)
        fail_msg("%s: the error does not name the option: \"%s\"", joined, run.err);
}

static void test_defaults(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, NULL);
    expect_run(&run);
    mock_options def;
    mock_options_default(&def);
    assert_string_equal(run.options.host, def.host);
    assert_int_equal(run.options.port, def.port);
    assert_int_equal(run.options.seed, def.seed);
    assert_int_equal(run.options.companies, def.companies);
    assert_int_equal(run.options.n_keys, 0);
    assert_null(run.options.keys_file);
    assert_int_equal(run.options.clock_mode, def.clock_mode);
    assert_true(run.options.time_scale == def.time_scale);
    assert_true(run.options.rate_limit_scale == def.rate_limit_scale);
    assert_int_equal(run.options.start_ms, def.start_ms);
    assert_int_equal(run.options.quiet, 0);
    assert_int_equal(run.options.build_stages, 0);
}

static void test_all_good_values(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run,
              "--host", "0.0.0.0", "--port", "0", "--seed", "7", "--companies", "123",
              "--keys-file", "/tmp/keys.txt", "--credits", "999", "--export-quota", "10",
              "--clock", "manual", "--time-scale", "12.5", "--start-ms", "1000",
              "--build-stages", "--rate-limit-scale", "0.5", "--threads", "3", "--quiet",
              NULL);
    expect_run(&run);
    const mock_options *o = &run.options;
    assert_string_equal(o->host, "0.0.0.0");
    assert_int_equal(o->port, 0);
    assert_int_equal(o->seed, 7);
    assert_int_equal(o->companies, 123);
    assert_string_equal(o->keys_file, "/tmp/keys.txt");
    assert_int_equal(o->default_credits, 999);
    assert_int_equal(o->default_export_quota, 10);
    assert_int_equal(o->clock_mode, MOCK_CLOCK_MANUAL);
    assert_true(o->time_scale == 12.5);
    assert_int_equal(o->start_ms, 1000);
    assert_int_equal(o->build_stages, 1);
    assert_true(o->rate_limit_scale == 0.5);
    assert_int_equal(o->threads, 3);
    assert_int_equal(o->quiet, 1);
}

static void test_equals_form(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--port=9090", "--host=10.1.2.3", "--clock=real", NULL);
    expect_run(&run);
    assert_int_equal(run.options.port, 9090);
    assert_string_equal(run.options.host, "10.1.2.3");
    assert_int_equal(run.options.clock_mode, MOCK_CLOCK_REAL);
}

static void test_numeric_bounds(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--port", "65535", "--companies", "1", "--seed", "18446744073709551615",
              "--credits", "0", "--export-quota", "0", "--start-ms", "0",
              "--time-scale", "0.001", "--rate-limit-scale", "0", "--threads", "1", NULL);
    expect_run(&run);
    assert_int_equal(run.options.port, 65535);
    assert_int_equal(run.options.companies, 1);
    assert_true(run.options.seed == UINT64_MAX);
    assert_int_equal(run.options.default_credits, 0);
    assert_int_equal(run.options.default_export_quota, 0);
    assert_int_equal(run.options.start_ms, 0);
    assert_true(run.options.rate_limit_scale == 0);
    assert_int_equal(run.options.threads, 1);

    char max_companies[32];
    snprintf(max_companies, sizeof max_companies, "%u", DATASET_MAX_COMPANIES);
    run_parse(&run, "--companies", max_companies, "--start-ms", "1735689600000", NULL);
    expect_run(&run);
    assert_int_equal(run.options.companies, DATASET_MAX_COMPANIES);
    assert_int_equal(run.options.start_ms, 1735689600000LL);
}

static void test_bad_values(void **state)
{
    (void)state;
    char too_many_companies[32];
    snprintf(too_many_companies, sizeof too_many_companies, "%u", DATASET_MAX_COMPANIES + 1);

    expect_bad_value("--port", "65536");
    expect_bad_value("--port", "-1");
    expect_bad_value("--port", "80x");
    expect_bad_value("--port", "");
    expect_bad_value("--port", "http");
    expect_bad_value("--seed", "-1");
    expect_bad_value("--seed", "18446744073709551616");
    expect_bad_value("--seed", "0x10z");
    expect_bad_value("--companies", "0");
    expect_bad_value("--companies", too_many_companies);
    expect_bad_value("--companies", "ten");
    expect_bad_value("--credits", "-1");
    expect_bad_value("--credits", "lots");
    expect_bad_value("--credits", "1.5");
    expect_bad_value("--export-quota", "-10");
    expect_bad_value("--export-quota", "abc");
    expect_bad_value("--host", "::1");       /* IPv4 only */
    expect_bad_value("--host", "example.org");
    expect_bad_value("--clock", "fast");
    expect_bad_value("--clock", "");
    expect_bad_value("--clock", "REAL ");
    expect_bad_value("--time-scale", "0");
    expect_bad_value("--time-scale", "-2");
    expect_bad_value("--time-scale", "abc");
    expect_bad_value("--time-scale", "nan");
    expect_bad_value("--time-scale", "2x");
    expect_bad_value("--start-ms", "-5");
    expect_bad_value("--start-ms", "soon");
    expect_bad_value("--rate-limit-scale", "-1");
    expect_bad_value("--rate-limit-scale", "abc");
    expect_bad_value("--rate-limit-scale", "nan");
    expect_bad_value("--threads", "-1");
    expect_bad_value("--threads", "many");
    expect_bad_value("--threads", "100000");
}

static void test_help(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--help", NULL);
    assert_int_equal(run.result, OPTIONS_EXIT);
    assert_true(run.out_len > 0);
    assert_non_null(strstr(run.out, "Usage"));
    /* Every option is documented. */
    const char *names[] = {"--host", "--port", "--seed", "--companies", "--api-key",
                           "--keys-file", "--credits", "--export-quota", "--clock",
                           "--time-scale", "--start-ms", "--build-stages",
                           "--rate-limit-scale", "--no-rate-limit", "--threads",
                           "--quiet", "--help", "--version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strstr(run.out, names[i]) == NULL)
            fail_msg("--help does not mention %s", names[i]);
    }

    /* --help wins wherever it is, and stops before later bad options. */
    run_parse(&run, "--port", "1", "--help", "--bogus", NULL);
    assert_int_equal(run.result, OPTIONS_EXIT);
    assert_non_null(strstr(run.out, "Usage"));
}

static void test_version(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--version", NULL);
    assert_int_equal(run.result, OPTIONS_EXIT);
    assert_non_null(strstr(run.out, "descovo-mock"));
    assert_non_null(strstr(run.out, DESCOVO_VERSION));
    assert_int_equal(run.out[run.out_len - 1], '\n');
}

/* --upstream, --record, --verify and the report options go together only
 * as docs/DRIFT.md says. */
static void test_drift_options(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--upstream", "https://api.descovo.com", "--record", "a.har", NULL);
    expect_run(&run);
    assert_string_equal(run.options.upstream, "https://api.descovo.com");
    assert_string_equal(run.options.record, "a.har");
    run_parse(&run, "--verify", "a.har", "--known", "k.json", "--format", "junit", "--out", "r.xml", NULL);
    expect_run(&run);
    assert_string_equal(run.options.verify, "a.har");
    assert_string_equal(run.options.known, "k.json");
    assert_string_equal(run.options.report_format, "junit");
    assert_string_equal(run.options.report_out, "r.xml");

    run_parse(&run, "--record", "a.har", NULL);
    expect_error(&run, "--record needs --upstream");
    run_parse(&run, "--verify", "a.har", "--upstream", "http://x", NULL);
    expect_error(&run, "--verify");
    run_parse(&run, "--known", "k.json", NULL);
    expect_error(&run, "go with --verify");
    run_parse(&run, "--verify", "", NULL);
    expect_error(&run, "file path");
    expect_bad_value("--format", "xml");
}

static void test_unknown_option(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--bogus", NULL);
    expect_error(&run, "--bogus");

    run_parse(&run, "--port", "1", "--frobnicate", NULL);
    expect_error(&run, "--frobnicate");

    run_parse(&run, "-x", NULL);
    expect_error(&run, "-x");

    /* A flag given a value. */
    run_parse(&run, "--quiet=yes", NULL);
    expect_error(&run, "--quiet");
}

/* A short-option cluster: the message must name the cluster, not argv[0]. */
static void test_unknown_short_cluster(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "-qv", NULL);
    expect_error(&run, "-q");
}

/* options_parse "resets optind itself", so one parse must not leak into the
 * next. A parse that stops inside a cluster of short options ("-xy" fails on
 * x) leaves glibc's getopt pointing at "y" in that argv; with optind = 1
 * (not 0) the next call resumes there, reading the old argv (freed memory,
 * for a caller that freed it) instead of parsing its own. */
static void test_parse_after_cluster_error(void **state)
{
    (void)state;
    char err[256] = "";
    mock_options options;
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);

    reset_getopt();
    char *first[] = {keep(strdup("descovo-mock")), keep(strdup("-xy")), NULL};
    mock_options_default(&options);
    assert_int_equal(options_parse(2, first, &options, out, err, sizeof err), OPTIONS_ERROR);
    /* The old argv stays alive (no use after free in libc): the next parse
     * must still ignore it. */
    char *second[] = {keep(strdup("descovo-mock")), keep(strdup("--quiet")), NULL};
    mock_options_default(&options);
    err[0] = '\0';
    options_result rc = options_parse(2, second, &options, out, err, sizeof err);
    fclose(out);
    reset_getopt();
    if (rc != OPTIONS_RUN)
        fail_msg("second parse of \"--quiet\" after \"-xy\": got %d, \"%s\"", (int)rc, err);
    assert_int_equal(options.quiet, 1);
}

static void test_missing_value(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--port", NULL);
    expect_error(&run, "--port");
    /* The option exists: only its value is missing. */
    if (strstr(run.err, "unknown") != NULL)
        fail_msg("--port without a value is reported as unknown: \"%s\"", run.err);

    run_parse(&run, "--quiet", "--api-key", NULL);
    expect_error(&run, "--api-key");
    if (strstr(run.err, "unknown") != NULL)
        fail_msg("--api-key without a value is reported as unknown: \"%s\"", run.err);
}

static void test_stray_argument(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "stray", NULL);
    expect_error(&run, "stray");

    run_parse(&run, "--port", "1", "serve", "--quiet", NULL);
    expect_error(&run, "serve");

    run_parse(&run, "--quiet", "--", "after-dashes", NULL);
    expect_error(&run, "after-dashes");
}

/* getopt_long skips over (permutes) words that are not options, so a bad
 * option after a stray word is what it reports first: the message must name
 * that option, not the stray word. */
static void test_bad_option_after_stray_word(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "stray", "--bogus", NULL);
    expect_error(&run, "--bogus");

    run_parse(&run, "stray", "--port", NULL);
    expect_error(&run, "--port");

    run_parse(&run, "stray", "--port", "http", NULL);
    expect_error(&run, "--port");

    run_parse(&run, "stray", "-x", NULL);
    expect_error(&run, "-x");
}

static void test_api_keys(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--api-key", "sk_test_a:1200", "--api-key", "sk_test_b",
              "--api-key=sk_test_c:0", NULL);
    expect_run(&run);
    assert_int_equal(run.options.n_keys, 3);
    assert_string_equal(run.options.keys[0].key, "sk_test_a");
    assert_int_equal(run.options.keys[0].credits, 1200);
    assert_int_equal(run.options.keys[0].export_quota, -1);
    assert_string_equal(run.options.keys[1].key, "sk_test_b");
    assert_int_equal(run.options.keys[1].credits, -1);
    assert_int_equal(run.options.keys[1].export_quota, -1);
    assert_string_equal(run.options.keys[2].key, "sk_test_c");
    assert_int_equal(run.options.keys[2].credits, 0);
}

static void test_api_key_bad(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--api-key", "sk_test_a:lots", NULL);
    expect_error(&run, "--api-key");

    run_parse(&run, "--api-key", "sk_test_a:-5", NULL);
    expect_error(&run, "--api-key");

    run_parse(&run, "--api-key", "", NULL);
    expect_error(&run, "--api-key");

    run_parse(&run, "--api-key", ":100", NULL);
    expect_error(&run, "--api-key");

    char long_key[200];
    memset(long_key, 'k', 150);
    long_key[150] = '\0';
    run_parse(&run, "--api-key", long_key, NULL);
    expect_error(&run, "--api-key");
}

static void test_api_key_limit(void **state)
{
    (void)state;
    parse_run run;
    memset(&run, 0, sizeof run);
    /* MOCK_MAX_KEYS keys fit; one more is refused. */
    char *argv[2 * (MOCK_MAX_KEYS + 1) + 2];
    int argc = 0;
    argv[argc++] = keep(strdup("descovo-mock"));
    for (int i = 0; i <= MOCK_MAX_KEYS; i++) {
        char word[32];
        snprintf(word, sizeof word, "sk_test_%d:%d", i, i);
        argv[argc++] = keep(strdup("--api-key"));
        argv[argc++] = keep(strdup(word));
    }
    argv[argc] = NULL;
    char err[256] = "";
    mock_options options;

    reset_getopt();
    mock_options_default(&options);
    assert_int_equal(options_parse(argc - 2, argv, &options, stdout, err, sizeof err),
                     OPTIONS_RUN);
    assert_int_equal(options.n_keys, MOCK_MAX_KEYS);
    assert_string_equal(options.keys[MOCK_MAX_KEYS - 1].key, "sk_test_63");
    assert_int_equal(options.keys[MOCK_MAX_KEYS - 1].credits, MOCK_MAX_KEYS - 1);

    /* Fresh copies: the first parse cut the ":CREDITS" off. */
    for (int i = 0; i <= MOCK_MAX_KEYS; i++) {
        char word[32];
        snprintf(word, sizeof word, "sk_test_%d:%d", i, i);
        argv[2 + 2 * i] = keep(strdup(word));
    }
    reset_getopt();
    mock_options_default(&options);
    assert_int_equal(options_parse(argc, argv, &options, stdout, err, sizeof err),
                     OPTIONS_ERROR);
    assert_non_null(strstr(err, "--api-key"));
}

static void test_ready_file_and_token_from_environment(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--ready-file", "/tmp/ready.json", NULL);
    assert_int_equal(run.result, OPTIONS_RUN);
    assert_string_equal(run.options.ready_file, "/tmp/ready.json");
    expect_bad_value("--ready-file", "");

    unsetenv("DESCOVO_ADMIN_TOKEN");
    run_parse(&run, NULL);
    assert_null(run.options.admin_token);
    setenv("DESCOVO_ADMIN_TOKEN", "", 1);          /* empty: unset */
    run_parse(&run, NULL);
    assert_null(run.options.admin_token);
    setenv("DESCOVO_ADMIN_TOKEN", "env-token-1234", 1);
    run_parse(&run, NULL);
    assert_string_equal(run.options.admin_token, "env-token-1234");
    run_parse(&run, "--admin-token", "given-token-1234", NULL);
    assert_string_equal(run.options.admin_token, "given-token-1234");
    setenv("DESCOVO_ADMIN_TOKEN", "short", 1);
    run_parse(&run, NULL);
    assert_int_equal(run.result, OPTIONS_ERROR);
    assert_non_null(strstr(run.err, "DESCOVO_ADMIN_TOKEN"));
    run_parse(&run, "--admin-token", "given-token-1234", NULL);  /* the option wins: not read */
    assert_int_equal(run.result, OPTIONS_RUN);
    unsetenv("DESCOVO_ADMIN_TOKEN");
}

static void test_no_rate_limit(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--no-rate-limit", NULL);
    expect_run(&run);
    assert_true(run.options.rate_limit_scale == 0);

    run_parse(&run, "--rate-limit-scale", "3", "--no-rate-limit", NULL);
    expect_run(&run);
    assert_true(run.options.rate_limit_scale == 0);

    /* The last one given wins. */
    run_parse(&run, "--no-rate-limit", "--rate-limit-scale", "2", NULL);
    expect_run(&run);
    assert_true(run.options.rate_limit_scale == 2);
}

static void test_tenant_options(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--port", "0", NULL);
    expect_run(&run);
    assert_int_equal(run.options.strict_keys, 0);
    assert_int_equal(run.options.tenant_idle_expiry_s, 0);
    run_parse(&run, "--strict-keys", "--tenant-idle-expiry", "3600", NULL);
    expect_run(&run);
    assert_int_equal(run.options.strict_keys, 1);
    assert_int_equal(run.options.tenant_idle_expiry_s, 3600);
    expect_bad_value("--tenant-idle-expiry", "-1");
    expect_bad_value("--tenant-idle-expiry", "1h");
    expect_bad_value("--tenant-idle-expiry", "315360001");
}

/* --compact-after: 10,000 lines by default, 0 for only when asked. */
static void test_compact_after(void **state)
{
    (void)state;
    parse_run run;
    run_parse(&run, "--port", "0", NULL);
    expect_run(&run);
    assert_int_equal(run.options.compact_after, 10000);
    run_parse(&run, "--compact-after", "0", NULL);
    expect_run(&run);
    assert_int_equal(run.options.compact_after, 0);
    run_parse(&run, "--compact-after", "250", NULL);
    expect_run(&run);
    assert_int_equal(run.options.compact_after, 250);
    expect_bad_value("--compact-after", "-1");
    expect_bad_value("--compact-after", "lots");
    expect_bad_value("--compact-after", "1000000001");
}

/* Parsing again in one process gives the same result: options_parse resets
 * optind itself, which is enough between parses of long options. */
static void test_repeated_parse(void **state)
{
    (void)state;
    reset_getopt();
    reset_before_parse = 0;
    for (int i = 0; i < 3; i++) {
        parse_run run;
        run_parse(&run, "--port", "4242", "--quiet", NULL);
        expect_run(&run);
        assert_int_equal(run.options.port, 4242);
        assert_int_equal(run.options.quiet, 1);
        run_parse(&run, "--bogus", NULL);
        expect_error(&run, "--bogus");
        run_parse(&run, "--seed", "9", "stray", NULL);
        expect_error(&run, "stray");
    }
    reset_before_parse = 1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_defaults, teardown),
        cmocka_unit_test_teardown(test_tenant_options, teardown),
        cmocka_unit_test_teardown(test_compact_after, teardown),
        cmocka_unit_test_teardown(test_all_good_values, teardown),
        cmocka_unit_test_teardown(test_equals_form, teardown),
        cmocka_unit_test_teardown(test_numeric_bounds, teardown),
        cmocka_unit_test_teardown(test_bad_values, teardown),
        cmocka_unit_test_teardown(test_drift_options, teardown),
        cmocka_unit_test_teardown(test_help, teardown),
        cmocka_unit_test_teardown(test_version, teardown),
        cmocka_unit_test_teardown(test_unknown_option, teardown),
        cmocka_unit_test_teardown(test_unknown_short_cluster, teardown),
        cmocka_unit_test_teardown(test_parse_after_cluster_error, teardown),
        cmocka_unit_test_teardown(test_missing_value, teardown),
        cmocka_unit_test_teardown(test_stray_argument, teardown),
        cmocka_unit_test_teardown(test_bad_option_after_stray_word, teardown),
        cmocka_unit_test_teardown(test_api_keys, teardown),
        cmocka_unit_test_teardown(test_api_key_bad, teardown),
        cmocka_unit_test_teardown(test_api_key_limit, teardown),
        cmocka_unit_test_teardown(test_ready_file_and_token_from_environment, teardown),
        cmocka_unit_test_teardown(test_no_rate_limit, teardown),
        cmocka_unit_test_teardown(test_repeated_parse, teardown),
    };
    return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
