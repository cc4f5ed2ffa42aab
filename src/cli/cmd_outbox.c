/*
 * ctihub outbox: the operator's view of queued notifications. It lists
 * messages by state (the dead-letter list by default), puts a dead message
 * back in the queue, and runs one delivery pass on demand.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/timeutil.h"

static const char outbox_help[] =
	"Usage: ctihub outbox [--state pending|delivered|dead|all] [--limit N] [--json]\n"
	"       ctihub outbox retry ID\n"
	"       ctihub outbox deliver\n"
	"\n"
	"Lists queued notifications, newest first: by default the dead-letter list,\n"
	"the messages that failed max_attempts times. 'retry ID' puts a dead message\n"
	"back in the queue with its attempts reset, and the next delivery pass sends\n"
	"it. 'deliver' sends every message that is due now, once, with the sinks of\n"
	"the configuration file (--config PATH or $CTIHUB_CONFIG), and prints how\n"
	"many were delivered and how many failed.\n"
	"\n"
	"Options:\n"
	"  --state STATE  pending, delivered, dead (default) or all\n"
	"  --limit N      at most N messages (default 100)\n"
	"  --json         print a JSON array\n";

struct outbox_options {
	const char *state; /* NULL for all */
	long limit;
	bool json;
};

static json_t *row_json(const struct store_outbox_row *r)
{
	char created[TIME_ISO_MAX], next[TIME_ISO_MAX], delivered[TIME_ISO_MAX];

	time_format_iso(r->created, created, sizeof(created));
	time_format_iso(r->next_attempt, next, sizeof(next));
	time_format_iso(r->delivered, delivered, sizeof(delivered));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s?, s:s, s:s?}", "id",
			 (json_int_t)r->id, "state", r->state, "sink", r->sink, "event", r->event,
			 "object", r->object, "idempotency_key", r->idempotency_key, "attempts",
			 r->attempts, "next_attempt", next, "last_error", r->last_error, "created",
			 created, "delivered", r->delivered ? delivered : NULL);
}

static void print_table(const struct store_outbox_list *list, const char *state)
{
	if (list->count == 0) {
		printf("no %s notifications\n", state ? state : "queued");
		return;
	}
	printf("%-6s %-9s %-16s %-18s %-14s %-8s %-20s %s\n", "ID", "STATE", "SINK", "EVENT",
	       "OBJECT", "ATTEMPTS", "CREATED", "LAST ERROR");
	for (size_t i = 0; i < list->count; i++) {
		const struct store_outbox_row *r = &list->items[i];
		char created[TIME_ISO_MAX];

		time_format_iso(r->created, created, sizeof(created));
		printf("%-6lld %-9s %-16s %-18s %-14s %-8d %-20s %s\n", (long long)r->id, r->state,
		       r->sink, r->event, r->object, r->attempts, created,
		       r->last_error ? r->last_error : "-");
	}
}

static int list_messages(const struct outbox_options *o)
{
	struct ch_error err = { 0 };
	struct store_outbox_list list;
	struct store *st;
	enum ch_code rc;
	int status;

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	rc = store_outbox_list(st, o->state, (size_t)o->limit, &list, &err);
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);

	if (o->json) {
		json_t *array = json_array();

		for (size_t i = 0; i < list.count; i++)
			json_array_append_new(array, row_json(&list.items[i]));
		json_dumpf(array, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(array);
	} else {
		print_table(&list, o->state);
	}
	store_outbox_list_free(&list);
	return 0;
}

static int retry_message(const char *id_text)
{
	struct ch_error err = { 0 };
	struct store *st;
	long id;
	enum ch_code rc;
	int status;

	if (!cli_parse_long(id_text, 1, LONG_MAX, &id))
		return cli_usage_error("outbox", "invalid message id '%s': use the ID column of 'ctihub outbox'",
				       id_text);
	status = cli_open_store(&st);
	if (status != 0)
		return status;

	/* The requeue and its audit entry commit together. */
	rc = store_begin(st, &err);
	if (rc == CH_OK) {
		rc = store_outbox_retry(st, id, time_now(), &err);
		if (rc == CH_NOT_FOUND)
			snprintf(err.message, sizeof(err.message),
				 "no dead notification has id %ld; 'ctihub outbox' lists them", id);
		if (rc == CH_OK)
			rc = cli_audit(st, "outbox.retry", "outbox", id, "requeued", &err);
		if (rc == CH_OK)
			rc = store_commit(st, &err);
		else
			store_rollback(st);
	}
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("notification %ld requeued; the next delivery pass sends it\n", id);
	return 0;
}

static int deliver_now(void)
{
	struct notify_config cfg;
	struct ch_error err = { 0 };
	struct store *st;
	size_t delivered = 0, failed = 0;
	enum ch_code rc;
	int status;

	status = cli_load_notify(&cfg);
	if (status != 0)
		return status;

	/* Without sinks every pending message would go to the dead-letter list
	 * as "sink not configured", which is never what the operator meant. */
	if (cfg.sink_count == 0) {
		notify_config_free(&cfg);
		fprintf(stderr, "ctihub: no notification sinks are configured; pass --config PATH or set CTIHUB_CONFIG\n");
		return 2;
	}
	status = cli_open_store(&st);
	if (status != 0) {
		notify_config_free(&cfg);
		return status;
	}
	rc = notify_deliver_due(st, &cfg, time_now(), &delivered, &failed, &err);
	store_close(st);
	notify_config_free(&cfg);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("delivered %zu, failed %zu\n", delivered, failed);
	return 0;
}

static int parse_state(const char *text, struct outbox_options *o)
{
	static const char *const states[] = { "pending", "delivered", "dead", NULL };

	if (strcmp(text, "all") == 0) {
		o->state = NULL;
		return 0;
	}
	for (const char *const *s = states; *s; s++) {
		if (strcmp(text, *s) == 0) {
			o->state = *s;
			return 0;
		}
	}
	return cli_usage_error("outbox", "invalid --state '%s': use pending, delivered, dead or all",
			       text);
}

int cmd_outbox(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct outbox_options o = { .state = "dead", .limit = 100 };
	const char *action;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 's':
			status = parse_state(optarg, &o);
			if (status != 0)
				return status;
			break;
		case 'l':
			if (!cli_parse_long(optarg, 1, 100000, &o.limit))
				return cli_usage_error("outbox", "invalid --limit '%s': use 1 to 100000",
						       optarg);
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			fputs(outbox_help, stdout);
			return 0;
		default:
			return cli_usage_error("outbox", "invalid option");
		}
	}

	if (optind >= argc)
		return list_messages(&o);
	action = argv[optind];
	if (strcmp(action, "retry") == 0 && optind + 2 == argc)
		return retry_message(argv[optind + 1]);
	if (strcmp(action, "deliver") == 0 && optind + 1 == argc)
		return deliver_now();
	if (strcmp(action, "retry") == 0)
		return cli_usage_error("outbox", "expected 'outbox retry ID'");
	return cli_usage_error("outbox", "unknown action '%s': use retry ID or deliver", action);
}
