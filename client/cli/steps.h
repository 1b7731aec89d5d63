/* Steps shared by the single commands and `descovo run`. Errors are
 * printed; functions return 0 or an exit code. */
#ifndef DESCOVO_CLI_STEPS_H
#define DESCOVO_CLI_STEPS_H

#include <stddef.h>

#include "cli.h"

/* The enrichment the flags describe, for `prospects` prospects. */
void steps_enrich_options(const cli *app, long prospects, descovo_enrich_options *o);

/* Estimate, show, check --max-credits, ask (or --yes): 0 to go on. */
int steps_confirm_enrichment(cli *app, const char *id, const descovo_enrich_options *o,
                             descovo_estimate *estimate);

/* Exports one kind and downloads it into --out as ID-KIND.csv (path_out).
 * The folder is checked writable before the export is asked for, so a bad
 * --out spends no export quota. */
int steps_export(cli *app, const char *id, int prospects, const descovo_export_options *o,
                 descovo_export *exp, char *path_out, size_t path_size);

#endif
