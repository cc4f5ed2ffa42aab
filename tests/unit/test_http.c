/*
 * Unit tests for the HTTP server core (src/http/server.c and its helpers).
 * Each test sends real HTTP with libcurl over loopback to a server that
 * http_server_run runs in a thread, on a port the kernel picks. They cover
 * routing and path parameters, the JSON error shape, 404, 405 with Allow,
 * body limits, the request id, /healthz, /metrics, the request log and a
 * graceful stop with a request in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"
#include "util/log.h"

#define BODY_MAX 1024

/* A running server and what its handlers saw. */
struct test_server {
	struct http_server_config config;
	pthread_t thread;
	volatile sig_atomic_t stop;
	atomic_uint port;
	enum ch_code rc;
	struct ch_error err;
	atomic_int echo_calls;
	atomic_int slow_started;
	FILE *log;
};

static struct test_server *server_of(struct http_request *req)
{
	return req->app;
}

/* Returns the path parameters, the query arguments q and flag, and the body. */
static void handle_echo(struct http_request *req, struct http_response *res)
{
	json_t *params = json_array();
	const char *q = http_query(req, "q");
	const char *flag = http_query(req, "flag");

	atomic_fetch_add(&server_of(req)->echo_calls, 1);
	for (size_t i = 0; i < req->param_count; i++)
		json_array_append_new(params, json_string(req->params[i]));
	http_reply_json(res, 200,
			json_pack("{s:o, s:s?, s:s?, s:s, s:I, s:s}", "params", params, "q", q,
				  "flag", flag, "body", req->body, "body_len",
				  (json_int_t)req->body_len, "method", req->method));
	snprintf(res->log_note, sizeof(res->log_note), "user tester");
}

static void handle_limited(struct http_request *req, struct http_response *res)
{
	(void)req;
	res->retry_after = 7;
	http_reply_fail(res, CH_RATE_LIMITED, "token", "too many requests for token %d", 12);
}

static void handle_text(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_reply_text(res, 200, "text/csv", "a,b\n1,2\n", 8);
}

static void handle_nothing(struct http_request *req, struct http_response *res)
{
	(void)req;
	(void)res;
}

static void handle_slow(struct http_request *req, struct http_response *res)
{
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 300 * 1000 * 1000 };

	atomic_store(&server_of(req)->slow_started, 1);
	nanosleep(&pause, NULL);
	http_reply_json(res, 200, json_pack("{s:b}", "slow", 1));
}

/* Releases two holds of one request 200 ms apart from the handler's
 * return, from another thread, as the audit writer does. */
static void *release_later(void *arg)
{
	struct http_hold **holds = arg;
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&pause, NULL);
	http_hold_release(holds[0]);
	nanosleep(&pause, NULL);
	http_hold_release(holds[1]);
	free(holds);
	return NULL;
}

static void handle_held(struct http_request *req, struct http_response *res)
{
	struct http_hold **holds = malloc(2 * sizeof(*holds));
	pthread_t thread;

	holds[0] = http_hold(req);
	holds[1] = http_hold(req);
	assert_int_equal(pthread_create(&thread, NULL, release_later, holds), 0);
	pthread_detach(thread);
	http_reply_json(res, 200, json_pack("{s:b}", "held", 1));
}

static void add_app_metrics(void *app, struct buf *out)
{
	(void)app;
	buf_append_str(out, "test_app_gauge 42\n");
}

static const struct http_route routes[] = {
	{ "GET", "/items/{id}/parts/{part}", handle_echo },
	{ "DELETE", "/items/{id}/parts/{part}", handle_echo },
	{ "POST", "/items", handle_echo },
	{ "GET", "/limited", handle_limited },
	{ "GET", "/text", handle_text },
	{ "GET", "/nothing", handle_nothing },
	{ "GET", "/slow", handle_slow },
	{ "GET", "/held", handle_held },
};

static void on_ready(void *app, unsigned port)
{
	struct test_server *ts = app;

	atomic_store(&ts->port, port);
}

static void *run_server(void *arg)
{
	struct test_server *ts = arg;

	ts->rc = http_server_run(&ts->config, &ts->stop, &ts->err);
	/* Lets a waiting start_server see a failure to start. */
	atomic_store(&ts->port, 1);
	return NULL;
}

static struct test_server *start_server(void)
{
	struct test_server *ts = calloc(1, sizeof(*ts));

	ts->config = (struct http_server_config){
		.listen = "127.0.0.1:0",
		.threads = 2,
		.body_max = BODY_MAX,
		.routes = routes,
		.route_count = sizeof(routes) / sizeof(routes[0]),
		.app = ts,
		.metrics_cb = add_app_metrics,
		.on_ready = on_ready,
	};
	assert_int_equal(pthread_create(&ts->thread, NULL, run_server, ts), 0);
	for (int i = 0; i < 500 && atomic_load(&ts->port) == 0; i++)
		usleep(10000);
	assert_true(atomic_load(&ts->port) > 1);
	return ts;
}

static enum ch_code stop_server(struct test_server *ts)
{
	enum ch_code rc;

	__atomic_store_n(&ts->stop, 1, __ATOMIC_RELAXED);
	pthread_join(ts->thread, NULL);
	rc = ts->rc;
	free(ts);
	return rc;
}

/* One HTTP exchange. */
struct exchange {
	long status;
	struct buf headers;
	struct buf body;
	json_t *json;
};

static size_t collect_cb(char *data, size_t size, size_t count, void *out)
{
	return buf_append(out, data, size * count) == CH_OK ? size * count : 0;
}

/* Sends method to path with an optional body and extra header lines. */
static void request(struct test_server *ts, const char *method, const char *path,
		    const char *body, size_t body_len, const char *const *headers,
		    struct exchange *ex)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *list = NULL;
	char url[16384];

	assert_non_null(curl);
	memset(ex, 0, sizeof(*ex));
	buf_init(&ex->headers, 1 << 20);
	buf_init(&ex->body, 8 << 20);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", atomic_load(&ts->port), path);

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	for (size_t i = 0; headers && headers[i]; i++)
		list = curl_slist_append(list, headers[i]);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex->headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex->body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);

	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ex->status);
	if (ex->body.len > 0)
		ex->json = json_loadb(ex->body.data, ex->body.len, 0, NULL);
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
}

static void exchange_free(struct exchange *ex)
{
	buf_free(&ex->headers);
	buf_free(&ex->body);
	json_decref(ex->json);
}

/* Copies the value of response header name into out, or returns false. */
static bool header_value(const struct exchange *ex, const char *name, char *out, size_t cap)
{
	size_t name_len = strlen(name);

	for (const char *line = ex->headers.data; line && *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > name_len && strncasecmp(line, name, name_len) == 0 &&
		    line[name_len] == ':') {
			const char *v = line + name_len + 1;

			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(len - (size_t)(v - line)), v);
			return true;
		}
		line = end ? end + 2 : line + len;
	}
	return false;
}

static const char *json_text(json_t *root, const char *path1, const char *path2)
{
	json_t *v = json_object_get(root, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

/* Checks the {"error": {"code", "message", "field"}} shape every error has. */
static void assert_error(const struct exchange *ex, long status, const char *code,
			 const char *message)
{
	char type[128];

	assert_int_equal(ex->status, status);
	assert_non_null(ex->json);
	assert_true(header_value(ex, "Content-Type", type, sizeof(type)));
	assert_string_equal(type, "application/json");
	assert_int_equal(json_object_size(ex->json), 1);
	assert_int_equal(json_object_size(json_object_get(ex->json, "error")), 3);
	assert_string_equal(json_text(ex->json, "error", "code"), code);
	assert_string_equal(json_text(ex->json, "error", "message"), message);
	assert_non_null(json_text(ex->json, "error", "field"));
}

static struct test_server *shared;

static int start_shared(void **state)
{
	FILE *log;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_level(LOG_INFO);
	log = tmpfile();
	log_set_fd(fileno(log));
	shared = start_server();
	shared->log = log;
	return 0;
}

static int stop_shared(void **state)
{
	FILE *log = shared->log;

	(void)state;
	assert_int_equal(stop_server(shared), CH_OK);
	log_set_fd(2);
	fclose(log);
	curl_global_cleanup();
	return 0;
}

static void http_route_params_are_decoded(void **state)
{
	struct exchange ex;
	json_t *params;

	(void)state;
	request(shared, "GET", "/items/a%2Fb%20c/parts/7?q=x%20y&flag", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 200);
	assert_non_null(ex.json);
	params = json_object_get(ex.json, "params");
	assert_int_equal(json_array_size(params), 2);
	assert_string_equal(json_string_value(json_array_get(params, 0)), "a/b c");
	assert_string_equal(json_string_value(json_array_get(params, 1)), "7");
	assert_string_equal(json_text(ex.json, "q", NULL), "x y");
	assert_string_equal(json_text(ex.json, "flag", NULL), "");
	assert_string_equal(json_text(ex.json, "body", NULL), "");
	exchange_free(&ex);
}

static void http_unknown_path_is_404(void **state)
{
	struct exchange ex;

	(void)state;
	request(shared, "GET", "/items/1/parts", NULL, 0, NULL, &ex);
	assert_error(&ex, 404, "not_found", "no route matches GET /items/1/parts");
	exchange_free(&ex);

	/* An empty placeholder does not match. */
	request(shared, "GET", "/items//parts/2", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 404);
	exchange_free(&ex);
}

static void http_wrong_method_is_405_with_allow(void **state)
{
	struct exchange ex;
	char allow[128];

	(void)state;
	request(shared, "PUT", "/items/1/parts/2", NULL, 0, NULL, &ex);
	assert_error(&ex, 405, "method_not_allowed",
		     "method PUT is not allowed for /items/1/parts/2; use GET, HEAD, DELETE");
	assert_true(header_value(&ex, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "GET, HEAD, DELETE");
	exchange_free(&ex);
}

static void http_body_reaches_handler(void **state)
{
	struct exchange ex;

	(void)state;
	request(shared, "POST", "/items", "{\"a\":1}", 7, NULL, &ex);
	assert_int_equal(ex.status, 200);
	assert_string_equal(json_text(ex.json, "body", NULL), "{\"a\":1}");
	assert_int_equal(json_integer_value(json_object_get(ex.json, "body_len")), 7);
	exchange_free(&ex);
}

static void http_body_over_max_is_413(void **state)
{
	static const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
	char body[BODY_MAX + 1];
	struct exchange ex;
	int calls = atomic_load(&shared->echo_calls);

	(void)state;
	memset(body, 'a', sizeof(body));

	/* Rejected on its Content-Length, before the body is read. */
	request(shared, "POST", "/items", body, sizeof(body), NULL, &ex);
	assert_error(&ex, 413, "too_large", "request body is larger than 1024 bytes");
	exchange_free(&ex);

	/* A chunked body has no length up front and is cut off while read. */
	request(shared, "POST", "/items", body, sizeof(body), chunked, &ex);
	assert_error(&ex, 413, "too_large", "request body is larger than 1024 bytes");
	exchange_free(&ex);

	assert_int_equal(atomic_load(&shared->echo_calls), calls);

	/* Exactly the maximum is fine. */
	request(shared, "POST", "/items", body, BODY_MAX, chunked, &ex);
	assert_int_equal(ex.status, 200);
	assert_int_equal(json_integer_value(json_object_get(ex.json, "body_len")), BODY_MAX);
	exchange_free(&ex);
}

static void http_long_url_and_headers_rejected(void **state)
{
	static char path[HTTP_URL_MAX + 16];
	static char header[HTTP_HEADERS_MAX + 32];
	const char *headers[] = { header, NULL };
	struct exchange ex;

	(void)state;
	path[0] = '/';
	memset(path + 1, 'p', sizeof(path) - 2);
	path[sizeof(path) - 1] = '\0';
	request(shared, "GET", path, NULL, 0, NULL, &ex);
	assert_error(&ex, 414, "too_large", "request target is longer than 8192 bytes");
	exchange_free(&ex);

	snprintf(header, sizeof(header), "X-Filler: ");
	memset(header + 10, 'h', sizeof(header) - 11);
	header[sizeof(header) - 1] = '\0';
	request(shared, "GET", "/healthz", NULL, 0, headers, &ex);
	assert_error(&ex, 431, "too_large", "request headers are larger than 16384 bytes");
	exchange_free(&ex);
}

static void http_encoded_nul_is_400(void **state)
{
	struct exchange ex;

	(void)state;
	request(shared, "GET", "/items/1%00/parts/2", NULL, 0, NULL, &ex);
	assert_error(&ex, 400, "invalid", "request path contains an encoded NUL (%00)");
	exchange_free(&ex);
}

static void http_request_id_is_unique(void **state)
{
	char first[64], second[64];
	struct exchange ex;

	(void)state;
	request(shared, "GET", "/healthz", NULL, 0, NULL, &ex);
	assert_true(header_value(&ex, "X-Request-Id", first, sizeof(first)));
	exchange_free(&ex);
	request(shared, "GET", "/nowhere", NULL, 0, NULL, &ex);
	assert_true(header_value(&ex, "X-Request-Id", second, sizeof(second)));
	exchange_free(&ex);

	assert_int_equal(strlen(first), 12);
	assert_int_equal(strspn(first, "0123456789abcdef"), 12);
	assert_string_not_equal(first, second);
}

static void http_healthz_is_ok(void **state)
{
	struct exchange ex;
	char type[64];

	(void)state;
	request(shared, "GET", "/healthz", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 200);
	assert_string_equal(ex.body.data, "{\"status\":\"ok\"}");
	assert_true(header_value(&ex, "Content-Type", type, sizeof(type)));
	assert_string_equal(type, "application/json");
	exchange_free(&ex);

	request(shared, "HEAD", "/healthz", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 200);
	assert_int_equal(ex.body.len, 0);
	exchange_free(&ex);
}

static void http_hold_delays_response(void **state)
{
	struct timespec start, end;
	struct exchange ex;
	double seconds;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &start);
	request(shared, "GET", "/held", NULL, 0, NULL, &ex);
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	assert_int_equal(ex.status, 200);
	assert_string_equal(ex.body.data, "{\"held\":true}");
	/* Sent after the second release, 200 ms after the handler returned. */
	assert_true(seconds >= 0.19);
	exchange_free(&ex);

	/* The server goes on serving after a held response. */
	request(shared, "GET", "/healthz", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 200);
	exchange_free(&ex);
}

static void http_response_headers_from_handler(void **state)
{
	struct exchange ex;
	char value[64];

	(void)state;
	request(shared, "GET", "/limited", NULL, 0, NULL, &ex);
	assert_error(&ex, 429, "rate_limited", "too many requests for token 12");
	assert_string_equal(json_text(ex.json, "error", "field"), "token");
	assert_true(header_value(&ex, "Retry-After", value, sizeof(value)));
	assert_string_equal(value, "7");
	exchange_free(&ex);

	request(shared, "GET", "/text", NULL, 0, NULL, &ex);
	assert_int_equal(ex.status, 200);
	assert_true(header_value(&ex, "Content-Type", value, sizeof(value)));
	assert_string_equal(value, "text/csv");
	assert_string_equal(ex.body.data, "a,b\n1,2\n");
	assert_false(header_value(&ex, "Retry-After", value, sizeof(value)));
	exchange_free(&ex);
}

static void http_handler_without_reply_is_500(void **state)
{
	struct exchange ex;

	(void)state;
	request(shared, "GET", "/nothing", NULL, 0, NULL, &ex);
	assert_error(&ex, 500, "internal", "the server did not build a response");
	exchange_free(&ex);
}

/* Reads the value of one metrics line, or 0 when the series is absent. */
static unsigned long long metric_value(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	if (!p)
		return 0;
	return strtoull(p + strlen(series), NULL, 10);
}

static void http_metrics_count_by_pattern(void **state)
{
	const char *series = "ctihub_http_requests_total{route=\"/items/{id}/parts/{part}\","
			     "method=\"GET\",status=\"200\"} ";
	const char *unmatched = "ctihub_http_requests_total{route=\"unmatched\","
				"method=\"GET\",status=\"404\"} ";
	unsigned long long before, before_unmatched;
	struct exchange ex;
	char type[128];

	(void)state;
	request(shared, "GET", "/metrics", NULL, 0, NULL, &ex);
	before = metric_value(ex.body.data, series);
	before_unmatched = metric_value(ex.body.data, unmatched);
	exchange_free(&ex);

	for (int i = 0; i < 3; i++) {
		request(shared, "GET", "/items/x/parts/y", NULL, 0, NULL, &ex);
		exchange_free(&ex);
	}
	request(shared, "GET", "/no/such/path", NULL, 0, NULL, &ex);
	exchange_free(&ex);

	/* A request is counted when MHD reports it complete, which can be a
	 * moment after the client has the response, so poll for up to 2 s. */
	for (int i = 0; i < 200; i++) {
		request(shared, "GET", "/metrics", NULL, 0, NULL, &ex);
		if (metric_value(ex.body.data, series) == before + 3 &&
		    metric_value(ex.body.data, unmatched) == before_unmatched + 1)
			break;
		exchange_free(&ex);
		usleep(10000);
	}
	assert_int_equal(ex.status, 200);
	assert_true(header_value(&ex, "Content-Type", type, sizeof(type)));
	assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(metric_value(ex.body.data, series), before + 3);
	assert_int_equal(metric_value(ex.body.data, unmatched), before_unmatched + 1);
	/* The raw path never becomes a label. */
	assert_null(strstr(ex.body.data, "/items/x/parts/y"));
	assert_non_null(strstr(ex.body.data, "# TYPE ctihub_http_request_duration_seconds "
					     "histogram\n"));
	assert_non_null(strstr(ex.body.data, "ctihub_http_request_duration_seconds_bucket{"
					     "route=\"/items/{id}/parts/{part}\",le=\"+Inf\"}"));
	assert_non_null(strstr(ex.body.data, "ctihub_http_request_duration_seconds_count{"
					     "route=\"/items/{id}/parts/{part}\"}"));
	/* This /metrics request itself is in flight. */
	assert_true(metric_value(ex.body.data, "\nctihub_http_requests_in_flight ") >= 1);
	assert_non_null(strstr(ex.body.data, "\ntest_app_gauge 42\n"));
	exchange_free(&ex);
}

static void http_log_has_request_line_no_secrets(void **state)
{
	static const char *const auth[] = { "Authorization: Bearer sekrit-token-123", NULL };
	char request_id[64];
	char line[4096];
	bool found = false;
	struct exchange ex;

	(void)state;
	request(shared, "POST", "/items?password=hunter2", "sekrit-body", 11, auth, &ex);
	assert_int_equal(ex.status, 200);
	assert_true(header_value(&ex, "X-Request-Id", request_id, sizeof(request_id)));
	exchange_free(&ex);

	/* The log line is written once the response is sent, which can be a
	 * moment after the client has it, so poll for up to 2 s. */
	for (int i = 0; i < 200 && !found; i++) {
		usleep(10000);
		rewind(shared->log);
		while (fgets(line, sizeof(line), shared->log)) {
			assert_null(strstr(line, "sekrit"));
			assert_null(strstr(line, "hunter2"));
			if (!strstr(line, request_id))
				continue;
			found = true;
			assert_non_null(strstr(line, " INFO  ["));
			assert_non_null(strstr(line, "POST /items from 127.0.0.1 returned 200 "
						     "with "));
			assert_non_null(strstr(line, "(user tester)."));
		}
	}
	assert_true(found);
}

static void http_listen_invalid_is_usage(void **state)
{
	static const char *const bad[] = {
		"8080", "localhost:8080", "127.0.0.1:", "127.0.0.1:99999", "[::1]8080",
		"[nope]:80", "1.2.3:80", "127.0.0.1:80x",
	};
	volatile sig_atomic_t stop = 1;
	struct http_server_config config = { .routes = routes, .route_count = 1 };
	struct ch_error err;
	char expected[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config.listen = bad[i];
		assert_int_equal(http_server_run(&config, &stop, &err), CH_USAGE);
		snprintf(expected, sizeof(expected), "listen address \"%s\" is invalid", bad[i]);
		assert_non_null(strstr(err.message, expected));
	}
}

static void http_listen_in_use_is_io(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct http_server_config config = { .routes = routes, .route_count = 1 };
	struct ch_error err;
	char listen_text[64];
	char expected[128];

	(void)state;
	snprintf(listen_text, sizeof(listen_text), "127.0.0.1:%u", atomic_load(&shared->port));
	config.listen = listen_text;
	assert_int_equal(http_server_run(&config, &stop, &err), CH_IO);
	snprintf(expected, sizeof(expected), "cannot listen on %s: Address already in use",
		 listen_text);
	assert_string_equal(err.message, expected);
}

static void http_invalid_route_is_rejected(void **state)
{
	static const struct http_route bad_routes[][1] = {
		{ { "GET", "no-slash", handle_text } },
		{ { "GET", "/a/{}", handle_text } },
		{ { "GET", "/a/x{id}", handle_text } },
		{ { "GET", "/{a}/{b}/{c}/{d}/{e}", handle_text } },
		{ { "GET", "/a", NULL } },
	};
	volatile sig_atomic_t stop = 1;
	struct http_server_config config = { .listen = "127.0.0.1:0", .route_count = 1 };
	struct ch_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_routes) / sizeof(bad_routes[0]); i++) {
		config.routes = bad_routes[i];
		assert_int_equal(http_server_run(&config, &stop, &err), CH_INVALID);
		assert_non_null(strstr(err.message, "route"));
	}
}

static void *slow_client(void *arg)
{
	struct test_server *ts = arg;
	struct exchange *ex = calloc(1, sizeof(*ex));

	request(ts, "GET", "/slow", NULL, 0, NULL, ex);
	return ex;
}

static void http_stop_waits_for_request_in_flight(void **state)
{
	struct test_server *ts = start_server();
	struct exchange *ex;
	pthread_t client;
	char connection[32];

	(void)state;
	assert_int_equal(pthread_create(&client, NULL, slow_client, ts), 0);
	for (int i = 0; i < 500 && !atomic_load(&ts->slow_started); i++)
		usleep(2000);
	assert_true(atomic_load(&ts->slow_started));

	/* The handler is sleeping now, and stopping must let it finish. */
	assert_int_equal(stop_server(ts), CH_OK);
	pthread_join(client, (void **)&ex);
	assert_int_equal(ex->status, 200);
	assert_true(json_is_true(json_object_get(ex->json, "slow")));
	/* The response asks the client to close the connection. */
	assert_true(header_value(ex, "Connection", connection, sizeof(connection)));
	assert_string_equal(connection, "close");
	exchange_free(ex);
	free(ex);
}

static void http_form_decodes_fields(void **state)
{
	static const char body[] = "team_id=T01&text=hxxp%3A%2F%2Fevil%5B.%5Dcom+now&text=second"
				   "&empty=&flag&&caf%C3%A9=%E2%9C%93";
	json_t *form;

	(void)state;
	form = http_form_decode(body, strlen(body));
	assert_non_null(form);
	assert_string_equal(json_string_value(json_object_get(form, "team_id")), "T01");
	assert_string_equal(json_string_value(json_object_get(form, "text")),
			    "hxxp://evil[.]com now");
	assert_string_equal(json_string_value(json_object_get(form, "empty")), "");
	assert_string_equal(json_string_value(json_object_get(form, "flag")), "");
	assert_string_equal(json_string_value(json_object_get(form, "caf\xC3\xA9")), "\xE2\x9C\x93");
	json_decref(form);

	form = http_form_decode("", 0);
	assert_non_null(form);
	assert_int_equal(json_object_size(form), 0);
	json_decref(form);
}

static void http_form_refuses_bad_bodies(void **state)
{
	static const char *const bad[] = { "a=%ZZ", "a=%4", "a=%", "a=%00", "a=%C3%28",
					   "%00=x" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(http_form_decode(bad[i], strlen(bad[i])));
	assert_null(http_form_decode("a=b\0c", 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_form_decodes_fields),
		cmocka_unit_test(http_form_refuses_bad_bodies),
		cmocka_unit_test(http_route_params_are_decoded),
		cmocka_unit_test(http_unknown_path_is_404),
		cmocka_unit_test(http_wrong_method_is_405_with_allow),
		cmocka_unit_test(http_body_reaches_handler),
		cmocka_unit_test(http_body_over_max_is_413),
		cmocka_unit_test(http_long_url_and_headers_rejected),
		cmocka_unit_test(http_encoded_nul_is_400),
		cmocka_unit_test(http_request_id_is_unique),
		cmocka_unit_test(http_healthz_is_ok),
		cmocka_unit_test(http_hold_delays_response),
		cmocka_unit_test(http_response_headers_from_handler),
		cmocka_unit_test(http_handler_without_reply_is_500),
		cmocka_unit_test(http_metrics_count_by_pattern),
		cmocka_unit_test(http_log_has_request_line_no_secrets),
		cmocka_unit_test(http_listen_invalid_is_usage),
		cmocka_unit_test(http_listen_in_use_is_io),
		cmocka_unit_test(http_invalid_route_is_rejected),
		cmocka_unit_test(http_stop_waits_for_request_in_flight),
	};

	return cmocka_run_group_tests(tests, start_shared, stop_shared);
}
