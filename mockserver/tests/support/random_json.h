/* Random JSON trees for the tests of jsonw and jsonr: deterministic
 * (xorshift64 from a fixed seed), so a failure repeats. */
#ifndef DESCOVO_RANDOM_JSON_H
#define DESCOVO_RANDOM_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Which strings a tree holds. */
typedef enum random_text {
    TEXT_ANY,          /* every escape jansson writes, raw UTF-8 of 2 to 4 bytes */
    TEXT_PLAIN,        /* nothing JSON escapes; UTF-8 included */
    TEXT_ASCII         /* nothing any jansson flag escapes (not even JSON_ENSURE_ASCII) */
} random_text;

typedef struct random_json {
    uint64_t state;    /* the generator; any value but 0 */
    int reals;         /* numbers may be reals */
    random_text keys;  /* what object keys are made of; values are TEXT_ANY */
} random_json;

uint64_t random_json_next(random_json *r);
/* A string of up to 9 pieces of the given kind (a new reference). */
json_t *random_json_string(random_json *r, random_text text);
/* Any value; containers stop growing past depth 5 (a new reference). */
json_t *random_json_value(random_json *r, int depth);
/* An object at the top, as request bodies are (a new reference). */
json_t *random_json_object(random_json *r);

#endif
