/* What --help prints. The exit codes are listed once, by `descovo help
 * exit-codes`; the environment by `descovo help environment`. */
#include "help.h"

#include <string.h>

static const char exit_codes_text[] =
    "Exit codes of descovo:\n"
    "   0 success\n"
    "   1 internal error, an answer the CLI does not understand\n"
    "   2 usage: flags, job or filter file; --mock-clock against a server that is\n"
    "     not a manual-clock descovo-mock\n"
    "   3 auth (401)\n"
    "   4 not found (404)\n"
    "   5 invalid state (400: the audience's status forbids it)\n"
    "   6 validation (400: a bad parameter)\n"
    "   7 not enough credits (402)\n"
    "   8 export quota exhausted (403)\n"
    "   9 rate limited (429, after every retry)\n"
    "  10 server error (5xx)\n"
    "  11 network: no answer (see --timeout, --connect-timeout, --retries)\n"
    "  12 build or enrichment FAILED\n"
    "  13 timed out waiting (--wait-timeout)\n"
    "  14 enrichment not confirmed (no terminal and no --yes, or answered no)\n"
    "  15 estimate above --max-credits\n"
    "  16 local file error (--out, the state file)\n"
    " 130 interrupted (Ctrl-C): the message says what was started and how to resume\n";

static const char environment_text[] =
    "Environment variables (a flag wins over its variable):\n"
    "  DESCOVO_API_KEY          --api-key\n"
    "  DESCOVO_BASE_URL         --base-url (default " DESCOVO_DEFAULT_BASE_URL ")\n"
    "  DESCOVO_TIMEOUT          --timeout, seconds\n"
    "  DESCOVO_CONNECT_TIMEOUT  --connect-timeout, seconds\n"
    "  DESCOVO_RETRIES          --retries\n"
    "  DESCOVO_DEBUG=1          --verbose\n";

static const char common_text[] =
    "Common options:\n"
    "  --api-key KEY          API key (default: $DESCOVO_API_KEY)\n"
    "  --base-url URL         service URL (default: $DESCOVO_BASE_URL, else the real API)\n"
    "  --json                 machine-readable output on stdout\n"
    "  --mock-clock           only against descovo-mock --clock manual: advance its clock\n"
    "                         instead of sleeping while waiting (checked first: refused,\n"
    "                         with nothing sent, against any other server)\n"
    "  --timeout S            give up on one HTTP request after S seconds (default 60)\n"
    "  --connect-timeout S    give up connecting after S seconds (default 10)\n"
    "  --retries N            retries after a failed attempt (default 4; 0: none); a\n"
    "                         request that spends is retried only when the service says\n"
    "                         it did not process it (429, 503)\n"
    "  --verbose              log every request on stderr: method, path (never the key),\n"
    "                         status, time, retry decisions (also DESCOVO_DEBUG=1)\n"
    "  --help                 this help\n";

void help_usage(FILE *out, const command *cmds, size_t n)
{
    fprintf(out, "Usage: descovo [OPTIONS] COMMAND [ARGS]\n\n"
                 "A client of the Descovo Audiences API (libdescovo %s).\n\nCommands:\n", descovo_version());
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-18s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(out, "\n%s\n"
                 "'descovo COMMAND --help' (or 'descovo help COMMAND') describes a command;\n"
                 "'descovo help exit-codes' lists the exit codes, 'descovo help environment'\n"
                 "the environment variables.\n", common_text);
}

void help_command(const command *cmd)
{
    printf("Usage: descovo %s %s\n\n%s\n%s\n\n", cmd->name, cmd->usage, cmd->summary, cmd->help);
    if (cmd->flags & F_ENRICH_FLAGS)
        printf("Enrichment flags (everything is on unless turned off):\n"
               "  --prospects N          how many prospects to enrich (maxProspectsToEnrich; required)\n"
               "  --no-work-emails --no-personal-emails --no-phones\n"
               "                         leave out a contact type\n"
               "  --no-company-live --no-profile-live --no-sales-nav --no-contact\n"
               "                         leave out a stage (runCompanyLiveEnrichment, ...)\n\n");
    if (cmd->flags & (F_YES | F_MAX_CREDITS))
        printf("Spending:\n"
               "  --yes                  do not ask before spending credits\n"
               "  --max-credits N        refuse an enrichment estimated above N credits\n\n");
    if (cmd->flags & (F_WAIT | F_INTERVAL))
        printf("Waiting:\n"
               "%s"
               "  --interval S           seconds between polls (default 2, at least 1: within the\n"
               "                         status endpoints' per-minute limits)\n"
               "  --wait-timeout S       give up waiting after S seconds (default 600; exit 13)\n\n",
               (cmd->flags & F_WAIT) ? "  --wait                 poll until done\n" : "");
    if (cmd->flags & (F_OUT | F_MAX_ROWS | F_EXCLUDE | F_ONLY_CONTACTS)) {
        printf("Export:\n");
        if (cmd->flags & F_OUT)
            printf("  --out DIR              where the CSV files go (default .; created, checked writable\n"
                   "                         before the export spends quota)\n");
        if (cmd->flags & F_MAX_ROWS)
            printf("  --max-rows N           export at most N rows (maxRowsToExport; also capped by the\n"
                   "                         export quota left)\n");
        if (cmd->flags & F_EXCLUDE)
            printf("  --exclude COLS         leave out these CSV columns, comma-separated\n"
                   "                         (excludeFields, e.g. logo_url,description)\n");
        if (cmd->flags & F_ONLY_CONTACTS)
            printf("  --only-with-contacts   only prospects with a revealed e-mail or phone, so none\n"
                   "                         before an enrichment (onlyWithContacts)\n");
        if (cmd->flags & F_USER_EMAIL)
            printf("  --user-email ADDR      where the service e-mails the export (userEmail)\n");
        printf("\n");
    }
    if (cmd->flags & F_PAGE)
        printf("Pages:\n"
               "  --page-size N          records per page (1-500, default 100)\n"
               "  --cursor C             the page after the one that gave nextCursor C\n"
               "  --all                  every page, following the cursors\n\n");
    if (cmd->flags & F_RESUME)
        printf("Resuming:\n"
               "  --resume               go on from the last finished step recorded in\n"
               "                         DIR/JOB.run-state.json; what was spent is never spent again\n\n");
    printf("%s\nExit codes: descovo help exit-codes\n", common_text);
}

void help_exit_codes(void)
{
    fputs(exit_codes_text, stdout);
}

void help_environment(void)
{
    fputs(environment_text, stdout);
}
