/*
 * ctihub digest: what is new since a point in time.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "digest/digest.h"
#include "util/timeutil.h"

static void print_help(void)
{
	printf("Usage: ctihub digest [--since DURATION] [--format text|md|json]\n"
	       "\n"
	       "Summarises the indicators first seen in the period: counts by type and\n"
	       "source, the top registrable domains, what was warned about, and totals.\n"
	       "\n"
	       "Options:\n"
	       "  --since DURATION  period length back from now: 90m, 24h (default), 7d, 2w\n"
	       "  --format FORMAT   text (default), md (Markdown) or json\n"
	       "  --db PATH         database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  -h, --help        show this help\n");
}

int cmd_digest(int argc, char **argv)
{
	static const struct option options[] = {
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	enum digest_format format = DIGEST_TEXT;
	int64_t period = 86400, now;
	struct ch_error err = { 0 };
	struct digest d;
	struct store *st;
	enum ch_code rc;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 's':
			if (time_parse_duration(optarg, &period, &err) != CH_OK)
				return cli_usage_error("digest", "%s", err.message);
			break;
		case 'f':
			if (digest_format_parse(optarg, &format, &err) != CH_OK)
				return cli_usage_error("digest", "%s", err.message);
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("digest", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("digest", "unexpected argument '%s'", argv[optind]);

	status = cli_open_store(&st);
	if (status != 0)
		return status;

	now = time_now();
	rc = digest_build(st, now - period, now, &d, &err);
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	rc = digest_render(&d, format, stdout, &err);
	digest_free(&d);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}
