/* scenario: named sets of faults, accounts, rate limits and clock settings,
 * applied to a running simulator in one step (--scenario at start, or
 * POST /_mock/scenarios).
 *
 * A scenario is a JSON object:
 *   {"name": "...", "description": "one line",
 *    "settings": {"rateLimitScale": F, "buildStages": B, "healingCompanies": B,
 *                 "enrichmentSlowdown": F, "timeScale": F,
 *                 "chaosRate": F, "chaosSeed": N},
 *    "accounts": {"KEY": {"credits": N, "exportQuota": N, "exportRowsUsed": N}},
 *    "faults": [rule, ...]}          (rules as in faults.h)
 * Every part is optional. It is validated whole before anything changes:
 * a bad scenario changes nothing. The files of fixtures/scenarios/ are
 * compiled in and can be named instead of given. */
#ifndef DESCOVO_SCENARIO_H
#define DESCOVO_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

#include "sim/context.h"

/* What of a scenario is applied. A live load applies all of it; a replay
 * of the state file only what belongs to the store (accounts, the store's
 * settings, a tenant's own settings): fault rules, chaos and the time scale
 * belong to the running process, like rules added with POST /_mock/faults,
 * and a restart does not bring them back, whether it replays the whole log
 * or restores a snapshot (docs/RELIABILITY.md). */
typedef enum scenario_scope {
    SCENARIO_WHOLE = 0,
    SCENARIO_STORE_ONLY
} scenario_scope;

/* Applies a scenario. Returns a new summary object {name, faults: [ids],
 * accounts: [keys]} (faults empty under SCENARIO_STORE_ONLY), or NULL with
 * a message naming the field in err. Takes the store lock itself (call
 * without it). */
json_t *scenario_apply(const mock_context *ctx, const json_t *scenario, scenario_scope scope,
                       char *err, size_t errlen);

/* Applies a scenario to one tenant (the account with this key, which
 * must exist), nothing else: settings rateLimitScale, buildStages,
 * healingCompanies and enrichmentSlowdown become the tenant's own; the one
 * entry of "accounts" (whatever its key) sets the tenant's credits and
 * quota; every fault rule gets match.apiKey = key. Server-wide settings
 * (timeScale, chaosRate, chaosSeed), more than one account, or a rule for
 * another key are refused (NULL, message in err), and nothing changes.
 * Returns the summary as scenario_apply does. The store lock held (the
 * fault rules' lock is taken after it); server_ms: the server's time of
 * the request, which the tenant's clock maps. */
json_t *scenario_apply_tenant(const mock_context *ctx, const char *key, const json_t *scenario, int64_t server_ms,
                              scenario_scope scope, char *err, size_t errlen);

/* The scenario a request body names: {"name": N} alone is the built-in N
 * (NULL, *unknown_name = N, when there is none); any other body is the
 * scenario itself. New reference. */
json_t *scenario_from_body(const json_t *body, const char **unknown_name);

/* The compiled-in scenario with this name (file name without .json), parsed:
 * a new reference, or NULL when there is none. */
json_t *scenario_builtin(const char *name);

/* [{name, description}] of the compiled-in scenarios; new reference. */
json_t *scenario_builtin_list(void);

/* Loads `name_or_path`: a compiled-in name, else a file. Returns a new
 * reference or NULL with a message in err. */
json_t *scenario_load(const char *name_or_path, char *err, size_t errlen);

#endif
