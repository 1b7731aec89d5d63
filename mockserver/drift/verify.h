/* verify: `descovo-mock --verify FILE.har`: replays a recording against a
 * fresh in-process simulator, in order, and reports every difference
 * (docs/DRIFT.md).
 *
 *   - An unfinished recording (FILE.har.journal) is completed first.
 *   - The simulator runs on the manual clock, moved before each entry to the
 *     entry's offset from the first one (times --time-scale, the speed the
 *     recorded service's clock ran at: 1 for the real service).
 *   - Each key of the recording becomes an account of the simulator, with
 *     the credits of its first recorded GET /v1/credits (or of a 402's
 *     availableCredits), else --credits; a key that only ever got 401 gets
 *     none.
 *   - Ids are mapped as they appear (idmap.h); once an entry's status
 *     diverges, the entries naming its audience, enrichment or export are
 *     "not compared: depends on entries[N]".
 *
 * Returns the exit code: 0 no drift outside --known, 1 drift, 2 a bad
 * input file (message on err_out). */
#ifndef DESCOVO_DRIFT_VERIFY_H
#define DESCOVO_DRIFT_VERIFY_H

#include <stdio.h>

#include "app.h"

int drift_verify_main(const mock_options *options, FILE *err_out);

#endif
