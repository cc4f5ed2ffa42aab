/*
 * Growable byte buffer with a hard maximum.
 */
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum ch_code reserve(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > b->max || b->len > b->max - extra)
		return CH_TOO_LARGE;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return CH_OK;

	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return CH_OK;
}

enum ch_code buf_append(struct buf *b, const void *data, size_t len)
{
	enum ch_code rc = reserve(b, len);

	if (rc != CH_OK)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return CH_OK;
}

enum ch_code buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum ch_code buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum ch_code buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;
	enum ch_code rc;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return CH_INTERNAL;

	rc = reserve(b, (size_t)n);
	if (rc != CH_OK)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CH_OK;
}

enum ch_code buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum ch_code rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}
