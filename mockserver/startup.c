#include "startup.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *clock_name(const mock_options *options)
{
    return options->clock_mode == MOCK_CLOCK_MANUAL ? "manual" : "real";
}

/* {url, port, pid, version}: the part shared by the JSON line and the ready file. */
static json_t *identity(const mock_app *app)
{
    return json_pack("{s:s, s:i, s:I, s:s}", "url", mock_app_base_url(app), "port", (int)mock_app_port(app),
                     "pid", (json_int_t)getpid(), "version", DESCOVO_VERSION);
}

void startup_print_listening(FILE *out, const mock_options *options, const mock_app *app)
{
    const dataset *ds = mock_app_dataset(app);
    char *text = NULL;
    if (options->log_json) {
        json_t *line = json_pack("{s:s}", "event", "listening");
        json_t *id = identity(app);
        json_t *rest = json_pack("{s:I, s:I, s:I, s:s}", "seed", (json_int_t)options->seed,
                                 "companies", (json_int_t)ds->n_companies,
                                 "prospects", (json_int_t)ds->n_prospects, "clock", clock_name(options));
        if (line != NULL && id != NULL && rest != NULL && json_object_update(line, id) == 0 &&
            json_object_update(line, rest) == 0)
            text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(rest);
        json_decref(id);
        json_decref(line);
    }
    if (text != NULL)
        fprintf(out, "%s\n", text);
    else
        fprintf(out, "descovo-mock %s listening on %s (seed %llu, %zu companies, %zu prospects, %s clock)\n",
                DESCOVO_VERSION, mock_app_base_url(app), (unsigned long long)options->seed,
                ds->n_companies, ds->n_prospects, clock_name(options));
    free(text);
    fflush(out);
}

void startup_print_stopping(FILE *out, const mock_options *options, int sig)
{
    if (options->quiet)
        return;
    const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (options->log_json)
        fprintf(out, "{\"event\":\"stopping\",\"signal\":\"%s\"}\n", name);
    else
        fprintf(out, "descovo-mock: %s received, stopping\n", name);
    fflush(out);
}

int startup_write_ready_file(const mock_options *options, const mock_app *app, char *err, size_t errlen)
{
    if (options->ready_file == NULL)
        return 0;
    int rc = -1;
    char *text = NULL;
    FILE *f;
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", options->ready_file, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(err, errlen, "--ready-file: the path is too long");
        return -1;
    }
    json_t *ready = identity(app);
    text = ready != NULL ? json_dumps(ready, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(ready);
    if (text == NULL) {
        snprintf(err, errlen, "--ready-file: out of memory");
        goto out;
    }
    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "--ready-file: cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    int written = fprintf(f, "%s\n", text);
    int closed = fclose(f);
    if (written < 0 || closed != 0) {
        snprintf(err, errlen, "--ready-file: cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, options->ready_file) != 0) {
        snprintf(err, errlen, "--ready-file: cannot rename %s to %s: %s", tmp, options->ready_file, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

void startup_remove_ready_file(const mock_options *options)
{
    if (options->ready_file != NULL)
        unlink(options->ready_file);
}
