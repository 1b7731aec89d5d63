/* Unit tests of the store's deferred frees: what a tenant's reset or expiry
 * drops is freed by store_unlock after the lock is released, so that one
 * tenant's reset (thousands of audiences on a shared server) never holds
 * every other tenant's requests up for its frees. The sanitizer build
 * checks that everything dropped is freed once, and never used after. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/store.h"
#include "sim/store_internal.h"

#define T0 1735689600000LL
#define AUDIENCES 200

typedef struct drop_seen {
    int calls;
    int lock_free;   /* calls that found the store's lock free */
} drop_seen;

/* The drop hook: runs where the dropped objects are about to be freed. */
static void check_unlocked(store *st, void *ctx)
{
    drop_seen *seen = ctx;
    seen->calls++;
    if (pthread_mutex_trylock(&st->lock) == 0) {
        seen->lock_free++;
        pthread_mutex_unlock(&st->lock);
    }
}

static store *new_store(int64_t idle_expiry_ms, drop_seen *seen)
{
    store_config config = {
        .seed = 7,
        .keys_on_demand = 1,
        .demand_credits = 1000,
        .demand_export_quota = 1000,
        .idle_expiry_ms = idle_expiry_ms,
    };
    store *st = store_new(NULL, &config);
    assert_non_null(st);
    st->drop_hook = check_unlocked;
    st->drop_hook_ctx = seen;
    return st;
}

static account *open_tenant(store *st, const char *key, int64_t now_ms)
{
    store_lock(st);
    account *acct = store_open_account(st, key, now_ms);
    store_unlock(st);
    assert_non_null(acct);
    return acct;
}

static void test_reset_frees_after_the_lock(void **state)
{
    (void)state;
    drop_seen seen = {0};
    store *st = new_store(0, &seen);
    account *a = open_tenant(st, "sk_test_drop_a", T0);
    account *b = open_tenant(st, "sk_test_drop_b", T0);
    char first_a[32], kept_b[32];
    store_lock(st);
    for (int i = 0; i < AUDIENCES; i++) {
        char name[32];
        snprintf(name, sizeof name, "a%d", i);
        audience *aud = store_create_audience(st, a, name, CREATION_NORMAL, T0);
        assert_non_null(aud);
        if (i == 0)
            memcpy(first_a, aud->id, sizeof first_a);
    }
    audience *other = store_create_audience(st, b, "b", CREATION_NORMAL, T0);
    assert_non_null(other);
    memcpy(kept_b, other->id, sizeof kept_b);
    store_unlock(st);
    assert_int_equal(seen.calls, 0); /* nothing dropped yet: no hook */

    store_lock(st);
    store_reset_account(st, a);
    assert_int_equal(seen.calls, 0); /* freed when the lock goes */
    store_unlock(st);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.lock_free, 1);

    store_lock(st);
    assert_int_equal(a->n_audiences, 0);
    assert_null(store_find_audience(st, a, first_a));
    assert_non_null(store_find_audience(st, b, kept_b));
    /* The tenant goes on: a new audience after the reset. */
    assert_non_null(store_create_audience(st, a, "after", CREATION_NORMAL, T0));
    store_unlock(st);
    assert_int_equal(seen.calls, 1);
    store_free(st);
}

static void test_expiry_frees_after_the_lock(void **state)
{
    (void)state;
    drop_seen seen = {0};
    store *st = new_store(1000, &seen);
    account *idle = open_tenant(st, "sk_test_drop_idle", T0);
    store_lock(st);
    for (int i = 0; i < AUDIENCES; i++)
        assert_non_null(store_create_audience(st, idle, "idle", CREATION_NORMAL, T0));
    store_unlock(st);

    /* Another tenant's request after the expiry drops the idle one. */
    open_tenant(st, "sk_test_drop_busy", T0 + 5000);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.lock_free, 1);

    store_lock(st);
    errno = 0;
    assert_null(store_open_account(st, "sk_test_drop_idle", T0 + 5000));
    assert_int_equal(errno, ESTALE); /* told once that it expired */
    store_unlock(st);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_frees_after_the_lock),
        cmocka_unit_test(test_expiry_frees_after_the_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
