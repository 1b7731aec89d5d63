/* The control plane under /_mock/: health, reset, the clock and accounts.
 * Not part of the Descovo API; answers use the same envelopes so that one
 * client can read both. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "handlers.h"

/* Largest single clock advance: 10 years, so arithmetic never overflows. */
#define MAX_ADVANCE_SECONDS (10.0 * 365 * 24 * 3600)

void handle_mock_health(const mock_request *req, mock_reply *reply)
{
    const dataset *ds = store_dataset(req->store);
    const mock_options *options = mock_app_options(req->app);
    json_t *output = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "status", "ok", "version", DESCOVO_VERSION,
                               "seed", (json_int_t)options->seed,
                               "companies", (json_int_t)ds->n_companies,
                               "prospects", (json_int_t)ds->n_prospects,
                               "clock", options->clock_mode == MOCK_CLOCK_MANUAL ? "manual" : "real");
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_reset(const mock_request *req, mock_reply *reply)
{
    store_reset(req->store);
    json_t *output = json_pack("{s:b}", "reset", 1);
    reply_ok(reply, req, output, charge_free(NULL, "Control endpoints are free."));
}

static json_t *clock_json(mock_app *app)
{
    mock_clock *clock = mock_app_clock(app);
    int64_t now = mock_clock_now_ms(clock);
    char text[32];
    mock_time_format(now, text);
    int manual = mock_clock_mode_of(clock) == MOCK_CLOCK_MANUAL;
    return json_pack("{s:s, s:s, s:I, s:f}", "mode", manual ? "manual" : "real", "now", text,
                     "nowMs", (json_int_t)now, "scale", mock_clock_scale(clock));
}

void handle_mock_clock(const mock_request *req, mock_reply *reply)
{
    reply_ok(reply, req, clock_json(req->app), charge_free(NULL, "Control endpoints are free."));
}

void handle_mock_clock_advance(const mock_request *req, mock_reply *reply)
{
    json_t *seconds = json_object_get(req->body, "seconds");
    if (!json_is_number(seconds) || json_number_value(seconds) < 0 ||
        json_number_value(seconds) > MAX_ADVANCE_SECONDS || isnan(json_number_value(seconds))) {
        reply_error(reply, 400, "seconds: required, a number from 0 to %.0f.", MAX_ADVANCE_SECONDS);
        return;
    }
    mock_clock *clock = mock_app_clock(req->app);
    if (mock_clock_mode_of(clock) != MOCK_CLOCK_MANUAL) {
        reply_error(reply, 400, "The clock is real: start descovo-mock with --clock manual to move time by hand.");
        return;
    }
    mock_clock_advance(clock, (int64_t)llround(json_number_value(seconds) * 1000.0));
    reply_ok(reply, req, clock_json(req->app), charge_free(NULL, "Control endpoints are free."));
}

static json_t *account_json(const account *acct)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I}", "apiKey", acct->key,
                     "credits", (json_int_t)acct->credits,
                     "exportQuota", (json_int_t)acct->export_quota,
                     "exportRowsUsed", (json_int_t)acct->export_used,
                     "audiences", (json_int_t)acct->n_audiences);
}

void handle_mock_account_get(const mock_request *req, mock_reply *reply)
{
    account *acct = store_find_account(req->store, req->param);
    if (acct == NULL) {
        reply_error(reply, 404, "No account with this API key. Create one with PUT /_mock/accounts/{apiKey}.");
        return;
    }
    store_settle(req->store, acct, req->now_ms);
    store_roll_export_period(acct, req->now_ms);
    reply_ok(reply, req, account_json(acct), charge_free(NULL, "Control endpoints are free."));
}

/* Reads an optional non-negative integer field of the body. */
static int read_amount(const mock_request *req, mock_reply *reply, const char *field, int64_t *out)
{
    json_t *value = json_object_get(req->body, field);
    if (value == NULL)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < 0) {
        reply_error(reply, 400, "%s: expected a non-negative integer.", field);
        return -1;
    }
    *out = json_integer_value(value);
    return 0;
}

void handle_mock_account_put(const mock_request *req, mock_reply *reply)
{
    static const char *const fields[] = {"credits", "exportQuota", "exportRowsUsed", NULL};
    const mock_options *options = mock_app_options(req->app);
    account *acct = store_find_account(req->store, req->param);
    int64_t credits = acct != NULL ? acct->credits : options->default_credits;
    int64_t quota = acct != NULL ? acct->export_quota : options->default_export_quota;
    int64_t used = -1;
    if (read_amount(req, reply, "credits", &credits) != 0 ||
        read_amount(req, reply, "exportQuota", &quota) != 0 ||
        read_amount(req, reply, "exportRowsUsed", &used) != 0)
        return;
    request_warn_unknown_fields(req, fields);
    if (acct != NULL)
        store_settle(req->store, acct, req->now_ms);
    acct = store_put_account(req->store, req->param, credits, quota, 0);
    if (acct == NULL)
        return;
    store_roll_export_period(acct, req->now_ms);
    if (used >= 0)
        acct->export_used = used;
    reply_ok(reply, req, account_json(acct), charge_free(NULL, "Control endpoints are free."));
}
