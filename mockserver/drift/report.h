/* report: what --verify found, as text for people, JSON for tools or JUnit
 * XML for CI (docs/DRIFT.md, "Reading the report"). Differences are grouped
 * by endpoint, in the order of the first entry that showed each one. */
#ifndef DESCOVO_DRIFT_REPORT_H
#define DESCOVO_DRIFT_REPORT_H

#include <stdio.h>

#include "drift/compare.h"
#include "drift/known.h"

typedef struct drift_skip {
    size_t entry;
    char endpoint[160];
    char reason[160];            /* "depends on entries[3]", "no answer was recorded" */
} drift_skip;

typedef struct drift_run {
    const char *file;
    size_t entries;
    size_t compared;
    drift_diffs diffs;
    drift_skip *skips;
    size_t n_skips;
    size_t cap_skips;
    char *endpoints;             /* per entry, "METHOD pattern", 160 bytes each */
} drift_run;

/* Differences that are not accepted by the known list. */
size_t drift_run_drift(const drift_run *run);

/* Writes the report in format "text", "json" or "junit". Returns 0 or -1
 * (write error). */
int drift_report_write(const drift_run *run, const drift_known *known, const char *format, FILE *out);

#endif
