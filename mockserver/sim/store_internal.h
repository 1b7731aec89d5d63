/* store_internal: the store's private struct and the few helpers its
 * snapshot (store_snapshot.c) shares with store.c. Nothing else includes
 * it but the store's own unit test (tests/unit/test_store_drop.c);
 * everything here is "Lock held." */
#ifndef DESCOVO_STORE_INTERNAL_H
#define DESCOVO_STORE_INTERNAL_H

#include <pthread.h>

#include "sim/store.h"

#define ACCOUNT_BUCKETS 256

typedef struct outbox_message {
    const account *owner;         /* whose enrichment or export sent it */
    int64_t time_ms;
    char *to;
    char *subject;
    char *body;
    json_t *links;
} outbox_message;

struct store {
    pthread_mutex_t lock;
    /* What a locked section dropped (unlinked, chained by `next`):
     * store_unlock frees it once the lock is released, so that a tenant's
     * reset or expiry never holds every other tenant up for its frees.
     * Beside the lock: every unlock reads them. */
    audience *dropped_audiences;
    export_file *dropped_exports;
    account *dropped_accounts;
    pthread_rwlock_t work;        /* read: a build runs outside the lock; write: reset */
    const dataset *ds;
    store_config config;
    store_config initial_config;   /* what a reset restores */
    outbox_message outbox[STORE_OUTBOX_CAPACITY]; /* ring */
    size_t outbox_next;
    size_t outbox_count;
    account *accounts[ACCOUNT_BUCKETS];
    audience **audience_buckets;  /* by id */
    size_t n_audience_buckets;
    size_t n_audiences;
    export_file **export_buckets; /* by token */
    size_t n_export_buckets;
    size_t n_exports;
    uint64_t next_audience_seq;
    uint64_t next_enrichment_seq;
    size_t n_accounts;
    size_t n_enabled;             /* accounts the API knows now */
    char forced_token[40];        /* the next export's id, "" for a random one */
    store_reset_hook reset_hook;
    void *reset_hook_ctx;
    store_link_hook link_hook;
    void *link_hook_ctx;
    store_build_hook build_hook;
    void *build_hook_ctx;
    store_alone_hook alone_hook;
    void *alone_hook_ctx;
    store_expire_hook expire_hook;
    void *expire_hook_ctx;
    account *lru_newest, *lru_oldest; /* every account, by last use */
    uint64_t *tombstones;         /* STORE_TOMBSTONES key ids, 0: free */
    int expiry_paused;            /* replaying the state file */
    size_t n_expired;             /* tenants dropped for idleness */
    /* Tests: called by store_unlock before it frees what was dropped. */
    void (*drop_hook)(struct store *st, void *ctx);
    void *drop_hook_ctx;
};

/* A new account with this key and no credits (disabled), hashed and last
 * in use order; NULL with errno ENOSPC or ENOMEM. */
account *store_new_account(store *st, const char *key);
/* The account with this key, enabled or not, or NULL. */
account *store_find_account_any(store *st, const char *key);
/* Appends item to a growable array of pointers: 0, or -1 when out of
 * memory (nothing changed). */
int store_ptr_push(void ***items, size_t *n, size_t *cap, void *item);
/* The audience with this id, archived or not, whoever owns it; or NULL. */
audience *store_find_audience_any(store *st, const char *id);
/* Adds an audience (its id set) to the table by id. */
void store_index_audience(store *st, audience *aud);
/* Adds an export (its token set) to the table by token. */
void store_index_export(store *st, export_file *file);
/* Free functions; accept NULL. An export being downloaded is freed by
 * its last download. */
void store_audience_free(audience *aud);
void store_export_file_free(export_file *file);
/* Frees every audience and export; empties the accounts' lists. */
void store_drop_contents(store *st);

#endif
