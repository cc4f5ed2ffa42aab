/*
 * Cron parsing and the search for the next or previous scheduled time in
 * a time zone. The search walks local calendar days, and on a day that
 * matches converts each matching wall time to UTC. That conversion is
 * monotonic in wall time (a skipped time maps to the moment the clocks
 * jump, a repeated one to its first occurrence), so the first candidate
 * past the limit is the result.
 *
 * The C library converts in one zone at a time, the one TZ names, so the
 * conversions run under a process-wide mutex with TZ set to the schedule's
 * zone and restored afterwards. Nothing else in ctihub uses local time.
 * NOTE: setenv is not safe against a concurrent getenv when it adds a new
 * variable, because glibc may then move the environment array. Replacing
 * an existing value only swaps one pointer, so the first conversion in a
 * non-UTC zone must happen before other threads start; the configuration
 * loader's check of each schedule does that.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule/cron.h"
#include "util/alloc.h"

#define SECONDS_PER_DAY 86400
/* Days searched: a 29 February that must also be a given weekday can be
 * eight years away across a century year. */
#define SEARCH_DAYS (8 * 366 + 2)
#define ZONEINFO_DIR "/usr/share/zoneinfo/"

/* ---- Parsing ---------------------------------------------------------- */

struct field_spec {
	const char *name;
	int min;
	int max;
};

static const struct field_spec field_specs[5] = {
	{ "minute", 0, 59 },
	{ "hour", 0, 23 },
	{ "day of month", 1, 31 },
	{ "month", 1, 12 },
	{ "day of week", 0, 7 },
};

/* Parses a decimal number of at most three digits at *p. */
static bool parse_number(const char **p, int *out)
{
	int value = 0, digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 3) {
		value = value * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || (**p >= '0' && **p <= '9'))
		return false;
	*out = value;
	return true;
}

/* Parses one comma-separated item ("*", "5", "1-5", with an optional
 * "/step") of the field that text points into, up to end, and sets its
 * bits. */
static enum ch_code parse_item(const char *text, const char *end, const struct field_spec *f,
			       uint64_t *bits, struct ch_error *err)
{
	const char *p = text;
	int lo, hi, step = 1;
	bool range = false;

	if (*p == '*') {
		lo = f->min;
		hi = f->max;
		p++;
	} else {
		if (!parse_number(&p, &lo))
			goto invalid;
		hi = lo;
		if (*p == '-') {
			range = true;
			p++;
			if (!parse_number(&p, &hi))
				goto invalid;
		}
	}
	if (*p == '/') {
		p++;
		if (!parse_number(&p, &step) || step == 0)
			goto invalid;
		/* "5/15" means from 5 to the maximum, every 15. */
		if (text[0] != '*' && !range)
			hi = f->max;
	}
	if (p != end)
		goto invalid;
	if (lo < f->min || hi > f->max || lo > hi)
		return ch_fail(err, CH_INVALID,
			       "the %s field '%.*s' is out of range; use %d to %d", f->name,
			       (int)(end - text), text, f->min, f->max);
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return CH_OK;

invalid:
	return ch_fail(err, CH_INVALID,
		       "the %s field '%.*s' is invalid; use *, a number, a range such as 1-5, a step such as */15, or a list of them",
		       f->name, (int)(end - text), text);
}

static enum ch_code parse_field(const char *text, size_t len, const struct field_spec *f,
				uint64_t *bits, struct ch_error *err)
{
	const char *end = text + len;
	const char *item = text;

	*bits = 0;
	while (item <= end) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma ? comma : end;

		if (item_end == item)
			return ch_fail(err, CH_INVALID, "the %s field '%.*s' has an empty list item",
				       f->name, (int)len, text);
		if (parse_item(item, item_end, f, bits, err) != CH_OK)
			return CH_INVALID;
		item = item_end + 1;
	}
	return CH_OK;
}

enum ch_code cron_parse(const char *text, struct cron_schedule *out, struct ch_error *err)
{
	struct cron_schedule s = { 0 };
	uint64_t bits[5];
	const char *p = text;
	size_t count = 0;

	while (*p) {
		const char *start;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (count == 5)
			return ch_fail(err, CH_INVALID,
				       "schedule '%.64s' has more than five fields; write minute hour day-of-month month day-of-week, such as '0 7 * * *'",
				       text);
		if (parse_field(start, (size_t)(p - start), &field_specs[count], &bits[count], err) !=
		    CH_OK)
			return CH_INVALID;
		if (count == 2)
			s.days_any = *start == '*';
		if (count == 4)
			s.weekdays_any = *start == '*';
		count++;
	}
	if (count != 5)
		return ch_fail(err, CH_INVALID,
			       "schedule '%.64s' has %zu fields; write five: minute hour day-of-month month day-of-week, such as '0 7 * * *'",
			       text, count);

	s.minutes = bits[0];
	s.hours = (uint32_t)bits[1];
	s.days = (uint32_t)bits[2];
	s.months = (uint16_t)bits[3];
	/* Day 7 is Sunday, like day 0. */
	s.weekdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	memcpy(s.zone, "UTC", 4);
	*out = s;
	return CH_OK;
}

enum ch_code cron_set_zone(struct cron_schedule *s, const char *zone, struct ch_error *err)
{
	char path[sizeof(ZONEINFO_DIR) + CRON_ZONE_MAX];
	char magic[4];
	size_t len = strlen(zone);
	FILE *f;
	bool tzif;

	if (len == 0 || len >= CRON_ZONE_MAX || zone[0] == '/' || strstr(zone, ".."))
		goto invalid;
	for (const char *p = zone; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_-+", *p)))
			goto invalid;
	}
	if (strcmp(zone, "UTC") != 0) {
		/* A file that is missing, or is not in the tz database's binary
		 * format, would make the C library fall back to UTC silently. */
		snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, zone);
		f = fopen(path, "rb");
		tzif = f && fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
		       memcmp(magic, "TZif", 4) == 0;
		if (f)
			fclose(f);
		if (!tzif)
			return ch_fail(err, CH_INVALID,
				       "time zone '%s' is not in the tz database (%s); use an IANA name such as Europe/Berlin, and install tzdata",
				       zone, path);
	}
	memcpy(s->zone, zone, len + 1);
	return CH_OK;

invalid:
	return ch_fail(err, CH_INVALID,
		       "time zone '%.64s' is invalid; use an IANA name such as Europe/Berlin or UTC",
		       zone);
}

/* ---- Calendar arithmetic ---------------------------------------------- */

/* The date of a day counted from 1970-01-01 in the proleptic Gregorian
 * calendar, through 400-year eras of 146097 days that start on 0000-03-01,
 * so that the leap day ends each year of the era. */
static void date_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t day_of_era = z - era * 146097;
	int64_t year_of_era =
		(day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t mp = (5 * day_of_year + 2) / 153;

	*day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static bool day_matches(const struct cron_schedule *s, int64_t days)
{
	int64_t year;
	int month, day;
	int weekday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	bool by_day, by_weekday;

	date_from_days(days, &year, &month, &day);
	if (!(s->months & (1u << month)))
		return false;
	by_day = (s->days >> day) & 1u;
	by_weekday = (s->weekdays >> weekday) & 1u;
	if (s->days_any || s->weekdays_any)
		return by_day && by_weekday;
	return by_day || by_weekday;
}

/* ---- Zone conversions ------------------------------------------------- */

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static bool zone_saved;
static char *zone_original; /* TZ before the first conversion, or NULL */

struct zone {
	bool utc;
};

/* Takes the lock and makes TZ name the zone; see the file comment. */
static void zone_enter(const char *name, struct zone *z)
{
	char value[CRON_ZONE_MAX + 1];
	const char *tz;

	z->utc = strcmp(name, "UTC") == 0;
	if (z->utc)
		return;
	pthread_mutex_lock(&zone_lock);
	if (!zone_saved) {
		tz = getenv("TZ");
		zone_original = tz ? xstrdup(tz) : NULL;
		zone_saved = true;
	}
	snprintf(value, sizeof(value), ":%s", name);
	setenv("TZ", value, 1);
	tzset();
}

/* Restores TZ and releases the lock. Without an original TZ the C library
 * reads /etc/localtime, which ":/etc/localtime" names explicitly. */
static void zone_leave(const struct zone *z)
{
	if (z->utc)
		return;
	setenv("TZ", zone_original ? zone_original : ":/etc/localtime", 1);
	tzset();
	pthread_mutex_unlock(&zone_lock);
}

/* Seconds east of UTC at instant t. */
static int64_t zone_offset(const struct zone *z, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (z->utc || !localtime_r(&tt, &tm))
		return 0;
	return (int64_t)tm.tm_gmtoff;
}

/* The instant of a wall-clock time given as seconds since 1970-01-01
 * 00:00 local. A repeated wall time gives its first occurrence; a skipped
 * one gives the moment the clocks jump. */
static int64_t zone_to_utc(const struct zone *z, int64_t wall)
{
	int64_t before, after, lo, hi, first, second;

	if (z->utc)
		return wall;
	/* Transitions are months apart, so at most two offsets apply near a
	 * wall time: the one a day before and the one a day after it. */
	before = zone_offset(z, wall - SECONDS_PER_DAY);
	after = zone_offset(z, wall + SECONDS_PER_DAY);
	first = wall - (before > after ? before : after);
	second = wall - (before > after ? after : before);
	if (zone_offset(z, first) == wall - first)
		return first;
	if (zone_offset(z, second) == wall - second)
		return second;

	/* In the gap: find the first second that has the later offset. */
	lo = wall - before;
	hi = wall - after;
	if (lo > hi) {
		int64_t swap = lo;

		lo = hi;
		hi = swap;
	}
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (zone_offset(z, mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* ---- Search ----------------------------------------------------------- */

/* The earliest time on a local day after t (forward) or the latest before
 * t (backward); false when there is none. */
static bool search_day(const struct cron_schedule *s, const struct zone *z, int64_t days,
		       int64_t t, bool forward, int64_t *out)
{
	for (int i = 0; i < 24; i++) {
		int hour = forward ? i : 23 - i;

		if (!((s->hours >> hour) & 1u))
			continue;
		for (int j = 0; j < 60; j++) {
			int minute = forward ? j : 59 - j;
			int64_t at;

			if (!((s->minutes >> minute) & 1u))
				continue;
			at = zone_to_utc(z, days * SECONDS_PER_DAY + hour * 3600 + minute * 60);
			if (forward ? at > t : at < t) {
				*out = at;
				return true;
			}
		}
	}
	return false;
}

static enum ch_code search(const struct cron_schedule *s, int64_t t, bool forward,
			   int64_t *out, struct ch_error *err)
{
	struct zone z;
	int64_t start, found = 0;
	bool ok = false;

	zone_enter(s->zone, &z);
	/* One day of margin on the near side covers any zone offset. */
	start = floor_div(t + zone_offset(&z, t), SECONDS_PER_DAY) + (forward ? -1 : 1);
	for (int64_t i = 0; i < SEARCH_DAYS && !ok; i++) {
		int64_t days = forward ? start + i : start - i;

		if (day_matches(s, days))
			ok = search_day(s, &z, days, t, forward, &found);
	}
	zone_leave(&z);

	if (!ok)
		return ch_fail(err, CH_NOT_FOUND,
			       "the schedule matches no time within eight years; check its day of month and month");
	*out = found;
	return CH_OK;
}

enum ch_code cron_next(const struct cron_schedule *s, int64_t t, int64_t *out,
		       struct ch_error *err)
{
	return search(s, t, true, out, err);
}

enum ch_code cron_prev(const struct cron_schedule *s, int64_t t, int64_t *out,
		       struct ch_error *err)
{
	return search(s, t, false, out, err);
}
