#include "jsonr_check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/jsonr.h"

/* Whether jsonr has to read a tree jansson read: no real anywhere, and no
 * deeper than its limit. */
static int plain_tree(const json_t *value, int depth)
{
    if (depth > JSONR_MAX_DEPTH || json_is_real(value))
        return 0;
    if (json_is_object(value)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member) {
            if (!plain_tree(member, depth + 1))
                return 0;
        }
    } else if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (!plain_tree(json_array_get(value, i), depth + 1))
                return 0;
        }
    }
    return 1;
}

/* Equal, and written the same (which holds key order too). */
static int same_tree(const json_t *a, const json_t *b)
{
    if (!json_equal((json_t *)a, (json_t *)b))
        return 0;
    char *text_a = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    char *text_b = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
    int same = text_a != NULL && text_b != NULL && strcmp(text_a, text_b) == 0;
    free(text_a);
    free(text_b);
    return same;
}

int jsonr_check(const char *text, size_t len, char *why, size_t why_size)
{
    json_t *fast = jsonr_object(text, len, JSONR_MAX_DEPTH);
    json_error_t error;
    json_t *slow = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    int rc = fast != NULL ? JSONR_READ : JSONR_GAVE_UP;
    if (fast != NULL && slow == NULL) {
        snprintf(why, why_size, "jsonr read a text jansson refuses (%s)", error.text);
        rc = -1;
    } else if (fast != NULL && !same_tree(fast, slow)) {
        snprintf(why, why_size, "jsonr and jansson read different trees");
        rc = -1;
    } else if (fast == NULL && slow != NULL && json_is_object(slow) && plain_tree(slow, 1) &&
               memchr(text, '\\', len) == NULL && memchr(text, '\0', len) == NULL) {
        snprintf(why, why_size, "jsonr gave up on a plain object jansson reads");
        rc = -1;
    }
    json_decref(fast);
    json_decref(slow);
    return rc;
}
