/*
 * Input generator for `make bench`. In list mode it writes N indicators,
 * one per line, with the type mix, repeats and defanged forms of a real
 * feed. With --canonical it also writes the same rows as a "type,value"
 * CSV in ctihub's canonical form, which the sqlite3 baseline imports. In
 * text mode it writes analyst-note prose with indicators embedded, for the
 * free-text extraction benchmark. Every value is generated canonical (lower
 * case, refanged, no default port, CIDR host bits zero, IPv6 in RFC 5952
 * form) and only the copy written to the list or prose is defanged, so the
 * CSV needs no canonicalisation. The output depends only on the options.
 * Plain C17 and libc, so it builds anywhere the project builds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maximum length of a generated value. URLs, the longest, stay under 200 bytes. */
#define VALUE_MAX 512
/* stdio buffer size, because the outputs are tens of MiB. */
#define OUTPUT_BUFFER (1u << 20)

enum kind {
	KIND_DOMAIN,
	KIND_URL,
	KIND_IPV4,
	KIND_IPV6,
	KIND_SHA256,
	KIND_MD5,
	KIND_SHA1,
	KIND_CIDR,
	KIND_EMAIL,
	KIND_CVE,
	KIND_COUNT
};

/*
 * Type names as ctihub's type table spells them, and the share of each
 * type per thousand rows. The list shares are an estimate of the mix in
 * public blocklist feeds, which are mostly domains, URLs and IPv4. The prose
 * shares give more room to the emails and CVEs that analysts write into
 * notes. Each column sums to 1000.
 */
static const struct {
	const char *name;
	unsigned list_per_mille;
	unsigned text_per_mille;
} kind_table[KIND_COUNT] = {
	[KIND_DOMAIN] = { "domain", 350, 350 },
	[KIND_URL] = { "url", 250, 250 },
	[KIND_IPV4] = { "ipv4", 200, 200 },
	[KIND_IPV6] = { "ipv6", 30, 20 },
	[KIND_SHA256] = { "sha256", 100, 60 },
	[KIND_MD5] = { "md5", 40, 40 },
	[KIND_SHA1] = { "sha1", 20, 20 },
	[KIND_CIDR] = { "cidr", 3, 10 },
	[KIND_EMAIL] = { "email", 3, 30 },
	[KIND_CVE] = { "cve", 4, 20 },
};

/* Share of list rows, in percent, that repeat an earlier row. */
#define DUPLICATE_PERCENT 20

/* Public suffixes with weights that roughly estimate their share of abuse
 * feeds. Each one is an ICANN entry of the Public Suffix List, as ctihub
 * requires. */
static const struct {
	const char *suffix;
	unsigned weight;
} suffix_table[] = {
	{ "com", 40 }, { "net", 10 }, { "org", 6 }, { "info", 5 }, { "ru", 8 },
	{ "de", 5 },   { "xyz", 6 },  { "co.uk", 4 }, { "io", 3 }, { "top", 5 },
	{ "online", 3 }, { "site", 3 }, { "cn", 2 },
};

#define SUFFIX_COUNT (sizeof(suffix_table) / sizeof(suffix_table[0]))

static const char *const words[] = {
	"secure", "login", "update", "account", "verify", "mail", "cloud", "portal",
	"service", "online", "bank", "pay", "support", "office", "drive", "share",
	"files", "cdn", "static", "media", "news", "shop", "store", "delivery",
	"track", "invoice", "billing", "auth", "sso", "micro", "soft", "net",
	"data", "sync", "backup", "api", "web", "host", "global", "express",
	"alpha", "nova", "blue", "green", "red", "star", "sun", "moon",
	"tech", "group", "labs", "digital", "smart", "fast", "prime", "link",
};

#define WORD_COUNT (sizeof(words) / sizeof(words[0]))

static const char *const subdomains[] = {
	"www", "mail", "cdn", "login", "secure", "update", "api", "portal", "webmail", "dl",
};

#define SUBDOMAIN_COUNT (sizeof(subdomains) / sizeof(subdomains[0]))

/* Path pieces. None contains a bracket, "hxxp" or a comma, so refanging
 * leaves the path alone and the CSV needs no quoting. */
static const char *const path_dirs[] = {
	"wp-content", "uploads", "admin", "images", "js", "api", "v1", "v2", "download",
	"files", "gate", "panel", "assets", "inc", "tmp", "static", "docs", "update",
};

#define PATH_DIR_COUNT (sizeof(path_dirs) / sizeof(path_dirs[0]))

static const char *const path_files[] = {
	"index.php", "gate.php", "login.html", "update.bin", "invoice.doc", "setup.exe",
	"payload.dll", "config.bin", "panel.php", "loader.js", "report.pdf", "main.css",
};

#define PATH_FILE_COUNT (sizeof(path_files) / sizeof(path_files[0]))

/* SplitMix64: small, fast and the same on every platform, so a seed
 * reproduces the same input everywhere. */
struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Returns a number in [0, n) by multiply-shift, whose bias is negligible
 * for the small n used here. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static bool rng_percent(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

static void fail(const char *message)
{
	fprintf(stderr, "gen_indicators: %s\n", message);
	exit(1);
}

static void *grow(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);

	if (!p)
		fail("out of memory");
	return p;
}

/* A value under construction, always NUL-terminated. */
struct value {
	enum kind kind;
	size_t len;
	char text[VALUE_MAX];
};

static void put(struct value *v, const char *s, size_t n)
{
	if (n >= VALUE_MAX - v->len)
		fail("generated value longer than VALUE_MAX");
	memcpy(v->text + v->len, s, n);
	v->len += n;
	v->text[v->len] = '\0';
}

static void put_str(struct value *v, const char *s)
{
	put(v, s, strlen(s));
}

static void put_char(struct value *v, char c)
{
	put(v, &c, 1);
}

static void put_uint(struct value *v, unsigned number)
{
	char digits[16];
	int n = snprintf(digits, sizeof(digits), "%u", number);

	put(v, digits, (size_t)n);
}

/* Lower-case hex without leading zeros, as RFC 5952 writes IPv6 groups. */
static void put_hex_group(struct value *v, unsigned group)
{
	char digits[8];
	int n = snprintf(digits, sizeof(digits), "%x", group);

	put(v, digits, (size_t)n);
}

static void put_hex_digits(struct value *v, struct rng *r, size_t count)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < count; i++)
		put_char(v, hex[rng_below(r, 16)]);
}

static enum kind pick_kind(struct rng *r, bool text_mode)
{
	uint32_t x = rng_below(r, 1000);

	for (int k = 0; k < KIND_COUNT; k++) {
		unsigned share = text_mode ? kind_table[k].text_per_mille
					   : kind_table[k].list_per_mille;

		if (x < share)
			return (enum kind)k;
		x -= share;
	}
	return KIND_DOMAIN;
}

/* Appends a registrable label such as "secure-pay42" or "cloudsync". Two
 * words and a random tail make collisions rare: about 3% of a million
 * generated names repeat an earlier one, which adds to the repeated rows. */
static void put_label(struct value *v, struct rng *r)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	put_str(v, words[rng_below(r, WORD_COUNT)]);
	if (rng_percent(r, 40))
		put_char(v, '-');
	put_str(v, words[rng_below(r, WORD_COUNT)]);
	for (uint32_t i = 0, n = rng_below(r, 4); i < n; i++)
		put_char(v, alnum[rng_below(r, sizeof(alnum) - 1)]);
}

static void put_domain(struct value *v, struct rng *r)
{
	uint32_t total = 0, x;

	if (rng_percent(r, 25)) {
		put_str(v, subdomains[rng_below(r, SUBDOMAIN_COUNT)]);
		put_char(v, '.');
	}
	put_label(v, r);
	put_char(v, '.');

	for (size_t i = 0; i < SUFFIX_COUNT; i++)
		total += suffix_table[i].weight;
	x = rng_below(r, total);
	for (size_t i = 0; i < SUFFIX_COUNT; i++) {
		if (x < suffix_table[i].weight) {
			put_str(v, suffix_table[i].suffix);
			return;
		}
		x -= suffix_table[i].weight;
	}
}

/* Checks whether a.b.c.0/24 touches a range that ctihub flags (private,
 * loopback, link-local, documentation, shared, benchmarking, multicast or
 * reserved). Generated addresses avoid them, so they look like public
 * infrastructure and carry no warning. */
static bool is_special_ipv4(unsigned a, unsigned b, unsigned c)
{
	return a == 0 || a == 10 || a == 127 || a >= 224 ||
	       (a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
	       (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) ||
	       (a == 192 && b == 0 && (c == 0 || c == 2)) || (a == 192 && b == 88 && c == 99) ||
	       (a == 198 && (b == 18 || b == 19)) || (a == 198 && b == 51 && c == 100) ||
	       (a == 203 && b == 0 && c == 113);
}

/* Appends a public dotted quad. The last octet is 0 when host_zero is set. */
static void put_ipv4(struct value *v, struct rng *r, bool host_zero)
{
	unsigned a, b, c, d;

	do {
		a = 1 + rng_below(r, 223);
		b = rng_below(r, 256);
		c = rng_below(r, 256);
	} while (is_special_ipv4(a, b, c));
	d = host_zero ? 0 : 1 + rng_below(r, 254);

	put_uint(v, a);
	put_char(v, '.');
	put_uint(v, b);
	put_char(v, '.');
	put_uint(v, c);
	put_char(v, '.');
	put_uint(v, d);
}

/* Returns a first group from 0x2400 to 0x2aff. That is global unicast
 * (2000::/3) outside every special IPv6 range in ctihub's table. */
static unsigned ipv6_first_group(struct rng *r)
{
	return 0x2400 + rng_below(r, 0x700);
}

/*
 * Either eight non-zero groups, or four groups, "::" and one group (a
 * run of three zero groups). Both are already in RFC 5952 form because no
 * other run of zero groups exists to compress.
 */
static void put_ipv6(struct value *v, struct rng *r)
{
	bool full = rng_percent(r, 50);
	int groups = full ? 8 : 4;

	for (int i = 0; i < groups; i++) {
		if (i > 0)
			put_char(v, ':');
		put_hex_group(v, i == 0 ? ipv6_first_group(r) : 1 + rng_below(r, 0xffff));
	}
	if (!full) {
		put_str(v, "::");
		put_hex_group(v, 1 + rng_below(r, 0xffff));
	}
}

/* Appends an IPv4 prefix of /16 to /24, so the last octet is always a host
 * byte and zero, or an IPv6 prefix of /32 or /48. */
static void put_cidr(struct value *v, struct rng *r)
{
	if (rng_percent(r, 80)) {
		unsigned prefix = 16 + rng_below(r, 9);
		unsigned a, b, c;

		do {
			a = 1 + rng_below(r, 223);
			b = rng_below(r, 256);
			c = prefix <= 16 ? 0 : rng_below(r, 256) & (0xffu << (24 - prefix));
		} while (is_special_ipv4(a, b, c));
		put_uint(v, a);
		put_char(v, '.');
		put_uint(v, b);
		put_char(v, '.');
		put_uint(v, c);
		put_str(v, ".0/");
		put_uint(v, prefix);
		return;
	}

	put_hex_group(v, ipv6_first_group(r));
	put_char(v, ':');
	put_hex_group(v, 1 + rng_below(r, 0xffff));
	if (rng_percent(r, 50)) {
		put_str(v, "::/32");
		return;
	}
	put_char(v, ':');
	put_hex_group(v, 1 + rng_below(r, 0xffff));
	put_str(v, "::/48");
}

static void put_url(struct value *v, struct rng *r)
{
	static const unsigned other_ports[] = { 8080, 8443, 8000, 4443, 8888 };
	bool https = rng_percent(r, 45);

	put_str(v, https ? "https://" : "http://");
	if (rng_percent(r, 15))
		put_ipv4(v, r, false);
	else
		put_domain(v, r);
	if (rng_percent(r, 5)) {
		put_char(v, ':');
		put_uint(v, other_ports[rng_below(r, 5)]);
	}

	for (uint32_t i = 0, n = rng_below(r, 4); i < n; i++) {
		put_char(v, '/');
		put_str(v, path_dirs[rng_below(r, PATH_DIR_COUNT)]);
	}
	put_char(v, '/');
	if (rng_percent(r, 70))
		put_str(v, path_files[rng_below(r, PATH_FILE_COUNT)]);
	if (rng_percent(r, 40)) {
		put_str(v, "?id=");
		put_uint(v, rng_below(r, 1000000));
		if (rng_percent(r, 50)) {
			put_str(v, "&ref=");
			put_hex_digits(v, r, 8);
		}
	}
}

static void put_email(struct value *v, struct rng *r)
{
	put_str(v, words[rng_below(r, WORD_COUNT)]);
	put_char(v, '.');
	put_str(v, words[rng_below(r, WORD_COUNT)]);
	put_uint(v, rng_below(r, 1000));
	put_char(v, '@');
	put_domain(v, r);
}

/* CVE numbers have at least four digits. Longer ones are allowed since the
 * CVE ID syntax change of 2014. */
static void put_cve(struct value *v, struct rng *r)
{
	put_str(v, "CVE-");
	put_uint(v, 2014 + rng_below(r, 12));
	put_char(v, '-');
	put_uint(v, rng_percent(r, 50) ? 1000 + rng_below(r, 9000) : 10000 + rng_below(r, 50000));
}

static void generate(struct value *v, enum kind kind, struct rng *r)
{
	v->kind = kind;
	v->len = 0;
	v->text[0] = '\0';
	switch (kind) {
	case KIND_DOMAIN:
		put_domain(v, r);
		break;
	case KIND_URL:
		put_url(v, r);
		break;
	case KIND_IPV4:
		put_ipv4(v, r, false);
		break;
	case KIND_IPV6:
		put_ipv6(v, r);
		break;
	case KIND_SHA256:
		put_hex_digits(v, r, 64);
		break;
	case KIND_MD5:
		put_hex_digits(v, r, 32);
		break;
	case KIND_SHA1:
		put_hex_digits(v, r, 40);
		break;
	case KIND_CIDR:
		put_cidr(v, r);
		break;
	case KIND_EMAIL:
		put_email(v, r);
		break;
	case KIND_CVE:
		put_cve(v, r);
		break;
	case KIND_COUNT:
		break;
	}
}

/* An output file and a count of the bytes written to it. Text mode stops
 * on the count, because ftell fails when the output is a pipe. */
struct sink {
	FILE *file;
	uint64_t bytes;
};

static void emit(struct sink *out, const char *s, size_t n)
{
	fwrite(s, 1, n, out->file);
	out->bytes += n;
}

static void emit_str(struct sink *out, const char *s)
{
	emit(out, s, strlen(s));
}

/* Writes s[0..n) with each '.' as "[.]" when defang is set. */
static void emit_dots(struct sink *out, const char *s, size_t n, bool defang)
{
	size_t done = 0;

	for (size_t i = 0; defang && i < n; i++) {
		if (s[i] != '.')
			continue;
		emit(out, s + done, i - done);
		emit_str(out, "[.]");
		done = i + 1;
	}
	emit(out, s + done, n - done);
}

static void emit_upper(struct sink *out, const char *s, size_t n)
{
	char upper[VALUE_MAX];

	for (size_t i = 0; i < n; i++)
		upper[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
	emit(out, upper, n);
}

/* Defangs a domain the ways feeds do: every dot, only the last dot, or
 * upper case. Most values stay plain. */
static void emit_domain(struct sink *out, const char *s, size_t n, struct rng *r)
{
	uint32_t x = rng_below(r, 100);
	size_t last_dot = (size_t)(strrchr(s, '.') - s);

	if (x < 20) {
		emit_dots(out, s, n, true);
	} else if (x < 30) {
		emit(out, s, last_dot);
		emit_str(out, "[.]");
		emit(out, s + last_dot + 1, n - last_dot - 1);
	} else if (x < 35) {
		emit_upper(out, s, n);
	} else {
		emit(out, s, n);
	}
}

/*
 * A URL with "hxxp" for "http", the host's dots as "[.]", or the scheme's
 * default port written out, which ctihub drops again.
 */
static void emit_url(struct sink *out, const char *s, size_t n, struct rng *r)
{
	const char *host = strstr(s, "://") + 3;
	size_t host_len = strcspn(host, ":/?#");
	const char *after = host + host_len;
	bool https = s[4] == 's';

	if (rng_percent(r, 35)) {
		emit_str(out, "hxxp");
		emit(out, s + 4, (size_t)(host - s) - 4);
	} else {
		emit(out, s, (size_t)(host - s));
	}
	emit_dots(out, host, host_len, rng_percent(r, 30));
	if (*after != ':' && rng_percent(r, 5))
		emit_str(out, https ? ":443" : ":80");
	emit(out, after, n - (size_t)(after - s));
}

static void emit_email(struct sink *out, const char *s, size_t n, struct rng *r)
{
	size_t local_len = (size_t)(strchr(s, '@') - s);

	emit(out, s, local_len);
	emit_str(out, rng_percent(r, 30) ? "[@]" : "@");
	emit_dots(out, s + local_len + 1, n - local_len - 1, rng_percent(r, 20));
}

/* Half of the IPv4 prefixes get host bits in their last octet, which
 * ctihub masks off with a host_bits warning. */
static void emit_cidr(struct sink *out, const char *s, size_t n, struct rng *r)
{
	size_t slash = (size_t)(strchr(s, '/') - s);
	char octet[8];
	int octet_len;

	if (strchr(s, ':') || !rng_percent(r, 50)) {
		emit(out, s, n);
		return;
	}
	/* The canonical form ends in ".0/PREFIX", and that 0 is replaced. */
	octet_len = snprintf(octet, sizeof(octet), "%u", 1 + rng_below(r, 254));
	emit(out, s, slash - 1);
	emit(out, octet, (size_t)octet_len);
	emit(out, s + slash, n - slash);
}

/* Writes the list form of a canonical value: possibly defanged or in
 * upper case, always something ctihub turns back into the same value. */
static void emit_defanged(struct sink *out, enum kind kind, const char *s, size_t n,
			  struct rng *r)
{
	switch (kind) {
	case KIND_DOMAIN:
		emit_domain(out, s, n, r);
		break;
	case KIND_URL:
		emit_url(out, s, n, r);
		break;
	case KIND_IPV4:
		emit_dots(out, s, n, rng_percent(r, 20));
		break;
	case KIND_IPV6:
		if (rng_percent(r, 10))
			emit_upper(out, s, n);
		else
			emit(out, s, n);
		break;
	case KIND_SHA256:
	case KIND_MD5:
	case KIND_SHA1:
		if (rng_percent(r, 25))
			emit_upper(out, s, n);
		else
			emit(out, s, n);
		break;
	case KIND_EMAIL:
		emit_email(out, s, n, r);
		break;
	case KIND_CIDR:
		emit_cidr(out, s, n, r);
		break;
	case KIND_CVE:
	case KIND_COUNT:
		emit(out, s, n);
		break;
	}
}

/* Every distinct value written so far, so a repeat can pick any earlier
 * row, not only a recent one. Entries are a kind byte, the text and a NUL. */
struct history {
	char *data;
	size_t len;
	size_t cap;
	size_t *offsets;
	size_t count;
	size_t offsets_cap;
};

static void history_add(struct history *h, const struct value *v)
{
	size_t need = v->len + 2;

	if (h->cap - h->len < need) {
		h->cap = h->cap ? h->cap * 2 : 1u << 20;
		h->data = grow(h->data, h->cap);
	}
	if (h->count == h->offsets_cap) {
		h->offsets_cap = h->offsets_cap ? h->offsets_cap * 2 : 1u << 16;
		h->offsets = grow(h->offsets, h->offsets_cap * sizeof(*h->offsets));
	}
	h->offsets[h->count++] = h->len;
	h->data[h->len] = (char)v->kind;
	memcpy(h->data + h->len + 1, v->text, v->len + 1);
	h->len += need;
}

static FILE *open_output(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (!f) {
		fprintf(stderr, "gen_indicators: cannot create %s: %s\n", path, strerror(errno));
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, OUTPUT_BUFFER);
	return f;
}

static void close_output(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "gen_indicators: writing %s failed: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* List mode: count rows to list, and the canonical CSV when csv is set. */
static void write_list(uint64_t count, struct rng *r, struct sink *list, FILE *csv)
{
	struct history h = { 0 };
	struct value v;

	if (csv)
		fputs("type,value\n", csv);
	for (uint64_t row = 0; row < count; row++) {
		enum kind kind;
		const char *text;
		size_t len;

		if (h.count > 0 && rng_percent(r, DUPLICATE_PERCENT)) {
			const char *entry = h.data + h.offsets[rng_below(r, (uint32_t)h.count)];

			kind = (enum kind)entry[0];
			text = entry + 1;
			len = strlen(text);
		} else {
			generate(&v, pick_kind(r, false), r);
			history_add(&h, &v);
			kind = v.kind;
			text = v.text;
			len = v.len;
		}

		emit_defanged(list, kind, text, len, r);
		emit_str(list, "\n");
		if (csv)
			fprintf(csv, "%s,%s\n", kind_table[kind].name, text);
	}
	free(h.data);
	free(h.offsets);
}

/*
 * Sentences of an incident write-up. Each {X} is replaced by an indicator
 * of a kind: d domain, u URL, i IPv4, 6 IPv6, h SHA-256, m MD5, s SHA-1,
 * n CIDR, e email, c CVE, or any kind for '*'. Outside URLs the prose has
 * no file names such as "payload.zip". Zip, sh and many other extensions
 * are real top-level domains, so such names would add unintended matches.
 */
static const char *const sentences[] = {
	"The loader reached out to {d} shortly after execution and pulled a second stage from {u} within a minute.",
	"We observed beaconing to {i} on port 443 every sixty seconds from three hosts in the finance segment.",
	"The dropper with SHA-256 {h} arrived as an ISO attachment in a phishing mail sent from {e} to the payroll team.",
	"Passive DNS shows {d} resolving to {i} between March and May, overlapping with the earlier campaign.",
	"Exploitation of {c} was attempted against the VPN gateway two days before the web shell appeared.",
	"Secondary infrastructure includes {d} and {d}, both registered through the same reseller with privacy protection.",
	"A sample with MD5 {m} contacted {u} and created a scheduled task for persistence.",
	"Blocking {i} at the perimeter stopped the callbacks, but the operators moved to {d} within hours.",
	"No further activity was seen after the credentials were reset and all sessions were revoked.",
	"Related IPv6 infrastructure at {6} presented the same TLS certificate as the primary server.",
	"The actor staged tooling on hosts in {n} and rotated through them every few days.",
	"Analysts matched the SHA-1 {s} to a packed variant that the vendor first reported last year.",
	"Outbound traffic to {*} should be treated as suspicious until the investigation closes.",
	"Indicators {*}, {*} and {*} were shared with the partner CERT under TLP AMBER.",
	"The phishing kit was hosted at {u} and posted harvested credentials to {i} over plain HTTP.",
	"Our sensor flagged a TLS handshake with {d} whose JA3 fingerprint matches the known implant.",
	"Remediation is complete on the affected servers, and monitoring continues for another two weeks.",
};

#define SENTENCE_COUNT (sizeof(sentences) / sizeof(sentences[0]))

/* Distinct indicators of each kind that the prose draws from. */
struct pool {
	struct value *values[KIND_COUNT];
	size_t count[KIND_COUNT];
};

static void pool_fill(struct pool *p, size_t distinct, struct rng *r)
{
	for (int k = 0; k < KIND_COUNT; k++) {
		size_t n = distinct * kind_table[k].text_per_mille / 1000;

		if (n == 0)
			n = 1;
		p->values[k] = grow(NULL, n * sizeof(struct value));
		p->count[k] = n;
		for (size_t i = 0; i < n; i++)
			generate(&p->values[k][i], (enum kind)k, r);
	}
}

static void pool_free(struct pool *p)
{
	for (int k = 0; k < KIND_COUNT; k++)
		free(p->values[k]);
}

static enum kind kind_for_slot(char slot, struct rng *r)
{
	switch (slot) {
	case 'd':
		return KIND_DOMAIN;
	case 'u':
		return KIND_URL;
	case 'i':
		return KIND_IPV4;
	case '6':
		return KIND_IPV6;
	case 'h':
		return KIND_SHA256;
	case 'm':
		return KIND_MD5;
	case 's':
		return KIND_SHA1;
	case 'n':
		return KIND_CIDR;
	case 'e':
		return KIND_EMAIL;
	case 'c':
		return KIND_CVE;
	default:
		return pick_kind(r, true);
	}
}

static void write_sentence(struct sink *out, const struct pool *p, struct rng *r)
{
	const char *s = sentences[rng_below(r, SENTENCE_COUNT)];

	while (*s) {
		const char *open = strchr(s, '{');

		if (!open) {
			emit_str(out, s);
			break;
		}
		emit(out, s, (size_t)(open - s));

		enum kind kind = kind_for_slot(open[1], r);
		const struct value *v = &p->values[kind][rng_below(r, (uint32_t)p->count[kind])];

		emit_defanged(out, kind, v->text, v->len, r);
		s = open + 3;
	}
}

/* Text mode: numbered notes of three to seven sentences each until the
 * output reaches bytes. */
static void write_text(uint64_t bytes, size_t distinct, struct rng *r, struct sink *out)
{
	struct pool p = { 0 };
	unsigned note = 1;

	pool_fill(&p, distinct, r);
	while (out->bytes < bytes) {
		char title[32];
		int n = snprintf(title, sizeof(title), "Note %u.\n", note++);

		emit(out, title, (size_t)n);
		for (uint32_t i = 0, count = 3 + rng_below(r, 5); i < count; i++) {
			if (i > 0)
				emit_str(out, " ");
			write_sentence(out, &p, r);
		}
		emit_str(out, "\n\n");
	}
	pool_free(&p);
}

static void print_help(void)
{
	printf("Usage: gen_indicators [OPTIONS] [OUTPUT]\n"
	       "\n"
	       "Writes benchmark input for ctihub to OUTPUT (default: standard output).\n"
	       "List mode (the default) writes one indicator per line, about 20%% of them\n"
	       "repeats of earlier rows and many of them defanged. Text mode writes\n"
	       "analyst-note prose with indicators embedded.\n"
	       "\n"
	       "Options:\n"
	       "  -n, --count N        rows in list mode (default 1000000)\n"
	       "  -s, --seed N         random seed; the same seed gives the same output (default 1)\n"
	       "  -c, --canonical CSV  list mode: also write the rows as canonical \"type,value\" CSV\n"
	       "  -t, --text MIB       text mode: write about MIB mebibytes of prose\n"
	       "  -d, --distinct N     text mode: distinct indicators the prose draws from\n"
	       "                       (default 20000)\n"
	       "  -h, --help           show this help\n");
}

static uint64_t parse_count(const char *text, const char *option)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-') {
		fprintf(stderr, "gen_indicators: invalid %s '%s': use a whole number\n", option, text);
		exit(2);
	}
	return value;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "canonical", required_argument, NULL, 'c' },
		{ "text", required_argument, NULL, 't' },
		{ "distinct", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t count = 1000000, text_mib = 0, distinct = 20000;
	struct rng r = { 1 };
	const char *csv_path = NULL, *path = "-";
	struct sink out;
	FILE *csv = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:c:t:d:h", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			count = parse_count(optarg, "--count");
			break;
		case 's':
			r.state = parse_count(optarg, "--seed");
			break;
		case 'c':
			csv_path = optarg;
			break;
		case 't':
			text_mib = parse_count(optarg, "--text");
			break;
		case 'd':
			distinct = parse_count(optarg, "--distinct");
			break;
		case 'h':
			print_help();
			return 0;
		default:
			fprintf(stderr, "gen_indicators: invalid option; see --help\n");
			return 2;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "gen_indicators: more than one OUTPUT given\n");
		return 2;
	}
	if (text_mib && csv_path) {
		fprintf(stderr, "gen_indicators: --canonical applies to list mode only\n");
		return 2;
	}
	/* rng_below takes a 32-bit bound, and the history indexes rows with it. */
	if (count > UINT32_MAX || distinct == 0 || distinct > UINT32_MAX) {
		fprintf(stderr, "gen_indicators: --count must be at most %u and --distinct 1 to %u\n",
			UINT32_MAX, UINT32_MAX);
		return 2;
	}

	out.file = open_output(path);
	out.bytes = 0;
	if (text_mib) {
		write_text(text_mib * 1024 * 1024, (size_t)distinct, &r, &out);
	} else {
		if (csv_path)
			csv = open_output(csv_path);
		write_list(count, &r, &out, csv);
		if (csv)
			close_output(csv, csv_path);
	}
	close_output(out.file, path);
	return 0;
}
