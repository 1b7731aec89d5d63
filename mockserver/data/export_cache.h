/* export_cache: the CSV records exports have rendered, kept for the next
 * exports of the same rows.
 *
 * A record of an export is a function of (kind, dataset row, the contact
 * types revealed for it, the selected columns) and of nothing else: the
 * dataset renders the same bytes on every call (data/dataset.h). A fleet of
 * CI jobs exports the same audiences over and over, and rendering a record
 * costs some 20,000 instructions where copying it costs a few hundred, so
 * an export copies the records already rendered from here and keeps here
 * those it renders (export.h, export_job_use_cache). A record holds nothing
 * of a tenant (every key exports from the same dataset), so the cache is
 * shared by all of them.
 *
 * Bounded: a fixed table of EXPORT_CACHE_SLOTS slots, direct-mapped (a new
 * record takes the slot of its key, dropping the one there), and the text
 * in blocks of EXPORT_CACHE_BLOCK_BYTES, at most max_bytes of them, filled
 * one after the other; when the last is full, every record is dropped and
 * the first block is filled again. Memory stops growing once the budget is
 * used, and records cost no allocation of their own. A cached record is
 * only ever a copy: a miss renders it again, never an error.
 *
 * Ownership: the cache borrows the dataset, which must outlive it; export
 * jobs that use it borrow it, so it must outlive them too.
 * Thread-safety: every function may be called from any thread; one mutex
 * guards the table, held while a record is looked up and copied. */
#ifndef DESCOVO_EXPORT_CACHE_H
#define DESCOVO_EXPORT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "text/strbuf.h"

/* Slots of the table (a power of two). */
#define EXPORT_CACHE_SLOTS 8192
/* Text is kept in blocks of this size; a longer record is not kept. */
#define EXPORT_CACHE_BLOCK_BYTES (256u << 10)
/* What app.c gives a server's cache: the records of some 5,000 distinct
 * rows (a prospect's is about 700 bytes with every column). */
#define EXPORT_CACHE_DEFAULT_BYTES (4u << 20)

/* What a record is a function of. `columns` is the selection as a bitmap
 * (bit c of word c / 64: column c is exported), which also says how many
 * there are. */
typedef struct export_cache_key {
    uint64_t columns[2];
    uint32_t row;       /* dataset index of the company or prospect, or
                         * EXPORT_CACHE_HEADER: the header line */
    uint8_t kind;       /* export_kind */
    uint8_t revealed;   /* DS_CONTACT_* mask; 0 for companies */
} export_cache_key;

/* The row of a header line's key: no dataset index is this large. */
#define EXPORT_CACHE_HEADER UINT32_MAX

typedef struct export_cache export_cache;

/* Returns NULL when out of memory. max_bytes bounds the record text kept;
 * under EXPORT_CACHE_BLOCK_BYTES, nothing is kept. */
export_cache *export_cache_new(const dataset *ds, size_t max_bytes);
void export_cache_free(export_cache *cache);

/* The dataset whose records the cache holds. */
const dataset *export_cache_dataset(const export_cache *cache);

/* When the record of key is cached, appends it to out and returns 1;
 * otherwise returns 0 and leaves out as it was. Out of memory while
 * appending sets out->oom (strbuf.h) and returns 1. */
int export_cache_get(export_cache *cache, const export_cache_key *key, strbuf *out);

/* Copies the records of keys[0..n), one after the other and with no NUL,
 * into dst while each is cached and fits in what is left of room; stops at
 * the first that is not (export_cache_get then tells a miss from a record
 * too long). Returns the bytes written, and in *records how many records
 * they are (0: nothing written). One lock for the run: a record's copy is
 * a few hundred instructions, and a lock per record was a third of it. */
size_t export_cache_copy_run(export_cache *cache, const export_cache_key *keys, size_t n, char *dst, size_t room,
                             size_t *records);

/* Keeps a copy of text[0..len) as the record of key, unless it is longer
 * than a block or memory runs out (then nothing changes). */
void export_cache_put(export_cache *cache, const export_cache_key *key, const char *text, size_t len);

typedef struct export_cache_stats {
    uint64_t hits;
    uint64_t misses;
    uint64_t flushes;   /* times every record was dropped for room */
    size_t records;     /* kept now */
    size_t bytes;       /* of the blocks, filled since the last flush */
} export_cache_stats;

void export_cache_stats_get(export_cache *cache, export_cache_stats *out);

#endif
