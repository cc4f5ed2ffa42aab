/*
 * The helpers handlers use to read a request's headers and query string
 * and to fill in their response: JSON bodies, JSON error bodies in the one
 * shape every endpoint shares, and plain text.
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http/http_internal.h"
#include "util/utf8.h"

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *req, const char *name)
{
	const char *value = NULL;
	size_t len = 0;

	/* MHD stores "?flag" without '=' with a NULL value, which is returned
	 * as "" so the caller can tell it from an absent argument. */
	if (MHD_lookup_connection_value_n(req->connection, MHD_GET_ARGUMENT_KIND, name,
					  strlen(name), &value, &len) != MHD_YES)
		return NULL;
	return value ? value : "";
}

static int append_json_cb(const char *data, size_t len, void *out)
{
	return buf_append(out, data, len) == CH_OK ? 0 : -1;
}

/* Replaces the body with a 500 error whose text needs no JSON encoder, so
 * it works when encoding the real body failed. */
static void reply_internal(struct http_response *res, const char *message)
{
	buf_reset(&res->body);
	res->status = 500;
	res->content_type = NULL;
	buf_printf(&res->body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\",\"field\":\"\"}}",
		   ch_code_name(CH_INTERNAL), message);
}

void http_reply_json(struct http_response *res, int status, json_t *body)
{
	enum ch_code rc;

	buf_reset(&res->body);
	res->content_type = NULL;
	if (!body) {
		reply_internal(res, "the response body could not be built");
		return;
	}
	if (json_dump_callback(body, append_json_cb, &res->body, JSON_COMPACT) == 0) {
		res->status = status;
		json_decref(body);
		return;
	}

	rc = res->body.len + 64 > res->body.max ? CH_TOO_LARGE : CH_INTERNAL;
	json_decref(body);
	http_reply_written_json(res, status, rc);
}

void http_reply_written_json(struct http_response *res, int status, enum ch_code rc)
{
	if (rc == CH_OK) {
		res->status = status;
		res->content_type = NULL;
		return;
	}
	reply_internal(res, rc == CH_TOO_LARGE ? "the response is larger than the server's limit"
					       : "the response could not be encoded as JSON");
}

/* Copies text into out with each byte of invalid UTF-8 replaced by '?',
 * because messages may quote a client's bytes and the JSON encoder rejects
 * invalid UTF-8. */
static void copy_valid_utf8(char *out, size_t cap, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;

	while (*p && n + 1 < cap) {
		size_t len = utf8_sequence_len(p);

		if (len == 0) {
			out[n++] = '?';
			p++;
			continue;
		}
		if (n + len + 1 > cap)
			break;
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	out[n] = '\0';
}

void http_reply_error(struct http_response *res, const struct ch_error *err)
{
	char message[CH_ERROR_MESSAGE_MAX];
	char field[CH_ERROR_FIELD_MAX];
	json_t *body;

	copy_valid_utf8(message, sizeof(message), err->message);
	copy_valid_utf8(field, sizeof(field), err->field);
	body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", ch_code_name(err->code),
			 "message", message, "field", field);
	http_reply_json(res, ch_code_http_status(err->code), body);
}

void http_reply_fail(struct http_response *res, enum ch_code code, const char *field,
		     const char *fmt, ...)
{
	struct ch_error err = { .code = code };
	va_list ap;

	snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	http_reply_error(res, &err);
}

void http_reply_text(struct http_response *res, int status, const char *content_type,
		     const char *text, size_t len)
{
	buf_reset(&res->body);
	if (buf_append(&res->body, text, len) != CH_OK) {
		reply_internal(res, "the response is larger than the server's limit");
		return;
	}
	res->status = status;
	res->content_type = content_type;
}
