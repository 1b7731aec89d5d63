/* Tests of the CSV writer (csv.h) and the streamed exports (export.h).
 *
 * The writer is checked against a strict RFC 4180 reader written here, so a
 * quoting mistake shows up as a parse error or a changed value rather than
 * relying on the writer's own idea of what it wrote. The export tests use a
 * small generated dataset and compare every parsed cell with what
 * ds_*_cell renders directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "text/csv.h"
#include "data/dataset.h"
#include "csv_read.h"
#include "data/export.h"
#include "data/export_cache.h"
#include "text/strbuf.h"
#include "data/vocab.h"

/* ------------------------------------------------------------------------ */
/* Reading back: the strict reader of csv_read.c                             */
/* ------------------------------------------------------------------------ */

static void parse_ok(const char *s, size_t len, csv_table *out)
{
    size_t where = 0;
    int rc = csv_parse(s, len, out, &where);
    if (rc != 0)
        fail_msg("CSV parse error at byte %zu of %zu", where, len);
}

static void assert_cell(const csv_cell *cell, const char *want, size_t want_len)
{
    assert_int_equal(cell->len, want_len);
    assert_memory_equal(cell->data, want, want_len);
}

/* The parser itself: a test of the test. */
static void test_reader_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a\"b\r\n",      /* quote in unquoted field */
        "\"ab\"c\r\n",   /* junk after closing quote */
        "\"ab\r\n",      /* unterminated */
        "a,b",           /* no final CRLF */
        "a\nb\r\n",      /* bare LF */
        "a\rb\r\n",      /* bare CR */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        csv_table t;
        size_t where = 0;
        assert_int_equal(csv_parse(bad[i], strlen(bad[i]), &t, &where), -1);
    }
    csv_table t;
    const char *good = "a,\"b,\"\"c\"\"\r\nd\",\r\n\r\n";
    parse_ok(good, strlen(good), &t);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.records[0].n, 3);
    assert_cell(&t.records[0].cells[1], "b,\"c\"\r\nd", 8);
    assert_cell(&t.records[0].cells[2], "", 0);
    assert_int_equal(t.records[1].n, 1);
    assert_cell(&t.records[1].cells[0], "", 0);
    csv_table_free(&t);
}

/* ------------------------------------------------------------------------ */
/* The writer                                                                */
/* ------------------------------------------------------------------------ */

/* Writes one record of the given fields and returns it (caller frees). */
static char *write_record(size_t n, const char *const *fields)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        csv_field(&sb, i == 0, fields[i], strlen(fields[i]));
    csv_end_record(&sb);
    assert_false(sb.oom);
    return strbuf_detach(&sb);
}

static void assert_written(const char *value, const char *want)
{
    const char *fields[] = {value};
    char *got = write_record(1, fields);
    assert_string_equal(got, want);
    free(got);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    assert_written("plain", "plain\r\n");
    assert_written("a,b", "\"a,b\"\r\n");
    assert_written("say \"hi\"", "\"say \"\"hi\"\"\"\r\n");
    assert_written("\"", "\"\"\"\"\r\n");
    assert_written("a\rb", "\"a\rb\"\r\n");
    assert_written("a\nb", "\"a\nb\"\r\n");
    assert_written("a\r\nb", "\"a\r\nb\"\r\n");
    assert_written(" lead", "\" lead\"\r\n");
    assert_written("trail ", "\"trail \"\r\n");
    assert_written(" ", "\" \"\r\n");
    assert_written("in side", "in side\r\n");   /* inner space: no quotes */
    assert_written("tab\there", "tab\there\r\n");
    assert_written("", "\r\n");
    /* UTF-8 goes through byte for byte, unquoted. */
    assert_written("Caf\xc3\xa9 M\xc3\xbcnchen \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80",
                   "Caf\xc3\xa9 M\xc3\xbcnchen \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80\r\n");
}

static void test_csv_records(void **state)
{
    (void)state;
    const char *const fields[] = {"a", "", "b,c", ""};
    char *got = write_record(4, fields);
    assert_string_equal(got, "a,,\"b,c\",\r\n");
    free(got);

    /* Length, not NUL, ends a value; a field may come from a larger buffer. */
    strbuf sb = STRBUF_INIT;
    csv_field(&sb, 1, "abc,def", 3);
    csv_field(&sb, 0, NULL, 0);
    csv_field(&sb, 0, "x\0y", 3);
    csv_end_record(&sb);
    csv_end_record(&sb);
    assert_false(sb.oom);
    assert_int_equal(sb.len, 12);
    assert_memory_equal(sb.data, "abc,,x\0y\r\n\r\n", 12);
    strbuf_release(&sb);
}

/* Writes value both ways: csv_field, and appended raw then quoted in place.
 * Both must give the same bytes. */
static void assert_same_both_ways(int first, const char *value, size_t len)
{
    strbuf a = STRBUF_INIT;
    strbuf b = STRBUF_INIT;
    strbuf_puts(&a, "prefix,\"x\"");
    strbuf_puts(&b, "prefix,\"x\"");
    csv_field(&a, first, value, len);
    csv_field(&b, first, "", 0);
    size_t start = b.len;
    strbuf_append(&b, value, len);
    csv_quote_in_place(&b, start);
    assert_false(a.oom);
    assert_false(b.oom);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(b.data[b.len], '\0');
    strbuf_release(&a);
    strbuf_release(&b);
}

static void test_csv_quote_in_place(void **state)
{
    (void)state;
    static const char *const values[] = {
        "", "plain", "a,b", "\"", "\"\"", "say \"hi\"", " lead", "trail ", "a\r\nb",
        "caf\xc3\xa9, bar",
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_same_both_ways(1, values[i], strlen(values[i]));
        assert_same_both_ways(0, values[i], strlen(values[i]));
    }
    /* More quotes than the internal padding block, and long runs. */
    char many[300];
    memset(many, '"', sizeof many);
    assert_same_both_ways(0, many, sizeof many);
    for (size_t i = 0; i < sizeof many; i++)
        many[i] = i % 3 == 0 ? '"' : 'q';
    assert_same_both_ways(0, many, sizeof many);

    /* A start at or past the end is an empty value: nothing changes. */
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "a,");
    csv_quote_in_place(&sb, sb.len);
    csv_quote_in_place(&sb, sb.len + 5);
    assert_string_equal(sb.data, "a,");
    strbuf_release(&sb);
}

/* Deterministic generator for the property tests (xorshift64*). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

/* A random value biased toward the bytes that matter to CSV, plus UTF-8
 * sequences, NUL and arbitrary bytes. */
static size_t random_value(uint64_t *rng, char *buf, size_t cap)
{
    static const char *const pieces[] = {
        ",", "\"", "\r", "\n", "\r\n", " ", "a", "Z", "0", "\t", "\xc3\xa9",
        "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\"\"", ",\"", "\"\r\n\"",
    };
    size_t n_pieces = sizeof pieces / sizeof pieces[0];
    size_t len = 0;
    size_t parts = (size_t)(rng_next(rng) % 12);
    for (size_t p = 0; p < parts; p++) {
        uint64_t r = rng_next(rng);
        if (r % 8 == 0) {
            if (len < cap)
                buf[len++] = (char)(r >> 8);        /* any byte, NUL too */
            continue;
        }
        const char *piece = pieces[(r >> 8) % n_pieces];
        size_t plen = strlen(piece);
        if (len + plen > cap)
            break;
        memcpy(buf + len, piece, plen);
        len += plen;
    }
    return len;
}

/* Writes many random records, parses them back, and requires the same
 * values; also that a value needing no quotes is written as it is. */
static void test_csv_round_trip(void **state)
{
    (void)state;
    enum { RECORDS = 3000, MAX_FIELDS = 7, CAP = 64 };
    static char values[RECORDS][MAX_FIELDS][CAP];
    static size_t lens[RECORDS][MAX_FIELDS];
    size_t n_fields[RECORDS];
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    strbuf sb = STRBUF_INIT;

    for (size_t r = 0; r < RECORDS; r++) {
        n_fields[r] = 1 + (size_t)(rng_next(&rng) % MAX_FIELDS);
        for (size_t f = 0; f < n_fields[r]; f++) {
            lens[r][f] = random_value(&rng, values[r][f], CAP);
            assert_same_both_ways(f == 0, values[r][f], lens[r][f]);
            size_t before = sb.len;
            csv_field(&sb, f == 0, values[r][f], lens[r][f]);
            size_t start = before + (f == 0 ? 0 : 1);
            int special = memchr(values[r][f], ',', lens[r][f]) != NULL ||
                          memchr(values[r][f], '"', lens[r][f]) != NULL ||
                          memchr(values[r][f], '\r', lens[r][f]) != NULL ||
                          memchr(values[r][f], '\n', lens[r][f]) != NULL ||
                          (lens[r][f] > 0 && (values[r][f][0] == ' ' ||
                                              values[r][f][lens[r][f] - 1] == ' '));
            if (!special) {
                assert_int_equal(sb.len - start, lens[r][f]);
                assert_memory_equal(sb.data + start, values[r][f], lens[r][f]);
            }
        }
        csv_end_record(&sb);
    }
    assert_false(sb.oom);

    csv_table t;
    parse_ok(sb.data, sb.len, &t);
    assert_int_equal(t.n, RECORDS);
    for (size_t r = 0; r < RECORDS; r++) {
        assert_int_equal(t.records[r].n, n_fields[r]);
        for (size_t f = 0; f < n_fields[r]; f++)
            assert_cell(&t.records[r].cells[f], values[r][f], lens[r][f]);
    }
    csv_table_free(&t);
    strbuf_release(&sb);
}

/* ------------------------------------------------------------------------ */
/* Column selection                                                          */
/* ------------------------------------------------------------------------ */

static const char UNSET = (char)0xAA;

static void assert_all_selected(const uint8_t *sel, size_t n)
{
    for (size_t c = 0; c < n; c++)
        assert_int_equal(sel[c], 1);
    for (size_t c = n; c < EXPORT_MAX_COLUMNS; c++)
        assert_int_equal(sel[c], 0);
}

/* Runs a selection that must fail; checks the message and that `selected`
 * was left alone. */
static void assert_select_error(export_kind kind, const char *json, const char *want)
{
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    assert_non_null(v);
    uint8_t sel[EXPORT_MAX_COLUMNS];
    memset(sel, UNSET, sizeof sel);
    char err[256] = "";
    assert_int_equal(export_select_columns(kind, v, sel, err, sizeof err), -1);
    assert_string_equal(err, want);
    for (size_t c = 0; c < EXPORT_MAX_COLUMNS; c++)
        assert_int_equal(sel[c], (uint8_t)UNSET);
    json_decref(v);
}

static void test_select_all(void **state)
{
    (void)state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    char err[128];
    json_t *null = json_null();
    json_t *empty = json_array();

    memset(sel, UNSET, sizeof sel);
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, NULL, sel, err, sizeof err), 0);
    assert_all_selected(sel, VOCAB_N_COMPANY_COLUMNS);
    memset(sel, UNSET, sizeof sel);
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, null, sel, err, sizeof err), 0);
    assert_all_selected(sel, VOCAB_N_COMPANY_COLUMNS);
    memset(sel, UNSET, sizeof sel);
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, empty, sel, err, sizeof err), 0);
    assert_all_selected(sel, VOCAB_N_COMPANY_COLUMNS);
    memset(sel, UNSET, sizeof sel);
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    assert_all_selected(sel, VOCAB_N_PROSPECT_COLUMNS);
    memset(sel, UNSET, sizeof sel);
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, empty, sel, err, sizeof err), 0);
    assert_all_selected(sel, VOCAB_N_PROSPECT_COLUMNS);

    json_decref(null);
    json_decref(empty);
}

static void test_select_exclusions(void **state)
{
    (void)state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    char err[128] = "";
    json_t *ex = json_pack("[sss]", "descovo_id", "work_email_1", "descovo_id");
    assert_non_null(ex);
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, ex, sel, err, sizeof err), 0);
    int id = vocab_prospect_column_find("descovo_id");
    int work = vocab_prospect_column_find("work_email_1");
    assert_int_equal(id, 0);
    assert_true(work > 0);
    for (size_t c = 0; c < VOCAB_N_PROSPECT_COLUMNS; c++)
        assert_int_equal(sel[c], (int)c == id || (int)c == work ? 0 : 1);
    json_decref(ex);

    /* Every column out: allowed, nothing selected. */
    ex = json_array();
    for (size_t c = 0; c < VOCAB_N_COMPANY_COLUMNS; c++)
        json_array_append_new(ex, json_string(vocab_company_columns[c]));
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, ex, sel, err, sizeof err), 0);
    for (size_t c = 0; c < EXPORT_MAX_COLUMNS; c++)
        assert_int_equal(sel[c], 0);
    json_decref(ex);
}

static void test_select_errors(void **state)
{
    (void)state;
    assert_select_error(EXPORT_COMPANIES, "[\"name\", \"foo\"]",
                        "excludeFields[1]: unknown column \"foo\" for COMPANY_GENERIC_CSV; "
                        "see docs/API.md#export-columns");
    /* A prospect column is not a company column. */
    assert_select_error(EXPORT_COMPANIES, "[\"work_email_1\"]",
                        "excludeFields[0]: unknown column \"work_email_1\" for "
                        "COMPANY_GENERIC_CSV; see docs/API.md#export-columns");
    assert_select_error(EXPORT_PROSPECTS, "[\"first_name\", \"\", \"x\"]",
                        "excludeFields[1]: unknown column \"\" for PROSPECT_GENERIC_CSV; "
                        "see docs/API.md#export-columns");
    /* An embedded NUL must not match the name before it. */
    assert_select_error(EXPORT_COMPANIES, "[\"name\\u0000x\"]",
                        "excludeFields[0]: unknown column \"name\" for COMPANY_GENERIC_CSV; "
                        "see docs/API.md#export-columns");
    assert_select_error(EXPORT_COMPANIES, "[\"name\", 3]",
                        "excludeFields[1]: expected a column name (string), got an integer");
    assert_select_error(EXPORT_PROSPECTS, "[null]",
                        "excludeFields[0]: expected a column name (string), got null");
    assert_select_error(EXPORT_PROSPECTS, "[[\"name\"]]",
                        "excludeFields[0]: expected a column name (string), got an array");
    assert_select_error(EXPORT_COMPANIES, "\"name\"",
                        "excludeFields: expected an array of column names or null, got a string");
    assert_select_error(EXPORT_COMPANIES, "{\"name\": true}",
                        "excludeFields: expected an array of column names or null, got an object");
    assert_select_error(EXPORT_COMPANIES, "false",
                        "excludeFields: expected an array of column names or null, got a boolean");

    /* No err buffer: still fails cleanly. */
    json_t *bad = json_pack("[s]", "nope");
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, bad, sel, NULL, 0), -1);
    json_decref(bad);
}

/* The message echoes client input and goes into a JSON error body: however
 * it is cut, it must stay valid UTF-8 (json_string refuses anything else). */
static void test_select_error_utf8(void **state)
{
    (void)state;
    strbuf name = STRBUF_INIT;
    for (int i = 0; i < 100; i++)
        strbuf_puts(&name, "\xc3\xa9");            /* 200 bytes of "é" */
    json_t *ex = json_array();
    json_array_append_new(ex, json_string(name.data));
    uint8_t sel[EXPORT_MAX_COLUMNS];

    char err[512];
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, ex, sel, err, sizeof err), -1);
    assert_non_null(strstr(err, "...\" for COMPANY_GENERIC_CSV"));
    assert_true(strlen(err) < 200);                 /* the value was shortened */
    json_t *s = json_string(err);
    assert_non_null(s);
    json_decref(s);

    /* Small buffers cut the text itself, at every possible length. */
    for (size_t cap = 1; cap < 64; cap++) {
        char small[64];
        assert_int_equal(export_select_columns(EXPORT_COMPANIES, ex, sel, small, cap), -1);
        assert_true(strlen(small) < cap);
        s = json_string(small);
        assert_non_null(s);
        json_decref(s);
    }
    json_decref(ex);
    strbuf_release(&name);
}

/* ------------------------------------------------------------------------ */
/* Streamed exports                                                          */
/* ------------------------------------------------------------------------ */

typedef struct export_fixture {
    dataset *ds;
} export_fixture;

static int group_setup(void **state)
{
    export_fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    fx->ds = dataset_generate(7, 300);
    if (fx->ds == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    export_fixture *fx = *state;
    if (fx != NULL)
        dataset_free(fx->ds);
    free(fx);
    return 0;
}

/* Reads the whole export `max` bytes at a time, checking every read's size. */
static char *read_all(const export_job *job, size_t max, size_t *len)
{
    export_reader *reader = export_reader_new(job);
    assert_non_null(reader);
    strbuf sb = STRBUF_INIT;
    char *buf = malloc(max);
    assert_non_null(buf);
    for (;;) {
        ssize_t n = export_reader_read(reader, buf, max);
        assert_true(n >= 0);
        assert_true((size_t)n <= max);
        if (n == 0)
            break;
        strbuf_append(&sb, buf, (size_t)n);
    }
    /* The end is sticky. */
    assert_int_equal(export_reader_read(reader, buf, max), 0);
    free(buf);
    export_reader_free(reader);
    assert_false(sb.oom);
    *len = sb.len;
    return strbuf_detach(&sb);
}

static size_t n_rows_of(const dataset *ds, export_kind kind)
{
    return kind == EXPORT_COMPANIES ? ds->n_companies : ds->n_prospects;
}

static size_t n_columns_of(export_kind kind)
{
    return kind == EXPORT_COMPANIES ? VOCAB_N_COMPANY_COLUMNS : VOCAB_N_PROSPECT_COLUMNS;
}

static const char *column_name(export_kind kind, size_t c)
{
    return kind == EXPORT_COMPANIES ? vocab_company_columns[c] : vocab_prospect_columns[c];
}

static void render_cell(const dataset *ds, export_kind kind, uint32_t row, int column,
                        unsigned revealed, strbuf *out)
{
    strbuf_reset(out);
    if (kind == EXPORT_COMPANIES)
        ds_company_cell(ds, row, column, out);
    else
        ds_prospect_cell(ds, row, column, revealed, out);
}

/* Exports `rows` with `selected` and checks the whole file: header = the
 * selected names in order, one record per row, every cell equal to the
 * directly rendered one. */
static void check_export(const dataset *ds, export_kind kind, const uint32_t *rows,
                         const uint8_t *revealed, size_t n_rows, const uint8_t *selected)
{
    export_job *job = export_job_new(ds, kind, rows, revealed, n_rows, selected);
    assert_non_null(job);
    assert_int_equal(export_job_rows(job), n_rows);
    size_t len = 0;
    char *csv = read_all(job, 4096, &len);

    int cols[EXPORT_MAX_COLUMNS];
    size_t n_cols = 0;
    for (size_t c = 0; c < n_columns_of(kind); c++) {
        if (selected[c])
            cols[n_cols++] = (int)c;
    }

    csv_table t;
    parse_ok(csv, len, &t);
    assert_int_equal(t.n, n_rows + 1);
    strbuf cell = STRBUF_INIT;
    if (n_cols > 0) {
        assert_int_equal(t.records[0].n, n_cols);
        for (size_t c = 0; c < n_cols; c++) {
            const char *name = column_name(kind, (size_t)cols[c]);
            assert_cell(&t.records[0].cells[c], name, strlen(name));
        }
    }
    for (size_t r = 0; r < n_rows && n_cols > 0; r++) {
        const csv_record *rec = &t.records[r + 1];
        assert_int_equal(rec->n, n_cols);
        unsigned rev = revealed != NULL ? revealed[r] : 0;
        for (size_t c = 0; c < n_cols; c++) {
            render_cell(ds, kind, rows[r], cols[c], rev, &cell);
            assert_cell(&rec->cells[c], cell.len ? cell.data : "", cell.len);
        }
    }
    strbuf_release(&cell);
    csv_table_free(&t);
    free(csv);
    export_job_free(job);
}

static uint32_t *all_rows(size_t n)
{
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    return rows;
}

static void test_export_all_columns(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    for (int k = EXPORT_COMPANIES; k <= EXPORT_PROSPECTS; k++) {
        export_kind kind = (export_kind)k;
        size_t n = n_rows_of(fx->ds, kind);
        if (n > 2000)
            n = 2000;
        uint32_t *rows = all_rows(n);
        uint8_t *revealed = malloc(n);
        assert_non_null(revealed);
        uint64_t rng = 42;
        for (size_t i = 0; i < n; i++)
            revealed[i] = (uint8_t)(rng_next(&rng) % 8);
        assert_int_equal(export_select_columns(kind, NULL, sel, NULL, 0), 0);
        check_export(fx->ds, kind, rows, revealed, n, sel);
        check_export(fx->ds, kind, rows, NULL, n, sel);
        free(revealed);
        free(rows);
    }
}

static void test_export_selected_columns(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    json_t *ex = json_pack("[ssss]", "name", "description", "hq_city", "custom");
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, ex, sel, NULL, 0), 0);
    json_decref(ex);
    /* Rows in an arbitrary order, with a repeat: the file follows `rows`. */
    uint32_t rows[] = {5, 0, 17, 5, 3};
    check_export(fx->ds, EXPORT_COMPANIES, rows, NULL, 5, sel);

    /* The id column is the first and matches ds_company_id row by row. */
    export_job *job = export_job_new(fx->ds, EXPORT_COMPANIES, rows, NULL, 5, sel);
    assert_non_null(job);
    size_t len = 0;
    char *csv = read_all(job, 4096, &len);
    csv_table t;
    parse_ok(csv, len, &t);
    assert_string_equal(t.records[0].cells[0].data, "descovo_id");
    for (size_t r = 0; r < 5; r++) {
        char id[24];
        ds_company_id(fx->ds, rows[r], id);
        assert_string_equal(t.records[r + 1].cells[0].data, id);
    }
    csv_table_free(&t);
    free(csv);
    export_job_free(job);
}

/* Reading 1, 7, 4096 or 64 KiB at a time gives the same bytes. */
static void test_export_chunk_sizes(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    size_t n = fx->ds->n_prospects < 500 ? fx->ds->n_prospects : 500;
    uint32_t *rows = all_rows(n);
    uint8_t *revealed = malloc(n);
    assert_non_null(revealed);
    memset(revealed, DS_CONTACT_ALL, n);
    export_job *job = export_job_new(fx->ds, EXPORT_PROSPECTS, rows, revealed, n, sel);
    assert_non_null(job);
    /* The job copied its inputs: scribbling on them changes nothing. */
    memset(rows, 0xFF, n * sizeof *rows);
    memset(revealed, 0, n);

    static const size_t sizes[] = {1, 2, 7, 4096, 65536};
    size_t ref_len = 0;
    char *ref = read_all(job, sizes[0], &ref_len);
    for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t len = 0;
        char *got = read_all(job, sizes[i], &len);
        assert_int_equal(len, ref_len);
        assert_memory_equal(got, ref, len);
        free(got);
    }
    free(ref);
    export_job_free(job);
    free(revealed);
    free(rows);
}

/* Two readers over one job, interleaved, each see the whole file. */
static void test_export_concurrent_readers(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, NULL, sel, NULL, 0), 0);
    size_t n = fx->ds->n_companies < 100 ? fx->ds->n_companies : 100;
    uint32_t *rows = all_rows(n);
    export_job *job = export_job_new(fx->ds, EXPORT_COMPANIES, rows, NULL, n, sel);
    assert_non_null(job);
    size_t ref_len = 0;
    char *ref = read_all(job, 4096, &ref_len);

    export_reader *a = export_reader_new(job);
    export_reader *b = export_reader_new(job);
    assert_non_null(a);
    assert_non_null(b);
    strbuf sa = STRBUF_INIT;
    strbuf sb = STRBUF_INIT;
    char buf[333];
    int a_done = 0;
    int b_done = 0;
    while (!a_done || !b_done) {
        if (!a_done) {
            ssize_t got = export_reader_read(a, buf, 333);
            assert_true(got >= 0);
            a_done = got == 0;
            strbuf_append(&sa, buf, (size_t)got);
        }
        if (!b_done) {
            ssize_t got = export_reader_read(b, buf, 100);
            assert_true(got >= 0);
            b_done = got == 0;
            strbuf_append(&sb, buf, (size_t)got);
        }
    }
    assert_int_equal(sa.len, ref_len);
    assert_int_equal(sb.len, ref_len);
    assert_memory_equal(sa.data, ref, ref_len);
    assert_memory_equal(sb.data, ref, ref_len);
    strbuf_release(&sa);
    strbuf_release(&sb);
    export_reader_free(a);
    export_reader_free(b);
    free(ref);
    export_job_free(job);
    free(rows);
}

/* Contact cells appear only for the types revealed for that row. */
static void test_export_revealed(void **state)
{
    export_fixture *fx = *state;
    const dataset *ds = fx->ds;
    uint32_t p = UINT32_MAX;
    for (size_t i = 0; i < ds->n_prospects; i++) {
        if ((ds->prospects[i].contacts & DS_CONTACT_ALL) == DS_CONTACT_ALL) {
            p = (uint32_t)i;
            break;
        }
    }
    if (p == UINT32_MAX)
        skip();

    static const char *const contact[] = {"work_email_1", "personal_email_1", "phone_number_1"};
    static const unsigned bit[] = {DS_CONTACT_WORK_EMAIL, DS_CONTACT_PERSONAL_EMAIL,
                                   DS_CONTACT_PHONE};
    uint8_t sel[EXPORT_MAX_COLUMNS] = {0};
    for (size_t i = 0; i < 3; i++) {
        int c = vocab_prospect_column_find(contact[i]);
        assert_true(c >= 0);
        sel[c] = 1;
    }
    uint32_t rows[] = {p, p, p, p, p};
    uint8_t revealed[] = {0, DS_CONTACT_ALL, DS_CONTACT_WORK_EMAIL,
                          DS_CONTACT_PERSONAL_EMAIL, DS_CONTACT_PHONE};
    check_export(ds, EXPORT_PROSPECTS, rows, revealed, 5, sel);

    export_job *job = export_job_new(ds, EXPORT_PROSPECTS, rows, revealed, 5, sel);
    assert_non_null(job);
    size_t len = 0;
    char *csv = read_all(job, 64, &len);
    csv_table t;
    parse_ok(csv, len, &t);
    assert_int_equal(t.n, 6);
    for (size_t r = 0; r < 5; r++) {
        for (size_t i = 0; i < 3; i++) {
            int shown = (revealed[r] & bit[i]) != 0;
            size_t cell_len = t.records[r + 1].cells[i].len;
            if (shown)
                assert_true(cell_len > 0);
            else
                assert_int_equal(cell_len, 0);
        }
    }
    csv_table_free(&t);
    free(csv);
    export_job_free(job);

    /* NULL revealed: nothing shown. */
    job = export_job_new(ds, EXPORT_PROSPECTS, rows, NULL, 1, sel);
    assert_non_null(job);
    csv = read_all(job, 7, &len);
    assert_memory_equal(csv + len - 4, ",,\r\n", 4);
    free(csv);
    export_job_free(job);
}

/* No rows: the header and nothing else. */
static void test_export_empty(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    for (int k = EXPORT_COMPANIES; k <= EXPORT_PROSPECTS; k++) {
        export_kind kind = (export_kind)k;
        assert_int_equal(export_select_columns(kind, NULL, sel, NULL, 0), 0);
        strbuf want = STRBUF_INIT;
        for (size_t c = 0; c < n_columns_of(kind); c++) {
            if (c > 0)
                strbuf_putc(&want, ',');
            strbuf_puts(&want, column_name(kind, c));
        }
        strbuf_puts(&want, "\r\n");
        export_job *job = export_job_new(fx->ds, kind, NULL, NULL, 0, sel);
        assert_non_null(job);
        assert_int_equal(export_job_rows(job), 0);
        size_t len = 0;
        char *csv = read_all(job, 1, &len);
        assert_int_equal(len, want.len);
        assert_memory_equal(csv, want.data, len);
        free(csv);
        export_job_free(job);
        strbuf_release(&want);
    }
}

/* No columns: an empty header line and one empty line per row. One column:
 * an empty cell is written as "" so no record is a blank line. */
static void test_export_few_columns(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS] = {0};
    uint32_t rows[] = {0, 1, 2};
    export_job *job = export_job_new(fx->ds, EXPORT_COMPANIES, rows, NULL, 3, sel);
    assert_non_null(job);
    size_t len = 0;
    char *csv = read_all(job, 4096, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(csv, "\r\n\r\n\r\n\r\n", 8);
    free(csv);
    export_job_free(job);

    for (size_t c = 0; c < VOCAB_N_PROSPECT_COLUMNS; c++) {
        memset(sel, 0, sizeof sel);
        sel[c] = 1;
        uint32_t prow[] = {0, 1, 2, 3, 4, 5, 6, 7};
        job = export_job_new(fx->ds, EXPORT_PROSPECTS, prow, NULL, 8, sel);
        assert_non_null(job);
        csv = read_all(job, 4096, &len);
        csv_table t;
        parse_ok(csv, len, &t);
        assert_int_equal(t.n, 9);
        for (size_t r = 0; r < t.n; r++) {
            assert_int_equal(t.records[r].n, 1);
            assert_true(t.records[r].end - t.records[r].start > 2);
        }
        csv_table_free(&t);
        free(csv);
        export_job_free(job);
    }
}

/* A reader holds one row, not the file: the heap in use while streaming a
 * file of megabytes grows by a few kilobytes at most. Needs glibc's
 * mallinfo2 (sanitizer builds report zeros there, and pass trivially). */
static void test_export_memory_bounded(void **state)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    /* Rows may repeat; 20000 rows of at least 97 commas are over 1.9 MB. */
    size_t n = 20000;
    uint32_t *rows = all_rows(n);
    for (size_t i = 0; i < n; i++)
        rows[i] = (uint32_t)(i % fx->ds->n_prospects);
    uint8_t *revealed = malloc(n);
    assert_non_null(revealed);
    memset(revealed, DS_CONTACT_ALL, n);
    export_job *job = export_job_new(fx->ds, EXPORT_PROSPECTS, rows, revealed, n, sel);
    assert_non_null(job);

    size_t base = mallinfo2().uordblks;
    size_t peak = base;
    size_t total = 0;
    char buf[4096];
    export_reader *reader = export_reader_new(job);
    assert_non_null(reader);
    for (;;) {
        ssize_t got = export_reader_read(reader, buf, sizeof buf);
        assert_true(got >= 0);
        if (got == 0)
            break;
        total += (size_t)got;
        size_t used = mallinfo2().uordblks;
        if (used > peak)
            peak = used;
    }
    export_reader_free(reader);
    assert_true(total > 1900000);
    assert_true(peak - base < 64 * 1024);

    export_job_free(job);
    free(revealed);
    free(rows);
#else
    (void)state;
    skip();
#endif
}

static void test_free_null(void **state)
{
    (void)state;
    export_job_free(NULL);
    export_reader_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* The shared record cache (export_cache.h)                                  */
/* ------------------------------------------------------------------------ */

/* The CSV of one export, rendered (cache NULL) or through cache. */
static char *export_csv(const dataset *ds, export_cache *cache, export_kind kind, const uint32_t *rows,
                        const uint8_t *revealed, size_t n, const uint8_t *sel, size_t *len)
{
    export_job *job = export_job_new(ds, kind, rows, revealed, n, sel);
    assert_non_null(job);
    export_job_use_cache(job, cache);
    char *csv = read_all(job, 1000, len);
    export_job_free(job);
    return csv;
}

static void assert_same_csv(const dataset *ds, export_cache *cache, export_kind kind, const uint32_t *rows,
                            const uint8_t *revealed, size_t n, const uint8_t *sel)
{
    size_t want_len = 0, got_len = 0;
    char *want = export_csv(ds, NULL, kind, rows, revealed, n, sel, &want_len);
    char *got = export_csv(ds, cache, kind, rows, revealed, n, sel, &got_len);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(want);
    free(got);
}

/* A cache for the fixture's dataset, rows 0..n-1 and, for each, one of the
 * 8 revealed masks in turn (revealed holds n). */
static export_cache *cache_and_rows(const export_fixture *fx, size_t n, uint32_t **rows, uint8_t *revealed)
{
    export_cache *cache = export_cache_new(fx->ds, EXPORT_CACHE_DEFAULT_BYTES);
    assert_non_null(cache);
    *rows = all_rows(n);
    for (size_t i = 0; i < n; i++)
        revealed[i] = (uint8_t)(i % 8);
    return cache;
}

/* Every record (the header too) comes out the same from the cache as
 * rendered; a second export of the same rows renders (almost) none of
 * them: two keys may share a slot, the later one dropping the other. */
static void test_cache_same_bytes(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    size_t n = 50;
    uint32_t *rows = NULL;
    uint8_t revealed[50];
    export_cache *cache = cache_and_rows(fx, n, &rows, revealed);
    for (int kind = EXPORT_COMPANIES; kind <= EXPORT_PROSPECTS; kind++) {
        assert_int_equal(export_select_columns((export_kind)kind, NULL, sel, NULL, 0), 0);
        export_cache_stats before, first, second;
        export_cache_stats_get(cache, &before);
        assert_same_csv(fx->ds, cache, (export_kind)kind, rows, kind == EXPORT_PROSPECTS ? revealed : NULL, n, sel);
        export_cache_stats_get(cache, &first);
        assert_int_equal(first.misses - before.misses, n + 1);
        assert_int_equal(first.hits, before.hits);
        assert_same_csv(fx->ds, cache, (export_kind)kind, rows, kind == EXPORT_PROSPECTS ? revealed : NULL, n, sel);
        export_cache_stats_get(cache, &second);
        assert_int_equal(second.hits - first.hits + second.misses - first.misses, n + 1);
        assert_true(second.hits - first.hits >= n - n / 10);
        assert_true(second.records <= before.records + n + 1);
    }
    free(rows);
    export_cache_free(cache);
}

/* A cached row goes straight into the caller's buffer when it fits there
 * and through the reader's line when it does not: the same bytes at any
 * read size, each record counted once, a hit when it was cached. */
static void test_cache_any_read_size(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    size_t n = 40;
    uint32_t *rows = NULL;
    uint8_t revealed[40];
    export_cache *cache = cache_and_rows(fx, n, &rows, revealed);
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    export_job *plain = export_job_new(fx->ds, EXPORT_PROSPECTS, rows, revealed, n, sel);
    export_job *cached = export_job_new(fx->ds, EXPORT_PROSPECTS, rows, revealed, n, sel);
    assert_non_null(plain);
    assert_non_null(cached);
    export_job_use_cache(cached, cache);
    size_t want_len = 0;
    char *want = read_all(plain, 1 << 16, &want_len);
    const size_t sizes[] = {1 << 20, 1 << 16, 1000, 333, 7, 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        export_cache_stats before, after;
        export_cache_stats_get(cache, &before);
        size_t got_len = 0;
        char *got = read_all(cached, sizes[i], &got_len);
        export_cache_stats_get(cache, &after);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        assert_int_equal(after.hits - before.hits + after.misses - before.misses, n + 1);
        if (i > 0)
            assert_true(after.hits - before.hits >= n - n / 10);
        free(got);
    }
    free(want);
    export_job_free(plain);
    export_job_free(cached);
    free(rows);
    export_cache_free(cache);
}

/* A run of cached rows stops at the first row not cached: an export whose
 * first rows are cached and the rest not copies those, renders the rest
 * (and keeps them), and comes out the same, each record counted once. */
static void test_cache_run_stops_at_miss(void **state)
{
    export_fixture *fx = *state;
    uint8_t sel[EXPORT_MAX_COLUMNS];
    size_t n = 20;
    uint32_t *rows = NULL;
    uint8_t revealed[20];
    export_cache *cache = cache_and_rows(fx, n, &rows, revealed);
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, rows, revealed, n / 2, sel);
    export_cache_stats before, after;
    export_cache_stats_get(cache, &before);
    assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, rows, revealed, n, sel);
    export_cache_stats_get(cache, &after);
    assert_int_equal(after.hits - before.hits + after.misses - before.misses, n + 1);
    assert_true(after.misses - before.misses >= n / 2);
    assert_true(after.records >= before.records + n / 2 - n / 10);
    free(rows);
    export_cache_free(cache);
}

/* A record is kept for its row, revealed mask and columns: another mask or
 * another selection of the same row is a record of its own. */
static void test_cache_keys(void **state)
{
    export_fixture *fx = *state;
    export_cache *cache = export_cache_new(fx->ds, EXPORT_CACHE_DEFAULT_BYTES);
    assert_non_null(cache);
    uint8_t all[EXPORT_MAX_COLUMNS], some[EXPORT_MAX_COLUMNS], one[EXPORT_MAX_COLUMNS] = {0};
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, all, NULL, 0), 0);
    json_t *exclude = json_pack("[s, s]", "work_email_1", "company");
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, exclude, some, NULL, 0), 0);
    json_decref(exclude);
    one[vocab_prospect_column_find("work_email_1")] = 1; /* an empty record is "" */
    uint32_t rows[8];
    uint8_t revealed[8];
    for (size_t i = 0; i < 8; i++) {
        rows[i] = 3;
        revealed[i] = (uint8_t)i;
    }
    const uint8_t *sels[] = {all, some, one, all};
    for (size_t s = 0; s < 4; s++) {
        assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, rows, revealed, 8, sels[s]);
        assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, rows, NULL, 8, sels[s]);
    }
    /* Company 3 is not prospect 3, nor their headers the same. */
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, NULL, all, NULL, 0), 0);
    assert_same_csv(fx->ds, cache, EXPORT_COMPANIES, rows, NULL, 1, all);
    /* No column at all: an empty header, not kept, and no records. */
    uint8_t none[EXPORT_MAX_COLUMNS] = {0};
    assert_same_csv(fx->ds, cache, EXPORT_COMPANIES, rows, NULL, 0, none);
    assert_same_csv(fx->ds, cache, EXPORT_COMPANIES, rows, NULL, 0, none);
    export_cache_free(cache);
}

/* The cache never holds more than its budget: once its blocks are full it
 * drops every record and starts over, and the exports stay the same. */
static void test_cache_bounded(void **state)
{
    export_fixture *fx = *state;
    export_cache *cache = export_cache_new(fx->ds, 2 * EXPORT_CACHE_BLOCK_BYTES);
    assert_non_null(cache);
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_PROSPECTS, NULL, sel, NULL, 0), 0);
    size_t n = fx->ds->n_prospects;
    uint32_t *rows = all_rows(n);
    uint8_t *revealed = malloc(n);
    assert_non_null(revealed);
    export_cache_stats stats;
    for (unsigned mask = 0; mask < 8; mask++) {
        memset(revealed, (int)mask, n);
        assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, rows, revealed, n, sel);
        export_cache_stats_get(cache, &stats);
        assert_true(stats.bytes <= 2 * EXPORT_CACHE_BLOCK_BYTES);
    }
    assert_true(stats.flushes >= 1);
    free(revealed);
    free(rows);
    export_cache_free(cache);

    /* Under one block nothing is kept. */
    cache = export_cache_new(fx->ds, EXPORT_CACHE_BLOCK_BYTES - 1);
    assert_non_null(cache);
    uint32_t row = 0;
    assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, &row, NULL, 1, sel);
    assert_same_csv(fx->ds, cache, EXPORT_PROSPECTS, &row, NULL, 1, sel);
    export_cache_stats_get(cache, &stats);
    assert_int_equal(stats.hits, 0);
    assert_int_equal(stats.records, 0);
    export_cache_free(cache);
}

/* A cache of another dataset is ignored: its records are not this one's. */
static void test_cache_other_dataset(void **state)
{
    export_fixture *fx = *state;
    dataset *other = dataset_generate(8, 300);
    assert_non_null(other);
    export_cache *cache = export_cache_new(other, EXPORT_CACHE_DEFAULT_BYTES);
    assert_non_null(cache);
    uint8_t sel[EXPORT_MAX_COLUMNS];
    assert_int_equal(export_select_columns(EXPORT_COMPANIES, NULL, sel, NULL, 0), 0);
    uint32_t rows[] = {0, 1, 2};
    assert_same_csv(other, cache, EXPORT_COMPANIES, rows, NULL, 3, sel);
    export_cache_stats warm, stats;
    export_cache_stats_get(cache, &warm);
    assert_int_equal(warm.records, 4); /* and the header */
    assert_same_csv(fx->ds, cache, EXPORT_COMPANIES, rows, NULL, 3, sel);
    export_cache_stats_get(cache, &stats);
    assert_int_equal(stats.hits, warm.hits);
    assert_int_equal(stats.misses, warm.misses);
    export_cache_free(cache);
    dataset_free(other);
    export_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest csv_tests[] = {
        cmocka_unit_test(test_reader_rejects_malformed),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_records),
        cmocka_unit_test(test_csv_quote_in_place),
        cmocka_unit_test(test_csv_round_trip),
    };
    const struct CMUnitTest select_tests[] = {
        cmocka_unit_test(test_select_all),
        cmocka_unit_test(test_select_exclusions),
        cmocka_unit_test(test_select_errors),
        cmocka_unit_test(test_select_error_utf8),
    };
    const struct CMUnitTest export_tests[] = {
        cmocka_unit_test(test_export_all_columns),
        cmocka_unit_test(test_export_selected_columns),
        cmocka_unit_test(test_export_chunk_sizes),
        cmocka_unit_test(test_export_concurrent_readers),
        cmocka_unit_test(test_export_revealed),
        cmocka_unit_test(test_export_empty),
        cmocka_unit_test(test_export_few_columns),
        cmocka_unit_test(test_export_memory_bounded),
        cmocka_unit_test(test_free_null),
    };
    const struct CMUnitTest cache_tests[] = {
        cmocka_unit_test(test_cache_same_bytes),
        cmocka_unit_test(test_cache_any_read_size),
        cmocka_unit_test(test_cache_run_stops_at_miss),
        cmocka_unit_test(test_cache_keys),
        cmocka_unit_test(test_cache_bounded),
        cmocka_unit_test(test_cache_other_dataset),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("csv", csv_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("export_select", select_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("export_stream", export_tests,
                                          group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("export_cache", cache_tests, group_setup, group_teardown);
    return failed == 0 ? 0 : 1;
}
