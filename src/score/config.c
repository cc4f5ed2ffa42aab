/*
 * Reads the "scoring" section of the configuration tree over the built-in
 * defaults. Like the other sections, every key is checked, so a misspelt
 * weight is an error that names it rather than a default kept in silence.
 *
 * NOTE: this reader checks only its own section. Unknown keys at the top
 * level are rejected by notify_config_load, which commands that only score
 * (explain, export) do not call.
 */
#include <stdio.h>

#include "formats/config_tree.h"
#include "score/score.h"

/* Half-lives from one hour to ten years. */
#define HALF_LIFE_MIN 3600
#define HALF_LIFE_MAX (3650LL * 24 * 3600)

static const char *const scoring_keys[] = { "weights", "half_life", "warnlist_penalty",
					    "threshold", NULL };

/* The factors with a weight, in the order of enum score_factor. The
 * warnings factor has warnlist_penalty instead. */
static const char *const weight_keys[] = { "organisations", "confidence", "sightings", "recency",
					   "referrals", "attack", NULL };

static double *weight_field(struct score_config *cfg, size_t index)
{
	double *fields[] = { &cfg->w_organisations, &cfg->w_confidence, &cfg->w_sightings,
			     &cfg->w_recency, &cfg->w_referrals, &cfg->w_attack };

	return fields[index];
}

/* A number from 0 to 100, whole or not. */
static enum ch_code get_points(const json_t *obj, const char *key, const char *where, double *out,
			       struct ch_error *err)
{
	const json_t *value = json_object_get(obj, key);
	double number;

	if (!value)
		return CH_OK;
	if (!json_is_number(value))
		return ch_fail(err, CH_INVALID, "%s.%s must be a number from 0 to 100, not %s", where,
			       key, config_kind(value));
	number = json_number_value(value);
	if (!(number >= 0 && number <= 100))
		return ch_fail(err, CH_INVALID, "%s.%s is %g; use a number from 0 to 100", where, key,
			       number);
	*out = number;
	return CH_OK;
}

static enum ch_code section_mapping(const json_t *section, const char *where,
				    struct ch_error *err)
{
	if (!json_is_object(section))
		return ch_fail(err, CH_INVALID, "%s must be a mapping, not %s", where,
			       config_kind(section));
	return CH_OK;
}

static enum ch_code load_weights(const json_t *section, struct score_config *cfg,
				 struct ch_error *err)
{
	if (!section)
		return CH_OK;
	if (section_mapping(section, "scoring.weights", err) != CH_OK ||
	    config_check_keys(section, weight_keys, "scoring.weights", err) != CH_OK)
		return CH_INVALID;
	for (size_t i = 0; weight_keys[i]; i++) {
		if (get_points(section, weight_keys[i], "scoring.weights", weight_field(cfg, i), err) !=
		    CH_OK)
			return CH_INVALID;
	}
	return CH_OK;
}

static enum ch_code load_half_lives(const json_t *section, struct score_config *cfg,
				    struct ch_error *err)
{
	const char *type_keys[IOC_TYPE_COUNT];

	if (!section)
		return CH_OK;
	if (section_mapping(section, "scoring.half_life", err) != CH_OK)
		return CH_INVALID;

	/* The keys are the type names of the indicator engine's table. */
	for (int t = IOC_NONE + 1; t < IOC_TYPE_COUNT; t++)
		type_keys[t - 1] = ioc_type_name((enum ioc_type)t);
	type_keys[IOC_TYPE_COUNT - 1] = NULL;
	if (config_check_keys(section, type_keys, "scoring.half_life", err) != CH_OK)
		return CH_INVALID;

	for (int t = IOC_NONE + 1; t < IOC_TYPE_COUNT; t++) {
		if (config_get_duration(section, ioc_type_name((enum ioc_type)t), "scoring.half_life",
					HALF_LIFE_MIN, HALF_LIFE_MAX, &cfg->half_life[t], err) != CH_OK)
			return CH_INVALID;
	}
	return CH_OK;
}

static enum ch_code load_scoring(const json_t *section, struct score_config *cfg,
				 struct ch_error *err)
{
	if (section_mapping(section, "scoring", err) != CH_OK ||
	    config_check_keys(section, scoring_keys, "scoring", err) != CH_OK)
		return CH_INVALID;
	if (load_weights(json_object_get(section, "weights"), cfg, err) != CH_OK ||
	    load_half_lives(json_object_get(section, "half_life"), cfg, err) != CH_OK)
		return CH_INVALID;
	if (get_points(section, "warnlist_penalty", "scoring", &cfg->warnlist_penalty, err) !=
		    CH_OK ||
	    get_points(section, "threshold", "scoring", &cfg->threshold, err) != CH_OK)
		return CH_INVALID;
	return CH_OK;
}

enum ch_code score_config_load(const json_t *root, struct score_config *cfg,
			       struct ch_error *err)
{
	struct score_config loaded;
	const json_t *section = NULL;

	score_config_default(&loaded);
	if (root && !json_is_object(root))
		return ch_fail(err, CH_INVALID,
			       "the configuration must be a mapping with keys such as scoring, not %s",
			       config_kind(root));
	if (root)
		section = json_object_get(root, "scoring");
	if (section && !json_is_null(section) && load_scoring(section, &loaded, err) != CH_OK)
		return CH_INVALID;
	*cfg = loaded;
	return CH_OK;
}
