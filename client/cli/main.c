/* descovo: the table of subcommands, the client, and dispatch. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "options.h"
#include "report.h"
#include "run.h"

static const command commands[] = {
    {"create", cmd_create, 1, 1, F_COMMON | F_METHOD, "NAME [--method NORMAL|START_FROM_PROSPECTS]",
     "Step 1: create a DRAFT audience and print its audienceId.",
     "--method START_FROM_PROSPECTS searches prospects first; their companies follow."},
    {"set-filters", cmd_set_filters, 2, 2, F_COMMON | F_MAX_COMPANIES | F_MAX_PROSPECTS,
     "ID FILTERS.json [--max-companies N] [--max-prospects N]",
     "Step 2: set the search filters of a DRAFT audience from a JSON file.",
     "The file (\"-\" reads stdin) holds companySearchParams, prospectSearchParams\n"
     "(objects or null) and optionally maxCompanies, maxProspects; any other key is\n"
     "refused. The flags override the caps. Filter keys the service does not know\n"
     "come back as warnings, shown on stderr."},
    {"build", cmd_build, 1, 1, F_COMMON | F_WAITING, "ID [--wait [--interval S] [--wait-timeout S]]",
     "Step 3: start the build; charged at completion.",
     "A build costs 1 credit per company and prospect found. --wait polls the\n"
     "status until NORMAL."},
    {"status", cmd_status, 1, 1, F_COMMON | F_WAITING, "ID [--wait]", "Step 4: the audience's status and counts.",
     "--wait polls until the build is done (NORMAL)."},
    {"estimate", cmd_estimate, 1, 1, F_COMMON | F_PROSPECTS | F_ENRICH_FLAGS, "ID --prospects N [enrichment flags]",
     "Step 5: what an enrichment would cost; free.", "Needs a NORMAL (built) audience."},
    {"enrich", cmd_enrich, 1, 1, F_COMMON | F_PROSPECTS | F_ENRICH_FLAGS | F_USER_EMAIL | F_YES | F_MAX_CREDITS | F_WAITING,
     "ID --prospects N [enrichment flags] [--yes] [--max-credits N] [--wait]",
     "Step 6: estimate, confirm, then enrich; charged upfront.",
     "Asks on a terminal before spending; without one, needs --yes."},
    {"enrichment-status", cmd_enrichment_status, 1, 1, F_COMMON | F_WAITING, "ID [--wait]",
     "Step 7: the enrichment's stage and progress.", "--wait polls until DONE."},
    {"export-companies", cmd_export_companies, 1, 1, F_COMMON | F_EXPORT,
     "ID [--out DIR] [--max-rows N] [--exclude COLS]",
     "Step 8: export the companies and download the CSV into --out.",
     "The file is DIR/ID-companies.csv, when the answer carries a download URL."},
    {"export-prospects", cmd_export_prospects, 1, 1, F_COMMON | F_EXPORT | F_ONLY_CONTACTS,
     "ID [--out DIR] [--max-rows N] [--exclude COLS] [--only-with-contacts]",
     "Step 9: export the prospects and download the CSV into --out.",
     "The file is DIR/ID-prospects.csv, when the answer carries a download URL."},
    {"credits", cmd_credits, 0, 0, F_COMMON, "", "The credit balance of the key.", ""},
    {"list", cmd_list, 0, 0, F_COMMON, "", "The key's audiences, archived ones excluded.",
     "Text: a table and the count; --json: the answer's output."},
    {"archive", cmd_archive, 1, 1, F_COMMON, "ID", "Archive an audience; refused while it builds.", ""},
    {"companies", cmd_companies, 1, 1, F_COMMON | F_PAGE | F_ALL, "ID [--page-size N] [--cursor C] [--all]",
     "The companies of a built audience, a page or --all.", "Text: a table and the count; --json: the records."},
    {"prospects", cmd_prospects, 1, 1, F_COMMON | F_PAGE | F_ALL, "ID [--page-size N] [--cursor C] [--all]",
     "The prospects of a built audience, a page or --all.", "Text: a table and the count; --json: the records."},
    {"run", cmd_run, 1, 1, F_COMMON | F_YES | F_MAX_CREDITS | F_OUT | F_INTERVAL | F_WAIT_TIMEOUT | F_RESUME,
     "JOB.json [--yes] [--max-credits N] [--out DIR] [--resume]",
     "All nine steps from a job file (see fixtures/jobs/).",
     "Create, filters, build, wait, estimate, enrich (confirmed), wait, both\n"
     "exports. Each finished step is recorded in DIR/JOB.run-state.json; after an\n"
     "error or Ctrl-C, --resume goes on from there without spending twice."},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int make_client(cli *app)
{
    descovo_options options;
    descovo_options_init(&options);
    options.api_key = app->opt.api_key;
    options.base_url = app->opt.base_url;
    options.user_agent = "descovo-cli/" DESCOVO_CLI_VERSION;
    options.timeout_ms = (long)(app->opt.timeout_s * 1000.0);
    options.connect_timeout_ms = (long)(app->opt.connect_timeout_s * 1000.0);
    options.retry.max_attempts = (int)(app->opt.retries + 1);
    options.mock_clock = app->opt.mock_clock;
    options.on_event = report_event;
    options.event_ctx = app;
    app->client = descovo_client_new(&options);
    if (app->client == NULL)
        return cli_error(EXIT_INTERNAL, "out of memory");
    return 0;
}

int main(int argc, char **argv)
{
    static cli app;
    memset(&app, 0, sizeof app);
    options_defaults(&app.opt);
    app.opt.tty_in = isatty(STDIN_FILENO);
    app.opt.tty_err = isatty(STDERR_FILENO);

    const command *cmd = NULL;
    int rc = options_parse(argc, argv, commands, N_COMMANDS, &app, &cmd);
    if (rc != PARSE_RUN)
        return rc == PARSE_DONE ? 0 : rc;
    rc = options_environment(&app.opt);
    if (rc != 0)
        return rc;
    if (app.opt.api_key == NULL)
        return cli_error(EXIT_USAGE, "no API key: pass --api-key or set DESCOVO_API_KEY");
    /* The audience of an error in --json: the ID argument. */
    if (cmd->min_args > 0 && cmd->run != cmd_run && cmd->run != cmd_create)
        app.audience_id = app.argv[0];
    if (interrupt_install() != 0)
        return cli_error(EXIT_INTERNAL, "cannot install the SIGINT handler");
    if (descovo_global_init() != 0)
        return cli_error(EXIT_INTERNAL, "cannot initialise libcurl");
    rc = make_client(&app);
    if (rc == 0)
        rc = cmd->run(&app);
    descovo_client_free(app.client);
    descovo_global_cleanup();
    return rc;
}
