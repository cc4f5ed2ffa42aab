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

/* Whether byte c is printable ASCII that a JSON string contains unescaped. */
static bool is_plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
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
		size_t len;

		if (is_plain_ascii(*p)) {
			p++;
			continue;
		}
		len = utf8_sequence_len(p);
		if (len > 1) {
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
	char quoted[64];
	size_t len = 0;

	separate(out);
	out->after_key = true;

	/* Keys are short ASCII names, written with one append. */
	quoted[len++] = '"';
	for (const char *k = key; *k; k++) {
		if (len + 2 >= sizeof(quoted) || !is_plain_ascii((unsigned char)*k)) {
			append_quoted(out, key);
			append(out, ":", 1);
			return;
		}
		quoted[len++] = *k;
	}
	quoted[len++] = '"';
	quoted[len++] = ':';
	append(out, quoted, len);
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

/* ---- Checking stored JSON text ---------------------------------------------- */

static bool check_value(const char **p, int depth);

/* Checks a string at *p (at its opening quote) and moves past it. */
static bool check_string(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p + 1;

	for (;;) {
		size_t len;

		if (*s == '"') {
			*p = (const char *)s + 1;
			return true;
		}
		if (*s == '\\') {
			unsigned code;

			if (strchr("\"\\bfnrt", s[1]) && s[1] != '\0') {
				s += 2;
				continue;
			}
			/* \u00XX with upper-case hex, only for the control characters
			 * that have no short escape; jansson writes the others raw. */
			if (s[1] != 'u' || s[2] != '0' || s[3] != '0' || !strchr("01", s[4]) ||
			    s[4] == '\0' || !strchr("0123456789ABCDEF", s[5]) || s[5] == '\0')
				return false;
			code = (unsigned)(s[4] - '0') * 16 +
			       (unsigned)(s[5] <= '9' ? s[5] - '0' : s[5] - 'A' + 10);
			if (code == 0 || code == '\b' || code == '\f' || code == '\n' || code == '\r' ||
			    code == '\t')
				return false;
			s += 6;
			continue;
		}
		if (*s < 0x20)
			return false;
		len = utf8_sequence_len(s);
		if (len == 0)
			return false;
		s += len;
	}
}

/* Checks an integer: -?(0|[1-9][0-9]*), at most 18 digits, not "-0". */
static bool check_integer(const char **p)
{
	const char *s = *p;
	size_t digits = 0;

	if (*s == '-')
		s++;
	if (*s == '0' && (s[1] >= '0' && s[1] <= '9'))
		return false;
	if (*s == '0' && s != *p)
		return false;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits++;
	}
	if (digits == 0 || digits > 18 || *s == '.' || *s == 'e' || *s == 'E')
		return false;
	*p = s;
	return true;
}

/* Whether the keys of the object that starts at open are all different.
 * Called once the object is known to be well formed. */
static bool keys_unique(const char *open)
{
	const char *keys[256];
	size_t lens[256], count = 0;
	const char *p = open + 1;

	while (*p != '}') {
		const char *key = p;

		check_string(&p);
		if (count == sizeof(keys) / sizeof(keys[0]))
			return false;
		for (size_t i = 0; i < count; i++) {
			if (lens[i] == (size_t)(p - key) && memcmp(keys[i], key, lens[i]) == 0)
				return false;
		}
		keys[count] = key;
		lens[count++] = (size_t)(p - key);
		p++; /* ':' */
		check_value(&p, 0);
		if (*p == ',')
			p++;
	}
	return true;
}

static bool check_container(const char **p, int depth)
{
	const char *open = *p;
	char close = **p == '{' ? '}' : ']';
	const char *s = *p + 1;

	if (depth >= JSON_OUT_DEPTH_MAX)
		return false;
	if (*s != close) {
		for (;;) {
			if (close == '}') {
				if (*s != '"' || !check_string(&s) || *s != ':')
					return false;
				s++;
			}
			if (!check_value(&s, depth + 1))
				return false;
			if (*s == close)
				break;
			if (*s != ',')
				return false;
			s++;
		}
	}
	*p = s + 1;
	return close == ']' || keys_unique(open);
}

static bool check_value(const char **p, int depth)
{
	static const char *const literals[] = { "true", "false", "null" };

	switch (**p) {
	case '{':
	case '[':
		return check_container(p, depth);
	case '"':
		return check_string(p);
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		size_t len = strlen(literals[i]);

		if (strncmp(*p, literals[i], len) == 0) {
			*p += len;
			return true;
		}
	}
	return check_integer(p);
}

bool json_is_compact(const char *text)
{
	const char *p = text;

	if (*p != '{' && *p != '[')
		return false;
	return check_container(&p, 0) && *p == '\0';
}
