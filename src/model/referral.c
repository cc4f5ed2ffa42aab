/*
 * Referral validation: the escalation form's fields, each checked with the
 * text limits of the report readers, the fixed lists of incident types,
 * objectives and resolutions, and the indicators run through the same
 * engine as reports.
 */
#include "model/referral.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model/report_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

const struct referral_choice referral_incident_types[] = {
	{ "phishing", "phishing" },
	{ "malware", "malware" },
	{ "ransomware", "ransomware" },
	{ "fraud", "fraud or scam" },
	{ "data_breach", "data breach or leak" },
	{ "intrusion", "intrusion" },
	{ "ddos", "DDoS" },
	{ "disinformation", "disinformation" },
	{ "other", "other" },
	{ NULL, NULL },
};

const struct referral_choice referral_objectives[] = {
	{ "takedown", "takedown" },
	{ "investigation", "investigation" },
	{ "victim_notification", "victim notification" },
	{ "disruption", "disruption" },
	{ "information_only", "information only" },
	{ NULL, NULL },
};

const struct referral_choice referral_resolutions[] = {
	{ "actioned", "actioned" },
	{ "referred", "referred to another agency" },
	{ "no_action", "no action" },
	{ "duplicate", "duplicate" },
	{ NULL, NULL },
};

const char *const referral_states[] = { "new", "acknowledged", "in_progress", "closed", NULL };

static const char *const known_fields[] = {
	"summary", "details", "incident_type", "objective", "tlp", "illegal_reason",
	"victim_location", "suspect_location", "suspect_info", "documentation_available",
	"documentation", "contact_allowed", "contact_method", "reporter_handle", "reports",
	"indicators", NULL,
};

static bool is_separator(char c)
{
	return c == ' ' || c == '-' || c == '_';
}

/* Compares ignoring case, spaces, hyphens and underscores, so that "Data
 * breach", "data-breach" and "databreach" are equal. */
static bool same_words(const char *a, const char *b)
{
	for (;;) {
		while (is_separator(*a))
			a++;
		while (is_separator(*b))
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

const char *referral_choice_find(const struct referral_choice *choices, const char *text)
{
	for (size_t i = 0; choices[i].id; i++) {
		if (same_words(text, choices[i].id) || same_words(text, choices[i].label))
			return choices[i].id;
	}
	return NULL;
}

bool referral_state_valid(const char *text)
{
	for (size_t i = 0; referral_states[i]; i++) {
		if (strcmp(text, referral_states[i]) == 0)
			return true;
	}
	return false;
}

static void list_choices(struct buf *out, const struct referral_choice *choices)
{
	for (size_t i = 0; choices[i].id; i++)
		buf_printf(out, "%s%s", i ? ", " : "", choices[i].id);
}

/* Reads an optional (or required) text field into an owned copy. */
static enum ch_code read_text(const json_t *body, const char *key, enum report_text cls,
			      bool required, char **out, struct ch_error *err)
{
	const char *text;
	size_t len;
	enum ch_code rc;

	rc = report_check_text(json_object_get(body, key), key, cls, required, NULL, &text, &len,
			       err);
	if (rc == CH_OK && required && !text)
		rc = ch_fail_field(err, CH_INVALID, key, "%s is required", key);
	if (rc == CH_OK && text)
		*out = xstrndup(text, len);
	return rc;
}

static enum ch_code read_choice(const json_t *body, const char *key,
				const struct referral_choice *choices, const char **out,
				struct ch_error *err)
{
	char *text = NULL;
	struct buf list;
	enum ch_code rc;

	rc = read_text(body, key, REPORT_TEXT_NAME, false, &text, err);
	if (rc != CH_OK)
		return rc;
	if (text)
		*out = referral_choice_find(choices, text);
	if (text && *out) {
		free(text);
		return CH_OK;
	}

	buf_init(&list, 512);
	list_choices(&list, choices);
	if (!text)
		rc = ch_fail_field(err, CH_INVALID, key, "%s is required; use one of: %s", key,
				   list.data);
	else
		rc = ch_fail_field(err, CH_INVALID, key, "%s \"%s\" is not valid; use one of: %s",
				   key, text, list.data);
	buf_free(&list);
	free(text);
	return rc;
}

static enum ch_code read_bool(const json_t *body, const char *key, bool *value, bool *given,
			      struct ch_error *err)
{
	const json_t *v = json_object_get(body, key);

	*value = false;
	*given = false;
	if (!v || json_is_null(v))
		return CH_OK;
	if (!json_is_boolean(v))
		return ch_fail_field(err, CH_INVALID, key, "%s must be true or false, not %s", key,
				     report_json_type_word(v));
	*value = json_is_true(v);
	*given = true;
	return CH_OK;
}

static enum ch_code read_tlp(const json_t *body, enum tlp_level *tlp, struct ch_error *err)
{
	const json_t *value = json_object_get(body, "tlp");
	enum ch_code rc;

	*tlp = TLP_AMBER;
	if (!value || json_is_null(value))
		return CH_OK;
	if (!json_is_string(value))
		return ch_fail_field(err, CH_INVALID, "tlp", "tlp must be a string such as "
							     "\"AMBER\", not %s",
				     report_json_type_word(value));
	rc = tlp_parse(json_string_value(value), tlp, err);
	if (rc != CH_OK)
		snprintf(err->field, sizeof(err->field), "tlp");
	return rc;
}

/* Reads "reports": report ids as numbers or numeric strings. */
static enum ch_code read_reports(const json_t *body, struct referral_input *in,
				 struct ch_error *err)
{
	const json_t *value = json_object_get(body, "reports"), *item;
	char path[REPORT_PATH_MAX];
	size_t i;

	if (!value || json_is_null(value))
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail_field(err, CH_INVALID, "reports", "reports must be an array of report "
								 "ids, not %s",
				     report_json_type_word(value));
	if (json_array_size(value) > REFERRAL_REPORTS_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, "reports", "reports has %zu entries, more "
								   "than the %d allowed",
				     json_array_size(value), REFERRAL_REPORTS_MAX);
	in->report_ids = xcalloc(json_array_size(value) + 1, sizeof(int64_t));
	json_array_foreach(value, i, item) {
		json_int_t id = json_is_integer(item) ? json_integer_value(item) : 0;
		bool repeated = false;

		snprintf(path, sizeof(path), "reports[%zu]", i);
		if (id <= 0)
			return ch_fail_field(err, CH_INVALID, path, "%s must be a report id (a positive "
								    "whole number)",
					     path);
		for (size_t k = 0; k < in->report_count; k++)
			repeated |= in->report_ids[k] == id;
		if (!repeated)
			in->report_ids[in->report_count++] = id;
	}
	return CH_OK;
}

/* Runs "indicators" through the report readers, which own deduplication
 * and the engine's warnings. */
static enum ch_code read_indicators(const json_t *body, const struct ioc_warnlists *warnlists,
				    struct referral_input *in, struct ch_error *err)
{
	struct report_context ctx = { .warnlists = warnlists };
	struct report_input rin;
	struct report_build b;
	size_t added;
	enum ch_code rc;

	memset(&b, 0, sizeof(b));
	memset(&rin, 0, sizeof(rin));
	b.body = body;
	b.ctx = &ctx;
	b.in = &rin;
	b.scratch = xmalloc(sizeof(*b.scratch));
	b.hold = json_array();
	rin.kind = REPORT_IOC;
	rin.fields = json_object();
	rin.notes = json_array();
	ioc_match_list_init(&rin.indicators);

	rc = report_read_indicators(&b, "indicators", false, &added, err);
	if (rc == CH_OK) {
		in->indicators = rin.indicators;
		ioc_match_list_init(&rin.indicators);
		json_array_extend(in->notes, rin.notes);
	}

	free(b.seen);
	free(b.listed_by);
	free(b.scratch);
	free(b.title_hint);
	json_decref(b.hold);
	report_input_free(&rin);
	return rc;
}

static enum ch_code check_known(const json_t *body, struct ch_error *err)
{
	const char *key;
	const json_t *value;

	json_object_foreach((json_t *)body, key, value) {
		bool known = false;
		struct buf list;
		enum ch_code rc;

		for (size_t i = 0; known_fields[i]; i++)
			known |= strcmp(key, known_fields[i]) == 0;
		if (known)
			continue;
		buf_init(&list, 512);
		for (size_t i = 0; known_fields[i]; i++)
			buf_printf(&list, "%s%s", i ? ", " : "", known_fields[i]);
		rc = ch_fail_field(err, CH_INVALID, key, "unknown field \"%s\" in a referral; the "
							 "allowed fields are: %s",
				   key, list.data);
		buf_free(&list);
		return rc;
	}
	return CH_OK;
}

enum ch_code referral_validate(const json_t *body, const struct ioc_warnlists *warnlists,
			       struct referral_input *out, struct ch_error *err)
{
	struct referral_input in;
	bool given;
	enum ch_code rc;

	memset(&in, 0, sizeof(in));
	ioc_match_list_init(&in.indicators);
	in.notes = json_array();
	if (!json_is_object(body)) {
		rc = ch_fail_field(err, CH_INVALID, "", "the referral must be a JSON object, not %s",
				   body ? report_json_type_word(body) : "empty");
		goto out;
	}

	rc = check_known(body, err);
	if (rc == CH_OK)
		rc = read_text(body, "summary", REPORT_TEXT_SHORT, true, &in.summary, err);
	/* The summary is the referral's title in lists, so it is one line. */
	if (rc == CH_OK && strpbrk(in.summary, "\r\n"))
		rc = ch_fail_field(err, CH_INVALID, "summary", "summary must be one line; put the "
							       "rest in details");
	if (rc == CH_OK)
		rc = read_choice(body, "incident_type", referral_incident_types, &in.incident_type,
				 err);
	if (rc == CH_OK)
		rc = read_choice(body, "objective", referral_objectives, &in.objective, err);
	if (rc == CH_OK)
		rc = read_tlp(body, &in.tlp, err);
	if (rc == CH_OK)
		rc = read_text(body, "details", REPORT_TEXT_PROSE, false, &in.details, err);
	if (rc == CH_OK)
		rc = read_text(body, "illegal_reason", REPORT_TEXT_PROSE, false, &in.illegal_reason,
			       err);
	if (rc == CH_OK)
		rc = read_text(body, "victim_location", REPORT_TEXT_NAME, false,
			       &in.victim_location, err);
	if (rc == CH_OK)
		rc = read_text(body, "suspect_location", REPORT_TEXT_NAME, false,
			       &in.suspect_location, err);
	if (rc == CH_OK)
		rc = read_text(body, "suspect_info", REPORT_TEXT_PROSE, false, &in.suspect_info,
			       err);
	if (rc == CH_OK)
		rc = read_bool(body, "documentation_available", &in.documentation_available, &given,
			       err);
	if (rc == CH_OK)
		rc = read_text(body, "documentation", REPORT_TEXT_PROSE, false, &in.documentation,
			       err);
	/* Describing the documentation says it exists. */
	if (rc == CH_OK && in.documentation && given && !in.documentation_available)
		rc = ch_fail_field(err, CH_INVALID, "documentation_available",
				   "documentation_available is false but documentation describes "
				   "some; set it to true or leave documentation out");
	if (rc == CH_OK && in.documentation)
		in.documentation_available = true;
	if (rc == CH_OK)
		rc = read_bool(body, "contact_allowed", &in.contact_allowed, &given, err);
	if (rc == CH_OK)
		rc = read_text(body, "contact_method", REPORT_TEXT_PROSE, false, &in.contact_method,
			       err);
	if (rc == CH_OK && in.contact_method && !in.contact_allowed)
		rc = ch_fail_field(err, CH_INVALID, "contact_method",
				   "contact_method is given but contact_allowed is not true; set "
				   "contact_allowed to true or leave contact_method out");
	if (rc == CH_OK)
		rc = read_text(body, "reporter_handle", REPORT_TEXT_NAME, false,
			       &in.reporter_handle, err);
	if (rc == CH_OK)
		rc = read_reports(body, &in, err);
	if (rc == CH_OK)
		rc = read_indicators(body, warnlists, &in, err);
	if (rc != CH_OK)
		goto out;

	*out = in;
	memset(&in, 0, sizeof(in));
out:
	referral_input_free(&in);
	return rc;
}

void referral_input_free(struct referral_input *in)
{
	if (!in)
		return;
	free(in->summary);
	free(in->details);
	free(in->illegal_reason);
	free(in->victim_location);
	free(in->suspect_location);
	free(in->suspect_info);
	free(in->documentation);
	free(in->contact_method);
	free(in->reporter_handle);
	free(in->report_ids);
	ioc_match_list_free(&in->indicators);
	json_decref(in->notes);
	memset(in, 0, sizeof(*in));
}

enum ch_code referral_check_reply(const json_t *value, const char **text, size_t *len,
				  struct ch_error *err)
{
	return report_check_text(value, "body", REPORT_TEXT_PROSE, true, NULL, text, len, err);
}

enum ch_code referral_check_file_name(const char *name, struct ch_error *err)
{
	json_t *value = name ? json_string(name) : NULL;
	const char *text;
	size_t len;
	enum ch_code rc;

	/* json_string refuses invalid UTF-8. */
	if (!value)
		return ch_fail_field(err, CH_INVALID, "name", "give the file name as UTF-8 text with "
							      "?name=FILE");
	rc = report_check_text(value, "name", REPORT_TEXT_NAME, true, NULL, &text, &len, err);
	if (rc == CH_OK && (len != strlen(name) || strpbrk(name, "/\\") ||
			    strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		rc = ch_fail_field(err, CH_INVALID, "name", "file name '%s' must be a plain file name "
							    "without slashes or surrounding spaces",
				   name);
	json_decref(value);
	return rc;
}

enum ch_code referral_check_note(const char *field, const char *text, bool one_line,
				 struct ch_error *err)
{
	json_t *value = json_string(text);
	const char *checked;
	size_t len;
	enum ch_code rc;

	if (!value)
		return ch_fail_field(err, CH_INVALID, field, "%s must be UTF-8 text", field);
	rc = report_check_text(value, field, one_line ? REPORT_TEXT_NAME : REPORT_TEXT_PROSE, true,
			       NULL, &checked, &len, err);
	json_decref(value);
	return rc;
}
