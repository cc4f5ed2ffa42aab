/*
 * The listen address: parsing the configured text and opening the socket.
 * The server opens the socket itself rather than letting libmicrohttpd do
 * it, so a bind failure is reported with its exact errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/http_internal.h"

static enum ch_code invalid(const char *listen, struct ch_error *err)
{
	return ch_fail(err, CH_USAGE,
		       "listen address \"%s\" is invalid; use IPV4:PORT, [IPV6]:PORT or :PORT, "
		       "such as 127.0.0.1:8080",
		       listen);
}

/* Parses 1 to 5 decimal digits up to 65535. */
static bool parse_port(const char *text, unsigned *port)
{
	unsigned value = 0;
	size_t len = strlen(text);

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value > 65535)
		return false;
	*port = value;
	return true;
}

enum ch_code http_listen_parse(const char *listen, struct http_listen_addr *addr,
			       struct ch_error *err)
{
	struct http_listen_addr a = { 0 };
	char host[INET6_ADDRSTRLEN];
	const char *port_text;
	size_t host_len;

	if (!listen)
		return invalid("", err);

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return invalid(listen, err);
		host_len = (size_t)(close - listen - 1);
		port_text = close + 2;
		if (host_len == 0 || host_len >= sizeof(host))
			return invalid(listen, err);
		memcpy(host, listen + 1, host_len);
		host[host_len] = '\0';
	} else {
		const char *colon = strrchr(listen, ':');

		if (!colon)
			return invalid(listen, err);
		host_len = (size_t)(colon - listen);
		port_text = colon + 1;
		if (host_len >= sizeof(host))
			return invalid(listen, err);
		memcpy(host, listen, host_len);
		host[host_len] = '\0';
		a.any = host_len == 0;
	}
	if (!parse_port(port_text, &a.port))
		return invalid(listen, err);

	if (a.any || listen[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)a.port);
		sin6->sin6_addr = in6addr_any;
		if (!a.any && inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return invalid(listen, err);
		a.sa_len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)a.port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return invalid(listen, err);
		a.sa_len = sizeof(*sin);
	}
	snprintf(a.text, sizeof(a.text), "%s", listen);
	*addr = a;
	return CH_OK;
}

/* Switches ":PORT" from IPv6 to IPv4 on hosts without IPv6. */
static void use_ipv4_any(struct http_listen_addr *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->sa;

	memset(&addr->sa, 0, sizeof(addr->sa));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)addr->port);
	sin->sin_addr.s_addr = htonl(INADDR_ANY);
	addr->sa_len = sizeof(*sin);
}

/* Rewrites addr->text with the port the kernel bound, which differs from
 * the configured one when that was 0. */
static void record_bound_port(struct http_listen_addr *addr, int fd)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	char host[INET6_ADDRSTRLEN] = "";

	if (getsockname(fd, (struct sockaddr *)&bound, &len) != 0)
		return;
	if (bound.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&bound;

		addr->port = ntohs(sin6->sin6_port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (addr->any)
			snprintf(addr->text, sizeof(addr->text), "*:%u", addr->port);
		else
			snprintf(addr->text, sizeof(addr->text), "[%s]:%u", host, addr->port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&bound;

		addr->port = ntohs(sin->sin_port);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		if (addr->any)
			snprintf(addr->text, sizeof(addr->text), "*:%u", addr->port);
		else
			snprintf(addr->text, sizeof(addr->text), "%s:%u", host, addr->port);
	}
}

enum ch_code http_listen_open(struct http_listen_addr *addr, int *fd_out, struct ch_error *err)
{
	const int on = 1;
	const int off = 0;
	int fd;

	fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && addr->any && errno == EAFNOSUPPORT) {
		use_ipv4_any(addr);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return ch_fail(err, CH_IO, "cannot listen on %s: %s", addr->text, strerror(errno));

	/* SO_REUSEADDR lets a restarted server bind while connections of the
	 * old one are in TIME_WAIT. ":PORT" accepts IPv4 clients too, and an
	 * explicit IPv6 address only IPv6 ones, whatever the
	 * net.ipv6.bindv6only default is. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (addr->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, addr->any ? &off : &on, sizeof(on));

	if (bind(fd, (const struct sockaddr *)&addr->sa, addr->sa_len) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int saved = errno;

		close(fd);
		return ch_fail(err, CH_IO, "cannot listen on %s: %s", addr->text, strerror(saved));
	}
	record_bound_port(addr, fd);
	*fd_out = fd;
	return CH_OK;
}
