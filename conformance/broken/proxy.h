/* proxy: what descovo-broken-proxy's parts share. proxy.c forwards each
 * request to the upstream descovo-mock and answers with what came back,
 * after the chosen mode rewrote the request (before) or the answer
 * (after); edit.c has the rewriting helpers; each defects_*.c holds the
 * modes of one class of defects in a table of its own. Test-only: never
 * part of the product.
 *
 * Threads: libmicrohttpd runs one thread per connection, so a mode's
 * state lives in the proxy under its lock; an exchange belongs to its
 * connection's thread. */
#ifndef BROKEN_PROXY_H
#define BROKEN_PROXY_H

#include <pthread.h>
#include <stddef.h>

#include <jansson.h>

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

/* The modes of one class of defects. */
typedef struct mode_table {
    const mode *modes;
    size_t n;
} mode_table;

extern const mode_table defects_contract;   /* shapes, sequence, isolation, CSV, export options */
extern const mode_table defects_echoes;     /* ids and values the request set */
extern const mode_table defects_money;      /* estimates, charges, quota, list totals */
extern const mode_table defects_records;    /* CSV against pages, contacts, counts, paging */
extern const mode_table defects_progress;   /* enrichment steps and times, options, warnings */

/* One more request to the upstream, for modes that look things up. out
 * receives status, headers and body (the caller frees out->response.data).
 * Returns 0 when an answer came, -1 otherwise. */
int upstream_call(proxy *p, const char *method, const char *path_and_query, const buffer *body, exchange *out);

/* Replaces a body with a copy of s, or with v serialised (v stays the
 * caller's). On out of memory the body is left as it was (set_json) or
 * empty (set_body). */
void set_body(buffer *b, const char *s);
void set_json(buffer *b, json_t *v);
/* The body as JSON (a new reference), or NULL. */
json_t *parse(const buffer *b);
/* The request is method on a path matching the fnmatch pattern ("*" stays
 * within a segment). */
int is(const exchange *x, const char *method, const char *pattern);

typedef void (*edit_fn)(proxy *p, exchange *x, json_t *output);
/* For a 200 JSON answer to method/pattern: edit changes its output, which
 * is written back. */
void edit_output(proxy *p, exchange *x, const char *method, const char *pattern, edit_fn edit);
/* Removes member from matching request bodies, so the server never sees
 * it; drop_enrichment_member does so for enrich (and estimate) requests. */
void drop_member(exchange *x, const char *method, const char *pattern, const char *member);
void drop_enrichment_member(exchange *x, const char *member, int estimates_too);
/* Small JSON edits: a string member, the integer at a path of up to three
 * members (0 when absent), an integer member moved by delta. */
void set_string(json_t *obj, const char *name, const char *value);
json_int_t int_at(const json_t *obj, const char *a, const char *b, const char *c);
void add_int(json_t *obj, const char *name, json_int_t delta);
/* The request's apiKey: the query's, else the body's ("" when none). */
void key_of(const exchange *x, char *buf, size_t size);
/* The per-key counter of p->tally, created at init; NULL when the table
 * is full. Call with p->lock held. */
json_int_t *tally_of(proxy *p, const char *key, json_int_t init);

#endif
