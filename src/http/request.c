/*
 * The request cycle on libmicrohttpd (MHD). MHD runs a pool of worker
 * threads, and each polls its own share of the connections. Every callback
 * below runs on the worker that owns the connection, so a connection's
 * state needs no lock. Handlers run on those workers too.
 *
 * Each TCP connection has one struct conn, allocated when MHD accepts it
 * and reused by every request on that keep-alive connection, so a request
 * allocates only its body buffer and its response. A conn moves through
 * these states:
 *
 *   IDLE          no request yet, or the last one is finished.
 *   STARTED       http_on_uri saw the request line, but the headers are
 *                 not read yet. The first http_on_request call checks the
 *                 limits and finds the route.
 *   READING_BODY  the headers are read and checked. http_on_request stores the
 *                 body (or discards it when it is over the limit or the
 *                 request already failed) and, on its last call, runs the
 *                 handler or sends the failure.
 *   HELD          the handler returned while holds (http_hold) were not
 *                 yet released. The connection is suspended in MHD and its
 *                 response waits in the conn. The last http_hold_release
 *                 resumes it, and MHD then calls http_on_request again,
 *                 which sends the response.
 *   RESPONDED     a response is queued. http_on_completed logs the request,
 *                 records metrics and returns the conn to IDLE.
 *
 * Requests without a body pass through READING_BODY too, because MHD
 * keeps a connection alive only when the response is queued after the
 * first http_on_request call. Limit failures (414, 431, a Content-Length
 * over the maximum) are the exception, because they get their response in
 * the first call and the connection closes after it. MHD calls
 * http_on_completed for every request that http_on_uri saw, also when the
 * client went away, so the in-flight count always returns to zero.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http/http_internal.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/timeutil.h"

/* A body buffer larger than this is freed after its request instead of
 * being kept for the connection's next request. */
#define BODY_KEEP_MAX ((size_t)64 * 1024)
/* Bytes of the path shown in a request's log line. */
#define LOG_PATH_MAX 256

enum conn_state { CONN_IDLE, CONN_STARTED, CONN_READING_BODY, CONN_HELD, CONN_RESPONDED };

struct conn {
	struct http_server *server;
	struct MHD_Connection *mhd;
	enum conn_state state;
	char client[INET6_ADDRSTRLEN];

	/* The current request. http_on_uri resets everything below. */
	struct http_request req;
	uint64_t started_ns;
	enum http_method method;
	size_t route_slot;
	const struct http_compiled_route *route;
	bool target_too_long;
	/* The path as sent, before URL decoding, cut at HTTP_URL_MAX. */
	char raw_path[HTTP_URL_MAX + 1];
	size_t raw_path_len;
	/* Decoded path segments; the request's params point in here. */
	char segments[HTTP_URL_MAX + 1];
	struct http_path path;
	struct buf body;
	bool body_too_large;
	/* A failure found before the body was read, sent once it is. */
	bool failed;
	int fail_status;
	struct ch_error fail;
	char allow[HTTP_ALLOW_MAX];
	/* Holds not yet released, and whether MHD has suspended the connection
	 * because of them. Other threads release holds, so both are read and
	 * written under hold_lock. */
	pthread_mutex_t hold_lock;
	unsigned holds;
	bool suspended;
	/* The response of a HELD request. */
	struct http_response held;
	/* Status and body size sent, for the log line and the metrics. */
	int status;
	size_t bytes;
	char log_note[64];
};

/* Writes 12 hex digits. Multiplying the counter by an odd constant modulo
 * 2^48 is a bijection, so ids stay unique for 2^48 requests while
 * consecutive ones do not look alike in a log. */
static void make_request_id(struct http_server *s, char out[HTTP_REQUEST_ID_MAX])
{
	const uint64_t mask = (UINT64_C(1) << 48) - 1;
	uint64_t n = atomic_fetch_add_explicit(&s->next_id, 1, memory_order_relaxed);

	snprintf(out, HTTP_REQUEST_ID_MAX, "%012llx",
		 (unsigned long long)((n * UINT64_C(0x9e3779b97f4b)) & mask));
}

/* Fills in the client address, with IPv4 clients of a dual-stack socket
 * shown as plain IPv4. */
static void format_client(struct MHD_Connection *mhd, char out[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	snprintf(out, INET6_ADDRSTRLEN, "unknown");
	if (sa && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  INET6_ADDRSTRLEN);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
	}
}

void http_on_connection(void *cls, struct MHD_Connection *mhd, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		c->server = cls;
		c->mhd = mhd;
		c->state = CONN_IDLE;
		buf_init(&c->body, c->server->body_max);
		pthread_mutex_init(&c->hold_lock, NULL);
		format_client(mhd, c->client);
		*socket_context = c;
		return;
	}
	if (c) {
		buf_free(&c->body);
		pthread_mutex_destroy(&c->hold_lock);
		free(c);
		*socket_context = NULL;
	}
}

/* Starts a request. MHD calls this with the raw request target as soon as
 * the request line is read, before it decodes the path. The return value
 * becomes the request's context in http_on_request and http_on_completed. */
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *mhd)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *c = info ? info->socket_context : NULL;
	size_t path_len = strcspn(uri, "?");

	if (!c)
		return NULL;

	c->state = CONN_STARTED;
	c->started_ns = time_monotonic_ns();
	http_metrics_start(s->metrics);
	memset(&c->req, 0, sizeof(c->req));
	make_request_id(s, c->req.request_id);
	c->method = HTTP_METHOD_OTHER;
	c->route_slot = s->router.count; /* the unmatched slot */
	c->route = NULL;
	c->target_too_long = strlen(uri) > HTTP_URL_MAX;
	c->raw_path_len = path_len < HTTP_URL_MAX ? path_len : HTTP_URL_MAX;
	memcpy(c->raw_path, uri, c->raw_path_len);
	c->raw_path[c->raw_path_len] = '\0';
	c->body_too_large = false;
	c->failed = false;
	c->allow[0] = '\0';
	c->status = 0;
	c->bytes = 0;
	c->log_note[0] = '\0';
	return c;
}

/* Hands the response body to MHD and queues the response with the
 * headers every response carries. */
static enum MHD_Result send_response(struct conn *c, struct http_response *res)
{
	struct http_server *s = c->server;
	struct MHD_Response *r;
	enum MHD_Result ok;
	size_t len = res->body.len;
	char retry[24];

	if (res->body.data) {
		r = MHD_create_response_from_buffer(len, res->body.data, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(res->body.data);
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	/* MHD owns the data now, or it was freed above. */
	buf_init(&res->body, res->body.max);
	if (!r) {
		log_error(c->req.request_id, "Creating the response to %s %s failed, so the "
			  "connection is closed.", c->req.method, c->raw_path);
		return MHD_NO;
	}

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				res->content_type ? res->content_type : "application/json");
	MHD_add_response_header(r, "X-Request-Id", c->req.request_id);
	if (res->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", res->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	if (c->allow[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, c->allow);
	/* While draining, end keep-alive connections after this response so
	 * clients reconnect to the next instance. */
	if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");

	ok = MHD_queue_response(c->mhd, (unsigned)res->status, r);
	MHD_destroy_response(r);
	c->state = CONN_RESPONDED;
	c->status = res->status;
	c->bytes = len;
	memcpy(c->log_note, res->log_note, sizeof(c->log_note));
	c->log_note[sizeof(c->log_note) - 1] = '\0';
	return ok;
}

static enum MHD_Result send_error(struct conn *c, int status, const struct ch_error *err)
{
	struct http_response res = { 0 };

	buf_init(&res.body, HTTP_RESPONSE_MAX);
	http_reply_error(&res, err);
	if (status != 0 && res.status != 500)
		res.status = status;
	return send_response(c, &res);
}

/* Finds a query argument whose value contains an encoded NUL (%00), which
 * would cut the value short where handlers read it as a C string. */
static enum MHD_Result find_nul_argument(void *cls, enum MHD_ValueKind kind, const char *key,
					 size_t key_size, const char *value, size_t value_size)
{
	const char **bad = cls;

	(void)kind;
	if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
		*bad = key;
		return MHD_NO;
	}
	return MHD_YES;
}

static void run_handler(struct conn *c)
{
	struct http_response res = { 0 };
	const char *bad = NULL;

	buf_init(&res.body, HTTP_RESPONSE_MAX);
	c->req.body = c->body.data ? c->body.data : "";
	c->req.body_len = c->body.len;
	MHD_get_connection_values_n(c->req.connection, MHD_GET_ARGUMENT_KIND, find_nul_argument,
				    &bad);
	if (bad)
		http_reply_fail(&res, CH_INVALID, bad, "query parameter '%.64s' contains an encoded "
						       "NUL (%%00); remove it",
				bad);
	else
		c->route->handler(&c->req, &res);
	if (c->method != HTTP_METHOD_GET && c->method != HTTP_METHOD_HEAD)
		atomic_fetch_add(&c->server->writes, 1);

	if (res.status < 100 || res.status > 599) {
		log_error(c->req.request_id, "The handler for %s %s set the invalid status %d, "
			  "so 500 is sent instead. Fix the handler to set a status from 100 "
			  "to 599.",
			  c->route->method, c->route->pattern, res.status);
		buf_reset(&res.body);
		http_reply_fail(&res, CH_INTERNAL, NULL, "the server did not build a response");
	}

	/* A hold released from now on finds the connection suspended, so it
	 * resumes it. */
	pthread_mutex_lock(&c->hold_lock);
	if (c->holds > 0) {
		c->held = res;
		c->state = CONN_HELD;
		c->suspended = true;
		MHD_suspend_connection(c->mhd);
		pthread_mutex_unlock(&c->hold_lock);
		return;
	}
	pthread_mutex_unlock(&c->hold_lock);
	send_response(c, &res);
}

static struct conn *conn_of(struct http_request *req)
{
	return (struct conn *)((char *)req - offsetof(struct conn, req));
}

struct http_hold *http_hold(struct http_request *req)
{
	struct conn *c = conn_of(req);

	pthread_mutex_lock(&c->hold_lock);
	c->holds++;
	pthread_mutex_unlock(&c->hold_lock);
	return (struct http_hold *)c;
}

void http_hold_release(struct http_hold *hold)
{
	struct conn *c = (struct conn *)hold;

	pthread_mutex_lock(&c->hold_lock);
	/* A second release of one hold would wrap the count and leave the
	 * connection suspended for ever. */
	assert(c->holds > 0);
	c->holds--;
	if (c->holds == 0 && c->suspended) {
		c->suspended = false;
		MHD_resume_connection(c->mhd);
	}
	pthread_mutex_unlock(&c->hold_lock);
}

/* Records a failure. With close set, the error response goes out at once
 * and MHD closes the connection instead of reading a body that would be
 * dropped. Otherwise it goes out on the last http_on_request call, which
 * keeps the connection open for the client's next request. */
static enum MHD_Result fail_request(struct conn *c, bool close, int status, enum ch_code code,
				    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum MHD_Result fail_request(struct conn *c, bool close, int status, enum ch_code code,
				    const char *fmt, ...)
{
	va_list ap;

	c->failed = true;
	c->fail_status = status;
	ch_error_clear(&c->fail);
	c->fail.code = code;
	va_start(ap, fmt);
	vsnprintf(c->fail.message, sizeof(c->fail.message), fmt, ap);
	va_end(ap);
	if (close)
		return send_error(c, status, &c->fail);
	c->state = CONN_READING_BODY;
	return MHD_YES;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	size_t *total = cls;

	*total += strlen(key) + (value ? strlen(value) : 0);
	return MHD_YES;
}

/* Reads the Content-Length header; a chunked body has none. */
static bool content_length(struct MHD_Connection *mhd, unsigned long long *length)
{
	const char *text = MHD_lookup_connection_value(mhd, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (!text)
		return false;
	/* MHD has already rejected a Content-Length that is not a number. */
	*length = strtoull(text, NULL, 10);
	return true;
}

/* Checks the limits and finds the route once the headers are read. MHD
 * calls http_on_request again when the body (possibly empty) is complete.
 * The response is queued only then, because libmicrohttpd 0.9.75 closes a
 * connection whose response was queued in this first call. */
static enum MHD_Result begin_request(struct conn *c, const char *url, const char *method)
{
	struct http_server *s = c->server;
	struct ch_error err;
	size_t header_bytes = 0;
	unsigned long long length = 0;
	enum http_match match = HTTP_MATCH_NONE;
	enum ch_code rc;

	c->req.method = method;
	c->req.path = url;
	c->req.body = "";
	c->req.client = c->client;
	c->req.app = s->config->app;
	c->req.connection = c->mhd;
	c->method = http_method_parse(method);
	c->state = CONN_READING_BODY;

	if (c->target_too_long)
		return fail_request(c, true, 414, CH_TOO_LARGE,
				    "request target is longer than %d bytes", HTTP_URL_MAX);
	MHD_get_connection_values(c->mhd, MHD_HEADER_KIND, add_header_size, &header_bytes);
	if (header_bytes > HTTP_HEADERS_MAX)
		return fail_request(c, true, 431, CH_TOO_LARGE,
				    "request headers are larger than %d bytes", HTTP_HEADERS_MAX);
	if (content_length(c->mhd, &length) && length > s->body_max)
		return fail_request(c, true, 413, CH_TOO_LARGE,
				    "request body is larger than %zu bytes", s->body_max);

	rc = http_path_split(c->raw_path, c->raw_path_len, c->segments, &c->path, &err);
	if (rc == CH_INVALID)
		return fail_request(c, false, 400, CH_INVALID, "%s", err.message);
	/* A path with more segments than any route (CH_NOT_FOUND) matches none. */
	if (rc == CH_OK)
		match = http_router_match(&s->router, method, &c->path, &c->route_slot, c->allow);
	if (match == HTTP_MATCH_NONE) {
		c->route_slot = s->router.count;
		return fail_request(c, false, 404, CH_NOT_FOUND, "no route matches %s %s", method,
				    url);
	}
	if (match == HTTP_MATCH_WRONG_METHOD)
		return fail_request(c, false, 405, CH_METHOD_NOT_ALLOWED,
				    "method %s is not allowed for %s; use %s", method, url,
				    c->allow);

	c->route = &s->router.routes[c->route_slot];
	c->req.param_count = http_route_params(c->route, &c->path, c->req.params);
	return MHD_YES;
}

static void store_body(struct conn *c, const char *data, size_t size)
{
	if (c->failed || c->body_too_large)
		return;
	if (buf_append(&c->body, data, size) == CH_OK)
		return;
	/* The rest is read and dropped, because MHD cannot send a response
	 * while a body is being uploaded. */
	c->body_too_large = true;
	buf_free(&c->body);
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mhd, const char *url,
				const char *method, const char *version, const char *upload_data,
				size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;
	struct ch_error err;

	if (!c) {
		/* http_on_uri sets the context for every request, so this is a bug. */
		log_error(NULL, "A request for %s arrived without its connection state, so the "
			  "connection is closed.", url);
		return MHD_NO;
	}
	switch (c->state) {
	case CONN_STARTED:
		return begin_request(c, url, method);
	case CONN_READING_BODY:
		if (*upload_data_size > 0) {
			store_body(c, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (c->failed)
			return send_error(c, c->fail_status, &c->fail);
		if (c->body_too_large) {
			ch_fail(&err, CH_TOO_LARGE, "request body is larger than %zu bytes",
				c->server->body_max);
			return send_error(c, 413, &err);
		}
		run_handler(c);
		return MHD_YES;
	case CONN_HELD:
		return send_response(c, &c->held);
	case CONN_IDLE:
	case CONN_RESPONDED:
		break;
	}
	return MHD_NO;
}

/* Writes the request's line. The duration is shown in milliseconds with
 * three decimals, formatted from whole microseconds, which is cheaper than
 * printf's floating-point conversion. */
static void log_request(const struct conn *c, uint64_t elapsed_ns,
			enum MHD_RequestTerminationCode toe)
{
	unsigned long long us = (unsigned long long)((elapsed_ns + 500) / 1000);
	unsigned long long ms = us / 1000, ms_fraction = us % 1000;
	const char *method = c->req.method ? c->req.method : "request";
	/* A path of thousands of bytes would drown the rest of the line. */
	int path_shown = c->raw_path_len > LOG_PATH_MAX ? LOG_PATH_MAX : (int)c->raw_path_len;
	const char *path_cut = c->raw_path_len > LOG_PATH_MAX ? "..." : "";
	const char *note_open = c->log_note[0] ? " (" : "";
	const char *note_close = c->log_note[0] ? ")" : "";

	if (c->status == 0) {
		log_info(c->req.request_id, "%s %.*s%s from %s ended after %llu.%03llu ms without "
			 "a response (libmicrohttpd termination code %d).",
			 method, path_shown, c->raw_path, path_cut, c->client, ms, ms_fraction,
			 (int)toe);
		return;
	}
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		log_info(c->req.request_id, "%s %.*s%s from %s returned %d, but sending its %zu "
			 "bytes failed after %llu.%03llu ms (libmicrohttpd termination code %d)%s%s%s.",
			 method, path_shown, c->raw_path, path_cut, c->client, c->status, c->bytes,
			 ms, ms_fraction, (int)toe, note_open, c->log_note, note_close);
		return;
	}
	log_info(c->req.request_id,
		 "%s %.*s%s from %s returned %d with %zu bytes in %llu.%03llu ms%s%s%s.",
		 method, path_shown, c->raw_path, path_cut, c->client, c->status, c->bytes, ms,
		 ms_fraction, note_open, c->log_note, note_close);
}

void http_on_completed(void *cls, struct MHD_Connection *mhd, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct conn *c = *con_cls;
	uint64_t elapsed;

	if (!c)
		return;
	elapsed = time_monotonic_ns() - c->started_ns;
	if (log_enabled(LOG_INFO))
		log_request(c, elapsed, toe);
	if (c->status != 0)
		atomic_fetch_add_explicit(&s->answered, 1, memory_order_relaxed);
	/* A held reply whose client went away while its connection was
	 * suspended was never handed to MHD, which would have freed it. */
	if (c->state == CONN_HELD) {
		buf_free(&c->held.body);
		c->held = (struct http_response){ 0 };
	}

	if (c->body.cap > BODY_KEEP_MAX)
		buf_free(&c->body);
	else
		buf_reset(&c->body);
	c->state = CONN_IDLE;
	*con_cls = NULL;
	/* Last, because the server may shut down once no request is in flight. */
	http_metrics_finish(s->metrics, c->route_slot, c->method, c->status, elapsed);
}

struct http_server *http_server_of(struct http_request *req)
{
	return conn_of(req)->server;
}

uint64_t http_write_count(const struct http_request *req)
{
	return atomic_load(&conn_of((struct http_request *)req)->server->writes);
}
