/* pages: the record pages walked by cursor. */
#include "pages.h"

#include <stdio.h>
#include <string.h>

#include "api.h"

/* The record's own id: "companyId" or "prospectId". */
static const char *id_field(const char *kind)
{
    return strcmp(kind, "companies") == 0 ? "companyId" : "prospectId";
}

static void check_not_seen(conf_case *k, const json_t *all, const json_t *item, const char *kind, int page)
{
    const char *field = id_field(kind);
    const char *rid = json_string_value(json_object_get(item, field));
    CONF_CHECK(k, rid != NULL, "%s page %d: an item without a string %s", kind, page, field);
    for (size_t i = 0; i < json_array_size(all); i++)
        CONF_CHECK(k, strcmp(api_str(json_array_get(all, i), field), rid) != 0,
                   "%s page %d: %s %s was served before, as item %zu: a cursor went back", kind, page, field, rid,
                   i + 1);
}

const json_t *pages_walk(conf_case *k, const char *key, const char *id, const char *kind, long page_size,
                         long long expected_total)
{
    static const field_spec page_fields[] = {
        {"audienceId", F_STRING}, {"totalCount", F_INT}, {"nextCursor", F_STRING | F_NULL}, {"hasMore", F_BOOL},
    };
    json_t *all = (json_t *)api_own_json(k, json_array());
    char path[1024];
    char cursor[256] = "";
    long long total = expected_total;
    for (int page = 1; page <= 1000; page++) {
        snprintf(path, sizeof path, "/v1/audiences/%s/%s?pageSize=%ld", id, kind, page_size);
        if (cursor[0] != '\0')
            CONF_CHECK(k, wire_add_query(path, sizeof path, "cursor", cursor) == 0, "cursor too long");
        const json_t *out = api_expect_ok(k, api_call(k, key, "GET", path, NULL), kind, "free");
        api_check_fields(k, out, kind, page_fields, N_FIELDS(page_fields));
        CONF_CHECK(k, strcmp(api_str(out, "audienceId"), id) == 0, "%s page %d: audienceId is \"%s\", the request "
                   "was for %s", kind, page, api_str(out, "audienceId"), id);
        const json_t *items = json_object_get(out, kind);
        CONF_CHECK(k, json_is_array(items), "%s page %d: \"%s\" is not an array", kind, page, kind);
        long long told = api_int(out, "totalCount");
        if (total < 0)
            total = told;
        CONF_CHECK(k, told == total, "%s page %d: totalCount %lld, but %s %lld", kind, page, told,
                   page == 1 ? "the status said" : "the first page said", total);
        size_t n = json_array_size(items);
        CONF_CHECK(k, (long)n <= page_size, "%s page %d: %zu items with pageSize=%ld", kind, page, n, page_size);
        for (size_t i = 0; i < n; i++) {
            check_not_seen(k, all, json_array_get(items, i), kind, page);
            json_array_append(all, json_array_get(items, i));
        }
        long long seen = (long long)json_array_size(all);
        int more = json_is_true(json_object_get(out, "hasMore"));
        const char *next = json_string_value(json_object_get(out, "nextCursor"));
        CONF_CHECK(k, more == (next != NULL), "%s page %d: hasMore %s but nextCursor %s", kind, page,
                   more ? "true" : "false", next != NULL ? next : "null");
        if (!more) {
            CONF_CHECK(k, seen == total, "%s pages: %lld items in all, totalCount %lld", kind, seen, total);
            return all;
        }
        CONF_CHECK(k, n > 0, "%s page %d: no items, but hasMore true (nextCursor %s)", kind, page, next);
        CONF_CHECK(k, seen < total, "%s page %d: all %lld items are served, but hasMore is still true (nextCursor %s)",
                   kind, page, seen, next);
        if (k->ctx->target->is_mock)
            CONF_CHECK(k, (long)n == page_size, "%s page %d: %zu items of pageSize %ld before the last page", kind,
                       page, n, page_size);
        CONF_CHECK(k, strcmp(next, cursor) != 0, "%s page %d: nextCursor %s is the cursor of this page", kind, page,
                   next);
        snprintf(cursor, sizeof cursor, "%s", next);
    }
    CONF_FAIL(k, "%s pages never end", kind);
}
