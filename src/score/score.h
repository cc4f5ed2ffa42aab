/*
 * Indicator scoring: one number from 0 to 100 that says how much an
 * indicator deserves attention, and the factors behind it, so that
 * digests and exports can show the best first and `ctihub explain` can say
 * why. The factors:
 *
 *   organisations  independent organisations that reported it (more is stronger)
 *   confidence     the highest confidence a reporter gave (0..100)
 *   sightings      times seen, on a logarithmic scale
 *   recency        decay since last seen, with a half-life per type
 *   warning lists  a strong penalty for a hit on a warning list or a reserved range
 *   referrals      a bonus when an LE referral names it
 *   attack         a bonus when an ATT&CK report names it
 *
 * The weights and half-lives come from the "scoring" section of the
 * configuration; score_config_default gives the built-in ones.
 */
#ifndef CTIHUB_SCORE_SCORE_H
#define CTIHUB_SCORE_SCORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"
#include "util/error.h"

struct score_config {
	double w_organisations;
	double w_confidence;
	double w_sightings;
	double w_recency;
	double w_referrals;
	double w_attack;
	double warnlist_penalty;      /* subtracted, in score points */
	int64_t half_life[IOC_TYPE_COUNT]; /* seconds, per type */
	double threshold;             /* digests and exports leave out lower scores */
};

void score_config_default(struct score_config *cfg);
/* Reads the "scoring" section of the configuration tree over the
 * defaults (root may be NULL). Errors name the key and its place. */
enum ch_code score_config_load(const json_t *root, struct score_config *cfg,
			       struct ch_error *err);

/* The facts about one indicator that scoring reads from the store. */
struct score_facts {
	enum ioc_type type;
	int64_t first_seen;
	int64_t last_seen;
	int64_t times_seen;
	int organisations;   /* distinct organisations (or sources, for file ingests) */
	int confidence;      /* highest, 0..100 */
	uint32_t warnings;   /* enum ioc_warning bits */
	bool warnlisted;     /* on a MISP warning list */
	int referrals;       /* LE referrals that name it */
	int attack_reports;  /* reports of kind attack that name it */
};

enum score_factor {
	SCORE_ORGANISATIONS = 0,
	SCORE_CONFIDENCE,
	SCORE_SIGHTINGS,
	SCORE_RECENCY,
	SCORE_WARNINGS,
	SCORE_REFERRALS,
	SCORE_ATTACK,
	SCORE_FACTOR_COUNT
};

struct score_breakdown {
	double score;                         /* 0..100 */
	double points[SCORE_FACTOR_COUNT];    /* contribution of each factor */
	double inputs[SCORE_FACTOR_COUNT];    /* the normalised input, 0..1 */
};

const char *score_factor_name(enum score_factor f);
/* Whether the warnings factor applies: a warning-list hit, or a private,
 * loopback, link-local, documentation, reserved or multicast address. */
bool score_penalised(const struct score_facts *facts);
/* Scores an indicator at time now. Never fails. */
double score_compute(const struct score_config *cfg, const struct score_facts *facts, int64_t now,
		     struct score_breakdown *out);

#endif
