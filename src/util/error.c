/*
 * Error codes, their names and the one table that maps each code to a CLI
 * exit status and an HTTP status.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
	const char *name;
	int exit_status;
	int http_status;
} code_table[CH_CODE_COUNT] = {
	[CH_OK] = { "ok", 0, 200 },
	[CH_INVALID] = { "invalid", 1, 400 },
	[CH_NOT_FOUND] = { "not_found", 1, 404 },
	[CH_TOO_LARGE] = { "too_large", 1, 413 },
	[CH_IO] = { "io_error", 3, 500 },
	[CH_DB] = { "database_error", 4, 500 },
	[CH_USAGE] = { "usage", 2, 400 },
	[CH_DENIED] = { "forbidden", 5, 403 },
	[CH_CONFLICT] = { "conflict", 1, 409 },
	[CH_INTERRUPTED] = { "interrupted", 130, 503 },
	[CH_INTERNAL] = { "internal", 70, 500 },
	[CH_UNAUTHORIZED] = { "unauthorized", 5, 401 },
	[CH_RATE_LIMITED] = { "rate_limited", 1, 429 },
	[CH_METHOD_NOT_ALLOWED] = { "method_not_allowed", 1, 405 },
};

enum ch_code ch_fail(struct ch_error *err, enum ch_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

enum ch_code ch_fail_field(struct ch_error *err, enum ch_code code, const char *field,
			   const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void ch_error_clear(struct ch_error *err)
{
	if (!err)
		return;
	err->code = CH_OK;
	err->message[0] = '\0';
	err->field[0] = '\0';
}

const char *ch_code_name(enum ch_code code)
{
	if ((unsigned)code >= CH_CODE_COUNT)
		return "unknown";
	return code_table[code].name;
}

int ch_code_exit_status(enum ch_code code)
{
	if ((unsigned)code >= CH_CODE_COUNT)
		return 70;
	return code_table[code].exit_status;
}

int ch_code_http_status(enum ch_code code)
{
	if ((unsigned)code >= CH_CODE_COUNT)
		return 500;
	return code_table[code].http_status;
}
