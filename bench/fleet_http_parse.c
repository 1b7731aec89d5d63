/* fleet_http_parse: an incremental HTTP/1.1 response parser (see the
 * header). Lines (status, headers, chunk sizes, trailers) are gathered
 * into one bounded buffer until their LF, so a split anywhere in a line
 * costs nothing special; body bytes are copied in spans. */
#include "fleet_http_parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum phase {
    PH_STATUS,      /* the status line */
    PH_HEADER,      /* header lines, until the empty one */
    PH_LENGTH,      /* Content-Length bytes of body */
    PH_UNTIL_CLOSE, /* body until the connection closes */
    PH_CHUNK_SIZE,  /* a chunk-size line, with extensions */
    PH_CHUNK_DATA,  /* the chunk's bytes */
    PH_CHUNK_END,   /* the CRLF after a chunk's bytes */
    PH_TRAILER,     /* trailer lines after the last chunk, until the empty one */
    PH_DONE,
    PH_ERROR,
} phase;

struct fhp {
    phase phase;
    int status;
    int minor;             /* HTTP/1.minor */
    int closes;
    int chunked;
    int keep_alive;        /* Connection: keep-alive (matters for HTTP/1.0) */
    int have_length;
    size_t length;         /* Content-Length */
    size_t remaining;      /* of the body or of the current chunk */
    size_t head_bytes;
    int started;
    size_t max_body;
    char *body;
    size_t body_len, body_cap;
    size_t line_len;
    char line[FHP_MAX_LINE + 2]; /* room for the CR before the LF */
    char err[160];
};

static fhp_result fail(fhp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static fhp_result fail(fhp *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->phase = PH_ERROR;
    return FHP_ERROR;
}

fhp *fhp_new(size_t max_body)
{
    fhp *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->body_cap = 4096;
    p->body = malloc(p->body_cap);
    if (p->body == NULL) {
        free(p);
        return NULL;
    }
    p->max_body = max_body;
    fhp_reset(p);
    return p;
}

void fhp_free(fhp *p)
{
    if (p == NULL)
        return;
    free(p->body);
    free(p);
}

/* Everything of one status line and its headers, for the next (or a 1xx's
 * final) answer. */
static void reset_head(fhp *p)
{
    p->phase = PH_STATUS;
    p->status = 0;
    p->minor = 1;
    p->closes = 0;
    p->chunked = 0;
    p->keep_alive = 0;
    p->have_length = 0;
    p->length = 0;
    p->line_len = 0;
}

void fhp_reset(fhp *p)
{
    reset_head(p);
    p->remaining = 0;
    p->head_bytes = 0;
    p->started = 0;
    p->body_len = 0;
    p->body[0] = '\0';
    p->err[0] = '\0';
}

static int append_body(fhp *p, const char *data, size_t n)
{
    if (n > p->max_body - p->body_len)
        return -1;
    if (p->body_len + n + 1 > p->body_cap) {
        size_t cap = p->body_cap;
        while (cap < p->body_len + n + 1)
            cap *= 2;
        char *grown = realloc(p->body, cap);
        if (grown == NULL)
            return -1;
        p->body = grown;
        p->body_cap = cap;
    }
    memcpy(p->body + p->body_len, data, n);
    p->body_len += n;
    p->body[p->body_len] = '\0';
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "HTTP/1.x SSS[ reason]" */
static fhp_result status_line(fhp *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) || s[8] != ' ' || !is_digit(s[9]) ||
        !is_digit(s[10]) || !is_digit(s[11]) || (n > 12 && s[12] != ' '))
        return fail(p, "bad status line \"%.40s\"", s);
    p->minor = s[7] - '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (p->status < 100)
        return fail(p, "bad status code %d", p->status);
    p->phase = PH_HEADER;
    return FHP_MORE;
}

static const char *trim(const char *s, const char *end, const char **value_end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *value_end = end;
    return s;
}

/* 1 when the comma-separated list [s, end) holds token (any case). */
static int has_token(const char *s, const char *end, const char *token)
{
    size_t n = strlen(token);
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma != NULL ? comma : end;
        const char *e = NULL;
        const char *b = trim(s, item_end, &e);
        if ((size_t)(e - b) == n && strncasecmp(b, token, n) == 0)
            return 1;
        s = comma != NULL ? comma + 1 : end;
    }
    return 0;
}

/* The last coding of a Transfer-Encoding list is chunked. */
static int last_is_chunked(const char *s, const char *end)
{
    const char *last = s;
    for (const char *c = s; c < end; c++) {
        if (*c == ',')
            last = c + 1;
    }
    const char *e = NULL;
    const char *b = trim(last, end, &e);
    return e - b == 7 && strncasecmp(b, "chunked", 7) == 0;
}

static fhp_result content_length(fhp *p, const char *v, const char *end)
{
    if (v == end)
        return fail(p, "empty Content-Length");
    size_t n = 0;
    for (const char *c = v; c < end; c++) {
        if (!is_digit(*c))
            return fail(p, "bad Content-Length \"%.*s\"", (int)(end - v > 40 ? 40 : end - v), v);
        if (n > (SIZE_MAX - 9) / 10)
            return fail(p, "Content-Length too large");
        n = n * 10 + (size_t)(*c - '0');
    }
    if (p->have_length && n != p->length)
        return fail(p, "two different Content-Lengths (%zu and %zu)", p->length, n);
    if (n > p->max_body)
        return fail(p, "body of %zu bytes, more than the %zu bytes allowed", n, p->max_body);
    p->have_length = 1;
    p->length = n;
    return FHP_MORE;
}

static fhp_result header_line(fhp *p, const char *s, size_t n)
{
    if (s[0] == ' ' || s[0] == '\t')
        return fail(p, "folded header line");
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s)
        return fail(p, "bad header line \"%.40s\"", s);
    for (const char *c = s; c < colon; c++) {
        if (*c <= ' ' || *c >= 127)
            return fail(p, "bad header name \"%.*s\"", (int)(colon - s > 40 ? 40 : colon - s), s);
    }
    size_t name_len = (size_t)(colon - s);
    const char *end = NULL;
    const char *v = trim(colon + 1, s + n, &end);
    if (name_len == 14 && strncasecmp(s, "Content-Length", 14) == 0)
        return content_length(p, v, end);
    if (name_len == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0) {
        p->chunked = last_is_chunked(v, end);
        if (!p->chunked)
            p->closes = 1; /* a response's body of another coding runs until close */
    } else if (name_len == 10 && strncasecmp(s, "Connection", 10) == 0) {
        if (has_token(v, end, "close"))
            p->closes = 1;
        if (has_token(v, end, "keep-alive"))
            p->keep_alive = 1;
    }
    return FHP_MORE;
}

/* The empty line after the headers: where the body starts, and how it ends. */
static fhp_result end_of_head(fhp *p)
{
    if (p->status < 200) {
        /* An interim answer: the final one follows. */
        size_t head = p->head_bytes;
        reset_head(p);
        p->head_bytes = head;
        return FHP_MORE;
    }
    if (p->minor == 0 && !p->keep_alive)
        p->closes = 1;
    if (p->status == 204 || p->status == 304) {
        p->phase = PH_DONE;
    } else if (p->chunked) {
        p->phase = PH_CHUNK_SIZE;
    } else if (p->have_length) {
        p->remaining = p->length;
        p->phase = p->length == 0 ? PH_DONE : PH_LENGTH;
    } else {
        p->closes = 1;
        p->phase = PH_UNTIL_CLOSE;
    }
    return p->phase == PH_DONE ? FHP_DONE : FHP_MORE;
}

static int hex_value(char c)
{
    if (!isxdigit((unsigned char)c))
        return -1;
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* "HEX[ ][;ext...]" */
static fhp_result chunk_size_line(fhp *p, const char *s, size_t n)
{
    size_t size = 0, i = 0;
    for (; i < n && hex_value(s[i]) >= 0; i++) {
        if (size > (p->max_body >> 4))
            return fail(p, "chunk of more than the %zu bytes allowed", p->max_body);
        size = size * 16 + (size_t)hex_value(s[i]);
    }
    if (i == 0)
        return fail(p, "bad chunk size \"%.40s\"", s);
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] != ';')
        return fail(p, "bad chunk size \"%.40s\"", s);
    if (size > p->max_body - p->body_len)
        return fail(p, "body of more than the %zu bytes allowed", p->max_body);
    p->remaining = size;
    p->phase = size == 0 ? PH_TRAILER : PH_CHUNK_DATA;
    return FHP_MORE;
}

/* One whole line (LF seen, CR stripped). */
static fhp_result on_line(fhp *p, const char *s, size_t n)
{
    switch (p->phase) {
    case PH_STATUS:
        return status_line(p, s, n);
    case PH_HEADER:
        return n == 0 ? end_of_head(p) : header_line(p, s, n);
    case PH_CHUNK_SIZE:
        return chunk_size_line(p, s, n);
    case PH_CHUNK_END:
        if (n != 0)
            return fail(p, "chunk data longer than its size");
        p->phase = PH_CHUNK_SIZE;
        return FHP_MORE;
    case PH_TRAILER:
        if (n == 0) {
            p->phase = PH_DONE;
            return FHP_DONE;
        }
        return FHP_MORE;
    default:
        return fail(p, "internal: a line in phase %d", (int)p->phase);
    }
}

static int in_head(const fhp *p)
{
    return p->phase == PH_STATUS || p->phase == PH_HEADER;
}

/* Gathers bytes up to and including the next LF; returns bytes taken. */
static size_t take_line(fhp *p, const char *data, size_t len, fhp_result *r)
{
    const char *lf = memchr(data, '\n', len);
    size_t n = lf != NULL ? (size_t)(lf - data) : len;
    *r = FHP_MORE;
    if (in_head(p)) {
        p->head_bytes += n + (lf != NULL);
        if (p->head_bytes > FHP_MAX_HEAD) {
            *r = fail(p, "status line and headers longer than %d bytes", FHP_MAX_HEAD);
            return n;
        }
    }
    if (p->line_len + n > FHP_MAX_LINE + 1) {
        *r = fail(p, "line longer than %d bytes", FHP_MAX_LINE);
        return n;
    }
    memcpy(p->line + p->line_len, data, n);
    p->line_len += n;
    if (lf == NULL)
        return n;
    size_t line_len = p->line_len;
    if (line_len > 0 && p->line[line_len - 1] == '\r')
        line_len--;
    if (line_len > FHP_MAX_LINE) {
        *r = fail(p, "line longer than %d bytes", FHP_MAX_LINE);
        return n + 1;
    }
    p->line[line_len] = '\0';
    p->line_len = 0;
    *r = on_line(p, p->line, line_len);
    return n + 1;
}

/* Body bytes, bounded by what is left of the body or chunk (all of it
 * until close). */
static size_t take_body(fhp *p, const char *data, size_t len, fhp_result *r)
{
    size_t n = len;
    if (p->phase != PH_UNTIL_CLOSE && n > p->remaining)
        n = p->remaining;
    *r = FHP_MORE;
    if (append_body(p, data, n) != 0) {
        *r = fail(p, "body of more than the %zu bytes allowed (or out of memory)", p->max_body);
        return n;
    }
    if (p->phase == PH_UNTIL_CLOSE)
        return n;
    p->remaining -= n;
    if (p->remaining == 0) {
        if (p->phase == PH_LENGTH) {
            p->phase = PH_DONE;
            *r = FHP_DONE;
        } else {
            p->phase = PH_CHUNK_END;
        }
    }
    return n;
}

fhp_result fhp_feed(fhp *p, const char *data, size_t len, size_t *used)
{
    size_t at = 0;
    fhp_result r = p->phase == PH_DONE ? FHP_DONE : p->phase == PH_ERROR ? FHP_ERROR : FHP_MORE;
    if (len > 0 && r == FHP_MORE)
        p->started = 1;
    while (at < len && r == FHP_MORE) {
        int body = p->phase == PH_LENGTH || p->phase == PH_CHUNK_DATA || p->phase == PH_UNTIL_CLOSE;
        at += body ? take_body(p, data + at, len - at, &r) : take_line(p, data + at, len - at, &r);
    }
    *used = at;
    return r;
}

fhp_result fhp_finish(fhp *p)
{
    switch (p->phase) {
    case PH_DONE:
        return FHP_DONE;
    case PH_ERROR:
        return FHP_ERROR;
    case PH_UNTIL_CLOSE:
        p->phase = PH_DONE;
        return FHP_DONE;
    case PH_STATUS:
        if (!p->started)
            return fail(p, "connection closed before any answer");
        /* fall through */
    default:
        return fail(p, "connection closed mid-answer");
    }
}

int fhp_started(const fhp *p)
{
    return p->started;
}

int fhp_status(const fhp *p)
{
    return p->status;
}

int fhp_closes(const fhp *p)
{
    return p->closes;
}

const char *fhp_body(const fhp *p)
{
    return p->body;
}

size_t fhp_body_len(const fhp *p)
{
    return p->body_len;
}

const char *fhp_error(const fhp *p)
{
    return p->err;
}
