/* libFuzzer target: jsonr, the fast reader of request bodies, against
 * jansson on any input (tests/jsonr_check.c): where jsonr reads a text it
 * must build jansson's tree, and it must not give up on a plain object. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonr_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    if (jsonr_check((const char *)data, size, why, sizeof why) < 0) {
        fprintf(stderr, "jsonr broke its promise: %s\n", why);
        abort();
    }
    return 0;
}
