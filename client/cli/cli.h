/* descovo: the command-line tool over libdescovo. The types every file of
 * client/cli/ shares; no functions. Who calls whom (no cycles):
 *
 *   main.c      the table of subcommands, the client, dispatch
 *     options.c   flags and environment variables -> cli_options
 *     help.c      --help texts, `descovo help exit-codes`
 *     commands.c  one function per subcommand (but run)
 *     run.c       `descovo run JOB.json [--resume]`: the nine steps
 *       runstate.c  run.c's state file, for --resume
 *       steps.c     steps shared by commands.c and run.c: confirm, export
 *         files.c     JSON files checked strictly, output paths
 *         report.c    errors, exit codes, warnings, --verbose, retries
 *           ui.c        progress bar, y/N question, JSON on stdout
 *           suggest.c   the closest name, for typos
 *           interrupt.c what Ctrl-C prints
 */
#ifndef DESCOVO_CLI_H
#define DESCOVO_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "descovo.h"

/* Exit codes: one per error class; `descovo help exit-codes` lists them. */
enum {
    EXIT_OK_ = 0,
    EXIT_INTERNAL = 1,       /* out of memory, an answer we do not understand */
    EXIT_USAGE = 2,          /* bad flags, job or filter file; --mock-clock against a non-mock */
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
    EXIT_TIMEOUT = 13,       /* --wait-timeout passed while waiting */
    EXIT_NOT_CONFIRMED = 14, /* enrichment not confirmed: no terminal and no --yes, or "no" */
    EXIT_OVER_BUDGET = 15,   /* estimate above --max-credits */
    EXIT_IO = 16,            /* a local file could not be read or written */
    EXIT_INTERRUPTED = 130   /* Ctrl-C (SIGINT) */
};

/* The shortest --interval: once a second is within every polled
 * endpoint's per-minute limit (status 100, enrichment status 60). */
#define CLI_MIN_INTERVAL_S 1.0

/* Every flag of every subcommand; main.c lists which ones a command takes. */
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
    double interval_s;            /* between polls */
    double wait_timeout_s;        /* give up waiting after */
    double timeout_s;             /* one HTTP request */
    double connect_timeout_s;
    long retries;                 /* after the first attempt */
    int json;
    int yes;
    int wait;
    int all;                      /* companies/prospects: every page */
    int resume;                   /* run --resume */
    int verbose;                  /* --verbose or DESCOVO_DEBUG=1 */
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
    const char *audience_id;      /* for errors (--json "audienceId"), once known */
    char resume_hint[1536];       /* in --json errors, when set */
    int argc;                     /* positional arguments after the command */
    char **argv;
} cli;

/* One bit per flag; each subcommand lists the flags it takes. */
enum {
    F_API_KEY = 1u << 0, F_BASE_URL = 1u << 1, F_JSON = 1u << 2, F_MOCK_CLOCK = 1u << 3,
    F_YES = 1u << 4, F_MAX_CREDITS = 1u << 5, F_OUT = 1u << 6, F_METHOD = 1u << 7,
    F_MAX_COMPANIES = 1u << 8, F_MAX_PROSPECTS = 1u << 9, F_PROSPECTS = 1u << 10,
    F_ENRICH_FLAGS = 1u << 11, F_USER_EMAIL = 1u << 12, F_WAIT = 1u << 13,
    F_INTERVAL = 1u << 14, F_WAIT_TIMEOUT = 1u << 15, F_MAX_ROWS = 1u << 16,
    F_EXCLUDE = 1u << 17, F_ONLY_CONTACTS = 1u << 18, F_PAGE = 1u << 19,
    F_HTTP = 1u << 20, F_ALL = 1u << 21, F_RESUME = 1u << 22,
};

#define F_COMMON (F_API_KEY | F_BASE_URL | F_JSON | F_MOCK_CLOCK | F_HTTP)
#define F_WAITING (F_WAIT | F_INTERVAL | F_WAIT_TIMEOUT)
#define F_EXPORT (F_OUT | F_MAX_ROWS | F_EXCLUDE | F_USER_EMAIL)

typedef struct command {
    const char *name;
    int (*run)(cli *app);
    int min_args, max_args;
    unsigned flags;
    const char *usage;        /* after "descovo NAME " */
    const char *summary;      /* one line, for the list of commands */
    const char *help;         /* the rest of `descovo NAME --help` */
} command;

#endif
