#include "drift/har.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "text/csvcount.h"
#include "text/percent.h"
#include "text/strbuf.h"

#define BAD_ENTRY(...) do { entry_error(err, errlen, path, i, e, __VA_ARGS__); goto fail; } while (0)

static void entry_error(char *err, size_t errlen, const char *path, size_t i, const json_t *e,
                        const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void entry_error(char *err, size_t errlen, const char *path, size_t i, const json_t *e,
                        const char *fmt, ...)
{
    const json_t *req = json_object_get(e, "request");
    const char *method = json_string_value(json_object_get(req, "method"));
    const char *url = json_string_value(json_object_get(req, "url"));
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: log.entries[%zu]%s%s%s%s%s: %s", path, i, method != NULL || url != NULL ? " (" : "",
             method != NULL ? method : "", method != NULL && url != NULL ? " " : "", url != NULL ? url : "",
             method != NULL || url != NULL ? ")" : "", what);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int drift_parse_iso(const char *s, int64_t *us)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int n = 0;
        int scale = 100000;
        while (*p >= '0' && *p <= '9') {
            if (n < 6) {
                frac += (*p - '0') * scale;
                scale /= 10;
            }
            n++;
            p++;
        }
        if (n == 0)
            return -1;
    }
    int offset_min = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *us = ((int64_t)t - (int64_t)offset_min * 60) * 1000000 + frac;
    return 0;
}

long drift_csv_rows(const char *text)
{
    csv_count c = CSV_COUNT_INIT;
    csv_count_feed(&c, text, strlen(text));
    return csv_count_rows(&c);
}

/* The path of an absolute URL, percent-decoded as the server decodes it
 * ("%00" stays as it is). NULL when url is not http(s)://host/path. */
static char *url_path(const char *url)
{
    const char *rest = NULL;
    if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return NULL;
    const char *slash = strchr(rest, '/');
    if (slash == NULL)
        return NULL;
    size_t len = strcspn(slash, "?#");
    char *out = malloc(len + 1);
    if (out != NULL)
        percent_decode(out, slash, len);
    return out;
}

/* A header's value from a HAR headers array (case-insensitive), or NULL. */
static const char *header(const json_t *headers, const char *name)
{
    size_t i = 0;
    json_t *h = NULL;
    json_array_foreach(headers, i, h) {
        const char *n = json_string_value(json_object_get(h, "name"));
        if (n != NULL && strcasecmp(n, name) == 0)
            return json_string_value(json_object_get(h, "value"));
    }
    return NULL;
}

/* Checks that every item of a HAR name/value array is {name, value} strings. */
static const char *check_pairs(const json_t *array)
{
    size_t i = 0;
    json_t *item = NULL;
    json_array_foreach(array, i, item) {
        if (!json_is_string(json_object_get(item, "name")) || !json_is_string(json_object_get(item, "value")))
            return "an item is not {\"name\": string, \"value\": string}";
    }
    return NULL;
}

static int is_json_type(const char *type)
{
    return type != NULL && strstr(type, "json") != NULL;
}

static int load_entry(const char *path, size_t i, json_t *e, drift_entry *out, char *err, size_t errlen)
{
    json_error_t jerr;
    out->index = i;
    out->csv_rows = -1;
    if (!json_is_object(e))
        BAD_ENTRY("not an object");
    const char *started = json_string_value(json_object_get(e, "startedDateTime"));
    if (started == NULL)
        BAD_ENTRY("startedDateTime is missing (expected an ISO 8601 string)");
    if (drift_parse_iso(started, &out->started_us) != 0)
        BAD_ENTRY("startedDateTime \"%.64s\" is not ISO 8601 (e.g. 2025-01-01T00:00:00.000Z)", started);
    out->comment = json_string_value(json_object_get(e, "comment"));
    json_t *time = json_object_get(e, "time");
    if (time != NULL && (!json_is_number(time) || json_number_value(time) < 0))
        BAD_ENTRY("time is not a non-negative number of milliseconds");
    out->time_ms = json_number_value(time);
    json_t *wait = json_object_get(json_object_get(e, "timings"), "wait");
    out->wait_ms = json_is_number(wait) && json_number_value(wait) >= 0 ? json_number_value(wait) : out->time_ms;
    json_t *req = json_object_get(e, "request");
    if (!json_is_object(req))
        BAD_ENTRY("request is missing (expected an object)");
    out->method = json_string_value(json_object_get(req, "method"));
    if (out->method == NULL || out->method[0] == '\0')
        BAD_ENTRY("request.method is missing (expected a string such as \"GET\")");
    const char *url = json_string_value(json_object_get(req, "url"));
    if (url == NULL)
        BAD_ENTRY("request.url is missing (expected an absolute URL)");
    out->path = url_path(url);
    if (out->path == NULL)
        BAD_ENTRY("request.url \"%.128s\" is not an absolute http(s) URL with a path", url);
    json_t *headers = json_object_get(req, "headers");
    if (!json_is_array(headers))
        BAD_ENTRY("request.headers is missing (expected an array)");
    const char *bad = check_pairs(headers);
    if (bad != NULL)
        BAD_ENTRY("request.headers: %s", bad);
    json_t *query = json_object_get(req, "queryString");
    if (!json_is_array(query))
        BAD_ENTRY("request.queryString is missing (expected an array)");
    bad = check_pairs(query);
    if (bad != NULL)
        BAD_ENTRY("request.queryString: %s", bad);
    out->n_query = json_array_size(query);
    out->query = calloc(out->n_query + 1, sizeof *out->query);
    if (out->query == NULL)
        BAD_ENTRY("out of memory");
    for (size_t q = 0; q < out->n_query; q++) {
        json_t *pair = json_array_get(query, q);
        out->query[q].name = json_string_value(json_object_get(pair, "name"));
        out->query[q].value = json_string_value(json_object_get(pair, "value"));
    }
    json_t *post = json_object_get(req, "postData");
    if (post != NULL) {
        if (!json_is_object(post))
            BAD_ENTRY("request.postData is not an object");
        out->request_type = json_string_value(json_object_get(post, "mimeType"));
        if (out->request_type == NULL)
            BAD_ENTRY("request.postData.mimeType is missing (expected a string)");
        json_t *text = json_object_get(post, "text");
        if (text != NULL && !json_is_string(text))
            BAD_ENTRY("request.postData.text is not a string");
        out->request_text = json_string_value(text);
    }
    json_t *res = json_object_get(e, "response");
    if (!json_is_object(res))
        BAD_ENTRY("response is missing (expected an object)");
    json_t *status = json_object_get(res, "status");
    if (!json_is_integer(status) || json_integer_value(status) < 0 || json_integer_value(status) > 999)
        BAD_ENTRY("response.status is missing or not an integer status code");
    out->status = (long)json_integer_value(status);
    json_t *res_headers = json_object_get(res, "headers");
    if (!json_is_array(res_headers))
        BAD_ENTRY("response.headers is missing (expected an array)");
    bad = check_pairs(res_headers);
    if (bad != NULL)
        BAD_ENTRY("response.headers: %s", bad);
    json_t *content = json_object_get(res, "content");
    if (!json_is_object(content))
        BAD_ENTRY("response.content is missing (expected an object)");
    const char *mime = json_string_value(json_object_get(content, "mimeType"));
    if (mime == NULL)
        BAD_ENTRY("response.content.mimeType is missing (expected a string)");
    json_t *text = json_object_get(content, "text");
    if (text != NULL && !json_is_string(text))
        BAD_ENTRY("response.content.text is not a string");
    if (json_object_get(content, "encoding") != NULL)
        BAD_ENTRY("response.content.encoding is set: encoded bodies are not supported, only text");
    out->content_type = header(res_headers, "Content-Type");
    if (out->content_type == NULL)
        out->content_type = mime;
    out->retry_after = header(res_headers, "Retry-After");
    out->allow = header(res_headers, "Allow");
    const char *body = json_string_value(text);
    if (body != NULL && body[0] != '\0' && is_json_type(out->content_type)) {
        out->json = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
        if (out->json == NULL)
            BAD_ENTRY("response.content.text is not JSON (its type is %s): %s at line %d column %d", mime, jerr.text,
                      jerr.line, jerr.column);
    } else if (body != NULL) {
        out->text = body;
        json_t *rows = json_object_get(content, "_descovoRows");
        out->csv_rows = json_is_integer(rows) ? (long)json_integer_value(rows) : drift_csv_rows(body);
    }
    if (out->request_text != NULL && is_json_type(out->request_type) && out->request_text[0] != '\0') {
        json_t *parsed = json_loads(out->request_text, 0, &jerr);
        if (parsed == NULL && out->status != 400)
            BAD_ENTRY("request.postData.text is not JSON (its type is %s): %s", out->request_type, jerr.text);
        json_decref(parsed);
    }
    return 0;
fail:
    return -1;
}

/* The whole file, read at once: jansson's own file reader goes a byte at
 * a time through getc, several times slower on a large cassette. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(errno));
        return NULL;
    }
    strbuf text = STRBUF_INIT;
    char block[64 * 1024];
    size_t n = 0;
    while ((n = fread(block, 1, sizeof block, f)) > 0)
        strbuf_append(&text, block, n);
    int failed = ferror(f);
    fclose(f);
    if (failed || text.oom) {
        snprintf(err, errlen, "%s: cannot read it: %s", path, failed ? "read error" : "out of memory");
        strbuf_release(&text);
        return NULL;
    }
    *len = text.len;
    return text.data != NULL ? text.data : strdup("");
}

int drift_har_load(const char *path, drift_har *har, char *err, size_t errlen)
{
    memset(har, 0, sizeof *har);
    json_error_t jerr;
    size_t len = 0;
    char *text = slurp(path, &len, err, errlen);
    if (text == NULL)
        return -1;
    har->doc = json_loadb(text, len, 0, &jerr);
    free(text);
    if (har->doc == NULL) {
        if (len == 0)
            snprintf(err, errlen, "%s: empty file (not JSON, so not HAR)", path);
        else
            snprintf(err, errlen, "%s: not JSON (so not HAR): %s at line %d column %d", path, jerr.text,
                     jerr.line, jerr.column);
        return -1;
    }
    json_t *log = json_object_get(har->doc, "log");
    json_t *entries = json_object_get(log, "entries");
    if (!json_is_object(log) || !json_is_array(entries)) {
        snprintf(err, errlen, "%s: not HAR: expected {\"log\": {\"version\": \"1.2\", \"entries\": [...]}}", path);
        goto fail;
    }
    const char *version = json_string_value(json_object_get(log, "version"));
    if (version == NULL) {
        snprintf(err, errlen, "%s: not HAR: log.version is missing (expected \"1.2\")", path);
        goto fail;
    }
    har->n = json_array_size(entries);
    har->entries = calloc(har->n + 1, sizeof *har->entries);
    if (har->entries == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < har->n; i++) {
        if (load_entry(path, i, json_array_get(entries, i), &har->entries[i], err, errlen) != 0)
            goto fail;
    }
    return 0;
fail:
    drift_har_free(har);
    return -1;
}

void drift_har_free(drift_har *har)
{
    if (har == NULL)
        return;
    for (size_t i = 0; i < har->n && har->entries != NULL; i++) {
        free(har->entries[i].path);
        free(har->entries[i].query);
        json_decref(har->entries[i].json);
    }
    free(har->entries);
    json_decref(har->doc);
    memset(har, 0, sizeof *har);
}
