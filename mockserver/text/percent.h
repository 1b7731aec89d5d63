/* percent: percent-decoding (RFC 3986, "%" and two hex digits of either
 * case), as the server decodes a request's path and query values. One
 * definition for both sides that must agree: http/ decodes what a client
 * sent, drift/ decodes a recorded URL so that it routes as the server would
 * have routed it. Pure; no allocation. */
#ifndef DESCOVO_PERCENT_H
#define DESCOVO_PERCENT_H

#include <stddef.h>

/* Decodes the len bytes at in into out and NUL-terminates it; returns the
 * decoded length (at most len). out needs room for len + 1 bytes and may
 * be in itself (decoding never writes ahead of what it reads). A "%" not
 * followed by two hex digits within the len bytes stays as it is, and so
 * does "%00": decoded, a NUL would silently cut a path or value short
 * ("aud_1%00x" would name aud_1), so it stays as the three characters and
 * whatever reads it fails on them. */
size_t percent_decode(char *out, const char *in, size_t len);

#endif
