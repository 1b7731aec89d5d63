/* har: reads an HTTP Archive (1.2) for --verify and checks every field the
 * replay uses. A bad file is refused whole, with a message that names the
 * entry (its index in log.entries, method and URL) and what is wrong:
 * not JSON, not HAR (no log.entries), a missing or mistyped field, a
 * timestamp that is not ISO 8601, a JSON body (by its mimeType) that does
 * not parse.
 *
 * Ownership: drift_har_load fills a drift_har that drift_har_free frees. */
#ifndef DESCOVO_DRIFT_HAR_H
#define DESCOVO_DRIFT_HAR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct drift_pair {
    const char *name;            /* borrowed from the document */
    const char *value;
} drift_pair;

typedef struct drift_entry {
    size_t index;                /* in log.entries */
    int64_t started_us;          /* startedDateTime, microseconds since the epoch */
    double time_ms;              /* the exchange's duration ("time"), 0 if absent */
    double wait_ms;              /* timings.wait (to the first byte), else time_ms */
    const char *method;
    char *path;                  /* from request.url, percent-decoded */
    drift_pair *query;           /* request.queryString, decoded */
    size_t n_query;
    const char *request_type;    /* postData.mimeType, or NULL */
    const char *request_text;    /* postData.text, or NULL */
    long status;                 /* 0: no answer was recorded */
    const char *content_type;    /* the response's header, or content.mimeType */
    const char *retry_after;     /* NULL when absent */
    const char *allow;
    json_t *json;                /* the answer parsed (JSON mimeType), or NULL */
    const char *text;            /* the answer's text (a CSV), or NULL */
    long csv_rows;               /* data rows (content._descovoRows, else counted) */
    const char *comment;
} drift_entry;

typedef struct drift_har {
    json_t *doc;
    drift_entry *entries;
    size_t n;
} drift_har;

/* Loads path. Returns 0, or -1 with a message in err. */
int drift_har_load(const char *path, drift_har *har, char *err, size_t errlen);

/* Parses "2025-01-01T00:00:00.000Z" (any number of fraction digits, none,
 * or an offset +hh:mm). Returns 0 and sets *us (since the epoch), or -1. */
int drift_parse_iso(const char *s, int64_t *us);

/* Data rows of a CSV text (its header row not counted). */
long drift_csv_rows(const char *text);

void drift_har_free(drift_har *har);

#endif
