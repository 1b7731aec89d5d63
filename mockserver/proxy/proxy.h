/* proxy: descovo-mock as a recording proxy (--upstream URL [--record
 * FILE.har]). It plugs in at the HTTP level, in place of the route table:
 * every /v1/ request is forwarded to the upstream unchanged (method, path,
 * query, body, headers but the hop-by-hop ones), and the answer goes back as
 * it came (status, headers, body; a CSV or any answer that is not JSON is
 * streamed, never held whole). Download URLs that point at the upstream are
 * rewritten to point at the proxy, so downloads are recorded too. /_mock/
 * answers 404, except GET /_mock/health, which says it is a proxy and to
 * where. Each exchange is redacted (redact.h) and appended to the journal
 * (har_journal.h).
 *
 * Threading: one thread per connection, because forwarding blocks on the
 * upstream; state shared across requests is the recorder and the redactor,
 * each with its own lock. */
#ifndef DESCOVO_PROXY_H
#define DESCOVO_PROXY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "text/strbuf.h"

/* An upstream answer as it will be sent back, for proxy_hooks. */
typedef struct proxy_answer {
    const char *method;
    const char *path;
    long status;
    json_t *json;                /* the body parsed, or NULL; a hook may change it */
    char retry_after[64];        /* "" when absent */
    char content_type[128];
} proxy_answer;

/* Test-only hooks (the planted-difference upstream of the drift tests):
 * change an answer before it is sent and recorded. NULL: none. */
typedef struct proxy_hooks {
    void (*json_answer)(void *cls, proxy_answer *answer);
    /* The first block of a streamed body; may rewrite it. */
    void (*stream_head)(void *cls, const char *path, strbuf *block);
    void *cls;
} proxy_hooks;

typedef struct proxy_options {
    const char *host;            /* "127.0.0.1" */
    uint16_t port;               /* 0 picks a free one */
    const char *upstream;        /* base URL, e.g. https://api.descovo.com */
    const char *record_path;     /* FILE.har, or NULL: forward only */
    const char *version;         /* creator version written in the HAR */
    FILE *log;                   /* one line per exchange, or NULL */
    proxy_hooks hooks;
} proxy_options;

typedef struct proxy proxy;

/* Starts listening (and recording). Returns NULL with a message in err. */
/* Why proxy_start failed, so that the program can exit with the status
 * of its documented table (app.h's mock_exit). */
typedef enum proxy_start_failure {
    PROXY_FAILED_USAGE,    /* --host or --upstream not usable */
    PROXY_FAILED_MEMORY,
    PROXY_FAILED_RECORD,   /* the --record file or its journal */
    PROXY_FAILED_LISTEN,
} proxy_start_failure;

proxy *proxy_start(const proxy_options *options, proxy_start_failure *why, char *err, size_t errlen);

/* "http://127.0.0.1:PORT" */
const char *proxy_url(const proxy *p);

/* Stops listening, waits for the exchanges under way, then completes the
 * recording into its HAR file and frees. Returns the number of entries
 * recorded (0 without --record), or -1 with a message in err. Accepts
 * NULL. */
long proxy_stop(proxy *p, char *err, size_t errlen);

#endif
