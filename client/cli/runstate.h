/* The state file of `descovo run`: what a run has finished, kept next to
 * its output (DIR/JOB.run-state.json) and rewritten atomically after each
 * step, so that `descovo run --resume` goes on from the last finished step
 * and never spends twice. */
#ifndef DESCOVO_CLI_RUNSTATE_H
#define DESCOVO_CLI_RUNSTATE_H

#include <stddef.h>

#include "cli.h"

typedef struct runstate {
    char path[4096];
    json_t *doc;               /* {"job", "jobDigest", "baseUrl", "step", "pending", "audienceId", ...} */
} runstate;

/* The steps whose completion is recorded ("step" holds the last one). */
enum {
    RUN_CREATED = 1, RUN_FILTERED = 2, RUN_BUILD_STARTED = 3, RUN_BUILT = 4,
    RUN_ENRICH_STARTED = 6, RUN_ENRICHED = 7, RUN_COMPANIES = 8, RUN_PROSPECTS = 9
};

/* Opens the state of job_file's run in --out: with --resume the recorded
 * state (which must exist, be unfinished or finished, and match the job
 * file and the base URL), otherwise a new one (refused while an unfinished
 * run is recorded). 0 or an exit code, printed. */
int runstate_open(cli *app, const char *job_file, runstate *st);
void runstate_close(runstate *st);

/* Records a finished step (and clears "pending"), or a request about to be
 * sent ("build", "enrich"). 0 or EXIT_IO. */
int runstate_step(runstate *st, int step);
int runstate_pending(runstate *st, const char *what);
int runstate_save(runstate *st);

int runstate_last_step(const runstate *st);
const char *runstate_pending_of(const runstate *st);

#endif
