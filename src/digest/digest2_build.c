/*
 * Building an audience digest from the store. Each section is one store
 * query over the reports in the audience's scope; the indicator sections
 * share one grouped pass, from which each indicator goes to the sections
 * it belongs in. A section keeps only its best max_items entries while
 * the pass runs, so memory stays bounded by the sections, not by the
 * number of indicators in the period.
 */
#include <stdlib.h>
#include <string.h>

#include "digest/digest2_internal.h"
#include "model/attack.h"
#include "util/alloc.h"

#define DIGEST_MAX_ITEMS_MAX 1000

/* The categories whose new indicators have a section. Indicators that
 * only vulnerability reports or hunting rules carry are not listed: a
 * vulnerability report's address is the victim's. */
#define LISTED_CATEGORIES                                                          \
	((1u << STORE_DIGEST_IOCS) | (1u << STORE_DIGEST_DISINFO) |                \
	 (1u << STORE_DIGEST_DARKNET))

static const enum store_digest_category section_category[] = {
	[DIGEST_SECTION_IOCS] = STORE_DIGEST_IOCS,
	[DIGEST_SECTION_DISINFO] = STORE_DIGEST_DISINFO,
	[DIGEST_SECTION_DARKNET] = STORE_DIGEST_DARKNET,
};

const char *digest_section_name(enum digest_indicator_section section)
{
	static const char *const names[DIGEST_SECTION_COUNT] = {
		[DIGEST_SECTION_IOCS] = "iocs",
		[DIGEST_SECTION_DISINFO] = "disinfo",
		[DIGEST_SECTION_DARKNET] = "darknet",
		[DIGEST_SECTION_SEEN_AGAIN] = "seen_again",
		[DIGEST_SECTION_MANY_ORGS] = "many_organisations",
	};

	return (unsigned)section < DIGEST_SECTION_COUNT ? names[section] : "unknown";
}

const char *digest_section_title(enum digest_indicator_section section)
{
	static const char *const titles[DIGEST_SECTION_COUNT] = {
		[DIGEST_SECTION_IOCS] = "New IoCs",
		[DIGEST_SECTION_DISINFO] = "New disinformation indicators",
		[DIGEST_SECTION_DARKNET] = "New darknet indicators",
		[DIGEST_SECTION_SEEN_AGAIN] = "Seen again after a long silence",
		[DIGEST_SECTION_MANY_ORGS] = "Now reported by three or more organisations",
	};

	return (unsigned)section < DIGEST_SECTION_COUNT ? titles[section] : "Indicators";
}

size_t digest_top_more(const struct digest_top *top)
{
	return top->total - top->count;
}

size_t digest_vulnerable_shown(const struct digest_report *d)
{
	return d->vulnerable.count < d->max_items ? d->vulnerable.count : d->max_items;
}

/* Best first: higher score, then value and type, so equal scores keep a
 * stable order. */
static int compare_items(const struct digest_item *a, const struct digest_item *b)
{
	int c;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	c = strcmp(a->value, b->value);
	if (c != 0)
		return c;
	return (int)a->type - (int)b->type;
}

/* Offers an item to a section that keeps its best max entries. The value
 * is copied only when the item is kept. */
static void top_offer(struct digest_top *top, size_t max, const struct digest_item *item,
		      const char *value)
{
	struct digest_item candidate = *item;
	size_t at;

	top->total++;
	candidate.value = (char *)value;
	if (top->count == max && compare_items(&candidate, &top->items[max - 1]) >= 0)
		return;

	at = top->count;
	while (at > 0 && compare_items(&candidate, &top->items[at - 1]) < 0)
		at--;
	if (top->count == max) {
		free(top->items[max - 1].value);
		top->count--;
	}
	memmove(&top->items[at + 1], &top->items[at], (top->count - at) * sizeof(*top->items));
	candidate.value = xstrdup(value);
	top->items[at] = candidate;
	top->count++;
}

static double score_indicator(const struct digest_report *d,
			      const struct store_digest_indicator *ind)
{
	struct score_facts facts = { 0 };
	struct score_breakdown breakdown;

	facts.type = ind->type;
	facts.first_seen = ind->first_seen;
	facts.last_seen = ind->last_seen;
	facts.times_seen = ind->times_seen;
	facts.organisations = ind->organisations;
	facts.confidence = ind->confidence;
	facts.warnings = ind->warnings;
	facts.warnlisted = ind->warnlisted;
	facts.referrals = ind->referrals;
	facts.attack_reports = ind->attack_reports;
	return score_compute(&d->scoring, &facts, d->req.until, &breakdown);
}

/* Sorts one indicator of the period into the sections, or into the
 * left-out counts. */
static enum ch_code indicator_cb(void *ctx, const struct store_digest_indicator *ind,
				 struct ch_error *err)
{
	struct digest_report *d = ctx;
	struct digest_item item = { 0 };
	bool is_new = !ind->has_previous;
	bool seen_again, many;

	(void)err;
	if (!(ind->categories & LISTED_CATEGORIES))
		return CH_OK;
	seen_again = ind->has_previous &&
		     ind->first_in_period - ind->previous >= DIGEST_SILENCE_SECONDS;
	many = ind->organisations >= DIGEST_MANY_ORGANISATIONS &&
	       ind->organisations_before < DIGEST_MANY_ORGANISATIONS;
	if (is_new)
		d->new_indicators++;
	if (!is_new && !seen_again && !many)
		return CH_OK;

	if (ind->warnlisted) {
		d->left_warnlisted++;
		return CH_OK;
	}
	if (ind->warnings) {
		d->left_warned++;
		return CH_OK;
	}
	item.type = ind->type;
	item.score = score_indicator(d, ind);
	if (item.score < d->scoring.threshold) {
		d->left_below_threshold++;
		return CH_OK;
	}
	item.organisations = ind->organisations;
	item.first_seen = ind->first_seen;
	item.seen = ind->first_in_period;
	item.previous = ind->previous;

	for (int s = DIGEST_SECTION_IOCS; is_new && s <= DIGEST_SECTION_DARKNET; s++) {
		if (ind->categories & (1u << section_category[s]))
			top_offer(&d->sections[s], d->max_items, &item, ind->value);
	}
	if (seen_again)
		top_offer(&d->sections[DIGEST_SECTION_SEEN_AGAIN], d->max_items, &item, ind->value);
	if (many)
		top_offer(&d->sections[DIGEST_SECTION_MANY_ORGS], d->max_items, &item, ind->value);
	return CH_OK;
}

/* Counts one report's tactics once each, whether named as the attack
 * report's tactic or through its techniques. */
static enum ch_code tactics_cb(void *ctx, bool current, const char *tactics, struct ch_error *err)
{
	struct digest_report *d = ctx;
	uint32_t seen = 0;
	char name[64];

	(void)err;
	while (*tactics) {
		size_t len = strcspn(tactics, ",");

		if (len > 0 && len < sizeof(name)) {
			const struct attack_tactic *t;

			memcpy(name, tactics, len);
			name[len] = '\0';
			t = attack_tactic_find(name);
			if (t)
				seen |= 1u << (t - attack_tactics);
		}
		tactics += len;
		if (*tactics == ',')
			tactics++;
	}
	for (size_t i = 0; i < attack_tactic_count; i++) {
		if (!(seen & (1u << i)))
			continue;
		if (current)
			d->tactics[i].current++;
		else
			d->tactics[i].previous++;
	}
	return CH_OK;
}

static void copy_change(struct digest_referral *r, const struct store_digest_referral_event *e)
{
	struct digest_change *c;

	r->changes = xreallocarray(r->changes, r->change_count + 1, sizeof(*r->changes));
	c = &r->changes[r->change_count++];
	c->time = e->time;
	c->action = xstrdup(e->action ? e->action : "");
	c->from_state = e->from_state ? xstrdup(e->from_state) : NULL;
	c->to_state = e->to_state ? xstrdup(e->to_state) : NULL;
}

/* Groups the period's referral events by referral. A referral above the
 * ceiling keeps only its number and TLP. */
static void group_referrals(struct digest_report *d, const struct store_digest_referral_list *list)
{
	int64_t current = 0;
	struct digest_referral *r = NULL;

	d->referrals = xcalloc(d->max_items, sizeof(*d->referrals));
	for (size_t i = 0; i < list->count; i++) {
		const struct store_digest_referral_event *e = &list->items[i];

		if (i == 0 || e->referral_id != current) {
			current = e->referral_id;
			d->referral_total++;
			r = NULL;
			if (d->referral_count == d->max_items)
				continue;
			r = &d->referrals[d->referral_count++];
			memcpy(r->ref, e->ref, sizeof(r->ref));
			r->tlp = e->tlp;
			r->reduced = e->tlp > d->req.tlp_max;
			r->opened = e->created >= d->req.since && e->created < d->req.until;
			if (r->reduced)
				continue;
			r->summary = xstrdup(e->summary ? e->summary : "");
			r->incident_type = xstrdup(e->incident_type ? e->incident_type : "");
			r->org = xstrdup(e->org ? e->org : "");
			r->state = xstrdup(e->state ? e->state : "");
		}
		if (r && !r->reduced)
			copy_change(r, e);
	}
}

static enum ch_code check_request(const struct digest_request *req, struct ch_error *err)
{
	if (req->until <= req->since)
		return ch_fail(err, CH_INVALID, "the digest period is empty: its end must come after "
						"its start");
	if (req->max_items > DIGEST_MAX_ITEMS_MAX)
		return ch_fail(err, CH_INVALID, "max_items %zu is more than the %d allowed",
			       req->max_items, DIGEST_MAX_ITEMS_MAX);
	if (req->audience.kind == DIGEST_AUDIENCE_ORG && req->audience.org_id <= 0)
		return ch_fail(err, CH_INVALID, "audience %s is not resolved; call "
						"digest_audience_resolve first",
			       req->audience.key);
	return CH_OK;
}

static void init_report(struct digest_report *d, const struct digest_request *req)
{
	d->req = *req;
	d->req.scoring = NULL;
	if (d->req.tlp_max > TLP_AMBER_STRICT)
		d->req.tlp_max = TLP_AMBER_STRICT;
	d->report_tlp_max = d->req.tlp_max;
	if (req->audience.kind != DIGEST_AUDIENCE_ORG && d->report_tlp_max > TLP_AMBER)
		d->report_tlp_max = TLP_AMBER;
	d->max_items = req->max_items ? req->max_items : DIGEST_MAX_ITEMS_DEFAULT;
	if (req->scoring)
		d->scoring = *req->scoring;
	else
		score_config_default(&d->scoring);
	d->has_referrals = req->audience.kind == DIGEST_AUDIENCE_LE;
	d->tactics = xcalloc(attack_tactic_count, sizeof(*d->tactics));
	for (size_t s = 0; s < DIGEST_SECTION_COUNT; s++)
		d->sections[s].items = xcalloc(d->max_items, sizeof(*d->sections[s].items));
}

enum ch_code digest2_build(struct store *st, const struct digest_request *req,
			   struct digest_report **out, struct ch_error *err)
{
	struct store_digest_referral_list events = { 0 };
	struct store_digest_scope scope = { 0 };
	struct digest_report *d;
	enum ch_code rc;

	rc = check_request(req, err);
	if (rc != CH_OK)
		return rc;
	d = xcalloc(1, sizeof(*d));
	init_report(d, req);

	scope.org_id = req->audience.kind == DIGEST_AUDIENCE_ORG ? req->audience.org_id : 0;
	scope.tlp_max = d->report_tlp_max;
	scope.referrals = d->has_referrals;
	scope.since = req->since;
	scope.until = req->until;

	rc = store_digest_report_count(st, &scope, &d->reports, err);
	if (rc == CH_OK)
		rc = store_digest_indicators(st, &scope, indicator_cb, d, err);
	if (rc == CH_OK)
		rc = store_digest_tactics(st, &scope, tactics_cb, d, err);
	if (rc == CH_OK)
		rc = store_digest_rules(st, &scope, d->max_items, &d->rules, err);
	if (rc == CH_OK)
		rc = store_digest_vulnerable(st, &scope, &d->vulnerable, err);
	if (rc == CH_OK && d->has_referrals)
		rc = store_digest_referrals(st, req->since, req->until, &events, err);
	if (rc == CH_OK && d->has_referrals)
		group_referrals(d, &events);
	store_digest_referral_list_free(&events);
	if (rc != CH_OK) {
		digest2_free(d);
		return rc;
	}
	*out = d;
	return CH_OK;
}
