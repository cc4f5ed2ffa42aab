/*
 * Free-text extraction: finds the indicators in an analyst write-up or a
 * chat message. The text is refanged once into a copy, with a map of the
 * length-changing replacements so that offsets refer to the original text.
 * A scanner then walks the copy word by word, where a word is a run of
 * letters, digits, '.', '-', '_' and non-punctuation UTF-8, and decides
 * from the word and the characters around it what to try:
 *
 *   scheme "://"          URL with that scheme (known schemes only)
 *   word '@' word         email address
 *   hex and ':' run       IPv6 address, or CIDR when "/len" follows
 *   dotted quad           IPv4 address, CIDR ("/len"), or URL (":port", "/path")
 *   dotted name           domain, or URL when ":port" or "/path" follows
 *   CVE-YYYY-NNNN, ASnnn  CVE identifier, AS number
 *   hex run               hash, when bounded by non-alphanumerics
 *
 * A word right after '/', '=', '?', '&' or '\' is part of a path or query
 * and gives no domain, IP or URL. Every candidate goes through the same
 * parsers as ioc_parse, so an extracted value is always canonical.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_internal.h"
#include "util/alloc.h"
#include "util/utf8.h"

struct scanner {
	const char *t; /* refanged text, NUL-terminated */
	size_t n;
	struct ioc_refang_map map;
	const struct ioc_warnlists *wl;
	struct ioc_match_list *list;
	struct ioc_table seen; /* type byte + canonical value -> list index */
	size_t last_end;       /* end of the last match, in refanged offsets */
	/* The last run of URL characters that url_end walked, [run_from,
	 * run_end). Every URL that starts inside it ends where it ends. */
	size_t run_from;
	size_t run_end;
	struct ioc scratch;
	struct ioc host;
	char key[IOC_VALUE_MAX + 1];
};

void ioc_match_list_init(struct ioc_match_list *list)
{
	list->items = NULL;
	list->count = 0;
	list->cap = 0;
}

void ioc_match_list_free(struct ioc_match_list *list)
{
	free(list->items);
	ioc_match_list_init(list);
}

/*
 * Length of the UTF-8 character at s and whether it is punctuation, a
 * symbol or a space that ends a word: Latin-1 punctuation, general
 * punctuation (dashes, quotes), arrows, box drawing, CJK and full-width
 * punctuation, and everything from U+1F000 up (emoji). Invalid UTF-8
 * counts as one delimiter byte.
 */
static size_t utf8_char(const unsigned char *s, size_t avail, bool *delimiter)
{
	uint32_t cp;
	size_t len;

	*delimiter = true;
	/* Overlong forms, surrogates and bytes from 0xF5 up are invalid too. */
	len = utf8_sequence_len_within(s, avail);
	if (len < 2)
		return 1;
	cp = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*delimiter = cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
		     (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x2500 && cp <= 0x257F) ||
		     (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
		     (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
		     (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
		     cp == 0xFFFD || cp >= 0x1F000;
	return len;
}

static bool is_word_ascii(unsigned char c)
{
	return ioc_is_alnum(c) || c == '.' || c == '-' || c == '_';
}

/* Length of the word character at i, or 0 when t[i] ends a word. */
static size_t word_char(const struct scanner *s, size_t i)
{
	unsigned char c = (unsigned char)s->t[i];
	bool delimiter;
	size_t len;

	if (c < 0x80)
		return is_word_ascii(c) ? 1 : 0;
	len = utf8_char((const unsigned char *)s->t + i, s->n - i, &delimiter);
	return delimiter ? 0 : len;
}

static size_t word_end(const struct scanner *s, size_t i)
{
	size_t k;

	while (i < s->n && (k = word_char(s, i)) > 0)
		i += k;
	return i;
}

/* Length of the URL character at i, or 0 when it ends a URL in text:
 * space, controls, quotes, Unicode punctuation and the characters that
 * RFC 3986 excludes and prose uses around links. */
static size_t url_char(const struct scanner *s, size_t i)
{
	unsigned char c = (unsigned char)s->t[i];
	bool delimiter;
	size_t len;

	if (c >= 0x80) {
		len = utf8_char((const unsigned char *)s->t + i, s->n - i, &delimiter);
		return delimiter ? 0 : len;
	}
	return (c <= ' ' || c == 0x7f || strchr("<>\"`{}|\\^", c) != NULL) ? 0 : 1;
}

static size_t count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* End of a URL that continues at from: up to a delimiter, minus trailing
 * sentence punctuation, opening brackets and closing brackets that have no
 * opening one. */
static size_t url_end(struct scanner *s, size_t start, size_t from)
{
	size_t end = from;
	size_t k;

	/* Text such as "http://a.com/,http://a.com/,..." is one run with a URL
	 * start every few bytes, and walking the run again for each made the
	 * extraction quadratic: 16 s for 256 KiB. */
	if (s->run_end > 0 && from >= s->run_from && from <= s->run_end) {
		end = s->run_end;
	} else {
		while (end < s->n && (k = url_char(s, end)) > 0)
			end += k;
		s->run_from = from;
		s->run_end = end;
	}
	while (end > from) {
		char c = s->t[end - 1];
		const char *span = s->t + start;
		size_t len = end - start;

		if (strchr(".,;:!?'*([{", c) ||
		    (c == ')' && count_char(span, len, '(') < count_char(span, len, ')')) ||
		    (c == ']' && count_char(span, len, '[') < count_char(span, len, ']'))) {
			end--;
			continue;
		}
		break;
	}
	return end;
}

static void append(struct ioc_match_list *list, const struct ioc *ioc, size_t start,
		   size_t end, long parent)
{
	struct ioc_match *m;

	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xreallocarray(list->items, list->cap, sizeof(*list->items));
	}
	m = &list->items[list->count++];
	m->ioc.type = ioc->type;
	m->ioc.warnings = ioc->warnings;
	m->ioc.value_len = ioc->value_len;
	memcpy(m->ioc.value, ioc->value, ioc->value_len + 1);
	memcpy(m->ioc.registrable, ioc->registrable, strlen(ioc->registrable) + 1);
	m->ioc.warnlist_name = ioc->warnlist_name;
	m->start = start;
	m->end = end;
	m->parent = parent;
}

/*
 * Appends a match for the refanged span [start, end) unless its canonical
 * value was listed already. Returns the new index, or -1 for a repeat.
 * A value listed only as the host of a URL that later stands on its own is
 * promoted to a top-level match at this occurrence, because the analyst
 * named it as an indicator in its own right.
 */
static long emit(struct scanner *s, struct ioc *ioc, size_t start, size_t end, long parent)
{
	size_t index = s->list->count;
	uint32_t stored;

	s->key[0] = (char)ioc->type;
	memcpy(s->key + 1, ioc->value, ioc->value_len);
	if (index > UINT32_MAX)
		return -1;
	if (!ioc_table_insert(&s->seen, s->key, ioc->value_len + 1, (uint32_t)index, &stored)) {
		struct ioc_match *earlier = &s->list->items[stored];

		if (parent < 0 && earlier->parent >= 0) {
			earlier->parent = -1;
			earlier->start = ioc_refang_map_start(&s->map, start);
			earlier->end = ioc_refang_map_end(&s->map, end);
		}
		return -1;
	}
	ioc_finish(ioc, s->wl);
	append(s->list, ioc, ioc_refang_map_start(&s->map, start), ioc_refang_map_end(&s->map, end),
	       parent);
	if (end > s->last_end)
		s->last_end = end;
	return (long)index;
}

/* Emits a parsed URL and, linked to it, the domain or IP it names. */
static void emit_url(struct scanner *s, size_t start, size_t end)
{
	struct ioc_url_host host;
	long url = emit(s, &s->scratch, start, end, -1);

	if (url < 0)
		return;
	ioc_url_host(&s->scratch, &host);
	if (host.host_type == IOC_NONE)
		return;
	if (ioc_parse_refanged(host.host_type, s->scratch.value + host.host_start, host.host_len,
			       &s->host, NULL) != CH_OK)
		return;
	emit(s, &s->host, start, end, url);
}

static bool try_parse(struct scanner *s, enum ioc_type type, size_t start, size_t end)
{
	return ioc_parse_refanged(type, s->t + start, end - start, &s->scratch, NULL) == CH_OK;
}

/*
 * After a host at [start, end): a ":port" and/or a "/path" make it a URL
 * without scheme. "host/" alone stays a host, because the slash carries
 * nothing. Returns the end of the URL emitted, or 0.
 */
static size_t try_schemeless_url(struct scanner *s, size_t start, size_t end)
{
	const char *t = s->t;
	size_t k = end;
	bool port = false;
	bool path = false;

	if (k + 1 < s->n && t[k] == ':' && ioc_is_digit((unsigned char)t[k + 1])) {
		size_t d = k + 1;

		while (d < s->n && ioc_is_digit((unsigned char)t[d]) && d - k <= 5)
			d++;
		if (d == s->n || (!ioc_is_alnum((unsigned char)t[d]) && t[d] != '.' && t[d] != ':')) {
			k = d;
			port = true;
		}
	}
	size_t stop = k;

	if (k + 1 < s->n && t[k] == '/' && url_char(s, k + 1) > 0) {
		stop = url_end(s, start, k);
		path = stop > k + 1;
		if (!path)
			stop = k;
	}
	if (!port && !path)
		return 0;
	if (!try_parse(s, IOC_URL, start, stop))
		return 0;
	emit_url(s, start, stop);
	return stop;
}

/* A CIDR prefix length "/n" right after an address ending at end. Returns
 * the end of the prefix, or 0. */
static size_t prefix_after(const struct scanner *s, size_t end)
{
	size_t d = end + 1;

	if (end + 1 >= s->n || s->t[end] != '/')
		return 0;
	while (d < s->n && ioc_is_digit((unsigned char)s->t[d]) && d - end <= 3)
		d++;
	if (d == end + 1 || d - end > 4)
		return 0;
	if (d < s->n && (ioc_is_alnum((unsigned char)s->t[d]) || s->t[d] == '/' || s->t[d] == '.'))
		return 0;
	return d;
}

/* A run of hex digits, ':' and '.' at i with two or more colons and a
 * digit, parsed as IPv6 (or CIDR). Returns the end, or 0. */
static size_t try_ipv6(struct scanner *s, size_t i)
{
	const char *t = s->t;
	size_t end = i;
	size_t colons = 0;
	bool digit = false;
	size_t prefix_end;

	while (end < s->n && (ioc_is_hex((unsigned char)t[end]) || t[end] == ':' || t[end] == '.')) {
		colons += t[end] == ':';
		digit |= ioc_is_digit((unsigned char)t[end]);
		end++;
	}
	while (end > i && t[end - 1] == '.')
		end--;
	if (colons < 2 || !digit || end - i < 3)
		return 0;
	if (end < s->n && (ioc_is_alnum((unsigned char)t[end]) || t[end] == '_' || t[end] == '-'))
		return 0;
	if (!try_parse(s, IOC_IPV6, i, end))
		return 0;

	/* "[v6]:port/path" without a scheme is a URL. */
	if (i > 0 && t[i - 1] == '[' && end < s->n && t[end] == ']') {
		size_t stop = try_schemeless_url(s, i - 1, end + 1);

		if (stop)
			return stop;
		try_parse(s, IOC_IPV6, i, end);
	}
	prefix_end = prefix_after(s, end);
	if (prefix_end && try_parse(s, IOC_CIDR, i, prefix_end)) {
		emit(s, &s->scratch, i, prefix_end, -1);
		return prefix_end;
	}
	emit(s, &s->scratch, i, end, -1);
	return end;
}

/* Characters taken into an email local part when scanning back from '@'. */
static bool is_local_char(unsigned char c)
{
	return ioc_is_alnum(c) || (c && strchr(".!#$%&*+-^_~", c) != NULL);
}

static size_t try_email(struct scanner *s, size_t at)
{
	size_t start = at;
	size_t end = word_end(s, at + 1);

	while (start > s->last_end && is_local_char((unsigned char)s->t[start - 1]))
		start--;
	while (start < at && s->t[start] == '.')
		start++;
	while (end > at + 1 && strchr(".-_", s->t[end - 1]))
		end--;
	if (start == at || end == at + 1 || !try_parse(s, IOC_EMAIL, start, end))
		return 0;
	emit(s, &s->scratch, start, end, -1);
	return end;
}

/*
 * TLDs that are also common file extensions. A two-label name under one
 * of them in plain text ("invoice.zip", "setup.py") is far more often a
 * file than a host, so extraction skips it unless it was defanged.
 * NOTE: this drops real two-label domains under these TLDs written in
 * plain text; ioc_parse still accepts them.
 */
static const char *const file_extension_tlds[] = {
	"zip", "mov", "cab", "py", "sh", "md", "rs", "ps", "pm", "tf", "cat", "pub",
};

static bool skip_plain_domain(const struct scanner *s, size_t start, size_t end)
{
	const char *t = s->t;
	const char *dot = memrchr(t + start, '.', end - start);
	size_t tld_len = (size_t)(t + end - dot - 1);
	bool defanged = ioc_refang_map_end(&s->map, end) - ioc_refang_map_start(&s->map, start) !=
			end - start;

	if (defanged)
		return false;

	/* "downloaded.It then" is a sentence run together, not a domain:
	 * a TLD in title case does not occur in real host names. */
	if (tld_len >= 2 && dot[1] >= 'A' && dot[1] <= 'Z' && dot[2] >= 'a' && dot[2] <= 'z')
		return true;
	if (memchr(t + start, '.', (size_t)(dot - t - start)))
		return false;
	for (size_t k = 0; k < sizeof(file_extension_tlds) / sizeof(file_extension_tlds[0]); k++) {
		if (strlen(file_extension_tlds[k]) == tld_len &&
		    strncasecmp(dot + 1, file_extension_tlds[k], tld_len) == 0)
			return true;
	}
	return false;
}

static bool all_digits_dots(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ioc_is_digit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return true;
}

/* A dotted quad at [start, end): CIDR, URL or plain IPv4. */
static size_t try_ipv4(struct scanner *s, size_t start, size_t end)
{
	size_t prefix_end;
	size_t stop;

	if (!try_parse(s, IOC_IPV4, start, end))
		return 0;
	prefix_end = prefix_after(s, end);
	if (prefix_end && try_parse(s, IOC_CIDR, start, prefix_end)) {
		emit(s, &s->scratch, start, prefix_end, -1);
		return prefix_end;
	}
	stop = try_schemeless_url(s, start, end);
	if (stop)
		return stop;
	try_parse(s, IOC_IPV4, start, end);
	emit(s, &s->scratch, start, end, -1);
	return end;
}

/*
 * A dotted name at [start, end). When the whole word is not a domain, the
 * longest prefix ending before a '.' that is one is taken, so that
 * "evil.com。然后" or "www.evil.com.Then" still give the domain.
 */
static size_t try_domain(struct scanner *s, size_t start, size_t end)
{
	size_t stop;

	while (end > start) {
		if (!skip_plain_domain(s, start, end) && try_parse(s, IOC_DOMAIN, start, end))
			break;

		const char *dot = memrchr(s->t + start, '.', end - start);

		if (!dot || !memchr(s->t + start, '.', (size_t)(dot - s->t - start)))
			return 0;
		end = (size_t)(dot - s->t);
	}
	if (end == start)
		return 0;
	stop = try_schemeless_url(s, start, end);
	if (stop)
		return stop;
	try_parse(s, IOC_DOMAIN, start, end);
	emit(s, &s->scratch, start, end, -1);
	return end;
}

/* Hashes among the alphanumeric runs of a word. */
static void find_hashes(struct scanner *s, size_t start, size_t end)
{
	size_t i = start;

	while (i < end) {
		size_t k = i;
		bool hex = true;

		while (k < end && ioc_is_alnum((unsigned char)s->t[k])) {
			hex &= ioc_is_hex((unsigned char)s->t[k]);
			k++;
		}
		if (hex && (k - i == 32 || k - i == 40 || k - i == 64 || k - i == 128) &&
		    try_parse(s, IOC_NONE, i, k))
			emit(s, &s->scratch, i, k, -1);
		i = k > i ? k : i + 1;
	}
}

/* CVE identifiers that start a word or follow a non-alphanumeric inside it. */
static void find_cves(struct scanner *s, size_t start, size_t end)
{
	for (size_t i = start; i + 13 < end + 1; i++) {
		if (i > start && ioc_is_alnum((unsigned char)s->t[i - 1]))
			continue;
		if (strncasecmp(s->t + i, "CVE-", 4) != 0)
			continue;

		size_t k = i + 4;

		while (k < end && (ioc_is_digit((unsigned char)s->t[k]) || (k == i + 8 && s->t[k] == '-')))
			k++;
		if (k < end && ioc_is_alnum((unsigned char)s->t[k]))
			continue;
		if (try_parse(s, IOC_CVE, i, k))
			emit(s, &s->scratch, i, k, -1);
		i = k;
	}
}

/* AS13335 or ASN13335 as a whole word, or "ASN 13335". In text, "AS"
 * followed by a space is too often the English word to count. */
static size_t try_asn(struct scanner *s, size_t start, size_t end)
{
	const char *t = s->t;
	size_t n = end - start;

	if (n == 3 && memcmp(t + start, "ASN", 3) == 0 && end + 1 < s->n && t[end] == ' ' &&
	    ioc_is_digit((unsigned char)t[end + 1])) {
		size_t stop = word_end(s, end + 1);

		if (try_parse(s, IOC_ASN, start, stop)) {
			emit(s, &s->scratch, start, stop, -1);
			return stop;
		}
		return 0;
	}
	if (n < 3 || strncasecmp(t + start, "AS", 2) != 0)
		return 0;
	for (size_t i = start + 2; i < end; i++) {
		if (!ioc_is_digit((unsigned char)t[i]) && !(i == start + 2 && ioc_lower(t[i]) == 'n'))
			return 0;
	}
	if (!try_parse(s, IOC_ASN, start, end))
		return 0;
	emit(s, &s->scratch, start, end, -1);
	return end;
}

/* True when the word at i sits in a path or query: after '/', '=', '?',
 * '&' or '\', but not after "//", which starts a host. */
static bool in_path(const struct scanner *s, size_t i)
{
	char p = i > 0 ? s->t[i - 1] : ' ';

	if (p == '/')
		return !(i > 1 && s->t[i - 2] == '/');
	return p == '=' || p == '?' || p == '&' || p == '\\';
}

/* Handles the word [i, j) and returns where scanning continues. */
static size_t scan_word(struct scanner *s, size_t i, size_t j)
{
	const char *t = s->t;
	size_t ws = i;
	size_t we = j;
	size_t stop;

	if (j + 2 < s->n && t[j] == ':' && t[j + 1] == '/' && t[j + 2] == '/') {
		stop = url_end(s, i, j + 3);
		if (try_parse(s, IOC_URL, i, stop)) {
			emit_url(s, i, stop);
			return stop;
		}
		return j + 3;
	}
	if (j < s->n && t[j] == '@') {
		stop = try_email(s, j);
		if (stop)
			return stop;
	}
	if (j < s->n && t[j] == ':') {
		stop = try_ipv6(s, i);
		if (stop)
			return stop;
	}

	while (ws < we && strchr(".-_", t[ws]))
		ws++;
	while (we > ws && strchr(".-_", t[we - 1]))
		we--;
	if (ws == we)
		return j;

	if (!in_path(s, i)) {
		if (all_digits_dots(t + ws, we - ws))
			stop = try_ipv4(s, ws, we);
		else if (memchr(t + ws, '.', we - ws))
			stop = try_domain(s, ws, we);
		else
			stop = try_asn(s, ws, we);
		if (stop)
			return stop > j ? stop : j;
	}
	find_cves(s, ws, we);
	find_hashes(s, ws, we);
	return j;
}

static void scan(struct scanner *s)
{
	size_t i = 0;

	while (i < s->n) {
		size_t k = word_char(s, i);

		if (k == 0) {
			/* An address such as "::1" starts with a colon. */
			if (s->t[i] == ':' && (i == 0 || (s->t[i - 1] != ':' &&
							  !ioc_is_alnum((unsigned char)s->t[i - 1])))) {
				size_t stop = try_ipv6(s, i);

				if (stop) {
					i = stop;
					continue;
				}
			}
			i++;
			continue;
		}

		size_t j = word_end(s, i);
		size_t next = scan_word(s, i, j);

		i = next > i ? next : j;
	}
}

enum ch_code ioc_extract(const char *text, size_t len, const struct ioc_warnlists *wl,
			 struct ioc_match_list *list, struct ch_error *err)
{
	struct scanner *s;
	char *refanged;

	if (len > IOC_TEXT_MAX)
		return ch_fail(err, CH_TOO_LARGE, "text of %zu bytes is longer than the %zu bytes "
						  "that extraction accepts", len, IOC_TEXT_MAX);

	/* The scanner contains two struct ioc and a key buffer, about 13 KB, too
	 * much for the stack of a worker thread. */
	s = xcalloc(1, sizeof(*s));
	refanged = xmalloc(len + 1);
	s->n = ioc_refang_text(text, len, refanged, false, &s->map);
	s->t = refanged;
	s->wl = wl;
	s->list = list;
	ioc_table_init(&s->seen);

	scan(s);

	ioc_table_free(&s->seen);
	ioc_refang_map_free(&s->map);
	free(refanged);
	free(s);
	return CH_OK;
}
