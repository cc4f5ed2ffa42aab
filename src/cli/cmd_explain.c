/*
 * ctihub explain: shows how one indicator's score is made up. The value
 * goes through the indicator engine first, like search, so a defanged
 * spelling finds the canonical row. Each factor is printed with its input
 * from the store, its weight and its points.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/timeutil.h"

#define DAY (24 * 3600)

struct explanation {
	struct store_indicator ind;
	struct score_facts facts;
	struct score_breakdown breakdown;
	struct score_config cfg;
	int64_t now;
};

static void print_help(void)
{
	printf("Usage: ctihub explain [--json] VALUE\n"
	       "\n"
	       "Scores VALUE (defanged forms such as hxxp://evil[.]com accepted) and prints\n"
	       "each factor: its input from the store, its points, the total and the\n"
	       "threshold below which digests and exports leave the indicator out. The\n"
	       "weights come from the scoring section of --config; see docs/scoring.md.\n"
	       "Exits 1 when VALUE is invalid or not in the store.\n"
	       "\n"
	       "Options:\n"
	       "  --json         print a JSON object\n"
	       "  --db PATH      database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  --config PATH  configuration file with a scoring section\n"
	       "  -h, --help     show this help\n");
}

/* "7d", "36h" or "5400s": the largest unit that divides the duration. */
static void format_duration(int64_t seconds, char *out, size_t cap)
{
	if (seconds % DAY == 0)
		snprintf(out, cap, "%lldd", (long long)(seconds / DAY));
	else if (seconds % 3600 == 0)
		snprintf(out, cap, "%lldh", (long long)(seconds / 3600));
	else
		snprintf(out, cap, "%llds", (long long)seconds);
}

static double factor_weight(const struct score_config *cfg, enum score_factor f)
{
	switch (f) {
	case SCORE_ORGANISATIONS: return cfg->w_organisations;
	case SCORE_CONFIDENCE: return cfg->w_confidence;
	case SCORE_SIGHTINGS: return cfg->w_sightings;
	case SCORE_RECENCY: return cfg->w_recency;
	case SCORE_WARNINGS: return -cfg->warnlist_penalty;
	case SCORE_REFERRALS: return cfg->w_referrals;
	case SCORE_ATTACK: return cfg->w_attack;
	case SCORE_FACTOR_COUNT: break;
	}
	return 0;
}

static double age_days(const struct explanation *e)
{
	int64_t age = e->now - e->facts.last_seen;

	return age > 0 ? (double)age / DAY : 0;
}

/* "warnings: " and the warning names and list, or "none". */
static void format_warnings(const struct explanation *e, char *out, size_t cap)
{
	char names[256];

	if (!score_penalised(&e->facts)) {
		snprintf(out, cap, "warnings: none");
		return;
	}
	ioc_warnings_format(e->facts.warnings, names, sizeof(names));
	if (e->ind.warnlist)
		snprintf(out, cap, "warnings: %s (%s)", names, e->ind.warnlist);
	else
		snprintf(out, cap, "warnings: %s", names);
}

/* Formats the input of a factor in the reader's units: a count, a level, a date. */
static void format_input(const struct explanation *e, enum score_factor f, char *out, size_t cap)
{
	const struct score_facts *facts = &e->facts;
	char half_life[32], last[TIME_ISO_MAX];

	switch (f) {
	case SCORE_ORGANISATIONS:
		snprintf(out, cap, "organisations or sources: %d", facts->organisations);
		break;
	case SCORE_CONFIDENCE:
		snprintf(out, cap, "highest confidence: %d", facts->confidence);
		break;
	case SCORE_SIGHTINGS:
		snprintf(out, cap, "times seen: %lld", (long long)facts->times_seen);
		break;
	case SCORE_RECENCY:
		format_duration(e->cfg.half_life[facts->type], half_life, sizeof(half_life));
		time_format_iso(facts->last_seen, last, sizeof(last));
		snprintf(out, cap, "last seen %s, %.1f days ago, half-life %s", last, age_days(e),
			 half_life);
		break;
	case SCORE_WARNINGS:
		format_warnings(e, out, cap);
		break;
	case SCORE_REFERRALS:
		snprintf(out, cap, "LE referrals: %d", facts->referrals);
		break;
	case SCORE_ATTACK:
		snprintf(out, cap, "ATT&CK reports: %d", facts->attack_reports);
		break;
	case SCORE_FACTOR_COUNT:
		out[0] = '\0';
		break;
	}
}

static void print_text(const struct explanation *e)
{
	char input[512];
	bool above = e->breakdown.score >= e->cfg.threshold;

	printf("%s\t%s\n", ioc_type_name(e->ind.type), e->ind.value);
	printf("  TLP: %s\n\n", tlp_name(e->ind.tlp));
	printf("  %-14s %8s %8s  %s\n", "factor", "points", "weight", "input");
	for (int f = 0; f < SCORE_FACTOR_COUNT; f++) {
		format_input(e, (enum score_factor)f, input, sizeof(input));
		printf("  %-14s %+8.1f %8.1f  %s\n", score_factor_name((enum score_factor)f),
		       e->breakdown.points[f], factor_weight(&e->cfg, (enum score_factor)f), input);
	}
	printf("\n  score:     %.1f of 100\n", e->breakdown.score);
	printf("  threshold: %.1f (%s)\n", e->cfg.threshold,
	       above ? "at or above: digests and exports include it"
		     : "below: digests and exports leave it out");
}

static json_t *explanation_json(const char *input_text, const struct explanation *e)
{
	json_t *obj = json_object();
	json_t *factors = json_array();
	char input[512];

	json_object_set_new(obj, "input", json_string(input_text));
	json_object_set_new(obj, "type", json_string(ioc_type_name(e->ind.type)));
	json_object_set_new(obj, "value", json_string(e->ind.value));
	json_object_set_new(obj, "tlp", json_string(tlp_name(e->ind.tlp)));
	for (int f = 0; f < SCORE_FACTOR_COUNT; f++) {
		json_t *factor = json_object();

		format_input(e, (enum score_factor)f, input, sizeof(input));
		json_object_set_new(factor, "name",
				    json_string(score_factor_name((enum score_factor)f)));
		json_object_set_new(factor, "input", json_string(input));
		json_object_set_new(factor, "normalised", json_real(e->breakdown.inputs[f]));
		json_object_set_new(factor, "weight",
				    json_real(factor_weight(&e->cfg, (enum score_factor)f)));
		json_object_set_new(factor, "points", json_real(e->breakdown.points[f]));
		json_array_append_new(factors, factor);
	}
	json_object_set_new(obj, "factors", factors);
	json_object_set_new(obj, "score", json_real(e->breakdown.score));
	json_object_set_new(obj, "threshold", json_real(e->cfg.threshold));
	json_object_set_new(obj, "above_threshold",
			    json_boolean(e->breakdown.score >= e->cfg.threshold));
	return obj;
}

/* Parses the value and reads its row and scoring facts. */
static enum ch_code load_explanation(struct store *st, const char *text, struct explanation *e,
				     struct ch_error *err)
{
	struct ioc *ioc = xmalloc(sizeof(*ioc));
	enum ch_code rc = ioc_parse(text, strlen(text), NULL, ioc, err);

	if (rc == CH_OK)
		rc = store_indicator_get(st, ioc->type, ioc->value, &e->ind, err);
	if (rc == CH_OK) {
		rc = store_score_facts_get(st, ioc->type, ioc->value, &e->facts, err);
		if (rc != CH_OK)
			store_indicator_free(&e->ind);
	}
	if (rc == CH_NOT_FOUND)
		ch_fail(err, rc, "%s %s is not in the store; check the value or ingest it first",
			ioc_type_name(ioc->type), ioc->value);
	free(ioc);
	return rc;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct explanation e = { 0 };
	struct ch_error err = { 0 };
	struct store *st = NULL;
	bool as_json = false;
	enum ch_code rc;
	int status, opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'j':
			as_json = true;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("explain", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("explain", "no VALUE given");
	if (argc - optind > 1)
		return cli_usage_error("explain", "give one VALUE; run explain once per value");

	status = cli_load_scoring(&e.cfg);
	if (status == 0)
		status = cli_open_store(&st);
	if (status != 0)
		return status;

	rc = load_explanation(st, argv[optind], &e, &err);
	if (rc != CH_OK) {
		status = cli_fail(rc, &err);
		goto out;
	}
	e.now = time_now();
	score_compute(&e.cfg, &e.facts, e.now, &e.breakdown);
	if (as_json) {
		json_t *obj = explanation_json(argv[optind], &e);

		json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(obj);
	} else {
		print_text(&e);
	}
	store_indicator_free(&e.ind);

out:
	store_close(st);
	return status;
}
