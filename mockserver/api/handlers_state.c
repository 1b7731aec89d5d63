/* The state file on the control plane: POST /_mock/state/compact, and
 * the "stateFile" member of GET /_mock/health (sim/compactor.h). */
#include <errno.h>
#include <stdio.h>

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

void handle_mock_state_compact(const mock_request *req, mock_reply *reply)
{
    compactor *c = req->ctx->compactor;
    if (req->ctx->persist == NULL || c == NULL) {
        reply_error(reply, 404, "No state file to compact: descovo-mock runs without --state-file PATH.");
        return;
    }
    char err[512];
    int64_t pause_us = 0;
    if (compactor_run(c, &pause_us, err, sizeof err) != 0) {
        unsigned status = errno == EBUSY || errno == ECANCELED ? 409 : 500;
        reply_error(reply, status, "%s%s", status == 500 ? "Internal error: " : "", err);
        return;
    }
    persist_compact_stats stats;
    persist_compact_stats_of(req->ctx->persist, &stats);
    json_t *output = json_pack("{s:b, s:I, s:I, s:I, s:I, s:f}", "compacted", 1,
                               "snapshotObjects", (json_int_t)stats.snapshot_lines,
                               "linesSinceSnapshot", (json_int_t)stats.since_snapshot,
                               "bytes", (json_int_t)stats.last_bytes,
                               "durationMs", (json_int_t)stats.last_ms,
                               "pauseMs", (double)pause_us / 1000.0);
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}
