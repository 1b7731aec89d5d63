/* libdescovo: a C client for the Descovo Audiences API.
 *
 * One client handle talks to one base URL with one API key, over one reused
 * libcurl easy handle. Every endpoint function returns 0 on success and -1 on
 * failure; the failure is described by descovo_last_error(), which stays
 * valid until the next call on the same client. Functions that return a
 * pointer return NULL on failure, with the error set the same way.
 *
 * Program duties:
 *   - call descovo_global_init() once before creating the first client, and
 *     descovo_global_cleanup() after freeing the last one (they initialise
 *     and release libcurl: a program that also uses libcurl itself may call
 *     curl_global_init/curl_global_cleanup instead). Clients never call
 *     either. Link with `pkg-config --cflags --libs descovo`.
 *   - one client per thread: a client (and its curl handle) must not be used
 *     from two threads at once. Distinct clients are independent.
 *
 * Ownership, in the manner of jansson:
 *   - typed results (descovo_audience, descovo_estimate, ...) are filled in
 *     caller-owned structs made of fixed-size buffers: nothing to free.
 *   - functions returning `json_t *` return a NEW reference: json_decref it.
 *   - `const json_t *` arguments are borrowed; the library never keeps them.
 *   - descovo_last_response() BORROWS the client's copy of the last response
 *     body: valid until the next request on that client; json_incref it to
 *     keep it.
 *   - every *_free function accepts NULL.
 *
 * Retries (see descovo_retry_policy): 429 and 503 are retried for every
 * request, waiting Retry-After (clamped to [0, max_retry_after_s]) or a
 * capped exponential backoff with full jitter, whichever is longer. A refused
 * connection (nothing was sent) is retried for every request. GET requests
 * are also retried after a dropped connection, a timeout or another 5xx.
 * Other requests - above all build and enrich, which spend credits - are
 * never retried after such an ambiguous failure: the caller gets the error
 * and decides (check the status or the credits first). */
#ifndef DESCOVO_H
#define DESCOVO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported functions; the library is built with hidden
 * visibility, so its internal functions stay private. */
#if defined(DESCOVO_BUILDING) && defined(__GNUC__)
#define DESCOVO_API __attribute__((visibility("default")))
#else
#define DESCOVO_API
#endif

#define DESCOVO_DEFAULT_BASE_URL "https://api.descovo.com"

/* Sizes of the fixed buffers of the result structs. Longer values from the
 * service are truncated (never overflowed). */
#define DESCOVO_ID_MAX 128
#define DESCOVO_NAME_MAX 1024       /* 200 characters of UTF-8, with room */
#define DESCOVO_STATUS_MAX 64
#define DESCOVO_TIME_MAX 40
#define DESCOVO_MESSAGE_MAX 512
#define DESCOVO_URL_MAX 2048

typedef struct descovo_client descovo_client;

/* ---- Errors ------------------------------------------------------------ */

typedef enum descovo_error_class {
    DESCOVO_OK = 0,
    DESCOVO_ERR_AUTH,          /* 401: missing or invalid API key */
    DESCOVO_ERR_NOT_FOUND,     /* 404: no such audience for this key */
    DESCOVO_ERR_INVALID_STATE, /* 400: the audience's status forbids it */
    DESCOVO_ERR_VALIDATION,    /* 400 (and 405, 413): a bad parameter */
    DESCOVO_ERR_CREDITS,       /* 402: not enough credits */
    DESCOVO_ERR_QUOTA,         /* 403: export quota or account limit */
    DESCOVO_ERR_RATE_LIMITED,  /* 429, still after every retry */
    DESCOVO_ERR_SERVER,        /* 5xx or an unexpected status */
    DESCOVO_ERR_NETWORK,       /* no usable HTTP answer: connect, reset, timeout */
    DESCOVO_ERR_PROTOCOL,      /* an answer the client does not understand */
    DESCOVO_ERR_FAILED,        /* a build or enrichment ended FAILED */
    DESCOVO_ERR_TIMEOUT,       /* a wait helper gave up */
    DESCOVO_ERR_IO,            /* a local file could not be written */
    DESCOVO_ERR_USAGE,         /* a bad argument to a library function */
    DESCOVO_ERR_OOM,           /* out of memory */
    DESCOVO_ERR_NOT_A_MOCK     /* mock_clock: the server is not a manual-clock descovo-mock */
} descovo_error_class;

typedef struct descovo_error {
    descovo_error_class cls;
    long http_status;          /* 0 when no response was received */
    long retry_after;          /* seconds from the last answer, -1 if none */
    int curl_code;             /* CURLcode of the last attempt, 0 if none */
    int attempts;              /* HTTP attempts made by the failed call */
    char message[DESCOVO_MESSAGE_MAX];  /* the service's message, or ours */
    char curl_error[256];      /* curl's error text, "" if none */
} descovo_error;

/* The error of the last failed call on c (cls DESCOVO_OK after a success).
 * Never NULL for a non-NULL client; borrowed, valid until the next call. */
DESCOVO_API const descovo_error *descovo_last_error(const descovo_client *c);

/* "auth", "not_found", "invalid_state", ... ; never NULL. */
DESCOVO_API const char *descovo_error_class_name(descovo_error_class cls);

/* ---- Program set-up ----------------------------------------------------- */

/* Initialises libcurl for the whole program (curl_global_init with
 * CURL_GLOBAL_DEFAULT). Not thread-safe: call it once, before any thread
 * uses the library. Returns 0, or -1 when libcurl cannot be initialised. */
DESCOVO_API int descovo_global_init(void);
/* Releases what descovo_global_init acquired; after the last client is freed. */
DESCOVO_API void descovo_global_cleanup(void);

/* ---- Events: what the client is doing, for logs and progress ------------ */

typedef enum descovo_event_kind {
    DESCOVO_EVENT_RESPONSE,    /* an attempt ended (http_status 0: no answer) */
    DESCOVO_EVENT_RETRY,       /* the failed attempt is retried after delay_ms */
    DESCOVO_EVENT_GIVE_UP      /* the failed attempt is not retried: reason */
} descovo_event_kind;

/* Everything is borrowed, valid during the callback only. */
typedef struct descovo_event {
    descovo_event_kind kind;
    const char *method;
    const char *path;          /* path and query, never the host or the API key */
    long http_status;          /* 0 when no answer was received */
    const char *error;         /* no answer: curl's text; an HTTP error: the service's message; else "" */
    int64_t duration_ms;       /* of this attempt, on the wall clock */
    int attempt;               /* from 1 */
    int max_attempts;
    int64_t delay_ms;          /* RETRY: the wait before the next attempt */
    const char *reason;        /* RETRY and GIVE_UP: why, in words; else "" */
    const json_t *warnings;    /* RESPONSE of a 2xx: the answer's "warnings" array, or NULL */
} descovo_event;

/* Called on the client's thread, from inside the call that caused it; it
 * must not call the library on the same client. */
typedef void (*descovo_event_fn)(void *ctx, const descovo_event *event);

/* ---- Options and the client ------------------------------------------- */

typedef struct descovo_retry_policy {
    int max_attempts;          /* including the first: 5 (1 disables retries) */
    int64_t base_ms;           /* backoff base: 500 */
    int64_t cap_ms;            /* backoff cap: 30000 */
    int64_t max_total_ms;      /* give up when the next wait would pass it: 120000 */
    long max_retry_after_s;    /* clamp for Retry-After: 300 */
} descovo_retry_policy;

/* Injectable time, for tests and simulations. Any of the three may be NULL
 * to use the default (CLOCK_MONOTONIC, nanosleep, a PRNG seeded from the
 * clock). random returns a uniformly distributed 32-bit value. */
typedef int64_t (*descovo_now_fn)(void *ctx);
typedef void (*descovo_sleep_fn)(void *ctx, int64_t ms);
typedef uint32_t (*descovo_random_fn)(void *ctx);

typedef struct descovo_options {
    const char *base_url;      /* NULL: DESCOVO_DEFAULT_BASE_URL */
    const char *api_key;       /* required for the API; copied */
    const char *user_agent;    /* NULL: "libdescovo/VERSION" */
    long connect_timeout_ms;   /* 10000 */
    long timeout_ms;           /* whole request, 60000; downloads: 10x */
    descovo_retry_policy retry;
    descovo_now_fn now_ms;
    descovo_sleep_fn sleep_ms;
    descovo_random_fn random;
    void *time_ctx;            /* passed to the three functions above */
    /* For descovo-mock started with --clock manual only. Instead of
     * sleeping (between polls, before a retry) the client advances the
     * mock's clock by the same time (POST /_mock/clock/advance), and counts
     * time on it, so waits end at once. Before its first request the client
     * checks GET /_mock/health: unless that answers with clock "manual",
     * every call fails with DESCOVO_ERR_NOT_A_MOCK and nothing else is sent
     * (never a /_mock/ request to a server that is not a mock). Overrides
     * now_ms and sleep_ms. */
    int mock_clock;
    descovo_event_fn on_event; /* may be NULL */
    void *event_ctx;
} descovo_options;

/* Fills *options with the defaults above (api_key NULL). */
DESCOVO_API void descovo_options_init(descovo_options *options);

/* Creates a client; strings are copied. Returns NULL when out of memory or
 * when curl_easy_init fails; the options are not validated beyond that (a
 * missing key gives DESCOVO_ERR_AUTH on the first call, like the service). */
DESCOVO_API descovo_client *descovo_client_new(const descovo_options *options);
DESCOVO_API void descovo_client_free(descovo_client *c);

/* The library's version, "MAJOR.MINOR.PATCH". */
DESCOVO_API const char *descovo_version(void);

/* The full body of the last response received (envelope with "output", or
 * "error"), or NULL. Borrowed: valid until the next request on c. */
DESCOVO_API const json_t *descovo_last_response(const descovo_client *c);

/* ---- Results ---------------------------------------------------------- */

/* An audience as returned by create and status. Counts are -1 when null
 * (not built yet). Times are "" when null. */
typedef struct descovo_audience {
    char id[DESCOVO_ID_MAX];
    char name[DESCOVO_NAME_MAX];
    char status[DESCOVO_STATUS_MAX];
    char creation_method[DESCOVO_STATUS_MAX];
    char created_at[DESCOVO_TIME_MAX];
    char building_started_at[DESCOVO_TIME_MAX];
    char building_finished_at[DESCOVO_TIME_MAX];
    long long companies_count;
    long long prospects_count;
} descovo_audience;

/* What an enrichment (or its estimate) should do. Start from
 * descovo_enrich_options_init: everything on, no e-mail. */
typedef struct descovo_enrich_options {
    long max_prospects;        /* maxProspectsToEnrich, required, > 0 */
    int work_emails;
    int personal_emails;
    int phone_numbers;
    int company_live;          /* runCompanyLiveEnrichment */
    int profile_live;          /* runProfileLiveEnrichment */
    int sales_nav;             /* runProfileSalesNav */
    int contact;               /* runContactEnrichment */
    const char *user_email;    /* enrich only; NULL: none */
} descovo_enrich_options;

DESCOVO_API void descovo_enrich_options_init(descovo_enrich_options *o, long max_prospects);

typedef struct descovo_estimate {
    long long total_credits;
    long long time_seconds;
    char time_formatted[DESCOVO_TIME_MAX];
} descovo_estimate;

typedef struct descovo_enrichment {
    char enrichment_id[DESCOVO_ID_MAX];
    char status[DESCOVO_STATUS_MAX];
    long long estimated_credits;
    long long credits_charged;   /* chargeInfo.creditsCharged, -1 if absent */
} descovo_enrichment;

typedef struct descovo_enrichment_progress {
    char enrichment_id[DESCOVO_ID_MAX];
    char current_stage[DESCOVO_STATUS_MAX];
    char current_step[DESCOVO_STATUS_MAX];   /* "" when null */
    int progress_percent;
    char created_at[DESCOVO_TIME_MAX];
    char completed_at[DESCOVO_TIME_MAX];     /* "" until done */
} descovo_enrichment_progress;

typedef struct descovo_export_options {
    long max_rows;                       /* 0: the service's default */
    const char *const *exclude_fields;   /* column names, borrowed */
    size_t n_exclude_fields;
    int only_with_contacts;              /* prospects only */
    const char *user_email;              /* NULL: none */
} descovo_export_options;

typedef struct descovo_export {
    char message[DESCOVO_MESSAGE_MAX];
    long long estimated_rows;
    long long max_rows_allowed;
    char export_id[DESCOVO_ID_MAX];
    char download_url[DESCOVO_URL_MAX];  /* "" when the service gave none */
    char format[DESCOVO_STATUS_MAX];
} descovo_export;

/* ---- Endpoints: one function each ---------------------------------------
 * `id` is an audienceId (it may point into the out struct). On success the
 * out struct (may be NULL) is filled; on failure its contents are
 * unspecified, and descovo_last_error() says why. */

/* POST /v1/audiences/create. method NULL: "NORMAL". */
DESCOVO_API int descovo_create(descovo_client *c, const char *name, const char *method,
                   descovo_audience *out);

/* PATCH /v1/audiences/{id}/search-params. company/prospect: borrowed filter
 * objects, NULL to send null. max_*: 0 leaves the cap out. */
DESCOVO_API int descovo_set_search_params(descovo_client *c, const char *id,
                              const json_t *company, const json_t *prospect,
                              long max_companies, long max_prospects);

/* POST /v1/audiences/{id}/build. status_out (may be NULL) receives the
 * status the service reported ("BUILDING"). Spends credits: never retried
 * after an ambiguous failure. */
DESCOVO_API int descovo_build(descovo_client *c, const char *id, char status_out[DESCOVO_STATUS_MAX]);

/* GET /v1/audiences/{id}. */
DESCOVO_API int descovo_status(descovo_client *c, const char *id, descovo_audience *out);

/* POST /v1/audiences/{id}/enrichment/estimate (free). */
DESCOVO_API int descovo_estimate_enrichment(descovo_client *c, const char *id,
                                const descovo_enrich_options *o, descovo_estimate *out);

/* POST /v1/audiences/{id}/enrich. Spends credits upfront: never retried after
 * an ambiguous failure. */
DESCOVO_API int descovo_enrich(descovo_client *c, const char *id,
                   const descovo_enrich_options *o, descovo_enrichment *out);

/* GET /v1/audiences/{id}/enrichment/status. */
DESCOVO_API int descovo_enrichment_status(descovo_client *c, const char *id,
                              descovo_enrichment_progress *out);

/* POST /v1/audiences/{id}/export/companies and .../prospects. o may be NULL. */
DESCOVO_API int descovo_export_companies(descovo_client *c, const char *id,
                             const descovo_export_options *o, descovo_export *out);
DESCOVO_API int descovo_export_prospects(descovo_client *c, const char *id,
                             const descovo_export_options *o, descovo_export *out);

/* GET /v1/credits. */
DESCOVO_API int descovo_credits(descovo_client *c, long long *credits);

/* GET /v1/audiences: a NEW reference to "output" ({audiences, totalCount}). */
DESCOVO_API json_t *descovo_list(descovo_client *c);

/* DELETE /v1/audiences/{id}. */
DESCOVO_API int descovo_archive(descovo_client *c, const char *id);

/* GET /v1/audiences/{id}/companies|prospects: a NEW reference to "output"
 * ({companies|prospects, totalCount, nextCursor, hasMore}). cursor NULL for
 * the first page; page_size 0 for the service's default. */
DESCOVO_API json_t *descovo_companies_page(descovo_client *c, const char *id,
                               const char *cursor, int page_size);
DESCOVO_API json_t *descovo_prospects_page(descovo_client *c, const char *id,
                               const char *cursor, int page_size);

/* Any request, for endpoints without a function (and a simulator's control
 * plane). path starts with "/" and may carry a query; body is borrowed and
 * sent as is (no apiKey is added). Returns a NEW reference to the whole
 * response body of a 2xx answer, or NULL with the error set. Retried like a
 * GET only when method is "GET". */
DESCOVO_API json_t *descovo_request(descovo_client *c, const char *method, const char *path,
                        const json_t *body);

/* ---- Polling ---------------------------------------------------------- */

/* Called after each poll: what the service reported, the percentage (-1
 * when unknown, as for builds), and the time waited so far. */
typedef void (*descovo_progress_fn)(void *ctx, const char *status, int percent,
                                    int64_t elapsed_ms);

/* The shortest interval between two polls: the documented per-minute limit
 * of the endpoint polled (status: 100 a minute; enrichment status: 60). A
 * shorter interval_ms is raised to it. */
#define DESCOVO_STATUS_MIN_INTERVAL_MS 600
#define DESCOVO_ENRICHMENT_STATUS_MIN_INTERVAL_MS 1000

typedef struct descovo_wait_options {
    int64_t interval_ms;       /* between polls, 2000; see the minimums above */
    int64_t timeout_ms;        /* give up after, 600000; 0: never */
    descovo_progress_fn progress;  /* may be NULL */
    void *progress_ctx;
} descovo_wait_options;

DESCOVO_API void descovo_wait_options_init(descovo_wait_options *w);

/* True for the statuses of a build in progress: BUILDING, SAVING_*,
 * LINKING_*, HEALING_*. */
DESCOVO_API int descovo_status_is_building(const char *status);

/* Polls the status until NORMAL (returns 0, *out filled), FAILED
 * (DESCOVO_ERR_FAILED), the timeout (DESCOVO_ERR_TIMEOUT), a status that is
 * neither (DESCOVO_ERR_INVALID_STATE, e.g. DRAFT) or a request error. Sleeps
 * through the client's sleep function. w may be NULL; out may be NULL. */
DESCOVO_API int descovo_wait_build(descovo_client *c, const char *id,
                       const descovo_wait_options *w, descovo_audience *out);

/* Polls the enrichment until DONE or 100 % (0), FAILED (DESCOVO_ERR_FAILED),
 * the timeout or a request error. w and out may be NULL. */
DESCOVO_API int descovo_wait_enrichment(descovo_client *c, const char *id,
                            const descovo_wait_options *w,
                            descovo_enrichment_progress *out);

/* ---- Download --------------------------------------------------------- */

/* Streams url (an export's download_url; no API key is sent) into path,
 * through "path.part" renamed on success, so path is never left half
 * written. Retried like a GET. bytes (may be NULL) receives the size. */
DESCOVO_API int descovo_download(descovo_client *c, const char *url, const char *path,
                     long long *bytes);

#ifdef __cplusplus
}
#endif

#endif
