/* dataset: the synthetic database of companies and prospects.
 *
 * Generated deterministically from (seed, number of companies): the same pair
 * gives the same records and the same rendered text on every machine.
 * Records keep only what filters test, as small integers and bit masks
 * (indexes into vocab.h tables); every text (names, domains, descriptions,
 * e-mails) is rendered on demand from the record and a hash of (seed, index),
 * so a million prospects fit in a few tens of megabytes.
 *
 * Indexes: companies by country and by industry, prospects by country and by
 * job title, as CSR posting lists (ids ascending), so a filter walks only the
 * records that can match instead of scanning everything.
 *
 * Thread safety: immutable after dataset_generate(); any number of threads
 * may read it without locks. */
#ifndef DESCOVO_DATASET_H
#define DESCOVO_DATASET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "text/strbuf.h"

/* Hidden contact details of a prospect (ds_prospect.contacts), also used as
 * the "revealed" mask of an enrichment. */
enum {
    DS_CONTACT_WORK_EMAIL = 1u << 0,
    DS_CONTACT_PERSONAL_EMAIL = 1u << 1,
    DS_CONTACT_PHONE = 1u << 2,
    DS_CONTACT_ALL = 7u
};

typedef struct ds_company {
    uint64_t industries;        /* bit i = vocab_industry_names[i]; 1 to 3 set */
    uint64_t keywords;          /* bit i = vocab_keywords[i] */
    uint32_t first_prospect;    /* its prospects are [first_prospect, next company's first_prospect) */
    uint32_t employee_count;    /* >= 1 */
    uint32_t total_funding_kusd; /* thousands of USD; 0 when never funded */
    uint16_t country;           /* index into vocab_countries */
    uint16_t founded_year;      /* 1900..2025 */
    uint8_t stage;              /* index into vocab_stages */
} ds_company;

typedef struct ds_prospect {
    uint32_t company;           /* index into companies */
    uint16_t country;           /* index into vocab_countries */
    uint16_t tags;              /* bit i = vocab_prospect_tags[i] */
    uint8_t job_title;          /* index into vocab_job_titles */
    uint8_t years_experience;   /* 0..45 */
    uint8_t contacts;           /* DS_CONTACT_* that exist (hidden until enriched) */
} ds_prospect;

/* A posting-list index over n_keys keys: the ids for key k are
 * ids[start[k] .. start[k+1]), ascending. */
typedef struct ds_index {
    uint32_t *start;            /* n_keys + 1 entries */
    uint32_t *ids;
    size_t n_keys;
} ds_index;

typedef struct dataset {
    uint64_t seed;
    ds_company *companies;
    size_t n_companies;
    ds_prospect *prospects;
    size_t n_prospects;
    ds_index companies_by_country;   /* key: vocab_countries index */
    ds_index companies_by_industry;  /* key: vocab industry index */
    ds_index prospects_by_country;   /* key: vocab_countries index */
    ds_index prospects_by_job_title; /* key: vocab_job_titles index */
} dataset;

/* Largest --companies accepted (about four million prospects). */
#define DATASET_MAX_COMPANIES 400000u

/* Generates n_companies companies (1..DATASET_MAX_COMPANIES) and their
 * prospects (about ten per company on average, more for larger companies).
 * Returns a new dataset, or NULL when out of memory or n_companies is out of
 * range. */
dataset *dataset_generate(uint64_t seed, uint32_t n_companies);

/* Frees the dataset; accepts NULL. */
void dataset_free(dataset *ds);

/* Stable public ids: "dc_" + 12 hex digits for companies, "dp_" + 12 hex
 * digits for prospects, derived from the seed and the index so they look
 * opaque but stay identical across runs. They are the descovo_id column and
 * the companyId/prospectId of the page endpoints. */
void ds_company_id(const dataset *ds, uint32_t company, char out[24]);
void ds_prospect_id(const dataset *ds, uint32_t prospect, char out[24]);

/* Export cells. Appends the text of column `column` (index into
 * vocab_company_columns / vocab_prospect_columns) for one record to `out`,
 * unquoted (the CSV writer quotes). Columns the simulator has no data for
 * append nothing (an empty cell). For prospects, contact columns
 * (work_email_1, personal_email_1, phone_number_1, emails_verified, ...) are
 * filled only for the types in `revealed` (DS_CONTACT_* mask) that the
 * prospect has. */
void ds_company_cell(const dataset *ds, uint32_t company, int column, strbuf *out);
void ds_prospect_cell(const dataset *ds, uint32_t prospect, int column,
                      unsigned revealed, strbuf *out);

/* Page items of GET /v1/audiences/{id}/companies and /prospects, in the
 * spec's shape: {companyId, name, linkedinUrl, domain, industry, headcount}
 * and {prospectId, firstName, lastName, linkedinUrl, jobTitle, companyName,
 * location}. Returns a new reference, or NULL when out of memory. */
json_t *ds_company_item(const dataset *ds, uint32_t company);
json_t *ds_prospect_item(const dataset *ds, uint32_t prospect);

#endif
