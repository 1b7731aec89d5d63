/* fleet_coro: the fleet's coroutines, one per tenant, resumed by the
 * worker thread that owns them when the tenant's answer is in.
 *
 * glibc's swapcontext makes two rt_sigprocmask system calls per switch
 * (four per request: a fifth of the own client's system calls). The
 * coroutines never touch the signal mask, so on x86-64 a switch here only
 * saves and restores the callee-saved registers, the stack pointer and
 * the floating-point control words (a few nanoseconds, no system call);
 * elsewhere, or built with FLEET_CORO_UCONTEXT, it is ucontext.
 *
 * Ownership: a coroutine owns its stack; fc_free releases both and
 * accepts NULL. Threads: a coroutine is resumed only by the thread that
 * created it, one at a time; nothing here locks. */
#ifndef FLEET_CORO_H
#define FLEET_CORO_H

#include <stddef.h>

typedef struct fc_coro fc_coro;

/* A coroutine that will run entry(arg) on a stack of stack_bytes when
 * first resumed. NULL when out of memory. */
fc_coro *fc_new(void (*entry)(void *arg), void *arg, size_t stack_bytes);
void fc_free(fc_coro *c);

/* Runs c until it yields or its entry returns. Called from outside any
 * coroutine (the worker's own stack); resuming a finished coroutine does
 * nothing. */
void fc_resume(fc_coro *c);

/* From inside c's entry: back to whoever resumed it. */
void fc_yield(fc_coro *c);

/* 1 once c's entry has returned. */
int fc_finished(const fc_coro *c);

/* "asm" or "ucontext": how this build switches (for the report). */
const char *fc_kind(void);

#endif
