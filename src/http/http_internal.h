/*
 * Internals shared by the files of the HTTP server core: the listen address
 * (listen.c), the route matcher (router.c), the request counters
 * (metrics.c), the request cycle (request.c) and the server's state.
 * Nothing outside src/http includes this header.
 */
#ifndef CTIHUB_HTTP_INTERNAL_H
#define CTIHUB_HTTP_INTERNAL_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http/server.h"
#include "util/buf.h"
#include "util/error.h"

/* Maximum segments in a route pattern, so a longer request path matches no
 * route. */
#define HTTP_SEGMENTS_MAX 16
/* Room for an Allow header value such as "GET, HEAD, POST, DELETE". */
#define HTTP_ALLOW_MAX 96

/* Methods with their own metrics label; the rest count as OTHER, so a
 * client cannot create new label values. */
enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_OTHER,
	HTTP_METHOD_COUNT
};

enum http_method http_method_parse(const char *method);
const char *http_method_name(enum http_method method);

/* One segment of a compiled pattern: literal text or a {name} placeholder. */
struct http_segment {
	const char *text; /* points into the pattern; not NUL-terminated */
	size_t len;
	bool is_param;
};

struct http_compiled_route {
	const char *method;
	const char *pattern;
	http_handler_fn handler;
	size_t segment_count;
	struct http_segment segments[HTTP_SEGMENTS_MAX];
};

/* The route table in match order. Patterns and methods point into the
 * caller's tables, which must outlive the router. */
struct http_router {
	struct http_compiled_route *routes;
	size_t count;
};

/* A request path split at '/' into URL-decoded, NUL-terminated segments
 * that live in the caller's storage. */
struct http_path {
	size_t count;
	const char *segments[HTTP_SEGMENTS_MAX];
	size_t lens[HTTP_SEGMENTS_MAX];
};

enum http_match {
	HTTP_MATCH_FOUND,        /* a route has this path and method */
	HTTP_MATCH_WRONG_METHOD, /* routes have this path, none this method */
	HTTP_MATCH_NONE,         /* no route has this path */
};

/* Compiles the builtin routes followed by the application's routes. Fails
 * with CH_INVALID naming the pattern when one is malformed. */
enum ch_code http_router_init(struct http_router *router, const struct http_route *builtins,
			      size_t builtin_count, const struct http_route *routes,
			      size_t route_count, struct ch_error *err);
void http_router_free(struct http_router *router);

/* Splits and decodes the raw path (without the query string) into path,
 * using storage of at least raw_len + 1 bytes. Fails with CH_INVALID when
 * the path does not start with '/' or contains %00, and with CH_NOT_FOUND
 * when it has more segments than any route can have. */
enum ch_code http_path_split(const char *raw, size_t raw_len, char *storage,
			     struct http_path *path, struct ch_error *err);

/* Finds the first route, in table order, that matches path and method
 * (HEAD matches GET routes). Sets *index to the matched route, or with
 * HTTP_MATCH_WRONG_METHOD to the first route with this path, and fills
 * allow with the methods that path accepts. */
enum http_match http_router_match(const struct http_router *router, const char *method,
				  const struct http_path *path, size_t *index,
				  char allow[HTTP_ALLOW_MAX]);

/* Copies the values of the route's {name} segments into params and
 * returns their count. */
size_t http_route_params(const struct http_compiled_route *route, const struct http_path *path,
			 const char *params[HTTP_PATH_PARAMS_MAX]);

/* State shared by the worker threads for the life of http_server_run. */
struct http_server {
	const struct http_server_config *config;
	size_t body_max;
	struct http_router router;
	struct http_metrics *metrics;
	atomic_bool stopping;
	/* Request ids are a counter from a random start, scrambled (see
	 * make_request_id). */
	atomic_uint_least64_t next_id;
	atomic_uint_least64_t answered;
	/* Requests with a method other than GET and HEAD whose handler has
	 * returned (see http_write_count). */
	atomic_uint_least64_t writes;
};

/* The MHD callbacks of the request cycle in request.c. Their cls argument is
 * the server. */
void http_on_connection(void *cls, struct MHD_Connection *mhd, void **socket_context,
			enum MHD_ConnectionNotificationCode toe);
void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *mhd);
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mhd, const char *url,
				const char *method, const char *version, const char *upload_data,
				size_t *upload_data_size, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *mhd, void **con_cls,
		       enum MHD_RequestTerminationCode toe);
/* The server that is running the handler for req. */
struct http_server *http_server_of(struct http_request *req);

/* A parsed http_server_config.listen value. */
struct http_listen_addr {
	struct sockaddr_storage sa;
	socklen_t sa_len;
	bool any;      /* ":PORT": every interface, IPv6 and IPv4 */
	unsigned port; /* the bound port once http_listen_open succeeds */
	char text[INET6_ADDRSTRLEN + 16]; /* "127.0.0.1:8080", "[::1]:8080", "*:8080" */
};

/* Parses "IPV4:PORT", "[IPV6]:PORT" or ":PORT". Fails with CH_USAGE naming
 * the value. Host names are not resolved. */
enum ch_code http_listen_parse(const char *listen, struct http_listen_addr *addr,
			       struct ch_error *err);
/* Creates, binds and listens on a non-blocking socket, and updates
 * addr->port and addr->text with the port bound. Fails with CH_IO. */
enum ch_code http_listen_open(struct http_listen_addr *addr, int *fd, struct ch_error *err);

/* Request counters and latency histograms per route, plus the requests
 * in flight. Route slots are router indexes; slot route_count is for
 * requests that matched no route. Updates use relaxed atomics. */
struct http_metrics;

struct http_metrics *http_metrics_new(const struct http_router *router);
void http_metrics_free(struct http_metrics *metrics);
void http_metrics_start(struct http_metrics *metrics);
/* Records a finished request; status 0 means no response was sent. */
void http_metrics_finish(struct http_metrics *metrics, size_t route_slot,
			 enum http_method method, int status, uint64_t duration_ns);
int http_metrics_in_flight(const struct http_metrics *metrics);
/* Appends the metrics in Prometheus text format 0.0.4. */
enum ch_code http_metrics_render(const struct http_metrics *metrics, struct buf *out);

#endif
