/* The dashboard and the lists it reads, over HTTP: GET /_mock/ui (type,
 * protection), the credit ledger (sums, causes, a restart with the state
 * file), /_mock/accounts, /_mock/audiences (paging, timelines), the
 * journal's paging and masked bodies, and 304s for unchanged answers.
 * The page itself is driven in a real browser by tests/browser/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TOKEN "s3cret-token"
#define BROAD "{\"headquartersCountryCode\":[\"US\"]}"

static json_t *output_of(const http_response *res)
{
    return json_object_get(res->json, "output");
}

/* GET with extra request headers; fills *out (status, raw body, type). */
static long get_with_headers(harness *h, const char *path, const char *const *headers, http_response *out,
                             char *etag, size_t etag_size);

/* libcurl header callback: keeps the ETag. */
static size_t keep_etag(char *data, size_t size, size_t n, void *ctx)
{
    char *etag = ctx;
    size_t len = size * n;
    if (etag != NULL && len > 6 && strncasecmp(data, "ETag:", 5) == 0) {
        const char *v = data + 5;
        while (*v == ' ')
            v++;
        size_t m = strcspn(v, "\r\n");
        if (m < 64) {
            memcpy(etag, v, m);
            etag[m] = '\0';
        }
    }
    return len;
}

static size_t keep_body(char *data, size_t size, size_t n, void *ctx)
{
    http_response *out = ctx;
    size_t len = size * n;
    char *grown = realloc(out->raw, out->raw_len + len + 1);
    assert_non_null(grown);
    memcpy(grown + out->raw_len, data, len);
    out->raw = grown;
    out->raw_len += len;
    out->raw[out->raw_len] = '\0';
    return len;
}

static long get_with_headers(harness *h, const char *path, const char *const *headers, http_response *out,
                             char *etag, size_t etag_size)
{
    memset(out, 0, sizeof *out);
    if (etag != NULL && etag_size > 0)
        etag[0] = '\0';
    char url[512];
    snprintf(url, sizeof url, "%s%s", h->base_url, path);
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_etag);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, etag);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    const char *type = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    if (type != NULL)
        snprintf(out->content_type, sizeof out->content_type, "%s", type);
    if (out->raw != NULL)
        out->json = json_loads(out->raw, 0, NULL);
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    return out->status;
}

/* --- the page ------------------------------------------------------------- */

static void with_token(mock_options *options)
{
    options->admin_token = TOKEN;
}

static void without_control(mock_options *options)
{
    options->control = 0;
}

static void test_page_is_served(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/ui"), 200);
    assert_string_equal(res.content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(res.raw, "<!doctype html>"));
    assert_non_null(strstr(res.raw, "/_mock/audiences"));
    /* Self-contained: nothing is fetched from anywhere else. */
    assert_null(strstr(res.raw, "<script src"));
    assert_null(strstr(res.raw, "<link "));
    assert_null(strstr(res.raw, "http://"));
    assert_null(strstr(res.raw, "https://"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/ui/"), 200);
    http_response_free(&res);
}

static void test_page_protection(void **state)
{
    (void)state;
    harness *h = harness_start(with_token);
    http_response res;
    /* The page holds no data: served without the token, it asks for it. */
    assert_int_equal(harness_get(h, &res, "/_mock/ui"), 200);
    assert_non_null(strstr(res.raw, "X-Mock-Admin-Token"));
    http_response_free(&res);
    /* What it reads needs the token. */
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s/ledger", DEV_KEY), 401);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/audiences"), 401);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts"), 401);
    http_response_free(&res);
    static const char *const token[] = {"X-Mock-Admin-Token: " TOKEN, NULL};
    static const char *const wrong[] = {"X-Mock-Admin-Token: nope", NULL};
    assert_int_equal(get_with_headers(h, "/_mock/accounts/" DEV_KEY "/ledger", wrong, &res, NULL, 0), 401);
    http_response_free(&res);
    assert_int_equal(get_with_headers(h, "/_mock/accounts/" DEV_KEY "/ledger", token, &res, NULL, 0), 200);
    http_response_free(&res);
    harness_stop(h);

    h = harness_start(without_control);
    assert_int_equal(harness_get(h, &res, "/_mock/ui"), 404);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s/ledger", DEV_KEY), 404);
    http_response_free(&res);
    harness_stop(h);
}

static void test_unchanged_answer_is_304(void **state)
{
    harness *h = *state;
    char etag[64];
    http_response res;
    assert_int_equal(get_with_headers(h, "/_mock/audiences", NULL, &res, etag, sizeof etag), 200);
    http_response_free(&res);
    assert_true(strlen(etag) > 2);
    char header[96];
    snprintf(header, sizeof header, "If-None-Match: %s", etag);
    const char *const conditional[] = {header, NULL};
    assert_int_equal(get_with_headers(h, "/_mock/audiences", conditional, &res, NULL, 0), 304);
    assert_int_equal(res.raw_len, 0);
    http_response_free(&res);
    /* A change: a new tag and the whole answer. */
    harness_create(h, DEV_KEY, "new", "NORMAL");
    assert_int_equal(get_with_headers(h, "/_mock/audiences", conditional, &res, NULL, 0), 200);
    http_response_free(&res);
}

/* --- the ledger ----------------------------------------------------------- */

/* Sums the ledger's amounts and checks each balanceAfter against the
 * running sum (entries come newest first). Returns openingBalance + sum. */
static long long ledger_sum(const json_t *ledger)
{
    const json_t *entries = json_object_get(ledger, "entries");
    long long balance = json_integer_value(json_object_get(ledger, "openingBalance"));
    for (size_t i = json_array_size(entries); i-- > 0;) {
        const json_t *e = json_array_get(entries, i);
        balance += json_integer_value(json_object_get(e, "amount"));
        assert_int_equal(json_integer_value(json_object_get(e, "balanceAfter")), balance);
    }
    return balance;
}

static json_t *get_ledger(harness *h, const char *key)
{
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s/ledger?limit=500", key), 200);
    json_t *ledger = json_incref(output_of(&res));
    http_response_free(&res);
    return ledger;
}

/* A build charged, an enrichment charged then refunded (a fail-enrichment
 * rule), a credits PUT: five entries that add up to the balance. */
static void spend(harness *h, char *audience_id, size_t size)
{
    const char *id = harness_create(h, DEV_KEY, "ledger", "NORMAL");
    snprintf(audience_id, size, "%s", id);
    harness_set_filters(h, DEV_KEY, audience_id, "\"companySearchParams\":" BROAD ",\"maxCompanies\":5");
    harness_build_until_normal(h, DEV_KEY, audience_id);
    http_response res;
    assert_int_equal(harness_send(h, "POST", &res, "/_mock/faults",
                                  "{\"match\":{\"path\":\"/v1/audiences/*/enrich\"},\"times\":1,"
                                  "\"action\":{\"type\":\"fail-enrichment\"}}"), 200);
    http_response_free(&res);
    char enrich[96];
    snprintf(enrich, sizeof enrich, "/v1/audiences/%s/enrich", audience_id);
    assert_int_equal(harness_send(h, "POST", &res, enrich, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":5}", DEV_KEY), 200);
    http_response_free(&res);
    harness_advance(h, 600);
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" DEV_KEY, "{\"credits\":%d}", 40000), 200);
    http_response_free(&res);
    assert_int_equal(harness_send(h, "POST", &res, enrich, "{\"apiKey\":\"%s\",\"maxProspectsToEnrich\":3}", DEV_KEY), 200);
    http_response_free(&res);
}

static void test_ledger_adds_up(void **state)
{
    harness *h = *state;
    char id[64];
    spend(h, id, sizeof id);
    json_t *ledger = get_ledger(h, DEV_KEY);
    json_t *entries = json_object_get(ledger, "entries");
    assert_int_equal(json_array_size(entries), 6);
    assert_int_equal(ledger_sum(ledger), harness_credits(h, DEV_KEY));
    assert_int_equal(json_integer_value(json_object_get(ledger, "credits")), harness_credits(h, DEV_KEY));
    /* Oldest last: grant, build, enrichment, refund, adjustment, enrichment. */
    static const char *const kinds[] = {"enrichment", "adjustment", "refund", "enrichment", "build", "grant"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(entries, i), "kind")), kinds[i]);
    const json_t *grant = json_array_get(entries, 5);
    assert_int_equal(json_integer_value(json_object_get(grant, "amount")), 50000);
    assert_true(json_is_null(json_object_get(grant, "request")));
    const json_t *build = json_array_get(entries, 4);
    assert_true(json_integer_value(json_object_get(build, "amount")) < 0);
    assert_string_equal(json_string_value(json_object_get(build, "audienceId")), id);
    const json_t *cause = json_object_get(build, "request");
    assert_string_equal(json_string_value(json_object_get(cause, "method")), "POST");
    char path[128];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    assert_string_equal(json_string_value(json_object_get(cause, "path")), path);
    /* The refund gives back exactly the charge. */
    const json_t *refund = json_array_get(entries, 2);
    const json_t *charge = json_array_get(entries, 3);
    assert_int_equal(json_integer_value(json_object_get(refund, "amount")),
                     -json_integer_value(json_object_get(charge, "amount")));
    assert_string_equal(json_string_value(json_object_get(refund, "enrichmentId")),
                        json_string_value(json_object_get(charge, "enrichmentId")));
    /* The PUT names the account masked. */
    cause = json_object_get(json_array_get(entries, 1), "request");
    assert_string_equal(json_string_value(json_object_get(cause, "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(cause, "path")), "/_mock/accounts/sk_test_***ev");
    json_decref(ledger);
    /* Paging: newest first. */
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s/ledger?offset=4&limit=1", DEV_KEY), 200);
    entries = json_object_get(output_of(&res), "entries");
    assert_int_equal(json_array_size(entries), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 0), "kind")), "build");
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/%s/ledger?limit=0", DEV_KEY), 400);
    assert_non_null(strstr(harness_error_message(&res), "limit"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts/sk_test_nobody_here/ledger"), 404);
    http_response_free(&res);
    /* A reset leaves the starting grant alone. */
    harness_reset(h);
    ledger = get_ledger(h, DEV_KEY);
    assert_int_equal(json_array_size(json_object_get(ledger, "entries")), 1);
    assert_int_equal(ledger_sum(ledger), 50000);
    json_decref(ledger);
}

/* Bounded: past LEDGER_CAPACITY the oldest go, and the opening balance
 * keeps the sum. */
static void test_ledger_is_bounded(void **state)
{
    harness *h = *state;
    http_response res;
    for (int i = 0; i < LEDGER_CAPACITY + 20; i++) {
        assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" OTHER_KEY, "{\"credits\":%d}", 1000 + i), 200);
        http_response_free(&res);
    }
    json_t *ledger = get_ledger(h, OTHER_KEY);
    assert_int_equal(json_integer_value(json_object_get(ledger, "count")), LEDGER_CAPACITY);
    assert_int_equal(json_integer_value(json_object_get(ledger, "dropped")), 21);
    assert_int_equal(ledger_sum(ledger), 1000 + LEDGER_CAPACITY + 19);
    assert_int_equal(ledger_sum(ledger), harness_credits(h, OTHER_KEY));
    json_decref(ledger);
}

static char state_path[128];

static void with_state_file(mock_options *options)
{
    options->state_file = state_path;
}

/* The ledger is not stored: the replay's transitions rebuild it, the same
 * entry for entry. */
static void test_ledger_survives_a_restart(void **state)
{
    (void)state;
    snprintf(state_path, sizeof state_path, "/tmp/descovo-dashboard-%ld.log", (long)getpid());
    unlink(state_path);
    harness *h = harness_start(with_state_file);
    char id[64];
    spend(h, id, sizeof id);
    harness_advance(h, 600); /* the last enrichment completes */
    json_t *before = get_ledger(h, DEV_KEY);
    harness_stop(h);

    h = harness_start(with_state_file);
    json_t *after = get_ledger(h, DEV_KEY);
    assert_int_equal(json_array_size(json_object_get(after, "entries")), 6);
    char *a = json_dumps(before, JSON_SORT_KEYS);
    char *b = json_dumps(after, JSON_SORT_KEYS);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(ledger_sum(after), harness_credits(h, DEV_KEY));
    json_decref(before);
    json_decref(after);
    harness_stop(h);
    unlink(state_path);
}

/* --- lists ---------------------------------------------------------------- */

static void test_accounts_list(void **state)
{
    harness *h = *state;
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/accounts"), 200);
    json_t *accounts = json_object_get(output_of(&res), "accounts");
    assert_true(json_array_size(accounts) >= 3);
    const char *previous = "";
    for (size_t i = 0; i < json_array_size(accounts); i++) {
        const char *key = json_string_value(json_object_get(json_array_get(accounts, i), "apiKey"));
        assert_true(strcmp(previous, key) < 0); /* sorted by key */
        previous = key;
    }
    size_t all = json_array_size(accounts);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts?offset=1&limit=1"), 200);
    assert_int_equal(json_array_size(json_object_get(output_of(&res), "accounts")), 1);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), all);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/accounts?limit=x"), 400);
    http_response_free(&res);
}

static const json_t *find_step(const json_t *timeline, const char *status)
{
    for (size_t i = 0; i < json_array_size(timeline); i++) {
        const json_t *step = json_array_get(timeline, i);
        if (strcmp(json_string_value(json_object_get(step, "status")), status) == 0)
            return step;
    }
    return NULL;
}

static void with_stages(mock_options *options)
{
    options->build_stages = 1;
}

static void test_audiences_timeline(void **state)
{
    (void)state;
    harness *h = harness_start(with_stages);
    const char *made = harness_create(h, DEV_KEY, "timeline", "NORMAL");
    char id[64];
    snprintf(id, sizeof id, "%s", made);
    harness_set_filters(h, DEV_KEY, id, "\"companySearchParams\":" BROAD ",\"maxCompanies\":10");
    http_response res;
    char path[96];
    snprintf(path, sizeof path, "/v1/audiences/%s/build", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\"}", DEV_KEY), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/audiences?apiKey=%s", DEV_KEY), 200);
    const json_t *aud = json_array_get(json_object_get(output_of(&res), "audiences"), 0);
    assert_string_equal(json_string_value(json_object_get(aud, "status")), "BUILDING");
    assert_int_equal(json_array_size(json_object_get(aud, "timeline")), 2);
    http_response_free(&res);
    harness_wait_normal(h, DEV_KEY, id);
    snprintf(path, sizeof path, "/v1/audiences/%s/export/companies", id);
    assert_int_equal(harness_send(h, "POST", &res, path, "{\"apiKey\":\"%s\",\"format\":\"COMPANY_GENERIC_CSV\"}", DEV_KEY), 200);
    char export_id[64];
    snprintf(export_id, sizeof export_id, "%s", json_string_value(json_object_get(output_of(&res), "exportId")));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/audiences?status=NORMAL"), 200);
    aud = json_array_get(json_object_get(output_of(&res), "audiences"), 0);
    assert_string_equal(json_string_value(json_object_get(aud, "audienceId")), id);
    assert_int_equal(json_integer_value(json_object_get(aud, "companiesCount")), 10);
    const json_t *timeline = json_object_get(aud, "timeline");
    static const char *const order[] = {"DRAFT", "BUILDING", "SAVING_COMPANIES", "SAVING_PROSPECTS",
                                        "LINKING_PROSPECTS_WITH_COMPANIES", "NORMAL"};
    assert_int_equal(json_array_size(timeline), 6);
    const char *previous = "";
    for (size_t i = 0; i < 6; i++) {
        const json_t *step = json_array_get(timeline, i);
        assert_string_equal(json_string_value(json_object_get(step, "status")), order[i]);
        const char *at = json_string_value(json_object_get(step, "at"));
        assert_non_null(at);
        assert_true(strcmp(previous, at) <= 0); /* ISO times sort as text */
        previous = at;
    }
    assert_non_null(find_step(timeline, "NORMAL"));
    const json_t *exports = json_object_get(aud, "exports");
    assert_int_equal(json_array_size(exports), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(exports, 0), "kind")), "companies");
    char url[96];
    snprintf(url, sizeof url, "/v1/exports/%s", export_id);
    assert_string_equal(json_string_value(json_object_get(json_array_get(exports, 0), "downloadUrl")), url);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/audiences?status=BOGUS"), 400);
    assert_non_null(strstr(harness_error_message(&res), "status"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/audiences?apiKey=sk_test_nobody"), 404);
    http_response_free(&res);
    harness_stop(h);
}

static void test_audiences_paging(void **state)
{
    harness *h = *state;
    char ids[7][32];
    for (int i = 0; i < 5; i++)
        snprintf(ids[i], sizeof ids[i], "%s", harness_create(h, DEV_KEY, "dev", "NORMAL"));
    for (int i = 5; i < 7; i++)
        snprintf(ids[i], sizeof ids[i], "%s", harness_create(h, OTHER_KEY, "other", "NORMAL"));
    /* Account by account in key order (dev before other), newest first. */
    const char *expected[7] = {ids[4], ids[3], ids[2], ids[1], ids[0], ids[6], ids[5]};
    for (int offset = 0; offset < 7; offset += 3) {
        http_response res;
        assert_int_equal(harness_get(h, &res, "/_mock/audiences?offset=%d&limit=3", offset), 200);
        const json_t *out = output_of(&res);
        assert_int_equal(json_integer_value(json_object_get(out, "count")), 7);
        const json_t *page = json_object_get(out, "audiences");
        assert_int_equal(json_array_size(page), offset + 3 <= 7 ? 3 : 7 - offset);
        for (size_t i = 0; i < json_array_size(page); i++)
            assert_string_equal(json_string_value(json_object_get(json_array_get(page, i), "audienceId")),
                                expected[offset + (int)i]);
        http_response_free(&res);
    }
    http_response res;
    assert_int_equal(harness_get(h, &res, "/_mock/audiences?status=DRAFT&offset=6"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 7);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(output_of(&res), "audiences"), 0),
                                                          "apiKey")), "sk_test_***er");
    http_response_free(&res);
}

/* --- journal -------------------------------------------------------------- */

static void test_journal_paging_and_masked_bodies(void **state)
{
    harness *h = *state;
    http_response res;
    harness_request(h, "DELETE", "/_mock/requests", NULL, &res);
    assert_int_equal(res.status, 200);
    http_response_free(&res);
    for (int i = 0; i < 5; i++)
        harness_create(h, DEV_KEY, "journal", "NORMAL");
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/v1/audiences/create&limit=2&bodies=false"), 200);
    const json_t *entries = json_object_get(output_of(&res), "entries");
    assert_int_equal(json_array_size(entries), 2);
    assert_null(json_object_get(json_array_get(entries, 0), "requestBody"));
    long long oldest = json_integer_value(json_object_get(json_array_get(entries, 0), "seq"));
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/v1/audiences/create&before=%lld", oldest), 200);
    entries = json_object_get(output_of(&res), "entries");
    assert_int_equal(json_array_size(entries), 3);
    const char *body = json_string_value(json_object_get(json_array_get(entries, 0), "requestBody"));
    assert_non_null(strstr(body, "\"apiKey\":\"sk_test_***ev\""));
    assert_null(strstr(body, DEV_KEY));
    http_response_free(&res);
    /* A key in a control-plane path is masked too. */
    assert_int_equal(harness_send(h, "PUT", &res, "/_mock/accounts/" OTHER_KEY, "{\"credits\":7}"), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?method=PUT&limit=1"), 200);
    entries = json_object_get(output_of(&res), "entries");
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 0), "path")),
                        "/_mock/accounts/sk_test_***er");
    http_response_free(&res);
    /* A key as the journal shows it filters too. */
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/v1/audiences/create&apiKey=sk_test_***ev"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 5);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/v1/audiences/create&apiKey=sk_test_***er"), 200);
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), 0);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?before=0"), 400);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?bodies=no"), 400);
    http_response_free(&res);
    /* The dashboard's own polls stay out of the journal. */
    static const char *const dashboard[] = {"X-Mock-Dashboard: 1", NULL};
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/_mock/**"), 200);
    long long control_before = json_integer_value(json_object_get(output_of(&res), "count"));
    http_response_free(&res);
    assert_int_equal(get_with_headers(h, "/_mock/audiences", dashboard, &res, NULL, 0), 200);
    http_response_free(&res);
    assert_int_equal(harness_get(h, &res, "/_mock/requests?path=/_mock/**"), 200);
    /* Only the previous journal query was added. */
    assert_int_equal(json_integer_value(json_object_get(output_of(&res), "count")), control_before + 1);
    http_response_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_page_is_served, harness_reset_state),
        cmocka_unit_test(test_page_protection),
        cmocka_unit_test_setup(test_unchanged_answer_is_304, harness_reset_state),
        cmocka_unit_test_setup(test_ledger_adds_up, harness_reset_state),
        cmocka_unit_test_setup(test_ledger_is_bounded, harness_reset_state),
        cmocka_unit_test(test_ledger_survives_a_restart),
        cmocka_unit_test_setup(test_accounts_list, harness_reset_state),
        cmocka_unit_test(test_audiences_timeline),
        cmocka_unit_test_setup(test_audiences_paging, harness_reset_state),
        cmocka_unit_test_setup(test_journal_paging_and_masked_bodies, harness_reset_state),
    };
    return cmocka_run_group_tests_name("dashboard", tests, harness_group_setup, harness_group_teardown);
}
