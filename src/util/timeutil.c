/*
 * Time helpers: current time, ISO 8601 output and duration parsing.
 */
#include "util/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_now(void)
{
	const char *fixed = getenv("CTIHUB_NOW");

	/* CTIHUB_NOW pins the clock so tests and demos get stable output. */
	if (fixed && *fixed) {
		char *end;
		long long v = strtoll(fixed, &end, 10);

		if (*end == '\0')
			return v;
	}
	return (int64_t)time(NULL);
}

/* Writes the decimal digits of value into out, right-aligned in width. */
static void put_digits(char *out, int width, int64_t value)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + value % 10);
		value /= 10;
	}
}

void time_format_iso(int64_t t, char *out, size_t cap)
{
	/* A server reply carries several times, and gmtime_r with strftime
	 * costs more than the rest of the reply's formatting. So years 1970
	 * to 9999 are computed here, and only other times call strftime. */
	const int64_t last = 253402300799; /* 9999-12-31T23:59:59Z */
	int64_t days = t / 86400, secs = t % 86400, era_day, year_of_era, day_of_year, mp, year;
	int month, day;

	if (t < 0 || t > last || cap < TIME_ISO_MAX) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return;
	}
	/* The date from days since 1970-01-01, counted in 400-year eras that
	 * start on 0000-03-01, so February is the last month of each year. */
	days += 719468;
	era_day = days % 146097;
	year_of_era = (era_day - era_day / 1460 + era_day / 36524 - era_day / 146096) / 365;
	day_of_year = era_day - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	mp = (5 * day_of_year + 2) / 153;
	day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
	month = (int)(mp < 10 ? mp + 3 : mp - 9);
	year = year_of_era + days / 146097 * 400 + (month <= 2);

	put_digits(out, 4, year);
	out[4] = '-';
	put_digits(out + 5, 2, month);
	out[7] = '-';
	put_digits(out + 8, 2, day);
	out[10] = 'T';
	put_digits(out + 11, 2, secs / 3600);
	out[13] = ':';
	put_digits(out + 14, 2, secs / 60 % 60);
	out[16] = ':';
	put_digits(out + 17, 2, secs % 60);
	out[19] = 'Z';
	out[20] = '\0';
}

enum ch_code time_parse_duration(const char *text, int64_t *seconds, struct ch_error *err)
{
	char *end;
	long long n;
	int64_t unit;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (end == text || errno || n < 0)
		goto invalid;

	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: goto invalid;
	}
	if (end[1] != '\0' || n > INT64_MAX / unit)
		goto invalid;

	*seconds = (int64_t)n * unit;
	return CH_OK;

invalid:
	return ch_fail(err, CH_USAGE,
		       "invalid duration '%s': use a number followed by s, m, h, d or w, such as 24h or 7d",
		       text);
}

int64_t time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t time_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads the end of an ISO 8601 time: nothing or "Z" for UTC, or an
 * offset "+01:00", "-0530" or "+01", into seconds east of UTC. */
static bool parse_zone(const char *s, long *offset)
{
	int sign, hours, minutes = 0;

	*offset = 0;
	if (*s == '\0' || strcmp(s, "Z") == 0)
		return true;
	if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return false;
	sign = s[0] == '-' ? -1 : 1;
	hours = (s[1] - '0') * 10 + (s[2] - '0');
	s += 3;
	if (*s == ':')
		s++;
	if (*s) {
		if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2])
			return false;
		minutes = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (hours > 23 || minutes > 59)
		return false;
	*offset = sign * (long)(hours * 3600 + minutes * 60);
	return true;
}

enum ch_code time_parse_iso(const char *text, int64_t *t, struct ch_error *err)
{
	struct tm tm = { 0 };
	long offset;
	const char *end;
	char *num_end;
	long long plain;

	plain = strtoll(text, &num_end, 10);
	if (num_end != text && *num_end == '\0' && plain >= 0) {
		*t = plain;
		return CH_OK;
	}
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(text, "%Y-%m-%d", &tm);
	}
	if (!end || !parse_zone(end, &offset))
		return ch_fail(err, CH_INVALID,
			       "invalid time '%s': use ISO 8601 such as 2026-12-04T20:15:17Z or "
			       "2026-12-04T21:15:17+01:00",
			       text);
	*t = (int64_t)timegm(&tm) - offset;
	return CH_OK;
}
