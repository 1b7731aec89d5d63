/* handlers: one function per endpoint. routes.c maps method + path to them.
 *
 * Contract for every handler: called with the store locked, req->account
 * set (authenticated routes) and the account settled to req->now_ms; fills
 * `reply` (reply_ok or reply_error) and returns. Out of memory, it returns
 * without an answer: the dispatcher then answers 500 (docs/DESIGN.md,
 * "Errors"). The same handler serves live and replayed requests
 * (req->replaying); it changes state only through the store's functions
 * (sim/store.h). A handler never blocks,
 * sleeps or does I/O, except handle_build, which runs its filters with the
 * lock released (see store_work_begin). */
#ifndef DESCOVO_HANDLERS_H
#define DESCOVO_HANDLERS_H

#include "api/api.h"

/* The nine steps (handlers_audience.c, handlers_enrichment.c, handlers_export.c). */
void handle_create(const mock_request *req, mock_reply *reply);
void handle_search_params(const mock_request *req, mock_reply *reply);
void handle_build(const mock_request *req, mock_reply *reply);
void handle_status(const mock_request *req, mock_reply *reply);
void handle_estimate(const mock_request *req, mock_reply *reply);
void handle_enrich(const mock_request *req, mock_reply *reply);
void handle_enrichment_status(const mock_request *req, mock_reply *reply);
void handle_export_companies(const mock_request *req, mock_reply *reply);
void handle_export_prospects(const mock_request *req, mock_reply *reply);

/* The rest of the API family. */
void handle_credits(const mock_request *req, mock_reply *reply);
void handle_list(const mock_request *req, mock_reply *reply);
void handle_archive(const mock_request *req, mock_reply *reply);
void handle_companies_page(const mock_request *req, mock_reply *reply);
void handle_prospects_page(const mock_request *req, mock_reply *reply);
void handle_download(const mock_request *req, mock_reply *reply);

/* The control plane under /_mock/ (handlers_control.c). handle_mock_reset
 * and handle_mock_scenario_load run without the store lock and take it
 * themselves. */
void handle_mock_health(const mock_request *req, mock_reply *reply);
void handle_mock_openapi(const mock_request *req, mock_reply *reply);
/* The dashboard page (handlers_ui.c). */
void handle_mock_ui(const mock_request *req, mock_reply *reply);
void handle_mock_reset(const mock_request *req, mock_reply *reply);
/* The state file (handlers_state.c): compaction now (it takes the locks
 * itself), and what GET /_mock/health says of it (null without one; a new
 * reference). */
void handle_mock_state_compact(const mock_request *req, mock_reply *reply);
json_t *state_file_health(const mock_context *ctx);
void handle_mock_clock(const mock_request *req, mock_reply *reply);
void handle_mock_clock_advance(const mock_request *req, mock_reply *reply);
void handle_mock_account_get(const mock_request *req, mock_reply *reply);
void handle_mock_account_put(const mock_request *req, mock_reply *reply);
/* /_mock/accounts/{apiKey}/...: one tenant's clock, reset, scenario and
 * faults (handlers_tenant.c). */
void handle_mock_tenant_clock(const mock_request *req, mock_reply *reply);
void handle_mock_tenant_clock_advance(const mock_request *req, mock_reply *reply);
void handle_mock_tenant_reset(const mock_request *req, mock_reply *reply);
void handle_mock_tenant_scenario(const mock_request *req, mock_reply *reply);
void handle_mock_tenant_faults_list(const mock_request *req, mock_reply *reply);
void handle_mock_tenant_faults_clear(const mock_request *req, mock_reply *reply);
void handle_mock_faults_list(const mock_request *req, mock_reply *reply);
void handle_mock_faults_add(const mock_request *req, mock_reply *reply);
void handle_mock_faults_clear(const mock_request *req, mock_reply *reply);
void handle_mock_fault_delete(const mock_request *req, mock_reply *reply);
void handle_mock_requests(const mock_request *req, mock_reply *reply);
void handle_mock_requests_clear(const mock_request *req, mock_reply *reply);
void handle_mock_outbox(const mock_request *req, mock_reply *reply);
void handle_mock_outbox_clear(const mock_request *req, mock_reply *reply);
void handle_mock_scenarios(const mock_request *req, mock_reply *reply);
void handle_mock_scenario_load(const mock_request *req, mock_reply *reply);

/* The dashboard's lists (handlers_dashboard.c): every account, the
 * audiences of one or all, an account's credit ledger. */
void handle_mock_accounts_list(const mock_request *req, mock_reply *reply);
void handle_mock_audiences(const mock_request *req, mock_reply *reply);
void handle_mock_ledger(const mock_request *req, mock_reply *reply);

/* {apiKey, credits, exportQuota, exportRowsUsed, audiences} as of now_ms
 * (handlers_control.c). New reference. */
json_t *handler_account_json(const account *acct, int64_t now_ms);

/* Shared by handlers: the audience named in the path, owned by the caller.
 * Returns it, or NULL after setting the 404 reply (the same for an unknown
 * id and for another key's audience, so existence does not leak). */
audience *handler_audience(const mock_request *req, mock_reply *reply);

#endif
