/* descovo: options, the table of subcommands, help, and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"

/* One bit per flag; each subcommand lists the flags it takes. */
enum {
    F_API_KEY = 1u << 0, F_BASE_URL = 1u << 1, F_JSON = 1u << 2, F_MOCK_CLOCK = 1u << 3,
    F_YES = 1u << 4, F_MAX_CREDITS = 1u << 5, F_OUT = 1u << 6, F_METHOD = 1u << 7,
    F_MAX_COMPANIES = 1u << 8, F_MAX_PROSPECTS = 1u << 9, F_PROSPECTS = 1u << 10,
    F_ENRICH_FLAGS = 1u << 11, F_USER_EMAIL = 1u << 12, F_WAIT = 1u << 13,
    F_INTERVAL = 1u << 14, F_TIMEOUT = 1u << 15, F_MAX_ROWS = 1u << 16,
    F_EXCLUDE = 1u << 17, F_ONLY_CONTACTS = 1u << 18, F_PAGE = 1u << 19,
};

#define F_COMMON (F_API_KEY | F_BASE_URL | F_JSON | F_MOCK_CLOCK)
#define F_WAITING (F_WAIT | F_INTERVAL | F_TIMEOUT)
#define F_EXPORT (F_OUT | F_MAX_ROWS | F_EXCLUDE | F_USER_EMAIL)

typedef struct command {
    const char *name;
    int (*run)(cli *app);
    int min_args, max_args;
    unsigned flags;
    const char *usage;        /* after "descovo NAME " */
    const char *help;
} command;

static const command commands[] = {
    {"create", cmd_create, 1, 1, F_COMMON | F_METHOD, "NAME [--method NORMAL|START_FROM_PROSPECTS]",
     "Step 1: create a DRAFT audience; prints its audienceId."},
    {"set-filters", cmd_set_filters, 2, 2, F_COMMON | F_MAX_COMPANIES | F_MAX_PROSPECTS,
     "ID FILTERS.json [--max-companies N] [--max-prospects N]",
     "Step 2: set search filters from a JSON file (\"-\" reads stdin) holding\n"
     "companySearchParams, prospectSearchParams and optionally maxCompanies,\n"
     "maxProspects; the flags override the caps."},
    {"build", cmd_build, 1, 1, F_COMMON | F_WAITING, "ID [--wait [--interval S] [--timeout S]]",
     "Step 3: start the build (charged later: 1 credit per company and prospect\n"
     "found). --wait polls until NORMAL."},
    {"status", cmd_status, 1, 1, F_COMMON | F_WAITING, "ID [--wait]", "Step 4: the audience's status and counts."},
    {"estimate", cmd_estimate, 1, 1, F_COMMON | F_PROSPECTS | F_ENRICH_FLAGS, "ID --prospects N [enrichment flags]",
     "Step 5: what an enrichment would cost (free)."},
    {"enrich", cmd_enrich, 1, 1, F_COMMON | F_PROSPECTS | F_ENRICH_FLAGS | F_USER_EMAIL | F_YES | F_MAX_CREDITS | F_WAITING,
     "ID --prospects N [enrichment flags] [--yes] [--max-credits N] [--wait]",
     "Step 6: estimate, confirm, then enrich (charged upfront). Asks on a\n"
     "terminal; without one, needs --yes."},
    {"enrichment-status", cmd_enrichment_status, 1, 1, F_COMMON | F_WAITING, "ID [--wait]",
     "Step 7: the enrichment's stage and progress."},
    {"export-companies", cmd_export_companies, 1, 1, F_COMMON | F_EXPORT, "ID [--out DIR] [--max-rows N] [--exclude COLS]",
     "Step 8: export the companies and download the CSV into --out."},
    {"export-prospects", cmd_export_prospects, 1, 1, F_COMMON | F_EXPORT | F_ONLY_CONTACTS,
     "ID [--out DIR] [--max-rows N] [--exclude COLS] [--only-with-contacts]",
     "Step 9: export the prospects and download the CSV into --out."},
    {"credits", cmd_credits, 0, 0, F_COMMON, "", "The credit balance of the key."},
    {"list", cmd_list, 0, 0, F_COMMON, "", "The key's audiences (archived ones excluded)."},
    {"archive", cmd_archive, 1, 1, F_COMMON, "ID", "Archive an audience (refused while building)."},
    {"companies", cmd_companies, 1, 1, F_COMMON | F_PAGE, "ID [--page-size N] [--cursor C]",
     "One page of a built audience's companies."},
    {"prospects", cmd_prospects, 1, 1, F_COMMON | F_PAGE, "ID [--page-size N] [--cursor C]",
     "One page of a built audience's prospects."},
    {"run", cmd_run, 1, 1, F_COMMON | F_YES | F_MAX_CREDITS | F_OUT | F_INTERVAL | F_TIMEOUT,
     "JOB.json [--yes] [--max-credits N] [--out DIR]",
     "All nine steps from a job file (see fixtures/jobs/): create, filters,\n"
     "build, wait, estimate, enrich (confirmed), wait, both exports."},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

enum {
    OPT_API_KEY = 256, OPT_BASE_URL, OPT_JSON, OPT_MOCK_CLOCK, OPT_YES, OPT_MAX_CREDITS, OPT_OUT,
    OPT_METHOD, OPT_MAX_COMPANIES, OPT_MAX_PROSPECTS, OPT_PROSPECTS, OPT_NO_WORK, OPT_NO_PERSONAL,
    OPT_NO_PHONES, OPT_NO_COMPANY_LIVE, OPT_NO_PROFILE_LIVE, OPT_NO_SALES_NAV, OPT_NO_CONTACT,
    OPT_USER_EMAIL, OPT_WAIT, OPT_INTERVAL, OPT_TIMEOUT, OPT_MAX_ROWS, OPT_EXCLUDE, OPT_ONLY_CONTACTS,
    OPT_PAGE_SIZE, OPT_CURSOR, OPT_HELP, OPT_VERSION
};

static const struct option long_options[] = {
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"json", no_argument, NULL, OPT_JSON},
    {"mock-clock", no_argument, NULL, OPT_MOCK_CLOCK},
    {"yes", no_argument, NULL, OPT_YES},
    {"max-credits", required_argument, NULL, OPT_MAX_CREDITS},
    {"out", required_argument, NULL, OPT_OUT},
    {"method", required_argument, NULL, OPT_METHOD},
    {"max-companies", required_argument, NULL, OPT_MAX_COMPANIES},
    {"max-prospects", required_argument, NULL, OPT_MAX_PROSPECTS},
    {"prospects", required_argument, NULL, OPT_PROSPECTS},
    {"no-work-emails", no_argument, NULL, OPT_NO_WORK},
    {"no-personal-emails", no_argument, NULL, OPT_NO_PERSONAL},
    {"no-phones", no_argument, NULL, OPT_NO_PHONES},
    {"no-company-live", no_argument, NULL, OPT_NO_COMPANY_LIVE},
    {"no-profile-live", no_argument, NULL, OPT_NO_PROFILE_LIVE},
    {"no-sales-nav", no_argument, NULL, OPT_NO_SALES_NAV},
    {"no-contact", no_argument, NULL, OPT_NO_CONTACT},
    {"user-email", required_argument, NULL, OPT_USER_EMAIL},
    {"wait", no_argument, NULL, OPT_WAIT},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-rows", required_argument, NULL, OPT_MAX_ROWS},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"only-with-contacts", no_argument, NULL, OPT_ONLY_CONTACTS},
    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* The flag bit of an option (0: allowed everywhere). */
static unsigned option_flag(int opt)
{
    switch (opt) {
    case OPT_API_KEY: return F_API_KEY;
    case OPT_BASE_URL: return F_BASE_URL;
    case OPT_JSON: return F_JSON;
    case OPT_MOCK_CLOCK: return F_MOCK_CLOCK;
    case OPT_YES: return F_YES;
    case OPT_MAX_CREDITS: return F_MAX_CREDITS;
    case OPT_OUT: return F_OUT;
    case OPT_METHOD: return F_METHOD;
    case OPT_MAX_COMPANIES: return F_MAX_COMPANIES;
    case OPT_MAX_PROSPECTS: return F_MAX_PROSPECTS;
    case OPT_PROSPECTS: return F_PROSPECTS;
    case OPT_NO_WORK: case OPT_NO_PERSONAL: case OPT_NO_PHONES: case OPT_NO_COMPANY_LIVE:
    case OPT_NO_PROFILE_LIVE: case OPT_NO_SALES_NAV: case OPT_NO_CONTACT: return F_ENRICH_FLAGS;
    case OPT_USER_EMAIL: return F_USER_EMAIL;
    case OPT_WAIT: return F_WAIT;
    case OPT_INTERVAL: return F_INTERVAL;
    case OPT_TIMEOUT: return F_TIMEOUT;
    case OPT_MAX_ROWS: return F_MAX_ROWS;
    case OPT_EXCLUDE: return F_EXCLUDE;
    case OPT_ONLY_CONTACTS: return F_ONLY_CONTACTS;
    case OPT_PAGE_SIZE: case OPT_CURSOR: return F_PAGE;
    default: return 0;
    }
}

static const char exit_codes_text[] =
    "Exit codes:\n"
    "   0 success                      9 rate limited (429, after retries)\n"
    "   1 internal error              10 server error (5xx)\n"
    "   2 usage (flags, job file)     11 network (no answer)\n"
    "   3 auth (401)                  12 build or enrichment FAILED\n"
    "   4 not found (404)             13 timed out waiting\n"
    "   5 invalid state (400)         14 enrichment not confirmed (no terminal, no --yes)\n"
    "   6 validation (400)            15 estimate above --max-credits\n"
    "   7 not enough credits (402)    16 local file error\n"
    "   8 export quota (403)\n";

static const char common_text[] =
    "Common options:\n"
    "  --api-key KEY     API key (default: $DESCOVO_API_KEY)\n"
    "  --base-url URL    service URL (default: $DESCOVO_BASE_URL, else " DESCOVO_DEFAULT_BASE_URL ")\n"
    "  --json            machine-readable output on stdout\n"
    "  --mock-clock      against descovo-mock --clock manual: advance its clock\n"
    "                    instead of sleeping while waiting\n"
    "  --help            this help\n";

static void print_usage(FILE *out)
{
    fprintf(out, "Usage: descovo [OPTIONS] COMMAND [ARGS]\n\n"
                 "A client of the Descovo Audiences API (libdescovo %s).\n\nCommands:\n", descovo_version());
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-18s %.*s\n", commands[i].name, (int)strcspn(commands[i].help, "\n"), commands[i].help);
    fprintf(out, "\n%s\n%s\n'descovo COMMAND --help' describes a command.\n", common_text, exit_codes_text);
}

static void print_command_help(const command *cmd)
{
    printf("Usage: descovo %s %s\n\n%s\n\n", cmd->name, cmd->usage, cmd->help);
    if (cmd->flags & F_ENRICH_FLAGS)
        printf("Enrichment flags:\n"
               "  --prospects N          maxProspectsToEnrich (required)\n"
               "  --no-work-emails --no-personal-emails --no-phones\n"
               "  --no-company-live --no-profile-live --no-sales-nav --no-contact\n\n");
    if (cmd->flags & (F_YES | F_MAX_CREDITS))
        printf("Spending:\n"
               "  --yes                  do not ask before spending credits\n"
               "  --max-credits N        refuse an enrichment estimated above N credits\n\n");
    if (cmd->flags & (F_WAIT | F_INTERVAL))
        printf("Waiting:\n"
               "%s"
               "  --interval S           seconds between polls (default 2)\n"
               "  --timeout S            give up after S seconds (default 600)\n\n",
               (cmd->flags & F_WAIT) ? "  --wait                 poll until done\n" : "");
    if (cmd->flags & F_OUT)
        printf("Files:\n  --out DIR              where CSV files go (default .)\n\n");
    printf("%s\n%s", common_text, exit_codes_text);
}

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("descovo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static int exit_code_of(descovo_error_class cls)
{
    static const int codes[] = {
        [DESCOVO_OK] = 0,
        [DESCOVO_ERR_AUTH] = EXIT_AUTH,
        [DESCOVO_ERR_NOT_FOUND] = EXIT_NOT_FOUND,
        [DESCOVO_ERR_INVALID_STATE] = EXIT_INVALID_STATE,
        [DESCOVO_ERR_VALIDATION] = EXIT_VALIDATION,
        [DESCOVO_ERR_CREDITS] = EXIT_CREDITS,
        [DESCOVO_ERR_QUOTA] = EXIT_QUOTA,
        [DESCOVO_ERR_RATE_LIMITED] = EXIT_RATE_LIMITED,
        [DESCOVO_ERR_SERVER] = EXIT_SERVER,
        [DESCOVO_ERR_NETWORK] = EXIT_NETWORK,
        [DESCOVO_ERR_PROTOCOL] = EXIT_INTERNAL,
        [DESCOVO_ERR_FAILED] = EXIT_FAILED,
        [DESCOVO_ERR_TIMEOUT] = EXIT_TIMEOUT,
        [DESCOVO_ERR_IO] = EXIT_IO,
        [DESCOVO_ERR_USAGE] = EXIT_USAGE,
        [DESCOVO_ERR_OOM] = EXIT_INTERNAL,
    };
    if ((size_t)cls >= sizeof codes / sizeof codes[0])
        return EXIT_INTERNAL;
    return codes[cls];
}

int cli_fail(cli *app, const char *what)
{
    const descovo_error *err = descovo_last_error(app->client);
    char status[32] = "";
    if (err->http_status != 0)
        snprintf(status, sizeof status, "HTTP %ld, ", err->http_status);
    if (app->opt.json) {
        json_t *j = json_pack("{s:{s:s, s:s, s:i, s:s, s:i}}", "error", "what", what,
                              "class", descovo_error_class_name(err->cls), "httpStatus", (int)err->http_status,
                              "message", err->message, "attempts", err->attempts);
        if (j != NULL)
            ui_print_json(j);
        json_decref(j);
    }
    fprintf(stderr, "descovo: %s: %s (%s%s)\n", what, err->message, status, descovo_error_class_name(err->cls));
    if (err->cls == DESCOVO_ERR_RATE_LIMITED && err->retry_after >= 0)
        fprintf(stderr, "descovo: the service asks to retry after %ld s\n", err->retry_after);
    return exit_code_of(err->cls);
}

static int parse_long(const char *name, const char *text, long min, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min)
        return cli_error(EXIT_USAGE, "--%s: expected an integer >= %ld, got \"%s\"", name, min, text);
    *out = value;
    return 0;
}

static int parse_seconds(const char *name, const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(value) || value < 0 || value > 1e7)
        return cli_error(EXIT_USAGE, "--%s: expected a number of seconds, got \"%s\"", name, text);
    *out = value;
    return 0;
}

/* Stores one parsed option. Returns 0 or EXIT_USAGE. */
static int set_option(cli_options *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_API_KEY: o->api_key = arg; return 0;
    case OPT_BASE_URL: o->base_url = arg; return 0;
    case OPT_JSON: o->json = 1; return 0;
    case OPT_MOCK_CLOCK: o->mock_clock = 1; return 0;
    case OPT_YES: o->yes = 1; return 0;
    case OPT_MAX_CREDITS: return parse_long("max-credits", arg, 0, &o->max_credits);
    case OPT_OUT: o->out_dir = arg; return 0;
    case OPT_METHOD: o->method = arg; return 0;
    case OPT_MAX_COMPANIES: return parse_long("max-companies", arg, 1, &o->max_companies);
    case OPT_MAX_PROSPECTS: return parse_long("max-prospects", arg, 1, &o->max_prospects);
    case OPT_PROSPECTS: return parse_long("prospects", arg, 1, &o->prospects);
    case OPT_NO_WORK: o->no_work_emails = 1; return 0;
    case OPT_NO_PERSONAL: o->no_personal_emails = 1; return 0;
    case OPT_NO_PHONES: o->no_phones = 1; return 0;
    case OPT_NO_COMPANY_LIVE: o->no_company_live = 1; return 0;
    case OPT_NO_PROFILE_LIVE: o->no_profile_live = 1; return 0;
    case OPT_NO_SALES_NAV: o->no_sales_nav = 1; return 0;
    case OPT_NO_CONTACT: o->no_contact = 1; return 0;
    case OPT_USER_EMAIL: o->user_email = arg; return 0;
    case OPT_WAIT: o->wait = 1; return 0;
    case OPT_INTERVAL: return parse_seconds("interval", arg, &o->interval_s);
    case OPT_TIMEOUT: return parse_seconds("timeout", arg, &o->timeout_s);
    case OPT_MAX_ROWS: return parse_long("max-rows", arg, 1, &o->max_rows);
    case OPT_EXCLUDE: o->exclude = arg; return 0;
    case OPT_ONLY_CONTACTS: o->only_with_contacts = 1; return 0;
    case OPT_PAGE_SIZE: return parse_long("page-size", arg, 1, &o->page_size);
    case OPT_CURSOR: o->cursor = arg; return 0;
    default: return EXIT_USAGE;
    }
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* --mock-clock: time is the mock's manual clock. Sleeping advances it by
 * POST /_mock/clock/advance, and "now" counts the seconds advanced. */
static int64_t mock_now(void *ctx)
{
    return ((cli *)ctx)->virtual_ms;
}

static void mock_sleep(void *ctx, int64_t ms)
{
    cli *app = ctx;
    app->virtual_ms += ms;
    json_t *body = json_pack("{s:f}", "seconds", (double)ms / 1000.0);
    json_t *answer = body != NULL ? descovo_request(app->control, "POST", "/_mock/clock/advance", body) : NULL;
    if (answer == NULL)
        fprintf(stderr, "descovo: --mock-clock: cannot advance the mock's clock: %s\n",
                descovo_last_error(app->control)->message);
    json_decref(answer);
    json_decref(body);
}

static int make_clients(cli *app)
{
    descovo_options options;
    descovo_options_init(&options);
    options.api_key = app->opt.api_key;
    options.base_url = app->opt.base_url;
    options.user_agent = "descovo-cli/" DESCOVO_CLI_VERSION;
    if (app->opt.mock_clock) {
        app->control = descovo_client_new(&options);
        if (app->control == NULL)
            return cli_error(EXIT_INTERNAL, "out of memory");
        options.now_ms = mock_now;
        options.sleep_ms = mock_sleep;
        options.time_ctx = app;
    }
    app->client = descovo_client_new(&options);
    if (app->client == NULL)
        return cli_error(EXIT_INTERNAL, "out of memory");
    return 0;
}

static int env_or_flag(const char **value, const char *env)
{
    if (*value == NULL) {
        const char *from_env = getenv(env);
        if (from_env != NULL && from_env[0] != '\0')
            *value = from_env;
    }
    return 0;
}

/* Parses argv; finds the command; checks flags and arguments. Returns 0
 * to run *cmd_out, -1 when help or the version was printed, or an exit code. */
static int parse(int argc, char **argv, cli *app, const command **cmd_out)
{
    cli_options *o = &app->opt;
    int want_help = 0;
    int want_version = 0;
    int opt;
    int used[64] = {0};
    size_t n_used = 0;
    opterr = 0;
    for (;;) {
        opt = getopt_long(argc, argv, ":h", long_options, NULL);
        if (opt == -1)
            break;
        if (opt == '?')
            return cli_error(EXIT_USAGE, "unknown option %s (see descovo --help)", argv[optind - 1]);
        if (opt == ':')
            return cli_error(EXIT_USAGE, "option %s needs a value", argv[optind - 1]);
        if (opt == 'h' || opt == OPT_HELP) {
            want_help = 1;
            continue;
        }
        if (opt == OPT_VERSION) {
            want_version = 1;
            continue;
        }
        int rc = set_option(o, opt, optarg);
        if (rc != 0)
            return rc;
        if (n_used < sizeof used / sizeof used[0])
            used[n_used++] = opt;
    }
    if (want_version) {
        printf("descovo %s (libdescovo %s)\n", DESCOVO_CLI_VERSION, descovo_version());
        return -1;
    }
    if (optind >= argc) {
        if (want_help) {
            print_usage(stdout);
            return -1;
        }
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const command *cmd = find_command(argv[optind]);
    if (cmd == NULL)
        return cli_error(EXIT_USAGE, "unknown command \"%s\" (see descovo --help)", argv[optind]);
    if (want_help) {
        print_command_help(cmd);
        return -1;
    }
    for (size_t i = 0; i < n_used; i++) {
        if ((option_flag(used[i]) & cmd->flags) == 0) {
            const char *name = "?";
            for (size_t j = 0; long_options[j].name != NULL; j++) {
                if (long_options[j].val == used[i])
                    name = long_options[j].name;
            }
            return cli_error(EXIT_USAGE, "%s does not take --%s (see descovo %s --help)", cmd->name, name, cmd->name);
        }
    }
    app->argc = argc - optind - 1;
    app->argv = argv + optind + 1;
    if (app->argc < cmd->min_args || app->argc > cmd->max_args)
        return cli_error(EXIT_USAGE, "usage: descovo %s %s", cmd->name, cmd->usage);
    *cmd_out = cmd;
    return 0;
}

int main(int argc, char **argv)
{
    cli app;
    memset(&app, 0, sizeof app);
    app.opt.max_credits = -1;
    app.opt.interval_s = 2.0;
    app.opt.timeout_s = 600.0;
    app.opt.out_dir = ".";
    app.opt.tty_in = isatty(STDIN_FILENO);
    app.opt.tty_err = isatty(STDERR_FILENO);

    const command *cmd = NULL;
    int rc = parse(argc, argv, &app, &cmd);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    env_or_flag(&app.opt.api_key, "DESCOVO_API_KEY");
    env_or_flag(&app.opt.base_url, "DESCOVO_BASE_URL");
    if (app.opt.api_key == NULL)
        return cli_error(EXIT_USAGE, "no API key: pass --api-key or set DESCOVO_API_KEY");

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return cli_error(EXIT_INTERNAL, "cannot initialise libcurl");
    rc = make_clients(&app);
    if (rc == 0)
        rc = cmd->run(&app);
    descovo_client_free(app.client);
    descovo_client_free(app.control);
    curl_global_cleanup();
    return rc;
}
