/* Two note buffers: the main flow writes the one not in use, then flips
 * `current`, so the handler never reads a half-written note. */
#include "interrupt.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOTE_MAX 2048

static char notes[2][NOTE_MAX];
static volatile sig_atomic_t current;

static void write_all(const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void on_sigint(int sig)
{
    (void)sig;
    static const char head[] = "\ndescovo: interrupted.";
    write_all(head, sizeof head - 1);
    const char *note = notes[current];
    size_t len = strlen(note);
    if (len > 0) {
        write_all(" ", 1);
        write_all(note, len);
    }
    write_all("\n", 1);
    _exit(130);
}

int interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGINT, &sa, NULL);
}

void interrupt_note(const char *fmt, ...)
{
    int next = current ? 0 : 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(notes[next], NOTE_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        notes[next][0] = '\0';
    current = next;
}
