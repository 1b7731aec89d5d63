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
 * Usage: descovo-bench-bare [--host ADDR] [--port N] [--threads N]
 *                           [--body-bytes N] */
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
#define MAX_BODY_BYTES (64 * 1024)

typedef struct bare_options {
    const char *host;
    unsigned long port;
    unsigned long threads;       /* 0: one per core, like the mock */
    unsigned long body_bytes;
} bare_options;

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
            rc = parse_ulong(value, 16, MAX_BODY_BYTES, &opt->body_bytes);
        else
            rc = -1;
        if (rc != 0) {
            fprintf(stderr, "usage: descovo-bench-bare [--host ADDR] [--port N] [--threads N] "
                            "[--body-bytes 16..%d]\n(bad or unknown argument: %s)\n", MAX_BODY_BYTES, name);
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
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    struct MHD_Response *response = cls;
    if (*con_cls == NULL) {
        /* First call: queueing now would make MHD close the connection. */
        *con_cls = &headers_seen;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
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
    bare_options opt = {"127.0.0.1", 0, 0, DEFAULT_BODY_BYTES};
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

    body = make_body(opt.body_bytes);
    if (body == NULL) {
        fprintf(stderr, "descovo-bench-bare: out of memory\n");
        goto out;
    }
    /* One shared response, built once: the cheapest answer MHD can give. */
    response = MHD_create_response_from_buffer(opt.body_bytes, body, MHD_RESPMEM_PERSISTENT);
    if (response == NULL || MHD_add_response_header(response, "Content-Type", "application/json") != MHD_YES) {
        fprintf(stderr, "descovo-bench-bare: cannot create the response\n");
        goto out;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, response,
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
    printf("descovo-bench-bare listening on http://%s:%u (%lu threads, epoll, body %lu bytes)\n",
           opt.host, port, opt.threads, opt.body_bytes);
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
    return rc;
}
