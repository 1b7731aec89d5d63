/* filters: validation and compilation of the companySearchParams and
 * prospectSearchParams objects (see filters.h).
 *
 * Each applied key has one parser in a table (company_keys, prospect_keys).
 * The set-valued keys share one parser (parse_set) that reads either dialect
 * into a set_spec of bit sets, with a per-key resolver turning one item
 * ("US", "X-DACH", "seed", {"type":"term",...}) into the vocabulary indexes
 * it names; the range keys share parse_range. The compiled form lives in
 * filters_internal.h.
 *
 * Choices the public spec of the API and the docs leave open (simulator-
 * defined):
 *   - An empty list (anyOf: []), or one whose every item was ignored (regions
 *     that are not simulated), is the same as not giving the list.
 *   - A plain array is accepted for every set-valued key as its anyOf
 *     (keywords: containsAny).
 *   - The docs' {included, excluded} and the spec's {anyOf, noneOf, allOf}
 *     of jobTitleV2 may be mixed: included joins anyOf, excluded joins noneOf.
 *     A plain string item is a term in either.
 *   - A range key ({min, max} or the spec's bounds) must use one dialect; a
 *     mix of both, or a range that is empty, is an error.
 *   - yearsOfExperience {lowerBound, upperBound} are both inclusive, like
 *     {min, max}.
 *   - Keys are matched case-sensitively (JSON keys); values (codes, names,
 *     slugs, tags, groups, keywords, terms) case-insensitively.
 *   - An unknown key is reported even when its value is null; a known key
 *     whose value is null is not set and not counted. */
#include "data/filters.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/filters_internal.h"
#include "data/vocab.h"
#include "text/join.h"
#include "text/jsontype.h"
#include "text/utf8.h"

/* Hard limits on hostile input: items per array, members per object and
 * bytes per string value. */
#define FILTER_MAX_ITEMS 1000
#define FILTER_MAX_STRING 200
/* Largest integer accepted in a range. */
#define FILTER_MAX_INT 2147483647LL
/* String values read per compile, all keys together: bounds the work of
 * matching terms and keywords against every job title. */
#define FILTER_MAX_TOTAL_STRINGS 10000
/* Warnings kept per compile; past it one "further warnings omitted" is
 * added and the rest dropped, so a hostile body cannot grow the response
 * without bound. */
#define FILTER_MAX_WARNINGS 100
/* Field paths in messages; longer ones (user-supplied key names) are cut at
 * a character boundary. */
#define FILTER_PATH_MAX 320

static const char MSG_NOT_SIMULATED[] =
    "accepted but not simulated by descovo-mock; the filter is ignored";
static const char MSG_UNKNOWN_FIELD[] = "unknown field; ignored";
static const char MSG_COUNTRY_EXPECTED[] =
    "expected ISO 3166-1 alpha-2 or alpha-3, or a region code such as X-DACH";

typedef struct parse_ctx {
    json_t *warnings;   /* our own array, handed to the caller on success;
                         * NULL until the first warning */
    size_t n_strings;   /* string values read so far */
    char *err;
    size_t errlen;
} parse_ctx;

/* A set of vocabulary indexes while parsing (countries are the largest). */
typedef struct filter_bits {
    uint64_t w[FILTER_COUNTRY_WORDS];
} filter_bits;

/* ---------------------------------------------------------------------- */
/* Messages */

static void format_into(char *buf, size_t len, const char *fmt, va_list ap)
{
    int n = 0;

    if (buf == NULL || len == 0) {
        return;
    }
    n = vsnprintf(buf, len, fmt, ap);
    if (n < 0) {
        buf[0] = '\0';
    } else if ((size_t)n >= len) {
        utf8_trim(buf);
    }
}

/* Sets the error message; always returns -1. */
static int fail(parse_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    format_into(ctx->err, ctx->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_oom(parse_ctx *ctx)
{
    return fail(ctx, "out of memory");
}

/* Appends {"field": field, "message": ...}, up to FILTER_MAX_WARNINGS.
 * Returns 0, or -1 when out of memory (with the error set). */
static int warn(parse_ctx *ctx, const char *field, const char *fmt, ...)
{
    char message[512];
    json_t *item = NULL;
    size_t n = json_array_size(ctx->warnings);
    va_list ap;

    if (n > FILTER_MAX_WARNINGS) {
        return 0;
    }
    if (n == FILTER_MAX_WARNINGS) {
        snprintf(message, sizeof message, "further warnings omitted");
    } else {
        va_start(ap, fmt);
        format_into(message, sizeof message, fmt, ap);
        va_end(ap);
    }

    if (ctx->warnings == NULL) {
        ctx->warnings = json_array();
        if (ctx->warnings == NULL) {
            return fail_oom(ctx);
        }
    }
    item = json_object();
    if (item == NULL) {
        return fail_oom(ctx);
    }
    if (json_object_set_new(item, "field", json_string(field)) != 0
        || json_object_set_new(item, "message", json_string(message)) != 0) {
        json_decref(item);
        return fail_oom(ctx);
    }
    /* json_array_append_new releases item when it fails */
    if (json_array_append_new(ctx->warnings, item) != 0) {
        return fail_oom(ctx);
    }
    return 0;
}

static void path_key(char out[FILTER_PATH_MAX], const char *parent, const char *key)
{
    if (join(out, FILTER_PATH_MAX, parent, ".", key, NULL) != 0)
        utf8_trim(out);
}

static void path_index(char out[FILTER_PATH_MAX], const char *parent, size_t index)
{
    char number[JOIN_NUMBER_MAX];
    join_u64(number, index);
    if (join(out, FILTER_PATH_MAX, parent, "[", number, "]", NULL) != 0)
        utf8_trim(out);
}


/* "a, b, c" from a table of names, cut to fit. */
static void join_names(char *buf, size_t len, const char *const *names, size_t n)
{
    size_t used = 0;
    size_t i = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= len - used) {
            utf8_trim(buf);
            return;
        }
        used += (size_t)w;
    }
}

/* ---------------------------------------------------------------------- */
/* Small helpers */

static void bits_set(filter_bits *b, size_t idx)
{
    if (idx < FILTER_MAX_COUNTRIES) {
        b->w[idx / 64] |= (uint64_t)1 << (idx % 64);
    }
}

static int bits_empty(const filter_bits *b)
{
    size_t i = 0;

    for (i = 0; i < FILTER_COUNTRY_WORDS; i++) {
        if (b->w[i] != 0) {
            return 0;
        }
    }
    return 1;
}

static unsigned char ascii_lower(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return (unsigned char)(c - 'A' + 'a');
    }
    return c;
}

/* Case-insensitive (ASCII) substring test; an empty needle is in every
 * string. */
static int ci_contains(const char *hay, const char *needle)
{
    size_t nlen = strlen(needle);
    size_t hlen = strlen(hay);
    size_t i = 0;
    size_t j = 0;

    if (nlen > hlen) {
        return 0;
    }
    for (i = 0; i + nlen <= hlen; i++) {
        for (j = 0; j < nlen; j++) {
            if (ascii_lower((unsigned char)hay[i + j]) != ascii_lower((unsigned char)needle[j])) {
                break;
            }
        }
        if (j == nlen) {
            return 1;
        }
    }
    return 0;
}

/* A string value within the limits. Returns 0 and sets *out, or -1. */
static int get_string(parse_ctx *ctx, const json_t *v, const char *path, const char **out)
{
    size_t len = 0;
    const char *s = NULL;

    if (!json_is_string(v)) {
        return fail(ctx, "%s: expected a string, got %s", path, jsontype_name(v));
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len > FILTER_MAX_STRING) {
        return fail(ctx, "%s: string of %zu bytes is too long; at most %d", path, len,
                    FILTER_MAX_STRING);
    }
    if (memchr(s, '\0', len) != NULL) {
        return fail(ctx, "%s: string contains a NUL character", path);
    }
    if (++ctx->n_strings > FILTER_MAX_TOTAL_STRINGS) {
        return fail(ctx, "%s: too many values; at most %d strings in all the filters", path,
                    FILTER_MAX_TOTAL_STRINGS);
    }
    *out = s;
    return 0;
}

static int check_array(parse_ctx *ctx, const json_t *v, const char *path, const char *what)
{
    if (!json_is_array(v)) {
        return fail(ctx, "%s: expected %s, got %s", path, what, jsontype_name(v));
    }
    if (json_array_size(v) > FILTER_MAX_ITEMS) {
        return fail(ctx, "%s: %zu items is too many; at most %d", path, json_array_size(v),
                    FILTER_MAX_ITEMS);
    }
    return 0;
}

static int check_object_size(parse_ctx *ctx, const json_t *v, const char *path)
{
    if (json_object_size(v) > FILTER_MAX_ITEMS) {
        return fail(ctx, "%s: %zu members is too many; at most %d", path, json_object_size(v),
                     FILTER_MAX_ITEMS);
    }
    return 0;
}

/* The name of an object member as a C string, or NULL when it holds a NUL
 * character (then it cannot be any known key). */
static const char *member_name(void *iter)
{
    const char *key = json_object_iter_key(iter);
    size_t len = json_object_iter_key_len(iter);

    if (key == NULL || strlen(key) != len) {
        return NULL;
    }
    return key;
}

static int warn_unknown_member(parse_ctx *ctx, const char *parent, void *iter)
{
    char path[FILTER_PATH_MAX];

    path_key(path, parent, json_object_iter_key(iter));
    return warn(ctx, path, "%s", MSG_UNKNOWN_FIELD);
}

/* ---------------------------------------------------------------------- */
/* Set-valued keys: {anyOf, noneOf, allOf} or a plain array */

typedef enum set_op { OP_ANY, OP_NONE, OP_ALL } set_op;

typedef struct op_name {
    const char *name;
    set_op op;
} op_name;

typedef struct set_spec {
    int has_any;        /* an anyOf item counted */
    int has_none;
    int has_all;
    int all_has_empty;  /* an allOf item that names nothing (unknown keyword) */
    filter_bits any;
    filter_bits none;
    filter_bits all_union;
    filter_bits all_inter;
} set_spec;

/* Adds the vocabulary indexes one item names to *out. Returns 0 when the
 * item counts (it may name nothing: an unknown keyword), 1 when it is
 * ignored (a warning was added), -1 on error (message set). */
typedef int (*item_resolver)(parse_ctx *ctx, const json_t *item, const char *path,
                             filter_bits *out);

typedef struct set_key {
    const char *what;   /* the accepted shapes, for type errors */
    const op_name *ops;
    size_t n_ops;
    item_resolver resolve;
} set_key;

static int parse_set_list(parse_ctx *ctx, const set_key *sk, set_op op, const json_t *list,
                          const char *path, set_spec *spec)
{
    char item_path[FILTER_PATH_MAX];
    size_t i = 0;

    if (check_array(ctx, list, path, "an array") != 0) {
        return -1;
    }
    for (i = 0; i < json_array_size(list); i++) {
        filter_bits b;
        size_t w = 0;
        int r = 0;

        memset(&b, 0, sizeof b);
        path_index(item_path, path, i);
        r = sk->resolve(ctx, json_array_get(list, i), item_path, &b);
        if (r < 0) {
            return -1;
        }
        if (r > 0) {
            continue;
        }
        for (w = 0; w < FILTER_COUNTRY_WORDS; w++) {
            switch (op) {
            case OP_ANY:
                spec->any.w[w] |= b.w[w];
                break;
            case OP_NONE:
                spec->none.w[w] |= b.w[w];
                break;
            case OP_ALL:
                spec->all_union.w[w] |= b.w[w];
                spec->all_inter.w[w] = spec->has_all ? (spec->all_inter.w[w] & b.w[w]) : b.w[w];
                break;
            }
        }
        if (op == OP_ANY) {
            spec->has_any = 1;
        } else if (op == OP_NONE) {
            spec->has_none = 1;
        } else {
            spec->has_all = 1;
            if (bits_empty(&b)) {
                spec->all_has_empty = 1;
            }
        }
    }
    return 0;
}

static int parse_set(parse_ctx *ctx, const set_key *sk, const json_t *value, const char *path,
                     set_spec *spec)
{
    char child[FILTER_PATH_MAX];
    void *it = NULL;

    memset(spec, 0, sizeof *spec);
    if (json_is_array(value)) {
        return parse_set_list(ctx, sk, OP_ANY, value, path, spec);
    }
    if (!json_is_object(value)) {
        return fail(ctx, "%s: expected %s, got %s", path, sk->what, jsontype_name(value));
    }
    if (check_object_size(ctx, value, path) != 0) {
        return -1;
    }
    for (it = json_object_iter((json_t *)value); it != NULL;
         it = json_object_iter_next((json_t *)value, it)) {
        const char *name = member_name(it);
        const json_t *v = json_object_iter_value(it);
        const op_name *op = NULL;
        size_t i = 0;

        for (i = 0; name != NULL && i < sk->n_ops; i++) {
            if (strcmp(name, sk->ops[i].name) == 0) {
                op = &sk->ops[i];
                break;
            }
        }
        if (op == NULL) {
            if (warn_unknown_member(ctx, path, it) != 0) {
                return -1;
            }
            continue;
        }
        if (json_is_null(v)) {
            continue;
        }
        path_key(child, path, op->name);
        if (parse_set_list(ctx, sk, op->op, v, child, spec) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Folds anyOf/noneOf of a single-valued attribute into one allowed set.
 * Returns 1 when the attribute is constrained. */
static int spec_allowed(const set_spec *spec, filter_bits *ok)
{
    size_t w = 0;

    for (w = 0; w < FILTER_COUNTRY_WORDS; w++) {
        uint64_t allowed = spec->has_any ? spec->any.w[w] : ~(uint64_t)0;
        if (spec->has_all) {
            allowed &= spec->all_inter.w[w];
        }
        ok->w[w] = allowed & ~spec->none.w[w];
    }
    return spec->has_any || spec->has_none || spec->has_all;
}

/* ---------------------------------------------------------------------- */
/* Item resolvers */

static int resolve_keyword(parse_ctx *ctx, const json_t *item, const char *path,
                           filter_bits *out)
{
    const char *s = NULL;
    int idx = 0;

    if (get_string(ctx, item, path, &s) != 0) {
        return -1;
    }
    /* Unknown keywords are no error: they name no company keyword, so they
     * match nothing in containsAny/containsAll and exclude nothing in
     * containsNone. */
    idx = vocab_keyword_find(s);
    if (idx >= 0 && idx < VOCAB_MAX_KEYWORDS) {
        bits_set(out, (size_t)idx);
    }
    return 0;
}

static int resolve_country(parse_ctx *ctx, const json_t *item, const char *path,
                           filter_bits *out)
{
    const char *s = NULL;
    const vocab_region *region = NULL;
    int idx = 0;
    size_t i = 0;

    if (get_string(ctx, item, path, &s) != 0) {
        return -1;
    }
    idx = vocab_country_find(s);
    if (idx >= 0) {
        bits_set(out, (size_t)idx);
        return 0;
    }
    idx = vocab_region_find(s);
    if (idx < 0) {
        return fail(ctx, "%s: unknown country or region code \"%s\"; %s", path, s,
                    MSG_COUNTRY_EXPECTED);
    }
    region = &vocab_regions[idx];
    if (region->members == NULL) {
        if (warn(ctx, path, "region %s is not simulated; ignored", region->code) != 0) {
            return -1;
        }
        return 1;
    }
    for (i = 0; region->members[i] != NULL; i++) {
        int c = vocab_country_find(region->members[i]);
        if (c >= 0) {
            bits_set(out, (size_t)c);
        }
    }
    return 0;
}

static int resolve_industry(parse_ctx *ctx, const json_t *item, const char *path,
                            filter_bits *out)
{
    const char *s = NULL;
    int idx = 0;

    if (get_string(ctx, item, path, &s) != 0) {
        return -1;
    }
    idx = vocab_industry_find(s);
    if (idx < 0) {
        return fail(ctx,
                    "%s: unknown industry \"%s\"; expected one of the %d industriesV2 names "
                    "such as \"Artificial Intelligence\", or its slug such as "
                    "\"artificial-intelligence\"",
                    path, s, VOCAB_N_INDUSTRIES);
    }
    bits_set(out, (size_t)idx);
    return 0;
}

static int resolve_stage(parse_ctx *ctx, const json_t *item, const char *path, filter_bits *out)
{
    char names[512];
    const char *s = NULL;
    int idx = 0;

    if (get_string(ctx, item, path, &s) != 0) {
        return -1;
    }
    idx = vocab_stage_find(s);
    if (idx < 0) {
        join_names(names, sizeof names, vocab_stages, VOCAB_N_STAGES);
        return fail(ctx, "%s: unknown stage \"%s\"; expected one of %s", path, s, names);
    }
    bits_set(out, (size_t)idx);
    return 0;
}

static int resolve_tag(parse_ctx *ctx, const json_t *item, const char *path, filter_bits *out)
{
    char names[512];
    const char *s = NULL;
    int idx = 0;

    if (get_string(ctx, item, path, &s) != 0) {
        return -1;
    }
    idx = vocab_prospect_tag_find(s);
    if (idx < 0) {
        join_names(names, sizeof names, vocab_prospect_tags, VOCAB_N_PROSPECT_TAGS);
        return fail(ctx, "%s: unknown tag \"%s\"; expected one of %s", path, s, names);
    }
    bits_set(out, (size_t)idx);
    return 0;
}

/* jobTitleV2 items */

typedef enum title_item_type { TITLE_TERM, TITLE_STATIC, TITLE_DYNAMIC } title_item_type;

static const char *const title_item_types[] = {"term", "static-groups", "dynamic-groups"};

/* Members an item of each type may have; others are warned about. */
static const char *const title_item_members[][4] = {
    {"type", "term", NULL, NULL},
    {"type", "groups", NULL, NULL},
    {"type", "groups", "keywords", NULL},
};

static void term_titles(const char *term, filter_bits *out)
{
    size_t t = 0;

    for (t = 0; t < vocab_n_job_titles && t < VOCAB_MAX_JOB_TITLES; t++) {
        if (ci_contains(vocab_job_titles[t].title, term)) {
            bits_set(out, t);
        }
    }
}

/* Reads the "groups" member of a static-groups/dynamic-groups item into a
 * bit mask over the group table. */
static int parse_groups(parse_ctx *ctx, const json_t *item, const char *path,
                        title_item_type type, uint32_t *mask)
{
    char gpath[FILTER_PATH_MAX];
    char ipath[FILTER_PATH_MAX];
    char names[256];
    const json_t *groups = json_object_get(item, "groups");
    const char *const *table = type == TITLE_STATIC ? vocab_static_groups : vocab_dynamic_groups;
    size_t n_table = type == TITLE_STATIC ? VOCAB_N_STATIC_GROUPS : VOCAB_N_DYNAMIC_GROUPS;
    size_t i = 0;

    path_key(gpath, path, "groups");
    if (groups == NULL || json_is_null(groups)) {
        return fail(ctx, "%s: required for type \"%s\"; expected an array of group names", gpath,
                    title_item_types[type]);
    }
    if (check_array(ctx, groups, gpath, "an array of group names") != 0) {
        return -1;
    }
    *mask = 0;
    for (i = 0; i < json_array_size(groups); i++) {
        const char *s = NULL;
        int g = 0;

        path_index(ipath, gpath, i);
        if (get_string(ctx, json_array_get(groups, i), ipath, &s) != 0) {
            return -1;
        }
        g = type == TITLE_STATIC ? vocab_static_group_find(s) : vocab_dynamic_group_find(s);
        if (g < 0) {
            join_names(names, sizeof names, table, n_table);
            return fail(ctx, "%s: unknown %s group \"%s\"; expected one of %s", ipath,
                        type == TITLE_STATIC ? "static" : "dynamic", s, names);
        }
        *mask |= (uint32_t)1 << g;
    }
    return 0;
}

/* Optional "keywords" of a dynamic-groups item: titles must contain one. */
static int dynamic_keywords(parse_ctx *ctx, const json_t *item, const char *path,
                            const json_t **out)
{
    char kpath[FILTER_PATH_MAX];
    char ipath[FILTER_PATH_MAX];
    const json_t *kw = json_object_get(item, "keywords");
    size_t i = 0;

    *out = NULL;
    if (kw == NULL || json_is_null(kw)) {
        return 0;
    }
    path_key(kpath, path, "keywords");
    if (check_array(ctx, kw, kpath, "an array of strings") != 0) {
        return -1;
    }
    for (i = 0; i < json_array_size(kw); i++) {
        const char *s = NULL;

        path_index(ipath, kpath, i);
        if (get_string(ctx, json_array_get(kw, i), ipath, &s) != 0) {
            return -1;
        }
    }
    if (json_array_size(kw) > 0) {
        *out = kw;
    }
    return 0;
}

static int title_has_keyword(const char *title, const json_t *keywords)
{
    size_t i = 0;

    for (i = 0; i < json_array_size(keywords); i++) {
        if (ci_contains(title, json_string_value(json_array_get(keywords, i)))) {
            return 1;
        }
    }
    return 0;
}

static int resolve_title_object(parse_ctx *ctx, const json_t *item, const char *path,
                                filter_bits *out)
{
    char tpath[FILTER_PATH_MAX];
    const json_t *type_v = json_object_get(item, "type");
    const json_t *keywords = NULL;
    const char *type_s = NULL;
    title_item_type type = TITLE_TERM;
    uint32_t groups = 0;
    void *it = NULL;
    size_t i = 0;
    int found = 0;

    path_key(tpath, path, "type");
    if (type_v == NULL || json_is_null(type_v)) {
        return fail(ctx, "%s: required; expected \"term\", \"static-groups\" or "
                         "\"dynamic-groups\"", tpath);
    }
    if (get_string(ctx, type_v, tpath, &type_s) != 0) {
        return -1;
    }
    for (i = 0; i < sizeof title_item_types / sizeof title_item_types[0]; i++) {
        if (strcmp(type_s, title_item_types[i]) == 0) {
            type = (title_item_type)i;
            found = 1;
        }
    }
    if (!found) {
        return fail(ctx, "%s: unknown type \"%s\"; expected \"term\", \"static-groups\" or "
                         "\"dynamic-groups\"", tpath, type_s);
    }
    if (check_object_size(ctx, item, path) != 0) {
        return -1;
    }
    for (it = json_object_iter((json_t *)item); it != NULL;
         it = json_object_iter_next((json_t *)item, it)) {
        const char *name = member_name(it);
        int known = 0;

        for (i = 0; name != NULL && i < 4 && title_item_members[type][i] != NULL; i++) {
            if (strcmp(name, title_item_members[type][i]) == 0) {
                known = 1;
            }
        }
        if (!known && warn_unknown_member(ctx, path, it) != 0) {
            return -1;
        }
    }

    if (type == TITLE_TERM) {
        const json_t *term_v = json_object_get(item, "term");
        const char *term = NULL;
        char ppath[FILTER_PATH_MAX];

        path_key(ppath, path, "term");
        if (term_v == NULL || json_is_null(term_v)) {
            return fail(ctx, "%s: required for type \"term\"; expected a string", ppath);
        }
        if (get_string(ctx, term_v, ppath, &term) != 0) {
            return -1;
        }
        term_titles(term, out);
        return 0;
    }

    if (parse_groups(ctx, item, path, type, &groups) != 0) {
        return -1;
    }
    if (type == TITLE_DYNAMIC && dynamic_keywords(ctx, item, path, &keywords) != 0) {
        return -1;
    }
    for (i = 0; i < vocab_n_job_titles && i < VOCAB_MAX_JOB_TITLES; i++) {
        const vocab_job_title *t = &vocab_job_titles[i];
        int match = 0;

        if (type == TITLE_STATIC) {
            match = (t->static_groups & groups) != 0;
        } else {
            /* dynamic: the title's seniority is listed and, when keywords
             * are given, the title contains one of them */
            match = t->dynamic_group < 32 && ((groups >> t->dynamic_group) & 1u) != 0
                    && (keywords == NULL || title_has_keyword(t->title, keywords));
        }
        if (match) {
            bits_set(out, i);
        }
    }
    return 0;
}

static int resolve_title(parse_ctx *ctx, const json_t *item, const char *path, filter_bits *out)
{
    const char *term = NULL;

    if (json_is_string(item)) {
        if (get_string(ctx, item, path, &term) != 0) {
            return -1;
        }
        term_titles(term, out);
        return 0;
    }
    if (!json_is_object(item)) {
        return fail(ctx, "%s: expected a string or an object {type, ...}, got %s", path,
                    jsontype_name(item));
    }
    return resolve_title_object(ctx, item, path, out);
}

/* ---------------------------------------------------------------------- */
/* Range keys */

typedef struct bound_key {
    const char *name;
    int dialect;        /* 0: docs {min, max}; 1: the spec's bounds */
    int is_upper;
    int exclusive;      /* lower bound exclusive */
    int enumerated;     /* must be one of vocab_employee_bounds */
} bound_key;

typedef struct range_key {
    const char *forms[2];   /* "{min, max}", "{lowerBound, upperBound}" */
    const bound_key *keys;
    size_t n_keys;
} range_key;

static const bound_key employee_bound_keys[] = {
    {"min", 0, 0, 0, 0},
    {"max", 0, 1, 0, 0},
    {"lowerBoundExclusive", 1, 0, 1, 1},
    {"upperBoundInclusive", 1, 1, 0, 1},
};

static const range_key employee_range = {
    {"{min, max}", "{lowerBoundExclusive, upperBoundInclusive}"},
    employee_bound_keys,
    sizeof employee_bound_keys / sizeof employee_bound_keys[0],
};

static const bound_key years_bound_keys[] = {
    {"min", 0, 0, 0, 0},
    {"max", 0, 1, 0, 0},
    {"lowerBound", 1, 0, 0, 0},
    {"upperBound", 1, 1, 0, 0},
};

static const range_key years_range = {
    {"{min, max}", "{lowerBound, upperBound}"},
    years_bound_keys,
    sizeof years_bound_keys / sizeof years_bound_keys[0],
};

static int is_employee_bound(long long v)
{
    size_t i = 0;

    for (i = 0; i < VOCAB_N_EMPLOYEE_BOUNDS; i++) {
        if (vocab_employee_bounds[i] == v) {
            return 1;
        }
    }
    return 0;
}

static int fail_not_employee_bound(parse_ctx *ctx, const char *path, long long v)
{
    char list[128];
    size_t used = 0;
    size_t i = 0;

    list[0] = '\0';
    for (i = 0; i < VOCAB_N_EMPLOYEE_BOUNDS; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%d", i > 0 ? ", " : "",
                         vocab_employee_bounds[i]);
        if (w < 0 || (size_t)w >= sizeof list - used) {
            break;
        }
        used += (size_t)w;
    }
    return fail(ctx, "%s: expected one of %s, or null, got %lld", path, list, v);
}

/* Reads one bound. Returns 0 and sets *out, or -1. */
static int parse_bound(parse_ctx *ctx, const bound_key *bk, const json_t *v, const char *path,
                       long long *out)
{
    long long n = 0;

    if (!json_is_integer(v)) {
        return fail(ctx, "%s: expected a non-negative integer, got %s", path, jsontype_name(v));
    }
    n = (long long)json_integer_value(v);
    if (n < 0 || n > FILTER_MAX_INT) {
        return fail(ctx, "%s: expected a non-negative integer up to %lld, got %lld", path,
                    FILTER_MAX_INT, n);
    }
    if (bk->enumerated && !is_employee_bound(n)) {
        return fail_not_employee_bound(ctx, path, n);
    }
    *out = n;
    return 0;
}

/* Parses a range object into inclusive [*lo, *hi]; leaves them untouched
 * for open ends. */
static int parse_range(parse_ctx *ctx, const range_key *rk, const json_t *value,
                       const char *path, uint32_t *lo, uint32_t *hi)
{
    char child[FILTER_PATH_MAX];
    const bound_key *lo_key = NULL;
    const bound_key *hi_key = NULL;
    long long lo_v = 0;
    long long hi_v = 0;
    int seen[2] = {0, 0};
    void *it = NULL;

    if (!json_is_object(value)) {
        return fail(ctx, "%s: expected an object %s or %s, got %s", path, rk->forms[0],
                    rk->forms[1], jsontype_name(value));
    }
    if (check_object_size(ctx, value, path) != 0) {
        return -1;
    }
    for (it = json_object_iter((json_t *)value); it != NULL;
         it = json_object_iter_next((json_t *)value, it)) {
        const char *name = member_name(it);
        const json_t *v = json_object_iter_value(it);
        const bound_key *bk = NULL;
        long long n = 0;
        size_t i = 0;

        for (i = 0; name != NULL && i < rk->n_keys; i++) {
            if (strcmp(name, rk->keys[i].name) == 0) {
                bk = &rk->keys[i];
            }
        }
        if (bk == NULL) {
            if (warn_unknown_member(ctx, path, it) != 0) {
                return -1;
            }
            continue;
        }
        if (json_is_null(v)) {
            continue;   /* an open end */
        }
        path_key(child, path, bk->name);
        if (parse_bound(ctx, bk, v, child, &n) != 0) {
            return -1;
        }
        seen[bk->dialect] = 1;
        if (seen[0] && seen[1]) {
            return fail(ctx, "%s: expected either %s or %s, got members of both", path,
                        rk->forms[0], rk->forms[1]);
        }
        if (bk->is_upper) {
            hi_key = bk;
            hi_v = n;
        } else {
            lo_key = bk;
            lo_v = n;
        }
    }

    if (lo_key != NULL && hi_key != NULL) {
        if (lo_key->exclusive && lo_v >= hi_v) {
            return fail(ctx, "%s: %s (%lld) must be less than %s (%lld)", path, lo_key->name,
                        lo_v, hi_key->name, hi_v);
        }
        if (!lo_key->exclusive && lo_v > hi_v) {
            return fail(ctx, "%s: %s (%lld) must not be greater than %s (%lld)", path,
                        lo_key->name, lo_v, hi_key->name, hi_v);
        }
    }
    if (lo_key != NULL) {
        *lo = (uint32_t)(lo_key->exclusive ? lo_v + 1 : lo_v);
    }
    if (hi_key != NULL) {
        *hi = (uint32_t)hi_v;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Applied keys */

typedef int (*key_parser)(parse_ctx *ctx, const json_t *value, const char *path,
                          audience_filters *f);

typedef struct key_entry {
    const char *name;
    key_parser parse;
} key_entry;

static const op_name ops_contains[] = {
    {"containsAll", OP_ALL}, {"containsAny", OP_ANY}, {"containsNone", OP_NONE}};
static const op_name ops_any_none[] = {{"anyOf", OP_ANY}, {"noneOf", OP_NONE}};
static const op_name ops_any_none_all[] = {
    {"anyOf", OP_ANY}, {"noneOf", OP_NONE}, {"allOf", OP_ALL}};
static const op_name ops_title[] = {
    {"anyOf", OP_ANY}, {"noneOf", OP_NONE}, {"allOf", OP_ALL},
    {"included", OP_ANY}, {"excluded", OP_NONE}};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const set_key keywords_key = {
    "an array of strings or an object {containsAll, containsAny, containsNone}",
    ops_contains, ARRAY_LEN(ops_contains), resolve_keyword};
static const set_key country_key = {
    "an array of country codes or an object {anyOf, noneOf}",
    ops_any_none, ARRAY_LEN(ops_any_none), resolve_country};
static const set_key industry_key = {
    "an array of industries or an object {anyOf, noneOf, allOf}",
    ops_any_none_all, ARRAY_LEN(ops_any_none_all), resolve_industry};
static const set_key stage_key = {
    "an array of stages or an object {anyOf, noneOf}",
    ops_any_none, ARRAY_LEN(ops_any_none), resolve_stage};
static const set_key title_key = {
    "an object {included, excluded} or {anyOf, noneOf, allOf}",
    ops_title, ARRAY_LEN(ops_title), resolve_title};
static const set_key tags_key = {
    "an array of tags or an object {anyOf, allOf, noneOf}",
    ops_any_none_all, ARRAY_LEN(ops_any_none_all), resolve_tag};

static int parse_keywords(parse_ctx *ctx, const json_t *value, const char *path,
                          audience_filters *f)
{
    set_spec spec;

    if (parse_set(ctx, &keywords_key, value, path, &spec) != 0) {
        return -1;
    }
    f->company.kw_all = spec.all_union.w[0];
    f->company.kw_any = spec.any.w[0];
    f->company.kw_has_any = spec.has_any;
    f->company.kw_none = spec.none.w[0];
    if (spec.all_has_empty) {
        f->company.never = 1;   /* containsAll of a keyword no company has */
    }
    return 0;
}

static int parse_hq_country(parse_ctx *ctx, const json_t *value, const char *path,
                            audience_filters *f)
{
    set_spec spec;
    filter_bits ok;

    if (parse_set(ctx, &country_key, value, path, &spec) != 0) {
        return -1;
    }
    f->company.has_country = spec_allowed(&spec, &ok);
    memcpy(f->company.country_ok.w, ok.w, sizeof ok.w);
    return 0;
}

static int parse_employee_count(parse_ctx *ctx, const json_t *value, const char *path,
                                audience_filters *f)
{
    return parse_range(ctx, &employee_range, value, path, &f->company.emp_min,
                       &f->company.emp_max);
}

static int parse_industries(parse_ctx *ctx, const json_t *value, const char *path,
                            audience_filters *f)
{
    set_spec spec;

    if (parse_set(ctx, &industry_key, value, path, &spec) != 0) {
        return -1;
    }
    f->company.ind_all = spec.all_union.w[0];
    f->company.ind_any = spec.any.w[0];
    f->company.ind_has_any = spec.has_any;
    f->company.ind_none = spec.none.w[0];
    return 0;
}

static int parse_stage(parse_ctx *ctx, const json_t *value, const char *path,
                       audience_filters *f)
{
    set_spec spec;
    filter_bits ok;

    if (parse_set(ctx, &stage_key, value, path, &spec) != 0) {
        return -1;
    }
    f->company.has_stage = spec_allowed(&spec, &ok);
    f->company.stage_ok = (uint32_t)ok.w[0];
    return 0;
}

static int parse_job_title(parse_ctx *ctx, const json_t *value, const char *path,
                           audience_filters *f)
{
    set_spec spec;
    filter_bits ok;

    if (parse_set(ctx, &title_key, value, path, &spec) != 0) {
        return -1;
    }
    /* A prospect holds one title, so allOf is the intersection of its
     * items' title sets. */
    f->prospect.has_title = spec_allowed(&spec, &ok);
    f->prospect.title_ok[0] = ok.w[0];
    f->prospect.title_ok[1] = ok.w[1];
    return 0;
}

static int parse_prospect_country(parse_ctx *ctx, const json_t *value, const char *path,
                                  audience_filters *f)
{
    set_spec spec;
    filter_bits ok;

    if (parse_set(ctx, &country_key, value, path, &spec) != 0) {
        return -1;
    }
    f->prospect.has_country = spec_allowed(&spec, &ok);
    memcpy(f->prospect.country_ok.w, ok.w, sizeof ok.w);
    return 0;
}

static int parse_years(parse_ctx *ctx, const json_t *value, const char *path,
                       audience_filters *f)
{
    return parse_range(ctx, &years_range, value, path, &f->prospect.years_min,
                       &f->prospect.years_max);
}

static int parse_tags(parse_ctx *ctx, const json_t *value, const char *path,
                      audience_filters *f)
{
    set_spec spec;

    if (parse_set(ctx, &tags_key, value, path, &spec) != 0) {
        return -1;
    }
    f->prospect.tags_all = (uint32_t)spec.all_union.w[0];
    f->prospect.tags_any = (uint32_t)spec.any.w[0];
    f->prospect.tags_has_any = spec.has_any;
    f->prospect.tags_none = (uint32_t)spec.none.w[0];
    return 0;
}

static const key_entry company_keys[] = {
    {"keywords", parse_keywords},
    {"headquartersCountryCode", parse_hq_country},
    {"employeeCountV2", parse_employee_count},
    {"industriesV2", parse_industries},
    {"stage", parse_stage},
};

static const key_entry prospect_keys[] = {
    {"jobTitleV2", parse_job_title},
    {"country3LetterCode", parse_prospect_country},
    {"yearsOfExperience", parse_years},
    {"tags", parse_tags},
};

typedef struct side_def {
    const char *name;               /* "companySearchParams" */
    const key_entry *applied;
    size_t n_applied;
    const char *const *accepted;    /* every key of the real API */
    const size_t *n_accepted;
} side_def;

static const side_def company_side = {
    "companySearchParams", company_keys, ARRAY_LEN(company_keys),
    vocab_company_filter_keys, &vocab_n_company_filter_keys};

static const side_def prospect_side = {
    "prospectSearchParams", prospect_keys, ARRAY_LEN(prospect_keys),
    vocab_prospect_filter_keys, &vocab_n_prospect_filter_keys};

/* Exact (case-sensitive) membership in the real API's key list. */
static int is_accepted_key(const side_def *side, const char *name)
{
    size_t i = 0;

    for (i = 0; i < *side->n_accepted; i++) {
        if (strcmp(side->accepted[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int parse_side(parse_ctx *ctx, const side_def *side, const json_t *params,
                      audience_filters *f, size_t *n_keys)
{
    char path[FILTER_PATH_MAX];
    void *it = NULL;

    if (params == NULL || json_is_null(params)) {
        return 0;
    }
    if (!json_is_object(params)) {
        return fail(ctx, "%s: expected an object or null, got %s", side->name,
                    jsontype_name(params));
    }
    if (check_object_size(ctx, params, side->name) != 0) {
        return -1;
    }
    for (it = json_object_iter((json_t *)params); it != NULL;
         it = json_object_iter_next((json_t *)params, it)) {
        const char *name = member_name(it);
        const json_t *v = json_object_iter_value(it);
        const key_entry *entry = NULL;
        size_t i = 0;

        for (i = 0; name != NULL && i < side->n_applied; i++) {
            if (strcmp(name, side->applied[i].name) == 0) {
                entry = &side->applied[i];
            }
        }
        if (entry == NULL && (name == NULL || !is_accepted_key(side, name))) {
            if (warn_unknown_member(ctx, side->name, it) != 0) {
                return -1;
            }
            continue;
        }
        if (json_is_null(v)) {
            continue;
        }
        (*n_keys)++;
        path_key(path, side->name, name);
        if (entry == NULL) {
            if (warn(ctx, path, "%s", MSG_NOT_SIMULATED) != 0) {
                return -1;
            }
            continue;
        }
        if (entry->parse(ctx, v, path, f) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Public */

int filters_compile(const json_t *company_params, const json_t *prospect_params,
                    creation_method method, json_t **warnings, audience_filters **out,
                    char *err, size_t errlen)
{
    parse_ctx ctx;
    audience_filters *f = NULL;
    int rc = -1;

    ctx.warnings = NULL;
    ctx.n_strings = 0;
    ctx.err = err;
    ctx.errlen = errlen;

    if (vocab_n_countries > FILTER_MAX_COUNTRIES || vocab_n_job_titles > VOCAB_MAX_JOB_TITLES) {
        fail(&ctx, "internal error: the vocabulary outgrew the filter sets");
        goto out;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) {
        fail_oom(&ctx);
        goto out;
    }
    f->refs = 1;
    f->company.emp_max = UINT32_MAX;
    f->prospect.years_max = UINT32_MAX;

    if (method == CREATION_START_FROM_PROSPECTS && company_params != NULL
        && !json_is_null(company_params)) {
        /* Not applied, so not validated beyond its type. */
        if (!json_is_object(company_params)) {
            fail(&ctx, "%s: expected an object or null, got %s", company_side.name,
                 jsontype_name(company_params));
            goto out;
        }
        if (json_object_size(company_params) > 0
            && warn(&ctx, company_side.name,
                    "ignored: creationMethod is START_FROM_PROSPECTS") != 0) {
            goto out;
        }
    } else if (parse_side(&ctx, &company_side, company_params, f, &f->n_company_keys) != 0) {
        goto out;
    }
    if (parse_side(&ctx, &prospect_side, prospect_params, f, &f->n_prospect_keys) != 0) {
        goto out;
    }
    if (warnings != NULL && ctx.warnings != NULL) {
        if (*warnings == NULL) {
            *warnings = ctx.warnings;
            ctx.warnings = NULL;
        } else if (json_array_extend(*warnings, ctx.warnings) != 0) {
            fail_oom(&ctx);
            goto out;
        }
    }
    *out = f;
    f = NULL;
    rc = 0;
out:
    json_decref(ctx.warnings);
    free(f);
    return rc;
}

audience_filters *filters_retain(audience_filters *filters)
{
    if (filters != NULL)
        __atomic_add_fetch(&filters->refs, 1, __ATOMIC_RELAXED);
    return filters;
}

void filters_free(audience_filters *filters)
{
    if (filters != NULL && __atomic_sub_fetch(&filters->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(filters);
}

int filters_is_empty(const audience_filters *filters)
{
    if (filters == NULL) {
        return 1;
    }
    return filters->n_company_keys == 0 && filters->n_prospect_keys == 0;
}
