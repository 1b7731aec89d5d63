/* har_journal: the crash-safe way a recording reaches its HAR file.
 *
 * While recording, each exchange is one line of JSON (a HAR 1.2 entry)
 * appended to FILE.har.journal with write(2) as soon as its answer has been
 * sent; the first line names the creator. The lines are in the kernel once
 * write returns, so a killed proxy (even SIGKILL) loses nothing; a flusher
 * thread fdatasyncs the journal every HAR_JOURNAL_SYNC_MS when it changed,
 * so a power cut loses at most that much. At a clean stop (SIGINT,
 * SIGTERM) har_recorder_close turns the journal into FILE.har (written to
 * FILE.har.tmp, synced, renamed) and removes it; `--verify FILE.har` does
 * the same when it finds a journal left by a proxy that never stopped. A
 * last line cut short by the crash is dropped, and said so.
 *
 * Thread-safe: har_recorder_add may be called from any thread. */
#ifndef DESCOVO_HAR_JOURNAL_H
#define DESCOVO_HAR_JOURNAL_H

#include <jansson.h>
#include <stddef.h>

#define HAR_JOURNAL_SYNC_MS 100
#define HAR_JOURNAL_SUFFIX ".journal"

typedef struct har_recorder har_recorder;

/* Starts a journal for har_path. Refuses (NULL, message in err) when a
 * journal of an unfinished recording is already there, so that it is
 * never overwritten. */
har_recorder *har_recorder_open(const char *har_path, const char *creator_version,
                                char *err, size_t errlen);

/* Appends one entry (borrowed). Returns 0 or -1 (write error or out of
 * memory: the entry is lost, and the error is counted). */
int har_recorder_add(har_recorder *rec, const json_t *entry);

/* Entries written so far, and writes that failed. */
size_t har_recorder_count(har_recorder *rec, size_t *failed);

/* Syncs and closes the journal, completes it into har_path and frees the
 * recorder (also on error). Returns the number of entries, or -1 with a
 * message in err. Accepts NULL (returns 0). */
long har_recorder_close(har_recorder *rec, char *err, size_t errlen);

/* Completes har_path from its journal, if there is one. Returns the number
 * of entries written, -2 when there is no journal (nothing done), or -1
 * with a message in err. *dropped (may be NULL) gets the number of cut
 * lines left out. */
long har_journal_complete(const char *har_path, size_t *dropped, char *err, size_t errlen);

#endif
