/* utf8: what counts as UTF-8 here, in one place: RFC 3629, section 4 (no
 * overlong form, no surrogate, nothing above U+10FFFF), which is also what
 * jansson accepts in a string. */
#ifndef DESCOVO_UTF8_H
#define DESCOVO_UTF8_H

#include <stddef.h>

/* Length (1 to 4) of the valid UTF-8 sequence that starts at s and fits in
 * the `avail` bytes there; 0 when there is none (avail == 0 included). */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

#endif
