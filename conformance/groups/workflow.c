/* workflow: the nine steps in both creation methods, each answer's envelope
 * and required fields, the statuses observed while polling, the record
 * pages and the list. Spends credits (tiny audiences on a real service). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "csv.h"
#include "columns.h"
#include "groups.h"
#include "pages.h"

static void check_listed(conf_case *k, const char *key, const char *id, const json_t *status)
{
    static const field_spec item_fields[] = {
        {"audienceId", F_STRING}, {"name", F_STRING}, {"status", F_STRING}, {"creationMethod", F_STRING},
        {"createdAt", F_TIME}, {"companiesCount", F_INT}, {"prospectsCount", F_INT},
    };
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", "/v1/audiences", NULL), "list", "free");
    const json_t *list = json_object_get(out, "audiences");
    CONF_CHECK(k, json_is_array(list), "list: \"audiences\" is not an array");
    CONF_CHECK(k, json_is_integer(json_object_get(out, "totalCount")), "list: totalCount is not an integer");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *item = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(item, "audienceId")), id) != 0)
            continue;
        api_check_fields(k, item, "list item", item_fields, N_FIELDS(item_fields));
        CONF_CHECK(k, json_equal(json_object_get(item, "status"), json_object_get(status, "status")) &&
                      json_equal(json_object_get(item, "companiesCount"), json_object_get(status, "companiesCount")),
                   "list: %s does not match its status answer", id);
        return;
    }
    CONF_FAIL(k, "list: %s is not listed", id);
}

static void check_csv_export(conf_case *k, const json_t *export, const char *kind)
{
    if (!k->ctx->target->is_mock)
        return;   /* the real service names no download field */
    csv_doc doc;
    api_download_csv(k, json_string_value(json_object_get(export, "downloadUrl")), &doc);
    int companies = strcmp(kind, "companies") == 0;
    size_t n_columns = companies ? CONF_N_COMPANY_COLUMNS : CONF_N_PROSPECT_COLUMNS;
    const char *const *columns = companies ? conf_company_columns : conf_prospect_columns;
    CONF_CHECK(k, doc.rows[0].n == n_columns, "%s CSV: %zu columns, documented %zu", kind, doc.rows[0].n, n_columns);
    for (size_t i = 0; i < n_columns; i++)
        CONF_CHECK(k, strcmp(doc.rows[0].cells[i], columns[i]) == 0, "%s CSV: column %zu is \"%s\", documented \"%s\"",
                   kind, i + 1, doc.rows[0].cells[i], columns[i]);
    CONF_CHECK(k, (long long)doc.n - 1 == json_integer_value(json_object_get(export, "estimatedRows")),
               "%s CSV: %zu rows, estimatedRows said %lld", kind, doc.n - 1,
               (long long)json_integer_value(json_object_get(export, "estimatedRows")));
}

static void workflow(conf_case *k, const char *method)
{
    const char *key = k->ctx->target->api_key;
    int from_prospects = strcmp(method, "START_FROM_PROSPECTS") == 0;
    long caps_c = api_cap_companies(k), caps_p = api_cap_prospects(k);
    conf_need_spend(k, caps_c + caps_p, "building an audience");

    /* 1-2: create and set filters; DRAFT until built. */
    const char *id = api_create(k, key, from_prospects ? "workflow-from-prospects" : "workflow", method);
    const json_t *st = api_status(k, key, id);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(st, "status")), "DRAFT") == 0, "new audience not DRAFT");
    CONF_CHECK(k, json_is_null(json_object_get(st, "buildingStartedAt")), "DRAFT with a buildingStartedAt");
    json_t *prospect = json_pack("{s:[s]}", "country3LetterCode", "USA");
    api_set_params(k, key, id, from_prospects ? NULL : api_company_filters(), prospect, caps_c, caps_p);

    /* 3-4: build, and watch it finish. */
    api_build(k, key, id);
    char seen[512];
    st = api_wait_build(k, key, id, seen, sizeof seen);
    long long companies = json_integer_value(json_object_get(st, "companiesCount"));
    long long prospects = json_integer_value(json_object_get(st, "prospectsCount"));
    CONF_CHECK(k, companies <= caps_c && prospects <= caps_p, "counts %lld/%lld pass the caps %ld/%ld", companies,
               prospects, caps_c, caps_p);
    CONF_CHECK(k, prospects > 0, "the audience of US prospects is empty: nothing to check further");
    if (k->ctx->target->manual_clock)
        CONF_CHECK(k, strncmp(seen, "BUILDING", 8) == 0, "the mock's manual clock did not show BUILDING first: %s",
                   seen);
    /* Page size 1, so the cursor is exercised. */
    pages_walk(k, key, id, "companies", 1, companies);
    pages_walk(k, key, id, "prospects", 1, prospects);
    check_listed(k, key, id, st);

    /* 5-7: estimate and enrich one prospect, and watch it finish. */
    const json_t *estimate = api_estimate(k, key, id, 1);
    long long cost = json_integer_value(json_object_get(estimate, "totalCredits"));
    conf_need_spend(k, cost, "enriching one prospect");
    api_enrich(k, key, id, 1, cost);
    api_wait_enrichment(k, key, id);

    /* 8-9: exports. */
    const json_t *ec = api_export(k, key, id, "companies", NULL);
    CONF_CHECK(k, json_integer_value(json_object_get(ec, "estimatedRows")) <= companies,
               "export companies: more rows than companies");
    check_csv_export(k, ec, "companies");
    const json_t *ep = api_export(k, key, id, "prospects", NULL);
    CONF_CHECK(k, json_integer_value(json_object_get(ep, "estimatedRows")) <= prospects,
               "export prospects: more rows than prospects");
    check_csv_export(k, ep, "prospects");
}

static void workflow_normal(conf_case *k)
{
    workflow(k, "NORMAL");
}

static void workflow_start_from_prospects(conf_case *k)
{
    workflow(k, "START_FROM_PROSPECTS");
}

/* Every documented field of the status answer, with its type, for a DRAFT
 * and for a NORMAL audience. */
static void status_required_fields(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_create(k, key, "status-fields", "NORMAL");
    const json_t *st = api_status(k, key, id);
    static const char *const null_until_built[] = {
        "buildingStartedAt", "buildingFinishedAt", "companiesCount", "prospectsCount",
    };
    for (size_t i = 0; i < N_FIELDS(null_until_built); i++)
        CONF_CHECK(k, json_is_null(json_object_get(st, null_until_built[i])), "DRAFT: %s is not null",
                   null_until_built[i]);
    CONF_CHECK(k, strcmp(json_string_value(json_object_get(st, "name")), "") != 0, "status: empty name");
    /* The NORMAL half needs a build: without leave to spend, the DRAFT half
     * is all this case checks. */
    if (k->ctx->target->allow_spend)
        api_status(k, key, api_shared_audience(k, NULL, NULL));
}

/* Archiving: the documented answer, then the audience is gone. */
static void archive_then_404(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    const char *id = api_create(k, key, "archive", "NORMAL");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    const json_t *out = api_expect_ok(k, api_call(k, key, "DELETE", path, NULL), "archive", "free");
    CONF_CHECK(k, json_is_true(json_object_get(out, "archived")), "archive: output.archived is not true");
    CONF_CHECK(k, json_is_string(json_object_get(out, "audienceId")) &&
                  strcmp(json_string_value(json_object_get(out, "audienceId")), id) == 0,
               "archive: output.audienceId is not %s", id);
    api_expect_error(k, api_call(k, key, "GET", path, NULL), 404, "status of an archived audience");
}

/* Mock only: with the in-progress statuses on, a build shows each of them,
 * in the documented order. */
static void build_statuses_in_documented_order(conf_case *k)
{
    api_mock_use(k, "the in-progress-statuses scenario");
    CONF_CHECK(k, k->ctx->target->manual_clock, "needs the manual clock to observe every status");
    api_expect_ok(k, api_raw(k, "POST", "/_mock/scenarios", "{\"name\":\"in-progress-statuses\"}"), "scenario", NULL);
    const char *key = k->ctx->target->api_key;
    const char *id = api_create(k, key, "statuses", "NORMAL");
    api_set_params(k, key, id, api_company_filters(), NULL, 2, 4);
    api_build(k, key, id);
    char seen[512];
    api_wait_build(k, key, id, seen, sizeof seen);
    const char *expected = "BUILDING SAVING_COMPANIES SAVING_PROSPECTS LINKING_PROSPECTS_WITH_COMPANIES "
                           "HEALING_COMPANIES NORMAL";
    CONF_CHECK(k, strcmp(seen, expected) == 0, "statuses seen: %s; expected %s", seen, expected);
}

int group_workflow(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(workflow_normal),
        CONF_CASE(workflow_start_from_prospects),
        CONF_CASE(status_required_fields),
        CONF_CASE(archive_then_404),
        CONF_CASE(build_statuses_in_documented_order),
    };
    return conf_run_group(ctx, "workflow", cases, N_FIELDS(cases));
}
