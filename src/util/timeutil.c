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

void time_format_iso(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
