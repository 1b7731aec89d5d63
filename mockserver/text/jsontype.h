/* jsontype: how error messages name the JSON type of what a client sent,
 * in one vocabulary for every module ("expected a string, got integer").
 * Pure functions over jansson values: any thread. */
#ifndef DESCOVO_JSONTYPE_H
#define DESCOVO_JSONTYPE_H

#include <jansson.h>

/* "object", "array", "string", "integer", "real number", "boolean" or
 * "null"; "nothing" for NULL (a missing value). A static string. */
const char *jsontype_name(const json_t *v);

/* The same with its article: "an object", "a string", "a real number", ...,
 * "null", "nothing". A static string. */
const char *jsontype_phrase(const json_t *v);

#endif
