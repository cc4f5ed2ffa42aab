/*
 * Indicator fields of a report: free text or arrays of values, lists of
 * one indicator type (domains, ips, urls, cves) and single values (a
 * vulnerability's ip and cve, a feed item's url). Every value goes
 * through the indicator engine. Indicators are deduplicated across all
 * fields of a report by type and canonical value, through a small
 * open-addressing hash set, and each field stores its own values once.
 */
#include "model/report_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static size_t hash_indicator(enum ioc_type type, const char *value)
{
	/* FNV-1a over the type and the canonical value. */
	size_t h = 1469598103934665603ULL ^ (size_t)type;

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Rebuilds the set with twice the capacity; entries are index + 1, 0 is empty. */
static void grow_seen(struct report_build *b)
{
	size_t cap = b->seen_cap ? b->seen_cap * 2 : 64;
	size_t *seen = xcalloc(cap, sizeof(*seen));
	const struct ioc_match_list *list = &b->in->indicators;

	for (size_t i = 0; i < list->count; i++) {
		size_t slot = hash_indicator(list->items[i].ioc.type, list->items[i].ioc.value) &
			      (cap - 1);

		while (seen[slot])
			slot = (slot + 1) & (cap - 1);
		seen[slot] = i + 1;
	}
	free(b->seen);
	b->seen = seen;
	b->seen_cap = cap;
}

static void note_warnings(struct report_build *b, const struct ioc *ioc)
{
	char names[128];

	if (!ioc->warnings)
		return;
	b->indicator_notes++;
	if (b->indicator_notes > REPORT_INDICATOR_NOTES_MAX)
		return;
	ioc_warnings_format(ioc->warnings, names, sizeof(names));
	if (ioc->warnlist_name)
		report_add_note(b, "indicator %s is on the warning list \"%s\" and has the "
				   "warnings: %s. Check that it belongs in the report",
				ioc->value, ioc->warnlist_name, names);
	else
		report_add_note(b, "indicator %s has the warnings: %s. Check that it belongs in the "
				   "report",
				ioc->value, names);
}

enum ch_code report_add_indicator(struct report_build *b, const struct ioc *ioc, size_t start,
				  size_t end, const char *field, size_t *index,
				  struct ch_error *err)
{
	struct ioc_match_list *list = &b->in->indicators;
	struct ioc_match *m;
	size_t slot;

	if ((list->count + 1) * 2 > b->seen_cap)
		grow_seen(b);
	slot = hash_indicator(ioc->type, ioc->value) & (b->seen_cap - 1);
	for (; b->seen[slot]; slot = (slot + 1) & (b->seen_cap - 1)) {
		const struct ioc *old = &list->items[b->seen[slot] - 1].ioc;

		if (old->type == ioc->type && strcmp(old->value, ioc->value) == 0) {
			*index = b->seen[slot] - 1;
			return CH_OK;
		}
	}
	if (list->count == REPORT_INDICATORS_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, field, "the report names more than %d "
							       "indicators; split it into several "
							       "reports",
				     REPORT_INDICATORS_MAX);

	if (list->count == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = xreallocarray(list->items, list->cap, sizeof(*list->items));
		b->listed_by = xreallocarray(b->listed_by, list->cap, sizeof(*b->listed_by));
	}
	m = &list->items[list->count];
	m->ioc = *ioc;
	m->start = start;
	m->end = end;
	m->parent = -1;
	b->listed_by[list->count] = 0;
	b->seen[slot] = list->count + 1;
	*index = list->count++;
	note_warnings(b, ioc);
	return CH_OK;
}

/* Adds the indicator and appends its value to the field's array unless
 * the field listed it already. */
static enum ch_code add_listed(struct report_build *b, const struct ioc *ioc, size_t start,
			       size_t end, const char *path, json_t *stored,
			       struct ch_error *err)
{
	size_t index;
	enum ch_code rc = report_add_indicator(b, ioc, start, end, path, &index, err);

	if (rc != CH_OK)
		return rc;
	if (b->listed_by[index] == b->field_serial)
		return CH_OK;
	b->listed_by[index] = b->field_serial;
	json_array_append_new(stored, json_string(ioc->value));
	return CH_OK;
}

static enum ch_code indicators_from_text(struct report_build *b, const char *key,
					 const json_t *value, json_t *stored,
					 struct ch_error *err)
{
	struct ioc_match_list found;
	const char *text = json_string_value(value);
	size_t len = json_string_length(value);
	enum ch_code rc;

	if (len > REPORT_INDICATOR_TEXT_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, key, "%s is %zu bytes of text, more than the "
							     "%zu allowed; split it into several "
							     "reports",
				     key, len, REPORT_INDICATOR_TEXT_MAX);

	ioc_match_list_init(&found);
	rc = ioc_extract(text, len, b->ctx ? b->ctx->warnlists : NULL, &found, err);
	if (rc != CH_OK) {
		rc = ch_fail_field(err, rc, key, "%s is too large to extract indicators from", key);
		goto out;
	}
	for (size_t i = 0; i < found.count; i++) {
		const struct ioc_match *m = &found.items[i];

		/* A host inside a URL is part of that URL, not an indicator of its own. */
		if (m->parent >= 0)
			continue;
		rc = add_listed(b, &m->ioc, m->start, m->end, key, stored, err);
		if (rc != CH_OK)
			goto out;
	}

out:
	ioc_match_list_free(&found);
	return rc;
}

/* Copies the engine's message, because it lives in err, which is rewritten. */
static enum ch_code fail_element(struct ch_error *err, const char *path, const char *what)
{
	char reason[CH_ERROR_MESSAGE_MAX];

	snprintf(reason, sizeof(reason), "%s", err->message);
	return ch_fail_field(err, CH_INVALID, path, "%s is not a valid %s (%s); fix or remove it",
			     path, what, reason);
}

static enum ch_code indicators_from_array(struct report_build *b, const char *key,
					  const json_t *value, json_t *stored,
					  struct ch_error *err)
{
	const json_t *item;
	char path[REPORT_PATH_MAX];
	size_t i;
	enum ch_code rc;

	if (json_array_size(value) > REPORT_INDICATORS_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, key, "%s has %zu entries, more than the %d "
							     "allowed; split it into several reports",
				     key, json_array_size(value), REPORT_INDICATORS_MAX);

	json_array_foreach(value, i, item) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (!json_is_string(item))
			return ch_fail_field(err, CH_INVALID, path, "%s must be a string, not %s",
					     path, report_json_type_word(item));
		if (ioc_parse(json_string_value(item), json_string_length(item),
			      b->ctx ? b->ctx->warnlists : NULL, b->scratch, err) != CH_OK)
			return fail_element(err, path, "indicator");
		rc = add_listed(b, b->scratch, 0, 0, path, stored, err);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

enum ch_code report_read_indicators(struct report_build *b, const char *key, bool required,
				    size_t *added, struct ch_error *err)
{
	const json_t *value = json_object_get(b->body, key);
	json_t *stored;
	enum ch_code rc;

	*added = 0;
	if (!value || json_is_null(value)) {
		if (required)
			return ch_fail_field(err, CH_INVALID, key, "%s is required for kind %s; "
								   "give a list of indicators or text "
								   "that contains them",
					     key, report_kind_name(b->in->kind));
		return CH_OK;
	}
	if (!json_is_string(value) && !json_is_array(value))
		return ch_fail_field(err, CH_INVALID, key, "%s must be a string of text or an array "
							   "of strings, not %s",
				     key, report_json_type_word(value));

	stored = json_array();
	b->field_serial++;
	if (json_is_string(value))
		rc = indicators_from_text(b, key, value, stored, err);
	else
		rc = indicators_from_array(b, key, value, stored, err);
	if (rc != CH_OK)
		goto out;

	*added = json_array_size(stored);
	if (*added == 0 && required) {
		rc = ch_fail_field(err, CH_INVALID, key, "%s contains no indicator; give at least "
							 "one IP address, domain, URL, email "
							 "address, hash, CVE id or AS number",
				   key);
		goto out;
	}
	if (*added == 0 && json_is_string(value) && json_string_length(value) > 0)
		report_add_note(b, "no indicator was found in the %s text", key);
	if (*added > 0)
		json_object_set(b->in->fields, key, stored);

out:
	json_decref(stored);
	return rc;
}

static const char *type_description(enum ioc_type type)
{
	switch (type) {
	case IOC_IPV4:
	case IOC_IPV6: return "IP address";
	case IOC_DOMAIN: return "domain";
	case IOC_URL: return "URL";
	case IOC_CVE: return "CVE id such as CVE-2021-44228";
	default: return ioc_type_name(type);
	}
}

/*
 * Parses text as type, or else as alt_type (IOC_NONE for none). When both
 * fail, err keeps the message of the type the text looks most like: for
 * IPv4 or IPv6, a colon means IPv6.
 */
static enum ch_code parse_typed(struct report_build *b, const char *text, size_t len,
				enum ioc_type type, enum ioc_type alt_type, struct ch_error *err)
{
	const struct ioc_warnlists *wl = b->ctx ? b->ctx->warnlists : NULL;

	if (alt_type == IOC_IPV6 && memchr(text, ':', len)) {
		alt_type = type;
		type = IOC_IPV6;
	}
	if (alt_type != IOC_NONE && ioc_parse_as(alt_type, text, len, wl, b->scratch, NULL) == CH_OK)
		return CH_OK;
	return ioc_parse_as(type, text, len, wl, b->scratch, err);
}

enum ch_code report_read_typed_list(struct report_build *b, const char *key,
				    enum ioc_type type, enum ioc_type alt_type, size_t *added,
				    struct ch_error *err)
{
	const json_t *value = json_object_get(b->body, key);
	const json_t *item;
	char path[REPORT_PATH_MAX];
	json_t *stored = NULL;
	size_t max = type == IOC_CVE ? REPORT_LIST_MAX : REPORT_INDICATORS_MAX;
	size_t i;
	enum ch_code rc = CH_OK;

	*added = 0;
	if (!value || json_is_null(value))
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail_field(err, CH_INVALID, key, "%s must be an array of strings, not %s",
				     key, report_json_type_word(value));
	if (json_array_size(value) > max)
		return ch_fail_field(err, CH_TOO_LARGE, key, "%s has %zu entries, more than the %zu "
							     "allowed",
				     key, json_array_size(value), max);

	stored = json_array();
	b->field_serial++;
	json_array_foreach(value, i, item) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (!json_is_string(item)) {
			rc = ch_fail_field(err, CH_INVALID, path, "%s must be a string, not %s",
					   path, report_json_type_word(item));
			goto out;
		}
		if (parse_typed(b, json_string_value(item), json_string_length(item), type,
				alt_type, err) != CH_OK) {
			rc = fail_element(err, path, type_description(type));
			goto out;
		}
		rc = add_listed(b, b->scratch, 0, 0, path, stored, err);
		if (rc != CH_OK)
			goto out;
	}
	*added = json_array_size(stored);
	if (*added > 0)
		json_object_set(b->in->fields, key, stored);

out:
	json_decref(stored);
	return rc;
}

enum ch_code report_read_value(struct report_build *b, const char *key, bool required,
			       enum ioc_type type, enum ioc_type alt_type, bool as_indicator,
			       struct ch_error *err)
{
	const char *value;
	size_t index;
	enum ch_code rc;

	rc = report_read_text(b, key, REPORT_TEXT_PROSE, required, false, &value, err);
	if (rc != CH_OK || !value)
		return rc;
	if (parse_typed(b, value, strlen(value), type, alt_type, err) != CH_OK)
		return fail_element(err, key, type_description(type));

	json_object_set_new(b->in->fields, key, json_string(b->scratch->value));
	if (!as_indicator)
		return CH_OK;
	return report_add_indicator(b, b->scratch, 0, 0, key, &index, err);
}
