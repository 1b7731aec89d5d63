/* pthread_setname_np: _GNU_SOURCE. */
#define _GNU_SOURCE
#include "sim/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/persist_internal.h"
#include "text/fdwrite.h"
#include "text/jsonr.h"
#include "text/jsonw.h"
#include "text/utf8.h"

/* Once a change could not be written, the log no longer replays to the
 * state in memory: every later change is refused durability too (answered
 * 500) until a restart. */
void persist_mark_failed(persist *p, int error)
{
    __atomic_store_n(&p->failed_errno, error != 0 ? error : EIO, __ATOMIC_RELEASE);
}

/* Syncs the directory holding path, so that a create or rename survives. */
int persist_sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

char *persist_header_line(const persist_identity *id)
{
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)id->seed);
    json_t *header = json_pack("{s:i, s:s, s:I, s:s}", "descovoState", STATE_FORMAT, "seed", seed,
                               "companies", (json_int_t)id->companies,
                               "clock", id->clock_mode == MOCK_CLOCK_MANUAL ? "manual" : "real");
    char *text = header != NULL ? json_dumps(header, JSON_COMPACT) : NULL;
    json_decref(header);
    return text;
}

/* Writes a file holding only the header and a zero tail to path.tmp,
 * syncs it and renames it over path. Returns an fd open on the new file
 * for writing, with its logical size in *size and its whole size in
 * *alloc, or -1. */
static int write_fresh(const char *path, const persist_identity *id, off_t *size, off_t *alloc)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    char *header = persist_header_line(id);
    if (header == NULL)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    *size = (off_t)strlen(header) + 1;
    *alloc = persist_tail_target(*size, *size);
    int ok = fd >= 0 && fdwrite_all(fd, header, strlen(header)) == 0 && fdwrite_all(fd, "\n", 1) == 0;
    if (ok)
        *alloc = persist_tail_extend(fd, *size, *alloc);
    ok = ok && fdatasync(fd) == 0 && rename(tmp, path) == 0 && persist_sync_dir(path) == 0;
    free(header);
    if (!ok) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Reads the whole file. */
static char *read_all(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > STATE_MAX_BYTES)
        return NULL;
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (text != NULL && got < (size_t)st.st_size) {
        ssize_t n = pread(fd, text + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(text);
            return NULL;
        }
        got += (size_t)n;
    }
    if (text != NULL)
        text[got] = '\0';
    *len = got;
    return text;
}

static int check_header(const char *line, size_t len, const persist_identity *id, int *format_out,
                        char *err, size_t errlen)
{
    json_error_t error;
    json_t *header = json_loadb(line, len, 0, &error);
    json_int_t format = 0;
    const char *seed = NULL;
    json_int_t companies = 0;
    const char *clock = NULL;
    if (header == NULL || json_unpack(header, "{s:I, s:s, s:I, s:s}", "descovoState", &format, "seed", &seed,
                                      "companies", &companies, "clock", &clock) != 0) {
        snprintf(err, errlen, "line 1 is not a descovo-mock state header ({\"descovoState\":%d,...})", STATE_FORMAT);
        json_decref(header);
        return -1;
    }
    if (format != STATE_FORMAT && format != STATE_FORMAT_NAMES && format != STATE_FORMAT_INTEGERS) {
        snprintf(err, errlen, "line 1: format %lld is not one this descovo-mock reads (%d to %d); it was written by "
                 "another version", (long long)format, STATE_FORMAT_INTEGERS, STATE_FORMAT);
        json_decref(header);
        return -1;
    }
    *format_out = (int)format;
    char want_seed[24];
    snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)id->seed);
    const char *want_clock = id->clock_mode == MOCK_CLOCK_MANUAL ? "manual" : "real";
    int rc = 0;
    if (strcmp(seed, want_seed) != 0 || companies != (json_int_t)id->companies || strcmp(clock, want_clock) != 0) {
        snprintf(err, errlen, "it was written with --seed %s --companies %lld --clock %s, and this server has "
                 "--seed %s --companies %u --clock %s: start with the same options, or use another file",
                 seed, (long long)companies, clock, want_seed, id->companies, want_clock);
        rc = -1;
    }
    json_decref(header);
    return rc;
}

persist *persist_open(const char *path, const persist_identity *identity, char *err, size_t errlen)
{
    char detail[400] = "";
    persist *p = calloc(1, sizeof *p);
    if (p == NULL || (p->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "--state-file %s: out of memory", path);
        free(p);
        return NULL;
    }
    p->identity = *identity;
    p->format = STATE_FORMAT;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->synced, NULL);
    sem_init(&p->wake, 0, 0);
    p->stats.last_ms = -1;
    /* A compaction that died before its rename: the file it left is not
     * the state file (PATH still is, whole). */
    char leftover[4096];
    int n = snprintf(leftover, sizeof leftover, "%s.compact", path);
    if (n > 0 && (size_t)n < sizeof leftover && unlink(leftover) != 0 && errno != ENOENT) {
        snprintf(detail, sizeof detail, "cannot delete the PATH.compact a compaction left: %s", strerror(errno));
        goto fail;
    }
    p->fd = open(path, O_RDWR | O_CLOEXEC);
    if (p->fd < 0 && errno == ENOENT) {
        p->fd = write_fresh(path, identity, &p->size, &p->alloc);
        if (p->fd < 0) {
            snprintf(detail, sizeof detail, "cannot create it: %s", strerror(errno));
            goto fail;
        }
        p->end = p->size;
        return p;
    }
    if (p->fd < 0) {
        snprintf(detail, sizeof detail, "cannot open it: %s", strerror(errno));
        goto fail;
    }
    p->text = read_all(p->fd, &p->text_len);
    if (p->text == NULL) {
        snprintf(detail, sizeof detail, "cannot read it (or it is larger than %lld bytes)", STATE_MAX_BYTES);
        goto fail;
    }
    /* The log ends at the first NUL: the tail (persist.h, "The tail"). */
    size_t logical = persist_tail_logical(p->text, p->text_len);
    const char *first_end = memchr(p->text, '\n', logical);
    if (first_end == NULL) {
        snprintf(detail, sizeof detail, "it has no complete header line");
        goto fail;
    }
    if (check_header(p->text, (size_t)(first_end - p->text), identity, &p->format, detail, sizeof detail) != 0)
        goto fail;
    /* A last line without its newline was being written when the server
     * died: never acknowledged, so dropped. */
    size_t whole = logical;
    while (whole > 0 && p->text[whole - 1] != '\n')
        whole--;
    p->alloc = (off_t)p->text_len;
    if (!persist_tail_clean(p->text, whole, p->text_len)) {
        /* That torn line, or bytes after the first NUL (unacknowledged
         * records that reached the disk out of order): cut, durably,
         * before any new record is written, so that none of them can
         * ever join the new ones; the first sync extends the file again. */
        if (ftruncate(p->fd, (off_t)whole) != 0 || fdatasync(p->fd) != 0) {
            snprintf(detail, sizeof detail, "cannot cut it after its last whole line: %s", strerror(errno));
            goto fail;
        }
        p->alloc = (off_t)whole;
    }
    p->text_len = whole;
    p->size = (off_t)whole;
    p->end = p->size;
    return p;
fail:
    snprintf(err, errlen, "--state-file %s: %s", path, detail);
    persist_close(p);
    return NULL;
}


/* The side effect of a fault rule, as logged: names (format 2), or the
 * enum integers of format 1, range-checked. Returns 0 (none), 1, or -1
 * with what is wrong in why. */
static int read_fault(const persist *p, json_t *record, fault_decision *fault, char *why, size_t whylen)
{
    json_t *f = json_object_get(record, "f");
    if (f == NULL)
        return 0;
    memset(fault, 0, sizeof *fault);
    json_int_t rule = 0;
    json_t *type = NULL, *stage = NULL, *hold = NULL;
    if (json_unpack(f, "{s:o, s?I, s?o, s?o}", "type", &type, "rule", &rule, "stage", &stage, "hold", &hold) != 0 ||
        rule < 0) {
        snprintf(why, whylen, "\"f\": expected {\"type\", \"rule\", \"stage\", \"hold\"}");
        return -1;
    }
    fault->rule_id = (uint64_t)rule;
    fault->fail_stage = STAGE_COUNT;
    fault->hold_status = AUDIENCE_DRAFT;
    if (p->format == STATE_FORMAT_INTEGERS) {
        json_int_t t = json_integer_value(type), s = stage != NULL ? json_integer_value(stage) : STAGE_COUNT;
        json_int_t h = hold != NULL ? json_integer_value(hold) : AUDIENCE_DRAFT;
        if (!json_is_integer(type) || t < FAULT_FAIL_BUILD || t > FAULT_HOLD || s < 0 || s > STAGE_COUNT ||
            h < AUDIENCE_DRAFT || h > AUDIENCE_FAILED) {
            snprintf(why, whylen, "\"f\": a fault type, stage or status out of range");
            return -1;
        }
        fault->type = (fault_type)t;
        fault->fail_stage = (enrichment_stage)s;
        fault->hold_status = (audience_status)h;
    } else {
        const char *name = json_string_value(type);
        if (fault_type_from_name(name, &fault->type) != 0 ||
            (fault->type != FAULT_FAIL_BUILD && fault->type != FAULT_FAIL_ENRICHMENT && fault->type != FAULT_HOLD)) {
            snprintf(why, whylen, "\"f\": unknown fault type %s%s%s (expected fail-build, fail-enrichment or hold)",
                     name != NULL ? "\"" : "", name != NULL ? name : "(not a string)", name != NULL ? "\"" : "");
            return -1;
        }
        if (stage != NULL && enrichment_stage_from_name(json_string_value(stage), &fault->fail_stage) != 0) {
            snprintf(why, whylen, "\"f\".stage: unknown enrichment stage");
            return -1;
        }
        if (hold != NULL && audience_status_from_name(json_string_value(hold), &fault->hold_status) != 0) {
            snprintf(why, whylen, "\"f\".hold: unknown audience status");
            return -1;
        }
    }
    return 1;
}

/* A time field: an integer from 0 to STATE_MAX_MS. */
static int read_time(json_t *value, int64_t *out)
{
    if (!json_is_integer(value) || json_integer_value(value) < 0 || json_integer_value(value) > STATE_MAX_MS)
        return -1;
    *out = json_integer_value(value);
    return 0;
}

/* Replays one line. Returns 0, or -1 with the reason in why. */
static int replay_line(persist *p, const char *line, size_t len, int64_t *last_t, persist_replay_fn replay,
                       void *ctx, char *why, size_t whylen)
{
    json_error_t error;
    /* The fast reader first; jansson says what is wrong with what it
     * does not read (text/jsonr.h). */
    json_t *record = jsonr_object(line, len, JSONR_MAX_DEPTH);
    if (record == NULL)
        record = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);
    int rc = -1;
    if (!json_is_object(record)) {
        snprintf(why, whylen, "is damaged (%s)", record == NULL ? error.text : "not a JSON object");
        goto out;
    }
    json_t *mark = json_object_get(record, "c");
    if (mark != NULL) {
        /* A clock mark: time had reached this when an answer was given. */
        int64_t c = 0;
        if (json_object_size(record) != 1 || read_time(mark, &c) != 0) {
            snprintf(why, whylen, "is damaged (a clock mark is {\"c\": milliseconds from 0 to %lld})", STATE_MAX_MS);
            goto out;
        }
        if (c > p->replayed_ms)
            p->replayed_ms = c;
        rc = 0;
        goto out;
    }
    int64_t t = 0;
    const char *method = NULL, *path = NULL, *key = NULL, *token = NULL;
    json_t *body = NULL;
    if (json_unpack(record, "{s:s, s:s, s?o, s?s, s?s}", "m", &method, "p", &path, "b", &body, "k", &key,
                    "x", &token) != 0 || (body != NULL && !json_is_object(body))) {
        snprintf(why, whylen, "is damaged (expected \"t\", \"m\", \"p\" and optional \"b\" object, \"k\", \"x\")");
        goto out;
    }
    if (read_time(json_object_get(record, "t"), &t) != 0) {
        snprintf(why, whylen, "(%s %s): \"t\" must be milliseconds from 0 to %lld", method, path, STATE_MAX_MS);
        goto out;
    }
    /* Changes are logged in the order they took effect, each at the time
     * it was made (format 1 did not promise it for scenario loads). */
    if (t < *last_t && p->format != STATE_FORMAT_INTEGERS) {
        snprintf(why, whylen, "(%s %s): \"t\" %lld is earlier than the line before (%lld); time never goes back "
                 "in a state file", method, path, (long long)t, (long long)*last_t);
        goto out;
    }
    *last_t = t;
    if (t > p->replayed_ms)
        p->replayed_ms = t;
    fault_decision fault;
    char detail[400] = "";
    int has_fault = read_fault(p, record, &fault, detail, sizeof detail);
    if (has_fault < 0) {
        snprintf(why, whylen, "(%s %s): %s", method, path, detail);
        goto out;
    }
    persist_record r = {
        .now_ms = t,
        .method = method,
        .path = path,
        .body = body,
        .query_key = key,
        .fault = has_fault ? &fault : NULL,
        .export_id = token,
    };
    if (replay(ctx, &r, detail, sizeof detail) != 0) {
        snprintf(why, whylen, "(%s %s) %s", method, path, detail);
        goto out;
    }
    rc = 1;
out:
    json_decref(record);
    return rc;
}

/* The snapshot opening a format 3 file, if any: {"snapshot":{"lines":N,
 * "t":T,"c":C}} on line 2, N lines, {"snapshotEnd":N}. *at is the newline
 * ending the header; hands the lines to restore and moves *at to the
 * newline ending the end mark. Returns 0 (also when there is none), or -1
 * with why and the line number in *line_no. */
static int restore_snapshot(persist *p, const char **at, long *line_no, int64_t *last_t,
                            persist_restore_fn restore, void *ctx, char *why, size_t whylen)
{
    const char *end = p->text + p->text_len;
    static const char begin_mark[] = "{\"snapshot\":";
    const char *first = *at + 1;
    if (p->format != STATE_FORMAT || first >= end || (size_t)(end - first) < sizeof begin_mark - 1 ||
        memcmp(first, begin_mark, sizeof begin_mark - 1) != 0)
        return 0;
    const char *line = first;
    const char *next = memchr(line, '\n', (size_t)(end - line));
    *line_no += 1;
    json_error_t error;
    json_t *begin = json_loadb(line, (size_t)(next - line), JSON_REJECT_DUPLICATES, &error);
    json_int_t lines = -1, t = -1, c = -1;
    int ok = json_unpack(begin, "{s:{s:I, s:I, s:I}}", "snapshot", "lines", &lines, "t", &t, "c", &c) == 0 &&
             lines >= 0 && t >= 0 && t <= STATE_MAX_MS && c >= 0 && c <= STATE_MAX_MS;
    json_decref(begin);
    if (!ok) {
        snprintf(why, whylen, "is damaged (a snapshot opens with {\"snapshot\":{\"lines\":N,\"t\":ms,\"c\":ms}})");
        return -1;
    }
    if (restore == NULL) {
        snprintf(why, whylen, "opens a snapshot, which nothing here restores");
        return -1;
    }
    line = next + 1;
    for (json_int_t i = 0; i < lines; i++) {
        *line_no += 1;
        next = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
        if (next == NULL) {
            snprintf(why, whylen, "is missing: the snapshot of %lld lines ends early", (long long)lines);
            return -1;
        }
        char detail[400] = "";
        if (restore(ctx, line, (size_t)(next - line), detail, sizeof detail) != 0) {
            snprintf(why, whylen, "(snapshot) %s", detail);
            return -1;
        }
        line = next + 1;
    }
    *line_no += 1;
    next = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
    char want[64];
    int n = snprintf(want, sizeof want, "{\"snapshotEnd\":%lld}", (long long)lines);
    if (next == NULL || next - line != n || memcmp(line, want, (size_t)n) != 0) {
        snprintf(why, whylen, "is not the end of the snapshot (%s)", want);
        return -1;
    }
    *at = next;
    *last_t = t;
    p->replayed_ms = t > c ? t : c;
    p->snapshot_lines = (size_t)lines;
    return 0;
}

long persist_replay(persist *p, persist_restore_fn restore, persist_replay_fn replay, void *ctx, char *err,
                    size_t errlen)
{
    long replayed = 0;
    long line_no = 1;
    int64_t last_t = 0;
    if (p->text == NULL)
        return 0; /* a file created at open: nothing to replay */
    const char *line = memchr(p->text, '\n', p->text_len);
    const char *end = p->text + p->text_len;
    char why[600] = "";
    if (line != NULL && restore_snapshot(p, &line, &line_no, &last_t, restore, ctx, why, sizeof why) != 0) {
        snprintf(err, errlen, "--state-file %s: line %ld %s", p->path, line_no, why);
        return -1;
    }
    while (line != NULL && ++line < end) {
        const char *next = memchr(line, '\n', (size_t)(end - line));
        line_no++;
        int rc = replay_line(p, line, (size_t)(next - line), &last_t, replay, ctx, why, sizeof why);
        if (rc < 0) {
            snprintf(err, errlen, "--state-file %s: line %ld %s", p->path, line_no, why);
            return -1;
        }
        replayed += rc;
        p->since_snapshot++;
        line = next;
    }
    free(p->text);
    p->text = NULL;
    p->text_len = 0;
    p->last_t = last_t;
    p->queued_ms = p->replayed_ms;
    __atomic_store_n(&p->vouched_ms, p->replayed_ms, __ATOMIC_RELEASE);
    return replayed;
}

int64_t persist_replayed_until(const persist *p)
{
    return p->replayed_ms;
}

/* Lock held. Queues one whole line (text without its newline; NULL: its
 * len bytes are at the end of `pending` already) as the next record;
 * returns its sequence number, or 0 when out of memory. */
static uint64_t queue_line(persist *p, const char *text, size_t len)
{
    if (text != NULL)
        strbuf_append(&p->pending, text, len);
    strbuf_putc(&p->pending, '\n');
    if (p->pending.oom)
        return 0;
    p->end += (off_t)len + 1;
    p->since_snapshot++;
    uint64_t due = p->snapshot_lines > p->compact_floor ? p->snapshot_lines : p->compact_floor;
    if (p->compact_hook != NULL && p->compact_floor > 0 && !p->compact_asked && p->since_snapshot >= due &&
        p->since_snapshot >= p->ask_after) {
        p->compact_asked = 1;
        p->compact_hook(p->compact_hook_ctx);
    }
    return ++p->appended;
}

/* Whether s[0, len) is UTF-8 throughout (a JSON string must be, to be
 * read back). Its ASCII prefix, the whole of a method or a path of ids,
 * is checked a byte at a time without decoding. */
static int all_utf8(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    while (i < len) {
        size_t n = utf8_sequence_length((const unsigned char *)s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

/* Appends the JSON text[0, len) without the whitespace between its
 * tokens: one line (a raw newline can only be whitespace there). Strings
 * are copied whole: each ends at the first quote after it that follows an
 * even number of backslashes. */
static void write_minified(strbuf *out, const char *text, size_t len)
{
    char *at = strbuf_extend(out, len);
    if (at == NULL)
        return;
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c != '"') {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                at[n++] = c;
            i++;
            continue;
        }
        size_t end = len;
        for (size_t from = i + 1; from < len;) {
            const char *quote = memchr(text + from, '"', len - from);
            if (quote == NULL)
                break;
            size_t q = (size_t)(quote - text), k = q;
            while (k > i + 1 && text[k - 1] == '\\')
                k--;
            from = q + 1;
            if ((q - k) % 2 == 0) {
                end = q + 1;
                break;
            }
        }
        memcpy(at + n, text + i, end - i);
        n += end - i;
        i = end;
    }
    out->len -= len - n;
    out->data[out->len] = '\0';
}

/* A record's body: a tree, or the text it was read from. */
typedef struct record_body {
    const json_t *tree;
    const char *text;
    size_t len;
} record_body;

/* Appends a record's line (without its newline) to out, as json_dumps
 * wrote it before, byte for byte (test_persist: test_record_bytes), in a
 * fraction of its time: the fields in this order, a body tree written by
 * jsonw_write_exact, a body text without its whitespace. Returns 0, or -1
 * when a text is not UTF-8 or the body nests too deep (out then holds
 * part of a line). */
static int write_record(strbuf *out, const char *method, const char *path, const record_body *body,
                        const char *query_key, int64_t now_ms, const fault_decision *fault, const char *export_id)
{
    size_t method_len = strlen(method), path_len = strlen(path);
    if (!all_utf8(method, method_len) || !all_utf8(path, path_len) ||
        (query_key != NULL && !all_utf8(query_key, strlen(query_key))) ||
        (export_id != NULL && !all_utf8(export_id, strlen(export_id))))
        return -1;
    strbuf_put_literal(out, "{\"t\":");
    jsonw_integer(out, now_ms);
    strbuf_put_literal(out, ",\"m\":");
    jsonw_string(out, method, method_len);
    strbuf_put_literal(out, ",\"p\":");
    jsonw_string(out, path, path_len);
    if (body->text != NULL) {
        strbuf_put_literal(out, ",\"b\":");
        write_minified(out, body->text, body->len);
    } else if (body->tree != NULL) {
        strbuf_put_literal(out, ",\"b\":");
        if (jsonw_write_exact(body->tree, out) != 0)
            return -1;
    }
    if (query_key != NULL) {
        strbuf_put_literal(out, ",\"k\":");
        jsonw_string(out, query_key, strlen(query_key));
    }
    if (fault != NULL && (fault->type == FAULT_FAIL_BUILD || fault->type == FAULT_FAIL_ENRICHMENT ||
                          fault->type == FAULT_HOLD)) {
        const char *type = fault_type_name(fault->type);
        strbuf_put_literal(out, ",\"f\":{\"type\":");
        jsonw_plain(out, type, strlen(type));
        strbuf_put_literal(out, ",\"rule\":");
        jsonw_integer(out, fault->rule_id);
        if (fault->type == FAULT_FAIL_ENRICHMENT && fault->fail_stage < STAGE_COUNT) {
            const char *stage = enrichment_stage_name(fault->fail_stage);
            strbuf_put_literal(out, ",\"stage\":");
            jsonw_plain(out, stage, strlen(stage));
        }
        if (fault->type == FAULT_HOLD) {
            const char *hold = audience_status_name(fault->hold_status);
            strbuf_put_literal(out, ",\"hold\":");
            jsonw_plain(out, hold, strlen(hold));
        }
        strbuf_putc(out, '}');
    }
    if (export_id != NULL && export_id[0] != '\0') {
        strbuf_put_literal(out, ",\"x\":");
        jsonw_string(out, export_id, strlen(export_id));
    }
    strbuf_putc(out, '}');
    return 0;
}

static uint64_t append_record(persist *p, const char *method, const char *path, const record_body *body,
                              const char *query_key, int64_t now_ms, const fault_decision *fault,
                              const char *export_id)
{
    pthread_mutex_lock(&p->lock);
    /* Written straight into the queue; a line that cannot be written
     * whole is taken back out. */
    size_t before = p->pending.len;
    uint64_t seq = 0;
    if (write_record(&p->pending, method, path, body, query_key, now_ms, fault, export_id) == 0 &&
        !p->pending.oom)
        seq = queue_line(p, NULL, p->pending.len - before);
    int error = p->pending.oom ? ENOMEM : EINVAL;
    if (seq == 0 && !p->pending.oom) {
        p->pending.len = before;
        if (p->pending.data != NULL)
            p->pending.data[before] = '\0';
    }
    if (seq != 0 && now_ms > p->last_t)
        p->last_t = now_ms;
    if (seq != 0 && now_ms > p->queued_ms)
        p->queued_ms = now_ms;
    pthread_mutex_unlock(&p->lock);
    if (seq == 0)
        persist_mark_failed(p, error);
    return seq;
}

uint64_t persist_append(persist *p, const char *method, const char *path, const json_t *body,
                        const char *query_key, int64_t now_ms, const fault_decision *fault,
                        const char *export_id)
{
    record_body b = {.tree = body};
    return append_record(p, method, path, &b, query_key, now_ms, fault, export_id);
}

uint64_t persist_append_text(persist *p, const char *method, const char *path, const char *body_text,
                             size_t body_len, const char *query_key, int64_t now_ms,
                             const fault_decision *fault, const char *export_id)
{
    record_body b = {.text = body_text, .len = body_len};
    return append_record(p, method, path, &b, query_key, now_ms, fault, export_id);
}

static void notify_ready(persist *p);

/* Lock held. Whether the flusher sleeps (or is about to) and must be
 * posted to see new work; it then counts as awake, so that one post
 * answers each sleep. */
static int flusher_to_wake(persist *p)
{
    int idle = p->flusher_idle;
    p->flusher_idle = 0;
    return idle;
}

/* Lock held. Wakes the flusher if it sleeps. */
static void wake_flusher(persist *p)
{
    if (flusher_to_wake(p))
        sem_post(&p->wake);
}

/* Lock held, as the leader: writes and syncs everything pending, with the
 * lock released meanwhile (appends go on into a fresh buffer), then calls
 * back the answers it made durable. The batch goes over the zeros of the
 * tail; when few are left after it, more are written and synced with it
 * (once a PERSIST_TAIL_CHUNK), so that no other sync commits a new size. */
static void flush_pending(persist *p)
{
    p->flushing = 1;
    strbuf batch = p->pending;
    p->pending = p->spare;
    p->spare = (strbuf)STRBUF_INIT;
    strbuf_reset(&p->pending);
    uint64_t target = p->appended;
    off_t start = p->size;
    off_t stop = start + (off_t)batch.len;
    off_t alloc = p->alloc > stop ? p->alloc : stop;
    off_t extend = stop < p->tail_retry_at ? alloc : persist_tail_target(stop, alloc);
    persist_sync_hook hook = p->sync_hook;
    void *hook_ctx = p->sync_hook_ctx;
    pthread_mutex_unlock(&p->lock);
    int rc = batch.len > 0 ? fdwrite_at(p->fd, batch.data, batch.len, start) : 0;
    off_t want = extend;
    if (rc == 0 && extend > alloc)
        extend = persist_tail_extend(p->fd, alloc, extend);
    int error = rc != 0 ? errno : 0;
    if (rc == 0 && fdatasync(p->fd) != 0) {
        rc = -1;
        error = errno;
    }
    if (rc == 0 && hook != NULL) {
        error = hook(hook_ctx);
        rc = error != 0 ? -1 : 0;
    }
    if (rc != 0 && ftruncate(p->fd, start) != 0) {
        /* Leave no partial line: failing that, the next open drops a torn
         * last line anyway. */
    }
    pthread_mutex_lock(&p->lock);
    if (rc == 0) {
        p->size = stop;
        p->alloc = extend;
        if (extend < want)
            p->tail_retry_at = stop + PERSIST_TAIL_CHUNK;
        p->durable = target;
    } else {
        p->alloc = start;
        persist_mark_failed(p, error);
    }
    p->syncs++;
    p->spare = batch;
    p->flushing = 0;
    pthread_cond_broadcast(&p->synced);
    /* Answers this sync did not cover need the next one: the flusher
     * sleeps while another thread leads. */
    if (p->n_waiters > 0)
        wake_flusher(p);
    notify_ready(p);
}

/* Lock held (released while calling back). Calls every waiter whose
 * record is durable, or all of them once the log has failed. */
static void notify_ready(persist *p)
{
    int failed = persist_failed(p);
    size_t kept = 0;
    persist_waiter ready[64];
    size_t n_ready = 0;
    for (size_t i = 0; i < p->n_waiters; i++) {
        persist_waiter w = p->waiters[i];
        if ((w.seq <= p->durable || failed) && n_ready < sizeof ready / sizeof ready[0])
            ready[n_ready++] = w;
        else
            p->waiters[kept++] = w;
    }
    p->n_waiters = kept;
    if (n_ready == 0)
        return;
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < n_ready; i++)
        ready[i].done(ready[i].arg, failed);
    pthread_mutex_lock(&p->lock);
    if (p->n_waiters > 0)
        wake_flusher(p);
}

/* The flusher: whenever answers wait, writes and syncs what is pending
 * (one sync for all of them) and calls them back. */
static void *flusher(void *arg)
{
    persist *p = arg;
    /* Not the name of the server thread that started it (in top, perf). */
    pthread_setname_np(pthread_self(), PERSIST_FLUSHER_NAME);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (!p->stopping && (p->n_waiters == 0 || p->flushing)) {
            p->flusher_idle = 1;
            pthread_mutex_unlock(&p->lock);
            while (sem_wait(&p->wake) != 0 && errno == EINTR)
                ;
            pthread_mutex_lock(&p->lock);
            continue;
        }
        if (p->n_waiters == 0 && p->stopping)
            break;
        if (p->flushing) {
            pthread_cond_wait(&p->synced, &p->lock);
            continue;
        }
        int behind = 0;
        for (size_t i = 0; i < p->n_waiters && !behind; i++)
            behind = p->waiters[i].seq > p->durable;
        if (behind && persist_failed(p) == 0)
            flush_pending(p);
        else
            notify_ready(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int persist_await(persist *p, uint64_t seq, persist_done_fn done, void *arg)
{
    pthread_mutex_lock(&p->lock);
    if (!p->flusher_started) {
        if (pthread_create(&p->flusher, NULL, flusher, p) != 0) {
            pthread_mutex_unlock(&p->lock);
            return -1;
        }
        p->flusher_started = 1;
    }
    if (p->n_waiters == p->cap_waiters) {
        size_t cap = p->cap_waiters ? p->cap_waiters * 2 : 64;
        persist_waiter *grown = realloc(p->waiters, cap * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&p->lock);
            return -1;
        }
        p->waiters = grown;
        p->cap_waiters = cap;
    }
    /* The flusher sleeps only while nobody waits (or while another
     * leader syncs, which wakes it when done): only the first waiter
     * finds it idle, and posts it after the unlock, so that it does not
     * wake just to block on the lock held here. */
    int wake = flusher_to_wake(p);
    p->waiters[p->n_waiters++] = (persist_waiter){seq, done, arg};
    pthread_mutex_unlock(&p->lock);
    if (wake)
        sem_post(&p->wake);
    return 0;
}

int persist_sync(persist *p, uint64_t seq)
{
    pthread_mutex_lock(&p->lock);
    while (p->durable < seq && persist_failed(p) == 0) {
        if (p->flushing)
            pthread_cond_wait(&p->synced, &p->lock);
        else
            flush_pending(p);
    }
    int failed = persist_failed(p);
    pthread_mutex_unlock(&p->lock);
    if (failed != 0) {
        errno = failed;
        return -1;
    }
    return 0;
}

void persist_set_sync_hook(persist *p, persist_sync_hook hook, void *ctx)
{
    pthread_mutex_lock(&p->lock);
    p->sync_hook = hook;
    p->sync_hook_ctx = ctx;
    pthread_mutex_unlock(&p->lock);
}

int persist_vouch_time(persist *p, int64_t now_ms, int64_t ahead_ms)
{
    if (now_ms <= __atomic_load_n(&p->vouched_ms, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&p->lock);
    uint64_t seq = 0;
    int64_t mark = p->mark_ms;
    uint64_t generation = p->generation;
    if (now_ms <= p->vouched_ms) {
        seq = 0;
    } else if (now_ms <= p->mark_ms) {
        seq = p->mark_seq;
    } else {
        mark = now_ms + ahead_ms > STATE_MAX_MS ? STATE_MAX_MS : now_ms + ahead_ms;
        char line[64];
        int n = snprintf(line, sizeof line, "{\"c\":%lld}", (long long)mark);
        seq = queue_line(p, line, (size_t)n);
        if (seq == 0)
            persist_mark_failed(p, ENOMEM);
        else if (mark > p->queued_ms)
            p->queued_ms = mark;
        p->mark_ms = mark;
        p->mark_seq = seq;
    }
    pthread_mutex_unlock(&p->lock);
    if (seq == 0)
        return persist_failed(p) != 0 ? -1 : 0;
    if (persist_sync(p, seq) != 0)
        return -1;
    pthread_mutex_lock(&p->lock);
    /* A reset meanwhile replaced the file with one that does not hold the
     * mark (and counts what was pending as written): it vouches for
     * nothing, and the next answer writes a mark into the new file. */
    if (p->generation == generation && mark > p->vouched_ms)
        __atomic_store_n(&p->vouched_ms, mark, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

uint64_t persist_records(persist *p)
{
    pthread_mutex_lock(&p->lock);
    uint64_t n = p->appended;
    pthread_mutex_unlock(&p->lock);
    return n;
}

uint64_t persist_syncs(persist *p)
{
    pthread_mutex_lock(&p->lock);
    uint64_t n = p->syncs;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int persist_failed(const persist *p)
{
    return __atomic_load_n(&p->failed_errno, __ATOMIC_ACQUIRE);
}

void persist_truncate(void *ctx)
{
    persist *p = ctx;
    pthread_mutex_lock(&p->lock);
    /* Let a leader finish with the old file first; what is pending was
     * made before the reset, which wipes it: it counts as written. */
    while (p->flushing)
        pthread_cond_wait(&p->synced, &p->lock);
    strbuf_reset(&p->pending);
    p->durable = p->appended;
    p->mark_ms = 0;
    p->mark_seq = 0;
    p->last_t = 0;
    p->queued_ms = 0;
    p->generation++;
    p->since_snapshot = 0;
    p->snapshot_lines = 0;
    p->compact_asked = 0;
    p->ask_after = 0;
    __atomic_store_n(&p->vouched_ms, 0, __ATOMIC_RELEASE);
    off_t size = 0, alloc = 0;
    int fd = write_fresh(p->path, &p->identity, &size, &alloc);
    /* dup2 keeps the descriptor number. */
    if (fd < 0 || dup2(fd, p->fd) < 0) {
        persist_mark_failed(p, errno);
        if (fd >= 0)
            close(fd);
    } else {
        close(fd);
        p->size = size;
        p->alloc = alloc;
        p->tail_retry_at = 0;
        p->end = size;
    }
    pthread_cond_broadcast(&p->synced);
    wake_flusher(p); /* waiters of wiped records: call them back */
    pthread_mutex_unlock(&p->lock);
}

void persist_close(persist *p)
{
    if (p == NULL)
        return;
    if (p->flusher_started) {
        pthread_mutex_lock(&p->lock);
        p->stopping = 1;
        wake_flusher(p);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->flusher, NULL);
    }
    free(p->waiters);
    sem_destroy(&p->wake);
    if (p->fd >= 0)
        close(p->fd);
    strbuf_release(&p->pending);
    strbuf_release(&p->spare);
    pthread_cond_destroy(&p->synced);
    pthread_mutex_destroy(&p->lock);
    free(p->text);
    free(p->path);
    free(p);
}
