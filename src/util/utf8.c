/*
 * UTF-8 validation per RFC 3629.
 */
#include "util/utf8.h"

#include <stdio.h>
#include <string.h>

size_t utf8_sequence_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;

	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

size_t utf8_sequence_len_within(const unsigned char *p, size_t avail)
{
	unsigned char seq[5] = { 0 };
	size_t len;

	if (avail == 0)
		return 0;
	/* A copy ends in NULs, at which utf8_sequence_len stops. */
	memcpy(seq, p, avail < 4 ? avail : 4);
	len = utf8_sequence_len(seq);
	return len <= avail ? len : 0;
}

bool utf8_is_c1_control(const unsigned char *p, size_t n)
{
	return n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

bool utf8_mask_unprintable(char *text, size_t len)
{
	bool masked = false;
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		size_t n = utf8_sequence_len_within((const unsigned char *)text + i, len - i);

		if (c < 0x20 || c == 0x7f || n == 0) {
			text[i++] = '?';
			masked = true;
			continue;
		}
		if (utf8_is_c1_control((const unsigned char *)text + i, n)) {
			/* A C1 control is two bytes, and both become '?'. */
			text[i] = '?';
			text[i + 1] = '?';
			masked = true;
		}
		i += n;
	}
	return masked;
}

const char *utf8_masked_copy(char *out, size_t size, const char *s)
{
	snprintf(out, size, "%s", s);
	utf8_mask_unprintable(out, strlen(out));
	return out;
}
