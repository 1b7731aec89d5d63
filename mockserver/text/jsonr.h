/* jsonr: the fast path for reading request bodies.
 *
 * jansson's parser reads a character at a time through a stream and saves
 * each one into a buffer: it was half the cost of a POST (27k instructions
 * for a 150-byte estimate body, against 5k for a whole bare-server request).
 * jsonr_object() reads the usual body directly from memory, and builds the
 * tree json_loadb(text, len, JSON_REJECT_DUPLICATES, ...) would build: equal
 * values, keys in the same order.
 *
 * It never decides that a body is wrong. Anything it does not read fully
 * (a top level that is not an object, a real number, an integer outside
 * json_int_t, nesting deeper than max_depth, a key written with an escape,
 * and all invalid JSON:
 * bad syntax, a control character or invalid UTF-8 in a string, \u0000, a
 * lone surrogate, a duplicate key, anything after the object) gives NULL,
 * and the caller hands the text to json_loadb, which builds the tree or
 * says what is wrong, with its line and column. fuzz/fuzz_jsonr.c and
 * tests/test_jsonr.c hold it to that against jansson itself.
 *
 * Thread-safe; no state. */
#ifndef DESCOVO_JSONR_H
#define DESCOVO_JSONR_H

#include <jansson.h>
#include <stddef.h>

/* The deepest nesting jsonr reads (it recurses once per level). */
#define JSONR_MAX_DEPTH 64

/* The object in text[0..len), as a new reference; NULL when jsonr does not
 * read it (see above) or out of memory. The object itself is level 1;
 * max_depth is at most JSONR_MAX_DEPTH. */
json_t *jsonr_object(const char *text, size_t len, int max_depth);

#endif
