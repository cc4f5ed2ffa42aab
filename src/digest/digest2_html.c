/*
 * The audience digest as one self-contained HTML document for e-mail and
 * browsers: inline CSS, no scripts, no external resources, every text
 * escaped, and the ATT&CK tactic counts as an inline SVG bar chart with
 * this period's bar beside the previous period's.
 */
#include <string.h>

#include "digest/digest2_internal.h"
#include "model/attack.h"

/* Chart geometry, in SVG user units (pixels at 100%). */
#define CHART_LABEL_WIDTH 230
#define CHART_BAR_MAX 300
#define CHART_ROW_HEIGHT 30
#define CHART_BAR_HEIGHT 11
#define CHART_TOP 30

static const char style[] =
	"body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:60em;margin:1em auto;"
	"padding:0 1em}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;"
	"text-align:left;vertical-align:top}td.n,th.n{text-align:right}"
	"code{font-family:Menlo,Consolas,monospace;word-break:break-all}"
	".more,.none{color:#666}.tlp{font-weight:bold}";

/* Escapes text for HTML element content and attribute values. */
static void html_text(struct digest_writer *w, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c && w->rc == CH_OK; c++) {
		switch (*c) {
		case '&': digest_write(w, "&amp;"); break;
		case '<': digest_write(w, "&lt;"); break;
		case '>': digest_write(w, "&gt;"); break;
		case '"': digest_write(w, "&quot;"); break;
		case '\'': digest_write(w, "&#39;"); break;
		default:
			w->rc = buf_append_char(w->out, *c < 0x20 || *c == 0x7f ? ' ' : (char)*c);
			break;
		}
	}
}

static void html_more(struct digest_writer *w, size_t more)
{
	if (more > 0)
		digest_write(w, "<p class=\"more\">+%zu more</p>\n", more);
}

static void html_none(struct digest_writer *w)
{
	digest_write(w, "<p class=\"none\">None.</p>\n");
}

static void html_referrals(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "<h2>Referrals</h2>\n");
	if (d->referral_total == 0)
		html_none(w);
	if (d->referral_count > 0)
		digest_write(w, "<ul>\n");
	for (size_t i = 0; i < d->referral_count; i++) {
		const struct digest_referral *r = &d->referrals[i];

		if (r->reduced) {
			digest_write(w, "<li><strong>%s</strong> (TLP:%s, open it in ctihub)</li>\n",
				     r->ref, tlp_name(r->tlp));
			continue;
		}
		digest_write(w, "<li><strong>%s</strong> <span class=\"tlp\">TLP:%s</span>, ", r->ref,
			     tlp_name(r->tlp));
		html_text(w, r->state);
		digest_write(w, ": ");
		html_text(w, r->summary);
		digest_write(w, " (");
		html_text(w, r->incident_type);
		digest_write(w, ", from ");
		html_text(w, r->org);
		digest_write(w, ")<ul>\n");
		for (size_t c = 0; c < r->change_count; c++) {
			const struct digest_change *ch = &r->changes[c];

			digest_write(w, "<li>");
			digest_write_time(w, ch->time);
			if (!ch->from_state) {
				digest_write(w, " opened</li>\n");
				continue;
			}
			digest_write(w, " ");
			html_text(w, ch->from_state);
			digest_write(w, " &rarr; ");
			html_text(w, ch->to_state ? ch->to_state : "");
			digest_write(w, "</li>\n");
		}
		digest_write(w, "</ul></li>\n");
	}
	if (d->referral_count > 0)
		digest_write(w, "</ul>\n");
	html_more(w, d->referral_total - d->referral_count);
}

static void html_section(struct digest_writer *w, const struct digest_report *d,
			 enum digest_indicator_section s)
{
	const struct digest_top *top = &d->sections[s];

	digest_write(w, "<h2>%s</h2>\n", digest_section_title(s));
	if (top->total == 0) {
		html_none(w);
		return;
	}
	digest_write(w, "<table><tr><th>type</th><th>value</th><th class=\"n\">score</th>");
	if (s == DIGEST_SECTION_SEEN_AGAIN)
		digest_write(w, "<th>silent since</th>");
	else if (s == DIGEST_SECTION_MANY_ORGS)
		digest_write(w, "<th class=\"n\">organisations</th>");
	digest_write(w, "</tr>\n");
	for (size_t i = 0; i < top->count; i++) {
		const struct digest_item *item = &top->items[i];

		digest_write(w, "<tr><td>%s</td><td><code>", ioc_type_name(item->type));
		html_text(w, item->value);
		digest_write(w, "</code></td><td class=\"n\">%.0f</td>", item->score);
		if (s == DIGEST_SECTION_SEEN_AGAIN) {
			digest_write(w, "<td>");
			digest_write_time(w, item->previous);
			digest_write(w, "</td>");
		} else if (s == DIGEST_SECTION_MANY_ORGS) {
			digest_write(w, "<td class=\"n\">%d</td>", item->organisations);
		}
		digest_write(w, "</tr>\n");
	}
	digest_write(w, "</table>\n");
	html_more(w, digest_top_more(top));
}

static void html_rules(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "<h2>New hunting rules</h2>\n");
	if (d->rules.total == 0) {
		html_none(w);
		return;
	}
	digest_write(w, "<ul>\n");
	for (size_t i = 0; i < d->rules.count; i++) {
		const struct store_digest_rule *r = &d->rules.items[i];

		digest_write(w, "<li>");
		html_text(w, r->rule_type ? r->rule_type : "chat");
		digest_write(w, ": ");
		html_text(w, r->title);
		digest_write(w, "</li>\n");
	}
	digest_write(w, "</ul>\n");
	html_more(w, (size_t)d->rules.total - d->rules.count);
}

static void html_vulnerable(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "<h2>Vulnerable organisations by country and sector</h2>\n");
	if (d->vulnerable.count == 0) {
		html_none(w);
		return;
	}
	digest_write(w, "<table><tr><th>country</th><th>sector</th><th class=\"n\">organisations"
			"</th><th class=\"n\">reports</th><th>CVEs</th></tr>\n");
	for (size_t i = 0; i < digest_vulnerable_shown(d); i++) {
		const struct store_digest_vuln_group *g = &d->vulnerable.items[i];

		digest_write(w, "<tr><td>");
		html_text(w, g->country);
		digest_write(w, "</td><td>");
		html_text(w, g->sector && *g->sector ? g->sector : "no sector");
		digest_write(w, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
			     (long long)g->organisations, (long long)g->reports);
		html_text(w, g->cves);
		digest_write(w, "</td></tr>\n");
	}
	digest_write(w, "</table>\n");
	html_more(w, d->vulnerable.count - digest_vulnerable_shown(d));
}

/* One row of the chart: the tactic's label, the previous period's bar in
 * grey and this period's in blue, each with its count. */
static void chart_row(struct digest_writer *w, size_t tactic, const struct digest_tactic_count *c,
		      int64_t largest, int y)
{
	int64_t values[2] = { c->previous, c->current };
	static const char *const fills[2] = { "#9aa5b1", "#1f6feb" };

	digest_write(w, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_LABEL_WIDTH - 8,
		     y + CHART_BAR_HEIGHT + 4);
	html_text(w, attack_tactics[tactic].name);
	digest_write(w, "</text>\n");
	for (int b = 0; b < 2; b++) {
		int width = (int)(values[b] * CHART_BAR_MAX / largest);
		int top = y + b * (CHART_BAR_HEIGHT + 1);

		digest_write(w, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
				"<text x=\"%d\" y=\"%d\" font-size=\"10\">%lld</text>\n",
			     CHART_LABEL_WIDTH, top, width, CHART_BAR_HEIGHT, fills[b],
			     CHART_LABEL_WIDTH + width + 4, top + CHART_BAR_HEIGHT - 1,
			     (long long)values[b]);
	}
}

static void html_tactics(struct digest_writer *w, const struct digest_report *d)
{
	int64_t largest = 0;
	size_t rows = 0;
	int y = CHART_TOP;

	digest_write(w, "<h2>ATT&amp;CK tactics, this period against the previous one</h2>\n");
	for (size_t i = 0; i < attack_tactic_count; i++) {
		const struct digest_tactic_count *c = &d->tactics[i];

		if (c->current || c->previous)
			rows++;
		if (c->current > largest)
			largest = c->current;
		if (c->previous > largest)
			largest = c->previous;
	}
	if (rows == 0) {
		html_none(w);
		return;
	}
	digest_write(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			"font-family=\"Helvetica,Arial,sans-serif\" font-size=\"12\" role=\"img\" "
			"aria-label=\"ATT&amp;CK tactic counts, previous period in grey, this "
			"period in blue\">\n",
		     CHART_LABEL_WIDTH + CHART_BAR_MAX + 60, CHART_TOP + (int)rows * CHART_ROW_HEIGHT);
	digest_write(w, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"#9aa5b1\"/>"
			"<text x=\"%d\" y=\"13\">previous period</text>"
			"<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"#1f6feb\"/>"
			"<text x=\"%d\" y=\"13\">this period</text>\n",
		     CHART_LABEL_WIDTH, CHART_LABEL_WIDTH + 14, CHART_LABEL_WIDTH + 130,
		     CHART_LABEL_WIDTH + 144);
	for (size_t i = 0; i < attack_tactic_count; i++) {
		if (!d->tactics[i].current && !d->tactics[i].previous)
			continue;
		chart_row(w, i, &d->tactics[i], largest, y);
		y += CHART_ROW_HEIGHT;
	}
	digest_write(w, "</svg>\n");
}

static void html_left_out(struct digest_writer *w, const struct digest_report *d)
{
	digest_write(w, "<h2>Left out</h2>\n<table><tr><th>reason</th><th class=\"n\">indicators"
			"</th></tr>\n");
	digest_write(w, "<tr><td>on a warning list</td><td class=\"n\">%lld</td></tr>\n",
		     (long long)d->left_warnlisted);
	digest_write(w, "<tr><td>other warnings (private, reserved)</td><td class=\"n\">%lld</td>"
			"</tr>\n",
		     (long long)d->left_warned);
	digest_write(w, "<tr><td>below the score threshold</td><td class=\"n\">%lld</td></tr>\n",
		     (long long)d->left_below_threshold);
	digest_write(w, "</table>\n");
}

enum ch_code digest2_render_html(const struct digest_report *d, struct buf *out)
{
	struct digest_writer w = { out, CH_OK };

	digest_write(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<title>ctihub digest for ");
	html_text(&w, d->req.audience.key);
	digest_write(&w, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>ctihub digest for ",
		     style);
	html_text(&w, d->req.audience.key);
	digest_write(&w, "</h1>\n<p>");
	digest_write_time(&w, d->req.since);
	digest_write(&w, " to ");
	digest_write_time(&w, d->req.until);
	digest_write(&w, ", reports up to TLP:%s</p>\n", tlp_name(d->report_tlp_max));
	digest_write(&w, "<p><strong>%lld reports, %lld new indicators, %lld left out</strong></p>\n",
		     (long long)d->reports, (long long)d->new_indicators,
		     (long long)(d->left_warnlisted + d->left_warned + d->left_below_threshold));
	if (d->has_referrals)
		html_referrals(&w, d);
	for (int s = DIGEST_SECTION_IOCS; s <= DIGEST_SECTION_DARKNET; s++)
		html_section(&w, d, (enum digest_indicator_section)s);
	html_rules(&w, d);
	html_vulnerable(&w, d);
	html_tactics(&w, d);
	html_section(&w, d, DIGEST_SECTION_SEEN_AGAIN);
	html_section(&w, d, DIGEST_SECTION_MANY_ORGS);
	html_left_out(&w, d);
	digest_write(&w, "</body>\n</html>\n");
	return w.rc;
}
