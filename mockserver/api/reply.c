/* The service's envelopes and the typed readers of request bodies. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "text/jsontype.h"
#include "text/jsonw.h"
#include "text/utf8.h"

/* Where lowCreditAlert and outOfCreditsAlert send the user: the credits
 * endpoint of the real API (the simulator has no billing page). */
#define GET_MORE_CREDITS_URL "https://api.descovo.com/v1/credits"

size_t reply_make_utf8(char *s)
{
    size_t replaced = 0;
    unsigned char *p = (unsigned char *)s;
    size_t left = strlen(s);
    while (left > 0) {
        size_t n = utf8_sequence_length(p, left);
        if (n == 0) {
            *p = '?';
            n = 1;
            replaced++;
        }
        p += n;
        left -= n;
    }
    return replaced;
}

void reply_error(mock_reply *reply, unsigned status, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* Messages quote what the client sent, and the buffer may cut a
     * character in two: either would make json_pack fail, and the client
     * would get a 500 instead of its error. */
    reply_make_utf8(message);
    json_decref(reply->body);
    strbuf_release(&reply->text); /* an error replaces any answer written */
    reply->status = status;
    reply->body = json_pack("{s:{s:i, s:s}}", "error", "code", (int)status, "message", message);
}

/* Writes a chargeInfo object as json_pack would have built it. */
static void write_charge(strbuf *t, const charge_info *c)
{
    strbuf_put_literal(t, "{\"method\":");
    jsonw_plain(t, c->method, strlen(c->method)); /* one of three fixed names */
    if (c->message != NULL) {
        strbuf_put_literal(t, ",\"message\":");
        /* A fixed text with nothing to escape (api.h): no escaping scan. */
        jsonw_plain(t, c->message, strlen(c->message));
    } else {
        strbuf_put_literal(t, ",\"creditsCharged\":");
        jsonw_integer(t, c->credits_charged);
    }
    if (c->low_credit) {
        strbuf_printf(t, ",\"lowCreditAlert\":{\"getMoreCreditsUrl\":\"%s\",\"message\":\"Low credits: %lld left.\","
                      "\"availableCredits\":%lld}", GET_MORE_CREDITS_URL, (long long)c->available,
                      (long long)c->available);
    }
    strbuf_putc(t, '}');
}

strbuf *reply_text_begin(mock_reply *reply)
{
    json_decref(reply->body);
    reply->body = NULL;
    strbuf *t = &reply->text;
    strbuf_reset(t);
    /* One allocation for the usual answer. */
    strbuf_reserve(t, REPLY_TEXT_RESERVE);
    reply->status = 200;
    strbuf_put_literal(t, "{\"output\":");
    return t;
}

void reply_text_end(mock_reply *reply, const mock_request *req, charge_info charge)
{
    strbuf *t = &reply->text;
    strbuf_put_literal(t, ",\"chargeInfo\":");
    write_charge(t, &charge);
    if (req->warnings != NULL && json_array_size(*req->warnings) > 0) {
        strbuf_put_literal(t, ",\"warnings\":");
        if (jsonw_write(*req->warnings, t) != 0)
            t->oom = 1;
    }
    strbuf_putc(t, '}');
    if (t->oom) {
        /* The dispatcher answers 500. */
        strbuf_release(t);
        reply->text.oom = 1;
    }
}

void reply_ok(mock_reply *reply, const mock_request *req, json_t *output, charge_info charge)
{
    strbuf *t = reply_text_begin(reply);
    if (output == NULL || jsonw_write(output, t) != 0)
        t->oom = 1;
    json_decref(output);
    reply_text_end(reply, req, charge);
}

static json_t *credit_alert(const account *acct, const char *message)
{
    return json_pack("{s:s, s:s, s:I}", "getMoreCreditsUrl", GET_MORE_CREDITS_URL,
                     "message", message, "availableCredits", (json_int_t)acct->credits);
}

static charge_info make_charge(const account *acct, const char *method, const char *message, int64_t credits)
{
    charge_info c = {method, message, credits, 0, 0};
    if (acct != NULL && acct->credits < STORE_LOW_CREDIT_THRESHOLD) {
        c.low_credit = 1;
        c.available = acct->credits;
    }
    return c;
}

charge_info charge_free(const account *acct, const char *message)
{
    return make_charge(acct, "free", message, 0);
}

charge_info charge_later(const account *acct, const char *message)
{
    return make_charge(acct, "charging-later", message, 0);
}

charge_info charge_now(const account *acct, int64_t credits)
{
    return make_charge(acct, "charged-now", NULL, credits);
}

void reply_out_of_credits(mock_reply *reply, const account *acct, int64_t needed,
                          const char *what)
{
    reply_error(reply, 402, "Not enough credits for %s: it needs %lld, the balance is %lld. Nothing was charged.",
                what, (long long)needed, (long long)acct->credits);
    json_t *error = json_object_get(reply->body, "error");
    if (error != NULL)
        json_object_set_new(error, "outOfCreditsAlert",
                            credit_alert(acct, "Out of credits: top up to continue."));
}

void request_warn(const mock_request *req, const char *field, const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    reply_make_utf8(message);
    char field_text[256];
    snprintf(field_text, sizeof field_text, "%s", field);
    reply_make_utf8(field_text);
    if (req->warnings == NULL)
        return;
    if (*req->warnings == NULL)
        *req->warnings = json_array(); /* the first: most requests have none */
    json_array_append_new(*req->warnings, json_pack("{s:s, s:s}", "field", field_text, "message", message));
}

void request_warn_unknown_fields(const mock_request *req, const char *const *known)
{
    const char *key;
    json_t *value;
    if (req->body == NULL)
        return;
    json_object_foreach(req->body, key, value) {
        int found = 0;
        for (size_t i = 0; known[i] != NULL && !found; i++)
            found = strcmp(known[i], key) == 0;
        if (!found)
            request_warn(req, key, "unknown field; ignored");
    }
}

int body_bool(const mock_request *req, mock_reply *reply, const char *field, int *out)
{
    json_t *value = json_object_get(req->body, field);
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_boolean(value)) {
        reply_error(reply, 400, "%s: expected a boolean, got %s", field, jsontype_name(value));
        return -1;
    }
    *out = json_is_true(value);
    return 0;
}

int body_positive_int(const mock_request *req, mock_reply *reply, const char *field,
                      uint32_t max, uint32_t *out)
{
    json_t *value = json_object_get(req->body, field);
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_integer(value)) {
        reply_error(reply, 400, "%s: expected a positive integer, got %s", field, jsontype_name(value));
        return -1;
    }
    json_int_t n = json_integer_value(value);
    if (n <= 0 || (uint64_t)n > max) {
        reply_error(reply, 400, "%s: expected an integer from 1 to %u, got %lld", field, max, (long long)n);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

/* Counts UTF-8 code points; jansson has already rejected invalid UTF-8. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int body_string(const mock_request *req, mock_reply *reply, const char *field,
                size_t max_chars, const char **out)
{
    json_t *value = json_object_get(req->body, field);
    if (value == NULL || json_is_null(value))
        return 0;
    if (!json_is_string(value)) {
        reply_error(reply, 400, "%s: expected a string, got %s", field, jsontype_name(value));
        return -1;
    }
    const char *s = json_string_value(value);
    if (strlen(s) != json_string_length(value)) {
        reply_error(reply, 400, "%s: must not contain NUL characters", field);
        return -1;
    }
    size_t chars = utf8_chars(s);
    if (chars > max_chars) {
        reply_error(reply, 400, "%s: expected at most %zu characters, got %zu", field, max_chars, chars);
        return -1;
    }
    *out = s;
    return 0;
}

int body_email(const mock_request *req, mock_reply *reply, const char *field,
               const char **out)
{
    const char *email = NULL;
    if (body_string(req, reply, field, API_MAX_EMAIL_BYTES, &email) != 0)
        return -1;
    if (email == NULL)
        return 0;
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || strchr(at + 1, '.') == NULL || strchr(email, ' ') != NULL) {
        reply_error(reply, 400, "%s: expected an e-mail address such as dev@example.com, got \"%s\"", field, email);
        return -1;
    }
    *out = email;
    return 0;
}

void reply_not_durable(mock_reply *reply, int error)
{
    reply_error(reply, 500, "Internal error: the change was made but could not be written to the state file "
                "(%s); it may be lost at the next restart, and later changes are refused until then.",
                strerror(error != 0 ? error : EIO));
}

void request_took_effect(const mock_request *req)
{
    /* A hook, not a call into routes.c: handlers stay below the table. */
    if (req->took_effect != NULL)
        req->took_effect(req);
}
