/*
 * ctihub export: scored indicators as a block list (one value per line),
 * CSV or JSON, best first, for sharing outside the hub.
 *
 * Every indicator last seen in the period is scored once, in one scan of
 * the store, and either kept or counted under the first reason that
 * leaves it out, in this order: another type than --type, a TLP above
 * --tlp-max, a warning (warning list or reserved range), a score below
 * --min-score, and finally the --max cut over the rest sorted by score.
 * The counts go to standard error, and into the JSON document as
 * "left_out", so a block list stays one value per line.
 *
 * Exports are passed on, so the TLP ceiling is GREEN unless --tlp-max
 * raises it, and RED is never exported.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/timeutil.h"

/* Maximum indicators kept in memory for sorting, at about 50 bytes each
 * plus the value. Beyond it the command stops with an error rather than
 * grow without bound. */
#define EXPORT_ITEMS_MAX 10000000
#define ARENA_CHUNK (1u << 20)

enum export_format { EXPORT_TXT = 0, EXPORT_CSV, EXPORT_JSON };

enum drop_reason {
	DROP_TYPE = 0,
	DROP_TLP,
	DROP_WARNING,
	DROP_SCORE,
	DROP_MAX,
	DROP_REASON_COUNT
};

struct export_options {
	enum export_format format;
	double min_score;
	bool min_score_set;
	enum tlp_level tlp_max;
	bool types[IOC_TYPE_COUNT]; /* all false means every type */
	bool type_set;
	long max;                   /* 0 for no limit */
	int64_t since;              /* 0 for all time */
	const char *output;         /* NULL for standard output */
};

struct export_item {
	enum ioc_type type;
	const char *value; /* in the arena */
	double score;
	enum tlp_level tlp;
	int64_t first_seen;
	int64_t last_seen;
	int organisations;
	uint32_t warnings;
};

struct export_state {
	const struct export_options *opts;
	const struct score_config *cfg;
	int64_t now;
	struct arena arena;
	struct export_item *items;
	size_t count;
	size_t cap;
	int64_t scanned;
	int64_t dropped[DROP_REASON_COUNT];
};

static void print_help(void)
{
	printf("Usage: ctihub export [OPTIONS]\n"
	       "\n"
	       "Writes scored indicators, highest score first, and prints on standard error\n"
	       "how many were left out and why. See docs/scoring.md for the score.\n"
	       "\n"
	       "Options:\n"
	       "  --format txt|csv|json  txt (default): one canonical value per line;\n"
	       "                         csv: type,value,score,tlp,first_seen,last_seen,\n"
	       "                         organisations,warnings; json: a document with the\n"
	       "                         indicators and the counts left out\n"
	       "  --min-score S          lowest score exported, 0 to 100 (default: the\n"
	       "                         configured threshold, 40 without a configuration)\n"
	       "  --tlp-max LEVEL        most restrictive TLP exported: CLEAR, GREEN (default),\n"
	       "                         AMBER or AMBER+STRICT; RED is never exported\n"
	       "  --type T[,T...]        only these types, such as ipv4,ipv6; repeatable\n"
	       "  --max N                at most N indicators, the highest scores (default: all)\n"
	       "  --since DURATION       only indicators last seen within it, such as 7d or 24h\n"
	       "  --output FILE          write FILE (replaced whole when complete) instead of\n"
	       "                         standard output\n"
	       "  --db PATH              database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  --config PATH          configuration file with a scoring section\n"
	       "  -h, --help             show this help\n");
}

/* ---- Options ---- */

static int parse_format(const char *arg, struct export_options *opts)
{
	if (strcmp(arg, "txt") == 0)
		opts->format = EXPORT_TXT;
	else if (strcmp(arg, "csv") == 0)
		opts->format = EXPORT_CSV;
	else if (strcmp(arg, "json") == 0)
		opts->format = EXPORT_JSON;
	else
		return cli_usage_error("export", "invalid --format '%s'; use txt, csv or json", arg);
	return 0;
}

static int parse_min_score(const char *arg, struct export_options *opts)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v >= 0 && v <= 100))
		return cli_usage_error("export", "invalid --min-score '%s'; use a number from 0 to 100",
				       arg);
	opts->min_score = v;
	opts->min_score_set = true;
	return 0;
}

static int parse_tlp_max(const char *arg, struct export_options *opts)
{
	struct ch_error err = { 0 };
	enum tlp_level level;

	if (tlp_parse(arg, &level, &err) != CH_OK)
		return cli_usage_error("export", "invalid --tlp-max: %s", err.message);
	if (level == TLP_RED)
		return cli_usage_error("export",
				       "--tlp-max RED is not allowed: TLP:RED values are for their named recipients only and are never exported");
	opts->tlp_max = level;
	return 0;
}

/* Adds each type of a comma-separated list. */
static int parse_types(const char *arg, struct export_options *opts)
{
	char *copy = xstrdup(arg);
	char *save = NULL;
	int status = 0;

	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		struct ch_error err = { 0 };
		enum ioc_type type;

		if (ioc_type_from_name(name, &type, &err) != CH_OK) {
			status = cli_usage_error("export", "invalid --type: %s", err.message);
			break;
		}
		opts->types[type] = true;
		opts->type_set = true;
	}
	free(copy);
	if (status == 0 && !opts->type_set)
		status = cli_usage_error("export", "--type needs at least one type, such as ipv4");
	return status;
}

static int parse_since(const char *arg, int64_t now, struct export_options *opts)
{
	struct ch_error err = { 0 };
	int64_t seconds;

	if (time_parse_duration(arg, &seconds, &err) != CH_OK || seconds > now)
		return cli_usage_error("export",
				       "invalid --since '%s'; use a duration such as 90m, 24h, 7d or 2w",
				       arg);
	opts->since = now - seconds;
	return 0;
}

static int parse_option(int opt, const char *arg, int64_t now, struct export_options *opts)
{
	long max;

	switch (opt) {
	case 'f':
		return parse_format(arg, opts);
	case 's':
		return parse_min_score(arg, opts);
	case 't':
		return parse_tlp_max(arg, opts);
	case 'y':
		return parse_types(arg, opts);
	case 'm':
		if (!cli_parse_long(arg, 0, EXPORT_ITEMS_MAX, &max))
			return cli_usage_error("export", "invalid --max '%s'; use a whole number from 0 to %d",
					       arg, EXPORT_ITEMS_MAX);
		opts->max = max;
		return 0;
	case 'S':
		return parse_since(arg, now, opts);
	case 'o':
		opts->output = arg;
		return 0;
	default:
		return cli_usage_error("export", "invalid option");
	}
}

/* ---- Selection ---- */

static bool type_wanted(const struct export_options *opts, enum ioc_type type)
{
	return !opts->type_set || opts->types[type];
}

static enum drop_reason classify(const struct export_state *s, enum ioc_type type,
				 enum tlp_level tlp, const struct score_facts *facts, double score)
{
	if (!type_wanted(s->opts, type))
		return DROP_TYPE;
	if (tlp > s->opts->tlp_max)
		return DROP_TLP;
	if (score_penalised(facts))
		return DROP_WARNING;
	if (score < s->opts->min_score)
		return DROP_SCORE;
	return DROP_REASON_COUNT;
}

static enum ch_code collect_cb(void *ctx, enum ioc_type type, const char *value,
			       enum tlp_level tlp, const struct score_facts *facts)
{
	struct export_state *s = ctx;
	double score = score_compute(s->cfg, facts, s->now, NULL);
	enum drop_reason reason = classify(s, type, tlp, facts, score);
	struct export_item *item;

	s->scanned++;
	if (reason != DROP_REASON_COUNT) {
		s->dropped[reason]++;
		return CH_OK;
	}
	if (s->count == EXPORT_ITEMS_MAX)
		return CH_TOO_LARGE;
	if (s->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->items = xreallocarray(s->items, s->cap, sizeof(*s->items));
	}
	item = &s->items[s->count++];
	item->type = type;
	item->value = arena_strndup(&s->arena, value, strlen(value));
	item->score = score;
	item->tlp = tlp;
	item->first_seen = facts->first_seen;
	item->last_seen = facts->last_seen;
	item->organisations = facts->organisations;
	item->warnings = facts->warnings;
	return CH_OK;
}

/* Highest score first; ties by type, then value, so output is stable. */
static int compare_items(const void *a, const void *b)
{
	const struct export_item *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->value, y->value);
}

static enum ch_code collect(struct store *st, struct export_state *s, struct ch_error *err)
{
	/* Every type and TLP is read so that the summary can count what
	 * --type and --tlp-max leave out. */
	struct store_score_filter filter = { .since = s->opts->since, .type = -1,
					     .tlp_max = TLP_RED };
	enum ch_code rc = store_score_facts_scan(st, &filter, collect_cb, s, err);

	if (rc == CH_TOO_LARGE)
		return ch_fail(err, rc,
			       "more than %d indicators qualify; narrow the export with --since, --type or --min-score",
			       EXPORT_ITEMS_MAX);
	if (rc != CH_OK)
		return rc;
	/* qsort must not get a NULL array, even with no items. */
	if (s->count > 0)
		qsort(s->items, s->count, sizeof(*s->items), compare_items);
	if (s->opts->max > 0 && s->count > (size_t)s->opts->max) {
		s->dropped[DROP_MAX] = (int64_t)(s->count - (size_t)s->opts->max);
		s->count = (size_t)s->opts->max;
	}
	return CH_OK;
}

/* ---- Output ---- */

/* Writes a CSV field, quoted (RFC 4180) when it contains a comma, quote or
 * line break. */
static void csv_field(FILE *out, const char *text)
{
	if (!strpbrk(text, ",\"\r\n")) {
		fputs(text, out);
		return;
	}
	fputc('"', out);
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void write_csv(FILE *out, const struct export_state *s)
{
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX], warnings[256];

	fputs("type,value,score,tlp,first_seen,last_seen,organisations,warnings\n", out);
	for (size_t i = 0; i < s->count; i++) {
		const struct export_item *item = &s->items[i];

		time_format_iso(item->first_seen, first, sizeof(first));
		time_format_iso(item->last_seen, last, sizeof(last));
		ioc_warnings_format(item->warnings, warnings, sizeof(warnings));
		fprintf(out, "%s,", ioc_type_name(item->type));
		csv_field(out, item->value);
		fprintf(out, ",%.1f,%s,%s,%s,%d,", item->score, tlp_name(item->tlp), first, last,
			item->organisations);
		csv_field(out, warnings);
		fputc('\n', out);
	}
}

static const char *const reason_keys[DROP_REASON_COUNT] = {
	[DROP_TYPE] = "other_type",
	[DROP_TLP] = "above_tlp_max",
	[DROP_WARNING] = "warnings",
	[DROP_SCORE] = "below_min_score",
	[DROP_MAX] = "over_max",
};

static json_t *item_json(const struct export_item *item)
{
	json_t *obj = json_object();
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX], warnings[256];

	time_format_iso(item->first_seen, first, sizeof(first));
	time_format_iso(item->last_seen, last, sizeof(last));
	ioc_warnings_format(item->warnings, warnings, sizeof(warnings));
	json_object_set_new(obj, "type", json_string(ioc_type_name(item->type)));
	json_object_set_new(obj, "value", json_string(item->value));
	/* One decimal, as in CSV and explain. */
	json_object_set_new(obj, "score", json_real((double)(long long)(item->score * 10 + 0.5) / 10));
	json_object_set_new(obj, "tlp", json_string(tlp_name(item->tlp)));
	json_object_set_new(obj, "first_seen", json_string(first));
	json_object_set_new(obj, "last_seen", json_string(last));
	json_object_set_new(obj, "organisations", json_integer(item->organisations));
	json_object_set_new(obj, "warnings", json_string(warnings));
	return obj;
}

/* Streams the document one indicator per line, because a jansson tree of
 * a million indicators took 1.7 GB in a release build. Only the items and
 * the counts go through jansson, since the other members are plain ASCII. */
static void write_json(FILE *out, const struct export_state *s)
{
	json_t *left_out = json_object();
	char now[TIME_ISO_MAX];

	time_format_iso(s->now, now, sizeof(now));
	fprintf(out,
		"{\n  \"generated\": \"%s\",\n  \"min_score\": %g,\n  \"tlp_max\": \"%s\",\n"
		"  \"exported\": %zu,\n  \"indicators\": [",
		now, s->opts->min_score, tlp_name(s->opts->tlp_max), s->count);
	for (size_t i = 0; i < s->count; i++) {
		json_t *item = item_json(&s->items[i]);

		fputs(i == 0 ? "\n    " : ",\n    ", out);
		json_dumpf(item, out, JSON_REAL_PRECISION(6));
		json_decref(item);
	}
	fputs(s->count ? "\n  ],\n  \"left_out\": " : "],\n  \"left_out\": ", out);

	for (int r = 0; r < DROP_REASON_COUNT; r++)
		json_object_set_new(left_out, reason_keys[r], json_integer(s->dropped[r]));
	json_dumpf(left_out, out, 0);
	fputs("\n}\n", out);
	json_decref(left_out);
}

static void write_items(FILE *out, const struct export_state *s)
{
	switch (s->opts->format) {
	case EXPORT_TXT:
		for (size_t i = 0; i < s->count; i++)
			fprintf(out, "%s\n", s->items[i].value);
		break;
	case EXPORT_CSV:
		write_csv(out, s);
		break;
	case EXPORT_JSON:
		write_json(out, s);
		break;
	}
}

/* Writes to FILE.tmp and renames it over FILE, so a reader of the block
 * list never reads half of it. */
static enum ch_code write_output(const struct export_state *s, struct ch_error *err)
{
	const char *path = s->opts->output;
	size_t tmp_len;
	char *tmp;
	FILE *out;
	bool failed;

	if (!path) {
		write_items(stdout, s);
		if (fflush(stdout) != 0 || ferror(stdout))
			return ch_fail(err, CH_IO, "writing the export to standard output failed");
		return CH_OK;
	}
	tmp_len = strlen(path) + sizeof(".tmp");
	tmp = xmalloc(tmp_len);
	snprintf(tmp, tmp_len, "%s.tmp", path);
	out = fopen(tmp, "w");
	if (!out) {
		ch_fail(err, CH_IO, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return CH_IO;
	}
	write_items(out, s);
	failed = ferror(out) != 0;
	failed = (fclose(out) != 0) || failed;
	if (failed || rename(tmp, path) != 0) {
		ch_fail(err, CH_IO, "writing '%s' failed: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return CH_IO;
	}
	free(tmp);
	return CH_OK;
}

static void print_summary(const struct export_state *s)
{
	fprintf(stderr,
		"ctihub: exported %zu of %lld indicators; left out: %lld of other types, %lld above TLP:%s, %lld on warning lists or reserved ranges, %lld below score %.1f, %lld over --max\n",
		s->count, (long long)s->scanned, (long long)s->dropped[DROP_TYPE],
		(long long)s->dropped[DROP_TLP], tlp_name(s->opts->tlp_max),
		(long long)s->dropped[DROP_WARNING], (long long)s->dropped[DROP_SCORE],
		s->opts->min_score, (long long)s->dropped[DROP_MAX]);
}

/* Reads the command line into opts. Returns an exit status, or -1 when
 * the command should go on. */
static int parse_args(int argc, char **argv, int64_t now, struct export_options *opts)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "min-score", required_argument, NULL, 's' },
		{ "tlp-max", required_argument, NULL, 't' },
		{ "type", required_argument, NULL, 'y' },
		{ "max", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (opt == 'h') {
			print_help();
			return 0;
		}
		status = parse_option(opt, optarg, now, opts);
		if (status != 0)
			return status;
	}
	if (optind < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	return -1;
}

int cmd_export(int argc, char **argv)
{
	struct export_options opts = { .format = EXPORT_TXT, .tlp_max = TLP_GREEN };
	struct export_state s = { 0 };
	struct score_config cfg;
	struct ch_error err = { 0 };
	struct store *st = NULL;
	enum ch_code rc;
	int status;

	s.now = time_now();
	status = parse_args(argc, argv, s.now, &opts);
	if (status >= 0)
		return status;
	status = cli_load_scoring(&cfg);
	if (status == 0)
		status = cli_open_store(&st);
	if (status != 0)
		return status;
	if (!opts.min_score_set)
		opts.min_score = cfg.threshold;

	s.opts = &opts;
	s.cfg = &cfg;
	arena_init(&s.arena, ARENA_CHUNK);
	rc = collect(st, &s, &err);
	if (rc == CH_OK)
		rc = write_output(&s, &err);
	if (rc == CH_OK)
		print_summary(&s);
	else
		status = cli_fail(rc, &err);

	arena_free(&s.arena);
	free(s.items);
	store_close(st);
	return status;
}
