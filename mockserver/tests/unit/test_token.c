/* token: well-formed download ids, all distinct across many pool refills
 * and across threads, and a forked child that does not repeat its
 * parent's next ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/token.h"

/* Ten pools' worth of tokens per thread, so that every refill is crossed. */
#define PER_THREAD (10 * TOKEN_POOL_BYTES / TOKEN_RANDOM_BYTES + 3)
#define THREADS 3

typedef char token_text[TOKEN_LEN + 1];

static token_text made[THREADS][PER_THREAD];

static int well_formed(const char *t)
{
    if (strlen(t) != TOKEN_LEN || memcmp(t, "exp_", 4) != 0)
        return 0;
    for (size_t i = 4; i < TOKEN_LEN; i++)
        if (strchr("0123456789abcdef", t[i]) == NULL || t[i] == '\0')
            return 0;
    return 1;
}

static int compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void *make_tokens(void *arg)
{
    token_text *out = arg;
    for (size_t i = 0; i < PER_THREAD; i++)
        if (token_new(out[i]) != 0)
            return out;          /* non-NULL: failed */
    return NULL;
}

static void test_distinct_and_well_formed(void **state)
{
    (void)state;
    pthread_t threads[THREADS];
    for (size_t t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, make_tokens, made[t]), 0);
    for (size_t t = 0; t < THREADS; t++) {
        void *failed = NULL;
        assert_int_equal(pthread_join(threads[t], &failed), 0);
        assert_null(failed);
    }
    token_text *all = &made[0][0];
    size_t n = (size_t)THREADS * PER_THREAD;
    for (size_t i = 0; i < n; i++)
        assert_true(well_formed(all[i]));
    qsort(all, n, sizeof *all, compare);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(all[i - 1], all[i]);
}

/* Without the fork handler, the child's first token is the parent's next
 * one: both come from the same bytes of the same pool. */
static void test_fork_child_does_not_repeat(void **state)
{
    (void)state;
    token_text first, parent_next, child_first = "";
    assert_int_equal(token_new(first), 0);   /* the pool now holds fresh bytes */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        token_text t = "";
        int ok = token_new(t) == 0 && write(fds[1], t, sizeof t) == (ssize_t)sizeof t;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], child_first, sizeof child_first), (ssize_t)sizeof child_first);
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(token_new(parent_next), 0);
    assert_true(well_formed(child_first));
    assert_string_not_equal(child_first, parent_next);
    assert_string_not_equal(child_first, first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distinct_and_well_formed),
        cmocka_unit_test(test_fork_child_does_not_repeat),
    };
    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
