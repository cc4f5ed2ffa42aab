/*
 * Internals shared by the report files: report.c (entry point, common
 * fields, title), report_fields.c and report_indicators.c (typed readers
 * for one field each) and report_kinds.c (the fields of each kind). Every reader checks one JSON
 * field of the body, writes its normalised value into the report's
 * "fields" object and, on failure, names the field in err->field.
 */
#ifndef CTIHUB_MODEL_REPORT_INTERNAL_H
#define CTIHUB_MODEL_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/report.h"

/* Indicator warnings written as one note each; report_validate sums up
 * the rest in one more note. */
#define REPORT_INDICATOR_NOTES_MAX 20

/* Space for a field path such as "share_with.orgs[99]" or "indicators[9999]". */
#define REPORT_PATH_MAX CH_ERROR_FIELD_MAX

/* A report under validation. The readers fill in; report_validate hands
 * it to the caller only when every field passed. */
struct report_build {
	const json_t *body;
	const struct report_context *ctx;
	struct report_input *in;
	/* Open-addressing set of indexes into in->indicators.items, for
	 * deduplication by type and canonical value. */
	size_t *seen;
	size_t seen_cap;
	/* For each indicator, the serial of the last field that listed it, so
	 * each field stores a value once. */
	size_t *listed_by;
	size_t field_serial;
	size_t indicator_notes; /* notes written about indicator warnings */
	struct ioc *scratch;    /* heap, because a struct ioc is over 4 KB */
	/* Trimmed strings that are read but not stored in fields. */
	json_t *hold;
	/* Text from which the title is derived when the body has none, set
	 * by the kind's validator. Owned. */
	char *title_hint;
};

/* Classes of free text and their limits; see text_limits in report_fields.c. */
enum report_text {
	REPORT_TEXT_PROSE,       /* details, summary: REPORT_TEXT_MAX bytes */
	REPORT_TEXT_SHORT,       /* attack description: REPORT_SHORT_TEXT_MAX characters */
	REPORT_TEXT_EXPLOITATION, /* REPORT_EXPLOITATION_MAX characters */
	REPORT_TEXT_NAME,        /* one line, REPORT_NAME_MAX characters */
	REPORT_TEXT_TITLE,       /* one line, REPORT_TITLE_MAX characters */
};

/* Allowed fields of each kind besides the common ones, NULL-terminated. */
extern const char *const *const report_kind_fields[REPORT_KIND_COUNT];

/* Kind validators, one per enum report_kind, in report_kinds.c. */
typedef enum ch_code (*report_kind_fn)(struct report_build *b, struct ch_error *err);
extern const report_kind_fn report_kind_validators[REPORT_KIND_COUNT];

/* "string", "number", "array", ... for messages about wrong types. */
const char *report_json_type_word(const json_t *value);

/* The number of UTF-8 code points in len bytes of s, which must be valid
 * UTF-8, as every string from jansson is. */
size_t report_utf8_length(const char *s, size_t len);

/*
 * Reads the string field key. An absent field, null or an empty or
 * all-blank string gives *value NULL, which is an error when required.
 * The value is trimmed, checked against the class limit and stored in
 * the fields object unless store is false. *value points into the body
 * or the fields object and lives as long as they do.
 */
enum ch_code report_read_text(struct report_build *b, const char *key, enum report_text cls,
			      bool required, bool store, const char **value,
			      struct ch_error *err);

/* Reads a string that must be one of choices (case-insensitive) and stores
 * the choice as written in the table. *index is -1 when absent. */
enum ch_code report_read_choice(struct report_build *b, const char *key, bool required,
				const char *const *choices, int *index, struct ch_error *err);

/* Reads an optional boolean; *value is false when absent. */
enum ch_code report_read_bool(struct report_build *b, const char *key, bool *value,
			      struct ch_error *err);

/* Reads an ISO 8601 date and time, converts it to UTC and stores it as
 * "YYYY-MM-DDTHH:MM:SSZ". */
enum ch_code report_read_time(struct report_build *b, const char *key, bool required,
			      struct ch_error *err);

/* Reads an ISO 3166-1 alpha-2 country code and stores it upper-case. */
enum ch_code report_read_country(struct report_build *b, const char *key, bool required,
				 struct ch_error *err);

/*
 * Reads indicators given as free text (every top-level indicator that
 * ioc_extract finds) or as an array of strings (each through ioc_parse).
 * Adds them to the report and stores their canonical values as an array.
 * *added counts the values this field named, before deduplication.
 */
enum ch_code report_read_indicators(struct report_build *b, const char *key, bool required,
				    size_t *added, struct ch_error *err);

/*
 * Reads an optional array of strings that must each parse as one of the
 * given indicator types (one or two), adds them to the report as
 * indicators and stores the canonical values. *added as above.
 */
enum ch_code report_read_typed_list(struct report_build *b, const char *key,
				    enum ioc_type type, enum ioc_type alt_type, size_t *added,
				    struct ch_error *err);

/* Parses one string field as exactly type (for example a vulnerability's
 * ip or cve), stores the canonical value and, when as_indicator, adds it
 * to the report's indicators. */
enum ch_code report_read_value(struct report_build *b, const char *key, bool required,
			       enum ioc_type type, enum ioc_type alt_type, bool as_indicator,
			       struct ch_error *err);

/*
 * Adds one indicator, deduplicated, and writes its index in
 * in->indicators into *index. Fails with CH_TOO_LARGE past
 * REPORT_INDICATORS_MAX, naming field.
 */
enum ch_code report_add_indicator(struct report_build *b, const struct ioc *ioc, size_t start,
				  size_t end, const char *field, size_t *index,
				  struct ch_error *err);

/*
 * Checks one JSON value as text of class cls; path names it in messages.
 * Sets *text and *len to the trimmed text, or *text to NULL for null or
 * blank input (an error when required). A missing required value is
 * reported as required for kind kind_name, or as empty when kind_name
 * is NULL.
 */
enum ch_code report_check_text(const json_t *value, const char *path, enum report_text cls,
			       bool required, const char *kind_name, const char **text,
			       size_t *len, struct ch_error *err);

/* Adds one technique id (canonical) to the report's links, deduplicated. */
void report_link_technique(struct report_build *b, const char *id);

/* Appends a note for the submitter. */
void report_add_note(struct report_build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Replaces the title hint with a copy of text. */
void report_set_title_hint(struct report_build *b, const char *text);

#endif
