/*
 * The fields of each report kind and their validators. Each validator
 * reads its fields in the order of the allowed-field list below, so the
 * error returned is the one for the first bad field in that list. It also
 * sets a title hint from the kind's main field. The field lists are the
 * one source for the unknown-field check in report.c.
 */
#include "model/report_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/sigma.h"
#include "formats/yara_check.h"
#include "model/attack.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char *const ioc_fields[] = {
	"indicators", "details", "purpose", "anonymous", NULL,
};
static const char *const attack_fields[] = {
	"exploitation", "description", "event", "tactic", "techniques", "indicators", NULL,
};
static const char *const vuln_fields[] = {
	"time", "ip", "cve", "organisation", "country", "isp", "sector", "tagged_org", NULL,
};
static const char *const hunting_fields[] = {
	"rule_type", "rule", "description", NULL,
};
static const char *const darknet_fields[] = {
	"category", "summary", "details", "source", "indicators", "cves", NULL,
};
static const char *const disinfo_fields[] = {
	"campaign", "description", "domains", "ips", "urls", "indicators", NULL,
};
static const char *const feed_fields[] = {
	"url", "summary", "published", "indicators", NULL,
};

const char *const *const report_kind_fields[REPORT_KIND_COUNT] = {
	[REPORT_IOC] = ioc_fields,
	[REPORT_ATTACK] = attack_fields,
	[REPORT_VULN] = vuln_fields,
	[REPORT_HUNTING] = hunting_fields,
	[REPORT_DARKNET] = darknet_fields,
	[REPORT_DISINFO] = disinfo_fields,
	[REPORT_FEED] = feed_fields,
};

/* Why indicators are shared, in the terms of MISP's distribution notes. */
static const char *const ioc_purposes[] = {
	"awareness", "blocking", "takedown_request", "le_referral", "research",
	"victim_notification", NULL,
};
static const char *const ioc_purpose_labels[] = {
	"Awareness", "Blocking", "Takedown request", "Law enforcement referral", "Research",
	"Victim notification",
};

static const char *const darknet_categories[] = {
	"compromised_data", "trend", "alert", "cve", NULL,
};

static const char *const rule_types[] = { "yara", "sigma", NULL };

/* "PREFIX: FIRST and N more NOUN" from the first value of a stored array. */
static void hint_from_list(struct report_build *b, const char *prefix, const char *key,
			   const char *noun)
{
	const json_t *list = json_object_get(b->in->fields, key);
	size_t count = json_array_size(list);
	struct buf text;

	if (count == 0)
		return;
	buf_init(&text, 4 * REPORT_TITLE_MAX + 64);
	if (prefix)
		buf_printf(&text, "%s: ", prefix);
	buf_append_str(&text, json_string_value(json_array_get(list, 0)));
	if (count > 1)
		buf_printf(&text, " and %zu more %s", count - 1, noun);
	report_set_title_hint(b, text.data ? text.data : "");
	buf_free(&text);
}

static enum ch_code validate_ioc(struct report_build *b, struct ch_error *err)
{
	const char *text;
	size_t added;
	int purpose;
	enum ch_code rc;

	rc = report_read_indicators(b, "indicators", true, &added, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "details", REPORT_TEXT_PROSE, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_choice(b, "purpose", true, ioc_purposes, &purpose, err);
	if (rc == CH_OK)
		rc = report_read_bool(b, "anonymous", &b->in->anonymous, err);
	if (rc != CH_OK)
		return rc;

	hint_from_list(b, ioc_purpose_labels[purpose], "indicators", "indicators");
	return CH_OK;
}

static bool catalogue_empty(const struct report_context *ctx)
{
	return !ctx || !ctx->technique_lookup || ctx->technique_catalogue_size == 0;
}

static enum ch_code check_technique(struct report_build *b, const json_t *item,
				    const char *path, char *id, size_t cap, struct ch_error *err)
{
	const char *text = json_string_value(item);
	bool revoked = false;

	if (!text)
		return ch_fail_field(err, CH_INVALID, path, "%s must be a string, not %s", path,
				     report_json_type_word(item));
	if (!attack_technique_id_canonical(text, id, cap))
		return ch_fail_field(err, CH_INVALID, path, "%s \"%s\" is not an ATT&CK technique "
							    "id such as T1566 or T1566.001",
				     path, text);
	if (!b->ctx->technique_lookup(b->ctx->technique_ctx, id, &revoked))
		return ch_fail_field(err, CH_INVALID, path, "%s: technique %s is not in the ATT&CK "
							    "catalogue; check the id, or import a "
							    "newer catalogue with 'ctihub attack "
							    "import FILE'",
				     path, id);
	if (revoked)
		return ch_fail_field(err, CH_INVALID, path, "%s: technique %s is revoked or "
							    "deprecated in ATT&CK; use the technique "
							    "that replaces it",
				     path, id);
	return CH_OK;
}

static enum ch_code read_techniques(struct report_build *b, struct ch_error *err)
{
	const json_t *value = json_object_get(b->body, "techniques");
	const json_t *item;
	char path[REPORT_PATH_MAX];
	char id[16];
	json_t *stored;
	size_t i;
	enum ch_code rc = CH_OK;

	if (!value || json_is_null(value))
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail_field(err, CH_INVALID, "techniques", "techniques must be an array of "
								    "ids such as [\"T1566.001\"], "
								    "not %s",
				     report_json_type_word(value));
	if (json_array_size(value) > REPORT_LIST_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, "techniques", "techniques has %zu entries, "
								      "more than the %d allowed",
				     json_array_size(value), REPORT_LIST_MAX);
	if (json_array_size(value) == 0)
		return CH_OK;
	if (catalogue_empty(b->ctx))
		return ch_fail_field(err, CH_INVALID, "techniques", "the ATT&CK catalogue is empty; "
								    "import it with 'ctihub attack "
								    "import FILE'");

	/* NOTE: a technique is not checked against the report's tactic, because
	 * the catalogue lookup returns only whether the id exists. */
	stored = json_array();
	json_array_foreach(value, i, item) {
		size_t before = b->in->technique_count;

		snprintf(path, sizeof(path), "techniques[%zu]", i);
		rc = check_technique(b, item, path, id, sizeof(id), err);
		if (rc != CH_OK)
			goto out;
		report_link_technique(b, id);
		if (b->in->technique_count > before)
			json_array_append_new(stored, json_string(id));
	}
	json_object_set(b->in->fields, "techniques", stored);

out:
	json_decref(stored);
	return rc;
}

static enum ch_code read_tactic(struct report_build *b, struct ch_error *err)
{
	const struct attack_tactic *tactic;
	const char *value;
	enum ch_code rc;

	rc = report_read_text(b, "tactic", REPORT_TEXT_NAME, true, false, &value, err);
	if (rc != CH_OK)
		return rc;
	tactic = attack_tactic_find(value);
	if (!tactic)
		return ch_fail_field(err, CH_INVALID, "tactic", "tactic \"%s\" is not an ATT&CK "
								"Enterprise tactic; give an id such "
								"as TA0001 or a name such as "
								"\"Initial Access\"",
				     value);
	json_object_set_new(b->in->fields, "tactic", json_string(tactic->id));
	return CH_OK;
}

static enum ch_code validate_attack(struct report_build *b, struct ch_error *err)
{
	const char *description = NULL;
	const char *event = NULL;
	const char *text;
	size_t added;
	enum ch_code rc;

	rc = report_read_text(b, "exploitation", REPORT_TEXT_EXPLOITATION, true, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "description", REPORT_TEXT_SHORT, true, true, &description,
				      err);
	if (rc == CH_OK)
		rc = report_read_text(b, "event", REPORT_TEXT_NAME, false, true, &event, err);
	if (rc == CH_OK)
		rc = read_tactic(b, err);
	if (rc == CH_OK)
		rc = read_techniques(b, err);
	if (rc == CH_OK)
		rc = report_read_indicators(b, "indicators", false, &added, err);
	if (rc != CH_OK)
		return rc;

	if (event) {
		struct buf hint;

		buf_init(&hint, 4 * (REPORT_NAME_MAX + REPORT_SHORT_TEXT_MAX) + 8);
		buf_printf(&hint, "%s: %s", event, description);
		report_set_title_hint(b, hint.data);
		buf_free(&hint);
	} else {
		report_set_title_hint(b, description);
	}
	return CH_OK;
}

static enum ch_code validate_vuln(struct report_build *b, struct ch_error *err)
{
	const char *organisation = NULL;
	const char *text;
	struct buf hint;
	enum ch_code rc;

	rc = report_read_time(b, "time", true, err);
	if (rc == CH_OK)
		rc = report_read_value(b, "ip", true, IOC_IPV4, IOC_IPV6, true, err);
	if (rc == CH_OK)
		rc = report_read_value(b, "cve", true, IOC_CVE, IOC_NONE, true, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "organisation", REPORT_TEXT_NAME, true, true,
				      &organisation, err);
	if (rc == CH_OK)
		rc = report_read_country(b, "country", true, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "isp", REPORT_TEXT_NAME, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "sector", REPORT_TEXT_NAME, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "tagged_org", REPORT_TEXT_NAME, false, true, &text, err);
	if (rc != CH_OK)
		return rc;

	buf_init(&hint, 4 * REPORT_NAME_MAX + 64);
	buf_printf(&hint, "%s at %s (%s)",
		   json_string_value(json_object_get(b->in->fields, "cve")), organisation,
		   json_string_value(json_object_get(b->in->fields, "country")));
	report_set_title_hint(b, hint.data);
	buf_free(&hint);
	return CH_OK;
}

/* Reads the rule text verbatim: trimming would shift the line numbers that
 * YARA and libyaml report. */
static enum ch_code read_rule_text(struct report_build *b, const char **rule, size_t *len,
				   struct ch_error *err)
{
	const json_t *value = json_object_get(b->body, "rule");
	const char *text = json_string_value(value);
	size_t n = json_string_length(value);
	size_t i = 0;

	if (value && !json_is_null(value) && !text)
		return ch_fail_field(err, CH_INVALID, "rule", "rule must be a string, not %s",
				     report_json_type_word(value));
	while (text && i < n && strchr(" \t\r\n", text[i]))
		i++;
	if (!text || i == n)
		return ch_fail_field(err, CH_INVALID, "rule", "rule is required for kind hunting; "
							      "give the YARA or Sigma rule text");
	if (n > REPORT_RULE_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, "rule", "rule is %zu bytes long, more than "
								"the %d allowed",
				     n, REPORT_RULE_MAX);
	if (strlen(text) != n)
		return ch_fail_field(err, CH_INVALID, "rule", "rule contains a NUL character "
							      "(\\u0000); remove it");
	json_object_set_new(b->in->fields, "rule", json_stringn(text, n));
	*rule = text;
	*len = n;
	return CH_OK;
}

/* Rewrites the message in err as "rule: MESSAGE" with the field set. */
static enum ch_code fail_rule(struct ch_error *err, enum ch_code rc)
{
	char reason[CH_ERROR_MESSAGE_MAX];

	snprintf(reason, sizeof(reason), "%s", err->message);
	return ch_fail_field(err, rc, "rule", "rule: %s", reason);
}

static json_t *string_array(char *const *items, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(array, json_string(items[i]));
	return array;
}

static enum ch_code check_yara(struct report_build *b, const char *rule, size_t len,
			       struct ch_error *err)
{
	struct yara_check_result result = { 0 };
	struct buf hint;
	enum ch_code rc;

	rc = yara_check(rule, len, &result, err);
	if (rc != CH_OK)
		return fail_rule(err, rc);

	json_object_set_new(b->in->fields, "rule_names",
			    string_array(result.rule_names, result.rule_count));
	for (size_t i = 0; i < result.warning_count; i++)
		report_add_note(b, "YARA warning at %s", result.warnings[i]);
	if (result.warnings_dropped)
		report_add_note(b, "%zu more YARA warnings were not listed",
				result.warnings_dropped);

	buf_init(&hint, 4 * REPORT_TITLE_MAX + 64);
	buf_printf(&hint, "YARA rule %s", result.rule_names[0]);
	if (result.rule_count > 1)
		buf_printf(&hint, " and %zu more", result.rule_count - 1);
	report_set_title_hint(b, hint.data ? hint.data : "YARA rule");
	buf_free(&hint);
	yara_check_result_free(&result);
	return CH_OK;
}

/*
 * Links a technique named by a Sigma tag when the catalogue has it.
 * Published rules name techniques that a given ATT&CK snapshot lacks
 * (newer or revoked ids), so a miss is a note, not an error.
 */
static void link_sigma_technique(struct report_build *b, const char *tag, const char *id,
				 json_t *linked)
{
	bool revoked = false;
	size_t before = b->in->technique_count;

	if (catalogue_empty(b->ctx)) {
		report_add_note(b, "Sigma tag %s names technique %s, but the ATT&CK catalogue is "
				   "empty, so the report is not linked to it",
				tag, id);
		return;
	}
	if (!b->ctx->technique_lookup(b->ctx->technique_ctx, id, &revoked)) {
		report_add_note(b, "Sigma tag %s names technique %s, which is not in the ATT&CK "
				   "catalogue, so the report is not linked to it",
				tag, id);
		return;
	}
	if (revoked) {
		report_add_note(b, "Sigma tag %s names technique %s, which is revoked or "
				   "deprecated in ATT&CK, so the report is not linked to it",
				tag, id);
		return;
	}
	report_link_technique(b, id);
	if (b->in->technique_count > before)
		json_array_append_new(linked, json_string(id));
}

static void set_optional(json_t *object, const char *key, const char *value)
{
	if (value)
		json_object_set_new(object, key, json_string(value));
}

static void store_sigma(struct report_build *b, const struct sigma_rule *rule)
{
	json_t *fields = b->in->fields;
	json_t *logsource = json_object();
	json_t *tags = json_array();
	json_t *linked = json_array();
	char id[16];

	json_object_set_new(fields, "rule_title", json_string(rule->title));
	set_optional(fields, "rule_id", rule->id);
	set_optional(fields, "status", rule->status);
	set_optional(fields, "level", rule->level);
	set_optional(logsource, "category", rule->logsource_category);
	set_optional(logsource, "product", rule->logsource_product);
	set_optional(logsource, "service", rule->logsource_service);
	json_object_set_new(fields, "logsource", logsource);

	/* attack.t1059.001 names a technique; other tags, such as tactics
	 * (attack.execution), groups (attack.g0007) or cve.2021-44228, stay tags. */
	for (size_t i = 0; i < rule->tag_count; i++) {
		const char *tag = rule->tags[i];

		if (strncasecmp(tag, "attack.", 7) == 0 &&
		    attack_technique_id_canonical(tag + 7, id, sizeof(id)))
			link_sigma_technique(b, tag, id, linked);
		else
			json_array_append_new(tags, json_string(tag));
	}
	json_object_set_new(fields, "tags", tags);
	json_object_set_new(fields, "techniques", linked);
}

static enum ch_code check_sigma(struct report_build *b, const char *rule, size_t len,
				struct ch_error *err)
{
	struct sigma_rule parsed = { 0 };
	struct buf hint;
	enum ch_code rc;

	rc = sigma_check(rule, len, &parsed, err);
	if (rc != CH_OK)
		return fail_rule(err, rc);

	store_sigma(b, &parsed);
	buf_init(&hint, 4 * REPORT_TITLE_MAX + 64);
	buf_printf(&hint, "Sigma rule: %s", parsed.title);
	report_set_title_hint(b, hint.data ? hint.data : "Sigma rule");
	buf_free(&hint);
	sigma_rule_free(&parsed);
	return CH_OK;
}

static enum ch_code validate_hunting(struct report_build *b, struct ch_error *err)
{
	const char *rule = NULL;
	const char *text;
	size_t len = 0;
	int type;
	enum ch_code rc;

	rc = report_read_choice(b, "rule_type", true, rule_types, &type, err);
	if (rc == CH_OK)
		rc = read_rule_text(b, &rule, &len, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "description", REPORT_TEXT_PROSE, false, true, &text, err);
	if (rc != CH_OK)
		return rc;

	if (type == 0)
		return check_yara(b, rule, len, err);
	return check_sigma(b, rule, len, err);
}

static enum ch_code validate_darknet(struct report_build *b, struct ch_error *err)
{
	const char *summary = NULL;
	const char *text;
	size_t added;
	int category;
	enum ch_code rc;

	rc = report_read_choice(b, "category", true, darknet_categories, &category, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "summary", REPORT_TEXT_PROSE, true, true, &summary, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "details", REPORT_TEXT_PROSE, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "source", REPORT_TEXT_NAME, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_indicators(b, "indicators", false, &added, err);
	if (rc == CH_OK)
		rc = report_read_typed_list(b, "cves", IOC_CVE, IOC_NONE, &added, err);
	if (rc != CH_OK)
		return rc;

	report_set_title_hint(b, summary);
	return CH_OK;
}

static enum ch_code validate_disinfo(struct report_build *b, struct ch_error *err)
{
	const char *campaign = NULL;
	const char *text;
	size_t domains = 0, ips = 0, urls = 0, others = 0;
	enum ch_code rc;

	rc = report_read_text(b, "campaign", REPORT_TEXT_NAME, true, true, &campaign, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "description", REPORT_TEXT_PROSE, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_typed_list(b, "domains", IOC_DOMAIN, IOC_NONE, &domains, err);
	if (rc == CH_OK)
		rc = report_read_typed_list(b, "ips", IOC_IPV4, IOC_IPV6, &ips, err);
	if (rc == CH_OK)
		rc = report_read_typed_list(b, "urls", IOC_URL, IOC_NONE, &urls, err);
	if (rc == CH_OK)
		rc = report_read_indicators(b, "indicators", false, &others, err);
	if (rc != CH_OK)
		return rc;

	if (domains + ips + urls + others == 0)
		return ch_fail_field(err, CH_INVALID, "domains", "kind disinfo needs at least "
								 "one domain, IP address or URL; "
								 "give domains, ips, urls or "
								 "indicators");
	report_set_title_hint(b, campaign);
	return CH_OK;
}

static enum ch_code validate_feed(struct report_build *b, struct ch_error *err)
{
	const char *text;
	size_t added;
	enum ch_code rc;

	/* The url is the link to the article, not an indicator about it. */
	rc = report_read_value(b, "url", true, IOC_URL, IOC_NONE, false, err);
	if (rc == CH_OK)
		rc = report_read_text(b, "summary", REPORT_TEXT_PROSE, false, true, &text, err);
	if (rc == CH_OK)
		rc = report_read_time(b, "published", false, err);
	if (rc == CH_OK)
		rc = report_read_indicators(b, "indicators", false, &added, err);
	return rc;
}

const report_kind_fn report_kind_validators[REPORT_KIND_COUNT] = {
	[REPORT_IOC] = validate_ioc,
	[REPORT_ATTACK] = validate_attack,
	[REPORT_VULN] = validate_vuln,
	[REPORT_HUNTING] = validate_hunting,
	[REPORT_DARKNET] = validate_darknet,
	[REPORT_DISINFO] = validate_disinfo,
	[REPORT_FEED] = validate_feed,
};
