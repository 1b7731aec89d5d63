/* Hostile input over real HTTP: every input limit with its precise error,
 * a wrong type in every field of every endpoint, then a seeded stream of
 * generated hostile requests (mutated and truncated bodies, deep nesting,
 * huge strings, random bytes, odd methods, paths, query strings and
 * Content-Types), each answer checked, and the server's health after.
 *
 * HOSTILE_REQUESTS (default 1200) and HOSTILE_SEED (default 7) in the
 * environment run it longer or differently; the run is deterministic for a
 * seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "api/api.h"
#include "harness.h"
#include "text/strbuf.h"

#define DEFAULT_REQUESTS 1200
#define DEFAULT_SEED 7
#define SIDE_KEY "sk_test_hostile_side"

/* --- the server and its fixtures ------------------------------------------ */

typedef struct fixture {
    harness *h;
    char draft[64];       /* a DRAFT audience of DEV_KEY */
    char normal[64];      /* a NORMAL one */
} fixture;

static void configure(mock_options *options)
{
    options->rate_limit_scale = 0; /* reach validation, not 429 */
}

static void make_audiences(fixture *f)
{
    snprintf(f->draft, sizeof f->draft, "%s", harness_create(f->h, DEV_KEY, "hostile draft", "NORMAL"));
    snprintf(f->normal, sizeof f->normal, "%s", harness_create(f->h, DEV_KEY, "hostile normal", "NORMAL"));
    harness_set_filters(f->h, DEV_KEY, f->normal,
                        "\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":10,\"maxProspects\":40");
    harness_build_until_normal(f->h, DEV_KEY, f->normal);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->h = harness_start(configure);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    harness_stop(f->h);
    free(f);
    return 0;
}

static int reset(void **state)
{
    fixture *f = *state;
    harness_reset(f->h);
    make_audiences(f);
    return 0;
}

/* Asserts an error in the service's shape with this status whose message
 * contains needle; frees the response. */
static void expect_error(http_response *res, long status, const char *needle, const char *what)
{
    if (res->status != status)
        fail_msg("%s: expected HTTP %ld, got %ld: %s", what, status, res->status, res->raw);
    json_t *error = json_object_get(res->json, "error");
    if (!json_is_object(error) || json_integer_value(json_object_get(error, "code")) != status)
        fail_msg("%s: not an error body of code %ld: %s", what, status, res->raw);
    const char *message = harness_error_message(res);
    if (needle != NULL && strstr(message, needle) == NULL)
        fail_msg("%s: message \"%s\" does not contain \"%s\"", what, message, needle);
    http_response_free(res);
}

static void send_expect(fixture *f, const char *method, const char *path, const char *content_type,
                        const char *body, size_t len, long status, const char *needle)
{
    http_response res;
    CURLcode code = harness_raw_request(f->h, method, path, content_type, body, len, &res);
    if (code != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(code));
    char what[160];
    snprintf(what, sizeof what, "%s %.100s", method, path);
    expect_error(&res, status, needle, what);
}

static void send_ok(fixture *f, const char *method, const char *path, const char *content_type,
                    const char *body)
{
    http_response res;
    CURLcode code = harness_raw_request(f->h, method, path, content_type, body, body != NULL ? strlen(body) : 0, &res);
    if (code != CURLE_OK || res.status != 200)
        fail_msg("%s %s (%s): HTTP %ld %s", method, path, content_type ? content_type : "no type", res.status, res.raw);
    http_response_free(&res);
}

static char *repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * times + 1);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * n, unit, n);
    s[n * times] = '\0';
    return s;
}

/* --- each limit, with its precise error ---------------------------------- */

static const char create_body[] = "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"limits\"}";

static void test_content_type(void **state)
{
    fixture *f = *state;
    const char *path = "/v1/audiences/create";
    size_t len = strlen(create_body);
    /* Accepted: JSON (any case, charset UTF-8), none, curl -d's default. */
    send_ok(f, "POST", path, "application/json", create_body);
    send_ok(f, "POST", path, "Application/JSON; charset=UTF-8", create_body);
    send_ok(f, "POST", path, "application/vnd.descovo+json", create_body);
    send_ok(f, "POST", path, NULL, create_body);
    send_ok(f, "POST", path, "application/x-www-form-urlencoded", create_body);
    /* Refused: anything that is clearly not JSON. */
    send_expect(f, "POST", path, "text/csv", create_body, len, 415, "Content-Type: expected application/json, got \"text/csv\"");
    send_expect(f, "POST", path, "multipart/form-data; boundary=x", create_body, len, 415, "multipart/form-data");
    send_expect(f, "POST", path, "text/plain", create_body, len, 415, "Content-Type");
    send_expect(f, "POST", path, "application/xml", create_body, len, 415, "Content-Type");
    send_expect(f, "POST", path, "application/json; charset=iso-8859-1", create_body, len, 415, "charset must be UTF-8");
    /* The control plane's JSON routes too; routes without a body do not care. */
    send_expect(f, "POST", "/_mock/clock/advance", "text/csv", "{\"seconds\":1}", 13, 415, "Content-Type");
    send_ok(f, "GET", "/v1/credits?apiKey=" DEV_KEY, "text/csv", NULL);
}

static void test_depth(void **state)
{
    fixture *f = *state;
    const char *path = "/v1/audiences/create";
    /* 32 levels in all (the body is one): accepted, an unknown field. */
    char *open = repeat("[", API_MAX_JSON_DEPTH - 1);
    char *close = repeat("]", API_MAX_JSON_DEPTH - 1);
    strbuf body = STRBUF_INIT;
    strbuf_printf(&body, "{\"apiKey\":\"%s\",\"name\":\"deep\",\"x\":%s%s}", DEV_KEY, open, close);
    send_ok(f, "POST", path, "application/json", body.data);
    strbuf_release(&body);
    /* 33: refused before parsing, naming the limit and the byte. */
    strbuf_printf(&body, "{\"apiKey\":\"%s\",\"name\":\"deep\",\"x\":[%s%s]}", DEV_KEY, open, close);
    send_expect(f, "POST", path, "application/json", body.data, body.len, 400, "JSON nested deeper than 32 levels");
    strbuf_release(&body);
    free(open);
    free(close);
    /* A million brackets: the same answer, at once. */
    char *deep = repeat("[", 1000000);
    send_expect(f, "POST", path, "application/json", deep, 1000000, 400, "nested deeper than 32 levels (at byte 33)");
    free(deep);
    /* Brackets inside strings (and escaped quotes) are not nesting. */
    send_ok(f, "POST", path, "application/json",
            "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"}");
}

static void test_utf8_and_bytes(void **state)
{
    fixture *f = *state;
    const char *path = "/v1/audiences/create";
    static const char *const bodies[] = {
        "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xff\"}",            /* not UTF-8 at all */
        "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xc0\xaf\"}",        /* overlong */
        "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xed\xa0\x80\"}",    /* a surrogate */
        "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xe2\x82\"}",        /* truncated */
        "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        send_expect(f, "POST", path, "application/json", bodies[i], strlen(bodies[i]), 400, "invalid UTF-8 at byte");
    send_expect(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\\ud800\"}", 43, 400, "invalid JSON");
    send_expect(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"a\\u0000b\"}", 44, 400, "invalid JSON");
    static const char nul[] = "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"a\0b\"}";
    send_expect(f, "POST", path, "application/json", nul, sizeof nul - 1, 400, "invalid JSON");
    send_expect(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"x\"}garbage", 48, 400, "invalid JSON");
    send_expect(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"maxCompanies\":1e999}", 46, 400, "invalid JSON");
    send_expect(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"n\":99999999999999999999999}", 54, 400, "invalid JSON");
    /* Valid UTF-8 of every length is fine. */
    send_ok(f, "POST", path, "application/json", "{\"apiKey\":\"" DEV_KEY "\",\"name\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
}

static void test_path_ids(void **state)
{
    fixture *f = *state;
    char path[1024];
    char *long_id = repeat("a", API_MAX_PATH_PARAM + 1);
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", long_id, DEV_KEY);
    send_expect(f, "GET", path, NULL, NULL, 0, 400, "audienceId in the path: expected at most 128 characters, got 129");
    long_id[API_MAX_PATH_PARAM] = '\0';
    snprintf(path, sizeof path, "/v1/audiences/%s?apiKey=%s", long_id, DEV_KEY);
    send_expect(f, "GET", path, NULL, NULL, 0, 404, "Audience not found");
    free(long_id);
    send_expect(f, "GET", "/v1/audiences/aud_%FF%FE?apiKey=" DEV_KEY, NULL, NULL, 0, 400, "got byte 0xFF at position 5");
    send_expect(f, "GET", "/v1/audiences/aud%20x/companies?apiKey=" DEV_KEY, NULL, NULL, 0, 400, "got byte 0x20 at position 4");
    send_expect(f, "GET", "/v1/audiences/aud%01x?apiKey=" DEV_KEY, NULL, NULL, 0, 400, "byte 0x01");
    /* Ids are checked 8 bytes at a time: a bad byte inside a later word is
     * still named at its place, and the ends of the range (! and ~) pass. */
    send_expect(f, "GET", "/v1/audiences/aud_0123456789%7Fx?apiKey=" DEV_KEY, NULL, NULL, 0, 400,
                "got byte 0x7F at position 15");
    send_expect(f, "GET", "/v1/audiences/aud_01234567%1F?apiKey=" DEV_KEY, NULL, NULL, 0, 400,
                "got byte 0x1F at position 13");
    send_expect(f, "GET", "/v1/audiences/aud_0123456%80%80x?apiKey=" DEV_KEY, NULL, NULL, 0, 400,
                "got byte 0x80 at position 12");
    send_expect(f, "GET", "/v1/audiences/!!!!~~~~!~!~!~!~?apiKey=" DEV_KEY, NULL, NULL, 0, 404, "Audience not found");
    send_expect(f, "GET", "/v1/exports/exp_%0A", NULL, NULL, 0, 400, "exportId in the path");
    send_expect(f, "GET", "/_mock/accounts/k%C3%A9y", NULL, NULL, 0, 400, "apiKey in the path");
    /* %00 is not decoded: no silent cut to "aud". */
    send_expect(f, "GET", "/v1/audiences/aud%00x?apiKey=" DEV_KEY, NULL, NULL, 0, 404, "\"aud%00x\"");
    send_expect(f, "GET", "/v1/credits%00?apiKey=" DEV_KEY, NULL, NULL, 0, 404, "No such endpoint");
    /* Traversal-looking ids are just unknown ids. */
    send_expect(f, "GET", "/v1/exports/..%2F..%2Fetc%2Fpasswd", NULL, NULL, 0, 400, "(%2F)");
    send_expect(f, "GET", "/v1/exports/..", NULL, NULL, 0, 404, "Export not found");
    send_expect(f, "GET", "/v1/audiences//build", NULL, NULL, 0, 404, "No such endpoint");
    /* A path that is not UTF-8, quoted in a 404, and one cut mid-character
     * by the message buffer: both used to fail json_pack and answer 500. */
    send_expect(f, "GET", "/v1/%FF%FE%80", NULL, NULL, 0, 404, "No such endpoint: GET /v1/???");
    char *accents = repeat("%C3%A9", 150);
    snprintf(path, sizeof path, "/v1/%s", accents);
    send_expect(f, "GET", path, NULL, NULL, 0, 404, "No such endpoint");
    free(accents);
}

static void test_query_strings(void **state)
{
    fixture *f = *state;
    send_expect(f, "GET", "/v1/credits?apiKey=" DEV_KEY "&apiKey=sk_other", NULL, NULL, 0, 400,
                "Query parameter \"apiKey\" is given more than once");
    send_expect(f, "GET", "/v1/credits?apiKey=" DEV_KEY "&x=1&x=2", NULL, NULL, 0, 400, "\"x\" is given more than once");
    strbuf path = STRBUF_INIT;
    strbuf_printf(&path, "/v1/credits?apiKey=%s", DEV_KEY);
    for (int i = 1; i < API_MAX_QUERY_PARAMS; i++)
        strbuf_printf(&path, "&p%d=%d", i, i);
    send_ok(f, "GET", path.data, NULL, NULL);
    strbuf_printf(&path, "&one=more");
    send_expect(f, "GET", path.data, NULL, NULL, 0, 400, "at most 32 parameters");
    strbuf_release(&path);
    char *big = repeat("v", API_MAX_QUERY_BYTES + 1);
    strbuf_printf(&path, "/v1/credits?apiKey=%s&note=%s", DEV_KEY, big);
    send_expect(f, "GET", path.data, NULL, NULL, 0, 400, "\"note\": expected at most 1024 bytes");
    strbuf_release(&path);
    strbuf_printf(&path, "/v1/credits?%s=1&apiKey=%s", big, DEV_KEY);
    send_expect(f, "GET", path.data, NULL, NULL, 0, 400, "expected at most 1024 bytes");
    strbuf_release(&path);
    free(big);
    /* Values that are not UTF-8 are quoted with '?' in their place. */
    char page[256];
    snprintf(page, sizeof page, "/v1/audiences/%s/companies?apiKey=%s&pageSize=%%FF%%FE", f->normal, DEV_KEY);
    send_expect(f, "GET", page, NULL, NULL, 0, 400, "pageSize: expected an integer from 1 to 500, got \"??\"");
    snprintf(page, sizeof page, "/v1/audiences/%s/companies?apiKey=%s&cursor=c_1%%00", f->normal, DEV_KEY);
    send_expect(f, "GET", page, NULL, NULL, 0, 400, "cursor: \"c_1%00\"");
    send_expect(f, "GET", "/v1/credits?apiKey=" DEV_KEY "%00", NULL, NULL, 0, 401, "Invalid API key.");
    /* Over libmicrohttpd's 32 KiB request buffer: its own 414, and the
     * server goes on. */
    big = repeat("a", 40000);
    strbuf_printf(&path, "/v1/credits?apiKey=%s&x=%s", DEV_KEY, big);
    http_response res;
    assert_int_equal(harness_raw_request(f->h, "GET", path.data, NULL, NULL, 0, &res), CURLE_OK);
    assert_int_equal(res.status, 414);
    http_response_free(&res);
    strbuf_release(&path);
    free(big);
    send_ok(f, "GET", "/v1/credits?apiKey=" DEV_KEY, NULL, NULL);
}

static void test_methods(void **state)
{
    fixture *f = *state;
    send_expect(f, "BREW", "/v1/credits", NULL, NULL, 0, 405, "Method BREW is not allowed on /v1/credits; allowed: GET.");
    send_expect(f, "get", "/v1/credits", NULL, NULL, 0, 405, "allowed: GET");
    send_expect(f, "PUT", "/v1/audiences/create", "application/json", "{}", 2, 405, "allowed: POST");
    send_expect(f, "OPTIONS", "/v1/nothing", NULL, NULL, 0, 404, "No such endpoint");
    char *method = repeat("X", 100);
    send_expect(f, method, "/v1/credits", NULL, NULL, 0, 405, "allowed: GET");
    free(method);
    http_response res;
    assert_int_equal(harness_raw_request(f->h, "HEAD", "/v1/credits", NULL, NULL, 0, &res), CURLE_OK);
    assert_int_equal(res.status, 405);
    http_response_free(&res);
}

/* --- a wrong type in every field of every endpoint ----------------------- */

typedef enum { T_STR, T_INT, T_BOOL, T_OBJ, T_ARR, T_NUM } field_type;

typedef struct field_case {
    const char *method;
    const char *path;        /* %s: the audience id (draft for search-params) */
    int normal;              /* on the NORMAL audience */
    const char *base;        /* other fields, inserted after apiKey */
    const char *field;       /* top-level name or "parent.child" */
    field_type type;
} field_case;

static const field_case field_cases[] = {
    {"POST", "/v1/audiences/create", 0, "", "name", T_STR},
    {"POST", "/v1/audiences/create", 0, "\"name\":\"n\",", "creationMethod", T_STR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams", T_OBJ},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "prospectSearchParams", T_OBJ},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "maxCompanies", T_INT},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "maxProspects", T_INT},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams.headquartersCountryCode", T_ARR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams.employeeCountV2", T_OBJ},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams.industriesV2", T_ARR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams.stage", T_ARR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "companySearchParams.keywords", T_ARR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "prospectSearchParams.jobTitleV2", T_OBJ},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "prospectSearchParams.country3LetterCode", T_ARR},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "prospectSearchParams.yearsOfExperience", T_OBJ},
    {"PATCH", "/v1/audiences/%s/search-params", 0, "", "prospectSearchParams.tags", T_OBJ},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "", "maxProspectsToEnrich", T_INT},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "enrichmentType", T_OBJ},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "enrichmentType.getWorkEmails", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "enrichmentType.getPersonalEmails", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "enrichmentType.getPhoneNumbers", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "runCompanyLiveEnrichment", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "runProfileLiveEnrichment", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "runProfileSalesNav", T_BOOL},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1, "\"maxProspectsToEnrich\":3,", "runContactEnrichment", T_BOOL},
    {"POST", "/v1/audiences/%s/enrich", 1, "", "maxProspectsToEnrich", T_INT},
    {"POST", "/v1/audiences/%s/enrich", 1, "\"maxProspectsToEnrich\":3,", "enrichmentType", T_OBJ},
    {"POST", "/v1/audiences/%s/enrich", 1, "\"maxProspectsToEnrich\":3,", "runContactEnrichment", T_BOOL},
    {"POST", "/v1/audiences/%s/enrich", 1, "\"maxProspectsToEnrich\":3,", "userEmail", T_STR},
    {"POST", "/v1/audiences/%s/export/companies", 1, "", "format", T_STR},
    {"POST", "/v1/audiences/%s/export/companies", 1, "\"format\":\"COMPANY_GENERIC_CSV\",", "maxRowsToExport", T_INT},
    {"POST", "/v1/audiences/%s/export/companies", 1, "\"format\":\"COMPANY_GENERIC_CSV\",", "excludeFields", T_ARR},
    {"POST", "/v1/audiences/%s/export/companies", 1, "\"format\":\"COMPANY_GENERIC_CSV\",", "userEmail", T_STR},
    {"POST", "/v1/audiences/%s/export/prospects", 1, "", "format", T_STR},
    {"POST", "/v1/audiences/%s/export/prospects", 1, "\"format\":\"PROSPECT_GENERIC_CSV\",", "maxRowsToExport", T_INT},
    {"POST", "/v1/audiences/%s/export/prospects", 1, "\"format\":\"PROSPECT_GENERIC_CSV\",", "excludeFields", T_ARR},
    {"POST", "/v1/audiences/%s/export/prospects", 1, "\"format\":\"PROSPECT_GENERIC_CSV\",", "onlyWithContacts", T_BOOL},
    {"POST", "/v1/audiences/%s/export/prospects", 1, "\"format\":\"PROSPECT_GENERIC_CSV\",", "userEmail", T_STR},
    {"POST", "/_mock/clock/advance", 0, "", "seconds", T_NUM},
    {"PUT", "/_mock/accounts/" SIDE_KEY, 0, "", "credits", T_INT},
    {"PUT", "/_mock/accounts/" SIDE_KEY, 0, "", "exportQuota", T_INT},
    {"PUT", "/_mock/accounts/" SIDE_KEY, 0, "", "exportRowsUsed", T_INT},
};

/* JSON values of each type but one; strings that a string field refuses
 * anyway are chosen per field below. */
static const struct {
    const char *json;
    field_type type;
} wrong_values[] = {
    {"5", T_INT}, {"-1", T_INT}, {"0", T_INT}, {"9223372036854775807", T_INT}, {"1.5", T_NUM},
    {"-1e300", T_NUM}, {"\"x\"", T_STR}, {"\"\"", T_STR}, {"true", T_BOOL}, {"false", T_BOOL},
    {"[]", T_ARR}, {"[1,[2]]", T_ARR}, {"{}", T_OBJ}, {"{\"a\":{}}", T_OBJ},
};

static int value_fits(field_type field, field_type value, const char *json)
{
    if (field == value)
        return 1;
    /* Numbers of an integer field, and integers of a number field, only
     * fail on their range: skip the in-range ones. */
    if (field == T_NUM && value == T_INT)
        return strcmp(json, "-1") != 0 && strcmp(json, "9223372036854775807") != 0;
    return 0;
}

static void test_wrong_type_in_every_field(void **state)
{
    fixture *f = *state;
    long long credits = harness_credits(f->h, DEV_KEY);
    size_t sent = 0;
    for (size_t c = 0; c < sizeof field_cases / sizeof field_cases[0]; c++) {
        const field_case *fc = &field_cases[c];
        char path[256];
        snprintf(path, sizeof path, fc->path, fc->normal ? f->normal : f->draft);
        int control = strncmp(fc->path, "/_mock/", 7) == 0;
        const char *dot = strchr(fc->field, '.');
        for (size_t v = 0; v < sizeof wrong_values / sizeof wrong_values[0]; v++) {
            const char *json = wrong_values[v].json;
            if (value_fits(fc->type, wrong_values[v].type, json))
                continue;
            /* A set-valued filter takes a list (docs dialect) or an object
             * (spec dialect, whose unknown keys are warnings). */
            if (dot != NULL && fc->type == T_ARR && wrong_values[v].type == T_OBJ)
                continue;
            strbuf body = STRBUF_INIT;
            strbuf_printf(&body, "{%s%s", control ? "" : "\"apiKey\":\"" DEV_KEY "\",", fc->base);
            if (dot != NULL)
                strbuf_printf(&body, "\"%.*s\":{\"%s\":%s}}", (int)(dot - fc->field), fc->field, dot + 1, json);
            else
                strbuf_printf(&body, "\"%s\":%s}", fc->field, json);
            http_response res;
            assert_int_equal(harness_raw_request(f->h, fc->method, path, "application/json", body.data, body.len, &res), CURLE_OK);
            /* A wrong value is a 400 that names the field; a few are
             * accepted as the API defines (a count of 0 for an optional
             * cap is refused, an empty filter list is no filter). */
            if (res.status == 200 && dot != NULL && (strcmp(json, "[]") == 0 || strcmp(json, "{}") == 0)) {
                http_response_free(&res);
                strbuf_release(&body);
                continue;
            }
            char what[512];
            snprintf(what, sizeof what, "%s %s %s", fc->method, path, body.data);
            expect_error(&res, 400, fc->field, what);
            strbuf_release(&body);
            sent++;
        }
    }
    assert_true(sent > 300);
    /* apiKey itself, of every wrong type, on a route that reads it from the
     * body: 401 whatever it is. */
    for (size_t v = 0; v < sizeof wrong_values / sizeof wrong_values[0]; v++) {
        char body[128];
        snprintf(body, sizeof body, "{\"apiKey\":%s,\"name\":\"n\"}", wrong_values[v].json);
        send_expect(f, "POST", "/v1/audiences/create", "application/json", body, strlen(body), 401, "Invalid API key.");
    }
    /* Nothing was charged for any of it. */
    assert_int_equal(harness_credits(f->h, DEV_KEY), credits);
}

/* --- generated hostile requests ------------------------------------------ */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t next_u64(rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(rng *r, size_t n)
{
    return n == 0 ? 0 : (size_t)(next_u64(r) % n);
}

typedef struct template {
    const char *method;
    const char *path;     /* %s: an audience id */
    int normal;
    const char *body;     /* %s: apiKey */
} template;

static const template templates[] = {
    {"POST", "/v1/audiences/create", 0, "{\"apiKey\":\"%s\",\"name\":\"hostile\",\"creationMethod\":\"NORMAL\"}"},
    {"PATCH", "/v1/audiences/%s/search-params", 0,
     "{\"apiKey\":\"%s\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"employeeCountV2\":{\"min\":10,\"max\":500},"
     "\"industriesV2\":{\"anyOf\":[\"Artificial Intelligence\"]}},\"prospectSearchParams\":{\"jobTitleV2\":{\"included\":[\"engineer\"]},"
     "\"yearsOfExperience\":{\"lowerBound\":2}},\"maxCompanies\":50,\"maxProspects\":100}"},
    {"POST", "/v1/audiences/%s/build", 0, "{\"apiKey\":\"%s\"}"},
    {"POST", "/v1/audiences/%s/enrichment/estimate", 1,
     "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5,\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,"
     "\"getPhoneNumbers\":true},\"runCompanyLiveEnrichment\":false,\"runProfileSalesNav\":true}"},
    {"POST", "/v1/audiences/%s/enrich", 1,
     "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":2,\"runContactEnrichment\":true,\"userEmail\":\"dev@example.com\"}"},
    {"POST", "/v1/audiences/%s/export/companies", 1,
     "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\",\"maxRowsToExport\":10,\"excludeFields\":[\"descovo_id\"]}"},
    {"POST", "/v1/audiences/%s/export/prospects", 1,
     "{\"apiKey\":\"%s\",\"format\":\"PROSPECT_GENERIC_CSV\",\"maxRowsToExport\":10,\"onlyWithContacts\":false}"},
    {"POST", "/_mock/clock/advance", 0, "{\"seconds\":1,\"k\":\"%s\"}"},
    {"PUT", "/_mock/accounts/" SIDE_KEY, 0, "{\"credits\":100,\"exportQuota\":10,\"k\":\"%s\"}"},
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

/* Paths a request may go to; %s: an audience id. */
static const char *const paths[] = {
    "/v1/audiences/create", "/v1/audiences/%s/search-params", "/v1/audiences/%s/build", "/v1/audiences/%s",
    "/v1/audiences/%s/enrichment/estimate", "/v1/audiences/%s/enrich", "/v1/audiences/%s/enrichment/status",
    "/v1/audiences/%s/export/companies", "/v1/audiences/%s/export/prospects", "/v1/credits", "/v1/audiences",
    "/v1/audiences/%s/companies", "/v1/audiences/%s/prospects", "/v1/exports/%s", "/_mock/health",
    "/_mock/clock", "/_mock/accounts/%s", "/_mock/faults", "/_mock/requests", "/_mock/outbox", "/_mock/scenarios",
    "/v1", "/", "/v1/audiences/%s/build/extra", "/v2/audiences", "/_mock/faults/%s",
};

static const char *const methods[] = {
    "GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "BREW", "get", "P0ST", "PROPFIND",
};

static const char *const content_types[] = {
    "application/json", NULL, "application/x-www-form-urlencoded", "text/csv", "multipart/form-data; boundary=z",
    "application/json; charset=utf-16", "application/json; charset=UTF-8", "text/plain", "application/problem+json",
    "*/*", ";", "application/json;;;", "\t", "application/jsonx",
};

/* Appends a random JSON value, up to `depth` levels deep. */
static void random_json(rng *r, strbuf *out, int depth)
{
    switch (below(r, depth > 0 ? 9 : 6)) {
    case 0: strbuf_printf(out, "%lld", (long long)(next_u64(r) >> below(r, 64))); break;
    case 1: strbuf_printf(out, "-%llu", (unsigned long long)below(r, 100000)); break;
    case 2: strbuf_printf(out, "%g", (double)next_u64(r) / 1e9 * (below(r, 2) ? 1 : -1)); break;
    case 3: strbuf_printf(out, "%s", below(r, 3) == 0 ? "null" : below(r, 2) ? "true" : "false"); break;
    case 4: {
        static const char *const strings[] = {"\"\"", "\"x\"", "\"NORMAL\"", "\"US\"", "\"\\u00e9\\n\\t\"",
                                              "\"COMPANY_GENERIC_CSV\"", "\"a@b.c\"", "\"\\ud83d\\ude00\""};
        strbuf_printf(out, "%s", strings[below(r, sizeof strings / sizeof strings[0])]);
        break;
    }
    case 5: {
        size_t n = below(r, 400);
        strbuf_append(out, "\"", 1);
        static const char letters[] = "abcdefghij\xc3\xa9"; /* and half of an e-acute, sometimes */
        for (size_t i = 0; i < n; i++)
            strbuf_append(out, &letters[below(r, 11)], 1);
        strbuf_append(out, "\"", 1);
        break;
    }
    case 6:
    case 7: {
        size_t n = below(r, 4);
        strbuf_append(out, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                strbuf_append(out, ",", 1);
            random_json(r, out, depth - 1);
        }
        strbuf_append(out, "]", 1);
        break;
    }
    default: {
        static const char *const keys[] = {"min", "max", "anyOf", "noneOf", "allOf", "included", "type", "term",
                                           "lowerBound", "upperBoundInclusive", "groups", "x"};
        size_t n = below(r, 4);
        strbuf_append(out, "{", 1);
        for (size_t i = 0; i < n; i++) {
            strbuf_printf(out, "%s\"%s%zu\":", i > 0 ? "," : "", keys[below(r, sizeof keys / sizeof keys[0])], i);
            random_json(r, out, depth - 1);
        }
        strbuf_append(out, "}", 1);
        break;
    }
    }
}

/* A request: what to send. */
typedef struct hostile {
    const char *method;
    char path[4096];
    const char *content_type;
    strbuf body;
    int has_body;
    int may_be_http_level; /* libmicrohttpd may answer itself (414, 431, 400) */
    const char *kind;
} hostile;

static void fill_path(char *out, size_t size, const char *pattern, const char *id)
{
    snprintf(out, size, pattern, id);
}

/* Appends `id` percent-encoded with odd bytes mixed in. */
static void odd_id(rng *r, char *out, size_t size, const char *id)
{
    strbuf s = STRBUF_INIT;
    switch (below(r, 6)) {
    case 0: strbuf_printf(&s, "%s%%%02X", id, (unsigned)below(r, 256)); break;
    case 1: for (size_t i = 0, n = below(r, 300); i < n; i++) strbuf_append(&s, "z", 1); break;
    case 2: strbuf_printf(&s, "..%%2F..%%2F%s", id); break;
    case 3: strbuf_printf(&s, "%%%02X%%%02X%s", (unsigned)below(r, 256), (unsigned)below(r, 256), id); break;
    case 4: strbuf_printf(&s, "%s/%s", id, id); break;
    default: strbuf_printf(&s, "%.*s", (int)below(r, strlen(id) + 1), id); break;
    }
    snprintf(out, size, "%s", s.data != NULL ? s.data : "");
    strbuf_release(&s);
}

static void generate(rng *r, const fixture *f, hostile *req)
{
    memset(req, 0, sizeof *req);
    req->content_type = "application/json";
    const template *t = &templates[below(r, N_TEMPLATES)];
    const char *id = t->normal ? f->normal : f->draft;
    req->method = t->method;
    fill_path(req->path, sizeof req->path, t->path, id);
    req->has_body = 1;
    strbuf valid = STRBUF_INIT;
    strbuf_printf(&valid, t->body, DEV_KEY);
    size_t kind = below(r, 10);
    switch (kind) {
    case 0: { /* mutated bytes */
        req->kind = "mutated";
        strbuf_append(&req->body, valid.data, valid.len);
        for (size_t m = 0, n = 1 + below(r, 8); m < n && req->body.len > 0; m++) {
            size_t at = below(r, req->body.len);
            static const char specials[] = "\"{}[],:\\\x00\xff\xc3 0-e.";
            char c = below(r, 2) ? (char)below(r, 256) : specials[below(r, sizeof specials - 1)];
            switch (below(r, 4)) {
            case 0: req->body.data[at] = c; break;
            case 1: memmove(req->body.data + at, req->body.data + at + 1, req->body.len - at - 1); req->body.len--; break;
            case 2: {
                strbuf tail = STRBUF_INIT;
                strbuf_append(&tail, req->body.data + at, req->body.len - at);
                req->body.len = at;
                strbuf_append(&req->body, &c, 1);
                strbuf_append(&req->body, tail.data, tail.len);
                strbuf_release(&tail);
                break;
            }
            default: {
                size_t span = below(r, req->body.len - at) + 1;
                strbuf copy = STRBUF_INIT;
                strbuf_append(&copy, req->body.data + at, span);
                strbuf_append(&req->body, copy.data, copy.len);
                strbuf_release(&copy);
                break;
            }
            }
        }
        break;
    }
    case 1: /* truncated */
        req->kind = "truncated";
        strbuf_append(&req->body, valid.data, below(r, valid.len));
        break;
    case 2: { /* deep nesting in a field */
        req->kind = "deep";
        size_t depth = 1 + below(r, below(r, 2) ? 40 : 5000);
        strbuf_append(&req->body, valid.data, valid.len - 1);
        strbuf_append(&req->body, ",\"deep\":", 8);
        for (size_t i = 0; i < depth; i++) {
            if (below(r, 2))
                strbuf_append(&req->body, "[", 1);
            else
                strbuf_append(&req->body, "{\"k\":", 5);
        }
        strbuf_append(&req->body, "1", 1);
        if (below(r, 3) != 0) {
            /* close properly, most of the time */
            strbuf_release(&req->body);
            strbuf_append(&req->body, valid.data, valid.len - 1);
            strbuf_append(&req->body, ",\"deep\":", 8);
            for (size_t i = 0; i < depth; i++)
                strbuf_append(&req->body, "[", 1);
            for (size_t i = 0; i < depth; i++)
                strbuf_append(&req->body, "]", 1);
        }
        strbuf_append(&req->body, "}", 1);
        break;
    }
    case 3: { /* huge string in a field */
        req->kind = "huge";
        size_t n = below(r, 8) == 0 ? API_MAX_BODY_BYTES + below(r, 4096) : below(r, 200000);
        static const char *const fields[] = {"name", "userEmail", "format", "creationMethod", "x", "apiKey"};
        strbuf_append(&req->body, valid.data, valid.len - 1);
        strbuf_printf(&req->body, ",\"%s%s\":\"", fields[below(r, 6)], below(r, 2) ? "" : "2");
        for (size_t i = 0; i < n; i++)
            strbuf_append(&req->body, "x", 1);
        strbuf_append(&req->body, "\"}", 2);
        break;
    }
    case 4: { /* a random value in a random known field (replacing it) */
        req->kind = "wrong-type";
        json_t *obj = json_loads(valid.data, 0, NULL);
        assert_non_null(obj);
        size_t pick = below(r, json_object_size(obj));
        const char *key;
        json_t *value;
        size_t i = 0;
        strbuf v = STRBUF_INIT;
        random_json(r, &v, 3);
        json_t *random_value = json_loadb(v.data, v.len, 0, NULL);
        json_object_foreach(obj, key, value) {
            if (i++ == pick && random_value != NULL) {
                json_object_set(obj, key, random_value);
                break;
            }
        }
        json_decref(random_value);
        strbuf_release(&v);
        char *text = json_dumps(obj, JSON_COMPACT);
        strbuf_append(&req->body, text, strlen(text));
        free(text);
        json_decref(obj);
        break;
    }
    case 5: { /* random bytes */
        req->kind = "random-bytes";
        for (size_t i = 0, n = below(r, 600); i < n; i++) {
            char c = (char)below(r, 256);
            strbuf_append(&req->body, &c, 1);
        }
        break;
    }
    case 6: { /* odd method on any path */
        req->kind = "method";
        req->method = methods[below(r, sizeof methods / sizeof methods[0])];
        fill_path(req->path, sizeof req->path, paths[below(r, sizeof paths / sizeof paths[0])], id);
        strbuf_append(&req->body, valid.data, valid.len);
        req->has_body = below(r, 2) && strcmp(req->method, "HEAD") != 0;
        break;
    }
    case 7: { /* odd path ids */
        req->kind = "path";
        char odd[1024];
        odd_id(r, odd, sizeof odd, id);
        const char *pattern = paths[below(r, sizeof paths / sizeof paths[0])];
        fill_path(req->path, sizeof req->path, pattern, odd);
        req->method = strchr(pattern, '%') != NULL && below(r, 2) ? "GET" : t->method;
        strbuf_append(&req->body, valid.data, valid.len);
        size_t used = strlen(req->path);
        if (strcmp(req->method, "GET") == 0)
            snprintf(req->path + used, sizeof req->path - used, "?apiKey=%s", DEV_KEY);
        break;
    }
    case 8: { /* query strings */
        req->kind = "query";
        static const char *const gets[] = {"/v1/credits", "/v1/audiences", "/v1/audiences/%s/companies",
                                           "/v1/audiences/%s/prospects", "/_mock/requests", "/v1/audiences/%s"};
        req->method = "GET";
        req->has_body = 0;
        fill_path(req->path, sizeof req->path, gets[below(r, 6)], f->normal);
        strbuf q = STRBUF_INIT;
        strbuf_printf(&q, "?apiKey=%s", DEV_KEY);
        static const char *const names[] = {"apiKey", "pageSize", "cursor", "limit", "status", "since", "method", "path", "x"};
        for (size_t i = 0, n = below(r, 40); i < n; i++) {
            strbuf_printf(&q, "&%s=", names[below(r, 9)]);
            switch (below(r, 5)) {
            case 0: strbuf_printf(&q, "%lld", (long long)next_u64(r) - (long long)below(r, 3)); break;
            case 1: strbuf_printf(&q, "%%%02X%%%02X", (unsigned)below(r, 256), (unsigned)below(r, 256)); break;
            case 2: for (size_t k = 0, m = below(r, 2000); k < m; k++) strbuf_append(&q, "q", 1); break;
            case 3: strbuf_printf(&q, "c_%llu", (unsigned long long)below(r, 1000)); break;
            default: break;
            }
        }
        size_t used = strlen(req->path);
        snprintf(req->path + used, sizeof req->path - used, "%s", q.data); /* cut when longer */
        strbuf_release(&q);
        break;
    }
    default: { /* valid body, odd Content-Type */
        req->kind = "content-type";
        req->content_type = content_types[below(r, sizeof content_types / sizeof content_types[0])];
        strbuf_append(&req->body, valid.data, valid.len);
        break;
    }
    }
    strbuf_release(&valid);
}

/* The statuses the server may answer to a hostile request: errors a client
 * can cause, and 200 when the mutation left a valid request. Never 5xx. */
static int status_allowed(long status, int http_level)
{
    static const long allowed[] = {200, 400, 401, 402, 403, 404, 405, 413, 415, 429};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (allowed[i] == status)
            return 1;
    }
    return http_level && (status == 414 || status == 431 || status == 400);
}

static void check_answer(const hostile *req, const http_response *res, size_t n)
{
    if (!status_allowed(res->status, req->may_be_http_level))
        fail_msg("request %zu (%s) %s %.200s: status %ld: %.300s", n, req->kind, req->method, req->path, res->status,
                 res->raw);
    if (strcmp(req->method, "HEAD") == 0)
        return;
    int json_type = strstr(res->content_type, "application/json") != NULL;
    if (!json_type) {
        /* Only libmicrohttpd's own answers (and CSV downloads) are not JSON. */
        if (res->status == 200 && strstr(res->content_type, "text/csv") != NULL)
            return;
        if (req->may_be_http_level && res->status >= 400)
            return;
        fail_msg("request %zu (%s) %s %.200s: status %ld with Content-Type \"%s\"", n, req->kind, req->method,
                 req->path, res->status, res->content_type);
    }
    if (res->json == NULL)
        fail_msg("request %zu (%s): body is not JSON: %.300s", n, req->kind, res->raw);
    if (res->status == 200) {
        if (!json_is_object(json_object_get(res->json, "output")))
            fail_msg("request %zu (%s): 200 without output: %.300s", n, req->kind, res->raw);
        return;
    }
    json_t *error = json_object_get(res->json, "error");
    const char *message = json_string_value(json_object_get(error, "message"));
    if (!json_is_object(error) || json_integer_value(json_object_get(error, "code")) != res->status ||
        message == NULL || message[0] == '\0' || json_object_size(res->json) != 1)
        fail_msg("request %zu (%s) %s %.200s: not the error shape: %.300s", n, req->kind, req->method, req->path,
                 res->raw);
}

static size_t env_size(const char *name, size_t fallback)
{
    const char *text = getenv(name);
    if (text == NULL || text[0] == '\0')
        return fallback;
    char *end = NULL;
    unsigned long long n = strtoull(text, &end, 10);
    return end != text && *end == '\0' ? (size_t)n : fallback;
}

/* The server still works: health, and a whole workflow to a download. */
static void check_health(fixture *f)
{
    http_response res;
    assert_int_equal(harness_get(f->h, &res, "/_mock/health"), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(res.json, "output"), "status")), "ok");
    http_response_free(&res);
    char id[64];
    snprintf(id, sizeof id, "%s", harness_create(f->h, OTHER_KEY, "after the storm", "NORMAL"));
    harness_set_filters(f->h, OTHER_KEY, id, "\"companySearchParams\":{\"headquartersCountryCode\":[\"DE\"]},\"maxCompanies\":5");
    harness_build_until_normal(f->h, OTHER_KEY, id);
    char path[256];
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    assert_int_equal(harness_send(f->h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}",
                                  OTHER_KEY), 200);
    const char *url = json_string_value(json_object_get(json_object_get(res.json, "output"), "downloadUrl"));
    assert_non_null(url);
    size_t len = 0;
    long status = 0;
    char *csv = harness_download(f->h, url, &len, &status);
    assert_int_equal(status, 200);
    assert_true(len > 0);
    free(csv);
    http_response_free(&res);
}

/* This process's resident memory in kB (the server runs in it), or 0. */
static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return kb;
}

static void test_generated_hostile_requests(void **state)
{
    fixture *f = *state;
    size_t total = env_size("HOSTILE_REQUESTS", DEFAULT_REQUESTS);
    rng r = {env_size("HOSTILE_SEED", DEFAULT_SEED)};
    size_t by_status[600] = {0};
    long rss_start = 0;
    for (size_t n = 0; n < total; n++) {
        if (n == total / 10)
            rss_start = resident_kb(); /* after the first allocations settle */
        if (n > 0 && n % 150 == 0)
            make_audiences(f); /* fresh ids to aim at: mutations may archive or build them */
        hostile req;
        generate(&r, f, &req);
        http_response res;
        CURLcode code = harness_raw_request(f->h, req.method, req.path, req.content_type,
                                    req.has_body ? (req.body.data != NULL ? req.body.data : "") : NULL,
                                    req.has_body ? req.body.len : 0, &res);
        if (code != CURLE_OK)
            fail_msg("request %zu (%s) %s %.200s: transport failed: %s", n, req.kind, req.method, req.path,
                     curl_easy_strerror(code));
        check_answer(&req, &res, n);
        if (res.status > 0 && res.status < 600)
            by_status[res.status]++;
        http_response_free(&res);
        strbuf_release(&req.body);
    }
    print_message("resident memory: %ld kB after %zu requests, %ld kB after %zu\n", rss_start, total / 10,
                  resident_kb(), total);
    print_message("%zu hostile requests:", total);
    for (size_t s = 0; s < 600; s++) {
        if (by_status[s] > 0)
            print_message(" %zu x %zu", s, by_status[s]);
    }
    print_message("\n");
    assert_true(by_status[400] > total / 4);
    check_health(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_content_type, reset),
        cmocka_unit_test_setup(test_depth, reset),
        cmocka_unit_test_setup(test_utf8_and_bytes, reset),
        cmocka_unit_test_setup(test_path_ids, reset),
        cmocka_unit_test_setup(test_query_strings, reset),
        cmocka_unit_test_setup(test_methods, reset),
        cmocka_unit_test_setup(test_wrong_type_in_every_field, reset),
        cmocka_unit_test_setup(test_generated_hostile_requests, reset),
    };
    return cmocka_run_group_tests_name("hostile", tests, setup, teardown);
}
