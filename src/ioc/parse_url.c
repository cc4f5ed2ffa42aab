/*
 * URLs: the table of accepted schemes with their default ports, and the
 * canonical form. Scheme and host are lower-cased, the host is
 * canonicalised like a domain or an IP address (IPv6 in brackets), a
 * default port is dropped, and userinfo, path, query and fragment are kept
 * byte for byte. A value without "://" is taken as http, because defanged
 * lists often give "host/path" or "host:port/path".
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_internal.h"

/* Accepted schemes; port 0 means the scheme has no default port to drop. */
static const struct {
	const char *name;
	unsigned default_port;
} scheme_table[] = {
	{ "http", 80 },  { "https", 443 }, { "ftp", 21 },    { "ftps", 990 }, { "sftp", 22 },
	{ "tcp", 0 },    { "udp", 0 },     { "ws", 80 },     { "wss", 443 },  { "smb", 445 },
	{ "ssh", 22 },   { "telnet", 23 }, { "irc", 6667 },  { "rdp", 3389 },
};

#define SCHEME_COUNT (sizeof(scheme_table) / sizeof(scheme_table[0]))

/* Index of the scheme in the table, or -1. */
static int find_scheme(const char *name, size_t len)
{
	for (size_t i = 0; i < SCHEME_COUNT; i++) {
		if (strlen(scheme_table[i].name) == len && strncasecmp(name, scheme_table[i].name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Output under construction, bounded by IOC_VALUE_MAX. */
struct url_writer {
	char *data;
	size_t len;
	bool overflow;
};

static void put(struct url_writer *w, const char *s, size_t n)
{
	if (w->overflow || n >= IOC_VALUE_MAX - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->data + w->len, s, n);
	w->len += n;
}

static bool all_digits_and_dots(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ioc_is_digit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return n > 0;
}

static enum ch_code parse_port(const char *s, size_t n, unsigned *port, struct ioc_reason *reason)
{
	unsigned value = 0;

	for (size_t i = 0; i < n; i++) {
		if (!ioc_is_digit((unsigned char)s[i]))
			return ioc_reject(reason, "URL port '%.*s' is not a number",
					  (int)(n > 16 ? 16 : n), s);
		value = value * 10 + (unsigned)(s[i] - '0');
		if (value > 65535)
			break;
	}
	if (value == 0 || value > 65535)
		return ioc_reject(reason, "URL port %.*s is out of range 1-65535",
				  (int)(n > 16 ? 16 : n), s);
	*port = value;
	return CH_OK;
}

/*
 * Canonicalises the host (and finds the port) of an authority without its
 * userinfo, appending "host" or "[v6]" to w. *port is 0 when absent.
 */
static enum ch_code parse_hostport(const char *s, size_t n, struct url_writer *w,
				   struct ioc *out, unsigned *port, struct ioc_reason *reason)
{
	const char *host = s;
	size_t host_len = n;
	const char *port_text = NULL;
	size_t port_len = 0;
	struct ioc ip;
	enum ch_code rc;

	*port = 0;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return ioc_reject(reason, "URL host '[' has no closing ']'");
		host = s + 1;
		host_len = (size_t)(close - s) - 1;
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return ioc_reject(reason, "unexpected text after the IPv6 host of the URL");
			port_text = close + 2;
			port_len = (size_t)(s + n - port_text);
		}
	} else {
		const char *colon = memchr(s, ':', n);

		/* Two or more colons without brackets: accept an IPv6 host,
		 * which then cannot carry a port. */
		if (colon && !memchr(colon + 1, ':', (size_t)(s + n - colon - 1))) {
			host_len = (size_t)(colon - s);
			port_text = colon + 1;
			port_len = (size_t)(s + n - port_text);
		} else if (colon) {
			host = s;
			host_len = n;
			ip.warnings = 0;
			rc = ioc_parse_ipv6(host, host_len, &ip, reason);
			if (rc != CH_OK)
				return rc;
			goto ipv6;
		}
	}
	if (host_len == 0)
		return ioc_reject(reason, "URL has no host");
	if (port_text && port_len > 0) {
		rc = parse_port(port_text, port_len, port, reason);
		if (rc != CH_OK)
			return rc;
	}

	ip.warnings = 0;
	if (host != s) {
		rc = ioc_parse_ipv6(host, host_len, &ip, reason);
		if (rc != CH_OK)
			return rc;
		goto ipv6;
	}
	if (all_digits_and_dots(host, host_len)) {
		rc = ioc_parse_ipv4(host, host_len, &ip, reason);
		if (rc != CH_OK)
			return rc;
		put(w, ip.value, ip.value_len);
		out->warnings |= ip.warnings;
		return CH_OK;
	}

	char name[IOC_DOMAIN_MAX];
	size_t name_len;

	rc = ioc_parse_url_hostname(host, host_len, name, &name_len, out->registrable,
				    &out->warnings, reason);
	if (rc != CH_OK)
		return rc;
	put(w, name, name_len);
	return CH_OK;

ipv6:
	put(w, "[", 1);
	put(w, ip.value, ip.value_len);
	put(w, "]", 1);
	out->warnings |= ip.warnings;
	return CH_OK;
}

enum ch_code ioc_parse_url(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason)
{
	const char *sep = memmem(value, len, "://", 3);
	const char *rest = value;
	int scheme = 0; /* http for a value without a scheme */
	struct url_writer w = { .data = out->value };
	enum ch_code rc;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c <= ' ' || c == 0x7f)
			return ioc_reject(reason, "URL contains a space or control character");
	}
	if (sep) {
		scheme = find_scheme(value, (size_t)(sep - value));
		if (scheme < 0)
			return ioc_reject(reason, "URL scheme '%.*s' is not supported (expected http, "
						  "https, ftp, ftps, sftp, tcp, udp, ws, wss, smb, ssh, "
						  "telnet, irc or rdp)",
					  (int)((sep - value) > 20 ? 20 : sep - value), value);
		rest = sep + 3;
	}
	put(&w, scheme_table[scheme].name, strlen(scheme_table[scheme].name));
	put(&w, "://", 3);

	/* The authority runs up to the first '/', '?' or '#'. */
	size_t rest_len = (size_t)(value + len - rest);
	size_t auth_len = 0;

	while (auth_len < rest_len && !strchr("/?#", rest[auth_len]))
		auth_len++;

	const char *at = memrchr(rest, '@', auth_len);
	const char *hostport = at ? at + 1 : rest;
	unsigned port;

	if (at)
		put(&w, rest, (size_t)(at - rest) + 1);
	rc = parse_hostport(hostport, (size_t)(rest + auth_len - hostport), &w, out, &port, reason);
	if (rc != CH_OK)
		return rc;
	if (port != 0 && port != scheme_table[scheme].default_port) {
		char digits[8];
		size_t n = 0;

		for (unsigned p = port; p > 0; p /= 10)
			digits[n++] = (char)('0' + p % 10);
		put(&w, ":", 1);
		while (n > 0)
			put(&w, &digits[--n], 1);
	}
	put(&w, rest + auth_len, rest_len - auth_len);
	if (w.overflow)
		return ioc_reject(reason, "URL is longer than %d bytes", IOC_VALUE_MAX - 1);

	w.data[w.len] = '\0';
	out->value_len = w.len;
	out->type = IOC_URL;
	return CH_OK;
}

void ioc_url_host(const struct ioc *url, struct ioc_url_host *host)
{
	const char *v = url->value;
	const char *sep = strstr(v, "://");
	const char *start = sep ? sep + 3 : v;
	size_t auth_len = strcspn(start, "/?#");
	const char *at = memrchr(start, '@', auth_len);
	const char *h = at ? at + 1 : start;
	size_t n = (size_t)(start + auth_len - h);

	if (n > 0 && h[0] == '[') {
		const char *close = memchr(h, ']', n);

		host->host_type = IOC_IPV6;
		host->host_start = (size_t)(h + 1 - v);
		host->host_len = close ? (size_t)(close - h) - 1 : 0;
		return;
	}

	const char *colon = memchr(h, ':', n);

	if (colon)
		n = (size_t)(colon - h);
	host->host_start = (size_t)(h - v);
	host->host_len = n;
	if (all_digits_and_dots(h, n))
		host->host_type = IOC_IPV4;
	else if (n == 9 && memcmp(h, "localhost", 9) == 0)
		host->host_type = IOC_NONE;
	else
		host->host_type = IOC_DOMAIN;
}
