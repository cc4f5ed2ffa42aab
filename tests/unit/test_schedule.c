/*
 * Unit tests for cron schedules: the parser (numbers, *, lists, ranges,
 * steps, day 7 as Sunday, each kind of invalid input), zone names, and
 * the next and previous scheduled times in UTC and in Europe/Berlin. The
 * Berlin cases cross both daylight saving changes of 2026: on 29 March
 * the clocks jump from 02:00 to 03:00, on 25 October from 03:00 back to
 * 02:00.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schedule/cron.h"
#include "util/timeutil.h"

static struct cron_schedule parse_ok(const char *text, const char *zone)
{
	struct cron_schedule s;
	struct ch_error err = { 0 };

	if (cron_parse(text, &s, &err) != CH_OK)
		fail_msg("'%s' rejected: %s", text, err.message);
	if (zone && cron_set_zone(&s, zone, &err) != CH_OK)
		fail_msg("zone '%s' rejected: %s", zone, err.message);
	return s;
}

static int64_t iso(const char *text)
{
	int64_t t = 0;
	struct ch_error err = { 0 };

	if (time_parse_iso(text, &t, &err) != CH_OK)
		fail_msg("bad test time '%s': %s", text, err.message);
	return t;
}

/* Asserts that the schedule's next time after `after` is `expected`. */
static void check_next(const struct cron_schedule *s, const char *after, const char *expected)
{
	struct ch_error err = { 0 };
	char got[TIME_ISO_MAX];
	int64_t t;

	if (cron_next(s, iso(after), &t, &err) != CH_OK)
		fail_msg("next after %s failed: %s", after, err.message);
	time_format_iso(t, got, sizeof(got));
	assert_string_equal(got, expected);
}

static void check_prev(const struct cron_schedule *s, const char *before, const char *expected)
{
	struct ch_error err = { 0 };
	char got[TIME_ISO_MAX];
	int64_t t;

	if (cron_prev(s, iso(before), &t, &err) != CH_OK)
		fail_msg("previous before %s failed: %s", before, err.message);
	time_format_iso(t, got, sizeof(got));
	assert_string_equal(got, expected);
}

static void test_parse_fields(void **state)
{
	struct cron_schedule s;

	(void)state;
	s = parse_ok("0 7 * * *", NULL);
	assert_true(s.minutes == 1);
	assert_true(s.hours == 1u << 7);
	assert_true(s.days_any);
	assert_true(s.weekdays_any);
	assert_true(s.weekdays == 0x7f);
	assert_string_equal(s.zone, "UTC");

	s = parse_ok("*/15 8-10,20 1,15 */3 1-5", NULL);
	assert_true(s.minutes == (1ull | 1ull << 15 | 1ull << 30 | 1ull << 45));
	assert_true(s.hours == (1u << 8 | 1u << 9 | 1u << 10 | 1u << 20));
	assert_true(s.days == (1u << 1 | 1u << 15));
	assert_true(s.months == (1u << 1 | 1u << 4 | 1u << 7 | 1u << 10));
	assert_true(s.weekdays == 0x3e);
	assert_false(s.days_any);
	assert_false(s.weekdays_any);

	/* "5/20" runs to the maximum; "1-10/4" is 1, 5, 9. */
	s = parse_ok("5/20 1-10/4 * * *", NULL);
	assert_true(s.minutes == (1ull << 5 | 1ull << 25 | 1ull << 45));
	assert_true(s.hours == (1u << 1 | 1u << 5 | 1u << 9));
}

static void test_parse_sunday_seven(void **state)
{
	struct cron_schedule s;

	(void)state;
	s = parse_ok("0 0 * * 7", NULL);
	assert_true(s.weekdays == 1);
	s = parse_ok("0 0 * * 5-7", NULL);
	assert_true(s.weekdays == (1u | 1u << 5 | 1u << 6));
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",           "0 7 * *",     "0 7 * * * *", "60 * * * *",  "* 24 * * *",
		"* * 0 * *",  "* * 32 * *",  "* * * 13 *",  "* * * * 8",   "*/0 * * * *",
		"5-1 * * * *", "a * * * *",  "1,,2 * * * *", "1, * * * *", "-1 * * * *",
		"** * * * *", "1-2-3 * * * *", "0007 * * * *", "*/ * * * *", "0 7 * * mon",
	};
	struct cron_schedule s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ch_error err = { 0 };

		if (cron_parse(bad[i], &s, &err) != CH_INVALID)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(err.message[0] != '\0');
	}
}

static void test_zone_names(void **state)
{
	static const char *const bad[] = { "", "Europe/Nowhere", "../etc/passwd", "/etc/localtime",
					   "Europe Berlin", "zone.tab" };
	struct cron_schedule s = parse_ok("0 7 * * *", NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ch_error err = { 0 };

		if (cron_set_zone(&s, bad[i], &err) != CH_INVALID)
			fail_msg("zone '%s' was accepted", bad[i]);
	}
	s = parse_ok("0 7 * * *", "Europe/Berlin");
	assert_string_equal(s.zone, "Europe/Berlin");
	s = parse_ok("0 7 * * *", "UTC");
	assert_string_equal(s.zone, "UTC");
}

static void test_next_prev_utc(void **state)
{
	struct cron_schedule daily = parse_ok("0 7 * * *", NULL);
	struct cron_schedule every = parse_ok("* * * * *", NULL);
	struct cron_schedule monday = parse_ok("30 6 * * 1", NULL);
	struct cron_schedule leap = parse_ok("0 0 29 2 *", NULL);

	(void)state;
	check_next(&daily, "2026-12-04T06:59:59Z", "2026-12-04T07:00:00Z");
	check_next(&daily, "2026-12-04T07:00:00Z", "2026-12-05T07:00:00Z");
	check_next(&daily, "2026-12-31T08:00:00Z", "2027-01-01T07:00:00Z");
	check_prev(&daily, "2026-12-04T07:00:00Z", "2026-12-03T07:00:00Z");
	check_prev(&daily, "2026-12-04T07:00:01Z", "2026-12-04T07:00:00Z");
	check_next(&every, "2026-12-04T10:15:30Z", "2026-12-04T10:16:00Z");
	check_prev(&every, "2026-12-04T10:15:30Z", "2026-12-04T10:15:00Z");
	/* 2026-12-04 is a Friday. */
	check_next(&monday, "2026-12-04T00:00:00Z", "2026-12-07T06:30:00Z");
	check_prev(&monday, "2026-12-04T00:00:00Z", "2026-11-30T06:30:00Z");
	check_next(&leap, "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z");
	check_prev(&leap, "2026-01-01T00:00:00Z", "2024-02-29T00:00:00Z");
}

static void test_day_or_weekday(void **state)
{
	/* The 13th or any Friday, as in Vixie cron. */
	struct cron_schedule s = parse_ok("0 12 13 * 5", NULL);

	(void)state;
	check_next(&s, "2026-12-04T13:00:00Z", "2026-12-11T12:00:00Z");
	check_next(&s, "2026-12-11T13:00:00Z", "2026-12-13T12:00:00Z");
	check_next(&s, "2026-12-13T13:00:00Z", "2026-12-18T12:00:00Z");
}

static void test_never_matches(void **state)
{
	struct cron_schedule s = parse_ok("0 0 30 2 *", NULL);
	struct ch_error err = { 0 };
	int64_t t;

	(void)state;
	assert_int_equal(cron_next(&s, iso("2026-01-01T00:00:00Z"), &t, &err), CH_NOT_FOUND);
	assert_int_equal(cron_prev(&s, iso("2026-01-01T00:00:00Z"), &t, &err), CH_NOT_FOUND);
}

static void test_berlin_daily(void **state)
{
	struct cron_schedule s = parse_ok("0 7 * * *", "Europe/Berlin");

	(void)state;
	/* 07:00 CET is 06:00 UTC in winter and 05:00 UTC in summer. */
	check_next(&s, "2026-12-04T00:00:00Z", "2026-12-04T06:00:00Z");
	check_next(&s, "2026-07-01T00:00:00Z", "2026-07-01T05:00:00Z");
	check_next(&s, "2026-03-28T06:00:00Z", "2026-03-29T05:00:00Z");
	check_prev(&s, "2026-03-29T05:00:00Z", "2026-03-28T06:00:00Z");
	check_next(&s, "2026-10-24T05:00:00Z", "2026-10-25T06:00:00Z");
	check_prev(&s, "2026-10-25T06:00:00Z", "2026-10-24T05:00:00Z");
}

static void test_berlin_spring_gap(void **state)
{
	/* 02:30 does not exist on 29 March 2026: it runs when the clocks
	 * jump, 03:00 CEST = 01:00 UTC. */
	struct cron_schedule s = parse_ok("30 2 * * *", "Europe/Berlin");
	struct cron_schedule quarter = parse_ok("*/15 * * * *", "Europe/Berlin");

	(void)state;
	check_next(&s, "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z");
	check_next(&s, "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
	check_prev(&s, "2026-03-30T00:30:00Z", "2026-03-29T01:00:00Z");
	/* 01:45 CET, then the skipped hour collapses into 03:00 CEST. */
	check_next(&quarter, "2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z");
	check_next(&quarter, "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z");
	check_next(&quarter, "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z");
}

static void test_berlin_autumn_overlap(void **state)
{
	/* 02:30 occurs twice on 25 October 2026 (00:30 and 01:30 UTC); it
	 * runs once, at the first. */
	struct cron_schedule s = parse_ok("30 2 * * *", "Europe/Berlin");
	struct cron_schedule hourly = parse_ok("0 * * * *", "Europe/Berlin");

	(void)state;
	check_next(&s, "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z");
	check_next(&s, "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
	check_prev(&s, "2026-10-26T01:30:00Z", "2026-10-25T00:30:00Z");
	/* Wall hours 02:00 CEST (00:00 UTC), then 03:00 CET (02:00 UTC): the
	 * repeated 02:00 CET does not run again. */
	check_next(&hourly, "2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z");
	check_next(&hourly, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z");
	check_prev(&hourly, "2026-10-25T02:00:00Z", "2026-10-25T00:00:00Z");
}

static void test_zone_east_of_date_line(void **state)
{
	/* Pacific/Auckland is UTC+13 in December: 07:00 there is 18:00 UTC
	 * the day before. */
	struct cron_schedule s = parse_ok("0 7 * * *", "Pacific/Auckland");

	(void)state;
	check_next(&s, "2026-12-04T00:00:00Z", "2026-12-04T18:00:00Z");
	check_prev(&s, "2026-12-04T00:00:00Z", "2026-12-03T18:00:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_sunday_seven),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_next_prev_utc),
		cmocka_unit_test(test_day_or_weekday),
		cmocka_unit_test(test_never_matches),
		cmocka_unit_test(test_berlin_daily),
		cmocka_unit_test(test_berlin_spring_gap),
		cmocka_unit_test(test_berlin_autumn_overlap),
		cmocka_unit_test(test_zone_east_of_date_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
