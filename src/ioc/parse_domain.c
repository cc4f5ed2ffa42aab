/*
 * Domain names and email addresses: label rules, IDN to A-label with
 * libidn2, the public-suffix checks and registrable domain with libpsl,
 * and the warnings for names reserved for documentation or local use.
 *
 * A domain must end in a public suffix that the Public Suffix List names
 * explicitly, so "invoice.pdf" is not a domain even though libpsl's
 * implicit "*" rule would treat "pdf" as a suffix. Names under the
 * special-use TLDs of RFC 2606 and RFC 6761 (test, example, invalid,
 * localhost) are accepted without the list and carry a warning.
 */
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_internal.h"

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void init_psl(void)
{
	/* psl_latest picks the newer of the system list (the publicsuffix
	 * package) and the list compiled into libpsl. The context lives for
	 * the whole process. */
	psl = psl_latest(NULL);
	if (!psl)
		psl = psl_builtin();
}

static const psl_ctx_t *get_psl(void)
{
	pthread_once(&psl_once, init_psl);
	return psl;
}

/*
 * Names that warn. A name matches an entry when it equals the suffix or
 * ends in "." plus the suffix. Entries with accept set are valid domains
 * although the Public Suffix List does not name them.
 */
static const struct {
	const char *suffix;
	uint32_t warning;
	bool accept;
} special_names[] = {
	{ "example.com", IOC_WARN_DOCUMENTATION, false }, /* RFC 2606 */
	{ "example.net", IOC_WARN_DOCUMENTATION, false },
	{ "example.org", IOC_WARN_DOCUMENTATION, false },
	{ "example", IOC_WARN_DOCUMENTATION, true },
	{ "test", IOC_WARN_DOCUMENTATION, true },
	{ "invalid", IOC_WARN_DOCUMENTATION, true },
	{ "localhost", IOC_WARN_LOOPBACK, true }, /* RFC 6761 section 6.3 */
	{ "local", IOC_WARN_LINK_LOCAL, true },   /* multicast DNS, RFC 6762 */
	{ "internal", IOC_WARN_PRIVATE, true },   /* ICANN private-use TLD */
	{ "home.arpa", IOC_WARN_PRIVATE, true },  /* RFC 8375 */
};

#define SPECIAL_COUNT (sizeof(special_names) / sizeof(special_names[0]))

/* Index of the first special name that name is, or is under; -1 if none. */
static int find_special(const char *name, size_t len)
{
	for (size_t i = 0; i < SPECIAL_COUNT; i++) {
		size_t n = strlen(special_names[i].suffix);

		if (len < n || memcmp(name + len - n, special_names[i].suffix, n) != 0)
			continue;
		if (len == n || name[len - n - 1] == '.')
			return (int)i;
	}
	return -1;
}

uint32_t ioc_domain_warnings(const char *name, size_t len)
{
	int k = find_special(name, len);

	return k < 0 ? 0 : special_names[k].warning;
}

/* Lower-cases name into out, or converts it to the A-label form when it
 * contains non-ASCII bytes, and drops one trailing dot. */
static enum ch_code convert_name(const char *name, size_t len, char *out, size_t *out_len,
				 struct ioc_reason *reason)
{
	bool ascii = true;

	if (len > 1 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)name[i] >= 0x80) {
			ascii = false;
			break;
		}
	}
	if (ascii && len > 253)
		return ioc_reject(reason, "domain name is %zu characters long, the maximum is 253",
				  len);
	if (ascii) {
		for (size_t i = 0; i < len; i++)
			out[i] = ioc_lower(name[i]);
		out[len] = '\0';
		*out_len = len;
		return CH_OK;
	}

	char text[1024];
	char *converted = NULL;
	int rc;

	if (len >= sizeof(text))
		return ioc_reject(reason, "internationalised domain name is too long");
	memcpy(text, name, len);
	text[len] = '\0';
	rc = idn2_to_ascii_8z(text, &converted, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc != IDN2_OK)
		return ioc_reject(reason, "not a valid internationalised domain name (%s)",
				  idn2_strerror(rc));

	size_t n = strlen(converted);

	if (n > 253) {
		idn2_free(converted);
		return ioc_reject(reason, "domain name is %zu characters long in A-label form, "
					  "the maximum is 253", n);
	}
	memcpy(out, converted, n + 1);
	*out_len = n;
	idn2_free(converted);
	return CH_OK;
}

bool ioc_domain_normalise(const char *name, size_t len, char out[IOC_DOMAIN_MAX],
			  size_t *out_len)
{
	return convert_name(name, len, out, out_len, NULL) == CH_OK;
}

/* Checks the label rules of RFC 1035 with the underscore that real
 * infrastructure uses in non-final labels (service names, some C2 hosts). */
static enum ch_code check_labels(const char *name, size_t len, struct ioc_reason *reason)
{
	size_t start = 0;

	if (len == 0)
		return ioc_reject(reason, "empty domain name");
	while (start <= len) {
		const char *dot = memchr(name + start, '.', len - start);
		size_t end = dot ? (size_t)(dot - name) : len;
		size_t n = end - start;
		bool last = dot == NULL;

		if (n == 0)
			return ioc_reject(reason, "domain name has an empty label");
		if (n > 63)
			return ioc_reject(reason, "domain label '%.20s...' is %zu characters long, "
						  "the maximum is 63", name + start, n);
		if (name[start] == '-' || name[end - 1] == '-')
			return ioc_reject(reason, "domain label '%.*s' starts or ends with a hyphen",
					  (int)n, name + start);
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)name[i];
			char shown[IOC_CHAR_TEXT_SIZE];

			if (ioc_is_alnum(c) || c == '-' || (c == '_' && !last))
				continue;
			return ioc_reject(reason, "%s is not allowed in domain label '%.*s'",
					  ioc_char_text(c, shown), (int)n, name + start);
		}
		if (last)
			break;
		start = end + 1;
	}
	return CH_OK;
}

/* Returns whether the list itself names the last label tld. Results are
 * kept per thread in a small direct-mapped cache, because a feed has few
 * distinct last labels and the lookup cost as much as the rest of
 * check_suffix. The list is loaded once per process, so a cached result
 * stays valid. */
#define TLD_CACHE_SLOTS 64
#define TLD_CACHE_LABEL 24

static _Thread_local struct {
	char label[TLD_CACHE_LABEL]; /* "" in an unused slot */
	bool listed;
} tld_cache[TLD_CACHE_SLOTS];

static bool tld_listed(const psl_ctx_t *ctx, const char *tld)
{
	size_t len = strlen(tld);
	unsigned hash = 0;

	if (len >= TLD_CACHE_LABEL)
		return psl_is_public_suffix2(ctx, tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
	for (size_t i = 0; i < len; i++)
		hash = hash * 31 + (unsigned char)tld[i];
	hash %= TLD_CACHE_SLOTS;
	if (strcmp(tld_cache[hash].label, tld) != 0) {
		tld_cache[hash].listed =
			psl_is_public_suffix2(ctx, tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
		memcpy(tld_cache[hash].label, tld, len + 1);
	}
	return tld_cache[hash].listed;
}

/*
 * Checks name, which has two labels or more, against the Public Suffix List
 * and writes its registrable domain when registrable is non-NULL. A name is
 * rejected when its public suffix is not on the list itself but only
 * matches the list's implicit "*" rule ("invoice.pdf"), and when it is an
 * ICANN public suffix itself ("co.uk").
 *
 * psl_registrable_domain walks the labels from the left and stops at the
 * longest public suffix, so one call finds both the registrable domain and
 * that suffix. Only a suffix of one label can match the implicit rule: a
 * longer one is public only by a rule of the list. So at most one more
 * lookup is needed, for the last label, where checking each condition on
 * its own took three.
 */
static enum ch_code check_suffix(const char *name, const char *tld, char *registrable,
				 struct ioc_reason *reason)
{
	const psl_ctx_t *ctx = get_psl();
	const char *r = psl_registrable_domain(ctx, name);
	const char *suffix = r ? strchr(r, '.') + 1 : name;

	if (suffix == tld && !tld_listed(ctx, tld))
		return ioc_reject(reason, "'%s' is not a known public suffix", tld);
	if (!r) {
		if (psl_is_public_suffix2(ctx, name, PSL_TYPE_ICANN))
			return ioc_reject(reason, "'%s' is a public suffix, not a registrable domain",
					  name);
		/* A name that is itself a private-section suffix
		 * (blogspot.com) is registrable as a whole. */
		r = name;
	}
	if (registrable)
		memcpy(registrable, r, strlen(r) + 1);
	return CH_OK;
}

/*
 * Canonicalises a domain name into out (IOC_DOMAIN_MAX bytes) and, when
 * registrable is non-NULL, writes its registrable domain. Also used for the
 * domain part of email addresses and for URL hosts.
 */
static enum ch_code canonical_domain(const char *value, size_t len, char *out, size_t *out_len,
				     char *registrable, uint32_t *warnings,
				     struct ioc_reason *reason)
{
	size_t n;
	enum ch_code rc = convert_name(value, len, out, &n, reason);

	if (rc != CH_OK)
		return rc;
	rc = check_labels(out, n, reason);
	if (rc != CH_OK)
		return rc;

	const char *tld = memrchr(out, '.', n);
	int special = find_special(out, n);

	if (!tld)
		return ioc_reject(reason, "a domain name needs at least two labels");
	tld++;
	if (special >= 0 && special_names[special].accept) {
		if (strlen(special_names[special].suffix) == n)
			return ioc_reject(reason, "'%s' is a reserved top-level name, not a domain",
					  out);
		/* No list entry, so the registrable part is the last two labels. */
		const char *p = out + n - strlen(special_names[special].suffix) - 1;

		while (p > out && p[-1] != '.')
			p--;
		if (registrable)
			memcpy(registrable, p, (size_t)(out + n - p) + 1);
	} else {
		rc = check_suffix(out, tld, registrable, reason);
		if (rc != CH_OK)
			return rc;
	}
	if (warnings && special >= 0)
		*warnings |= special_names[special].warning;
	*out_len = n;
	return CH_OK;
}

enum ch_code ioc_parse_domain(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason)
{
	char name[IOC_DOMAIN_MAX];
	size_t n;
	enum ch_code rc;

	rc = canonical_domain(value, len, name, &n, out->registrable, &out->warnings, reason);
	if (rc != CH_OK)
		return rc;
	memcpy(out->value, name, n + 1);
	out->value_len = n;
	out->type = IOC_DOMAIN;
	return CH_OK;
}

enum ch_code ioc_parse_url_hostname(const char *value, size_t len, char *out, size_t *out_len,
				    char *registrable, uint32_t *warnings,
				    struct ioc_reason *reason)
{
	if ((len == 9 || (len == 10 && value[9] == '.')) && strncasecmp(value, "localhost", 9) == 0) {
		memcpy(out, "localhost", 10);
		*out_len = 9;
		*warnings |= IOC_WARN_LOOPBACK;
		return CH_OK;
	}
	return canonical_domain(value, len, out, out_len, registrable, warnings, reason);
}

/* Characters of an unquoted local part (RFC 5322 atext plus the dot). */
static bool is_local_char(unsigned char c)
{
	return ioc_is_alnum(c) || (c && strchr(".!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

enum ch_code ioc_parse_email(const char *value, size_t len, struct ioc *out,
			     struct ioc_reason *reason)
{
	const char *at = memrchr(value, '@', len);
	size_t local_len;
	char name[IOC_DOMAIN_MAX];
	size_t n;
	enum ch_code rc;

	if (!at)
		return ioc_reject(reason, "an email address needs an '@'");
	if (len > 7 && strncasecmp(value, "mailto:", 7) == 0) {
		value += 7;
		len -= 7;
	}
	local_len = (size_t)(at - value);
	if (local_len == 0)
		return ioc_reject(reason, "email address has an empty local part");
	if (local_len > 64)
		return ioc_reject(reason, "email local part is %zu characters long, the maximum "
					  "is 64", local_len);
	for (size_t i = 0; i < local_len; i++) {
		char shown[IOC_CHAR_TEXT_SIZE];

		if (!is_local_char((unsigned char)value[i]))
			return ioc_reject(reason, "%s is not allowed in an email local part",
					  ioc_char_text((unsigned char)value[i], shown));
	}
	if (value[0] == '.' || value[local_len - 1] == '.' || memmem(value, local_len, "..", 2))
		return ioc_reject(reason, "email local part has a leading, trailing or double dot");

	rc = canonical_domain(at + 1, len - local_len - 1, name, &n, out->registrable,
			      &out->warnings, reason);
	if (rc != CH_OK)
		return rc;
	memcpy(out->value, value, local_len + 1);
	memcpy(out->value + local_len + 1, name, n + 1);
	out->value_len = local_len + 1 + n;
	out->type = IOC_EMAIL;
	return CH_OK;
}
