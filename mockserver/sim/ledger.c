#include "sim/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/clock.h"

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

static const char *kind_name(unsigned kind)
{
    static const char *const names[] = {"grant", "adjustment", "build", "enrichment", "refund"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

/* The causing request as {method, path, time}, or null for the start. */
static json_t *cause_json(const ledger_entry *e, const char *masked_key)
{
    char path[160];
    const char *method = "POST";
    int n = 0;
    switch (e->cause) {
    case LEDGER_BY_ACCOUNT_PUT:
        method = "PUT";
        n = snprintf(path, sizeof path, "/_mock/accounts/%s", masked_key);
        break;
    case LEDGER_BY_SCENARIO:
        n = snprintf(path, sizeof path, "/_mock/scenarios");
        break;
    case LEDGER_BY_BUILD:
        n = snprintf(path, sizeof path, "/v1/audiences/%s/build", e->audience_id);
        break;
    case LEDGER_BY_ENRICH:
        n = snprintf(path, sizeof path, "/v1/audiences/%s/enrich", e->audience_id);
        break;
    default:
        return json_null();
    }
    if (n < 0 || (size_t)n >= sizeof path)
        return json_null(); /* cannot happen: ids and masked keys are short */
    json_t *cause = json_pack("{s:s, s:s}", "method", method, "path", path);
    if (cause != NULL && e->cause_ms >= 0) {
        char when[32];
        mock_time_format(e->cause_ms, when);
        json_object_set_new(cause, "time", json_string(when));
    }
    return cause;
}

static json_t *entry_json(const ledger_entry *e, const char *masked_key)
{
    char when[32];
    if (e->time_ms >= 0)
        mock_time_format(e->time_ms, when);
    json_t *out = json_pack("{s:I, s:s?, s:s, s:I, s:I, s:o}", "seq", (json_int_t)e->seq,
                            "time", e->time_ms >= 0 ? when : NULL, "kind", kind_name(e->kind),
                            "amount", (json_int_t)e->amount, "balanceAfter", (json_int_t)e->balance_after,
                            "request", cause_json(e, masked_key));
    if (out == NULL)
        return NULL;
    if (e->time_ms < 0)
        json_object_set_new(out, "time", json_null());
    if (e->audience_id[0] != '\0')
        json_object_set_new(out, "audienceId", json_string(e->audience_id));
    if (e->enrichment_id[0] != '\0')
        json_object_set_new(out, "enrichmentId", json_string(e->enrichment_id));
    return out;
}

json_t *ledger_json(const ledger *l, const char *masked_key, size_t offset, size_t limit)
{
    json_t *entries = json_array();
    if (entries == NULL)
        return NULL;
    for (size_t i = offset; i < l->count && i < offset + limit; i++) {
        /* Newest first: the i-th newest is the (count - 1 - i)-th oldest. */
        json_array_append_new(entries, entry_json(ledger_at(l, l->count - 1 - i), masked_key));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:o}", "openingBalance", (json_int_t)l->opening,
                     "count", (json_int_t)l->count, "dropped", (json_int_t)l->dropped,
                     "offset", (json_int_t)offset, "entries", entries);
}
