/* csv: an RFC 4180 writer.
 *
 * Fields are quoted only when they must be (they contain a comma, a double
 * quote, CR or LF, or start or end with a space); a quote inside a quoted
 * field is doubled. Records end with CRLF. Bytes are passed through as they
 * are: the caller supplies UTF-8. */
#ifndef DESCOVO_CSV_H
#define DESCOVO_CSV_H

#include <stddef.h>

#include "strbuf.h"

/* Appends one field; `first` is nonzero for the first field of a record (no
 * leading comma). */
void csv_field(strbuf *out, int first, const char *value, size_t len);

/* Ends the current record. */
void csv_end_record(strbuf *out);

#endif
