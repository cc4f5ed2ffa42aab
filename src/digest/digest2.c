/*
 * Audience digests: parsing audiences and formats, the render dispatch,
 * the subject line and the record of digest runs. Building is in
 * digest2_build.c, the renderers in digest2_render.c, digest2_html.c and
 * digest2_json.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest/digest2_internal.h"
#include "util/timeutil.h"

enum ch_code digest_audience_parse(const char *text, struct digest_audience *out,
				   struct ch_error *err)
{
	struct digest_audience a;
	const char *name;
	size_t len;

	memset(&a, 0, sizeof(a));
	if (strcasecmp(text, "le") == 0) {
		a.kind = DIGEST_AUDIENCE_LE;
		snprintf(a.key, sizeof(a.key), "le");
	} else if (strcasecmp(text, "member") == 0) {
		a.kind = DIGEST_AUDIENCE_MEMBER;
		snprintf(a.key, sizeof(a.key), "member");
	} else if (strncasecmp(text, "org:", 4) == 0) {
		name = text + 4;
		len = strlen(name);
		if (len == 0 || len >= sizeof(a.org) || isspace((unsigned char)name[0]) ||
		    isspace((unsigned char)name[len - 1]))
			return ch_fail(err, CH_USAGE, "invalid audience '%.80s': the organisation "
						      "name after org: must be 1 to %zu characters "
						      "without spaces at either end",
				       text, sizeof(a.org) - 1);
		a.kind = DIGEST_AUDIENCE_ORG;
		memcpy(a.org, name, len + 1);
		/* Organisation names are case-insensitive, so the key that
		 * digest_runs stores is lower-cased. */
		snprintf(a.key, sizeof(a.key), "org:%s", name);
		for (char *c = a.key + 4; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	} else {
		return ch_fail(err, CH_USAGE, "invalid audience '%.80s': use le, member or org:NAME",
			       text);
	}
	*out = a;
	return CH_OK;
}

enum ch_code digest_audience_resolve(struct store *st, struct digest_audience *a,
				     struct ch_error *err)
{
	int64_t id;
	enum ch_code rc;

	if (a->kind != DIGEST_AUDIENCE_ORG) {
		a->org_id = 0;
		return CH_OK;
	}
	rc = store_org_find(st, a->org, &id, err);
	if (rc == CH_NOT_FOUND)
		return ch_fail(err, CH_INVALID, "organisation '%s' of audience %s not found; list "
						"them with 'ctihub user list'",
			       a->org, a->key);
	if (rc != CH_OK)
		return rc;
	a->org_id = id;
	return CH_OK;
}

enum ch_code digest2_format_parse(const char *name, enum digest2_format *out,
				  struct ch_error *err)
{
	if (strcasecmp(name, "text") == 0)
		*out = DIGEST2_TEXT;
	else if (strcasecmp(name, "md") == 0 || strcasecmp(name, "markdown") == 0)
		*out = DIGEST2_MARKDOWN;
	else if (strcasecmp(name, "html") == 0)
		*out = DIGEST2_HTML;
	else if (strcasecmp(name, "json") == 0)
		*out = DIGEST2_JSON;
	else
		return ch_fail(err, CH_USAGE, "invalid digest format '%.40s': use text, md, html or "
					      "json",
			       name);
	return CH_OK;
}

enum ch_code digest2_render(const struct digest_report *d, enum digest2_format format,
			    struct buf *out, struct ch_error *err)
{
	enum ch_code rc;

	switch (format) {
	case DIGEST2_MARKDOWN:
		rc = digest2_render_markdown(d, out);
		break;
	case DIGEST2_HTML:
		rc = digest2_render_html(d, out);
		break;
	case DIGEST2_JSON:
		return digest2_render_json(d, out, err);
	default:
		rc = digest2_render_text(d, out);
		break;
	}
	if (rc == CH_TOO_LARGE)
		return ch_fail(err, rc, "the digest is longer than the %zu bytes allowed; lower "
					"--max-items",
			       out->max);
	if (rc != CH_OK)
		return ch_fail(err, rc, "rendering the digest failed");
	return CH_OK;
}

void digest2_subject(const struct digest_report *d, const char *name, char *out, size_t cap)
{
	char day[TIME_ISO_MAX];

	/* The period ends just before until, so a daily digest up to midnight
	 * carries the date of the day it covers. */
	time_format_iso(d->req.until > d->req.since ? d->req.until - 1 : d->req.until, day,
			sizeof(day));
	day[10] = '\0';
	if (name && *name)
		snprintf(out, cap, "ctihub %s digest for %s, %s", name, d->req.audience.key, day);
	else
		snprintf(out, cap, "ctihub digest for %s, %s", d->req.audience.key, day);
}

static void free_top(struct digest_top *top)
{
	for (size_t i = 0; i < top->count; i++)
		free(top->items[i].value);
	free(top->items);
}

static void free_referral(struct digest_referral *r)
{
	free(r->summary);
	free(r->incident_type);
	free(r->org);
	free(r->state);
	for (size_t i = 0; i < r->change_count; i++) {
		free(r->changes[i].action);
		free(r->changes[i].from_state);
		free(r->changes[i].to_state);
	}
	free(r->changes);
}

void digest2_free(struct digest_report *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < DIGEST_SECTION_COUNT; i++)
		free_top(&d->sections[i]);
	for (size_t i = 0; i < d->referral_count; i++)
		free_referral(&d->referrals[i]);
	free(d->referrals);
	store_digest_rule_list_free(&d->rules);
	store_digest_vuln_list_free(&d->vulnerable);
	free(d->tactics);
	free(d);
}

enum ch_code digest_last_run(struct store *st, const char *name, const char *audience,
			     int64_t *period_end, struct ch_error *err)
{
	return store_digest_last_run(st, name, audience, period_end, err);
}

enum ch_code digest_record_run(struct store *st, const char *name, const char *audience,
			       int64_t period_start, int64_t period_end, int64_t now, bool *fresh,
			       struct ch_error *err)
{
	return store_digest_record_run(st, name, audience, period_start, period_end, now, fresh,
				       err);
}
