#include "api/routes.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/handlers.h"
#include "sim/keys.h"
#include "sim/persist.h"
#include "text/jsonr.h"

typedef enum route_auth {
    AUTH_NONE,     /* control plane and downloads */
    AUTH_BODY,     /* apiKey in the JSON body (POST, PATCH, PUT) */
    AUTH_QUERY     /* apiKey in the query string (GET, DELETE) */
} route_auth;

enum {
    ROUTE_JSON_BODY = 1 << 0,     /* the body must be a JSON object */
    ROUTE_UNLOCKED = 1 << 1,      /* the handler takes the locks itself (server reset, compaction, scenario load) */
    ROUTE_PERSIST = 1 << 2,       /* a 200 changed state: logged to --state-file */
    ROUTE_NO_TOKEN = 1 << 3       /* control route served without the admin token:
                                   * the dashboard page, which holds no data and
                                   * asks for the token itself; literal paths only
                                   * (token_exempt matches them before routing) */
};
#define JSON_PERSIST (ROUTE_JSON_BODY | ROUTE_PERSIST)

typedef void (*route_handler)(const mock_request *req, mock_reply *reply);

typedef struct route {
    const char *method;
    const char *pattern;          /* "{id}" matches one path segment */
    route_handler handler;
    route_auth auth;
    unsigned flags;
    int bucket;                   /* rate-limit bucket, -1: not limited */
    unsigned per_minute;          /* docs/API.md, "Rate limits" */
} route;

/* Every endpoint, in one place. Rate limits per key per minute are the
 * public spec's; credits (not in the spec) gets the status endpoint's. */
static const route route_table[] = {
    {"POST", "/v1/audiences/create", handle_create, AUTH_BODY, JSON_PERSIST, 0, 50},
    {"PATCH", "/v1/audiences/{id}/search-params", handle_search_params, AUTH_BODY, JSON_PERSIST, 1, 50},
    {"POST", "/v1/audiences/{id}/build", handle_build, AUTH_BODY, JSON_PERSIST, 2, 10},
    {"GET", "/v1/audiences/{id}", handle_status, AUTH_QUERY, 0, 3, 100},
    {"POST", "/v1/audiences/{id}/enrichment/estimate", handle_estimate, AUTH_BODY, ROUTE_JSON_BODY, 4, 60},
    {"POST", "/v1/audiences/{id}/enrich", handle_enrich, AUTH_BODY, JSON_PERSIST, 5, 10},
    {"GET", "/v1/audiences/{id}/enrichment/status", handle_enrichment_status, AUTH_QUERY, 0, 6, 60},
    {"POST", "/v1/audiences/{id}/export/companies", handle_export_companies, AUTH_BODY, JSON_PERSIST, 7, 20},
    {"POST", "/v1/audiences/{id}/export/prospects", handle_export_prospects, AUTH_BODY, JSON_PERSIST, 8, 20},
    {"GET", "/v1/credits", handle_credits, AUTH_QUERY, 0, 9, 100},
    {"GET", "/v1/audiences", handle_list, AUTH_QUERY, 0, 10, 50},
    {"DELETE", "/v1/audiences/{id}", handle_archive, AUTH_QUERY, ROUTE_PERSIST, 11, 20},
    {"GET", "/v1/audiences/{id}/companies", handle_companies_page, AUTH_QUERY, 0, 12, 100},
    {"GET", "/v1/audiences/{id}/prospects", handle_prospects_page, AUTH_QUERY, 0, 13, 100},
    {"GET", "/v1/exports/{id}", handle_download, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/health", handle_mock_health, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/openapi.json", handle_mock_openapi, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/ui", handle_mock_ui, AUTH_NONE, ROUTE_NO_TOKEN, -1, 0},
    {"POST", "/_mock/reset", handle_mock_reset, AUTH_NONE, ROUTE_UNLOCKED, -1, 0},
    {"POST", "/_mock/state/compact", handle_mock_state_compact, AUTH_NONE, ROUTE_UNLOCKED, -1, 0},
    {"GET", "/_mock/clock", handle_mock_clock, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/clock/advance", handle_mock_clock_advance, AUTH_NONE, JSON_PERSIST, -1, 0},
    {"GET", "/_mock/accounts", handle_mock_accounts_list, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/accounts/{id}", handle_mock_account_get, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/accounts/{id}/ledger", handle_mock_ledger, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/audiences", handle_mock_audiences, AUTH_NONE, 0, -1, 0},
    {"PUT", "/_mock/accounts/{id}", handle_mock_account_put, AUTH_NONE, JSON_PERSIST, -1, 0},
    {"GET", "/_mock/accounts/{id}/clock", handle_mock_tenant_clock, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/accounts/{id}/clock/advance", handle_mock_tenant_clock_advance, AUTH_NONE, JSON_PERSIST, -1, 0},
    {"POST", "/_mock/accounts/{id}/reset", handle_mock_tenant_reset, AUTH_NONE, ROUTE_PERSIST, -1, 0},
    {"POST", "/_mock/accounts/{id}/scenario", handle_mock_tenant_scenario, AUTH_NONE, JSON_PERSIST, -1, 0},
    {"GET", "/_mock/accounts/{id}/faults", handle_mock_tenant_faults_list, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/accounts/{id}/faults", handle_mock_tenant_faults_clear, AUTH_NONE, ROUTE_PERSIST, -1, 0},
    {"GET", "/_mock/faults", handle_mock_faults_list, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/faults", handle_mock_faults_add, AUTH_NONE, ROUTE_JSON_BODY, -1, 0},
    {"DELETE", "/_mock/faults", handle_mock_faults_clear, AUTH_NONE, ROUTE_PERSIST, -1, 0},
    {"DELETE", "/_mock/faults/{id}", handle_mock_fault_delete, AUTH_NONE, ROUTE_PERSIST, -1, 0},
    {"GET", "/_mock/requests", handle_mock_requests, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/requests", handle_mock_requests_clear, AUTH_NONE, 0, -1, 0},
    {"GET", "/_mock/outbox", handle_mock_outbox, AUTH_NONE, 0, -1, 0},
    {"DELETE", "/_mock/outbox", handle_mock_outbox_clear, AUTH_NONE, ROUTE_PERSIST, -1, 0},
    {"GET", "/_mock/scenarios", handle_mock_scenarios, AUTH_NONE, 0, -1, 0},
    {"POST", "/_mock/scenarios", handle_mock_scenario_load, AUTH_NONE, JSON_PERSIST | ROUTE_UNLOCKED, -1, 0},
};

#define N_ROUTES (sizeof route_table / sizeof route_table[0])

const char *routes_pattern(size_t i, const char **method)
{
    if (i >= N_ROUTES)
        return NULL;
    *method = route_table[i].method;
    return route_table[i].pattern;
}

/* What matching needs to know of each route, worked out once from the
 * table: a request is compared only with the patterns of its own number of
 * segments, so routing costs a handful of comparisons, not a table scan. */
typedef struct route_shape {
    size_t segments;              /* "/v1/audiences/{id}": 3 */
    int literal;                  /* no {id} */
    int control;                  /* under /_mock/ */
    int tenant;                   /* under /_mock/accounts/{id}: the {id} is a key */
    size_t prefix_len;            /* bytes before the {id}; all of a literal pattern */
    const char *suffix;           /* what follows the {id} ("/build", ""); NULL: literal */
    size_t suffix_len;
    const char *param_name;       /* what the {id} names, for error messages */
} route_shape;

/* Patterns have at most this many segments; a longer path matches none. */
#define ROUTE_MAX_SEGMENTS 6

_Static_assert(N_ROUTES <= 255, "route indexes are stored as unsigned char");

static route_shape route_shapes[N_ROUTES];
/* The routes of each number of segments: the literal ones first, then the
 * {id} ones, each in table order (find_route stops at the first {id} match). */
static unsigned char routes_by_segments[ROUTE_MAX_SEGMENTS + 1][N_ROUTES];
static size_t n_routes_by_segments[ROUTE_MAX_SEGMENTS + 1];
static pthread_once_t route_shapes_once = PTHREAD_ONCE_INIT;

/* Path segments, a trailing slash not counted ("/v1/credits/": 2). */
static size_t count_segments(const char *path)
{
    size_t n = 0;
    for (const char *p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
        if (p[1] != '\0')
            n++;
    }
    return n;
}

/* What the {id} of a pattern names, for error messages. */
static const char *param_name(const char *pattern)
{
    if (strncmp(pattern, "/v1/audiences/", 14) == 0)
        return "audienceId";
    if (strncmp(pattern, "/v1/exports/", 12) == 0)
        return "exportId";
    if (strncmp(pattern, "/_mock/accounts/", 16) == 0)
        return "apiKey";
    return "id";
}

static void shape_routes(void)
{
    for (size_t i = 0; i < N_ROUTES; i++) {
        const char *pattern = route_table[i].pattern;
        const char *id = strstr(pattern, "{id}");
        route_shapes[i] = (route_shape){
            .segments = count_segments(pattern),
            .literal = id == NULL,
            .control = strncmp(pattern, "/_mock/", 7) == 0,
            .tenant = strncmp(pattern, "/_mock/accounts/{id}", 20) == 0,
            .prefix_len = id != NULL ? (size_t)(id - pattern) : strlen(pattern),
            .suffix = id != NULL ? id + 4 : NULL,
            .suffix_len = id != NULL ? strlen(id + 4) : 0,
            .param_name = param_name(pattern),
        };
        size_t segments = route_shapes[i].segments;
        if (segments > ROUTE_MAX_SEGMENTS)
            abort(); /* a new, longer pattern: raise ROUTE_MAX_SEGMENTS */
        if (id != NULL && (strchr(id + 4, '{') != NULL || strchr(pattern, '{') != id))
            abort(); /* matching takes one {id} a pattern, nothing else in braces */
        if (id != NULL && route_shapes[i].suffix_len > 0 && id[4 + route_shapes[i].suffix_len - 1] == '/')
            abort(); /* may_match takes a path's last slash for the tolerated one */
    }
    for (int literal = 1; literal >= 0; literal--) {
        for (size_t i = 0; i < N_ROUTES; i++) {
            size_t segments = route_shapes[i].segments;
            if (route_shapes[i].literal == literal)
                routes_by_segments[segments][n_routes_by_segments[segments]++] = (unsigned char)i;
        }
    }
}

static const route_shape *shape_of(const route *r)
{
    return &route_shapes[r - route_table];
}

/* Whether s is the end of a path; a trailing slash is tolerated, as most
 * HTTP frameworks do. */
static int path_ends(const char *s)
{
    return s[0] == '\0' || (s[0] == '/' && s[1] == '\0');
}

/* Matches path (len bytes) against route i's pattern: its literal text
 * before the {id}, one non-empty segment, the text after it (strncmp stops
 * at the path's end). On a match, points *param at the {id} segment (if
 * any) and sets its length, whatever it is: the dispatcher checks it, so
 * that a long or odd id gets a precise 400 rather than "no such endpoint".
 * Returns 1 on a match. */
static int match_pattern(size_t i, const char *path, size_t len, const char **param, size_t *param_len)
{
    const route_shape *shape = &route_shapes[i];
    if (len < shape->prefix_len || memcmp(path, route_table[i].pattern, shape->prefix_len) != 0)
        return 0;
    const char *s = path + shape->prefix_len;
    if (shape->literal)
        return path_ends(s);
    size_t left = len - shape->prefix_len;
    const char *slash = memchr(s, '/', left);
    size_t n = slash != NULL ? (size_t)(slash - s) : left;
    if (n == 0)
        return 0;
    *param = s;
    *param_len = n;
    s += n;
    return strncmp(s, shape->suffix, shape->suffix_len) == 0 && path_ends(s + shape->suffix_len);
}

/* Whether a path of len bytes may match route i, from its length and its
 * end alone: a literal pattern is the whole path (a trailing slash
 * tolerated), and an {id} pattern's path ends with its suffix (or the
 * suffix and a slash) after a non-empty id. Most routes of a path's number
 * of segments fail this, without a string comparison; match_pattern
 * decides the rest. */
static int may_match(size_t i, const char *path, size_t len)
{
    const route_shape *shape = &route_shapes[i];
    if (shape->literal)
        return len == shape->prefix_len || (len == shape->prefix_len + 1 && path[len - 1] == '/');
    size_t n = shape->suffix_len;
    if (len < shape->prefix_len + 1 + n)
        return 0;
    if (n == 0)
        return 1;
    /* The suffix's last byte first, inline: it tells most suffixes apart. */
    size_t end = len;
    if (path[end - 1] == '/' && shape->suffix[n - 1] != '/')
        end--;
    return end >= shape->prefix_len + 1 + n && path[end - 1] == shape->suffix[n - 1] &&
           memcmp(path + end - n, shape->suffix, n) == 0;
}

/* 404 or 405 for a request no route takes, with Allow listing the methods
 * of the path (literal routes first, as for matching). */
static void no_route(const http_request *http, size_t segments, mock_reply *reply)
{
    char allow[64] = "";
    const char *seg = NULL;
    size_t seg_len = 0;
    size_t len = strlen(http->path);
    for (int pass = 0; pass < 2 && allow[0] == '\0'; pass++) {
        for (size_t i = 0; i < N_ROUTES; i++) {
            const route *r = &route_table[i];
            if (route_shapes[i].segments != segments || route_shapes[i].literal != (pass == 0) ||
                !match_pattern(i, http->path, len, &seg, &seg_len))
                continue;
            if (strstr(allow, r->method) == NULL) {
                size_t used = strlen(allow);
                snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", r->method);
            }
        }
    }
    if (allow[0] != '\0') {
        reply_error(reply, 405, "Method %.32s is not allowed on %.200s; allowed: %s.", http->method, http->path, allow);
        snprintf(reply->allow, sizeof reply->allow, "%s", allow);
    } else {
        reply_error(reply, 404, "No such endpoint: %.32s %.200s. See docs/API.md for the endpoints descovo-mock serves.",
                    http->method, http->path);
    }
}

/* Finds the route for method + path. Returns it, or NULL with reply set to
 * 404 (no such path) or 405 (path exists with other methods). One pass
 * over the routes of the path's number of segments, literal ones first:
 * literal segments win over {id} ("/v1/audiences/create" is the create
 * endpoint, not the audience "create"), whatever the method, so an {id}
 * route is taken only when no literal route has the path; then the first
 * {id} route with the method and the path is the answer. */
static const route *find_route(const http_request *http, const char **param, size_t *param_len,
                               mock_reply *reply)
{
    pthread_once(&route_shapes_once, shape_routes);
    size_t segments = count_segments(http->path);
    size_t len = strlen(http->path);
    int literal_path = 0;
    size_t candidates = segments <= ROUTE_MAX_SEGMENTS ? n_routes_by_segments[segments] : 0;
    for (size_t c = 0; c < candidates; c++) {
        size_t i = routes_by_segments[segments][c];
        const route *r = &route_table[i];
        const route_shape *shape = &route_shapes[i];
        if (!shape->literal && literal_path)
            break; /* the path is a literal route's, with another method */
        if (!may_match(i, http->path, len))
            continue;
        int same_method = strcmp(r->method, http->method) == 0;
        if (!shape->literal && !same_method)
            continue;
        const char *seg = NULL;
        size_t seg_len = 0;
        if (!match_pattern(i, http->path, len, &seg, &seg_len))
            continue;
        if (!shape->literal) {
            *param = seg;
            *param_len = seg_len;
            return r;
        }
        if (same_method)
            return r;
        literal_path = 1;
    }
    no_route(http, segments, reply);
    return NULL;
}

/* Whether all 8 bytes of w are within 0x21..0x7E: none below 0x21 (a
 * borrow into its high bit), none above 0x7E (a carry into it, or the high
 * bit set already). A false alarm can only follow a true one in a higher
 * byte, so the answer for the word is exact. */
static int word_printable(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    uint64_t low = (w - ones * 0x21) & ~w;
    uint64_t high = (w + ones * 0x01) | w;
    return ((low | high) & highs) == 0;
}

/* Ids, keys and export ids are printable ASCII: anything else in a path
 * segment (a control byte, a space, a byte above 0x7E after percent
 * decoding) cannot name anything, and is refused before any lookup.
 * Copies a valid id into param; returns 0, or -1 with a 400 set. */
static int check_path_param(const route *r, const char *seg, size_t len,
                            char *param, size_t param_size, mock_reply *reply)
{
    const char *name = shape_of(r)->param_name;
    if (len > API_MAX_PATH_PARAM) {
        reply_error(reply, 400, "%s in the path: expected at most %d characters, got %zu.",
                    name, API_MAX_PATH_PARAM, len);
        return -1;
    }
    size_t i = 0;
    /* Printable ASCII 8 bytes at a time; the loop below names a bad byte. */
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, seg + i, sizeof w);
        if (!word_printable(w))
            break;
        i += 8;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)seg[i];
        if (c <= 0x20 || c >= 0x7F) {
            reply_error(reply, 400, "%s in the path: expected printable ASCII characters, got byte 0x%02X at "
                        "position %zu.", name, c, i + 1);
            return -1;
        }
    }
    memcpy(param, seg, len);
    param[len < param_size ? len : param_size - 1] = '\0';
    return 0;
}

/* State of the walk over the query string. */
typedef struct query_check {
    const char *names[API_MAX_QUERY_PARAMS];
    size_t n;
    mock_reply *reply;
    int failed;
    /* The first apiKey, matched as libmicrohttpd's lookup matches names
     * (case-insensitively): the walk finds it, so no lookup is needed. */
    int key_seen;
    const char *key;
} query_check;

static int check_query_param(void *cls, const char *name, const char *value)
{
    query_check *q = cls;
    size_t name_len = strlen(name);
    size_t value_len = value != NULL ? strlen(value) : 0;
    if (q->n == API_MAX_QUERY_PARAMS) {
        reply_error(q->reply, 400, "Query string: expected at most %d parameters.", API_MAX_QUERY_PARAMS);
        q->failed = 1;
        return 1;
    }
    if (name_len > API_MAX_QUERY_BYTES || value_len > API_MAX_QUERY_BYTES) {
        reply_error(q->reply, 400, "Query parameter \"%.64s\"%s: expected at most %d bytes in its name and in "
                    "its value, got %zu.", name, name_len > 64 ? "..." : "", API_MAX_QUERY_BYTES,
                    name_len > value_len ? name_len : value_len);
        q->failed = 1;
        return 1;
    }
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->names[i], name) == 0) {
            reply_error(q->reply, 400, "Query parameter \"%s\" is given more than once; give it once.", name);
            q->failed = 1;
            return 1;
        }
    }
    q->names[q->n++] = name;
    if (!q->key_seen && strcasecmp(name, "apiKey") == 0) {
        q->key_seen = 1;
        q->key = value;
    }
    return 0;
}

/* Every parameter at most once (which of two apiKeys would count?), a
 * bounded number of them, each of bounded size. Sets *walked when the
 * query was walked, and then *api_key to what query(req, "apiKey") would
 * return. Returns 0, or -1 with a 400 set. */
static int check_query(const http_request *http, int *walked, const char **api_key, mock_reply *reply)
{
    *walked = 0;
    *api_key = NULL;
    if (http->query_each == NULL)
        return 0;
    /* Not q = {...}: that would zero names[], which the walk fills. */
    query_check q;
    q.n = 0;
    q.reply = reply;
    q.failed = 0;
    q.key_seen = 0;
    q.key = NULL;
    http->query_each(http->query_ctx, check_query_param, &q);
    *walked = 1;
    *api_key = q.key;
    return q.failed ? -1 : 0;
}

/* Whether the media type at `type` (up to `;`, spaces around ignored,
 * case-insensitive) equals `want`. */
static int media_type_is(const char *type, const char *want)
{
    while (*type == ' ' || *type == '\t')
        type++;
    size_t n = strcspn(type, ";");
    while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(type, want, n) == 0;
}

/* JSON routes take application/json (and +json types). A missing
 * Content-Type, or curl -d's default application/x-www-form-urlencoded, is
 * read as JSON too, so that `curl -d '{...}'` works as the README shows.
 * Anything else (text/csv, multipart/form-data, ...) is 415, and so is a
 * charset other than UTF-8. Returns 0, or -1 with the reply set. */
static int check_content_type(const http_request *http, mock_reply *reply)
{
    const char *type = http->header != NULL ? http->header(http->query_ctx, "Content-Type") : NULL;
    if (type == NULL || type[strspn(type, " \t")] == '\0')
        return 0;
    size_t n = strcspn(type, ";");
    int plus_json = n >= 5 && strncasecmp(type + n - 5, "+json", 5) == 0 && strncasecmp(type, "application/", 12) == 0;
    if (!media_type_is(type, "application/json") && !plus_json &&
        !media_type_is(type, "application/x-www-form-urlencoded")) {
        reply_error(reply, 415, "Content-Type: expected application/json, got \"%.100s\". "
                    "The body of this endpoint is a JSON object.", type);
        return -1;
    }
    const char *charset = strstr(type, "charset=");
    if (charset == NULL)
        charset = strstr(type, "Charset=");
    if (charset != NULL) {
        const char *value = charset + 8;
        if (*value == '"')
            value++;
        if (strncasecmp(value, "utf-8", 5) != 0 && strncasecmp(value, "utf8", 4) != 0) {
            reply_error(reply, 415, "Content-Type: the charset must be UTF-8, got \"%.100s\".", type);
            return -1;
        }
    }
    return 0;
}

/* Scans a JSON text for nesting deeper than API_MAX_JSON_DEPTH, counting
 * brackets outside strings; the parser sees the text only when it passes.
 * Returns the offset of the first bracket too deep, or -1. The scan does not
 * validate anything else: the parser does. */
static long json_too_deep(const char *text, size_t len)
{
    int depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > API_MAX_JSON_DEPTH)
                return (long)i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return -1;
}

/* Parses the body of a JSON route into a new object, or sets a 400/413. */
static json_t *parse_body(const http_request *http, mock_reply *reply)
{
    if (http->body_too_large) {
        reply_error(reply, 413, "Request body too large: the limit is %d bytes.", API_MAX_BODY_BYTES);
        return NULL;
    }
    if (http->body == NULL || http->body_len == 0) {
        reply_error(reply, 400, "Request body: expected a JSON object with at least \"apiKey\", got an empty body.");
        return NULL;
    }
    /* The usual body takes the fast path (which keeps to the depth limit);
     * jansson reads the rest, and says what is wrong with a bad one. */
    json_t *body = jsonr_object(http->body, http->body_len, API_MAX_JSON_DEPTH);
    if (body != NULL)
        return body;
    long deep = json_too_deep(http->body, http->body_len);
    if (deep >= 0) {
        reply_error(reply, 400, "Request body: JSON nested deeper than %d levels (at byte %ld).",
                    API_MAX_JSON_DEPTH, deep + 1);
        return NULL;
    }
    json_error_t error;
    body = json_loadb(http->body, http->body_len, JSON_REJECT_DUPLICATES, &error);
    if (body == NULL) {
        if (json_error_code(&error) == json_error_invalid_utf8)
            reply_error(reply, 400, "Request body: invalid UTF-8 at byte %d (line %d, column %d): "
                        "the body must be JSON encoded as UTF-8.", error.position, error.line, error.column);
        else
            reply_error(reply, 400, "Request body: invalid JSON at line %d, column %d: %s.",
                        error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        reply_error(reply, 400, "Request body: expected a JSON object, got %s.",
                    json_is_array(body) ? "an array" : "a scalar");
        json_decref(body);
        return NULL;
    }
    return body;
}

static unsigned scaled_limit(unsigned per_minute, double scale)
{
    if (per_minute == 0 || scale <= 0)
        return 0;
    double limit = per_minute * scale;
    return limit < 1 ? 1 : (unsigned)(limit + 0.5);
}

/* The caller's key as sent, unchecked: fault rules may match on it. */
static const char *raw_key(const route *r, const mock_request *req)
{
    if (r->auth == AUTH_BODY)
        return json_string_value(json_object_get(req->body, "apiKey"));
    return req->query(req, "apiKey");
}

/* The 401 (or 503) of a key store_open_account did not take. */
static void unauthorized(int why, int64_t idle_expiry_ms, mock_reply *reply)
{
    if (why == EPERM) {
        reply_error(reply, 401, "Invalid API key: this looks like a live key (sk_live_...). descovo-mock is a "
                    "simulator and never takes live keys; use a test key such as sk_test_descovo_dev.");
    } else if (why == ESTALE) {
        reply_error(reply, 401, "Invalid API key: the tenant of this test key expired after %lld s without a request "
                    "(--tenant-idle-expiry); its audiences, exports and settings are gone. The next request with this "
                    "key starts it afresh, with the default credits.", (long long)(idle_expiry_ms / 1000));
    } else if (why == ENOSPC) {
        reply_error(reply, 503, "descovo-mock holds %d accounts, the most it keeps: no new key is taken until "
                    "a reset or until idle tenants expire (--tenant-idle-expiry).", STORE_MAX_ACCOUNTS);
        reply->retry_after = 60;
    } else if (why == ENOMEM) {
        reply_error(reply, 500, "Internal error: out of memory while creating the account.");
    } else {
        reply_error(reply, 401, "Invalid API key.");
    }
}

/* Authenticates, settles, rate-limits (unless replaying) and runs the
 * handler; store locked. */
static void run_locked(const route *r, mock_request *req, mock_reply *reply)
{
    int64_t server_ms = req->now_ms;
    if (r->auth != AUTH_NONE) {
        req->account = req->api_key != NULL ? store_open_account(req->store, req->api_key, server_ms) : NULL;
        if (req->account == NULL) {
            unauthorized(req->api_key != NULL ? errno : ENOENT, store_config_of(req->store)->idle_expiry_ms, reply);
            return;
        }
        /* From here on the request lives on its tenant's clock. */
        req->now_ms = store_tenant_now(req->store, req->account, req->now_ms);
        reply->tenant_ms = req->now_ms;
        store_settle(req->store, req->account, req->now_ms);
    }
    if (r->bucket >= 0 && req->account != NULL && !req->replaying) {
        unsigned limit = scaled_limit(r->per_minute, store_rate_limit_scale(req->store, req->account));
        int retry = store_take_rate(req->account, r->bucket, req->now_ms, limit);
        if (retry > 0) {
            reply_error(reply, 429, "Rate limit exceeded: %u requests per minute on %s %s for this API key. Retry after %d s.",
                        limit, r->method, r->pattern, retry);
            reply->retry_after = retry;
            return;
        }
    }
    r->handler(req, reply);
}

/* Compares in time independent of where the strings differ, so that the
 * admin token cannot be guessed byte by byte from response times. */
static int same_secret(const char *given, const char *secret)
{
    size_t n = strlen(secret);
    size_t m = given != NULL ? strlen(given) : 0;
    unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)secret[i] ^ (unsigned char)(i < m ? given[i] : 0);
    return diff == 0;
}

/* Whether the request names a ROUTE_NO_TOKEN route, by method and literal
 * path: decided before routing, so that a caller without the token learns
 * nothing of the routes (no 405 listing them). Only a control request
 * without the right token pays for this scan of the table (the dashboard's
 * page, or a refusal), never a /v1/ request. */
static int token_exempt(const http_request *http)
{
    for (size_t i = 0; i < sizeof route_table / sizeof route_table[0]; i++) {
        const route *r = &route_table[i];
        if ((r->flags & ROUTE_NO_TOKEN) && strcmp(r->method, http->method) == 0 && strcmp(r->pattern, http->path) == 0)
            return 1;
    }
    return 0;
}

/* Whether a request that may change state comes from a web page of
 * another site. A browser sends Origin with every cross-site POST, and a
 * form (or a fetch with a form content type) needs no preflight: without
 * this check any page open on the machine could reset the simulator or add
 * fault rules on loopback, where no token is asked for. A request with no
 * Origin (curl, the helpers, any client library) or with this server's own
 * (the dashboard) is taken. */
static int cross_site(const http_request *http)
{
    if (strcmp(http->method, "GET") == 0 || strcmp(http->method, "HEAD") == 0 || http->header == NULL)
        return 0;
    const char *origin = http->header(http->query_ctx, "Origin");
    if (origin == NULL)
        return 0;
    const char *host = http->header(http->query_ctx, "Host");
    if (strncmp(origin, "http://", 7) == 0)
        origin += 7;
    else if (strncmp(origin, "https://", 8) == 0)
        origin += 8;
    else
        return 1; /* "null" (a sandboxed frame, a file:// page) or not a URL */
    return host == NULL || strcasecmp(origin, host) != 0;
}

/* The control plane is off, guarded by a token, or asked by another site.
 * Called before routing for every /_mock/ path. Returns 0 when the request
 * may go on, or -1 with the reply set. */
static int check_control(const mock_context *ctx, const http_request *http, mock_reply *reply)
{
    const mock_context_options *options = &ctx->options;
    if (!options->control) {
        reply_error(reply, 404, "No such endpoint: %s %s. The control plane is disabled (--no-control).",
                    http->method, http->path);
        return -1;
    }
    if (cross_site(http)) {
        reply_error(reply, 403, "Origin: a web page of another site may not change the simulator; the control "
                    "plane takes requests without an Origin header (curl, test helpers) or from its own dashboard.");
        return -1;
    }
    if (options->admin_token != NULL) {
        /* The right token first: a request that carries it never scans
         * the table for an exemption. */
        const char *given = http->header != NULL ? http->header(http->query_ctx, "X-Mock-Admin-Token") : NULL;
        if (!same_secret(given, options->admin_token) && !token_exempt(http)) {
            reply_error(reply, 401, "X-Mock-Admin-Token: missing or wrong; the control plane needs the --admin-token value.");
            return -1;
        }
    }
    return 0;
}

/* Carries out a fault decided before the handler. Returns 1 when the
 * request ends here (no handler). */
static int apply_fault_before(const fault_decision *fault, mock_reply *reply)
{
    switch (fault->type) {
    case FAULT_STATUS:
        reply_error(reply, fault->status, "%s", fault->message);
        reply->retry_after = fault->retry_after;
        return 1;
    case FAULT_DROP:
    case FAULT_RESET:
        reply->connection = fault->type == FAULT_DROP ? REPLY_DROP : REPLY_RESET;
        if (!fault->after_processing) {
            reply_error(reply, 503, "connection dropped by an injected fault");
            return 1;
        }
        return 0;
    case FAULT_LATENCY:
        reply->delay_ms = fault->delay_ms;
        return 0;
    default:
        return 0;
    }
}

/* What a request carries into the shared path besides its route. */
typedef struct request_source {
    const char *method;
    const char *path;
    json_t *body;                 /* parsed (live) or logged (replay); borrowed */
    const char *(*query)(const mock_request *req, const char *name);
    void *query_ctx;
    int query_key_known;          /* query_key is the query's apiKey (check_query) */
    const char *query_key;
    int64_t now_ms;
    const fault_decision *fault;  /* NULL: none */
    int replaying;
} request_source;

/* Builds the request every handler sees, live or replayed, the same way. */
static void request_init(mock_request *req, const mock_context *ctx, const route *r, const char *param,
                         const request_source *src, json_t **warnings)
{
    static const fault_decision no_fault = {0};
    *req = (mock_request){
        .ctx = ctx,
        .store = ctx->store,
        .method = src->method,
        .path = src->path,
        .param = shape_of(r)->literal ? NULL : param,
        .body = src->body,
        .query = src->query,
        .query_ctx = src->query_ctx,
        /* Only bodies have fields to warn about. */
        .warnings = src->body != NULL ? warnings : NULL,
        .now_ms = src->now_ms,
        .server_ms = src->now_ms,
        .fault = src->fault != NULL ? src->fault : &no_fault,
        .replaying = src->replaying,
    };
    if (r->auth == AUTH_QUERY && src->query_key_known)
        req->api_key = src->query_key;
    else
        req->api_key = r->auth != AUTH_NONE ? raw_key(r, req) : NULL;
}

/* Finds the route of method + path and checks its {id}. Returns the route
 * with the id copied into param, or NULL with the reply set (404, 405, 400). */
static const route *resolve(const http_request *http, char param[API_MAX_PATH_PARAM + 1], mock_reply *reply)
{
    const char *segment = NULL;
    size_t segment_len = 0;
    param[0] = '\0';
    const route *r = find_route(http, &segment, &segment_len, reply);
    if (r == NULL)
        return NULL;
    if (!shape_of(r)->literal &&
        check_path_param(r, segment, segment_len, param, API_MAX_PATH_PARAM + 1, reply) != 0)
        return NULL;
    return r;
}

/* Where a change is logged: the state file, the apiKey a query route took,
 * and a download id to reuse (replay); then what became of it. */
typedef struct request_log {
    persist *log;                 /* NULL: nothing to log */
    const char *body_text;        /* the text the body was read from (live), or NULL */
    size_t body_len;
    const char *query_key;        /* of a route that takes the key from the query */
    const char *export_token;     /* NULL: a random one */
    int appended;                 /* the change is in the log (or failed to be) */
    uint64_t seq;                 /* its record, for persist_sync; 0: the append failed */
} request_log;

/* Store lock held. Appends the request's change once. */
static void log_change(request_log *lg, const mock_request *req, const char *export_id)
{
    if (lg == NULL || lg->log == NULL || lg->appended)
        return;
    lg->appended = 1;
    /* A live body is logged from its text (no second serialisation of
     * the tree under the store lock); a tree from elsewhere as itself. */
    if (req->body != NULL && lg->body_text != NULL)
        lg->seq = persist_append_text(lg->log, req->method, req->path, lg->body_text, lg->body_len, lg->query_key,
                                      req->server_ms, req->fault, export_id);
    else
        lg->seq = persist_append(lg->log, req->method, req->path, req->body, lg->query_key, req->server_ms,
                                 req->fault, export_id);
}

static void took_effect(const mock_request *req)
{
    log_change(req->log, req, NULL);
}

/* Runs the handler with the locks its route asks for: authenticate, settle,
 * rate-limit (live only), handler, and, for a 200 of a logged route, the
 * append, under the same store lock as the change (unless the handler
 * logged it at the moment it took effect), so that the log order is the
 * order of the changes. A route that takes the locks itself (a scenario
 * load) runs alone: no other request's change can fall between its own
 * changes and its record. */
static void run_route(const route *r, mock_request *req, mock_reply *reply, request_log *lg)
{
    req->log = lg;
    req->took_effect = took_effect;
    if (r->flags & ROUTE_UNLOCKED) {
        /* Live, a logged change of these (scenario loads) runs alone
         * whether or not there is a log: the handler may count on it. Its
         * time is read once alone, so that it is no earlier than any
         * change logged before it (replay refuses a time that goes back). */
        int alone = (r->flags & ROUTE_PERSIST) && !req->replaying;
        if (alone) {
            store_work_alone_begin(req->store);
            req->now_ms = mock_clock_now_ms(req->ctx->clock);
            req->server_ms = req->now_ms;
        }
        r->handler(req, reply);
        if (alone && reply->status == 200) {
            store_lock(req->store);
            log_change(lg, req, reply->export_id);
            store_unlock(req->store);
        }
        if (alone)
            store_work_alone_end(req->store);
        return;
    }
    store_work_begin(req->store);
    store_lock(req->store);
    /* Read under the lock, the time only grows in the order changes are
     * made: a replay that settles each change at its time then sees what
     * the change saw (persist.c). A replay runs at its logged time. */
    if (!req->replaying)
        req->now_ms = mock_clock_now_ms(req->ctx->clock);
    if (lg->export_token != NULL)
        store_force_export_token(req->store, lg->export_token);
    /* The log keeps the server's time: a replay maps it to the tenant's
     * clock as it was then (store_tenant_now), restored by the replayed
     * advances before it. */
    req->server_ms = req->now_ms;
    run_locked(r, req, reply);
    if (lg->export_token != NULL)
        store_force_export_token(req->store, NULL);
    if (reply->status == 200)
        log_change(lg, req, reply->export_id);
    store_unlock(req->store);
    store_work_end(req->store);
}

/* How far ahead of an answer's time a clock mark vouches: one mark per
 * second of real time, whatever --time-scale. */
static int64_t clock_mark_ahead_ms(const mock_context *ctx)
{
    double scale = ctx->options.time_scale > 1 ? ctx->options.time_scale : 1;
    return (int64_t)(1000.0 * scale);
}

/* A handler that left no answer (it ran out of memory, or has a bug) is
 * answered 500: docs/DESIGN.md, "Errors". */
static void ensure_answer(mock_reply *reply, const char *while_doing)
{
    int answered = reply->later != NULL ||
                   (reply->status != 0 &&
                    (reply->body != NULL || reply->csv != NULL || (reply->text.data != NULL && !reply->text.oom)));
    if (!answered)
        reply_error(reply, 500, "Internal error: out of memory while %s.", while_doing);
}

void routes_dispatch(const mock_context *ctx, const http_request *http, mock_reply *reply)
{
    if (!mock_context_ready(ctx)) {
        reply_error(reply, 503, "descovo-mock is starting (replaying its state file); retry in a moment.");
        reply->retry_after = 1;
        return;
    }
    /* Before routing: with --no-control every /_mock/ path is 404, and
     * without the admin token a 405 would list the routes. */
    int control = strncmp(http->path, "/_mock/", 7) == 0;
    if (control && check_control(ctx, http, reply) != 0)
        return;
    char param[API_MAX_PATH_PARAM + 1];
    const route *r = resolve(http, param, reply);
    if (r == NULL)
        return;
    int query_walked = 0;
    const char *query_key = NULL;
    if (check_query(http, &query_walked, &query_key, reply) != 0)
        return;
    json_t *body = NULL;
    if (r->flags & ROUTE_JSON_BODY) {
        if (check_content_type(http, reply) != 0)
            return;
        body = parse_body(http, reply);
        if (body == NULL)
            return;
    }
    /* Set below, before any use: faults_decide fills all of it (its 200
     * bytes of message would otherwise be zeroed twice a request). */
    fault_decision fault;
    request_source src = {
        .method = http->method,
        .path = http->path,
        .body = body,
        .query = http->query,
        .query_ctx = http->query_ctx,
        .query_key_known = query_walked,
        .query_key = query_key,
        .now_ms = mock_clock_now_ms(ctx->clock),
        .fault = &fault,
    };
    mock_request req;
    json_t *warnings = NULL;
    request_init(&req, ctx, r, param, &src, &warnings);
    req.can_defer = http->can_defer;
    const char *key = req.api_key;
    /* A tenant's control requests are its own too (journal, log). */
    const char *owner_key = key != NULL ? key : (shape_of(r)->tenant ? param : NULL);
    if (owner_key != NULL) {
        keys_mask(owner_key, reply->masked_key);
        reply->key_id = keys_id(owner_key);
    }
    const char *secret = key != NULL ? key : shape_of(r)->tenant ? req.param : NULL;
    if (secret != NULL && strlen(secret) < sizeof reply->secret)
        memcpy(reply->secret, secret, strlen(secret) + 1);
    if (!control)
        faults_decide(ctx->faults, http->method, http->path, key, &fault);
    else
        fault = (fault_decision){0};
    request_log lg = {.log = (r->flags & ROUTE_PERSIST) ? ctx->persist : NULL,
                      .body_text = body != NULL ? http->body : NULL,
                      .body_len = body != NULL ? http->body_len : 0,
                      .query_key = r->auth == AUTH_QUERY ? key : NULL};
    if (apply_fault_before(&fault, reply))
        goto out;
    if (lg.log != NULL && persist_failed(lg.log) != 0) {
        reply_error(reply, 500, "Internal error: the state file cannot be written (%s); changes are refused "
                    "until descovo-mock is restarted.", strerror(persist_failed(lg.log)));
        goto out;
    }
    run_route(r, &req, reply, &lg);
    /* Durable before it is acknowledged (group commit: persist.h): the
     * HTTP layer holds the answer until then, or this thread waits. */
    if (lg.appended && lg.seq != 0 && http->can_defer) {
        reply->durable_log = lg.log;
        reply->durable_seq = lg.seq;
    } else if (lg.appended && (lg.seq == 0 || persist_sync(lg.log, lg.seq) != 0)) {
        reply_not_durable(reply, persist_failed(lg.log));
    }
    /* A real clock moves without any logged change: what this answer
     * shows of time must survive a restart too. */
    if (ctx->persist != NULL && ctx->options.clock_mode == MOCK_CLOCK_REAL &&
        persist_vouch_time(ctx->persist, req.server_ms, clock_mark_ahead_ms(ctx)) != 0 && reply->status < 500)
        reply_error(reply, 500, "Internal error: the state file cannot be written (%s); changes are refused "
                    "until descovo-mock is restarted.", strerror(persist_failed(ctx->persist)));
out:
    ensure_answer(reply, "answering");
    if (control && strcmp(http->method, "GET") == 0 && reply->status == 200) {
        /* A poll that finds nothing new costs a 304 and no body. */
        reply->etag = 1;
        reply->unjournaled = http->header != NULL && http->header(http->query_ctx, "X-Mock-Dashboard") != NULL;
    }
    json_decref(warnings);
    json_decref(body);
}

/* The apiKey of a replayed request that takes it from the query. */
static const char *replay_query(const mock_request *req, const char *name)
{
    return strcmp(name, "apiKey") == 0 ? req->query_ctx : NULL;
}

void routes_replay(const mock_context *ctx, const char *method, const char *path, json_t *body,
                   const char *query_key, int64_t now_ms, const fault_decision *fault,
                   const char *export_token, mock_reply *reply)
{
    http_request http = {.method = method, .path = path};
    char param[API_MAX_PATH_PARAM + 1];
    const route *r = resolve(&http, param, reply);
    if (r == NULL)
        return;
    if ((r->flags & ROUTE_JSON_BODY) && body == NULL) {
        reply_error(reply, 400, "Request body: missing in the state file.");
        return;
    }
    request_source src = {
        .method = method,
        .path = path,
        .body = body,
        .query = replay_query,
        .query_ctx = (void *)query_key,
        .now_ms = now_ms,
        .fault = fault,
        .replaying = 1,
    };
    mock_request req;
    json_t *warnings = NULL;
    request_init(&req, ctx, r, param, &src, &warnings);
    request_log lg = {.export_token = export_token};
    run_route(r, &req, reply, &lg);
    ensure_answer(reply, "replaying");
    json_decref(warnings);
}
