/* Messages on stderr: errors and their exit codes, the warnings of every
 * answer, retries (on a terminal or with --verbose) and, with --verbose or
 * DESCOVO_DEBUG=1, every request. */
#ifndef DESCOVO_CLI_REPORT_H
#define DESCOVO_CLI_REPORT_H

#include "cli.h"

/* Prints "descovo: message" to stderr and returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "descovo: <what>: <error>" for the client's last error (with
 * --json also {"error": {...}} on stdout, with the audienceId once known)
 * and app->resume_hint). Returns the error's exit code. */
int cli_fail(cli *app, const char *what);

/* The exit code of a library error class. */
int report_exit_code(descovo_error_class cls);

/* The library's event callback (ctx: the cli). */
void report_event(void *ctx, const descovo_event *event);

#endif
