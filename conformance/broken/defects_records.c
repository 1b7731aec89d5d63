/* Records: CSV files and pages that disagree, contacts shown for the wrong
 * prospects, counts that are off, and the paging end conditions. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

/* Sets the named columns of every data row of a prospect CSV to value;
 * with value "" they are blanked, otherwise only empty cells are filled. */
static void rewrite_columns(exchange *x, const char *const *columns, size_t n_columns, const char *value)
{
    static span records[MAX_CSV_RECORDS];
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    span fields[MAX_CSV_FIELDS];
    int touched[MAX_CSV_FIELDS] = {0};
    pthread_mutex_lock(&once);
    size_t n = split_records(&x->response, records, MAX_CSV_RECORDS);
    size_t nf = n > 0 ? split_fields(x->response.data, records[0].len, fields, MAX_CSV_FIELDS) : 0;
    for (size_t f = 0; f < nf; f++)
        for (size_t c = 0; c < n_columns; c++)
            touched[f] |= fields[f].len == strlen(columns[c]) &&
                          strncmp(x->response.data + fields[f].start, columns[c], fields[f].len) == 0;
    buffer out = {0};
    for (size_t i = 0; i < n; i++) {
        const char *rec = x->response.data + records[i].start;
        size_t k = split_fields(rec, records[i].len, fields, MAX_CSV_FIELDS);
        for (size_t f = 0; f < k; f++) {
            if (f > 0)
                append(&out, ",", 1);
            if (i > 0 && touched[f] && value[0] == '\0')
                continue;
            if (i > 0 && touched[f] && fields[f].len == 0)
                append(&out, value, strlen(value));
            else
                append(&out, rec + fields[f].start, fields[f].len);
        }
        append(&out, "\r\n", 2);
    }
    pthread_mutex_unlock(&once);
    free(x->response.data);
    x->response = out;
}

/* Every prospect row shows a work e-mail, enriched or not. */
static void contacts_for_everyone(proxy *p, exchange *x)
{
    static const char *const work[] = {"work_email_1"};
    (void)p;
    if (is_prospect_csv(x))
        rewrite_columns(x, work, 1, "someone@example.com");
}

/* ---- what the exports remember ------------------------------------------ */

#define MAX_EXPORTS 256

/* Each export answered: its id, the request that made it, its audience. */
static struct {
    char id[64];
    char path[256];
    char audience[128];
    char *body;
} exports[MAX_EXPORTS];
static size_t n_exports;
/* The contact types the last enrichment of each audience asked for. */
static struct {
    char audience[128];
    int work, personal, phone;
} asked[MAX_EXPORTS];
static size_t n_asked;
static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember_export(exchange *x)
{
    if (!is(x, "POST", "/v1/audiences/*/export/*") || x->status != 200)
        return;
    json_t *v = parse(&x->response);
    const char *id = json_string_value(json_object_get(json_object_get(v, "output"), "exportId"));
    pthread_mutex_lock(&memory_lock);
    if (id != NULL && n_exports < MAX_EXPORTS) {
        snprintf(exports[n_exports].id, sizeof exports[0].id, "%s", id);
        snprintf(exports[n_exports].path, sizeof exports[0].path, "%s", x->path);
        sscanf(x->path, "/v1/audiences/%127[^/]", exports[n_exports].audience);
        exports[n_exports].body = x->request.data != NULL ? strdup(x->request.data) : NULL;
        n_exports++;
    }
    pthread_mutex_unlock(&memory_lock);
    json_decref(v);
}

/* The index of the export a download asks for, or -1. Lock held. */
static int export_of(const exchange *x)
{
    char id[64] = "";
    if (!is(x, "GET", "/v1/exports/*"))
        return -1;
    sscanf(x->path, "/v1/exports/%63s", id);
    for (size_t i = 0; i < n_exports; i++)
        if (strcmp(exports[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* Downloads render the audience as it is now: the export is made again. */
static void export_not_snapshot_before(proxy *p, exchange *x)
{
    char path[256] = "";
    buffer body = {0};
    pthread_mutex_lock(&memory_lock);
    int i = export_of(x);
    if (i >= 0 && exports[i].body != NULL) {
        snprintf(path, sizeof path, "%s", exports[i].path);
        body.data = strdup(exports[i].body);
        body.len = body.data != NULL ? strlen(body.data) : 0;
    }
    pthread_mutex_unlock(&memory_lock);
    exchange again = {0};
    if (path[0] != '\0' && upstream_call(p, "POST", path, &body, &again) == 0 && again.status == 200) {
        json_t *v = parse(&again.response);
        const char *id = json_string_value(json_object_get(json_object_get(v, "output"), "exportId"));
        if (id != NULL) {
            snprintf(x->path_buf, sizeof x->path_buf, "/v1/exports/%s", id);
            x->path = x->path_buf;
        }
        json_decref(v);
    }
    free(again.response.data);
    free(body.data);
}

static void export_not_snapshot_after(proxy *p, exchange *x)
{
    (void)p;
    remember_export(x);
}

static int asked_for(const json_t *types, const char *name)
{
    return !json_is_false(json_object_get(types, name));
}

/* Blanks the contact columns of a prospect CSV the last enrichment of its
 * audience did not ask for: each enrichment replaces the reveals. */
static void reveals_replaced(proxy *p, exchange *x)
{
    (void)p;
    remember_export(x);
    if (is(x, "POST", "/v1/audiences/*/enrich") && x->status == 200) {
        json_t *req = parse(&x->request);
        const json_t *types = json_object_get(req, "enrichmentType");
        pthread_mutex_lock(&memory_lock);
        if (n_asked < MAX_EXPORTS) {
            sscanf(x->path, "/v1/audiences/%127[^/]", asked[n_asked].audience);
            asked[n_asked].work = asked_for(types, "getWorkEmails");
            asked[n_asked].personal = asked_for(types, "getPersonalEmails");
            asked[n_asked].phone = asked_for(types, "getPhoneNumbers");
            n_asked++;
        }
        pthread_mutex_unlock(&memory_lock);
        json_decref(req);
        return;
    }
    if (!is_prospect_csv(x))
        return;
    int work = 1, personal = 1, phone = 1;
    pthread_mutex_lock(&memory_lock);
    int e = export_of(x);
    for (size_t i = 0; e >= 0 && i < n_asked; i++) {
        if (strcmp(asked[i].audience, exports[e].audience) != 0)
            continue;
        work = asked[i].work;   /* the last one wins */
        personal = asked[i].personal;
        phone = asked[i].phone;
    }
    pthread_mutex_unlock(&memory_lock);
    const char *blank[8];
    size_t n_blank = 0;
    if (!work) {
        blank[n_blank++] = "work_email_1";
        blank[n_blank++] = "work_email_2";
    }
    if (!personal) {
        blank[n_blank++] = "personal_email_1";
        blank[n_blank++] = "personal_email_2";
    }
    if (!phone) {
        blank[n_blank++] = "phone_number_1";
        blank[n_blank++] = "phone_number_2";
    }
    rewrite_columns(x, blank, n_blank, "");
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

static const mode table[] = {
    {"page-domain-drift", "companies pages serve www.-prefixed domains", NULL, page_domain_drift},
    {"csv-rows-reversed", "prospect CSV rows in reverse order", NULL, csv_rows_reversed},
    {"contacts-for-everyone", "every prospect CSV row shows a work e-mail", NULL, contacts_for_everyone},
    {"status-count-off", "the status counts one prospect less than the audience holds", NULL, status_count_off},
    {"has-more-at-boundary", "a full last page claims one more", NULL, has_more_at_boundary},
    {"cursor-off-by-one", "nextCursor points one record back", NULL, cursor_off_by_one},
    {"cursor-skips-one", "nextCursor points one record ahead", NULL, cursor_skips_one},
    {"page-size-unbounded", "pageSize past 500 is clamped, not refused", page_size_unbounded, NULL},
    {"export-not-snapshot", "a download renders the audience as it is now", export_not_snapshot_before,
     export_not_snapshot_after},
    {"reveals-replaced", "each enrichment replaces the reveals of the earlier ones", NULL, reveals_replaced},
};

const mode_table defects_records = {table, sizeof table / sizeof table[0]};
