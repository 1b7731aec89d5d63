/* Unit tests of vocab: lookups, generated tables and the simulator's own
 * tables. No server, no dataset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "data/vocab.h"

static void test_industry_lookup(void **state)
{
    (void)state;
    int ai = vocab_industry_find("Artificial Intelligence");
    assert_true(ai >= 0);
    assert_int_equal(vocab_industry_find("artificial-intelligence"), ai);
    assert_int_equal(vocab_industry_find("ARTIFICIAL intelligence"), ai);
    assert_int_equal(vocab_industry_find("Artificial-Intelligence"), ai);
    assert_string_equal(vocab_industry_slugs[ai], "artificial-intelligence");

    int mkt = vocab_industry_find("Marketing & Advertising");
    assert_true(mkt >= 0);
    assert_int_equal(vocab_industry_find("marketing-and-advertising"), mkt);

    assert_int_equal(vocab_industry_find("Basket Weaving"), -1);
    assert_int_equal(vocab_industry_find(""), -1);
    assert_int_equal(vocab_industry_find(NULL), -1);
}

static void test_industry_slugs_are_clean(void **state)
{
    (void)state;
    for (int i = 0; i < VOCAB_N_INDUSTRIES; i++) {
        const char *s = vocab_industry_slugs[i];
        assert_true(s[0] != '\0' && s[0] != '-');
        assert_true(s[strlen(s) - 1] != '-');
        assert_null(strstr(s, "--"));
        for (const char *p = s; *p != '\0'; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
        assert_int_equal(vocab_industry_find(s), i);
        assert_int_equal(vocab_industry_find(vocab_industry_names[i]), i);
    }
}

static void test_stages(void **state)
{
    (void)state;
    assert_int_equal(vocab_stage_find("acquired"), 0);
    assert_true(vocab_stage_find("SERIES_A") >= 0);
    assert_true(vocab_stage_find("no_funding_yet") >= 0);
    assert_int_equal(vocab_stage_find("series_z"), -1);
}

static void test_country_lookup(void **state)
{
    (void)state;
    int us = vocab_country_find("USA");
    assert_true(us >= 0);
    assert_int_equal(vocab_country_find("US"), us);
    assert_int_equal(vocab_country_find("us"), us);
    assert_int_equal(vocab_country_find("usa"), us);
    assert_string_equal(vocab_countries[us].iso2, "US");
    assert_string_equal(vocab_countries[us].name, "United States");

    int de = vocab_country_find("DE");
    assert_true(de >= 0);
    assert_string_equal(vocab_countries[de].iso3, "DEU");
    assert_string_equal(vocab_countries[de].name, "Germany");

    /* Codes ISO 3166-1 lacks come from the generator's own table. */
    int xk = vocab_country_find("XKX");
    assert_true(xk >= 0);
    assert_string_equal(vocab_countries[xk].iso2, "XK");
    assert_int_equal(vocab_country_find("XK"), xk);
    int an = vocab_country_find("ANT");
    assert_true(an >= 0);
    assert_string_equal(vocab_countries[an].iso2, "AN");

    assert_int_equal(vocab_country_find("ZZZ"), -1);
    assert_int_equal(vocab_country_find("X-DACH"), -1);
    assert_int_equal(vocab_country_find(""), -1);
    assert_int_equal(vocab_country_find(NULL), -1);
}

static void test_country_table(void **state)
{
    (void)state;
    assert_true(vocab_n_countries > 240 && vocab_n_countries < 300);
    for (size_t i = 0; i < vocab_n_countries; i++) {
        assert_int_equal(strlen(vocab_countries[i].iso2), 2);
        assert_int_equal(strlen(vocab_countries[i].iso3), 3);
        assert_true(vocab_countries[i].name[0] != '\0');
        /* alpha-3 codes are unique, so a lookup lands on the entry. */
        assert_int_equal(vocab_country_find(vocab_countries[i].iso3), (int)i);
    }
}

static void test_regions(void **state)
{
    (void)state;
    int dach = vocab_region_find("X-DACH");
    assert_true(dach >= 0);
    assert_int_equal(vocab_region_find("x-dach"), dach);
    const char *const *m = vocab_regions[dach].members;
    assert_non_null(m);
    assert_string_equal(m[0], "DEU");
    assert_string_equal(m[1], "AUT");
    assert_string_equal(m[2], "CHE");
    assert_null(m[3]);

    int eu = vocab_region_find("X-EUROPEAN_UNION");
    assert_true(eu >= 0);
    size_t n = 0;
    while (vocab_regions[eu].members[n] != NULL)
        n++;
    assert_int_equal(n, 27);

    /* Known but not simulated. */
    int emea = vocab_region_find("X-EMEA");
    assert_true(emea >= 0);
    assert_null(vocab_regions[emea].members);

    assert_int_equal(vocab_region_find("X-ATLANTIS"), -1);
    assert_int_equal(vocab_region_find("DEU"), -1);
}

static void test_region_members_are_countries(void **state)
{
    (void)state;
    static const char *const simulated[] = {
        "X-DACH", "X-NORDICS", "X-BENELUX", "X-EUROPEAN_UNION",
        "X-NORTH_AMERICA", "X-LATAM", "X-APAC", "X-GCC", "X-ANGLOSPHERE",
        "X-MIDDLE_EAST", "X-EFTA", "X-BRICS", "X-G20",
    };
    for (size_t i = 0; i < sizeof simulated / sizeof simulated[0]; i++) {
        int r = vocab_region_find(simulated[i]);
        assert_true(r >= 0);
        assert_non_null(vocab_regions[r].members);
    }
    for (size_t r = 0; r < vocab_n_regions; r++) {
        assert_memory_equal(vocab_regions[r].code, "X-", 2);
        if (vocab_regions[r].members == NULL)
            continue;
        for (const char *const *m = vocab_regions[r].members; *m != NULL; m++)
            assert_true(vocab_country_find(*m) >= 0);
    }
}

static void test_columns(void **state)
{
    (void)state;
    assert_string_equal(vocab_company_columns[0], "descovo_id");
    assert_string_equal(vocab_prospect_columns[0], "descovo_id");
    assert_string_equal(vocab_company_columns[VOCAB_N_COMPANY_COLUMNS - 1], "custom");
    assert_string_equal(vocab_prospect_columns[VOCAB_N_PROSPECT_COLUMNS - 1], "custom");
    for (int i = 0; i < VOCAB_N_COMPANY_COLUMNS; i++)
        assert_int_equal(vocab_company_column_find(vocab_company_columns[i]), i);
    for (int i = 0; i < VOCAB_N_PROSPECT_COLUMNS; i++)
        assert_int_equal(vocab_prospect_column_find(vocab_prospect_columns[i]), i);
    assert_int_equal(vocab_company_column_find("DESCOVO_ID"), 0);
    assert_true(vocab_company_column_find("hq_country_code") > 0);
    assert_true(vocab_prospect_column_find("work_email_1") > 0);
    assert_int_equal(vocab_company_column_find("work_email_1"), -1);
    assert_int_equal(vocab_prospect_column_find("no_such_column"), -1);
}

static void test_filter_keys(void **state)
{
    (void)state;
    assert_true(vocab_company_filter_key_find("industriesV2") >= 0);
    assert_true(vocab_company_filter_key_find("revenueUSD") >= 0);
    assert_true(vocab_prospect_filter_key_find("jobTitleV2") >= 0);
    assert_true(vocab_prospect_filter_key_find("country3LetterCode") >= 0);
    assert_int_equal(vocab_company_filter_key_find("jobTitleV2"), -1);
    assert_int_equal(vocab_prospect_filter_key_find("ExtraField"), -1);
    assert_int_equal(vocab_n_company_filter_keys, 36);
    assert_int_equal(vocab_n_prospect_filter_keys, 29);
}

static void test_keywords(void **state)
{
    (void)state;
    assert_true(vocab_n_keywords >= 40 && vocab_n_keywords <= VOCAB_MAX_KEYWORDS);
    for (size_t i = 0; i < vocab_n_keywords; i++)
        assert_int_equal(vocab_keyword_find(vocab_keywords[i]), (int)i);
    assert_true(vocab_keyword_find("SaaS") >= 0);
    assert_true(vocab_keyword_find("machine learning") >= 0);
    assert_int_equal(vocab_keyword_find("underwater basket weaving"), -1);
}

static void test_tags_and_groups(void **state)
{
    (void)state;
    assert_int_equal(vocab_prospect_tag_find("student"), 0);
    assert_true(vocab_prospect_tag_find("C-Suite") >= 0);
    assert_int_equal(vocab_prospect_tag_find("astronaut"), -1);
    assert_int_equal(vocab_static_group_find("founder"), 0);
    assert_int_equal(vocab_static_group_find("board-member"), 2);
    assert_int_equal(vocab_dynamic_group_find("vp"), 0);
    assert_int_equal(vocab_dynamic_group_find("INTERN"), 5);
    assert_int_equal(vocab_dynamic_group_find("c-suite"), -1);
}

static const vocab_job_title *title_named(const char *name)
{
    for (size_t i = 0; i < vocab_n_job_titles; i++) {
        if (strcmp(vocab_job_titles[i].title, name) == 0)
            return &vocab_job_titles[i];
    }
    return NULL;
}

static void test_job_titles(void **state)
{
    (void)state;
    assert_true(vocab_n_job_titles >= 60 && vocab_n_job_titles <= 120);
    for (size_t i = 0; i < vocab_n_job_titles; i++) {
        const vocab_job_title *t = &vocab_job_titles[i];
        assert_true(t->dynamic_group < VOCAB_N_DYNAMIC_GROUPS);
        assert_true(t->static_groups < (1u << VOCAB_N_STATIC_GROUPS));
        assert_true(t->function[0] != '\0');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(vocab_job_titles[j].title, t->title);
    }
    unsigned founder = 1u << vocab_static_group_find("founder");
    unsigned csuite = 1u << vocab_static_group_find("c-suite");
    unsigned board = 1u << vocab_static_group_find("board-member");

    const vocab_job_title *t = title_named("VP of Engineering");
    assert_non_null(t);
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("vp"));
    t = title_named("Director of Marketing");
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("director"));
    t = title_named("Engineering Manager");
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("management"));
    t = title_named("Software Engineer");
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("entry-level"));
    t = title_named("Executive Assistant");
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("assistant"));
    t = title_named("Marketing Intern");
    assert_int_equal(t->dynamic_group, vocab_dynamic_group_find("intern"));
    assert_int_equal(title_named("CEO")->static_groups, csuite);
    assert_int_equal(title_named("Founder")->static_groups, founder);
    assert_int_equal(title_named("Board Member")->static_groups, board);
    assert_int_equal(title_named("Founder & CEO")->static_groups, founder | csuite);
}

static void test_employee_bounds(void **state)
{
    (void)state;
    static const int expected[VOCAB_N_EMPLOYEE_BOUNDS] = {
        0, 1, 10, 50, 200, 500, 1000, 5000, 10000,
    };
    assert_memory_equal(vocab_employee_bounds, expected, sizeof expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_industry_lookup),
        cmocka_unit_test(test_industry_slugs_are_clean),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_country_lookup),
        cmocka_unit_test(test_country_table),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_region_members_are_countries),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_filter_keys),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_tags_and_groups),
        cmocka_unit_test(test_job_titles),
        cmocka_unit_test(test_employee_bounds),
    };
    return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
