/*
 * ioc_parse and ioc_parse_as: trim a single value, refang it, pick its type
 * from the characters it contains and run that type's parser. The file
 * also contains the small parsers (hashes, CVE, ASN). The hot path makes no
 * heap allocation and runs no regular expression, because the value is
 * refanged into a stack buffer and parsed into a stack struct that is copied to the caller
 * only on success.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_internal.h"
#include "ioc/warnlist.h"
#include "util/utf8.h"

/* Maximum input length before refanging. Refanging only shrinks text, and
 * a value with more than 4 bytes of defanging per output byte is noise. */
#define RAW_MAX (4 * IOC_VALUE_MAX)
/* Bytes of the value quoted in an error message. */
#define SHOWN_MAX 80

enum ch_code ioc_reject(struct ioc_reason *reason, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!reason)
		return CH_INVALID;
	va_start(ap, fmt);
	n = vsnprintf(reason->text, sizeof(reason->text), fmt, ap);
	va_end(ap);
	/* vsnprintf wrote n bytes or all that fit, NULs from a %c included. */
	if (n > 0)
		utf8_mask_unprintable(reason->text, (size_t)n < sizeof(reason->text)
						     ? (size_t)n
						     : sizeof(reason->text) - 1);
	return CH_INVALID;
}

const char *ioc_char_text(unsigned char c, char out[IOC_CHAR_TEXT_SIZE])
{
	if (c > 0x20 && c < 0x7f)
		snprintf(out, IOC_CHAR_TEXT_SIZE, "'%c'", c);
	else
		snprintf(out, IOC_CHAR_TEXT_SIZE, "byte 0x%02X", c);
	return out;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Checks that value[0..len) is UTF-8 text without control characters.
 * Every type's canonical form is such text, and libidn2 would read a
 * domain only up to a NUL, so "google.com\0<more>" would pass as
 * google.com. Sets reason and returns true at the first bad byte. */
static bool bad_byte(const char *value, size_t len, struct ioc_reason *reason)
{
	const unsigned char *u = (const unsigned char *)value;
	size_t i = 0;

	while (i < len) {
		size_t n;

		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f) {
				ioc_reject(reason, "byte 0x%02X (a control character) is not allowed "
						   "in an indicator", u[i]);
				return true;
			}
			i++;
			continue;
		}
		n = utf8_sequence_len_within(u + i, len - i);
		if (n == 0) {
			ioc_reject(reason, "byte 0x%02X is not valid UTF-8 (convert the input to "
					   "UTF-8; in a URL, percent-encode it as %%%02X)",
				   u[i], u[i]);
			return true;
		}
		if (utf8_is_c1_control(u + i, n)) {
			ioc_reject(reason, "character U+%04X (a control character) is not "
					   "allowed in an indicator", u[i + 1]);
			return true;
		}
		i += n;
	}
	return false;
}

/* Length of a Unicode quotation mark or no-break space at s, or 0. */
static size_t unicode_wrapper_len(const char *s, size_t n, bool closing)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n >= 2 && u[0] == 0xC2 && u[1] == 0xA0) /* U+00A0 no-break space */
		return 2;
	if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80) {
		/* U+2018/U+2019 single and U+201C/U+201D double quotes. */
		if (!closing && (u[2] == 0x98 || u[2] == 0x9C))
			return 3;
		if (closing && (u[2] == 0x99 || u[2] == 0x9D))
			return 3;
	}
	return 0;
}

/*
 * Strips whitespace, ASCII and typographic quotes around the value and
 * list separators (',' ';') after it. Brackets around the whole value are
 * left to refanging.
 */
static void trim(const char **value, size_t *len)
{
	const char *s = *value;
	size_t n = *len;
	bool changed = true;

	while (changed && n > 0) {
		size_t k;

		changed = false;
		while (n > 0 && is_space((unsigned char)s[0])) {
			s++;
			n--;
			changed = true;
		}
		while (n > 0 && (is_space((unsigned char)s[n - 1]) || s[n - 1] == ',' ||
				 s[n - 1] == ';')) {
			n--;
			changed = true;
		}
		if (n >= 2 && (s[0] == '"' || s[0] == '\'' || s[0] == '`') && s[n - 1] == s[0]) {
			s++;
			n -= 2;
			changed = true;
		}
		k = unicode_wrapper_len(s, n, false);
		if (k > 0) {
			s += k;
			n -= k;
			changed = true;
		}
		for (size_t j = 2; j <= 3 && j <= n; j++) {
			if (unicode_wrapper_len(s + n - j, j, true) == j) {
				n -= j;
				changed = true;
				break;
			}
		}
	}
	*value = s;
	*len = n;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ioc_is_hex((unsigned char)s[i]))
			return false;
	}
	return true;
}

static enum ch_code parse_hash(const char *value, size_t len, size_t want, enum ioc_type type,
			       const char *label, struct ioc *out, struct ioc_reason *reason)
{
	for (size_t i = 0; i < len; i++) {
		if (!ioc_is_hex((unsigned char)value[i]))
			return ioc_reject(reason, "'%c' is not a hex digit", value[i]);
	}
	if (len != want)
		return ioc_reject(reason, "%s hash needs %zu hex digits, found %zu", label, want, len);
	for (size_t i = 0; i < len; i++)
		out->value[i] = ioc_lower(value[i]);
	out->value[len] = '\0';
	out->value_len = len;
	out->type = type;
	return CH_OK;
}

enum ch_code ioc_parse_md5(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason)
{
	return parse_hash(value, len, 32, IOC_MD5, "an MD5", out, reason);
}

enum ch_code ioc_parse_sha1(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason)
{
	return parse_hash(value, len, 40, IOC_SHA1, "a SHA-1", out, reason);
}

enum ch_code ioc_parse_sha256(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason)
{
	return parse_hash(value, len, 64, IOC_SHA256, "a SHA-256", out, reason);
}

enum ch_code ioc_parse_sha512(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason)
{
	return parse_hash(value, len, 128, IOC_SHA512, "a SHA-512", out, reason);
}

/* Number of decimal digits at s[0..n). */
static size_t digit_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && ioc_is_digit((unsigned char)s[i]))
		i++;
	return i;
}

/* CVE-YYYY-NNNN with four or more digits in the sequence number, which is
 * the format MITRE has used since 2014. */
enum ch_code ioc_parse_cve(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason)
{
	unsigned year = 0;
	size_t seq;

	if (len < 4 || strncasecmp(value, "CVE-", 4) != 0)
		return ioc_reject(reason, "a CVE identifier starts with 'CVE-'");
	if (digit_run(value + 4, len - 4) != 4 || len < 9 || value[8] != '-')
		return ioc_reject(reason, "a CVE identifier needs a four-digit year, as in "
					  "CVE-2021-44228");
	for (size_t i = 4; i < 8; i++)
		year = year * 10 + (unsigned)(value[i] - '0');
	if (year < 1999)
		return ioc_reject(reason, "CVE year %u is before 1999, the first year of CVE",
				  year);
	seq = digit_run(value + 9, len - 9);
	if (seq < 4 || seq > 19 || 9 + seq != len)
		return ioc_reject(reason, "a CVE sequence number has 4 to 19 digits, as in "
					  "CVE-2021-44228");
	memcpy(out->value, "CVE-", 4);
	memcpy(out->value + 4, value + 4, len - 4);
	out->value[len] = '\0';
	out->value_len = len;
	out->type = IOC_CVE;
	return CH_OK;
}

/* Parses a decimal number of at most 10 digits into *number. */
static bool parse_u64(const char *s, size_t n, uint64_t *number)
{
	uint64_t v = 0;

	if (n == 0 || n > 10 || digit_run(s, n) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*number = v;
	return true;
}

/*
 * AS13335, ASN13335, as13335 or "AS 13335"; also the asdot form AS1.10 of
 * RFC 5396, which stands for 1 * 65536 + 10.
 */
enum ch_code ioc_parse_asn(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason)
{
	size_t i = 2;
	uint64_t number;
	uint64_t low;
	const char *dot;

	if (len < 3 || strncasecmp(value, "AS", 2) != 0)
		return ioc_reject(reason, "an AS number starts with 'AS', as in AS13335");
	if (ioc_lower(value[i]) == 'n')
		i++;
	if (i < len && value[i] == ' ')
		i++;
	dot = memchr(value + i, '.', len - i);
	if (dot) {
		size_t high_len = (size_t)(dot - value) - i;

		if (!parse_u64(value + i, high_len, &number) ||
		    !parse_u64(dot + 1, len - i - high_len - 1, &low) || number > 65535 ||
		    low > 65535)
			return ioc_reject(reason, "AS number in asdot form needs two numbers of "
						  "0-65535, as in AS1.10");
		number = number * 65536 + low;
	} else if (!parse_u64(value + i, len - i, &number)) {
		return ioc_reject(reason, "an AS number needs decimal digits after 'AS'");
	}
	if (number == 0 || number > 4294967295u)
		return ioc_reject(reason, "AS number %llu is out of range 1-4294967295",
				  (unsigned long long)number);

	int n = snprintf(out->value, sizeof(out->value), "AS%llu", (unsigned long long)number);

	out->value_len = (size_t)n;
	out->type = IOC_ASN;
	return CH_OK;
}

/* True when s starts with AS or ASN, an optional space and a digit. */
static bool looks_like_asn(const char *s, size_t n)
{
	size_t i = 2;

	if (n < 3 || strncasecmp(s, "AS", 2) != 0)
		return false;
	if (ioc_lower(s[i]) == 'n')
		i++;
	if (i < n && s[i] == ' ')
		i++;
	return i < n && ioc_is_digit((unsigned char)s[i]);
}

/* True when the text after a slash is a CIDR prefix length (1-3 digits). */
static bool looks_like_prefix(const char *s, size_t n)
{
	return n >= 1 && n <= 3 && digit_run(s, n) == n;
}

/*
 * Picks the type to try for a refanged value from the characters it
 * contains. The type's parser then gives the precise reason when the value
 * is malformed. Returns IOC_NONE with a reason when nothing fits.
 */
static enum ioc_type classify(const char *v, size_t n, struct ioc_reason *reason)
{
	const char *slash = memchr(v, '/', n);
	size_t colons = 0;
	size_t dots = 0;
	bool digits_dots = true;
	bool at = false;

	if (memmem(v, n, "://", 3))
		return IOC_URL;
	if (n >= 4 && strncasecmp(v, "CVE-", 4) == 0)
		return IOC_CVE;
	if (looks_like_asn(v, n))
		return IOC_ASN;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		colons += c == ':';
		dots += c == '.';
		at |= c == '@';
		if (!ioc_is_digit(c) && c != '.')
			digits_dots = false;
	}
	if (at && !slash)
		return IOC_EMAIL;
	if (slash) {
		size_t before = (size_t)(slash - v);
		bool v6 = memchr(v, ':', before) && v[0] != '[';

		if ((v6 || digit_run(v, before) > 0) && looks_like_prefix(slash + 1, n - before - 1)) {
			bool v4 = true;

			for (size_t i = 0; i < before; i++)
				v4 &= ioc_is_digit((unsigned char)v[i]) || v[i] == '.';
			if (v4 || v6)
				return IOC_CIDR;
		}
		return IOC_URL;
	}
	if (v[0] == '[' || colons == 1)
		return IOC_URL;
	if (colons >= 2)
		return IOC_IPV6;
	if (all_hex(v, n)) {
		switch (n) {
		case 32:
			return IOC_MD5;
		case 40:
			return IOC_SHA1;
		case 64:
			return IOC_SHA256;
		case 128:
			return IOC_SHA512;
		default:
			break;
		}
		if (n >= 24) {
			ioc_reject(reason, "%zu hex digits is not the length of an MD5 (32), "
					   "SHA-1 (40), SHA-256 (64) or SHA-512 (128) hash", n);
			return IOC_NONE;
		}
	}
	if (digits_dots)
		return IOC_IPV4;
	if (dots > 0)
		return IOC_DOMAIN;
	ioc_reject(reason, "not a recognised indicator (expected an IP, CIDR, domain, URL, "
			   "email, hash, CVE or ASN)");
	return IOC_NONE;
}

enum ch_code ioc_parse_refanged(enum ioc_type type, const char *value, size_t len,
				struct ioc *out, struct ioc_reason *reason)
{
	ioc_parser_fn parse;

	out->type = IOC_NONE;
	out->warnings = 0;
	out->value_len = 0;
	out->value[0] = '\0';
	out->registrable[0] = '\0';
	out->warnlist_name = NULL;
	if (len == 0)
		return ioc_reject(reason, "empty value");
	if (len >= IOC_VALUE_MAX)
		return ioc_reject(reason, "longer than %d bytes", IOC_VALUE_MAX - 1);
	if (type == IOC_NONE) {
		type = classify(value, len, reason);
		if (type == IOC_NONE)
			return CH_INVALID;
	}
	parse = ioc_type_parser(type);
	if (!parse)
		return ioc_reject(reason, "indicator type %d has no parser", (int)type);
	return parse(value, len, out, reason);
}

/*
 * Writes "VALUE: REASON" into err. The value is cut to SHOWN_MAX bytes at
 * a UTF-8 character boundary, and control characters become '?', so the
 * message is safe to print and to put in JSON.
 */
static enum ch_code fail_value(struct ch_error *err, const char *value, size_t len,
			       const char *reason)
{
	char shown[SHOWN_MAX + 4];
	size_t n = len > SHOWN_MAX ? SHOWN_MAX : len;

	if (!err)
		return CH_INVALID;
	/* Backs up to a character boundary, which is at most three bytes
	 * away in valid UTF-8. */
	for (int back = 0; back < 3 && n > 0 && n < len &&
			   ((unsigned char)value[n] & 0xC0) == 0x80; back++)
		n--;
	memcpy(shown, value, n);
	shown[n] = '\0';
	utf8_mask_unprintable(shown, n);
	if (n < len) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	if (len == 0)
		return ch_fail(err, CH_INVALID, "empty value: expected an indicator");
	return ch_fail(err, CH_INVALID, "%s: %s", shown, reason);
}

static void copy_ioc(struct ioc *dst, const struct ioc *src)
{
	dst->type = src->type;
	dst->warnings = src->warnings;
	dst->value_len = src->value_len;
	memcpy(dst->value, src->value, src->value_len + 1);
	memcpy(dst->registrable, src->registrable, strlen(src->registrable) + 1);
	dst->warnlist_name = src->warnlist_name;
}

void ioc_finish(struct ioc *ioc, const struct ioc_warnlists *wl)
{
	if (!wl)
		return;
	ioc->warnlist_name = ioc_warnlists_match(wl, ioc);
	if (ioc->warnlist_name)
		ioc->warnings |= IOC_WARN_WARNINGLIST;
}

enum ch_code ioc_parse_as(enum ioc_type type, const char *input, size_t len,
			  const struct ioc_warnlists *wl, struct ioc *out, struct ch_error *err)
{
	const char *value = input;
	size_t n = len;
	char refanged[RAW_MAX + 1];
	const char *clean = refanged;
	size_t m;
	struct ioc parsed;
	struct ioc_reason reason;

	if ((unsigned)type >= IOC_TYPE_COUNT)
		return ch_fail(err, CH_INVALID, "indicator type %d does not exist", (int)type);
	trim(&value, &n);
	if (n > RAW_MAX)
		return fail_value(err, value, n, "longer than 16384 bytes");
	if (bad_byte(value, n, &reason))
		return fail_value(err, value, n, reason.text);

	/* Brackets stripped by refanging may have had spaces inside. */
	m = ioc_refang_text(value, n, refanged, true, NULL);
	trim(&clean, &m);
	if (ioc_parse_refanged(type, clean, m, &parsed, &reason) != CH_OK)
		return fail_value(err, value, n, reason.text);

	ioc_finish(&parsed, wl);
	copy_ioc(out, &parsed);
	return CH_OK;
}

enum ch_code ioc_parse(const char *input, size_t len, const struct ioc_warnlists *wl,
		       struct ioc *out, struct ch_error *err)
{
	return ioc_parse_as(IOC_NONE, input, len, wl, out, err);
}
