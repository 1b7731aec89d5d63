/* keys: the keys file format. One account a line:
 *     KEY [CREDITS [EXPORT_ROWS_PER_PERIOD]]
 * Blank lines and lines starting with '#' are ignored. fixtures/keys.txt is
 * the default file, compiled into the binary. */
#ifndef DESCOVO_KEYS_H
#define DESCOVO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_MAX_KEY_LEN 128

/* Called once per account line. Returns 0 to go on, -1 to stop. */
typedef int (*keys_visit_fn)(void *ctx, const char *key, int64_t credits, int64_t export_quota);

/* Parses text (len bytes). Missing numbers are -1 (the caller's default).
 * Returns 0, or -1 with "line N: ..." in err for a malformed line or when
 * visit returns -1. */
int keys_parse(const char *text, size_t len, keys_visit_fn visit, void *ctx,
               char *err, size_t errlen);

/* Masks an API key for logs and the request journal: the first 8 and last
 * 2 characters, or only asterisks for keys shorter than 12. Runs on every
 * request: copies, no printf. */
void keys_mask(const char *key, char out[32]);

/* The key a request named, prepared once for masking each of its texts
 * (path, bodies): the search for it looks for one byte of it, chosen rare
 * in JSON. */
typedef struct keys_secret {
    const char *key;             /* borrowed; NULL: none */
    size_t len;
    size_t pivot;                /* the byte the search looks for */
} keys_secret;

/* Prepares key (NULL or "" for none); s borrows it. */
void keys_secret_init(keys_secret *s, const char *key);

/* Masks the keys in a text the server keeps (a journaled body or path):
 * every occurrence of the secret's key (the one the request named; secret
 * NULL for none), and the value of every JSON "apiKey" string field, each
 * replaced by its keys_mask form. Returns a new NUL-terminated copy
 * (malloc; its length in *out_len) when anything was masked, or NULL when
 * nothing was (the text holds no key) or memory ran out, in which case
 * *out_len is 0 and the caller drops the text rather than keep a key.
 * Cost: a scan of the text; no allocation when there is nothing to mask. */
char *keys_mask_text(const char *text, size_t len, const keys_secret *secret, size_t *out_len, int *oom);

/* A 64-bit id of the whole key (never 0), so that records can name their
 * key exactly without keeping it (the journal keeps masked keys). */
uint64_t keys_id(const char *key);

/* The embedded fixtures/keys.txt. */
extern const unsigned char mock_default_keys[];
extern const size_t mock_default_keys_len;

#endif
