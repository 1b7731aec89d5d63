#include "drift/known.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Matches text against pattern, where only '*' is special (any run of
 * characters): paths hold brackets ("csv.columns[3]") that fnmatch would
 * read as character classes. */
static int glob_match(const char *pattern, const char *text)
{
    if (*pattern == '\0')
        return *text == '\0';
    if (*pattern == '*') {
        for (const char *t = text;; t++) {
            if (glob_match(pattern + 1, t))
                return 1;
            if (*t == '\0')
                return 0;
        }
    }
    return *text == *pattern && glob_match(pattern + 1, text + 1);
}

int drift_known_load(const char *path, drift_known *known, char *err, size_t errlen)
{
    memset(known, 0, sizeof *known);
    json_error_t jerr;
    known->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (known->doc == NULL) {
        snprintf(err, errlen, "--known %s: %s (line %d)", path, jerr.text, jerr.line);
        return -1;
    }
    json_t *list = json_object_get(known->doc, "divergences");
    if (!json_is_array(list)) {
        snprintf(err, errlen, "--known %s: expected {\"divergences\": [{endpoint, path, kind?, reason}, ...]}", path);
        goto fail;
    }
    known->n = json_array_size(list);
    known->items = calloc(known->n + 1, sizeof *known->items);
    if (known->items == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < known->n; i++) {
        json_t *item = json_array_get(list, i);
        drift_known_item *k = &known->items[i];
        k->endpoint = json_string_value(json_object_get(item, "endpoint"));
        k->path = json_string_value(json_object_get(item, "path"));
        k->kind = json_string_value(json_object_get(item, "kind"));
        k->reason = json_string_value(json_object_get(item, "reason"));
        const char *missing = k->endpoint == NULL ? "endpoint" : k->path == NULL ? "path"
                            : k->reason == NULL || k->reason[0] == '\0' ? "reason" : NULL;
        if (missing != NULL) {
            snprintf(err, errlen, "--known %s: divergences[%zu].%s is missing (expected a string%s)", path, i,
                     missing, strcmp(missing, "reason") == 0 ? ": why the divergence is accepted" : "");
            goto fail;
        }
        if (json_object_get(item, "kind") != NULL && k->kind == NULL) {
            snprintf(err, errlen, "--known %s: divergences[%zu].kind is not a string", path, i);
            goto fail;
        }
    }
    return 0;
fail:
    drift_known_free(known);
    return -1;
}

void drift_known_apply(drift_known *known, drift_diffs *diffs)
{
    for (size_t d = 0; d < diffs->n; d++) {
        drift_diff *x = &diffs->items[d];
        for (size_t i = 0; i < known->n && x->known_reason == NULL; i++) {
            drift_known_item *k = &known->items[i];
            if (glob_match(k->endpoint, x->endpoint) && glob_match(k->path, x->path) &&
                (k->kind == NULL || strcmp(k->kind, x->kind) == 0)) {
                x->known_reason = k->reason;
                k->used++;
            }
        }
    }
}

void drift_known_free(drift_known *known)
{
    if (known == NULL)
        return;
    free(known->items);
    json_decref(known->doc);
    memset(known, 0, sizeof *known);
}
