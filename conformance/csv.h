/* csv: a strict reader of the exports (RFC 4180 as docs/API.md states it:
 * UTF-8, every record ended by CRLF, the header row first). It accepts only
 * what a correct writer produces, so a broken writer shows up as an error
 * with the offending byte offset, not as a silently different table. */
#ifndef CONF_CSV_H
#define CONF_CSV_H

#include <stddef.h>

typedef struct csv_row {
    char **cells;              /* NUL-terminated copies, quotes removed */
    size_t n;
} csv_row;

typedef struct csv_doc {
    csv_row *rows;             /* rows[0] is the header */
    size_t n;
} csv_doc;

/* Parses s[0..len). Refused: invalid UTF-8; a quote inside an unquoted
 * field; after a closing quote anything but a comma, CRLF or a doubled
 * quote; a CR not followed by LF or a LF not preceded by CR outside quotes;
 * an unterminated quoted field; a last record without its CRLF; an empty
 * input. Returns 0 with *out filled (free with csv_doc_free), or -1 with
 * the reason and byte offset in err and *out empty. */
int csv_parse_strict(const char *s, size_t len, csv_doc *out, char *err, size_t errlen);

void csv_doc_free(csv_doc *doc);

/* Index of the header cell equal to name, or -1. */
int csv_column_index(const csv_doc *doc, const char *name);

#endif
