/* What the user sees on the terminal: the progress of a wait (a bar on a
 * terminal, fitted to its width and redrawn after a resize; plain lines
 * otherwise; always on stderr), the y/N question, and JSON on stdout. */
#ifndef DESCOVO_CLI_UI_H
#define DESCOVO_CLI_UI_H

#include "cli.h"

/* Wait for a build (until NORMAL or FAILED) or an enrichment (until DONE),
 * polling at --interval up to --wait-timeout, with the progress on stderr.
 * Return what descovo_wait_build / descovo_wait_enrichment return. */
int ui_wait_build(cli *app, const char *id, descovo_audience *aud);
int ui_wait_enrichment(cli *app, const char *id, descovo_enrichment_progress *st);
/* Ends a bar drawn on the terminal with a newline, so that a message can
 * follow on a line of its own; nothing when no bar is drawn. */
void ui_break_line(void);
/* Asks a yes/no question on the terminal; 1 for yes. */
int ui_ask_yes(const char *question);
/* Prints a JSON value on stdout, indented, with a newline. */
void ui_print_json(const json_t *value);

#endif
