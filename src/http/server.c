/*
 * The server's life cycle: compiles the route table, opens the listen
 * socket, starts libmicrohttpd's worker pool with the callbacks of
 * request.c, serves GET /healthz and GET /metrics itself, and on stop
 * drains the requests in flight before it returns.
 */
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"
#include "util/alloc.h"
#include "util/log.h"

/* Per-connection memory MHD may use for the request line, the headers and
 * the response headers. It must hold HTTP_URL_MAX plus HTTP_HEADERS_MAX.
 * Requests beyond it get MHD's own 414 or 431, which has an HTML body. */
#define CONNECTION_MEMORY ((size_t)32 * 1024)
/* Seconds an idle keep-alive connection stays open. */
#define IDLE_TIMEOUT_SECONDS 30
/* How long shutdown waits for requests in flight. */
#define DRAIN_TIMEOUT_MS 30000
#define STOP_POLL_MS 100

/* Sends libmicrohttpd's own error messages through the project's logger. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char message[512];
	size_t len;

	vsnprintf(message, sizeof(message), fmt, ap);
	len = strlen(message);
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r'))
		message[--len] = '\0';
	log_warn(NULL, "libmicrohttpd: %s", message);
}

static void handle_healthz(struct http_request *req, struct http_response *res)
{
	static const char body[] = "{\"status\":\"ok\"}";

	http_reply_text(res, 200, "application/json", body, sizeof(body) - 1);
}

/* Checks that the Authorization header is "Bearer TOKEN". Both sides are
 * hashed first, so the comparison takes the same time whatever the
 * length or content of the header. */
static bool metrics_token_ok(const struct http_request *req, const char *token)
{
	const char *header = http_header(req, "Authorization");
	unsigned char want[crypto_generichash_BYTES], got[crypto_generichash_BYTES];
	const char *sent = "";

	if (header && strncmp(header, "Bearer ", 7) == 0)
		sent = header + 7;
	crypto_generichash(want, sizeof(want), (const unsigned char *)token, strlen(token), NULL, 0);
	crypto_generichash(got, sizeof(got), (const unsigned char *)sent, strlen(sent), NULL, 0);
	return sodium_memcmp(want, got, sizeof(want)) == 0 && *sent;
}

static void handle_metrics(struct http_request *req, struct http_response *res)
{
	struct http_server *s = http_server_of(req);

	if (s->config->metrics_token && !metrics_token_ok(req, s->config->metrics_token)) {
		http_reply_fail(res, CH_UNAUTHORIZED, NULL,
				"/metrics needs the token set in CTIHUB_METRICS_TOKEN: send "
				"'Authorization: Bearer TOKEN'");
		return;
	}
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (http_metrics_render(s->metrics, &res->body) == CH_OK && s->config->metrics_cb)
		s->config->metrics_cb(s->config->app, &res->body);
}

static const struct http_route builtin_routes[] = {
	{ "GET", "/healthz", handle_healthz },
	{ "GET", "/metrics", handle_metrics },
};

static unsigned thread_count(const struct http_server_config *config)
{
	long cores;

	if (config->threads > 0)
		return config->threads;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 0 ? (unsigned)cores : 1;
}

static struct MHD_Daemon *start_daemon(struct http_server *s, int fd, unsigned threads)
{
	/* Poll, not epoll. In libmicrohttpd 0.9.75, MHD_quiesce_daemon on an
	 * epoll worker pool races the workers to remove the listen socket from
	 * their epoll sets, and the loser calls MHD_PANIC, which aborts the
	 * process (daemon.c, functions MHD_quiesce_daemon and MHD_epoll). */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	/* The pool option comes last, so that with one thread MHD_OPTION_END
	 * takes its place, because MHD warns about a pool size of 0 or 1. */
	return MHD_start_daemon(flags, 0, NULL, NULL, http_on_request, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_SECONDS,
				MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, s,
				MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, s,
				MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
				threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
				MHD_OPTION_END);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Stops accepting, waits for the requests in flight and stops MHD. Sets
 * *fd to -1 when MHD kept the listen socket and closed it itself. */
static void drain_and_stop(struct http_server *s, struct MHD_Daemon *daemon, int *fd)
{
	long waited = 0;

	atomic_store(&s->stopping, true);
	if (MHD_quiesce_daemon(daemon) == MHD_INVALID_SOCKET) {
		log_warn(NULL, "libmicrohttpd could not stop accepting connections, so new ones "
			 "are served until the requests in flight finish.");
		*fd = -1;
	} else {
		/* Stop listening, so that a client connecting during the drain
		 * is refused at once instead of waiting in the backlog and being
		 * reset when the socket closes. On Linux this also resets the
		 * connections still in the backlog. The socket is closed only
		 * after MHD_stop_daemon, because MHD's worker threads may still
		 * hold it until then. */
		shutdown(*fd, SHUT_RDWR);
	}
	log_info(NULL, "Stopping: no new connections are accepted. Requests in flight: %d.",
		 http_metrics_in_flight(s->metrics));
	while (http_metrics_in_flight(s->metrics) > 0 && waited < DRAIN_TIMEOUT_MS) {
		sleep_ms(10);
		waited += 10;
	}
	if (http_metrics_in_flight(s->metrics) > 0)
		log_warn(NULL,
			 "Requests still in flight after %d s: %d. Their connections are "
			 "closed now.",
			 DRAIN_TIMEOUT_MS / 1000, http_metrics_in_flight(s->metrics));
	MHD_stop_daemon(daemon);
}

enum ch_code http_server_run(const struct http_server_config *config,
			     volatile sig_atomic_t *stop, struct ch_error *err)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct http_listen_addr addr;
	struct MHD_Daemon *daemon = NULL;
	unsigned threads = thread_count(config);
	uint64_t start = 0;
	int fd = -1;
	enum ch_code rc;

	s->config = config;
	s->body_max = config->body_max ? config->body_max : HTTP_BODY_MAX_DEFAULT;
	rc = http_router_init(&s->router, builtin_routes,
			      sizeof(builtin_routes) / sizeof(builtin_routes[0]), config->routes,
			      config->route_count, err);
	if (rc != CH_OK)
		goto out;
	s->metrics = http_metrics_new(&s->router);
	/* A random start makes ids from different runs unlikely to collide. */
	if (getrandom(&start, sizeof(start), 0) != (ssize_t)sizeof(start))
		start = (uint64_t)time(NULL) << 20;
	atomic_store(&s->next_id, start);

	rc = http_listen_parse(config->listen, &addr, err);
	if (rc != CH_OK)
		goto out;
	rc = http_listen_open(&addr, &fd, err);
	if (rc != CH_OK)
		goto out;

	daemon = start_daemon(s, fd, threads);
	if (!daemon) {
		/* NOTE: MHD 0.9.75 closes the listen socket when it fails after
		 * reading its options, but not on an invalid option, where the
		 * socket leaks. Closing it here could close it twice. */
		fd = -1;
		rc = ch_fail(err, CH_IO, "cannot start the HTTP server on %s, because "
			     "libmicrohttpd failed; its reason is in the log above",
			     config->listen);
		goto out;
	}
	log_info(NULL, "Listening on %s with %u worker threads.", addr.text, threads);
	if (config->on_ready)
		config->on_ready(config->app, addr.port);

	/* An atomic load, because a thread may set the flag as well as a
	 * signal handler. */
	while (!__atomic_load_n(stop, __ATOMIC_RELAXED))
		sleep_ms(STOP_POLL_MS);
	drain_and_stop(s, daemon, &fd);
	log_info(NULL, "Stopped after %llu requests.",
		 (unsigned long long)atomic_load(&s->answered));
	rc = CH_OK;

out:
	/* A quiesced MHD leaves the listen socket to its owner, so it is
	 * closed here. */
	if (fd >= 0)
		close(fd);
	http_metrics_free(s->metrics);
	http_router_free(&s->router);
	free(s);
	return rc;
}
