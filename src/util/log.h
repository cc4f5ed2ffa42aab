/*
 * The server's one levelled logger. Each call writes one line to stderr:
 *
 *   2026-12-04T20:15:17.123Z INFO  [3fa2b1c0d9e8] GET /healthz returned 200 ...
 *
 * with the time in UTC to the millisecond, the level, the request id or
 * object id in brackets (left out when the caller passes NULL) and a
 * whole-sentence message. Each line goes out in one write(2), or with
 * whole other lines in buffered mode, so lines from different threads
 * never interleave. Control characters in a message are
 * written as \xNN, so a value that came from a client cannot start a forged
 * line. Lines longer than LOG_LINE_MAX bytes are cut and end in "...".
 *
 * The minimum level comes from the CTIHUB_LOG_LEVEL environment variable
 * (debug, info, warn or error; info when unset), read on the first call.
 * Never pass a secret: no Authorization header, token or request body.
 */
#ifndef CTIHUB_UTIL_LOG_H
#define CTIHUB_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "util/error.h"

#define LOG_LINE_MAX 2048

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Parses "debug", "info", "warn" or "error". */
enum ch_code log_parse_level(const char *text, enum log_level *level, struct ch_error *err);
/* Overrides CTIHUB_LOG_LEVEL, for a command-line option or a test. */
void log_set_level(enum log_level level);
/* Whether a message at level would be written; lets a caller skip
 * formatting costly arguments. */
bool log_enabled(enum log_level level);
/* Sends lines to fd instead of stderr (2), so a test can read them. */
void log_set_fd(int fd);
/* Buffers INFO and DEBUG lines and writes them in batches, at most 20 ms
 * after each line, for a server that logs a line per request. WARN and
 * ERROR lines are written at once, after the lines buffered before them.
 * A crash loses the buffered lines; log_buffer_stop writes them. */
void log_buffer_start(void);
/* Writes the buffered lines and goes back to one write per line. */
void log_buffer_stop(void);

void log_debug(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_error(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(enum log_level level, const char *id, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
