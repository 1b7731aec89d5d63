#include "sim/faults.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/mix.h"
#include "text/glob.h"

/* Most rules at once: bounded memory, and a linear scan per request stays
 * cheap. */
#define FAULTS_MAX_RULES 256
#define FAULT_MAX_LATENCY_MS 60000

typedef struct fault_rule {
    uint64_t id;
    char *method;                /* NULL: any */
    char *path;                  /* NULL: any */
    glob *path_glob;             /* path compiled; immutable once added */
    char *key;                   /* NULL: any */
    uint64_t after;
    uint64_t times;              /* 0: unlimited */
    double probability;          /* 1: always */
    uint64_t rng;                /* PRNG state */
    uint64_t seen;               /* matching requests */
    uint64_t fired;
    fault_decision action;
    json_t *json;                /* as given, with "id" */
    /* Deciders match with no lock held, on rules they pinned: a rule
     * removed meanwhile is freed by the last one to let go of it. */
    unsigned pins;               /* lock held */
    int removed;                 /* lock held */
    struct fault_rule *next;
} fault_rule;

struct faults {
    pthread_mutex_t lock;
    fault_rule *rules;           /* creation order */
    size_t n_rules;
    uint64_t next_id;
    double chaos_rate;
    uint64_t chaos_seed;
    uint64_t chaos_seq;          /* requests seen by chaos */
    /* Nonzero when any rule exists or chaos is on; read without the lock so
     * that a server with no faults pays nothing per request. */
    atomic_int armed;
};

/* Lock held. */
static void update_armed(faults *f)
{
    atomic_store(&f->armed, f->n_rules > 0 || f->chaos_rate > 0);
}

/* Uniform in [0, 1). */
static double unit_from(uint64_t bits)
{
    return (double)(bits >> 11) * (1.0 / 9007199254740992.0);
}

faults *faults_new(double chaos_rate, uint64_t chaos_seed)
{
    faults *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    f->chaos_rate = chaos_rate;
    f->chaos_seed = chaos_seed;
    update_armed(f);
    return f;
}

static void rule_free(fault_rule *rule)
{
    if (rule == NULL)
        return;
    free(rule->method);
    free(rule->path);
    glob_free(rule->path_glob);
    free(rule->key);
    json_decref(rule->json);
    free(rule);
}

/* Lock held. Unlinked rule: frees it now, or marks it for the last
 * decider that pinned it. */
static void rule_release(fault_rule *rule)
{
    rule->removed = 1;
    if (rule->pins == 0)
        rule_free(rule);
}

void faults_clear(faults *f)
{
    pthread_mutex_lock(&f->lock);
    fault_rule *rule = f->rules;
    while (rule != NULL) {
        fault_rule *next = rule->next;
        rule_release(rule);
        rule = next;
    }
    f->rules = NULL;
    f->n_rules = 0;
    f->chaos_seq = 0;
    update_armed(f);
    pthread_mutex_unlock(&f->lock);
}

void faults_free(faults *f)
{
    if (f == NULL)
        return;
    faults_clear(f);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

void faults_set_chaos(faults *f, double rate, uint64_t seed)
{
    pthread_mutex_lock(&f->lock);
    f->chaos_rate = rate;
    f->chaos_seed = seed;
    f->chaos_seq = 0;
    update_armed(f);
    pthread_mutex_unlock(&f->lock);
}

/* --- names ------------------------------------------------------------------ */

static const char *const fault_type_names[] = {
    [FAULT_NONE] = "none", [FAULT_STATUS] = "status", [FAULT_LATENCY] = "latency", [FAULT_DROP] = "drop",
    [FAULT_RESET] = "reset", [FAULT_FAIL_BUILD] = "fail-build", [FAULT_FAIL_ENRICHMENT] = "fail-enrichment",
    [FAULT_HOLD] = "hold",
};

const char *fault_type_name(fault_type type)
{
    return fault_type_names[type];
}

int fault_type_from_name(const char *name, fault_type *out)
{
    for (size_t i = FAULT_STATUS; name != NULL && i < sizeof fault_type_names / sizeof fault_type_names[0]; i++) {
        if (strcmp(fault_type_names[i], name) == 0) {
            *out = (fault_type)i;
            return 0;
        }
    }
    return -1;
}

/* --- parsing rules -------------------------------------------------------- */

/* Writes the message into err and returns -1, for `return fail(...)`. */
static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int opt_string(const json_t *obj, const char *name, const char *path, size_t max,
                      char **out, char *err, size_t errlen)
{
    json_t *value = json_object_get(obj, name);
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_string(value) || json_string_length(value) == 0 || json_string_length(value) > max)
        return fail(err, errlen, "%s.%s: expected a non-empty string of at most %zu bytes", path, name, max);
    *out = strdup(json_string_value(value));
    if (*out == NULL)
        return fail(err, errlen, "out of memory");
    return 0;
}

static int opt_count(const json_t *obj, const char *name, uint64_t *out, char *err, size_t errlen)
{
    json_t *value = json_object_get(obj, name);
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        return fail(err, errlen, "%s: expected a non-negative integer", name);
    *out = (uint64_t)json_integer_value(value);
    return 0;
}

static int opt_ms(const json_t *action, const char *name, int64_t *out, char *err, size_t errlen)
{
    json_t *value = json_object_get(action, name);
    if (value == NULL)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < 0 || json_integer_value(value) > FAULT_MAX_LATENCY_MS)
        return fail(err, errlen, "action.%s: expected an integer from 0 to %d", name, FAULT_MAX_LATENCY_MS);
    *out = json_integer_value(value);
    return 0;
}

static const unsigned allowed_statuses[] = {400, 401, 403, 404, 429, 500, 502, 503};

static const char *default_message(unsigned status)
{
    switch (status) {
    case 400: return "Injected fault: bad request.";
    case 401: return "Invalid API key.";
    case 403: return "Injected fault: forbidden.";
    case 404: return "Injected fault: not found.";
    case 429: return "Injected fault: rate limit exceeded.";
    case 500: return "Injected fault: internal server error.";
    case 502: return "Injected fault: bad gateway.";
    default: return "Injected fault: service unavailable.";
    }
}

static int parse_status(const json_t *action, fault_decision *d, char *err, size_t errlen)
{
    json_t *status = json_object_get(action, "status");
    int ok = 0;
    for (size_t i = 0; json_is_integer(status) && i < sizeof allowed_statuses / sizeof allowed_statuses[0]; i++)
        ok |= json_integer_value(status) == allowed_statuses[i];
    if (!ok)
        return fail(err, errlen, "action.status: expected one of 400, 401, 403, 404, 429, 500, 502, 503");
    d->status = (unsigned)json_integer_value(status);
    json_t *retry = json_object_get(action, "retryAfter");
    d->retry_after = d->status == 429 || d->status == 503 ? 1 : 0;
    if (retry != NULL) {
        if (!json_is_integer(retry) || json_integer_value(retry) < 0 || json_integer_value(retry) > 86400)
            return fail(err, errlen, "action.retryAfter: expected seconds from 0 to 86400");
        d->retry_after = (int)json_integer_value(retry);
    }
    json_t *message = json_object_get(action, "message");
    if (message != NULL && (!json_is_string(message) || json_string_length(message) >= sizeof d->message))
        return fail(err, errlen, "action.message: expected a string of fewer than %zu bytes", sizeof d->message);
    snprintf(d->message, sizeof d->message, "%s", message != NULL ? json_string_value(message) : default_message(d->status));
    return 0;
}

static int parse_latency(const json_t *action, fault_decision *d, int64_t *min_ms, int64_t *max_ms,
                         char *err, size_t errlen)
{
    int64_t ms = -1;
    if (opt_ms(action, "ms", &ms, err, errlen) != 0 || opt_ms(action, "minMs", min_ms, err, errlen) != 0 ||
        opt_ms(action, "maxMs", max_ms, err, errlen) != 0)
        return -1;
    if (ms >= 0) {
        *min_ms = ms;
        *max_ms = ms;
    }
    if (*max_ms < 0 || *min_ms < 0 || *min_ms > *max_ms)
        return fail(err, errlen, "action: latency needs \"ms\", or \"minMs\" <= \"maxMs\"");
    d->delay_ms = *min_ms;
    return 0;
}

static int parse_when(const json_t *action, fault_decision *d, char *err, size_t errlen)
{
    const char *when = json_string_value(json_object_get(action, "when"));
    if (json_object_get(action, "when") == NULL || (when != NULL && strcmp(when, "before") == 0))
        return 0;
    if (when != NULL && strcmp(when, "after") == 0) {
        d->after_processing = 1;
        return 0;
    }
    return fail(err, errlen, "action.when: expected \"before\" or \"after\"");
}

static int parse_stage(const json_t *action, fault_decision *d, char *err, size_t errlen)
{
    const char *stage = json_string_value(json_object_get(action, "stage"));
    d->fail_stage = STAGE_FETCHING_CONTACT_DETAILS;
    if (json_object_get(action, "stage") == NULL)
        return 0;
    for (int s = STAGE_NOT_STARTED; stage != NULL && s < STAGE_DONE; s++) {
        if (strcmp(enrichment_stage_name((enrichment_stage)s), stage) == 0) {
            d->fail_stage = (enrichment_stage)s;
            return 0;
        }
    }
    return fail(err, errlen, "action.stage: expected an enrichment stage from NOT_STARTED to EXPORTING_CSV");
}

static int parse_hold(const json_t *action, fault_decision *d, char *err, size_t errlen)
{
    static const audience_status holdable[] = {
        AUDIENCE_BUILDING, AUDIENCE_SAVING_COMPANIES, AUDIENCE_SAVING_PROSPECTS,
        AUDIENCE_LINKING_PROSPECTS_WITH_COMPANIES, AUDIENCE_HEALING_COMPANIES};
    const char *status = json_string_value(json_object_get(action, "status"));
    d->hold_status = AUDIENCE_BUILDING;
    if (json_object_get(action, "status") == NULL)
        return 0;
    for (size_t i = 0; status != NULL && i < sizeof holdable / sizeof holdable[0]; i++) {
        if (strcmp(audience_status_name(holdable[i]), status) == 0) {
            d->hold_status = holdable[i];
            return 0;
        }
    }
    return fail(err, errlen, "action.status: expected BUILDING, SAVING_COMPANIES, SAVING_PROSPECTS, "
                "LINKING_PROSPECTS_WITH_COMPANIES or HEALING_COMPANIES");
}

/* Latency range of a rule, kept beside the decision. */
typedef struct latency_range {
    int64_t min_ms;
    int64_t max_ms;
} latency_range;

static int parse_action(const json_t *action, fault_decision *d, latency_range *range,
                        char *err, size_t errlen)
{
    if (!json_is_object(action))
        return fail(err, errlen, "action: expected an object with a \"type\"");
    if (fault_type_from_name(json_string_value(json_object_get(action, "type")), &d->type) != 0)
        d->type = FAULT_NONE;
    switch (d->type) {
    case FAULT_STATUS: return parse_status(action, d, err, errlen);
    case FAULT_LATENCY: return parse_latency(action, d, &range->min_ms, &range->max_ms, err, errlen);
    case FAULT_DROP:
    case FAULT_RESET: return parse_when(action, d, err, errlen);
    case FAULT_FAIL_ENRICHMENT: return parse_stage(action, d, err, errlen);
    case FAULT_HOLD: return parse_hold(action, d, err, errlen);
    case FAULT_FAIL_BUILD: return 0;
    case FAULT_NONE: break;
    }
    return fail(err, errlen, "action.type: expected status, latency, drop, reset, fail-build, fail-enrichment or hold");
}

/* The latency range lives in the rule; the decision carries its draw. */
typedef struct fault_rule_ext {
    fault_rule rule;
    latency_range latency;
} fault_rule_ext;

static int compile_path(fault_rule *rule, char *err, size_t errlen)
{
    if (rule->path == NULL)
        return 0;
    char why[128];
    rule->path_glob = glob_compile(rule->path, why, sizeof why);
    if (rule->path_glob == NULL)
        return fail(err, errlen, "match.path: %s", why);
    return 0;
}

static int parse_rule(const json_t *json, fault_rule_ext *ext, char *err, size_t errlen)
{
    fault_rule *rule = &ext->rule;
    if (!json_is_object(json))
        return fail(err, errlen, "rule: expected a JSON object");
    json_t *match = json_object_get(json, "match");
    if (match != NULL && !json_is_null(match) && !json_is_object(match))
        return fail(err, errlen, "match: expected an object with method, path and apiKey, each optional");
    if (opt_string(match, "method", "match", 16, &rule->method, err, errlen) != 0 ||
        opt_string(match, "path", "match", 256, &rule->path, err, errlen) != 0 ||
        opt_string(match, "apiKey", "match", 128, &rule->key, err, errlen) != 0 ||
        compile_path(rule, err, errlen) != 0 ||
        opt_count(json, "after", &rule->after, err, errlen) != 0 ||
        opt_count(json, "times", &rule->times, err, errlen) != 0)
        return -1;
    rule->probability = 1.0;
    json_t *p = json_object_get(json, "probability");
    if (p != NULL) {
        if (!json_is_number(p) || !(json_number_value(p) >= 0 && json_number_value(p) <= 1))
            return fail(err, errlen, "probability: expected a number from 0 to 1");
        rule->probability = json_number_value(p);
    }
    uint64_t seed = 0;
    int has_seed = json_object_get(json, "seed") != NULL;
    if (opt_count(json, "seed", &seed, err, errlen) != 0)
        return -1;
    rule->rng = has_seed ? seed : 0;
    ext->latency = (latency_range){-1, -1};
    return parse_action(json_object_get(json, "action"), &rule->action, &ext->latency, err, errlen);
}

json_t *faults_add(faults *f, const json_t *json, char *err, size_t errlen)
{
    fault_rule_ext *ext = calloc(1, sizeof *ext);
    if (ext == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_rule(json, ext, err, errlen) != 0) {
        rule_free(&ext->rule);
        return NULL;
    }
    fault_rule *rule = &ext->rule;
    rule->json = json_deep_copy(json);
    pthread_mutex_lock(&f->lock);
    if (f->n_rules >= FAULTS_MAX_RULES || rule->json == NULL) {
        pthread_mutex_unlock(&f->lock);
        snprintf(err, errlen, rule->json == NULL ? "out of memory" : "too many fault rules (at most %d)", FAULTS_MAX_RULES);
        rule_free(rule);
        return NULL;
    }
    rule->id = ++f->next_id;
    if (!json_object_get(json, "seed"))
        rule->rng = rule->id;
    rule->action.rule_id = rule->id;
    json_object_set_new(rule->json, "id", json_integer((json_int_t)rule->id));
    fault_rule **tail = &f->rules;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = rule;
    f->n_rules++;
    update_armed(f);
    json_t *copy = json_deep_copy(rule->json);
    pthread_mutex_unlock(&f->lock);
    return copy;
}

/* The rules (only those whose match.apiKey is key, when not NULL). */
static json_t *list_rules(faults *f, const char *key)
{
    json_t *list = json_array();
    pthread_mutex_lock(&f->lock);
    for (fault_rule *rule = f->rules; rule != NULL; rule = rule->next) {
        if (key != NULL && (rule->key == NULL || strcmp(rule->key, key) != 0))
            continue;
        json_t *item = json_deep_copy(rule->json);
        json_object_set_new(item, "seen", json_integer((json_int_t)rule->seen));
        json_object_set_new(item, "fired", json_integer((json_int_t)rule->fired));
        json_object_set_new(item, "active", json_boolean(rule->times == 0 || rule->fired < rule->times));
        json_array_append_new(list, item);
    }
    json_t *out = json_pack("{s:o, s:f, s:I}", "faults", list, "chaosRate", f->chaos_rate,
                            "chaosSeed", (json_int_t)f->chaos_seed);
    pthread_mutex_unlock(&f->lock);
    return out;
}

json_t *faults_list(faults *f)
{
    return list_rules(f, NULL);
}

json_t *faults_list_key(faults *f, const char *key)
{
    return list_rules(f, key);
}

size_t faults_remove_key(faults *f, const char *key, void (*removed)(void *ctx, uint64_t id), void *ctx)
{
    fault_rule *gone = NULL;
    size_t n = 0;
    pthread_mutex_lock(&f->lock);
    fault_rule **link = &f->rules;
    while (*link != NULL) {
        fault_rule *rule = *link;
        if (rule->key != NULL && strcmp(rule->key, key) == 0) {
            *link = rule->next;
            rule->next = gone;
            gone = rule;
            f->n_rules--;
            n++;
        } else {
            link = &rule->next;
        }
    }
    update_armed(f);
    pthread_mutex_unlock(&f->lock);
    /* Called without the lock: the callback may take the store's. */
    while (gone != NULL) {
        fault_rule *next = gone->next;
        if (removed != NULL)
            removed(ctx, gone->id);
        rule_free(gone);
        gone = next;
    }
    return n;
}

int faults_remove(faults *f, uint64_t id)
{
    pthread_mutex_lock(&f->lock);
    fault_rule **link = &f->rules;
    while (*link != NULL && (*link)->id != id)
        link = &(*link)->next;
    fault_rule *rule = *link;
    int found = rule != NULL;
    if (found) {
        *link = rule->next;
        f->n_rules--;
        update_armed(f);
        rule_release(rule);
    }
    pthread_mutex_unlock(&f->lock);
    return found ? 0 : -1;
}

/* --- deciding ------------------------------------------------------------- */

static int rule_matches(const fault_rule *rule, const char *method, const char *path, const char *key)
{
    if (rule->method != NULL && strcasecmp(rule->method, method) != 0)
        return 0;
    if (rule->path_glob != NULL && !glob_match(rule->path_glob, path))
        return 0;
    if (rule->key != NULL && (key == NULL || strcmp(rule->key, key) != 0))
        return 0;
    return 1;
}

/* Counts a match and says whether the rule fires on it. Lock held. */
static int rule_fires(fault_rule *rule)
{
    rule->seen++;
    if (rule->seen <= rule->after)
        return 0;
    if (rule->times != 0 && rule->fired >= rule->times)
        return 0;
    if (rule->probability < 1.0) {
        rule->rng = mix64(rule->rng);
        if (unit_from(rule->rng) >= rule->probability)
            return 0;
    }
    rule->fired++;
    return 1;
}

static void chaos_decide(faults *f, fault_decision *out)
{
    uint64_t seq = ++f->chaos_seq;
    uint64_t draw = mix64(f->chaos_seed ^ mix64(seq));
    if (unit_from(draw) >= f->chaos_rate)
        return;
    uint64_t kind = mix64(draw) % 4;
    static const unsigned statuses[] = {429, 500, 503};
    if (kind < 3) {
        out->type = FAULT_STATUS;
        out->status = statuses[kind];
        out->retry_after = statuses[kind] == 500 ? 0 : 1;
        snprintf(out->message, sizeof out->message, "%s (chaos)", default_message(out->status));
    } else {
        out->type = FAULT_LATENCY;
        out->delay_ms = 50 + (int64_t)(mix64(draw ^ 0x5eed) % 201);
    }
}

/* The first pinned rule that matched and fires, in creation order. Lock
 * held. */
static void decide_locked(fault_rule *const *pinned, const unsigned char *matched, size_t n,
                          fault_decision *out)
{
    for (size_t i = 0; i < n; i++) {
        fault_rule *rule = pinned[i];
        if (!matched[i] || rule->removed || !rule_fires(rule))
            continue;
        *out = rule->action;
        if (out->type == FAULT_LATENCY) {
            const latency_range *range = &((const fault_rule_ext *)rule)->latency;
            int64_t span = range->max_ms - range->min_ms;
            rule->rng = mix64(rule->rng);
            out->delay_ms = range->min_ms + (span > 0 ? (int64_t)(rule->rng % (uint64_t)(span + 1)) : 0);
        }
        return;
    }
}

void faults_decide(faults *f, const char *method, const char *path,
                   const char *key, fault_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!atomic_load_explicit(&f->armed, memory_order_relaxed))
        return;
    /* Pin the rules, match them with no lock held (the request's path, of
     * the caller's length, sets the cost), then count and fire in order. */
    fault_rule *pinned[FAULTS_MAX_RULES];
    unsigned char matched[FAULTS_MAX_RULES];
    size_t n = 0;
    pthread_mutex_lock(&f->lock);
    for (fault_rule *rule = f->rules; rule != NULL && n < FAULTS_MAX_RULES; rule = rule->next) {
        rule->pins++;
        pinned[n++] = rule;
    }
    pthread_mutex_unlock(&f->lock);
    for (size_t i = 0; i < n; i++)
        matched[i] = (unsigned char)rule_matches(pinned[i], method, path, key);
    fault_rule *to_free = NULL;
    pthread_mutex_lock(&f->lock);
    decide_locked(pinned, matched, n, out);
    if (out->type == FAULT_NONE && f->chaos_rate > 0)
        chaos_decide(f, out);
    for (size_t i = 0; i < n; i++) {
        if (--pinned[i]->pins == 0 && pinned[i]->removed) {
            pinned[i]->next = to_free;
            to_free = pinned[i];
        }
    }
    pthread_mutex_unlock(&f->lock);
    while (to_free != NULL) {
        fault_rule *next = to_free->next;
        rule_free(to_free);
        to_free = next;
    }
}
