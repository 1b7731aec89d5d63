/* Progress while waiting, the question before spending, JSON on stdout. */
#include "ui.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_MAX 30
#define DEFAULT_COLUMNS 80

/* What a wait has drawn so far. */
typedef struct progress_state {
    const cli *app;
    const char *what;             /* "build", "enrichment" */
    char last[64];
    int last_percent;
} progress_state;

static int bar_drawn;             /* a bar is on screen, its line unfinished */
static volatile sig_atomic_t resized = 1;
static int columns = DEFAULT_COLUMNS;

static void on_sigwinch(int sig)
{
    (void)sig;
    resized = 1;
}

/* The terminal's width, read again after each SIGWINCH. */
static int terminal_columns(void)
{
    if (resized) {
        resized = 0;
        struct winsize ws;
        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            columns = ws.ws_col;
        else
            columns = DEFAULT_COLUMNS;
    }
    return columns;
}

static void watch_resizes(void)
{
    static int installed;
    if (installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigwinch;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGWINCH, &sa, NULL) == 0)
        installed = 1;
}

/* One line that fits `width` columns (one left free, so the cursor never
 * wraps): "what [####----] 42% STATUS 12s", the bar and then the status
 * shortened first. ASCII only, so bytes are columns. */
static void draw_bar(const progress_state *p, const char *status, int percent, long seconds)
{
    int width = terminal_columns() - 1;
    char tail[32];
    if (percent >= 0)
        snprintf(tail, sizeof tail, " %3d%% ", percent);
    else
        snprintf(tail, sizeof tail, " ");
    char secs[24];
    snprintf(secs, sizeof secs, " %lds", seconds);
    int fixed = (int)strlen(p->what) + (int)strlen(tail) + (int)strlen(secs);
    int status_len = (int)strlen(status);
    int room = width - fixed;
    int bar = 0;
    if (percent >= 0) {
        /* The bar gets what the status leaves, up to BAR_MAX. */
        bar = room - status_len - 3;
        if (bar > BAR_MAX)
            bar = BAR_MAX;
        if (bar < 5)
            bar = room - 3 >= 10 ? 5 : 0;
    }
    int status_room = room - (bar > 0 ? bar + 3 : 0);
    if (status_room < 0)
        status_room = 0;
    char line[512];
    int len = 0;
    len += snprintf(line + len, sizeof line - (size_t)len, "%s", p->what);
    if (bar > 0) {
        int filled = percent * bar / 100;
        line[len++] = ' ';
        line[len++] = '[';
        for (int i = 0; i < bar && len < (int)sizeof line - 64; i++)
            line[len++] = i < filled ? '#' : '-';
        line[len++] = ']';
    }
    len += snprintf(line + len, sizeof line - (size_t)len, "%s%.*s%s", tail,
                    status_room < status_len ? status_room : status_len, status, secs);
    if (len > width && width > 0)
        len = width;
    /* Carriage return, the line, and erase what a longer line left. */
    fprintf(stderr, "\r%.*s\033[K", len, line);
    bar_drawn = 1;
}

static void draw(progress_state *p, const char *status, int percent, int64_t elapsed_ms)
{
    long seconds = (long)(elapsed_ms / 1000);
    if (p->app->opt.tty_err) {
        draw_bar(p, status, percent, seconds);
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

/* Fills w from --interval/--wait-timeout, with a progress display for `what`. */
static void wait_options(cli *app, progress_state *p, const char *what, descovo_wait_options *w)
{
    memset(p, 0, sizeof *p);
    p->app = app;
    p->what = what;
    p->last_percent = -2;
    if (app->opt.tty_err)
        watch_resizes();
    descovo_wait_options_init(w);
    w->interval_ms = (int64_t)(app->opt.interval_s * 1000.0);
    w->timeout_ms = (int64_t)(app->opt.wait_timeout_s * 1000.0);
    w->progress = on_progress;
    w->progress_ctx = p;
}

void ui_break_line(void)
{
    if (bar_drawn) {
        fputc('\n', stderr);
        bar_drawn = 0;
    }
}

int ui_wait_build(cli *app, const char *id, descovo_audience *aud)
{
    progress_state p;
    descovo_wait_options w;
    wait_options(app, &p, "build", &w);
    int rc = descovo_wait_build(app->client, id, &w, aud);
    ui_break_line();
    return rc;
}

int ui_wait_enrichment(cli *app, const char *id, descovo_enrichment_progress *st)
{
    progress_state p;
    descovo_wait_options w;
    wait_options(app, &p, "enrichment", &w);
    int rc = descovo_wait_enrichment(app->client, id, &w, st);
    ui_break_line();
    return rc;
}

int ui_ask_yes(const char *question)
{
    char line[32];
    ui_break_line();
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
