/* descovo-bench-bare: the floor the mock is measured against.
 *
 * A bare libmicrohttpd server in the mock's threading mode (internal polling
 * thread with epoll and a thread pool, same connection limit, timeout and
 * per-connection memory, see mockserver/http/server.c) that answers every request, any method and path,
 * with one fixed JSON body of --body-bytes bytes (default: the size of the
 * mock's status body). Like the mock it queues the response on the second
 * call of the access handler, so keep-alive stays on, and consumes request
 * bodies. It prints its URL line like the mock and stops on SIGINT/SIGTERM.
 *
 * --path-body PATH=N (up to 4 times): requests for exactly PATH (the query
 * string aside) get a body of N bytes instead, so that the floor of the
 * fleet (descovo-bench-fleet --floor) downloads its two CSVs at the size
 * the mock sends them (bench/fleet.sh --baseline). Every answer is a 200
 * with Content-Type application/json, the same few header bytes.
 *
 * Usage: descovo-bench-bare [--host ADDR] [--port N] [--threads N]
 *                           [--body-bytes N] [--path-body PATH=N]... */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The same limits as mockserver/http/server.c. */
#define CONNECTION_LIMIT 1024
#define CONNECTION_TIMEOUT_S 30
/* libmicrohttpd zeroes this pool for every request: with its default
 * (32 KiB) the bare server would pay for a setting the mock does not use. */
#define CONNECTION_MEMORY_LIMIT (8 * 1024)
/* The mock's status body on a NORMAL audience is about 350 bytes. */
#define DEFAULT_BODY_BYTES 350
/* {"output":{"pad":""}} is 21 bytes. */
#define MIN_BODY_BYTES 21
#define MAX_BODY_BYTES (64 * 1024)
#define MAX_PATH_BODIES 4

/* A path answered with a body of its own size. */
typedef struct path_body {
    const char *path;            /* borrowed from argv */
    unsigned long bytes;
    char *body;
    struct MHD_Response *response;
} path_body;

typedef struct bare_options {
    const char *host;
    unsigned long port;
    unsigned long threads;       /* 0: one per core, like the mock */
    unsigned long body_bytes;
    path_body paths[MAX_PATH_BODIES];
    int n_paths;
} bare_options;

/* What the handler answers with: built once in main, shared by the pool. */
typedef struct answers {
    struct MHD_Response *fallback;
    const path_body *paths;
    int n_paths;
} answers;

/* Any non-NULL address marks "headers seen" in *con_cls. */
static int headers_seen;

/* Parses an unsigned decimal in [min, max]. Returns 0, or -1. */
static int parse_ulong(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    if (text == NULL || text[0] == '\0' || text[0] == '-')
        return -1;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* "PATH=N": the path, and N in [MIN_BODY_BYTES, MAX_BODY_BYTES]. Returns 0, or -1. */
static int parse_path_body(char *text, path_body *out)
{
    char *eq = text != NULL ? strrchr(text, '=') : NULL;
    if (eq == NULL || text[0] != '/')
        return -1;
    *eq = '\0';
    out->path = text;
    return parse_ulong(eq + 1, MIN_BODY_BYTES, MAX_BODY_BYTES, &out->bytes);
}

static int parse_args(int argc, char **argv, bare_options *opt)
{
    for (int i = 1; i < argc; i += 2) {
        const char *name = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(name, "--host") == 0 && value != NULL)
            opt->host = value;
        else if (strcmp(name, "--port") == 0)
            rc = parse_ulong(value, 0, 65535, &opt->port);
        else if (strcmp(name, "--threads") == 0)
            rc = parse_ulong(value, 0, 64, &opt->threads);
        else if (strcmp(name, "--body-bytes") == 0)
            rc = parse_ulong(value, MIN_BODY_BYTES, MAX_BODY_BYTES, &opt->body_bytes);
        else if (strcmp(name, "--path-body") == 0 && opt->n_paths < MAX_PATH_BODIES)
            rc = parse_path_body(argv[i + 1], &opt->paths[opt->n_paths++]);
        else
            rc = -1;
        if (rc != 0) {
            fprintf(stderr, "usage: descovo-bench-bare [--host ADDR] [--port N] [--threads N] "
                            "[--body-bytes %d..%d] [--path-body /PATH=%d..%d]... (at most %d)\n"
                            "(bad or unknown argument: %s)\n", MIN_BODY_BYTES, MAX_BODY_BYTES, MIN_BODY_BYTES,
                    MAX_BODY_BYTES, MAX_PATH_BODIES, name);
            return -1;
        }
    }
    return 0;
}

/* A JSON object of exactly `size` bytes: {"output":{"pad":"xxx..."}}. */
static char *make_body(size_t size)
{
    static const char head[] = "{\"output\":{\"pad\":\"";
    static const char tail[] = "\"}}";
    size_t fixed = sizeof head - 1 + sizeof tail - 1;
    char *body = malloc(size + 1);
    if (body == NULL || size < fixed) {
        free(body);
        return NULL;
    }
    memcpy(body, head, sizeof head - 1);
    memset(body + sizeof head - 1, 'x', size - fixed);
    memcpy(body + size - (sizeof tail - 1), tail, sizeof tail);
    return body;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection,
                                      const char *url, const char *method,
                                      const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    (void)method;
    (void)version;
    (void)upload_data;
    const answers *a = cls;
    if (*con_cls == NULL) {
        /* First call: queueing now would make MHD close the connection. */
        *con_cls = &headers_seen;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *response = a->fallback;
    for (int i = 0; i < a->n_paths; i++) {
        if (strcmp(url, a->paths[i].path) == 0)
            response = a->paths[i].response;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

/* A shared response with a JSON body of `bytes` (kept in *body until the
 * end). NULL when out of memory. */
static struct MHD_Response *make_response(size_t bytes, char **body)
{
    *body = make_body(bytes);
    if (*body == NULL)
        return NULL;
    /* Built once and shared: the cheapest answer MHD can give. */
    struct MHD_Response *r = MHD_create_response_from_buffer(bytes, *body, MHD_RESPMEM_PERSISTENT);
    if (r != NULL && MHD_add_response_header(r, "Content-Type", "application/json") != MHD_YES) {
        MHD_destroy_response(r);
        r = NULL;
    }
    return r;
}

static void request_completed(void *cls, struct MHD_Connection *connection,
                              void **con_cls, enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    bare_options opt = {.host = "127.0.0.1", .body_bytes = DEFAULT_BODY_BYTES};
    struct MHD_Response *response = NULL;
    struct MHD_Daemon *daemon = NULL;
    char *body = NULL;
    int rc = 1;

    if (parse_args(argc, argv, &opt) != 0)
        return 2;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) {
        fprintf(stderr, "descovo-bench-bare: --host: not an IPv4 address: %s\n", opt.host);
        return 2;
    }
    if (opt.threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        opt.threads = cores > 0 ? (unsigned long)cores : 1;
    }

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    response = make_response(opt.body_bytes, &body);
    for (int i = 0; i < opt.n_paths && response != NULL; i++) {
        opt.paths[i].response = make_response(opt.paths[i].bytes, &opt.paths[i].body);
        if (opt.paths[i].response == NULL) {
            MHD_destroy_response(response);
            response = NULL;
        }
    }
    if (response == NULL) {
        fprintf(stderr, "descovo-bench-bare: cannot create the responses\n");
        goto out;
    }
    answers shared = {response, opt.paths, opt.n_paths};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, &shared,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)opt.threads,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
                              MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
                              MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "descovo-bench-bare: cannot listen on %s:%lu\n", opt.host, opt.port);
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info != NULL ? info->port : (unsigned)opt.port;
    printf("descovo-bench-bare listening on http://%s:%u (%lu threads, epoll, body %lu bytes",
           opt.host, port, opt.threads, opt.body_bytes);
    for (int i = 0; i < opt.n_paths; i++)
        printf(", %s %lu bytes", opt.paths[i].path, opt.paths[i].bytes);
    printf(")\n");
    fflush(stdout);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    rc = 0;
out:
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    if (response != NULL)
        MHD_destroy_response(response);
    free(body);
    for (int i = 0; i < opt.n_paths; i++) {
        if (opt.paths[i].response != NULL)
            MHD_destroy_response(opt.paths[i].response);
        free(opt.paths[i].body);
    }
    return rc;
}
