/* The state file on the control plane: POST /_mock/state/compact, and
 * the "stateFile" member of GET /_mock/health (sim/compactor.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/handlers.h"

json_t *state_file_health(const mock_context *ctx)
{
    if (ctx->persist == NULL)
        return json_null();
    persist_compact_stats stats;
    persist_compact_stats_of(ctx->persist, &stats);
    int64_t pause_us = ctx->compactor != NULL ? compactor_last_pause_us(ctx->compactor) : -1;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I}",
                     "changes", (json_int_t)persist_records(ctx->persist),
                     "syncs", (json_int_t)persist_syncs(ctx->persist),
                     "linesSinceSnapshot", (json_int_t)stats.since_snapshot,
                     "snapshotObjects", (json_int_t)stats.snapshot_lines,
                     "compactAfter", (json_int_t)(ctx->compactor != NULL ? compactor_floor(ctx->compactor) : 0),
                     "compactions", (json_int_t)stats.compactions,
                     "lastCompactionMs", stats.last_ms >= 0 ? json_integer(stats.last_ms) : json_null(),
                     "lastPauseMs", pause_us >= 0 ? json_real((double)pause_us / 1000.0) : json_null(),
                     "bytes", (json_int_t)stats.last_bytes);
}

/* The answer to a compaction: its figures, or 409 (one runs already, or a
 * reset came in the middle) or 500 with why. */
static void compaction_answer(mock_reply *reply, persist *log, int rc, int error, int64_t pause_us, const char *err)
{
    if (rc != 0) {
        unsigned status = error == EBUSY || error == ECANCELED ? 409 : 500;
        reply_error(reply, status, "%s%s", status == 500 ? "Internal error: " : "", err);
        return;
    }
    persist_compact_stats stats;
    persist_compact_stats_of(log, &stats);
    json_t *output = json_pack("{s:b, s:I, s:I, s:I, s:I, s:f}", "compacted", 1,
                               "snapshotObjects", (json_int_t)stats.snapshot_lines,
                               "linesSinceSnapshot", (json_int_t)stats.since_snapshot,
                               "bytes", (json_int_t)stats.last_bytes,
                               "durationMs", (json_int_t)stats.last_ms,
                               "pauseMs", (double)pause_us / 1000.0);
    /* The route takes no fields: no warnings to carry. */
    const mock_request no_request = {0};
    reply_ok(reply, &no_request, output, charge_free(NULL, "Control endpoints are free."));
}

/* A compaction answered later (the HTTP layer's mock_reply.later). */
typedef struct compaction_job {
    persist *log;
    mock_reply *answer;
    void (*done)(void *token, int error);
    void *token;
} compaction_job;

static void compacted(void *arg, int rc, int error, int64_t pause_us, const char *err)
{
    compaction_job *job = arg;
    compaction_answer(job->answer, job->log, rc, error, pause_us, err);
    job->done(job->token, 0);
    free(job);
}

/* Runs on the compactor's thread: the server thread goes back to serving. */
static void compact_later(void *arg, mock_reply *answer, void (*done)(void *token, int error), void *token)
{
    compactor *c = arg;
    compaction_job *job = malloc(sizeof *job);
    if (job == NULL) {
        reply_error(answer, 500, "Internal error: out of memory starting the compaction.");
        done(token, 0);
        return;
    }
    *job = (compaction_job){compactor_log(c), answer, done, token};
    compactor_run_async(c, compacted, job);
}

void handle_mock_state_compact(const mock_request *req, mock_reply *reply)
{
    compactor *c = req->ctx->compactor;
    if (req->ctx->persist == NULL || c == NULL) {
        reply_error(reply, 404, "No state file to compact: descovo-mock runs without --state-file PATH.");
        return;
    }
    if (req->can_defer) {
        reply->later = compact_later;
        reply->later_arg = c;
        return;
    }
    char err[512];
    int64_t pause_us = 0;
    int rc = compactor_run(c, &pause_us, err, sizeof err);
    compaction_answer(reply, req->ctx->persist, rc, rc != 0 ? errno : 0, pause_us, err);
}
