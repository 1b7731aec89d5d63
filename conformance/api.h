/* api: the Descovo Audiences API as the suite speaks it - requests with the
 * key where the docs put it, the envelope and field checks of docs/API.md,
 * the workflow steps and the polling of builds and enrichments. Every
 * function takes the running case and fails it (CONF_FAIL) when the server
 * breaks the contract; responses are owned by the case. */
#ifndef CONF_API_H
#define CONF_API_H

#include <time.h>

#include <jansson.h>

#include "suite.h"

/* The types a field may have; or'ed together. */
enum {
    F_STRING = 1 << 0,
    F_INT = 1 << 1,
    F_BOOL = 1 << 2,
    F_NULL = 1 << 3,
    F_OBJECT = 1 << 4,
    F_ARRAY = 1 << 5,
    F_TIME = 1 << 6,        /* a string: ISO 8601 UTC with milliseconds */
    F_NUMBER = 1 << 7       /* integer or real */
};

typedef struct field_spec {
    const char *name;
    unsigned types;
} field_spec;

#define N_FIELDS(a) (sizeof (a) / sizeof (a)[0])

/* Required fields of each documented output (docs/API.md). */
extern const field_spec api_create_fields[6];
extern const field_spec api_search_params_fields[4];
extern const field_spec api_build_fields[3];
extern const field_spec api_status_fields[9];
extern const field_spec api_estimate_fields[3];
extern const field_spec api_enrich_fields[4];
extern const field_spec api_enrichment_status_fields[8];
extern const field_spec api_export_fields[3];
extern const field_spec api_export_mock_fields[3];

/* Fails unless obj is an object holding every field of spec with one of
 * its types. what names the object in the message. */
void api_check_fields(conf_case *k, const json_t *obj, const char *what,
                      const field_spec *spec, size_t n);

/* Sends a request. path is relative to the base URL (or an absolute URL).
 * key NULL sends no key; otherwise it goes into the query (GET, DELETE) or
 * into body (others; an empty object when body is NULL). body is stolen. */
wire_response *api_call(conf_case *k, const char *key, const char *method, const char *path,
                        json_t *body);
/* The same with a raw body, sent exactly as given (NULL: none). */
wire_response *api_raw(conf_case *k, const char *method, const char *path, const char *body);

/* Checks a success: 200, a JSON envelope {output, chargeInfo, warnings?}
 * with a valid chargeInfo (of method charge_method unless NULL). Returns
 * the borrowed output. */
const json_t *api_expect_ok(conf_case *k, const wire_response *res, const char *what,
                            const char *charge_method);
/* Checks an error: the status, and the body {"error": {"code": status,
 * "message": non-empty}} with nothing else at the top. Returns the
 * message. */
const char *api_expect_error(conf_case *k, const wire_response *res, long status, const char *what);

/* Workflow steps that must succeed. api_create returns the new id (owned by
 * the case) and tracks the audience for archiving. */
const char *api_create(conf_case *k, const char *key, const char *label, const char *method);
/* company/prospect stolen (NULL sends null); caps 0 are left out. */
void api_set_params(conf_case *k, const char *key, const char *id, json_t *company,
                    json_t *prospect, long max_companies, long max_prospects);
void api_build(conf_case *k, const char *key, const char *id);

/* Polls the audience until NORMAL, checking every observed status and its
 * fields on the way (see api.c). Advances the mock's manual clock between
 * polls; sleeps otherwise, up to DESCOVO_POLL_TIMEOUT. Fails on FAILED.
 * Returns the final output; seen (may be NULL) receives the statuses seen,
 * in order, without repeats, separated by spaces. */
const json_t *api_wait_build(conf_case *k, const char *key, const char *id,
                             char *seen, size_t seen_size);
long long api_credits(conf_case *k, const char *key);

/* GET /v1/audiences/{id}: checked output. */
const json_t *api_status(conf_case *k, const char *key, const char *id);
/* POST .../export/{kind} ("companies" or "prospects") with the format of
 * that kind plus the members of extra (stolen, may be NULL). Checks the
 * output (and the mock's extensions on a mock); returns it. */
const json_t *api_export(conf_case *k, const char *key, const char *id, const char *kind, json_t *extra);

/* Index of s in list[0..n), or -1 (s may be NULL). */
int api_index_of(const char *const *list, size_t n, const char *s);
/* Waits between two polls: moves the mock's manual clock by manual_step_s,
 * sleeps on any other target. Returns 0, or -1 when the poll budget or
 * DESCOVO_POLL_TIMEOUT is spent. */
int api_poll_pause(conf_case *k, double manual_step_s, int polls, time_t started);

/* Small readers of answers: the integer at a dotted path ("a.b.c"; 0 when
 * absent), the string member (never NULL: "" when absent or not a string),
 * and an ISO 8601 UTC time with milliseconds as ms since the epoch (-1 when
 * it is not one). */
long long api_int(const json_t *obj, const char *path);
const char *api_str(const json_t *obj, const char *name);
long long api_time_ms(const char *iso);

/* The mock's control plane (callers skip first with conf_need_mock). */
void api_mock_reset(conf_case *k);
/* For a case that changes the mock's accounts, faults or settings: skips
 * unless the target is the mock, resets it now, and again after the case,
 * passed or failed. */
void api_mock_use(conf_case *k, const char *why);
void api_mock_advance(conf_case *k, double seconds);
/* PUT /_mock/accounts/{key} with the given body (stolen). */
void api_mock_account(conf_case *k, const char *key, json_t *body);

/* Caps for the audiences the suite builds: tiny on a real service (one
 * company, one prospect), a few rows on the mock so exports mean something. */
long api_cap_companies(const conf_case *k);
long api_cap_prospects(const conf_case *k);
/* Filters every target can serve: companies headquartered in the US. */
json_t *api_company_filters(void);

/* The run's shared built audience of the main key (built on first use:
 * conf_need_spend applies). Returns its id; counts may be NULL. */
const char *api_shared_audience(conf_case *k, long long *companies, long long *prospects);

/* Creates, filters, builds and waits: a NORMAL audience of key. */
const char *api_built_audience(conf_case *k, const char *key, const char *label, const char *method);

/* GETs url (absolute, no key), checks the answer is text/csv and parses it
 * strictly into *doc, which BORROWS memory the case frees in its teardown
 * (never csv_doc_free it). */
struct csv_doc;
wire_response *api_download_csv(conf_case *k, const char *url, struct csv_doc *doc);

/* Downloads an export's CSV (as api_download_csv), or skips the case when
 * the answer has no downloadUrl (the real service gives none). */
void api_fetch_export(conf_case *k, const json_t *export, struct csv_doc *doc);

/* Skips the case, before it spends, when the target gives no downloadUrl
 * (tried with a one-row export of the shared audience). */
void api_need_download(conf_case *k);

/* GET /_mock/clock: the simulated time in ms (callers skip first). */
long long api_mock_now_ms(conf_case *k);

/* Gives a JSON value to the case (decref'd in its teardown); fails the
 * case when v is NULL (out of memory). Returns v. */
const json_t *api_own_json(conf_case *k, json_t *v);

/* An owned copy of a string, freed with the case. */
const char *api_strdup(conf_case *k, const char *s);

#include "enrichment.h"

#endif
