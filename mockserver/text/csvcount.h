/* csvcount: the data rows of a CSV text, counted as it goes by in blocks
 * of any size: line ends outside double quotes, plus a last record without
 * one, less the header row. One count for the three places that must agree
 * on it: the recording proxy (a streamed download's _descovoRows), the HAR
 * reader and the replay of drift/ (recorded and simulated rows). A quote
 * inside a quoted field is doubled in RFC 4180, so toggling on every quote
 * is exact for well-formed CSV. Pure; no allocation. */
#ifndef DESCOVO_CSVCOUNT_H
#define DESCOVO_CSVCOUNT_H

#include <stddef.h>

typedef struct csv_count {
    int quoted;        /* inside a quoted field */
    char last;         /* the last byte seen ('\n' before any) */
    long line_ends;    /* outside quotes */
} csv_count;

#define CSV_COUNT_INIT {0, '\n', 0}

/* Counts the n bytes at data, the next block of the text. */
void csv_count_feed(csv_count *c, const char *data, size_t n);

/* Data rows so far: every record but the header (0 for an empty text or a
 * header alone). */
long csv_count_rows(const csv_count *c);

#endif
