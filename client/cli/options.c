/* Flags (getopt_long), the environment, and the checks between them. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "report.h"
#include "suggest.h"

enum {
    OPT_API_KEY = 256, OPT_BASE_URL, OPT_JSON, OPT_MOCK_CLOCK, OPT_YES, OPT_MAX_CREDITS, OPT_OUT,
    OPT_METHOD, OPT_MAX_COMPANIES, OPT_MAX_PROSPECTS, OPT_PROSPECTS, OPT_NO_WORK, OPT_NO_PERSONAL,
    OPT_NO_PHONES, OPT_NO_COMPANY_LIVE, OPT_NO_PROFILE_LIVE, OPT_NO_SALES_NAV, OPT_NO_CONTACT,
    OPT_USER_EMAIL, OPT_WAIT, OPT_INTERVAL, OPT_WAIT_TIMEOUT, OPT_MAX_ROWS, OPT_EXCLUDE, OPT_ONLY_CONTACTS,
    OPT_PAGE_SIZE, OPT_CURSOR, OPT_ALL, OPT_RESUME, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_RETRIES,
    OPT_VERBOSE, OPT_HELP, OPT_VERSION
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
    {"wait-timeout", required_argument, NULL, OPT_WAIT_TIMEOUT},
    {"max-rows", required_argument, NULL, OPT_MAX_ROWS},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"only-with-contacts", no_argument, NULL, OPT_ONLY_CONTACTS},
    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {"all", no_argument, NULL, OPT_ALL},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

#define N_LONG_OPTIONS (sizeof long_options / sizeof long_options[0] - 1)

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
    case OPT_WAIT_TIMEOUT: return F_WAIT_TIMEOUT;
    case OPT_MAX_ROWS: return F_MAX_ROWS;
    case OPT_EXCLUDE: return F_EXCLUDE;
    case OPT_ONLY_CONTACTS: return F_ONLY_CONTACTS;
    case OPT_PAGE_SIZE: case OPT_CURSOR: return F_PAGE;
    case OPT_ALL: return F_ALL;
    case OPT_RESUME: return F_RESUME;
    case OPT_TIMEOUT: case OPT_CONNECT_TIMEOUT: case OPT_RETRIES: case OPT_VERBOSE: return F_HTTP;
    default: return 0;
    }
}

void options_defaults(cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_credits = -1;
    o->interval_s = 2.0;
    o->wait_timeout_s = 600.0;
    o->timeout_s = -1;            /* -1: from the environment, else the default */
    o->connect_timeout_s = -1;
    o->retries = -1;
    o->out_dir = ".";
}

static int parse_long(const char *name, const char *text, long min, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min)
        return cli_error(EXIT_USAGE, "%s: expected an integer >= %ld, got \"%s\"", name, min, text);
    *out = value;
    return 0;
}

static int parse_seconds(const char *name, const char *text, double min, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(value) || value > 1e7)
        return cli_error(EXIT_USAGE, "%s: expected a number of seconds, got \"%s\"", name, text);
    if (value < min)
        return cli_error(EXIT_USAGE, "%s: at least %g s, got \"%s\"", name, min, text);
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
    case OPT_MAX_CREDITS: return parse_long("--max-credits", arg, 0, &o->max_credits);
    case OPT_OUT: o->out_dir = arg; return 0;
    case OPT_METHOD: o->method = arg; return 0;
    case OPT_MAX_COMPANIES: return parse_long("--max-companies", arg, 1, &o->max_companies);
    case OPT_MAX_PROSPECTS: return parse_long("--max-prospects", arg, 1, &o->max_prospects);
    case OPT_PROSPECTS: return parse_long("--prospects", arg, 1, &o->prospects);
    case OPT_NO_WORK: o->no_work_emails = 1; return 0;
    case OPT_NO_PERSONAL: o->no_personal_emails = 1; return 0;
    case OPT_NO_PHONES: o->no_phones = 1; return 0;
    case OPT_NO_COMPANY_LIVE: o->no_company_live = 1; return 0;
    case OPT_NO_PROFILE_LIVE: o->no_profile_live = 1; return 0;
    case OPT_NO_SALES_NAV: o->no_sales_nav = 1; return 0;
    case OPT_NO_CONTACT: o->no_contact = 1; return 0;
    case OPT_USER_EMAIL: o->user_email = arg; return 0;
    case OPT_WAIT: o->wait = 1; return 0;
    /* The floor keeps every poll within the endpoints' per-minute limits. */
    case OPT_INTERVAL: return parse_seconds("--interval", arg, CLI_MIN_INTERVAL_S, &o->interval_s);
    case OPT_WAIT_TIMEOUT: return parse_seconds("--wait-timeout", arg, 0, &o->wait_timeout_s);
    case OPT_MAX_ROWS: return parse_long("--max-rows", arg, 1, &o->max_rows);
    case OPT_EXCLUDE: o->exclude = arg; return 0;
    case OPT_ONLY_CONTACTS: o->only_with_contacts = 1; return 0;
    case OPT_PAGE_SIZE: return parse_long("--page-size", arg, 1, &o->page_size);
    case OPT_CURSOR: o->cursor = arg; return 0;
    case OPT_ALL: o->all = 1; return 0;
    case OPT_RESUME: o->resume = 1; return 0;
    case OPT_TIMEOUT: return parse_seconds("--timeout", arg, 0.001, &o->timeout_s);
    case OPT_CONNECT_TIMEOUT: return parse_seconds("--connect-timeout", arg, 0.001, &o->connect_timeout_s);
    case OPT_RETRIES: return parse_long("--retries", arg, 0, &o->retries);
    case OPT_VERBOSE: o->verbose = 1; return 0;
    default: return EXIT_USAGE;
    }
}

static const char *option_name(int val)
{
    for (size_t j = 0; j < N_LONG_OPTIONS; j++) {
        if (long_options[j].val == val)
            return long_options[j].name;
    }
    return "?";
}

/* "unknown option --max-credit; did you mean --max-credits?" */
static int unknown_option(const char *arg)
{
    char word[64];
    const char *name = arg;
    while (*name == '-')
        name++;
    snprintf(word, sizeof word, "%.*s", (int)strcspn(name, "="), name);
    const char *names[N_LONG_OPTIONS];
    for (size_t j = 0; j < N_LONG_OPTIONS; j++)
        names[j] = long_options[j].name;
    const char *close = suggest_closest(word, names, N_LONG_OPTIONS);
    if (close != NULL)
        return cli_error(EXIT_USAGE, "unknown option %s; did you mean --%s? (see descovo --help)", arg, close);
    return cli_error(EXIT_USAGE, "unknown option %s (see descovo --help)", arg);
}

static const command *find_command(const command *cmds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    }
    return NULL;
}

static int unknown_command(const command *cmds, size_t n, const char *name, const char *what)
{
    const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 62; i++)
        names[k++] = cmds[i].name;
    names[k++] = "help";
    const char *close = suggest_closest(name, names, k);
    if (close != NULL)
        return cli_error(EXIT_USAGE, "unknown %s \"%s\"; did you mean \"%s\"? (see descovo --help)", what, name, close);
    return cli_error(EXIT_USAGE, "unknown %s \"%s\" (see descovo --help)", what, name);
}

/* `descovo help [exit-codes|environment|COMMAND]`. */
static int help_topic(const command *cmds, size_t n, int argc, char **argv)
{
    if (argc == 0) {
        help_usage(stdout, cmds, n);
        return PARSE_DONE;
    }
    if (strcmp(argv[0], "exit-codes") == 0) {
        help_exit_codes();
        return PARSE_DONE;
    }
    if (strcmp(argv[0], "environment") == 0) {
        help_environment();
        return PARSE_DONE;
    }
    const command *cmd = find_command(cmds, n, argv[0]);
    if (cmd == NULL)
        return unknown_command(cmds, n, argv[0], "help topic");
    help_command(cmd);
    return PARSE_DONE;
}

int options_parse(int argc, char **argv, const command *cmds, size_t n, cli *app, const command **cmd_out)
{
    cli_options *o = &app->opt;
    int want_help = 0;
    int want_version = 0;
    int used[64] = {0};
    size_t n_used = 0;
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, ":h", long_options, NULL);
        if (opt == -1)
            break;
        if (opt == '?')
            return unknown_option(argv[optind - 1]);
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
        return PARSE_DONE;
    }
    if (optind >= argc) {
        help_usage(want_help ? stdout : stderr, cmds, n);
        return want_help ? PARSE_DONE : EXIT_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0)
        return help_topic(cmds, n, argc - optind - 1, argv + optind + 1);
    const command *cmd = find_command(cmds, n, argv[optind]);
    if (cmd == NULL)
        return unknown_command(cmds, n, argv[optind], "command");
    if (want_help) {
        help_command(cmd);
        return PARSE_DONE;
    }
    for (size_t i = 0; i < n_used; i++) {
        if ((option_flag(used[i]) & cmd->flags) == 0)
            return cli_error(EXIT_USAGE, "%s does not take --%s (see descovo %s --help)", cmd->name,
                             option_name(used[i]), cmd->name);
    }
    app->argc = argc - optind - 1;
    app->argv = argv + optind + 1;
    if (app->argc < cmd->min_args || app->argc > cmd->max_args)
        return cli_error(EXIT_USAGE, "usage: descovo %s %s", cmd->name, cmd->usage);
    *cmd_out = cmd;
    return PARSE_RUN;
}

/* The variable's value, when set and not empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A number of seconds from the variable, unless a flag gave one (>= 0). */
static int env_seconds(const char *name, double *value)
{
    const char *v = env(name);
    if (*value >= 0 || v == NULL)
        return 0;
    return parse_seconds(name, v, 0.001, value);
}

int options_environment(cli_options *o)
{
    if (o->api_key == NULL)
        o->api_key = env("DESCOVO_API_KEY");
    if (o->base_url == NULL)
        o->base_url = env("DESCOVO_BASE_URL");
    if (env_seconds("DESCOVO_TIMEOUT", &o->timeout_s) != 0 ||
        env_seconds("DESCOVO_CONNECT_TIMEOUT", &o->connect_timeout_s) != 0)
        return EXIT_USAGE;
    const char *retries = env("DESCOVO_RETRIES");
    if (o->retries < 0 && retries != NULL && parse_long("DESCOVO_RETRIES", retries, 0, &o->retries) != 0)
        return EXIT_USAGE;
    const char *debug = env("DESCOVO_DEBUG");
    if (debug != NULL && strcmp(debug, "0") != 0)
        o->verbose = 1;
    if (o->timeout_s < 0)
        o->timeout_s = 60;
    if (o->connect_timeout_s < 0)
        o->connect_timeout_s = 10;
    if (o->retries < 0)
        o->retries = 4;
    return 0;
}
