/*
 * IPv4 addresses, IPv6 addresses and CIDR prefixes: strict parsing,
 * canonical text (dotted quad, RFC 5952 for IPv6, host bits masked off for
 * CIDR) and the one table of special-purpose ranges that sets the
 * private/loopback/documentation/... warnings.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>

#include "ioc/ioc_internal.h"

/*
 * Special-purpose ranges from the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890 and its updates). The first entry that
 * contains an address decides its warning, so narrower ranges come first.
 * Ranges that are special but globally reachable (AS112, AMT) are left out.
 */
static const struct {
	const char *prefix;
	uint32_t warning;
} range_table[] = {
	{ "0.0.0.0/8", IOC_WARN_RESERVED },          /* "this network" */
	{ "10.0.0.0/8", IOC_WARN_PRIVATE },          /* RFC 1918 */
	{ "100.64.0.0/10", IOC_WARN_RESERVED },      /* shared address space, RFC 6598 */
	{ "127.0.0.0/8", IOC_WARN_LOOPBACK },
	{ "169.254.0.0/16", IOC_WARN_LINK_LOCAL },
	{ "172.16.0.0/12", IOC_WARN_PRIVATE },       /* RFC 1918 */
	{ "192.0.0.0/24", IOC_WARN_RESERVED },       /* IETF protocol assignments */
	{ "192.0.2.0/24", IOC_WARN_DOCUMENTATION },  /* TEST-NET-1, RFC 5737 */
	{ "192.88.99.0/24", IOC_WARN_RESERVED },     /* deprecated 6to4 relay anycast */
	{ "192.168.0.0/16", IOC_WARN_PRIVATE },      /* RFC 1918 */
	{ "198.18.0.0/15", IOC_WARN_RESERVED },      /* benchmarking, RFC 2544 */
	{ "198.51.100.0/24", IOC_WARN_DOCUMENTATION }, /* TEST-NET-2 */
	{ "203.0.113.0/24", IOC_WARN_DOCUMENTATION }, /* TEST-NET-3 */
	{ "224.0.0.0/4", IOC_WARN_MULTICAST },
	{ "255.255.255.255/32", IOC_WARN_RESERVED }, /* limited broadcast */
	{ "240.0.0.0/4", IOC_WARN_RESERVED },        /* future use, RFC 1112 */
	{ "::/128", IOC_WARN_RESERVED },             /* unspecified address */
	{ "::1/128", IOC_WARN_LOOPBACK },
	{ "::ffff:0:0/96", IOC_WARN_RESERVED },      /* IPv4-mapped */
	{ "64:ff9b::/96", IOC_WARN_RESERVED },       /* NAT64, RFC 6052 */
	{ "64:ff9b:1::/48", IOC_WARN_RESERVED },     /* local-use NAT64, RFC 8215 */
	{ "100::/64", IOC_WARN_RESERVED },           /* discard-only, RFC 6666 */
	{ "2001:db8::/32", IOC_WARN_DOCUMENTATION }, /* RFC 3849 */
	{ "2001::/23", IOC_WARN_RESERVED },          /* IETF protocol assignments, Teredo */
	{ "2002::/16", IOC_WARN_RESERVED },          /* 6to4 */
	{ "3fff::/20", IOC_WARN_DOCUMENTATION },     /* RFC 9637 */
	{ "5f00::/16", IOC_WARN_RESERVED },          /* SRv6 SIDs, RFC 9602 */
	{ "fc00::/7", IOC_WARN_PRIVATE },            /* unique local, RFC 4193 */
	{ "fe80::/10", IOC_WARN_LINK_LOCAL },
	{ "fec0::/10", IOC_WARN_RESERVED },          /* deprecated site-local */
	{ "ff00::/8", IOC_WARN_MULTICAST },
	/* IANA allocates global unicast only from 2000::/3; everything else
	 * not listed above is reserved by the IETF. */
	{ "::/3", IOC_WARN_RESERVED },
	{ "4000::/2", IOC_WARN_RESERVED },
	{ "8000::/1", IOC_WARN_RESERVED },
};

#define RANGE_COUNT (sizeof(range_table) / sizeof(range_table[0]))

struct range {
	int family;
	uint8_t addr[16];
	unsigned prefix_len;
	uint32_t warning;
};

static struct range ranges[RANGE_COUNT];
static pthread_once_t ranges_once = PTHREAD_ONCE_INIT;

static void mask_bytes(uint8_t *addr, size_t size, unsigned prefix_len)
{
	for (size_t i = 0; i < size; i++) {
		unsigned bits = prefix_len > i * 8 ? prefix_len - (unsigned)i * 8 : 0;

		if (bits >= 8)
			continue;
		addr[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static bool prefix_contains(const uint8_t *net, const uint8_t *addr, unsigned prefix_len)
{
	size_t whole = prefix_len / 8;
	unsigned rest = prefix_len % 8;

	if (memcmp(net, addr, whole) != 0)
		return false;
	if (rest == 0)
		return true;

	uint8_t mask = (uint8_t)(0xff00u >> rest);

	return (net[whole] & mask) == (addr[whole] & mask);
}

static void init_ranges(void)
{
	for (size_t i = 0; i < RANGE_COUNT; i++) {
		char text[64];
		const char *slash = strchr(range_table[i].prefix, '/');
		size_t n = (size_t)(slash - range_table[i].prefix);

		memcpy(text, range_table[i].prefix, n);
		text[n] = '\0';
		ranges[i].family = strchr(text, ':') ? AF_INET6 : AF_INET;
		inet_pton(ranges[i].family, text, ranges[i].addr);
		ranges[i].prefix_len = 0;
		for (const char *p = slash + 1; *p; p++)
			ranges[i].prefix_len = ranges[i].prefix_len * 10 + (unsigned)(*p - '0');
		ranges[i].warning = range_table[i].warning;
	}
}

/* Warning of the first range that contains the whole prefix addr/prefix_len. */
static uint32_t range_warning(int family, const uint8_t *addr, unsigned prefix_len)
{
	pthread_once(&ranges_once, init_ranges);
	for (size_t i = 0; i < RANGE_COUNT; i++) {
		const struct range *r = &ranges[i];

		if (r->family != family || r->prefix_len > prefix_len)
			continue;
		if (prefix_contains(r->addr, addr, r->prefix_len))
			return r->warning;
	}
	return 0;
}

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static uint32_t prefix_warnings(int family, const uint8_t *addr, unsigned prefix_len)
{
	uint32_t warnings = range_warning(family, addr, prefix_len);

	/* An IPv4-mapped address also carries the warnings of its IPv4 part. */
	if (family == AF_INET6 && prefix_len >= 96 && memcmp(addr, v4_mapped_prefix, 12) == 0)
		warnings |= range_warning(AF_INET, addr + 12, prefix_len - 96);
	return warnings;
}

uint32_t ioc_ipv4_warnings(uint32_t addr)
{
	return prefix_warnings(AF_INET, (const uint8_t *)&addr, 32);
}

uint32_t ioc_ipv6_warnings(const uint8_t addr[16])
{
	return prefix_warnings(AF_INET6, addr, 128);
}

/* Parses a strict dotted quad into addr (network byte order). */
static enum ch_code parse_v4(const char *s, size_t len, uint8_t addr[4],
			     struct ioc_reason *reason)
{
	size_t i = 0;
	int octets = 0;
	char shown[IOC_CHAR_TEXT_SIZE];

	while (true) {
		size_t start = i;
		unsigned value = 0;

		while (i < len && ioc_is_digit((unsigned char)s[i]) && i - start < 4)
			value = value * 10 + (unsigned)(s[i++] - '0');
		if (i == start) {
			if (i < len && s[i] != '.')
				return ioc_reject(reason, "%s is not allowed in an IPv4 address",
						  ioc_char_text((unsigned char)s[i], shown));
			return ioc_reject(reason, "IPv4 address has an empty octet");
		}
		if (i - start > 3 || value > 255) {
			while (i < len && ioc_is_digit((unsigned char)s[i]))
				i++;
			return ioc_reject(reason, "IPv4 octet %.*s is out of range 0-255",
					  (int)(i - start), s + start);
		}
		if (s[start] == '0' && i - start > 1) {
			return ioc_reject(reason,
					  "IPv4 octet %.*s has a leading zero, which some tools "
					  "read as octal, so the address is ambiguous",
					  (int)(i - start), s + start);
		}
		if (octets < 4)
			addr[octets] = (uint8_t)value;
		octets++;
		if (i == len)
			break;
		if (s[i] != '.')
			return ioc_reject(reason, "%s is not allowed in an IPv4 address",
					  ioc_char_text((unsigned char)s[i], shown));
		i++;
	}
	if (octets != 4)
		return ioc_reject(reason, "IPv4 address has %d octets, expected 4", octets);
	return CH_OK;
}

/* Writes the dotted quad and returns its length (at most 15). */
static size_t format_v4(const uint8_t addr[4], char *out)
{
	size_t o = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = addr[i];

		if (i > 0)
			out[o++] = '.';
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return o;
}

static enum ch_code parse_v6(const char *s, size_t len, uint8_t addr[16],
			     struct ioc_reason *reason)
{
	char text[INET6_ADDRSTRLEN + 1];

	if (memchr(s, '%', len))
		return ioc_reject(reason, "an IPv6 zone index (%%...) is local to one host "
					  "and not allowed in an indicator");
	if (len >= sizeof(text))
		return ioc_reject(reason, "too long for an IPv6 address");
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET6, text, addr) != 1)
		return ioc_reject(reason, "not a valid IPv6 address");
	return CH_OK;
}

static size_t format_v6(const uint8_t addr[16], char *out, size_t cap)
{
	/* glibc's inet_ntop follows RFC 5952: lower-case hex, the longest run
	 * of two or more zero groups compressed, IPv4-mapped in dotted form. */
	inet_ntop(AF_INET6, addr, out, (socklen_t)cap);
	return strlen(out);
}

enum ch_code ioc_parse_ipv4(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason)
{
	uint8_t addr[4];
	uint32_t word;
	enum ch_code rc = parse_v4(value, len, addr, reason);

	if (rc != CH_OK)
		return rc;
	memcpy(&word, addr, 4);
	out->type = IOC_IPV4;
	out->value_len = format_v4(addr, out->value);
	out->warnings |= ioc_ipv4_warnings(word);
	return CH_OK;
}

enum ch_code ioc_parse_ipv6(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason)
{
	uint8_t addr[16];
	enum ch_code rc = parse_v6(value, len, addr, reason);

	if (rc != CH_OK)
		return rc;
	out->type = IOC_IPV6;
	out->value_len = format_v6(addr, out->value, sizeof(out->value));
	out->warnings |= ioc_ipv6_warnings(addr);
	return CH_OK;
}

/* Parses the decimal prefix length after the slash of a CIDR. */
static enum ch_code parse_prefix_len(const char *s, size_t len, unsigned max,
				     unsigned *prefix_len, struct ioc_reason *reason)
{
	unsigned value = 0;

	if (len == 0)
		return ioc_reject(reason, "CIDR prefix length is missing after '/'");
	for (size_t i = 0; i < len; i++) {
		if (!ioc_is_digit((unsigned char)s[i]))
			return ioc_reject(reason, "CIDR prefix length '%.*s' is not a number",
					  (int)(len > 16 ? 16 : len), s);
		if (i >= 3)
			return ioc_reject(reason, "CIDR prefix length %.*s is out of range 0-%u",
					  (int)(len > 16 ? 16 : len), s, max);
		value = value * 10 + (unsigned)(s[i] - '0');
	}
	if (value > max)
		return ioc_reject(reason, "CIDR prefix length %u is out of range 0-%u", value,
				  max);
	*prefix_len = value;
	return CH_OK;
}

/*
 * Parses address/prefix. A bare address (no slash) is accepted only when
 * ioc_parse_as asks for a CIDR explicitly, as a /32 or /128.
 */
enum ch_code ioc_parse_cidr(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason)
{
	const char *slash = memchr(value, '/', len);
	size_t addr_len = slash ? (size_t)(slash - value) : len;
	bool v6 = memchr(value, ':', addr_len) != NULL;
	uint8_t addr[16];
	uint8_t masked[16];
	unsigned max = v6 ? 128 : 32;
	unsigned prefix_len = max;
	enum ch_code rc;

	rc = v6 ? parse_v6(value, addr_len, addr, reason) : parse_v4(value, addr_len, addr, reason);
	if (rc != CH_OK)
		return rc;
	if (slash) {
		rc = parse_prefix_len(slash + 1, len - addr_len - 1, max, &prefix_len, reason);
		if (rc != CH_OK)
			return rc;
	}

	memcpy(masked, addr, v6 ? 16 : 4);
	mask_bytes(masked, v6 ? 16 : 4, prefix_len);
	if (memcmp(masked, addr, v6 ? 16 : 4) != 0)
		out->warnings |= IOC_WARN_HOST_BITS;

	size_t n = v6 ? format_v6(masked, out->value, sizeof(out->value))
		      : format_v4(masked, out->value);
	out->value[n++] = '/';
	if (prefix_len >= 100)
		out->value[n++] = (char)('0' + prefix_len / 100);
	if (prefix_len >= 10)
		out->value[n++] = (char)('0' + prefix_len / 10 % 10);
	out->value[n++] = (char)('0' + prefix_len % 10);
	out->value[n] = '\0';

	out->type = IOC_CIDR;
	out->value_len = n;
	out->warnings |= prefix_warnings(v6 ? AF_INET6 : AF_INET, masked, prefix_len);
	return CH_OK;
}
