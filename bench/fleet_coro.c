/* fleet_coro: coroutines on their own stacks (see the header). */
#include "fleet_coro.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FC_SANITIZED 1
#endif

/* AddressSanitizer follows stack switches only through ucontext. */
#if defined(__x86_64__) && !defined(FLEET_CORO_UCONTEXT) && !defined(FC_SANITIZED)
#define FC_ASM 1
#else
#include <ucontext.h>
#endif

struct fc_coro {
    void (*entry)(void *arg);
    void *arg;
    int finished;
    void *stack;
#ifdef FC_ASM
    void *sp;              /* the coroutine's, while it is suspended */
    void *caller_sp;       /* its resumer's, while it runs */
#else
    ucontext_t context;
    ucontext_t caller;
#endif
};

#ifdef FC_ASM
/* Saves the callee-saved registers and the SSE and x87 control words on
 * the current stack, stores the stack pointer in *save, and continues on
 * the stack `next` (saved by an earlier call, or laid out by fc_new),
 * restoring what was saved there. Returns when something switches back. */
void fleet_coro_switch(void **save, void *next);
/* A new coroutine's first switch lands here, with it in r12. */
void fleet_coro_boot(void);
void fleet_coro_run(fc_coro *c) __attribute__((noreturn));

__asm__(".text\n"
        ".globl fleet_coro_switch\n"
        ".hidden fleet_coro_switch\n"
        ".type fleet_coro_switch, @function\n"
        "fleet_coro_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size fleet_coro_switch, .-fleet_coro_switch\n"
        ".globl fleet_coro_boot\n"
        ".hidden fleet_coro_boot\n"
        ".type fleet_coro_boot, @function\n"
        "fleet_coro_boot:\n"
        "    movq %r12, %rdi\n"
        "    call fleet_coro_run\n"
        "    ud2\n"
        ".size fleet_coro_boot, .-fleet_coro_boot\n");

__attribute__((visibility("hidden"))) void fleet_coro_run(fc_coro *c)
{
    c->entry(c->arg);
    c->finished = 1;
    void *unused = NULL;
    fleet_coro_switch(&unused, c->caller_sp);
    abort(); /* nothing resumes a finished coroutine */
}

/* The stack as fleet_coro_switch leaves it, so that the first switch to
 * it "returns" into fleet_coro_boot with c in r12 and the stack aligned
 * for a call. */
static int lay_out(fc_coro *c, size_t stack_bytes)
{
    uintptr_t top = ((uintptr_t)c->stack + stack_bytes) & ~(uintptr_t)15;
    uint64_t *frame = (uint64_t *)(top - 16);
    uint32_t mxcsr = 0;
    uint16_t x87 = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(x87));
    frame[-1] = (uint64_t)(uintptr_t)fleet_coro_boot; /* the return address */
    frame[-2] = 0;                                    /* rbp */
    frame[-3] = 0;                                    /* rbx */
    frame[-4] = (uint64_t)(uintptr_t)c;               /* r12 */
    frame[-5] = 0;                                    /* r13 */
    frame[-6] = 0;                                    /* r14 */
    frame[-7] = 0;                                    /* r15 */
    frame[-8] = (uint64_t)mxcsr | (uint64_t)x87 << 32; /* the control words */
    c->sp = &frame[-8];
    return 0;
}

void fc_resume(fc_coro *c)
{
    if (!c->finished)
        fleet_coro_switch(&c->caller_sp, c->sp);
}

void fc_yield(fc_coro *c)
{
    fleet_coro_switch(&c->sp, c->caller_sp);
}

const char *fc_kind(void)
{
    return "asm";
}
#else
/* makecontext passes ints: the pointer comes in two halves. Returning
 * resumes the caller (uc_link). */
static void boot(unsigned hi, unsigned lo)
{
    fc_coro *c = (fc_coro *)(uintptr_t)(((uint64_t)hi << 32) | (uint64_t)lo);
    c->entry(c->arg);
    c->finished = 1;
}

static int lay_out(fc_coro *c, size_t stack_bytes)
{
    if (getcontext(&c->context) != 0)
        return -1;
    c->context.uc_stack.ss_sp = c->stack;
    c->context.uc_stack.ss_size = stack_bytes;
    c->context.uc_link = &c->caller;
    uint64_t p = (uint64_t)(uintptr_t)c;
    makecontext(&c->context, (void (*)(void))boot, 2, (unsigned)(p >> 32), (unsigned)(p & 0xFFFFFFFFu));
    return 0;
}

void fc_resume(fc_coro *c)
{
    if (!c->finished)
        swapcontext(&c->caller, &c->context);
}

void fc_yield(fc_coro *c)
{
    swapcontext(&c->context, &c->caller);
}

const char *fc_kind(void)
{
    return "ucontext";
}
#endif

fc_coro *fc_new(void (*entry)(void *arg), void *arg, size_t stack_bytes)
{
    fc_coro *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->entry = entry;
    c->arg = arg;
    c->stack = malloc(stack_bytes);
    if (c->stack == NULL) {
        fc_free(c);
        return NULL;
    }
    if (lay_out(c, stack_bytes) != 0) {
        fc_free(c);
        return NULL;
    }
    return c;
}

void fc_free(fc_coro *c)
{
    if (c == NULL)
        return;
    free(c->stack);
    free(c);
}

int fc_finished(const fc_coro *c)
{
    return c->finished;
}
