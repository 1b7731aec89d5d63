/* `descovo run JOB.json [--resume]`: the nine steps from a job file. */
#ifndef DESCOVO_CLI_RUN_H
#define DESCOVO_CLI_RUN_H

#include "cli.h"

int cmd_run(cli *app);

#endif
