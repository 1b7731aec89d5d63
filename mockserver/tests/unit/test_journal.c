/* journal: journal_clear_key hides one key's entries, and only those
 * before it, whatever else the ring holds: laps of newer entries, or more
 * keys reset at once than it keeps marks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sim/journal.h"

static void add(journal *j, uint64_t key_id, const char *path)
{
    journal_record r = {.method = "GET", .path = path, .masked_key = "", .key_id = key_id, .status = 200,
                        .request_body = "{}", .request_len = 2};
    journal_add(j, &r);
}

/* Entries of key_id (0: every entry), and the total kept, from a query. */
static size_t count(journal *j, uint64_t key_id, size_t *total)
{
    journal_filter f = {.key_id = key_id, .status = -1};
    json_t *out = journal_query(j, &f);
    assert_non_null(out);
    size_t n = (size_t)json_integer_value(json_object_get(out, "count"));
    assert_int_equal(json_array_size(json_object_get(out, "entries")), n);
    if (total != NULL)
        *total = (size_t)json_integer_value(json_object_get(out, "total"));
    json_decref(out);
    return n;
}

static void test_clear_key_hides_only_that_keys_past(void **state)
{
    (void)state;
    journal *j = journal_new(64, 128);
    assert_non_null(j);
    for (int i = 0; i < 10; i++) {
        add(j, 7, "/a");
        add(j, 8, "/b");
    }
    add(j, 0, "/_mock/health");
    journal_clear_key(j, 7);
    size_t total = 0;
    assert_int_equal(count(j, 7, &total), 0);
    assert_int_equal(total, 11); /* the hidden ones are not kept either */
    assert_int_equal(count(j, 8, NULL), 10);
    /* What the key sends after its reset is there. */
    add(j, 7, "/after");
    assert_int_equal(count(j, 7, &total), 1);
    assert_int_equal(total, 12);
    /* A second reset hides that too; the limit counts only what is shown. */
    journal_clear_key(j, 7);
    assert_int_equal(count(j, 7, NULL), 0);
    journal_filter f = {.status = -1, .limit = 5};
    json_t *out = journal_query(j, &f);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 11);
    assert_int_equal(json_array_size(json_object_get(out, "entries")), 5);
    json_decref(out);
    journal_free(j);
}

static void test_laps_after_a_reset(void **state)
{
    (void)state;
    enum { CAP = 16, ADDS = 48 };
    journal *j = journal_new(CAP, 128);
    assert_non_null(j);
    for (int i = 0; i < 5; i++)
        add(j, 7, "/a");
    journal_clear_key(j, 7);
    /* Three laps of newer entries, the key's among them, with a reset of
     * the other key midway and of a third one after every entry: each entry
     * after its key's reset is shown, and none before it, however the marks
     * come and go. */
    uint64_t key[ADDS];
    int gone[ADDS];
    for (int i = 0; i < ADDS; i++) {
        key[i] = i % 3 == 0 ? 7 : 9;
        gone[i] = 0;
        add(j, key[i], "/x");
        journal_clear_key(j, 11); /* a key with no entries: the marks age */
        if (i == 20) {
            journal_clear_key(j, 9);
            for (int k = 0; k <= i; k++)
                gone[k] |= key[k] == 9;
        }
        size_t sevens = 0, nines = 0, kept = 0;
        for (int k = i + 1 > CAP ? i + 1 - CAP : 0; k <= i; k++) {
            if (gone[k])
                continue;
            kept++;
            sevens += key[k] == 7;
            nines += key[k] == 9;
        }
        size_t total = 0;
        assert_int_equal(count(j, 7, &total), sevens);
        assert_int_equal(total, kept);
        assert_int_equal(count(j, 9, NULL), nines);
    }
    journal_free(j);
}

static void test_more_resets_than_marks(void **state)
{
    (void)state;
    /* Far more resets within one lap than the journal keeps marks for
     * (1024): the oldest marks are applied to make room, and every reset
     * key stays empty while the others keep theirs. */
    enum { KEYS = 2600 };
    journal *j = journal_new(8192, 64);
    assert_non_null(j);
    for (uint64_t k = 1; k <= KEYS; k++) {
        add(j, k, "/a");
        add(j, k, "/b");
    }
    for (uint64_t k = 1; k <= KEYS; k += 2)
        journal_clear_key(j, k);
    size_t total = 0;
    count(j, 0, &total);
    assert_int_equal(total, KEYS);
    /* The first ones reset (their marks applied) and the last ones. */
    for (uint64_t k = 1; k <= 40; k++)
        assert_int_equal(count(j, k, NULL), k % 2 == 1 ? 0 : 2);
    for (uint64_t k = KEYS - 40; k <= KEYS; k++)
        assert_int_equal(count(j, k, NULL), k % 2 == 1 ? 0 : 2);
    /* A key reset twice has two marks: the later one counts. */
    add(j, 2, "/c");
    journal_clear_key(j, 2);
    add(j, 2, "/d");
    journal_clear_key(j, 2);
    add(j, 2, "/e");
    assert_int_equal(count(j, 2, NULL), 1);
    /* journal_clear empties the marks with the entries. */
    journal_clear(j);
    add(j, 1, "/e");
    assert_int_equal(count(j, 1, &total), 1);
    assert_int_equal(total, 1);
    journal_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_key_hides_only_that_keys_past),
        cmocka_unit_test(test_laps_after_a_reset),
        cmocka_unit_test(test_more_resets_than_marks),
    };
    return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
