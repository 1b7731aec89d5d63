/* logq: the request log, written by a thread of its own so that a request
 * never waits for its log line.
 *
 * Request threads hand a line to logq_put, which copies it into a bounded
 * ring (LOGQ_CAPACITY bytes) under a short mutex and returns: it never
 * writes, never waits for the reader of the output. The writer thread
 * takes what the ring holds and writes it to the file descriptor, waiting
 * with poll() until the descriptor can take bytes, so that a pipe nobody
 * reads holds up only the writer. When the ring is full a line is dropped
 * and counted; the writer reports the count in the output, as one line
 * ("descovo-mock: N log lines dropped ..."), once it can write again.
 *
 * Threads: logq_put and logq_dropped from any thread; logq_start and
 * logq_stop from one. */
#ifndef DESCOVO_LOGQ_H
#define DESCOVO_LOGQ_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of log lines held while the output is slow (a few thousand lines). */
#define LOGQ_CAPACITY (256 * 1024)
/* How long logq_stop keeps writing what is left before it gives up. */
#define LOGQ_DRAIN_MS 1000

typedef struct logq logq;

/* Starts the writer thread on fd (not closed by logq_stop). Returns NULL
 * when out of memory or no thread can be started. */
logq *logq_start(int fd);

/* Queues one line (without its newline, which is added), or drops and
 * counts it when the ring is full. Never blocks on the output. */
void logq_put(logq *q, const char *line, size_t len);

/* Lines dropped so far. */
uint64_t logq_dropped(logq *q);

/* Writes what is queued (for at most LOGQ_DRAIN_MS), stops the thread and
 * frees; accepts NULL. */
void logq_stop(logq *q);

#endif
