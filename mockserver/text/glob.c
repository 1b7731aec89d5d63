#include "text/glob.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* States 0..n: state j means "the first j tokens matched". A pattern of
 * GLOB_MAX_PATTERN bytes has at most that many tokens. */
#define GLOB_WORDS ((GLOB_MAX_PATTERN + 1 + 63) / 64)

typedef uint64_t glob_set[GLOB_WORDS];

struct glob {
    size_t n_tokens;
    /* literal[c]: states j whose token j is the byte c (j -> j+1 on c). */
    glob_set literal[256];
    glob_set star;               /* token j is '*': stay on any byte but '/' */
    glob_set dstar;              /* token j is '**': stay on any byte */
};

static void set_bit(glob_set s, size_t j)
{
    s[j / 64] |= (uint64_t)1 << (j % 64);
}

static int has_bit(const glob_set s, size_t j)
{
    return (s[j / 64] >> (j % 64)) & 1;
}

/* Adds j+1 for every state j on a star: a star may match nothing. Stars
 * are never adjacent after compiling, so one step closes the set. */
static void close_stars(const glob *g, glob_set s)
{
    uint64_t carry = 0;
    for (size_t w = 0; w < GLOB_WORDS; w++) {
        uint64_t on_star = s[w] & (g->star[w] | g->dstar[w]);
        uint64_t add = (on_star << 1) | carry;
        carry = on_star >> 63;
        s[w] |= add;
    }
}

glob *glob_compile(const char *pattern, char *err, size_t errlen)
{
    size_t len = strlen(pattern);
    if (len > GLOB_MAX_PATTERN) {
        snprintf(err, errlen, "expected a pattern of at most %d characters, got %zu", GLOB_MAX_PATTERN, len);
        return NULL;
    }
    glob *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < len;) {
        if (pattern[i] == '*') {
            size_t run = strspn(pattern + i, "*");
            set_bit(run >= 2 ? g->dstar : g->star, j);
            i += run;
        } else {
            set_bit(g->literal[(unsigned char)pattern[i]], j);
            i++;
        }
        j++;
    }
    g->n_tokens = j;
    return g;
}

int glob_match(const glob *g, const char *text)
{
    glob_set state = {0};
    set_bit(state, 0);
    close_stars(g, state);
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        glob_set next;
        uint64_t carry = 0;
        uint64_t any = 0;
        for (size_t w = 0; w < GLOB_WORDS; w++) {
            uint64_t step = state[w] & g->literal[*c][w];
            uint64_t stay = state[w] & (g->dstar[w] | (*c != '/' ? g->star[w] : 0));
            next[w] = (step << 1) | carry | stay;
            carry = step >> 63;
            any |= next[w];
        }
        if (any == 0)
            return 0;
        close_stars(g, next);
        memcpy(state, next, sizeof state);
    }
    return has_bit(state, g->n_tokens);
}

void glob_free(glob *g)
{
    free(g);
}
