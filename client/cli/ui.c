/* What the user sees: progress while waiting (a bar on a terminal, plain
 * lines otherwise, always on stderr), questions, and JSON on stdout. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define BAR_WIDTH 30

/* What a wait has drawn so far. */
typedef struct progress_state {
    const cli *app;
    const char *what;             /* "build", "enrichment" */
    char last[64];
    int last_percent;
    int drawn;                    /* a bar is on screen (terminal) */
} progress_state;

static void draw(progress_state *p, const char *status, int percent, int64_t elapsed_ms)
{
    long seconds = (long)(elapsed_ms / 1000);
    if (p->app->opt.tty_err) {
        char bar[BAR_WIDTH + 1];
        int filled = percent < 0 ? 0 : percent * BAR_WIDTH / 100;
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[BAR_WIDTH] = '\0';
        if (percent >= 0)
            fprintf(stderr, "\r%-10s [%s] %3d%% %-34s %4lds", p->what, bar, percent, status, seconds);
        else
            fprintf(stderr, "\r%-10s %-34s %4lds", p->what, status, seconds);
        p->drawn = 1;
    } else if (strcmp(p->last, status) != 0 || p->last_percent != percent) {
        /* Plain lines, one per change, for logs and pipes. */
        if (percent >= 0)
            fprintf(stderr, "%s: %s %d%% (%ld s)\n", p->what, status, percent, seconds);
        else
            fprintf(stderr, "%s: %s (%ld s)\n", p->what, status, seconds);
    }
    fflush(stderr);
    snprintf(p->last, sizeof p->last, "%s", status);
    p->last_percent = percent;
}

static void on_progress(void *ctx, const char *status, int percent, int64_t elapsed_ms)
{
    draw(ctx, status, percent, elapsed_ms);
}

/* Fills w from --interval/--timeout, with a progress display for `what`. */
static void wait_options(cli *app, progress_state *p, const char *what, descovo_wait_options *w)
{
    memset(p, 0, sizeof *p);
    p->app = app;
    p->what = what;
    p->last_percent = -2;
    descovo_wait_options_init(w);
    w->interval_ms = (int64_t)(app->opt.interval_s * 1000.0);
    w->timeout_ms = (int64_t)(app->opt.timeout_s * 1000.0);
    w->progress = on_progress;
    w->progress_ctx = p;
}

static void progress_end(progress_state *p)
{
    if (p->drawn) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
}

int ui_wait_build(cli *app, const char *id, descovo_audience *aud)
{
    progress_state p;
    descovo_wait_options w;
    wait_options(app, &p, "build", &w);
    int rc = descovo_wait_build(app->client, id, &w, aud);
    progress_end(&p);
    return rc;
}

int ui_wait_enrichment(cli *app, const char *id, descovo_enrichment_progress *st)
{
    progress_state p;
    descovo_wait_options w;
    wait_options(app, &p, "enrichment", &w);
    int rc = descovo_wait_enrichment(app->client, id, &w, st);
    progress_end(&p);
    return rc;
}

int ui_ask_yes(const char *question)
{
    char line[32];
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    if (fgets(line, sizeof line, stdin) == NULL)
        return 0;
    line[strcspn(line, "\r\n")] = '\0';
    return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

void ui_print_json(const json_t *value)
{
    if (json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
        fputc('\n', stdout);
    fflush(stdout);
}

json_t *ui_load_json(const char *path)
{
    json_error_t error;
    json_t *value = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &error)
                                           : json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (value == NULL) {
        if (error.line < 0)
            cli_error(EXIT_USAGE, "%s: %s", path, error.text);
        else
            cli_error(EXIT_USAGE, "%s:%d:%d: %s", path, error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(value)) {
        cli_error(EXIT_USAGE, "%s: expected a JSON object", path);
        json_decref(value);
        return NULL;
    }
    return value;
}
