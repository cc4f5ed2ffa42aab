/*
 * Unit tests for src/util and src/policy/tlp: buffers with maximums,
 * error codes, durations, TLP names, the JSON writer, whose output is
 * compared with jansson's, and the order of buffered log lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/tlp.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json_out.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static void buf_grows_to_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "abcd"), CH_OK);
	assert_int_equal(buf_printf(&b, "%d", 1234), CH_OK);
	assert_string_equal(b.data, "abcd1234");
	assert_int_equal(buf_append_char(&b, 'x'), CH_TOO_LARGE);
	assert_string_equal(b.data, "abcd1234");
	buf_free(&b);
}

static void buf_printf_rejects_overflow(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(buf_printf(&b, "%s", "12345"), CH_TOO_LARGE);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void error_table_maps_codes(void **state)
{
	struct ch_error err;

	(void)state;
	assert_int_equal(ch_fail(&err, CH_NOT_FOUND, "x %d", 1), CH_NOT_FOUND);
	assert_string_equal(err.message, "x 1");
	assert_string_equal(ch_code_name(CH_INVALID), "invalid");
	assert_int_equal(ch_code_http_status(CH_NOT_FOUND), 404);
	assert_int_equal(ch_code_http_status(CH_DENIED), 403);
	assert_int_equal(ch_code_exit_status(CH_OK), 0);
	assert_int_equal(ch_code_exit_status(CH_USAGE), 2);
	assert_int_equal(ch_fail(NULL, CH_IO, "ignored"), CH_IO);
}

static void duration_units(void **state)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} cases[] = {
		{ "90s", 90 }, { "15m", 900 }, { "24h", 86400 }, { "7d", 604800 }, { "2w", 1209600 },
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(time_parse_duration(cases[i].text, &v, NULL), CH_OK);
		assert_int_equal(v, cases[i].seconds);
	}
}

static void duration_rejects_bad_input(void **state)
{
	static const char *const bad[] = { "", "d", "7", "7x", "-1d", "7dd", "1.5h" };
	struct ch_error err;
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(time_parse_duration(bad[i], &v, &err), CH_USAGE);
		assert_non_null(strstr(err.message, "invalid duration"));
	}
}

static void time_iso_format(void **state)
{
	char out[TIME_ISO_MAX];

	(void)state;
	time_format_iso(0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_format_iso(1796415317, out, sizeof(out));
	assert_string_equal(out, "2026-12-04T20:15:17Z");
}

/* Compares the fast date arithmetic with gmtime_r and strftime on leap
 * days, century years, the ends of the fast range and times beyond it. */
static void time_iso_matches_strftime(void **state)
{
	const int64_t fixed[] = { 0, 59, 951782400 /* 2000-02-29 */, 951868800 /* 2000-03-01 */,
				  4107542400 /* 2100-02-28 */, 4107628800 /* 2100-03-01 */,
				  253402300799 /* 9999-12-31T23:59:59 */, 253402300800, -1,
				  -86400 * 366 };
	char fast[TIME_ISO_MAX], slow[TIME_ISO_MAX];
	struct tm tm;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 100000; i++) {
		/* Then times spread up to the year 9999. The step is not a whole
		 * number of days, so the time of day varies too. */
		int64_t t = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i] : (int64_t)i * 2534023 + 7;
		time_t tt = (time_t)t;

		time_format_iso(t, fast, sizeof(fast));
		gmtime_r(&tt, &tm);
		strftime(slow, sizeof(slow), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(fast, slow);
	}
}

static void tlp_names_round_trip(void **state)
{
	enum tlp_level level;

	(void)state;
	for (int i = 0; i < TLP_LEVEL_COUNT; i++) {
		assert_int_equal(tlp_parse(tlp_name((enum tlp_level)i), &level, NULL), CH_OK);
		assert_int_equal(level, i);
	}
}

static void tlp_accepts_white_and_prefix(void **state)
{
	enum tlp_level level;
	struct ch_error err;

	(void)state;
	assert_int_equal(tlp_parse("white", &level, NULL), CH_OK);
	assert_int_equal(level, TLP_CLEAR);
	assert_int_equal(tlp_parse("TLP:amber+strict", &level, NULL), CH_OK);
	assert_int_equal(level, TLP_AMBER_STRICT);
	assert_int_equal(tlp_parse("orange", &level, &err), CH_INVALID);
	assert_non_null(strstr(err.message, "'orange'"));
}

static void time_iso_parse_zones(void **state)
{
	static const struct {
		const char *text;
		int64_t t;
	} good[] = {
		{ "2026-12-04T20:15:17Z", 1796415317 },
		{ "2026-12-04T20:15:17", 1796415317 },
		{ "2026-12-04T21:15:17+01:00", 1796415317 },
		{ "2026-12-04T21:15:17+0100", 1796415317 },
		{ "2026-12-04T21:15:17+01", 1796415317 },
		{ "2026-12-04T14:45:17-05:30", 1796415317 },
		{ "2026-12-04", 1796342400 },
		{ "1796415317", 1796415317 },
	};
	static const char *const bad[] = { "2026-12-04T20:15:17+1", "2026-12-04T20:15:17+24:00",
					   "2026-12-04T20:15:17+01:60", "2026-12-04T20:15:17 Z",
					   "2026-12-04T20:15:17+01:00x", "yesterday" };
	struct ch_error err = { 0 };
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(time_parse_iso(good[i].text, &t, &err), CH_OK);
		assert_int_equal(t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(time_parse_iso(bad[i], &t, &err), CH_INVALID);
}

/* Strings that exercise every escape: quotes, backslashes, the short
 * control escapes, other control characters, DEL, a slash and UTF-8 of
 * two, three and four bytes. */
static const char *const json_samples[] = {
	"",
	"plain text",
	"quote \" and backslash \\",
	"\b\f\n\r\t",
	"\x01\x1f\x7f",
	"http://example.org/a?b=c&d",
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e",
};

static void json_out_matches_jansson(void **state)
{
	const size_t count = sizeof(json_samples) / sizeof(json_samples[0]);
	json_t *expected = json_object(), *array = json_array();
	struct json_out out;
	struct buf b;
	char *text;

	(void)state;
	buf_init(&b, 4096);
	json_out_init(&out, &b);
	json_out_object_begin(&out);
	for (size_t i = 0; i < count; i++) {
		char key[16];

		snprintf(key, sizeof(key), "s%zu", i);
		json_out_key(&out, key);
		json_out_string(&out, json_samples[i]);
		json_object_set_new(expected, key, json_string(json_samples[i]));
	}
	json_out_key(&out, "numbers");
	json_out_array_begin(&out);
	json_out_int(&out, 0);
	json_out_int(&out, -42);
	json_out_int(&out, INT64_MAX);
	json_out_bool(&out, true);
	json_out_bool(&out, false);
	json_out_object_begin(&out);
	json_out_object_end(&out);
	json_out_raw(&out, "{\"a\":[1,2]}", 11);
	json_out_array_end(&out);
	json_out_object_end(&out);
	assert_int_equal(json_out_finish(&out), CH_OK);

	json_array_append_new(array, json_integer(0));
	json_array_append_new(array, json_integer(-42));
	json_array_append_new(array, json_integer(INT64_MAX));
	json_array_append_new(array, json_true());
	json_array_append_new(array, json_false());
	json_array_append_new(array, json_object());
	json_array_append_new(array, json_pack("{s:[i,i]}", "a", 1, 2));
	json_object_set_new(expected, "numbers", array);
	text = json_dumps(expected, JSON_COMPACT);
	assert_string_equal(b.data, text);

	free(text);
	json_decref(expected);
	buf_free(&b);
}

static void utf8_len_within_stops_at_avail(void **state)
{
	const unsigned char euro[] = { 0xE2, 0x82, 0xAC };

	(void)state;
	assert_int_equal(utf8_sequence_len_within(euro, 3), 3);
	assert_int_equal(utf8_sequence_len_within(euro, 2), 0);
	assert_int_equal(utf8_sequence_len_within((const unsigned char *)"a", 1), 1);
	assert_int_equal(utf8_sequence_len_within(euro, 0), 0);
}

static void utf8_mask_replaces_bad_bytes(void **state)
{
	char text[] = "a\001b\xC2\x9B\xFF\xE2\x82\xAC";
	char out[8];

	(void)state;
	assert_true(utf8_mask_unprintable(text, strlen(text)));
	assert_string_equal(text, "a?b???\xE2\x82\xAC");
	assert_string_equal(utf8_masked_copy(out, sizeof(out), "x\033[1m"), "x?[1m");
}

static void json_out_replaces_invalid_utf8(void **state)
{
	struct json_out out;
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	json_out_init(&out, &b);
	json_out_string(&out, "a\xff" "b\xc3");
	assert_int_equal(json_out_finish(&out), CH_OK);
	assert_string_equal(b.data, "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"");
	buf_free(&b);
}

static void json_out_reports_errors(void **state)
{
	struct json_out out;
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	json_out_init(&out, &b);
	json_out_string(&out, "longer than eight bytes");
	assert_int_equal(json_out_finish(&out), CH_TOO_LARGE);
	buf_free(&b);

	buf_init(&b, 64);
	json_out_init(&out, &b);
	json_out_array_begin(&out);
	assert_int_equal(json_out_finish(&out), CH_INTERNAL);

	json_out_init(&out, &b);
	json_out_object_begin(&out);
	json_out_key(&out, "k");
	json_out_object_end(&out);
	assert_int_equal(json_out_finish(&out), CH_INTERNAL);

	json_out_init(&out, &b);
	for (int i = 0; i <= JSON_OUT_DEPTH_MAX; i++)
		json_out_array_begin(&out);
	assert_int_equal(json_out_finish(&out), CH_INTERNAL);
	buf_free(&b);
}

/* Stored field texts. The first COMPACT_ACCEPTED are accepted, and each of
 * them must come back unchanged from a jansson round trip. The others
 * change, fail to load, or (as reals do) are outside the accepted subset. */
#define COMPACT_ACCEPTED 8
static const char *const compact_cases[] = {
	"{}", "[]", "{\"a\":1}", "[1,-2,0,true,false,null]", "{\"a\":{\"b\":[\"c\",{}]}}",
	"{\"k\":\"caf\xc3\xa9 \\\" \\\\ \\n \\t \\u001F /\x7f\"}",
	"{\"\":\"\"}", "[123456789012345678]",
	/* Rejected. */
	"{ \"a\":1}", "{\"a\": 1}", "{\"a\":1,\"a\":2}", "[1.5]", "[1e3]", "[-0]", "[01]",
	"[1234567890123456789]", "{\"a\":\"\\u0041\"}", "{\"a\":\"\\u001f\"}",
	"{\"a\":\"\\u000A\"}", "{\"a\":\"\\/\"}", "{\"a\":\"\\u0000\"}", "\"text\"", "1",
	"{\"a\":1}x", "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", "[", "{\"a\"}", "[1,]", "",
};

static void json_compact_matches_round_trip(void **state)
{
	const size_t count = sizeof(compact_cases) / sizeof(compact_cases[0]);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		json_t *value = json_loads(compact_cases[i], 0, NULL);
		char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
		bool accepted = json_is_compact(compact_cases[i]);

		if (accepted != (i < COMPACT_ACCEPTED))
			fail_msg("json_is_compact('%s') returned %d", compact_cases[i], accepted);
		if (accepted && (!text || strcmp(text, compact_cases[i]) != 0))
			fail_msg("json_is_compact accepted '%s', which jansson writes as '%s'",
				 compact_cases[i], text ? text : "(no value)");
		free(text);
		json_decref(value);
	}
}

/* Reads the log file's contents so far. */
static void read_log(FILE *log, char *text, size_t cap)
{
	size_t n;

	fflush(log);
	rewind(log);
	n = fread(text, 1, cap - 1, log);
	text[n] = '\0';
}

/* Logs 3,000 numbered lines with pauses, so the writer thread swaps its
 * buffers many times and the buffer also fills, then checks that every
 * line is there once and in order, before a closing warning. */
static void log_buffer_order_across_flushes(void **state)
{
	static char text[1 << 20];
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = 3000000 };
	FILE *log = tmpfile();
	const char *at;
	char needle[64];

	(void)state;
	assert_non_null(log);
	log_set_level(LOG_INFO);
	log_set_fd(fileno(log));
	log_buffer_start();
	for (int i = 0; i < 3000; i++) {
		log_info("order", "line %04d with some padding to fill the buffer sooner", i);
		if (i % 100 == 0)
			nanosleep(&pause, NULL);
	}
	log_warn("order", "closing warning");
	log_buffer_stop();
	read_log(log, text, sizeof(text));
	at = text;
	for (int i = 0; i < 3000; i++) {
		snprintf(needle, sizeof(needle), "[order] line %04d ", i);
		at = strstr(at, needle);
		assert_non_null(at);
	}
	assert_non_null(strstr(at, "WARN  [order] closing warning\n"));
	log_set_fd(2);
	fclose(log);
}

static void log_buffer_keeps_order(void **state)
{
	FILE *log = tmpfile();
	char text[4096];
	const char *first, *second, *warning;

	(void)state;
	assert_non_null(log);
	log_set_level(LOG_INFO);
	log_set_fd(fileno(log));
	log_buffer_start();

	log_info("id1", "first line");
	log_info("id2", "second line");
	/* A warning writes the buffered lines before itself, at once. */
	log_warn("id3", "a warning");
	read_log(log, text, sizeof(text));
	first = strstr(text, "INFO  [id1] first line\n");
	second = strstr(text, "INFO  [id2] second line\n");
	warning = strstr(text, "WARN  [id3] a warning\n");
	assert_non_null(first);
	assert_non_null(second);
	assert_non_null(warning);
	assert_true(first < second);
	assert_true(second < warning);

	log_info("id4", "after the warning");
	log_buffer_stop();
	read_log(log, text, sizeof(text));
	assert_non_null(strstr(text, "INFO  [id4] after the warning\n"));

	/* Stopped: each line is written at once again. */
	log_info("id5", "unbuffered");
	read_log(log, text, sizeof(text));
	assert_non_null(strstr(text, "INFO  [id5] unbuffered\n"));

	log_set_fd(2);
	fclose(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_to_max),
		cmocka_unit_test(buf_printf_rejects_overflow),
		cmocka_unit_test(error_table_maps_codes),
		cmocka_unit_test(duration_units),
		cmocka_unit_test(duration_rejects_bad_input),
		cmocka_unit_test(time_iso_format),
		cmocka_unit_test(time_iso_matches_strftime),
		cmocka_unit_test(time_iso_parse_zones),
		cmocka_unit_test(tlp_names_round_trip),
		cmocka_unit_test(tlp_accepts_white_and_prefix),
		cmocka_unit_test(json_out_matches_jansson),
		cmocka_unit_test(utf8_len_within_stops_at_avail),
		cmocka_unit_test(utf8_mask_replaces_bad_bytes),
		cmocka_unit_test(json_out_replaces_invalid_utf8),
		cmocka_unit_test(json_out_reports_errors),
		cmocka_unit_test(json_compact_matches_round_trip),
		cmocka_unit_test(log_buffer_keeps_order),
		cmocka_unit_test(log_buffer_order_across_flushes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
