/* descovo-broken-proxy: a test-only HTTP proxy that breaks the contract on
 * purpose. It sits between the conformance suite and a real descovo-mock
 * and plants one defect per mode, so CTest can show the suite catches it.
 * It is never built into the product and has no use outside the tests.
 *
 *   descovo-broken-proxy --mode MODE --upstream URL [--owner-key KEY]
 *
 * It prints "... listening on http://127.0.0.1:PORT" as its first line and
 * serves until SIGTERM or SIGINT. Every mode rewrites the downloadUrl of
 * export answers to point at the proxy, so downloads pass through it too. */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#define MAX_BODY_BYTES (8L * 1024 * 1024)
#define MAX_FROZEN_KEYS 64
#define MAX_ARCHIVED 256

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

/* One request as received, and its answer as it will be sent. */
typedef struct exchange {
    const char *method;
    const char *path;          /* the URL's path, or path_buf once a mode moved it */
    char path_buf[1024];
    char query[2048];          /* "?a=b&..." as forwarded; a mode may rewrite it */
    char query_key[256];       /* the apiKey of the query, "" if none */
    buffer request;            /* body received; a mode may rewrite it */
    long status;
    buffer response;
    char content_type[128];
    char retry_after[64];
    char allow[128];
    char disposition[256];
} exchange;

typedef struct proxy {
    const struct mode *mode;
    char upstream[256];
    char self[64];
    char owner_key[256];
    pthread_mutex_t lock;      /* guards frozen[], tally[], archived[], last_enriched */
    struct {
        char key[256];
        json_int_t credits;
    } frozen[MAX_FROZEN_KEYS];
    size_t n_frozen;
    struct {
        char key[256];
        json_int_t value;
    } tally[MAX_FROZEN_KEYS];  /* per key: exports made, or the first maxRowsAllowed */
    size_t n_tally;
    struct {
        char key[256];
        char id[128];
    } archived[MAX_ARCHIVED];
    size_t n_archived;
    char last_enriched[128];   /* the audience of the last accepted enrich */
} proxy;

typedef void (*rewrite_fn)(proxy *p, exchange *x);

typedef struct mode {
    const char *name;
    const char *defect;
    rewrite_fn before;         /* on the request, may be NULL */
    rewrite_fn after;          /* on the answer, may be NULL */
} mode;

/* ---- helpers ------------------------------------------------------------ */

static void set_body(buffer *b, const char *s)
{
    free(b->data);
    b->data = strdup(s);
    b->len = b->data != NULL ? strlen(b->data) : 0;
}

static void set_json(buffer *b, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (s != NULL) {
        free(b->data);
        b->data = s;
        b->len = strlen(s);
    }
}

static json_t *parse(const buffer *b)
{
    return b->data != NULL ? json_loadb(b->data, b->len, 0, NULL) : NULL;
}

static int is(const exchange *x, const char *method, const char *pattern)
{
    return strcmp(x->method, method) == 0 && fnmatch(pattern, x->path, FNM_PATHNAME) == 0;
}

/* One more request to the upstream, for modes that look things up. */
static int upstream_call(proxy *p, const char *method, const char *path_and_query, const buffer *body,
                         exchange *out);

/* ---- the defects ---------------------------------------------------------- */

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


/* ---- helpers ------------------------------------------------------------- */

typedef void (*edit_fn)(proxy *p, exchange *x, json_t *output);

/* Parses a 200 JSON answer to a matching request, lets edit change its
 * output, and writes it back. */
static void edit_output(proxy *p, exchange *x, const char *method, const char *pattern, edit_fn edit)
{
    if (!is(x, method, pattern) || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    json_t *out = json_object_get(v, "output");
    if (json_is_object(out)) {
        edit(p, x, out);
        set_json(&x->response, v);
    }
    json_decref(v);
}

/* Drops a member of matching request bodies, so the server never sees it. */
static void drop_member(exchange *x, const char *method, const char *pattern, const char *member)
{
    if (!is(x, method, pattern))
        return;
    json_t *v = parse(&x->request);
    if (json_object_get(v, member) != NULL) {
        json_object_del(v, member);
        set_json(&x->request, v);
    }
    json_decref(v);
}

static void drop_enrichment_member(exchange *x, const char *member, int estimates_too)
{
    drop_member(x, "POST", "/v1/audiences/*/enrich", member);
    if (estimates_too)
        drop_member(x, "POST", "/v1/audiences/*/enrichment/estimate", member);
}

static void set_string(json_t *obj, const char *name, const char *value)
{
    json_object_set_new(obj, name, json_string(value));
}

static json_int_t int_at(const json_t *obj, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(obj, a);
    if (b != NULL)
        v = json_object_get(v, b);
    if (c != NULL)
        v = json_object_get(v, c);
    return json_integer_value(v);
}

static void add_int(json_t *obj, const char *name, json_int_t delta)
{
    json_object_set_new(obj, name, json_integer(json_integer_value(json_object_get(obj, name)) + delta));
}

/* The apiKey of a request: the query's, or the body's. */
static void key_of(const exchange *x, char *buf, size_t size)
{
    snprintf(buf, size, "%s", x->query_key);
    if (buf[0] != '\0')
        return;
    json_t *v = parse(&x->request);
    const char *key = json_string_value(json_object_get(v, "apiKey"));
    snprintf(buf, size, "%s", key != NULL ? key : "");
    json_decref(v);
}

/* The per-key slot of p->tally (created with value init). Lock held. */
static json_int_t *tally_of(proxy *p, const char *key, json_int_t init)
{
    for (size_t i = 0; i < p->n_tally; i++)
        if (strcmp(p->tally[i].key, key) == 0)
            return &p->tally[i].value;
    if (p->n_tally == MAX_FROZEN_KEYS)
        return NULL;
    snprintf(p->tally[p->n_tally].key, sizeof p->tally[p->n_tally].key, "%s", key);
    p->tally[p->n_tally].value = init;
    return &p->tally[p->n_tally++].value;
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

static const char *const zero_audience = "aud_0000000000000000";

/* ---- echoes -------------------------------------------------------------- */

static void wrong_audience_id(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "audienceId", zero_audience);
}

static void build_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/build", wrong_audience_id);
}

static void page_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/companies", wrong_audience_id);
    edit_output(p, x, "GET", "/v1/audiences/*/prospects", wrong_audience_id);
}

static void enrich_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrich", wrong_audience_id);
}

static void zero_enrichment_id(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "enrichmentId", "enr_0000000000000000");
}

static void enrichment_id_mismatch(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/enrichment/status", zero_enrichment_id);
}

static void no_caps(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_object_del(out, "maxCompanies");
    json_object_del(out, "maxProspects");
}

static void search_params_caps_not_echoed(proxy *p, exchange *x)
{
    edit_output(p, x, "PATCH", "/v1/audiences/*/search-params", no_caps);
}

static void empty_filters(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    if (json_is_object(json_object_get(out, "companySearchParams")))
        json_object_set_new(out, "companySearchParams", json_object());
}

static void search_params_filters_not_echoed(proxy *p, exchange *x)
{
    edit_output(p, x, "PATCH", "/v1/audiences/*/search-params", empty_filters);
}

static void default_method(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "creationMethod", "NORMAL");
}

static void status_creation_method_default(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", default_method);
}

static void truncated_names(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        char name[25];
        snprintf(name, sizeof name, "%s", json_string_value(json_object_get(item, "name")));
        set_string(item, "name", name);
    }
}

static void list_wrong_name(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences", truncated_names);
}

static void epoch_created(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "createdAt", "1970-01-01T00:00:00.000Z");
}

static void created_at_drifts(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", epoch_created);
}

static void zero_prospects(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++)
        json_object_set_new(json_array_get(list, i), "prospectsCount", json_integer(0));
}

static void list_prospects_count_zero(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences", zero_prospects);
}

/* ---- arithmetic ---------------------------------------------------------- */

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

/* ---- consistency --------------------------------------------------------- */

static void www_domains(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    const json_t *items = json_object_get(out, "companies");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *item = json_array_get(items, i);
        const char *domain = json_string_value(json_object_get(item, "domain"));
        char moved[512];
        if (domain == NULL)
            continue;
        snprintf(moved, sizeof moved, "www.%s", domain);
        set_string(item, "domain", moved);
    }
}

static void page_domain_drift(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/companies", www_domains);
}

/* A CSV body cut into records (CRLF outside quotes; the CRLF left out). */
typedef struct span {
    size_t start, len;
} span;

static size_t split_records(const buffer *b, span *out, size_t cap)
{
    size_t n = 0, start = 0;
    int quoted = 0;
    for (size_t i = 0; i < b->len && n < cap; i++) {
        if (b->data[i] == '"')
            quoted = !quoted;
        else if (!quoted && b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n') {
            out[n].start = start;
            out[n].len = i - start;
            n++;
            start = i + 2;
            i++;
        }
    }
    return n;
}

/* The fields of one record (commas outside quotes). */
static size_t split_fields(const char *s, size_t len, span *out, size_t cap)
{
    size_t n = 0, start = 0;
    int quoted = 0;
    for (size_t i = 0; i <= len && n < cap; i++) {
        if (i < len && s[i] == '"')
            quoted = !quoted;
        else if (i == len || (!quoted && s[i] == ',')) {
            out[n].start = start;
            out[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    return n;
}

#define MAX_CSV_RECORDS 4096
#define MAX_CSV_FIELDS 128

static int is_prospect_csv(const exchange *x)
{
    return is(x, "GET", "/v1/exports/*") && x->status == 200 && x->response.data != NULL &&
           strncmp(x->response.data, "descovo_id,first_name,", 22) == 0;
}

static void append(buffer *b, const char *s, size_t len)
{
    char *grown = realloc(b->data, b->len + len + 1);
    if (grown == NULL)
        return;
    memcpy(grown + b->len, s, len);
    b->data = grown;
    b->len += len;
    b->data[b->len] = '\0';
}

/* The data rows of prospect CSV files in reverse order. */
static void csv_rows_reversed(proxy *p, exchange *x)
{
    (void)p;
    if (!is_prospect_csv(x))
        return;
    static span records[MAX_CSV_RECORDS];
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&once);
    size_t n = split_records(&x->response, records, MAX_CSV_RECORDS);
    buffer out = {0};
    for (size_t i = 0; i < n; i++) {
        const span *r = &records[i == 0 ? 0 : n - i];
        append(&out, x->response.data + r->start, r->len);
        append(&out, "\r\n", 2);
    }
    pthread_mutex_unlock(&once);
    free(x->response.data);
    x->response = out;
}

/* Every prospect row shows a work e-mail, enriched or not. */
static void contacts_for_everyone(proxy *p, exchange *x)
{
    (void)p;
    if (!is_prospect_csv(x))
        return;
    static span records[MAX_CSV_RECORDS];
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    span fields[MAX_CSV_FIELDS];
    pthread_mutex_lock(&once);
    size_t n = split_records(&x->response, records, MAX_CSV_RECORDS);
    size_t nf = n > 0 ? split_fields(x->response.data, records[0].len, fields, MAX_CSV_FIELDS) : 0;
    size_t col = nf;
    for (size_t f = 0; f < nf; f++)
        if (fields[f].len == 12 && strncmp(x->response.data + fields[f].start, "work_email_1", 12) == 0)
            col = f;
    buffer out = {0};
    for (size_t i = 0; i < n; i++) {
        const char *rec = x->response.data + records[i].start;
        size_t k = split_fields(rec, records[i].len, fields, MAX_CSV_FIELDS);
        for (size_t f = 0; f < k; f++) {
            if (f > 0)
                append(&out, ",", 1);
            if (i > 0 && f == col && fields[f].len == 0)
                append(&out, "someone@example.com", 19);
            else
                append(&out, rec + fields[f].start, fields[f].len);
        }
        append(&out, "\r\n", 2);
    }
    pthread_mutex_unlock(&once);
    free(x->response.data);
    x->response = out;
}

static void one_prospect_less(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_int_t n = int_at(out, "prospectsCount", NULL, NULL);
    if (strcmp(json_string_value(json_object_get(out, "status")), "NORMAL") == 0 && n > 1)
        json_object_set_new(out, "prospectsCount", json_integer(n - 1));
}

static void status_count_off(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", one_prospect_less);
}

/* ---- progress ------------------------------------------------------------ */

static void edit_progress(proxy *p, exchange *x, edit_fn edit)
{
    edit_output(p, x, "GET", "/v1/audiences/*/enrichment/status", edit);
}

static void completed_still_remaining(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_array_extend(json_object_get(out, "stepsRemaining"), json_object_get(out, "stepsCompleted"));
}

static void steps_remaining_stale(proxy *p, exchange *x)
{
    edit_progress(p, x, completed_still_remaining);
}

static void current_also_completed(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *current = json_object_get(out, "currentStep");
    if (json_is_string(current))
        json_array_append(json_object_get(out, "stepsCompleted"), current);
}

static void current_step_completed(proxy *p, exchange *x)
{
    edit_progress(p, x, current_also_completed);
}

static void done_loses_last(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *completed = json_object_get(out, "stepsCompleted");
    if (strcmp(json_string_value(json_object_get(out, "currentStage")), "DONE") == 0 && json_array_size(completed) > 0)
        json_array_remove(completed, json_array_size(completed) - 1);
}

static void done_steps_truncated(proxy *p, exchange *x)
{
    edit_progress(p, x, done_loses_last);
}

static void sales_nav_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runProfileSalesNav", 0);
}

static void percent_zero(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    if (strcmp(json_string_value(json_object_get(out, "currentStage")), "DONE") != 0)
        json_object_set_new(out, "progressPercent", json_integer(0));
}

static void progress_percent_frozen(proxy *p, exchange *x)
{
    edit_progress(p, x, percent_zero);
}

static void finished_at_start(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_t *started = json_object_get(out, "buildingStartedAt");
    if (json_is_string(json_object_get(out, "buildingFinishedAt")) && json_is_string(started))
        json_object_set(out, "buildingFinishedAt", started);
}

static void build_finished_at_start(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", finished_at_start);
}

/* ---- options ------------------------------------------------------------- */

static void enrichment_type_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "enrichmentType", 1);
}

static void company_live_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runCompanyLiveEnrichment", 1);
}

static void profile_live_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runProfileLiveEnrichment", 1);
}

static void contact_switch_ignored(proxy *p, exchange *x)
{
    (void)p;
    drop_enrichment_member(x, "runContactEnrichment", 1);
}

/* Applies edit to the warnings of any 200 JSON answer that has some. */
static void edit_warnings(exchange *x, void (*edit)(exchange *x, json_t *v, json_t *warnings))
{
    if (x->status != 200 || strncmp(x->content_type, "application/json", 16) != 0)
        return;
    json_t *v = parse(&x->response);
    json_t *warnings = json_object_get(v, "warnings");
    if (json_array_size(warnings) > 0) {
        edit(x, v, warnings);
        set_json(&x->response, v);
    }
    json_decref(v);
}

static void drop_warnings(exchange *x, json_t *v, json_t *warnings)
{
    (void)x;
    (void)warnings;
    json_object_del(v, "warnings");
}

static void warnings_dropped(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, drop_warnings);
}

/* A strict server: what it would warn about, it refuses. */
static void refuse_unknown(exchange *x, json_t *v, json_t *warnings)
{
    const char *field = json_string_value(json_object_get(json_array_get(warnings, 0), "field"));
    char message[512];
    snprintf(message, sizeof message, "%s: unknown field.", field != NULL ? field : "?");
    json_object_clear(v);
    json_object_set_new(v, "error", json_pack("{s:i, s:s}", "code", 400, "message", message));
    x->status = 400;
}

static void unknown_field_400(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, refuse_unknown);
}

static void last_segment_only(exchange *x, json_t *v, json_t *warnings)
{
    (void)x;
    (void)v;
    for (size_t i = 0; i < json_array_size(warnings); i++) {
        json_t *w = json_array_get(warnings, i);
        const char *field = json_string_value(json_object_get(w, "field"));
        const char *dot = field != NULL ? strrchr(field, '.') : NULL;
        if (dot != NULL)
            set_string(w, "field", dot + 1);
    }
}

static void warning_path_short(proxy *p, exchange *x)
{
    (void)p;
    edit_warnings(x, last_segment_only);
}

/* One "current enrichment" per server: every enrichment status answers
 * for the audience enriched last. */
static void enrichment_status_shared_before(proxy *p, exchange *x)
{
    if (!is(x, "GET", "/v1/audiences/*/enrichment/status"))
        return;
    pthread_mutex_lock(&p->lock);
    if (p->last_enriched[0] != '\0')
        snprintf(x->path_buf, sizeof x->path_buf, "/v1/audiences/%s/enrichment/status", p->last_enriched);
    pthread_mutex_unlock(&p->lock);
    if (x->path_buf[0] != '\0')
        x->path = x->path_buf;
}

static void enrichment_status_shared_after(proxy *p, exchange *x)
{
    if (!is(x, "POST", "/v1/audiences/*/enrich") || x->status != 200)
        return;
    pthread_mutex_lock(&p->lock);
    sscanf(x->path, "/v1/audiences/%127[^/]", p->last_enriched);
    pthread_mutex_unlock(&p->lock);
}

/* ---- paging -------------------------------------------------------------- */

static long query_long(const exchange *x, const char *name)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s=", name);
    const char *at = strstr(x->query, pattern);
    if (at == NULL || (at != x->query && at[-1] != '&' && at[-1] != '?'))
        return -1;
    at += strlen(pattern);
    if (strncmp(at, "c_", 2) == 0)
        at += 2;
    char *end = NULL;
    long v = strtol(at, &end, 10);
    return end != at ? v : -1;
}

static void is_page(exchange *x, const char **kind)
{
    *kind = NULL;
    if (x->status != 200)
        return;
    if (is(x, "GET", "/v1/audiences/*/companies"))
        *kind = "companies";
    else if (is(x, "GET", "/v1/audiences/*/prospects"))
        *kind = "prospects";
}

/* A full page that ends at the total claims one more (empty) page. */
static void more_at_boundary(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    const char *kind = NULL;
    is_page(x, &kind);
    long size = query_long(x, "pageSize");
    if (kind == NULL || json_is_true(json_object_get(out, "hasMore")) ||
        (long)json_array_size(json_object_get(out, kind)) != size || size <= 0)
        return;
    char cursor[64];
    snprintf(cursor, sizeof cursor, "c_%lld", (long long)int_at(out, "totalCount", NULL, NULL));
    json_object_set_new(out, "hasMore", json_true());
    set_string(out, "nextCursor", cursor);
}

static void has_more_at_boundary(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/*", more_at_boundary);
}

static void move_cursor(json_t *out, long delta)
{
    const char *next = json_string_value(json_object_get(out, "nextCursor"));
    if (next == NULL || strncmp(next, "c_", 2) != 0)
        return;
    char cursor[64];
    snprintf(cursor, sizeof cursor, "c_%ld", strtol(next + 2, NULL, 10) + delta);
    set_string(out, "nextCursor", cursor);
}

static void cursor_back(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    move_cursor(out, -1);
}

static void cursor_ahead(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    move_cursor(out, 1);
}

static void cursor_off_by_one(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/companies", cursor_back);
    edit_output(p, x, "GET", "/v1/audiences/*/prospects", cursor_back);
}

static void cursor_skips_one(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/companies", cursor_ahead);
    edit_output(p, x, "GET", "/v1/audiences/*/prospects", cursor_ahead);
}

/* pageSize past 500 is clamped instead of refused. */
static void page_size_unbounded(proxy *p, exchange *x)
{
    (void)p;
    if (!is(x, "GET", "/v1/audiences/*/companies") && !is(x, "GET", "/v1/audiences/*/prospects"))
        return;
    long size = query_long(x, "pageSize");
    char *at = strstr(x->query, "pageSize=");
    if (size <= 500 || at == NULL)
        return;
    char rest[2048];
    const char *amp = strchr(at, '&');
    snprintf(rest, sizeof rest, "%s", amp != NULL ? amp : "");
    snprintf(at, sizeof x->query - (size_t)(at - x->query), "pageSize=500%s", rest);
}

/* ---- more of the same classes ------------------------------------------- */

/* Each accepted request of pattern "costs" one credit more than it says:
 * the balance shown falls by one per such request of the key. */
static void hidden_charge(proxy *p, exchange *x, const char *pattern)
{
    char key[256];
    key_of(x, key, sizeof key);
    if (is(x, "POST", pattern) && x->status == 200) {
        pthread_mutex_lock(&p->lock);
        json_int_t *n = tally_of(p, key, 0);
        if (n != NULL)
            (*n)++;
        pthread_mutex_unlock(&p->lock);
        return;
    }
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


static const mode modes[] = {
    {"passthrough", "none: every answer as the mock gave it", NULL, NULL},
    {"build-before-filters", "a build without filters is accepted (200 BUILDING)", NULL, build_before_filters},
    {"other-key-visible", "GET of another key's audience answers it instead of 404", NULL, other_key_visible},
    {"credits-frozen", "GET /v1/credits repeats the first balance: nothing is charged", NULL, credits_frozen},
    {"no-retry-after", "429 answers lose their Retry-After", NULL, no_retry_after},
    {"status-missing-field", "the status answer has no buildingStartedAt", NULL, status_missing_field},
    {"csv-unquoted", "downloaded CSV files lose every quote", NULL, csv_unquoted},
    {"wrong-401-body", "401 answers say \"Unauthorized\"", NULL, wrong_401_body},
    {"exclude-fields-ignored", "exports ignore excludeFields", exclude_fields_ignored, NULL},
    {"max-rows-ignored", "exports ignore maxRowsToExport", max_rows_ignored, NULL},
    {"build-wrong-audience-id", "the build answer names another audience", NULL, build_wrong_audience_id},
    {"page-wrong-audience-id", "record pages name another audience", NULL, page_wrong_audience_id},
    {"enrich-wrong-audience-id", "the enrich answer names another audience", NULL, enrich_wrong_audience_id},
    {"enrichment-id-mismatch", "the enrichment status reports another enrichmentId", NULL, enrichment_id_mismatch},
    {"search-params-caps-not-echoed", "search-params answers lose maxCompanies and maxProspects", NULL,
     search_params_caps_not_echoed},
    {"search-params-filters-not-echoed", "search-params answers echo empty company filters", NULL,
     search_params_filters_not_echoed},
    {"status-creation-method-default", "the status always says creationMethod NORMAL", NULL,
     status_creation_method_default},
    {"list-wrong-name", "the list cuts names to 24 bytes", NULL, list_wrong_name},
    {"created-at-drifts", "the status reports createdAt as the epoch", NULL, created_at_drifts},
    {"list-prospects-count-zero", "the list reports 0 prospects for every audience", NULL, list_prospects_count_zero},
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
    {"page-domain-drift", "companies pages serve www.-prefixed domains", NULL, page_domain_drift},
    {"csv-rows-reversed", "prospect CSV rows in reverse order", NULL, csv_rows_reversed},
    {"contacts-for-everyone", "every prospect CSV row shows a work e-mail", NULL, contacts_for_everyone},
    {"status-count-off", "the status counts one prospect less than the audience holds", NULL, status_count_off},
    {"steps-remaining-stale", "completed steps stay in stepsRemaining", NULL, steps_remaining_stale},
    {"current-step-completed", "the current step is also listed as completed", NULL, current_step_completed},
    {"done-steps-truncated", "at DONE stepsCompleted lacks its last step", NULL, done_steps_truncated},
    {"sales-nav-switch-ignored", "enrich ignores runProfileSalesNav", sales_nav_switch_ignored, NULL},
    {"progress-percent-frozen", "progressPercent stays 0 until DONE", NULL, progress_percent_frozen},
    {"build-finished-at-start", "buildingFinishedAt equals buildingStartedAt", NULL, build_finished_at_start},
    {"enrichment-type-ignored", "estimate and enrich ignore enrichmentType", enrichment_type_ignored, NULL},
    {"company-live-switch-ignored", "estimate and enrich ignore runCompanyLiveEnrichment", company_live_switch_ignored,
     NULL},
    {"profile-live-switch-ignored", "estimate and enrich ignore runProfileLiveEnrichment", profile_live_switch_ignored,
     NULL},
    {"contact-switch-ignored", "estimate and enrich ignore runContactEnrichment", contact_switch_ignored, NULL},
    {"warnings-dropped", "answers lose their warnings", NULL, warnings_dropped},
    {"unknown-field-400", "unknown fields answer 400 instead of a warning", NULL, unknown_field_400},
    {"warning-path-short", "warnings name the last path segment only", NULL, warning_path_short},
    {"enrichment-status-shared", "every enrichment status answers for the last audience enriched",
     enrichment_status_shared_before, enrichment_status_shared_after},
    {"has-more-at-boundary", "a full last page claims one more", NULL, has_more_at_boundary},
    {"cursor-off-by-one", "nextCursor points one record back", NULL, cursor_off_by_one},
    {"cursor-skips-one", "nextCursor points one record ahead", NULL, cursor_skips_one},
    {"page-size-unbounded", "pageSize past 500 is clamped, not refused", page_size_unbounded, NULL},
    {"enrich-overcharges", "an enrichment takes one credit more than it says", NULL, enrich_overcharges},
    {"low-credit-alert-stale", "lowCreditAlert keeps the first balance it showed", NULL, low_credit_alert_stale},
    {"max-rows-echoed", "estimatedRows repeats maxRowsToExport", NULL, max_rows_echoed},
    {"only-with-contacts-ignored", "prospect exports ignore onlyWithContacts", only_with_contacts_ignored, NULL},
    {"list-all-keys", "the list of another key also shows the owner's audiences", NULL, list_all_keys},
};

/* ---- forwarding ------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    buffer *b = ctx;
    size_t len = size * n;
    if (b->len + len > (size_t)MAX_BODY_BYTES)
        return 0;
    char *grown = realloc(b->data, b->len + len + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->len, data, len);
    b->data = grown;
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

static void header_value(const char *line, size_t len, const char *name, char *dst, size_t size)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0)
        return;
    line += n;
    len -= n;
    while (len > 0 && *line == ' ') {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    snprintf(dst, size, "%.*s", (int)len, line);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    exchange *x = ctx;
    size_t len = size * n;
    header_value(data, len, "Content-Type:", x->content_type, sizeof x->content_type);
    header_value(data, len, "Retry-After:", x->retry_after, sizeof x->retry_after);
    header_value(data, len, "Allow:", x->allow, sizeof x->allow);
    header_value(data, len, "Content-Disposition:", x->disposition, sizeof x->disposition);
    return len;
}

static int upstream_call(proxy *p, const char *method, const char *path_and_query, const buffer *body,
                         exchange *out)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char url[4096];
    snprintf(url, sizeof url, "%s%s", p->upstream, path_and_query);
    struct curl_slist *headers = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->response);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (body != NULL && body->data != NULL) {
        headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

typedef struct query_builder {
    char *buf;
    size_t size;
    exchange *x;
} query_builder;

static enum MHD_Result add_arg(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_builder *q = ctx;
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = curl_easy_escape(NULL, value != NULL ? value : "", 0);
    size_t used = strlen(q->buf);
    if (k != NULL && v != NULL)
        snprintf(q->buf + used, q->size - used, "%s%s=%s", used == 0 ? "?" : "&", k, v);
    if (strcmp(key, "apiKey") == 0 && value != NULL)
        snprintf(q->x->query_key, sizeof q->x->query_key, "%s", value);
    curl_free(k);
    curl_free(v);
    return MHD_YES;
}

/* Points an export's downloadUrl at the proxy. */
static void rewrite_download_url(proxy *p, exchange *x)
{
    if (!is(x, "POST", "/v1/audiences/*/export/*") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    json_t *out = json_object_get(v, "output");
    const char *url = json_string_value(json_object_get(out, "downloadUrl"));
    size_t n = strlen(p->upstream);
    if (url != NULL && strncmp(url, p->upstream, n) == 0) {
        char moved[1024];
        snprintf(moved, sizeof moved, "%s%s", p->self, url + n);
        json_object_set_new(out, "downloadUrl", json_string(moved));
        set_json(&x->response, v);
    }
    json_decref(v);
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, exchange *x)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(x->response.len, x->response.data,
                                                             MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO;
    x->response.data = NULL;
    if (x->content_type[0] != '\0')
        MHD_add_response_header(r, "Content-Type", x->content_type);
    if (x->retry_after[0] != '\0')
        MHD_add_response_header(r, "Retry-After", x->retry_after);
    if (x->allow[0] != '\0')
        MHD_add_response_header(r, "Allow", x->allow);
    if (x->disposition[0] != '\0')
        MHD_add_response_header(r, "Content-Disposition", x->disposition);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)x->status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    proxy *p = cls;
    exchange *x = *con_cls;
    if (x == NULL) {
        x = calloc(1, sizeof *x);
        if (x == NULL)
            return MHD_NO;
        *con_cls = x;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (on_body((char *)upload, 1, *upload_size, &x->request) != *upload_size)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    x->method = method;
    x->path = url;
    query_builder q = {x->query, sizeof x->query, x};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    if (p->mode->before != NULL)
        p->mode->before(p, x);
    char target[4096];
    snprintf(target, sizeof target, "%s%s", x->path, x->query);
    int has_body = strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0 && x->request.data != NULL;
    if (upstream_call(p, method, target, has_body ? &x->request : NULL, x) != 0) {
        x->status = 502;
        set_body(&x->response, "{\"error\":{\"code\":502,\"message\":\"proxy: upstream failed\"}}");
        snprintf(x->content_type, sizeof x->content_type, "application/json");
    }
    rewrite_download_url(p, x);
    if (p->mode->after != NULL)
        p->mode->after(p, x);
    return send_answer(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    exchange *x = *con_cls;
    if (x == NULL)
        return;
    free(x->request.data);
    free(x->response.data);
    free(x);
    *con_cls = NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: descovo-broken-proxy --mode MODE --upstream URL [--owner-key KEY]\n"
                 "A test-only proxy that plants one contract defect. Modes:\n");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        fprintf(out, "  %-24s %s\n", modes[i].name, modes[i].defect);
}

int main(int argc, char **argv)
{
    static proxy p;
    const char *mode_name = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mode") == 0)
            mode_name = argv[i + 1];
        else if (strcmp(argv[i], "--upstream") == 0)
            snprintf(p.upstream, sizeof p.upstream, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--owner-key") == 0)
            snprintf(p.owner_key, sizeof p.owner_key, "%s", argv[i + 1]);
    }
    for (size_t i = 0; mode_name != NULL && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].name, mode_name) == 0)
            p.mode = &modes[i];
    if (p.mode == NULL || p.upstream[0] == '\0') {
        usage(stderr);
        return 2;
    }
    pthread_mutex_init(&p.lock, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                            NULL, NULL, on_request, &p, MHD_OPTION_SOCK_ADDR, &addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "descovo-broken-proxy: cannot start\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(p.self, sizeof p.self, "http://127.0.0.1:%u", (unsigned)info->port);
    printf("descovo-broken-proxy listening on %s (mode %s: %s)\n", p.self, p.mode->name, p.mode->defect);
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    curl_global_cleanup();
    pthread_mutex_destroy(&p.lock);
    return 0;
}
