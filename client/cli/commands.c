/* One function per subcommand: call the library, print the result (text,
 * or the answer's "output" with --json), return an exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Prints the "output" of the last answer with --json. */
static void print_output(cli *app)
{
    const json_t *output = json_object_get(descovo_last_response(app->client), "output");
    if (output != NULL)
        ui_print_json(output);
}

static void print_audience(const descovo_audience *a)
{
    printf("audienceId  %s\nname        %s\nstatus      %s\nmethod      %s\ncreatedAt   %s\n",
           a->id, a->name, a->status, a->creation_method, a->created_at);
    if (a->companies_count >= 0)
        printf("companies   %lld\n", a->companies_count);
    if (a->prospects_count >= 0)
        printf("prospects   %lld\n", a->prospects_count);
}

int cmd_create(cli *app)
{
    descovo_audience aud;
    if (descovo_create(app->client, app->argv[0], app->opt.method, &aud) != 0)
        return cli_fail(app, "create");
    if (app->opt.json)
        print_output(app);
    else
        printf("%s\n", aud.id);
    return 0;
}

int cmd_set_filters(cli *app)
{
    const char *id = app->argv[0];
    json_t *file = ui_load_json(app->argv[1]);
    if (file == NULL)
        return EXIT_USAGE;
    const json_t *company = json_object_get(file, "companySearchParams");
    const json_t *prospect = json_object_get(file, "prospectSearchParams");
    long max_companies = app->opt.max_companies > 0 ? app->opt.max_companies
                         : (long)json_integer_value(json_object_get(file, "maxCompanies"));
    long max_prospects = app->opt.max_prospects > 0 ? app->opt.max_prospects
                         : (long)json_integer_value(json_object_get(file, "maxProspects"));
    int rc = 0;
    if (descovo_set_search_params(app->client, id, json_is_object(company) ? company : NULL,
                                  json_is_object(prospect) ? prospect : NULL, max_companies, max_prospects) != 0) {
        rc = cli_fail(app, "set-filters");
    } else if (app->opt.json) {
        print_output(app);
    } else {
        const json_t *warnings = json_object_get(descovo_last_response(app->client), "warnings");
        size_t i;
        const json_t *w;
        json_array_foreach(warnings, i, w)
            fprintf(stderr, "descovo: warning: %s: %s\n", json_string_value(json_object_get(w, "field")),
                    json_string_value(json_object_get(w, "message")));
        printf("filters set on %s\n", id);
    }
    json_decref(file);
    return rc;
}

int cmd_build(cli *app)
{
    const char *id = app->argv[0];
    char status[DESCOVO_STATUS_MAX];
    if (descovo_build(app->client, id, status) != 0)
        return cli_fail(app, "build");
    if (!app->opt.wait) {
        if (app->opt.json)
            print_output(app);
        else
            printf("%s %s\n", id, status);
        return 0;
    }
    descovo_audience aud;
    if (ui_wait_build(app, id, &aud) != 0)
        return cli_fail(app, "build");
    if (app->opt.json)
        print_output(app);
    else
        print_audience(&aud);
    return 0;
}

int cmd_status(cli *app)
{
    descovo_audience aud;
    int rc = app->opt.wait ? ui_wait_build(app, app->argv[0], &aud) : descovo_status(app->client, app->argv[0], &aud);
    if (rc != 0)
        return cli_fail(app, "status");
    if (app->opt.json)
        print_output(app);
    else
        print_audience(&aud);
    return 0;
}

void cli_enrich_options(const cli *app, long prospects, descovo_enrich_options *o)
{
    const cli_options *opt = &app->opt;
    descovo_enrich_options_init(o, prospects);
    o->work_emails = !opt->no_work_emails;
    o->personal_emails = !opt->no_personal_emails;
    o->phone_numbers = !opt->no_phones;
    o->company_live = !opt->no_company_live;
    o->profile_live = !opt->no_profile_live;
    o->sales_nav = !opt->no_sales_nav;
    o->contact = !opt->no_contact;
    o->user_email = opt->user_email;
}

int cmd_estimate(cli *app)
{
    if (app->opt.prospects <= 0)
        return cli_error(EXIT_USAGE, "estimate: --prospects N is required");
    descovo_enrich_options o;
    descovo_estimate est;
    cli_enrich_options(app, app->opt.prospects, &o);
    if (descovo_estimate_enrichment(app->client, app->argv[0], &o, &est) != 0)
        return cli_fail(app, "estimate");
    if (app->opt.json)
        print_output(app);
    else
        printf("%lld credits, about %s\n", est.total_credits, est.time_formatted);
    return 0;
}

int cli_confirm_enrichment(cli *app, const char *id, const descovo_enrich_options *o,
                           descovo_estimate *est)
{
    if (descovo_estimate_enrichment(app->client, id, o, est) != 0)
        return cli_fail(app, "estimate");
    long long balance = -1;
    if (descovo_credits(app->client, &balance) != 0)
        balance = -1;
    fprintf(stderr, "Enrichment of %ld prospects: estimated %lld credits, about %s", o->max_prospects,
            est->total_credits, est->time_formatted);
    if (balance >= 0)
        fprintf(stderr, " (balance %lld)", balance);
    fputs(".\n", stderr);
    if (app->opt.max_credits >= 0 && est->total_credits > app->opt.max_credits)
        return cli_error(EXIT_OVER_BUDGET, "the estimate (%lld credits) is above --max-credits %ld: nothing was spent",
                         est->total_credits, app->opt.max_credits);
    if (app->opt.yes)
        return 0;
    if (!app->opt.tty_in)
        return cli_error(EXIT_NOT_CONFIRMED,
                         "not enriching: this would spend %lld credits and stdin is not a terminal to confirm. "
                         "Re-run with --yes to accept the estimate. Nothing was spent.", est->total_credits);
    char question[128];
    snprintf(question, sizeof question, "Spend %lld credits on this enrichment?", est->total_credits);
    if (!ui_ask_yes(question))
        return cli_error(EXIT_NOT_CONFIRMED, "not enriching: not confirmed. Nothing was spent.");
    return 0;
}

int cmd_enrich(cli *app)
{
    const char *id = app->argv[0];
    if (app->opt.prospects <= 0)
        return cli_error(EXIT_USAGE, "enrich: --prospects N is required");
    descovo_enrich_options o;
    descovo_estimate est;
    descovo_enrichment enr;
    cli_enrich_options(app, app->opt.prospects, &o);
    int rc = cli_confirm_enrichment(app, id, &o, &est);
    if (rc != 0)
        return rc;
    if (descovo_enrich(app->client, id, &o, &enr) != 0)
        return cli_fail(app, "enrich");
    if (!app->opt.wait) {
        if (app->opt.json)
            print_output(app);
        else
            printf("%s %s, %lld credits charged\n", enr.enrichment_id, enr.status,
                   enr.credits_charged >= 0 ? enr.credits_charged : enr.estimated_credits);
        return 0;
    }
    descovo_enrichment_progress st;
    if (ui_wait_enrichment(app, id, &st) != 0)
        return cli_fail(app, "enrich");
    if (app->opt.json)
        print_output(app);
    else
        printf("%s %s %d%%\n", st.enrichment_id, st.current_stage, st.progress_percent);
    return 0;
}

int cmd_enrichment_status(cli *app)
{
    descovo_enrichment_progress st;
    int rc = app->opt.wait ? ui_wait_enrichment(app, app->argv[0], &st)
                           : descovo_enrichment_status(app->client, app->argv[0], &st);
    if (rc != 0)
        return cli_fail(app, "enrichment-status");
    if (app->opt.json)
        print_output(app);
    else
        printf("%s %s %d%%%s%s\n", st.enrichment_id, st.current_stage, st.progress_percent,
               st.completed_at[0] ? " completed " : "", st.completed_at);
    return 0;
}

/* Creates DIR if missing (one level, like mkdir). */
static int ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : cli_error(EXIT_IO, "%s: not a directory", dir);
    if (mkdir(dir, 0777) != 0)
        return cli_error(EXIT_IO, "cannot create %s: %s", dir, strerror(errno));
    return 0;
}

int cli_export(cli *app, const char *id, int prospects, const descovo_export_options *o,
               descovo_export *exp, char *path_out, size_t path_size)
{
    const char *what = prospects ? "export-prospects" : "export-companies";
    path_out[0] = '\0';
    int rc = prospects ? descovo_export_prospects(app->client, id, o, exp)
                       : descovo_export_companies(app->client, id, o, exp);
    if (rc != 0)
        return cli_fail(app, what);
    if (exp->download_url[0] == '\0') {
        /* The real service delivers exports by e-mail or its dashboard. */
        fprintf(stderr, "descovo: %s: %s (no download URL in the answer; nothing downloaded)\n", what, exp->message);
        return 0;
    }
    rc = ensure_dir(app->opt.out_dir);
    if (rc != 0)
        return rc;
    int n = snprintf(path_out, path_size, "%s/%s-%s.csv", app->opt.out_dir, id, prospects ? "prospects" : "companies");
    if (n < 0 || (size_t)n >= path_size)
        return cli_error(EXIT_USAGE, "--out: path too long");
    long long bytes = 0;
    if (descovo_download(app->client, exp->download_url, path_out, &bytes) != 0)
        return cli_fail(app, what);
    return 0;
}

/* Splits --exclude "a,b,c" into fields (pointers into a copy in *buf). */
static int split_exclude(const char *text, char **buf, const char **fields, size_t max, size_t *n)
{
    *n = 0;
    *buf = NULL;
    if (text == NULL)
        return 0;
    *buf = strdup(text);
    if (*buf == NULL)
        return cli_error(EXIT_INTERNAL, "out of memory");
    char *p = *buf;
    while (*p != '\0') {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p != '\0') {
            if (*n == max)
                return cli_error(EXIT_USAGE, "--exclude: at most %zu columns", max);
            fields[(*n)++] = p;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

static int cmd_export(cli *app, int prospects)
{
    const char *fields[128];
    char *buf = NULL;
    descovo_export_options o = {.max_rows = app->opt.max_rows, .only_with_contacts = app->opt.only_with_contacts,
                                .user_email = app->opt.user_email};
    int rc = split_exclude(app->opt.exclude, &buf, fields, sizeof fields / sizeof fields[0], &o.n_exclude_fields);
    o.exclude_fields = fields;
    descovo_export exp;
    char path[4096];
    if (rc == 0)
        rc = cli_export(app, app->argv[0], prospects, &o, &exp, path, sizeof path);
    free(buf);
    if (rc != 0)
        return rc;
    if (app->opt.json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "message", exp.message,
                              "estimatedRows", (json_int_t)exp.estimated_rows,
                              "maxRowsAllowed", (json_int_t)exp.max_rows_allowed, "exportId", exp.export_id,
                              "file", path);
        if (j == NULL)
            return cli_error(EXIT_INTERNAL, "out of memory");
        ui_print_json(j);
        json_decref(j);
    } else {
        printf("%lld rows%s%s\n", exp.estimated_rows, path[0] ? " -> " : "", path);
    }
    return 0;
}

int cmd_export_companies(cli *app)
{
    return cmd_export(app, 0);
}

int cmd_export_prospects(cli *app)
{
    return cmd_export(app, 1);
}

int cmd_credits(cli *app)
{
    long long credits = 0;
    if (descovo_credits(app->client, &credits) != 0)
        return cli_fail(app, "credits");
    if (app->opt.json)
        print_output(app);
    else
        printf("%lld\n", credits);
    return 0;
}

int cmd_list(cli *app)
{
    json_t *list = descovo_list(app->client);
    if (list == NULL)
        return cli_fail(app, "list");
    if (app->opt.json) {
        ui_print_json(list);
    } else {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(list, "audiences"), i, a)
            printf("%s  %-34s %s\n", json_string_value(json_object_get(a, "audienceId")),
                   json_string_value(json_object_get(a, "status")), json_string_value(json_object_get(a, "name")));
    }
    json_decref(list);
    return 0;
}

int cmd_archive(cli *app)
{
    if (descovo_archive(app->client, app->argv[0]) != 0)
        return cli_fail(app, "archive");
    if (app->opt.json)
        print_output(app);
    else
        printf("%s archived\n", app->argv[0]);
    return 0;
}

static int cmd_page(cli *app, int prospects)
{
    int size = app->opt.page_size > 500 ? 500 : (int)app->opt.page_size;
    json_t *page = prospects ? descovo_prospects_page(app->client, app->argv[0], app->opt.cursor, size)
                             : descovo_companies_page(app->client, app->argv[0], app->opt.cursor, size);
    if (page == NULL)
        return cli_fail(app, prospects ? "prospects" : "companies");
    ui_print_json(page);
    json_decref(page);
    return 0;
}

int cmd_companies(cli *app)
{
    return cmd_page(app, 0);
}

int cmd_prospects(cli *app)
{
    return cmd_page(app, 1);
}
