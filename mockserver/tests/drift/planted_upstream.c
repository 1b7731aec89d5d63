/* drift-planted-upstream: a test-only upstream that differs from
 * descovo-mock in exactly one planted way, for the drift tests. It forwards
 * to a real descovo-mock (the proxy module, without recording) and changes
 * one kind of answer per --mode before sending it on:
 *
 *   passthrough     nothing (the control: zero drift)
 *   extra-field     the status answer gains output.region
 *   missing-field   the status answer loses output.buildingStartedAt
 *   changed-type    the status answer's output.companiesCount becomes a string
 *   other-status    the build answers 202 instead of 200
 *   charge-method   the enrich answer's chargeInfo.method is charged-for-async-process
 *   no-retry-after  429 answers lose Retry-After
 *   csv-column      the CSV files' first column descovo_id is named company_uid
 *   new-enum        the create answer's output.status is PENDING instead of DRAFT
 *
 *   drift-planted-upstream --mode MODE --upstream URL
 *
 * Prints "... listening on http://127.0.0.1:PORT" and serves until SIGTERM. */
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "proxy/proxy.h"

static const char *mode = "passthrough";

static int is(const char *name)
{
    return strcmp(mode, name) == 0;
}

static void plant_json(void *cls, proxy_answer *a)
{
    (void)cls;
    json_t *out = json_object_get(a->json, "output");
    int status_answer = strcmp(a->method, "GET") == 0 && fnmatch("/v1/audiences/*", a->path, FNM_PATHNAME) == 0 &&
                        strcmp(a->path, "/v1/audiences/create") != 0 && a->status == 200;
    if (is("extra-field") && status_answer)
        json_object_set_new(out, "region", json_string("us-east"));
    else if (is("missing-field") && status_answer)
        json_object_del(out, "buildingStartedAt");
    else if (is("changed-type") && status_answer && json_is_integer(json_object_get(out, "companiesCount"))) {
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(out, "companiesCount")));
        json_object_set_new(out, "companiesCount", json_string(n));
    } else if (is("other-status") && a->status == 200 && fnmatch("/v1/audiences/*/build", a->path, 0) == 0)
        a->status = 202;
    else if (is("charge-method") && a->status == 200 && fnmatch("/v1/audiences/*/enrich", a->path, 0) == 0)
        json_object_set_new(json_object_get(a->json, "chargeInfo"), "method",
                            json_string("charged-for-async-process"));
    else if (is("no-retry-after") && a->status == 429)
        a->retry_after[0] = '\0';
    else if (is("new-enum") && a->status == 200 && strcmp(a->path, "/v1/audiences/create") == 0)
        json_object_set_new(out, "status", json_string("PENDING"));
}

static void plant_stream(void *cls, const char *path, strbuf *block)
{
    (void)cls;
    static const char from[] = "descovo_id";
    if (!is("csv-column") || strncmp(path, "/v1/exports/", 12) != 0 || block->len < sizeof from - 1 ||
        memcmp(block->data, from, sizeof from - 1) != 0)
        return;
    strbuf renamed = STRBUF_INIT;
    strbuf_puts(&renamed, "company_uid");
    strbuf_append(&renamed, block->data + sizeof from - 1, block->len - (sizeof from - 1));
    strbuf_release(block);
    *block = renamed;
}

int main(int argc, char **argv)
{
    const char *upstream = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mode") == 0)
            mode = argv[i + 1];
        else if (strcmp(argv[i], "--upstream") == 0)
            upstream = argv[i + 1];
    }
    if (upstream == NULL) {
        fprintf(stderr, "usage: drift-planted-upstream --mode MODE --upstream URL\n");
        return 2;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    proxy_options o = {
        .host = "127.0.0.1",
        .upstream = upstream,
        .version = "test",
        .hooks = {plant_json, plant_stream, NULL},
    };
    char err[512];
    proxy_start_failure why;
    proxy *p = proxy_start(&o, &why, err, sizeof err);
    if (p == NULL) {
        fprintf(stderr, "drift-planted-upstream: %s\n", err);
        return 1;
    }
    printf("drift-planted-upstream (%s) listening on %s\n", mode, proxy_url(p));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    proxy_stop(p, err, sizeof err);
    curl_global_cleanup();
    return 0;
}
