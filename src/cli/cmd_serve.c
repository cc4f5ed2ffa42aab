/*
 * ctihub serve: the hub server. Opens (creating when missing) the
 * database, creates the first admin account on a fresh database and prints
 * its token once, then serves the JSON API until SIGTERM or SIGINT. Two
 * threads run beside the HTTP workers: the outbox worker, and the digest
 * scheduler when the configuration lists digests.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "http/api.h"
#include "formats/yaml_json.h"
#include "policy/token.h"
#include "schedule/schedule.h"
#include "util/log.h"
#include "util/timeutil.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Metrics tokens shorter than this are rejected as guessable. */
#define METRICS_TOKEN_MIN 16

/* Reads CTIHUB_METRICS_TOKEN; returns NULL when unset or empty. Sets
 * *status to 2 for a token that is too short. */
static const char *metrics_token(int *status)
{
	const char *token = getenv("CTIHUB_METRICS_TOKEN");

	*status = 0;
	if (!token || !*token) {
		log_info(NULL, "GET /metrics needs no token; set CTIHUB_METRICS_TOKEN to require one.");
		return NULL;
	}
	if (strlen(token) < METRICS_TOKEN_MIN) {
		*status = cli_usage_error("serve", "CTIHUB_METRICS_TOKEN is %zu characters long; use "
					  "at least %d random characters, such as the output of "
					  "'head -c 32 /dev/urandom | base64'",
					  strlen(token), METRICS_TOKEN_MIN);
		return NULL;
	}
	return token;
}

/* Longest CTIHUB_SHARED_READ_MS, in milliseconds. */
#define SHARED_READ_MS_MAX 1000

/* Reads CTIHUB_SHARED_READ_MS into *ms: 1 when unset or empty. Sets
 * *status to 2 for a value that is not a whole number of milliseconds
 * from 0 to SHARED_READ_MS_MAX. */
static void shared_read_ms(unsigned *ms, int *status)
{
	const char *text = getenv("CTIHUB_SHARED_READ_MS");
	char *end;
	long value;

	*ms = 1;
	if (!text || !*text)
		return;
	errno = 0;
	value = strtol(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || value > SHARED_READ_MS_MAX) {
		*status = cli_usage_error("serve", "CTIHUB_SHARED_READ_MS '%s' is invalid; use a whole "
					  "number of milliseconds from 0 (each lookup reads on "
					  "its own) to %d",
					  text, SHARED_READ_MS_MAX);
		return;
	}
	*ms = (unsigned)value;
}

static void print_help(void)
{
	printf("Usage: ctihub serve [--listen ADDR:PORT] [--db PATH] [OPTIONS]\n"
	       "\n"
	       "Serves the JSON API under /api/v1, the chat bridge under /chat, /healthz\n"
	       "and /metrics until SIGTERM or SIGINT, then finishes the requests in flight\n"
	       "and exits 0. On a database without users it creates the organisation\n"
	       "'operators' and the admin user 'admin', and prints the admin's API token\n"
	       "once.\n"
	       "\n"
	       "Options:\n"
	       "  --listen ADDR:PORT  address to listen on (default 127.0.0.1:8080;\n"
	       "                      :PORT listens on every interface)\n"
	       "  --threads N         worker threads (default: one per core)\n"
	       "  --rate-limit N      requests per second per token, and per client address\n"
	       "                      for requests without a valid token; bursts of 2N\n"
	       "                      (default 50; 0 turns the limits off)\n"
	       "  --body-max BYTES    largest request body accepted (default 1048576)\n"
	       "  --public-read       let readers without a token see TLP:CLEAR reports\n"
	       "  --warninglist PATH  flag values found on this MISP warning list\n"
	       "  --config PATH       configuration file: notification sinks, scheduled\n"
	       "                      digests and chat workspaces (default\n"
	       "                      $CTIHUB_CONFIG; see docs/configuration.md and\n"
	       "                      docs/chat.md)\n"
	       "  --db PATH           database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  -h, --help          show this help\n"
	       "\n"
	       "Environment:\n"
	       "  CTIHUB_METRICS_TOKEN  when set (16 characters or more), GET /metrics needs\n"
	       "                        'Authorization: Bearer' and this value\n"
	       "  CTIHUB_SHARED_READ_MS indicator lookups on one worker thread share a read\n"
	       "                        transaction for up to this many milliseconds\n"
	       "                        (default 1, at most 1000; 0 turns sharing off)\n");
}

/* Loads the scheduled digests and the scoring settings from the
 * configuration file, which cli_load_notify read before; without a file,
 * no digests and the built-in scoring. */
static int load_digests(const struct notify_config *notify, struct schedule_config *digests,
			struct score_config *scoring)
{
	struct ch_error err = { 0 };
	const char *path = cli_globals.config_path;
	json_t *root = NULL;
	enum ch_code rc = CH_OK;

	score_config_default(scoring);
	if (!path || !*path)
		path = getenv("CTIHUB_CONFIG");
	if (path && *path)
		rc = yaml_json_load(path, &root, &err);
	if (rc == CH_OK)
		rc = score_config_load(root, scoring, &err);
	if (rc == CH_OK)
		rc = schedule_config_load(root, notify, digests, &err);
	json_decref(root);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}

/* Creates the first admin on an empty database and prints its token. */
static int bootstrap_admin(struct store *st)
{
	struct ch_error err = { 0 };
	char text[TOKEN_TEXT_MAX];
	unsigned char hash[TOKEN_HASH_BYTES];
	int64_t users, org_id, user_id, token_id;
	enum ch_code rc;

	rc = store_user_count(st, &users, &err);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	if (users > 0)
		return 0;

	token_generate(text, hash);
	rc = store_begin(st, &err);
	if (rc == CH_OK)
		rc = store_org_add(st, "operators", &org_id, &err);
	if (rc == CH_OK)
		rc = store_user_add(st, "admin", org_id, ROLE_ADMIN, &user_id, &err);
	if (rc == CH_OK)
		rc = store_token_add(st, user_id, hash, time_now(), 0, &token_id, &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "user.bootstrap", "user", user_id, "first admin", &err);
	if (rc == CH_OK)
		rc = store_commit(st, &err);
	if (rc != CH_OK) {
		store_rollback(st);
		return cli_fail(rc, &err);
	}
	printf("Created the admin user 'admin'. Its API token is shown once; store it now:\n"
	       "%s\n",
	       text);
	fflush(stdout);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "rate-limit", required_argument, NULL, 'r' },
		{ "body-max", required_argument, NULL, 'b' },
		{ "public-read", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct http_server_config config = { .listen = "127.0.0.1:8080" };
	struct api_app app = { 0 };
	struct api_shared_reads *shared_reads = NULL;
	unsigned shared_ms = 1;
	struct ioc_warnlists *wl = NULL;
	struct notify_config notify = { 0 };
	struct chat_config chat = { 0 };
	struct notify_worker *worker = NULL;
	struct schedule_config digests = { 0 };
	struct score_config scoring;
	struct schedule_worker *scheduler = NULL;
	struct ch_error err = { 0 };
	struct store *st = NULL;
	long rate = 50, n;
	enum ch_code rc;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'l':
			config.listen = optarg;
			break;
		case 't':
			if (!cli_parse_long(optarg, 1, 256, &n))
				return cli_usage_error("serve", "invalid --threads '%s': use 1 to 256", optarg);
			config.threads = (unsigned)n;
			break;
		case 'r':
			if (!cli_parse_long(optarg, 0, 1000000, &rate))
				return cli_usage_error("serve", "invalid --rate-limit '%s': use 0 to 1000000",
						       optarg);
			break;
		case 'b':
			if (!cli_parse_long(optarg, 1024, 256L * 1024 * 1024, &n))
				return cli_usage_error("serve",
						       "invalid --body-max '%s': use 1024 to 268435456 bytes",
						       optarg);
			config.body_max = (size_t)n;
			break;
		case 'p':
			app.public_read = true;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("serve", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);

	config.metrics_token = metrics_token(&status);
	if (status == 0)
		shared_read_ms(&shared_ms, &status);
	if (status == 0)
		status = cli_load_warnlists(&wl);
	if (status == 0)
		status = cli_load_notify(&notify);
	if (status == 0)
		status = cli_load_chat(&chat);
	/* Before any thread starts, because checking a schedule's time zone
	 * sets TZ, which is not safe while other threads read the
	 * environment. */
	if (status == 0)
		status = load_digests(&notify, &digests, &scoring);
	if (status == 0)
		status = cli_open_store(&st);
	if (status == 0)
		status = bootstrap_admin(st);
	if (status == 0 && (rc = chat_config_resolve(&chat, st, &err)) != CH_OK)
		status = cli_fail(rc, &err);
	store_close(st);
	if (status != 0)
		goto out;

	/* The worker delivers what earlier runs queued, so it starts even
	 * when the configuration lists no sinks: their messages go to the
	 * dead-letter list instead of waiting for ever. */
	rc = notify_worker_start(cli_globals.db_path, &notify, &worker, &err);
	if (rc != CH_OK) {
		status = cli_fail(rc, &err);
		goto out;
	}
	if (digests.count > 0) {
		rc = schedule_worker_start(cli_globals.db_path, &digests, &scoring, notify.poll,
					   worker, &scheduler, &err);
		if (rc != CH_OK) {
			notify_worker_stop(worker);
			status = cli_fail(rc, &err);
			goto out;
		}
	}

	app.db_path = cli_globals.db_path;
	app.warnlists = wl;
	app.notify = &notify;
	app.chat = &chat;
	app.public_url = notify.public_url;
	app.notify_worker = worker;
	app.ratelimit = rate ? ratelimit_new((double)rate, (unsigned)rate * 2) : NULL;
	app.client_ratelimit = rate ? ratelimit_new((double)rate, (unsigned)rate * 2) : NULL;
	rc = audit_writer_start(cli_globals.db_path, &app.audit_writer, &err);
	if (rc != CH_OK) {
		status = cli_fail(rc, &err);
		goto stop_workers;
	}
	/* Without this thread the lookups do not share read transactions,
	 * which changes only their speed. */
	if (shared_ms > 0) {
		if (api_shared_reads_start((uint64_t)shared_ms * 1000000, &shared_reads, &err) ==
		    CH_OK)
			app.shared_read_ns = (uint64_t)shared_ms * 1000000;
		else
			log_warn(NULL, "%s; each lookup reads in a transaction of its own.",
				 err.message);
	}
	config.routes = api_routes;
	config.route_count = api_route_count;
	config.app = &app;
	config.metrics_cb = api_metrics;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* One log line per request: written in batches, not one write each. */
	log_buffer_start();
	rc = http_server_run(&config, &stop_requested, &err);
	log_buffer_stop();
	if (rc != CH_OK)
		status = cli_fail(rc, &err);
	/* After the server, which has sent every held response by then and
	 * whose worker threads have closed their store handles. */
	audit_writer_stop(app.audit_writer);
	api_shared_reads_stop(shared_reads);

stop_workers:
	schedule_worker_stop(scheduler);
	notify_worker_stop(worker);
	ratelimit_free(app.ratelimit);
	ratelimit_free(app.client_ratelimit);
out:
	schedule_config_free(&digests);
	notify_config_free(&notify);
	chat_config_free(&chat);
	ioc_warnlists_free(wl);
	return status;
}
