#include "data/export_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data/mix.h"

_Static_assert((EXPORT_CACHE_SLOTS & (EXPORT_CACHE_SLOTS - 1)) == 0, "EXPORT_CACHE_SLOTS: a power of two");

typedef struct cache_slot {
    export_cache_key key;
    uint64_t generation; /* valid only in the cache's generation; 0: never */
    uint32_t block;
    uint32_t offset;
    uint32_t len;
} cache_slot;

struct export_cache {
    const dataset *ds;     /* borrowed */
    size_t max_blocks;
    pthread_mutex_t lock;  /* guards everything below */
    char **blocks;         /* max_blocks; NULL until first filled */
    size_t block;          /* the one being filled */
    size_t used;           /* bytes of it filled */
    uint64_t generation;   /* of the records kept; starts at 1 */
    size_t records;
    uint64_t hits;
    uint64_t misses;
    uint64_t flushes;
    cache_slot *slots;     /* EXPORT_CACHE_SLOTS */
};

export_cache *export_cache_new(const dataset *ds, size_t max_bytes)
{
    export_cache *cache = calloc(1, sizeof *cache);
    if (cache == NULL)
        return NULL;
    cache->ds = ds;
    cache->max_blocks = max_bytes / EXPORT_CACHE_BLOCK_BYTES;
    cache->generation = 1;
    cache->slots = calloc(EXPORT_CACHE_SLOTS, sizeof *cache->slots);
    cache->blocks = calloc(cache->max_blocks ? cache->max_blocks : 1, sizeof *cache->blocks);
    if (cache->slots == NULL || cache->blocks == NULL || pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->slots);
        free(cache->blocks);
        free(cache);
        return NULL;
    }
    return cache;
}

void export_cache_free(export_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < cache->max_blocks; i++)
        free(cache->blocks[i]);
    free(cache->blocks);
    free(cache->slots);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

const dataset *export_cache_dataset(const export_cache *cache)
{
    return cache->ds;
}

static cache_slot *slot_of(export_cache *cache, const export_cache_key *key)
{
    uint64_t h = mix64(key->columns[0] ^ mix64(key->columns[1] ^
                       mix64(((uint64_t)key->row << 16) | ((uint64_t)key->kind << 8) | key->revealed)));
    return &cache->slots[h & (EXPORT_CACHE_SLOTS - 1)];
}

/* Lock held. Whether slot holds the record of key. */
static int holds(const export_cache *cache, const cache_slot *slot, const export_cache_key *key)
{
    const export_cache_key *k = &slot->key;
    return slot->generation == cache->generation && k->row == key->row && k->kind == key->kind &&
           k->revealed == key->revealed && k->columns[0] == key->columns[0] && k->columns[1] == key->columns[1];
}

int export_cache_get(export_cache *cache, const export_cache_key *key, strbuf *out)
{
    int hit = 0;
    pthread_mutex_lock(&cache->lock);
    cache_slot *slot = slot_of(cache, key);
    if (holds(cache, slot, key)) {
        strbuf_append(out, cache->blocks[slot->block] + slot->offset, slot->len);
        hit = 1;
        cache->hits++;
    } else {
        cache->misses++;
    }
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

size_t export_cache_copy_run(export_cache *cache, const export_cache_key *keys, size_t n, char *dst, size_t room,
                             size_t *records)
{
    size_t len = 0;
    size_t i = 0;
    pthread_mutex_lock(&cache->lock);
    for (; i < n; i++) {
        cache_slot *slot = slot_of(cache, &keys[i]);
        if (!holds(cache, slot, &keys[i]) || slot->len > room - len)
            break;
        memcpy(dst + len, cache->blocks[slot->block] + slot->offset, slot->len);
        len += slot->len;
    }
    cache->hits += i;
    pthread_mutex_unlock(&cache->lock);
    *records = i;
    return len;
}

/* Lock held. Where len more bytes go: the current block, else the next
 * one, else (all full) the first again, after dropping every record.
 * Returns NULL when a block cannot be allocated. */
static char *room_for(export_cache *cache, size_t len)
{
    if (cache->used + len > EXPORT_CACHE_BLOCK_BYTES) {
        cache->block++;
        cache->used = 0;
        if (cache->block == cache->max_blocks) {
            cache->block = 0;
            cache->generation++;
            cache->records = 0;
            cache->flushes++;
        }
    }
    if (cache->blocks[cache->block] == NULL)
        cache->blocks[cache->block] = malloc(EXPORT_CACHE_BLOCK_BYTES);
    return cache->blocks[cache->block] != NULL ? cache->blocks[cache->block] + cache->used : NULL;
}

void export_cache_put(export_cache *cache, const export_cache_key *key, const char *text, size_t len)
{
    if (cache->max_blocks == 0 || len == 0 || len > EXPORT_CACHE_BLOCK_BYTES)
        return;
    pthread_mutex_lock(&cache->lock);
    char *at = room_for(cache, len);
    if (at != NULL) {
        memcpy(at, text, len);
        cache_slot *slot = slot_of(cache, key);
        if (slot->generation != cache->generation)
            cache->records++;
        *slot = (cache_slot){*key, cache->generation, (uint32_t)cache->block, (uint32_t)cache->used, (uint32_t)len};
        cache->used += len;
    }
    pthread_mutex_unlock(&cache->lock);
}

void export_cache_stats_get(export_cache *cache, export_cache_stats *out)
{
    pthread_mutex_lock(&cache->lock);
    *out = (export_cache_stats){
        .hits = cache->hits,
        .misses = cache->misses,
        .flushes = cache->flushes,
        .records = cache->records,
        .bytes = cache->block * EXPORT_CACHE_BLOCK_BYTES + cache->used,
    };
    pthread_mutex_unlock(&cache->lock);
}
