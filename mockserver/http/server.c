#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/body.h"
#include "http/conns.h"
#include "http/logq.h"
#include "sim/keys.h"
#include "sim/persist.h"
#include "text/fnv.h"
#include "text/join.h"
#include "text/jsonw.h"
#include "text/percent.h"
#include "text/strbuf.h"

/* libmicrohttpd's own inactivity timeout: a backstop for answers a client
 * does not read (conns.c handles idle and slow requests). */
#define CONNECTION_TIMEOUT_S 30
#define CSV_BLOCK_SIZE (64 * 1024)
/* A CSV read whole (make_response) is read into a buffer of this size
 * first, the usual export at once (a fleet's prospects: 16-32 KiB). Its
 * response gives the buffer back to the server when it is destroyed, for
 * the next download: a fresh one is a large allocation, which makes glibc
 * consolidate its fast bins at the malloc and again at the free (some
 * 2,500 instructions a download), and the buffer given back last is still
 * in the cache. The server keeps at most CSV_SPARES of them. */
#define CSV_HEAD_FIRST (64 * 1024)
#define CSV_SPARES 4
/* libmicrohttpd's per-connection pool (request line, headers and the
 * answer's headers; bodies go to our own buffer). It zeroes the pool for
 * every request, so smaller is faster. */
#define CONNECTION_MEMORY_LIMIT (8 * 1024)
#define LOG_PATH_MAX 160

/* A connection suspended by an injected latency, waiting to be resumed. */
typedef struct delayed {
    struct MHD_Connection *connection;
    int64_t due_ns;
    struct delayed *next;        /* ascending due_ns */
} delayed;

struct mock_http {
    struct MHD_Daemon *daemon;
    mock_http_config config;
    logq *log;                   /* NULL: no request log */
    conns *conns;                /* deadlines and the connection limit */
    int awaiting;                /* answers held until durable or made later (atomic) */
    size_t connection_limit;     /* libmicrohttpd's; 503 from connection_limit - headroom */
    journal *journal;            /* NULL: not kept */
    uint16_t port;
    /* Injected latency: a timer thread resumes suspended connections, so no
     * pool thread waits. */
    pthread_t timer;
    int timer_started;
    pthread_mutex_t delay_lock;
    pthread_cond_t delay_cond;
    delayed *delays;
    int stopping;
    /* Buffers of CSVs sent whole, back from their responses, for the next
     * downloads (make_response). */
    pthread_mutex_t spare_lock;
    char *spares[CSV_SPARES];
    size_t n_spares;
};

/* Per-request state, from the first call of the access handler to the
 * completion callback. It lives in its connection's slot and is set up
 * afresh for each request (request_begin), so a request allocates none:
 * every field before `method` starts zeroed; from there on the texts start
 * empty and the body empty (its buffer kept). */
typedef struct request_state {
    int64_t started_ns;
    int64_t started_sim_ms;       /* the simulator's clock (the tenant's), for the journal */
    uint64_t key_id;              /* the caller's key, for the journal */
    int too_large;
    unsigned status;              /* 0: no answer (dropped) */
    char *response_text;          /* start of the JSON answer, for the journal */
    size_t response_text_len;     /* its length */
    size_t response_len;          /* its full length */
    struct MHD_Response *pending; /* answer held back by an injected latency */
    mock_reply *later;            /* an answer being made later (mock_reply.later) */
    int begun;                    /* the access handler was called */
    int encoded_slash;            /* "%2F" in the raw path: refused */
    unsigned pending_status;
    int unjournaled;              /* the dashboard polling: not journaled */
    int journaled;                /* its journal entry is made (journal_answer) */
    /* Held until the change is durable (reply.durable_log): */
    mock_http *http;
    struct MHD_Connection *connection;
    int64_t pending_delay_ms;     /* an injected latency still to come after */
    int durable_error;            /* the write failed: answer 500 instead */
    keys_secret masking;          /* `secret` prepared for keys_mask_text */
    char method[12];
    char path[LOG_PATH_MAX];
    char key[32];                 /* masked */
    char secret[KEYS_MAX_KEY_LEN + 1]; /* the key the request named, for the journal to mask */
    strbuf body;
    struct connection_slot *slot; /* the connection's, which holds this state */
} request_state;

/* A request body buffer at most this large is kept for the connection's
 * next request; a larger one is freed when its request ends. */
#define BODY_KEEP_MAX (16 * 1024)
/* An answer at most this large, with no header of its own, may be kept as
 * the connection's last answer (memory: one per connection). */
#define REUSE_MAX 1024

/* What the server keeps for each connection, from open to close
 * (connection_event): its tracking in conns.c, the state of its request
 * (one at a time on a connection), and its last plain JSON answer. A
 * client that polls the same endpoint on a keep-alive connection usually
 * gets the same bytes again: the libmicrohttpd response is then queued
 * again rather than built, given headers and freed per request.
 * Only the connection's own thread touches the slot. */
typedef struct connection_slot {
    conn *track;                  /* NULL: not tracked (out of memory) */
    request_state request;
    int in_request;               /* request_begin ran, request_end not yet */
    struct MHD_Response *last;    /* our reference; NULL: none */
    const char *last_data;        /* its body (the response keeps it alive) */
    size_t last_len;
} connection_slot;

/* A CSV being streamed, or sent whole from head. */
typedef struct csv_stream {
    export_reader *reader;        /* NULL once sent whole */
    export_file *file;
    mock_http *http;
    char *head;                   /* read before streaming began, sent first */
    size_t head_cap, head_len, head_pos;
} csv_stream;

/* A CSV up to this size (the usual export: a few KiB) is read whole and
 * sent with a Content-Length in one write; a larger one streams in chunks,
 * which costs a send and a chunk header per block. */
#define CSV_WHOLE_MAX (256 * 1024)

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Copies s into out (size bytes), cut to fit; always NUL-terminated. */
static void copy_cut(char *out, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *query_value(const mock_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->query_ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header_value(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

/* Percent-decodes the path and query values in place, as libmicrohttpd's
 * default does, except "%00", which stays as it is (text/percent.h). */
static size_t unescape(void *cls, struct MHD_Connection *connection, char *s)
{
    (void)cls;
    (void)connection;
    return percent_decode(s, s, strlen(s));
}

/* Adapts libmicrohttpd's iterator to the one of http_request. */
typedef struct query_walk {
    int (*fn)(void *cls, const char *name, const char *value);
    void *cls;
} query_walk;

static enum MHD_Result query_step(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    (void)kind;
    query_walk *walk = cls;
    return walk->fn(walk->cls, name, value) == 0 ? MHD_YES : MHD_NO;
}

static void query_each(void *ctx, int (*fn)(void *cls, const char *name, const char *value), void *cls)
{
    query_walk walk = {fn, cls};
    MHD_get_connection_values((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, query_step, &walk);
}

static ssize_t csv_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    csv_stream *stream = cls;
    if (stream->head_pos < stream->head_len) {
        size_t n = stream->head_len - stream->head_pos;
        if (n > max)
            n = max;
        memcpy(buf, stream->head + stream->head_pos, n);
        stream->head_pos += n;
        return (ssize_t)n;
    }
    ssize_t n = export_reader_read(stream->reader, buf, max);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

/* Lets go of the export: its reader and the reference to its file. */
static void csv_release_export(csv_stream *stream)
{
    export_reader_free(stream->reader);
    stream->reader = NULL;
    store *st = stream->http->config.store;
    store_lock(st);
    store_export_release(stream->file);
    store_unlock(st);
    stream->file = NULL;
}

static void csv_free(void *cls)
{
    csv_stream *stream = cls;
    csv_release_export(stream);
    free(stream->head);
    free(stream);
}

/* A CSV_HEAD_FIRST buffer given back by an earlier download, or NULL. */
static char *spare_take(mock_http *http)
{
    pthread_mutex_lock(&http->spare_lock);
    char *buffer = http->n_spares > 0 ? http->spares[--http->n_spares] : NULL;
    pthread_mutex_unlock(&http->spare_lock);
    return buffer;
}

/* The free callback of a CSV sent whole from a CSV_HEAD_FIRST buffer:
 * the buffer goes back to the server (freed when it has CSV_SPARES). */
static void csv_sent(void *cls)
{
    csv_stream *stream = cls;
    mock_http *http = stream->http;
    char *buffer = stream->head;
    pthread_mutex_lock(&http->spare_lock);
    if (http->n_spares < CSV_SPARES) {
        http->spares[http->n_spares++] = buffer;
        buffer = NULL;
    }
    pthread_mutex_unlock(&http->spare_lock);
    free(buffer);
    free(stream);
}

/* Reads the CSV into stream->head (head_cap bytes, or NULL and 0), grown
 * as needed up to CSV_WHOLE_MAX bytes. Returns 1 when that was all of it,
 * 0 when more is left to stream, -1 when out of memory. */
static int csv_read_head(csv_stream *stream)
{
    size_t cap = CSV_HEAD_FIRST;
    for (;;) {
        if (stream->head_cap < cap) {
            char *grown = realloc(stream->head, cap);
            if (grown == NULL)
                return -1;
            stream->head = grown;
            stream->head_cap = cap;
        }
        while (stream->head_len < cap) {
            ssize_t n = export_reader_read(stream->reader, stream->head + stream->head_len, cap - stream->head_len);
            if (n < 0)
                return -1;
            if (n == 0)
                return 1;
            stream->head_len += (size_t)n;
        }
        if (cap == CSV_WHOLE_MAX)
            return 0;
        cap *= 2;
    }
}

/* A strong validator of the answer's bytes: FNV-1a 64, quoted. */
static void etag_of(const strbuf *text, char out[24])
{
    uint64_t h = fnv1a(text->data, text->len);
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* Whether an If-None-Match value ("*", or a list of tags, weak ones
 * included) names this tag. */
static int etag_listed(const char *header, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = header; *p != '\0';) {
        p += strspn(p, " \t,");
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\t'))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* The headers of a JSON (or dashboard) answer; etag: "" for none. */
static void add_headers(struct MHD_Response *response, const mock_reply *reply, const char *etag)
{
    MHD_add_response_header(response, "Content-Type",
                            reply->content_type != NULL ? reply->content_type : "application/json");
    if (reply->content_type != NULL) {
        /* The dashboard: its own inline script and style, nothing fetched
         * from elsewhere, never framed. */
        MHD_add_response_header(response, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                "form-action 'none'");
        MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    }
    if (etag[0] != '\0') {
        /* Revalidate every time: the state behind it changes. */
        MHD_add_response_header(response, "ETag", etag);
        MHD_add_response_header(response, "Cache-Control", "no-cache");
    }
    if (reply->retry_after > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", reply->retry_after);
        MHD_add_response_header(response, "Retry-After", seconds);
    }
    if (reply->allow[0] != '\0')
        MHD_add_response_header(response, "Allow", reply->allow);
}

/* Whether a reply's answer may be the connection's last (connection_slot):
 * a small JSON text sent at once, with no header but its Content-Type. */
static int reusable(const mock_reply *reply, const strbuf *text)
{
    return text->len <= REUSE_MAX && reply->content_type == NULL && !reply->etag &&
           reply->retry_after <= 0 && reply->allow[0] == '\0' && reply->durable_log == NULL && reply->delay_ms <= 0;
}

_Static_assert(REUSE_MAX <= JOURNAL_DEFAULT_BODY_CAP, "a reused answer goes to the journal whole");

/* The response of a reusable answer: the connection's last one when the
 * bytes are the same, else a new one that becomes the last. Takes text,
 * which becomes the journal's copy when journaled. The response stays the
 * slot's: the caller queues it and does not destroy it. Returns NULL when
 * out of memory. */
static struct MHD_Response *reuse_response(request_state *state, const mock_reply *reply, strbuf *text,
                                           int journaled)
{
    connection_slot *slot = state->slot;
    size_t len = text->len;
    if (slot->last == NULL || slot->last_len != len || memcmp(slot->last_data, text->data, len) != 0) {
        /* libmicrohttpd gets the text, or a copy when the journal keeps it. */
        char *data = journaled ? malloc(len + 1) : strbuf_detach(text);
        if (data == NULL) {
            strbuf_release(text);
            return NULL;
        }
        if (journaled)
            memcpy(data, text->data, len);
        struct MHD_Response *response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (response == NULL) {
            free(data);
            strbuf_release(text);
            return NULL;
        }
        add_headers(response, reply, "");
        if (slot->last != NULL)
            MHD_destroy_response(slot->last);
        slot->last = response;
        slot->last_data = data;
        slot->last_len = len;
    }
    if (journaled) {
        state->response_len = len;
        state->response_text_len = len;
        state->response_text = strbuf_detach(text);
    }
    strbuf_release(text);
    return slot->last;
}

/* Builds the MHD response for a reply; takes what the reply owns.
 * if_none_match: the request's header, for a reply that asks for an ETag.
 * Sets *shared when the response is the connection's to keep (queue it,
 * do not destroy it). */
static struct MHD_Response *make_response(mock_http *http, request_state *state, mock_reply *reply,
                                          const char *if_none_match, int *shared)
{
    struct MHD_Response *response = NULL;
    *shared = 0;
    if (reply->csv != NULL) {
        csv_stream *stream = malloc(sizeof *stream);
        if (stream == NULL)
            goto fail_csv;
        char *spare = spare_take(http);
        *stream = (csv_stream){reply->csv, reply->csv_file, http, spare, spare != NULL ? CSV_HEAD_FIRST : 0, 0, 0};
        int whole = csv_read_head(stream);
        if (whole < 0) {
            free(stream->head);
            free(stream);
            goto fail_csv;
        }
        reply->csv = NULL;
        reply->csv_file = NULL;
        if (whole && stream->head_cap == CSV_HEAD_FIRST) {
            /* All of it is in head: the export can go now, the buffer when
             * the response is done with it. */
            csv_release_export(stream);
            response = MHD_create_response_from_buffer_with_free_callback_cls(stream->head_len, stream->head,
                                                                              csv_sent, stream);
            if (response == NULL)
                csv_sent(stream);
        } else if (whole) {
            response = MHD_create_response_from_buffer(stream->head_len, stream->head, MHD_RESPMEM_MUST_FREE);
            if (response != NULL)
                stream->head = NULL;
            csv_free(stream);
        } else {
            response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CSV_BLOCK_SIZE, csv_read, stream, csv_free);
            if (response == NULL)
                csv_free(stream);
        }
        if (response == NULL)
            return NULL;
        char disposition[128];
        join(disposition, sizeof disposition, "attachment; filename=\"", reply->filename, "\"", NULL);
        MHD_add_response_header(response, "Content-Type", "text/csv; charset=utf-8");
        MHD_add_response_header(response, "Content-Disposition", disposition);
        return response;
    }
    /* A success answer comes serialised (reply_ok); anything else is a
     * jansson tree, which jsonw writes as json_dumps would, faster. */
    strbuf text = STRBUF_INIT;
    if (reply->text.data != NULL) {
        text = reply->text;
        reply->text = (strbuf)STRBUF_INIT;
    } else if (jsonw_write(reply->body, &text) != 0) {
        text.oom = 1;
    }
    if (text.oom || text.data == NULL) {
        strbuf_release(&text);
        return NULL;
    }
    int journaled = http->journal != NULL && !state->unjournaled;
    if (reusable(reply, &text)) {
        *shared = 1;
        return reuse_response(state, reply, &text, journaled);
    }
    if (journaled) {
        state->response_len = text.len;
        size_t keep = text.len < JOURNAL_DEFAULT_BODY_CAP ? text.len : JOURNAL_DEFAULT_BODY_CAP;
        state->response_text = malloc(keep + 1);
        if (state->response_text != NULL) {
            memcpy(state->response_text, text.data, keep);
            state->response_text[keep] = '\0';
            state->response_text_len = keep;
        }
    }
    char etag[24] = "";
    if (reply->etag) {
        etag_of(&text, etag);
        if (if_none_match != NULL && etag_listed(if_none_match, etag)) {
            /* Unchanged since the caller's copy: no body (RFC 9110, 15.4.5). */
            strbuf_release(&text);
            reply->status = 304;
            response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
            if (response != NULL)
                MHD_add_response_header(response, "ETag", etag);
            return response;
        }
    }
    size_t len = text.len;
    char *data = strbuf_detach(&text);
    response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(data);
        return NULL;
    }
    add_headers(response, reply, etag);
    return response;
fail_csv:
    export_reader_free(reply->csv);
    reply->csv = NULL;
    store_lock(http->config.store);
    store_export_release(reply->csv_file);
    store_unlock(http->config.store);
    reply->csv_file = NULL;
    return NULL;
}

/* Closes the connection without an answer; with reset, as a TCP RST. */
static enum MHD_Result abort_connection(struct MHD_Connection *connection, int reset)
{
    if (reset) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (info != NULL) {
            /* connect() to AF_UNSPEC disconnects a TCP socket with an RST
             * (Linux), and leaves the descriptor to libmicrohttpd, which
             * still owns it and closes it. */
            struct sockaddr unspec;
            memset(&unspec, 0, sizeof unspec);
            unspec.sa_family = AF_UNSPEC;
            if (connect(info->connect_fd, &unspec, sizeof unspec) != 0) {
                struct linger linger = {1, 0};
                setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
            }
        }
    }
    return MHD_NO;
}

/* Queues `connection` to be resumed after delay_ms. */
static void delay_connection(mock_http *http, struct MHD_Connection *connection, int64_t delay_ms)
{
    delayed *d = malloc(sizeof *d);
    if (d == NULL) {
        MHD_resume_connection(connection); /* no memory: answer now */
        return;
    }
    d->connection = connection;
    d->due_ns = monotonic_ns() + delay_ms * 1000000LL;
    pthread_mutex_lock(&http->delay_lock);
    delayed **link = &http->delays;
    while (*link != NULL && (*link)->due_ns <= d->due_ns)
        link = &(*link)->next;
    d->next = *link;
    *link = d;
    pthread_cond_signal(&http->delay_cond);
    pthread_mutex_unlock(&http->delay_lock);
}

static void *delay_timer(void *arg)
{
    mock_http *http = arg;
    pthread_mutex_lock(&http->delay_lock);
    while (!http->stopping) {
        if (http->delays == NULL) {
            pthread_cond_wait(&http->delay_cond, &http->delay_lock);
            continue;
        }
        int64_t now = monotonic_ns();
        if (http->delays->due_ns <= now) {
            delayed *d = http->delays;
            http->delays = d->next;
            MHD_resume_connection(d->connection);
            free(d);
            continue;
        }
        /* The condition variable waits on CLOCK_REALTIME: convert. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t wait_ns = http->delays->due_ns - now;
        until.tv_sec += (time_t)(wait_ns / 1000000000LL);
        until.tv_nsec += (long)(wait_ns % 1000000000LL);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&http->delay_cond, &http->delay_lock, &until);
    }
    pthread_mutex_unlock(&http->delay_lock);
    return NULL;
}

/* Resumes every suspended connection: libmicrohttpd cannot stop with any. */
static void stop_delays(mock_http *http)
{
    if (!http->timer_started)
        return;
    pthread_mutex_lock(&http->delay_lock);
    http->stopping = 1;
    pthread_cond_signal(&http->delay_cond);
    pthread_mutex_unlock(&http->delay_lock);
    pthread_join(http->timer, NULL);
    while (http->delays != NULL) {
        delayed *d = http->delays;
        http->delays = d->next;
        MHD_resume_connection(d->connection);
        free(d);
    }
}

/* Keeps the key the request named, for the journal to mask in the bodies,
 * and masks it in the path the log and the journal keep
 * (/_mock/accounts/KEY). */
static void keep_secret(request_state *state, const char *secret)
{
    copy_cut(state->secret, sizeof state->secret, secret);
    keys_secret_init(&state->masking, state->secret);
    size_t len = 0;
    int oom = 0;
    char *masked = keys_mask_text(state->path, strlen(state->path), &state->masking, &len, &oom);
    if (masked != NULL)
        copy_cut(state->path, sizeof state->path, masked);
    else if (oom)
        copy_cut(state->path, sizeof state->path, "(path not kept: out of memory)");
    free(masked);
}

/* Puts the request in the journal, once: just before its answer is queued,
 * so that a client that has read the answer finds it in GET
 * /_mock/requests whatever connection it asks on (made at completion
 * instead, the entry could come after the client's next request), or at
 * completion for a request that got no answer (a drop or reset fault, a
 * client gone). Its duration is the time to the answer. */
static void journal_answer(mock_http *http, request_state *state)
{
    if (state->journaled || !state->begun)
        return;
    state->journaled = 1;
    if (http->journal == NULL || state->unjournaled)
        return;
    journal_record record = {
        .time_ms = state->started_sim_ms,
        .method = state->method,
        .path = state->path,
        .masked_key = state->key,
        .secret = &state->masking,
        .key_id = state->key_id,
        .status = state->status,
        .duration_ms = (double)(monotonic_ns() - state->started_ns) / 1e6,
        .request_body = state->body.data,
        .request_len = state->body.len,
        .response_owned = state->response_text,
        .response_owned_len = state->response_text_len,
        .response_len = state->response_len,
    };
    journal_add(http->journal, &record);
    state->response_text = NULL; /* the journal has it */
}

/* Called back by the state file once a held answer's change is durable
 * (error 0) or cannot be (its errno), or by a job once the answer it makes
 * later is ready (0); any thread. */
static void durable_done(void *arg, int error)
{
    request_state *state = arg;
    mock_http *http = state->http;
    state->durable_error = error;
    if (error == 0 && state->pending_delay_ms > 0)
        delay_connection(http, state->connection, state->pending_delay_ms);
    else
        MHD_resume_connection(state->connection);
    __atomic_sub_fetch(&http->awaiting, 1, __ATOMIC_ACQ_REL);
}

static enum MHD_Result send_reply(mock_http *http, struct MHD_Connection *connection,
                                  request_state *state, mock_reply *reply);

/* A reply made later (mock_reply.later): suspended as a durable answer is,
 * and resumed by the job through durable_done. */
static enum MHD_Result answer_later(mock_http *http, struct MHD_Connection *connection,
                                    request_state *state, mock_reply *reply)
{
    mock_reply *answer = calloc(1, sizeof *answer);
    json_decref(reply->body);
    strbuf_release(&reply->text);
    if (answer == NULL) {
        mock_reply refusal = {0};
        reply_error(&refusal, 500, "Internal error: out of memory answering.");
        return send_reply(http, connection, state, &refusal);
    }
    state->later = answer;
    state->http = http;
    state->connection = connection;
    MHD_suspend_connection(connection);
    __atomic_add_fetch(&http->awaiting, 1, __ATOMIC_ACQ_REL);
    reply->later(reply->later_arg, answer, durable_done, state);
    return MHD_YES;
}

/* Answers 500 instead of the held response (taken) of a change that could
 * not be written (error: its errno). */
static enum MHD_Result answer_not_durable(mock_http *http, struct MHD_Connection *connection,
                                          request_state *state, struct MHD_Response *response, int error)
{
    MHD_destroy_response(response);
    free(state->response_text); /* the journal keeps the 500 instead */
    state->response_text = NULL;
    mock_reply reply = {0};
    reply_not_durable(&reply, error);
    return send_reply(http, connection, state, &reply);
}

/* Sends a response (taken) that may go now: at once, or after the
 * injected latency delay_ms without holding this thread (suspended, the
 * timer resumes the connection; the handler is then called again). */
static enum MHD_Result send_or_delay(mock_http *http, struct MHD_Connection *connection, request_state *state,
                                    struct MHD_Response *response, unsigned status, int64_t delay_ms)
{
    if (delay_ms > 0) {
        state->pending = response;
        state->pending_status = status;
        MHD_suspend_connection(connection);
        delay_connection(http, connection, delay_ms);
        return MHD_YES;
    }
    journal_answer(http, state);
    enum MHD_Result rc = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return rc;
}

/* Sends a reply (or carries out its injected fault); takes what it owns. */
static enum MHD_Result send_reply(mock_http *http, struct MHD_Connection *connection,
                                  request_state *state, mock_reply *reply)
{
    if (reply->later != NULL)
        return answer_later(http, connection, state, reply);
    if (reply->connection != REPLY_SEND) {
        json_decref(reply->body);
        strbuf_release(&reply->text);
        state->status = 0;
        return abort_connection(connection, reply->connection == REPLY_RESET);
    }
    const char *if_none_match = reply->etag ? header_value(connection, "If-None-Match") : NULL;
    state->unjournaled = reply->unjournaled;
    int shared = 0;
    struct MHD_Response *response = make_response(http, state, reply, if_none_match, &shared);
    state->status = response != NULL ? reply->status : 500;
    json_decref(reply->body);
    strbuf_release(&reply->text);
    if (response == NULL)
        return MHD_NO;
    if (reply->durable_log != NULL) {
        /* Hold the answer until the change is durable, without holding
         * this thread (not even for a lone client's sync: the thread's
         * other connections would wait for the disk); the log's flusher
         * resumes the connection (one sync for all the answers waiting
         * meanwhile: group commit). */
        state->pending = response;
        state->pending_status = reply->status;
        state->pending_delay_ms = reply->delay_ms;
        state->http = http;
        state->connection = connection;
        MHD_suspend_connection(connection);
        __atomic_add_fetch(&http->awaiting, 1, __ATOMIC_ACQ_REL);
        if (persist_await(reply->durable_log, reply->durable_seq, durable_done, state) != 0)
            durable_done(state, persist_sync(reply->durable_log, reply->durable_seq) != 0 ? errno : 0);
        return MHD_YES;
    }
    if (reply->delay_ms > 0)
        return send_or_delay(http, connection, state, response, reply->status, reply->delay_ms);
    journal_answer(http, state);
    enum MHD_Result rc = MHD_queue_response(connection, reply->status, response);
    if (!shared)
        MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result answer(mock_http *http, struct MHD_Connection *connection,
                              request_state *state, const char *path, const char *method)
{
    mock_reply reply = {0};
    if (state->encoded_slash) {
        /* libmicrohttpd decodes the path before we see it: "a%2Fb" would
         * become two segments, so it is refused instead. */
        reply_error(&reply, 400, "Path: an encoded '/' (%%2F) inside a path segment is not accepted; ids never "
                    "contain '/'.");
        return send_reply(http, connection, state, &reply);
    }
    http_request request = {
        .method = method,
        .path = path,
        .body = state->body.data,
        .body_len = state->body.len,
        .body_too_large = state->too_large || state->body.oom,
        .query = query_value,
        .query_ctx = connection,
        .header = header_value,
        .query_each = query_each,
        .can_defer = 1,
    };
    http->config.dispatch(http->config.dispatch_ctx, &request, &reply);
    memcpy(state->key, reply.masked_key, sizeof state->key);
    state->key_id = reply.key_id;
    if (reply.tenant_ms != 0)
        state->started_sim_ms = reply.tenant_ms;
    if (reply.secret[0] != '\0')
        keep_secret(state, reply.secret);
    return send_reply(http, connection, state, &reply);
}

/* The path of a request target: HTTP/1.1 servers must accept the absolute
 * form ("http://host:port/v1/credits", RFC 9112, 3.2.2) as well as the
 * origin form ("/v1/credits"). */
static const char *origin_path(const char *url)
{
    if (url[0] == '/')
        return url; /* the origin form: what every client but a proxy sends */
    const char *rest = NULL;
    if (strncasecmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        rest = url + 8;
    if (rest == NULL)
        return url;
    const char *slash = strchr(rest, '/');
    return slash != NULL ? slash : "/";
}

/* Whether the raw target's path (before any '?') holds an encoded '/'.
 * strpbrk skips the usual target, which has no '%', in one vector scan. */
static int has_encoded_slash(const char *uri)
{
    for (const char *c = strpbrk(uri, "%?"); c != NULL && *c == '%'; c = strpbrk(c + 1, "%?")) {
        if (c[1] == '2' && (c[2] == 'F' || c[2] == 'f'))
            return 1;
    }
    return 0;
}

/* Ends the slot's request: frees what it holds, keeps a small body buffer
 * for the next one. */
static void request_end(connection_slot *slot)
{
    request_state *state = &slot->request;
    if (state->pending != NULL)
        MHD_destroy_response(state->pending);
    state->pending = NULL;
    free(state->response_text);
    state->response_text = NULL;
    if (state->body.cap > BODY_KEEP_MAX)
        strbuf_release(&state->body);
    slot->in_request = 0;
}

/* Sets up the slot's request state for a new request (see request_state). */
static request_state *request_begin(connection_slot *slot)
{
    if (slot->in_request)
        request_end(slot); /* its completion was never reported */
    request_state *state = &slot->request;
    memset(state, 0, offsetof(request_state, method));
    state->method[0] = '\0';
    state->path[0] = '\0';
    state->key[0] = '\0';
    state->secret[0] = '\0';
    if (state->body.oom)
        strbuf_release(&state->body); /* clears the sticky flag too */
    else
        strbuf_reset(&state->body);
    slot->in_request = 1;
    return state;
}

static void connection_event(void *cls, struct MHD_Connection *connection, void **socket_context,
                             enum MHD_ConnectionNotificationCode code)
{
    mock_http *http = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        connection_slot *slot = calloc(1, sizeof *slot);
        if (slot != NULL) {
            const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            slot->track = info != NULL ? conns_open(http->conns, info->connect_fd) : NULL;
            slot->request.slot = slot;
        }
        *socket_context = slot; /* NULL: out of memory, its requests are refused */
        return;
    }
    /* Closed: after the completion of its last request (libmicrohttpd). */
    connection_slot *slot = *socket_context;
    *socket_context = NULL;
    if (slot == NULL)
        return;
    if (slot->in_request)
        request_end(slot);
    strbuf_release(&slot->request.body);
    if (slot->last != NULL)
        MHD_destroy_response(slot->last);
    conns_close(http->conns, slot->track);
    free(slot);
}

/* The slot of a connection (its socket context), or NULL. */
static connection_slot *slot_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL ? info->socket_context : NULL;
}

/* Called by libmicrohttpd with the raw request target, before it decodes
 * it: the request's state is set up here (it becomes *con_cls). */
static void *request_started(void *cls, const char *uri, struct MHD_Connection *connection)
{
    mock_http *http = cls;
    connection_slot *slot = slot_of(connection);
    if (slot == NULL)
        return NULL;
    conn_reading(slot->track);
    request_state *state = request_begin(slot);
    state->started_ns = monotonic_ns();
    state->started_sim_ms = mock_clock_now_ms(http->config.clock);
    state->encoded_slash = has_encoded_slash(uri);
    return state;
}

/* Only "chunked" is a transfer coding libmicrohttpd decodes; with any other
 * ("gzip, chunked") it cannot tell where the body ends. Returns 1 when the
 * request has such a coding. */
static int unsupported_transfer_coding(struct MHD_Connection *connection)
{
    const char *te = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Transfer-Encoding");
    if (te == NULL)
        return 0;
    te += strspn(te, " \t");
    size_t n = strlen(te);
    while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t'))
        n--;
    return !(n == 7 && strncasecmp(te, "chunked", 7) == 0);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection,
                                      const char *url, const char *method,
                                      const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    (void)version;
    mock_http *http = cls;
    request_state *state = *con_cls;
    if (state == NULL)
        return MHD_NO; /* the connection's slot ran out of memory */
    const char *path = origin_path(url);
    if (!state->begun) {
        /* First call: headers only. Answering now would make libmicrohttpd
         * close the connection, so only set up and come back; except for a
         * body that cannot be read, answered (and closed) at once. */
        state->begun = 1;
        copy_cut(state->method, sizeof state->method, method);
        copy_cut(state->path, sizeof state->path, path);
        if (conn_over_limit(state->slot->track)) {
            mock_reply reply = {0};
            reply_error(&reply, 503, "descovo-mock has %zu connections open, its limit (from the file descriptor "
                        "limit); retry in a moment, or reuse a connection.", http->connection_limit);
            reply.retry_after = 1;
            return send_reply(http, connection, state, &reply);
        }
        if (unsupported_transfer_coding(connection)) {
            mock_reply reply = {0};
            reply_error(&reply, 501, "Transfer-Encoding: only \"chunked\" is supported; send the body with "
                        "Content-Length or chunked alone.");
            return send_reply(http, connection, state, &reply);
        }
        return MHD_YES;
    }
    if (state->later != NULL) {
        /* Resumed once the answer made later is ready. */
        mock_reply reply = *state->later;
        free(state->later);
        state->later = NULL;
        return send_reply(http, connection, state, &reply);
    }
    if (state->pending != NULL) {
        /* Resumed after an injected latency, or once durable: send what
         * was held back, or the 500 of a change that could not be written. */
        struct MHD_Response *response = state->pending;
        state->pending = NULL;
        if (state->durable_error != 0)
            return answer_not_durable(http, connection, state, response, state->durable_error);
        journal_answer(http, state);
        enum MHD_Result rc = MHD_queue_response(connection, state->pending_status, response);
        MHD_destroy_response(response);
        return rc;
    }
    if (http_body_take(&state->body, &state->too_large, API_MAX_BODY_BYTES, upload_data, upload_data_size))
        return MHD_YES;
    conn_answering(state->slot->track);
    return answer(http, connection, state, path, method);
}

/* One line per request: text, or one JSON object for log shippers. Handed
 * to the log's own thread (logq.c): a slow reader of the output never
 * holds up a request. */
static void log_request(mock_http *http, const request_state *state, double ms)
{
    if (!http->config.log_json) {
        char line[LOG_PATH_MAX + 128];
        int n = snprintf(line, sizeof line, "%s %s %u %.3fms%s%s", state->method, state->path, state->status, ms,
                         state->key[0] ? " key=" : "", state->key);
        if (n > 0)
            logq_put(http->log, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        return;
    }
    char when[32];
    mock_time_format(state->started_sim_ms, when);
    /* The path is what the client sent: reply_make_utf8 keeps the JSON valid. */
    char path[LOG_PATH_MAX];
    memcpy(path, state->path, sizeof path);
    reply_make_utf8(path);
    json_t *line = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s?}", "time", when, "method", state->method,
                             "path", path, "status", (int)state->status,
                             "durationUs", (json_int_t)(ms * 1000.0),
                             "apiKey", state->key[0] ? state->key : NULL);
    strbuf text = STRBUF_INIT;
    if (line != NULL && jsonw_write(line, &text) == 0 && !text.oom && text.data != NULL)
        logq_put(http->log, text.data, text.len);
    strbuf_release(&text);
    json_decref(line);
}

static void request_completed(void *cls, struct MHD_Connection *connection,
                              void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void)code;
    (void)connection;
    mock_http *http = cls;
    request_state *state = *con_cls;
    if (state == NULL)
        return;
    *con_cls = NULL;
    connection_slot *slot = state->slot;
    conn_idle(slot->track);
    if (!state->begun) {
        /* libmicrohttpd answered it itself (a 4xx for a malformed request)
         * or the client went away before its headers ended: not logged. */
        request_end(slot);
        return;
    }
    double ms = (double)(monotonic_ns() - state->started_ns) / 1e6;
    if (http->log != NULL)
        log_request(http, state, ms);
    journal_answer(http, state);
    request_end(slot);
}

mock_http *mock_http_start(const mock_http_config *config, char *err, size_t errlen)
{
    const char *host = config->host;
    uint16_t port = config->port;
    unsigned threads = config->threads;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "--host: expected an IPv4 address such as 127.0.0.1, got \"%s\"", host);
        return NULL;
    }
    mock_http *http = calloc(1, sizeof *http);
    if (http == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    http->config = *config;
    http->journal = config->journal;
    if (config->log != NULL) {
        /* What the stream holds goes first; then only the log's thread
         * writes to the descriptor. */
        fflush(config->log);
        int fd = fileno(config->log);
        http->log = fd >= 0 ? logq_start(fd) : NULL;
        if (http->log == NULL) {
            snprintf(err, errlen, "cannot start the request log (%s)", fd < 0 ? "the log is not a file" : "out of memory");
            free(http);
            return NULL;
        }
    }
    pthread_mutex_init(&http->delay_lock, NULL);
    pthread_cond_init(&http->delay_cond, NULL);
    pthread_mutex_init(&http->spare_lock, NULL);
    if (pthread_create(&http->timer, NULL, delay_timer, http) != 0) {
        snprintf(err, errlen, "cannot start the latency timer thread");
        goto fail;
    }
    http->timer_started = 1;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    /* Each connection holds a descriptor: the limit follows the process's
     * (raised to its hard limit), minus what files, the epoll sets and the
     * threads' wake-up pipes need. */
    size_t fd_limit = conns_raise_fd_limit();
    size_t reserve = MOCK_HTTP_FD_RESERVE + 4 * (size_t)threads;
    http->connection_limit = fd_limit > reserve + 2 * MOCK_HTTP_HEADROOM ? fd_limit - reserve : 2 * MOCK_HTTP_HEADROOM;
    unsigned idle_s = config->idle_timeout_s != 0 ? config->idle_timeout_s : MOCK_HTTP_IDLE_TIMEOUT_S;
    unsigned request_s = config->request_timeout_s != 0 ? config->request_timeout_s : MOCK_HTTP_REQUEST_TIMEOUT_S;
    unsigned backstop_s = CONNECTION_TIMEOUT_S;
    if (backstop_s < idle_s + request_s)
        backstop_s = idle_s + request_s;
    http->conns = conns_start(idle_s, request_s, http->connection_limit - MOCK_HTTP_HEADROOM);
    if (http->conns == NULL) {
        snprintf(err, errlen, "cannot start the connection reaper thread");
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, http,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                    MHD_OPTION_THREAD_POOL_SIZE, threads,
                                    MHD_OPTION_CONNECTION_LIMIT, (unsigned)http->connection_limit,
                                    MHD_OPTION_CONNECTION_TIMEOUT, backstop_s,
                                    MHD_OPTION_NOTIFY_CONNECTION, connection_event, http,
                                    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
                                    MHD_OPTION_NOTIFY_COMPLETED, request_completed, http,
                                    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                                    MHD_OPTION_URI_LOG_CALLBACK, request_started, http,
                                    MHD_OPTION_END);
    if (http->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%u (address in use, or not an address of this machine)", host, port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http->port = info != NULL ? info->port : port;
    return http;
fail:
    stop_delays(http);
    conns_stop(http->conns);
    logq_stop(http->log);
    pthread_cond_destroy(&http->delay_cond);
    pthread_mutex_destroy(&http->delay_lock);
    pthread_mutex_destroy(&http->spare_lock);
    free(http);
    return NULL;
}

uint16_t mock_http_port(const mock_http *http)
{
    return http->port;
}

void mock_http_stop(mock_http *http)
{
    if (http == NULL)
        return;
    /* Held answers come back within one sync; libmicrohttpd cannot stop
     * with a connection suspended. */
    while (__atomic_load_n(&http->awaiting, __ATOMIC_ACQUIRE) > 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    stop_delays(http);
    MHD_stop_daemon(http->daemon); /* destroys the responses: every spare is back */
    conns_stop(http->conns);
    logq_stop(http->log);
    pthread_cond_destroy(&http->delay_cond);
    pthread_mutex_destroy(&http->delay_lock);
    for (size_t i = 0; i < http->n_spares; i++)
        free(http->spares[i]);
    pthread_mutex_destroy(&http->spare_lock);
    free(http);
}
