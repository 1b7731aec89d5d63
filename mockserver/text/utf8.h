/* utf8: what counts as UTF-8 here, in one place: RFC 3629, section 4 (no
 * overlong form, no surrogate, nothing above U+10FFFF), which is also what
 * jansson accepts in a string. */
#ifndef DESCOVO_UTF8_H
#define DESCOVO_UTF8_H

#include <stddef.h>

/* Length (1 to 4) of the valid UTF-8 sequence that starts at s and fits in
 * the `avail` bytes there; 0 when there is none (avail == 0 included). */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

/* Length of s[0..len) without a sequence cut short at its end (what a
 * truncating snprintf leaves), so that the prefix can still become a JSON
 * string. Looks only at the last sequence: it repairs cut text, it does
 * not validate it. */
size_t utf8_whole_prefix(const char *s, size_t len);

/* Cuts the NUL-terminated s in place to utf8_whole_prefix(s, strlen(s)). */
void utf8_trim(char *s);

#endif
