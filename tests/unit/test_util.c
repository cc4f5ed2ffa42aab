/*
 * Unit tests for src/util and src/policy/tlp: buffers with maximums,
 * error codes, durations and TLP names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "policy/tlp.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/timeutil.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_to_max),
		cmocka_unit_test(buf_printf_rejects_overflow),
		cmocka_unit_test(error_table_maps_codes),
		cmocka_unit_test(duration_units),
		cmocka_unit_test(duration_rejects_bad_input),
		cmocka_unit_test(time_iso_format),
		cmocka_unit_test(time_iso_parse_zones),
		cmocka_unit_test(tlp_names_round_trip),
		cmocka_unit_test(tlp_accepts_white_and_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
