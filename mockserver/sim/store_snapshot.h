/* store_snapshot: the whole state of the store as lines of JSON, and
 * back: the snapshot that opens a compacted state file (persist.h,
 * "Compaction"), so that a restart restores it instead of replaying the
 * history that made it.
 *
 * Written, one object a line: the id sequences and the settings when a
 * scenario changed them ({"store"}); every account, disabled ones
 * included, with its credits, quotas, initial values, clock, own settings
 * and ledger ({"account"}); its audiences in creation order, filters as
 * given, status, build times and cost, failure, holds, enrichment and
 * revealed contacts ({"audience"}); the order of its pending work
 * ({"pending"}); its export files by ring slot, with their rows
 * ({"export"}); the outbox, oldest first ({"outbox"}). Not written, as a
 * replay of the log does not rebuild them either: rate windows, idle
 * expiry times (a restart counts every tenant as used then) and
 * tombstones; downloads in progress; fault rules and the journal (not the
 * store's).
 *
 * A build's result (its companies and prospects) is not written: it is a
 * function of the dataset and the filters, recomputed at restore with the
 * same filters_run a build runs and checked against the counts written.
 *
 * Every field read back is checked (type, range, known names); a line
 * that fails gives -1 with the object and field in why. */
#ifndef DESCOVO_STORE_SNAPSHOT_H
#define DESCOVO_STORE_SNAPSHOT_H

#include <stddef.h>

#include "sim/store.h"
#include "text/strbuf.h"

/* Lock held, and no work outside it (store_work_alone_begin: no build
 * runs its filters). Appends the state to out, one line per object, each
 * ending with a newline. Returns the number of lines; out->oom is set
 * when memory ran out (the text is then incomplete).
 * link_base (may be NULL): the server's URL, which links in e-mails
 * start with; they are written without it and restored with the URL of
 * the server that restores them, as a replay would write them. */
size_t store_snapshot_write(store *st, const char *link_base, strbuf *out);

/* Lock held. Empties the store before the lines of a snapshot are
 * restored into it: drops every audience, export and outbox message
 * (accounts stay, to be overwritten by the snapshot's). */
void store_snapshot_restore_begin(store *st);

/* Lock held, after store_snapshot_restore_begin. Restores one line (the
 * JSON object, len bytes, without its newline). Lines come in the order
 * store_snapshot_write wrote them. Returns 0, or -1 with why naming the
 * object and the field that is wrong, or the result that differs. */
int store_snapshot_restore_line(store *st, const char *link_base, const char *line, size_t len, char *why,
                                size_t whylen);

#endif
