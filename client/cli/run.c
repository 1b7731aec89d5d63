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
 * Unknown keys and wrong types are refused, so that a typo does not
 * silently drop a step.
 *
 * Each finished step is recorded in the state file (runstate.h) before the
 * next begins; a request that spends (build, enrich) is marked pending
 * before it is sent, so --resume can tell "sent, maybe processed" from
 * "never sent" by asking the service, and never sends it twice. */
#include "run.h"

#include <stdio.h>
#include <string.h>

#include "files.h"
#include "interrupt.h"
#include "report.h"
#include "runstate.h"
#include "steps.h"
#include "ui.h"

#define MAX_EXCLUDE 128

static const files_key job_keys[] = {
    {"name", FT_STRING}, {"creationMethod", FT_STRING}, {"filters", FT_OBJECT}, {"caps", FT_OBJECT},
    {"enrichment", FT_OBJECT_OR_NULL}, {"export", FT_OBJECT},
};
static const files_key filter_keys[] = {
    {"companySearchParams", FT_OBJECT_OR_NULL}, {"prospectSearchParams", FT_OBJECT_OR_NULL},
};
static const files_key cap_keys[] = {{"maxCompanies", FT_COUNT}, {"maxProspects", FT_COUNT}};
static const files_key enrichment_keys[] = {
    {"maxProspectsToEnrich", FT_COUNT}, {"enrichmentType", FT_OBJECT}, {"runCompanyLiveEnrichment", FT_BOOLEAN},
    {"runProfileLiveEnrichment", FT_BOOLEAN}, {"runProfileSalesNav", FT_BOOLEAN},
    {"runContactEnrichment", FT_BOOLEAN}, {"userEmail", FT_STRING},
};
static const files_key type_keys[] = {
    {"getWorkEmails", FT_BOOLEAN}, {"getPersonalEmails", FT_BOOLEAN}, {"getPhoneNumbers", FT_BOOLEAN},
};
static const files_key export_kinds[] = {{"companies", FT_ANY}, {"prospects", FT_ANY}};
static const files_key export_keys[] = {
    {"maxRowsToExport", FT_COUNT}, {"excludeFields", FT_STRINGS}, {"userEmail", FT_STRING},
    {"onlyWithContacts", FT_BOOLEAN},
};

#define N_OF(a) (sizeof a / sizeof a[0])

static int read_bool(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Reads the "enrichment" object into o. Returns 0 or EXIT_USAGE. */
static int read_enrichment(const char *file, const json_t *e, descovo_enrich_options *o)
{
    if (files_check(file, "enrichment.", e, enrichment_keys, N_OF(enrichment_keys)) != 0)
        return EXIT_USAGE;
    const json_t *type = json_object_get(e, "enrichmentType");
    if (type != NULL && files_check(file, "enrichment.enrichmentType.", type, type_keys, N_OF(type_keys)) != 0)
        return EXIT_USAGE;
    json_int_t max = json_integer_value(json_object_get(e, "maxProspectsToEnrich"));
    if (max <= 0)
        return cli_error(EXIT_USAGE, "%s: enrichment.maxProspectsToEnrich: required, an integer > 0", file);
    descovo_enrich_options_init(o, (long)max);
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
        return cli_error(EXIT_USAGE, "%s: export.%s must be an object, true or false", file, kind);
    if (files_check(file, where, x, export_keys, N_OF(export_keys)) != 0)
        return EXIT_USAGE;
    o->max_rows = (long)json_integer_value(json_object_get(x, "maxRowsToExport"));
    o->only_with_contacts = read_bool(x, "onlyWithContacts", 0);
    o->user_email = json_string_value(json_object_get(x, "userEmail"));
    const json_t *exclude = json_object_get(x, "excludeFields");
    size_t i;
    const json_t *f;
    json_array_foreach(exclude, i, f) {
        if (i >= MAX_EXCLUDE)
            return cli_error(EXIT_USAGE, "%s: export.%s.excludeFields: up to %d column names", file, kind, MAX_EXCLUDE);
        fields[i] = json_string_value(f);
    }
    o->exclude_fields = fields;
    o->n_exclude_fields = json_array_size(exclude);
    return 0;
}

/* A step's line, on stderr with the rest of the progress. */
static void step(int n, const char *what, const char *detail)
{
    ui_break_line();
    fprintf(stderr, "[%d/9] %s%s\n", n, what, detail);
}

typedef struct job {
    const char *file;
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
    j->file = file;
    j->root = files_load_object(file);
    if (j->root == NULL)
        return EXIT_USAGE;
    if (files_check(file, "", j->root, job_keys, N_OF(job_keys)) != 0)
        return EXIT_USAGE;
    j->name = json_string_value(json_object_get(j->root, "name"));
    if (j->name == NULL || j->name[0] == '\0')
        return cli_error(EXIT_USAGE, "%s: \"name\" is required", file);
    j->method = json_string_value(json_object_get(j->root, "creationMethod"));
    const json_t *filters = json_object_get(j->root, "filters");
    if (!json_is_object(filters))
        return cli_error(EXIT_USAGE, "%s: \"filters\" is required: {\"companySearchParams\": ..., \"prospectSearchParams\": ...}", file);
    if (files_check(file, "filters.", filters, filter_keys, N_OF(filter_keys)) != 0)
        return EXIT_USAGE;
    j->company = json_object_get(filters, "companySearchParams");
    j->prospect = json_object_get(filters, "prospectSearchParams");
    const json_t *caps = json_object_get(j->root, "caps");
    if (caps != NULL && files_check(file, "caps.", caps, cap_keys, N_OF(cap_keys)) != 0)
        return EXIT_USAGE;
    j->max_companies = (long)json_integer_value(json_object_get(caps, "maxCompanies"));
    j->max_prospects = (long)json_integer_value(json_object_get(caps, "maxProspects"));
    const json_t *e = json_object_get(j->root, "enrichment");
    if (e != NULL && !json_is_null(e)) {
        if (read_enrichment(file, e, &j->enrich_options) != 0)
            return EXIT_USAGE;
        j->enrich = 1;
    }
    const json_t *x = json_object_get(j->root, "export");
    if (x != NULL && files_check(file, "export.", x, export_kinds, N_OF(export_kinds)) != 0)
        return EXIT_USAGE;
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "prospects" : "companies";
        if (read_export(file, json_object_get(x, kind), kind, &j->exports[k], j->exclude[k], &j->skip_export[k]) != 0)
            return EXIT_USAGE;
    }
    return 0;
}

/* One run: the job, its state, the resume command. */
typedef struct run {
    cli *app;
    job j;
    runstate st;
    char id[DESCOVO_ID_MAX];
    char resume[1024];         /* the command that goes on */
} run;

static void make_resume_command(run *r)
{
    const cli_options *o = &r->app->opt;
    int n = snprintf(r->resume, sizeof r->resume, "descovo run %s --resume", r->j.file);
    if (n > 0 && strcmp(o->out_dir, ".") != 0)
        n += snprintf(r->resume + n, sizeof r->resume - (size_t)n, " --out %s", o->out_dir);
    if (n > 0 && (size_t)n < sizeof r->resume && o->mock_clock)
        n += snprintf(r->resume + n, sizeof r->resume - (size_t)n, " --mock-clock");
    if (n > 0 && (size_t)n < sizeof r->resume && o->max_credits >= 0)
        n += snprintf(r->resume + n, sizeof r->resume - (size_t)n, " --max-credits %ld", o->max_credits);
    if (n > 0 && (size_t)n < sizeof r->resume && o->yes)
        snprintf(r->resume + n, sizeof r->resume - (size_t)n, " --yes");
}

/* Says what the run has started, for Ctrl-C and errors. */
static void note_progress(run *r)
{
    const json_t *enr = json_object_get(r->st.doc, "enrichment");
    const char *enr_id = json_string_value(json_object_get(enr, "enrichmentId"));
    char spent[256] = "";
    if (enr_id != NULL)
        snprintf(spent, sizeof spent, ", enrichment %s started, %lld credits spent", enr_id,
                 (long long)json_integer_value(json_object_get(enr, "creditsCharged")));
    else if (json_object_get(enr, "estimatedCredits") != NULL)
        snprintf(spent, sizeof spent, ", an enrichment (estimated %lld credits) may have been started",
                 (long long)json_integer_value(json_object_get(enr, "estimatedCredits")));
    int built = runstate_last_step(&r->st) >= RUN_BUILD_STARTED ||
                (runstate_pending_of(&r->st) != NULL && strcmp(runstate_pending_of(&r->st), "build") == 0);
    if (r->id[0] != '\0') {
        interrupt_note("Audience %s%s%s. Resume (nothing is spent twice): %s", r->id,
                       built ? ", build started (charged at completion)" : "", spent, r->resume);
        snprintf(r->app->resume_hint, sizeof r->app->resume_hint, "audience %s; resume with: %s", r->id, r->resume);
    } else {
        interrupt_note("An audience named \"%s\" may have been created. Resume: %s", r->j.name, r->resume);
    }
}

static int save_step(run *r, int n)
{
    int rc = runstate_step(&r->st, n);
    note_progress(r);
    return rc;
}

static int mark_pending(run *r, const char *what)
{
    int rc = runstate_pending(&r->st, what);
    note_progress(r);
    return rc;
}

static int do_create(run *r)
{
    descovo_audience aud;
    step(1, "create ", r->j.name);
    if (descovo_create(r->app->client, r->j.name, r->j.method, &aud) != 0)
        return cli_fail(r->app, "create");
    snprintf(r->id, sizeof r->id, "%s", aud.id);
    r->app->audience_id = r->id;
    json_object_set_new(r->st.doc, "audienceId", json_string(r->id));
    return save_step(r, RUN_CREATED);
}

/* Sends the build unless a pending one reached the service. */
static int do_build(run *r)
{
    cli *app = r->app;
    const char *pending = runstate_pending_of(&r->st);
    if (pending != NULL && strcmp(pending, "build") == 0) {
        descovo_audience aud;
        if (descovo_status(app->client, r->id, &aud) != 0)
            return cli_fail(app, "status");
        if (strcmp(aud.status, "DRAFT") != 0) {
            step(3, "build: already started (", aud.status);
            return save_step(r, RUN_BUILD_STARTED);
        }
    }
    step(3, "build", "");
    int rc = mark_pending(r, "build");
    if (rc != 0)
        return rc;
    if (descovo_build(app->client, r->id, NULL) != 0)
        return cli_fail(app, "build");
    return save_step(r, RUN_BUILD_STARTED);
}

static int do_wait_build(run *r)
{
    descovo_audience aud;
    step(4, "wait for the build", "");
    if (ui_wait_build(r->app, r->id, &aud) != 0)
        return cli_fail(r->app, "build");
    json_object_set_new(r->st.doc, "companiesCount", json_integer(aud.companies_count));
    json_object_set_new(r->st.doc, "prospectsCount", json_integer(aud.prospects_count));
    return save_step(r, RUN_BUILT);
}

/* Adopts an enrichment a pending enrich started: 1 when one exists. */
static int adopt_enrichment(run *r, json_t *enr)
{
    descovo_enrichment_progress p;
    if (descovo_enrichment_status(r->app->client, r->id, &p) != 0)
        return 0;    /* 400: no enrichment, so the enrich was never processed */
    json_object_set_new(enr, "enrichmentId", json_string(p.enrichment_id));
    json_object_set_new(enr, "creditsCharged", json_integer(json_integer_value(json_object_get(enr, "estimatedCredits"))));
    step(6, "enrich: already started, ", p.enrichment_id);
    return 1;
}

/* Steps 5-6: estimate, confirm, enrich. */
static int do_enrich(run *r)
{
    cli *app = r->app;
    json_t *enr = json_object_get(r->st.doc, "enrichment");
    if (enr == NULL) {
        enr = json_object();
        json_object_set_new(r->st.doc, "enrichment", enr);
    }
    const char *pending = runstate_pending_of(&r->st);
    if (pending != NULL && strcmp(pending, "enrich") == 0 && adopt_enrichment(r, enr))
        return save_step(r, RUN_ENRICH_STARTED);
    descovo_estimate est;
    descovo_enrichment res;
    step(5, "estimate", "");
    int rc = steps_confirm_enrichment(app, r->id, &r->j.enrich_options, &est);
    if (rc != 0)
        return rc;
    step(6, "enrich", "");
    json_object_set_new(enr, "estimatedCredits", json_integer(est.total_credits));
    rc = mark_pending(r, "enrich");
    if (rc != 0)
        return rc;
    if (descovo_enrich(app->client, r->id, &r->j.enrich_options, &res) != 0)
        return cli_fail(app, "enrich");
    json_object_set_new(enr, "enrichmentId", json_string(res.enrichment_id));
    json_object_set_new(enr, "creditsCharged",
                        json_integer(res.credits_charged >= 0 ? res.credits_charged : res.estimated_credits));
    return save_step(r, RUN_ENRICH_STARTED);
}

static int do_wait_enrichment(run *r)
{
    descovo_enrichment_progress p;
    step(7, "wait for the enrichment", "");
    if (ui_wait_enrichment(r->app, r->id, &p) != 0)
        return cli_fail(r->app, "enrichment");
    json_object_set_new(json_object_get(r->st.doc, "enrichment"), "stage", json_string(p.current_stage));
    return save_step(r, RUN_ENRICHED);
}

static int do_export(run *r, int k)
{
    const char *kind = k ? "prospects" : "companies";
    json_t *files = json_object_get(r->st.doc, "exports");
    if (files == NULL) {
        files = json_object();
        json_object_set_new(r->st.doc, "exports", files);
    }
    if (r->j.skip_export[k]) {
        step(8 + k, "skip export of ", kind);
        return save_step(r, RUN_COMPANIES + k);
    }
    step(8 + k, "export ", kind);
    descovo_export exp;
    char path[4096];
    int rc = steps_export(r->app, r->id, k, &r->j.exports[k], &exp, path, sizeof path);
    if (rc != 0)
        return rc;
    json_object_set_new(files, kind, json_pack("{s:I, s:s}", "rows", (json_int_t)exp.estimated_rows, "file", path));
    if (!r->app->opt.json)
        printf("%s: %lld rows%s%s\n", kind, exp.estimated_rows, path[0] ? " -> " : "", path);
    return save_step(r, RUN_COMPANIES + k);
}

static int run_steps(run *r)
{
    cli *app = r->app;
    int last = runstate_last_step(&r->st);
    const char *id = json_string_value(json_object_get(r->st.doc, "audienceId"));
    if (id != NULL) {
        snprintf(r->id, sizeof r->id, "%s", id);
        app->audience_id = r->id;
        fprintf(stderr, "descovo: resuming the run of audience %s after step %d of 9\n", r->id, last);
    }
    note_progress(r);
    int rc = 0;
    if (last < RUN_CREATED)
        rc = do_create(r);
    if (rc == 0 && last < RUN_FILTERED) {
        step(2, "set filters on ", r->id);
        if (descovo_set_search_params(app->client, r->id, json_is_object(r->j.company) ? r->j.company : NULL,
                                      json_is_object(r->j.prospect) ? r->j.prospect : NULL, r->j.max_companies,
                                      r->j.max_prospects) != 0)
            rc = cli_fail(app, "set-filters");
        else
            rc = save_step(r, RUN_FILTERED);
    }
    if (rc == 0 && last < RUN_BUILD_STARTED)
        rc = do_build(r);
    if (rc == 0 && last < RUN_BUILT)
        rc = do_wait_build(r);
    if (rc == 0 && !r->j.enrich && last < RUN_ENRICHED) {
        step(5, "no enrichment in the job: steps 5-7 skipped", "");
        rc = save_step(r, RUN_ENRICHED);
    }
    if (rc == 0 && r->j.enrich && last < RUN_ENRICH_STARTED)
        rc = do_enrich(r);
    if (rc == 0 && r->j.enrich && last < RUN_ENRICHED)
        rc = do_wait_enrichment(r);
    for (int k = 0; k < 2 && rc == 0; k++) {
        if (last < RUN_COMPANIES + k)
            rc = do_export(r, k);
    }
    return rc;
}

static void print_summary(run *r)
{
    if (r->app->opt.json) {
        json_t *s = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:s}", "audienceId", r->id, "companiesCount",
                              json_object_get(r->st.doc, "companiesCount"), "prospectsCount",
                              json_object_get(r->st.doc, "prospectsCount"), "enrichment",
                              json_object_get(r->st.doc, "enrichment"), "exports",
                              json_object_get(r->st.doc, "exports"), "stateFile", r->st.path);
        if (s != NULL)
            ui_print_json(s);
        json_decref(s);
    } else {
        printf("audience %s done\n", r->id);
    }
}

int cmd_run(cli *app)
{
    static run r;
    memset(&r, 0, sizeof r);
    r.app = app;
    int rc = read_job(app->argv[0], &r.j);
    /* The output folder holds the state file: check it before anything is sent. */
    if (rc == 0)
        rc = files_writable_dir(app->opt.out_dir);
    if (rc == 0)
        rc = runstate_open(app, app->argv[0], &r.st);
    if (rc == 0) {
        make_resume_command(&r);
        if (json_is_true(json_object_get(r.st.doc, "done"))) {
            fprintf(stderr, "descovo: the run recorded in %s is finished; nothing to do\n", r.st.path);
            snprintf(r.id, sizeof r.id, "%s", json_string_value(json_object_get(r.st.doc, "audienceId")));
        } else {
            rc = runstate_save(&r.st);
            if (rc == 0)
                rc = run_steps(&r);
        }
    }
    if (rc == 0)
        print_summary(&r);
    else if (r.st.doc != NULL)
        fprintf(stderr, "descovo: the run is recorded in %s; after fixing the cause, go on with: %s\n", r.st.path,
                r.resume);
    interrupt_note("%s", "");
    runstate_close(&r.st);
    json_decref(r.j.root);
    return rc;
}
