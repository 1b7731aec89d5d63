/* The run's state file: one JSON object, replaced atomically. */
#include "runstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "report.h"

#define STATE_VERSION 1

/* FNV-1a of the job file, so a resume notices an edited job. */
static int job_digest(const char *path, char out[17])
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cli_error(EXIT_USAGE, "%s: %s", path, strerror(errno));
    uint64_t h = 1469598103934665603ULL;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        h ^= (unsigned char)ch;
        h *= 1099511628211ULL;
    }
    fclose(f);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return 0;
}

/* DIR/BASE.run-state.json, BASE the job file's name without ".json". */
static int state_path(const cli *app, const char *job_file, char *out, size_t size)
{
    const char *base = strrchr(job_file, '/');
    base = base != NULL ? base + 1 : job_file;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    char name[512];
    int n = snprintf(name, sizeof name, "%.*s.run-state.json", (int)len, base);
    if (n < 0 || (size_t)n >= sizeof name)
        return cli_error(EXIT_USAGE, "%s: name too long", job_file);
    return files_join(app->opt.out_dir, name, out, size);
}

static const char *base_url_of(const cli *app)
{
    return app->opt.base_url != NULL ? app->opt.base_url : DESCOVO_DEFAULT_BASE_URL;
}

int runstate_open(cli *app, const char *job_file, runstate *st)
{
    char digest[17];
    memset(st, 0, sizeof *st);
    int rc = job_digest(job_file, digest);
    if (rc == 0)
        rc = state_path(app, job_file, st->path, sizeof st->path);
    if (rc != 0)
        return rc;
    json_t *old = NULL;
    if (access(st->path, F_OK) == 0) {
        old = files_load_object(st->path);
        if (old == NULL)
            return cli_error(EXIT_USAGE, "%s: not a state file of descovo run; delete it to start over", st->path);
    }
    int finished = old != NULL && json_is_true(json_object_get(old, "done"));
    /* A run refused before its first step (a bad key, --mock-clock against
     * a real clock) started nothing: no reason to insist on --resume. */
    int started = old != NULL && (json_integer_value(json_object_get(old, "step")) > 0 ||
                                  json_is_string(json_object_get(old, "pending")));
    if (!app->opt.resume) {
        if (started && !finished) {
            const char *id = json_string_value(json_object_get(old, "audienceId"));
            rc = cli_error(EXIT_USAGE, "%s records an unfinished run of this job (audience %s): go on with "
                           "--resume, or delete the file to start over", st->path, id != NULL ? id : "not created yet");
            json_decref(old);
            return rc;
        }
        json_decref(old);
        st->doc = json_pack("{s:i, s:s, s:s, s:s, s:i, s:n, s:b}", "version", STATE_VERSION, "job", job_file,
                            "jobDigest", digest, "baseUrl", base_url_of(app), "step", 0, "pending", "done", 0);
        if (st->doc == NULL)
            return cli_error(EXIT_INTERNAL, "out of memory");
        return 0;
    }
    if (old == NULL)
        return cli_error(EXIT_USAGE, "--resume: no state file %s (a run of %s keeps one in its --out folder)",
                         st->path, job_file);
    const char *was = json_string_value(json_object_get(old, "jobDigest"));
    const char *url = json_string_value(json_object_get(old, "baseUrl"));
    if (was == NULL || strcmp(was, digest) != 0)
        rc = cli_error(EXIT_USAGE, "--resume: %s changed since the run recorded in %s; delete that file to start over",
                       job_file, st->path);
    else if (url == NULL || strcmp(url, base_url_of(app)) != 0)
        rc = cli_error(EXIT_USAGE, "--resume: the run recorded in %s went to %s, not %s: pass --base-url %s",
                       st->path, url != NULL ? url : "?", base_url_of(app), url != NULL ? url : "?");
    if (rc != 0) {
        json_decref(old);
        return rc;
    }
    st->doc = old;
    return 0;
}

void runstate_close(runstate *st)
{
    json_decref(st->doc);
    st->doc = NULL;
}

int runstate_save(runstate *st)
{
    char *text = json_dumps(st->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        return cli_error(EXIT_INTERNAL, "out of memory");
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (line == NULL) {
        free(text);
        return cli_error(EXIT_INTERNAL, "out of memory");
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    int rc = files_write_atomic(st->path, line);
    free(line);
    return rc;
}

int runstate_step(runstate *st, int step)
{
    json_object_set_new(st->doc, "step", json_integer(step));
    json_object_set_new(st->doc, "pending", json_null());
    if (step == RUN_PROSPECTS)
        json_object_set_new(st->doc, "done", json_true());
    return runstate_save(st);
}

int runstate_pending(runstate *st, const char *what)
{
    json_object_set_new(st->doc, "pending", json_string(what));
    return runstate_save(st);
}

int runstate_last_step(const runstate *st)
{
    return (int)json_integer_value(json_object_get(st->doc, "step"));
}

const char *runstate_pending_of(const runstate *st)
{
    return json_string_value(json_object_get(st->doc, "pending"));
}
