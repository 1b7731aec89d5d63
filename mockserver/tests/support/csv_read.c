#include "csv_read.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text/strbuf.h"

void csv_table_free(csv_table *t)
{
    if (t == NULL)
        return;
    for (size_t r = 0; r < t->n; r++) {
        for (size_t c = 0; c < t->records[r].n; c++)
            free(t->records[r].cells[c].data);
        free(t->records[r].cells);
    }
    free(t->records);
    t->records = NULL;
    t->n = 0;
}

static void record_push(csv_record *rec, strbuf *field)
{
    rec->cells = realloc(rec->cells, (rec->n + 1) * sizeof *rec->cells);
    assert_non_null(rec->cells);
    char *copy = malloc(field->len + 1);
    assert_non_null(copy);
    if (field->len > 0)
        memcpy(copy, field->data, field->len);
    copy[field->len] = '\0';
    rec->cells[rec->n].data = copy;
    rec->cells[rec->n].len = field->len;
    rec->n++;
    strbuf_reset(field);
}

static void table_push(csv_table *t, csv_record *rec, size_t end)
{
    rec->end = end;
    t->records = realloc(t->records, (t->n + 1) * sizeof *t->records);
    assert_non_null(t->records);
    t->records[t->n++] = *rec;
    rec->cells = NULL;
    rec->n = 0;
    rec->start = end;
}

int csv_parse(const char *s, size_t len, csv_table *out, size_t *where)
{
    csv_record rec = {NULL, 0, 0, 0};
    strbuf field = STRBUF_INIT;
    size_t i = 0;
    int rc = -1;

    out->records = NULL;
    out->n = 0;
    while (i < len) {
        /* At the start of a field. */
        if (s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    goto fail;              /* unterminated quoted field */
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        strbuf_putc(&field, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                strbuf_putc(&field, s[i]);
                i++;
            }
        } else {
            while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                if (s[i] == '"')
                    goto fail;              /* quote inside unquoted field */
                strbuf_putc(&field, s[i]);
                i++;
            }
        }
        /* After a field: a comma or the end of the record. */
        if (i >= len)
            goto fail;                      /* missing final CRLF */
        if (s[i] == ',') {
            record_push(&rec, &field);
            i++;
            continue;
        }
        if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
            record_push(&rec, &field);
            i += 2;
            table_push(out, &rec, i);
            continue;
        }
        goto fail;                          /* bare CR/LF or junk after quote */
    }
    assert_false(field.oom);
    rc = 0;
    goto out;
fail:
    *where = i;
    csv_table_free(out);
out:
    for (size_t c = 0; c < rec.n; c++)
        free(rec.cells[c].data);
    free(rec.cells);
    strbuf_release(&field);
    return rc;
}

int csv_column(const csv_table *t, const char *name)
{
    if (t->n == 0)
        return -1;
    for (size_t c = 0; c < t->records[0].n; c++) {
        if (strcmp(t->records[0].cells[c].data, name) == 0)
            return (int)c;
    }
    return -1;
}
