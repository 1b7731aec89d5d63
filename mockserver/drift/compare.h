/* compare: one recorded answer against the simulator's, as docs/DRIFT.md
 * ("What is compared") describes:
 *   - JSON shape at every path: the set of fields, JSON types (integer and
 *     real are both "number"), null versus absent, array items index by
 *     index (up to the shorter array: lengths are counts, which differ);
 *   - enumerations by value: status, currentStage, creationMethod, format,
 *     chargeInfo.method, error.code ("progress" when both values are
 *     documented steps of the same lifecycle, "value" otherwise);
 *   - every other string by its format only: ISO 8601 with or without
 *     milliseconds, URL, UUID, id with its prefix ("aud_"), e-mail, text;
 *     numbers and booleans by type;
 *   - headers: the media type of Content-Type, presence and unit (seconds or
 *     HTTP date) of Retry-After, the method set of Allow;
 *   - CSV: header columns and their order.
 * Where both sides hold an id, URL or UUID that differ, the pair is learnt
 * into the id map, so that later requests name the simulator's ids.
 *
 * Not thread-safe; the diff list owns its items. */
#ifndef DESCOVO_DRIFT_COMPARE_H
#define DESCOVO_DRIFT_COMPARE_H

#include <jansson.h>
#include <stddef.h>

#include "drift/idmap.h"

typedef struct drift_diff {
    size_t entry;                /* index in log.entries */
    char endpoint[160];          /* "POST /v1/audiences/{id}/build" */
    char path[256];              /* "output.status", "headers.Retry-After", "csv.columns[3]" */
    const char *kind;            /* status, missing, extra, type, value, progress, format,
                                  * header, csv-column, csv-rows, credits: docs/DRIFT.md */
    char recorded[200];
    char simulated[200];
    const char *known_reason;    /* set by drift_known_apply: accepted */
} drift_diff;

typedef struct drift_diffs {
    drift_diff *items;
    size_t n;
    size_t cap;
    int oom;
} drift_diffs;

void drift_diffs_add(drift_diffs *d, size_t entry, const char *endpoint, const char *path, const char *kind,
                     const char *recorded, const char *simulated);
void drift_diffs_release(drift_diffs *d);

typedef struct drift_compare {
    drift_diffs *diffs;
    idmap *ids;
    size_t entry;
    const char *endpoint;
} drift_compare;

/* Compares two JSON answers from the root (paths like "output.status"). */
void drift_compare_json(drift_compare *c, const json_t *recorded, const json_t *simulated);

/* Compares the headers clients depend on; NULL means absent. */
void drift_compare_headers(drift_compare *c, const char *rec_type, const char *rec_retry, const char *rec_allow,
                           const char *sim_type, const char *sim_retry, const char *sim_allow);

/* Compares the header rows of two CSV texts. */
void drift_compare_csv_columns(drift_compare *c, const char *recorded, const char *simulated);

/* The format class of a string ("timestamp (ISO 8601, ms)", "id aud_", ...)
 * into out. */
void drift_format_of(const char *s, char *out, size_t size);

#endif
