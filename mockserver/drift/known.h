/* known: the accepted, documented divergences of --known KNOWN.json:
 *
 *   {"divergences": [{"endpoint": "POST /v1/audiences/{id}/export/companies",
 *                     "path": "output.exportId", "kind": "extra",
 *                     "reason": "simulator extension (docs/API.md, Exports)"}]}
 *
 * endpoint and path are patterns where "*" matches any run of characters; kind
 * is optional; reason is required. A difference that matches an item is
 * reported as known and does not count as drift.
 *
 * Ownership: drift_known_load fills a drift_known; drift_known_free frees. */
#ifndef DESCOVO_DRIFT_KNOWN_H
#define DESCOVO_DRIFT_KNOWN_H

#include <jansson.h>
#include <stddef.h>

#include "drift/compare.h"

typedef struct drift_known_item {
    const char *endpoint;
    const char *path;
    const char *kind;            /* NULL: any */
    const char *reason;
    size_t used;                 /* differences it accepted */
} drift_known_item;

typedef struct drift_known {
    json_t *doc;
    drift_known_item *items;
    size_t n;
} drift_known;

/* Loads path; returns 0, or -1 with a message naming the item and field. */
int drift_known_load(const char *path, drift_known *known, char *err, size_t errlen);

/* Marks every difference an item accepts (known_reason). */
void drift_known_apply(drift_known *known, drift_diffs *diffs);

void drift_known_free(drift_known *known);

#endif
