#include "sim/keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/fnv.h"
#include "text/strbuf.h"

/* Parses a non-negative decimal number of at most 18 digits. */
static int parse_amount(const char *word, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(word, &end, 10);
    if (errno != 0 || end == word || *end != '\0' || n < 0)
        return -1;
    *out = n;
    return 0;
}

static int parse_line(char *line, size_t number, keys_visit_fn visit, void *ctx,
                      char *err, size_t errlen)
{
    char *words[4] = {NULL};
    size_t n_words = 0;
    char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '#')
        return 0;
    while (*p != '\0') {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (n_words == 4) {
            snprintf(err, errlen, "line %zu: expected KEY [CREDITS [EXPORT_ROWS]], got more words", number);
            return -1;
        }
        words[n_words++] = p;
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    if (n_words == 0)
        return 0;
    if (n_words > 3) {
        snprintf(err, errlen, "line %zu: expected KEY [CREDITS [EXPORT_ROWS]], got more words", number);
        return -1;
    }
    if (strlen(words[0]) > KEYS_MAX_KEY_LEN) {
        snprintf(err, errlen, "line %zu: key longer than %d characters", number, KEYS_MAX_KEY_LEN);
        return -1;
    }
    int64_t credits = -1;
    int64_t quota = -1;
    if (n_words > 1 && parse_amount(words[1], &credits) != 0) {
        snprintf(err, errlen, "line %zu: credits must be a non-negative integer, got \"%s\"", number, words[1]);
        return -1;
    }
    if (n_words > 2 && parse_amount(words[2], &quota) != 0) {
        snprintf(err, errlen, "line %zu: export rows must be a non-negative integer, got \"%s\"", number, words[2]);
        return -1;
    }
    if (visit(ctx, words[0], credits, quota) != 0) {
        snprintf(err, errlen, "line %zu: cannot add key (out of memory)", number);
        return -1;
    }
    return 0;
}

int keys_parse(const char *text, size_t len, keys_visit_fn visit, void *ctx,
               char *err, size_t errlen)
{
    char line[512];
    size_t number = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        number++;
        size_t n = end - pos;
        if (n >= sizeof line) {
            snprintf(err, errlen, "line %zu: longer than %zu bytes", number, sizeof line - 1);
            return -1;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        if (parse_line(line, number, visit, ctx, err, errlen) != 0)
            return -1;
        pos = end + 1;
    }
    return 0;
}

void keys_mask(const char *key, char out[32])
{
    size_t n = strlen(key);
    if (n < 12) {
        memcpy(out, "***", 4);
        return;
    }
    memcpy(out, key, 8);
    memcpy(out + 8, "***", 3);
    memcpy(out + 11, key + n - 2, 3); /* the last two and the NUL */
}

/* The first occurrence of needle in hay, as memmem, but faster on the
 * usual text, which holds no key: memchr (vectorised) looks for the needle's
 * byte at `pivot`, chosen rare in JSON, and only its hits are compared.
 * Most hits are still false (a key ending in digits meets every number and
 * hex id of an answer): the needle's first and last bytes, compared inline,
 * turn nearly all of them away before memcmp is called. */
static const char *find(const char *hay, size_t len, const char *needle, size_t n, size_t pivot)
{
    if (n == 0 || len < n)
        return NULL;
    const char first = needle[0];
    const char last = needle[n - 1];
    const char *p = hay + pivot;
    const char *end = hay + len - n + pivot + 1; /* past the last place the pivot byte can be */
    while (p < end) {
        p = memchr(p, (unsigned char)needle[pivot], (size_t)(end - p));
        if (p == NULL)
            return NULL;
        const char *at = p - pivot;
        if (at[0] == first && at[n - 1] == last && memcmp(at, needle, n) == 0)
            return at;
        p++;
    }
    return NULL;
}

/* How rare a byte is in the texts the journal masks, by class (measured
 * on a fleet's journal, per thousand bytes): the digits 3-9 and most
 * capitals 2-9 (4, the rarest), '_' and '-' 5-14 (3), '1' and '2' 14-16
 * (2), '0' 38 (1: counts, times, years); lower-case letters and the rest
 * more (0). */
static const unsigned char rarity[256] = {
    ['3'] = 4, ['4'] = 4, ['5'] = 4, ['6'] = 4, ['7'] = 4, ['8'] = 4, ['9'] = 4,
    ['A'] = 4, ['B'] = 4, ['C'] = 4, ['D'] = 4, ['E'] = 4, ['F'] = 4, ['G'] = 4, ['H'] = 4, ['I'] = 4,
    ['J'] = 4, ['K'] = 4, ['L'] = 4, ['M'] = 4, ['N'] = 4, ['O'] = 4, ['P'] = 4, ['Q'] = 4, ['R'] = 4,
    ['S'] = 4, ['T'] = 4, ['U'] = 4, ['V'] = 4, ['W'] = 4, ['X'] = 4, ['Y'] = 4, ['Z'] = 4,
    ['_'] = 3, ['-'] = 3, ['1'] = 2, ['2'] = 2, ['0'] = 1,
};

/* Which byte of a key find() looks for: the rarest of its last 8 bytes (a
 * key's random part, after a prefix such as "sk_test_"), the last of
 * equals. Any choice finds the same matches; this one keeps memchr's false
 * hits few, whatever digits a key ends in (a fleet's keys end in a process
 * id and counters). */
static size_t rare_byte(const char *key, size_t n)
{
    size_t from = n > 8 ? n - 8 : 0;
    size_t best = n - 1;
    unsigned best_rarity = rarity[(unsigned char)key[best]];
    for (size_t i = n - 1; i-- > from && best_rarity < 4;) {
        unsigned r = rarity[(unsigned char)key[i]];
        if (r > best_rarity) {
            best = i;
            best_rarity = r;
        }
    }
    return best;
}

void keys_secret_init(keys_secret *s, const char *key)
{
    size_t len = key != NULL ? strlen(key) : 0;
    *s = (keys_secret){len > 0 ? key : NULL, len, len > 0 ? rare_byte(key, len) : 0};
}

/* Where the next secret in text[from..len) starts, with its length; the
 * request's own key, or the value of a JSON "apiKey" field. Returns 0 when
 * there is none. */
static int next_secret(const char *text, size_t len, size_t from, const keys_secret *key,
                       size_t *start, size_t *n)
{
    static const char field[] = "\"apiKey\"";
    enum { FIELD_PIVOT = 4 }; /* the 'K' */
    const char *best = NULL;
    size_t best_len = 0;
    if (key->key != NULL) {
        best = find(text + from, len - from, key->key, key->len, key->pivot);
        best_len = key->len;
    }
    const char *f = find(text + from, len - from, field, sizeof field - 1, FIELD_PIVOT);
    while (f != NULL && (best == NULL || f < best)) {
        size_t i = (size_t)(f - text) + sizeof field - 1;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i < len && text[i] == ':') {
            i++;
            while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
                i++;
        } else {
            i = len;
        }
        if (i < len && text[i] == '"') {
            size_t v = i + 1;
            size_t e = v;
            while (e < len && text[e] != '"')
                e += text[e] == '\\' ? 2 : 1;
            if (e > len)
                e = len;
            if (e > v) {
                best = text + v;
                best_len = e - v;
            }
            break;
        }
        size_t next = (size_t)(f - text) + 1;
        f = find(text + next, len - next, field, sizeof field - 1, FIELD_PIVOT);
    }
    if (best == NULL)
        return 0;
    *start = (size_t)(best - text);
    *n = best_len;
    return 1;
}

char *keys_mask_text(const char *text, size_t len, const keys_secret *secret, size_t *out_len, int *oom)
{
    static const keys_secret none = {NULL, 0, 0};
    const keys_secret *key = secret != NULL ? secret : &none;
    size_t start = 0, n = 0;
    *out_len = 0;
    *oom = 0;
    if (text == NULL || !next_secret(text, len, 0, key, &start, &n))
        return NULL;
    strbuf out = STRBUF_INIT;
    /* One allocation: a mask is at most 2 bytes longer than its secret
     * ("***" for one of 1 byte), and there are seldom more than a few. */
    strbuf_reserve(&out, len + 16);
    size_t from = 0;
    do {
        char secret[KEYS_MAX_KEY_LEN + 1];
        char masked[32] = "***";
        if (n <= KEYS_MAX_KEY_LEN) {
            memcpy(secret, text + start, n);
            secret[n] = '\0';
            keys_mask(secret, masked);
        }
        strbuf_append(&out, text + from, start - from);
        strbuf_puts(&out, masked);
        from = start + n;
    } while (next_secret(text, len, from, key, &start, &n));
    strbuf_append(&out, text + from, len - from);
    if (out.oom) {
        strbuf_release(&out);
        *oom = 1;
        return NULL;
    }
    *out_len = out.len;
    return strbuf_detach(&out);
}

uint64_t keys_id(const char *key)
{
    uint64_t h = fnv1a_str(key);
    return h != 0 ? h : 1;
}
