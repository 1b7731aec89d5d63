#include "drift/idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/fnv.h"

typedef struct slot {
    char *from;
    char *to;
} slot;

struct idmap {
    slot *slots;
    size_t cap;                  /* a power of two */
    size_t n;
};

static uint64_t hash(const char *s)
{
    return fnv1a_str(s);
}

idmap *idmap_new(void)
{
    idmap *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void idmap_free(idmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].from);
        free(m->slots[i].to);
    }
    free(m->slots);
    free(m);
}

static slot *find(const idmap *m, const char *from)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash(from) & mask;; i = (i + 1) & mask) {
        if (m->slots[i].from == NULL || strcmp(m->slots[i].from, from) == 0)
            return &m->slots[i];
    }
}

static int grow(idmap *m)
{
    idmap bigger = {calloc(m->cap * 2, sizeof(slot)), m->cap * 2, m->n};
    if (bigger.slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].from != NULL)
            *find(&bigger, m->slots[i].from) = m->slots[i];
    }
    free(m->slots);
    *m = bigger;
    return 0;
}

int idmap_put(idmap *m, const char *from, const char *to)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return -1;
    slot *s = find(m, from);
    char *copy = strdup(to);
    if (copy == NULL)
        return -1;
    if (s->from == NULL) {
        s->from = strdup(from);
        if (s->from == NULL) {
            free(copy);
            return -1;
        }
        m->n++;
    }
    free(s->to);
    s->to = copy;
    return 0;
}

const char *idmap_get(const idmap *m, const char *from)
{
    const slot *s = find(m, from);
    return s->from != NULL ? s->to : NULL;
}

size_t idmap_size(const idmap *m)
{
    return m->n;
}
