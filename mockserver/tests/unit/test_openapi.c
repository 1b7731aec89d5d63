/* Drift test between docs/openapi.json and the code.
 *
 * Routes: every entry of the route table (routes_pattern) appears in the
 * document with the same method, and every path + method of the document is
 * a route. The table writes the path parameter as "{id}", the document uses
 * real names ("{audienceId}", "{exportId}", "{apiKey}"): both sides are
 * normalised to "{}" before comparing.
 *
 * Also held to the code: the version, the enumerations the handlers emit
 * (audience statuses, enrichment stages), the export column names, the
 * input limits of api.h, the tag of the control plane and where each
 * operation takes its API key. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/api.h"
#include "sim/lifecycle.h"
#include "api/routes.h"
#include "data/vocab.h"

#define OPENAPI_PATH DESCOVO_FIXTURES_DIR "/../docs/openapi.json"
#define KEY_MAX 160

static const char *const http_methods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
#define N_HTTP_METHODS (sizeof http_methods / sizeof http_methods[0])

static json_t *doc;

static int load_doc(void **state)
{
    (void)state;
    json_error_t error;
    doc = json_load_file(OPENAPI_PATH, JSON_REJECT_DUPLICATES, &error);
    if (doc == NULL)
        fprintf(stderr, "%s:%d:%d: %s\n", OPENAPI_PATH, error.line, error.column, error.text);
    return doc == NULL ? -1 : 0;
}

static int free_doc(void **state)
{
    (void)state;
    json_decref(doc);
    doc = NULL;
    return 0;
}

/* "POST /v1/audiences/{}/build" from a method and a path whose {...}
 * segments are replaced by "{}". */
static void normalise(const char *method, const char *path, char out[KEY_MAX])
{
    size_t n = 0;
    for (const char *m = method; *m != '\0' && n + 1 < KEY_MAX; m++)
        out[n++] = (char)toupper((unsigned char)*m);
    if (n + 1 < KEY_MAX)
        out[n++] = ' ';
    for (const char *p = path; *p != '\0' && n + 2 < KEY_MAX; p++) {
        if (*p == '{') {
            out[n++] = '{';
            out[n++] = '}';
            while (*p != '\0' && *p != '}')
                p++;
            if (*p == '\0')
                break;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static int is_http_method(const char *key)
{
    for (size_t i = 0; i < N_HTTP_METHODS; i++)
        if (strcmp(http_methods[i], key) == 0)
            return 1;
    return 0;
}

/* The document's operations, normalised, into a JSON object used as a set
 * (key -> original "method path"). */
static json_t *doc_operations(void)
{
    json_t *set = json_object();
    json_t *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        const char *method;
        json_t *operation;
        json_object_foreach(item, method, operation) {
            if (!is_http_method(method))
                continue;
            char key[KEY_MAX];
            char original[KEY_MAX];
            normalise(method, path, key);
            snprintf(original, sizeof original, "%s %s", method, path);
            if (json_object_get(set, key) != NULL)
                fail_msg("docs/openapi.json: %s and %s are the same route once normalised", original,
                         json_string_value(json_object_get(set, key)));
            json_object_set_new(set, key, json_string(original));
        }
    }
    return set;
}

static json_t *route_operations(void)
{
    json_t *set = json_object();
    const char *method = NULL;
    const char *pattern;
    for (size_t i = 0; (pattern = routes_pattern(i, &method)) != NULL; i++) {
        char key[KEY_MAX];
        normalise(method, pattern, key);
        if (json_object_get(set, key) != NULL)
            fail_msg("route table: %s %s appears twice", method, pattern);
        json_object_set_new(set, key, json_string(pattern));
    }
    assert_true(json_object_size(set) > 0);
    return set;
}

static void test_every_route_is_documented(void **state)
{
    (void)state;
    json_t *documented = doc_operations();
    json_t *routes = route_operations();
    int missing = 0;
    const char *key;
    json_t *value;
    json_object_foreach(routes, key, value) {
        if (json_object_get(documented, key) == NULL) {
            fprintf(stderr, "route %s (pattern %s) is not in docs/openapi.json\n", key, json_string_value(value));
            missing++;
        }
    }
    json_decref(documented);
    json_decref(routes);
    assert_int_equal(missing, 0);
}

static void test_every_documented_operation_is_a_route(void **state)
{
    (void)state;
    json_t *documented = doc_operations();
    json_t *routes = route_operations();
    int extra = 0;
    const char *key;
    json_t *value;
    json_object_foreach(documented, key, value) {
        if (json_object_get(routes, key) == NULL) {
            fprintf(stderr, "docs/openapi.json documents %s, which descovo-mock does not route\n",
                    json_string_value(value));
            extra++;
        }
    }
    json_decref(documented);
    json_decref(routes);
    assert_int_equal(extra, 0);
}

/* The normalisation itself, so that a broken one cannot make both sets
 * trivially equal. */
static void test_normalise(void **state)
{
    (void)state;
    char key[KEY_MAX];
    normalise("get", "/v1/audiences/{audienceId}/enrichment/status", key);
    assert_string_equal(key, "GET /v1/audiences/{}/enrichment/status");
    normalise("PUT", "/_mock/accounts/{id}", key);
    assert_string_equal(key, "PUT /_mock/accounts/{}");
    normalise("post", "/v1/audiences/create", key);
    assert_string_equal(key, "POST /v1/audiences/create");
}

/* Follows "$ref": "#/components/..." (local references only). */
static json_t *deref(json_t *node)
{
    for (int hops = 0; hops < 8 && json_is_object(node); hops++) {
        const char *ref = json_string_value(json_object_get(node, "$ref"));
        if (ref == NULL)
            return node;
        assert_true(strncmp(ref, "#/", 2) == 0);
        json_t *target = doc;
        char part[128];
        for (const char *p = ref + 2; *p != '\0';) {
            size_t n = strcspn(p, "/");
            assert_true(n < sizeof part);
            memcpy(part, p, n);
            part[n] = '\0';
            target = json_object_get(target, part);
            assert_non_null(target);
            p += n + (p[n] == '/');
        }
        node = target;
    }
    return node;
}

/* doc_get("components", "schemas", "X", NULL), following $refs on the way. */
static json_t *doc_get(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    json_t *node = doc;
    for (const char *key = first; key != NULL; key = va_arg(ap, const char *)) {
        node = json_object_get(deref(node), key);
        if (node == NULL) {
            va_end(ap);
            fail_msg("docs/openapi.json: no member \"%s\" on the way", key);
        }
    }
    va_end(ap);
    return deref(node);
}

static json_t *schema(const char *name)
{
    return doc_get("components", "schemas", name, NULL);
}

static json_t *property(json_t *object_schema, const char *name)
{
    json_t *p = json_object_get(json_object_get(object_schema, "properties"), name);
    if (p == NULL)
        fail_msg("docs/openapi.json: schema has no property \"%s\"", name);
    return deref(p);
}

static void test_version_matches(void **state)
{
    (void)state;
    assert_string_equal(json_string_value(doc_get("info", "version", NULL)), DESCOVO_VERSION);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
}

static void assert_enum(json_t *enum_array, const char *(*name_of)(int), int n)
{
    assert_true(json_is_array(enum_array));
    assert_int_equal(json_array_size(enum_array), (size_t)n);
    for (int i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(enum_array, (size_t)i)), name_of(i));
}

static const char *status_name(int i)
{
    return audience_status_name((audience_status)i);
}

static const char *stage_name(int i)
{
    return enrichment_stage_name((enrichment_stage)i);
}

static void test_enumerations_match(void **state)
{
    (void)state;
    assert_enum(json_object_get(schema("AudienceStatus"), "enum"), status_name, AUDIENCE_FAILED + 1);
    assert_enum(json_object_get(schema("EnrichmentStage"), "enum"), stage_name, STAGE_COUNT);
}

static const char *const *columns_table;

static const char *column_name(int i)
{
    return columns_table[i];
}

static void test_export_columns_match(void **state)
{
    (void)state;
    json_t *items = deref(json_object_get(property(schema("ExportCompaniesRequest"), "excludeFields"), "items"));
    columns_table = vocab_company_columns;
    assert_enum(json_object_get(items, "enum"), column_name, VOCAB_N_COMPANY_COLUMNS);
    items = deref(json_object_get(property(schema("ExportProspectsRequest"), "excludeFields"), "items"));
    columns_table = vocab_prospect_columns;
    assert_enum(json_object_get(items, "enum"), column_name, VOCAB_N_PROSPECT_COLUMNS);
}

static json_int_t int_member(json_t *node, const char *name)
{
    json_t *v = json_object_get(node, name);
    if (!json_is_integer(v))
        fail_msg("docs/openapi.json: expected an integer \"%s\"", name);
    return json_integer_value(v);
}

static void test_limits_match(void **state)
{
    (void)state;
    json_t *name = property(schema("CreateAudienceRequest"), "name");
    assert_int_equal(int_member(name, "minLength"), 1);
    assert_int_equal(int_member(name, "maxLength"), API_MAX_NAME_CHARS);
    assert_int_equal(int_member(property(schema("SearchParamsRequest"), "maxCompanies"), "maximum"), API_MAX_BUILD_CAP);
    assert_int_equal(int_member(property(schema("SearchParamsRequest"), "maxProspects"), "maximum"), API_MAX_BUILD_CAP);
    assert_int_equal(int_member(property(schema("EstimateRequest"), "maxProspectsToEnrich"), "maximum"),
                     API_MAX_ENRICH_PROSPECTS);
    assert_int_equal(int_member(property(schema("EnrichRequest"), "maxProspectsToEnrich"), "maximum"),
                     API_MAX_ENRICH_PROSPECTS);
    assert_int_equal(int_member(property(schema("EnrichRequest"), "userEmail"), "maxLength"), API_MAX_EMAIL_BYTES);
    const char *params[] = {"audienceId", "exportId", "apiKeyPath"};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        assert_int_equal(int_member(doc_get("components", "parameters", params[i], "schema", NULL), "maxLength"),
                         API_MAX_PATH_PARAM);
}

static int has_tag(json_t *operation, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(operation, "tags"), i, t)
        if (strcmp(json_string_value(t), tag) == 0)
            return 1;
    return 0;
}

static int requires(json_t *object_schema, const char *field)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(object_schema, "required"), i, r)
        if (strcmp(json_string_value(r), field) == 0)
            return 1;
    return 0;
}

/* /_mock/ and only /_mock/ is tagged mock-control; Descovo endpoints take
 * the key in the query (GET, DELETE: security apiKeyQuery) or as a required
 * body field (POST, PATCH, PUT: security [] and apiKey in the schema); the
 * download takes none; the control plane takes none or the admin token. */
static void test_tags_and_keys(void **state)
{
    (void)state;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        const char *method;
        json_t *operation;
        json_object_foreach(item, method, operation) {
            if (!is_http_method(method))
                continue;
            int control = strncmp(path, "/_mock/", 7) == 0;
            int download = strncmp(path, "/v1/exports/", 12) == 0;
            if (has_tag(operation, "mock-control") != control)
                fail_msg("%s %s: tag mock-control %s", method, path, control ? "missing" : "on a Descovo endpoint");
            json_t *security = json_object_get(operation, "security");
            assert_true(json_is_array(security));
            if (download) {
                assert_int_equal(json_array_size(security), 0);
                continue;
            }
            if (control) {
                /* No credential, or X-Mock-Admin-Token with --admin-token. */
                if (json_array_size(security) != 2 || json_object_size(json_array_get(security, 0)) != 0 ||
                    json_object_get(json_array_get(security, 1), "mockAdminToken") == NULL)
                    fail_msg("%s %s: expected security [{}, {mockAdminToken: []}]", method, path);
                continue;
            }
            if (strcmp(method, "get") == 0 || strcmp(method, "delete") == 0) {
                if (json_array_size(security) != 1 ||
                    json_object_get(json_array_get(security, 0), "apiKeyQuery") == NULL)
                    fail_msg("%s %s: expected security [{apiKeyQuery: []}]", method, path);
                assert_null(json_object_get(operation, "requestBody"));
            } else {
                assert_int_equal(json_array_size(security), 0);
                json_t *body = deref(json_object_get(json_object_get(json_object_get(
                    deref(json_object_get(operation, "requestBody")), "content"), "application/json"), "schema"));
                if (body == NULL || !requires(body, "apiKey") ||
                    json_object_get(json_object_get(body, "properties"), "apiKey") == NULL)
                    fail_msg("%s %s: the body schema must require apiKey", method, path);
            }
        }
    }
}

/* routes.c refuses, before routing, every /_mock/ request but GET and HEAD
 * whose Origin names another site (test_control: cross-site refused): each
 * such route documents that 403, through the one shared response. */
static void test_control_cross_site_documented(void **state)
{
    (void)state;
    json_t *documented = doc_operations();
    json_t *forbidden = doc_get("components", "responses", "ControlForbidden", NULL);
    const char *text = json_string_value(json_object_get(forbidden, "description"));
    assert_non_null(text);
    assert_non_null(strstr(text, "`Origin`"));
    const char *method = NULL;
    const char *pattern;
    size_t checked = 0;
    for (size_t i = 0; (pattern = routes_pattern(i, &method)) != NULL; i++) {
        if (strncmp(pattern, "/_mock/", 7) != 0 || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            continue;
        char key[KEY_MAX];
        normalise(method, pattern, key);
        const char *original = json_string_value(json_object_get(documented, key));
        assert_non_null(original);
        /* "post /_mock/reset": the document's own method key and path. */
        char op_method[16];
        const char *space = strchr(original, ' ');
        assert_true(space != NULL && (size_t)(space - original) < sizeof op_method);
        memcpy(op_method, original, (size_t)(space - original));
        op_method[space - original] = '\0';
        json_t *operation = json_object_get(json_object_get(json_object_get(doc, "paths"), space + 1), op_method);
        json_t *response = json_object_get(json_object_get(operation, "responses"), "403");
        const char *ref = json_string_value(json_object_get(response, "$ref"));
        if (ref == NULL || strcmp(ref, "#/components/responses/ControlForbidden") != 0)
            fail_msg("%s: expected \"403\": {\"$ref\": \"#/components/responses/ControlForbidden\"}", original);
        checked++;
    }
    assert_true(checked > 0);
    json_decref(documented);
}

static void test_simulator_extensions_marked(void **state)
{
    (void)state;
    const char *outputs[] = {"ExportCompaniesOutput", "ExportProspectsOutput"};
    const char *fields[] = {"exportId", "downloadUrl", "format"};
    for (size_t i = 0; i < 2; i++) {
        json_t *output = schema(outputs[i]);
        for (size_t j = 0; j < 3; j++) {
            assert_true(json_is_true(json_object_get(property(output, fields[j]), "x-simulator-extension")));
            assert_true(requires(output, fields[j]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_every_route_is_documented),
        cmocka_unit_test(test_every_documented_operation_is_a_route),
        cmocka_unit_test(test_version_matches),
        cmocka_unit_test(test_enumerations_match),
        cmocka_unit_test(test_export_columns_match),
        cmocka_unit_test(test_limits_match),
        cmocka_unit_test(test_tags_and_keys),
        cmocka_unit_test(test_simulator_extensions_marked),
        cmocka_unit_test(test_control_cross_site_documented),
    };
    return cmocka_run_group_tests(tests, load_doc, free_doc);
}
