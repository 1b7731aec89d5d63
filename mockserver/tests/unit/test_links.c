/* links: every URL the simulator hands out is one its route table serves
 * (a GET route whose pattern matches the link's path), and a link that does
 * not fit is reported, not silently cut into another path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/links.h"
#include "api/routes.h"

/* Whether path matches pattern, "{id}" standing for one segment. */
static int matches(const char *pattern, const char *path)
{
    while (*pattern != '\0' && *path != '\0') {
        if (strncmp(pattern, "{id}", 4) == 0) {
            size_t n = strcspn(path, "/");
            if (n == 0)
                return 0;
            path += n;
            pattern += 4;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static int served_by_get(const char *path)
{
    const char *method = NULL;
    const char *pattern;
    for (size_t i = 0; (pattern = routes_pattern(i, &method)) != NULL; i++) {
        if (strcmp(method, "GET") == 0 && matches(pattern, path))
            return 1;
    }
    return 0;
}

static void test_links_are_routes(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(links_download("", "exp_abc", out, sizeof out), 0);
    assert_true(served_by_get(out));
    assert_int_equal(links_enrichment_status("", "aud_1", out, sizeof out), 0);
    assert_true(served_by_get(out));
    /* and the matcher itself can say no */
    assert_false(served_by_get("/v1/nowhere/aud_1"));
}

static void test_links_carry_the_base_url(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(links_download("http://127.0.0.1:9", "exp_abc", out, sizeof out), 0);
    assert_string_equal(out, "http://127.0.0.1:9/v1/exports/exp_abc");
}

static void test_links_report_truncation(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(links_enrichment_status("http://127.0.0.1:9", "aud_1", out, sizeof out), -1);
    assert_int_equal(strlen(out), sizeof out - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_are_routes),
        cmocka_unit_test(test_links_carry_the_base_url),
        cmocka_unit_test(test_links_report_truncation),
    };
    return cmocka_run_group_tests_name("links", tests, NULL, NULL);
}
