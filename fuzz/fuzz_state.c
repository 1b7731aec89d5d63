/* libFuzzer target: a whole state file read back at start. Input: the file's
 * bytes (header, snapshot lines of format 3, logged requests, clock marks),
 * written to a temporary file that a new app opens and replays exactly as
 * --state-file does (persist_open, then mock_app_prepare: persist_replay
 * with store_snapshot_restore_line and routes_replay). A refusal is a fine
 * outcome. A file that is taken is compacted (POST /_mock/state/compact's
 * compactor_run) and restarted from: that restart must take the file too
 * and come back to the same state, snapshot text for snapshot text (a
 * restore that took a value it cannot write back, or wrote one it cannot
 * read, aborts). Besides: ASan, UBSan and leaks. The identity the seeds
 * were written with: seed 42, 60 companies, manual clock. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "sim/compactor.h"
#include "sim/store_snapshot.h"
#include "text/strbuf.h"

#define LINK_BASE "http://127.0.0.1:8080"

static char path[256];

static void remove_file(void)
{
    unlink(path);
}

/* Writes the input as the state file; aborts when it cannot (the machine,
 * not the input). */
static void write_state(const uint8_t *data, size_t size)
{
    if (path[0] == '\0') {
        /* On a tmpfs when there is one: the syncs, and the megabyte of zeros
         * each compaction writes as the new file's tail (sim/persist.h),
         * cost nothing there; on a disk they took 40 % of the time. */
        const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
        if (access("/dev/shm", W_OK) == 0)
            dir = "/dev/shm";
        snprintf(path, sizeof path, "%s/descovo-fuzz-state-%ld.log", dir, (long)getpid());
        atexit(remove_file);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A new app on the state file, replayed; NULL (err set) when refused. */
static mock_app *open_state(char *err, size_t errlen)
{
    mock_options options;
    mock_options_default(&options);
    options.quiet = 1;
    options.port = 0;
    options.clock_mode = MOCK_CLOCK_MANUAL;
    options.companies = 60; /* small: the dataset is generated for every input */
    options.journal_size = 0;
    options.state_file = path;
    options.compact_after = 0; /* compacted only when asked */
    mock_app *app = mock_app_new(&options, err, errlen);
    if (app == NULL)
        return NULL;
    mock_app_set_base_url(app, LINK_BASE);
    if (mock_app_prepare(app, err, errlen) != 0) {
        mock_app_free(app);
        return NULL;
    }
    return app;
}

/* The app's whole state, as a snapshot writes it. */
static void snapshot_of(mock_app *app, strbuf *out)
{
    store *st = mock_app_store(app);
    store_work_alone_begin(st);
    store_lock(st);
    store_snapshot_write(st, LINK_BASE, out);
    store_unlock(st);
    store_work_alone_end(st);
    if (out->oom)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_state(data, size);
    char err[512];
    mock_app *app = open_state(err, sizeof err);
    if (app == NULL)
        return 0;
    strbuf before = STRBUF_INIT;
    snapshot_of(app, &before);
    int64_t pause_us = 0;
    if (compactor_run(mock_app_context(app)->compactor, &pause_us, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_state: a file taken cannot be compacted: %s\n", err);
        abort();
    }
    mock_app_free(app);
    app = open_state(err, sizeof err);
    if (app == NULL) {
        fprintf(stderr, "fuzz_state: the compacted file is refused: %s\n", err);
        abort();
    }
    strbuf after = STRBUF_INIT;
    snapshot_of(app, &after);
    if (after.len != before.len || memcmp(after.data, before.data, before.len) != 0) {
        fprintf(stderr, "fuzz_state: the restart from the compacted file differs\nbefore:\n%.*s\nafter:\n%.*s\n",
                (int)before.len, before.data, (int)after.len, after.data);
        abort();
    }
    strbuf_release(&before);
    strbuf_release(&after);
    mock_app_free(app);
    return 0;
}
