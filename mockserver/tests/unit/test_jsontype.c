/* jsontype: the one vocabulary in which error messages name JSON types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "text/jsontype.h"

static void check(const char *json, const char *name, const char *phrase)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    assert_string_equal(jsontype_name(v), name);
    assert_string_equal(jsontype_phrase(v), phrase);
    json_decref(v);
}

static void test_every_type(void **state)
{
    (void)state;
    check("{}", "object", "an object");
    check("[]", "array", "an array");
    check("\"x\"", "string", "a string");
    check("7", "integer", "an integer");
    check("1.5", "real number", "a real number");
    check("true", "boolean", "a boolean");
    check("false", "boolean", "a boolean");
    check("null", "null", "null");
    assert_string_equal(jsontype_name(NULL), "nothing");
    assert_string_equal(jsontype_phrase(NULL), "nothing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
    };
    return cmocka_run_group_tests_name("jsontype", tests, NULL, NULL);
}
