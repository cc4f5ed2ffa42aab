/*
 * The HTTP server core on libmicrohttpd: accepts connections, reads each
 * request body up to a hard maximum, matches the route table, calls the
 * handler on a worker thread, writes the response, logs one line per
 * request with its request id and records metrics. It knows nothing about
 * reports or accounts: handlers live in src/http/api_*.c.
 *
 * Shutdown: http_server_run blocks until *stop becomes non-zero (set from a
 * SIGTERM or SIGINT handler), then stops accepting connections, lets the
 * requests in flight finish, and returns CH_OK.
 */
#ifndef CTIHUB_HTTP_SERVER_H
#define CTIHUB_HTTP_SERVER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

/* Hard limits on what a client may send. */
#define HTTP_BODY_MAX_DEFAULT ((size_t)1024 * 1024)
#define HTTP_PATH_PARAMS_MAX 4
#define HTTP_REQUEST_ID_MAX 24
/* Request target (path and query string) in bytes; longer gets 414. */
#define HTTP_URL_MAX 8192
/* Sum of the request's header names and values in bytes; more gets 431. */
#define HTTP_HEADERS_MAX 16384
/* Largest response body a handler may build; more becomes a 500. */
#define HTTP_RESPONSE_MAX ((size_t)64 * 1024 * 1024)

struct http_request {
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* URL-decoded path without the query string */
	const char *body;     /* NUL-terminated; "" when there is none */
	size_t body_len;
	const char *client;   /* peer address, such as "127.0.0.1" */
	char request_id[HTTP_REQUEST_ID_MAX];
	/* Values of the {name} segments of the matched route pattern, in order. */
	const char *params[HTTP_PATH_PARAMS_MAX];
	size_t param_count;
	void *app;            /* http_server_config.app */
	void *connection;     /* libmicrohttpd connection, for the accessors below */
};

/* Value of a request header (case-insensitive name), or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* Value of a query-string argument, URL-decoded, or NULL. */
const char *http_query(const struct http_request *req, const char *name);
/* How many requests with a method other than GET and HEAD the server has
 * handled so far. Each is counted after its handler returns, so after
 * anything it committed and before its client has the reply. */
uint64_t http_write_count(const struct http_request *req);

struct http_response {
	int status;
	const char *content_type; /* default "application/json" */
	struct buf body;
	int retry_after;          /* seconds; sent as Retry-After when > 0 */
	/* Label for the request log line, such as the authenticated user. */
	char log_note[64];
};

/* Sets a JSON body and status; takes ownership of body. */
void http_reply_json(struct http_response *res, int status, json_t *body);
/* Sets status for a JSON body that the handler wrote into res->body,
 * given json_out_finish's result rc, or a 500 error in its place when rc
 * is not CH_OK. */
void http_reply_written_json(struct http_response *res, int status, enum ch_code rc);
/* Sets {"error": {"code", "message", "field"}} with the status that
 * ch_code_http_status maps err->code to. */
void http_reply_error(struct http_response *res, const struct ch_error *err);
/* Shorthand for an error made here: code, optional field, message. */
void http_reply_fail(struct http_response *res, enum ch_code code, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Limits of an application/x-www-form-urlencoded body. */
#define HTTP_FORM_FIELDS_MAX 100
#define HTTP_FORM_VALUE_MAX ((size_t)512 * 1024)

/* Decodes a form body into an object of name -> string. The first value
 * of a repeated name wins. NULL for a bad %-escape, a NUL (raw or
 * escaped), invalid UTF-8 or a limit exceeded. */
json_t *http_form_decode(const char *body, size_t len);

/* Sets a plain-text body. */
void http_reply_text(struct http_response *res, int status, const char *content_type,
		     const char *text, size_t len);

/* A response held back by a handler until work on another thread, such as
 * committing an audit entry, is done. */
struct http_hold;

/* Holds back the response to req: the core sends it only after the
 * handler has returned and every hold taken on req has been released with
 * http_hold_release. Meanwhile the worker thread serves other connections.
 * Call it from the handler only; each hold must be released exactly once. */
struct http_hold *http_hold(struct http_request *req);
/* Releases a hold, from any thread. The last release of a request whose
 * handler has returned sends its response. */
void http_hold_release(struct http_hold *hold);

typedef void (*http_handler_fn)(struct http_request *req, struct http_response *res);

struct http_route {
	const char *method;
	/* Literal segments and {name} placeholders: "/api/v1/reports/{id}". */
	const char *pattern;
	http_handler_fn handler;
};

/* Called while /metrics is being written, to append application gauges in
 * Prometheus text format. */
typedef void (*http_metrics_cb)(void *app, struct buf *out);
/* Called once the server accepts connections, with the bound TCP port
 * (useful with port 0, which lets the kernel pick a free one). */
typedef void (*http_ready_cb)(void *app, unsigned port);

struct http_server_config {
	const char *listen;       /* "ADDR:PORT", "[::1]:PORT" or ":PORT" */
	unsigned threads;         /* worker threads; 0 means one per core */
	size_t body_max;          /* 0 means HTTP_BODY_MAX_DEFAULT */
	const struct http_route *routes;
	size_t route_count;
	void *app;
	http_metrics_cb metrics_cb; /* may be NULL */
	const char *metrics_token;  /* bearer token GET /metrics needs; NULL for none */
	http_ready_cb on_ready;     /* may be NULL */
};

/* Runs the server until *stop is set; see the file comment. Fails with
 * CH_USAGE for an invalid listen address, CH_INVALID for an invalid route
 * table and CH_IO when the address cannot be bound. GET /healthz and
 * GET /metrics are served by the core itself, ahead of the route table. */
enum ch_code http_server_run(const struct http_server_config *config,
			     volatile sig_atomic_t *stop, struct ch_error *err);

#endif
