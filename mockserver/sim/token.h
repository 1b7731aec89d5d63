/* token: unguessable ids (export download links) from the kernel's CSPRNG.
 *
 * Each thread keeps a small pool of random bytes, refilled by one
 * getrandom call for many tokens, so that a token costs no system call in
 * the common case. A byte of the pool serves one token only, and a child
 * of fork() starts with an empty pool (it would otherwise hand out the
 * parent's next tokens). Tokens are the one thing that differs between two
 * runs with the same seed. Thread-safe: no lock, the pool is per thread. */
#ifndef DESCOVO_TOKEN_H
#define DESCOVO_TOKEN_H

#include <stddef.h>

/* Random bytes per token (128 bits) and the token's text length:
 * "exp_" and 32 lowercase hex digits. */
#define TOKEN_RANDOM_BYTES 16
#define TOKEN_LEN (4 + 2 * TOKEN_RANDOM_BYTES)

/* Bytes of the per-thread pool: one getrandom call serves this many
 * bytes' worth of tokens (512: 32 tokens). */
#define TOKEN_POOL_BYTES 512

/* Writes "exp_" and 32 hex digits of fresh random bytes, NUL-terminated,
 * into out (at least TOKEN_LEN + 1 bytes). Returns 0, or -1 when the kernel
 * gave no random bytes (out is then left unchanged). */
int token_new(char *out);

#endif
