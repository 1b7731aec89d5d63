/* Levenshtein distance over short names (commands, flags, JSON keys). */
#include "suggest.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define SUGGEST_MAX_LEN 64

static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return SIZE_MAX;
    size_t row[SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *suggest_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL)
            continue;
        size_t d = distance(word, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    size_t len = strlen(word);
    size_t allowed = len / 3 + 1;    /* "biuld" is 2 from "build" */
    /* A prefix of a longer name ("maxCompany" of "maxCompanies") counts too. */
    if (best != NULL && best_d > allowed && !(len >= 3 && strncasecmp(best, word, len) == 0))
        return NULL;
    return best;
}
