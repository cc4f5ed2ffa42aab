/*
 * The five forms of the chat bridge and the parser of their text form.
 * Field names are the JSON fields that report_validate (report_kinds.c)
 * and referral_validate accept, so a form never builds a body that its
 * validator rejects for an unknown field. The Slack and Mattermost
 * renderings are in forms_render.c, and chat_form_submit is in
 * forms_submit.c.
 *
 * The select options of TLP levels, ATT&CK tactics, incident types and
 * objectives are copied from their tables in policy/ and model/ on first
 * use, so those tables stay the one source of the lists.
 */
#include "chat/forms.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/attack.h"
#include "model/referral.h"
#include "model/report.h"
#include "util/buf.h"

/* Maximum length of a key of the text form, in bytes; longer words are not keys. */
#define KEY_MAX 40
/* Room for the options of one select filled from a table. */
#define OPTIONS_MAX 32

static const char *const bool_options[] = { "yes", "no", NULL };
static const char *const bool_labels[] = { "Yes", "No" };

/* The purposes of report kind ioc, as report_kinds.c checks them. A unit
 * test submits each one, so a change there fails the test. */
static const char *const purpose_options[] = {
	"awareness", "blocking", "takedown_request", "le_referral", "research",
	"victim_notification", NULL,
};
static const char *const purpose_labels[] = {
	"Awareness", "Blocking", "Takedown request", "Law enforcement referral", "Research",
	"Victim notification",
};

static const char *const rule_type_options[] = { "yara", "sigma", NULL };
static const char *const rule_type_labels[] = { "YARA", "Sigma" };

/* Filled from the tables by fill_options, once. */
static const char *tlp_options[OPTIONS_MAX + 1];
static const char *tactic_options[OPTIONS_MAX + 1];
static const char *tactic_labels[OPTIONS_MAX];
static const char *incident_options[OPTIONS_MAX + 1];
static const char *incident_labels[OPTIONS_MAX];
static const char *objective_options[OPTIONS_MAX + 1];
static const char *objective_labels[OPTIONS_MAX];
static pthread_once_t options_once = PTHREAD_ONCE_INIT;

/* Labels stay within 24 characters and hints within 150, the maximum
 * display_name and help_text of a Mattermost dialog element
 * (DialogElementDisplayNameMaxLength and DialogElementHelpTextMaxLength in
 * mattermost-server's model/integration_action.go). The unit tests check
 * both. */
#define TLP_FIELD                                                                             \
	{ .name = "tlp", .label = "TLP", .type = CHAT_FIELD_SELECT, .options = tlp_options,     \
	  .hint = "Who may read it; AMBER when left empty." }

static const struct chat_field lenew_fields[] = {
	{ .name = "summary", .label = "Summary", .type = CHAT_FIELD_TEXT, .required = true,
	  .hint = "One line on what happened.", .max_length = REFERRAL_SUMMARY_MAX },
	{ .name = "incident_type", .label = "Incident type", .type = CHAT_FIELD_SELECT,
	  .required = true, .options = incident_options, .option_labels = incident_labels },
	{ .name = "objective", .label = "Objective", .type = CHAT_FIELD_SELECT, .required = true,
	  .options = objective_options, .option_labels = objective_labels,
	  .hint = "What you expect law enforcement to do." },
	TLP_FIELD,
	{ .name = "details", .label = "Details", .type = CHAT_FIELD_TEXTAREA },
	{ .name = "illegal_reason", .label = "Why it is illegal", .type = CHAT_FIELD_TEXTAREA },
	{ .name = "victim_location", .label = "Victim location", .type = CHAT_FIELD_TEXT,
	  .max_length = REFERRAL_LOCATION_MAX },
	{ .name = "suspect_location", .label = "Suspect location", .type = CHAT_FIELD_TEXT,
	  .max_length = REFERRAL_LOCATION_MAX },
	{ .name = "suspect_info", .label = "About the suspect", .type = CHAT_FIELD_TEXTAREA },
	{ .name = "documentation", .label = "Documentation", .type = CHAT_FIELD_TEXTAREA,
	  .hint = "The evidence you hold, such as logs or mails; describing it marks it available." },
	{ .name = "contact_allowed", .label = "LE may contact you", .type = CHAT_FIELD_BOOL,
	  .options = bool_options, .option_labels = bool_labels },
	{ .name = "contact_method", .label = "How to contact you", .type = CHAT_FIELD_TEXT,
	  .hint = "Only when LE may contact you.", .max_length = REFERRAL_LOCATION_MAX },
	{ .name = "indicators", .label = "Indicators", .type = CHAT_FIELD_TEXTAREA,
	  .hint = "Domains, URLs, addresses or hashes; defanged values are fine." },
};

static const struct chat_field ioc_fields[] = {
	{ .name = "indicators", .label = "Indicators", .type = CHAT_FIELD_TEXTAREA,
	  .required = true,
	  .hint = "Domains, URLs, addresses or hashes in any text; defanged values are fine." },
	{ .name = "purpose", .label = "Purpose", .type = CHAT_FIELD_SELECT, .required = true,
	  .options = purpose_options, .option_labels = purpose_labels },
	TLP_FIELD,
	{ .name = "details", .label = "Details", .type = CHAT_FIELD_TEXTAREA },
	{ .name = "anonymous", .label = "Share anonymously", .type = CHAT_FIELD_BOOL,
	  .options = bool_options, .option_labels = bool_labels,
	  .hint = "Readers do not see who sent it." },
};

static const struct chat_field attack_fields[] = {
	{ .name = "description", .label = "Description", .type = CHAT_FIELD_TEXT, .required = true,
	  .hint = "One line on the attack.", .max_length = REPORT_SHORT_TEXT_MAX },
	{ .name = "exploitation", .label = "How it was exploited", .type = CHAT_FIELD_TEXTAREA,
	  .required = true, .max_length = REPORT_EXPLOITATION_MAX },
	{ .name = "tactic", .label = "ATT&CK tactic", .type = CHAT_FIELD_SELECT, .required = true,
	  .options = tactic_options, .option_labels = tactic_labels },
	{ .name = "techniques", .label = "ATT&CK techniques", .type = CHAT_FIELD_TEXT,
	  .hint = "Comma-separated ids such as T1566.001.", .list = true },
	{ .name = "event", .label = "Event", .type = CHAT_FIELD_TEXT,
	  .hint = "The campaign or incident it belongs to.", .max_length = REPORT_NAME_MAX },
	{ .name = "indicators", .label = "Indicators", .type = CHAT_FIELD_TEXTAREA },
	TLP_FIELD,
};

static const struct chat_field vuln_fields[] = {
	{ .name = "cve", .label = "CVE", .type = CHAT_FIELD_TEXT, .required = true,
	  .hint = "Such as CVE-2023-4966.", .max_length = 30 },
	{ .name = "ip", .label = "IP address", .type = CHAT_FIELD_TEXT, .required = true,
	  .max_length = 64 },
	{ .name = "time", .label = "Time seen", .type = CHAT_FIELD_TEXT, .required = true,
	  .hint = "ISO 8601 with a zone, such as 2026-12-01T09:30:00+01:00.", .max_length = 64 },
	{ .name = "organisation", .label = "Organisation", .type = CHAT_FIELD_TEXT,
	  .required = true, .max_length = REPORT_NAME_MAX },
	{ .name = "country", .label = "Country", .type = CHAT_FIELD_TEXT, .required = true,
	  .hint = "Two-letter ISO 3166 code, such as NL.", .max_length = 2 },
	{ .name = "isp", .label = "ISP", .type = CHAT_FIELD_TEXT, .max_length = REPORT_NAME_MAX },
	{ .name = "sector", .label = "Sector", .type = CHAT_FIELD_TEXT,
	  .max_length = REPORT_NAME_MAX },
	{ .name = "tagged_org", .label = "Tagged organisation", .type = CHAT_FIELD_TEXT,
	  .hint = "The organisation the address is tagged with, when it differs.",
	  .max_length = REPORT_NAME_MAX },
	TLP_FIELD,
};

static const struct chat_field hunt_fields[] = {
	{ .name = "rule_type", .label = "Rule type", .type = CHAT_FIELD_SELECT, .required = true,
	  .options = rule_type_options, .option_labels = rule_type_labels },
	{ .name = "rule", .label = "Rule", .type = CHAT_FIELD_TEXTAREA, .required = true,
	  .hint = "The whole YARA or Sigma rule." },
	{ .name = "description", .label = "Description", .type = CHAT_FIELD_TEXTAREA },
	TLP_FIELD,
};

#define FIELDS(array) array, sizeof(array) / sizeof(array[0])

static const struct chat_form_def forms[CHAT_FORM_COUNT] = {
	[CHAT_FORM_LENEW] = { CHAT_FORM_LENEW, "ctihub.lenew", "New LE referral", "referral",
			      FIELDS(lenew_fields), "summary" },
	[CHAT_FORM_IOC] = { CHAT_FORM_IOC, "ctihub.ioc", "Share indicators", "ioc",
			    FIELDS(ioc_fields), "indicators" },
	[CHAT_FORM_ATTACK] = { CHAT_FORM_ATTACK, "ctihub.attack", "Report an attack", "attack",
			       FIELDS(attack_fields), "description" },
	[CHAT_FORM_VULN] = { CHAT_FORM_VULN, "ctihub.vuln", "Vulnerable system", "vuln",
			     FIELDS(vuln_fields), NULL },
	[CHAT_FORM_HUNT] = { CHAT_FORM_HUNT, "ctihub.hunt", "Share a hunting rule", "hunting",
			     FIELDS(hunt_fields), "rule" },
};

static void fill_choices(const struct referral_choice *choices, const char **options,
			 const char **labels)
{
	size_t n = 0;

	for (; choices[n].id && n < OPTIONS_MAX; n++) {
		options[n] = choices[n].id;
		labels[n] = choices[n].label;
	}
	options[n] = NULL;
}

static void fill_options(void)
{
	size_t n;

	for (n = 0; n < TLP_LEVEL_COUNT && n < OPTIONS_MAX; n++)
		tlp_options[n] = tlp_name((enum tlp_level)n);
	tlp_options[n] = NULL;

	for (n = 0; n < attack_tactic_count && n < OPTIONS_MAX; n++) {
		tactic_options[n] = attack_tactics[n].id;
		tactic_labels[n] = attack_tactics[n].name;
	}
	tactic_options[n] = NULL;

	fill_choices(referral_incident_types, incident_options, incident_labels);
	fill_choices(referral_objectives, objective_options, objective_labels);
}

const struct chat_form_def *chat_form_get(enum chat_form form)
{
	if ((unsigned)form >= CHAT_FORM_COUNT)
		return NULL;
	pthread_once(&options_once, fill_options);
	return &forms[form];
}

const struct chat_form_def *chat_form_by_callback(const char *callback_id)
{
	for (int i = 0; callback_id && i < CHAT_FORM_COUNT; i++) {
		if (strcmp(callback_id, forms[i].callback_id) == 0)
			return chat_form_get((enum chat_form)i);
	}
	return NULL;
}

/* ---- The text form -------------------------------------------------------- */

/* Compares a typed key with a field name or label, ignoring case, spaces,
 * underscores and hyphens, so "Tagged org", "tagged_org" and "TaggedOrg"
 * all name tagged_org. */
static bool key_matches(const char *key, size_t len, const char *name)
{
	size_t i = 0;

	for (;;) {
		while (i < len && strchr(" _-", key[i]))
			i++;
		while (*name && strchr(" _-", *name))
			name++;
		if (i == len || !*name)
			return i == len && !*name;
		if (tolower((unsigned char)key[i]) != tolower((unsigned char)*name))
			return false;
		i++;
		name++;
	}
}

static const struct chat_field *field_by_key(const struct chat_form_def *form, const char *key,
					     size_t len)
{
	for (size_t i = 0; i < form->field_count; i++) {
		const struct chat_field *f = &form->fields[i];

		if (key_matches(key, len, f->name) || key_matches(key, len, f->label))
			return f;
	}
	return NULL;
}

const struct chat_field *chat_form_field(const struct chat_form_def *form, const char *name)
{
	for (size_t i = 0; form && name && i < form->field_count; i++) {
		if (strcmp(form->fields[i].name, name) == 0)
			return &form->fields[i];
	}
	return NULL;
}

const char *chat_field_option(const struct chat_field *field, const char *text)
{
	size_t len = strlen(text);

	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	for (size_t i = 0; field->options && field->options[i]; i++) {
		if (key_matches(text, len, field->options[i]) ||
		    (field->option_labels && key_matches(text, len, field->option_labels[i])))
			return field->options[i];
	}
	return NULL;
}

/*
 * Measures a key at p: a letter, then letters, digits, spaces, '_', '-'
 * or '&', then ':' followed by white space or the end of the text. The
 * white space after the colon distinguishes a key from a URL ("hxxp://...") or
 * an IPv6 address. Returns the key's length without trailing spaces, and
 * 0 when p does not start with a key. *value points past the colon.
 */
static size_t key_at(const char *p, const char **value)
{
	size_t n = 0, len;

	if (!isalpha((unsigned char)p[0]))
		return 0;
	while (n < KEY_MAX && p[n] && (isalnum((unsigned char)p[n]) || strchr(" _-&", p[n])))
		n++;
	if (p[n] != ':' || (p[n + 1] && !isspace((unsigned char)p[n + 1])))
		return 0;
	*value = p + n + 1;
	len = n;
	while (len > 0 && p[len - 1] == ' ')
		len--;
	return len;
}

/* Fails with reason followed by the list of the form's keys. */
static enum ch_code fail_listing_keys(const struct chat_form_def *form, const char *reason,
				      struct ch_error *err)
{
	struct buf keys;
	enum ch_code rc;

	buf_init(&keys, 1024);
	for (size_t i = 0; i < form->field_count; i++)
		buf_printf(&keys, "%s%s", i ? ", " : "", form->fields[i].name);
	rc = ch_fail_field(err, CH_INVALID, "", "%s; the keys are: %s", reason,
			   keys.data ? keys.data : "");
	buf_free(&keys);
	return rc;
}

static enum ch_code fail_unknown_key(const struct chat_form_def *form, const char *key,
				     size_t len, struct ch_error *err)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "unknown key \"%.*s\" in the %s form", (int)len, key,
		 form->kind);
	return fail_listing_keys(form, reason, err);
}

static enum ch_code fail_no_main(const struct chat_form_def *form, struct ch_error *err)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "the %s form needs \"key: value\" pairs separated by ';'",
		 form->kind);
	return fail_listing_keys(form, reason, err);
}

/* Stores the collected value of field, trimmed; an empty value is left
 * out, as if the key were not given. */
static enum ch_code store_value(json_t *values, const struct chat_field *field, struct buf *text,
				struct ch_error *err)
{
	const char *start = text->data ? text->data : "";
	const char *end = start + text->len;
	json_t *value;

	if (json_object_get(values, field->name))
		return ch_fail_field(err, CH_INVALID, field->name, "%s is given twice; give each "
								   "key once",
				     field->name);
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	value = start == end ? NULL : json_stringn(start, (size_t)(end - start));
	buf_reset(text);
	if (start == end)
		return CH_OK;
	if (!value)
		return ch_fail_field(err, CH_INVALID, field->name, "%s is not valid UTF-8",
				     field->name);
	json_object_set_new(values, field->name, value);
	return CH_OK;
}

/*
 * Splits "key: value; key: value" into values. A ';' ends a value only
 * when a key follows it, so values may contain ';' otherwise, and ";;"
 * is a literal ';'. Text before the first key fills the main field.
 */
static enum ch_code parse_pairs(const struct chat_form_def *form, const char *p, json_t *values,
				struct ch_error *err)
{
	const struct chat_field *current = NULL;
	const char *after = NULL;
	struct buf text;
	size_t len;
	enum ch_code rc = CH_OK;

	buf_init(&text, strlen(p) + 1);
	len = key_at(p, &after);
	current = len ? field_by_key(form, p, len) : NULL;
	if (current) {
		p = after;
	} else if (form->main_field) {
		/* "Phishing kit: hxxp://..." is text for the main field. */
		current = chat_form_field(form, form->main_field);
	} else {
		rc = len ? fail_unknown_key(form, p, len, err) : fail_no_main(form, err);
		goto out;
	}

	while (*p) {
		const char *next = p + 1;

		if (p[0] == ';' && p[1] == ';') {
			buf_append_char(&text, ';');
			p += 2;
			continue;
		}
		while (p[0] == ';' && *next && isspace((unsigned char)*next))
			next++;
		len = p[0] == ';' ? key_at(next, &after) : 0;
		if (!len) {
			buf_append_char(&text, *p++);
			continue;
		}

		/* "; key:" ends the value being read and starts the next one. */
		rc = store_value(values, current, &text, err);
		if (rc != CH_OK)
			goto out;
		current = field_by_key(form, next, len);
		if (!current) {
			rc = fail_unknown_key(form, next, len, err);
			goto out;
		}
		p = after;
	}
	rc = store_value(values, current, &text, err);

out:
	buf_free(&text);
	return rc;
}

enum ch_code chat_form_parse_text(const struct chat_form_def *form, const char *text,
				  json_t **values, struct ch_error *err)
{
	const struct chat_field *main_field = chat_form_field(form, form->main_field);
	const char *p = text ? text : "";
	const char *after;
	json_t *out = json_object();
	size_t len;
	enum ch_code rc;

	while (isspace((unsigned char)*p))
		p++;

	/* A pasted document, such as a Sigma rule, starts with its own
	 * "title:" line. So text of several lines whose first key is not a
	 * field of the form goes unchanged to a multi-line main field. */
	len = key_at(p, &after);
	if (len && !field_by_key(form, p, len) && strchr(p, '\n') && main_field &&
	    main_field->type == CHAT_FIELD_TEXTAREA) {
		json_t *whole = json_string(text);

		if (!whole) {
			json_decref(out);
			return ch_fail_field(err, CH_INVALID, main_field->name,
					     "%s is not valid UTF-8", main_field->name);
		}
		json_object_set_new(out, main_field->name, whole);
		*values = out;
		return CH_OK;
	}

	rc = parse_pairs(form, p, out, err);
	if (rc != CH_OK) {
		json_decref(out);
		return rc;
	}
	*values = out;
	return CH_OK;
}
