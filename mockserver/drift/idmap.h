/* idmap: the ids a recording's service issued, mapped to the ones the
 * simulator issued in their place (audience, enrichment and export ids,
 * cursors, download URLs), learnt as answers are compared and applied to
 * every later request before it is replayed. Also a set of "tainted" ids:
 * those of an entry whose status diverged, so that the entries depending on
 * it are reported as such instead of as a cascade.
 *
 * A string hash table with open addressing; not thread-safe. */
#ifndef DESCOVO_DRIFT_IDMAP_H
#define DESCOVO_DRIFT_IDMAP_H

#include <stddef.h>

typedef struct idmap idmap;

idmap *idmap_new(void);
void idmap_free(idmap *m);

/* Maps from to (both copied); a later put of the same from replaces it.
 * The value is any string; as a taint set, callers store the entry index
 * as text. Returns 0 or -1 (out of memory). */
int idmap_put(idmap *m, const char *from, const char *to);

/* The value of from, or NULL. */
const char *idmap_get(const idmap *m, const char *from);

size_t idmap_size(const idmap *m);

#endif
