/* The promise of jsonr (mockserver/text/jsonr.h), checked against jansson on one
 * text; shared by tests/test_jsonr.c and fuzz/fuzz_jsonr.c. */
#ifndef DESCOVO_JSONR_CHECK_H
#define DESCOVO_JSONR_CHECK_H

#include <stddef.h>

/* What jsonr_object did with the text. */
typedef enum jsonr_outcome {
    JSONR_READ,       /* a tree equal to jansson's, keys in the same order */
    JSONR_GAVE_UP     /* NULL, and jansson's own reading was not required of it */
} jsonr_outcome;

/* Reads text with jsonr_object and with json_loadb(JSON_REJECT_DUPLICATES).
 * The promise: when jsonr reads it, jansson reads the same tree; when
 * jansson reads an object with no real number, nesting within
 * JSONR_MAX_DEPTH and no backslash in the text, jsonr reads it too. Texts
 * with a NUL byte are exempt from the second half: jansson 2.14 skips a NUL
 * right after a number or a literal ({"a":1\0} reads as {"a":1}), a quirk
 * jsonr leaves to it.
 * Returns the outcome, or -1 with why filled when the promise is broken. */
int jsonr_check(const char *text, size_t len, char *why, size_t why_size);

#endif
