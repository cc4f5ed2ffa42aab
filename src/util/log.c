/*
 * The levelled logger: formats one line on the stack and writes it with a
 * single write(2). It needs no lock, because POSIX keeps a write of up to
 * PIPE_BUF bytes to a pipe whole and LOG_LINE_MAX is below that. Terminals
 * and files opened with O_APPEND keep whole writes in practice.
 *
 * In buffered mode (log_buffer_start) INFO and DEBUG lines are appended to
 * a buffer under a mutex instead, and a thread of the logger writes the
 * buffer every LOG_FLUSH_MS. It swaps in a second buffer first and writes
 * outside that mutex, so server threads do not wait for the write. A WARN
 * or ERROR line writes the buffer and then itself at once. Every write of
 * the log takes a second mutex, taken while the first is held, so lines
 * keep their order. Whole lines are copied, so a batch never cuts a line.
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
/* Buffered mode: the buffer's size, and the longest time a line waits. */
#define LOG_BUFFER_BYTES ((size_t)64 * 1024)
#define LOG_FLUSH_MS 20

static atomic_int min_level = LOG_INFO;
static atomic_int out_fd = STDERR_FILENO;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

/* The level names as they appear in a line, padded to one width. */
static const char *const level_fields[] = {
	[LOG_DEBUG] = " DEBUG ",
	[LOG_INFO] = " INFO  ",
	[LOG_WARN] = " WARN  ",
	[LOG_ERROR] = " ERROR ",
};
#define LEVEL_FIELD_LEN 7

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

/* Writes "2026-12-04T20:15:17.123Z" (24 characters) into out, which has
 * room for at least 32. Each thread formats the date and time up to the
 * seconds once per second, because a server logs many lines a second. */
static size_t format_time(char *out)
{
	static _Thread_local time_t cached_second = -1;
	static _Thread_local char cached[32];
	static _Thread_local size_t cached_len;
	struct timespec now;
	struct tm tm;
	long ms;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_second) {
		gmtime_r(&now.tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_second = now.tv_sec;
	}
	memcpy(out, cached, cached_len);
	n = cached_len;
	ms = now.tv_nsec / 1000000;
	out[n++] = '.';
	out[n++] = (char)('0' + ms / 100);
	out[n++] = (char)('0' + ms / 10 % 10);
	out[n++] = (char)('0' + ms % 10);
	out[n++] = 'Z';
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

/* State of buffered mode. The mutex and the condition variable are never
 * destroyed, so a thread that saw buffering on may still lock them after
 * log_buffer_stop. */
static struct {
	pthread_mutex_t lock;
	pthread_mutex_t write_lock; /* held for each write; taken after lock */
	pthread_cond_t cond; /* waits on CLOCK_MONOTONIC */
	pthread_t thread;
	bool on;             /* guarded by lock */
	bool stopping;       /* guarded by lock */
	int current;         /* the buffer lines go to; guarded by lock */
	size_t len;          /* of the current buffer; guarded by lock */
	char data[2][LOG_BUFFER_BYTES];
} buffered = { .lock = PTHREAD_MUTEX_INITIALIZER, .write_lock = PTHREAD_MUTEX_INITIALIZER };
/* A copy of buffered.on that lets unbuffered writes skip the mutex. */
static atomic_bool buffering;
static pthread_once_t buffered_once = PTHREAD_ONCE_INIT;

static void init_buffered_cond(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&buffered.cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Writes the buffered lines, then line when it is not NULL. Called with
 * buffered.lock held. */
static void flush_locked(const char *line, size_t line_len)
{
	int fd = atomic_load_explicit(&out_fd, memory_order_acquire);

	pthread_mutex_lock(&buffered.write_lock);
	if (buffered.len > 0)
		write_all(fd, buffered.data[buffered.current], buffered.len);
	buffered.len = 0;
	if (line)
		write_all(fd, line, line_len);
	pthread_mutex_unlock(&buffered.write_lock);
}

/* Writes a finished line, or appends it to the buffer in buffered mode. */
static void output_line(enum log_level level, const char *line, size_t len)
{
	if (!atomic_load_explicit(&buffering, memory_order_relaxed)) {
		write_all(atomic_load_explicit(&out_fd, memory_order_acquire), line, len);
		return;
	}

	pthread_mutex_lock(&buffered.lock);
	if (!buffered.on || level >= LOG_WARN) {
		flush_locked(line, len);
	} else {
		if (buffered.len + len > LOG_BUFFER_BYTES)
			flush_locked(NULL, 0);
		memcpy(buffered.data[buffered.current] + buffered.len, line, len);
		buffered.len += len;
	}
	pthread_mutex_unlock(&buffered.lock);
}

static void *flush_main(void *arg)
{
	struct timespec deadline;

	(void)arg;
	pthread_mutex_lock(&buffered.lock);
	while (!buffered.stopping) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += LOG_FLUSH_MS * 1000000L;
		deadline.tv_sec += deadline.tv_nsec / 1000000000L;
		deadline.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&buffered.cond, &buffered.lock, &deadline);
		if (buffered.len > 0) {
			int full = buffered.current;
			size_t len = buffered.len;

			/* The write lock comes before the buffer lock is let go, so a
			 * WARN line written meanwhile waits for these lines. */
			buffered.current = 1 - full;
			buffered.len = 0;
			pthread_mutex_lock(&buffered.write_lock);
			pthread_mutex_unlock(&buffered.lock);
			write_all(atomic_load_explicit(&out_fd, memory_order_acquire),
				  buffered.data[full], len);
			pthread_mutex_unlock(&buffered.write_lock);
			pthread_mutex_lock(&buffered.lock);
		}
	}
	pthread_mutex_unlock(&buffered.lock);
	return NULL;
}

void log_buffer_start(void)
{
	pthread_once(&buffered_once, init_buffered_cond);
	pthread_mutex_lock(&buffered.lock);
	if (buffered.on) {
		pthread_mutex_unlock(&buffered.lock);
		return;
	}
	buffered.stopping = false;
	if (pthread_create(&buffered.thread, NULL, flush_main, NULL) != 0) {
		pthread_mutex_unlock(&buffered.lock);
		log_warn(NULL, "Starting the log writer thread failed, so each line is written "
			 "on its own.");
		return;
	}
	buffered.on = true;
	atomic_store(&buffering, true);
	pthread_mutex_unlock(&buffered.lock);
}

void log_buffer_stop(void)
{
	pthread_mutex_lock(&buffered.lock);
	if (!buffered.on) {
		pthread_mutex_unlock(&buffered.lock);
		return;
	}
	buffered.on = false;
	buffered.stopping = true;
	atomic_store(&buffering, false);
	pthread_cond_signal(&buffered.cond);
	pthread_mutex_unlock(&buffered.lock);
	pthread_join(buffered.thread, NULL);

	pthread_mutex_lock(&buffered.lock);
	flush_locked(NULL, 0);
	pthread_mutex_unlock(&buffered.lock);
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

	len = format_time(line);
	memcpy(line + len, level_fields[level], LEVEL_FIELD_LEN);
	len += LEVEL_FIELD_LEN;
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
	output_line(level, line, len);
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
