/* not_found: an unknown id, another key's audience and an archived audience
 * get 404 on every audience endpoint, and the same body (docs/API.md, "404s
 * do not leak": it quotes the id asked for, nothing else differs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "groups.h"

typedef struct audience_endpoint {
    const char *method;
    const char *tail;
} audience_endpoint;

static const audience_endpoint audience_endpoints[] = {
    {"GET", ""},
    {"PATCH", "/search-params"},
    {"POST", "/build"},
    {"POST", "/enrichment/estimate"},
    {"POST", "/enrich"},
    {"GET", "/enrichment/status"},
    {"POST", "/export/companies"},
    {"POST", "/export/prospects"},
    {"GET", "/companies"},
    {"GET", "/prospects"},
    {"DELETE", ""},
};

/* A body that is valid for the endpoint, so that only the audience is
 * wrong (and no request of a broken server could spend: the enrich names
 * one prospect of an audience that is a DRAFT). */
static json_t *body_for(const char *tail)
{
    if (strcmp(tail, "/search-params") == 0)
        return json_pack("{s:o}", "companySearchParams", api_company_filters());
    if (strcmp(tail, "/enrichment/estimate") == 0 || strcmp(tail, "/enrich") == 0)
        return json_pack("{s:i}", "maxProspectsToEnrich", 1);
    if (strcmp(tail, "/export/companies") == 0)
        return json_pack("{s:s}", "format", "COMPANY_GENERIC_CSV");
    if (strcmp(tail, "/export/prospects") == 0)
        return json_pack("{s:s}", "format", "PROSPECT_GENERIC_CSV");
    return NULL;
}

/* The message with the id replaced by "{id}", to compare 404 bodies. */
static void message_without_id(const char *message, const char *id, char *out, size_t size)
{
    const char *at = strstr(message, id);
    if (at == NULL) {
        snprintf(out, size, "%s", message);
        return;
    }
    snprintf(out, size, "%.*s{id}%s", (int)(at - message), message, at + strlen(id));
}

/* Every audience endpoint answers 404 for id under key. On the mock, whose
 * 404 is documented to quote the id, the message must quote it, and the
 * message with the id masked must equal `like` when given. */
static void expect_404_everywhere(conf_case *k, const char *key, const char *id, const char *why,
                                  char *masked, size_t masked_size, const char *like)
{
    for (size_t i = 0; i < N_FIELDS(audience_endpoints); i++) {
        const audience_endpoint *e = &audience_endpoints[i];
        char path[256];
        char what[320];
        snprintf(path, sizeof path, "/v1/audiences/%s%s", id, e->tail);
        snprintf(what, sizeof what, "%s %.200s (%.60s)", e->method, path, why);
        wire_response *res = api_call(k, key, e->method, path, body_for(e->tail));
        const char *message = api_expect_error(k, res, 404, what);
        if (!k->ctx->target->is_mock || i > 0)
            continue;
        CONF_CHECK(k, strstr(message, id) != NULL, "%s: the message does not quote the id: \"%s\"", what, message);
        char mine[512];
        message_without_id(message, id, mine, sizeof mine);
        if (masked != NULL)
            snprintf(masked, masked_size, "%s", mine);
        if (like != NULL)
            CONF_CHECK(k, strcmp(mine, like) == 0, "%s: a different 404 than for an unknown id (it leaks): "
                       "\"%s\" vs \"%s\"", what, mine, like);
    }
}

static void unknown_id_404_on_every_endpoint(conf_case *k)
{
    expect_404_everywhere(k, k->ctx->target->api_key, "aud_conformance_unknown", "unknown id", NULL, 0, NULL);
}

static void other_key_audience_404(conf_case *k)
{
    conf_need_second_key(k);
    const conf_target *t = k->ctx->target;
    char unknown[512] = "";
    expect_404_everywhere(k, t->api_key_2, "aud_conformance_unknown", "unknown id", unknown, sizeof unknown, NULL);
    /* A DRAFT audience of the first key: no records, nothing to spend. */
    const char *id = api_create(k, t->api_key, "isolation", "NORMAL");
    expect_404_everywhere(k, t->api_key_2, id, "another key's audience", NULL, 0,
                          unknown[0] != '\0' ? unknown : NULL);
    /* ... and it is not in the other key's list. */
    const json_t *out = api_expect_ok(k, api_call(k, t->api_key_2, "GET", "/v1/audiences", NULL), "list", "free");
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *listed = json_string_value(json_object_get(json_array_get(list, i), "audienceId"));
        CONF_CHECK(k, listed == NULL || strcmp(listed, id) != 0, "the second key's list shows %s", id);
    }
    /* Still the first key's. */
    api_status(k, t->api_key, id);
}

static void archived_audience_404(conf_case *k)
{
    const char *key = k->ctx->target->api_key;
    char unknown[512] = "";
    expect_404_everywhere(k, key, "aud_conformance_unknown", "unknown id", unknown, sizeof unknown, NULL);
    const char *id = api_create(k, key, "archived", "NORMAL");
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s", id);
    api_expect_ok(k, api_call(k, key, "DELETE", path, NULL), "archive", "free");
    expect_404_everywhere(k, key, id, "archived audience", NULL, 0, unknown[0] != '\0' ? unknown : NULL);
    const json_t *out = api_expect_ok(k, api_call(k, key, "GET", "/v1/audiences", NULL), "list", "free");
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *listed = json_string_value(json_object_get(json_array_get(list, i), "audienceId"));
        CONF_CHECK(k, listed == NULL || strcmp(listed, id) != 0, "the list shows the archived %s", id);
    }
}

/* Mock only: routing errors as docs/API.md describes them. */
static void unknown_path_404_and_wrong_method_405(conf_case *k)
{
    conf_need_mock(k, "404 and 405 for routes are described by docs/API.md only");
    wire_response *res = api_call(k, k->ctx->target->api_key, "GET", "/v1/no-such-endpoint", NULL);
    api_expect_error(k, res, 404, "GET /v1/no-such-endpoint");
    res = api_call(k, k->ctx->target->api_key, "GET", "/v1/audiences/create", NULL);
    api_expect_error(k, res, 405, "GET /v1/audiences/create");
    CONF_CHECK(k, strstr(res->allow, "POST") != NULL, "405 for GET /v1/audiences/create: Allow is \"%s\", "
               "expected POST", res->allow);
    res = api_call(k, k->ctx->target->api_key, "PUT", "/v1/credits", NULL);
    api_expect_error(k, res, 405, "PUT /v1/credits");
    CONF_CHECK(k, strstr(res->allow, "GET") != NULL, "405 for PUT /v1/credits: Allow is \"%s\", expected GET",
               res->allow);
}

int group_not_found(conf_ctx *ctx)
{
    static conf_case cases[] = {
        CONF_CASE(unknown_id_404_on_every_endpoint),
        CONF_CASE(other_key_audience_404),
        CONF_CASE(archived_audience_404),
        CONF_CASE(unknown_path_404_and_wrong_method_405),
    };
    return conf_run_group(ctx, "not_found", cases, N_FIELDS(cases));
}
