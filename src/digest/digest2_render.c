/*
 * Audience digest renderers for people: plain text for terminals and
 * e-mail, Markdown for chat and wikis. Both show the same sections in the
 * same order; every text that came from a user passes through an escape
 * (control characters in text; Markdown syntax and table pipes in
 * Markdown), so a report title cannot add lines, links or markup.
 */
#include <stdarg.h>
#include <string.h>

#include "digest/digest2_internal.h"
#include "model/attack.h"
#include "util/timeutil.h"

/* ---- Shared writing helpers ------------------------------------------------ */

void digest_write(struct digest_writer *w, const char *fmt, ...)
{
	va_list ap;
	enum ch_code rc;

	if (w->rc != CH_OK)
		return;
	va_start(ap, fmt);
	rc = buf_vprintf(w->out, fmt, ap);
	va_end(ap);
	w->rc = rc;
}

void digest_write_plain(struct digest_writer *w, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c && w->rc == CH_OK; c++)
		w->rc = buf_append_char(w->out, *c < 0x20 || *c == 0x7f ? ' ' : (char)*c);
}

void digest_write_time(struct digest_writer *w, int64_t t)
{
	char iso[TIME_ISO_MAX];

	time_format_iso(t, iso, sizeof(iso));
	digest_write(w, "%s", iso);
}

static const char *rule_type_label(const struct store_digest_rule *r)
{
	return r->rule_type ? r->rule_type : "chat";
}

static const char *sector_label(const char *sector)
{
	return sector && *sector ? sector : "no sector";
}

static bool any_tactic(const struct digest_report *d)
{
	for (size_t i = 0; i < attack_tactic_count; i++) {
		if (d->tactics[i].current || d->tactics[i].previous)
			return true;
	}
	return false;
}

static int64_t left_out(const struct digest_report *d)
{
	return d->left_warnlisted + d->left_warned + d->left_below_threshold;
}

/* ---- Plain text ----------------------------------------------------------------- */

static void text_more(struct digest_writer *w, size_t more)
{
	if (more > 0)
		digest_write(w, "  +%zu more\n", more);
}

static void text_header(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "ctihub digest for %s\n", d->req.audience.key);
	digest_write_time(w, d->req.since);
	digest_write(w, " to ");
	digest_write_time(w, d->req.until);
	digest_write(w, ", reports up to TLP:%s\n", tlp_name(d->report_tlp_max));
	digest_write(w, "%lld reports, %lld new indicators, %lld left out\n",
		     (long long)d->reports, (long long)d->new_indicators, (long long)left_out(d));
}

static void text_referrals(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\nReferrals\n");
	if (d->referral_total == 0)
		digest_write(w, "  none\n");
	for (size_t i = 0; i < d->referral_count; i++) {
		const struct digest_referral *r = &d->referrals[i];

		if (r->reduced) {
			digest_write(w, "  %s (TLP:%s, open it in ctihub)\n", r->ref, tlp_name(r->tlp));
			continue;
		}
		digest_write(w, "  %s  TLP:%s  %s  ", r->ref, tlp_name(r->tlp), r->state);
		digest_write_plain(w, r->summary);
		digest_write(w, " (");
		digest_write_plain(w, r->incident_type);
		digest_write(w, ", from ");
		digest_write_plain(w, r->org);
		digest_write(w, ")\n");
		for (size_t c = 0; c < r->change_count; c++) {
			const struct digest_change *ch = &r->changes[c];

			digest_write(w, "    ");
			digest_write_time(w, ch->time);
			if (!ch->from_state)
				digest_write(w, "  opened\n");
			else
				digest_write(w, "  %s -> %s\n", ch->from_state,
					     ch->to_state ? ch->to_state : "");
		}
	}
	text_more(w, d->referral_total - d->referral_count);
}

static void text_item(struct digest_writer *w, enum digest_indicator_section s,
		      const struct digest_item *item)
{
	digest_write(w, "  %-7s ", ioc_type_name(item->type));
	digest_write_plain(w, item->value);
	digest_write(w, "  score %.0f", item->score);
	if (s == DIGEST_SECTION_SEEN_AGAIN) {
		digest_write(w, ", silent since ");
		digest_write_time(w, item->previous);
	} else if (s == DIGEST_SECTION_MANY_ORGS) {
		digest_write(w, ", %d organisations", item->organisations);
	}
	digest_write(w, "\n");
}

static void text_section(struct digest_writer *w, const struct digest_report *d,
			 enum digest_indicator_section s)
{
	const struct digest_top *top = &d->sections[s];

	digest_write(w, "\n%s\n", digest_section_title(s));
	if (top->total == 0)
		digest_write(w, "  none\n");
	for (size_t i = 0; i < top->count; i++)
		text_item(w, s, &top->items[i]);
	text_more(w, digest_top_more(top));
}

static void text_rules_and_vulns(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\nNew hunting rules\n");
	if (d->rules.total == 0)
		digest_write(w, "  none\n");
	for (size_t i = 0; i < d->rules.count; i++) {
		digest_write(w, "  %-7s ", rule_type_label(&d->rules.items[i]));
		digest_write_plain(w, d->rules.items[i].title);
		digest_write(w, "\n");
	}
	text_more(w, (size_t)d->rules.total - d->rules.count);

	digest_write(w, "\nVulnerable organisations by country and sector\n");
	if (d->vulnerable.count == 0)
		digest_write(w, "  none\n");
	for (size_t i = 0; i < digest_vulnerable_shown(d); i++) {
		const struct store_digest_vuln_group *g = &d->vulnerable.items[i];

		digest_write(w, "  ");
		digest_write_plain(w, g->country);
		digest_write(w, " / ");
		digest_write_plain(w, sector_label(g->sector));
		digest_write(w, ": %lld organisation%s, %lld report%s (", (long long)g->organisations,
			     g->organisations == 1 ? "" : "s", (long long)g->reports,
			     g->reports == 1 ? "" : "s");
		/* CVE ids are canonical (CVE-2021-44228), so only the commas change. */
		for (const char *c = g->cves; *c; c++) {
			if (*c == ',')
				digest_write(w, ", ");
			else
				digest_write(w, "%c", *c);
		}
		digest_write(w, ")\n");
	}
	text_more(w, d->vulnerable.count - digest_vulnerable_shown(d));
}

static void text_tactics(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\nATT&CK tactics, this period against the previous one\n");
	if (!any_tactic(d)) {
		digest_write(w, "  none\n");
		return;
	}
	digest_write(w, "  %-32s %8s %8s %7s\n", "tactic", "previous", "this", "change");
	for (size_t i = 0; i < attack_tactic_count; i++) {
		const struct digest_tactic_count *c = &d->tactics[i];
		char label[64];

		if (!c->current && !c->previous)
			continue;
		snprintf(label, sizeof(label), "%s (%s)", attack_tactics[i].name, attack_tactics[i].id);
		digest_write(w, "  %-32s %8lld %8lld %+7lld\n", label, (long long)c->previous,
			     (long long)c->current, (long long)(c->current - c->previous));
	}
}

static void text_left_out(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\nLeft out\n");
	digest_write(w, "  %-36s %lld\n", "on a warning list", (long long)d->left_warnlisted);
	digest_write(w, "  %-36s %lld\n", "other warnings (private, reserved)",
		     (long long)d->left_warned);
	digest_write(w, "  %-36s %lld\n", "below the score threshold",
		     (long long)d->left_below_threshold);
}

enum ch_code digest2_render_text(const struct digest_report *d, struct buf *out)
{
	struct digest_writer w = { out, CH_OK };

	text_header(&w, d);
	if (d->has_referrals)
		text_referrals(&w, d);
	for (int s = DIGEST_SECTION_IOCS; s <= DIGEST_SECTION_DARKNET; s++)
		text_section(&w, d, (enum digest_indicator_section)s);
	text_rules_and_vulns(&w, d);
	text_tactics(&w, d);
	text_section(&w, d, DIGEST_SECTION_SEEN_AGAIN);
	text_section(&w, d, DIGEST_SECTION_MANY_ORGS);
	text_left_out(&w, d);
	return w.rc;
}

/* ---- Markdown -------------------------------------------------------------------- */

/* Escapes the characters that start Markdown markup, links, HTML or a
 * table cell, and turns control characters into spaces. */
static void md_text(struct digest_writer *w, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c && w->rc == CH_OK; c++) {
		if (*c < 0x20 || *c == 0x7f)
			w->rc = buf_append_char(w->out, ' ');
		else if (strchr("\\`*_{}[]()<>#+-!|~&", *c))
			digest_write(w, "\\%c", *c);
		else
			w->rc = buf_append_char(w->out, (char)*c);
	}
}

/* Writes a value as a code span, so nothing in it becomes a link or
 * markup: the fence is one backtick longer than the longest run inside,
 * and a pipe is escaped because GitHub tables split cells on it even in
 * code. */
static void md_code(struct digest_writer *w, const char *value)
{
	size_t run = 0, longest = 0, len = strlen(value);

	for (const char *c = value; *c; c++) {
		run = *c == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i <= longest; i++)
		digest_write(w, "`");
	if (len > 0 && (value[0] == '`' || value[len - 1] == '`'))
		digest_write(w, " ");
	for (const unsigned char *c = (const unsigned char *)value; *c && w->rc == CH_OK; c++) {
		if (*c == '|')
			digest_write(w, "\\|");
		else
			w->rc = buf_append_char(w->out, *c < 0x20 || *c == 0x7f ? ' ' : (char)*c);
	}
	if (len > 0 && (value[0] == '`' || value[len - 1] == '`'))
		digest_write(w, " ");
	for (size_t i = 0; i <= longest; i++)
		digest_write(w, "`");
}

static void md_more(struct digest_writer *w, size_t more)
{
	if (more > 0)
		digest_write(w, "\n+%zu more\n", more);
}

static void md_referrals(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\n## Referrals\n\n");
	if (d->referral_total == 0)
		digest_write(w, "None.\n");
	for (size_t i = 0; i < d->referral_count; i++) {
		const struct digest_referral *r = &d->referrals[i];

		if (r->reduced) {
			digest_write(w, "- **%s** (TLP:%s, open it in ctihub)\n", r->ref, tlp_name(r->tlp));
			continue;
		}
		digest_write(w, "- **%s** TLP:%s, %s: ", r->ref, tlp_name(r->tlp), r->state);
		md_text(w, r->summary);
		digest_write(w, " (");
		md_text(w, r->incident_type);
		digest_write(w, ", from ");
		md_text(w, r->org);
		digest_write(w, ")\n");
		for (size_t c = 0; c < r->change_count; c++) {
			const struct digest_change *ch = &r->changes[c];

			digest_write(w, "  - ");
			digest_write_time(w, ch->time);
			if (!ch->from_state)
				digest_write(w, " opened\n");
			else
				digest_write(w, " %s → %s\n", ch->from_state,
					     ch->to_state ? ch->to_state : "");
		}
	}
	md_more(w, d->referral_total - d->referral_count);
}

static void md_section(struct digest_writer *w, const struct digest_report *d,
		       enum digest_indicator_section s)
{
	const struct digest_top *top = &d->sections[s];

	digest_write(w, "\n## %s\n\n", digest_section_title(s));
	if (top->total == 0) {
		digest_write(w, "None.\n");
		return;
	}
	if (s == DIGEST_SECTION_SEEN_AGAIN)
		digest_write(w, "| type | value | score | silent since |\n|---|---|---:|---|\n");
	else if (s == DIGEST_SECTION_MANY_ORGS)
		digest_write(w, "| type | value | score | organisations |\n|---|---|---:|---:|\n");
	else
		digest_write(w, "| type | value | score |\n|---|---|---:|\n");
	for (size_t i = 0; i < top->count; i++) {
		const struct digest_item *item = &top->items[i];

		digest_write(w, "| %s | ", ioc_type_name(item->type));
		md_code(w, item->value);
		digest_write(w, " | %.0f |", item->score);
		if (s == DIGEST_SECTION_SEEN_AGAIN) {
			digest_write(w, " ");
			digest_write_time(w, item->previous);
			digest_write(w, " |");
		} else if (s == DIGEST_SECTION_MANY_ORGS) {
			digest_write(w, " %d |", item->organisations);
		}
		digest_write(w, "\n");
	}
	md_more(w, digest_top_more(top));
}

static void md_rules_and_vulns(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\n## New hunting rules\n\n");
	if (d->rules.total == 0)
		digest_write(w, "None.\n");
	for (size_t i = 0; i < d->rules.count; i++) {
		digest_write(w, "- %s: ", rule_type_label(&d->rules.items[i]));
		md_text(w, d->rules.items[i].title);
		digest_write(w, "\n");
	}
	md_more(w, (size_t)d->rules.total - d->rules.count);

	digest_write(w, "\n## Vulnerable organisations by country and sector\n\n");
	if (d->vulnerable.count == 0) {
		digest_write(w, "None.\n");
		return;
	}
	digest_write(w, "| country | sector | organisations | reports | CVEs |\n"
			"|---|---|---:|---:|---|\n");
	for (size_t i = 0; i < digest_vulnerable_shown(d); i++) {
		const struct store_digest_vuln_group *g = &d->vulnerable.items[i];

		digest_write(w, "| ");
		md_text(w, g->country);
		digest_write(w, " | ");
		md_text(w, sector_label(g->sector));
		digest_write(w, " | %lld | %lld | ", (long long)g->organisations, (long long)g->reports);
		md_text(w, g->cves);
		digest_write(w, " |\n");
	}
	md_more(w, d->vulnerable.count - digest_vulnerable_shown(d));
}

static void md_tactics(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "\n## ATT&CK tactics, this period against the previous one\n\n");
	if (!any_tactic(d)) {
		digest_write(w, "None.\n");
		return;
	}
	digest_write(w, "| tactic | previous | this | change |\n|---|---:|---:|---:|\n");
	for (size_t i = 0; i < attack_tactic_count; i++) {
		const struct digest_tactic_count *c = &d->tactics[i];

		if (!c->current && !c->previous)
			continue;
		digest_write(w, "| %s (%s) | %lld | %lld | %+lld |\n", attack_tactics[i].name,
			     attack_tactics[i].id, (long long)c->previous, (long long)c->current,
			     (long long)(c->current - c->previous));
	}
}

enum ch_code digest2_render_markdown(const struct digest_report *d, struct buf *out)
{
	struct digest_writer w = { out, CH_OK };

	digest_write(&w, "# ctihub digest for %s\n\n", d->req.audience.key);
	digest_write_time(&w, d->req.since);
	digest_write(&w, " to ");
	digest_write_time(&w, d->req.until);
	digest_write(&w, ", reports up to TLP:%s\n\n", tlp_name(d->report_tlp_max));
	digest_write(&w, "**%lld reports, %lld new indicators, %lld left out**\n",
		     (long long)d->reports, (long long)d->new_indicators, (long long)left_out(d));
	if (d->has_referrals)
		md_referrals(&w, d);
	for (int s = DIGEST_SECTION_IOCS; s <= DIGEST_SECTION_DARKNET; s++)
		md_section(&w, d, (enum digest_indicator_section)s);
	md_rules_and_vulns(&w, d);
	md_tactics(&w, d);
	md_section(&w, d, DIGEST_SECTION_SEEN_AGAIN);
	md_section(&w, d, DIGEST_SECTION_MANY_ORGS);
	digest_write(&w, "\n## Left out\n\n| reason | indicators |\n|---|---:|\n");
	digest_write(&w, "| on a warning list | %lld |\n", (long long)d->left_warnlisted);
	digest_write(&w, "| other warnings (private, reserved) | %lld |\n",
		     (long long)d->left_warned);
	digest_write(&w, "| below the score threshold | %lld |\n",
		     (long long)d->left_below_threshold);
	return w.rc;
}
