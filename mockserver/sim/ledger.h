/* ledger: an account's credit history, every change of its balance with
 * the time, the amount, the balance after and what caused it
 * (GET /_mock/accounts/{apiKey}/ledger).
 *
 * Bounded: a ring of the last LEDGER_CAPACITY entries, grown on demand (a
 * quiet account holds a few). When the ring is full the oldest entry is
 * dropped and its balance becomes the opening balance, so that opening
 * balance + the amounts kept == the balance, always.
 *
 * The store fills it as the transitions happen (a build charged when it
 * settles, an enrichment charged when it starts, refunded when it fails,
 * credits set through the control plane or a scenario): a state file's
 * replay goes through the same transitions and rebuilds the same ledger.
 *
 * No locking of its own: the store's lock protects it. */
#ifndef DESCOVO_LEDGER_H
#define DESCOVO_LEDGER_H

#include <stddef.h>
#include <stdint.h>

/* Entries kept per account: about 100 bytes each. */
#define LEDGER_CAPACITY 500

typedef enum ledger_kind {
    LEDGER_GRANT = 0,        /* the account's starting credits */
    LEDGER_ADJUSTMENT,       /* credits set by PUT /_mock/accounts or a scenario */
    LEDGER_BUILD,            /* a build charged at completion */
    LEDGER_ENRICHMENT,       /* an enrichment charged upfront */
    LEDGER_REFUND            /* a failed enrichment's charge given back */
} ledger_kind;

/* The request behind an entry. Its method and path follow from it and
 * from the entry's audience; the API layer writes them (it alone knows
 * paths). */
typedef enum ledger_cause {
    LEDGER_BY_START = 0,     /* command line, keys file (or a reset back to them) */
    LEDGER_BY_ACCOUNT_PUT,   /* PUT /_mock/accounts/{apiKey} */
    LEDGER_BY_SCENARIO,      /* POST /_mock/scenarios, or --scenario */
    LEDGER_BY_BUILD,         /* POST /v1/audiences/{id}/build */
    LEDGER_BY_ENRICH         /* POST /v1/audiences/{id}/enrich */
} ledger_cause;

typedef struct ledger_entry {
    uint64_t seq;            /* 1, 2, ... per account */
    int64_t time_ms;         /* when the balance changed; -1: at start */
    int64_t amount;          /* signed: charges are negative */
    int64_t balance_after;
    int64_t cause_ms;        /* when the causing request came; -1: at start */
    unsigned char kind;      /* ledger_kind */
    unsigned char cause;     /* ledger_cause */
    char audience_id[24];    /* "" when none */
    char enrichment_id[24];  /* "" when none */
} ledger_entry;

typedef struct ledger {
    ledger_entry *ring;      /* NULL until the first entry */
    size_t cap;              /* allocated, at most LEDGER_CAPACITY */
    size_t first;            /* index of the oldest entry */
    size_t count;
    uint64_t last_seq;
    uint64_t dropped;        /* entries that fell out of the ring */
    int64_t opening;         /* balance before the oldest entry kept */
} ledger;

#define LEDGER_INIT {0}

/* Appends an entry (seq assigned here). Returns 0, or -1 when out of
 * memory: the entry is then lost and counted as dropped, with the opening
 * balance moved so the sum still holds. */
int ledger_add(ledger *l, const ledger_entry *entry);

/* Empties it (a reset); keeps the memory. */
void ledger_clear(ledger *l);
void ledger_free(ledger *l);

/* The i-th entry kept, 0 the oldest; NULL past the end. */
const ledger_entry *ledger_at(const ledger *l, size_t i);

/* "grant", "adjustment", "build", "enrichment", "refund". */
const char *ledger_kind_name(unsigned kind);

#endif
