/*
 * UTF-8 validation per RFC 3629, for text that must be valid before it is
 * written as JSON.
 */
#ifndef CTIHUB_UTIL_UTF8_H
#define CTIHUB_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p, or 0 when it is invalid
 * (overlong forms and surrogates included). Reads at most the bytes of
 * that sequence, and stops at a NUL, which is never a continuation byte. */
size_t utf8_sequence_len(const unsigned char *p);

/* Length of the valid UTF-8 sequence at p, or 0 when it is invalid or does
 * not end within the avail bytes at p, which need no NUL after them. */
size_t utf8_sequence_len_within(const unsigned char *p, size_t avail);

/* True when p[0..n), a valid sequence of n bytes, is a C1 control
 * character (U+0080 to U+009F). */
bool utf8_is_c1_control(const unsigned char *p, size_t n);

/* Replaces each control character (C0, DEL and C1, a NUL included) and
 * each byte that is not part of valid UTF-8 in text[0..len) with '?', so
 * that text quoting raw input is safe to print and to put in JSON. Returns
 * whether anything was replaced. */
bool utf8_mask_unprintable(char *text, size_t len);

/* Copies s into out, cut to size - 1 bytes, with utf8_mask_unprintable
 * applied, for a name in a message. Returns out. */
const char *utf8_masked_copy(char *out, size_t size, const char *s);

#endif
