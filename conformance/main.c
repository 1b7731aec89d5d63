/* descovo-conformance: checks that a server speaks the Descovo Audiences
 * API - descovo-mock (started here when DESCOVO_BASE_URL is unset) or any
 * URL given. See README.md for the environment and the safety rules. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "groups/groups.h"
#include "suite.h"
#include "target.h"

#ifndef DESCOVO_MOCK_BINARY
#define DESCOVO_MOCK_BINARY "descovo-mock"
#endif

#define DEFAULT_RESULTS_DIR "conformance-results"

/* The descovo-mock to start: the one installed beside this binary when
 * there is one (an installed suite), else the one of the build tree. */
static const char *mock_beside_self(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash != NULL && (size_t)(slash - buf) + sizeof "/descovo-mock" <= size) {
            memcpy(slash, "/descovo-mock", sizeof "/descovo-mock");
            if (access(buf, X_OK) == 0)
                return buf;
        }
    }
    return DESCOVO_MOCK_BINARY;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: descovo-conformance [--results DIR] [--version]\n"
            "Checks that a server speaks the Descovo Audiences API.\n\n"
            "  --results DIR   JUnit XML per group goes here, emptied of *.xml first\n"
            "                  (default: $DESCOVO_CONFORMANCE_RESULTS or ./" DEFAULT_RESULTS_DIR ")\n\n"
            "Environment: DESCOVO_BASE_URL (unset: start descovo-mock), DESCOVO_API_KEY,\n"
            "DESCOVO_API_KEY_2, DESCOVO_ALLOW_SPEND=1, DESCOVO_MAX_CREDITS (default %d),\n"
            "DESCOVO_ALLOW_FLOOD=1, DESCOVO_POLL_INTERVAL, DESCOVO_POLL_TIMEOUT, DESCOVO_TIME_SCALE,\n"
            "DESCOVO_MOCK_BIN.\n"
            "Exit status: 0 when nothing failed, 1 when a check failed, 2 on a usage or\n"
            "start-up error.\n",
            CONF_DEFAULT_MAX_CREDITS);
}

/* mkdir -p: creates dir and its missing parents. */
static int make_dirs(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Creates dir if needed and deletes the *.xml files in it: cmocka writes
 * a group's file only when it does not exist yet. */
static int prepare_results(const char *dir)
{
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "descovo-conformance: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "descovo-conformance: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    const struct dirent *e = NULL;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof path || unlink(path) != 0) {
            fprintf(stderr, "descovo-conformance: cannot remove %s/%s\n", dir, e->d_name);
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Shows a key without giving it away. */
static const char *masked(const char *key, char *buf, size_t size)
{
    size_t len = strlen(key);
    if (len == 0)
        snprintf(buf, size, "(none)");
    else if (len <= 8)
        snprintf(buf, size, "***");
    else
        snprintf(buf, size, "%.8s***%s", key, key + len - 2);
    return buf;
}

static int run(conf_target *t, wire *w, const char *results)
{
    conf_ctx ctx = {.target = t, .wire = w};
    char k1[64], k2[64];
    printf("descovo-conformance against %s (%s)\n", t->base_url,
           t->is_mock ? (t->manual_clock ? "descovo-mock, manual clock" : "descovo-mock") : "not a mock");
    printf("  keys %s and %s; spending %s", masked(t->api_key, k1, sizeof k1), masked(t->api_key_2, k2, sizeof k2),
           t->is_mock ? "free (mock)" : t->allow_spend ? "allowed" : "off (DESCOVO_ALLOW_SPEND unset)");
    if (!t->is_mock && t->allow_spend)
        printf(", at most %lld credits", t->max_credits);
    printf("; names start with %s; JUnit XML in %s/\n", t->prefix, results);
    fflush(stdout);

    int (*const groups[])(conf_ctx *) = {
        group_auth, group_workflow, group_sequence, group_not_found,
        group_credits, group_exports, group_echoes, group_arithmetic,
        group_consistency, group_progress, group_options, group_paging,
        group_limits, group_determinism,
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        groups[i](&ctx);

    int left = conf_archive_created(&ctx);
    if (left > 0)
        printf("%d audiences of this run could not be archived (names start with %s)\n", left, t->prefix);
    if (!t->is_mock && t->allow_spend)
        printf("credits reserved by spending steps: %lld of %lld\n", t->reserved, t->max_credits);
    printf("%d passed, %d failed, %d skipped\n", ctx.passed, ctx.failed, ctx.skipped);
    return ctx.failed > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *results = getenv("DESCOVO_CONFORMANCE_RESULTS");
    if (results == NULL || results[0] == '\0')
        results = DEFAULT_RESULTS_DIR;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("descovo-conformance %s\n", DESCOVO_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--results") == 0 && i + 1 < argc) {
            results = argv[++i];
            continue;
        }
        usage(stderr);
        return 2;
    }
    if (prepare_results(results) != 0)
        return 2;
    char xml_file[4096];
    int n = snprintf(xml_file, sizeof xml_file, "%s/%%g.xml", results);
    if (n < 0 || (size_t)n >= sizeof xml_file) {
        fprintf(stderr, "descovo-conformance: results path too long\n");
        return 2;
    }
    /* cmocka's own output goes to one JUnit file per group; the console
     * gets the suite's lines. A CMOCKA_* setting of the caller wins. */
    setenv("CMOCKA_MESSAGE_OUTPUT", "xml", 0);
    setenv("CMOCKA_XML_FILE", xml_file, 0);

    char beside[4096];
    const char *mock = getenv("DESCOVO_MOCK_BIN");
    if (mock == NULL || mock[0] == '\0')
        mock = mock_beside_self(beside, sizeof beside);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "descovo-conformance: curl_global_init failed\n");
        return 2;
    }
    conf_target t;
    char err[512];
    wire *w = NULL;
    int rc = 2;
    if (target_open(&t, mock, err, sizeof err) != 0) {
        fprintf(stderr, "descovo-conformance: %s\n", err);
        goto out;
    }
    w = wire_new(60000);
    if (w == NULL) {
        fprintf(stderr, "descovo-conformance: out of memory\n");
        goto out;
    }
    if (target_detect(&t, w, err, sizeof err) != 0) {
        fprintf(stderr, "descovo-conformance: %s does not answer: %s\n", t.base_url, err);
        goto out;
    }
    rc = run(&t, w, results);
out:
    wire_free(w);
    target_close(&t);
    curl_global_cleanup();
    return rc;
}
