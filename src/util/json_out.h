/*
 * A JSON writer that appends compact JSON text to a struct buf, for hot
 * paths: building a jansson tree and dumping it took about a third of the
 * instructions of an indicator lookup. Its output matches jansson's
 * json_dump_callback with JSON_COMPACT for the same values in the same
 * order (checked against jansson 2.14 in test_util): strings escape '"',
 * '\\' and control characters (\b \f \n \r \t, else \u00XX), and UTF-8
 * passes through unescaped.
 *
 * Errors are sticky: once an append fails (the buffer reached its
 * maximum), later calls do nothing and json_out_finish returns the code.
 */
#ifndef CTIHUB_UTIL_JSON_OUT_H
#define CTIHUB_UTIL_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

/* Deepest nesting of objects and arrays; deeper is a CH_INTERNAL error. */
#define JSON_OUT_DEPTH_MAX 16

struct json_out {
	struct buf *buf;
	enum ch_code rc;
	int depth;
	bool after_key;                     /* the next value follows a key */
	bool has_items[JSON_OUT_DEPTH_MAX]; /* per open container */
};

/* Starts writing at the end of buf. */
void json_out_init(struct json_out *out, struct buf *buf);
/* Returns CH_OK, or the first error: CH_TOO_LARGE when the buffer reached
 * its maximum, CH_INTERNAL for unbalanced or too deep nesting. */
enum ch_code json_out_finish(const struct json_out *out);

void json_out_object_begin(struct json_out *out);
void json_out_object_end(struct json_out *out);
void json_out_array_begin(struct json_out *out);
void json_out_array_end(struct json_out *out);
/* Writes an object key; the next call writes its value. */
void json_out_key(struct json_out *out, const char *key);

/* Writes s as a JSON string. A byte that is not part of valid UTF-8 is
 * written as U+FFFD, where jansson would reject the whole string. */
void json_out_string(struct json_out *out, const char *s);
void json_out_int(struct json_out *out, int64_t value);
void json_out_bool(struct json_out *out, bool value);
/* Writes text, which must already be one complete JSON value. */
void json_out_raw(struct json_out *out, const char *text, size_t len);

/* Whether text is an object or array that jansson's json_loads (flags 0)
 * and json_dumps (JSON_COMPACT) would turn into the same bytes, so it can
 * be written with json_out_raw as it is. It accepts a strict subset: no
 * whitespace outside strings, no duplicate keys, integers of at most 18
 * digits, and only the escapes that jansson writes. Anything else returns
 * false, and the caller re-encodes it with jansson. */
bool json_is_compact(const char *text);

#endif
