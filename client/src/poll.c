/* Waiting for the asynchronous parts of the workflow: a build and an
 * enrichment. Time passes through the client's injected clock and sleep,
 * so a test (or a simulation) decides what "waiting" means. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Prefixes of the in-progress statuses the real service reports. */
static const char *const building_prefixes[] = {"SAVING_", "LINKING_", "HEALING_", NULL};

int descovo_status_is_building(const char *status)
{
    if (status == NULL)
        return 0;
    if (strcmp(status, "BUILDING") == 0)
        return 1;
    for (size_t i = 0; building_prefixes[i] != NULL; i++) {
        if (strncmp(status, building_prefixes[i], strlen(building_prefixes[i])) == 0)
            return 1;
    }
    return 0;
}

void descovo_wait_options_init(descovo_wait_options *w)
{
    memset(w, 0, sizeof *w);
    w->interval_ms = 2000;
    w->timeout_ms = 600000;
}

static const descovo_wait_options *wait_options(const descovo_wait_options *w,
                                                descovo_wait_options *defaults)
{
    if (w != NULL)
        return w;
    descovo_wait_options_init(defaults);
    return defaults;
}

/* Sleeps one interval unless that would pass the timeout. Returns 0, or -1
 * with DESCOVO_ERR_TIMEOUT set. */
static int wait_interval(descovo_client *c, const descovo_wait_options *w, int64_t started,
                         int64_t min_interval, const char *what, const char *last)
{
    int64_t elapsed = client_now(c) - started;
    if (w->timeout_ms > 0 && elapsed >= w->timeout_ms) {
        client_clear_error(c);
        return client_set_error(c, DESCOVO_ERR_TIMEOUT, "%s still %s after %lld s; giving up",
                                what, last, (long long)(elapsed / 1000));
    }
    /* Never faster than the endpoint's per-minute limit allows. */
    int64_t delay = w->interval_ms > min_interval ? w->interval_ms : min_interval;
    if (w->timeout_ms > 0 && elapsed + delay > w->timeout_ms)
        delay = w->timeout_ms - elapsed;
    return client_sleep(c, delay);
}

int descovo_wait_build(descovo_client *c, const char *id,
                       const descovo_wait_options *w, descovo_audience *out)
{
    descovo_wait_options defaults;
    descovo_audience local;
    descovo_audience *aud = out != NULL ? out : &local;
    char id_copy[DESCOVO_ID_MAX];
    if (c == NULL)
        return -1;
    /* id may point into *out, which every poll overwrites. */
    if (id != NULL)
        snprintf(id_copy, sizeof id_copy, "%s", id);
    id = id != NULL ? id_copy : NULL;
    w = wait_options(w, &defaults);
    int64_t started = client_now(c);
    for (;;) {
        if (descovo_status(c, id, aud) != 0)
            return -1;
        if (w->progress != NULL)
            w->progress(w->progress_ctx, aud->status, -1, client_now(c) - started);
        if (strcmp(aud->status, "NORMAL") == 0)
            return 0;
        if (strcmp(aud->status, "FAILED") == 0)
            return client_set_error(c, DESCOVO_ERR_FAILED, "the build of audience %s FAILED; create a new audience", id);
        if (!descovo_status_is_building(aud->status))
            return client_set_error(c, DESCOVO_ERR_INVALID_STATE,
                                    "audience %s is %s, not building: start a build first", id,
                                    aud->status[0] != '\0' ? aud->status : "(no status)");
        if (wait_interval(c, w, started, DESCOVO_STATUS_MIN_INTERVAL_MS, "the build", aud->status) != 0)
            return -1;
    }
}

int descovo_wait_enrichment(descovo_client *c, const char *id,
                            const descovo_wait_options *w,
                            descovo_enrichment_progress *out)
{
    descovo_wait_options defaults;
    descovo_enrichment_progress local;
    descovo_enrichment_progress *st = out != NULL ? out : &local;
    if (c == NULL)
        return -1;
    w = wait_options(w, &defaults);
    int64_t started = client_now(c);
    for (;;) {
        if (descovo_enrichment_status(c, id, st) != 0)
            return -1;
        if (w->progress != NULL)
            w->progress(w->progress_ctx, st->current_stage, st->progress_percent, client_now(c) - started);
        if (strcmp(st->current_stage, "FAILED") == 0)
            return client_set_error(c, DESCOVO_ERR_FAILED, "the enrichment of audience %s FAILED", id);
        if (strcmp(st->current_stage, "DONE") == 0 || st->progress_percent >= 100)
            return 0;
        if (wait_interval(c, w, started, DESCOVO_ENRICHMENT_STATUS_MIN_INTERVAL_MS, "the enrichment",
                          st->current_stage) != 0)
            return -1;
    }
}
