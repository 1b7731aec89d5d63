#include "random_json.h"

#include <string.h>

uint64_t random_json_next(random_json *r)
{
    r->state ^= r->state << 13;
    r->state ^= r->state >> 7;
    r->state ^= r->state << 17;
    return r->state;
}

json_t *random_json_string(random_json *r, random_text text)
{
    static const char *const any[] = {"a", "Z", "\"", "\\", "\n", "\x01", "\x1f", "\x7f", "é", "日本", "😀", "/", "\t", " "};
    /* The first five are ASCII. */
    static const char *const plain[] = {"a", "Z", "_", "9", " ", "é", "日本", "😀"};
    const char *const *pieces = text == TEXT_ANY ? any : plain;
    size_t n = text == TEXT_ANY ? sizeof any / sizeof any[0] : text == TEXT_PLAIN ? sizeof plain / sizeof plain[0] : 5;
    char buf[96];
    size_t len = 0;
    for (size_t i = random_json_next(r) % 10; i > 0; i--) {
        const char *p = pieces[random_json_next(r) % n];
        size_t pl = strlen(p);
        if (len + pl >= sizeof buf)
            break;
        memcpy(buf + len, p, pl);
        len += pl;
    }
    return json_stringn(buf, len);
}

static json_t *random_number(random_json *r)
{
    static const json_int_t edges[] = {0, -1, 1, INT64_MAX, INT64_MIN};
    uint64_t pick = random_json_next(r) % 8;
    if (r->reals && pick < 2)
        return json_real((double)(int64_t)(random_json_next(r) % 100000) / 64.0 * (pick ? 1e-9 : 1.0));
    if (pick == 2)
        return json_integer(edges[random_json_next(r) % 5]);
    if (pick == 3)
        return json_integer((json_int_t)random_json_next(r));
    return json_integer((json_int_t)(random_json_next(r) % 2000001) - 1000000);
}

static json_t *random_object(random_json *r, int depth)
{
    json_t *o = json_object();
    for (size_t i = random_json_next(r) % 5; i > 0; i--) {
        json_t *key = random_json_string(r, r->keys);
        json_object_set_new(o, json_string_value(key), random_json_value(r, depth + 1));
        json_decref(key);
    }
    return o;
}

json_t *random_json_object(random_json *r)
{
    return random_object(r, 1);
}

json_t *random_json_value(random_json *r, int depth)
{
    switch (random_json_next(r) % (depth > 5 ? 6 : 8)) {
    case 0:
    case 1: return random_number(r);
    case 2: return random_json_string(r, TEXT_ANY);
    case 3: return json_true();
    case 4: return json_false();
    case 5: return json_null();
    case 6: {
        json_t *a = json_array();
        for (size_t i = random_json_next(r) % 4; i > 0; i--)
            json_array_append_new(a, random_json_value(r, depth + 1));
        return a;
    }
    default:
        return random_object(r, depth);
    }
}
