#include "sim/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FORMAT 1
/* Largest state file read at start; far above what 10,000 audiences per
 * key between two resets write. */
#define STATE_MAX_BYTES (1024LL * 1024 * 1024)

struct persist {
    char *path;
    int fd;                      /* O_APPEND; replaced with dup2 by truncate */
    persist_identity identity;
    off_t size;                  /* bytes of whole lines */
    int failed_errno;            /* sticky: a write failed, the log misses a change */
    char *text;                  /* the log read at open, until replayed */
    size_t text_len;
};

/* Once a change could not be written, the log no longer replays to the
 * state in memory: every later change is refused durability too (answered
 * 500) until a restart. */
static void mark_failed(persist *p, int error)
{
    __atomic_store_n(&p->failed_errno, error != 0 ? error : EIO, __ATOMIC_RELEASE);
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Syncs the directory holding path, so that a create or rename survives. */
static int sync_dir(const char *path)
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

static char *header_line(const persist_identity *id)
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

/* Writes a file holding only the header to path.tmp, syncs it and renames
 * it over path. Returns an fd open on the new file for appending, or -1. */
static int write_fresh(const char *path, const persist_identity *id, off_t *size)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    char *header = header_line(id);
    if (header == NULL)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write_all(fd, header, strlen(header)) == 0 && write_all(fd, "\n", 1) == 0 &&
             fdatasync(fd) == 0 && rename(tmp, path) == 0 && sync_dir(path) == 0;
    *size = (off_t)strlen(header) + 1;
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

static int check_header(const char *line, size_t len, const persist_identity *id, char *err, size_t errlen)
{
    json_error_t error;
    json_t *header = json_loadb(line, len, 0, &error);
    json_int_t format = 0;
    const char *seed = NULL;
    json_int_t companies = 0;
    const char *clock = NULL;
    if (header == NULL || json_unpack(header, "{s:I, s:s, s:I, s:s}", "descovoState", &format, "seed", &seed,
                                      "companies", &companies, "clock", &clock) != 0 ||
        format != STATE_FORMAT) {
        snprintf(err, errlen, "its first line is not a descovo-mock state header (format %d)", STATE_FORMAT);
        json_decref(header);
        return -1;
    }
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
    p->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (p->fd < 0 && errno == ENOENT) {
        p->fd = write_fresh(path, identity, &p->size);
        if (p->fd < 0) {
            snprintf(detail, sizeof detail, "cannot create it: %s", strerror(errno));
            goto fail;
        }
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
    const char *first_end = memchr(p->text, '\n', p->text_len);
    if (first_end == NULL) {
        snprintf(detail, sizeof detail, "it has no complete header line");
        goto fail;
    }
    if (check_header(p->text, (size_t)(first_end - p->text), identity, detail, sizeof detail) != 0)
        goto fail;
    /* A last line without its newline was being written when the server
     * died: never acknowledged, so dropped. */
    size_t whole = p->text_len;
    while (whole > 0 && p->text[whole - 1] != '\n')
        whole--;
    if (whole < p->text_len && ftruncate(p->fd, (off_t)whole) != 0) {
        snprintf(detail, sizeof detail, "cannot cut its torn last line: %s", strerror(errno));
        goto fail;
    }
    p->text_len = whole;
    p->size = (off_t)whole;
    return p;
fail:
    snprintf(err, errlen, "--state-file %s: %s", path, detail);
    persist_close(p);
    return NULL;
}

/* The side effect of a fault rule, as logged. */
static int read_fault(json_t *record, fault_decision *fault)
{
    json_t *f = json_object_get(record, "f");
    if (f == NULL)
        return 0;
    json_int_t type = 0, rule = 0, stage = STAGE_COUNT, hold = 0;
    if (json_unpack(f, "{s:I, s?I, s?I, s?I}", "type", &type, "rule", &rule, "stage", &stage, "hold", &hold) != 0)
        return -1;
    memset(fault, 0, sizeof *fault);
    fault->type = (fault_type)type;
    fault->rule_id = (uint64_t)rule;
    fault->fail_stage = (enrichment_stage)stage;
    fault->hold_status = (audience_status)hold;
    return 1;
}

long persist_replay(persist *p, persist_replay_fn replay, void *ctx, char *err, size_t errlen)
{
    long replayed = 0;
    long line_no = 1;
    if (p->text == NULL)
        return 0; /* a file created at open: nothing to replay */
    const char *line = memchr(p->text, '\n', p->text_len);
    const char *end = p->text + p->text_len;
    while (line != NULL && ++line < end) {
        const char *next = memchr(line, '\n', (size_t)(end - line));
        line_no++;
        json_error_t error;
        json_t *record = json_loadb(line, (size_t)(next - line), 0, &error);
        json_int_t t = 0;
        const char *method = NULL, *path = NULL, *key = NULL, *token = NULL;
        json_t *body = NULL;
        fault_decision fault = {0};
        int has_fault = record != NULL ? read_fault(record, &fault) : -1;
        if (record == NULL || has_fault < 0 ||
            json_unpack(record, "{s:I, s:s, s:s, s?o, s?s, s?s}", "t", &t, "m", &method, "p", &path,
                        "b", &body, "k", &key, "x", &token) != 0) {
            snprintf(err, errlen, "--state-file %s: line %ld is damaged", p->path, line_no);
            json_decref(record);
            return -1;
        }
        persist_record r = {
            .now_ms = t,
            .method = method,
            .path = path,
            .body = json_is_object(body) ? body : NULL,
            .query_key = key,
            .fault = has_fault ? &fault : NULL,
            .export_id = token,
        };
        char detail[400] = "";
        if (replay(ctx, &r, detail, sizeof detail) != 0) {
            snprintf(err, errlen, "--state-file %s: line %ld (%s %s) %s", p->path, line_no, method, path, detail);
            json_decref(record);
            return -1;
        }
        json_decref(record);
        replayed++;
        line = next;
    }
    free(p->text);
    p->text = NULL;
    p->text_len = 0;
    return replayed;
}

int persist_append(persist *p, const char *method, const char *path, const json_t *body,
                   const char *query_key, int64_t now_ms, const fault_decision *fault,
                   const char *export_id)
{
    json_t *record = json_pack("{s:I, s:s, s:s}", "t", (json_int_t)now_ms, "m", method, "p", path);
    if (record == NULL)
        goto fail;
    if (body != NULL)
        json_object_set(record, "b", (json_t *)body);
    if (query_key != NULL)
        json_object_set_new(record, "k", json_string(query_key));
    if (fault != NULL && (fault->type == FAULT_FAIL_BUILD || fault->type == FAULT_FAIL_ENRICHMENT ||
                          fault->type == FAULT_HOLD))
        json_object_set_new(record, "f", json_pack("{s:i, s:I, s:i, s:i}", "type", (int)fault->type,
                                                   "rule", (json_int_t)fault->rule_id,
                                                   "stage", (int)fault->fail_stage,
                                                   "hold", (int)fault->hold_status));
    if (export_id != NULL && export_id[0] != '\0')
        json_object_set_new(record, "x", json_string(export_id));
    char *text = json_dumps(record, JSON_COMPACT);
    json_decref(record);
    if (text == NULL)
        goto fail;
    size_t len = strlen(text);
    text[len] = '\n'; /* in place of the NUL: one write for the whole line */
    int rc = write_all(p->fd, text, len + 1);
    free(text);
    if (rc != 0) {
        /* Leave no partial line for the next record to follow. */
        int saved = errno;
        if (ftruncate(p->fd, p->size) != 0) {
            /* the next open drops a torn last line anyway */
        }
        errno = saved;
        goto fail;
    }
    p->size += (off_t)len + 1;
    return 0;
fail:
    mark_failed(p, errno != 0 ? errno : ENOMEM);
    return -1;
}

int persist_sync(persist *p)
{
    if (fdatasync(p->fd) != 0)
        mark_failed(p, errno);
    int failed = __atomic_load_n(&p->failed_errno, __ATOMIC_ACQUIRE);
    if (failed != 0) {
        errno = failed;
        return -1;
    }
    return 0;
}

int persist_failed(const persist *p)
{
    return __atomic_load_n(&p->failed_errno, __ATOMIC_ACQUIRE);
}

void persist_truncate(void *ctx)
{
    persist *p = ctx;
    off_t size = 0;
    int fd = write_fresh(p->path, &p->identity, &size);
    /* dup2 keeps the descriptor number: a sync running in another thread
     * on the old file cannot touch an unrelated file. */
    if (fd < 0 || dup2(fd, p->fd) < 0) {
        mark_failed(p, errno);
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    p->size = size;
}

void persist_close(persist *p)
{
    if (p == NULL)
        return;
    if (p->fd >= 0)
        close(p->fd);
    free(p->text);
    free(p->path);
    free(p);
}
