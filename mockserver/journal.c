#include "journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"

typedef struct journal_entry {
    uint64_t seq;
    int64_t time_ms;
    char method[12];
    char path[256];
    char masked_key[32];
    unsigned status;
    double duration_ms;
    char *request_body;          /* cut to body_cap; NULL when none */
    size_t request_len;          /* original length */
    char *response_body;
    size_t response_len;
} journal_entry;

struct journal {
    pthread_mutex_t lock;
    journal_entry *entries;
    size_t capacity;
    size_t body_cap;
    size_t next;                 /* slot of the next entry */
    size_t count;                /* entries kept (<= capacity) */
    uint64_t next_seq;
};

journal *journal_new(size_t capacity, size_t body_cap)
{
    if (capacity == 0)
        return NULL;
    journal *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->entries = calloc(capacity, sizeof *j->entries);
    if (j->entries == NULL) {
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    j->capacity = capacity;
    j->body_cap = body_cap;
    return j;
}

static void entry_clear(journal_entry *e)
{
    free(e->request_body);
    free(e->response_body);
    memset(e, 0, sizeof *e);
}

void journal_clear(journal *j)
{
    pthread_mutex_lock(&j->lock);
    for (size_t i = 0; i < j->capacity; i++)
        entry_clear(&j->entries[i]);
    j->next = 0;
    j->count = 0;
    pthread_mutex_unlock(&j->lock);
}

void journal_free(journal *j)
{
    if (j == NULL)
        return;
    journal_clear(j);
    free(j->entries);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* A copy cut to cap bytes (whole bytes; the JSON layer replaces a cut UTF-8
 * sequence when it serialises). NULL for no body. */
static char *copy_cut(const char *body, size_t len, size_t cap)
{
    if (body == NULL || len == 0)
        return NULL;
    size_t n = len < cap ? len : cap;
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, body, n);
    copy[n] = '\0';
    return copy;
}

void journal_add(journal *j, const journal_record *r)
{
    /* Copy the bodies before taking the lock: the lock guards the ring only. */
    char *request = copy_cut(r->request_body, r->request_len, j->body_cap);
    char *response = copy_cut(r->response_body, r->response_len, j->body_cap);
    pthread_mutex_lock(&j->lock);
    journal_entry *e = &j->entries[j->next];
    entry_clear(e);
    e->seq = ++j->next_seq;
    e->time_ms = r->time_ms;
    snprintf(e->method, sizeof e->method, "%s", r->method);
    snprintf(e->path, sizeof e->path, "%s", r->path);
    snprintf(e->masked_key, sizeof e->masked_key, "%s", r->masked_key != NULL ? r->masked_key : "");
    e->status = r->status;
    e->duration_ms = r->duration_ms;
    e->request_body = request;
    e->request_len = r->request_len;
    e->response_body = response;
    e->response_len = r->response_len;
    j->next = (j->next + 1) % j->capacity;
    if (j->count < j->capacity)
        j->count++;
    pthread_mutex_unlock(&j->lock);
}

int journal_path_matches(const char *pattern, const char *path)
{
    while (*pattern != '\0') {
        if (pattern[0] == '*' && pattern[1] == '*') {
            /* "**" crosses segments. */
            pattern += 2;
            for (;;) {
                if (journal_path_matches(pattern, path))
                    return 1;
                if (*path == '\0')
                    return 0;
                path++;
            }
        }
        if (*pattern == '*') {
            /* Try every split of the current segment. */
            pattern++;
            for (;;) {
                if (journal_path_matches(pattern, path))
                    return 1;
                if (*path == '\0' || *path == '/')
                    return 0;
                path++;
            }
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    return *path == '\0';
}

static int entry_matches(const journal_entry *e, const journal_filter *f)
{
    if (f->method != NULL && strcasecmp(f->method, e->method) != 0)
        return 0;
    if (f->path != NULL && !journal_path_matches(f->path, e->path))
        return 0;
    if (f->masked_key != NULL && strcmp(f->masked_key, e->masked_key) != 0)
        return 0;
    if (f->status >= 0 && (unsigned)f->status != e->status)
        return 0;
    return e->time_ms >= f->since_ms;
}

static json_t *body_json(const char *body)
{
    if (body == NULL)
        return json_null();
    /* Bodies are text, but a cut may split a UTF-8 sequence and a client may
     * send anything: json_string refuses invalid UTF-8, so fall back to a
     * note rather than losing the entry. */
    json_t *text = json_string(body);
    return text != NULL ? text : json_string("(not valid UTF-8)");
}

static json_t *entry_json(const journal_entry *e, size_t cap)
{
    char when[32];
    mock_time_format(e->time_ms, when);
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:i, s:I, s:o, s:b, s:o, s:b}",
                     "seq", (json_int_t)e->seq, "time", when, "method", e->method, "path", e->path,
                     "apiKey", e->masked_key[0] ? e->masked_key : NULL,
                     "status", (int)e->status, "durationUs", (json_int_t)(e->duration_ms * 1000.0),
                     "requestBody", body_json(e->request_body),
                     "requestBodyTruncated", e->request_len > cap,
                     "responseBody", body_json(e->response_body),
                     "responseBodyTruncated", e->response_len > cap);
}

json_t *journal_query(journal *j, const journal_filter *filter)
{
    json_t *entries = json_array();
    if (entries == NULL)
        return NULL;
    pthread_mutex_lock(&j->lock);
    size_t oldest = (j->next + j->capacity - j->count) % j->capacity;
    size_t matched = 0;
    for (size_t i = 0; i < j->count; i++)
        matched += entry_matches(&j->entries[(oldest + i) % j->capacity], filter);
    /* With a limit, return the newest `limit` matches. */
    size_t skip = filter->limit > 0 && matched > filter->limit ? matched - filter->limit : 0;
    for (size_t i = 0; i < j->count; i++) {
        const journal_entry *e = &j->entries[(oldest + i) % j->capacity];
        if (!entry_matches(e, filter))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        json_array_append_new(entries, entry_json(e, j->body_cap));
    }
    size_t total = j->count;
    pthread_mutex_unlock(&j->lock);
    return json_pack("{s:I, s:I, s:o}", "count", (json_int_t)matched, "total", (json_int_t)total,
                     "entries", entries);
}
