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
};

const mode_table defects_records = {table, sizeof table / sizeof table[0]};
