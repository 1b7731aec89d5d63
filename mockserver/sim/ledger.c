#include "sim/ledger.h"

#include <stdlib.h>
#include <string.h>


/* Grows the ring (kept in order from index 0) towards LEDGER_CAPACITY. */
static int grow(ledger *l)
{
    size_t cap = l->cap ? l->cap * 2 : 8;
    if (cap > LEDGER_CAPACITY)
        cap = LEDGER_CAPACITY;
    ledger_entry *ring = malloc(cap * sizeof *ring);
    if (ring == NULL)
        return -1;
    for (size_t i = 0; i < l->count; i++)
        ring[i] = l->ring[(l->first + i) % l->cap];
    free(l->ring);
    l->ring = ring;
    l->cap = cap;
    l->first = 0;
    return 0;
}

int ledger_add(ledger *l, const ledger_entry *entry)
{
    uint64_t seq = ++l->last_seq;
    if (l->count == l->cap && l->cap < LEDGER_CAPACITY && grow(l) != 0) {
        /* Out of memory: the sum must still hold, so the lost entry moves
         * the opening balance, as a dropped one does. */
        l->opening += entry->amount;
        l->dropped++;
        return -1;
    }
    if (l->count == l->cap) {
        const ledger_entry *oldest = &l->ring[l->first];
        l->opening = oldest->balance_after;
        l->first = (l->first + 1) % l->cap;
        l->count--;
        l->dropped++;
    }
    ledger_entry *slot = &l->ring[(l->first + l->count) % l->cap];
    *slot = *entry;
    slot->seq = seq;
    l->count++;
    return 0;
}

void ledger_clear(ledger *l)
{
    l->first = 0;
    l->count = 0;
    l->last_seq = 0;
    l->dropped = 0;
    l->opening = 0;
}

void ledger_free(ledger *l)
{
    if (l == NULL)
        return;
    free(l->ring);
    *l = (ledger)LEDGER_INIT;
}

const ledger_entry *ledger_at(const ledger *l, size_t i)
{
    return i < l->count ? &l->ring[(l->first + i) % l->cap] : NULL;
}

const char *ledger_kind_name(unsigned kind)
{
    static const char *const names[] = {"grant", "adjustment", "build", "enrichment", "refund"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}
