#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "server.h"

typedef enum route_auth {
    AUTH_NONE,     /* control plane and downloads */
    AUTH_BODY,     /* apiKey in the JSON body (POST, PATCH, PUT) */
    AUTH_QUERY     /* apiKey in the query string (GET, DELETE) */
} route_auth;

enum {
    ROUTE_JSON_BODY = 1 << 0,     /* the body must be a JSON object */
    ROUTE_UNLOCKED = 1 << 1       /* the handler takes the locks itself (reset) */
};

typedef void (*route_handler)(const mock_request *req, mock_reply *reply);

typedef struct route {
    const char *method;
    const char *pattern;          /* "{id}" matches one path segment */
    route_handler handler;
    route_auth auth;
    unsigned flags;
    int bucket;                   /* rate-limit bucket, -1: not limited */
    unsigned per_minute;          /* docs/API.md, "Rate limits" */
} route;

/* Every endpoint, in one place. Rate limits per key per minute are the
 * public spec's; credits (not in the spec) gets the status endpoint's. */
static const route route_table[] = {
    {"POST", "/v1/audiences/create", handle_create, AUTH_BODY, ROUTE_JSON_BODY, 0, 50},
    {"PATCH", "/v1/audiences/{id}/search-params", handle_search_params, AUTH_BODY, ROUTE_JSON_BODY, 1, 50},
    {"POST", "/v1/audiences/{id}/build", handle_build, AUTH_BODY, ROUTE_JSON_BODY, 2, 10},
    {"GET", "/v1/audiences/{id}", handle_status, AUTH_QUERY, 0, 3, 100},
    {"POST", "/v1/audiences/{id}/enrichment/estimate", handle_estimate, AUTH_BODY, ROUTE_JSON_BODY, 4, 60},
    {"POST", "/v1/audiences/{id}/enrich", handle_enrich, AUTH_BODY, ROUTE_JSON_BODY, 5, 10},
    {"GET", "/v1/audiences/{id}/enrichment/status", handle_enrichment_status, AUTH_QUERY, 0, 6, 60},
    {"POST", "/v1/audiences/{id}/export/companies", handle_export_companies, AUTH_BODY, ROUTE_JSON_BODY, 7, 20},
    {"POST", "/v1/audiences/{id}/export/prospects", handle_export_prospects, AUTH_BODY, ROUTE_JSON_BODY, 8, 20},
    {"GET", "/v1/credits", handle_credits, AUTH_QUERY, 0, 9, 100},
    {"GET", "/v1/audiences", handle_list, AUTH_QUERY, 0, 10, 50},
    {"DELETE", "/v1/audiences/{id}", handle_archive, AUTH_QUERY, 0, 11, 20},
    {"GET", "/v1/audiences/{id}/companies", handle_companies_page, AUTH_QUERY, 0, 12, 100},
    {"GET", "/v1/audiences/{id}/prospects", handle_prospects_page, AUTH_QUERY, 0, 13, 100},
    {"GET", "/v1/exports/{id}", handle_download, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/health", handle_mock_health, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/reset", handle_mock_reset, AUTH_NONE, ROUTE_UNLOCKED, -1, 0},
    {"GET", "/_mock/clock", handle_mock_clock, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/clock/advance", handle_mock_clock_advance, AUTH_NONE, ROUTE_JSON_BODY, -1, 0},
    {"GET", "/_mock/accounts/{id}", handle_mock_account_get, AUTH_NONE, 0, -1, 0},
    {"PUT", "/_mock/accounts/{id}", handle_mock_account_put, AUTH_NONE, ROUTE_JSON_BODY, -1, 0},
    {"GET", "/_mock/faults", handle_mock_faults_list, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/faults", handle_mock_faults_add, AUTH_NONE, ROUTE_JSON_BODY, -1, 0},
    {"DELETE", "/_mock/faults", handle_mock_faults_clear, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/faults/{id}", handle_mock_fault_delete, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/requests", handle_mock_requests, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/requests", handle_mock_requests_clear, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/outbox", handle_mock_outbox, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/outbox", handle_mock_outbox_clear, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/scenarios", handle_mock_scenarios, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/scenarios", handle_mock_scenario_load, AUTH_NONE, ROUTE_JSON_BODY | ROUTE_UNLOCKED, -1, 0},
};

#define N_ROUTES (sizeof route_table / sizeof route_table[0])

const char *routes_pattern(size_t i, const char **method)
{
    if (i >= N_ROUTES)
        return NULL;
    *method = route_table[i].method;
    return route_table[i].pattern;
}

/* Matches path against pattern segment by segment. On a match, copies the
 * {id} segment (if any) into param. Returns 1 on a match. */
static int match_pattern(const char *pattern, const char *path, char *param, size_t param_size)
{
    const char *p = pattern;
    const char *s = path;
    while (*p != '\0' && *s != '\0') {
        if (strncmp(p, "{id}", 4) == 0) {
            size_t n = strcspn(s, "/");
            if (n == 0 || n >= param_size)
                return 0;
            memcpy(param, s, n);
            param[n] = '\0';
            s += n;
            p += 4;
        } else if (*p == *s) {
            p++;
            s++;
        } else {
            return 0;
        }
    }
    /* A trailing slash is tolerated, as most HTTP frameworks do. */
    if (*p == '\0' && s[0] == '/' && s[1] == '\0')
        return 1;
    return *p == '\0' && *s == '\0';
}

/* Finds the route for method + path. Returns it, or NULL with reply set to
 * 404 (no such path) or 405 (path exists with other methods). */
static const route *find_route(const http_request *http, char *param, size_t param_size,
                               mock_reply *reply)
{
    /* Literal segments win over {id}: "/v1/audiences/create" is the create
     * endpoint, not the audience "create", also when computing Allow. */
    char allow[64] = "";
    for (int pass = 0; pass < 2 && allow[0] == '\0'; pass++) {
        for (size_t i = 0; i < N_ROUTES; i++) {
            const route *r = &route_table[i];
            int literal = strchr(r->pattern, '{') == NULL;
            if (literal != (pass == 0) || !match_pattern(r->pattern, http->path, param, param_size))
                continue;
            if (strcmp(r->method, http->method) == 0)
                return r;
            if (strstr(allow, r->method) == NULL) {
                size_t used = strlen(allow);
                snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", r->method);
            }
        }
    }
    if (allow[0] != '\0') {
        reply_error(reply, 405, "Method %s is not allowed on %s; allowed: %s.", http->method, http->path, allow);
        snprintf(reply->allow, sizeof reply->allow, "%s", allow);
    } else {
        reply_error(reply, 404, "No such endpoint: %s %s. See docs/API.md for the endpoints descovo-mock serves.",
                    http->method, http->path);
    }
    return NULL;
}

/* Parses the body of a JSON route into a new object, or sets a 400/413. */
static json_t *parse_body(const http_request *http, mock_reply *reply)
{
    if (http->body_too_large) {
        reply_error(reply, 413, "Request body too large: the limit is %d bytes.", API_MAX_BODY_BYTES);
        return NULL;
    }
    if (http->body == NULL || http->body_len == 0) {
        reply_error(reply, 400, "Request body: expected a JSON object with at least \"apiKey\", got an empty body.");
        return NULL;
    }
    json_error_t error;
    json_t *body = json_loadb(http->body, http->body_len, JSON_REJECT_DUPLICATES, &error);
    if (body == NULL) {
        reply_error(reply, 400, "Request body: invalid JSON at line %d, column %d: %s.",
                    error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        reply_error(reply, 400, "Request body: expected a JSON object, got %s.",
                    json_is_array(body) ? "an array" : "a scalar");
        json_decref(body);
        return NULL;
    }
    return body;
}

static unsigned scaled_limit(unsigned per_minute, double scale)
{
    if (per_minute == 0 || scale <= 0)
        return 0;
    double limit = per_minute * scale;
    return limit < 1 ? 1 : (unsigned)(limit + 0.5);
}

/* The caller's key as sent, unchecked: fault rules may match on it. */
static const char *raw_key(const route *r, const mock_request *req)
{
    if (r->auth == AUTH_BODY)
        return json_string_value(json_object_get(req->body, "apiKey"));
    return req->query(req, "apiKey");
}

/* Authenticates, settles, rate-limits and runs the handler; store locked. */
static void run_locked(const route *r, mock_request *req, mock_reply *reply)
{
    if (r->auth != AUTH_NONE) {
        const char *key = raw_key(r, req);
        req->account = key != NULL ? store_find_account(req->store, key) : NULL;
        if (req->account == NULL) {
            reply_error(reply, 401, "Invalid API key.");
            return;
        }
        store_settle(req->store, req->account, req->now_ms);
    }
    if (r->bucket >= 0 && req->account != NULL) {
        unsigned limit = scaled_limit(r->per_minute, store_config_of(req->store)->rate_limit_scale);
        int retry = ratelimit_take(&req->account->rate[r->bucket], req->now_ms, limit, RATELIMIT_WINDOW_MS);
        if (retry > 0) {
            reply_error(reply, 429, "Rate limit exceeded: %u requests per minute on %s %s for this API key. Retry after %d s.",
                        limit, r->method, r->pattern, retry);
            reply->retry_after = retry;
            return;
        }
    }
    r->handler(req, reply);
}

/* Compares in time independent of where the strings differ, so that the
 * admin token cannot be guessed byte by byte from response times. */
static int same_secret(const char *given, const char *secret)
{
    size_t n = strlen(secret);
    size_t m = given != NULL ? strlen(given) : 0;
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)secret[i] ^ (unsigned char)(i < m ? given[i] : 0);
    return diff == 0;
}

/* The control plane is off, or guarded by a token. Returns 0 when the
 * request may go on, or -1 with the reply set. */
static int check_control(const mock_app *app, const http_request *http, mock_reply *reply)
{
    const mock_options *options = mock_app_options(app);
    if (!options->control) {
        reply_error(reply, 404, "No such endpoint: %s %s. The control plane is disabled (--no-control).",
                    http->method, http->path);
        return -1;
    }
    if (options->admin_token != NULL) {
        const char *given = http->header != NULL ? http->header(http->query_ctx, "X-Mock-Admin-Token") : NULL;
        if (!same_secret(given, options->admin_token)) {
            reply_error(reply, 401, "X-Mock-Admin-Token: missing or wrong; the control plane needs the --admin-token value.");
            return -1;
        }
    }
    return 0;
}

/* Carries out a fault decided before the handler. Returns 1 when the
 * request ends here (no handler). */
static int apply_fault_before(const fault_decision *fault, mock_reply *reply)
{
    switch (fault->type) {
    case FAULT_STATUS:
        reply_error(reply, fault->status, "%s", fault->message);
        reply->retry_after = fault->retry_after;
        return 1;
    case FAULT_DROP:
    case FAULT_RESET:
        reply->connection = fault->type == FAULT_DROP ? REPLY_DROP : REPLY_RESET;
        if (!fault->after_processing) {
            reply_error(reply, 503, "connection dropped by an injected fault");
            return 1;
        }
        return 0;
    case FAULT_LATENCY:
        reply->delay_ms = fault->delay_ms;
        return 0;
    default:
        return 0;
    }
}

void routes_dispatch(mock_app *app, const http_request *http, mock_reply *reply)
{
    char param[API_MAX_PATH_PARAM + 1];
    const route *r = find_route(http, param, sizeof param, reply);
    if (r == NULL)
        return;
    int control = strncmp(r->pattern, "/_mock/", 7) == 0;
    if (control && check_control(app, http, reply) != 0)
        return;
    json_t *body = NULL;
    if (r->flags & ROUTE_JSON_BODY) {
        body = parse_body(http, reply);
        if (body == NULL)
            return;
    }
    mock_request req = {
        .app = app,
        .store = mock_app_store(app),
        .method = http->method,
        .path = http->path,
        .param = strstr(r->pattern, "{id}") != NULL ? param : NULL,
        .body = body,
        .query = http->query,
        .query_ctx = http->query_ctx,
        .warnings = json_array(),
    };
    req.now_ms = mock_clock_now_ms(mock_app_clock(app));
    const char *key = r->auth != AUTH_NONE ? raw_key(r, &req) : NULL;
    if (key != NULL)
        mock_mask_key(key, reply->masked_key);
    fault_decision fault = {0};
    if (!control)
        faults_decide(mock_app_faults(app), http->method, http->path, key, &fault);
    req.fault = &fault;
    if (apply_fault_before(&fault, reply))
        goto out;
    if (r->flags & ROUTE_UNLOCKED) {
        r->handler(&req, reply);
    } else {
        store_work_begin(req.store);
        store_lock(req.store);
        run_locked(r, &req, reply);
        store_unlock(req.store);
        store_work_end(req.store);
    }
out:
    if (reply->body == NULL && reply->csv == NULL)
        reply_error(reply, 500, "Internal error: out of memory while answering.");
    json_decref(req.warnings);
    json_decref(body);
}
