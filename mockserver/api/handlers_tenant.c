/* The control plane of one tenant, /_mock/accounts/{apiKey}/...: its
 * clock, its reset, its scenario and its fault rules. A CI job that owns a
 * key owns all of this, and nothing it does here touches another key.
 *
 * The {apiKey} is opened as a request of the API would open it
 * (store_open_account): a test key unknown so far becomes an account, so a
 * job may start with any of these calls. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "sim/clock.h"
#include "sim/keys.h"
#include "sim/scenario.h"
#include "text/jsonw.h"

/* Largest single clock advance: 10 years, as for the server's clock. */
#define MAX_ADVANCE_SECONDS (10.0 * 365 * 24 * 3600)

static const char control_free[] = "Control endpoints are free.";

/* Lock held. The tenant of the path, or NULL with the reply set. */
static account *tenant_of(const mock_request *req, mock_reply *reply)
{
    account *acct = store_open_account(req->store, req->param, req->now_ms);
    if (acct != NULL) {
        /* Its journal entry is on its clock, as its API requests are. */
        reply->tenant_ms = store_tenant_now(req->store, acct, req->now_ms);
        return acct;
    }
    if (errno == EPERM)
        reply_error(reply, 400, "apiKey in the path: \"sk_live_...\" is a live key; descovo-mock is a simulator and "
                    "never takes live keys. Use a test key (sk_test_...).");
    else if (errno == ESTALE)
        reply_error(reply, 404, "This test key's tenant expired after %lld s without a request (--tenant-idle-expiry); "
                    "its audiences, exports and settings are gone. The next request starts it afresh.",
                    (long long)(store_config_of(req->store)->idle_expiry_ms / 1000));
    else if (errno == ENOSPC)
        reply_error(reply, 403, "Account limit reached: the server holds %d API keys.", STORE_MAX_ACCOUNTS);
    else if (errno != ENOMEM)
        reply_error(reply, 404, "No account with this API key. Keys on demand take sk_test_ keys only (and none "
                    "with --strict-keys); create others with PUT /_mock/accounts/{apiKey}.");
    return NULL; /* out of memory: the dispatcher answers 500 */
}

/* Writes the tenant's clock as text: the fleet advances it twice per
 * workflow, and a jansson tree for six fields cost more than the rest of
 * the request. */
static void write_tenant_clock(const mock_request *req, mock_reply *reply, const account *acct)
{
    int64_t now = store_tenant_now(req->store, acct, req->now_ms);
    char text[32];
    mock_time_format(now, text);
    int manual = mock_clock_mode_of(req->ctx->clock) == MOCK_CLOCK_MANUAL;
    strbuf *t = reply_text_begin(reply);
    strbuf_put_literal(t, "{\"apiKey\":");
    jsonw_string(t, acct->key, strlen(acct->key));
    if (manual)
        strbuf_put_literal(t, ",\"mode\":\"manual\",\"now\":");
    else
        strbuf_put_literal(t, ",\"mode\":\"real\",\"now\":");
    jsonw_string(t, text, strlen(text));
    strbuf_put_literal(t, ",\"nowMs\":");
    jsonw_integer(t, (long long)now);
    if (acct->own_clock)
        strbuf_put_literal(t, ",\"own\":true,\"aheadMs\":");
    else
        strbuf_put_literal(t, ",\"own\":false,\"aheadMs\":");
    jsonw_integer(t, (long long)(now - req->now_ms));
    strbuf_putc(t, '}');
    reply_text_end(reply, req, charge_free(NULL, control_free));
}

void handle_mock_tenant_clock(const mock_request *req, mock_reply *reply)
{
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    write_tenant_clock(req, reply, acct);
}

void handle_mock_tenant_clock_advance(const mock_request *req, mock_reply *reply)
{
    json_t *seconds = json_object_get(req->body, "seconds");
    double value = json_number_value(seconds);
    if (!json_is_number(seconds) || isnan(value) || value < 0 || value > MAX_ADVANCE_SECONDS) {
        reply_error(reply, 400, "seconds: required, a number from 0 to %.0f.", MAX_ADVANCE_SECONDS);
        return;
    }
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    /* Work that finished before the jump is settled at its own time. */
    store_settle(req->store, acct, store_tenant_now(req->store, acct, req->now_ms));
    store_advance_tenant_clock(req->store, acct, req->now_ms, (int64_t)llround(value * 1000.0));
    write_tenant_clock(req, reply, acct);
}

/* Store locked. Releases what a removed hold rule of the tenant held. */
typedef struct released {
    store *st;
    int64_t now_ms;
} released;

static void release_rule(void *ctx, uint64_t id)
{
    released *r = ctx;
    store_release_holds(r->st, id, r->now_ms);
}

/* Under the store lock, as any request: not alone, so that one tenant's
 * reset holds up no other tenant's requests. A build of this tenant that
 * runs its filters meanwhile keeps nothing when it comes back. */
void handle_mock_tenant_reset(const mock_request *req, mock_reply *reply)
{
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    /* Its audiences go with the reset: no hold to release. In a replay too:
     * the rules there are those its replayed scenarios added. */
    faults_remove_key(req->ctx->faults, acct->key, NULL, NULL);
    if (req->ctx->journal != NULL && !req->replaying)
        journal_clear_key(req->ctx->journal, keys_id(acct->key));
    store_reset_account(req->store, acct);
    reply_ok(reply, req, json_pack("{s:s, s:b}", "apiKey", acct->key, "reset", 1), charge_free(NULL, control_free));
}

/* Body: a scenario object, or {"name": "low-credits"} for a built-in one.
 * Under the store lock, as the reset: not alone, unlike a server-wide
 * scenario load. */
void handle_mock_tenant_scenario(const mock_request *req, mock_reply *reply)
{
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    const char *unknown = NULL;
    json_t *scenario = scenario_from_body(req->body, &unknown);
    if (scenario == NULL) {
        reply_error(reply, 404, "No built-in scenario \"%s\". GET /_mock/scenarios lists them.", unknown);
        return;
    }
    char err[256];
    json_t *summary = scenario_apply_tenant(req->ctx, acct->key, scenario, req->now_ms,
                                           req->replaying ? SCENARIO_STORE_ONLY : SCENARIO_WHOLE, err, sizeof err);
    json_decref(scenario);
    if (summary == NULL) {
        reply_error(reply, 400, "%s", err);
        return;
    }
    reply_ok(reply, req, summary, charge_free(NULL, control_free));
}

void handle_mock_tenant_faults_list(const mock_request *req, mock_reply *reply)
{
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    reply_ok(reply, req, faults_list_key(req->ctx->faults, acct->key), charge_free(NULL, control_free));
}

void handle_mock_tenant_faults_clear(const mock_request *req, mock_reply *reply)
{
    account *acct = tenant_of(req, reply);
    if (acct == NULL)
        return;
    released r = {req->store, store_tenant_now(req->store, acct, req->now_ms)};
    /* In a replay too: the rules there are those its replayed scenarios added. */
    size_t n = faults_remove_key(req->ctx->faults, acct->key, release_rule, &r);
    reply_ok(reply, req, json_pack("{s:s, s:I}", "apiKey", acct->key, "removed", (json_int_t)n),
             charge_free(NULL, control_free));
}
