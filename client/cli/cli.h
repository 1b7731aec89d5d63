/* descovo: the command-line tool over libdescovo. Shared declarations of
 * its files:
 *
 *   main.c      options, the table of subcommands, --help, exit codes
 *   commands.c  one function per subcommand
 *   run.c       `descovo run JOB.json`: the nine steps from a job file
 *   ui.c        progress display, the confirmation before spending, output
 */
#ifndef DESCOVO_CLI_H
#define DESCOVO_CLI_H

#include <stdint.h>

#include "descovo.h"

/* Exit codes: one per error class, documented in --help and client/README.md. */
enum {
    EXIT_OK_ = 0,
    EXIT_INTERNAL = 1,       /* out of memory, an answer we do not understand */
    EXIT_USAGE = 2,          /* bad flags or job file */
    EXIT_AUTH = 3,           /* 401 */
    EXIT_NOT_FOUND = 4,      /* 404 */
    EXIT_INVALID_STATE = 5,  /* 400: the audience's status forbids it */
    EXIT_VALIDATION = 6,     /* 400: a bad parameter */
    EXIT_CREDITS = 7,        /* 402 */
    EXIT_QUOTA = 8,          /* 403 */
    EXIT_RATE_LIMITED = 9,   /* 429 after every retry */
    EXIT_SERVER = 10,        /* 5xx */
    EXIT_NETWORK = 11,       /* no answer */
    EXIT_FAILED = 12,        /* build or enrichment FAILED */
    EXIT_TIMEOUT = 13,       /* --timeout passed while waiting */
    EXIT_NOT_CONFIRMED = 14, /* enrichment not confirmed: no terminal and no --yes, or "no" */
    EXIT_OVER_BUDGET = 15,   /* estimate above --max-credits */
    EXIT_IO = 16             /* a local file could not be read or written */
};

/* Every flag of every subcommand; main.c checks which ones a command takes. */
typedef struct cli_options {
    const char *api_key;
    const char *base_url;
    const char *out_dir;          /* --out, "." by default */
    const char *method;           /* --method */
    const char *user_email;
    const char *exclude;          /* comma-separated column names */
    long max_credits;             /* -1: no limit */
    long max_companies;
    long max_prospects;
    long prospects;               /* --prospects: maxProspectsToEnrich */
    long max_rows;
    long page_size;
    const char *cursor;
    double interval_s;
    double timeout_s;
    int json;
    int yes;
    int wait;
    int only_with_contacts;
    int mock_clock;               /* advance a manual-clock descovo-mock instead of sleeping */
    int no_work_emails, no_personal_emails, no_phones;
    int no_company_live, no_profile_live, no_sales_nav, no_contact;
    int tty_in;                   /* stdin is a terminal */
    int tty_err;                  /* stderr is a terminal */
} cli_options;

/* The state of one invocation. */
typedef struct cli {
    cli_options opt;
    descovo_client *client;
    descovo_client *control;      /* --mock-clock: advances the mock's clock */
    int64_t virtual_ms;           /* --mock-clock: simulated time */
    int argc;                     /* positional arguments after the command */
    char **argv;
} cli;

/* ---- main.c ---- */
/* Prints "descovo: <what>: <error>" and returns the exit code of the
 * client's last error. */
int cli_fail(cli *app, const char *what);
/* Prints "descovo: message" to stderr and returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- commands.c ---- */
int cmd_create(cli *app);
int cmd_set_filters(cli *app);
int cmd_build(cli *app);
int cmd_status(cli *app);
int cmd_estimate(cli *app);
int cmd_enrich(cli *app);
int cmd_enrichment_status(cli *app);
int cmd_export_companies(cli *app);
int cmd_export_prospects(cli *app);
int cmd_credits(cli *app);
int cmd_list(cli *app);
int cmd_archive(cli *app);
int cmd_companies(cli *app);
int cmd_prospects(cli *app);

/* Shared with run.c. */
void cli_enrich_options(const cli *app, long prospects, descovo_enrich_options *o);
/* Estimate, show, check --max-credits, ask; 0 to go on, else an exit code. */
int cli_confirm_enrichment(cli *app, const char *id, const descovo_enrich_options *o,
                           descovo_estimate *estimate);
/* Exports one kind and downloads it into --out; path_out gets the file. */
int cli_export(cli *app, const char *id, int prospects, const descovo_export_options *o,
               descovo_export *exp, char *path_out, size_t path_size);

/* ---- run.c ---- */
int cmd_run(cli *app);

/* ---- ui.c ---- */
/* Wait for a build (until NORMAL or FAILED) or an enrichment (until DONE),
 * polling at --interval up to --timeout, with the progress on stderr: a bar
 * redrawn in place on a terminal, a line per change otherwise. Return what
 * descovo_wait_build / descovo_wait_enrichment return. */
int ui_wait_build(cli *app, const char *id, descovo_audience *aud);
int ui_wait_enrichment(cli *app, const char *id, descovo_enrichment_progress *st);
/* Asks a yes/no question on the terminal; 1 for yes. */
int ui_ask_yes(const char *question);
/* Prints a JSON value on stdout, indented, with a newline. */
void ui_print_json(const json_t *value);
/* Reads a JSON object from a file ("-": stdin). NULL with a message printed. */
json_t *ui_load_json(const char *path);

#endif
