/* One function per subcommand (but run): call the library, print the
 * result (text, or the answer's "output" with --json), return an exit code. */
#ifndef DESCOVO_CLI_COMMANDS_H
#define DESCOVO_CLI_COMMANDS_H

#include "cli.h"

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

#endif
