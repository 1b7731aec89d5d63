/* mix: the 64-bit mixing of splitmix64, the one source of pseudo-random
 * bits of the simulator: ids and the synthetic database (data/), fault
 * rules and chaos (sim/faults.c), audience ids (sim/store.c). Pure, inline
 * (the dataset renders every field through it). Changing it changes every
 * id and every generated record: the determinism tests would say so. */
#ifndef DESCOVO_MIX_H
#define DESCOVO_MIX_H

#include <stdint.h>

/* The splitmix64 finaliser: a bijective 64-bit mix. */
static inline uint64_t mix64_final(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One splitmix64 output for the state x: the finaliser of x plus the
 * golden-ratio increment. */
static inline uint64_t mix64(uint64_t x)
{
    return mix64_final(x + 0x9E3779B97F4A7C15ull);
}

#endif
