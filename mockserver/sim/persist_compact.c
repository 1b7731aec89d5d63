/* persist_compact: a snapshot and a new log after it (persist.h,
 * "Compaction"). The file is written beside the state file as
 * PATH.compact and renamed over it once whole and synced, so that a crash
 * at any step leaves one complete file or the other. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/persist_internal.h"
#include "text/fdwrite.h"

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void persist_cut_here(persist *p, persist_cut *cut)
{
    pthread_mutex_lock(&p->lock);
    int64_t vouched = __atomic_load_n(&p->vouched_ms, __ATOMIC_ACQUIRE);
    *cut = (persist_cut){
        .seq = p->appended,
        .offset = p->end,
        .last_t = p->last_t,
        .vouched_ms = p->queued_ms > vouched ? p->queued_ms : vouched,
        .generation = p->generation,
    };
    pthread_mutex_unlock(&p->lock);
}

void persist_compact_stats_of(persist *p, persist_compact_stats *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->stats;
    out->since_snapshot = p->since_snapshot;
    out->snapshot_lines = p->snapshot_lines;
    pthread_mutex_unlock(&p->lock);
}

void persist_set_compact_hook(persist *p, uint64_t floor, persist_compact_hook hook, void *ctx)
{
    pthread_mutex_lock(&p->lock);
    p->compact_floor = floor;
    p->compact_hook = hook;
    p->compact_hook_ctx = ctx;
    p->compact_asked = 0;
    /* A long log replayed at start is due at once. */
    uint64_t due = p->snapshot_lines > floor ? p->snapshot_lines : floor;
    if (hook != NULL && floor > 0 && p->since_snapshot >= due) {
        p->compact_asked = 1;
        hook(ctx);
    }
    pthread_mutex_unlock(&p->lock);
}

void persist_set_step_hook(persist *p, persist_step_fn step, void *ctx)
{
    pthread_mutex_lock(&p->lock);
    p->step_hook = step;
    p->step_hook_ctx = ctx;
    pthread_mutex_unlock(&p->lock);
}

/* The step hook of one compaction, taken when it starts. */
typedef struct steps {
    persist_step_fn fn;
    void *ctx;
} steps;

static void step(const steps *s, int k)
{
    if (s->fn != NULL)
        s->fn(s->ctx, k);
}

/* Appends bytes [from, to) of file `in` to `out`. */
static int copy_range(int in, int out, off_t from, off_t to)
{
    char buf[65536];
    while (from < to) {
        size_t want = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
        ssize_t n = pread(in, buf, want, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO; /* shorter than the log says: never expected */
            return -1;
        }
        if (fdwrite_all(out, buf, (size_t)n) != 0)
            return -1;
        from += n;
    }
    return 0;
}

/* The header and the line opening the snapshot, into out. */
static void write_head(const persist *p, const persist_cut *cut, size_t n_lines, strbuf *out)
{
    char *header = persist_header_line(&p->identity);
    if (header == NULL) {
        out->oom = 1;
        return;
    }
    strbuf_puts(out, header);
    free(header);
    strbuf_printf(out, "\n{\"snapshot\":{\"lines\":%zu,\"t\":%lld,\"c\":%lld}}\n", n_lines,
                  (long long)cut->last_t, (long long)cut->vouched_ms);
}

/* Log lock held. The new file takes over: it is complete and synced. */
static int switch_to(persist *p, const steps *steps, int fd, const char *tmp, off_t new_size, off_t alloc)
{
    if (rename(tmp, p->path) != 0)
        return -1;
    step(steps, 6);
    /* From here PATH is the new file: failing to use it loses changes. */
    if (persist_sync_dir(p->path) != 0 || dup2(fd, p->fd) < 0) {
        persist_mark_failed(p, errno);
        return -1;
    }
    step(steps, 7);
    p->size = new_size;
    p->alloc = alloc > new_size ? alloc : new_size;
    p->tail_retry_at = 0;
    p->end = new_size + (off_t)p->pending.len;
    return 0;
}

int persist_compact(persist *p, const persist_cut *cut, const char *snapshot, size_t len, size_t n_lines,
                    char *err, size_t errlen)
{
    int64_t started = monotonic_ms();
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.compact", p->path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(err, errlen, "the state file's path is too long");
        errno = ENAMETOOLONG;
        return -1;
    }
    pthread_mutex_lock(&p->lock);
    int busy = p->compacting;
    p->compacting = 1;
    steps steps = {p->step_hook, p->step_hook_ctx};
    pthread_mutex_unlock(&p->lock);
    if (busy) {
        snprintf(err, errlen, "a compaction of the state file is already running");
        errno = EBUSY;
        return -1;
    }
    const char *doing = "creating";
    int fd = -1, old = -1, locked = 0, rc = -1;
    strbuf head = STRBUF_INIT;
    char end_mark[48];
    int end_len = snprintf(end_mark, sizeof end_mark, "{\"snapshotEnd\":%zu}\n", n_lines);
    step(&steps, 1);
    /* Written in order through the file position, but not O_APPEND: the
     * log's flusher writes it with pwrite once it takes over. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    doing = "writing";
    write_head(p, cut, n_lines, &head);
    if (head.oom) {
        errno = ENOMEM;
        goto out;
    }
    if (fdwrite_all(fd, head.data, head.len) != 0 || fdwrite_all(fd, snapshot, len) != 0 ||
        fdwrite_all(fd, end_mark, (size_t)end_len) != 0)
        goto out;
    step(&steps, 2);
    doing = "syncing";
    if (fdatasync(fd) != 0)
        goto out;
    step(&steps, 3);
    /* The records after the cut: durable in the old file, copied from it;
     * most of them now, without the log's lock. */
    doing = "copying the log into";
    if (persist_sync(p, cut->seq) != 0)
        goto out;
    pthread_mutex_lock(&p->lock);
    off_t copied = p->size;
    int stale = p->generation != cut->generation;
    if (!stale)
        old = open(p->path, O_RDONLY | O_CLOEXEC);
    pthread_mutex_unlock(&p->lock);
    if (stale) {
        errno = ECANCELED;
        goto out;
    }
    /* Its zero tail (persist.h), after what is copied so far and synced
     * with it; the rest copied under the lock goes over its start. */
    off_t at = (off_t)(head.len + len + (size_t)end_len) + (copied - cut->offset);
    if (old < 0 || copy_range(old, fd, cut->offset, copied) != 0)
        goto out;
    off_t alloc = persist_tail_extend(fd, at, persist_tail_target(at, at));
    if (fdatasync(fd) != 0)
        goto out;
    step(&steps, 4);
    /* The rest under the log's lock (no leader writes meanwhile), then
     * the switch. */
    pthread_mutex_lock(&p->lock);
    locked = 1;
    while (p->flushing)
        pthread_cond_wait(&p->synced, &p->lock);
    if (p->generation != cut->generation) {
        errno = ECANCELED;
        goto out;
    }
    if (persist_failed(p) != 0) {
        errno = persist_failed(p);
        goto out;
    }
    if (copy_range(old, fd, copied, p->size) != 0 || fdatasync(fd) != 0)
        goto out;
    step(&steps, 5);
    doing = "renaming";
    off_t new_size = (off_t)(head.len + len + (size_t)end_len) + (p->size - cut->offset);
    if (switch_to(p, &steps, fd, tmp, new_size, alloc) != 0)
        goto out;
    p->since_snapshot = p->appended - cut->seq;
    p->snapshot_lines = n_lines;
    p->compact_asked = 0;
    p->ask_after = 0;
    p->stats.compactions++;
    p->stats.last_ms = monotonic_ms() - started;
    p->stats.last_bytes = (uint64_t)new_size;
    rc = 0;
out:
    if (rc != 0) {
        int saved = errno;
        if (saved == ECANCELED)
            snprintf(err, errlen, "a reset emptied the state file during the compaction; nothing to compact");
        else
            snprintf(err, errlen, "compaction: %s %s: %s", doing, tmp, strerror(saved));
        unlink(tmp);
        errno = saved;
    }
    if (!locked)
        pthread_mutex_lock(&p->lock);
    if (rc != 0) {
        /* Ask again after as many lines again, not at each one. */
        uint64_t due = p->snapshot_lines > p->compact_floor ? p->snapshot_lines : p->compact_floor;
        p->ask_after = p->since_snapshot + due;
        p->compact_asked = 0;
    }
    p->compacting = 0;
    pthread_mutex_unlock(&p->lock);
    if (fd >= 0)
        close(fd);
    if (old >= 0)
        close(old);
    strbuf_release(&head);
    if (rc == 0)
        step(&steps, 8);
    return rc;
}
