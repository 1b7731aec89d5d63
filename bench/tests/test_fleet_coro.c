/* fleet_coro: coroutines interleave as resumed, keep their locals and the
 * callee-saved registers of whoever resumed them, keep their own
 * floating-point rounding mode, and finish once. Built twice: with the
 * x86-64 switch (where there is one) and with ucontext. */
#include <fenv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleet_coro.h"

#define STACK (64 * 1024)

typedef struct counter {
    fc_coro *self;
    int id;
    int steps;             /* how many times it yields */
    char *log;             /* shared: who ran in which order */
    double sum;            /* a local's worth of floating point across yields */
} counter;

static void count(void *arg)
{
    counter *c = arg;
    volatile double x = c->id; /* lives on the coroutine's stack */
    char local[32];
    memset(local, 'a' + c->id, sizeof local);
    for (int i = 0; i < c->steps; i++) {
        size_t n = strlen(c->log);
        c->log[n] = (char)('0' + c->id);
        c->log[n + 1] = '\0';
        x += 0.5;
        fc_yield(c->self);
        for (size_t k = 0; k < sizeof local; k++)
            assert_int_equal(local[k], 'a' + c->id);
    }
    c->sum = x;
}

static void test_interleave_and_finish(void **state)
{
    (void)state;
    char log[64] = "";
    counter a = {.id = 1, .steps = 3, .log = log}, b = {.id = 2, .steps = 2, .log = log};
    a.self = fc_new(count, &a, STACK);
    b.self = fc_new(count, &b, STACK);
    assert_non_null(a.self);
    assert_non_null(b.self);
    /* Values in callee-saved registers of the resumer survive. */
    volatile uint64_t mine = 0x1234567890abcdefULL;
    for (int round = 0; round < 4; round++) {
        fc_resume(a.self);
        fc_resume(b.self);
    }
    assert_int_equal(mine, 0x1234567890abcdefULL);
    assert_string_equal(log, "12121");
    assert_true(fc_finished(a.self));
    assert_true(fc_finished(b.self));
    assert_true(a.sum == 2.5);
    assert_true(b.sum == 3.0);
    /* Resuming a finished coroutine does nothing. */
    fc_resume(a.self);
    assert_string_equal(log, "12121");
    fc_free(a.self);
    fc_free(b.self);
    fc_free(NULL);
}

typedef struct rounding {
    fc_coro *self;
    int kept;              /* the coroutine found its own mode again */
} rounding;

static void round_up(void *arg)
{
    rounding *r = arg;
    fesetround(FE_UPWARD);
    fc_yield(r->self);
    r->kept = fegetround() == FE_UPWARD;
}

/* The rounding mode is part of what a switch saves, both ways. */
static void test_float_control(void **state)
{
    (void)state;
    rounding r = {NULL, 0};
    r.self = fc_new(round_up, &r, STACK);
    assert_non_null(r.self);
    fesetround(FE_TONEAREST);
    fc_resume(r.self);
    assert_int_equal(fegetround(), FE_TONEAREST);
    fc_resume(r.self);
    assert_int_equal(r.kept, 1);
    assert_int_equal(fegetround(), FE_TONEAREST);
    assert_true(fc_finished(r.self));
    fc_free(r.self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interleave_and_finish),
        cmocka_unit_test(test_float_control),
    };
    print_message("fleet_coro: %s\n", fc_kind());
    return cmocka_run_group_tests_name("fleet_coro", tests, NULL, NULL);
}
