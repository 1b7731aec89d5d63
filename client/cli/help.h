/* The help texts: the list of commands, one command's help, exit codes. */
#ifndef DESCOVO_CLI_HELP_H
#define DESCOVO_CLI_HELP_H

#include <stdio.h>

#include "cli.h"

void help_usage(FILE *out, const command *cmds, size_t n);
void help_command(const command *cmd);
void help_exit_codes(void);
void help_environment(void);

#endif
