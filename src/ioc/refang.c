/*
 * Refanging: undoes the ways analysts "defang" indicators so that nobody
 * clicks them by accident. One pass over the bytes, with a switch on the
 * current byte, so text without defanging costs about a copy. Every rule
 * maps a defanged form to something no longer than itself, which lets
 * callers size the output as len + 1. Extraction needs offsets in the
 * original text, so length-changing replacements can be recorded in a
 * struct ioc_refang_map.
 */
#include "ioc/ioc.h"

#include <stdlib.h>
#include <string.h>

#include "ioc/ioc_internal.h"
#include "util/alloc.h"

/* Bracketed defang tokens. Matching ignores case, and the opener and
 * closer must be a pair of (), [] or {}. */
static const struct {
	const char *inner;
	size_t inner_len;
	const char *replacement;
	size_t replacement_len;
} bracket_tokens[] = {
	{ ".", 1, ".", 1 },
	{ "dot", 3, ".", 1 },
	{ ":", 1, ":", 1 },
	{ "://", 3, "://", 3 },
	{ "/", 1, "/", 1 },
	{ "//", 2, "//", 2 },
	{ "@", 1, "@", 1 },
	{ "at", 2, "@", 1 },
};

static char closer_for(char opener)
{
	switch (opener) {
	case '[':
		return ']';
	case '(':
		return ')';
	case '{':
		return '}';
	case '<':
		return '>';
	default:
		return '\0';
	}
}

static bool equal_nocase(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (ioc_lower(a[i]) != ioc_lower(b[i]))
			return false;
	}
	return true;
}

static void record_edit(struct ioc_refang_map *map, size_t out_start, size_t out_len,
			size_t in_start, size_t in_len)
{
	if (!map)
		return;
	if (map->count == map->cap) {
		map->cap = map->cap ? map->cap * 2 : 64;
		map->edits = xreallocarray(map->edits, map->cap, sizeof(*map->edits));
	}
	map->edits[map->count++] = (struct ioc_refang_edit){
		.out_start = out_start,
		.out_len = out_len,
		.in_start = in_start,
		.in_len = in_len,
	};
}

/* Returns the length of a bracketed token at in[0..avail), such as "[.]"
 * or "(dot)", and sets its replacement. Returns 0 when there is none. */
static size_t match_bracket_token(const char *in, size_t avail, const char **replacement,
				  size_t *replacement_len)
{
	char closer = closer_for(in[0]);

	if (closer == '\0' || closer == '>')
		return 0;
	for (size_t k = 0; k < sizeof(bracket_tokens) / sizeof(bracket_tokens[0]); k++) {
		size_t n = bracket_tokens[k].inner_len;

		if (avail < n + 2 || in[n + 1] != closer)
			continue;
		if (!equal_nocase(in + 1, bracket_tokens[k].inner, n))
			continue;
		*replacement = bracket_tokens[k].replacement;
		*replacement_len = bracket_tokens[k].replacement_len;
		return n + 2;
	}
	return 0;
}

/*
 * Returns the length of a UTF-8 sequence at in[0..avail) that refanging
 * drops (zero-width characters) or turns into '.' (ideographic and
 * full-width full stops), or 0 when there is none. *dot is set for a full
 * stop.
 */
static size_t match_unicode(const unsigned char *in, size_t avail, bool *dot)
{
	if (avail < 3)
		return 0;

	uint32_t cp = ((uint32_t)in[0] << 16) | ((uint32_t)in[1] << 8) | in[2];

	switch (cp) {
	case 0xE2808B: /* U+200B zero width space */
	case 0xE2808C: /* U+200C zero width non-joiner */
	case 0xE2808D: /* U+200D zero width joiner */
	case 0xE281A0: /* U+2060 word joiner */
	case 0xEFBBBF: /* U+FEFF zero width no-break space (BOM) */
		*dot = false;
		return 3;
	case 0xE38082: /* U+3002 ideographic full stop */
	case 0xEFBC8E: /* U+FF0E full-width full stop */
	case 0xEFBDA1: /* U+FF61 half-width ideographic full stop */
		*dot = true;
		return 3;
	default:
		return 0;
	}
}

/*
 * Matches a defanged scheme at the start of a word: hxxp or hxxps (any case
 * of the x's) becomes http or https, fxp becomes ftp. The scheme must be
 * followed by ':' or a bracketed colon so that words like "hxxpd" stay.
 * Both forms have the same length, so offsets do not move.
 */
static size_t match_scheme(const char *in, size_t avail, const char **replacement)
{
	size_t n;

	if (avail >= 5 && ioc_lower(in[0]) == 'h' && ioc_lower(in[1]) == 'x' &&
	    ioc_lower(in[2]) == 'x' && ioc_lower(in[3]) == 'p') {
		n = (ioc_lower(in[4]) == 's') ? 5 : 4;
		*replacement = (n == 5) ? "https" : "http";
	} else if (avail >= 4 && ioc_lower(in[0]) == 'f' && ioc_lower(in[1]) == 'x' &&
		   ioc_lower(in[2]) == 'p') {
		n = 3;
		*replacement = "ftp";
	} else {
		return 0;
	}
	if (n < avail && (in[n] == ':' || in[n] == '['))
		return n;
	return 0;
}

/* Strips brackets of one kind around the whole value, as in "[evil.com]"
 * or "<http://evil.com/>", when the inside is balanced. */
static void strip_whole_brackets(const char **in, size_t *len)
{
	while (*len >= 2) {
		const char *s = *in;
		char closer = closer_for(s[0]);
		int depth = 0;
		bool balanced = true;

		if (closer == '\0' || s[*len - 1] != closer)
			return;
		for (size_t i = 1; i + 1 < *len && balanced; i++) {
			if (s[i] == s[0])
				depth++;
			else if (s[i] == closer && --depth < 0)
				balanced = false;
		}
		if (!balanced || depth != 0)
			return;
		*in = s + 1;
		*len -= 2;
	}
}

/* One refanging pass; see ioc_refang_text. */
static size_t refang_pass(const char *in, size_t len, char *out, bool whole_value,
			  struct ioc_refang_map *map)
{
	size_t i = 0;
	size_t o = 0;

	if (whole_value)
		strip_whole_brackets(&in, &len);

	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		const char *replacement;
		size_t replacement_len;
		size_t n;
		bool dot;

		switch (c) {
		case '[':
		case '(':
		case '{':
			n = match_bracket_token(in + i, len - i, &replacement, &replacement_len);
			if (n == 0)
				break;
			memcpy(out + o, replacement, replacement_len);
			record_edit(map, o, replacement_len, i, n);
			o += replacement_len;
			i += n;
			continue;
		case 'h':
		case 'H':
		case 'f':
		case 'F':
			if (i > 0 && ioc_is_alnum((unsigned char)in[i - 1]))
				break;
			n = match_scheme(in + i, len - i, &replacement);
			if (n == 0)
				break;
			memcpy(out + o, replacement, n);
			o += n;
			i += n;
			continue;
		case 0xE2:
		case 0xE3:
		case 0xEF:
			n = match_unicode((const unsigned char *)in + i, len - i, &dot);
			if (n == 0)
				break;
			if (dot)
				out[o] = '.';
			record_edit(map, o, dot ? 1 : 0, i, n);
			o += dot ? 1 : 0;
			i += n;
			continue;
		default:
			break;
		}
		out[o++] = (char)c;
		i++;
	}
	out[o] = '\0';
	return o;
}

size_t ioc_refang_text(const char *in, size_t len, char *out, bool whole_value,
		       struct ioc_refang_map *map)
{
	size_t n = refang_pass(in, len, out, whole_value, map);

	/* A replacement can complete a new token, as "[[.]]" becomes "[.]".
	 * A single value is refanged until nothing changes, so that parsing
	 * a canonical value again gives the same value. Every pass that
	 * changes something shrinks the text, so the loop ends. Passes work
	 * in place because output never overtakes input. Free text gets one
	 * pass, which keeps the offset map simple. */
	while (whole_value && !map && n < len) {
		len = n;
		n = refang_pass(out, len, out, true, NULL);
	}
	return n;
}

enum ch_code ioc_refang(const char *in, size_t len, char *out, size_t cap, size_t *out_len,
			struct ch_error *err)
{
	if (cap < len + 1) {
		return ch_fail(err, CH_TOO_LARGE,
			       "refang output buffer of %zu bytes is too small for %zu bytes of "
			       "input: pass at least len + 1",
			       cap, len);
	}
	*out_len = ioc_refang_text(in, len, out, true, NULL);
	return CH_OK;
}

void ioc_refang_map_free(struct ioc_refang_map *map)
{
	free(map->edits);
	map->edits = NULL;
	map->count = 0;
	map->cap = 0;
}

/* Index of the last edit whose output starts at or before pos, or -1. */
static long find_edit(const struct ioc_refang_map *map, size_t pos)
{
	size_t lo = 0;
	size_t hi = map->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map->edits[mid].out_start <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

size_t ioc_refang_map_start(const struct ioc_refang_map *map, size_t pos)
{
	long k = find_edit(map, pos);
	const struct ioc_refang_edit *e;

	/* A zero-length edit (a dropped zero-width character) at pos lies
	 * before the byte at pos, which the identity formula below handles. */
	if (k < 0)
		return pos;
	e = &map->edits[k];
	if (pos < e->out_start + e->out_len)
		return e->in_start;
	return e->in_start + e->in_len + (pos - e->out_start - e->out_len);
}

size_t ioc_refang_map_end(const struct ioc_refang_map *map, size_t end)
{
	if (end == 0)
		return 0;

	size_t last = end - 1;
	long k = find_edit(map, last);
	const struct ioc_refang_edit *e;

	if (k < 0)
		return end;
	e = &map->edits[k];
	if (last < e->out_start + e->out_len)
		return e->in_start + e->in_len;
	return e->in_start + e->in_len + (last - e->out_start - e->out_len) + 1;
}
