/* What Ctrl-C prints. While a command waits or spends, it keeps a note of
 * what it started (audience, enrichment, credits) and how to resume; on
 * SIGINT the handler writes that note to stderr and exits 130 at once. The
 * note is written from the handler with write(2) only, so it is safe
 * whatever the main flow was doing (inside libcurl, or sleeping). */
#ifndef DESCOVO_CLI_INTERRUPT_H
#define DESCOVO_CLI_INTERRUPT_H

/* Installs the SIGINT handler. Returns 0, or -1 when sigaction fails. */
int interrupt_install(void);

/* Replaces the note (printf-style; cut at 2 KiB). Not reentrant: call it
 * from the main flow only. An empty format clears it. */
void interrupt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
