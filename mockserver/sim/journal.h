/* journal: a bounded ring of the last requests the server answered, for
 * tests that verify what a client sent ("exactly 3 builds were attempted").
 *
 * Each entry keeps the method, path, masked key, status, duration, the
 * simulator's time, and the request and response bodies cut to a size cap.
 * When the ring is full the oldest entry is overwritten. Thread-safe: its own
 * mutex, never held while calling out. */
#ifndef DESCOVO_JOURNAL_H
#define DESCOVO_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/keys.h"

#define JOURNAL_DEFAULT_CAPACITY 4096
#define JOURNAL_DEFAULT_BODY_CAP 4096

typedef struct journal journal;

/* One request as the HTTP layer saw it. Strings are copied by journal_add,
 * except response_owned, which it takes. */
typedef struct journal_record {
    int64_t time_ms;             /* simulator's clock when the request arrived */
    const char *method;
    const char *path;
    const char *masked_key;      /* "" when none */
    /* The key the request named, masked wherever it appears in the bodies
     * (as is every JSON "apiKey" value): the journal keeps no key. NULL
     * when none. The path must come masked already. */
    const keys_secret *secret;
    uint64_t key_id;             /* keys_id() of the full key, 0 when none */
    unsigned status;             /* 0: connection dropped or reset, no answer */
    double duration_ms;
    const char *request_body;    /* may be NULL */
    size_t request_len;
    const char *response_body;   /* may be NULL */
    size_t response_len;         /* the full length, even if the text was cut */
    /* Set instead of response_body: a malloc'ed NUL-terminated copy, already
     * cut to the body cap, that journal_add takes (and frees) rather than
     * copying again; response_owned_len is its length (strlen). */
    char *response_owned;
    size_t response_owned_len;
} journal_record;

/* Returns a new journal keeping `capacity` entries (>= 1) with bodies cut to
 * body_cap bytes, or NULL when out of memory. */
journal *journal_new(size_t capacity, size_t body_cap);
void journal_free(journal *j);

void journal_add(journal *j, const journal_record *record);
void journal_clear(journal *j);
/* Removes the entries of one key (keys_id), leaving every other one. No
 * visit of the ring (a tenant's reset, from a request): a mark hides them
 * from queries, and their bodies are freed when newer entries take their
 * slots, as any entry's are. */
void journal_clear_key(journal *j, uint64_t key_id);

/* Which entries a query wants; NULL, 0 (and status -1) match everything. */
typedef struct journal_filter {
    const char *method;          /* exact, case-insensitive */
    const char *path;            /* a glob (text/glob.h), at most GLOB_MAX_PATTERN bytes */
    const char *masked_key;      /* compare masked keys */
    uint64_t key_id;             /* nonzero: compare keys_id() instead */
    int status;                  /* -1: any; 0: dropped connections */
    int64_t since_ms;            /* entries at or after this simulated time */
    size_t limit;                /* most entries returned (newest), 0: all */
    uint64_t before_seq;         /* only entries with a smaller seq (paging
                                  * back from the newest), 0: any */
    int no_bodies;               /* leave requestBody and responseBody out */
} journal_filter;

/* {"count": N matching, "total": entries kept, "entries": [...]} oldest
 * first. No slot stays locked while an entry is matched or serialised.
 * Returns a new reference, or NULL when out of memory or the path pattern
 * is longer than GLOB_MAX_PATTERN (check it first for a clear error). */
json_t *journal_query(journal *j, const journal_filter *filter);

#endif
