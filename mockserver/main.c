/* descovo-mock: parse options, start the simulator, tell the harness
 * (startup.h), wait for SIGINT or SIGTERM, stop cleanly. Everything else
 * lives in the library (app.h); the exit statuses are mock_exit's (--verify
 * has its own: drift/verify.h). */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "drift/verify.h"
#include "options.h"
#include "startup.h"
#include "sim/persist.h"
#include "proxy/proxy.h"

/* --upstream: serve as a recording proxy until SIGINT or SIGTERM, then
 * complete the HAR file (proxy.h). */
static int run_proxy(const mock_options *options, sigset_t *stop_signals)
{
    char err[512];
    proxy_options po = {
        .host = options->host,
        .port = options->port,
        .upstream = options->upstream,
        .record_path = options->record,
        .version = DESCOVO_VERSION,
        .log = options->quiet ? NULL : options->log,
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    proxy_start_failure why = PROXY_FAILED_USAGE;
    proxy *p = proxy_start(&po, &why, err, sizeof err);
    if (p == NULL) {
        static const mock_exit status[] = {
            [PROXY_FAILED_USAGE] = MOCK_EXIT_USAGE,
            [PROXY_FAILED_MEMORY] = MOCK_EXIT_INTERNAL,
            [PROXY_FAILED_RECORD] = MOCK_EXIT_INPUT,
            [PROXY_FAILED_LISTEN] = MOCK_EXIT_LISTEN,
        };
        fprintf(stderr, "descovo-mock: %s\n", err);
        return status[why];
    }
    printf("descovo-mock %s proxy listening on %s, forwarding to %s%s%s\n", DESCOVO_VERSION, proxy_url(p),
           options->upstream, options->record != NULL ? ", recording to " : "",
           options->record != NULL ? options->record : "");
    fflush(stdout);
    int sig = 0;
    sigwait(stop_signals, &sig);
    long n = proxy_stop(p, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "descovo-mock: %s\n", err);
        return MOCK_EXIT_INTERNAL;
    }
    if (options->record != NULL && !options->quiet)
        printf("descovo-mock: %s received, %ld exchanges written to %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM", n,
               options->record);
    return MOCK_EXIT_OK;
}

int main(int argc, char **argv)
{
    mock_options options;
    mock_options_default(&options);
    char err[512];
    options_result parsed = options_parse(argc, argv, &options, stdout, err, sizeof err);
    if (parsed == OPTIONS_EXIT)
        return 0;
    if (parsed == OPTIONS_ERROR) {
        fprintf(stderr, "descovo-mock: %s\n", err);
        return MOCK_EXIT_USAGE;
    }
    /* A stale file from an earlier run must not look like this one. */
    startup_remove_ready_file(&options);

    if (options.verify != NULL)
        return drift_verify_main(&options, stderr);

    /* Block the stop signals in every thread, so that the daemon's threads
     * inherit the mask and only sigwait below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (options.upstream != NULL)
        return run_proxy(&options, &stop_signals);

    mock_exit why = MOCK_EXIT_OK;
    mock_app *app = mock_app_launch(&options, &why, err, sizeof err);
    if (app == NULL) {
        fprintf(stderr, "descovo-mock: %s\n", err);
        return why;
    }
    /* The ready file first: whoever read the first line may read it too. */
    if (startup_write_ready_file(&options, app, err, sizeof err) != 0) {
        fprintf(stderr, "descovo-mock: %s\n", err);
        mock_app_free(app);
        return MOCK_EXIT_READY_FILE;
    }
    startup_print_listening(stdout, &options, app);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    startup_print_stopping(stdout, &options, sig);
    persist *state = mock_app_context(app)->persist;
    if (state != NULL && !options.quiet && !options.log_json)
        printf("descovo-mock: state file: %llu changes in %llu syncs\n",
               (unsigned long long)persist_records(state), (unsigned long long)persist_syncs(state));
    mock_app_free(app);
    startup_remove_ready_file(&options);
    return MOCK_EXIT_OK;
}
