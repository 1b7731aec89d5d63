/* End to end over HTTP: the nine steps in both creation methods, credits
 * exact to the credit, enrichment progress, and the exported CSVs read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv_read.h"
#include "harness.h"

static json_t *output_of(const http_response *res)
{
    return json_object_get(res->json, "output");
}

static long long out_int(const http_response *res, const char *field)
{
    json_t *value = json_object_get(output_of(res), field);
    if (!json_is_integer(value))
        fail_msg("output.%s is not an integer in %s", field, res->raw);
    return json_integer_value(value);
}

static const char *out_str(const http_response *res, const char *field)
{
    const char *value = json_string_value(json_object_get(output_of(res), field));
    if (value == NULL)
        fail_msg("output.%s is not a string in %s", field, res->raw);
    return value;
}

static void assert_charge(const http_response *res, const char *method)
{
    const char *got = json_string_value(json_object_get(json_object_get(res->json, "chargeInfo"), "method"));
    assert_non_null(got);
    assert_string_equal(got, method);
}

/* Polls enrichment status, advancing the clock, until DONE. Checks on every
 * poll that progress never goes back and that the steps add up. */
static void wait_enrichment(harness *h, const char *id)
{
    int last_percent = -1;
    size_t total_steps = 0;
    for (int i = 0; i < 500; i++) {
        http_response res;
        assert_int_equal(harness_get(h, &res, "/v1/audiences/%s/enrichment/status?apiKey=%s", id, DEV_KEY), 200);
        assert_charge(&res, "free");
        int percent = (int)out_int(&res, "progressPercent");
        const char *stage = out_str(&res, "currentStage");
        size_t done = json_array_size(json_object_get(output_of(&res), "stepsCompleted"));
        size_t left = json_array_size(json_object_get(output_of(&res), "stepsRemaining"));
        json_t *current = json_object_get(output_of(&res), "currentStep");
        assert_true(percent >= last_percent);
        assert_true(percent >= 0 && percent <= 100);
        size_t steps = done + left + (json_is_string(current) ? 1 : 0);
        if (total_steps == 0)
            total_steps = steps;
        assert_int_equal(steps, total_steps);
        last_percent = percent;
        int finished = strcmp(stage, "DONE") == 0;
        if (finished) {
            assert_int_equal(percent, 100);
            assert_int_equal(left, 0);
            assert_true(json_is_null(current));
            assert_true(json_is_string(json_object_get(output_of(&res), "completedAt")));
        } else {
            assert_true(percent < 100);
            assert_string_equal(json_string_value(current), stage);
        }
        http_response_free(&res);
        if (finished)
            return;
        harness_advance(h, 1.0);
    }
    fail_msg("enrichment never finished");
}

/* Requests an export, downloads it and parses it. Returns estimatedRows. */
static long long export_csv(harness *h, const char *id, const char *kind, const char *extra, csv_table *table)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/%s", id, kind);
    http_response res;
    const char *format = strcmp(kind, "companies") == 0 ? "COMPANY_GENERIC_CSV" : "PROSPECT_GENERIC_CSV";
    long status = harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"%s\"%s}", DEV_KEY, format, extra);
    if (status != 200)
        fail_msg("export %s: %ld %s", kind, status, res.raw);
    assert_charge(&res, "free");
    long long rows = out_int(&res, "estimatedRows");
    assert_true(out_int(&res, "maxRowsAllowed") >= rows);
    size_t len = 0;
    long dl_status = 0;
    char *csv = harness_download(h, out_str(&res, "downloadUrl"), &len, &dl_status);
    assert_int_equal(dl_status, 200);
    size_t where = 0;
    if (csv_parse(csv, len, table, &where) != 0)
        fail_msg("CSV from %s does not parse at byte %zu", kind, where);
    assert_int_equal(table->n, (size_t)rows + 1);
    free(csv);
    http_response_free(&res);
    return rows;
}

static void test_normal_workflow(void **state)
{
    harness *h = *state;
    long long credits0 = harness_credits(h, DEV_KEY);
    http_response res;

    /* 1. create */
    assert_int_equal(harness_send(h, "POST", &res, "/v1/audiences/create",
                                  "{\"apiKey\":\"%s\",\"name\":\"AI VPs in US\"}", DEV_KEY), 200);
    assert_string_equal(out_str(&res, "status"), "DRAFT");
    assert_string_equal(out_str(&res, "name"), "AI VPs in US");
    assert_non_null(out_str(&res, "audienceSearchLogicId"));
    assert_int_equal(strlen(out_str(&res, "createdAt")), 24);
    assert_charge(&res, "free");
    char id[64];
    snprintf(id, sizeof id, "%s", out_str(&res, "audienceId"));
    http_response_free(&res);

    /* 2. filters, docs dialect */
    harness_set_filters(h, DEV_KEY, id,
                        "\"companySearchParams\":{\"headquartersCountryCode\":[\"US\",\"GB\",\"DE\"],"
                        "\"employeeCountV2\":{\"min\":10,\"max\":5000}},"
                        "\"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":1,\"max\":40}},"
                        "\"maxCompanies\":40,\"maxProspects\":150");

    /* 3-4. build, poll */
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", DEV_KEY), 200);
    assert_string_equal(out_str(&res, "status"), "BUILDING");
    assert_charge(&res, "charging-later");
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), credits0); /* charged only at completion */
    harness_wait_normal(h, DEV_KEY, id);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY), 200);
    long long companies = out_int(&res, "companiesCount");
    long long prospects = out_int(&res, "prospectsCount");
    assert_true(companies > 0 && companies <= 40);
    assert_true(prospects > 0 && prospects <= 150);
    assert_string_equal(out_str(&res, "creationMethod"), "NORMAL");
    assert_non_null(out_str(&res, "buildingFinishedAt"));
    http_response_free(&res);
    long long credits1 = harness_credits(h, DEV_KEY);
    assert_int_equal(credits1, credits0 - companies - prospects);

    /* 5. estimate (free) */
    snprintf(path, sizeof path, "/v1/audiences/%s/enrichment/estimate", id);
    const char *enrich_body = "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":50,"
                              "\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}}";
    assert_int_equal(harness_send(h, "POST", &res, path, enrich_body, DEV_KEY), 200);
    assert_charge(&res, "free");
    long long estimate = out_int(&res, "totalCredits");
    json_t *breakdown = json_object_get(output_of(&res), "breakdown");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(breakdown, "waterfall"), "operations"), "personalEmail")), 0);
    assert_true(estimate > 0);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), credits1);

    /* 6. enrich (charged now, exactly the estimate) */
    snprintf(path, sizeof path, "/v1/audiences/%s/enrich", id);
    assert_int_equal(harness_send(h, "POST", &res, path, enrich_body, DEV_KEY), 200);
    assert_charge(&res, "charged-now");
    assert_string_equal(out_str(&res, "status"), "NOT_STARTED");
    assert_int_equal(out_int(&res, "estimatedCredits"), estimate);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "chargeInfo"), "creditsCharged")), estimate);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), credits1 - estimate);

    /* 7. poll enrichment */
    wait_enrichment(h, id);

    /* 8. export companies */
    csv_table table;
    long long rows = export_csv(h, id, "companies", "", &table);
    assert_int_equal(rows, companies);
    assert_int_equal(csv_column(&table, "descovo_id"), 0);
    assert_true(csv_column(&table, "domain") > 0);
    csv_table_free(&table);

    /* 9. export prospects with contacts only: every row has one. */
    rows = export_csv(h, id, "prospects", ",\"onlyWithContacts\":true", &table);
    assert_true(rows > 0 && rows <= 50);
    int work = csv_column(&table, "work_email_1");
    int personal = csv_column(&table, "personal_email_1");
    int phone = csv_column(&table, "phone_number_1");
    assert_true(work >= 0 && personal >= 0 && phone >= 0);
    for (size_t r = 1; r < table.n; r++) {
        const csv_record *rec = &table.records[r];
        assert_true(rec->cells[work].len > 0 || rec->cells[phone].len > 0);
        assert_int_equal(rec->cells[personal].len, 0); /* not requested: never revealed */
    }
    csv_table_free(&table);
    /* Exports and polls are free. */
    assert_int_equal(harness_credits(h, DEV_KEY), credits1 - estimate);
}

static void test_start_from_prospects_spec_dialect(void **state)
{
    harness *h = *state;
    long long credits0 = harness_credits(h, DEV_KEY);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "Engineers", "START_FROM_PROSPECTS"));
    harness_set_filters(h, DEV_KEY, id,
                        "\"prospectSearchParams\":{\"country3LetterCode\":{\"anyOf\":[\"USA\",\"X-DACH\"]},"
                        "\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"entry-level\",\"management\"]}]}},"
                        "\"maxProspects\":30");
    harness_build_until_normal(h, DEV_KEY, id);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY), 200);
    long long companies = out_int(&res, "companiesCount");
    long long prospects = out_int(&res, "prospectsCount");
    assert_string_equal(out_str(&res, "creationMethod"), "START_FROM_PROSPECTS");
    assert_true(prospects > 0 && prospects <= 30);
    assert_true(companies > 0 && companies <= prospects);
    http_response_free(&res);
    assert_int_equal(harness_credits(h, DEV_KEY), credits0 - companies - prospects);

    /* Every prospect page item is in the requested countries. */
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s/prospects?apiKey=%s&pageSize=500", id, DEV_KEY), 200);
    json_t *items = json_object_get(output_of(&res), "prospects");
    assert_int_equal(json_array_size(items), (size_t)prospects);
    assert_int_equal(out_int(&res, "totalCount"), prospects);
    assert_false(json_is_true(json_object_get(output_of(&res), "hasMore")));
    http_response_free(&res);

    /* Enrichment is optional: export straight away; no contact revealed. */
    csv_table table;
    long long rows = export_csv(h, id, "prospects", ",\"excludeFields\":[\"summary\",\"headline\"]", &table);
    assert_int_equal(rows, prospects);
    assert_int_equal(csv_column(&table, "headline"), -1);
    int work = csv_column(&table, "work_email_1");
    int country = csv_column(&table, "country_code");
    assert_true(work >= 0 && country >= 0);
    for (size_t r = 1; r < table.n; r++) {
        const char *cc = table.records[r].cells[country].data;
        assert_int_equal(table.records[r].cells[work].len, 0);
        assert_true(strcmp(cc, "US") == 0 || strcmp(cc, "DE") == 0 || strcmp(cc, "AT") == 0 || strcmp(cc, "CH") == 0);
    }
    csv_table_free(&table);
}

static void test_pages_walk_with_cursor(void **state)
{
    harness *h = *state;
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "Paged", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    harness_build_until_normal(h, DEV_KEY, id);
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY), 200);
    long long total = out_int(&res, "companiesCount");
    http_response_free(&res);
    char cursor[64] = "";
    long long seen = 0;
    for (int page = 0; page < 100; page++) {
        assert_int_equal(harness_get(h, &res, "/v1/audiences/%s/companies?apiKey=%s&pageSize=37%s%s", id, DEV_KEY,
                                     cursor[0] ? "&cursor=" : "", cursor), 200);
        seen += (long long)json_array_size(json_object_get(output_of(&res), "companies"));
        json_t *next = json_object_get(output_of(&res), "nextCursor");
        int more = json_is_true(json_object_get(output_of(&res), "hasMore"));
        assert_int_equal(more, json_is_string(next));
        if (more)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        http_response_free(&res);
        if (!more)
            break;
    }
    assert_int_equal(seen, total);
}

static void test_list_and_archive(void **state)
{
    harness *h = *state;
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "To archive", "NORMAL"));
    http_response res;
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY), 200);
    long long before = out_int(&res, "totalCount");
    http_response_free(&res);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY);
    harness_request(h, "DELETE", path, NULL, &res);
    assert_int_equal(res.status, 200);
    assert_true(json_is_true(json_object_get(output_of(&res), "archived")));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences?apiKey=%s", DEV_KEY), 200);
    assert_int_equal(out_int(&res, "totalCount"), before - 1);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/v1/audiences/%s?apiKey=%s", id, DEV_KEY), 404);
    http_response_free(&res);
}

static void with_default_size(mock_options *options)
{
    options->companies = 2000;
}

/* The CSV read back equals the JSON pages, value for value, on a database
 * where names and descriptions contain commas, quotes and newlines. */
static void test_csv_matches_json_pages(void **state)
{
    (void)state;
    harness *h = harness_start(with_default_size);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(h, DEV_KEY, "All of it", "NORMAL"));
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":{\"employeeCountV2\":{\"min\":1}}");
    harness_build_until_normal(h, DEV_KEY, id);
    csv_table table;
    long long rows = export_csv(h, id, "companies", "", &table);
    assert_int_equal(rows, 2000);
    int id_col = csv_column(&table, "descovo_id");
    int name_col = csv_column(&table, "name");
    int domain_col = csv_column(&table, "domain");
    int description_col = csv_column(&table, "description");
    assert_true(id_col == 0 && name_col > 0 && domain_col > 0 && description_col > 0);
    size_t quoted = 0, with_comma = 0, with_newline = 0;
    char cursor[64] = "";
    size_t row = 1;
    for (int page = 0; page < 10; page++) {
        http_response res;
        assert_int_equal(harness_get(h, &res, "/v1/audiences/%s/companies?apiKey=%s&pageSize=500%s%s", id, DEV_KEY,
                                     cursor[0] ? "&cursor=" : "", cursor), 200);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(output_of(&res), "companies"), i, item) {
            const csv_record *rec = &table.records[row++];
            assert_string_equal(rec->cells[id_col].data, json_string_value(json_object_get(item, "companyId")));
            assert_string_equal(rec->cells[name_col].data, json_string_value(json_object_get(item, "name")));
            assert_string_equal(rec->cells[domain_col].data, json_string_value(json_object_get(item, "domain")));
            for (int c = name_col; c <= description_col; c += description_col - name_col) {
                const char *v = rec->cells[c].data;
                quoted += strchr(v, '"') != NULL;
                with_comma += strchr(v, ',') != NULL;
                with_newline += strchr(v, '\n') != NULL;
            }
        }
        json_t *next = json_object_get(output_of(&res), "nextCursor");
        int more = json_is_string(next);
        if (more)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        http_response_free(&res);
        if (!more)
            break;
    }
    assert_int_equal(row, table.n);
    /* The round trip went through every kind of quoting. */
    assert_true(quoted > 0);
    assert_true(with_comma > 0);
    assert_true(with_newline > 0);
    csv_table_free(&table);
    harness_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_normal_workflow, harness_reset_state),
        cmocka_unit_test_setup(test_start_from_prospects_spec_dialect, harness_reset_state),
        cmocka_unit_test_setup(test_pages_walk_with_cursor, harness_reset_state),
        cmocka_unit_test_setup(test_list_and_archive, harness_reset_state),
        cmocka_unit_test(test_csv_matches_json_pages),
    };
    return cmocka_run_group_tests_name("workflow", tests, harness_group_setup, harness_group_teardown);
}
