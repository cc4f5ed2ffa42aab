/*
 * Cron schedules in a time zone: parsing the five fields
 * "minute hour day-of-month month day-of-week" and finding the scheduled
 * times just after or just before an instant.
 *
 * A field is "*", a number, a range "a-b", any of these followed by a step
 * such as "/15" (every 15th value from the start), or a comma-separated
 * list of them. A number with a step, "5/15", runs to the field's maximum.
 * Day of week
 * runs from 0 (Sunday) to 7 (Sunday again). As in Vixie cron, when both
 * day of month and day of week are restricted (neither starts with "*"),
 * a day matches when either does.
 *
 * Times are wall-clock times in an IANA zone read from the system's tz
 * database (/usr/share/zoneinfo). Around daylight saving changes:
 *   - a wall time that does not exist (the hour the clocks skip) runs at
 *     the moment the clocks jump. In Europe/Berlin, 02:30 on the last
 *     Sunday of March runs at 03:00 CEST, and several skipped times
 *     collapse into that one run;
 *   - a wall time that occurs twice (the hour repeated in autumn) runs
 *     once, at its first occurrence.
 */
#ifndef CTIHUB_SCHEDULE_CRON_H
#define CTIHUB_SCHEDULE_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* Maximum length of a zone name plus its NUL, enough for "America/Argentina/Buenos_Aires". */
#define CRON_ZONE_MAX 64

struct cron_schedule {
	uint64_t minutes;  /* bit n: minute n, 0..59 */
	uint32_t hours;    /* bit n: hour n, 0..23 */
	uint32_t days;     /* bit n: day of month n, 1..31 */
	uint16_t months;   /* bit n: month n, 1..12 */
	uint8_t weekdays;  /* bit n: day of week n, 0 (Sunday)..6 */
	bool days_any;     /* the day-of-month field starts with "*" */
	bool weekdays_any; /* the day-of-week field starts with "*" */
	char zone[CRON_ZONE_MAX]; /* "UTC" or an IANA name */
};

/* Parses the five fields of text. Errors name the field at fault. */
enum ch_code cron_parse(const char *text, struct cron_schedule *out, struct ch_error *err);

/* Sets the schedule's zone after checking that the tz database has it
 * (/usr/share/zoneinfo/NAME). "UTC" needs no database. */
enum ch_code cron_set_zone(struct cron_schedule *s, const char *zone, struct ch_error *err);

/* The first scheduled time strictly after t, in seconds since the epoch.
 * CH_NOT_FOUND when the schedule never matches in the next eight years,
 * as for "0 0 30 2 *". */
enum ch_code cron_next(const struct cron_schedule *s, int64_t t, int64_t *out,
		       struct ch_error *err);
/* The last scheduled time strictly before t; CH_NOT_FOUND as above. */
enum ch_code cron_prev(const struct cron_schedule *s, int64_t t, int64_t *out,
		       struct ch_error *err);

#endif
