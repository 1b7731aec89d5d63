#include "http/logq.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* At most this much per write(): a pipe that poll() calls writable takes
 * PIPE_BUF bytes without blocking. */
#define LOGQ_CHUNK 4096
#define LOGQ_POLL_MS 100

struct logq {
    int fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    char *ring;                  /* LOGQ_CAPACITY bytes */
    size_t head;                 /* next byte to write out */
    size_t used;                 /* bytes queued */
    uint64_t dropped;            /* lines dropped, ever */
    uint64_t reported;           /* of which already reported in the output */
    int stopping;
    int64_t drain_until;         /* set with stopping: when the writer gives up */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void logq_put(logq *q, const char *line, size_t len)
{
    pthread_mutex_lock(&q->lock);
    if (q->used + len + 1 > LOGQ_CAPACITY) {
        q->dropped++;
        pthread_mutex_unlock(&q->lock);
        return;
    }
    size_t tail = (q->head + q->used) % LOGQ_CAPACITY;
    size_t first = len < LOGQ_CAPACITY - tail ? len : LOGQ_CAPACITY - tail;
    memcpy(q->ring + tail, line, first);
    memcpy(q->ring, line + first, len - first);
    q->ring[(tail + len) % LOGQ_CAPACITY] = '\n';
    int was_empty = q->used == 0;
    q->used += len + 1;
    pthread_mutex_unlock(&q->lock);
    if (was_empty)
        pthread_cond_signal(&q->ready);
}

uint64_t logq_dropped(logq *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->dropped;
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* Waits up to timeout_ms until fd takes bytes. Returns 1 when writable, 0
 * on timeout, -1 when the output is gone (a closed pipe). */
static int wait_writable(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    if (rc == 0)
        return 0;
    return (p.revents & (POLLERR | POLLNVAL)) ? -1 : 1;
}

/* Whether logq_stop was called and its drain time is over. Read at every
 * wait, so that a write begun before the stop gives up too. */
static int drain_over(logq *q)
{
    pthread_mutex_lock(&q->lock);
    int over = q->stopping && now_ms() > q->drain_until;
    pthread_mutex_unlock(&q->lock);
    return over;
}

/* Writes all of buf unless the output is gone or the drain time is over.
 * Returns 0, or -1 to give up. */
static int write_out(logq *q, const char *buf, size_t len)
{
    while (len > 0) {
        int ok = wait_writable(q->fd, LOGQ_POLL_MS);
        if (ok < 0 || drain_over(q))
            return -1;
        if (ok == 0)
            continue;
        ssize_t n = write(q->fd, buf, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *writer(void *arg)
{
    logq *q = arg;
    char chunk[LOGQ_CHUNK];
    int gone = 0;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->used == 0 && q->dropped == q->reported && !q->stopping)
            pthread_cond_wait(&q->ready, &q->lock);
        if (q->stopping && (q->used == 0 || gone || now_ms() > q->drain_until))
            break;
        int stopping = q->stopping;
        size_t n = 0;
        if (q->used > 0) {
            n = q->used < sizeof chunk ? q->used : sizeof chunk;
            size_t first = n < LOGQ_CAPACITY - q->head ? n : LOGQ_CAPACITY - q->head;
            memcpy(chunk, q->ring + q->head, first);
            memcpy(chunk + first, q->ring, n - first);
            q->head = (q->head + n) % LOGQ_CAPACITY;
            q->used -= n;
        } else {
            /* The ring is empty again: say what it could not hold. */
            int w = snprintf(chunk, sizeof chunk, "descovo-mock: %llu log lines dropped (the output was not "
                             "read fast enough)\n", (unsigned long long)(q->dropped - q->reported));
            n = w > 0 && (size_t)w < sizeof chunk ? (size_t)w : 0;
            q->reported = q->dropped;
        }
        pthread_mutex_unlock(&q->lock);
        /* The output gone for good (a closed pipe): keep emptying the
         * ring, so that nothing waits on it. */
        if (!gone && write_out(q, chunk, n) != 0 && !stopping)
            gone = wait_writable(q->fd, 0) < 0;
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

logq *logq_start(int fd)
{
    logq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->ring = malloc(LOGQ_CAPACITY);
    if (q->ring == NULL) {
        free(q);
        return NULL;
    }
    q->fd = fd;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->ready, NULL);
    if (pthread_create(&q->thread, NULL, writer, q) != 0) {
        pthread_cond_destroy(&q->ready);
        pthread_mutex_destroy(&q->lock);
        free(q->ring);
        free(q);
        return NULL;
    }
    return q;
}

void logq_stop(logq *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    q->drain_until = now_ms() + LOGQ_DRAIN_MS;
    pthread_mutex_unlock(&q->lock);
    pthread_cond_signal(&q->ready);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
}
