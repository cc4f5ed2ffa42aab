/*
 * Private to the audience digest files: the built digest that the
 * renderers read. digest2_build.c fills it, digest2_render.c (text and
 * Markdown), digest2_html.c and digest2_json.c write it out.
 *
 * Every string is owned by the digest and freed by digest2_free. Every
 * list holds at most max_items entries and counts the rest in "more".
 */
#ifndef CTIHUB_DIGEST_DIGEST2_INTERNAL_H
#define CTIHUB_DIGEST_DIGEST2_INTERNAL_H

#include "digest/digest2.h"

#define DIGEST_MAX_ITEMS_DEFAULT 10

/* An indicator heard of again after this long without a report in scope
 * is a notable change. */
#define DIGEST_SILENCE_SECONDS ((int64_t)30 * 86400)

/* Organisations (or sources, for file ingests) from which an indicator
 * becomes a notable change. */
#define DIGEST_MANY_ORGANISATIONS 3

/* The indicator sections, in the order they are shown. */
enum digest_indicator_section {
	DIGEST_SECTION_IOCS = 0,
	DIGEST_SECTION_DISINFO,
	DIGEST_SECTION_DARKNET,
	DIGEST_SECTION_SEEN_AGAIN,
	DIGEST_SECTION_MANY_ORGS,
	DIGEST_SECTION_COUNT
};

struct digest_item {
	enum ioc_type type;
	char *value;
	double score;
	int organisations;
	int64_t first_seen;      /* earliest report in scope */
	int64_t seen;            /* earliest report in scope in the period */
	int64_t previous;        /* latest report in scope before the period, or 0 */
};

/* The best entries of one section, best first, and how many did not fit. */
struct digest_top {
	struct digest_item *items;
	size_t count;
	size_t total;
};

struct digest_change {
	int64_t time;
	char *action;
	char *from_state;        /* NULL for the creation */
	char *to_state;
};

struct digest_referral {
	char ref[32];
	enum tlp_level tlp;
	bool reduced;            /* above tlp_max: only ref and TLP are shown */
	bool opened;             /* created in the period */
	char *summary;
	char *incident_type;
	char *org;
	char *state;
	struct digest_change *changes;
	size_t change_count;
};

struct digest_tactic_count {
	int64_t current;
	int64_t previous;
};

struct digest_report {
	struct digest_request req;   /* scoring is not kept; tlp_max at most AMBER+STRICT */
	/* The most restrictive report TLP in the digest: tlp_max, and AMBER
	 * for an audience without an organisation. Referrals follow tlp_max. */
	enum tlp_level report_tlp_max;
	size_t max_items;
	struct score_config scoring;

	int64_t reports;             /* reports in scope in the period */
	int64_t new_indicators;      /* new in the period, left out ones included */

	bool has_referrals;          /* the audience reads the referral queue */
	struct digest_referral *referrals;
	size_t referral_count;       /* listed */
	size_t referral_total;

	struct digest_top sections[DIGEST_SECTION_COUNT];
	struct store_digest_rule_list rules;
	struct store_digest_vuln_list vulnerable; /* every group; renderers cut it */

	struct digest_tactic_count *tactics; /* attack_tactic_count entries */

	/* Indicators kept out of every section, counted once each. */
	int64_t left_warnlisted;     /* on a MISP warning list */
	int64_t left_warned;         /* other warnings: private, reserved, ... */
	int64_t left_below_threshold;
};

/* Appends to a buffer and keeps the first error, so a renderer checks
 * once at the end. */
struct digest_writer {
	struct buf *out;
	enum ch_code rc;
};

void digest_write(struct digest_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends text with control characters (newlines included) as spaces,
 * so a title cannot start a line of its own. */
void digest_write_plain(struct digest_writer *w, const char *text);
/* Appends an ISO 8601 time. */
void digest_write_time(struct digest_writer *w, int64_t t);

/* Titles of the sections, shared by the text, Markdown and HTML output. */
const char *digest_section_title(enum digest_indicator_section section);

const char *digest_section_name(enum digest_indicator_section section);
/* "+N more" lines are shown when more is not zero. */
size_t digest_top_more(const struct digest_top *top);
size_t digest_vulnerable_shown(const struct digest_report *d);

enum ch_code digest2_render_text(const struct digest_report *d, struct buf *out);
enum ch_code digest2_render_markdown(const struct digest_report *d, struct buf *out);
enum ch_code digest2_render_html(const struct digest_report *d, struct buf *out);
enum ch_code digest2_render_json(const struct digest_report *d, struct buf *out,
				 struct ch_error *err);

#endif
