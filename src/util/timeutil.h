/*
 * Time helpers. ctihub stores every time as seconds since the Unix epoch,
 * UTC, in a signed 64-bit integer, and prints it as ISO 8601 with a Z.
 */
#ifndef CTIHUB_UTIL_TIMEUTIL_H
#define CTIHUB_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define TIME_ISO_MAX 32

int64_t time_now(void);
/* Milliseconds on a monotonic clock, for rate limits and durations. */
int64_t time_now_ms(void);
/* Nanoseconds on a monotonic clock, for short durations. */
uint64_t time_monotonic_ns(void);
/* Parses an ISO 8601 time such as "2026-12-04T20:15:17Z" or
 * "2026-12-04T21:15:17+01:00" (the time of day and the zone optional; no
 * zone means UTC), or a plain Unix time. */
enum ch_code time_parse_iso(const char *text, int64_t *t, struct ch_error *err);
/* Writes "2026-12-04T20:15:17Z" into out (at least TIME_ISO_MAX bytes). */
void time_format_iso(int64_t t, char *out, size_t cap);
/* Parses a duration such as "90s", "15m", "24h", "7d" or "2w" into seconds. */
enum ch_code time_parse_duration(const char *text, int64_t *seconds, struct ch_error *err);

#endif
