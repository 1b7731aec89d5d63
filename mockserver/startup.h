/* startup: what descovo-mock tells whoever started it, once it serves: the
 * first line on stdout and the --ready-file. Both are a stable contract for
 * test harnesses (docs/API.md, "Start-up contract"):
 *
 *   text: descovo-mock VERSION listening on URL (seed N, N companies, N prospects, CLOCK clock)
 *   json: {"event":"listening","url":..,"port":..,"pid":..,"version":..,"seed":..,
 *          "companies":..,"prospects":..,"clock":"real"|"manual"}
 *   ready file: {"url":..,"port":..,"pid":..,"version":..}
 *
 * No locking: main.c calls these from its own thread. */
#ifndef DESCOVO_STARTUP_H
#define DESCOVO_STARTUP_H

#include <stddef.h>
#include <stdio.h>

#include "app.h"

/* Prints the first line to out (JSON with --log-format json) and flushes. */
void startup_print_listening(FILE *out, const mock_options *options, const mock_app *app);

/* Prints the line of a stop on signal sig (nothing with --quiet). */
void startup_print_stopping(FILE *out, const mock_options *options, int sig);

/* Writes the ready file of options->ready_file: to a temporary file in the
 * same directory, then renamed over PATH, so that a reader sees no file or
 * the whole object. Returns 0, or -1 with a message in err (no file left). */
int startup_write_ready_file(const mock_options *options, const mock_app *app, char *err, size_t errlen);

/* Removes PATH (a stale one before start, ours at a clean stop); a missing
 * file is not an error. No-op without --ready-file. */
void startup_remove_ready_file(const mock_options *options);

#endif
