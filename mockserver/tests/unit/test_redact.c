/* Unit tests of proxy/redact: key placeholders, e-mails and phone numbers
 * keep their shape, dates are left alone, CSV header rows are kept, the
 * last pass over an entry replaces keys seen anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/redact.h"

static void test_key_placeholders(void **state)
{
    (void)state;
    redactor *r = redactor_new();
    char a[32], b[32], c[32], empty[32];
    redact_key(r, "sk_live_first", a);
    redact_key(r, "sk_live_second", b);
    redact_key(r, "sk_live_first", c);
    redact_key(r, "", empty);
    assert_string_equal(a, "<key-1>");
    assert_string_equal(b, "<key-2>");
    assert_string_equal(c, "<key-1>");
    assert_string_equal(empty, "");
    redactor_free(r);
    redactor_free(NULL);
}

static void test_emails_keep_shape(void **state)
{
    (void)state;
    char text[] = "mail ann.lee@acme.io, or bob+x@mail.example.org; not @handle nor a@b";
    redact_emails(text, strlen(text));
    assert_string_equal(text, "mail xxx.xxx@xxxx.xx, or xxx+x@xxxx.xxxxxxx.xxx; not @handle nor a@b");
}

static void test_phones(void **state)
{
    (void)state;
    assert_true(redact_is_phone("+1 415 555-0123", 15));
    assert_true(redact_is_phone("(415) 555 0123", 14));
    assert_true(redact_is_phone("4155550123", 10));
    assert_false(redact_is_phone("2025-01-01", 10));
    assert_false(redact_is_phone("12345", 5));
    assert_false(redact_is_phone("Call 415 555 0123", 17));
}

static void test_json(void **state)
{
    (void)state;
    redactor *r = redactor_new();
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}}", "apiKey", "sk_live_abc", "userEmail", "ann@acme.io",
                             "output", "phone", "+44 20 7946 0958", "createdAt", "2025-01-01T00:00:00.000Z",
                             "note", "write to ops@acme.io", "count", 4155550123LL);
    redact_json(r, body);
    assert_string_equal(json_string_value(json_object_get(body, "apiKey")), "<key-1>");
    assert_string_equal(json_string_value(json_object_get(body, "userEmail")), "xxx@xxxx.xx");
    json_t *out = json_object_get(body, "output");
    assert_string_equal(json_string_value(json_object_get(out, "phone")), "+00 00 0000 0000");
    assert_string_equal(json_string_value(json_object_get(out, "createdAt")), "2025-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(out, "note")), "write to xxx@xxxx.xx");
    json_decref(body);
    redactor_free(r);
}

static void test_csv_keeps_header(void **state)
{
    (void)state;
    char csv[] = "email,phone,name\r\nann@acme.io,+1 415 555-0123,\"Lee, \"\"Ann\"\"\"\r\n\"bo@x.co\",(212) 555 0100,Bo\r\n";
    redact_csv(csv, strlen(csv));
    assert_string_equal(csv, "email,phone,name\r\nxxx@xxxx.xx,+0 000 000-0000,\"Lee, \"\"Ann\"\"\"\r\n"
                             "\"xx@x.xx\",(000) 000 0000,Bo\r\n");
}

static void test_entry_pass_replaces_known_keys(void **state)
{
    (void)state;
    redactor *r = redactor_new();
    char placeholder[32];
    redact_key(r, "sk_live_secret_1", placeholder);
    json_t *entry = json_pack("{s:s, s:[s]}", "url", "https://x/v1/credits?apiKey=sk_live_secret_1&a=1", "list",
                              "copy sk_live_secret_1 and to@acme.io");
    assert_int_equal(redact_entry_strings(r, entry), 0);
    assert_string_equal(json_string_value(json_object_get(entry, "url")), "https://x/v1/credits?apiKey=<key-1>&a=1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(entry, "list"), 0)),
                        "copy <key-1> and xx@xxxx.xx");
    json_decref(entry);
    redactor_free(r);
}

static void test_secret_headers(void **state)
{
    (void)state;
    assert_true(redact_is_secret_header("authorization"));
    assert_true(redact_is_secret_header("Cookie"));
    assert_true(redact_is_secret_header("X-Mock-Admin-Token"));
    assert_false(redact_is_secret_header("Content-Type"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_placeholders),
        cmocka_unit_test(test_emails_keep_shape),
        cmocka_unit_test(test_phones),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv_keeps_header),
        cmocka_unit_test(test_entry_pass_replaces_known_keys),
        cmocka_unit_test(test_secret_headers),
    };
    return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
