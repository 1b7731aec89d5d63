/* fdwrite_all: everything arrives, through writes the kernel cuts short;
 * a failing descriptor is an error with errno. fdwrite_at: at its offset,
 * the file position left alone. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "text/fdwrite.h"

#define BIG (1024 * 1024) /* many times a pipe's buffer */

typedef struct drain {
    int fd;
    unsigned char *got;
    size_t len;
} drain;

/* Reads the pipe in small pieces until its write end is closed. */
static void *drain_pipe(void *arg)
{
    drain *d = arg;
    for (;;) {
        ssize_t n = read(d->fd, d->got + d->len, d->len + 1000 <= BIG ? 1000 : BIG - d->len);
        if (n <= 0)
            break;
        d->len += (size_t)n;
        if (d->len == BIG)
            break;
    }
    return NULL;
}

static void test_all_bytes_arrive(void **state)
{
    (void)state;
    unsigned char *data = malloc(BIG);
    unsigned char *got = malloc(BIG);
    assert_non_null(data);
    assert_non_null(got);
    for (size_t i = 0; i < BIG; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    drain d = {fds[0], got, 0};
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, NULL, drain_pipe, &d), 0);
    assert_int_equal(fdwrite_all(fds[1], data, BIG), 0);
    close(fds[1]);
    pthread_join(reader, NULL);
    close(fds[0]);
    assert_int_equal(d.len, BIG);
    assert_memory_equal(got, data, BIG);
    free(data);
    free(got);
}

static void test_nothing_to_write(void **state)
{
    (void)state;
    assert_int_equal(fdwrite_all(-1, "", 0), 0); /* no write at all */
}

static void test_errors_keep_errno(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(fdwrite_all(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(fdwrite_all(fd, "x", 1), -1); /* not open for writing */
    assert_int_equal(errno, EBADF);
    close(fd);
}

static void test_write_at_offset(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/descovo-fdwrite-%ld", getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(fdwrite_all(fd, "abcdef", 6), 0);
    assert_int_equal(fdwrite_at(fd, "XY", 2, 2), 0);
    assert_int_equal(fdwrite_at(fd, "Z", 1, 8), 0); /* past the end: a hole of zeros before it */
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
    char got[9];
    assert_int_equal(pread(fd, got, sizeof got, 0), 9);
    assert_memory_equal(got, "abXYef\0\0Z", 9);
    errno = 0;
    assert_int_equal(fdwrite_at(-1, "x", 1, 0), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(fdwrite_at(-1, "", 0, 0), 0);
    errno = 0;
    assert_int_equal(fdwrite_at(fd, "x", 1, -1), -1);
    assert_int_equal(errno, EINVAL);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_bytes_arrive),
        cmocka_unit_test(test_nothing_to_write),
        cmocka_unit_test(test_errors_keep_errno),
        cmocka_unit_test(test_write_at_offset),
    };
    return cmocka_run_group_tests_name("fdwrite", tests, NULL, NULL);
}
