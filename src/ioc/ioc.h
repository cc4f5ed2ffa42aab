/*
 * The indicator engine: refang, classify, canonicalise and extract
 * indicators of compromise. A library-style module: it never prints and
 * never exits; every function returns an enum ch_code and writes a
 * message into the caller's struct ch_error on failure.
 *
 * Every path into ctihub (CLI, HTTP, chat, feeds) sends indicator text
 * through ioc_parse or ioc_extract, so one value has one canonical form.
 */
#ifndef CTIHUB_IOC_IOC_H
#define CTIHUB_IOC_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Indicator types. The names, descriptions and parsers live in one table in
 * ioc_types.c; adding a type is one enum value plus one table entry. */
enum ioc_type {
	IOC_NONE = 0,
	IOC_IPV4,
	IOC_IPV6,
	IOC_CIDR,
	IOC_DOMAIN,
	IOC_URL,
	IOC_EMAIL,
	IOC_MD5,
	IOC_SHA1,
	IOC_SHA256,
	IOC_SHA512,
	IOC_CVE,
	IOC_ASN,
	IOC_TYPE_COUNT
};

/* Warning flags: the value is kept, but a reader should know this. */
enum ioc_warning {
	IOC_WARN_PRIVATE = 1u << 0,       /* RFC 1918, RFC 4193 unique local */
	IOC_WARN_LOOPBACK = 1u << 1,      /* 127.0.0.0/8, ::1, localhost */
	IOC_WARN_LINK_LOCAL = 1u << 2,    /* 169.254.0.0/16, fe80::/10 */
	IOC_WARN_DOCUMENTATION = 1u << 3, /* RFC 5737, RFC 3849, example.* */
	IOC_WARN_RESERVED = 1u << 4,      /* any other special-purpose range */
	IOC_WARN_MULTICAST = 1u << 5,
	IOC_WARN_HOST_BITS = 1u << 6,     /* CIDR host bits were masked off */
	IOC_WARN_WARNINGLIST = 1u << 7,   /* on a loaded MISP warning list */
	IOC_WARN_COUNT_BITS = 8
};

/* Maximum length of a canonical value, in bytes. Longer input is invalid. */
#define IOC_VALUE_MAX 4096
/* Maximum domain name length: 253 characters plus room for the NUL. */
#define IOC_DOMAIN_MAX 256

struct ioc_warnlists; /* see warnlist.h */

struct ioc {
	enum ioc_type type;
	uint32_t warnings;             /* enum ioc_warning bits */
	size_t value_len;
	char value[IOC_VALUE_MAX];     /* canonical form, NUL-terminated */
	/* Registrable domain (public suffix plus one label, from libpsl) of a
	 * domain, of a URL's host or of an email's domain part; empty otherwise. */
	char registrable[IOC_DOMAIN_MAX];
	/* Name of the first warning list that matched, or NULL. Borrowed from
	 * the struct ioc_warnlists that was passed in; valid while it lives. */
	const char *warnlist_name;
};

/* Name such as "ipv4" or "sha256"; "none" for IOC_NONE. */
const char *ioc_type_name(enum ioc_type type);
/* Looks a type up by its name (case-insensitive). */
enum ch_code ioc_type_from_name(const char *name, enum ioc_type *type, struct ch_error *err);
/* Names of the warning bits, joined with commas, written into out. */
void ioc_warnings_format(uint32_t warnings, char *out, size_t cap);
const char *ioc_warning_name(enum ioc_warning bit);

/*
 * Removes defanging: hxxp/hXXps/fxp schemes, [.] (.) {.} [dot] (dot) {dot}
 * (any case), [:] [://] [/] [//], [@] [at] (at), brackets of one kind
 * around the whole value ([evil.com], <...>), the zero-width characters
 * U+200B, U+200C, U+200D, U+2060 and U+FEFF, and the full stops U+3002,
 * U+FF0E and U+FF61. Repeats until nothing changes, so "[[.]]" becomes ".".
 * Writes at most cap-1 bytes and a NUL into out and returns the length, or
 * CH_TOO_LARGE when cap < len + 1. Refanging never makes the text longer,
 * so cap = len + 1 always suffices.
 */
enum ch_code ioc_refang(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			struct ch_error *err);

/*
 * Parses one value (possibly defanged, surrounded by whitespace) into its
 * type and canonical form. wl may be NULL. On CH_INVALID err names the value
 * and the reason, for example "256.1.1.1: IPv4 octet out of range".
 */
enum ch_code ioc_parse(const char *input, size_t len, const struct ioc_warnlists *wl,
		       struct ioc *out, struct ch_error *err);
/* Like ioc_parse but only accepts the given type. */
enum ch_code ioc_parse_as(enum ioc_type type, const char *input, size_t len,
			  const struct ioc_warnlists *wl, struct ioc *out, struct ch_error *err);

/* One indicator found in free text. */
struct ioc_match {
	struct ioc ioc;
	size_t start; /* byte offset of the first byte in the input text */
	size_t end;   /* byte offset one past the last byte */
	/* Index in the match list of the URL this domain or IP is the host of,
	 * or -1. A URL wins over the host inside it: the host is still listed,
	 * linked to the URL through this field, with the URL's offsets. */
	long parent;
};

struct ioc_match_list {
	struct ioc_match *items;
	size_t count;
	size_t cap;
};

void ioc_match_list_init(struct ioc_match_list *list);
void ioc_match_list_free(struct ioc_match_list *list);

/* A set of (type, canonical value) pairs, for a caller that extracts a
 * text in parts and lists each value once across them. Ownership:
 * ioc_value_set_new returns an owned set, and ioc_value_set_free(NULL) is
 * a no-op. */
struct ioc_value_set;

struct ioc_value_set *ioc_value_set_new(void);
void ioc_value_set_free(struct ioc_value_set *set);
/* Adds the type and value of ioc. Returns false when the set contains
 * them already. */
bool ioc_value_set_add(struct ioc_value_set *set, const struct ioc *ioc);

/*
 * Finds every indicator in an analyst write-up or chat message. Each
 * canonical value is listed once, at its first occurrence, in text order.
 * Appends to list. Fails only with CH_TOO_LARGE when text is longer than
 * IOC_TEXT_MAX.
 */
#define IOC_TEXT_MAX ((size_t)256 * 1024 * 1024)
enum ch_code ioc_extract(const char *text, size_t len, const struct ioc_warnlists *wl,
			 struct ioc_match_list *list, struct ch_error *err);

#endif
