/*
 * Growable byte buffer with a hard maximum. A buffer fed from input never
 * grows past its max; buf_append returns CH_TOO_LARGE instead. The data is
 * always NUL-terminated so it can be used as a C string.
 *
 * Ownership: buf_init leaves an empty buffer that owns nothing; buf_free
 * releases the storage and may be called on an initialised empty buffer.
 */
#ifndef CTIHUB_UTIL_BUF_H
#define CTIHUB_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/error.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* bytes of content allowed, not counting the NUL */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
enum ch_code buf_append(struct buf *b, const void *data, size_t len);
enum ch_code buf_append_str(struct buf *b, const char *s);
enum ch_code buf_append_char(struct buf *b, char c);
enum ch_code buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum ch_code buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
