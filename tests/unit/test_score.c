/*
 * Unit tests for indicator scoring. They cover each factor on its own, the
 * decay that halves at each half-life, the warning penalty and the bounds
 * of the score. The configuration tests read defaults, a full scoring
 * section and each kind of invalid input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "score/score.h"

#define NOW 1796400000 /* 2026-12-04T16:00:00Z, though any fixed time works */
#define DAY (24 * 3600)
#define EPSILON 1e-9

/* cmocka's assert_float_equal compares floats, but scores are doubles. */
#define assert_near(actual, expected, epsilon)                                            \
	do {                                                                              \
		double actual_ = (actual), expected_ = (expected);                        \
		if (!(fabs(actual_ - expected_) <= (epsilon)))                            \
			fail_msg("%s is %.12g, expected %.12g", #actual, actual_, expected_); \
	} while (0)

/* Facts that score 0 on every factor except recency, which is full. */
static struct score_facts plain_facts(enum ioc_type type)
{
	struct score_facts facts;

	memset(&facts, 0, sizeof(facts));
	facts.type = type;
	facts.first_seen = NOW;
	facts.last_seen = NOW;
	return facts;
}

static struct score_config defaults(void)
{
	struct score_config cfg;

	score_config_default(&cfg);
	return cfg;
}

static void test_defaults_sum_to_100(void **state)
{
	struct score_config cfg = defaults();

	(void)state;
	assert_near(cfg.w_organisations + cfg.w_confidence + cfg.w_sightings + cfg.w_recency +
				   cfg.w_referrals + cfg.w_attack,
			   100, EPSILON);
	assert_near(cfg.threshold, 40, EPSILON);
	assert_near(cfg.warnlist_penalty, 50, EPSILON);
	assert_int_equal(cfg.half_life[IOC_IPV4], 7 * DAY);
	assert_int_equal(cfg.half_life[IOC_DOMAIN], 30 * DAY);
	assert_int_equal(cfg.half_life[IOC_URL], 30 * DAY);
	assert_int_equal(cfg.half_life[IOC_SHA256], 180 * DAY);
	assert_int_equal(cfg.half_life[IOC_CVE], 365 * DAY);
	for (int t = IOC_NONE + 1; t < IOC_TYPE_COUNT; t++)
		assert_true(cfg.half_life[t] > 0);
}

static void test_organisations_saturate(void **state)
{
	static const struct {
		int organisations;
		double points;
	} cases[] = {
		{ 0, 0 }, { 1, 15 }, { 2, 22.5 }, { 3, 26.25 }, { 10, 30 * (1 - 1.0 / 1024) },
	};
	struct score_config cfg = defaults();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct score_facts facts = plain_facts(IOC_DOMAIN);
		struct score_breakdown b;

		facts.organisations = cases[i].organisations;
		score_compute(&cfg, &facts, NOW, &b);
		assert_near(b.points[SCORE_ORGANISATIONS], cases[i].points, EPSILON);
	}
}

static void test_confidence_is_linear(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_DOMAIN);
	struct score_breakdown b;

	(void)state;
	facts.confidence = 75;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.inputs[SCORE_CONFIDENCE], 0.75, EPSILON);
	assert_near(b.points[SCORE_CONFIDENCE], 15, EPSILON);

	facts.confidence = 250; /* out of range input is clamped */
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_CONFIDENCE], 20, EPSILON);
}

static void test_sightings_log_scale(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_DOMAIN);
	struct score_breakdown b;
	double one, ten, hundred;

	(void)state;
	facts.times_seen = 0;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_SIGHTINGS], 0, EPSILON);

	facts.times_seen = 1;
	score_compute(&cfg, &facts, NOW, &b);
	one = b.inputs[SCORE_SIGHTINGS];
	facts.times_seen = 10;
	score_compute(&cfg, &facts, NOW, &b);
	ten = b.inputs[SCORE_SIGHTINGS];
	facts.times_seen = 100;
	score_compute(&cfg, &facts, NOW, &b);
	hundred = b.inputs[SCORE_SIGHTINGS];

	assert_near(one, log(2) / log(101), EPSILON);
	assert_true(one < ten && ten < hundred);
	assert_near(hundred, 1, EPSILON);

	facts.times_seen = 1000000;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_SIGHTINGS], 15, EPSILON);
}

static void test_recency_halves_at_half_life(void **state)
{
	struct score_config cfg = defaults();
	static const enum ioc_type types[] = { IOC_IPV4, IOC_DOMAIN, IOC_SHA256, IOC_CVE };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct score_facts facts = plain_facts(types[i]);
		struct score_breakdown b;
		int64_t half_life = cfg.half_life[types[i]];

		score_compute(&cfg, &facts, NOW, &b);
		assert_near(b.points[SCORE_RECENCY], 25, EPSILON);

		facts.last_seen = NOW - half_life;
		score_compute(&cfg, &facts, NOW, &b);
		assert_near(b.inputs[SCORE_RECENCY], 0.5, EPSILON);

		facts.last_seen = NOW - 2 * half_life;
		score_compute(&cfg, &facts, NOW, &b);
		assert_near(b.inputs[SCORE_RECENCY], 0.25, EPSILON);
	}
}

static void test_recency_future_counts_as_now(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_IPV4);
	struct score_breakdown b;

	(void)state;
	facts.last_seen = NOW + 10 * DAY;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.inputs[SCORE_RECENCY], 1, EPSILON);
}

static void test_recency_uses_configured_half_life(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_IPV4);
	struct score_breakdown b;

	(void)state;
	cfg.half_life[IOC_IPV4] = 1 * DAY;
	facts.last_seen = NOW - 3 * DAY;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.inputs[SCORE_RECENCY], 0.125, EPSILON);
}

static void test_warnings_penalty(void **state)
{
	static const uint32_t penalised[] = {
		IOC_WARN_PRIVATE, IOC_WARN_LOOPBACK,  IOC_WARN_LINK_LOCAL, IOC_WARN_DOCUMENTATION,
		IOC_WARN_RESERVED, IOC_WARN_MULTICAST, IOC_WARN_WARNINGLIST,
	};
	struct score_config cfg = defaults();

	(void)state;
	for (size_t i = 0; i < sizeof(penalised) / sizeof(penalised[0]); i++) {
		struct score_facts facts = plain_facts(IOC_IPV4);
		struct score_breakdown b;

		facts.warnings = penalised[i];
		score_compute(&cfg, &facts, NOW, &b);
		assert_true(score_penalised(&facts));
		assert_near(b.points[SCORE_WARNINGS], -50, EPSILON);
	}
}

static void test_warnlisted_flag_penalised(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_DOMAIN);
	struct score_breakdown b;

	(void)state;
	facts.warnlisted = true;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_WARNINGS], -50, EPSILON);
}

static void test_host_bits_not_penalised(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_CIDR);
	struct score_breakdown b;

	(void)state;
	facts.warnings = IOC_WARN_HOST_BITS;
	score_compute(&cfg, &facts, NOW, &b);
	assert_false(score_penalised(&facts));
	assert_near(b.points[SCORE_WARNINGS], 0, EPSILON);
	assert_false(signbit(b.points[SCORE_WARNINGS]));
}

static void test_referral_and_attack_bonus(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_DOMAIN);
	struct score_breakdown b;

	(void)state;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_REFERRALS], 0, EPSILON);
	assert_near(b.points[SCORE_ATTACK], 0, EPSILON);

	facts.referrals = 3;
	facts.attack_reports = 1;
	score_compute(&cfg, &facts, NOW, &b);
	assert_near(b.points[SCORE_REFERRALS], 5, EPSILON);
	assert_near(b.points[SCORE_ATTACK], 5, EPSILON);
}

static void test_score_is_sum_of_points(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts facts = plain_facts(IOC_DOMAIN);
	struct score_breakdown b;
	double sum = 0, score;

	(void)state;
	facts.organisations = 2;
	facts.confidence = 60;
	facts.times_seen = 5;
	facts.last_seen = NOW - 10 * DAY;
	score = score_compute(&cfg, &facts, NOW, &b);
	for (int f = 0; f < SCORE_FACTOR_COUNT; f++)
		sum += b.points[f];
	assert_near(score, sum, EPSILON);
	assert_near(b.score, score, EPSILON);
}

static void test_score_bounds(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts strong = plain_facts(IOC_SHA256);
	struct score_facts weak = plain_facts(IOC_IPV4);
	double score;

	(void)state;
	strong.organisations = 30;
	strong.confidence = 100;
	strong.times_seen = 5000;
	strong.referrals = 1;
	strong.attack_reports = 1;
	score = score_compute(&cfg, &strong, NOW, NULL);
	assert_true(score > 99.9);
	assert_true(score <= 100);

	/* Heavier weights than 100 in all are capped at 100. */
	cfg.w_organisations = 100;
	cfg.w_confidence = 100;
	assert_near(score_compute(&cfg, &strong, NOW, NULL), 100, EPSILON);

	/* A penalty larger than the points gives 0, not a negative score. */
	weak.warnings = IOC_WARN_PRIVATE;
	weak.last_seen = NOW - 365 * DAY;
	assert_near(score_compute(&cfg, &weak, NOW, NULL), 0, EPSILON);
}

static void test_strong_beats_weak(void **state)
{
	struct score_config cfg = defaults();
	struct score_facts strong = plain_facts(IOC_DOMAIN);
	struct score_facts weak = plain_facts(IOC_DOMAIN);
	double strong_score, weak_score;

	(void)state;
	strong.organisations = 3;
	strong.confidence = 80;
	strong.times_seen = 20;
	weak.organisations = 1;
	weak.confidence = 50;
	weak.times_seen = 1;
	weak.last_seen = NOW - 90 * DAY;
	strong_score = score_compute(&cfg, &strong, NOW, NULL);
	weak_score = score_compute(&cfg, &weak, NOW, NULL);
	assert_true(strong_score >= cfg.threshold);
	assert_true(weak_score < cfg.threshold);
}

static void test_factor_names(void **state)
{
	(void)state;
	assert_string_equal(score_factor_name(SCORE_ORGANISATIONS), "organisations");
	assert_string_equal(score_factor_name(SCORE_RECENCY), "recency");
	assert_string_equal(score_factor_name(SCORE_WARNINGS), "warnings");
	assert_string_equal(score_factor_name(SCORE_ATTACK), "attack");
	assert_string_equal(score_factor_name(SCORE_FACTOR_COUNT), "unknown");
}

/* ---- Configuration ---- */

static enum ch_code load_json(const char *text, struct score_config *cfg, struct ch_error *err)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	enum ch_code rc;

	if (!root)
		fail_msg("test JSON does not parse: %s", jerr.text);
	rc = score_config_load(root, cfg, err);
	json_decref(root);
	return rc;
}

static void test_config_without_file(void **state)
{
	struct score_config cfg, expected = defaults();
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(score_config_load(NULL, &cfg, &err), CH_OK);
	assert_memory_equal(&cfg, &expected, sizeof(cfg));
	assert_int_equal(load_json("{\"public_url\": \"https://hub.example.org\"}", &cfg, &err),
			 CH_OK);
	assert_memory_equal(&cfg, &expected, sizeof(cfg));
}

static void test_config_full_section(void **state)
{
	struct score_config cfg;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(
		load_json("{\"scoring\": {\"threshold\": 55.5, \"warnlist_penalty\": 80,"
			  " \"weights\": {\"organisations\": 40, \"confidence\": 10, \"sightings\": 10,"
			  "  \"recency\": 30, \"referrals\": 5, \"attack\": 5},"
			  " \"half_life\": {\"ipv4\": \"3d\", \"domain\": \"2w\", \"cve\": 86400}}}",
			  &cfg, &err),
		CH_OK);
	assert_near(cfg.threshold, 55.5, EPSILON);
	assert_near(cfg.warnlist_penalty, 80, EPSILON);
	assert_near(cfg.w_organisations, 40, EPSILON);
	assert_near(cfg.w_confidence, 10, EPSILON);
	assert_near(cfg.w_sightings, 10, EPSILON);
	assert_near(cfg.w_recency, 30, EPSILON);
	assert_int_equal(cfg.half_life[IOC_IPV4], 3 * DAY);
	assert_int_equal(cfg.half_life[IOC_DOMAIN], 14 * DAY);
	assert_int_equal(cfg.half_life[IOC_CVE], DAY);
	/* Types not named keep their defaults. */
	assert_int_equal(cfg.half_life[IOC_IPV6], 7 * DAY);
	assert_int_equal(cfg.half_life[IOC_SHA256], 180 * DAY);
}

static void test_config_partial_keeps_defaults(void **state)
{
	struct score_config cfg;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(load_json("{\"scoring\": {\"weights\": {\"attack\": 0}}}", &cfg, &err),
			 CH_OK);
	assert_near(cfg.w_attack, 0, EPSILON);
	assert_near(cfg.w_organisations, 30, EPSILON);
	assert_near(cfg.threshold, 40, EPSILON);
}

static void test_config_rejects_bad_input(void **state)
{
	static const struct {
		const char *json;
		const char *message; /* a part of the expected message */
	} cases[] = {
		{ "{\"scoring\": {\"treshold\": 40}}", "scoring: unknown key 'treshold'" },
		{ "{\"scoring\": {\"weights\": {\"organizations\": 30}}}",
		  "scoring.weights: unknown key 'organizations'" },
		{ "{\"scoring\": {\"half_life\": {\"ip\": \"7d\"}}}",
		  "scoring.half_life: unknown key 'ip'" },
		{ "{\"scoring\": {\"half_life\": {\"ipv4\": \"soon\"}}}", "invalid duration 'soon'" },
		{ "{\"scoring\": {\"half_life\": {\"ipv4\": 60}}}", "scoring.half_life.ipv4 is 60 seconds" },
		{ "{\"scoring\": {\"threshold\": 101}}", "scoring.threshold is 101" },
		{ "{\"scoring\": {\"warnlist_penalty\": -1}}", "scoring.warnlist_penalty is -1" },
		{ "{\"scoring\": {\"threshold\": \"high\"}}", "must be a number from 0 to 100, not a string" },
		{ "{\"scoring\": {\"weights\": [30, 20]}}", "scoring.weights must be a mapping, not a list" },
		{ "{\"scoring\": {\"half_life\": \"7d\"}}", "scoring.half_life must be a mapping" },
		{ "{\"scoring\": 40}", "scoring must be a mapping, not a number" },
		{ "[1, 2]", "the configuration must be a mapping" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct score_config cfg = defaults();
		struct ch_error err = { 0 };

		cfg.threshold = 12; /* must stay untouched on failure */
		assert_int_equal(load_json(cases[i].json, &cfg, &err), CH_INVALID);
		if (!strstr(err.message, cases[i].message))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.message, cases[i].message);
		assert_near(cfg.threshold, 12, EPSILON);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_sum_to_100),
		cmocka_unit_test(test_organisations_saturate),
		cmocka_unit_test(test_confidence_is_linear),
		cmocka_unit_test(test_sightings_log_scale),
		cmocka_unit_test(test_recency_halves_at_half_life),
		cmocka_unit_test(test_recency_future_counts_as_now),
		cmocka_unit_test(test_recency_uses_configured_half_life),
		cmocka_unit_test(test_warnings_penalty),
		cmocka_unit_test(test_warnlisted_flag_penalised),
		cmocka_unit_test(test_host_bits_not_penalised),
		cmocka_unit_test(test_referral_and_attack_bonus),
		cmocka_unit_test(test_score_is_sum_of_points),
		cmocka_unit_test(test_score_bounds),
		cmocka_unit_test(test_strong_beats_weak),
		cmocka_unit_test(test_factor_names),
		cmocka_unit_test(test_config_without_file),
		cmocka_unit_test(test_config_full_section),
		cmocka_unit_test(test_config_partial_keeps_defaults),
		cmocka_unit_test(test_config_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
