/*
 * ctihub digest: what is new for an audience in a period, scored, limited
 * to what the audience may read, in text, Markdown, HTML or JSON. The
 * period is given directly (--since, --until) or follows the last
 * recorded run for the audience (--period, --record).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "digest/digest2.h"
#include "util/timeutil.h"

/* The name digest_runs records CLI runs under; the scheduler uses the
 * names of its configured digests. */
#define CLI_DIGEST_RUN_NAME "cli"
/* A digest is written to standard output; this bounds the memory used. */
#define CLI_DIGEST_OUTPUT_MAX ((size_t)64 * 1024 * 1024)

struct digest_options {
	const char *period;     /* "daily", "weekly" or NULL */
	const char *since;      /* ISO time or duration back from now, or NULL */
	const char *until;
	struct digest_request req;
	enum digest2_format format;
	bool record;
};

static void print_help(void)
{
	printf("Usage: ctihub digest [--period daily|weekly | --since T [--until T]]\n"
	       "                     [--audience le|member|org:NAME] [--format text|md|html|json]\n"
	       "                     [--max-items N] [--tlp-max LEVEL] [--record]\n"
	       "\n"
	       "Shows what is new for an audience in a period: referrals and their state\n"
	       "changes (le), the top-scored new indicators by category, new hunting rules,\n"
	       "vulnerable organisations by country and sector, ATT&CK tactic counts against\n"
	       "the previous period, notable changes, and what was left out. Only reports the\n"
	       "audience may read count. See docs/digests.md.\n"
	       "\n"
	       "Options:\n"
	       "  --period PERIOD   daily or weekly: from the end of the last recorded run for\n"
	       "                    the audience, or 1 or 7 days back when there is none\n"
	       "  --since T         period start: an ISO 8601 UTC time (2026-12-04T00:00:00Z)\n"
	       "                    or a duration back from now (90m, 24h, 7d, 2w); default 24h\n"
	       "  --until T         period end, excluded, the same forms (default: now, included)\n"
	       "  --audience A      le, member (default) or org:NAME\n"
	       "  --format FORMAT   text (default), md (Markdown), html or json\n"
	       "  --max-items N     entries per section, 1 to 1000 (default 10)\n"
	       "  --tlp-max LEVEL   most restrictive TLP shown (default AMBER+STRICT)\n"
	       "  --record          record the run, so the next --period starts at its end\n"
	       "  --config PATH     configuration file with a scoring section\n"
	       "  --db PATH         database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  -h, --help        show this help\n");
}

/* Reads a time: a duration means that long before now. */
static enum ch_code parse_time(const char *text, int64_t now, int64_t *out, struct ch_error *err)
{
	int64_t seconds;

	if (time_parse_duration(text, &seconds, NULL) == CH_OK) {
		*out = now - seconds;
		return CH_OK;
	}
	if (time_parse_iso(text, out, NULL) == CH_OK)
		return CH_OK;
	return ch_fail(err, CH_USAGE, "invalid time '%.60s': give an ISO 8601 UTC time such as "
				      "2026-12-04T00:00:00Z or a duration such as 24h or 7d",
		       text);
}

static int parse_options(int argc, char **argv, struct digest_options *o)
{
	static const struct option options[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "audience", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-items", required_argument, NULL, 'm' },
		{ "tlp-max", required_argument, NULL, 't' },
		{ "record", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ch_error err = { 0 };
	long number;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'p':
			if (strcasecmp(optarg, "daily") != 0 && strcasecmp(optarg, "weekly") != 0)
				return cli_usage_error("digest", "invalid period '%s': use daily or "
								 "weekly", optarg);
			o->period = optarg;
			break;
		case 's': o->since = optarg; break;
		case 'u': o->until = optarg; break;
		case 'a':
			if (digest_audience_parse(optarg, &o->req.audience, &err) != CH_OK)
				return cli_usage_error("digest", "%s", err.message);
			break;
		case 'f':
			if (digest2_format_parse(optarg, &o->format, &err) != CH_OK)
				return cli_usage_error("digest", "%s", err.message);
			break;
		case 'm':
			if (!cli_parse_long(optarg, 1, 1000, &number))
				return cli_usage_error("digest", "invalid --max-items '%s': give a "
								 "number from 1 to 1000", optarg);
			o->req.max_items = (size_t)number;
			break;
		case 't':
			if (tlp_parse(optarg, &o->req.tlp_max, &err) != CH_OK)
				return cli_usage_error("digest", "%s", err.message);
			break;
		case 'r': o->record = true; break;
		case 'h':
			print_help();
			return -1;
		default:
			return cli_usage_error("digest", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("digest", "unexpected argument '%s'", argv[optind]);
	if (o->period && o->since)
		return cli_usage_error("digest", "give --period or --since, not both");
	if (o->req.tlp_max == TLP_RED)
		return cli_usage_error("digest", "--tlp-max RED is not allowed: a digest never "
						 "carries RED reports; use AMBER+STRICT or lower");
	return 0;
}

/* Sets the period from the options, reading the last run for --period. */
static enum ch_code set_period(struct store *st, struct digest_options *o, int64_t now,
			       struct ch_error *err)
{
	int64_t last = 0;
	enum ch_code rc;

	/* The period end is exclusive; by default it is just after now, so
	 * what was ingested in this second is in. */
	o->req.until = now + 1;
	if (o->until) {
		rc = parse_time(o->until, now, &o->req.until, err);
		if (rc != CH_OK)
			return rc;
	}
	if (o->since)
		return parse_time(o->since, now, &o->req.since, err);
	if (!o->period) {
		o->req.since = now - 86400;
		return CH_OK;
	}
	rc = digest_last_run(st, CLI_DIGEST_RUN_NAME, o->req.audience.key, &last, err);
	if (rc != CH_OK)
		return rc;
	if (last > 0 && last < o->req.until)
		o->req.since = last;
	else
		o->req.since = now - (strcasecmp(o->period, "weekly") == 0 ? 7 : 1) * 86400;
	return CH_OK;
}

static enum ch_code run_digest(struct store *st, struct digest_options *o, int64_t now,
			       struct buf *out, struct ch_error *err)
{
	struct digest_report *d = NULL;
	bool fresh;
	enum ch_code rc;

	rc = digest_audience_resolve(st, &o->req.audience, err);
	if (rc == CH_OK)
		rc = set_period(st, o, now, err);
	if (rc == CH_OK && o->req.until <= o->req.since)
		rc = ch_fail(err, CH_USAGE, "the period is empty: --until must come after --since");
	if (rc != CH_OK)
		return rc;

	/* One snapshot for every section. */
	rc = store_read_begin(st, err);
	if (rc == CH_OK) {
		rc = digest2_build(st, &o->req, &d, err);
		store_read_end(st);
	}
	if (rc == CH_OK)
		rc = digest2_render(d, o->format, out, err);
	digest2_free(d);
	if (rc == CH_OK && o->record)
		rc = digest_record_run(st, CLI_DIGEST_RUN_NAME, o->req.audience.key, o->req.since,
				       o->req.until, now, &fresh, err);
	return rc;
}

int cmd_digest(int argc, char **argv)
{
	struct digest_options o = { 0 };
	struct score_config scoring;
	struct ch_error err = { 0 };
	struct store *st;
	struct buf out;
	enum ch_code rc;
	int status;

	o.req.tlp_max = TLP_AMBER_STRICT;
	digest_audience_parse("member", &o.req.audience, &err);
	status = parse_options(argc, argv, &o);
	if (status != 0)
		return status < 0 ? 0 : status;

	status = cli_load_scoring(&scoring);
	if (status != 0)
		return status;
	o.req.scoring = &scoring;
	status = cli_open_store(&st);
	if (status != 0)
		return status;

	buf_init(&out, CLI_DIGEST_OUTPUT_MAX);
	rc = run_digest(st, &o, time_now(), &out, &err);
	store_close(st);
	if (rc == CH_OK && out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = ch_fail(&err, CH_IO, "writing the digest to standard output failed");
	buf_free(&out);
	if (rc == CH_USAGE)
		return cli_usage_error("digest", "%s", err.message);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}
