#include "http/conns.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_INTERVAL_MS 500

enum { PHASE_IDLE, PHASE_READING, PHASE_ANSWERING };

struct conn {
    int fd;
    int over_limit;
    atomic_int phase;
    atomic_int_fast64_t since_ms;   /* when the current phase began */
    int reaped;                     /* lock held */
    struct conn *prev, *next;       /* lock held */
};

struct conns {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t reaper;
    conn *head;
    size_t n_open;
    size_t reaped;
    size_t serving_limit;
    int64_t idle_ms;
    int64_t request_ms;
    int stopping;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t conns_raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        struct rlimit raised = {limit.rlim_max, limit.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? (size_t)1 << 20 : (size_t)limit.rlim_cur;
}

/* Lock held. Shuts down every connection past its deadline; libmicrohttpd
 * then sees the socket end and closes it. */
static void reap(conns *c, int64_t now)
{
    for (conn *k = c->head; k != NULL; k = k->next) {
        if (k->reaped)
            continue;
        int phase = atomic_load(&k->phase);
        int64_t waited = now - atomic_load(&k->since_ms);
        if ((phase == PHASE_IDLE && waited > c->idle_ms) || (phase == PHASE_READING && waited > c->request_ms)) {
            shutdown(k->fd, SHUT_RDWR);
            k->reaped = 1;
            c->reaped++;
        }
    }
}

static void *reaper(void *arg)
{
    conns *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        reap(c, now_ms());
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += REAP_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->wake, &c->lock, &until);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

conns *conns_start(unsigned idle_timeout_s, unsigned request_timeout_s, size_t serving_limit)
{
    conns *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->idle_ms = (int64_t)idle_timeout_s * 1000;
    c->request_ms = (int64_t)request_timeout_s * 1000;
    c->serving_limit = serving_limit;
    if (pthread_create(&c->reaper, NULL, reaper, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    return c;
}

conn *conns_open(conns *c, int fd)
{
    conn *k = calloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->fd = fd;
    atomic_init(&k->phase, PHASE_IDLE);
    atomic_init(&k->since_ms, now_ms());
    pthread_mutex_lock(&c->lock);
    k->over_limit = c->n_open >= c->serving_limit;
    k->next = c->head;
    if (c->head != NULL)
        c->head->prev = k;
    c->head = k;
    c->n_open++;
    pthread_mutex_unlock(&c->lock);
    return k;
}

void conns_close(conns *c, conn *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    if (k->prev != NULL)
        k->prev->next = k->next;
    else
        c->head = k->next;
    if (k->next != NULL)
        k->next->prev = k->prev;
    c->n_open--;
    pthread_mutex_unlock(&c->lock);
    free(k);
}

int conn_over_limit(const conn *k)
{
    return k != NULL && k->over_limit;
}

static void set_phase(conn *k, int phase)
{
    if (k == NULL)
        return;
    atomic_store(&k->since_ms, now_ms());
    atomic_store(&k->phase, phase);
}

void conn_reading(conn *k)
{
    set_phase(k, PHASE_READING);
}

void conn_answering(conn *k)
{
    set_phase(k, PHASE_ANSWERING);
}

void conn_idle(conn *k)
{
    set_phase(k, PHASE_IDLE);
}

size_t conns_open_count(conns *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->n_open;
    pthread_mutex_unlock(&c->lock);
    return n;
}

size_t conns_reaped(conns *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->reaped;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void conns_stop(conns *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->reaper, NULL);
    conn *k = c->head;
    while (k != NULL) {
        conn *next = k->next;
        free(k);
        k = next;
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
