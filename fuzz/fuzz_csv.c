/* libFuzzer target: the CSV writer. Input: fields separated by 0x1E (a
 * record ends at 0x1F); each field is written with csv_field or, when its
 * first byte is odd, appended raw and quoted with csv_quote_in_place. The
 * output is read back with the strict RFC 4180 reader of the tests, and
 * must give the same records and fields, byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/csv.h"
#include "csv_read.h"
#include "text/strbuf.h"

#define MAX_FIELDS 4096

typedef struct span {
    const char *data;
    size_t len;
    int record_end;
} span;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static span fields[MAX_FIELDS];
    size_t n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && n < MAX_FIELDS; i++) {
        if (i == size || data[i] == 0x1E || data[i] == 0x1F) {
            fields[n++] = (span){(const char *)data + start, i - start, i == size || data[i] == 0x1F};
            start = i + 1;
        }
    }
    fields[n - 1].record_end = 1;
    strbuf out = STRBUF_INIT;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const span *f = &fields[i];
        if (f->len > 0 && (f->data[0] & 1)) {
            csv_field(&out, first, "", 0);
            size_t at = out.len;
            strbuf_append(&out, f->data, f->len);
            csv_quote_in_place(&out, at);
        } else {
            csv_field(&out, first, f->data, f->len);
        }
        first = f->record_end;
        if (f->record_end)
            csv_end_record(&out);
    }
    if (out.oom)
        abort();
    csv_table table = {0};
    size_t where = 0;
    if (csv_parse(out.data, out.len, &table, &where) != 0) {
        fprintf(stderr, "the reader refuses the writer's output at byte %zu\n", where);
        abort();
    }
    size_t r = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        if (r >= table.n || c >= table.records[r].n) {
            fprintf(stderr, "field %zu missing after the round trip\n", i);
            abort();
        }
        const csv_cell *cell = &table.records[r].cells[c];
        if (cell->len != fields[i].len || memcmp(cell->data, fields[i].data, cell->len) != 0) {
            fprintf(stderr, "field %zu differs after the round trip\n", i);
            abort();
        }
        c++;
        if (fields[i].record_end) {
            if (c != table.records[r].n) {
                fprintf(stderr, "record %zu has extra fields\n", r);
                abort();
            }
            r++;
            c = 0;
        }
    }
    if (r != table.n)
        abort();
    csv_table_free(&table);
    strbuf_release(&out);
    return 0;
}
