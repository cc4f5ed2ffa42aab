/*
 * The one table of indicator types (name, description, parser) and the
 * names of the warning bits. Adding a type means one enum value in ioc.h,
 * one row here and one parser; ioc_parse's classifier in parse.c decides
 * when free-form input is tried as the new type.
 */
#include "ioc/ioc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_internal.h"

static const struct {
	const char *name;
	const char *description;
	ioc_parser_fn parse;
} type_table[IOC_TYPE_COUNT] = {
	[IOC_NONE] = { "none", "not an indicator", NULL },
	[IOC_IPV4] = { "ipv4", "IPv4 address in dotted-quad form", ioc_parse_ipv4 },
	[IOC_IPV6] = { "ipv6", "IPv6 address in RFC 5952 form", ioc_parse_ipv6 },
	[IOC_CIDR] = { "cidr", "IPv4 or IPv6 network prefix", ioc_parse_cidr },
	[IOC_DOMAIN] = { "domain", "domain name under a known public suffix", ioc_parse_domain },
	[IOC_URL] = { "url", "URL with a supported scheme", ioc_parse_url },
	[IOC_EMAIL] = { "email", "email address", ioc_parse_email },
	[IOC_MD5] = { "md5", "MD5 hash, 32 hex digits", ioc_parse_md5 },
	[IOC_SHA1] = { "sha1", "SHA-1 hash, 40 hex digits", ioc_parse_sha1 },
	[IOC_SHA256] = { "sha256", "SHA-256 hash, 64 hex digits", ioc_parse_sha256 },
	[IOC_SHA512] = { "sha512", "SHA-512 hash, 128 hex digits", ioc_parse_sha512 },
	[IOC_CVE] = { "cve", "CVE identifier such as CVE-2021-44228", ioc_parse_cve },
	[IOC_ASN] = { "asn", "autonomous system number such as AS13335", ioc_parse_asn },
};

static const char *const warning_names[IOC_WARN_COUNT_BITS] = {
	"private", "loopback", "link_local", "documentation",
	"reserved", "multicast", "host_bits", "warninglist",
};

const char *ioc_type_name(enum ioc_type type)
{
	if ((unsigned)type >= IOC_TYPE_COUNT)
		return "none";
	return type_table[type].name;
}

enum ch_code ioc_type_from_name(const char *name, enum ioc_type *type, struct ch_error *err)
{
	for (int i = 1; i < IOC_TYPE_COUNT; i++) {
		if (strcasecmp(name, type_table[i].name) == 0) {
			*type = (enum ioc_type)i;
			return CH_OK;
		}
	}
	return ch_fail(err, CH_INVALID,
		       "unknown indicator type '%s': use ipv4, ipv6, cidr, domain, url, email, "
		       "md5, sha1, sha256, sha512, cve or asn",
		       name);
}

ioc_parser_fn ioc_type_parser(enum ioc_type type)
{
	if ((unsigned)type >= IOC_TYPE_COUNT)
		return NULL;
	return type_table[type].parse;
}

const char *ioc_warning_name(enum ioc_warning bit)
{
	for (int i = 0; i < IOC_WARN_COUNT_BITS; i++) {
		if ((uint32_t)bit == (1u << i))
			return warning_names[i];
	}
	return "unknown";
}

void ioc_warnings_format(uint32_t warnings, char *out, size_t cap)
{
	size_t used = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	for (int i = 0; i < IOC_WARN_COUNT_BITS; i++) {
		if (!(warnings & (1u << i)))
			continue;

		/* snprintf truncates safely; stop once the buffer is full. */
		int n = snprintf(out + used, cap - used, "%s%s", used ? "," : "",
				 warning_names[i]);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}
