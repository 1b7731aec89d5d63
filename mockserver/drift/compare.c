#include "drift/compare.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_MAX_LEN 256
#define CSV_MAX_COLUMNS 512

static void copy_cut(char *out, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

void drift_diffs_add(drift_diffs *d, size_t entry, const char *endpoint, const char *path, const char *kind,
                     const char *recorded, const char *simulated)
{
    if (d->n == d->cap) {
        size_t cap = d->cap == 0 ? 16 : d->cap * 2;
        drift_diff *grown = realloc(d->items, cap * sizeof *grown);
        if (grown == NULL) {
            d->oom = 1;
            return;
        }
        d->items = grown;
        d->cap = cap;
    }
    drift_diff *x = &d->items[d->n++];
    memset(x, 0, sizeof *x);
    x->entry = entry;
    x->kind = kind;
    copy_cut(x->endpoint, sizeof x->endpoint, endpoint);
    copy_cut(x->path, sizeof x->path, path);
    copy_cut(x->recorded, sizeof x->recorded, recorded);
    copy_cut(x->simulated, sizeof x->simulated, simulated);
}

void drift_diffs_release(drift_diffs *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static int all_of(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || strchr(set, s[i]) == NULL)
            return 0;
    }
    return 1;
}

#define DIGITS "0123456789"
#define HEX "0123456789abcdefABCDEF"

static int is_uuid(const char *s)
{
    return strlen(s) == 36 && all_of(s, 8, HEX) && s[8] == '-' && all_of(s + 9, 4, HEX) && s[13] == '-' &&
           all_of(s + 14, 4, HEX) && s[18] == '-' && all_of(s + 19, 4, HEX) && s[23] == '-' &&
           all_of(s + 24, 12, HEX);
}

/* "aud_2x9..." -> prefix "aud_": lowercase letters, '_', then at least
 * one letter or digit, nothing else. */
static size_t id_prefix(const char *s)
{
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i == 0 || i > 12 || s[i] != '_' || s[i + 1] == '\0')
        return 0;
    for (const char *p = s + i + 1; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return 0;
    }
    return i + 1;
}

static int is_email(const char *s)
{
    const char *at = strchr(s, '@');
    return at != NULL && at != s && strchr(at, '.') != NULL && strchr(s, ' ') == NULL;
}

void drift_format_of(const char *s, char *out, size_t size)
{
    size_t len = strlen(s);
    if (len >= 20 && all_of(s, 4, DIGITS) && s[4] == '-' && all_of(s + 5, 2, DIGITS) && s[7] == '-' &&
        all_of(s + 8, 2, DIGITS) && s[10] == 'T') {
        int ms = len == 24 && s[19] == '.' && all_of(s + 20, 3, DIGITS) && s[23] == 'Z';
        snprintf(out, size, ms ? "timestamp (ISO 8601 UTC, ms)" : "timestamp (ISO 8601, not UTC with ms)");
    } else if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) {
        snprintf(out, size, "URL");
    } else if (is_uuid(s)) {
        snprintf(out, size, "UUID");
    } else if (id_prefix(s) > 0) {
        snprintf(out, size, "id %.*s", (int)id_prefix(s), s);
    } else if (is_email(s)) {
        snprintf(out, size, "e-mail");
    } else if (len == 0) {
        snprintf(out, size, "empty string");
    } else {
        snprintf(out, size, "text");
    }
}

/* Fields whose values are an enumeration: compared by value. */
static int is_enum(const char *name, const char *parent)
{
    static const char *const plain[] = {"status", "currentStage", "creationMethod", "format"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (strcmp(name, plain[i]) == 0)
            return 1;
    }
    return (strcmp(name, "method") == 0 && strcmp(parent, "chargeInfo") == 0) ||
           (strcmp(name, "code") == 0 && strcmp(parent, "error") == 0);
}

/* Both values are documented steps of the same lifecycle (docs/DRIFT.md,
 * "progress"): the answers differ in how far the work had got, not in
 * what the service may say. */
static int is_progress(const char *name, const json_t *rec, const json_t *sim)
{
    static const char *const audience[] = {"DRAFT", "BUILDING", "SAVING_COMPANIES", "SAVING_PROSPECTS",
                                           "LINKING_PROSPECTS_WITH_COMPANIES", "HEALING_COMPANIES", "NORMAL",
                                           "FAILED", NULL};
    static const char *const stage[] = {"NOT_STARTED", "STARTED", "RUNNING_SALES_NAV", "RUNNING_LIVE_ENRICH",
                                        "RESUBMITTING_AUDIENCE", "CLEANING_NAMES", "FETCHING_CONTACT_DETAILS",
                                        "VALIDATING_CONTACT_DETAILS", "EXPORTING_CSV", "DONE", "FAILED", NULL};
    const char *const *set = strcmp(name, "status") == 0 ? audience : strcmp(name, "currentStage") == 0 ? stage : NULL;
    if (set == NULL || !json_is_string(rec) || !json_is_string(sim))
        return 0;
    int found = 0;
    for (size_t i = 0; set[i] != NULL; i++) {
        found += strcmp(set[i], json_string_value(rec)) == 0;
        found += strcmp(set[i], json_string_value(sim)) == 0;
    }
    return found == 2;
}

/* A short rendering of a value for a report. */
static void render(const json_t *v, char *out, size_t size)
{
    if (v == NULL) {
        snprintf(out, size, "(absent)");
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL) {
        snprintf(out, size, "?");
        return;
    }
    if (strlen(text) >= size && size > 4)
        snprintf(out, size, "%.*s...", (int)size - 4, text);
    else
        snprintf(out, size, "%s", text);
    free(text);
}

static void add(drift_compare *c, const char *path, const char *kind, const char *rec, const char *sim)
{
    drift_diffs_add(c->diffs, c->entry, c->endpoint, path[0] != '\0' ? path : "(body)", kind, rec, sim);
}

static void compare_node(drift_compare *c, char *path, size_t len, const char *name, const char *parent,
                         const json_t *rec, const json_t *sim);

/* Appends ".name" or "[i]" to path; returns the new length (unchanged
 * when it would not fit, which then reads as the parent's path). */
static size_t push(char *path, size_t len, const char *name, long index)
{
    int n = index >= 0 ? snprintf(path + len, PATH_MAX_LEN - len, "[%ld]", index)
                       : snprintf(path + len, PATH_MAX_LEN - len, "%s%s", len > 0 ? "." : "", name);
    if (n < 0 || (size_t)n >= PATH_MAX_LEN - len) {
        path[len] = '\0';
        return len;
    }
    return len + (size_t)n;
}

static void compare_object(drift_compare *c, char *path, size_t len, const char *self, const json_t *rec,
                           const json_t *sim)
{
    const char *key = NULL;
    json_t *value = NULL;
    char shown[200];
    json_object_foreach((json_t *)rec, key, value) {
        size_t sub = push(path, len, key, -1);
        json_t *other = json_object_get(sim, key);
        if (other == NULL) {
            render(value, shown, sizeof shown);
            add(c, path, "missing", shown, "(absent)");
        } else {
            compare_node(c, path, sub, key, self, value, other);
        }
        path[len] = '\0';
    }
    json_object_foreach((json_t *)sim, key, value) {
        if (json_object_get(rec, key) != NULL)
            continue;
        push(path, len, key, -1);
        render(value, shown, sizeof shown);
        add(c, path, "extra", "(absent)", shown);
        path[len] = '\0';
    }
}

static void learn_id(drift_compare *c, const char *rec, const char *sim, const char *format)
{
    if (strcmp(rec, sim) == 0)
        return;
    if (strncmp(format, "id ", 3) == 0 || strcmp(format, "URL") == 0 || strcmp(format, "UUID") == 0)
        idmap_put(c->ids, rec, sim);
}

static void compare_node(drift_compare *c, char *path, size_t len, const char *name, const char *parent,
                         const json_t *rec, const json_t *sim)
{
    char a[200];
    char b[200];
    const char *rec_type = type_name(rec);
    const char *sim_type = type_name(sim);
    if (rec_type != sim_type) { /* the same static strings */
        snprintf(a, sizeof a, "%s ", type_name(rec));
        render(rec, a + strlen(a), sizeof a - strlen(a));
        snprintf(b, sizeof b, "%s ", type_name(sim));
        render(sim, b + strlen(b), sizeof b - strlen(b));
        add(c, path, "type", a, b);
        return;
    }
    if (json_is_object(rec)) {
        compare_object(c, path, len, name, rec, sim);
    } else if (json_is_array(rec)) {
        size_t n = json_array_size(rec) < json_array_size(sim) ? json_array_size(rec) : json_array_size(sim);
        for (size_t i = 0; i < n; i++) {
            size_t sub = push(path, len, "", (long)i);
            compare_node(c, path, sub, name, parent, json_array_get(rec, i), json_array_get(sim, i));
            path[len] = '\0';
        }
    } else if (is_enum(name, parent)) {
        if (!json_equal((json_t *)rec, (json_t *)sim)) {
            render(rec, a, sizeof a);
            render(sim, b, sizeof b);
            add(c, path, is_progress(name, rec, sim) ? "progress" : "value", a, b);
        }
    } else if (json_is_string(rec)) {
        drift_format_of(json_string_value(rec), a, sizeof a);
        drift_format_of(json_string_value(sim), b, sizeof b);
        if (strcmp(a, b) != 0) {
            char ra[320];
            char rb[320];
            render(rec, ra, 100);
            render(sim, rb, 100);
            snprintf(ra + strlen(ra), sizeof ra - strlen(ra), " (%.80s)", a);
            snprintf(rb + strlen(rb), sizeof rb - strlen(rb), " (%.80s)", b);
            add(c, path, "format", ra, rb);
        } else {
            learn_id(c, json_string_value(rec), json_string_value(sim), a);
        }
    }
}

void drift_compare_json(drift_compare *c, const json_t *recorded, const json_t *simulated)
{
    char path[PATH_MAX_LEN] = "";
    if (recorded == NULL && simulated == NULL)
        return;
    if (recorded == NULL || simulated == NULL) {
        char a[200];
        char b[200];
        render(recorded, a, sizeof a);
        render(simulated, b, sizeof b);
        add(c, "(body)", recorded == NULL ? "extra" : "missing", a, b);
        return;
    }
    compare_node(c, path, 0, "", "", recorded, simulated);
}

/* "application/json; charset=utf-8" -> "application/json" */
static void media_type(const char *value, char *out, size_t size)
{
    size_t n = strcspn(value, ";");
    while (n > 0 && value[n - 1] == ' ')
        n--;
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)value[i]);
    out[n] = '\0';
}

static const char *retry_unit(const char *value)
{
    size_t n = strlen(value);
    return n > 0 && all_of(value, n, DIGITS) ? "seconds" : "HTTP date or other";
}

/* The methods of an Allow value, sorted, into out ("GET, POST"). */
static void method_set(const char *value, char *out, size_t size)
{
    char items[16][16];
    size_t n = 0;
    const char *p = value;
    while (*p != '\0' && n < 16) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == 0)
            break;
        snprintf(items[n++], sizeof items[0], "%.*s", (int)len, p);
        p += len;
    }
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
            char tmp[16];
            memcpy(tmp, items[j], sizeof tmp);
            memcpy(items[j], items[j - 1], sizeof tmp);
            memcpy(items[j - 1], tmp, sizeof tmp);
        }
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i > 0 ? ", " : "", items[i]);
}

static void presence(drift_compare *c, const char *path, const char *rec, const char *sim)
{
    if (rec != NULL && sim == NULL)
        add(c, path, "missing", rec, "(absent)");
    else if (rec == NULL && sim != NULL)
        add(c, path, "extra", "(absent)", sim);
}

static void retry_unit_of(const char *value, char *out, size_t size)
{
    snprintf(out, size, "%s", retry_unit(value));
}

/* One header: present on both sides or neither, and the same once
 * normalised (media type, unit, method set). */
static void compare_header(drift_compare *c, const char *path, const char *rec, const char *sim,
                           void (*normalise)(const char *value, char *out, size_t size))
{
    presence(c, path, rec, sim);
    if (rec == NULL || sim == NULL)
        return;
    char a[128];
    char b[128];
    normalise(rec, a, sizeof a);
    normalise(sim, b, sizeof b);
    if (strcmp(a, b) != 0) {
        char ra[200];
        char rb[200];
        snprintf(ra, sizeof ra, "%.60s (%s)", rec, a);
        snprintf(rb, sizeof rb, "%.60s (%s)", sim, b);
        add(c, path, "header", ra, rb);
    }
}

void drift_compare_headers(drift_compare *c, const char *rec_type, const char *rec_retry, const char *rec_allow,
                           const char *sim_type, const char *sim_retry, const char *sim_allow)
{
    compare_header(c, "headers.Content-Type", rec_type, sim_type, media_type);
    compare_header(c, "headers.Retry-After", rec_retry, sim_retry, retry_unit_of);
    compare_header(c, "headers.Allow", rec_allow, sim_allow, method_set);
}

/* Splits the first row of a CSV into columns (quotes removed). */
static size_t csv_header(const char *text, char cols[][96], size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (n < max) {
        size_t len = 0;
        if (*p == '"') {
            p++;
            while (*p != '\0' && !(*p == '"' && p[1] != '"')) {
                if (len < 95)
                    cols[n][len++] = *p;
                p += *p == '"' ? 2 : 1;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p != '\0' && *p != ',' && *p != '\r' && *p != '\n') {
                if (len < 95)
                    cols[n][len++] = *p;
                p++;
            }
        }
        cols[n][len] = '\0';
        n++;
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

void drift_compare_csv_columns(drift_compare *c, const char *recorded, const char *simulated)
{
    static char rec[CSV_MAX_COLUMNS][96];
    static char sim[CSV_MAX_COLUMNS][96];
    size_t nr = csv_header(recorded, rec, CSV_MAX_COLUMNS);
    size_t ns = csv_header(simulated, sim, CSV_MAX_COLUMNS);
    char path[64];
    size_t n = nr > ns ? nr : ns;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "csv.columns[%zu]", i);
        if (i >= ns)
            add(c, path, "csv-column", rec[i], "(absent)");
        else if (i >= nr)
            add(c, path, "csv-column", "(absent)", sim[i]);
        else if (strcmp(rec[i], sim[i]) != 0)
            add(c, path, "csv-column", rec[i], sim[i]);
    }
}
