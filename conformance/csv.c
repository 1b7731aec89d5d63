/* csv: strict RFC 4180 reading, one byte at a time. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct growbuf {
    char *data;
    size_t len, cap;
} growbuf;

static int grow_push(growbuf *b, char ch)
{
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 64;
        char *p = realloc(b->data, cap);
        if (p == NULL)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    b->data[b->len++] = ch;
    b->data[b->len] = '\0';
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] > 0xf4 || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0)
        return 0;   /* overlong */
    if (n == 3 && s[0] == 0xed && s[1] >= 0xa0)
        return 0;   /* surrogate */
    if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
        return 0;
    if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
        return 0;
    return n;
}

static int valid_utf8(const char *s, size_t len, size_t *where)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0) {
            *where = i;
            return 0;
        }
        i += n;
    }
    return 1;
}

static int row_push(csv_row *row, growbuf *cell)
{
    char **cells = realloc(row->cells, (row->n + 1) * sizeof *cells);
    if (cells == NULL)
        return -1;
    row->cells = cells;
    if (cell->data == NULL) {
        cell->data = calloc(1, 1);
        if (cell->data == NULL)
            return -1;
    }
    row->cells[row->n++] = cell->data;
    memset(cell, 0, sizeof *cell);
    return 0;
}

static int doc_push(csv_doc *doc, csv_row *row)
{
    csv_row *rows = realloc(doc->rows, (doc->n + 1) * sizeof *rows);
    if (rows == NULL)
        return -1;
    doc->rows = rows;
    doc->rows[doc->n++] = *row;
    memset(row, 0, sizeof *row);
    return 0;
}

static void row_free(csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->cells[i]);
    free(row->cells);
    memset(row, 0, sizeof *row);
}

void csv_doc_free(csv_doc *doc)
{
    if (doc == NULL)
        return;
    for (size_t i = 0; i < doc->n; i++)
        row_free(&doc->rows[i]);
    free(doc->rows);
    memset(doc, 0, sizeof *doc);
}

#define REFUSE(...) do { snprintf(err, errlen, __VA_ARGS__); goto out; } while (0)

int csv_parse_strict(const char *s, size_t len, csv_doc *out, char *err, size_t errlen)
{
    csv_row row = {0};
    growbuf cell = {0};
    size_t bad = 0;
    size_t i = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (len == 0)
        REFUSE("empty document: no header row");
    if (!valid_utf8(s, len, &bad))
        REFUSE("invalid UTF-8 at byte %zu", bad);
    while (i < len) {
        /* At the start of a field. */
        if (s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    REFUSE("quoted field never closed (record %zu)", out->n + 1);
                if (s[i] == '"' && i + 1 < len && s[i + 1] == '"') {
                    if (grow_push(&cell, '"') != 0)
                        REFUSE("out of memory");
                    i += 2;
                } else if (s[i] == '"') {
                    i++;
                    break;
                } else {
                    if (grow_push(&cell, s[i]) != 0)
                        REFUSE("out of memory");
                    i++;
                }
            }
            if (i < len && s[i] != ',' && s[i] != '\r')
                REFUSE("byte %zu: '%c' after a closing quote (record %zu)", i, s[i], out->n + 1);
        } else {
            while (i < len && s[i] != ',' && s[i] != '\r') {
                if (s[i] == '"')
                    REFUSE("byte %zu: quote inside an unquoted field (record %zu)", i, out->n + 1);
                if (s[i] == '\n')
                    REFUSE("byte %zu: bare LF outside quotes (record %zu)", i, out->n + 1);
                if (grow_push(&cell, s[i]) != 0)
                    REFUSE("out of memory");
                i++;
            }
        }
        if (row_push(&row, &cell) != 0)
            REFUSE("out of memory");
        if (i >= len)
            REFUSE("last record (%zu) does not end with CRLF", out->n + 1);
        if (s[i] == ',') {
            i++;
            if (i >= len)
                REFUSE("last record (%zu) does not end with CRLF", out->n + 1);
            continue;
        }
        /* s[i] == '\r' */
        if (i + 1 >= len || s[i + 1] != '\n')
            REFUSE("byte %zu: CR not followed by LF (record %zu)", i, out->n + 1);
        i += 2;
        if (doc_push(out, &row) != 0)
            REFUSE("out of memory");
    }
    rc = 0;
out:
    free(cell.data);
    row_free(&row);
    if (rc != 0)
        csv_doc_free(out);
    return rc;
}

int csv_column_index(const csv_doc *doc, const char *name)
{
    if (doc == NULL || doc->n == 0)
        return -1;
    for (size_t i = 0; i < doc->rows[0].n; i++)
        if (strcmp(doc->rows[0].cells[i], name) == 0)
            return (int)i;
    return -1;
}
