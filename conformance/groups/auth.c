/* auth: every endpoint answers a missing and a wrong key with 401 and the
 * documented body, before looking at the audience (the id used does not
 * exist). Free on every target. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "groups.h"

#define NO_SUCH_AUDIENCE "aud_conformance_no_such_audience"
#define WRONG_KEY "sk_conformance_wrong_key" /* not sk_test_: the mock takes those on demand */

typedef struct endpoint {
    const char *method;
    const char *path;
} endpoint;

/* Every documented endpoint that takes a key (docs/API.md, "Endpoints"). */
static const endpoint endpoints[] = {
    {"POST", "/v1/audiences/create"},
    {"PATCH", "/v1/audiences/" NO_SUCH_AUDIENCE "/search-params"},
    {"POST", "/v1/audiences/" NO_SUCH_AUDIENCE "/build"},
    {"GET", "/v1/audiences/" NO_SUCH_AUDIENCE},
    {"POST", "/v1/audiences/" NO_SUCH_AUDIENCE "/enrichment/estimate"},
    {"POST", "/v1/audiences/" NO_SUCH_AUDIENCE "/enrich"},
    {"GET", "/v1/audiences/" NO_SUCH_AUDIENCE "/enrichment/status"},
    {"POST", "/v1/audiences/" NO_SUCH_AUDIENCE "/export/companies"},
    {"POST", "/v1/audiences/" NO_SUCH_AUDIENCE "/export/prospects"},
    {"GET", "/v1/credits"},
    {"GET", "/v1/audiences"},
    {"DELETE", "/v1/audiences/" NO_SUCH_AUDIENCE},
    {"GET", "/v1/audiences/" NO_SUCH_AUDIENCE "/companies"},
    {"GET", "/v1/audiences/" NO_SUCH_AUDIENCE "/prospects"},
};

static void expect_401_everywhere(conf_case *k, const char *key)
{
    json_t *expected = json_pack("{s:{s:i, s:s}}", "error", "code", 401, "message", "Invalid API key.");
    CONF_CHECK(k, expected != NULL, "out of memory");
    for (size_t i = 0; i < N_FIELDS(endpoints); i++) {
        char what[256];
        snprintf(what, sizeof what, "%s %s with %s", endpoints[i].method, endpoints[i].path,
                 key == NULL ? "no key" : "a wrong key");
        wire_response *res = api_call(k, key, endpoints[i].method, endpoints[i].path, NULL);
        int same = res->json != NULL && json_equal(res->json, expected);
        if (res->status != 401 || !same) {
            json_decref(expected);
            CONF_FAIL(k, "%s: HTTP %ld %.200s; expected 401 {\"error\":{\"code\":401,\"message\":\"Invalid API key.\"}}",
                      what, res->status, res->body);
        }
        api_expect_error(k, res, 401, what);
    }
    json_decref(expected);
}

static void missing_key_401_on_every_endpoint(conf_case *k)
{
    expect_401_everywhere(k, NULL);
}

static void wrong_key_401_on_every_endpoint(conf_case *k)
{
    expect_401_everywhere(k, WRONG_KEY);
}

/* An empty key is a missing key. */
static void empty_key_401(conf_case *k)
{
    wire_response *res = api_call(k, "", "GET", "/v1/credits", NULL);
    CONF_CHECK(k, res->status == 401, "GET /v1/credits?apiKey=: HTTP %ld, expected 401", res->status);
    api_expect_error(k, res, 401, "empty key");
}

/* The key of a POST belongs in the body: a key in the query does not count. */
static void post_key_only_in_body(conf_case *k)
{
    char path[600];
    snprintf(path, sizeof path, "/v1/audiences/create?apiKey=%s", k->ctx->target->api_key);
    wire_response *res = api_raw(k, "POST", path, "{\"name\":\"conformance key in query\"}");
    const char *id = json_string_value(json_object_get(json_object_get(res->json, "output"), "audienceId"));
    if (id != NULL)
        conf_track_audience(k->ctx, k->ctx->target->api_key, id);
    CONF_CHECK(k, res->status == 401, "POST create with the key only in the query: HTTP %ld, expected 401 "
               "(POST takes apiKey in the body)", res->status);
}

int group_auth(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(missing_key_401_on_every_endpoint),
        CONF_CASE(wrong_key_401_on_every_endpoint),
        CONF_CASE(empty_key_401),
        CONF_CASE(post_key_only_in_body),
    };
    return conf_run_group(ctx, "auth", cases, N_FIELDS(cases));
}
