/* Placeholder until scoring lands. */
#include <string.h>

#include "score/score.h"

void score_config_default(struct score_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

enum ch_code score_config_load(const json_t *root, struct score_config *cfg,
			       struct ch_error *err)
{
	(void)root;
	(void)err;
	score_config_default(cfg);
	return CH_OK;
}

const char *score_factor_name(enum score_factor f)
{
	(void)f;
	return "unknown";
}

double score_compute(const struct score_config *cfg, const struct score_facts *facts, int64_t now,
		     struct score_breakdown *out)
{
	(void)cfg;
	(void)facts;
	(void)now;
	memset(out, 0, sizeof(*out));
	return 0;
}
