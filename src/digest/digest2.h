/*
 * Digests for an audience: what is new in a period, scored, de-noised and
 * limited to what the audience may read and the sink may carry.
 *
 * Sections, each cut at max_items with "+N more":
 *   - referrals opened and their state changes (LE audience only);
 *   - top-scored new indicators by category: IoCs, disinformation,
 *     darknet, hunting rules, and vulnerable organisations by country and
 *     sector;
 *   - ATT&CK tactic counts in the period against the period before it;
 *   - notable changes: indicators seen again after a long silence, and
 *     indicators reported by three or more organisations;
 *   - what was left out (on warning lists, below the score threshold), as
 *     counts.
 *
 * Audiences: "le" (LE officers: reads like an le user with the TLP rule,
 * plus the referral queue), "member" (any member: CLEAR, GREEN and AMBER
 * only), "org:NAME" (members of that organisation: adds its AMBER+STRICT
 * reports). RED is never in a digest. tlp_max cuts further, for a sink
 * that may carry less.
 */
#ifndef CTIHUB_DIGEST_DIGEST2_H
#define CTIHUB_DIGEST_DIGEST2_H

#include <stddef.h>
#include <stdint.h>

#include "policy/tlp.h"
#include "score/score.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

enum digest_audience_kind { DIGEST_AUDIENCE_LE = 0, DIGEST_AUDIENCE_MEMBER, DIGEST_AUDIENCE_ORG };

struct digest_audience {
	enum digest_audience_kind kind;
	char org[64];    /* DIGEST_AUDIENCE_ORG */
	int64_t org_id;  /* resolved by digest_audience_resolve */
	char key[80];    /* "le", "member" or "org:NAME", as digest_runs stores it */
};

/* Parses "le", "member" or "org:NAME". */
enum ch_code digest_audience_parse(const char *text, struct digest_audience *out,
				   struct ch_error *err);
/* Looks the organisation of an org audience up; CH_INVALID names it when
 * it does not exist. */
enum ch_code digest_audience_resolve(struct store *st, struct digest_audience *a,
				     struct ch_error *err);

enum digest2_format { DIGEST2_TEXT = 0, DIGEST2_MARKDOWN, DIGEST2_HTML, DIGEST2_JSON };
enum ch_code digest2_format_parse(const char *name, enum digest2_format *out,
				  struct ch_error *err);

struct digest_request {
	struct digest_audience audience;
	int64_t since;                  /* period start, inclusive */
	int64_t until;                  /* period end, exclusive */
	enum tlp_level tlp_max;         /* most restrictive TLP shown (at most AMBER+STRICT) */
	size_t max_items;               /* per section; 0 for the default (10) */
	const struct score_config *scoring;
};

struct digest_report; /* opaque, built by digest2_build */

enum ch_code digest2_build(struct store *st, const struct digest_request *req,
			   struct digest_report **out, struct ch_error *err);
/* Appends the digest in a format to out. */
enum ch_code digest2_render(const struct digest_report *d, enum digest2_format format,
			    struct buf *out, struct ch_error *err);
/* A one-line subject such as "ctihub daily digest for le, 2026-12-04". */
void digest2_subject(const struct digest_report *d, const char *name, char *out, size_t cap);
void digest2_free(struct digest_report *d);

/* The end of the last recorded digest called name for the audience, or 0. */
enum ch_code digest_last_run(struct store *st, const char *name, const char *audience,
			     int64_t *period_end, struct ch_error *err);
/* Records a digest; *fresh is false when this (name, audience,
 * period_end) was recorded before, which means "sent already". */
enum ch_code digest_record_run(struct store *st, const char *name, const char *audience,
			       int64_t period_start, int64_t period_end, int64_t now, bool *fresh,
			       struct ch_error *err);

#endif
