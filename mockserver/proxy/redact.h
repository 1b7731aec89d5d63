/* redact: keeps secrets out of recorded exchanges (docs/DRIFT.md, "What
 * redaction guarantees").
 *
 *   - apiKey values (JSON bodies at any depth, query strings) become a
 *     placeholder per distinct key, "<key-1>", "<key-2>", ... in order of
 *     first sight, stable for the life of the redactor; any later occurrence
 *     of a key seen before, anywhere in an entry's text, becomes its
 *     placeholder too;
 *   - userEmail values and e-mail addresses anywhere in a text keep their
 *     shape: every letter and digit becomes 'x' ("ann.lee@acme.io" ->
 *     "xxx.xxx@xxxx.xx"), so the result is still an e-mail of the same length;
 *   - phone numbers (a JSON string or CSV cell made of digits and + ( ) - . and
 *     spaces, with 7 to 15 digits, not a date) keep their punctuation, each
 *     digit becoming '0';
 *   - the values of the headers Authorization, Proxy-Authorization, Cookie,
 *     Set-Cookie, X-Api-Key and X-Mock-Admin-Token become "<redacted>".
 *
 * Thread-safe: the key table has its own lock. */
#ifndef DESCOVO_REDACT_H
#define DESCOVO_REDACT_H

#include <jansson.h>
#include <stddef.h>

typedef struct redactor redactor;

/* Returns a new redactor, or NULL when out of memory. */
redactor *redactor_new(void);
void redactor_free(redactor *r);

/* The placeholder of key (registered at first sight) into out: "<key-N>".
 * An empty key stays empty. Returns 0, or -1 when out of memory or when
 * more than REDACT_MAX_KEYS distinct keys were seen ("<key-?>" then). */
#define REDACT_MAX_KEYS 4096
int redact_key(redactor *r, const char *key, char out[32]);

/* Redacts a JSON tree in place: apiKey and userEmail fields at any depth,
 * e-mails and phone numbers inside every string value. */
void redact_json(redactor *r, json_t *root);

/* Redacts a CSV text in place (same length): e-mails and phone numbers of
 * every cell but those of the header row. */
void redact_csv(char *text, size_t len);

/* Masks, in place, every e-mail address of text (same length). */
void redact_emails(char *text, size_t len);

/* The last pass over a whole recorded entry: in every string value at any
 * depth, e-mails are masked and every key seen so far becomes its
 * placeholder. Returns 0, or -1 when out of memory (the entry may then be
 * half done: the caller drops it rather than write it). */
int redact_entry_strings(redactor *r, json_t *entry);

/* 1 if a header of that name carries a credential. */
int redact_is_secret_header(const char *name);

/* 1 if s (len bytes) looks like a phone number (rule above). */
int redact_is_phone(const char *s, size_t len);

#endif
