/*
 * The compact JSON writer (see json_out.h).
 */
#include "util/json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

void json_out_init(struct json_out *out, struct buf *buf)
{
	memset(out, 0, sizeof(*out));
	out->buf = buf;
}

enum ch_code json_out_finish(const struct json_out *out)
{
	if (out->rc == CH_OK && (out->depth != 0 || out->after_key))
		return CH_INTERNAL;
	return out->rc;
}

static void append(struct json_out *out, const char *data, size_t len)
{
	if (out->rc == CH_OK)
		out->rc = buf_append(out->buf, data, len);
}

/* Writes the comma before a value or key that is not the first in its
 * container. */
static void separate(struct json_out *out)
{
	if (out->after_key) {
		out->after_key = false;
		return;
	}
	if (out->depth > 0) {
		if (out->has_items[out->depth - 1])
			append(out, ",", 1);
		out->has_items[out->depth - 1] = true;
	}
}

static void open_container(struct json_out *out, char bracket)
{
	separate(out);
	if (out->depth == JSON_OUT_DEPTH_MAX) {
		out->rc = out->rc == CH_OK ? CH_INTERNAL : out->rc;
		return;
	}
	append(out, &bracket, 1);
	out->has_items[out->depth++] = false;
}

static void close_container(struct json_out *out, char bracket)
{
	if (out->depth == 0 || out->after_key) {
		out->rc = out->rc == CH_OK ? CH_INTERNAL : out->rc;
		return;
	}
	out->depth--;
	append(out, &bracket, 1);
}

void json_out_object_begin(struct json_out *out)
{
	open_container(out, '{');
}

void json_out_object_end(struct json_out *out)
{
	close_container(out, '}');
}

void json_out_array_begin(struct json_out *out)
{
	open_container(out, '[');
}

void json_out_array_end(struct json_out *out)
{
	close_container(out, ']');
}

/* Appends s between quotes, escaped as jansson's dump escapes it. Runs of
 * bytes that need no escape are copied with one append. */
static void append_quoted(struct json_out *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	append(out, "\"", 1);
	while (*p) {
		char escape[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t escape_len = 2;
		size_t len = utf8_sequence_len(p);

		if (len > 1 || (len == 1 && *p >= 0x20 && *p != '"' && *p != '\\')) {
			p += len;
			continue;
		}
		append(out, (const char *)run, (size_t)(p - run));
		switch (*p) {
		case '"': escape[1] = '"'; break;
		case '\\': escape[1] = '\\'; break;
		case '\b': escape[1] = 'b'; break;
		case '\f': escape[1] = 'f'; break;
		case '\n': escape[1] = 'n'; break;
		case '\r': escape[1] = 'r'; break;
		case '\t': escape[1] = 't'; break;
		default:
			if (len == 0) {
				/* U+FFFD REPLACEMENT CHARACTER in place of the invalid byte. */
				memcpy(escape, "\xef\xbf\xbd", 3);
				escape_len = 3;
			} else {
				escape[1] = 'u';
				escape[4] = hex[*p >> 4];
				escape[5] = hex[*p & 0xf];
				escape_len = 6;
			}
		}
		append(out, escape, escape_len);
		p++;
		run = p;
	}
	append(out, (const char *)run, (size_t)(p - run));
	append(out, "\"", 1);
}

void json_out_key(struct json_out *out, const char *key)
{
	separate(out);
	append_quoted(out, key);
	append(out, ":", 1);
	out->after_key = true;
}

void json_out_string(struct json_out *out, const char *s)
{
	separate(out);
	append_quoted(out, s);
}

void json_out_int(struct json_out *out, int64_t value)
{
	char text[24];
	int len = snprintf(text, sizeof(text), "%" PRId64, value);

	separate(out);
	append(out, text, (size_t)len);
}

void json_out_bool(struct json_out *out, bool value)
{
	separate(out);
	if (value)
		append(out, "true", 4);
	else
		append(out, "false", 5);
}

void json_out_raw(struct json_out *out, const char *text, size_t len)
{
	separate(out);
	append(out, text, len);
}
