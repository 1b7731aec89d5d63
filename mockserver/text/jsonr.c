#include "text/jsonr.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/utf8.h"

/* Where the reader is in the text. Strings with escapes are decoded into
 * scratch (owned; as long as the text, which no decoded string exceeds). */
typedef struct reader {
    const unsigned char *at;
    const unsigned char *end;
    char *scratch;
    size_t text_len;
    int max_depth;
} reader;

static json_t *read_value(reader *r, int depth);

static void skip_space(reader *r)
{
    while (r->at < r->end && (*r->at == ' ' || *r->at == '\n' || *r->at == '\r' || *r->at == '\t'))
        r->at++;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The four hex digits at s (before end) as a number, or -1. */
static long read_hex4(const unsigned char *s, const unsigned char *end)
{
    if (end - s < 4)
        return -1;
    long value = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        int digit = is_digit(c) ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

static size_t put_utf8(char *out, long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape after a backslash at *p (pointing at the letter): appends its
 * UTF-8 to out and moves *p past it. Returns the bytes written, or 0 for
 * anything jansson would refuse (or \u0000, which it refuses by default). */
static size_t decode_escape(const unsigned char **p, const unsigned char *end, char *out)
{
    static const char simple_from[] = "\"\\/bfnrt";
    static const char simple_to[] = "\"\\/\b\f\n\r\t";
    const char *simple = strchr(simple_from, **p);
    if (**p != '\0' && simple != NULL) {
        out[0] = simple_to[simple - simple_from];
        (*p)++;
        return 1;
    }
    if (**p != 'u')
        return 0;
    long cp = read_hex4(*p + 1, end);
    *p += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate must come with a low one. */
        if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u')
            return 0;
        long low = read_hex4(*p + 2, end);
        if (low < 0xDC00 || low > 0xDFFF)
            return 0;
        *p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
        return 0;
    }
    return put_utf8(out, cp);
}

/* Reads a string whose opening quote is behind r->at. Points *text at its
 * bytes: in the input when it has no escape, else decoded in scratch (valid
 * until the next string). Returns 0, or -1. */
/* Whether one of the 8 bytes of w ends a plain run of a string: '"', a
 * backslash, a control character or a byte of a UTF-8 sequence (each a
 * bytewise test done on all 8 at once: a zero byte of w ^ c, a byte below
 * 0x20, a high bit). */
static int word_ends_run(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"');
    uint64_t backslash = w ^ (ones * '\\');
    uint64_t found = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w) | w;
    return (found & highs) != 0;
}

static int read_string(reader *r, const char **text, size_t *len, int *escaped)
{
    const unsigned char *start = r->at;
    const unsigned char *p = start;
    *escaped = 0;
    /* Plain ASCII 8 bytes at a time; the loop below reads the rest. */
    while (r->end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        if (word_ends_run(w))
            break;
        p += 8;
    }
    while (p < r->end && *p != '\\') {
        unsigned char c = *p;
        if (c == '"') {
            *text = (const char *)start;
            *len = (size_t)(p - start);
            r->at = p + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        size_t n = c < 0x80 ? 1 : utf8_sequence_length(p, (size_t)(r->end - p));
        if (n == 0)
            return -1;
        p += n;
    }
    if (p == r->end)
        return -1;
    if (r->scratch == NULL) {
        r->scratch = malloc(r->text_len);
        if (r->scratch == NULL)
            return -1;
    }
    char *out = r->scratch;
    size_t used = (size_t)(p - start);
    memcpy(out, start, used);
    while (p < r->end) {
        unsigned char c = *p;
        size_t n = 1;
        if (c == '"') {
            *text = out;
            *len = used;
            *escaped = 1;
            r->at = p + 1;
            return 0;
        }
        if (c == '\\') {
            p++;
            if (p == r->end)
                return -1;
            n = decode_escape(&p, r->end, out + used);
            if (n == 0)
                return -1;
            used += n;
            continue;
        }
        if (c < 0x20)
            return -1;
        if (c >= 0x80 && (n = utf8_sequence_length(p, (size_t)(r->end - p))) == 0)
            return -1;
        memcpy(out + used, p, n);
        used += n;
        p += n;
    }
    return -1;
}

/* An integer as jansson reads one: -?(0|[1-9][0-9]*), within json_int_t.
 * A fraction or an exponent makes it a real: not read here. */
static json_t *read_integer(reader *r)
{
    const unsigned char *p = r->at;
    int negative = *p == '-';
    if (negative)
        p++;
    if (p == r->end || !is_digit(*p))
        return NULL;
    unsigned long long magnitude = 0;
    const unsigned long long limit = negative ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    if (*p == '0') {
        p++;
    } else {
        while (p < r->end && is_digit(*p)) {
            unsigned digit = (unsigned)(*p - '0');
            if (magnitude > (limit - digit) / 10)
                return NULL;
            magnitude = magnitude * 10 + digit;
            p++;
        }
    }
    if (p < r->end && (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    r->at = p;
    json_int_t value = !negative ? (json_int_t)magnitude
                     : magnitude == limit ? LLONG_MIN : -(json_int_t)magnitude;
    return json_integer(value);
}

static json_t *read_literal(reader *r, const char *word, json_t *value)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->at) < n || memcmp(r->at, word, n) != 0)
        return NULL;
    r->at += n;
    return value;
}

/* After a member or an element: ',' (then more) or the closing bracket.
 * Returns 1 for more, 0 for the end, -1 for anything else. */
static int next_item(reader *r, unsigned char close)
{
    skip_space(r);
    if (r->at == r->end)
        return -1;
    unsigned char c = *r->at++;
    if (c == ',') {
        skip_space(r);
        return 1;
    }
    return c == close ? 0 : -1;
}

/* The object whose '{' is behind r->at. */
static json_t *read_object(reader *r, int depth)
{
    if (depth > r->max_depth)
        return NULL;
    json_t *object = json_object();
    if (object == NULL)
        return NULL;
    skip_space(r);
    if (r->at < r->end && *r->at == '}') {
        r->at++;
        return object;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        int escaped = 0;
        /* A key with an escape would live in scratch, which the value may
         * reuse: jansson reads those (rare) keys. */
        if (r->at == r->end || *r->at++ != '"' || read_string(r, &key, &key_len, &escaped) != 0 || escaped)
            goto fail;
        skip_space(r);
        if (r->at == r->end || *r->at++ != ':')
            goto fail;
        skip_space(r);
        json_t *value = read_value(r, depth + 1);
        /* A duplicate key replaces the value and leaves the size as it
         * was: found with one hash of the key, not a lookup and a set. */
        size_t size = json_object_size(object);
        if (value == NULL || json_object_setn_new_nocheck(object, key, key_len, value) != 0 ||
            json_object_size(object) == size)
            goto fail;
        int more = next_item(r, '}');
        if (more == 0)
            return object;
        if (more < 0)
            goto fail;
    }
fail:
    json_decref(object);
    return NULL;
}

/* The array whose '[' is behind r->at. */
static json_t *read_array(reader *r, int depth)
{
    if (depth > r->max_depth)
        return NULL;
    json_t *array = json_array();
    if (array == NULL)
        return NULL;
    skip_space(r);
    if (r->at < r->end && *r->at == ']') {
        r->at++;
        return array;
    }
    for (;;) {
        json_t *value = read_value(r, depth + 1);
        if (value == NULL || json_array_append_new(array, value) != 0)
            goto fail;
        int more = next_item(r, ']');
        if (more == 0)
            return array;
        if (more < 0)
            goto fail;
    }
fail:
    json_decref(array);
    return NULL;
}

static json_t *read_value(reader *r, int depth)
{
    if (r->at == r->end)
        return NULL;
    switch (*r->at) {
    case '{':
        r->at++;
        return read_object(r, depth);
    case '[':
        r->at++;
        return read_array(r, depth);
    case '"': {
        const char *text = NULL;
        size_t len = 0;
        int escaped = 0;
        r->at++;
        if (read_string(r, &text, &len, &escaped) != 0)
            return NULL;
        return json_stringn_nocheck(text, len);
    }
    case 't':
        return read_literal(r, "true", json_true());
    case 'f':
        return read_literal(r, "false", json_false());
    case 'n':
        return read_literal(r, "null", json_null());
    default:
        return read_integer(r);
    }
}

json_t *jsonr_object(const char *text, size_t len, int max_depth)
{
    if (text == NULL)
        return NULL;
    reader r = {(const unsigned char *)text, (const unsigned char *)text + len, NULL, len,
                max_depth < JSONR_MAX_DEPTH ? max_depth : JSONR_MAX_DEPTH};
    skip_space(&r);
    if (r.at == r.end || *r.at != '{')
        return NULL;
    r.at++;
    json_t *object = read_object(&r, 1);
    skip_space(&r);
    if (object != NULL && r.at != r.end) {
        json_decref(object); /* something after the object */
        object = NULL;
    }
    free(r.scratch);
    return object;
}
