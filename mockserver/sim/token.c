#include "sim/token.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

typedef struct token_pool {
    unsigned char bytes[TOKEN_POOL_BYTES];
    size_t used;                 /* bytes already handed out; the rest are fresh */
} token_pool;

/* Starts empty: the first token of each thread fills it. */
static _Thread_local token_pool pool = { .used = TOKEN_POOL_BYTES };
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* In the child of fork(), the pool of the thread that forked (the only
 * thread left) holds the bytes of the parent's next tokens: drop them. */
static void forget_in_child(void)
{
    memset(pool.bytes, 0, sizeof pool.bytes);
    pool.used = sizeof pool.bytes;
}

static void watch_forks(void)
{
    /* If registering fails (out of memory), a forked child could repeat the
     * parent's next tokens; the server itself never forks. */
    (void)pthread_atfork(NULL, NULL, forget_in_child);
}

/* Fills the whole pool. getrandom reads of more than 256 bytes may come
 * back short (a signal): go on from where it stopped. */
static int refill(void)
{
    size_t got = 0;
    while (got < sizeof pool.bytes) {
        ssize_t n = getrandom(pool.bytes + got, sizeof pool.bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    pool.used = 0;
    return 0;
}

int token_new(char *out)
{
    pthread_once(&fork_once, watch_forks);
    if (sizeof pool.bytes - pool.used < TOKEN_RANDOM_BYTES && refill() != 0)
        return -1;
    unsigned char *bytes = pool.bytes + pool.used;
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "exp_", 4);
    for (size_t i = 0; i < TOKEN_RANDOM_BYTES; i++) {
        out[4 + 2 * i] = hex[bytes[i] >> 4];
        out[5 + 2 * i] = hex[bytes[i] & 15];
    }
    out[TOKEN_LEN] = '\0';
    /* Spent: never served again, and not left readable in memory. */
    memset(bytes, 0, TOKEN_RANDOM_BYTES);
    pool.used += TOKEN_RANDOM_BYTES;
    return 0;
}
