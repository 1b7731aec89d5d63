/* csvcount: see csvcount.h. */
#include "text/csvcount.h"

void csv_count_feed(csv_count *c, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = data[i];
        if (ch == '"')
            c->quoted = !c->quoted;
        else if (ch == '\n' && !c->quoted)
            c->line_ends++;
        c->last = ch;
    }
}

long csv_count_rows(const csv_count *c)
{
    long records = c->line_ends + (c->last != '\n' ? 1 : 0);
    return records > 0 ? records - 1 : 0;
}
