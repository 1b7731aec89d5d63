/* fnv: FNV-1a 64, the one string hash of the server: hash buckets
 * (sim/store.c, drift/idmap.c), key ids (sim/keys.c), ETags (http/). Not
 * for anything an attacker must not predict. Pure, inline. */
#ifndef DESCOVO_FNV_H
#define DESCOVO_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* Of len bytes. */
static inline uint64_t fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* Of a NUL-terminated string, without a strlen first. */
static inline uint64_t fnv1a_str(const char *s)
{
    uint64_t h = FNV_OFFSET;
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * FNV_PRIME;
    return h;
}

#endif
