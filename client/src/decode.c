/* Decoding of the service's answers: the success envelope
 * {"output","chargeInfo","warnings"?} and the error body
 * {"error":{"code","message",...}}, into JSON or a descovo_error. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Phrases of a 400 that is about the audience's status rather than a bad
 * parameter. The API answers both with 400; the public spec documents the
 * first as "invalid audience status for the operation", and the service's
 * state messages name the status ("Audience is BUILDING: ..."). */
static const char *const state_phrases[] = {
    "audience is ",
    "status",
    "already",
    "only be set while",
    "no enrichment has been started",
    NULL,
};

static int contains_ci(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = haystack; *p != '\0'; p++) {
        if (strncasecmp(p, needle, n) == 0)
            return 1;
    }
    return 0;
}

descovo_error_class decode_classify(long status, const char *message)
{
    switch (status) {
    case 400:
        for (size_t i = 0; message != NULL && state_phrases[i] != NULL; i++) {
            if (contains_ci(message, state_phrases[i]))
                return DESCOVO_ERR_INVALID_STATE;
        }
        return DESCOVO_ERR_VALIDATION;
    case 401:
        return DESCOVO_ERR_AUTH;
    case 402:
        return DESCOVO_ERR_CREDITS;
    case 403:
        return DESCOVO_ERR_QUOTA;
    case 404:
        return DESCOVO_ERR_NOT_FOUND;
    case 405:
    case 413:
    case 422:
        return DESCOVO_ERR_VALIDATION;
    case 429:
        return DESCOVO_ERR_RATE_LIMITED;
    default:
        return DESCOVO_ERR_SERVER;
    }
}

void decode_copy_string(const json_t *obj, const char *key, char *buf, size_t size)
{
    const char *value = json_string_value(json_object_get(obj, key));
    snprintf(buf, size, "%s", value != NULL ? value : "");
}

long long decode_integer(const json_t *obj, const char *key, long long dflt)
{
    const json_t *value = json_object_get(obj, key);
    if (json_is_integer(value))
        return (long long)json_integer_value(value);
    if (json_is_real(value))
        return (long long)json_real_value(value);
    return dflt;
}

/* Fills err from an error answer; body may be NULL (not JSON). */
static void decode_error(const transport_result *res, const json_t *body, descovo_error *err)
{
    const char *message = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
    err->http_status = res->status;
    err->retry_after = res->has_retry_after ? res->retry_after : -1;
    err->cls = decode_classify(res->status, message);
    if (message != NULL) {
        snprintf(err->message, sizeof err->message, "%s", message);
    } else if (res->status >= 200 && res->status < 300) {
        err->cls = DESCOVO_ERR_PROTOCOL;
        snprintf(err->message, sizeof err->message, "HTTP %ld with a body that is not a JSON object", res->status);
    } else {
        /* Proxies and load balancers answer in HTML or plain text. */
        snprintf(err->message, sizeof err->message, "HTTP %ld: %.200s", res->status,
                 res->body != NULL ? res->body : "(no body)");
    }
}

int decode_response(const transport_result *res, json_t **body, descovo_error *err)
{
    memset(err, 0, sizeof *err);
    err->retry_after = -1;
    *body = NULL;
    int success = res->status >= 200 && res->status < 300;
    if (success && res->body == NULL)
        return 0;    /* streamed to a file */
    json_t *parsed = NULL;
    if (res->body != NULL && res->body_len > 0)
        parsed = json_loadb(res->body, res->body_len, 0, NULL);
    if (success && json_is_object(parsed)) {
        *body = parsed;
        return 0;
    }
    decode_error(res, parsed, err);
    *body = parsed;
    return -1;
}
