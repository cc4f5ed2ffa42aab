/*
 * Unit tests for the indicator engine: parsing and canonical forms of each
 * type, refanging, warnings, error reasons and free-text extraction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ioc/ioc.h"
#include "util/alloc.h"

struct valid_case {
	const char *input;
	enum ioc_type type;
	const char *canonical;
};

struct invalid_case {
	const char *input;
	const char *reason; /* a substring the error message must contain */
};

static void check_valid(const struct valid_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct ioc ioc;
		struct ch_error err = { 0 };
		enum ch_code rc = ioc_parse(cases[i].input, strlen(cases[i].input), NULL, &ioc, &err);

		if (rc != CH_OK)
			fail_msg("'%s' was rejected: %s", cases[i].input, err.message);
		if (ioc.type != cases[i].type)
			fail_msg("'%s' parsed as %s, expected %s", cases[i].input,
				 ioc_type_name(ioc.type), ioc_type_name(cases[i].type));
		assert_string_equal(ioc.value, cases[i].canonical);
		assert_int_equal(ioc.value_len, strlen(cases[i].canonical));
	}
}

static void check_invalid(const struct invalid_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct ioc ioc;
		struct ch_error err = { 0 };
		enum ch_code rc = ioc_parse(cases[i].input, strlen(cases[i].input), NULL, &ioc, &err);

		if (rc != CH_INVALID)
			fail_msg("'%s' was accepted as %s '%s'", cases[i].input,
				 ioc_type_name(ioc.type), ioc.value);
		if (!strstr(err.message, cases[i].reason))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].input, err.message,
				 cases[i].reason);
	}
}

#define CHECK_VALID(cases) check_valid(cases, sizeof(cases) / sizeof(cases[0]))
#define CHECK_INVALID(cases) check_invalid(cases, sizeof(cases) / sizeof(cases[0]))

static uint32_t warnings_of(const char *input)
{
	struct ioc ioc;
	struct ch_error err = { 0 };

	if (ioc_parse(input, strlen(input), NULL, &ioc, &err) != CH_OK)
		fail_msg("'%s' was rejected: %s", input, err.message);
	return ioc.warnings;
}

static void test_ipv4_valid(void **state)
{
	static const struct valid_case cases[] = {
		{ "1.2.3.4", IOC_IPV4, "1.2.3.4" },
		{ "  81.176.239.52\n", IOC_IPV4, "81.176.239.52" },
		{ "0.0.0.0", IOC_IPV4, "0.0.0.0" },
		{ "255.255.255.255", IOC_IPV4, "255.255.255.255" },
		{ "81.176.239[.]52", IOC_IPV4, "81.176.239.52" },
		{ "192[.]168[dot]0[.]1", IOC_IPV4, "192.168.0.1" },
	};

	(void)state;
	CHECK_VALID(cases);
}

static void test_ipv4_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "256.1.1.1", "256.1.1.1: IPv4 octet 256 is out of range 0-255" },
		{ "1.2.3", "has 3 octets, expected 4" },
		{ "1.2.3.4.5", "has 5 octets" },
		{ "01.2.3.4", "leading zero" },
		{ "1.2.3.0400", "out of range" },
		{ "1..2.3", "empty octet" },
	};

	(void)state;
	CHECK_INVALID(cases);
}

static void test_ipv6_valid(void **state)
{
	static const struct valid_case cases[] = {
		{ "2001:0DB8:0000:0000:0000:0000:0000:0001", IOC_IPV6, "2001:db8::1" },
		{ "fdc4:2581:575b:5a72:0000:0000:0000:0001", IOC_IPV6, "fdc4:2581:575b:5a72::1" },
		{ "2001:db8:0:1:1:1:1:1", IOC_IPV6, "2001:db8:0:1:1:1:1:1" },
		{ "2001:0:0:1:0:0:0:1", IOC_IPV6, "2001:0:0:1::1" },
		{ "[::1]", IOC_IPV6, "::1" },
		{ "::ffff:1.2.3.4", IOC_IPV6, "::ffff:1.2.3.4" },
	};

	(void)state;
	CHECK_VALID(cases);
}

static void test_ipv6_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "fe80::1%eth0", "zone index" },
		{ "2001:db8::g", "not a valid IPv6 address" },
		{ "1:2:3:4:5:6:7:8:9", "not a valid IPv6 address" },
	};

	(void)state;
	CHECK_INVALID(cases);
}

static void test_cidr_masks_host_bits(void **state)
{
	static const struct valid_case cases[] = {
		{ "192.168.1.77/24", IOC_CIDR, "192.168.1.0/24" },
		{ "10.0.0.0/8", IOC_CIDR, "10.0.0.0/8" },
		{ "8.8.8.8/32", IOC_CIDR, "8.8.8.8/32" },
		{ "0.0.0.0/0", IOC_CIDR, "0.0.0.0/0" },
		{ "2001:db8::1/32", IOC_CIDR, "2001:db8::/32" },
		{ "2001:DB8:0:0:8000::/65", IOC_CIDR, "2001:db8:0:0:8000::/65" },
	};

	(void)state;
	CHECK_VALID(cases);
	assert_true(warnings_of("192.168.1.77/24") & IOC_WARN_HOST_BITS);
	assert_false(warnings_of("192.168.1.0/24") & IOC_WARN_HOST_BITS);
	assert_true(warnings_of("2001:db8::1/32") & IOC_WARN_HOST_BITS);
}

static void test_cidr_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "1.2.3.4/33", "prefix length 33 is out of range 0-32" },
		{ "2001:db8::/129", "out of range 0-128" },
		{ "1.2.3/24", "has 3 octets" },
	};

	(void)state;
	CHECK_INVALID(cases);
}

static void test_domain_valid(void **state)
{
	static const struct valid_case cases[] = {
		{ "Evil.COM", IOC_DOMAIN, "evil.com" },
		{ "evil.com.", IOC_DOMAIN, "evil.com" },
		{ "dwniu8n[.]com", IOC_DOMAIN, "dwniu8n.com" },
		{ "a.b.example.co.uk", IOC_DOMAIN, "a.b.example.co.uk" },
		{ "_dmarc.evil.com", IOC_DOMAIN, "_dmarc.evil.com" },
		{ "d9q944ord8l-tydx.com", IOC_DOMAIN, "d9q944ord8l-tydx.com" },
		{ "bücher.de", IOC_DOMAIN, "xn--bcher-kva.de" },
		{ "BÜCHER.de", IOC_DOMAIN, "xn--bcher-kva.de" },
		{ "xn--bcher-kva.de", IOC_DOMAIN, "xn--bcher-kva.de" },
		{ "evil\xe3\x80\x82" "com", IOC_DOMAIN, "evil.com" },
		{ "evil\xef\xbc\x8e" "com", IOC_DOMAIN, "evil.com" },
		{ "evil\xef\xbd\xa1" "com", IOC_DOMAIN, "evil.com" },
		{ "blogspot.com", IOC_DOMAIN, "blogspot.com" },
		{ "host.test", IOC_DOMAIN, "host.test" },
	};

	(void)state;
	CHECK_VALID(cases);
}

static void test_domain_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "invoice.pdf", "invoice.pdf: 'pdf' is not a known public suffix" },
		{ "co.uk", "is a public suffix" },
		{ "com", "not a recognised indicator" },
		{ "abc", "abc: not a recognised indicator (expected an IP, CIDR, domain, URL, "
			 "email, hash, CVE or ASN)" },
		{ "-evil.com", "starts or ends with a hyphen" },
		{ "evil-.com", "starts or ends with a hyphen" },
		{ "evil..com", "empty label" },
		{ "ev!l.com", "'!' is not allowed" },
		{ "evil.co_m", "'_' is not allowed" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
		  "the maximum is 63" },
		{ "charge-07.06.2020.doc", "'doc' is not a known public suffix" },
		{ "x.za", "'za' is not a known public suffix" },
		{ "bar.ck", "'bar.ck' is a public suffix" },
	};

	(void)state;
	CHECK_INVALID(cases);
}

static void test_domain_too_long(void **state)
{
	char name[300];
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	/* 62 four-character labels make 248 characters; one more exceeds 253. */
	name[0] = '\0';
	for (int i = 0; i < 63; i++)
		strncat(name, "abc.", sizeof(name) - strlen(name) - 1);
	strncat(name, "com", sizeof(name) - strlen(name) - 1);
	assert_int_equal(ioc_parse(name, strlen(name), NULL, &ioc, &err), CH_INVALID);
	assert_non_null(strstr(err.message, "the maximum is 253"));
	assert_non_null(strstr(err.message, "..."));
}

static void test_registrable_domain(void **state)
{
	static const struct {
		const char *input;
		const char *registrable;
	} cases[] = {
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "www.nasproje.com", "nasproje.com" },
		{ "407.cd.gov.mn", "cd.gov.mn" },
		{ "evil.github.io", "evil.github.io" },
		{ "y.x.co.za", "x.co.za" },
		{ "a.bar.ck", "a.bar.ck" },                     /* rule *.ck */
		{ "foo.www.ck", "www.ck" },                     /* rule !www.ck */
		{ "x.city.kawasaki.jp", "city.kawasaki.jp" }, /* !city.kawasaki.jp */
		{ "hxxps://www[.]evil[.]com/x", "evil.com" },
		{ "john@mail.evil.co.jp", "evil.co.jp" },
		{ "1.2.3.4", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ioc ioc;
		struct ch_error err = { 0 };

		assert_int_equal(ioc_parse(cases[i].input, strlen(cases[i].input), NULL, &ioc, &err),
				 CH_OK);
		assert_string_equal(ioc.registrable, cases[i].registrable);
	}
}

static void test_url_canonical(void **state)
{
	static const struct valid_case cases[] = {
		{ "HTTP://EVIL.COM/Path?Q=A#Frag", IOC_URL, "http://evil.com/Path?Q=A#Frag" },
		{ "http://evil.com:80/a", IOC_URL, "http://evil.com/a" },
		{ "https://evil.com:443/a", IOC_URL, "https://evil.com/a" },
		{ "https://evil.com:8443/a", IOC_URL, "https://evil.com:8443/a" },
		{ "ftp://evil.com:21/f", IOC_URL, "ftp://evil.com/f" },
		{ "ws://evil.com:80/", IOC_URL, "ws://evil.com/" },
		{ "wss://evil.com:443/", IOC_URL, "wss://evil.com/" },
		{ "http://evil.com:0080/", IOC_URL, "http://evil.com/" },
		{ "tcp://evil.com:80/", IOC_URL, "tcp://evil.com:80/" },
		{ "http://User:Pass@Evil.com/", IOC_URL, "http://User:Pass@evil.com/" },
		{ "http://[2001:DB8::1]:8080/x", IOC_URL, "http://[2001:db8::1]:8080/x" },
		{ "http://[fdc4:2581:575b:5a72:0000:0000:0000:0001]:80/path", IOC_URL,
		  "http://[fdc4:2581:575b:5a72::1]/path" },
		{ "http://bücher.de/ü", IOC_URL, "http://xn--bcher-kva.de/ü" },
		{ "http://evil.com/%7Euser/a%20b", IOC_URL, "http://evil.com/%7Euser/a%20b" },
		{ "http://evil.com", IOC_URL, "http://evil.com" },
		{ "http://evil.com./x", IOC_URL, "http://evil.com/x" },
		{ "http://localhost:8080/x", IOC_URL, "http://localhost:8080/x" },
		{ "corona-masr21[.]com/boa/bankofamerica/login.php", IOC_URL,
		  "http://corona-masr21.com/boa/bankofamerica/login.php" },
		{ "192[.]168[.]0[.]1:80/path", IOC_URL, "http://192.168.0.1/path" },
		{ "192.168.0.1:9090", IOC_URL, "http://192.168.0.1:9090" },
		{ "[2001:db8::1]:443/x", IOC_URL, "http://[2001:db8::1]:443/x" },
	};

	(void)state;
	CHECK_VALID(cases);
}

static void test_url_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "gopher://evil.com/", "scheme 'gopher' is not supported" },
		{ "http://evil.com:99999/", "out of range 1-65535" },
		{ "http://evil.com:8x/", "is not a number" },
		{ "http:///path", "no host" },
		{ "http://example,com/", "',' is not allowed" },
		{ "http://[example.com", "no closing ']'" },
		{ "http://evil.pdf/", "'pdf' is not a known public suffix" },
		{ "http://evil.com/a b", "space or control character" },
		{ "http://300.1.1.1/", "octet 300 is out of range" },
		{ "http://a.com/p?q=\xff", "http://a.com/p?q=?: byte 0xFF is not valid UTF-8 "
					   "(convert the input to UTF-8; in a URL, percent-encode "
					   "it as %FF)" },
		{ "http://a.com/#\xc3", "byte 0xC3 is not valid UTF-8" },
		{ "http://us\xff@a.com/", "byte 0xFF is not valid UTF-8" },
		{ "http://a.com/\xed\xa0\x80", "byte 0xED is not valid UTF-8" },
		{ "http://a.com/\xc0\xaf", "byte 0xC0 is not valid UTF-8" },
		{ "http://a.com/\xc2\x9b", "character U+009B (a control character) is not allowed" },
	};

	(void)state;
	CHECK_INVALID(cases);
}

/* A control character or a byte that is not UTF-8 rejects any value, even
 * one that libidn2 would read only up to a NUL, and error messages show it
 * as '?' and name it by its code. */
static void test_bad_bytes_in_messages(void **state)
{
	static const struct {
		const char *input;
		size_t len;
		const char *message;
	} cases[] = {
		{ "evil\0.com", 9,
		  "evil?.com: byte 0x00 (a control character) is not allowed in an indicator" },
		{ "x\001y.com", 7,
		  "x?y.com: byte 0x01 (a control character) is not allowed in an indicator" },
		{ "google.com\0\xc3\xa9", 13, "google.com?\xc3\xa9: byte 0x00 (a control "
						 "character) is not allowed in an indicator" },
		{ "us\xff" "er@example.com", 17,
		  "us?er@example.com: byte 0xFF is not valid UTF-8 (convert the input to UTF-8; "
		  "in a URL, percent-encode it as %FF)" },
		{ "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		  "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		  "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		  "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		  "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
		  "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", 96,
		  "?????????????????????????????????????????????????????????????????????????????"
		  "...: byte 0x80 is not valid UTF-8 (convert the input to UTF-8; in a URL, "
		  "percent-encode it as %80)" },
	};
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ioc_parse(cases[i].input, cases[i].len, NULL, &ioc, &err),
				 CH_INVALID);
		assert_string_equal(err.message, cases[i].message);
	}
	assert_int_equal(ioc_parse_as(IOC_IPV4, "1.2.x.4", 7, NULL, &ioc, &err), CH_INVALID);
	assert_string_equal(err.message, "1.2.x.4: 'x' is not allowed in an IPv4 address");
}

static void test_url_keeps_utf8_path(void **state)
{
	struct ioc ioc;
	struct ch_error err = { 0 };
	const char *url = "http://a.com/caf\xc3\xa9?q=\xe2\x82\xac";

	(void)state;
	assert_int_equal(ioc_parse(url, strlen(url), NULL, &ioc, &err), CH_OK);
	assert_string_equal(ioc.value, url);
}

static void test_url_schemes(void **state)
{
	static const char *const schemes[] = {
		"http", "https", "ftp", "ftps", "sftp", "tcp", "udp",
		"ws", "wss", "smb", "ssh", "telnet", "irc", "rdp",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		char input[64];
		struct ioc ioc;
		struct ch_error err = { 0 };

		snprintf(input, sizeof(input), "%s://evil.com/x", schemes[i]);
		assert_int_equal(ioc_parse(input, strlen(input), NULL, &ioc, &err), CH_OK);
		assert_int_equal(ioc.type, IOC_URL);
		assert_string_equal(ioc.value, input);
	}
}

static void test_hashes(void **state)
{
	static const struct valid_case cases[] = {
		{ "D41D8CD98F00B204E9800998ECF8427E", IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e" },
		{ "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc", IOC_SHA1,
		  "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc" },
		{ "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b", IOC_SHA256,
		  "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b" },
		{ "be688838ca8686e5c90689bf2ab585cef1137c999b48c70b92f67a5c34dc15697b5d11c982ed6d71"
		  "be1e1e7f7b4e0733884aa97c3f7a339a8ed03577cf74be09",
		  IOC_SHA512,
		  "be688838ca8686e5c90689bf2ab585cef1137c999b48c70b92f67a5c34dc15697b5d11c982ed6d71"
		  "be1e1e7f7b4e0733884aa97c3f7a339a8ed03577cf74be09" },
	};
	static const struct invalid_case invalid[] = {
		{ "adc83b191b1c6ea0fd8b46cd9f32e592fc", "34 hex digits is not the length" },
	};

	(void)state;
	CHECK_VALID(cases);
	CHECK_INVALID(invalid);
}

static void test_parse_as_checks_type(void **state)
{
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(ioc_parse_as(IOC_SHA1, "d41d8cd98f00b204e9800998ecf8427e", 32, NULL, &ioc,
				      &err),
			 CH_INVALID);
	assert_non_null(strstr(err.message, "needs 40 hex digits, found 32"));
	assert_int_equal(ioc_parse_as(IOC_CIDR, "10.1.2.3", 8, NULL, &ioc, &err), CH_OK);
	assert_string_equal(ioc.value, "10.1.2.3/32");
	assert_int_equal(ioc_parse_as(IOC_IPV4, "evil.com", 8, NULL, &ioc, &err), CH_INVALID);
}

static void test_cve_and_asn(void **state)
{
	static const struct valid_case cases[] = {
		{ "CVE-2021-44228", IOC_CVE, "CVE-2021-44228" },
		{ "cve-2020-0601", IOC_CVE, "CVE-2020-0601" },
		{ "CVE-2024-1234567", IOC_CVE, "CVE-2024-1234567" },
		{ "AS13335", IOC_ASN, "AS13335" },
		{ "ASN13335", IOC_ASN, "AS13335" },
		{ "as13335", IOC_ASN, "AS13335" },
		{ "AS 13335", IOC_ASN, "AS13335" },
		{ "AS4294967295", IOC_ASN, "AS4294967295" },
		{ "AS1.10", IOC_ASN, "AS65546" },
	};
	static const struct invalid_case invalid[] = {
		{ "CVE-21-44228", "four-digit year" },
		{ "CVE-2021-123", "4 to 19 digits" },
		{ "CVE-1990-1234", "before 1999" },
		{ "AS0", "out of range 1-4294967295" },
		{ "AS4294967296", "out of range 1-4294967295" },
	};

	(void)state;
	CHECK_VALID(cases);
	CHECK_INVALID(invalid);
}

static void test_email(void **state)
{
	static const struct valid_case cases[] = {
		{ "John.Doe@Evil.COM", IOC_EMAIL, "John.Doe@evil.com" },
		{ "john+tag@bücher.de", IOC_EMAIL, "john+tag@xn--bcher-kva.de" },
		{ "john[at]evil[.]com", IOC_EMAIL, "john@evil.com" },
		{ "john(at)evil(dot)com", IOC_EMAIL, "john@evil.com" },
		{ "john[@]evil[.]com", IOC_EMAIL, "john@evil.com" },
		{ "mailto:john@evil.com", IOC_EMAIL, "john@evil.com" },
	};
	static const struct invalid_case invalid[] = {
		{ "@evil.com", "empty local part" },
		{ "john..doe@evil.com", "double dot" },
		{ "john@evil.pdf", "'pdf' is not a known public suffix" },
	};

	(void)state;
	CHECK_VALID(cases);
	CHECK_INVALID(invalid);
}

static void test_refang_styles(void **state)
{
	static const struct valid_case cases[] = {
		{ "hxxp://evil[.]com/a", IOC_URL, "http://evil.com/a" },
		{ "hXXps://evil[.]com/a", IOC_URL, "https://evil.com/a" },
		{ "HXXPS://evil.com/", IOC_URL, "https://evil.com/" },
		{ "fxp://evil.com/f", IOC_URL, "ftp://evil.com/f" },
		{ "evil(.)com", IOC_DOMAIN, "evil.com" },
		{ "evil{.}com", IOC_DOMAIN, "evil.com" },
		{ "evil[dot]com", IOC_DOMAIN, "evil.com" },
		{ "evil(DOT)com", IOC_DOMAIN, "evil.com" },
		{ "evil{dot}com", IOC_DOMAIN, "evil.com" },
		{ "hxxp[:]//evil.com/", IOC_URL, "http://evil.com/" },
		{ "hxxp[://]evil.com/", IOC_URL, "http://evil.com/" },
		{ "http://evil.com[/]test", IOC_URL, "http://evil.com/test" },
		{ "[evil.com]", IOC_DOMAIN, "evil.com" },
		{ "<evil[.]com>", IOC_DOMAIN, "evil.com" },
		{ "(evil.com)", IOC_DOMAIN, "evil.com" },
		{ "\"evil.com\",", IOC_DOMAIN, "evil.com" },
		{ "\xe2\x80\x9c" "evil.com" "\xe2\x80\x9d", IOC_DOMAIN, "evil.com" },
		{ "ev\xe2\x80\x8bil.com", IOC_DOMAIN, "evil.com" },
		{ "ev\xe2\x80\x8cil.com", IOC_DOMAIN, "evil.com" },
		{ "ev\xe2\x80\x8dil.com", IOC_DOMAIN, "evil.com" },
		{ "ev\xe2\x81\xa0il.com", IOC_DOMAIN, "evil.com" },
		{ "\xef\xbb\xbf" "evil.com", IOC_DOMAIN, "evil.com" },
	};

	(void)state;
	CHECK_VALID(cases);
}

static void test_refang_function(void **state)
{
	const char *in = "hxxps[://]evil[.]com[/]a[@]b(dot)c";
	char out[64];
	size_t len;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(ioc_refang(in, strlen(in), out, sizeof(out), &len, &err), CH_OK);
	assert_string_equal(out, "https://evil.com/a@b.c");
	assert_int_equal(len, strlen(out));
	assert_int_equal(ioc_refang(in, strlen(in), out, 4, &len, &err), CH_TOO_LARGE);
}

static void test_ip_warnings(void **state)
{
	static const struct {
		const char *input;
		uint32_t warning;
	} cases[] = {
		{ "10.1.2.3", IOC_WARN_PRIVATE },
		{ "172.16.0.1", IOC_WARN_PRIVATE },
		{ "172.31.255.255", IOC_WARN_PRIVATE },
		{ "192.168.0.1", IOC_WARN_PRIVATE },
		{ "fd00::1", IOC_WARN_PRIVATE },
		{ "127.0.0.1", IOC_WARN_LOOPBACK },
		{ "::1", IOC_WARN_LOOPBACK },
		{ "169.254.1.1", IOC_WARN_LINK_LOCAL },
		{ "fe80::1", IOC_WARN_LINK_LOCAL },
		{ "192.0.2.1", IOC_WARN_DOCUMENTATION },
		{ "198.51.100.7", IOC_WARN_DOCUMENTATION },
		{ "203.0.113.9", IOC_WARN_DOCUMENTATION },
		{ "2001:db8::1", IOC_WARN_DOCUMENTATION },
		{ "224.0.0.1", IOC_WARN_MULTICAST },
		{ "ff02::1", IOC_WARN_MULTICAST },
		{ "0.1.2.3", IOC_WARN_RESERVED },
		{ "100.64.0.1", IOC_WARN_RESERVED },
		{ "240.0.0.1", IOC_WARN_RESERVED },
		{ "255.255.255.255", IOC_WARN_RESERVED },
		{ "198.18.0.1", IOC_WARN_RESERVED },
		{ "::", IOC_WARN_RESERVED },
		{ "::ffff:8.8.8.8", IOC_WARN_RESERVED },
		{ "10.0.0.0/8", IOC_WARN_PRIVATE },
		{ "192.168.1.77/24", IOC_WARN_PRIVATE | IOC_WARN_HOST_BITS },
		{ "http://192.168.0.1/x", IOC_WARN_PRIVATE },
		{ "http://[::1]/x", IOC_WARN_LOOPBACK },
		{ "8.8.8.8", 0 },
		{ "172.32.0.1", 0 },
		{ "2606:4700::1111", 0 },
		{ "1.0.0.0/8", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t got = warnings_of(cases[i].input);

		if (got != cases[i].warning)
			fail_msg("'%s': warnings 0x%x, expected 0x%x", cases[i].input, got,
				 cases[i].warning);
	}
	/* An IPv4-mapped private address carries both warnings. */
	assert_int_equal(warnings_of("::ffff:10.0.0.1"), IOC_WARN_RESERVED | IOC_WARN_PRIVATE);
}

static void test_domain_warnings(void **state)
{
	assert_int_equal(warnings_of("example.com"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("www.example.net"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("example.org"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("foo.example"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("foo.test"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("foo.invalid"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("foo.localhost"), IOC_WARN_LOOPBACK);
	assert_int_equal(warnings_of("http://www.example.com/x"), IOC_WARN_DOCUMENTATION);
	assert_int_equal(warnings_of("notexample.com"), 0);
	(void)state;
}

static void test_error_message_truncated(void **state)
{
	char input[400];
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	memset(input, 'x', sizeof(input) - 5);
	memcpy(input + sizeof(input) - 5, ".pdf", 5);
	assert_int_equal(ioc_parse(input, strlen(input), NULL, &ioc, &err), CH_INVALID);
	assert_non_null(strstr(err.message, "...: "));
	assert_true(strlen(err.message) < 200);
}

static void test_output_untouched_on_error(void **state)
{
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(ioc_parse("evil.com", 8, NULL, &ioc, &err), CH_OK);
	assert_int_equal(ioc_parse("1.2.3.999", 9, NULL, &ioc, &err), CH_INVALID);
	assert_int_equal(ioc.type, IOC_DOMAIN);
	assert_string_equal(ioc.value, "evil.com");
}

static void test_type_names(void **state)
{
	enum ioc_type type;
	struct ch_error err = { 0 };
	char text[128];

	(void)state;
	for (int i = 1; i < IOC_TYPE_COUNT; i++) {
		assert_int_equal(ioc_type_from_name(ioc_type_name((enum ioc_type)i), &type, &err),
				 CH_OK);
		assert_int_equal(type, i);
	}
	assert_int_equal(ioc_type_from_name("SHA256", &type, &err), CH_OK);
	assert_int_equal(type, IOC_SHA256);
	assert_int_equal(ioc_type_from_name("bitcoin", &type, &err), CH_INVALID);
	ioc_warnings_format(IOC_WARN_PRIVATE | IOC_WARN_HOST_BITS, text, sizeof(text));
	assert_string_equal(text, "private,host_bits");
	assert_string_equal(ioc_warning_name(IOC_WARN_WARNINGLIST), "warninglist");
}

/* Extraction helpers. */

static struct ioc_match_list extract(const char *text)
{
	struct ioc_match_list list;
	struct ch_error err = { 0 };

	ioc_match_list_init(&list);
	assert_int_equal(ioc_extract(text, strlen(text), NULL, &list, &err), CH_OK);
	return list;
}

static void expect_match(const struct ioc_match_list *list, size_t index, enum ioc_type type,
			 const char *value)
{
	if (index >= list->count)
		fail_msg("expected match %zu '%s', only %zu found", index, value, list->count);
	if (list->items[index].ioc.type != type || strcmp(list->items[index].ioc.value, value) != 0)
		fail_msg("match %zu is %s '%s', expected %s '%s'", index,
			 ioc_type_name(list->items[index].ioc.type), list->items[index].ioc.value,
			 ioc_type_name(type), value);
}

static void test_extract_defanged_list(void **state)
{
	const char *text = "- dwniu8n[.]com - 81.176.239[.]52\n";
	struct ioc_match_list list = extract(text);

	(void)state;
	assert_int_equal(list.count, 2);
	expect_match(&list, 0, IOC_DOMAIN, "dwniu8n.com");
	assert_int_equal(list.items[0].start, 2);
	assert_int_equal(list.items[0].end, 15);
	assert_int_equal(list.items[0].parent, -1);
	expect_match(&list, 1, IOC_IPV4, "81.176.239.52");
	assert_int_equal(list.items[1].start, 18);
	assert_int_equal(list.items[1].end, 33);
	ioc_match_list_free(&list);
}

static void test_extract_url_parent(void **state)
{
	const char *text = "Download from hxxp://example[.]com/a.exe, then evil.com.";
	struct ioc_match_list list = extract(text);

	(void)state;
	assert_int_equal(list.count, 3);
	expect_match(&list, 0, IOC_URL, "http://example.com/a.exe");
	assert_int_equal(list.items[0].start, 14);
	assert_int_equal(list.items[0].end, 40);
	expect_match(&list, 1, IOC_DOMAIN, "example.com");
	assert_int_equal(list.items[1].parent, 0);
	assert_int_equal(list.items[1].start, 14);
	assert_int_equal(list.items[1].end, 40);
	expect_match(&list, 2, IOC_DOMAIN, "evil.com");
	assert_int_equal(list.items[2].parent, -1);
	ioc_match_list_free(&list);
}

static void test_extract_schemeless_url(void **state)
{
	const char *text = "corona-masr21[.]com/boa/bankofamerica/login.php\n"
			   "192[.]168[.]0[.]1:80/path and [2001:db8::1]:8080/x\n";
	struct ioc_match_list list = extract(text);

	(void)state;
	expect_match(&list, 0, IOC_URL, "http://corona-masr21.com/boa/bankofamerica/login.php");
	expect_match(&list, 1, IOC_DOMAIN, "corona-masr21.com");
	assert_int_equal(list.items[1].parent, 0);
	expect_match(&list, 2, IOC_URL, "http://192.168.0.1/path");
	expect_match(&list, 3, IOC_IPV4, "192.168.0.1");
	assert_int_equal(list.items[3].parent, 2);
	expect_match(&list, 4, IOC_URL, "http://[2001:db8::1]:8080/x");
	expect_match(&list, 5, IOC_IPV6, "2001:db8::1");
	assert_int_equal(list.count, 6);
	ioc_match_list_free(&list);
}

static void test_extract_dedup_first(void **state)
{
	const char *text = "evil.com EVIL.COM evil[.]com 1.2.3.4 1.2.3[.]4 evil.com";
	struct ioc_match_list list = extract(text);

	(void)state;
	assert_int_equal(list.count, 2);
	expect_match(&list, 0, IOC_DOMAIN, "evil.com");
	assert_int_equal(list.items[0].start, 0);
	expect_match(&list, 1, IOC_IPV4, "1.2.3.4");
	assert_int_equal(list.items[1].start, 29);
	ioc_match_list_free(&list);
}

static void test_extract_false_positives(void **state)
{
	static const char *const texts[] = {
		"- GET /iz5/yaca.php?l=tze1.cab\n",
		"- c:\\Users\\x\\AppData\\Local\\Temp\\2709984.exe\n",
		"charge-07.06.2020.doc and deed contract_07.20.doc\n",
		"version 1.2.3 and 10.0.19041 build, OID 1.3.6.1.4.1.311\n",
		"regsvr32.exe -s [filename], info_03_23.doc\n",
		"open invoice.zip or run setup.py\n",
		"The file was downloaded.It then ran\n",
		"time 12:30:45, MAC 00:1a:2b:3c:4d:5e, std::string\n",
		"short hex deadbeefdeadbeefdeadbeefdeadbeef0 and xd41d8cd98f00b204e9800998ecf8427e\n",
		"used as 12 servers\n",
		"File size: 415,744 bytes\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ioc_match_list list = extract(texts[i]);

		if (list.count != 0)
			fail_msg("'%s' gave %s '%s'", texts[i], ioc_type_name(list.items[0].ioc.type),
				 list.items[0].ioc.value);
		ioc_match_list_free(&list);
	}
}

static void test_extract_hash_boundaries(void **state)
{
	const char *text = "- c52b0211af278f226cd457d9a38cd9b1a74b6b6fd93b0ca55996f965e2aeb81f  "
			   "charge-07.06.2020.doc\n"
			   "sample d41d8cd98f00b204e9800998ecf8427e.exe (md5)";
	struct ioc_match_list list = extract(text);

	(void)state;
	assert_int_equal(list.count, 2);
	expect_match(&list, 0, IOC_SHA256,
		     "c52b0211af278f226cd457d9a38cd9b1a74b6b6fd93b0ca55996f965e2aeb81f");
	assert_int_equal(list.items[0].start, 2);
	assert_int_equal(list.items[0].end, 66);
	expect_match(&list, 1, IOC_MD5, "d41d8cd98f00b204e9800998ecf8427e");
	ioc_match_list_free(&list);
}

static void test_extract_other_types(void **state)
{
	const char *text = "Exploits CVE-2021-44228 (log4j), hosted in AS13335 and ASN 15169; "
			   "mail john[at]evil[.]com from 2001:db8::/32 and 10.0.0.0/8, "
			   "see https://bücher.de/x.";
	struct ioc_match_list list = extract(text);

	(void)state;
	expect_match(&list, 0, IOC_CVE, "CVE-2021-44228");
	expect_match(&list, 1, IOC_ASN, "AS13335");
	expect_match(&list, 2, IOC_ASN, "AS15169");
	expect_match(&list, 3, IOC_EMAIL, "john@evil.com");
	expect_match(&list, 4, IOC_CIDR, "2001:db8::/32");
	expect_match(&list, 5, IOC_CIDR, "10.0.0.0/8");
	expect_match(&list, 6, IOC_URL, "https://xn--bcher-kva.de/x");
	expect_match(&list, 7, IOC_DOMAIN, "xn--bcher-kva.de");
	assert_int_equal(list.count, 8);
	ioc_match_list_free(&list);
}

static void test_extract_offsets_original(void **state)
{
	/* The zero-width space and the "[dot]" shrink when refanged; offsets
	 * must still point into the original text. */
	const char *text = "a\xe2\x80\x8b b evil[dot]com x\xe3\x80\x82y 1.2.3.4";
	struct ioc_match_list list = extract(text);

	(void)state;
	assert_int_equal(list.count, 2);
	expect_match(&list, 0, IOC_DOMAIN, "evil.com");
	assert_int_equal(list.items[0].start, 7);
	assert_int_equal(list.items[0].end, 7 + strlen("evil[dot]com"));
	expect_match(&list, 1, IOC_IPV4, "1.2.3.4");
	assert_memory_equal(text + list.items[1].start, "1.2.3.4", 7);
	assert_int_equal(list.items[1].end, strlen(text));
	ioc_match_list_free(&list);
}

static void test_extract_url_punctuation(void **state)
{
	const char *text = "(see http://evil.com/a_(b)), <https://evil.net/x> and "
			   "\"http://evil.org/q?x=1\".";
	struct ioc_match_list list = extract(text);

	(void)state;
	expect_match(&list, 0, IOC_URL, "http://evil.com/a_(b)");
	expect_match(&list, 2, IOC_URL, "https://evil.net/x");
	expect_match(&list, 4, IOC_URL, "http://evil.org/q?x=1");
	ioc_match_list_free(&list);
}

/* A byte that is not valid UTF-8 ends a word: a surrogate (ED A0 80), an
 * overlong form (C0 AF) and a byte from F5 up cut the URL before them,
 * and valid characters stay in it. */
static void test_extract_invalid_utf8(void **state)
{
	const char *text = "see http://a.com/p\xed\xa0\x80q, http://c.com/x\xc0\xafz, "
			   "http://d.com/y\xf5z and http://e.com/caf\xc3\xa9 ok";
	struct ioc_match_list list = extract(text);

	(void)state;
	expect_match(&list, 0, IOC_URL, "http://a.com/p");
	expect_match(&list, 2, IOC_URL, "http://c.com/x");
	expect_match(&list, 4, IOC_URL, "http://d.com/y");
	expect_match(&list, 6, IOC_URL, "http://e.com/caf\xc3\xa9");
	ioc_match_list_free(&list);
}

/* A run of URL characters too long for a URL yields no URL, whichever
 * of its "://" the scanner tries, and the words around it still count. */
static void test_extract_long_url_run(void **state)
{
	size_t reps = 3000;
	char *text = xmalloc(64 + 2 * reps);
	size_t n = (size_t)sprintf(text, "x http://a.com/");
	struct ioc_match_list list;

	(void)state;
	for (size_t i = 0; i < reps; i++)
		n += (size_t)sprintf(text + n, i == 0 ? "http://b.com/," : "y,");
	strcpy(text + n, " and evil.example.org");
	list = extract(text);
	assert_int_equal(list.count, 3);
	expect_match(&list, 0, IOC_DOMAIN, "a.com");
	expect_match(&list, 1, IOC_DOMAIN, "b.com");
	expect_match(&list, 2, IOC_DOMAIN, "evil.example.org");
	ioc_match_list_free(&list);
	free(text);
}

static void test_value_set_once(void **state)
{
	struct ioc_value_set *set = ioc_value_set_new();
	struct ioc domain = { .type = IOC_DOMAIN, .value = "a.com", .value_len = 5 };
	struct ioc url = { .type = IOC_URL, .value = "a.com", .value_len = 5 };

	(void)state;
	assert_true(ioc_value_set_add(set, &domain));
	assert_false(ioc_value_set_add(set, &domain));
	assert_true(ioc_value_set_add(set, &url));
	ioc_value_set_free(set);
	ioc_value_set_free(NULL);
}

static void test_extract_too_large(void **state)
{
	struct ioc_match_list list;
	struct ch_error err = { 0 };

	(void)state;
	ioc_match_list_init(&list);
	assert_int_equal(ioc_extract("x", IOC_TEXT_MAX + 1, NULL, &list, &err), CH_TOO_LARGE);
	assert_int_equal(list.count, 0);
}

/* Reads a file from the shared data set, or skips the test when the set is
 * missing (unless CTIHUB_REQUIRE_SHARED=1). */
static char *read_shared(const char *relative, size_t *len)
{
	const char *root = getenv("CTIHUB_SHARED_DATA");
	const char *require = getenv("CTIHUB_REQUIRE_SHARED");
	char path[1024];
	FILE *f;
	char *data;

	snprintf(path, sizeof(path), "%s/%s", root ? root : "", relative);
	f = fopen(path, "rb");
	if (!f) {
		if (require && strcmp(require, "1") == 0)
			fail_msg("shared data file %s is missing and CTIHUB_REQUIRE_SHARED=1", path);
		fprintf(stderr, "test_ioc: SKIPPED, shared data file %s is missing "
				"(set CTIHUB_SHARED_DATA)\n", path);
		return NULL;
	}
	data = xmalloc(1 << 20);
	*len = fread(data, 1, 1 << 20, f);
	fclose(f);
	return data;
}

static void test_extract_analyst_notes(void **state)
{
	static const struct {
		const char *file;
		size_t counts[IOC_TYPE_COUNT];
	} cases[] = {
		{ "pan-unit42-iocs/2020-analyst-notes/2020-07-06-TA551-IOCs-for-Valak-with-IcedID.txt",
		  { [IOC_IPV4] = 6, [IOC_DOMAIN] = 6, [IOC_SHA256] = 46 } },
		{ "pan-unit42-iocs/2020-analyst-notes/2020-07-07-TA551-IOCs-for-Ursnif-with-IcedID.txt",
		  { [IOC_IPV4] = 9, [IOC_DOMAIN] = 10, [IOC_URL] = 1, [IOC_SHA256] = 104 } },
		{ "pan-unit42-iocs/covid19/Phishing_User_Credentials_with_Coronavirus_Domains.txt",
		  { [IOC_DOMAIN] = 22, [IOC_URL] = 3 } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *text = read_shared(cases[i].file, &len);
		struct ioc_match_list list;
		struct ch_error err = { 0 };
		size_t counts[IOC_TYPE_COUNT] = { 0 };

		if (!text) {
			skip();
			return;
		}
		ioc_match_list_init(&list);
		assert_int_equal(ioc_extract(text, len, NULL, &list, &err), CH_OK);
		for (size_t k = 0; k < list.count; k++)
			counts[list.items[k].ioc.type]++;
		for (int t = 1; t < IOC_TYPE_COUNT; t++) {
			if (counts[t] != cases[i].counts[t])
				fail_msg("%s: %zu %s, expected %zu", cases[i].file, counts[t],
					 ioc_type_name((enum ioc_type)t), cases[i].counts[t]);
		}
		ioc_match_list_free(&list);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_valid),
		cmocka_unit_test(test_ipv4_invalid),
		cmocka_unit_test(test_ipv6_valid),
		cmocka_unit_test(test_ipv6_invalid),
		cmocka_unit_test(test_cidr_masks_host_bits),
		cmocka_unit_test(test_cidr_invalid),
		cmocka_unit_test(test_domain_valid),
		cmocka_unit_test(test_domain_invalid),
		cmocka_unit_test(test_domain_too_long),
		cmocka_unit_test(test_registrable_domain),
		cmocka_unit_test(test_url_canonical),
		cmocka_unit_test(test_url_invalid),
		cmocka_unit_test(test_bad_bytes_in_messages),
		cmocka_unit_test(test_url_keeps_utf8_path),
		cmocka_unit_test(test_url_schemes),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_parse_as_checks_type),
		cmocka_unit_test(test_cve_and_asn),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_refang_styles),
		cmocka_unit_test(test_refang_function),
		cmocka_unit_test(test_ip_warnings),
		cmocka_unit_test(test_domain_warnings),
		cmocka_unit_test(test_error_message_truncated),
		cmocka_unit_test(test_output_untouched_on_error),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_extract_defanged_list),
		cmocka_unit_test(test_extract_url_parent),
		cmocka_unit_test(test_extract_schemeless_url),
		cmocka_unit_test(test_extract_dedup_first),
		cmocka_unit_test(test_extract_false_positives),
		cmocka_unit_test(test_extract_hash_boundaries),
		cmocka_unit_test(test_extract_other_types),
		cmocka_unit_test(test_extract_offsets_original),
		cmocka_unit_test(test_extract_url_punctuation),
		cmocka_unit_test(test_extract_invalid_utf8),
		cmocka_unit_test(test_extract_long_url_run),
		cmocka_unit_test(test_value_set_once),
		cmocka_unit_test(test_extract_too_large),
		cmocka_unit_test(test_extract_analyst_notes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
