/*
 * The levelled logger: formats one line on the stack and writes it with a
 * single write(2). It needs no lock, because POSIX keeps a write of up to
 * PIPE_BUF bytes to a pipe whole and LOG_LINE_MAX is below that. Terminals
 * and files opened with O_APPEND keep whole writes in practice.
 */
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(LOG_LINE_MAX <= PIPE_BUF, "a log line must fit one atomic pipe write");

/* Bytes of an id written before it is cut. */
#define LOG_ID_MAX 64

static atomic_int min_level = LOG_INFO;
static atomic_int out_fd = STDERR_FILENO;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static const char *const level_names[] = {
	[LOG_DEBUG] = "DEBUG",
	[LOG_INFO] = "INFO",
	[LOG_WARN] = "WARN",
	[LOG_ERROR] = "ERROR",
};

enum ch_code log_parse_level(const char *text, enum log_level *level, struct ch_error *err)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "debug", LOG_DEBUG },
		{ "info", LOG_INFO },
		{ "warn", LOG_WARN },
		{ "error", LOG_ERROR },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i].name) == 0) {
			*level = names[i].level;
			return CH_OK;
		}
	}
	return ch_fail(err, CH_USAGE,
		       "log level \"%s\" is invalid; use debug, info, warn or error", text);
}

void log_set_fd(int fd)
{
	/* Release, so a thread that writes to fd sees it fully set up. */
	atomic_store_explicit(&out_fd, fd, memory_order_release);
}

/* Writes "2026-12-04T20:15:17.123Z" (24 characters) into out. */
static size_t format_time(char *out, size_t cap)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(out + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000);
	return n;
}

/* Appends text to line at *len, writing control characters as \xNN, and
 * stops before cap. Returns false when the text did not fit. */
static bool append_escaped(char *line, size_t *len, size_t cap, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = *len;
	bool complete = true;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		size_t need = (*p >= 0x20 && *p != 0x7f) ? 1 : 4;

		if (n + need > cap) {
			complete = false;
			break;
		}
		if (need == 1) {
			line[n++] = (char)*p;
			continue;
		}
		line[n++] = '\\';
		line[n++] = 'x';
		line[n++] = hex[*p >> 4];
		line[n++] = hex[*p & 0xf];
	}
	*len = n;
	return complete;
}

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		/* A logger has nowhere to report its own failure. */
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* Formats and writes one line whatever the minimum level is. */
static void emit(enum log_level level, const char *id, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void emit(enum log_level level, const char *id, const char *fmt, va_list ap)
{
	char message[LOG_LINE_MAX];
	char line[LOG_LINE_MAX];
	/* Room kept at the end for "...\n". */
	const size_t body_cap = sizeof(line) - 4;
	bool complete;
	size_t len;
	int n;

	if ((unsigned)level > LOG_ERROR)
		level = LOG_ERROR;
	n = vsnprintf(message, sizeof(message), fmt, ap);
	if (n < 0)
		return;

	len = format_time(line, sizeof(line));
	len += (size_t)snprintf(line + len, sizeof(line) - len, " %-5s ", level_names[level]);
	if (id && *id) {
		/* Ids are short, and the bound keeps room for the message. */
		line[len++] = '[';
		append_escaped(line, &len, len + LOG_ID_MAX, id);
		line[len++] = ']';
		line[len++] = ' ';
	}
	complete = append_escaped(line, &len, body_cap, message);

	if (!complete || (size_t)n >= sizeof(message)) {
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';
	write_all(atomic_load_explicit(&out_fd, memory_order_acquire), line, len);
}

static void emit_format(enum log_level level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit_format(enum log_level level, const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, id, fmt, ap);
	va_end(ap);
}

static void read_env_level(void)
{
	const char *text = getenv("CTIHUB_LOG_LEVEL");
	enum log_level level;
	struct ch_error err;

	if (!text || !*text)
		return;
	if (log_parse_level(text, &level, &err) != CH_OK) {
		/* log_warn would wait on the pthread_once that is running this. */
		emit_format(LOG_WARN, NULL, "CTIHUB_LOG_LEVEL: %s. Logging at info.", err.message);
		return;
	}
	atomic_store(&min_level, level);
}

void log_set_level(enum log_level level)
{
	/* Run the environment read first so that it cannot undo this call later. */
	pthread_once(&env_once, read_env_level);
	atomic_store(&min_level, level);
}

bool log_enabled(enum log_level level)
{
	pthread_once(&env_once, read_env_level);
	return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

void log_vwrite(enum log_level level, const char *id, const char *fmt, va_list ap)
{
	if (log_enabled(level))
		emit(level, id, fmt, ap);
}

void log_debug(const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, id, fmt, ap);
	va_end(ap);
}

void log_info(const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, id, fmt, ap);
	va_end(ap);
}

void log_warn(const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARN, id, fmt, ap);
	va_end(ap);
}

void log_error(const char *id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERROR, id, fmt, ap);
	va_end(ap);
}
