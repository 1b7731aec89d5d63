#include "proxy/har_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "text/fdwrite.h"
#include "text/strbuf.h"

struct har_recorder {
    char har_path[4096];
    char journal_path[4096 + sizeof HAR_JOURNAL_SUFFIX];
    int fd;
    pthread_mutex_t lock;        /* guards fd writes and the counters */
    pthread_cond_t wake;
    pthread_t flusher;
    int flusher_started;
    int dirty;
    int stopping;
    size_t count;
    size_t failed;
};

static void *flush_loop(void *arg)
{
    har_recorder *rec = arg;
    pthread_mutex_lock(&rec->lock);
    while (!rec->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += HAR_JOURNAL_SYNC_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rec->wake, &rec->lock, &until);
        if (rec->dirty) {
            rec->dirty = 0;
            int fd = rec->fd;
            /* Sync outside the lock: writers never wait for the disk. */
            pthread_mutex_unlock(&rec->lock);
            fdatasync(fd);
            pthread_mutex_lock(&rec->lock);
        }
    }
    pthread_mutex_unlock(&rec->lock);
    return NULL;
}

har_recorder *har_recorder_open(const char *har_path, const char *creator_version,
                                char *err, size_t errlen)
{
    har_recorder *rec = calloc(1, sizeof *rec);
    if (rec == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rec->fd = -1;
    int n = snprintf(rec->har_path, sizeof rec->har_path, "%s", har_path);
    if (n < 0 || (size_t)n >= sizeof rec->har_path) {
        snprintf(err, errlen, "--record: the path is too long");
        free(rec);
        return NULL;
    }
    snprintf(rec->journal_path, sizeof rec->journal_path, "%s%s", har_path, HAR_JOURNAL_SUFFIX);
    pthread_mutex_init(&rec->lock, NULL);
    pthread_cond_init(&rec->wake, NULL);
    rec->fd = open(rec->journal_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (rec->fd < 0) {
        if (errno == EEXIST)
            snprintf(err, errlen, "--record: %s is the journal of a recording that did not stop cleanly; "
                     "`descovo-mock --verify %s` completes it into the HAR, or remove it", rec->journal_path, har_path);
        else
            snprintf(err, errlen, "--record: cannot create %s: %s", rec->journal_path, strerror(errno));
        goto fail;
    }
    json_t *head = json_pack("{s:i, s:{s:s, s:s}}", "descovoJournal", 1, "creator", "name", "descovo-mock",
                             "version", creator_version);
    char *text = head != NULL ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    int rc = text != NULL ? fdwrite_all(rec->fd, text, strlen(text)) : -1;
    if (rc == 0)
        rc = fdwrite_all(rec->fd, "\n", 1);
    free(text);
    if (rc != 0 || fsync(rec->fd) != 0) {
        snprintf(err, errlen, "--record: cannot write %s: %s", rec->journal_path, strerror(errno));
        goto fail;
    }
    if (pthread_create(&rec->flusher, NULL, flush_loop, rec) != 0) {
        snprintf(err, errlen, "--record: cannot start the journal's flusher thread");
        goto fail;
    }
    rec->flusher_started = 1;
    return rec;
fail:
    if (rec->fd >= 0) {
        close(rec->fd);
        unlink(rec->journal_path);
    }
    pthread_cond_destroy(&rec->wake);
    pthread_mutex_destroy(&rec->lock);
    free(rec);
    return NULL;
}

int har_recorder_add(har_recorder *rec, const json_t *entry)
{
    char *text = json_dumps(entry, JSON_COMPACT);
    int rc = -1;
    pthread_mutex_lock(&rec->lock);
    if (text != NULL) {
        /* One write per line: a crash cuts at most the last line. */
        size_t len = strlen(text);
        text[len] = '\n';
        rc = fdwrite_all(rec->fd, text, len + 1);
    }
    if (rc == 0) {
        rec->count++;
        rec->dirty = 1;
    } else {
        rec->failed++;
    }
    pthread_mutex_unlock(&rec->lock);
    free(text);
    return rc;
}

size_t har_recorder_count(har_recorder *rec, size_t *failed)
{
    pthread_mutex_lock(&rec->lock);
    size_t n = rec->count;
    if (failed != NULL)
        *failed = rec->failed;
    pthread_mutex_unlock(&rec->lock);
    return n;
}

long har_recorder_close(har_recorder *rec, char *err, size_t errlen)
{
    if (rec == NULL)
        return 0;
    if (rec->flusher_started) {
        pthread_mutex_lock(&rec->lock);
        rec->stopping = 1;
        pthread_cond_signal(&rec->wake);
        pthread_mutex_unlock(&rec->lock);
        pthread_join(rec->flusher, NULL);
    }
    fsync(rec->fd);
    close(rec->fd);
    long n = har_journal_complete(rec->har_path, NULL, err, errlen);
    pthread_cond_destroy(&rec->wake);
    pthread_mutex_destroy(&rec->lock);
    free(rec);
    return n == -2 ? 0 : n;
}

/* Reads one line (without its '\n') into line; returns 1 for a complete
 * line, 0 for a last line without '\n' (cut by a crash), -1 at the end. */
static int read_line(FILE *f, strbuf *line)
{
    strbuf_reset(line);
    int c = 0;
    while ((c = getc(f)) != EOF) {
        if (c == '\n')
            return 1;
        strbuf_putc(line, (char)c);
    }
    return line->len > 0 ? 0 : -1;
}

long har_journal_complete(const char *har_path, size_t *dropped, char *err, size_t errlen)
{
    char journal_path[4200];
    char tmp_path[4200];
    snprintf(journal_path, sizeof journal_path, "%s%s", har_path, HAR_JOURNAL_SUFFIX);
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", har_path);
    long entries = -1;
    size_t cut = 0;
    FILE *in = fopen(journal_path, "rb");
    FILE *out = NULL;
    json_t *creator = NULL;
    strbuf line = STRBUF_INIT;
    if (in == NULL) {
        if (errno == ENOENT)
            return -2;
        snprintf(err, errlen, "cannot open %s: %s", journal_path, strerror(errno));
        return -1;
    }
    int got = read_line(in, &line);
    json_error_t jerr;
    json_t *head = got >= 0 && line.data != NULL ? json_loads(line.data, 0, &jerr) : NULL;
    creator = json_incref(json_object_get(head, "creator"));
    json_decref(head);
    if (got < 0 || !json_is_object(creator)) {
        snprintf(err, errlen, "%s: not a descovo-mock journal (its first line names no creator)", journal_path);
        goto out;
    }
    out = fopen(tmp_path, "wb");
    if (out == NULL) {
        snprintf(err, errlen, "cannot create %s: %s", tmp_path, strerror(errno));
        goto out;
    }
    char *creator_text = json_dumps(creator, JSON_COMPACT);
    fprintf(out, "{\"log\":{\"version\":\"1.2\",\"creator\":%s,\"entries\":[", creator_text != NULL ? creator_text : "{}");
    free(creator_text);
    long n = 0;
    for (;;) {
        got = read_line(in, &line);
        if (got < 0)
            break;
        if (line.oom) {
            snprintf(err, errlen, "out of memory reading %s", journal_path);
            goto out;
        }
        /* Only whole, valid entries go in: a line cut by the crash (the
         * last one) or garbled is left out and counted. */
        json_t *entry = line.len > 0 ? json_loadb(line.data, line.len, 0, &jerr) : NULL;
        if (!json_is_object(entry)) {
            json_decref(entry);
            cut++;
            continue;
        }
        json_decref(entry);
        fprintf(out, "%s\n%s", n > 0 ? "," : "", line.data);
        n++;
    }
    fputs("]}}\n", out);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0 || ferror(out)) {
        snprintf(err, errlen, "cannot write %s: %s", tmp_path, strerror(errno));
        goto out;
    }
    fclose(out);
    out = NULL;
    if (rename(tmp_path, har_path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp_path, har_path, strerror(errno));
        goto out;
    }
    unlink(journal_path);
    entries = n;
out:
    if (out != NULL) {
        fclose(out);
        unlink(tmp_path);
    }
    fclose(in);
    json_decref(creator);
    strbuf_release(&line);
    if (dropped != NULL)
        *dropped = cut;
    return entries;
}
