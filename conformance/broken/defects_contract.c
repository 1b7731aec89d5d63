/* The first defects: the contract's shapes, sequence, isolation, headers,
 * the CSV writer and the export options. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

/* A build before any filter is accepted instead of refused. */
static void build_before_filters(proxy *p, exchange *x)
{
    (void)p;
    if (!is(x, "POST", "/v1/audiences/*/build") || x->status != 400 || x->response.data == NULL ||
        strstr(x->response.data, "no search filters") == NULL)
        return;
    char id[128] = "";
    sscanf(x->path, "/v1/audiences/%127[^/]", id);
    json_t *v = json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s}}", "output", "audienceId", id, "status", "BUILDING",
                          "message", "Build started.", "chargeInfo", "method", "charging-later", "message",
                          "Charged at completion.");
    set_json(&x->response, v);
    json_decref(v);
    x->status = 200;
}

/* Another key's audience is shown instead of 404. */
static void other_key_visible(proxy *p, exchange *x)
{
    if (!is(x, "GET", "/v1/audiences/*") || x->status != 404 || p->owner_key[0] == '\0' ||
        strcmp(x->query_key, p->owner_key) == 0)
        return;
    char *escaped = curl_easy_escape(NULL, p->owner_key, 0);
    char path[1024];
    snprintf(path, sizeof path, "%s?apiKey=%s", x->path, escaped != NULL ? escaped : "");
    curl_free(escaped);
    exchange owner = {0};
    if (upstream_call(p, "GET", path, NULL, &owner) == 0 && owner.status == 200) {
        free(x->response.data);
        x->response = owner.response;
        owner.response.data = NULL;
        x->status = 200;
    }
    free(owner.response.data);
}

/* Credits never move: every answer repeats the first balance seen. */
static void credits_frozen(proxy *p, exchange *x)
{
    if (!is(x, "GET", "/v1/credits") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    json_t *out = json_object_get(v, "output");
    if (!json_is_integer(json_object_get(out, "credits"))) {
        json_decref(v);
        return;
    }
    pthread_mutex_lock(&p->lock);
    size_t i = 0;
    while (i < p->n_frozen && strcmp(p->frozen[i].key, x->query_key) != 0)
        i++;
    if (i == p->n_frozen && i < MAX_FROZEN_KEYS) {
        snprintf(p->frozen[i].key, sizeof p->frozen[i].key, "%s", x->query_key);
        p->frozen[i].credits = json_integer_value(json_object_get(out, "credits"));
        p->n_frozen++;
    }
    if (i < p->n_frozen)
        json_object_set_new(out, "credits", json_integer(p->frozen[i].credits));
    pthread_mutex_unlock(&p->lock);
    set_json(&x->response, v);
    json_decref(v);
}

static void no_retry_after(proxy *p, exchange *x)
{
    (void)p;
    if (x->status == 429)
        x->retry_after[0] = '\0';
}

/* A required field of the status answer is left out. */
static void status_missing_field(proxy *p, exchange *x)
{
    (void)p;
    if (!is(x, "GET", "/v1/audiences/*") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    json_object_del(json_object_get(v, "output"), "buildingStartedAt");
    set_json(&x->response, v);
    json_decref(v);
}

/* The CSV writer forgets its quoting: every quote character is dropped. */
static void csv_unquoted(proxy *p, exchange *x)
{
    (void)p;
    if (!is(x, "GET", "/v1/exports/*") || x->status != 200 || x->response.data == NULL)
        return;
    size_t out = 0;
    for (size_t i = 0; i < x->response.len; i++)
        if (x->response.data[i] != '"')
            x->response.data[out++] = x->response.data[i];
    x->response.len = out;
}

static void wrong_401_body(proxy *p, exchange *x)
{
    (void)p;
    if (x->status == 401)
        set_body(&x->response, "{\"error\":{\"code\":401,\"message\":\"Unauthorized\"}}");
}



static void exclude_fields_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_member(x, "POST", "/v1/audiences/*/export/*", "excludeFields");
}

static void max_rows_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_member(x, "POST", "/v1/audiences/*/export/*", "maxRowsToExport");
}

/* estimatedRows repeats maxRowsToExport instead of counting rows. */
static void max_rows_echoed(proxy *p, exchange *x)
{
    (void)p;
    if (!is(x, "POST", "/v1/audiences/*/export/*") || x->status != 200)
        return;
    json_t *req = parse(&x->request);
    json_t *max = json_object_get(req, "maxRowsToExport");
    if (json_is_integer(max)) {
        json_t *v = parse(&x->response);
        json_object_set(json_object_get(v, "output"), "estimatedRows", max);
        set_json(&x->response, v);
        json_decref(v);
    }
    json_decref(req);
}

static void only_with_contacts_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_member(x, "POST", "/v1/audiences/*/export/prospects", "onlyWithContacts");
}

/* The list of any other key also shows the owner's audiences. */
static void list_all_keys(proxy *p, exchange *x)
{
    if (!is(x, "GET", "/v1/audiences") || x->status != 200 || p->owner_key[0] == '\0' ||
        strcmp(x->query_key, p->owner_key) == 0)
        return;
    char *escaped = curl_easy_escape(NULL, p->owner_key, 0);
    char path[1024];
    snprintf(path, sizeof path, "/v1/audiences?apiKey=%s", escaped != NULL ? escaped : "");
    curl_free(escaped);
    exchange owner = {0};
    if (upstream_call(p, "GET", path, NULL, &owner) == 0 && owner.status == 200) {
        json_t *v = parse(&x->response);
        json_t *theirs = parse(&owner.response);
        json_t *out = json_object_get(v, "output");
        const json_t *more = json_object_get(json_object_get(theirs, "output"), "audiences");
        json_array_extend(json_object_get(out, "audiences"), (json_t *)more);
        add_int(out, "totalCount", (json_int_t)json_array_size(more));
        set_json(&x->response, v);
        json_decref(v);
        json_decref(theirs);
    }
    free(owner.response.data);
}

static const mode table[] = {
    {"build-before-filters", "a build without filters is accepted (200 BUILDING)", NULL, build_before_filters},
    {"other-key-visible", "GET of another key's audience answers it instead of 404", NULL, other_key_visible},
    {"credits-frozen", "GET /v1/credits repeats the first balance: nothing is charged", NULL, credits_frozen},
    {"no-retry-after", "429 answers lose their Retry-After", NULL, no_retry_after},
    {"status-missing-field", "the status answer has no buildingStartedAt", NULL, status_missing_field},
    {"csv-unquoted", "downloaded CSV files lose every quote", NULL, csv_unquoted},
    {"wrong-401-body", "401 answers say \"Unauthorized\"", NULL, wrong_401_body},
    {"exclude-fields-ignored", "exports ignore excludeFields", exclude_fields_ignored, NULL},
    {"max-rows-ignored", "exports ignore maxRowsToExport", max_rows_ignored, NULL},
    {"max-rows-echoed", "estimatedRows repeats maxRowsToExport", NULL, max_rows_echoed},
    {"only-with-contacts-ignored", "prospect exports ignore onlyWithContacts", only_with_contacts_ignored, NULL},
    {"list-all-keys", "the list of another key also shows the owner's audiences", NULL, list_all_keys},
};

const mode_table defects_contract = {table, sizeof table / sizeof table[0]};
