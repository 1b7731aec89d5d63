/* fleet_workflow: one tenant of the fleet (issue 19): its keys, the
 * workflow's requests in order, what it reads from their answers, its
 * resets and its balance checks. Both modes of the fleet run this one
 * code path:
 *
 *   real (the default): every answer must be a 200; the audience id, the
 *     statuses, the charges and the download links are read from the
 *     answers, and each balance is compared with what the answers charged.
 *   floor (fw_options.floor, --floor): the same requests in the same
 *     order, with the same methods, paths, query strings and bodies, and
 *     fixed placeholder ids where the real ones come from an answer
 *     (FW_FLOOR_*, as long as the mock's). Any 2xx answer is accepted and
 *     none is read: each stands for a fixed answer that says what the real
 *     run waits for (the audience NORMAL, the enrichment DONE, no charge),
 *     so the polls end after one status GET, as they do against the mock
 *     with the tenant's clock advanced. No balance is compared (the credit
 *     GETs are still sent). Against descovo-bench-bare, which answers
 *     anything, that is the floor: the same HTTP traffic with no API
 *     behind it.
 *
 * A tenant sends through the caller's fw_send_fn (the fleet's transports,
 * or a test's script). Ownership: a tenant owns its floor answers
 * (fw_tenant_free releases them); it borrows its options and the send
 * context. Threads: a tenant is used by one thread at a time. */
#ifndef FLEET_WORKFLOW_H
#define FLEET_WORKFLOW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The requests of a workflow and around it, for the per-endpoint figures. */
typedef enum fw_endpoint {
    FW_CREATE, FW_FILTERS, FW_BUILD, FW_ADVANCE, FW_STATUS, FW_ESTIMATE, FW_ENRICH,
    FW_ENRICH_STATUS, FW_EXPORT_COMPANIES, FW_EXPORT_PROSPECTS, FW_DOWNLOAD_COMPANIES,
    FW_DOWNLOAD_PROSPECTS, FW_RESET, FW_SETUP, FW_CREDITS, FW_COUNT
} fw_endpoint;

/* "POST create", ... for the report. */
extern const char *const fw_endpoint_names[FW_COUNT];

/* The floor's placeholders: ids of the length the mock gives (aud_ and
 * 16 hex digits; exp_ and 32), so paths and bodies keep their sizes. The
 * download paths are what descovo-bench-bare --path-body is given
 * (bench/fleet.sh) to answer them with a CSV's size. */
#define FW_FLOOR_AUDIENCE "aud_0000000000000000"
#define FW_FLOOR_COMPANIES_CSV "/v1/exports/exp_00000000000000000000000000000001"
#define FW_FLOOR_PROSPECTS_CSV "/v1/exports/exp_00000000000000000000000000000002"

typedef struct fw_options {
    const char *url;          /* the server's base URL, no trailing '/' */
    const char *prefix;       /* keys are PREFIX<tenant>_<generation> */
    int reset_every;          /* loops between resets of a tenant, 0: never */
    int reset_lockstep;       /* every tenant resets, and takes a new key,
                               * after the same loops (else tenant i starts
                               * i % N loops into each cycle; fw_loop) */
    int fresh_keys;           /* loops before a tenant takes a new key, 0: never */
    int setup_put;            /* PUT /_mock/accounts/{key} first (else: keys on demand) */
    int global_clock;         /* POST /_mock/clock/advance instead of the tenant's */
    int floor;                /* the floor mode (above) */
} fw_options;

/* What a transport brings back: the status and the body, borrowed until
 * the tenant's next request. */
typedef struct fw_reply {
    long status;
    const char *body;
    size_t len;
} fw_reply;

/* Sends one request (url absolute, body NULL for none) and waits for its
 * answer. Returns 0 with *r filled, or -1 with the error in err. */
typedef int (*fw_send_fn)(void *ctx, fw_endpoint ep, const char *method, const char *url, const char *body,
                          fw_reply *r, char *err, size_t err_len);

/* Errors kept verbatim for the report. */
#define FW_MAX_ERROR_TEXTS 8

/* A tenant. The counters are read by the caller after the tenant's run;
 * the rest is the tenant's own. */
typedef struct fw_tenant {
    const fw_options *options;
    int index;
    fw_send_fn send;
    void *send_ctx;
    char key[96];
    int generation;
    uint64_t workflows;       /* whole workflows that ended well */
    uint64_t errors;
    int64_t start_credits;    /* balance after the last reset or key change */
    int64_t charged;          /* since then, from the answers */
    int checked;              /* balances compared */
    int exact;                /* of which equal to the expected one */
    char error_text[FW_MAX_ERROR_TEXTS][256];
    int n_error_texts;
    json_t *floor_answer[FW_COUNT]; /* floor mode: what each answer stands for */
} fw_tenant;

/* Makes tenant `index` of options o (borrowed, as is send_ctx). Returns
 * 0, or -1 when out of memory (free it with fw_tenant_free either way). */
int fw_tenant_init(fw_tenant *t, const fw_options *o, int index, fw_send_fn send, void *send_ctx);
/* Releases what the tenant holds. Accepts NULL. */
void fw_tenant_free(fw_tenant *t);

/* The tenant's life, in three calls (every failure is counted in errors):
 * fw_start takes the first key (PUT it with setup_put) and reads its
 * balance; returns 0, or -1 when the tenant cannot go on.
 * fw_loop runs one workflow, then the reset or the new key that is due
 * after it (checking the balance first). A tenant resets every
 * reset_every workflows: tenant i first after reset_every - i %
 * reset_every of them (after reset_every with reset_lockstep), so that a
 * fleet started at once does not reset at once; it takes a new key every
 * fresh_keys workflows on the same rule (the new key, when both are due).
 * After a failed workflow it reads the balance anew (an interrupted
 * workflow may have charged what its answers did not say). Returns 0, or -1 when the tenant cannot go on.
 * fw_finish checks the balance a last time. */
int fw_start(fw_tenant *t);
int fw_loop(fw_tenant *t);
void fw_finish(fw_tenant *t);

#endif
