/* The groups of the suite, one cmocka group (and one JUnit file) each, in
 * the order main runs them. Each returns its number of failed cases. */
#ifndef CONF_GROUPS_H
#define CONF_GROUPS_H

#include "suite.h"

int group_auth(conf_ctx *ctx);
int group_workflow(conf_ctx *ctx);
int group_sequence(conf_ctx *ctx);
int group_not_found(conf_ctx *ctx);
int group_credits(conf_ctx *ctx);
int group_exports(conf_ctx *ctx);
int group_echoes(conf_ctx *ctx);
int group_arithmetic(conf_ctx *ctx);
int group_consistency(conf_ctx *ctx);
int group_progress(conf_ctx *ctx);
int group_options(conf_ctx *ctx);
int group_paging(conf_ctx *ctx);
int group_limits(conf_ctx *ctx);
int group_determinism(conf_ctx *ctx);

#endif
