/*
 * The audience digest as JSON for machines. The structure is documented
 * in docs/digests.md and is stable: every key is always present (null for
 * the referrals of an audience that does not read them), lists carry
 * "items" and "more", and times are ISO 8601 UTC strings.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest2_internal.h"
#include "model/attack.h"
#include "util/timeutil.h"

static json_t *time_json(int64_t t)
{
	char iso[TIME_ISO_MAX];

	time_format_iso(t, iso, sizeof(iso));
	return json_string(iso);
}

static json_t *list_json(json_t *items, size_t more)
{
	return json_pack("{s:o, s:I}", "items", items, "more", (json_int_t)more);
}

static json_t *referral_json(const struct digest_referral *r)
{
	json_t *changes, *out;

	if (r->reduced)
		return json_pack("{s:s, s:s, s:b}", "ref", r->ref, "tlp", tlp_name(r->tlp), "reduced",
				 1);
	changes = json_array();
	for (size_t i = 0; i < r->change_count; i++) {
		const struct digest_change *c = &r->changes[i];

		json_array_append_new(changes, json_pack("{s:o, s:s, s:s?, s:s?}", "time",
							 time_json(c->time), "action", c->action,
							 "from", c->from_state, "to", c->to_state));
	}
	out = json_pack("{s:s, s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:o}", "ref", r->ref, "tlp",
			tlp_name(r->tlp), "reduced", 0, "opened", r->opened, "state", r->state,
			"summary", r->summary, "incident_type", r->incident_type, "organisation",
			r->org, "changes", changes);
	return out;
}

static json_t *referrals_json(const struct digest_report *d)
{
	json_t *items;

	if (!d->has_referrals)
		return json_null();
	items = json_array();
	for (size_t i = 0; i < d->referral_count; i++)
		json_array_append_new(items, referral_json(&d->referrals[i]));
	return list_json(items, d->referral_total - d->referral_count);
}

static json_t *section_json(const struct digest_report *d, enum digest_indicator_section s)
{
	const struct digest_top *top = &d->sections[s];
	json_t *items = json_array();

	for (size_t i = 0; i < top->count; i++) {
		const struct digest_item *item = &top->items[i];
		json_t *entry = json_pack("{s:s, s:s, s:f, s:i, s:o, s:o}", "type",
					  ioc_type_name(item->type), "value", item->value, "score",
					  item->score, "organisations", item->organisations,
					  "first_seen", time_json(item->first_seen), "seen",
					  time_json(item->seen));

		json_object_set_new(entry, "previous_seen",
				    item->previous ? time_json(item->previous) : json_null());
		json_array_append_new(items, entry);
	}
	return list_json(items, digest_top_more(top));
}

static json_t *rules_json(const struct digest_report *d)
{
	json_t *items = json_array();

	for (size_t i = 0; i < d->rules.count; i++) {
		const struct store_digest_rule *r = &d->rules.items[i];

		json_array_append_new(items, json_pack("{s:I, s:s, s:s?, s:o}", "report_id",
						       (json_int_t)r->report_id, "title", r->title,
						       "rule_type", r->rule_type, "created",
						       time_json(r->created)));
	}
	return list_json(items, (size_t)d->rules.total - d->rules.count);
}

static json_t *cves_json(const char *list)
{
	json_t *out = json_array();

	while (*list) {
		size_t len = strcspn(list, ",");

		if (len > 0)
			json_array_append_new(out, json_stringn(list, len));
		list += len;
		if (*list == ',')
			list++;
	}
	return out;
}

static json_t *vulnerable_json(const struct digest_report *d)
{
	json_t *items = json_array();

	for (size_t i = 0; i < digest_vulnerable_shown(d); i++) {
		const struct store_digest_vuln_group *g = &d->vulnerable.items[i];

		json_array_append_new(items, json_pack("{s:s, s:s, s:I, s:I, s:o}", "country",
						       g->country, "sector", g->sector,
						       "organisations", (json_int_t)g->organisations,
						       "reports", (json_int_t)g->reports, "cves",
						       cves_json(g->cves)));
	}
	return list_json(items, d->vulnerable.count - digest_vulnerable_shown(d));
}

static json_t *tactics_json(const struct digest_report *d)
{
	json_t *out = json_array();

	for (size_t i = 0; i < attack_tactic_count; i++)
		json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I}", "id",
						     attack_tactics[i].id, "name",
						     attack_tactics[i].name, "previous",
						     (json_int_t)d->tactics[i].previous, "current",
						     (json_int_t)d->tactics[i].current));
	return out;
}

static json_t *digest_json(const struct digest_report *d)
{
	json_t *root, *indicators;

	indicators = json_object();
	for (int s = DIGEST_SECTION_IOCS; s <= DIGEST_SECTION_DARKNET; s++)
		json_object_set_new(indicators, digest_section_name((enum digest_indicator_section)s),
				    section_json(d, (enum digest_indicator_section)s));

	root = json_pack("{s:s, s:{s:o, s:o, s:o}, s:s, s:s, s:{s:I, s:I}}", "audience",
			 d->req.audience.key, "period", "since", time_json(d->req.since), "until",
			 time_json(d->req.until), "previous_since",
			 time_json(d->req.since - (d->req.until - d->req.since)), "tlp_max",
			 tlp_name(d->req.tlp_max), "report_tlp_max", tlp_name(d->report_tlp_max),
			 "summary", "reports", (json_int_t)d->reports,
			 "new_indicators", (json_int_t)d->new_indicators);
	json_object_set_new(root, "referrals", referrals_json(d));
	json_object_set_new(root, "indicators", indicators);
	json_object_set_new(root, "hunting_rules", rules_json(d));
	json_object_set_new(root, "vulnerable_organisations", vulnerable_json(d));
	json_object_set_new(root, "attack_tactics", tactics_json(d));
	json_object_set_new(root, "notable",
			    json_pack("{s:o, s:o}", "seen_again",
				      section_json(d, DIGEST_SECTION_SEEN_AGAIN), "many_organisations",
				      section_json(d, DIGEST_SECTION_MANY_ORGS)));
	json_object_set_new(root, "left_out",
			    json_pack("{s:I, s:I, s:I, s:f}", "warning_list",
				      (json_int_t)d->left_warnlisted, "other_warnings",
				      (json_int_t)d->left_warned, "below_threshold",
				      (json_int_t)d->left_below_threshold, "threshold",
				      d->scoring.threshold));
	return root;
}

enum ch_code digest2_render_json(const struct digest_report *d, struct buf *out,
				 struct ch_error *err)
{
	json_t *root = digest_json(d);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	enum ch_code rc;

	json_decref(root);
	if (!text)
		return ch_fail(err, CH_INTERNAL, "writing the digest as JSON failed");
	rc = buf_append_str(out, text);
	if (rc == CH_OK)
		rc = buf_append_char(out, '\n');
	free(text);
	if (rc == CH_TOO_LARGE)
		return ch_fail(err, rc, "the digest is longer than the %zu bytes allowed; lower "
					"--max-items",
			       out->max);
	return rc;
}
