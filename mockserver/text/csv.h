/* csv: an RFC 4180 writer.
 *
 * Fields are quoted only when they must be (they contain a comma, a double
 * quote, CR or LF, or start or end with a space); a quote inside a quoted
 * field is doubled. Records end with CRLF. Bytes are passed through as they
 * are: the caller supplies UTF-8. */
#ifndef DESCOVO_CSV_H
#define DESCOVO_CSV_H

#include <stddef.h>

#include "text/strbuf.h"

/* Appends one field; `first` is nonzero for the first field of a record (no
 * leading comma). */
void csv_field(strbuf *out, int first, const char *value, size_t len);

/* Quotes in place, when it must be, a field value that the caller appended
 * to `out` unquoted from byte `start` on (after the field's comma, which
 * csv_field(out, first, "", 0) writes). Lets an exporter render a value
 * straight into the record instead of through a scratch buffer. */
void csv_quote_in_place(strbuf *out, size_t start);

/* Ends the current record. */
void csv_end_record(strbuf *out);

#endif
