/* glob: the path patterns of journal filters and fault rules, matched in
 * time linear in the text whatever the pattern.
 *
 *   '*'   any run of characters except '/' (within one path segment)
 *   '**'  any run of characters, '/' included (a run of three or more
 *         stars is the same as two)
 *   else  the character itself
 *
 * The pattern is compiled once into a bit-parallel automaton (one bit per
 * pattern position, a few 64-bit words), and matching reads each byte of
 * the text once: no backtracking, so "**a**a**a**b" against a long path
 * costs the same as "**b". A compiled glob is immutable: any thread may
 * match with it at the same time. */
#ifndef DESCOVO_GLOB_H
#define DESCOVO_GLOB_H

#include <stddef.h>

/* Longest pattern accepted, in bytes. */
#define GLOB_MAX_PATTERN 256

typedef struct glob glob;

/* Compiles pattern. Returns a new glob, or NULL with a message in err when
 * it is longer than GLOB_MAX_PATTERN or memory ran out. */
glob *glob_compile(const char *pattern, char *err, size_t errlen);

/* Whether the whole of text (NUL-terminated) matches. */
int glob_match(const glob *g, const char *text);

/* Accepts NULL. */
void glob_free(glob *g);

#endif
