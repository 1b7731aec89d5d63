/* export: the CSV files of the two export endpoints, produced as a stream.
 *
 * An export_job is a snapshot taken when the export is requested: the rows
 * (dataset indexes), for prospects the contact types revealed by enrichment
 * for each row, and the selected columns. Later changes to the audience do
 * not change it. The CSV is produced a chunk at a time, so a file of any
 * size is served with a few kilobytes of memory.
 *
 * Ownership: export_job_new copies what it is given; the job borrows the
 * dataset, which must outlive it, and the record cache it is given
 * (export_job_use_cache), likewise. A job is immutable; each download uses
 * its own export_reader, so downloads may run concurrently (the cache has
 * its own lock). */
#ifndef DESCOVO_EXPORT_H
#define DESCOVO_EXPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "data/dataset.h"
#include "data/export_cache.h"

typedef enum export_kind {
    EXPORT_COMPANIES = 0,
    EXPORT_PROSPECTS = 1
} export_kind;

/* Largest number of columns of either kind. */
#define EXPORT_MAX_COLUMNS 98

/* Column selection from an excludeFields value (NULL, JSON null or an array
 * of column names of that kind). Sets selected[i] to 1 for every column kept,
 * 0 otherwise, for i < the kind's column count. Returns 0, or -1 with err
 * naming the field ("excludeFields[3]: unknown column \"foo\" for
 * COMPANY_GENERIC_CSV; see ...") for a non-array, a non-string item or an
 * unknown column. Excluding every column is allowed (an empty header). */
int export_select_columns(export_kind kind, const json_t *exclude_fields,
                          uint8_t selected[EXPORT_MAX_COLUMNS],
                          char *err, size_t errlen);

typedef struct export_job export_job;

/* Copies rows[0..n_rows) and, for prospects, revealed[0..n_rows) (DS_CONTACT_*
 * masks; NULL means nothing revealed). Returns NULL when out of memory. */
export_job *export_job_new(const dataset *ds, export_kind kind,
                           const uint32_t *rows, const uint8_t *revealed,
                           size_t n_rows,
                           const uint8_t selected[EXPORT_MAX_COLUMNS]);
void export_job_free(export_job *job);
/* Lets the job's readers copy records from cache and keep there those they
 * render (export_cache.h); call it before the first reader. The cache is
 * borrowed and must outlive the job; one of another dataset, or NULL, is
 * not used. Changes no byte of the CSV. */
void export_job_use_cache(export_job *job, export_cache *cache);
size_t export_job_rows(const export_job *job);

/* What a job was made from, as export_job_new took it (a snapshot of the
 * state writes it down): borrowed from the job, valid while it lives;
 * revealed NULL when nothing was revealed. */
typedef struct export_job_parts {
    export_kind kind;
    const uint32_t *rows;
    const uint8_t *revealed;
    size_t n_rows;
    uint8_t selected[EXPORT_MAX_COLUMNS];
} export_job_parts;
void export_job_describe(const export_job *job, export_job_parts *out);

typedef struct export_reader export_reader;

/* A cursor over the job's CSV: the header line, then one record per row.
 * Returns NULL when out of memory. */
export_reader *export_reader_new(const export_job *job);
/* Copies up to `max` next bytes of the CSV into buf. Returns the number of
 * bytes copied (> 0), 0 at the end, or -1 when out of memory. */
ssize_t export_reader_read(export_reader *reader, char *buf, size_t max);
void export_reader_free(export_reader *reader);

#endif
