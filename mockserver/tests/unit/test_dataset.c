/* Unit tests of dataset: generation, posting lists and rendering. The
 * default dataset (seed 42, 2000 companies) is generated once for the
 * group; tests that need another size generate their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data/dataset.h"
#include "text/strbuf.h"
#include "data/vocab.h"

#define DEFAULT_SEED 42
#define DEFAULT_COMPANIES 2000

static int group_setup(void **state)
{
    dataset *ds = dataset_generate(DEFAULT_SEED, DEFAULT_COMPANIES);
    if (ds == NULL)
        return -1;
    *state = ds;
    return 0;
}

static int group_teardown(void **state)
{
    dataset_free(*state);
    return 0;
}

/* The company cell as a new string (free it). */
static char *company_cell(const dataset *ds, uint32_t c, const char *column)
{
    strbuf sb = STRBUF_INIT;
    int col = vocab_company_column_find(column);
    assert_true(col >= 0);
    ds_company_cell(ds, c, col, &sb);
    strbuf_putc(&sb, '\0');
    assert_false(sb.oom);
    return strbuf_detach(&sb);
}

static char *prospect_cell(const dataset *ds, uint32_t p, const char *column,
                           unsigned revealed)
{
    strbuf sb = STRBUF_INIT;
    int col = vocab_prospect_column_find(column);
    assert_true(col >= 0);
    ds_prospect_cell(ds, p, col, revealed, &sb);
    strbuf_putc(&sb, '\0');
    assert_false(sb.oom);
    return strbuf_detach(&sb);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint32_t prospects_end(const dataset *ds, uint32_t c)
{
    return c + 1 < ds->n_companies ? ds->companies[c + 1].first_prospect
                                   : (uint32_t)ds->n_prospects;
}

/* ---- Generation --------------------------------------------------------- */

static void test_out_of_range(void **state)
{
    (void)state;
    assert_null(dataset_generate(1, 0));
    assert_null(dataset_generate(1, DATASET_MAX_COMPANIES + 1));
    dataset_free(NULL);
}

static void test_records_in_range(void **state)
{
    const dataset *ds = *state;
    assert_int_equal(ds->n_companies, DEFAULT_COMPANIES);
    for (size_t i = 0; i < ds->n_companies; i++) {
        const ds_company *c = &ds->companies[i];
        int n_ind = __builtin_popcountll(c->industries);
        assert_true(n_ind >= 1 && n_ind <= 3);
        assert_true((c->industries >> VOCAB_N_INDUSTRIES) == 0);
        assert_true(c->keywords != 0);
        assert_true(vocab_n_keywords == 64 || (c->keywords >> vocab_n_keywords) == 0);
        assert_true(c->employee_count >= 1 && c->employee_count <= 100000);
        assert_true(c->country < vocab_n_countries);
        assert_true(c->founded_year >= 1950 && c->founded_year <= 2025);
        assert_true(c->stage < VOCAB_N_STAGES);
    }
    for (size_t i = 0; i < ds->n_prospects; i++) {
        const ds_prospect *p = &ds->prospects[i];
        assert_true(p->company < ds->n_companies);
        assert_true(p->country < vocab_n_countries);
        assert_true(p->job_title < vocab_n_job_titles);
        assert_true(p->years_experience <= 45);
        assert_true((p->tags >> VOCAB_N_PROSPECT_TAGS) == 0);
        assert_true((p->contacts & ~(unsigned)DS_CONTACT_ALL) == 0);
    }
}

static void test_prospect_ranges(void **state)
{
    const dataset *ds = *state;
    assert_int_equal(ds->companies[0].first_prospect, 0);
    for (uint32_t c = 0; c < ds->n_companies; c++) {
        uint32_t first = ds->companies[c].first_prospect;
        uint32_t end = prospects_end(ds, c);
        assert_true(end > first);
        assert_true(end - first <= 60);
        assert_true(end - first <= ds->companies[c].employee_count);
        for (uint32_t p = first; p < end; p++)
            assert_int_equal(ds->prospects[p].company, c);
    }
    double avg = (double)ds->n_prospects / (double)ds->n_companies;
    assert_true(avg > 8.0 && avg < 12.5);
}

static void test_seniority_consistency(void **state)
{
    const dataset *ds = *state;
    unsigned csuite_group = 1u << vocab_static_group_find("c-suite");
    unsigned board_group = 1u << vocab_static_group_find("board-member");
    uint16_t csuite_tag = (uint16_t)(1u << vocab_prospect_tag_find("c-suite"));
    uint16_t board_tag = (uint16_t)(1u << vocab_prospect_tag_find("board-member"));
    int intern = vocab_dynamic_group_find("intern");
    size_t n_csuite = 0;

    for (size_t i = 0; i < ds->n_prospects; i++) {
        const ds_prospect *p = &ds->prospects[i];
        const vocab_job_title *t = &vocab_job_titles[p->job_title];
        assert_int_equal((t->static_groups & csuite_group) != 0, (p->tags & csuite_tag) != 0);
        assert_int_equal((t->static_groups & board_group) != 0, (p->tags & board_tag) != 0);
        if (t->dynamic_group == intern && t->static_groups == 0)
            assert_true(p->years_experience <= 2);
        n_csuite += (t->static_groups & csuite_group) != 0;
    }
    /* Chief officers are rare but present (founders-CEOs included). */
    assert_true(n_csuite > ds->n_prospects / 100);
    assert_true(n_csuite < ds->n_prospects / 6);
}

static void test_determinism(void **state)
{
    const dataset *ds = *state;
    dataset *again = dataset_generate(DEFAULT_SEED, DEFAULT_COMPANIES);
    assert_non_null(again);
    assert_int_equal(again->n_prospects, ds->n_prospects);
    assert_memory_equal(again->companies, ds->companies,
                        ds->n_companies * sizeof *ds->companies);
    assert_memory_equal(again->prospects, ds->prospects,
                        ds->n_prospects * sizeof *ds->prospects);

    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    for (uint32_t c = 0; c < ds->n_companies; c += 97) {
        for (int col = 0; col < VOCAB_N_COMPANY_COLUMNS; col++) {
            ds_company_cell(ds, c, col, &a);
            ds_company_cell(again, c, col, &b);
            strbuf_putc(&a, '|');
            strbuf_putc(&b, '|');
        }
    }
    for (uint32_t p = 0; p < ds->n_prospects; p += 331) {
        for (int col = 0; col < VOCAB_N_PROSPECT_COLUMNS; col++) {
            ds_prospect_cell(ds, p, col, DS_CONTACT_ALL, &a);
            ds_prospect_cell(again, p, col, DS_CONTACT_ALL, &b);
            strbuf_putc(&a, '|');
            strbuf_putc(&b, '|');
        }
    }
    assert_false(a.oom || b.oom);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    strbuf_release(&a);
    strbuf_release(&b);
    dataset_free(again);
}

static void test_other_seed_differs(void **state)
{
    const dataset *ds = *state;
    dataset *other = dataset_generate(DEFAULT_SEED + 1, DEFAULT_COMPANIES);
    char id1[24], id2[24];
    assert_non_null(other);
    assert_true(other->n_prospects != ds->n_prospects ||
                memcmp(other->companies, ds->companies,
                       ds->n_companies * sizeof *ds->companies) != 0);
    ds_company_id(ds, 0, id1);
    ds_company_id(other, 0, id2);
    assert_string_not_equal(id1, id2);
    char *n1 = company_cell(ds, 0, "name");
    char *n2 = company_cell(other, 0, "name");
    char *n3 = company_cell(ds, 1, "name");
    char *n4 = company_cell(other, 1, "name");
    assert_true(strcmp(n1, n2) != 0 || strcmp(n3, n4) != 0);
    free(n1);
    free(n2);
    free(n3);
    free(n4);
    dataset_free(other);
}

/* ---- Indexes ------------------------------------------------------------ */

typedef int (*has_key_fn)(const dataset *ds, uint32_t id, size_t key);

static int company_has_country(const dataset *ds, uint32_t id, size_t key)
{
    return ds->companies[id].country == key;
}

static int company_has_industry(const dataset *ds, uint32_t id, size_t key)
{
    return (ds->companies[id].industries >> key) & 1u;
}

static int prospect_has_country(const dataset *ds, uint32_t id, size_t key)
{
    return ds->prospects[id].country == key;
}

static int prospect_has_title(const dataset *ds, uint32_t id, size_t key)
{
    return ds->prospects[id].job_title == key;
}

/* Checks one posting list: ascending ids that all carry their key, and
 * every record listed under each of its keys exactly once (the number of
 * postings of a record equals its number of keys). */
static void check_index(const dataset *ds, const ds_index *idx, size_t n_keys,
                        size_t n_records, has_key_fn has_key)
{
    uint8_t *seen = calloc(n_records, 1);
    size_t expected_postings = 0;
    assert_non_null(seen);
    assert_int_equal(idx->n_keys, n_keys);
    assert_int_equal(idx->start[0], 0);
    for (size_t k = 0; k < n_keys; k++) {
        assert_true(idx->start[k] <= idx->start[k + 1]);
        for (uint32_t j = idx->start[k]; j < idx->start[k + 1]; j++) {
            uint32_t id = idx->ids[j];
            assert_true(id < n_records);
            assert_true(has_key(ds, id, k));
            if (j > idx->start[k])
                assert_true(idx->ids[j - 1] < id);
            seen[id]++;
        }
    }
    for (size_t id = 0; id < n_records; id++) {
        size_t keys = 0;
        for (size_t k = 0; k < n_keys; k++)
            keys += has_key(ds, (uint32_t)id, k) != 0;
        assert_int_equal(seen[id], keys);
        assert_true(keys >= 1);
        expected_postings += keys;
    }
    assert_int_equal(idx->start[n_keys], expected_postings);
    free(seen);
}

static void test_indexes(void **state)
{
    const dataset *ds = *state;
    check_index(ds, &ds->companies_by_country, vocab_n_countries,
                ds->n_companies, company_has_country);
    check_index(ds, &ds->companies_by_industry, VOCAB_N_INDUSTRIES,
                ds->n_companies, company_has_industry);
    check_index(ds, &ds->prospects_by_country, vocab_n_countries,
                ds->n_prospects, prospect_has_country);
    check_index(ds, &ds->prospects_by_job_title, vocab_n_job_titles,
                ds->n_prospects, prospect_has_title);
}

static void test_country_distribution(void **state)
{
    const dataset *ds = *state;
    const ds_index *idx = &ds->companies_by_country;
    int us = vocab_country_find("USA");
    int gb = vocab_country_find("GBR");
    uint32_t n_us = idx->start[us + 1] - idx->start[us];
    uint32_t n_gb = idx->start[gb + 1] - idx->start[gb];
    for (size_t k = 0; k < idx->n_keys; k++)
        assert_true(idx->start[k + 1] - idx->start[k] <= n_us);
    assert_true(n_us > ds->n_companies / 5);
    assert_true(n_gb > ds->n_companies / 40);
}

/* ---- Contacts ----------------------------------------------------------- */

static void test_contact_shares(void **state)
{
    (void)state;
    dataset *ds = dataset_generate(7, 20000);
    size_t work = 0, personal = 0, phone = 0;
    assert_non_null(ds);
    for (size_t i = 0; i < ds->n_prospects; i++) {
        work += (ds->prospects[i].contacts & DS_CONTACT_WORK_EMAIL) != 0;
        personal += (ds->prospects[i].contacts & DS_CONTACT_PERSONAL_EMAIL) != 0;
        phone += (ds->prospects[i].contacts & DS_CONTACT_PHONE) != 0;
    }
    double n = (double)ds->n_prospects;
    assert_true(work / n > 0.60 && work / n < 0.70);
    assert_true(personal / n > 0.25 && personal / n < 0.35);
    assert_true(phone / n > 0.20 && phone / n < 0.30);
    dataset_free(ds);
}

static uint32_t find_prospect(const dataset *ds, unsigned with, unsigned without)
{
    for (uint32_t p = 0; p < ds->n_prospects; p++) {
        unsigned c = ds->prospects[p].contacts;
        if ((c & with) == with && (c & without) == 0)
            return p;
    }
    fail_msg("no prospect with contacts %u and without %u", with, without);
    return 0;
}

static void test_revealed_email(void **state)
{
    const dataset *ds = *state;
    uint32_t p = find_prospect(ds, DS_CONTACT_WORK_EMAIL,
                               DS_CONTACT_PERSONAL_EMAIL | DS_CONTACT_PHONE);

    char *hidden = prospect_cell(ds, p, "work_email_1", 0);
    char *other_revealed = prospect_cell(ds, p, "work_email_1", DS_CONTACT_PHONE);
    char *unverified = prospect_cell(ds, p, "emails_verified", 0);
    assert_string_equal(hidden, "");
    assert_string_equal(other_revealed, "");
    assert_string_equal(unverified, "");

    char *shown = prospect_cell(ds, p, "work_email_1", DS_CONTACT_ALL);
    char *verified = prospect_cell(ds, p, "emails_verified", DS_CONTACT_ALL);
    char *domain = prospect_cell(ds, p, "company_domain", 0);
    char *personal = prospect_cell(ds, p, "personal_email_1", DS_CONTACT_ALL);
    char *phone = prospect_cell(ds, p, "phone_number_1", DS_CONTACT_ALL);
    assert_non_null(strchr(shown, '@'));
    assert_true(ends_with(shown, domain));
    assert_int_equal(strchr(shown, '@')[1 + strlen(domain)], '\0');
    assert_string_equal(verified, "true");
    /* The prospect has neither: revealing everything shows nothing. */
    assert_string_equal(personal, "");
    assert_string_equal(phone, "");

    free(hidden);
    free(other_revealed);
    free(unverified);
    free(shown);
    free(verified);
    free(domain);
    free(personal);
    free(phone);
}

static void test_personal_email_and_phone(void **state)
{
    const dataset *ds = *state;
    uint32_t p = find_prospect(ds, DS_CONTACT_PERSONAL_EMAIL | DS_CONTACT_PHONE, 0);
    char *email = prospect_cell(ds, p, "personal_email_1", DS_CONTACT_PERSONAL_EMAIL);
    char *phone = prospect_cell(ds, p, "phone_number_1", DS_CONTACT_PHONE);
    char *hidden_phone = prospect_cell(ds, p, "phone_number_1", DS_CONTACT_PERSONAL_EMAIL);

    /* Only RFC 2606 example domains for personal addresses. */
    assert_true(ends_with(email, "@example.com") || ends_with(email, "@example.net") ||
                ends_with(email, "@example.org"));
    assert_int_equal(phone[0], '+');
    assert_non_null(strstr(phone, " 555"));
    assert_string_equal(hidden_phone, "");
    free(email);
    free(phone);
    free(hidden_phone);
}

/* ---- Rendering ---------------------------------------------------------- */

static int is_hex_id(const char *id, const char *prefix)
{
    if (strncmp(id, prefix, 3) != 0 || strlen(id) != 15)
        return 0;
    for (const char *s = id + 3; *s != '\0'; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    }
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_ids(void **state)
{
    const dataset *ds = *state;
    size_t n = ds->n_companies + ds->n_prospects;
    char (*ids)[24] = malloc(n * sizeof *ids);
    assert_non_null(ids);
    for (uint32_t c = 0; c < ds->n_companies; c++) {
        ds_company_id(ds, c, ids[c]);
        assert_true(is_hex_id(ids[c], "dc_"));
    }
    for (uint32_t p = 0; p < ds->n_prospects; p++) {
        ds_prospect_id(ds, p, ids[ds->n_companies + p]);
        assert_true(is_hex_id(ids[ds->n_companies + p], "dp_"));
    }
    qsort(ids, n, sizeof *ids, cmp_str);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    char *cell = company_cell(ds, 5, "descovo_id");
    char id[24];
    ds_company_id(ds, 5, id);
    assert_string_equal(cell, id);
    free(cell);
    free(ids);
}

static void test_company_cells_filled(void **state)
{
    const dataset *ds = *state;
    static const char *const filled[] = {
        "descovo_id", "name", "all_names", "website", "domain", "linkedin_url",
        "description", "standard_industries", "hq_country", "hq_country_code",
        "employee_count_lower", "founded_on", "funding_stage", "tags",
    };
    for (uint32_t c = 0; c < 50; c++) {
        for (size_t i = 0; i < sizeof filled / sizeof filled[0]; i++) {
            char *v = company_cell(ds, c, filled[i]);
            assert_true(v[0] != '\0');
            free(v);
        }
        char *founded = company_cell(ds, c, "founded_on");
        assert_int_equal(strlen(founded), 10);
        assert_string_equal(founded + 4, "-01-01");
        free(founded);
        char *website = company_cell(ds, c, "website");
        char *domain = company_cell(ds, c, "domain");
        assert_string_equal(website + strlen("https://www."), domain);
        free(website);
        free(domain);
    }
    char *empty = company_cell(ds, 0, "naics_codes");
    assert_string_equal(empty, "");
    free(empty);
    /* Out-of-range columns append nothing. */
    strbuf sb = STRBUF_INIT;
    ds_company_cell(ds, 0, -1, &sb);
    ds_company_cell(ds, 0, VOCAB_N_COMPANY_COLUMNS, &sb);
    assert_int_equal(sb.len, 0);
    strbuf_release(&sb);
}

static void test_employee_bucket_cells(void **state)
{
    const dataset *ds = *state;
    for (uint32_t c = 0; c < ds->n_companies; c += 7) {
        char *lo = company_cell(ds, c, "employee_count_lower");
        char *hi = company_cell(ds, c, "employee_count_upper");
        long lower = strtol(lo, NULL, 10);
        uint32_t count = ds->companies[c].employee_count;
        assert_true((uint32_t)lower < count);
        if (hi[0] != '\0')
            assert_true(count <= (uint32_t)strtol(hi, NULL, 10));
        else
            assert_true(count > 10000);
        free(lo);
        free(hi);
    }
}

static void test_prospect_cells_filled(void **state)
{
    const dataset *ds = *state;
    static const char *const filled[] = {
        "descovo_id", "first_name", "last_name", "full_name", "profile_url",
        "company", "company_domain", "company_description",
        "company_linkedin_url", "job_title", "headline", "country",
        "country_code", "years_of_experience", "industry", "job_seniority",
        "job_function", "company_hq_country", "company_hq_country_code",
        "company_founding_date", "company_employee_count_lower",
        "company_industries", "company_funding_stage", "company_tags",
    };
    for (uint32_t p = 0; p < 200; p++) {
        for (size_t i = 0; i < sizeof filled / sizeof filled[0]; i++) {
            char *v = prospect_cell(ds, p, filled[i], 0);
            assert_true(v[0] != '\0');
            free(v);
        }
    }
    uint32_t p = 3;
    uint32_t c = ds->prospects[p].company;
    char *company = prospect_cell(ds, p, "company", 0);
    char *name = company_cell(ds, c, "name");
    char *headline = prospect_cell(ds, p, "headline", 0);
    char *title = prospect_cell(ds, p, "job_title", 0);
    char *seniority = prospect_cell(ds, p, "job_seniority", 0);
    assert_string_equal(company, name);
    assert_true(ends_with(headline, name));
    assert_memory_equal(headline, title, strlen(title));
    assert_true(vocab_dynamic_group_find(seniority) >= 0);
    free(company);
    free(name);
    free(headline);
    free(title);
    free(seniority);
}

/* Domains and e-mail local parts are plain ASCII even for accented names. */
static void test_domains_ascii(void **state)
{
    const dataset *ds = *state;
    for (uint32_t c = 0; c < ds->n_companies; c++) {
        char *d = company_cell(ds, c, "domain");
        assert_true(strlen(d) > 3);
        assert_non_null(strchr(d, '.'));
        for (const char *s = d; *s != '\0'; s++)
            assert_true((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                        *s == '.' || *s == '-');
        free(d);
    }
}

static int needs_csv_quoting(const char *s)
{
    return strpbrk(s, ",\"\r\n") != NULL;
}

static int has_non_ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80)
            return 1;
    }
    return 0;
}

static void test_texts_exercise_csv(void **state)
{
    const dataset *ds = *state;
    int name_comma = 0, name_quote = 0, name_utf8 = 0;
    int desc_quote = 0, desc_newline = 0, desc_comma = 0;
    size_t quoted_names = 0;
    for (uint32_t c = 0; c < ds->n_companies; c++) {
        char *name = company_cell(ds, c, "name");
        char *desc = company_cell(ds, c, "description");
        name_comma |= strchr(name, ',') != NULL;
        name_quote |= strchr(name, '"') != NULL;
        name_utf8 |= has_non_ascii(name);
        desc_quote |= strchr(desc, '"') != NULL;
        desc_newline |= strchr(desc, '\n') != NULL;
        desc_comma |= strchr(desc, ',') != NULL;
        assert_true(name[0] != '\0');
        quoted_names += needs_csv_quoting(name);
        free(name);
        free(desc);
    }
    assert_true(quoted_names > 0);
    assert_true(name_comma);
    assert_true(name_quote);
    assert_true(name_utf8);
    assert_true(desc_quote);
    assert_true(desc_newline);
    assert_true(desc_comma);

    int first_utf8 = 0, last_apostrophe = 0;
    for (uint32_t p = 0; p < ds->n_prospects; p++) {
        char *first = prospect_cell(ds, p, "first_name", 0);
        char *last = prospect_cell(ds, p, "last_name", 0);
        first_utf8 |= has_non_ascii(first);
        last_apostrophe |= strchr(last, '\'') != NULL;
        free(first);
        free(last);
        if (first_utf8 && last_apostrophe)
            break;
    }
    assert_true(first_utf8);
    assert_true(last_apostrophe);
}

static void test_items(void **state)
{
    const dataset *ds = *state;
    char id[24];
    json_t *item = ds_company_item(ds, 10);
    assert_non_null(item);
    ds_company_id(ds, 10, id);
    assert_string_equal(json_string_value(json_object_get(item, "companyId")), id);
    assert_int_equal(json_integer_value(json_object_get(item, "headcount")),
                     ds->companies[10].employee_count);
    char *name = company_cell(ds, 10, "name");
    char *domain = company_cell(ds, 10, "domain");
    char *url = company_cell(ds, 10, "linkedin_url");
    assert_string_equal(json_string_value(json_object_get(item, "name")), name);
    assert_string_equal(json_string_value(json_object_get(item, "domain")), domain);
    assert_string_equal(json_string_value(json_object_get(item, "linkedinUrl")), url);
    assert_true(vocab_industry_find(json_string_value(json_object_get(item, "industry"))) >= 0);
    free(name);
    free(domain);
    free(url);
    json_decref(item);

    item = ds_prospect_item(ds, 25);
    assert_non_null(item);
    ds_prospect_id(ds, 25, id);
    assert_string_equal(json_string_value(json_object_get(item, "prospectId")), id);
    char *first = prospect_cell(ds, 25, "first_name", 0);
    char *company = prospect_cell(ds, 25, "company", 0);
    char *country = prospect_cell(ds, 25, "country", 0);
    assert_string_equal(json_string_value(json_object_get(item, "firstName")), first);
    assert_string_equal(json_string_value(json_object_get(item, "companyName")), company);
    assert_true(ends_with(json_string_value(json_object_get(item, "location")), country));
    assert_non_null(json_string_value(json_object_get(item, "lastName")));
    assert_non_null(json_string_value(json_object_get(item, "jobTitle")));
    assert_non_null(json_string_value(json_object_get(item, "linkedinUrl")));
    free(first);
    free(company);
    free(country);
    json_decref(item);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_records_in_range),
        cmocka_unit_test(test_prospect_ranges),
        cmocka_unit_test(test_seniority_consistency),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_indexes),
        cmocka_unit_test(test_country_distribution),
        cmocka_unit_test(test_contact_shares),
        cmocka_unit_test(test_revealed_email),
        cmocka_unit_test(test_personal_email_and_phone),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_company_cells_filled),
        cmocka_unit_test(test_employee_bucket_cells),
        cmocka_unit_test(test_prospect_cells_filled),
        cmocka_unit_test(test_domains_ascii),
        cmocka_unit_test(test_texts_exercise_csv),
        cmocka_unit_test(test_items),
    };
    return cmocka_run_group_tests_name("dataset", tests, group_setup, group_teardown);
}
