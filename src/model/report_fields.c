/*
 * Typed readers for report fields: text with per-class limits, choices,
 * booleans, ISO 8601 times and country codes, plus the small helpers for
 * technique links, notes and the title hint. Each reader checks one field
 * of the body, stores the normalised value in the report's fields object
 * and names the field in err->field on failure. Indicator fields are in
 * report_indicators.c.
 */
#include "model/report_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/timeutil.h"

static const struct {
	size_t max;
	bool in_characters;
	bool one_line;
} text_limits[] = {
	[REPORT_TEXT_PROSE] = { REPORT_TEXT_MAX, false, false },
	[REPORT_TEXT_SHORT] = { REPORT_SHORT_TEXT_MAX, true, false },
	[REPORT_TEXT_EXPLOITATION] = { REPORT_EXPLOITATION_MAX, true, false },
	[REPORT_TEXT_NAME] = { REPORT_NAME_MAX, true, true },
	[REPORT_TEXT_TITLE] = { REPORT_TITLE_MAX, true, true },
};

/*
 * ISO 3166-1 alpha-2 codes officially assigned, 249 in all, as listed in
 * iso_3166-1.json of the iso-codes package 4.15.0 (Debian 12). Two
 * letters each, in alphabetical order.
 */
static const char country_codes[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
	"CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFO"
	"FRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJE"
	"JMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMO"
	"MPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPW"
	"PYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTM"
	"TNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

const char *report_json_type_word(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "an unknown JSON type";
}

size_t report_utf8_length(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The first control character that the class does not allow, or -1, with
 * its code point in *cp. Besides C0 controls and DEL this finds the C1
 * controls (U+0080 to U+009F) and the bidirectional overrides and
 * isolates (U+202A to U+202E, U+2066 to U+2069), which can make text
 * display as something else; one-line text also may not hold the line
 * and paragraph separators U+2028 and U+2029. s is valid UTF-8.
 */
static long find_control(const char *s, size_t len, bool one_line, unsigned *cp)
{
	for (size_t i = 0; i < len; i++) {
		const unsigned char *u = (const unsigned char *)s + i;

		*cp = u[0];
		if (u[0] == 0x7f || (u[0] < 0x20 && (one_line || (u[0] != '\t' && u[0] != '\n' &&
								   u[0] != '\r'))))
			return (long)i;
		if (u[0] == 0xC2 && i + 1 < len && u[1] >= 0x80 && u[1] <= 0x9F) {
			*cp = u[1];
			return (long)i;
		}
		if (u[0] == 0xE2 && i + 2 < len) {
			*cp = 0x2000u | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
			if ((u[1] == 0x80 && u[2] >= 0xAA && u[2] <= 0xAE) ||
			    (u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9) ||
			    (one_line && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)))
				return (long)i;
		}
	}
	return -1;
}

enum ch_code report_check_text(const json_t *value, const char *path, enum report_text cls,
			       bool required, const char *kind_name, const char **text,
			       size_t *len, struct ch_error *err)
{
	const char *s;
	size_t n;
	long bad;
	unsigned code_point;

	*text = NULL;
	*len = 0;
	if (value && !json_is_null(value) && !json_is_string(value))
		return ch_fail_field(err, CH_INVALID, path, "%s must be a string, not %s", path,
				     report_json_type_word(value));

	s = value ? json_string_value(value) : NULL;
	n = s ? json_string_length(value) : 0;
	if (s && strlen(s) != n)
		return ch_fail_field(err, CH_INVALID, path, "%s contains a NUL character (\\u0000); "
							    "remove it",
				     path);
	while (n > 0 && is_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	if (n == 0) {
		if (required && kind_name)
			return ch_fail_field(err, CH_INVALID, path, "%s is required for kind %s",
					     path, kind_name);
		if (required)
			return ch_fail_field(err, CH_INVALID, path, "%s is empty; give a value", path);
		return CH_OK;
	}

	bad = find_control(s, n, text_limits[cls].one_line, &code_point);
	if (bad >= 0)
		return ch_fail_field(err, CH_INVALID, path, "%s contains the control character "
							    "U+%04X at byte %ld; %s",
				     path, code_point, bad,
				     text_limits[cls].one_line ? "use one line of plain text"
							       : "remove it");

	if (text_limits[cls].in_characters) {
		size_t chars = report_utf8_length(s, n);

		if (chars > text_limits[cls].max)
			return ch_fail_field(err, CH_INVALID, path, "%s is %zu characters long, more "
								    "than the %zu allowed; shorten it",
					     path, chars, text_limits[cls].max);
	} else if (n > text_limits[cls].max) {
		return ch_fail_field(err, CH_TOO_LARGE, path, "%s is %zu bytes long, more than the "
							      "%zu allowed; shorten it",
				     path, n, text_limits[cls].max);
	}

	*text = s;
	*len = n;
	return CH_OK;
}

enum ch_code report_read_text(struct report_build *b, const char *key, enum report_text cls,
			      bool required, bool store, const char **value,
			      struct ch_error *err)
{
	const char *text;
	size_t len;
	json_t *copy;
	enum ch_code rc;

	*value = NULL;
	rc = report_check_text(json_object_get(b->body, key), key, cls, required,
			       report_kind_name(b->in->kind), &text, &len, err);
	if (rc != CH_OK || !text)
		return rc;

	/* jansson copies the bytes, so the stored value outlives the body. */
	copy = json_stringn(text, len);
	if (store)
		json_object_set_new(b->in->fields, key, copy);
	else
		json_array_append_new(b->hold, copy);
	*value = json_string_value(copy);
	return CH_OK;
}

static void join_choices(struct buf *out, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++) {
		if (i)
			buf_append_str(out, ", ");
		buf_append_str(out, choices[i]);
	}
}

enum ch_code report_read_choice(struct report_build *b, const char *key, bool required,
				const char *const *choices, int *index, struct ch_error *err)
{
	const char *value;
	struct buf list;
	enum ch_code rc;

	*index = -1;
	rc = report_read_text(b, key, REPORT_TEXT_NAME, false, false, &value, err);
	if (rc != CH_OK || (!value && !required))
		return rc;

	for (int i = 0; value && choices[i]; i++) {
		if (strcasecmp(value, choices[i]) == 0) {
			json_object_set_new(b->in->fields, key, json_string(choices[i]));
			*index = i;
			return CH_OK;
		}
	}

	buf_init(&list, 1024);
	join_choices(&list, choices);
	if (!value)
		rc = ch_fail_field(err, CH_INVALID, key, "%s is required for kind %s; use one of: %s",
				   key, report_kind_name(b->in->kind), list.data ? list.data : "");
	else
		rc = ch_fail_field(err, CH_INVALID, key, "%s \"%s\" is not valid; use one of: %s",
				   key, value, list.data ? list.data : "");
	buf_free(&list);
	return rc;
}

enum ch_code report_read_bool(struct report_build *b, const char *key, bool *value,
			      struct ch_error *err)
{
	const json_t *v = json_object_get(b->body, key);

	*value = false;
	if (!v || json_is_null(v))
		return CH_OK;
	if (!json_is_boolean(v))
		return ch_fail_field(err, CH_INVALID, key, "%s must be true or false, not %s", key,
				     report_json_type_word(v));
	*value = json_is_true(v);
	json_object_set_new(b->in->fields, key, json_boolean(*value));
	return CH_OK;
}

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly n digits at *p into *out and advances *p. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Reads "Z", "+HH:MM", "+HHMM" or "+HH" (or "-") into seconds east of UTC. */
static bool take_offset(const char **p, int *seconds)
{
	int sign, hours, minutes = 0;

	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*seconds = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!take_digits(p, 2, &hours) || hours > 23)
		return false;
	if (**p == ':')
		(*p)++;
	if (isdigit((unsigned char)**p) && (!take_digits(p, 2, &minutes) || minutes > 59))
		return false;
	*seconds = sign * (hours * 3600 + minutes * 60);
	return true;
}

/*
 * Parses an RFC 3339 profile of ISO 8601: YYYY-MM-DDTHH:MM:SS with an
 * optional fraction (dropped) and a zone (Z or an offset). A time without
 * a zone is rejected because it does not name an instant.
 */
static bool parse_iso_time(const char *s, int64_t *out)
{
	static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, offset, dim;

	if (!take_digits(&p, 4, &y) || *p++ != '-' || !take_digits(&p, 2, &mo) || *p++ != '-' ||
	    !take_digits(&p, 2, &d))
		return false;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return false;
	p++;
	if (!take_digits(&p, 2, &h) || *p++ != ':' || !take_digits(&p, 2, &mi) || *p++ != ':' ||
	    !take_digits(&p, 2, &sec))
		return false;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (!take_offset(&p, &offset) || *p != '\0')
		return false;

	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return false;
	dim = month_days[mo - 1] + (mo == 2 && leap_year(y));
	if (d < 1 || d > dim)
		return false;

	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
	return *out >= 0;
}

enum ch_code report_read_time(struct report_build *b, const char *key, bool required,
			      struct ch_error *err)
{
	const char *value;
	char iso[TIME_ISO_MAX];
	int64_t t;
	enum ch_code rc;

	rc = report_read_text(b, key, REPORT_TEXT_NAME, required, false, &value, err);
	if (rc != CH_OK || !value)
		return rc;
	if (!parse_iso_time(value, &t))
		return ch_fail_field(err, CH_INVALID, key, "%s \"%s\" is not a valid ISO 8601 date "
							   "and time with a zone, such as "
							   "2020-04-02T10:00:00Z",
				     key, value);
	time_format_iso(t, iso, sizeof(iso));
	json_object_set_new(b->in->fields, key, json_string(iso));
	return CH_OK;
}

static bool country_assigned(const char code[2])
{
	for (size_t i = 0; i + 1 < sizeof(country_codes); i += 2) {
		if (country_codes[i] == code[0] && country_codes[i + 1] == code[1])
			return true;
	}
	return false;
}

enum ch_code report_read_country(struct report_build *b, const char *key, bool required,
				 struct ch_error *err)
{
	const char *value;
	char code[3];
	enum ch_code rc;

	rc = report_read_text(b, key, REPORT_TEXT_NAME, required, false, &value, err);
	if (rc != CH_OK || !value)
		return rc;

	if (strlen(value) == 2 && isalpha((unsigned char)value[0]) &&
	    isalpha((unsigned char)value[1])) {
		code[0] = (char)toupper((unsigned char)value[0]);
		code[1] = (char)toupper((unsigned char)value[1]);
		code[2] = '\0';
		if (country_assigned(code)) {
			json_object_set_new(b->in->fields, key, json_string(code));
			return CH_OK;
		}
		/* Codes that the EU and the UK use in place of the ISO ones. */
		if (strcmp(code, "UK") == 0 || strcmp(code, "EL") == 0)
			return ch_fail_field(err, CH_INVALID, key, "%s \"%s\" is not an ISO 3166-1 "
								   "code; use %s",
					     key, value, code[0] == 'U' ? "GB" : "GR");
	}
	return ch_fail_field(err, CH_INVALID, key, "%s \"%s\" is not an assigned ISO 3166-1 "
						   "alpha-2 country code such as DE or US",
			     key, value);
}

void report_link_technique(struct report_build *b, const char *id)
{
	struct report_input *in = b->in;

	for (size_t i = 0; i < in->technique_count; i++) {
		if (strcmp(in->techniques[i], id) == 0)
			return;
	}
	in->techniques = xreallocarray(in->techniques, in->technique_count + 1,
				       sizeof(*in->techniques));
	in->techniques[in->technique_count++] = xstrdup(id);
}

void report_add_note(struct report_build *b, const char *fmt, ...)
{
	struct buf text;
	va_list ap;

	buf_init(&text, CH_ERROR_MESSAGE_MAX);
	va_start(ap, fmt);
	/* A note longer than the maximum is dropped whole rather than cut. */
	if (buf_vprintf(&text, fmt, ap) == CH_OK)
		json_array_append_new(b->in->notes, json_string(text.data));
	va_end(ap);
	buf_free(&text);
}

void report_set_title_hint(struct report_build *b, const char *text)
{
	free(b->title_hint);
	b->title_hint = xstrdup(text);
}
