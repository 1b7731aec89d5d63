/* edit: the helpers the defect modes rewrite requests and answers with. */
#include "proxy.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

void set_body(buffer *b, const char *s)
{
    free(b->data);
    b->data = strdup(s);
    b->len = b->data != NULL ? strlen(b->data) : 0;
}

void set_json(buffer *b, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (s != NULL) {
        free(b->data);
        b->data = s;
        b->len = strlen(s);
    }
}

json_t *parse(const buffer *b)
{
    return b->data != NULL ? json_loadb(b->data, b->len, 0, NULL) : NULL;
}

int is(const exchange *x, const char *method, const char *pattern)
{
    return strcmp(x->method, method) == 0 && fnmatch(pattern, x->path, FNM_PATHNAME) == 0;
}

/* Parses a 200 JSON answer to a matching request, lets edit change its
 * output, and writes it back. */
void edit_output(proxy *p, exchange *x, const char *method, const char *pattern, edit_fn edit)
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
void drop_member(exchange *x, const char *method, const char *pattern, const char *member)
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

void drop_enrichment_member(exchange *x, const char *member, int estimates_too)
{
    drop_member(x, "POST", "/v1/audiences/*/enrich", member);
    if (estimates_too)
        drop_member(x, "POST", "/v1/audiences/*/enrichment/estimate", member);
}

void set_string(json_t *obj, const char *name, const char *value)
{
    json_object_set_new(obj, name, json_string(value));
}

json_int_t int_at(const json_t *obj, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(obj, a);
    if (b != NULL)
        v = json_object_get(v, b);
    if (c != NULL)
        v = json_object_get(v, c);
    return json_integer_value(v);
}

void add_int(json_t *obj, const char *name, json_int_t delta)
{
    json_object_set_new(obj, name, json_integer(json_integer_value(json_object_get(obj, name)) + delta));
}

/* The apiKey of a request: the query's, or the body's. */
void key_of(const exchange *x, char *buf, size_t size)
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
json_int_t *tally_of(proxy *p, const char *key, json_int_t init)
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
