/*
 * The score of one indicator: each factor turns a fact from the store into
 * an input from 0 to 1, its weight turns the input into points, and the
 * points add up to a score clamped to 0..100. The defaults and the shape of
 * each input are described in docs/scoring.md; keep the two in step.
 */
#include "score/score.h"

#include <math.h>
#include <string.h>

/* Times seen at which the sightings input reaches 1. */
#define SIGHTINGS_FULL 100.0

#define DAY (24 * 3600)

/* Warnings that make a value a poor indicator: it is on a MISP warning
 * list, or it is an address that cannot be an attacker's on the Internet.
 * host-bits only records that a CIDR was normalised, so it does not count. */
#define PENALISED_WARNINGS                                                              \
	(IOC_WARN_PRIVATE | IOC_WARN_LOOPBACK | IOC_WARN_LINK_LOCAL |                      \
	 IOC_WARN_DOCUMENTATION | IOC_WARN_RESERVED | IOC_WARN_MULTICAST |                 \
	 IOC_WARN_WARNINGLIST)

static const char *const factor_names[SCORE_FACTOR_COUNT] = {
	[SCORE_ORGANISATIONS] = "organisations",
	[SCORE_CONFIDENCE] = "confidence",
	[SCORE_SIGHTINGS] = "sightings",
	[SCORE_RECENCY] = "recency",
	[SCORE_WARNINGS] = "warnings",
	[SCORE_REFERRALS] = "referrals",
	[SCORE_ATTACK] = "attack",
};

const char *score_factor_name(enum score_factor f)
{
	if ((unsigned)f < SCORE_FACTOR_COUNT)
		return factor_names[f];
	return "unknown";
}

void score_config_default(struct score_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->w_organisations = 30;
	cfg->w_confidence = 20;
	cfg->w_sightings = 15;
	cfg->w_recency = 25;
	cfg->w_referrals = 5;
	cfg->w_attack = 5;
	cfg->warnlist_penalty = 50;
	cfg->threshold = 40;

	/* Addresses change hands within days and names within weeks. A file
	 * hash names the same file for good, and a vulnerability stays
	 * exploitable for a long time. */
	cfg->half_life[IOC_IPV4] = 7 * DAY;
	cfg->half_life[IOC_IPV6] = 7 * DAY;
	cfg->half_life[IOC_CIDR] = 7 * DAY;
	cfg->half_life[IOC_DOMAIN] = 30 * DAY;
	cfg->half_life[IOC_URL] = 30 * DAY;
	cfg->half_life[IOC_EMAIL] = 30 * DAY;
	cfg->half_life[IOC_MD5] = 180 * DAY;
	cfg->half_life[IOC_SHA1] = 180 * DAY;
	cfg->half_life[IOC_SHA256] = 180 * DAY;
	cfg->half_life[IOC_SHA512] = 180 * DAY;
	cfg->half_life[IOC_CVE] = 365 * DAY;
	cfg->half_life[IOC_ASN] = 90 * DAY;
}

bool score_penalised(const struct score_facts *facts)
{
	return facts->warnlisted || (facts->warnings & PENALISED_WARNINGS) != 0;
}

/* 1 - 0.5^n: the first organisation gives half the points and each
 * further one halves the distance to the full weight. */
static double organisations_input(int organisations)
{
	if (organisations <= 0)
		return 0;
	return 1.0 - pow(0.5, organisations);
}

/* ln(1 + n) / ln(1 + SIGHTINGS_FULL), so 1 sighting gives 0.15, 10 give
 * 0.52 and 100 or more give 1. */
static double sightings_input(int64_t times_seen)
{
	double input;

	if (times_seen <= 0)
		return 0;
	input = log1p((double)times_seen) / log1p(SIGHTINGS_FULL);
	return input > 1 ? 1 : input;
}

/* 0.5^(age / half-life): 1 when seen just now, 0.5 one half-life later.
 * A last_seen in the future (a clock that moved back) counts as now. */
static double recency_input(const struct score_config *cfg, const struct score_facts *facts,
			    int64_t now)
{
	int64_t half_life = 0;
	int64_t age = now - facts->last_seen;

	if ((unsigned)facts->type < IOC_TYPE_COUNT)
		half_life = cfg->half_life[facts->type];
	if (half_life <= 0)
		half_life = 30 * DAY;
	if (age < 0)
		age = 0;
	return pow(0.5, (double)age / (double)half_life);
}

static double clamp(double value, double low, double high)
{
	if (value < low)
		return low;
	if (value > high)
		return high;
	return value;
}

double score_compute(const struct score_config *cfg, const struct score_facts *facts, int64_t now,
		     struct score_breakdown *out)
{
	struct score_breakdown b;
	double weights[SCORE_FACTOR_COUNT];
	double total = 0;

	memset(&b, 0, sizeof(b));
	b.inputs[SCORE_ORGANISATIONS] = organisations_input(facts->organisations);
	b.inputs[SCORE_CONFIDENCE] = clamp(facts->confidence / 100.0, 0, 1);
	b.inputs[SCORE_SIGHTINGS] = sightings_input(facts->times_seen);
	b.inputs[SCORE_RECENCY] = recency_input(cfg, facts, now);
	b.inputs[SCORE_WARNINGS] = score_penalised(facts) ? 1 : 0;
	b.inputs[SCORE_REFERRALS] = facts->referrals > 0 ? 1 : 0;
	b.inputs[SCORE_ATTACK] = facts->attack_reports > 0 ? 1 : 0;

	weights[SCORE_ORGANISATIONS] = cfg->w_organisations;
	weights[SCORE_CONFIDENCE] = cfg->w_confidence;
	weights[SCORE_SIGHTINGS] = cfg->w_sightings;
	weights[SCORE_RECENCY] = cfg->w_recency;
	weights[SCORE_WARNINGS] = -cfg->warnlist_penalty;
	weights[SCORE_REFERRALS] = cfg->w_referrals;
	weights[SCORE_ATTACK] = cfg->w_attack;

	for (int f = 0; f < SCORE_FACTOR_COUNT; f++) {
		/* An input of 0 gives +0 points, never the -0 of a penalty times 0. */
		b.points[f] = b.inputs[f] == 0 ? 0 : weights[f] * b.inputs[f];
		total += b.points[f];
	}
	b.score = clamp(total, 0, 100);
	if (out)
		*out = b;
	return b.score;
}
