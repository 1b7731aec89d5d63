/* Arithmetic: estimates whose sums or unit prices are wrong, charges that
 * differ from what the answers say, a quota and a list that do not count. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static void total_plus_one(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    add_int(out, "totalCredits", 1);
}

static void estimate_total_not_sum(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrichment/estimate", total_plus_one);
}

static void work_email_plus_two(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *ops = json_object_get(json_object_get(json_object_get(out, "breakdown"), "waterfall"), "operations");
    add_int(ops, "workEmail", 2);
}

static void waterfall_operations_mismatch(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrichment/estimate", work_email_plus_two);
}

/* 2 credits per prospect live enrichment, the total kept consistent. */
static void live_prospect_doubled(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *line = json_object_get(json_object_get(out, "breakdown"), "liveProspect");
    json_int_t credits = json_integer_value(json_object_get(line, "credits"));
    add_int(line, "credits", credits);
    add_int(out, "totalCredits", credits);
}

static void live_prospect_price_wrong(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrichment/estimate", live_prospect_doubled);
}

/* Phones priced at 2 instead of 3, every sum kept consistent. */
static void phone_at_two(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *waterfall = json_object_get(json_object_get(out, "breakdown"), "waterfall");
    json_t *ops = json_object_get(waterfall, "operations");
    json_int_t phone = int_at(ops, "phone", NULL, NULL);
    json_int_t delta = phone - phone / 3 * 2;
    add_int(ops, "phone", -delta);
    add_int(waterfall, "credits", -delta);
    add_int(waterfall, "originalCredits", -delta);
    add_int(out, "totalCredits", -delta);
}

static void phone_price_wrong(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrichment/estimate", phone_at_two);
}

static void enrich_ignores_types(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "enrichmentType", 0);
}

static void frozen_quota(proxy *p, exchange *x, json_t *out)
{
    char key[256];
    key_of(x, key, sizeof key);
    pthread_mutex_lock(&p->lock);
    json_int_t *first = tally_of(p, key, int_at(out, "maxRowsAllowed", NULL, NULL));
    if (first != NULL)
        json_object_set_new(out, "maxRowsAllowed", json_integer(*first));
    pthread_mutex_unlock(&p->lock);
}

static void quota_not_counted(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/export/*", frozen_quota);
}

static void list_total_plus_one(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    add_int(out, "totalCount", 1);
}

static void list_total_wrong(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences", list_total_plus_one);
}

static void add_archived(proxy *p, exchange *x, json_t *out)
{
    json_t *list = json_object_get(out, "audiences");
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_archived; i++) {
        if (strcmp(p->archived[i].key, x->query_key) != 0)
            continue;
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "audienceId", p->archived[i].id,
                                              "name", "archived", "status", "DRAFT", "creationMethod", "NORMAL",
                                              "createdAt", "2025-01-01T00:00:00.000Z", "companiesCount", 0,
                                              "prospectsCount", 0));
        add_int(out, "totalCount", 1);
    }
    pthread_mutex_unlock(&p->lock);
}

/* Archived audiences stay in the list. */
static void list_shows_archived(proxy *p, exchange *x)
{
    if (is(x, "DELETE", "/v1/audiences/*") && x->status == 200) {
        pthread_mutex_lock(&p->lock);
        if (p->n_archived < MAX_ARCHIVED) {
            snprintf(p->archived[p->n_archived].key, sizeof p->archived[0].key, "%s", x->query_key);
            sscanf(x->path, "/v1/audiences/%127[^/]", p->archived[p->n_archived].id);
            p->n_archived++;
        }
        pthread_mutex_unlock(&p->lock);
        return;
    }
    edit_output(p, x, "GET", "/v1/audiences", add_archived);
}


/* One more hidden credit on the key's tally. */
static void count_hidden(proxy *p, const char *key)
{
    pthread_mutex_lock(&p->lock);
    json_int_t *n = tally_of(p, key, 0);
    if (n != NULL)
        (*n)++;
    pthread_mutex_unlock(&p->lock);
}

/* GET /v1/credits shows the balance less the key's hidden credits. */
static void show_hidden(proxy *p, exchange *x, const char *key)
{
    if (!is(x, "GET", "/v1/credits") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    pthread_mutex_lock(&p->lock);
    json_int_t *n = tally_of(p, key, 0);
    add_int(json_object_get(v, "output"), "credits", n != NULL ? -*n : 0);
    pthread_mutex_unlock(&p->lock);
    set_json(&x->response, v);
    json_decref(v);
}

/* Each accepted request of pattern "costs" one credit more than it says:
 * the balance shown falls by one per such request of the key. */
static void hidden_charge(proxy *p, exchange *x, const char *pattern)
{
    char key[256];
    key_of(x, key, sizeof key);
    if (is(x, "POST", pattern) && x->status == 200)
        count_hidden(p, key);
    else
        show_hidden(p, x, key);
}

/* A build that ends FAILED still takes a credit (once per key and
 * audience, when its status first says FAILED; ids repeat after a reset
 * of the mock, keys tell them apart). */
static void failed_build_charged(proxy *p, exchange *x)
{
    static char seen[64][400];
    static size_t n_seen;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char key[256];
    key_of(x, key, sizeof key);
    if (!is(x, "GET", "/v1/audiences/*") || x->status != 200) {
        show_hidden(p, x, key);
        return;
    }
    json_t *v = parse(&x->response);
    const json_t *out = json_object_get(v, "output");
    const char *status = json_string_value(json_object_get(out, "status"));
    const char *id = json_string_value(json_object_get(out, "audienceId"));
    if (status != NULL && id != NULL && strcmp(status, "FAILED") == 0) {
        char who[400];
        snprintf(who, sizeof who, "%s %s", key, id);
        int known = 0;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < n_seen && !known; i++)
            known = strcmp(seen[i], who) == 0;
        if (!known && n_seen < 64)
            snprintf(seen[n_seen++], sizeof seen[0], "%s", who);
        pthread_mutex_unlock(&lock);
        if (!known)
            count_hidden(p, key);
    }
    json_decref(v);
}

static void export_charges_credits(proxy *p, exchange *x)
{
    hidden_charge(p, x, "/v1/audiences/*/export/*");
}

static void enrich_overcharges(proxy *p, exchange *x)
{
    hidden_charge(p, x, "/v1/audiences/*/enrich");
}

/* lowCreditAlert keeps the first balance it showed a key. */
static void low_credit_alert_stale(proxy *p, exchange *x)
{
    if (x->status != 200 || strncmp(x->content_type, "application/json", 16) != 0)
        return;
    json_t *v = parse(&x->response);
    json_t *alert = json_object_get(json_object_get(v, "chargeInfo"), "lowCreditAlert");
    if (json_is_object(alert)) {
        char key[256];
        key_of(x, key, sizeof key);
        pthread_mutex_lock(&p->lock);
        json_int_t *first = tally_of(p, key, json_integer_value(json_object_get(alert, "availableCredits")));
        if (first != NULL)
            json_object_set_new(alert, "availableCredits", json_integer(*first));
        pthread_mutex_unlock(&p->lock);
        set_json(&x->response, v);
    }
    json_decref(v);
}

static const mode table[] = {
    {"estimate-total-not-sum", "the estimate's total is one more than its lines", NULL, estimate_total_not_sum},
    {"waterfall-operations-mismatch", "the waterfall's operations do not add up to it", NULL,
     waterfall_operations_mismatch},
    {"live-prospect-price-wrong", "profile live enrichment priced at 2 a prospect", NULL, live_prospect_price_wrong},
    {"phone-price-wrong", "phone numbers priced at 2 credits instead of 3", NULL, phone_price_wrong},
    {"enrich-ignores-types", "enrich ignores enrichmentType (the estimate does not)", enrich_ignores_types, NULL},
    {"export-charges-credits", "every export takes a credit", NULL, export_charges_credits},
    {"quota-not-counted", "maxRowsAllowed never falls", NULL, quota_not_counted},
    {"list-total-wrong", "the list's totalCount is one more than its items", NULL, list_total_wrong},
    {"list-shows-archived", "archived audiences stay in the list", NULL, list_shows_archived},
    {"enrich-overcharges", "an enrichment takes one credit more than it says", NULL, enrich_overcharges},
    {"low-credit-alert-stale", "lowCreditAlert keeps the first balance it showed", NULL, low_credit_alert_stale},
    {"failed-build-charged", "a build that ends FAILED takes a credit", NULL, failed_build_charged},
};

const mode_table defects_money = {table, sizeof table / sizeof table[0]};
