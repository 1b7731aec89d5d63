/* `descovo run JOB.json`: the nine steps of the workflow from one job file.
 *
 * Job file (fixtures/jobs/ has examples):
 *   {
 *     "name": "AI VPs in the US",              required
 *     "creationMethod": "NORMAL",              or "START_FROM_PROSPECTS"
 *     "filters": {"companySearchParams": {...}, "prospectSearchParams": {...}},
 *     "caps": {"maxCompanies": 40, "maxProspects": 150},
 *     "enrichment": {"maxProspectsToEnrich": 50, "enrichmentType": {...},
 *                    "runCompanyLiveEnrichment": true, ..., "userEmail": "..."},
 *                                               absent or null: no enrichment
 *     "export": {"companies": {"maxRowsToExport", "excludeFields", "userEmail"},
 *                "prospects": {... , "onlyWithContacts"}}
 *                                               a kind set to false is skipped
 *   }
 * Unknown keys are refused, so that a typo does not silently drop a step. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_EXCLUDE 128

static const char *const job_keys[] = {"name", "creationMethod", "filters", "caps", "enrichment", "export", NULL};
static const char *const enrichment_keys[] = {
    "maxProspectsToEnrich", "enrichmentType", "runCompanyLiveEnrichment", "runProfileLiveEnrichment",
    "runProfileSalesNav", "runContactEnrichment", "userEmail", NULL};
static const char *const export_keys[] = {"maxRowsToExport", "excludeFields", "userEmail", "onlyWithContacts", NULL};

/* Checks that obj has only known keys. Returns 0 or EXIT_USAGE. */
static int check_keys(const char *file, const char *where, const json_t *obj, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        size_t i = 0;
        while (known[i] != NULL && strcmp(known[i], key) != 0)
            i++;
        if (known[i] == NULL)
            return cli_error(EXIT_USAGE, "%s: unknown key \"%s%s\"", file, where, key);
    }
    return 0;
}

static int read_bool(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Reads the "enrichment" object into o. Returns 0 or EXIT_USAGE. */
static int read_enrichment(const char *file, const json_t *e, descovo_enrich_options *o)
{
    if (!json_is_object(e))
        return cli_error(EXIT_USAGE, "%s: \"enrichment\" must be an object or null", file);
    if (check_keys(file, "enrichment.", e, enrichment_keys) != 0)
        return EXIT_USAGE;
    json_int_t max = json_integer_value(json_object_get(e, "maxProspectsToEnrich"));
    if (max <= 0)
        return cli_error(EXIT_USAGE, "%s: enrichment.maxProspectsToEnrich: required, an integer > 0", file);
    descovo_enrich_options_init(o, (long)max);
    const json_t *type = json_object_get(e, "enrichmentType");
    o->work_emails = read_bool(type, "getWorkEmails", 1);
    o->personal_emails = read_bool(type, "getPersonalEmails", 1);
    o->phone_numbers = read_bool(type, "getPhoneNumbers", 1);
    o->company_live = read_bool(e, "runCompanyLiveEnrichment", 1);
    o->profile_live = read_bool(e, "runProfileLiveEnrichment", 1);
    o->sales_nav = read_bool(e, "runProfileSalesNav", 1);
    o->contact = read_bool(e, "runContactEnrichment", 1);
    o->user_email = json_string_value(json_object_get(e, "userEmail"));
    return 0;
}

/* Reads export.companies or export.prospects. *skip is set for false. */
static int read_export(const char *file, const json_t *x, const char *kind, descovo_export_options *o,
                       const char **fields, int *skip)
{
    memset(o, 0, sizeof *o);
    *skip = 0;
    if (x == NULL || json_is_null(x) || json_is_true(x))
        return 0;
    if (json_is_false(x)) {
        *skip = 1;
        return 0;
    }
    char where[32];
    snprintf(where, sizeof where, "export.%s.", kind);
    if (!json_is_object(x))
        return cli_error(EXIT_USAGE, "%s: export.%s must be an object or false", file, kind);
    if (check_keys(file, where, x, export_keys) != 0)
        return EXIT_USAGE;
    o->max_rows = (long)json_integer_value(json_object_get(x, "maxRowsToExport"));
    o->only_with_contacts = read_bool(x, "onlyWithContacts", 0);
    o->user_email = json_string_value(json_object_get(x, "userEmail"));
    const json_t *exclude = json_object_get(x, "excludeFields");
    size_t i;
    const json_t *f;
    json_array_foreach(exclude, i, f) {
        if (!json_is_string(f) || i >= MAX_EXCLUDE)
            return cli_error(EXIT_USAGE, "%s: export.%s.excludeFields: up to %d column names", file, kind, MAX_EXCLUDE);
        fields[i] = json_string_value(f);
    }
    o->exclude_fields = fields;
    o->n_exclude_fields = json_array_size(exclude);
    return 0;
}

/* A step's line, on stderr with the rest of the progress. */
static void step(const cli *app, int n, const char *fmt, const char *detail)
{
    (void)app;
    fprintf(stderr, "[%d/9] %s%s\n", n, fmt, detail);
}

typedef struct job {
    json_t *root;
    const char *name;
    const char *method;
    const json_t *company;
    const json_t *prospect;
    long max_companies, max_prospects;
    int enrich;
    descovo_enrich_options enrich_options;
    descovo_export_options exports[2];
    int skip_export[2];
    const char *exclude[2][MAX_EXCLUDE];
} job;

static int read_job(const char *file, job *j)
{
    memset(j, 0, sizeof *j);
    j->root = ui_load_json(file);
    if (j->root == NULL)
        return EXIT_USAGE;
    if (check_keys(file, "", j->root, job_keys) != 0)
        return EXIT_USAGE;
    j->name = json_string_value(json_object_get(j->root, "name"));
    if (j->name == NULL || j->name[0] == '\0')
        return cli_error(EXIT_USAGE, "%s: \"name\" is required", file);
    j->method = json_string_value(json_object_get(j->root, "creationMethod"));
    const json_t *filters = json_object_get(j->root, "filters");
    if (!json_is_object(filters))
        return cli_error(EXIT_USAGE, "%s: \"filters\" is required: {\"companySearchParams\": ..., \"prospectSearchParams\": ...}", file);
    j->company = json_object_get(filters, "companySearchParams");
    j->prospect = json_object_get(filters, "prospectSearchParams");
    const json_t *caps = json_object_get(j->root, "caps");
    j->max_companies = (long)json_integer_value(json_object_get(caps, "maxCompanies"));
    j->max_prospects = (long)json_integer_value(json_object_get(caps, "maxProspects"));
    const json_t *e = json_object_get(j->root, "enrichment");
    if (e != NULL && !json_is_null(e)) {
        if (read_enrichment(file, e, &j->enrich_options) != 0)
            return EXIT_USAGE;
        j->enrich = 1;
    }
    const json_t *x = json_object_get(j->root, "export");
    if (x != NULL && !json_is_object(x))
        return cli_error(EXIT_USAGE, "%s: \"export\" must be an object", file);
    if (x != NULL && check_keys(file, "export.", x, (const char *const[]){"companies", "prospects", NULL}) != 0)
        return EXIT_USAGE;
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "prospects" : "companies";
        if (read_export(file, json_object_get(x, kind), kind, &j->exports[k], j->exclude[k], &j->skip_export[k]) != 0)
            return EXIT_USAGE;
    }
    return 0;
}

/* Steps 5-7: estimate, confirm, enrich, wait. */
static int run_enrichment(cli *app, const char *id, job *j, json_t *summary)
{
    descovo_estimate est;
    descovo_enrichment enr;
    step(app, 5, "estimate", "");
    int rc = cli_confirm_enrichment(app, id, &j->enrich_options, &est);
    if (rc != 0)
        return rc;
    step(app, 6, "enrich", "");
    if (descovo_enrich(app->client, id, &j->enrich_options, &enr) != 0)
        return cli_fail(app, "enrich");
    step(app, 7, "wait for the enrichment", "");
    descovo_enrichment_progress st;
    if (ui_wait_enrichment(app, id, &st) != 0)
        return cli_fail(app, "enrichment");
    json_object_set_new(summary, "enrichment",
                        json_pack("{s:s, s:I, s:I, s:s}", "enrichmentId", enr.enrichment_id,
                                  "estimatedCredits", (json_int_t)est.total_credits,
                                  "creditsCharged", (json_int_t)(enr.credits_charged >= 0 ? enr.credits_charged
                                                                                        : enr.estimated_credits),
                                  "stage", st.current_stage));
    return 0;
}

static int run_steps(cli *app, job *j, json_t *summary)
{
    descovo_audience aud;
    char id[DESCOVO_ID_MAX];
    step(app, 1, "create ", j->name);
    if (descovo_create(app->client, j->name, j->method, &aud) != 0)
        return cli_fail(app, "create");
    snprintf(id, sizeof id, "%s", aud.id);
    json_object_set_new(summary, "audienceId", json_string(id));
    step(app, 2, "set filters on ", id);
    if (descovo_set_search_params(app->client, id, json_is_object(j->company) ? j->company : NULL,
                                  json_is_object(j->prospect) ? j->prospect : NULL,
                                  j->max_companies, j->max_prospects) != 0)
        return cli_fail(app, "set-filters");
    step(app, 3, "build", "");
    if (descovo_build(app->client, id, NULL) != 0)
        return cli_fail(app, "build");
    step(app, 4, "wait for the build", "");
    if (ui_wait_build(app, id, &aud) != 0)
        return cli_fail(app, "build");
    int rc = 0;
    json_object_set_new(summary, "companiesCount", json_integer(aud.companies_count));
    json_object_set_new(summary, "prospectsCount", json_integer(aud.prospects_count));
    if (j->enrich) {
        rc = run_enrichment(app, id, j, summary);
        if (rc != 0)
            return rc;
    } else {
        step(app, 5, "no enrichment in the job: steps 5-7 skipped", "");
    }
    json_t *files = json_object();
    json_object_set_new(summary, "exports", files);
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "prospects" : "companies";
        if (j->skip_export[k]) {
            step(app, 8 + k, "skip export of ", kind);
            continue;
        }
        step(app, 8 + k, "export ", kind);
        descovo_export exp;
        char path[4096];
        rc = cli_export(app, id, k, &j->exports[k], &exp, path, sizeof path);
        if (rc != 0)
            return rc;
        json_object_set_new(files, kind, json_pack("{s:I, s:s}", "rows", (json_int_t)exp.estimated_rows, "file", path));
        if (!app->opt.json)
            printf("%s: %lld rows%s%s\n", kind, exp.estimated_rows, path[0] ? " -> " : "", path);
    }
    return 0;
}

int cmd_run(cli *app)
{
    job j;
    int rc = read_job(app->argv[0], &j);
    json_t *summary = json_object();
    if (rc == 0 && summary == NULL)
        rc = cli_error(EXIT_INTERNAL, "out of memory");
    if (rc == 0)
        rc = run_steps(app, &j, summary);
    if (rc == 0 && app->opt.json)
        ui_print_json(summary);
    else if (rc == 0)
        printf("audience %s done\n", json_string_value(json_object_get(summary, "audienceId")));
    json_decref(summary);
    json_decref(j.root);
    return rc;
}
