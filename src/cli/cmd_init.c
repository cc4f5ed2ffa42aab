/*
 * ctihub init: create the database, or bring its schema up to date.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

int cmd_init(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct store *st;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (opt == 'h') {
			printf("Usage: ctihub init [--db PATH]\n"
			       "\n"
			       "Creates the SQLite database (default ./ctihub.db) or applies the\n"
			       "migrations it lacks. Running it again is harmless.\n");
			return 0;
		}
		return cli_usage_error("init", "invalid option");
	}
	if (optind < argc)
		return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	printf("database %s ready (schema version %d)\n", cli_globals.db_path,
	       store_schema_version(st));
	store_close(st);
	return 0;
}
