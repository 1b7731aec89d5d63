/* jsonw: serialises a jansson tree as compact JSON into a strbuf, byte for
 * byte as json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(10)) would,
 * in a fraction of its time (json_dumps formats and hashes a pointer for
 * every object it visits, and grows its buffer from 16 bytes): this is on
 * every response's path. Object keys come in insertion order, as jansson
 * keeps them. */
#ifndef DESCOVO_JSONW_H
#define DESCOVO_JSONW_H

#include <jansson.h>

#include "text/strbuf.h"

/* Appends the JSON text of value to out (out->oom reports a failed
 * allocation). Nesting deeper than JSONW_MAX_DEPTH appends nothing more and
 * returns -1; 0 otherwise. */
#define JSONW_MAX_DEPTH 64
int jsonw_write(const json_t *value, strbuf *out);
/* The same with reals as json_dumps writes them by default (17 significant
 * digits): read back, the same double. For text that is read again (the
 * state file), where rounding would change what a replay does. */
int jsonw_write_exact(const json_t *value, strbuf *out);

/* The pieces, for writers of fixed-shape JSON without a jansson tree: a
 * string (len bytes of UTF-8, quoted and escaped) and an integer. */
void jsonw_string(strbuf *out, const char *s, size_t len);
void jsonw_integer(strbuf *out, long long value);
/* A string the caller knows needs no escape (no '"', '\\' or control
 * byte: a timestamp, an enum name), quoted without scanning it. */
void jsonw_plain(strbuf *out, const char *s, size_t len);

#endif
