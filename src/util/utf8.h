/*
 * UTF-8 validation per RFC 3629, for text that must be valid before it is
 * written as JSON.
 */
#ifndef CTIHUB_UTIL_UTF8_H
#define CTIHUB_UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p, or 0 when it is invalid
 * (overlong forms and surrogates included). Reads at most the bytes of
 * that sequence, and stops at a NUL, which is never a continuation byte. */
size_t utf8_sequence_len(const unsigned char *p);

#endif
