/*
 * Internals shared by the files of the indicator engine: the per-type
 * parsers that ioc_types.c lists in its table, the refanging pass with an
 * offset map that extraction needs, the special-range lookups and a small
 * hash table. Nothing outside src/ioc includes this header.
 *
 * Every parser takes a value that is already trimmed and refanged, writes
 * type, value, value_len, registrable and warnings into out, and on failure
 * returns CH_INVALID with a reason (without the value) in the optional
 * struct ioc_reason. The callers add the value to the message.
 */
#ifndef CTIHUB_IOC_INTERNAL_H
#define CTIHUB_IOC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"

#define IOC_REASON_MAX 256

struct ioc_reason {
	char text[IOC_REASON_MAX];
};

/* Writes a printf-style reason into reason (which may be NULL, so the
 * extractor pays nothing for candidates it drops) and returns CH_INVALID. */
enum ch_code ioc_reject(struct ioc_reason *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Names the byte c for a message: 'c' when it is printable ASCII, else
 * "byte 0xNN". Returns out. */
#define IOC_CHAR_TEXT_SIZE 12
const char *ioc_char_text(unsigned char c, char out[IOC_CHAR_TEXT_SIZE]);

typedef enum ch_code (*ioc_parser_fn)(const char *value, size_t len, struct ioc *out,
				      struct ioc_reason *reason);

/* Parser for a type from the table in ioc_types.c, or NULL for IOC_NONE. */
ioc_parser_fn ioc_type_parser(enum ioc_type type);

enum ch_code ioc_parse_ipv4(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason);
enum ch_code ioc_parse_ipv6(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason);
enum ch_code ioc_parse_cidr(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason);
enum ch_code ioc_parse_domain(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason);
enum ch_code ioc_parse_url(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason);
enum ch_code ioc_parse_email(const char *value, size_t len, struct ioc *out,
			     struct ioc_reason *reason);
enum ch_code ioc_parse_md5(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason);
enum ch_code ioc_parse_sha1(const char *value, size_t len, struct ioc *out,
			    struct ioc_reason *reason);
enum ch_code ioc_parse_sha256(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason);
enum ch_code ioc_parse_sha512(const char *value, size_t len, struct ioc *out,
			      struct ioc_reason *reason);
enum ch_code ioc_parse_cve(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason);
enum ch_code ioc_parse_asn(const char *value, size_t len, struct ioc *out,
			   struct ioc_reason *reason);

/* Parses a value that is already trimmed and refanged: classifies it when
 * type is IOC_NONE, then runs the type's parser. */
enum ch_code ioc_parse_refanged(enum ioc_type type, const char *value, size_t len,
				struct ioc *out, struct ioc_reason *reason);

/* Sets the warning-list name and flag of a parsed indicator when wl is
 * non-NULL. */
void ioc_finish(struct ioc *ioc, const struct ioc_warnlists *wl);

/*
 * Position and type of the host inside a canonical URL value.
 * host_type is IOC_DOMAIN, IOC_IPV4, IOC_IPV6 or IOC_NONE (for localhost).
 */
struct ioc_url_host {
	enum ioc_type host_type;
	size_t host_start;
	size_t host_len; /* without the brackets of an IPv6 host */
};

/* Finds the host of a canonical URL value produced by ioc_parse_url. */
void ioc_url_host(const struct ioc *url, struct ioc_url_host *host);

/*
 * Canonicalises a host name without the label and public-suffix rules:
 * lower-case, trailing dot removed, IDN converted to the A-label. Warning
 * lists use it for their entries. Returns false when the name is longer
 * than 253 bytes or IDN conversion fails.
 */
bool ioc_domain_normalise(const char *name, size_t len, char out[IOC_DOMAIN_MAX],
			  size_t *out_len);

/*
 * Canonicalises a URL host that is a name, not an IP literal, into out
 * (IOC_DOMAIN_MAX bytes) with the rules of a domain indicator, except that
 * a URL may name the single label "localhost".
 */
enum ch_code ioc_parse_url_hostname(const char *value, size_t len, char *out, size_t *out_len,
				    char *registrable, uint32_t *warnings,
				    struct ioc_reason *reason);

/* Warnings for an IPv4 or IPv6 address in network byte order. */
uint32_t ioc_ipv4_warnings(uint32_t addr);
uint32_t ioc_ipv6_warnings(const uint8_t addr[16]);
/* Warnings for a canonical domain name (example.com, *.test, *.localhost). */
uint32_t ioc_domain_warnings(const char *name, size_t len);

/*
 * One length-changing replacement made by refanging: output bytes
 * [out_start, out_start + out_len) came from input bytes
 * [in_start, in_start + in_len). Replacements that keep the length
 * (hxxp to http) need no entry because offsets stay the same.
 */
struct ioc_refang_edit {
	size_t out_start;
	size_t out_len;
	size_t in_start;
	size_t in_len;
};

struct ioc_refang_map {
	struct ioc_refang_edit *edits;
	size_t count;
	size_t cap;
};

/*
 * Refangs in[0..len) into out (cap >= len + 1) and returns the output
 * length. When map is non-NULL every length-changing replacement is
 * recorded, so ioc_refang_map_start/end can translate offsets back.
 * whole_value enables the rule that strips brackets around the whole input.
 */
size_t ioc_refang_text(const char *in, size_t len, char *out, bool whole_value,
		       struct ioc_refang_map *map);
void ioc_refang_map_free(struct ioc_refang_map *map);
/* Input offset of the output byte at pos. */
size_t ioc_refang_map_start(const struct ioc_refang_map *map, size_t pos);
/* Input offset one past the source of the output byte before end. */
size_t ioc_refang_map_end(const struct ioc_refang_map *map, size_t end);

/*
 * Open-addressing hash table from byte strings to a uint32_t. The keys are
 * copied. Used for warning-list entries and for de-duplication during
 * extraction. Ownership: ioc_table_init leaves an empty table, and
 * ioc_table_free releases keys and slots.
 */
struct ioc_table_slot;

struct ioc_table {
	struct ioc_table_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t count;
};

void ioc_table_init(struct ioc_table *table);
void ioc_table_free(struct ioc_table *table);
/* Stores value under key unless the key is present already. Returns true
 * when the key was new; *stored is the value now under the key. */
bool ioc_table_insert(struct ioc_table *table, const void *key, size_t len, uint32_t value,
		      uint32_t *stored);
bool ioc_table_find(const struct ioc_table *table, const void *key, size_t len, uint32_t *value);

/*
 * Aho-Corasick automaton over byte-string patterns, each with a uint32_t
 * value, for ASCII case-insensitive substring search (aho_corasick.c).
 * Patterns are added, then ioc_ac_build makes the DFA; adding after a build
 * takes effect at the next build, which rebuilds from all patterns. Finding
 * is read-only and safe from several threads. Ownership: ioc_ac_new returns
 * an owned automaton and ioc_ac_free(NULL) is a no-op.
 */
struct ioc_ac;

/* Returned by ioc_ac_find_min when no pattern occurs. */
#define IOC_AC_NONE UINT32_MAX
/* Maximum total bytes of all patterns of one automaton. The DFA has at
 * most one state per pattern byte, each a row of 4-byte entries with one
 * entry per distinct pattern byte plus one. At this limit that is about
 * 160 MiB for patterns of host-name characters (38 distinct bytes), and
 * more for patterns that use more distinct bytes. */
#define IOC_AC_BYTES_MAX ((size_t)1 << 20)

struct ioc_ac *ioc_ac_new(void);
void ioc_ac_free(struct ioc_ac *ac);
/* Adds a pattern (copied, lower-cased). Returns false, adding nothing, when
 * it is empty or would take the total past IOC_AC_BYTES_MAX. */
bool ioc_ac_add(struct ioc_ac *ac, const char *pattern, size_t len, uint32_t value);
/* Total bytes of the patterns added so far. */
size_t ioc_ac_bytes(const struct ioc_ac *ac);
/* Builds the DFA from every pattern added so far. */
void ioc_ac_build(struct ioc_ac *ac);
/* Returns the lowest value among the patterns that occur in text, or
 * IOC_AC_NONE, in one pass over text. */
uint32_t ioc_ac_find_min(const struct ioc_ac *ac, const char *text, size_t len);

/* ASCII character classes, independent of the locale. */
static inline bool ioc_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool ioc_is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool ioc_is_alnum(unsigned char c)
{
	return ioc_is_digit(c) || ioc_is_alpha(c);
}

static inline bool ioc_is_hex(unsigned char c)
{
	return ioc_is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline char ioc_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

#endif
