#include "text/jsontype.h"

const char *jsontype_name(const json_t *v)
{
    const char *phrase = jsontype_phrase(v);
    if (phrase[0] == 'a' && phrase[1] == ' ')
        return phrase + 2;
    if (phrase[0] == 'a' && phrase[1] == 'n' && phrase[2] == ' ')
        return phrase + 3;
    return phrase;
}

const char *jsontype_phrase(const json_t *v)
{
    if (v == NULL)
        return "nothing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value of unknown type"; /* a json_type jansson added since */
}
