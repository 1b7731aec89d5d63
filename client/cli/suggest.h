/* The closest name to a typo, for "did you mean ...?". */
#ifndef DESCOVO_CLI_SUGGEST_H
#define DESCOVO_CLI_SUGGEST_H

#include <stddef.h>

/* The name among names[0..n) closest to word (edit distance, ignoring
 * case), or NULL when none is close enough to be a plausible typo (more
 * edits than a third of the word's length, plus one). names may hold NULLs. */
const char *suggest_closest(const char *word, const char *const *names, size_t n);

#endif
