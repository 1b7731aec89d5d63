/* One function per subcommand: call the library, print the result (text,
 * or the answer's "output" with --json), return an exit code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#include "files.h"
#include "interrupt.h"
#include "report.h"
#include "steps.h"
#include "ui.h"

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
    interrupt_note("An audience named \"%s\" may have been created: see descovo list", app->argv[0]);
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
    json_t *file = files_load_object(app->argv[1]);
    if (file == NULL)
        return EXIT_USAGE;
    if (files_check_filters(app->argv[1], file) != 0) {
        json_decref(file);
        return EXIT_USAGE;
    }
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
        printf("filters set on %s\n", id);
    }
    json_decref(file);
    return rc;
}

int cmd_build(cli *app)
{
    const char *id = app->argv[0];
    char status[DESCOVO_STATUS_MAX];
    interrupt_note("A build of audience %s may have been started (charged at completion). "
                   "See: descovo status %s", id, id);
    if (descovo_build(app->client, id, status) != 0)
        return cli_fail(app, "build");
    interrupt_note("The build of audience %s was started (charged at completion). "
                   "Resume waiting: descovo status %s --wait%s", id, id, app->opt.mock_clock ? " --mock-clock" : "");
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

int cmd_estimate(cli *app)
{
    if (app->opt.prospects <= 0)
        return cli_error(EXIT_USAGE, "estimate: --prospects N is required");
    descovo_enrich_options o;
    descovo_estimate est;
    steps_enrich_options(app, app->opt.prospects, &o);
    if (descovo_estimate_enrichment(app->client, app->argv[0], &o, &est) != 0)
        return cli_fail(app, "estimate");
    if (app->opt.json)
        print_output(app);
    else
        printf("%lld credits, about %s\n", est.total_credits, est.time_formatted);
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
    steps_enrich_options(app, app->opt.prospects, &o);
    int rc = steps_confirm_enrichment(app, id, &o, &est);
    if (rc != 0)
        return rc;
    interrupt_note("An enrichment of audience %s may have been started and charged (estimate %lld credits). "
                   "See: descovo enrichment-status %s", id, est.total_credits, id);
    if (descovo_enrich(app->client, id, &o, &enr) != 0)
        return cli_fail(app, "enrich");
    long long charged = enr.credits_charged >= 0 ? enr.credits_charged : enr.estimated_credits;
    interrupt_note("Enrichment %s of audience %s was started: %lld credits spent. "
                   "Resume waiting: descovo enrichment-status %s --wait%s", enr.enrichment_id, id, charged, id,
                   app->opt.mock_clock ? " --mock-clock" : "");
    if (!app->opt.wait) {
        if (app->opt.json)
            print_output(app);
        else
            printf("%s %s, %lld credits charged\n", enr.enrichment_id, enr.status, charged);
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
        rc = steps_export(app, app->argv[0], prospects, &o, &exp, path, sizeof path);
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

/* A column of a text table: a header and the record's member (a string
 * or an integer; missing members print empty). width 0: the last column,
 * not padded. */
typedef struct column {
    const char *header;
    const char *key;
    const char *key2;         /* joined to key with a space ("firstName lastName") */
    int width;
    int right;                /* numbers: right-aligned */
} column;

static void cell_text(const json_t *record, const column *c, char *buf, size_t size)
{
    const json_t *v = json_object_get(record, c->key);
    if (json_is_integer(v))
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, size, "%s", json_is_string(v) ? json_string_value(v) : "");
    if (c->key2 != NULL) {
        const char *second = json_string_value(json_object_get(record, c->key2));
        size_t len = strlen(buf);
        if (second != NULL)
            snprintf(buf + len, size - len, "%s%s", len > 0 ? " " : "", second);
    }
}

static void print_row(const column *cols, size_t n, const json_t *record)
{
    for (size_t i = 0; i < n; i++) {
        char cell[512];
        if (record != NULL)
            cell_text(record, &cols[i], cell, sizeof cell);
        else
            snprintf(cell, sizeof cell, "%s", cols[i].header);
        const char *sep = i + 1 < n ? "  " : "\n";
        if (cols[i].width == 0)
            printf("%s%s", cell, sep);
        else if (cols[i].right)
            printf("%*.*s%s", cols[i].width, cols[i].width, cell, sep);
        else
            printf("%-*.*s%s", cols[i].width, cols[i].width, cell, sep);
    }
}

static void print_table(const column *cols, size_t n, const json_t *records)
{
    size_t i;
    const json_t *r;
    json_array_foreach(records, i, r)
        print_row(cols, n, r);
}

int cmd_list(cli *app)
{
    static const column cols[] = {
        {"AUDIENCE ID", "audienceId", NULL, 24, 0}, {"STATUS", "status", NULL, 10, 0},
        {"COMPANIES", "companiesCount", NULL, 9, 1}, {"PROSPECTS", "prospectsCount", NULL, 9, 1},
        {"CREATED", "createdAt", NULL, 24, 0}, {"NAME", "name", NULL, 0, 0},
    };
    json_t *list = descovo_list(app->client);
    if (list == NULL)
        return cli_fail(app, "list");
    if (app->opt.json) {
        ui_print_json(list);
    } else {
        const json_t *audiences = json_object_get(list, "audiences");
        size_t n = json_array_size(audiences);
        if (n > 0) {
            print_row(cols, sizeof cols / sizeof cols[0], NULL);
            print_table(cols, sizeof cols / sizeof cols[0], audiences);
        }
        json_int_t total = json_integer_value(json_object_get(list, "totalCount"));
        printf("%zu audience%s", n, n == 1 ? "" : "s");
        if (total > (json_int_t)n)
            printf(" shown, of %lld", (long long)total);
        printf(" (archived ones not listed)\n");
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

/* One page (--page-size, --cursor) or, with --all, every page by cursor.
 * Text: a table and a count, and the next cursor when there is more;
 * --json: the page's output, or with --all one output of every record. */
static int cmd_page(cli *app, int prospects)
{
    static const column company_cols[] = {
        {"COMPANY ID", "companyId", NULL, 14, 0}, {"NAME", "name", NULL, 28, 0}, {"DOMAIN", "domain", NULL, 26, 0},
        {"HEADCOUNT", "headcount", NULL, 9, 1}, {"INDUSTRY", "industry", NULL, 0, 0},
    };
    static const column prospect_cols[] = {
        {"PROSPECT ID", "prospectId", NULL, 14, 0}, {"NAME", "firstName", "lastName", 24, 0},
        {"JOB TITLE", "jobTitle", NULL, 30, 0}, {"COMPANY", "companyName", NULL, 24, 0},
        {"LOCATION", "location", NULL, 0, 0},
    };
    const char *kind = prospects ? "prospects" : "companies";
    const column *cols = prospects ? prospect_cols : company_cols;
    size_t ncols = 5;
    int size = app->opt.page_size > 500 ? 500 : (int)app->opt.page_size;
    if (app->opt.all && size == 0)
        size = 500;
    char cursor[DESCOVO_ID_MAX * 4] = "";
    if (app->opt.cursor != NULL)
        snprintf(cursor, sizeof cursor, "%s", app->opt.cursor);
    json_t *all = app->opt.all ? json_array() : NULL;
    json_t *page = NULL;
    size_t shown = 0;
    int rc = 0;
    for (int first = 1;; first = 0) {
        json_decref(page);
        page = prospects ? descovo_prospects_page(app->client, app->argv[0], cursor, size)
                         : descovo_companies_page(app->client, app->argv[0], cursor, size);
        if (page == NULL) {
            rc = cli_fail(app, kind);
            goto out;
        }
        const json_t *records = json_object_get(page, kind);
        if (app->opt.json && all != NULL)
            json_array_extend(all, (json_t *)records);
        if (!app->opt.json) {
            if (first && json_array_size(records) > 0)
                print_row(cols, ncols, NULL);
            print_table(cols, ncols, records);
        }
        shown += json_array_size(records);
        const char *next = json_string_value(json_object_get(page, "nextCursor"));
        if (!app->opt.all || !json_is_true(json_object_get(page, "hasMore")) || next == NULL)
            break;
        snprintf(cursor, sizeof cursor, "%s", next);
    }
    if (app->opt.json && all != NULL) {
        json_t *out = json_pack("{s:s, s:O, s:O?}", "audienceId", app->argv[0], kind, all, "totalCount",
                                json_object_get(page, "totalCount"));
        if (out != NULL)
            ui_print_json(out);
        json_decref(out);
    } else if (app->opt.json) {
        ui_print_json(page);
    } else {
        long long total = (long long)json_integer_value(json_object_get(page, "totalCount"));
        printf("%zu of %lld %s", shown, total, kind);
        const char *next = json_string_value(json_object_get(page, "nextCursor"));
        if (json_is_true(json_object_get(page, "hasMore")) && next != NULL)
            printf("; next page: --cursor %s (or --all)", next);
        printf("\n");
    }
out:
    json_decref(page);
    json_decref(all);
    return rc;
}

int cmd_companies(cli *app)
{
    return cmd_page(app, 0);
}

int cmd_prospects(cli *app)
{
    return cmd_page(app, 1);
}
