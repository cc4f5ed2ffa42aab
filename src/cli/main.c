/*
 * ctihub's command-line entry point: global options, then one command from
 * the table below. Each command lives in its own cmd_*.c file.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
	{ "init", "create the database or apply pending migrations", cmd_init },
	{ "ingest", "read indicator files, feeds or text into the store", cmd_ingest },
	{ "search", "look indicators up (defanged input accepted)", cmd_search },
	{ "parse", "print the type and canonical form of values", cmd_parse },
	{ "stats", "print totals of the store", cmd_stats },
	{ "digest", "summarise what is new in a period", cmd_digest },
	{ "explain", "show how an indicator's score is made", cmd_explain },
	{ "export", "write refined block lists and CSVs", cmd_export },
	{ "serve", "run the hub server (JSON API)", cmd_serve },
	{ "org", "add organisations", cmd_org },
	{ "user", "add, list and link user accounts", cmd_user },
	{ "token", "create and revoke API tokens", cmd_token },
	{ "audit", "print or verify the audit log", cmd_audit },
	{ "attack", "import the MITRE ATT&CK catalogue", cmd_attack },
	{ "le", "work the law-enforcement referral queue", cmd_le },
	{ "outbox", "show and retry queued notifications", cmd_outbox },
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: ctihub [--db PATH] [--config PATH] [--warninglist PATH] COMMAND [ARGS]\n"
		"\n"
		"ctihub collects indicators of compromise, stores each once in canonical\n"
		"form with first and last sighting, and prints refined summaries.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Global options:\n"
		"  --db PATH           SQLite database file (default: $CTIHUB_DB or ./ctihub.db)\n"
		"  --config PATH       configuration file (default: $CTIHUB_CONFIG; none)\n"
		"  --warninglist PATH  MISP warning-list JSON file or folder; repeatable\n"
		"                      (also $CTIHUB_WARNINGLISTS, colon-separated)\n"
		"  -h, --help          show this help; 'ctihub COMMAND --help' for a command\n"
		"  --version           print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *env_db = getenv("CTIHUB_DB");
	int opt;

	if (sodium_init() < 0) {
		fprintf(stderr, "ctihub: libsodium failed to initialise\n");
		return 70;
	}
	cli_globals.db_path = env_db && *env_db ? env_db : "ctihub.db";

	/* '+' stops at the first non-option, which is the command name. */
	while ((opt = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("ctihub 0.1.0\n");
			return 0;
		default:
			fprintf(stderr, "Run 'ctihub --help' for usage.\n");
			return 2;
		}
	}

	if (optind >= argc) {
		print_usage(stderr);
		return 2;
	}

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0; /* getopt_long restarts for the command's options */
			return commands[i].run(sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "ctihub: unknown command '%s'\nRun 'ctihub --help' for the list of commands.\n",
		argv[optind]);
	return 2;
}
