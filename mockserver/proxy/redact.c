#include "proxy/redact.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct redactor {
    pthread_mutex_t lock;        /* guards keys and n_keys */
    char **keys;                 /* distinct keys, in order of first sight */
    size_t n_keys;
    size_t cap;
};

/* Keys shorter than this are not searched for inside other strings: a
 * placeholder for "ab" would eat every "ab" of a recording. Such a key
 * is still replaced where it stands as an apiKey value. */
#define REDACT_MIN_SCAN_KEY 6

redactor *redactor_new(void)
{
    redactor *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void redactor_free(redactor *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_keys; i++)
        free(r->keys[i]);
    free(r->keys);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int redact_key(redactor *r, const char *key, char out[32])
{
    if (key[0] == '\0') {
        out[0] = '\0';
        return 0;
    }
    int rc = 0;
    size_t index = 0;
    pthread_mutex_lock(&r->lock);
    while (index < r->n_keys && strcmp(r->keys[index], key) != 0)
        index++;
    if (index == r->n_keys) {
        if (r->n_keys == REDACT_MAX_KEYS) {
            rc = -1;
            goto out;
        }
        if (r->n_keys == r->cap) {
            size_t cap = r->cap == 0 ? 8 : r->cap * 2;
            char **grown = realloc(r->keys, cap * sizeof *grown);
            if (grown == NULL) {
                rc = -1;
                goto out;
            }
            r->keys = grown;
            r->cap = cap;
        }
        r->keys[index] = strdup(key);
        if (r->keys[index] == NULL) {
            rc = -1;
            goto out;
        }
        r->n_keys++;
    }
out:
    pthread_mutex_unlock(&r->lock);
    if (rc != 0)
        memcpy(out, "<key-?>", 8);
    else
        snprintf(out, 32, "<key-%zu>", index + 1);
    return rc;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_local_char(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_domain_char(char c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

void redact_emails(char *text, size_t len)
{
    for (size_t at = 0; at < len; at++) {
        if (text[at] != '@')
            continue;
        size_t start = at;
        while (start > 0 && is_local_char(text[start - 1]))
            start--;
        size_t end = at + 1;
        size_t last_dot = 0;
        while (end < len && is_domain_char(text[end])) {
            if (text[end] == '.')
                last_dot = end;
            end++;
        }
        /* local@label.tld, the top-level label of two letters or more */
        if (start == at || last_dot <= at + 1 || end - last_dot < 3)
            continue;
        for (size_t i = start; i < end; i++) {
            if (is_alnum(text[i]))
                text[i] = 'x';
        }
        at = end - 1;
    }
}

int redact_is_phone(const char *s, size_t len)
{
    size_t digits = 0;
    if (len == 0 || !(s[0] == '+' || s[0] == '(' || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c != '+' && c != '(' && c != ')' && c != '-' && c != '.' && c != ' ')
            return 0;
    }
    /* 2025-01-01 is a date, not a number to hide */
    if (len >= 10 && s[4] == '-' && s[7] == '-')
        return 0;
    return digits >= 7 && digits <= 15;
}

static void mask_digits(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            s[i] = '0';
    }
}

/* Applies the in-place string rules to one JSON string; a field named
 * userEmail is masked whole. */
static void redact_string(json_t *value, int is_user_email)
{
    const char *s = json_string_value(value);
    size_t len = json_string_length(value);
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, s, len + 1);
    if (is_user_email) {
        for (size_t i = 0; i < len; i++) {
            if (is_alnum(copy[i]))
                copy[i] = 'x';
        }
    } else {
        redact_emails(copy, len);
        if (redact_is_phone(copy, len))
            mask_digits(copy, len);
    }
    if (memcmp(copy, s, len) != 0)
        json_string_setn(value, copy, len);
    free(copy);
}

void redact_json(redactor *r, json_t *root)
{
    if (json_is_object(root)) {
        const char *name = NULL;
        json_t *value = NULL;
        json_object_foreach(root, name, value) {
            if (strcmp(name, "apiKey") == 0 && json_is_string(value)) {
                char placeholder[32];
                redact_key(r, json_string_value(value), placeholder);
                json_string_set(value, placeholder);
            } else if (json_is_string(value)) {
                redact_string(value, strcmp(name, "userEmail") == 0);
            } else {
                redact_json(r, value);
            }
        }
    } else if (json_is_array(root)) {
        size_t i = 0;
        json_t *value = NULL;
        json_array_foreach(root, i, value) {
            if (json_is_string(value))
                redact_string(value, 0);
            else
                redact_json(r, value);
        }
    }
}

void redact_csv(char *text, size_t len)
{
    size_t i = 0;
    int header = 1;
    while (i < len) {
        /* one cell: [start, end) is its content */
        size_t start = i;
        size_t end = i;
        if (text[i] == '"') {
            start = ++i;
            while (i < len && !(text[i] == '"' && (i + 1 >= len || text[i + 1] != '"')))
                i += text[i] == '"' ? 2 : 1;
            end = i < len ? i : len;
            if (i < len)
                i++; /* the closing quote */
        } else {
            while (i < len && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
                i++;
            end = i;
        }
        if (!header) {
            redact_emails(text + start, end - start);
            if (redact_is_phone(text + start, end - start))
                mask_digits(text + start, end - start);
        }
        if (i < len && text[i] == ',') {
            i++;
        } else {
            while (i < len && (text[i] == '\r' || text[i] == '\n'))
                i++;
            header = 0;
        }
    }
}

/* Replaces each occurrence of every scanned key in *s; returns 0 or -1. */
static int replace_keys(redactor *r, json_t *value)
{
    const char *s = json_string_value(value);
    int rc = 0;
    char *work = NULL;
    for (size_t k = 0; k < r->n_keys; k++) {
        const char *key = r->keys[k];
        size_t key_len = strlen(key);
        const char *from = work != NULL ? work : s;
        if (key_len < REDACT_MIN_SCAN_KEY || strstr(from, key) == NULL)
            continue;
        char placeholder[32];
        snprintf(placeholder, sizeof placeholder, "<key-%zu>", k + 1);
        size_t ph_len = strlen(placeholder);
        size_t n = 0;
        for (const char *p = strstr(from, key); p != NULL; p = strstr(p + key_len, key))
            n++;
        size_t from_len = strlen(from);
        char *next = malloc(from_len + n * ph_len + 1);
        if (next == NULL) {
            rc = -1;
            goto out;
        }
        char *o = next;
        const char *p = from;
        for (const char *hit = strstr(p, key); hit != NULL; hit = strstr(p, key)) {
            memcpy(o, p, (size_t)(hit - p));
            o += hit - p;
            memcpy(o, placeholder, ph_len);
            o += ph_len;
            p = hit + key_len;
        }
        strcpy(o, p);
        free(work);
        work = next;
    }
    if (work != NULL && json_string_set(value, work) != 0)
        rc = -1;
out:
    free(work);
    return rc;
}

static int entry_walk(redactor *r, json_t *node)
{
    if (json_is_string(node)) {
        size_t len = json_string_length(node);
        const char *s = json_string_value(node);
        if (memchr(s, '@', len) != NULL) {
            char *copy = malloc(len + 1);
            if (copy == NULL)
                return -1;
            memcpy(copy, s, len + 1);
            redact_emails(copy, len);
            int rc = json_string_setn(node, copy, len);
            free(copy);
            if (rc != 0)
                return -1;
        }
        return replace_keys(r, node);
    }
    if (json_is_object(node)) {
        const char *name = NULL;
        json_t *value = NULL;
        json_object_foreach(node, name, value) {
            if (entry_walk(r, value) != 0)
                return -1;
        }
    } else if (json_is_array(node)) {
        size_t i = 0;
        json_t *value = NULL;
        json_array_foreach(node, i, value) {
            if (entry_walk(r, value) != 0)
                return -1;
        }
    }
    return 0;
}

int redact_entry_strings(redactor *r, json_t *entry)
{
    pthread_mutex_lock(&r->lock);
    int rc = entry_walk(r, entry);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int redact_is_secret_header(const char *name)
{
    static const char *const secret[] = {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Mock-Admin-Token",
    };
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        if (strcasecmp(name, secret[i]) == 0)
            return 1;
    }
    return 0;
}
