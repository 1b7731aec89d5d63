/* api: what a route handler receives and what it answers, and the helpers
 * that build the service's envelopes.
 *
 * Flow: server.c reads the HTTP request into an http_request and hands it
 * to the dispatch callback it was given (app.c points it at
 * routes_dispatch); routes.c finds the route, checks the key and the rate
 * limit, then calls the handler with the store locked. The handler fills a
 * mock_reply; server.c serialises it after the lock is released, and frees
 * it. Handlers see the simulator through req->ctx (sim/context.h), never
 * the application around it.
 *
 * Envelopes (docs/API.md): success {"output", "chargeInfo", "warnings"?};
 * error {"error": {"code", "message"}} (402 adds outOfCreditsAlert). */
#ifndef DESCOVO_API_H
#define DESCOVO_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "data/export.h"
#include "sim/context.h"
#include "sim/faults.h"
#include "sim/keys.h"
#include "sim/store.h"
#include "text/strbuf.h"

/* Hard input limits, named so that documentation and tests can cite them. */
#define API_MAX_BODY_BYTES (1024 * 1024)
#define API_MAX_NAME_CHARS 200
#define API_MAX_PATH_PARAM 128
#define API_MAX_BUILD_CAP STORE_BUILD_CAP     /* maxCompanies / maxProspects */
#define API_MAX_ENRICH_PROSPECTS 100000u /* maxProspectsToEnrich */
#define API_MAX_EMAIL_BYTES 254
/* JSON bodies: deepest nesting of arrays and objects. jansson has no option
 * for it, so routes.c scans the brackets before parsing; the deepest valid
 * body (spec-dialect jobTitleV2 groups in search params) uses 6. */
#define API_MAX_JSON_DEPTH 32
/* Query strings: parameters per request, and bytes of one name or value.
 * libmicrohttpd itself answers 414 (a request line) or 431 (headers) past
 * its per-connection buffer (server.c), before any of this. */
#define API_MAX_QUERY_PARAMS 32
#define API_MAX_QUERY_BYTES 1024

typedef struct mock_request {
    const mock_context *ctx;    /* the simulator: clock, faults, journal, options */
    store *store;               /* ctx->store */
    const char *method;
    const char *path;
    const char *param;          /* the {id} of the path, or NULL */
    json_t *body;               /* JSON object (POST/PATCH/PUT), else NULL; borrowed */
    account *account;           /* the caller's account; NULL on routes without a key */
    const char *api_key;        /* the key as sent (body or query), unchecked; NULL if none */
    int64_t now_ms;             /* its time on its tenant's clock (after auth) */
    int64_t server_ms;          /* its time on the server's clock: what the state
                                 * file logs (a replay maps it to the tenant's) */
    json_t **warnings;          /* where handlers append {field, message}: an
                                 * array made on the first (*warnings NULL
                                 * until then); NULL when the request has
                                 * no body */
    const fault_decision *fault; /* a fault rule's side effect for this request
                                  * (fail-build, fail-enrichment, hold), or NULL */
    int can_defer;              /* the HTTP layer honours mock_reply.later and .durable_log */
    int replaying;              /* replayed from the state file: no rate limits,
                                 * and fault rules are not there (handlers of the
                                 * control plane replay only their effect on the store) */
    /* Query parameters: returns the value or NULL. */
    const char *(*query)(const struct mock_request *req, const char *name);
    void *query_ctx;
    /* Set by routes.c: logs the change now (request_took_effect). */
    void (*took_effect)(const struct mock_request *req);
    struct request_log *log;    /* where it logs it */
} mock_request;

/* Store lock held, in a handler that releases the lock before it answers
 * (a build runs its filters unlocked): logs the change to the state file
 * now, at the moment it takes effect, so that the log keeps the order in
 * which changes took effect whatever another request does meanwhile.
 * Handlers that keep the lock throughout need not call it: the dispatcher
 * logs their 200 before it releases the lock. Once called, the change is
 * logged whatever the handler answers. */
void request_took_effect(const mock_request *req);

/* One HTTP request as the HTTP layer read it, for the dispatch callback. */
typedef struct http_request {
    const char *method;
    const char *path;             /* decoded, without the query string */
    const char *body;             /* NULL when none */
    size_t body_len;
    int body_too_large;           /* more than API_MAX_BODY_BYTES were sent */
    int can_defer;                /* the caller honours mock_reply.later and .durable_log */
    const char *(*query)(const struct mock_request *req, const char *name);
    void *query_ctx;
    /* A request header, or NULL. */
    const char *(*header)(void *ctx, const char *name);
    /* Calls fn for every query parameter in order (value NULL for a bare
     * name) until fn returns nonzero; NULL when the request has none. */
    void (*query_each)(void *ctx, int (*fn)(void *cls, const char *name, const char *value),
                       void *cls);
} http_request;

typedef struct mock_reply {
    unsigned status;
    json_t *body;               /* owned: serialised as JSON */
    int retry_after;            /* seconds; 0: no Retry-After header */
    char allow[64];             /* the Allow header of a 405, "" otherwise */
    export_reader *csv;         /* owned: streamed as text/csv instead of body */
    export_file *csv_file;      /* the export it reads, acquired; released by server.c */
    char filename[96];          /* Content-Disposition of a CSV */
    char masked_key[32];        /* the caller's API key, masked, for the log */
    /* The key the request named (body, query, or the path of an account
     * route), for the HTTP layer to mask wherever the log and the journal
     * keep the request; "" when none (or longer than any key). */
    char secret[KEYS_MAX_KEY_LEN + 1];
    uint64_t key_id;            /* keys_id() of that key, 0: none (the journal) */
    int64_t tenant_ms;          /* the request's time on its tenant's clock, 0: the server's */
    strbuf text;                /* owned: a success answer already serialised
                                 * (reply_ok); sent instead of body */
    char export_id[40];         /* the export a request created, for the state file */
    const char *content_type;   /* static; set: `text` is sent as this type
                                 * (the dashboard's HTML), not as JSON */
    int etag;                   /* answer with an ETag, and 304 to a request
                                 * whose If-None-Match has it */
    int unjournaled;            /* the dashboard's own polling: kept out of
                                 * the request journal */
    /* Injected faults the HTTP layer carries out. */
    enum { REPLY_SEND = 0, REPLY_DROP, REPLY_RESET } connection;
    int64_t delay_ms;           /* answer this much later (real time) */
    /* A change not yet durable (only when http_request.can_defer): the
     * HTTP layer holds the answer, without holding a thread, until
     * persist_await calls back, and answers reply_not_durable instead if
     * the write failed. */
    persist *durable_log;
    uint64_t durable_seq;
    /* An answer made off the server's threads (only when
     * http_request.can_defer; the rest of this reply is then not sent): the
     * HTTP layer suspends the connection, as for a durable answer, and
     * calls later(later_arg, answer, done, token) with a zeroed reply;
     * the job fills answer, then calls done(token, 0) once, from any
     * thread, and the connection resumes to send it. */
    void (*later)(void *arg, struct mock_reply *answer, void (*done)(void *token, int error), void *token);
    void *later_arg;
} mock_reply;

/* The 500 of a change that was made but could not be written to the
 * state file (error: its errno). */
void reply_not_durable(mock_reply *reply, int error);

/* Sets an error reply: {"error":{"code":status,"message":...}}. */
void reply_error(mock_reply *reply, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces, in place, every byte of s that does not start or continue a
 * valid UTF-8 sequence (truncated, overlong, surrogate, above U+10FFFF) with
 * '?', so that text quoting the request (a path, a query value) or cut by a
 * buffer limit can always become a JSON string. Returns the number of bytes
 * replaced. reply_error and request_warn apply it to their messages. */
size_t reply_make_utf8(char *s);

/* What chargeInfo says: built by charge_free/charge_later/charge_now, which
 * also note whether the balance calls for a lowCreditAlert. Messages are
 * static strings of the mock's own, with nothing JSON must escape (no '"',
 * '\\' or control character): they are copied into the answer as they are. */
typedef struct charge_info {
    const char *method;         /* "free", "charging-later", "charged-now" */
    const char *message;        /* NULL for charged-now */
    int64_t credits_charged;    /* charged-now */
    int low_credit;             /* add lowCreditAlert */
    int64_t available;          /* the balance, for the alert */
} charge_info;

/* Sets a success reply: {"output", "chargeInfo", "warnings"?}, serialised
 * at once into reply->text (the envelope needs no jansson tree). Takes
 * ownership of output (a new reference); adds the request's warnings when
 * there are any. */
void reply_ok(mock_reply *reply, const mock_request *req, json_t *output,
              charge_info charge);

/* 402 for an account that cannot pay `needed`, with outOfCreditsAlert. */
void reply_out_of_credits(mock_reply *reply, const account *acct, int64_t needed,
                          const char *what);

/* The same, for an output a handler writes itself as JSON text (hot, fixed
 * shapes such as the status endpoint), straight into the answer:
 *     strbuf *t = reply_text_begin(reply);   (the envelope up to "output":)
 *     ... write the output object into t ...
 *     reply_text_end(reply, req, charge);    (chargeInfo, warnings, '}')
 * The buffer belongs to the reply; a reply_error in between replaces it.
 * Out of memory anywhere leaves reply->text.oom set: the dispatcher then
 * answers 500. */
/* A status answer is about 350 bytes: 511 makes one 512-byte allocation,
 * which glibc serves from its per-thread cache (1 KiB would not be). */
#define REPLY_TEXT_RESERVE 511
strbuf *reply_text_begin(mock_reply *reply);
void reply_text_end(mock_reply *reply, const mock_request *req, charge_info charge);

/* chargeInfo of each method; acct may be NULL (control endpoints). */
charge_info charge_free(const account *acct, const char *message);
charge_info charge_later(const account *acct, const char *message);
charge_info charge_now(const account *acct, int64_t credits);

/* Appends a warning {field, message} to the request's warnings. */
void request_warn(const mock_request *req, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks that every top-level field of the body is one of `known`
 * (NULL-terminated); each other field becomes a warning "unknown field;
 * ignored", as the real service does. */
void request_warn_unknown_fields(const mock_request *req, const char *const *known);

/* Typed body fields. Each returns 0 and sets *out (left at its default when
 * the field is absent or null), or -1 after setting a 400 reply that names
 * the field and what was expected. */
int body_bool(const mock_request *req, mock_reply *reply, const char *field, int *out);
int body_positive_int(const mock_request *req, mock_reply *reply, const char *field,
                      uint32_t max, uint32_t *out);
int body_string(const mock_request *req, mock_reply *reply, const char *field,
                size_t max_chars, const char **out);
int body_email(const mock_request *req, mock_reply *reply, const char *field,
               const char **out);

#endif
