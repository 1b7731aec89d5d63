/* The command line and the environment -> cli_options. Errors are printed
 * (with the closest subcommand or option on a typo). */
#ifndef DESCOVO_CLI_OPTIONS_H
#define DESCOVO_CLI_OPTIONS_H

#include "cli.h"

/* What options_parse found. */
enum { PARSE_RUN = 0, PARSE_DONE = -1 };

/* Fills app->opt with the defaults. */
void options_defaults(cli_options *o);

/* Parses argv against the command table. Returns PARSE_RUN with *cmd_out
 * and app->argc/argv set, PARSE_DONE when help or the version was printed,
 * or an exit code (EXIT_USAGE). */
int options_parse(int argc, char **argv, const command *cmds, size_t n, cli *app, const command **cmd_out);

/* Takes what no flag gave from DESCOVO_API_KEY, DESCOVO_BASE_URL,
 * DESCOVO_TIMEOUT, DESCOVO_CONNECT_TIMEOUT, DESCOVO_RETRIES and
 * DESCOVO_DEBUG, then the defaults. Returns 0 or EXIT_USAGE. */
int options_environment(cli_options *o);

#endif
