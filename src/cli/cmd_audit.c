/*
 * ctihub audit: read and verify the audit log (operators only: it needs
 * the database file).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/timeutil.h"

static void print_help(void)
{
	printf("Usage: ctihub audit [--since DURATION] [--after ID] [--limit N] [--json] [--verify]\n"
	       "\n"
	       "Prints the audit log: every write, every rejected token and every read of\n"
	       "an AMBER+STRICT or RED report, oldest first.\n"
	       "\n"
	       "Options:\n"
	       "  --since DURATION  only entries from this far back, such as 24h or 7d\n"
	       "  --after ID        only entries with a higher id: the next page after ID\n"
	       "  --limit N         at most N entries (default 1000)\n"
	       "  --json            print a JSON array\n"
	       "  --verify          recompute the SHA-256 chain; exit 1 if an entry was altered\n");
}

static int verify(struct store *st)
{
	struct ch_error err = { 0 };
	int64_t bad;
	enum ch_code rc = store_audit_verify(st, &bad, &err);

	if (rc != CH_OK)
		return cli_fail(rc, &err);
	if (bad) {
		printf("audit log altered: entry %lld does not match its hash chain\n", (long long)bad);
		return 1;
	}
	printf("audit log intact\n");
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option options[] = {
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "after", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ch_error err = { 0 };
	struct store_audit_list list;
	int64_t period = 0;
	long limit = 1000, after = 0;
	bool as_json = false, check = false;
	struct store *st;
	enum ch_code rc;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 's':
			if (time_parse_duration(optarg, &period, &err) != CH_OK)
				return cli_usage_error("audit", "%s", err.message);
			break;
		case 'l':
			if (!cli_parse_long(optarg, 1, 1000000, &limit))
				return cli_usage_error("audit", "invalid --limit '%s': use 1 to 1000000",
						       optarg);
			break;
		case 'a':
			if (!cli_parse_long(optarg, 0, INT64_MAX, &after))
				return cli_usage_error("audit", "invalid --after '%s': use an entry id "
						       "from an earlier listing", optarg);
			break;
		case 'j':
			as_json = true;
			break;
		case 'v':
			check = true;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("audit", "invalid option");
		}
	}
	status = cli_open_store(&st);
	if (status != 0)
		return status;
	if (check) {
		status = verify(st);
		store_close(st);
		return status;
	}

	rc = store_audit_list(st, period ? time_now() - period : 0, (int64_t)after, (size_t)limit,
			      &list, &err);
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);

	json_t *array = as_json ? json_array() : NULL;

	for (size_t i = 0; i < list.count; i++) {
		const struct store_audit_row *r = &list.items[i];
		char when[TIME_ISO_MAX];

		time_format_iso(r->time, when, sizeof(when));
		if (as_json)
			json_array_append_new(array,
					      json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
							(json_int_t)r->id, "time", when, "actor", r->actor,
							"action", r->action, "object", r->object, "client",
							r->client, "outcome", r->outcome, "detail", r->detail));
		else
			printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)r->id, when, r->actor,
			       r->action, r->object, r->client, r->outcome, r->detail);
	}
	if (as_json) {
		json_dumpf(array, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(array);
	}
	store_audit_list_free(&list);
	return 0;
}
