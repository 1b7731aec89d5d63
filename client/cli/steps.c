/* Confirming an enrichment, and an export into --out. */
#include "steps.h"

#include <stdio.h>
#include <string.h>

#include "files.h"
#include "report.h"
#include "ui.h"

void steps_enrich_options(const cli *app, long prospects, descovo_enrich_options *o)
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

int steps_confirm_enrichment(cli *app, const char *id, const descovo_enrich_options *o,
                             descovo_estimate *est)
{
    if (descovo_estimate_enrichment(app->client, id, o, est) != 0)
        return cli_fail(app, "estimate");
    long long balance = -1;
    if (descovo_credits(app->client, &balance) != 0)
        balance = -1;
    ui_break_line();
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

int steps_export(cli *app, const char *id, int prospects, const descovo_export_options *o,
                 descovo_export *exp, char *path_out, size_t path_size)
{
    const char *what = prospects ? "export-prospects" : "export-companies";
    char name[DESCOVO_ID_MAX + 32];
    path_out[0] = '\0';
    snprintf(name, sizeof name, "%s-%s.csv", id, prospects ? "prospects" : "companies");
    char path[4096];
    int rc = files_join(app->opt.out_dir, name, path, sizeof path);
    if (rc == 0)
        rc = files_writable_dir(app->opt.out_dir);
    if (rc != 0)
        return rc;
    rc = prospects ? descovo_export_prospects(app->client, id, o, exp)
                   : descovo_export_companies(app->client, id, o, exp);
    if (rc != 0)
        return cli_fail(app, what);
    if (exp->download_url[0] == '\0') {
        /* The real service delivers exports by e-mail or its dashboard. */
        fprintf(stderr, "descovo: %s: %s (no download URL in the answer; nothing downloaded)\n", what, exp->message);
        return 0;
    }
    if (snprintf(path_out, path_size, "%s", path) >= (int)path_size)
        return cli_error(EXIT_USAGE, "--out: path too long");
    long long bytes = 0;
    if (descovo_download(app->client, exp->download_url, path_out, &bytes) != 0)
        return cli_fail(app, what);
    return 0;
}
