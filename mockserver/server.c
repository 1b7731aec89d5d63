#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "routes.h"
#include "strbuf.h"

#define CONNECTION_LIMIT 1024
#define CONNECTION_TIMEOUT_S 30
#define CSV_BLOCK_SIZE (64 * 1024)
#define LOG_PATH_MAX 160

struct mock_http {
    struct MHD_Daemon *daemon;
    mock_app *app;
    FILE *log;
    uint16_t port;
};

/* Per-request state, from the first call of the access handler to the
 * completion callback. */
typedef struct request_state {
    int64_t started_ns;
    strbuf body;
    int too_large;
    unsigned status;
    char method[12];
    char path[LOG_PATH_MAX];
    char key[32];                 /* masked */
} request_state;

/* A CSV being streamed. */
typedef struct csv_stream {
    export_reader *reader;
    export_file *file;
    store *store;
} csv_stream;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void mock_mask_key(const char *key, char out[32])
{
    size_t n = strlen(key);
    if (n < 12) {
        snprintf(out, 32, "***");
        return;
    }
    snprintf(out, 32, "%.8s***%s", key, key + n - 2);
}

static const char *query_value(const mock_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->query_ctx, MHD_GET_ARGUMENT_KIND, name);
}

static ssize_t csv_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    csv_stream *stream = cls;
    ssize_t n = export_reader_read(stream->reader, buf, max);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

static void csv_free(void *cls)
{
    csv_stream *stream = cls;
    export_reader_free(stream->reader);
    store_lock(stream->store);
    store_export_release(stream->file);
    store_unlock(stream->store);
    free(stream);
}

/* Builds the MHD response for a reply; takes what the reply owns. */
static struct MHD_Response *make_response(mock_http *http, mock_reply *reply)
{
    struct MHD_Response *response = NULL;
    if (reply->csv != NULL) {
        csv_stream *stream = malloc(sizeof *stream);
        if (stream == NULL)
            goto fail_csv;
        *stream = (csv_stream){reply->csv, reply->csv_file, mock_app_store(http->app)};
        response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, CSV_BLOCK_SIZE, csv_read, stream, csv_free);
        if (response == NULL) {
            free(stream);
            goto fail_csv;
        }
        reply->csv = NULL;
        reply->csv_file = NULL;
        char disposition[128];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", reply->filename);
        MHD_add_response_header(response, "Content-Type", "text/csv; charset=utf-8");
        MHD_add_response_header(response, "Content-Disposition", disposition);
        return response;
    }
    char *text = json_dumps(reply->body, JSON_COMPACT);
    if (text == NULL)
        return NULL;
    response = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(text);
        return NULL;
    }
    MHD_add_response_header(response, "Content-Type", "application/json");
    if (reply->retry_after > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", reply->retry_after);
        MHD_add_response_header(response, "Retry-After", seconds);
    }
    if (reply->allow[0] != '\0')
        MHD_add_response_header(response, "Allow", reply->allow);
    return response;
fail_csv:
    export_reader_free(reply->csv);
    reply->csv = NULL;
    store_lock(mock_app_store(http->app));
    store_export_release(reply->csv_file);
    store_unlock(mock_app_store(http->app));
    reply->csv_file = NULL;
    return NULL;
}

static enum MHD_Result answer(mock_http *http, struct MHD_Connection *connection,
                              request_state *state, const char *url, const char *method)
{
    http_request request = {
        .method = method,
        .path = url,
        .body = state->body.data,
        .body_len = state->body.len,
        .body_too_large = state->too_large || state->body.oom,
        .query = query_value,
        .query_ctx = connection,
    };
    mock_reply reply = {0};
    routes_dispatch(http->app, &request, &reply);
    memcpy(state->key, reply.masked_key, sizeof state->key);
    struct MHD_Response *response = make_response(http, &reply);
    state->status = response != NULL ? reply.status : 500;
    json_decref(reply.body);
    if (response == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection,
                                      const char *url, const char *method,
                                      const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    (void)version;
    mock_http *http = cls;
    request_state *state = *con_cls;
    if (state == NULL) {
        /* First call: headers only. Answering now would make libmicrohttpd
         * close the connection, so only set up and come back. */
        state = calloc(1, sizeof *state);
        if (state == NULL)
            return MHD_NO;
        state->started_ns = monotonic_ns();
        snprintf(state->method, sizeof state->method, "%s", method);
        snprintf(state->path, sizeof state->path, "%s", url);
        *con_cls = state;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* Past the limit keep reading (and dropping) so the 413 can be sent. */
        if (!state->too_large && state->body.len + *upload_data_size <= API_MAX_BODY_BYTES)
            strbuf_append(&state->body, upload_data, *upload_data_size);
        else
            state->too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(http, connection, state, url, method);
}

static void request_completed(void *cls, struct MHD_Connection *connection,
                              void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void)connection;
    (void)code;
    mock_http *http = cls;
    request_state *state = *con_cls;
    if (state == NULL)
        return;
    if (http->log != NULL) {
        double ms = (double)(monotonic_ns() - state->started_ns) / 1e6;
        fprintf(http->log, "%s %s %u %.3fms%s%s\n", state->method, state->path, state->status, ms,
                state->key[0] ? " key=" : "", state->key);
        fflush(http->log);
    }
    strbuf_release(&state->body);
    free(state);
    *con_cls = NULL;
}

mock_http *mock_http_start(mock_app *app, const char *host, uint16_t port,
                           unsigned threads, FILE *log, char *err, size_t errlen)
{
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
    http->app = app;
    http->log = log;
    if (threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, http,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                    MHD_OPTION_THREAD_POOL_SIZE, threads,
                                    MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
                                    MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
                                    MHD_OPTION_NOTIFY_COMPLETED, request_completed, http,
                                    MHD_OPTION_END);
    if (http->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%u (address in use, or not an address of this machine)", host, port);
        free(http);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http->port = info != NULL ? info->port : port;
    return http;
}

uint16_t mock_http_port(const mock_http *http)
{
    return http->port;
}

void mock_http_stop(mock_http *http)
{
    if (http == NULL)
        return;
    MHD_stop_daemon(http->daemon);
    free(http);
}
