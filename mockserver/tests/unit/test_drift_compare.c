/* Unit tests of drift/compare and drift/idmap: each kind of difference at
 * its path, nothing for values that naturally differ, ids learnt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drift/compare.h"
#include "drift/har.h"
#include "drift/idmap.h"

typedef struct fixture {
    drift_diffs diffs;
    idmap *ids;
    drift_compare c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->ids = idmap_new();
    f->c = (drift_compare){&f->diffs, f->ids, 7, "GET /v1/audiences/{id}"};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    drift_diffs_release(&f->diffs);
    idmap_free(f->ids);
    free(f);
    return 0;
}

static void compare(fixture *f, const char *recorded, const char *simulated)
{
    json_t *a = json_loads(recorded, 0, NULL);
    json_t *b = json_loads(simulated, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    drift_compare_json(&f->c, a, b);
    json_decref(a);
    json_decref(b);
}

static void assert_one(fixture *f, const char *path, const char *kind)
{
    assert_int_equal(f->diffs.n, 1);
    assert_string_equal(f->diffs.items[0].path, path);
    assert_string_equal(f->diffs.items[0].kind, kind);
    assert_int_equal(f->diffs.items[0].entry, 7);
}

static void test_natural_differences_are_none(void **state)
{
    fixture *f = *state;
    compare(f, "{\"output\":{\"audienceId\":\"aud_1\",\"name\":\"A\",\"createdAt\":\"2025-01-01T00:00:00.000Z\","
               "\"companiesCount\":3,\"items\":[{\"x\":1}],\"ok\":true},\"chargeInfo\":{\"method\":\"free\"}}",
            "{\"output\":{\"audienceId\":\"aud_2\",\"name\":\"B\",\"createdAt\":\"2026-03-04T05:06:07.890Z\","
               "\"companiesCount\":9.5,\"items\":[{\"x\":2},{\"x\":3}],\"ok\":false},\"chargeInfo\":{\"method\":\"free\"}}");
    assert_int_equal(f->diffs.n, 0);
    assert_string_equal(idmap_get(f->ids, "aud_1"), "aud_2");
}

static void test_missing_extra_type(void **state)
{
    fixture *f = *state;
    compare(f, "{\"output\":{\"a\":1,\"b\":null}}", "{\"output\":{\"b\":null,\"c\":1}}");
    assert_int_equal(f->diffs.n, 2);
    assert_string_equal(f->diffs.items[0].path, "output.a");
    assert_string_equal(f->diffs.items[0].kind, "missing");
    assert_string_equal(f->diffs.items[1].path, "output.c");
    assert_string_equal(f->diffs.items[1].kind, "extra");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"list\":[{\"n\":\"1\"}]}}", "{\"output\":{\"list\":[{\"n\":1}]}}");
    assert_one(f, "output.list[0].n", "type");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"at\":null}}", "{\"output\":{\"at\":\"2025-01-01T00:00:00.000Z\"}}");
    assert_one(f, "output.at", "type");
}

static void test_enums_and_formats(void **state)
{
    fixture *f = *state;
    compare(f, "{\"chargeInfo\":{\"method\":\"charged-now\"}}", "{\"chargeInfo\":{\"method\":\"free\"}}");
    assert_one(f, "chargeInfo.method", "value");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"status\":\"READY\"}}", "{\"output\":{\"status\":\"NORMAL\"}}");
    assert_one(f, "output.status", "value");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"status\":\"BUILDING\"}}", "{\"output\":{\"status\":\"NORMAL\"}}");
    assert_one(f, "output.status", "progress");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"createdAt\":\"2025-01-01T00:00:00Z\"}}",
            "{\"output\":{\"createdAt\":\"2025-01-01T00:00:00.000Z\"}}");
    assert_one(f, "output.createdAt", "format");
    drift_diffs_release(&f->diffs);
    compare(f, "{\"output\":{\"audienceId\":\"3f2b1c4d-0000-4000-8000-1234567890ab\"}}",
            "{\"output\":{\"audienceId\":\"aud_123\"}}");
    assert_one(f, "output.audienceId", "format");
}

static void test_headers(void **state)
{
    fixture *f = *state;
    drift_compare_headers(&f->c, "application/json; charset=utf-8", "30", "GET, POST", "application/json", "12",
                          "POST,GET");
    assert_int_equal(f->diffs.n, 0);
    drift_compare_headers(&f->c, "application/json", NULL, NULL, "application/json", "5", NULL);
    assert_one(f, "headers.Retry-After", "extra");
    drift_diffs_release(&f->diffs);
    drift_compare_headers(&f->c, "application/json", "Wed, 21 Oct 2026 07:28:00 GMT", NULL, "application/json", "5",
                          NULL);
    assert_one(f, "headers.Retry-After", "header");
}

static void test_csv_columns(void **state)
{
    fixture *f = *state;
    drift_compare_csv_columns(&f->c, "id,\"name\",web\r\n1,2,3\r\n", "id,name,web\r\n");
    assert_int_equal(f->diffs.n, 0);
    drift_compare_csv_columns(&f->c, "id,title,web\r\n", "id,name,web\r\n");
    assert_one(f, "csv.columns[1]", "csv-column");
    drift_diffs_release(&f->diffs);
    drift_compare_csv_columns(&f->c, "id,name\r\n", "id,name,web\r\n");
    assert_one(f, "csv.columns[2]", "csv-column");
}

static void test_iso_and_rows(void **state)
{
    (void)state;
    int64_t us = 0;
    assert_int_equal(drift_parse_iso("2025-01-01T00:00:00.000Z", &us), 0);
    assert_int_equal(us, 1735689600000000LL);
    assert_int_equal(drift_parse_iso("2025-01-01T01:00:00.250+01:00", &us), 0);
    assert_int_equal(us, 1735689600250000LL);
    assert_int_equal(drift_parse_iso("2025-01-01T00:00:00.123456Z", &us), 0);
    assert_int_equal(us, 1735689600123456LL);
    assert_int_equal(drift_parse_iso("2025-01-01 00:00:00", &us), -1);
    assert_int_equal(drift_csv_rows("a,b\r\n1,\"x\r\ny\"\r\n2,3"), 2);
    assert_int_equal(drift_csv_rows("a,b\r\n"), 0);
}

static void test_idmap_grows(void **state)
{
    (void)state;
    idmap *m = idmap_new();
    char from[32], to[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(from, sizeof from, "aud_%d", i);
        snprintf(to, sizeof to, "aud_sim_%d", i);
        assert_int_equal(idmap_put(m, from, to), 0);
    }
    assert_int_equal(idmap_size(m), 5000);
    assert_string_equal(idmap_get(m, "aud_4321"), "aud_sim_4321");
    assert_null(idmap_get(m, "aud_x"));
    idmap_put(m, "aud_1", "again");
    assert_string_equal(idmap_get(m, "aud_1"), "again");
    assert_int_equal(idmap_size(m), 5000);
    idmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_natural_differences_are_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_extra_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enums_and_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_columns, setup, teardown),
        cmocka_unit_test(test_iso_and_rows),
        cmocka_unit_test(test_idmap_grows),
    };
    return cmocka_run_group_tests_name("drift_compare", tests, NULL, NULL);
}
