/* csv_read: a strict RFC 4180 reader for tests: it reads back what the
 * server writes, and fails on anything the writer must never produce. */
#ifndef DESCOVO_TEST_CSV_READ_H
#define DESCOVO_TEST_CSV_READ_H

#include <stddef.h>

typedef struct csv_cell {
    char *data;   /* NUL-terminated copy; may also contain NULs */
    size_t len;
} csv_cell;

typedef struct csv_record {
    csv_cell *cells;
    size_t n;
    size_t start, end;  /* its bytes in the input, CRLF included */
} csv_record;

typedef struct csv_table {
    csv_record *records;
    size_t n;
} csv_table;

/* Parses s[0..len) as RFC 4180 with every record ended by CRLF. Strict: a
 * quote inside an unquoted field, anything but a comma or CRLF after a
 * closing quote, a bare CR or LF outside quotes, an unterminated quoted field
 * or a missing final CRLF are errors. Returns 0, or -1 and sets *where to the
 * offending offset (out is then empty). An empty line is one record of one
 * empty field. */
int csv_parse(const char *s, size_t len, csv_table *out, size_t *where);

void csv_table_free(csv_table *t);

/* Index of a header cell equal to name, or -1. */
int csv_column(const csv_table *t, const char *name);

#endif
