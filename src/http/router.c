/*
 * Route matching. Patterns are split into segments once at start-up. Each
 * request path is split once and URL-decoded segment by segment, so an
 * encoded slash (%2F) stays inside its segment instead of adding one.
 * Matching is a scan of the table in order, which costs well under a
 * microsecond for the few dozen routes ctihub has.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"
#include "util/alloc.h"

static const char *const method_names[HTTP_METHOD_COUNT] = {
	[HTTP_METHOD_GET] = "GET",         [HTTP_METHOD_HEAD] = "HEAD",
	[HTTP_METHOD_POST] = "POST",       [HTTP_METHOD_PUT] = "PUT",
	[HTTP_METHOD_PATCH] = "PATCH",     [HTTP_METHOD_DELETE] = "DELETE",
	[HTTP_METHOD_OPTIONS] = "OPTIONS", [HTTP_METHOD_OTHER] = "OTHER",
};

enum http_method http_method_parse(const char *method)
{
	for (int m = 0; m < HTTP_METHOD_OTHER; m++) {
		if (strcmp(method, method_names[m]) == 0)
			return (enum http_method)m;
	}
	return HTTP_METHOD_OTHER;
}

const char *http_method_name(enum http_method method)
{
	if ((unsigned)method >= HTTP_METHOD_COUNT)
		return "OTHER";
	return method_names[method];
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Checks one pattern segment: "{name}" with a name of letters, digits and
 * '_', or literal text without braces or '%'. */
static bool segment_valid(const char *text, size_t len, bool *is_param)
{
	*is_param = len >= 2 && text[0] == '{' && text[len - 1] == '}';
	if (*is_param) {
		if (len == 2)
			return false;
		for (size_t i = 1; i + 1 < len; i++) {
			if (!is_name_char(text[i]))
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '{' || text[i] == '}' || text[i] == '%')
			return false;
	}
	return true;
}

static enum ch_code compile_route(const struct http_route *in, struct http_compiled_route *out,
				  struct ch_error *err)
{
	const char *p;
	size_t params = 0;

	if (!in->method || !*in->method || !in->pattern || !in->handler)
		return ch_fail(err, CH_INVALID, "route %s %s has no method, pattern or handler",
			       in->method ? in->method : "(null)",
			       in->pattern ? in->pattern : "(null)");
	if (in->pattern[0] != '/')
		return ch_fail(err, CH_INVALID, "route pattern \"%s\" must start with /",
			       in->pattern);

	*out = (struct http_compiled_route){
		.method = in->method, .pattern = in->pattern, .handler = in->handler
	};
	p = in->pattern + 1;
	for (;;) {
		size_t len = strcspn(p, "/");
		struct http_segment *seg;

		if (out->segment_count == HTTP_SEGMENTS_MAX)
			return ch_fail(err, CH_INVALID,
				       "route pattern \"%s\" has more than %d segments",
				       in->pattern, HTTP_SEGMENTS_MAX);
		seg = &out->segments[out->segment_count++];
		seg->text = p;
		seg->len = len;
		if (!segment_valid(p, len, &seg->is_param))
			return ch_fail(err, CH_INVALID,
				       "route pattern \"%s\" has an invalid segment \"%.*s\"; use "
				       "literal text or {name}",
				       in->pattern, (int)len, p);
		if (seg->is_param && ++params > HTTP_PATH_PARAMS_MAX)
			return ch_fail(err, CH_INVALID,
				       "route pattern \"%s\" has more than %d placeholders",
				       in->pattern, HTTP_PATH_PARAMS_MAX);
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return CH_OK;
}

enum ch_code http_router_init(struct http_router *router, const struct http_route *builtins,
			      size_t builtin_count, const struct http_route *routes,
			      size_t route_count, struct ch_error *err)
{
	size_t total = builtin_count + route_count;
	struct http_compiled_route *compiled = xcalloc(total ? total : 1, sizeof(*compiled));
	enum ch_code rc = CH_OK;

	for (size_t i = 0; i < total; i++) {
		const struct http_route *in =
			i < builtin_count ? &builtins[i] : &routes[i - builtin_count];

		rc = compile_route(in, &compiled[i], err);
		if (rc != CH_OK)
			goto out;
	}
	router->routes = compiled;
	router->count = total;
	compiled = NULL;
out:
	free(compiled);
	return rc;
}

void http_router_free(struct http_router *router)
{
	free(router->routes);
	router->routes = NULL;
	router->count = 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes of one segment into out and returns the decoded
 * length, or -1 for %00. A '%' without two hex digits stays as it is,
 * as libmicrohttpd does for the whole path. */
static long decode_segment(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi = i + 2 < len ? hex_value(in[i + 1]) : -1;
		int lo = i + 2 < len ? hex_value(in[i + 2]) : -1;

		if (in[i] == '%' && hi >= 0 && lo >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		out[n++] = in[i];
	}
	out[n] = '\0';
	return (long)n;
}

enum ch_code http_path_split(const char *raw, size_t raw_len, char *storage,
			     struct http_path *path, struct ch_error *err)
{
	size_t pos = 1;
	char *out = storage;

	if (raw_len == 0 || raw[0] != '/')
		return ch_fail(err, CH_INVALID, "request path must start with /");

	path->count = 0;
	for (;;) {
		const char *end = memchr(raw + pos, '/', raw_len - pos);
		size_t len = end ? (size_t)(end - (raw + pos)) : raw_len - pos;
		long decoded;

		if (path->count == HTTP_SEGMENTS_MAX)
			return ch_fail(err, CH_NOT_FOUND, "request path has more than %d segments",
				       HTTP_SEGMENTS_MAX);
		decoded = decode_segment(raw + pos, len, out);
		if (decoded < 0)
			return ch_fail(err, CH_INVALID,
				       "request path contains an encoded NUL (%%00)");
		path->segments[path->count] = out;
		path->lens[path->count] = (size_t)decoded;
		path->count++;
		out += decoded + 1;
		if (!end)
			break;
		pos += len + 1;
	}
	return CH_OK;
}

static bool path_matches(const struct http_compiled_route *route, const struct http_path *path)
{
	if (route->segment_count != path->count)
		return false;
	for (size_t i = 0; i < path->count; i++) {
		const struct http_segment *seg = &route->segments[i];

		if (seg->is_param) {
			if (path->lens[i] == 0)
				return false;
			continue;
		}
		if (seg->len != path->lens[i] ||
		    memcmp(seg->text, path->segments[i], seg->len) != 0)
			return false;
	}
	return true;
}

static bool method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* Adds method to the comma-separated list unless it is there already. */
static void allow_add(char allow[HTTP_ALLOW_MAX], const char *method)
{
	size_t len = strlen(allow);
	size_t mlen = strlen(method);

	for (const char *p = allow; *p;) {
		size_t n = strcspn(p, ",");

		if (n == mlen && memcmp(p, method, n) == 0)
			return;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	/* A list too long for the buffer drops the extra methods. */
	if (len + 2 + mlen + 1 > HTTP_ALLOW_MAX)
		return;
	if (len > 0) {
		memcpy(allow + len, ", ", 2);
		len += 2;
	}
	memcpy(allow + len, method, mlen + 1);
}

enum http_match http_router_match(const struct http_router *router, const char *method,
				  const struct http_path *path, size_t *index,
				  char allow[HTTP_ALLOW_MAX])
{
	bool path_found = false;

	allow[0] = '\0';
	for (size_t i = 0; i < router->count; i++) {
		const struct http_compiled_route *route = &router->routes[i];

		if (!path_matches(route, path))
			continue;
		if (method_matches(route->method, method)) {
			*index = i;
			return HTTP_MATCH_FOUND;
		}
		if (!path_found)
			*index = i;
		path_found = true;
		allow_add(allow, route->method);
		if (strcmp(route->method, "GET") == 0)
			allow_add(allow, "HEAD");
	}
	return path_found ? HTTP_MATCH_WRONG_METHOD : HTTP_MATCH_NONE;
}

size_t http_route_params(const struct http_compiled_route *route, const struct http_path *path,
			 const char *params[HTTP_PATH_PARAMS_MAX])
{
	size_t count = 0;

	assert(route->segment_count == path->count);
	for (size_t i = 0; i < route->segment_count; i++) {
		if (route->segments[i].is_param && count < HTTP_PATH_PARAMS_MAX)
			params[count++] = path->segments[i];
	}
	return count;
}
