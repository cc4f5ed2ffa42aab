/*
 * ctihub stats: totals of the store.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

int cmd_stats(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct store_totals totals;
	struct ch_error err = { 0 };
	struct store *st;
	enum ch_code rc;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (opt == 'h') {
			printf("Usage: ctihub stats [--db PATH]\n"
			       "\n"
			       "Prints the number of indicators (in all and by type), reports,\n"
			       "sources, report-indicator links and indicators with warnings.\n");
			return 0;
		}
		return cli_usage_error("stats", "invalid option");
	}

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	rc = store_totals(st, &totals, &err);
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);

	printf("indicators\t%lld\n", (long long)totals.indicators);
	for (int t = 1; t < IOC_TYPE_COUNT; t++)
		printf("  %s\t%lld\n", ioc_type_name((enum ioc_type)t), (long long)totals.by_type[t]);
	printf("reports\t%lld\n", (long long)totals.reports);
	printf("sources\t%lld\n", (long long)totals.sources);
	printf("links\t%lld\n", (long long)totals.links);
	printf("with warnings\t%lld\n", (long long)totals.warned);
	return 0;
}
