/*
 * application/x-www-form-urlencoded bodies, as Slack and Mattermost send
 * slash commands: name=value pairs joined by '&', '+' for a space and
 * %XX escapes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"
#include "util/buf.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes one name or value into out; false for a bad escape or a NUL,
 * raw or escaped. */
static bool decode(const char *s, size_t len, struct buf *out)
{
	out->len = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\0') {
			return false;
		} else if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		buf_append(out, &c, 1);
	}
	buf_append(out, "", 1);
	out->len--;
	return true;
}

json_t *http_form_decode(const char *body, size_t len)
{
	json_t *form = json_object();
	struct buf name, value;
	size_t start = 0, fields = 0;

	buf_init(&name, 3 * HTTP_FORM_VALUE_MAX);
	buf_init(&value, 3 * HTTP_FORM_VALUE_MAX);
	while (start < len) {
		const char *pair = body + start;
		const char *end = memchr(pair, '&', len - start);
		size_t pair_len = end ? (size_t)(end - pair) : len - start;
		const char *eq = memchr(pair, '=', pair_len);
		size_t name_len = eq ? (size_t)(eq - pair) : pair_len;

		start += pair_len + 1;
		if (pair_len == 0)
			continue;
		/* The limits apply to decoded text; an escape is three bytes
		 * for one. */
		if (++fields > HTTP_FORM_FIELDS_MAX || name_len > 3 * HTTP_FORM_VALUE_MAX ||
		    pair_len - name_len > 3 * HTTP_FORM_VALUE_MAX + 1 ||
		    !decode(pair, name_len, &name) ||
		    !decode(eq ? eq + 1 : "", eq ? pair_len - name_len - 1 : 0, &value) ||
		    name.len > HTTP_FORM_VALUE_MAX || value.len > HTTP_FORM_VALUE_MAX) {
			json_decref(form);
			form = NULL;
			break;
		}
		/* The first value of a repeated name wins. */
		if (!json_object_get(form, name.data ? name.data : "")) {
			/* json_stringn refuses invalid UTF-8. */
			json_t *v = json_stringn(value.data ? value.data : "", value.len);

			if (!v || json_object_set_new(form, name.data ? name.data : "", v) != 0) {
				json_decref(form);
				form = NULL;
				break;
			}
		}
	}
	buf_free(&name);
	buf_free(&value);
	return form;
}
