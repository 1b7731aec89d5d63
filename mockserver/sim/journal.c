#include "sim/journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/clock.h"
#include "sim/keys.h"
#include "text/glob.h"

typedef struct journal_entry {
    pthread_mutex_t lock;        /* this slot only: writers rarely meet */
    uint64_t seq;                /* 0: empty */
    int64_t time_ms;
    char method[12];
    char path[256];
    char masked_key[32];
    uint64_t key_id;
    unsigned status;
    double duration_ms;
    char *request_body;          /* cut to body_cap; NULL when none */
    size_t request_len;          /* original length */
    char *response_body;
    size_t response_len;
} journal_entry;

/* Most resets remembered at once (16 KiB). A mark lives for one ring of
 * later requests (JOURNAL_DEFAULT_CAPACITY): this many is reached only when
 * resets are a quarter of all requests (each test of a suite resetting its
 * key before a few requests is about a sixth); then the oldest mark is
 * applied the slow way, a visit of every slot, to make room. */
#define JOURNAL_KEY_MARKS 1024

typedef struct key_mark {
    uint64_t key_id;
    uint64_t through;            /* that key's entries with seq <= this are gone */
} key_mark;

/* Every request adds an entry, from every server thread: a slot is claimed
 * with an atomic counter (entry seq goes to slot seq % capacity) and only
 * that slot is locked, so adds do not queue behind one another. */
struct journal {
    journal_entry *entries;
    size_t capacity;
    size_t body_cap;
    atomic_uint_fast64_t last_seq;      /* seq of the newest entry */
    atomic_uint_fast64_t cleared_through; /* entries with seq <= this are gone */
    /* A tenant's reset hides its entries (journal_clear_key) rather than
     * visiting every slot for them: a mark says that key_id's entries up to
     * seq `through` are gone. The entries themselves stay until a newer one
     * takes their slot, as every entry does, so memory is what the ring
     * already holds. The marks are a ring too, oldest first (`through`
     * grows: it is read under marks_lock); a key reset twice has two. A
     * mark is dropped once a whole ring of newer seqs has been handed out:
     * no query looks that far back (query_pass). Under marks_lock; a query
     * works on a sorted copy. */
    pthread_mutex_t marks_lock;
    key_mark marks[JOURNAL_KEY_MARKS];
    size_t first_mark;           /* index of the oldest */
    size_t n_marks;
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
    for (size_t i = 0; i < capacity; i++)
        pthread_mutex_init(&j->entries[i].lock, NULL);
    pthread_mutex_init(&j->marks_lock, NULL);
    j->capacity = capacity;
    j->body_cap = body_cap;
    atomic_init(&j->last_seq, 0);
    atomic_init(&j->cleared_through, 0);
    return j;
}

/* Slot i's lock held. Frees the bodies and empties the slot. */
static void entry_clear(journal *j, size_t i)
{
    journal_entry *e = &j->entries[i];
    free(e->request_body);
    free(e->response_body);
    e->request_body = NULL;
    e->response_body = NULL;
    e->seq = 0;
}

void journal_clear(journal *j)
{
    /* Entries up to the newest are gone; ones being added right now may
     * survive, as if they came just after the clear. */
    atomic_store(&j->cleared_through, atomic_load(&j->last_seq));
    for (size_t i = 0; i < j->capacity; i++) {
        pthread_mutex_lock(&j->entries[i].lock);
        if (j->entries[i].seq <= atomic_load(&j->cleared_through))
            entry_clear(j, i);
        pthread_mutex_unlock(&j->entries[i].lock);
    }
    /* Every entry a mark hides is below the floor now. */
    pthread_mutex_lock(&j->marks_lock);
    j->first_mark = 0;
    j->n_marks = 0;
    pthread_mutex_unlock(&j->marks_lock);
}

/* marks_lock held. Frees the entries a mark hides, visiting every slot:
 * only when the marks are all in use. */
static void apply_mark(journal *j, const key_mark *m)
{
    for (size_t i = 0; i < j->capacity; i++) {
        journal_entry *e = &j->entries[i];
        pthread_mutex_lock(&e->lock);
        if (e->seq != 0 && e->seq <= m->through && e->key_id == m->key_id)
            entry_clear(j, i);
        pthread_mutex_unlock(&e->lock);
    }
}

/* marks_lock held, at least one mark. */
static void drop_oldest_mark(journal *j)
{
    j->first_mark = (j->first_mark + 1) % JOURNAL_KEY_MARKS;
    j->n_marks--;
}

void journal_clear_key(journal *j, uint64_t key_id)
{
    pthread_mutex_lock(&j->marks_lock);
    /* Entries up to the newest are this key's past; one it is writing right
     * now may be hidden too, as if it came just before the reset. */
    uint64_t through = atomic_load(&j->last_seq);
    /* The marks no query can need any more: a whole ring of newer seqs has
     * been handed out since (query_pass starts above them). */
    while (j->n_marks > 0 && j->marks[j->first_mark].through + j->capacity <= through)
        drop_oldest_mark(j);
    if (j->n_marks == JOURNAL_KEY_MARKS) {
        apply_mark(j, &j->marks[j->first_mark]);
        drop_oldest_mark(j);
    }
    j->marks[(j->first_mark + j->n_marks) % JOURNAL_KEY_MARKS] = (key_mark){.key_id = key_id, .through = through};
    j->n_marks++;
    pthread_mutex_unlock(&j->marks_lock);
}

void journal_free(journal *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->capacity; i++) {
        entry_clear(j, i);
        pthread_mutex_destroy(&j->entries[i].lock);
    }
    pthread_mutex_destroy(&j->marks_lock);
    free(j->entries);
    free(j);
}

/* A copy cut to cap bytes (whole bytes; the JSON layer replaces a cut UTF-8
 * sequence when it serialises), its keys masked (keys_mask_text). NULL for
 * no body, and when memory runs out: better no body than one with a key. */
static char *copy_cut(const char *body, size_t len, size_t cap, const keys_secret *secret)
{
    if (body == NULL || len == 0)
        return NULL;
    /* Mask a little past the cap, so that a key cut by it is masked too. */
    size_t scan = len < cap + KEYS_MAX_KEY_LEN ? len : cap + KEYS_MAX_KEY_LEN;
    size_t masked_len = 0;
    int oom = 0;
    char *masked = keys_mask_text(body, scan, secret, &masked_len, &oom);
    if (oom)
        return NULL;
    if (masked != NULL) {
        /* Already a copy: cut in place (it is at most scan + a few bytes). */
        if (masked_len > cap)
            masked[cap] = '\0';
        return masked;
    }
    size_t n = len < cap ? len : cap;
    char *copy = malloc(n + 1);
    if (copy != NULL) {
        memcpy(copy, body, n);
        copy[n] = '\0';
    }
    return copy;
}

/* Copies at most size - 1 bytes and a NUL, without formatting. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = src != NULL ? strnlen(src, size - 1) : 0;
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

void journal_add(journal *j, const journal_record *r)
{
    /* Copy the bodies before taking the slot's lock. */
    char *request = copy_cut(r->request_body, r->request_len, j->body_cap, r->secret);
    char *response = NULL;
    if (r->response_owned != NULL) {
        size_t masked_len = 0;
        int oom = 0;
        char *masked = keys_mask_text(r->response_owned, r->response_owned_len, r->secret, &masked_len, &oom);
        if (masked != NULL || oom) {
            free(r->response_owned);
            response = masked;
        } else {
            response = r->response_owned;
        }
    } else {
        response = copy_cut(r->response_body, r->response_len, j->body_cap, r->secret);
    }
    uint64_t seq = atomic_fetch_add(&j->last_seq, 1) + 1;
    size_t slot = seq % j->capacity;
    journal_entry *e = &j->entries[slot];
    pthread_mutex_lock(&e->lock);
    if (e->seq > seq) {
        /* A full lap of newer entries got here first: this one is already
         * older than everything the ring keeps. */
        pthread_mutex_unlock(&e->lock);
        free(request);
        free(response);
        return;
    }
    entry_clear(j, slot);
    e->seq = seq;
    e->time_ms = r->time_ms;
    copy_text(e->method, sizeof e->method, r->method);
    copy_text(e->path, sizeof e->path, r->path);
    copy_text(e->masked_key, sizeof e->masked_key, r->masked_key);
    e->key_id = r->key_id;
    e->status = r->status;
    e->duration_ms = r->duration_ms;
    e->request_body = request;
    e->request_len = r->request_len;
    e->response_body = response;
    e->response_len = r->response_len;
    pthread_mutex_unlock(&e->lock);
}

/* Runs on a copy of the entry, with no lock held: the caller's pattern
 * sets the cost of matching. */
static int entry_matches(const journal_entry *e, const journal_filter *f, const glob *path)
{
    if (f->method != NULL && strcasecmp(f->method, e->method) != 0)
        return 0;
    if (f->key_id != 0 && f->key_id != e->key_id)
        return 0;
    if (f->key_id == 0 && f->masked_key != NULL && strcmp(f->masked_key, e->masked_key) != 0)
        return 0;
    if (f->status >= 0 && (unsigned)f->status != e->status)
        return 0;
    if (e->time_ms < f->since_ms)
        return 0;
    if (f->before_seq != 0 && e->seq >= f->before_seq)
        return 0;
    return path == NULL || glob_match(path, e->path);
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

static json_t *entry_json(const journal_entry *e, size_t cap, int bodies)
{
    char when[32];
    mock_time_format(e->time_ms, when);
    json_t *entry = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:i, s:I, s:b, s:b}",
                              "seq", (json_int_t)e->seq, "time", when, "method", e->method, "path", e->path,
                              "apiKey", e->masked_key[0] ? e->masked_key : NULL,
                              "status", (int)e->status, "durationUs", (json_int_t)(e->duration_ms * 1000.0),
                              "requestBodyTruncated", e->request_len > cap,
                              "responseBodyTruncated", e->response_len > cap);
    if (entry != NULL && bodies) {
        json_object_set_new(entry, "requestBody", body_json(e->request_body));
        json_object_set_new(entry, "responseBody", body_json(e->response_body));
    }
    return entry;
}

/* Walks the kept entries oldest first. Each slot is locked only to copy
 * its fixed-size fields; the copy is matched with no lock held. The bodies
 * of a matching entry are copied (at most body_cap bytes each) under the
 * lock again, if the slot still holds the same entry. */
typedef struct query_ctx {
    const journal_filter *filter;
    const glob *path;
    const key_mark *marks;       /* a copy sorted by key_id, one per key */
    size_t n_marks;
    size_t matched;
    size_t kept;
    size_t skip;
    size_t body_cap;
    json_t *entries;             /* NULL while counting */
} query_ctx;

static int mark_order(const void *a, const void *b)
{
    uint64_t x = ((const key_mark *)a)->key_id, y = ((const key_mark *)b)->key_id;
    return x < y ? -1 : x > y;
}

/* A copy of the marks sorted by key, each key's latest only (it hides all
 * that its earlier ones do), in *out (malloc'ed; NULL when there are none).
 * Returns how many, or -1 when out of memory. */
static long copy_marks(journal *j, key_mark **out)
{
    *out = NULL;
    pthread_mutex_lock(&j->marks_lock);
    size_t n = j->n_marks;
    key_mark *copy = n > 0 ? malloc(n * sizeof *copy) : NULL;
    for (size_t i = 0; copy != NULL && i < n; i++)
        copy[i] = j->marks[(j->first_mark + i) % JOURNAL_KEY_MARKS];
    pthread_mutex_unlock(&j->marks_lock);
    if (n == 0)
        return 0;
    if (copy == NULL)
        return -1;
    /* qsort keeps no order among one key's marks: take the largest seq. */
    qsort(copy, n, sizeof *copy, mark_order);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (kept > 0 && copy[kept - 1].key_id == copy[i].key_id) {
            if (copy[i].through > copy[kept - 1].through)
                copy[kept - 1].through = copy[i].through;
            continue;
        }
        copy[kept++] = copy[i];
    }
    *out = copy;
    return (long)kept;
}

/* Whether a reset of the entry's key came after it. */
static int hidden(const query_ctx *q, const journal_entry *e)
{
    if (e->key_id == 0 || q->n_marks == 0)
        return 0;
    key_mark want = {.key_id = e->key_id};
    const key_mark *m = bsearch(&want, q->marks, q->n_marks, sizeof *q->marks, mark_order);
    return m != NULL && e->seq <= m->through;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void query_pass(journal *j, query_ctx *q)
{
    uint64_t last = atomic_load(&j->last_seq);
    uint64_t floor = atomic_load(&j->cleared_through);
    uint64_t first = last > j->capacity ? last - j->capacity + 1 : 1;
    if (first <= floor)
        first = floor + 1;
    for (uint64_t seq = first; seq <= last; seq++) {
        journal_entry *slot = &j->entries[seq % j->capacity];
        journal_entry copy;
        pthread_mutex_lock(&slot->lock);
        int present = slot->seq == seq;
        if (present) {
            copy = *slot;
            copy.request_body = NULL;
            copy.response_body = NULL;
        }
        pthread_mutex_unlock(&slot->lock);
        if (!present || hidden(q, &copy))
            continue;
        q->kept++;
        if (!entry_matches(&copy, q->filter, q->path))
            continue;
        q->matched++;
        if (q->entries == NULL)
            continue;
        if (q->skip > 0) {
            q->skip--;
            continue;
        }
        pthread_mutex_lock(&slot->lock);
        if (slot->seq == seq) {
            copy.request_body = dup_or_null(slot->request_body);
            copy.response_body = dup_or_null(slot->response_body);
        }
        pthread_mutex_unlock(&slot->lock);
        json_array_append_new(q->entries, entry_json(&copy, q->body_cap, !q->filter->no_bodies));
        free(copy.request_body);
        free(copy.response_body);
    }
}

json_t *journal_query(journal *j, const journal_filter *filter)
{
    char err[128];
    glob *path = NULL;
    if (filter->path != NULL) {
        path = glob_compile(filter->path, err, sizeof err);
        if (path == NULL)
            return NULL;
    }
    /* Both passes hide what the same marks hide. Copied before either pass
     * reads the newest seq: a mark dropped before the copy is one that no
     * pass looks back to. */
    key_mark *marks = NULL;
    long copied = copy_marks(j, &marks);
    if (copied < 0) {
        glob_free(path);
        return NULL;
    }
    size_t n_marks = (size_t)copied;
    /* Count first, then collect the newest `limit` matches. Entries added
     * between the passes are newer and do not shift the older ones. */
    query_ctx count = {.filter = filter, .path = path, .marks = marks, .n_marks = n_marks, .body_cap = j->body_cap};
    query_pass(j, &count);
    query_ctx collect = {.filter = filter, .path = path, .marks = marks, .n_marks = n_marks,
                         .body_cap = j->body_cap, .entries = json_array()};
    json_t *out = NULL;
    if (collect.entries == NULL)
        goto out;
    collect.skip = filter->limit > 0 && count.matched > filter->limit ? count.matched - filter->limit : 0;
    query_pass(j, &collect);
    out = json_pack("{s:I, s:I, s:o}", "count", (json_int_t)collect.matched, "total", (json_int_t)collect.kept,
                    "entries", collect.entries);
out:
    free(marks);
    glob_free(path);
    return out;
}
