#include "data/export.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/csv.h"
#include "text/jsontype.h"
#include "text/strbuf.h"
#include "text/utf8.h"
#include "data/vocab.h"

/* Where the valid column names are listed, quoted in every "unknown column"
 * error so the caller can fix the request without reading our source. */
#define EXPORT_COLUMNS_DOC "docs/API.md#export-columns"

/* Longest part of a rejected value echoed in an error message, in bytes.
 * Bounds the message whatever the client sent. */
#define EXPORT_ERR_VALUE_MAX 64

/* Column indexes are kept as bytes in arrays of EXPORT_MAX_COLUMNS. */
_Static_assert(VOCAB_N_COMPANY_COLUMNS <= EXPORT_MAX_COLUMNS &&
               VOCAB_N_PROSPECT_COLUMNS <= EXPORT_MAX_COLUMNS &&
               EXPORT_MAX_COLUMNS <= 256,
               "export column indexes must fit the selection arrays and a byte");

struct export_job {
    const dataset *ds;      /* borrowed; outlives the job */
    export_kind kind;
    uint32_t *rows;         /* n_rows dataset indexes; NULL when n_rows == 0 */
    uint8_t *revealed;      /* prospects only: n_rows DS_CONTACT_* masks, or NULL for none */
    size_t n_rows;
    uint8_t columns[EXPORT_MAX_COLUMNS]; /* selected column indexes, in spec order */
    size_t n_columns;
    uint64_t column_bits[2];    /* the same selection, as export_cache_key.columns */
    export_cache *cache;        /* borrowed; NULL: every record is rendered */
};

struct export_reader {
    const export_job *job;  /* borrowed; must outlive the reader */
    strbuf line;            /* the record being copied out; at most one row */
    size_t pos;             /* bytes of `line` already handed to the caller */
    size_t next_row;        /* next row to render */
    int header_done;        /* the header line has been rendered */
    int failed;             /* out of memory once; every later read fails */
};

/* Per-kind facts: format name for messages, column table, lookup. */
typedef struct export_kind_info {
    const char *format;
    const char *const *columns;
    size_t n_columns;
    int (*find)(const char *column);
} export_kind_info;

static const export_kind_info *export_kind_get(export_kind kind)
{
    static const export_kind_info kinds[] = {
        [EXPORT_COMPANIES] = {"COMPANY_GENERIC_CSV", vocab_company_columns,
                              VOCAB_N_COMPANY_COLUMNS, vocab_company_column_find},
        [EXPORT_PROSPECTS] = {"PROSPECT_GENERIC_CSV", vocab_prospect_columns,
                              VOCAB_N_PROSPECT_COLUMNS, vocab_prospect_column_find},
    };
    if (kind != EXPORT_COMPANIES && kind != EXPORT_PROSPECTS)
        return NULL;
    return &kinds[kind];
}

/* Length of the longest prefix of s[0..len) that is at most max bytes and
 * does not end inside a UTF-8 sequence (s is valid UTF-8: jansson checked
 * it). Messages built from client input end up in JSON strings, and jansson
 * refuses invalid UTF-8, so a cut must never split a character. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    return len <= max ? len : utf8_whole_prefix(s, max);
}

/* Formats the error message into err (if any). When it does not fit, the
 * text is cut at a character boundary, for the same reason as utf8_prefix. */
static void export_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void export_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n < 0) {
        err[0] = '\0';
        return;
    }
    if ((size_t)n >= errlen)
        err[utf8_whole_prefix(err, errlen - 1)] = '\0';
}

/* Checks one excludeFields item and clears its column in sel. Returns 0, or
 * -1 with err set. */
static int export_exclude_one(const export_kind_info *info, size_t i,
                              const json_t *item, uint8_t *sel,
                              char *err, size_t errlen)
{
    if (!json_is_string(item)) {
        export_set_err(err, errlen,
                       "excludeFields[%zu]: expected a column name (string), got %s",
                       i, jsontype_phrase(item));
        return -1;
    }
    const char *name = json_string_value(item);
    size_t visible = strlen(name);
    /* A name with an embedded NUL would match its prefix in a C lookup. */
    int column = visible == json_string_length(item) ? info->find(name) : -1;
    if (column < 0 || (size_t)column >= info->n_columns) {
        size_t shown = utf8_prefix(name, visible, EXPORT_ERR_VALUE_MAX);
        export_set_err(err, errlen,
                       "excludeFields[%zu]: unknown column \"%.*s%s\" for %s; see %s",
                       i, (int)shown, name, shown < visible ? "..." : "",
                       info->format, EXPORT_COLUMNS_DOC);
        return -1;
    }
    sel[column] = 0;
    return 0;
}

int export_select_columns(export_kind kind, const json_t *exclude_fields,
                          uint8_t selected[EXPORT_MAX_COLUMNS],
                          char *err, size_t errlen)
{
    const export_kind_info *info = export_kind_get(kind);
    if (info == NULL) {
        export_set_err(err, errlen, "format: unknown export kind %d", (int)kind);
        return -1;
    }
    /* Built aside and copied at the end, so a rejected request leaves the
     * caller's array untouched. */
    uint8_t sel[EXPORT_MAX_COLUMNS] = {0};
    for (size_t c = 0; c < info->n_columns; c++)
        sel[c] = 1;

    if (exclude_fields != NULL && !json_is_null(exclude_fields)) {
        if (!json_is_array(exclude_fields)) {
            export_set_err(err, errlen,
                           "excludeFields: expected an array of column names or null, got %s",
                           jsontype_phrase(exclude_fields));
            return -1;
        }
        size_t i;
        const json_t *item;
        json_array_foreach(exclude_fields, i, item) {
            if (export_exclude_one(info, i, item, sel, err, errlen) != 0)
                return -1;
        }
    }
    memcpy(selected, sel, sizeof sel);
    return 0;
}

/* Row indexes must be valid for the dataset and kind (the caller took them
 * from a build of this dataset); they are not checked again here. */
export_job *export_job_new(const dataset *ds, export_kind kind,
                           const uint32_t *rows, const uint8_t *revealed,
                           size_t n_rows,
                           const uint8_t selected[EXPORT_MAX_COLUMNS])
{
    const export_kind_info *info = export_kind_get(kind);
    if (info == NULL || n_rows > SIZE_MAX / sizeof(uint32_t))
        return NULL;

    export_job *job = calloc(1, sizeof *job);
    if (job == NULL)
        goto fail;
    job->ds = ds;
    job->kind = kind;
    job->n_rows = n_rows;
    if (n_rows > 0) {
        job->rows = malloc(n_rows * sizeof *job->rows);
        if (job->rows == NULL)
            goto fail;
        memcpy(job->rows, rows, n_rows * sizeof *job->rows);
    }
    /* Companies have no hidden contacts: their mask is never read. */
    if (kind == EXPORT_PROSPECTS && revealed != NULL && n_rows > 0) {
        job->revealed = malloc(n_rows);
        if (job->revealed == NULL)
            goto fail;
        memcpy(job->revealed, revealed, n_rows);
    }
    for (size_t c = 0; c < info->n_columns; c++) {
        if (selected[c]) {
            job->columns[job->n_columns++] = (uint8_t)c;
            job->column_bits[c / 64] |= 1ull << (c % 64);
        }
    }
    return job;

fail:
    export_job_free(job);
    return NULL;
}

void export_job_free(export_job *job)
{
    if (job == NULL)
        return;
    free(job->rows);
    free(job->revealed);
    free(job);
}

void export_job_use_cache(export_job *job, export_cache *cache)
{
    job->cache = cache != NULL && export_cache_dataset(cache) == job->ds ? cache : NULL;
}

size_t export_job_rows(const export_job *job)
{
    return job->n_rows;
}

void export_job_describe(const export_job *job, export_job_parts *out)
{
    memset(out, 0, sizeof *out);
    out->kind = job->kind;
    out->rows = job->rows;
    out->revealed = job->revealed;
    out->n_rows = job->n_rows;
    for (size_t c = 0; c < job->n_columns; c++)
        out->selected[job->columns[c]] = 1;
}

export_reader *export_reader_new(const export_job *job)
{
    export_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL)
        return NULL;
    reader->job = job;
    reader->line = (strbuf)STRBUF_INIT;
    return reader;
}

/* The key of row r's record (r: a dataset index, or EXPORT_CACHE_HEADER). */
static export_cache_key record_key(const export_job *job, uint32_t row, unsigned revealed)
{
    return (export_cache_key){
        .columns = {job->column_bits[0], job->column_bits[1]},
        .row = row,
        .kind = (uint8_t)job->kind,
        .revealed = (uint8_t)revealed,
    };
}

/* The header names the columns: a record like the others for the cache. */
static void export_render_header(export_reader *reader)
{
    const export_job *job = reader->job;
    const export_kind_info *info = export_kind_get(job->kind);
    export_cache_key key = record_key(job, EXPORT_CACHE_HEADER, 0);
    if (job->cache != NULL && export_cache_get(job->cache, &key, &reader->line))
        return;
    for (size_t c = 0; c < job->n_columns; c++) {
        const char *name = info->columns[job->columns[c]];
        csv_field(&reader->line, c == 0, name, strlen(name));
    }
    csv_end_record(&reader->line);
    if (job->cache != NULL && !reader->line.oom)
        export_cache_put(job->cache, &key, reader->line.data, reader->line.len);
}

/* Cells are rendered straight into the record and quoted there when they
 * must be: going through a scratch buffer cost about 15% of throughput.
 * The record starts at the beginning of reader->line. */
static void export_render_row(export_reader *reader, size_t r)
{
    const export_job *job = reader->job;
    strbuf *line = &reader->line;
    uint32_t row = job->rows[r];
    unsigned revealed = job->revealed != NULL ? job->revealed[r] : 0;
    export_cache_key key = record_key(job, row, revealed);
    if (job->cache != NULL && export_cache_get(job->cache, &key, line))
        return;
    for (size_t c = 0; c < job->n_columns; c++) {
        csv_field(line, c == 0, "", 0);         /* the separator alone */
        size_t start = line->len;
        if (job->kind == EXPORT_COMPANIES)
            ds_company_cell(job->ds, row, job->columns[c], line);
        else
            ds_prospect_cell(job->ds, row, job->columns[c], revealed, line);
        if (line->len > start) {
            csv_quote_in_place(line, start);
        } else if (job->n_columns == 1) {
            /* A record of one empty field would be a blank line, which
             * many readers skip, losing the row; "" keeps it. */
            strbuf_append(line, "\"\"", 2);
        }
    }
    csv_end_record(line);
    if (job->cache != NULL && !line->oom)
        export_cache_put(job->cache, &key, line->data, line->len);
}

/* Renders the next record (header, then rows) into reader->line, replacing
 * what was there. Returns 1 when a record was rendered, 0 at the end, -1 when
 * out of memory (the reader is then unusable). */
static int export_next_record(export_reader *reader)
{
    strbuf_reset(&reader->line);
    reader->pos = 0;
    if (!reader->header_done) {
        export_render_header(reader);
        reader->header_done = 1;
    } else if (reader->next_row < reader->job->n_rows) {
        export_render_row(reader, reader->next_row);
        reader->next_row++;
    } else {
        return 0;
    }
    if (reader->line.oom) {
        /* `line` holds a partial record now: never hand it out. */
        reader->failed = 1;
        return -1;
    }
    return 1;
}

/* Rows looked up in the cache at once (one lock). */
#define CACHED_RUN_ROWS 32

/* With `line` handed out: copies the next records (the header first, while
 * it is not out) from the cache into dst while they are there and fit in
 * room, and moves past them. Returns their length, or 0 (the next record
 * is rendered into `line` then). A cached header goes straight to dst too:
 * through `line` it cost the download its one allocation of more than a
 * KiB, which makes glibc consolidate its fast bins. */
static size_t copy_cached_rows(export_reader *reader, char *dst, size_t room)
{
    const export_job *job = reader->job;
    if (job->cache == NULL || (reader->header_done && reader->next_row >= job->n_rows))
        return 0;
    export_cache_key keys[CACHED_RUN_ROWS];
    size_t n = 0;
    if (!reader->header_done)
        keys[n++] = record_key(job, EXPORT_CACHE_HEADER, 0);
    for (size_t r = reader->next_row; r < job->n_rows && n < CACHED_RUN_ROWS; r++)
        keys[n++] = record_key(job, job->rows[r], job->revealed != NULL ? job->revealed[r] : 0);
    size_t records = 0;
    size_t len = export_cache_copy_run(job->cache, keys, n, dst, room, &records);
    if (records > 0 && !reader->header_done) {
        reader->header_done = 1;
        records--;
    }
    reader->next_row += records;
    return len;
}

/* Out of memory after some bytes were copied returns those bytes and the
 * next call reports -1, so the caller never loses bytes it was given. */
ssize_t export_reader_read(export_reader *reader, char *buf, size_t max)
{
    size_t copied = 0;
    if (reader->failed)
        return -1;
    if (max > SSIZE_MAX)
        max = SSIZE_MAX;
    while (copied < max) {
        if (reader->pos == reader->line.len) {
            /* Cached rows that fit go straight to buf, not by `line`. */
            size_t n = copy_cached_rows(reader, buf + copied, max - copied);
            if (n > 0) {
                copied += n;
                continue;
            }
            int rc = export_next_record(reader);
            if (rc < 0)
                return copied > 0 ? (ssize_t)copied : -1;
            if (rc == 0)
                break;
        }
        size_t n = reader->line.len - reader->pos;
        if (n > max - copied)
            n = max - copied;
        memcpy(buf + copied, reader->line.data + reader->pos, n);
        reader->pos += n;
        copied += n;
    }
    return (ssize_t)copied;
}

void export_reader_free(export_reader *reader)
{
    if (reader == NULL)
        return;
    strbuf_release(&reader->line);
    free(reader);
}
