#include "child.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int child_start(const char *const *args, void (*in_child)(void), child *c, char *first_line, size_t size)
{
    char *argv[64];
    size_t n_args = 0;
    argv[n_args++] = "descovo-mock";
    for (size_t i = 0; args[i] != NULL && n_args + 1 < sizeof argv / sizeof argv[0]; i++)
        argv[n_args++] = (char *)args[i];
    argv[n_args] = NULL;
    int fds[2];
    memset(c, 0, sizeof *c);
    c->pid = -1;
    c->out = -1;
    first_line[0] = '\0';
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (in_child != NULL)
            in_child();
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(DESCOVO_MOCK_BINARY, argv);
        _exit(127);
    }
    close(fds[1]);
    c->pid = pid;
    c->out = fds[0];
    size_t n = 0;
    while (n + 1 < size) {
        struct pollfd p = {c->out, POLLIN, 0};
        if (poll(&p, 1, 30000) <= 0)
            break;
        ssize_t got = read(c->out, first_line + n, 1);
        if (got <= 0)
            break;
        if (first_line[n++] == '\n')
            break;
    }
    first_line[n] = '\0';
    const char *at = strstr(first_line, "http://");
    if (at == NULL)
        return -1;
    snprintf(c->url, sizeof c->url, "%.*s", (int)strcspn(at, " \n"), at);
    return 0;
}

int child_wait(pid_t pid)
{
    int status = 0;
    for (int i = 0; i < 3000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

void child_kill(child *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = -1;
    }
    if (c->out >= 0)
        close(c->out);
    c->out = -1;
}
