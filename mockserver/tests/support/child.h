/* child: the descovo-mock binary as a child process, for tests that kill
 * it (SIGKILL), restart it, or read what it writes. */
#ifndef DESCOVO_TEST_CHILD_H
#define DESCOVO_TEST_CHILD_H

#include <sys/types.h>

typedef struct child {
    pid_t pid;
    int out;                     /* its stdout and stderr, for reading */
    char url[128];               /* from its first line */
} child;

/* Starts the binary with args (after argv[0], NULL-terminated), stdout and
 * stderr on a pipe, and reads its first line into first_line: the URL, or
 * why it refused to start. in_child (may be NULL) runs in the child just
 * before exec. Returns 0 when the line names a URL, -1 otherwise (the
 * child may still be running: wait for it). */
int child_start(const char *const *args, void (*in_child)(void), child *c, char *first_line, size_t size);

/* Waits up to 30 s for the child to exit: its exit status, 128 + the
 * signal that killed it, or -1 after killing it for taking too long. */
int child_wait(pid_t pid);

/* SIGKILL, wait, close the pipe. */
void child_kill(child *c);

#endif
