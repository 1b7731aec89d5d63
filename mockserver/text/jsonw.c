#include "text/jsonw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Escapes as jansson does without JSON_ENSURE_ASCII: the two mandatory
 * escapes, the short forms of control characters, \u00XX for the other
 * control characters, UTF-8 passed through. */
static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any of the 8 bytes of w needs an escape, with word arithmetic
 * (a byte below 0x20, or equal to '"' or '\\'): strings are scanned 8
 * bytes at a time. Bytes of 0x80 and above never match, so UTF-8 passes. */
static int word_needs_escape(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"');
    uint64_t backslash = w ^ (ONES * '\\');
    uint64_t below = (w - ONES * 0x20) & ~w;
    uint64_t is_quote = (quote - ONES) & ~quote;
    uint64_t is_backslash = (backslash - ONES) & ~backslash;
    return ((below | is_quote | is_backslash) & HIGHS) != 0;
}

/* Length of the prefix of s that needs no escape. */
static size_t plain_prefix(const char *s, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w))
            break;
    }
    if (i + 8 > len && i < len) {
        /* The last 1-7 bytes as one word, padded with a plain byte. */
        uint64_t w = ONES * 'a';
        memcpy(&w, s + i, len - i);
        if (!word_needs_escape(w))
            return len;
    }
    while (i < len && !needs_escape((unsigned char)s[i]))
        i++;
    return i;
}

void jsonw_plain(strbuf *out, const char *s, size_t len)
{
    char *at = strbuf_extend(out, len + 2);
    if (at != NULL) {
        at[0] = '"';
        memcpy(at + 1, s, len);
        at[len + 1] = '"';
    }
}

void jsonw_string(strbuf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t plain = plain_prefix(s, len);
    if (plain == len) {
        /* The usual string (an id, a name): one copy. */
        jsonw_plain(out, s, len);
        return;
    }
    strbuf_putc(out, '"');
    size_t run = 0;
    for (size_t i = plain; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c))
            continue;
        strbuf_append(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': strbuf_append(out, "\\\"", 2); break;
        case '\\': strbuf_append(out, "\\\\", 2); break;
        case '\b': strbuf_append(out, "\\b", 2); break;
        case '\f': strbuf_append(out, "\\f", 2); break;
        case '\n': strbuf_append(out, "\\n", 2); break;
        case '\r': strbuf_append(out, "\\r", 2); break;
        case '\t': strbuf_append(out, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_append(out, u, sizeof u);
        }
        }
    }
    strbuf_append(out, s + run, len - run);
    strbuf_putc(out, '"');
}

void jsonw_integer(strbuf *out, long long v)
{
    char num[24];
    size_t i = sizeof num;
    /* Work in unsigned so that the most negative value does not overflow. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        num[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        num[--i] = '-';
    strbuf_append_known(out, num + i, sizeof num - i);
}

/* Significant digits of a real: those of every answer
 * (JSON_REAL_PRECISION(10)), and jansson's default, which a double read
 * back turns into the same double. */
#define PRECISION_ANSWER 10
#define PRECISION_EXACT 17

/* Reals as jansson prints them with JSON_REAL_PRECISION(precision):
 * "%.<precision>g" without '+' or leading zeros in the exponent ("1e-05"
 * -> "1e-5"), and ".0" added when that looks like an integer. */
static void write_real(double v, int precision, strbuf *out)
{
    char num[40];
    int n = snprintf(num, sizeof num, "%.*g", precision, v);
    if (n <= 0 || (size_t)n >= sizeof num)
        return;
    char *e = strchr(num, 'e');
    if (e != NULL) {
        char *digits = e + 1;
        if (*digits == '-')
            digits++;
        char *from = e + 1 + (e[1] == '+');
        if (*from == '-')
            from++;
        while (*from == '0' && from[1] != '\0')
            from++;
        memmove(digits, from, strlen(from) + 1);
        n = (int)strlen(num);
    }
    strbuf_append(out, num, (size_t)n);
    if (strpbrk(num, ".eE") == NULL && strcmp(num, "inf") != 0 && strcmp(num, "nan") != 0)
        strbuf_append(out, ".0", 2);
}

static int write_value(const json_t *value, int precision, strbuf *out, int depth)
{
    if (depth > JSONW_MAX_DEPTH)
        return -1;
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        strbuf_putc(out, '{');
        const char *key;
        json_t *member;
        int first = 1;
        json_object_foreach((json_t *)value, key, member) {
            if (!first)
                strbuf_putc(out, ',');
            first = 0;
            jsonw_string(out, key, strlen(key));
            strbuf_putc(out, ':');
            if (write_value(member, precision, out, depth + 1) != 0)
                return -1;
        }
        strbuf_putc(out, '}');
        return 0;
    }
    case JSON_ARRAY: {
        strbuf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (i > 0)
                strbuf_putc(out, ',');
            if (write_value(json_array_get(value, i), precision, out, depth + 1) != 0)
                return -1;
        }
        strbuf_putc(out, ']');
        return 0;
    }
    case JSON_STRING:
        jsonw_string(out, json_string_value(value), json_string_length(value));
        return 0;
    case JSON_INTEGER:
        jsonw_integer(out, json_integer_value(value));
        return 0;
    case JSON_REAL:
        write_real(json_real_value(value), precision, out);
        return 0;
    case JSON_TRUE:
        strbuf_append(out, "true", 4);
        return 0;
    case JSON_FALSE:
        strbuf_append(out, "false", 5);
        return 0;
    case JSON_NULL:
        strbuf_append(out, "null", 4);
        return 0;
    }
    return -1;
}

int jsonw_write(const json_t *value, strbuf *out)
{
    return write_value(value, PRECISION_ANSWER, out, 0);
}

int jsonw_write_exact(const json_t *value, strbuf *out)
{
    return write_value(value, PRECISION_EXACT, out, 0);
}
