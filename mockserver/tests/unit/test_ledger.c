/* ledger: the ring of an account's credit changes. Whatever is dropped,
 * the opening balance plus the amounts kept is the last balance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/ledger.h"

/* Appends a change of `amount` to a running balance. */
static void change(ledger *l, int64_t *balance, int64_t amount)
{
    *balance += amount;
    ledger_entry e = {.time_ms = 1000, .amount = amount, .balance_after = *balance, .kind = LEDGER_ADJUSTMENT};
    assert_int_equal(ledger_add(l, &e), 0);
}

static int64_t sum(const ledger *l)
{
    int64_t total = l->opening;
    for (size_t i = 0; i < l->count; i++)
        total += ledger_at(l, i)->amount;
    return total;
}

static void test_keeps_everything_below_capacity(void **state)
{
    (void)state;
    ledger l = LEDGER_INIT;
    int64_t balance = 0;
    change(&l, &balance, 500);
    change(&l, &balance, -20);
    change(&l, &balance, 7);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.dropped, 0);
    assert_int_equal(l.opening, 0);
    assert_int_equal(sum(&l), balance);
    assert_int_equal(ledger_at(&l, 0)->seq, 1);
    assert_int_equal(ledger_at(&l, 2)->seq, 3);
    assert_int_equal(ledger_at(&l, 1)->amount, -20);
    assert_null(ledger_at(&l, 3));
    ledger_free(&l);
}

static void test_drops_the_oldest_and_keeps_the_sum(void **state)
{
    (void)state;
    ledger l = LEDGER_INIT;
    int64_t balance = 0;
    for (int i = 0; i < LEDGER_CAPACITY * 3 + 7; i++)
        change(&l, &balance, i % 3 == 0 ? 100 : -30);
    assert_int_equal(l.count, LEDGER_CAPACITY);
    assert_int_equal(l.dropped, LEDGER_CAPACITY * 2 + 7);
    assert_int_equal(sum(&l), balance);
    /* Oldest first, consecutive, ending with the newest. */
    for (size_t i = 1; i < l.count; i++)
        assert_int_equal(ledger_at(&l, i)->seq, ledger_at(&l, i - 1)->seq + 1);
    assert_int_equal(ledger_at(&l, l.count - 1)->seq, LEDGER_CAPACITY * 3 + 7);
    assert_int_equal(ledger_at(&l, l.count - 1)->balance_after, balance);
    ledger_free(&l);
}

static void test_clear_starts_over(void **state)
{
    (void)state;
    ledger l = LEDGER_INIT;
    int64_t balance = 0;
    for (int i = 0; i < LEDGER_CAPACITY + 1; i++)
        change(&l, &balance, 1);
    ledger_clear(&l);
    assert_int_equal(l.count, 0);
    assert_int_equal(l.dropped, 0);
    assert_int_equal(l.opening, 0);
    balance = 0;
    change(&l, &balance, 42);
    assert_int_equal(ledger_at(&l, 0)->seq, 1);
    assert_int_equal(sum(&l), 42);
    ledger_free(&l);
    ledger_free(NULL);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ledger_kind_name(LEDGER_GRANT), "grant");
    assert_string_equal(ledger_kind_name(LEDGER_REFUND), "refund");
    assert_string_equal(ledger_kind_name(200), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_everything_below_capacity),
        cmocka_unit_test(test_drops_the_oldest_and_keeps_the_sum),
        cmocka_unit_test(test_clear_starts_over),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
