/* Errors, warnings and the request log, on stderr. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ui.h"

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    ui_break_line();
    fputs("descovo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int report_exit_code(descovo_error_class cls)
{
    static const int codes[] = {
        [DESCOVO_OK] = 0,
        [DESCOVO_ERR_AUTH] = EXIT_AUTH,
        [DESCOVO_ERR_NOT_FOUND] = EXIT_NOT_FOUND,
        [DESCOVO_ERR_INVALID_STATE] = EXIT_INVALID_STATE,
        [DESCOVO_ERR_VALIDATION] = EXIT_VALIDATION,
        [DESCOVO_ERR_CREDITS] = EXIT_CREDITS,
        [DESCOVO_ERR_QUOTA] = EXIT_QUOTA,
        [DESCOVO_ERR_RATE_LIMITED] = EXIT_RATE_LIMITED,
        [DESCOVO_ERR_SERVER] = EXIT_SERVER,
        [DESCOVO_ERR_NETWORK] = EXIT_NETWORK,
        [DESCOVO_ERR_PROTOCOL] = EXIT_INTERNAL,
        [DESCOVO_ERR_FAILED] = EXIT_FAILED,
        [DESCOVO_ERR_TIMEOUT] = EXIT_TIMEOUT,
        [DESCOVO_ERR_IO] = EXIT_IO,
        [DESCOVO_ERR_USAGE] = EXIT_USAGE,
        [DESCOVO_ERR_OOM] = EXIT_INTERNAL,
        [DESCOVO_ERR_NOT_A_MOCK] = EXIT_USAGE,
    };
    if ((size_t)cls >= sizeof codes / sizeof codes[0])
        return EXIT_INTERNAL;
    return codes[cls];
}

int cli_fail(cli *app, const char *what)
{
    const descovo_error *err = descovo_last_error(app->client);
    char status[32] = "";
    if (err->http_status != 0)
        snprintf(status, sizeof status, "HTTP %ld, ", err->http_status);
    if (app->opt.json) {
        json_t *j = json_pack("{s:{s:s, s:s, s:i, s:s, s:i}}", "error", "what", what,
                              "class", descovo_error_class_name(err->cls), "httpStatus", (int)err->http_status,
                              "message", err->message, "attempts", err->attempts);
        json_t *e = json_object_get(j, "error");
        if (e != NULL && app->audience_id != NULL)
            json_object_set_new(e, "audienceId", json_string(app->audience_id));
        if (e != NULL && app->resume_hint[0] != '\0')
            json_object_set_new(e, "resume", json_string(app->resume_hint));
        if (j != NULL)
            ui_print_json(j);
        json_decref(j);
    }
    ui_break_line();
    fprintf(stderr, "descovo: %s: %s (%s%s)\n", what, err->message, status, descovo_error_class_name(err->cls));
    if (err->cls == DESCOVO_ERR_RATE_LIMITED && err->retry_after >= 0)
        fprintf(stderr, "descovo: the service asks to retry after %ld s\n", err->retry_after);
    return report_exit_code(err->cls);
}

static void print_warnings(const json_t *warnings)
{
    size_t i;
    const json_t *w;
    json_array_foreach(warnings, i, w) {
        const char *field = json_string_value(json_object_get(w, "field"));
        const char *message = json_string_value(json_object_get(w, "message"));
        if (message == NULL)
            message = json_is_string(w) ? json_string_value(w) : "(no message)";
        if (field != NULL)
            fprintf(stderr, "descovo: warning: %s: %s\n", field, message);
        else
            fprintf(stderr, "descovo: warning: %s\n", message);
    }
}

/* "58 s", "1.5 s", "250 ms". */
static void format_wait(int64_t ms, char *buf, size_t size)
{
    if (ms >= 10000 || ms % 1000 == 0)
        snprintf(buf, size, "%lld s", (long long)((ms + 500) / 1000));
    else if (ms >= 1000)
        snprintf(buf, size, "%.1f s", (double)ms / 1000.0);
    else
        snprintf(buf, size, "%lld ms", (long long)ms);
}

/* "429" or "no answer (Connection refused)". */
static void format_outcome(const descovo_event *ev, char *buf, size_t size)
{
    if (ev->http_status != 0)
        snprintf(buf, size, "%ld", ev->http_status);
    else
        snprintf(buf, size, "no answer (%s)", ev->error);
}

void report_event(void *ctx, const descovo_event *ev)
{
    const cli *app = ctx;
    int verbose = app->opt.verbose;
    char outcome[320];
    char wait[32];
    format_outcome(ev, outcome, sizeof outcome);
    switch (ev->kind) {
    case DESCOVO_EVENT_RESPONSE:
        if (verbose) {
            ui_break_line();
            fprintf(stderr, "descovo: %s %s -> %s, %lld ms (attempt %d of %d)\n", ev->method, ev->path, outcome,
                    (long long)ev->duration_ms, ev->attempt, ev->max_attempts);
        }
        if (ev->warnings != NULL && json_array_size(ev->warnings) > 0) {
            ui_break_line();
            print_warnings(ev->warnings);
        }
        break;
    case DESCOVO_EVENT_RETRY:
        if (verbose || app->opt.tty_err) {
            format_wait(ev->delay_ms, wait, sizeof wait);
            ui_break_line();
            fprintf(stderr, "descovo: %s on %s %s: retrying in %s (attempt %d of %d)%s%s\n", outcome, ev->method,
                    ev->path, wait, ev->attempt + 1, ev->max_attempts, verbose ? ": " : "",
                    verbose ? ev->reason : "");
        }
        break;
    case DESCOVO_EVENT_GIVE_UP:
        if (verbose && ev->http_status != 200) {
            ui_break_line();
            fprintf(stderr, "descovo: %s on %s %s: not retried: %s\n", outcome, ev->method, ev->path, ev->reason);
        }
        break;
    }
    fflush(stderr);
}
