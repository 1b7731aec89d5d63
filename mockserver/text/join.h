/* join: strings joined into a fixed buffer, what snprintf("%s%s...") does
 * for the ids, links and field paths of every request, at a tenth of its
 * cost (snprintf parses its format each call: 22k instructions of a fleet
 * workflow went to it). Pure; no allocation. */
#ifndef DESCOVO_JOIN_H
#define DESCOVO_JOIN_H

#include <stddef.h>
#include <stdint.h>

/* The longest text join_u64 and join_hex16 write, with its NUL. */
#define JOIN_NUMBER_MAX 21

/* Writes the strings up to the NULL that ends the list into out (size > 0
 * bytes), one after another, always NUL-terminated. Returns 0 when all of
 * them fit, -1 when the text was cut to size - 1 bytes (as snprintf cuts
 * it: mid-character, if it falls there). */
int join(char *out, size_t size, ...);

/* value in decimal, NUL-terminated; returns its length. */
size_t join_u64(char out[JOIN_NUMBER_MAX], uint64_t value);
/* value as 16 lower-case hex digits ("%016llx"), NUL-terminated. */
void join_hex16(char out[JOIN_NUMBER_MAX], uint64_t value);

#endif
