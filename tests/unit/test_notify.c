/*
 * Unit tests for notifications. They cover the configuration reader (a
 * full configuration, defaults, each kind of invalid input) and the
 * payloads read back from a real temporary SQLite outbox (TLP withholding,
 * internal replies, event subscriptions, idempotency keys). Failed
 * deliveries show the backoff and the dead-letter list. A row whose sink
 * lowered its tlp_max or changed its type after queueing is checked again
 * at delivery, against a loopback socket that records any connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "notify/notify.h"
#include "notify/notify_internal.h"
#include "temp_db.h"

#define NOW 1796400000 /* 2026-12-04T16:00:00Z; any fixed time works */

static struct notify_config load_config_ok(const char *json_text)
{
	struct notify_config cfg;
	struct ch_error err = { 0 };
	json_error_t jerr;
	json_t *root = json_loads(json_text, 0, &jerr);

	if (!root)
		fail_msg("test JSON does not parse: %s", jerr.text);
	if (notify_config_load(root, &cfg, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	json_decref(root);
	return cfg;
}

static void test_config_defaults(void **state)
{
	struct notify_config cfg;
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(notify_config_load(NULL, &cfg, &err), CH_OK);
	assert_int_equal(cfg.sink_count, 0);
	assert_int_equal(cfg.max_attempts, 12);
	assert_int_equal(cfg.backoff, 30);
	assert_int_equal(cfg.backoff_max, 3600);
	assert_int_equal(cfg.poll, 1);
	assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
	notify_config_free(&cfg);
	notify_config_free(&cfg);
}

static void test_config_full(void **state)
{
	struct notify_config cfg;
	const struct notify_sink *hook, *mail, *chat;

	(void)state;
	setenv("TEST_NOTIFY_SMTP_PASSWORD", "s3cret", 1);
	cfg = load_config_ok(
		"{\"public_url\": \"https://hub.example.org/\","
		" \"notify\": {\"max_attempts\": 5, \"backoff\": \"10s\", \"backoff_max\": 600,"
		"  \"poll\": \"2s\", \"sinks\": ["
		"  {\"name\": \"le-desk\", \"type\": \"webhook\","
		"   \"url\": \"http://127.0.0.1:9000/hook\", \"tlp_max\": \"RED\","
		"   \"events\": [\"referral.created\", \"referral.state\"], \"timeout\": \"5s\"},"
		"  {\"name\": \"le-mail\", \"type\": \"email\", \"url\": \"smtps://127.0.0.1:2525\","
		"   \"from\": \"ctihub@example.org\", \"to\": [\"a@example.org\", \"b@example.org\"],"
		"   \"username\": \"ctihub\", \"password_env\": \"TEST_NOTIFY_SMTP_PASSWORD\"},"
		"  {\"name\": \"chat\", \"type\": \"mattermost\","
		"   \"url\": \"https://chat.example.org/hooks/x\", \"tlp_max\": \"green\"}]}}");
	unsetenv("TEST_NOTIFY_SMTP_PASSWORD");

	assert_string_equal(cfg.public_url, "https://hub.example.org");
	assert_int_equal(cfg.max_attempts, 5);
	assert_int_equal(cfg.backoff, 10);
	assert_int_equal(cfg.backoff_max, 600);
	assert_int_equal(cfg.poll, 2);
	assert_int_equal(cfg.sink_count, 3);

	hook = &cfg.sinks[0];
	assert_string_equal(hook->name, "le-desk");
	assert_int_equal(hook->type, SINK_WEBHOOK);
	assert_int_equal(hook->tlp_max, TLP_RED);
	assert_int_equal(hook->events, NOTIFY_REFERRAL_CREATED | NOTIFY_REFERRAL_STATE);
	assert_int_equal(hook->timeout_seconds, 5);

	mail = &cfg.sinks[1];
	assert_int_equal(mail->type, SINK_EMAIL);
	assert_int_equal(mail->tlp_max, TLP_AMBER);
	assert_int_equal(mail->events,
			 NOTIFY_REFERRAL_CREATED | NOTIFY_REFERRAL_REPLY | NOTIFY_REFERRAL_STATE);
	assert_string_equal(mail->mail_from, "ctihub@example.org");
	assert_int_equal(mail->mail_to_count, 2);
	assert_string_equal(mail->mail_to[1], "b@example.org");
	assert_string_equal(mail->username, "ctihub");
	assert_string_equal(mail->password, "s3cret");
	assert_int_equal(mail->timeout_seconds, 10);

	chat = &cfg.sinks[2];
	assert_int_equal(chat->type, SINK_MATTERMOST);
	assert_int_equal(chat->tlp_max, TLP_GREEN);
	notify_config_free(&cfg);
}

static void test_config_single_recipient(void **state)
{
	struct notify_config cfg;

	(void)state;
	cfg = load_config_ok("{\"notify\": {\"sinks\": [{\"name\": \"m\", \"type\": \"email\","
			     " \"url\": \"smtp://127.0.0.1:25\", \"from\": \"a@example.org\","
			     " \"to\": \"b@example.org\"}]}}");
	assert_int_equal(cfg.sinks[0].mail_to_count, 1);
	assert_string_equal(cfg.sinks[0].mail_to[0], "b@example.org");
	assert_null(cfg.sinks[0].username);
	assert_null(cfg.sinks[0].password);
	notify_config_free(&cfg);
}

/* One rejected configuration: the JSON and a part of the message. */
struct bad_config {
	const char *json;
	const char *message;
};

#define SINK(fields) "{\"notify\": {\"sinks\": [" fields "]}}"
#define HOOK "\"name\": \"h\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1/x\""
#define MAIL                                                                      \
	"\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","    \
	" \"from\": \"a@example.org\", \"to\": [\"b@example.org\"]"

static const struct bad_config bad_configs[] = {
	{ "[1, 2]", "must be a mapping" },
	{ "{\"notfy\": {}}", "configuration: unknown key 'notfy'; expected one of public_url, notify" },
	{ "{\"public_url\": \"ftp://hub.example.org\"}", "public_url uses 'ftp:'" },
	{ "{\"public_url\": \"not a url\"}", "public_url must not contain spaces" },
	{ "{\"public_url\": 12}", "public_url must be a string, not a number" },
	{ "{\"notify\": []}", "notify must be a mapping, not a list" },
	{ "{\"notify\": {\"retries\": 3}}", "notify: unknown key 'retries'" },
	{ "{\"notify\": {\"max_attempts\": 0}}", "max_attempts must be a whole number from 1 to 100" },
	{ "{\"notify\": {\"max_attempts\": \"12\"}}", "max_attempts must be a whole number" },
	{ "{\"notify\": {\"backoff\": \"soon\"}}", "notify.backoff: invalid duration 'soon'" },
	{ "{\"notify\": {\"backoff\": 0}}", "notify.backoff is 0 seconds; use 1 to 86400 seconds" },
	{ "{\"notify\": {\"backoff\": true}}", "notify.backoff must be a duration such as 30s, not a boolean" },
	{ "{\"notify\": {\"backoff\": \"2h\", \"backoff_max\": \"1h\"}}",
	  "notify.backoff_max (3600 s) is shorter than notify.backoff (7200 s)" },
	{ "{\"notify\": {\"poll\": \"2d\"}}", "notify.poll is 172800 seconds" },
	{ "{\"notify\": {\"sinks\": {}}}", "notify.sinks must be a list of sinks, not a mapping" },
	{ SINK("\"le-desk\""), "notify.sinks[0] must be a mapping" },
	{ SINK("{" HOOK ", \"tlpmax\": \"RED\"}"),
	  "notify.sinks[0]: unknown key 'tlpmax'; expected one of name, type, url, tlp_max, events, timeout, from, to, username, password_env" },
	{ SINK("{\"type\": \"webhook\", \"url\": \"http://127.0.0.1/\"}"), "notify.sinks[0] has no name" },
	{ SINK("{\"name\": \"\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1/\"}"),
	  "notify.sinks[0].name must be 1 to 64 characters long" },
	{ SINK("{\"name\": \"a/b\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1/\"}"),
	  "notify.sinks[0].name 'a/b' is invalid" },
	{ SINK("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
	       " \"type\": \"webhook\", \"url\": \"http://127.0.0.1/\"}"),
	  "1 to 64 characters" },
	{ SINK("{" HOOK "}, {" HOOK "}"), "notify.sinks[1].name 'h' is used by another sink" },
	{ SINK("{\"name\": \"h\", \"url\": \"http://127.0.0.1/\"}"), "notify.sinks[0] has no type" },
	{ SINK("{\"name\": \"h\", \"type\": \"teams\", \"url\": \"http://127.0.0.1/\"}"),
	  "notify.sinks[0].type 'teams' is invalid; use webhook, slack, mattermost or email" },
	{ SINK("{\"name\": \"h\", \"type\": \"slack\"}"), "notify.sinks[0] has no url" },
	{ SINK("{\"name\": \"h\", \"type\": \"slack\", \"url\": \"smtp://127.0.0.1/\"}"),
	  "notify.sinks[0].url uses 'smtp:'; use a https:// or http:// URL" },
	{ SINK("{\"name\": \"h\", \"type\": \"webhook\", \"url\": \"file:///etc/passwd\"}"),
	  "notify.sinks[0].url" },
	{ SINK("{" HOOK ", \"tlp_max\": \"PURPLE\"}"), "notify.sinks[0].tlp_max is invalid" },
	{ SINK("{\"name\": \"s\", \"type\": \"slack\", \"url\": \"https://hooks.example.org/x\","
	       " \"tlp_max\": \"RED\"}"),
	  "a slack channel is shared" },
	{ SINK("{\"name\": \"s\", \"type\": \"mattermost\", \"url\": \"https://chat.example.org/x\","
	       " \"tlp_max\": \"AMBER+STRICT\"}"),
	  "a mattermost channel is shared" },
	{ SINK("{" HOOK ", \"events\": []}"), "notify.sinks[0].events must be a list" },
	{ SINK("{" HOOK ", \"events\": [\"referral.deleted\"]}"), "notify.sinks[0].events[0] is not an event" },
	{ SINK("{" HOOK ", \"timeout\": \"10m\"}"), "notify.sinks[0].timeout is 600 seconds; use 1 to 300" },
	{ SINK("{" HOOK ", \"from\": \"a@example.org\"}"), "key 'from' applies only to email sinks" },
	{ SINK("{" MAIL ", \"password\": \"hunter2\"}"), "key 'password' is not allowed" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","
	       " \"to\": [\"b@example.org\"]}"),
	  "notify.sinks[0] has no from" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","
	       " \"from\": \"a@example.org\"}"),
	  "notify.sinks[0] has no to" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"http://127.0.0.1\","
	       " \"from\": \"a@example.org\", \"to\": \"b@example.org\"}"),
	  "notify.sinks[0].url uses 'http:'; use a smtp:// or smtps:// URL" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://u:p@127.0.0.1\","
	       " \"from\": \"a@example.org\", \"to\": \"b@example.org\"}"),
	  "must not contain a user name or password" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","
	       " \"from\": \"not-an-address\", \"to\": \"b@example.org\"}"),
	  "notify.sinks[0].from: 'not-an-address' is not a valid email address" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","
	       " \"from\": \"a@example.org\", \"to\": [\"b@example.org\", \"x@y>z\"]}"),
	  "notify.sinks[0].to[1]: 'x@y>z' is not a valid email address" },
	{ SINK("{\"name\": \"m\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1\","
	       " \"from\": \"a@example.org\", \"to\": [\"1@x.org\", \"2@x.org\", \"3@x.org\","
	       " \"4@x.org\", \"5@x.org\", \"6@x.org\", \"7@x.org\", \"8@x.org\", \"9@x.org\","
	       " \"10@x.org\", \"11@x.org\", \"12@x.org\", \"13@x.org\", \"14@x.org\","
	       " \"15@x.org\", \"16@x.org\", \"17@x.org\"]}"),
	  "notify.sinks[0].to must be a list of 1 to 16 email addresses" },
	{ SINK("{" MAIL ", \"username\": \"u\"}"), "username and password_env go together" },
	{ SINK("{" MAIL ", \"password_env\": \"TEST_NOTIFY_UNSET_VARIABLE\"}"),
	  "username and password_env go together" },
	{ SINK("{" MAIL ", \"username\": \"u\", \"password_env\": \"TEST_NOTIFY_UNSET_VARIABLE\"}"),
	  "names the environment variable TEST_NOTIFY_UNSET_VARIABLE, which is not set" },
};

static void test_config_rejects_invalid(void **state)
{
	(void)state;
	unsetenv("TEST_NOTIFY_UNSET_VARIABLE");
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		struct notify_config cfg;
		struct ch_error err = { 0 };
		json_error_t jerr;
		json_t *root = json_loads(bad_configs[i].json, 0, &jerr);

		if (!root)
			fail_msg("case %zu: test JSON does not parse: %s", i, jerr.text);
		if (notify_config_load(root, &cfg, &err) == CH_OK)
			fail_msg("case %zu accepted: %s", i, bad_configs[i].json);
		if (!strstr(err.message, bad_configs[i].message))
			fail_msg("case %zu: expected '%s' in '%s'", i, bad_configs[i].message,
				 err.message);
		json_decref(root);
	}
}

static void test_config_rejects_too_many_sinks(void **state)
{
	json_t *root = json_pack("{s:{s:[]}}", "notify", "sinks");
	json_t *sinks = json_object_get(json_object_get(root, "notify"), "sinks");
	struct notify_config cfg;
	struct ch_error err = { 0 };
	char name[16];

	(void)state;
	for (int i = 0; i < 33; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		json_array_append_new(sinks, json_pack("{s:s, s:s, s:s}", "name", name, "type",
						       "webhook", "url", "http://127.0.0.1/"));
	}
	assert_int_not_equal(notify_config_load(root, &cfg, &err), CH_OK);
	assert_non_null(strstr(err.message, "at most 32"));
	json_decref(root);
}

/* ---- Rendering through a real outbox ------------------------------------- */

struct fixture {
	char path[64];
	struct store *st;
	struct notify_config cfg;
};

static int setup_store(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ch_error err = { 0 };

	temp_db_create(f->path, sizeof(f->path), "/tmp/ctihub-notify-XXXXXX");
	if (store_open(f->path, &f->st, &err) != CH_OK)
		fail_msg("store_open: %s", err.message);
	*state = f;
	return 0;
}

static int teardown_store(void **state)
{
	struct fixture *f = *state;

	notify_config_free(&f->cfg);
	store_close(f->st);
	temp_db_remove(f->path);
	free(f);
	return 0;
}

/* Sinks of every type. "desk" receives details up to RED, the others
 * use their default of AMBER. */
static const char four_sinks[] =
	"{\"public_url\": \"https://hub.example.org\", \"notify\": {\"sinks\": ["
	" {\"name\": \"desk\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:1/\","
	"  \"tlp_max\": \"RED\"},"
	" {\"name\": \"hook\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:1/\"},"
	" {\"name\": \"slack\", \"type\": \"slack\", \"url\": \"http://127.0.0.1:1/\"},"
	" {\"name\": \"mm\", \"type\": \"mattermost\", \"url\": \"http://127.0.0.1:1/\"},"
	" {\"name\": \"mail\", \"type\": \"email\", \"url\": \"smtp://127.0.0.1:1\","
	"  \"from\": \"hub@example.org\", \"to\": \"desk@example.org\", \"tlp_max\": \"RED\"}]}}";

#define SUMMARY "Ransomware crew <@channel> leaking victim data & more"

static struct store_referral sample_referral(enum tlp_level tlp)
{
	struct store_referral r = { 0 };

	snprintf(r.ref, sizeof(r.ref), "LE-2026-0007");
	r.tlp = tlp;
	r.summary = SUMMARY;
	r.incident_type = "ransomware";
	r.objective = "takedown";
	r.victim_location = "DE";
	r.suspect_location = "unknown";
	r.reporter = "alice";
	r.org = "CERT-A";
	r.state = "new";
	r.created = NOW - 60;
	r.updated = NOW - 60;
	return r;
}

/* Queues change and returns the outbox rows, oldest first. */
static struct store_outbox_list queue_and_read(struct fixture *f,
					       const struct notify_referral_change *change)
{
	struct store_outbox_list list;
	struct ch_error err = { 0 };

	assert_int_equal(store_begin(f->st, &err), CH_OK);
	if (notify_referral(f->st, &f->cfg, change, NOW, &err) != CH_OK)
		fail_msg("notify_referral: %s", err.message);
	assert_int_equal(store_commit(f->st, &err), CH_OK);
	assert_int_equal(store_outbox_list(f->st, "pending", 100, &list, &err), CH_OK);
	return list;
}

static const struct store_outbox_row *row_for(const struct store_outbox_list *list,
					      const char *sink)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].sink, sink) == 0)
			return &list->items[i];
	}
	fail_msg("no outbox row for sink %s", sink);
	return NULL;
}

static void test_render_created_all_sinks(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_AMBER);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r,
						 .actor = "alice" };
	struct store_outbox_list list;
	const struct store_outbox_row *row;
	json_t *payload;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 5);

	row = row_for(&list, "hook");
	assert_string_equal(row->event, "referral.created");
	assert_string_equal(row->object, "LE-2026-0007");
	assert_int_equal(row->attempts, 0);
	assert_int_equal(row->next_attempt, NOW);
	assert_int_equal(strlen(row->idempotency_key), strlen("ctihub-") + 32);
	assert_memory_equal(row->idempotency_key, "ctihub-", 7);
	payload = json_loads(row->payload, 0, NULL);
	assert_non_null(payload);
	assert_string_equal(json_string_value(json_object_get(payload, "idempotency_key")),
			    row->idempotency_key);
	assert_string_equal(json_string_value(json_object_get(payload, "event")), "referral.created");
	assert_string_equal(json_string_value(json_object_get(payload, "actor")), "alice");
	{
		json_t *ref = json_object_get(payload, "referral");

		assert_string_equal(json_string_value(json_object_get(ref, "summary")), SUMMARY);
		assert_string_equal(json_string_value(json_object_get(ref, "url")),
				    "https://hub.example.org/api/v1/referrals/LE-2026-0007");
		assert_string_equal(json_string_value(json_object_get(ref, "tlp")), "AMBER");
		assert_true(json_is_false(json_object_get(ref, "details_withheld")));
		assert_string_equal(json_string_value(json_object_get(ref, "incident_type")),
				    "ransomware");
	}
	json_decref(payload);

	/* Slack escapes &, < and >, so "<@channel>" cannot mention anyone. */
	row = row_for(&list, "slack");
	payload = json_loads(row->payload, 0, NULL);
	assert_non_null(payload);
	assert_true(json_is_array(json_object_get(payload, "blocks")));
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(payload, "blocks"), 0),
						  "type")),
		"header");
	assert_non_null(strstr(row->payload, "&lt;@channel&gt;"));
	assert_null(strstr(row->payload, "<@channel>"));
	assert_non_null(strstr(json_string_value(json_object_get(payload, "text")),
			       "New referral LE-2026-0007"));
	json_decref(payload);

	/* Mattermost breaks @mentions with a zero-width space. */
	row = row_for(&list, "mm");
	payload = json_loads(row->payload, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(payload, "username")), "ctihub");
	assert_non_null(strstr(json_string_value(json_object_get(payload, "text")),
			       "@\xe2\x80\x8b" "channel"));
	json_decref(payload);

	row = row_for(&list, "mail");
	payload = json_loads(row->payload, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(payload, "subject")),
			    "New referral LE-2026-0007");
	assert_non_null(strstr(json_string_value(json_object_get(payload, "body")), SUMMARY));
	json_decref(payload);
	store_outbox_list_free(&list);
}

static void test_render_withholds_above_tlp_max(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_AMBER_STRICT);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r,
						 .actor = "alice" };
	struct store_outbox_list list;
	const char *withheld[] = { "hook", "slack", "mm" };
	json_t *payload;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 5);

	for (size_t i = 0; i < sizeof(withheld) / sizeof(withheld[0]); i++) {
		const struct store_outbox_row *row = row_for(&list, withheld[i]);

		assert_null(strstr(row->payload, "Ransomware"));
		assert_null(strstr(row->payload, "ransomware"));
		assert_null(strstr(row->payload, "alice"));
		assert_null(strstr(row->payload, "CERT-A"));
		assert_non_null(strstr(row->payload, "New referral LE-2026-0007, open it in ctihub: "
						     "https://hub.example.org/api/v1/referrals/LE-2026-0007") ||
				strcmp(withheld[i], "hook") == 0);
	}
	payload = json_loads(row_for(&list, "hook")->payload, 0, NULL);
	assert_true(json_is_true(json_object_get(json_object_get(payload, "referral"),
						 "details_withheld")));
	assert_null(json_object_get(json_object_get(payload, "referral"), "summary"));
	json_decref(payload);

	/* The desk's webhook and the mail sink accept up to RED. */
	assert_non_null(strstr(row_for(&list, "desk")->payload, "Ransomware"));
	assert_non_null(strstr(row_for(&list, "mail")->payload, "Ransomware"));
	store_outbox_list_free(&list);
}

static void test_render_red_never_to_chat(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_RED);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	assert_null(strstr(row_for(&list, "slack")->payload, "Ransomware"));
	assert_null(strstr(row_for(&list, "mm")->payload, "Ransomware"));
	assert_null(strstr(row_for(&list, "hook")->payload, "Ransomware"));
	assert_non_null(strstr(row_for(&list, "desk")->payload, "Ransomware"));
	store_outbox_list_free(&list);
}

#define INTERNAL_BODY "internal: suspect is an informant, do not contact"

static void test_render_internal_reply_stays(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_REPLY, .referral = &r,
						 .actor = "officer", .reply_body = INTERNAL_BODY,
						 .reply_internal = true };
	struct store_outbox_list list;
	json_t *payload;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 5);
	for (size_t i = 0; i < list.count; i++) {
		assert_string_equal(list.items[i].event, "referral.reply");
		assert_null(strstr(list.items[i].payload, "informant"));
	}
	payload = json_loads(row_for(&list, "desk")->payload, 0, NULL);
	assert_true(json_is_true(json_object_get(json_object_get(payload, "change"), "internal")));
	assert_null(json_object_get(json_object_get(payload, "change"), "body"));
	json_decref(payload);
	store_outbox_list_free(&list);
}

static void test_render_public_reply_shown(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_REPLY, .referral = &r,
						 .actor = "officer",
						 .reply_body = "We opened a case, thank you." };
	struct store_outbox_list list;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	for (size_t i = 0; i < list.count; i++)
		assert_non_null(strstr(list.items[i].payload, "We opened a case"));
	store_outbox_list_free(&list);
}

static void test_render_state_change(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_AMBER_STRICT);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_STATE, .referral = &r,
						 .actor = "officer", .action = "close",
						 .from_state = "in_progress", .to_state = "closed",
						 .detail = "arrest made in Berlin" };
	struct store_outbox_list list;
	json_t *payload;

	r.state = "closed";
	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	payload = json_loads(row_for(&list, "hook")->payload, 0, NULL);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(payload, "change"), "to_state")),
		"closed");
	assert_null(json_object_get(json_object_get(payload, "change"), "detail"));
	json_decref(payload);
	assert_null(strstr(row_for(&list, "slack")->payload, "Berlin"));
	assert_non_null(strstr(row_for(&list, "desk")->payload, "arrest made in Berlin"));
	store_outbox_list_free(&list);
}

static void test_render_event_subscription(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_REPLY, .referral = &r,
						 .reply_body = "hello" };
	struct store_outbox_list list;

	f->cfg = load_config_ok("{\"notify\": {\"sinks\": ["
				" {\"name\": \"created-only\", \"type\": \"webhook\","
				"  \"url\": \"http://127.0.0.1:1/\", \"events\": [\"referral.created\"]},"
				" {\"name\": \"replies\", \"type\": \"webhook\","
				"  \"url\": \"http://127.0.0.1:1/\", \"events\": [\"referral.reply\"]}]}}");
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].sink, "replies");
	store_outbox_list_free(&list);
}

static void test_render_keys_unique(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;

	f->cfg = load_config_ok(four_sinks);
	for (int i = 0; i < 4; i++) {
		list = queue_and_read(f, &change);
		store_outbox_list_free(&list);
	}
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 25);
	for (size_t i = 0; i < list.count; i++) {
		for (size_t j = i + 1; j < list.count; j++)
			assert_string_not_equal(list.items[i].idempotency_key,
						list.items[j].idempotency_key);
	}
	store_outbox_list_free(&list);
}

static void test_render_no_sinks_no_rows(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;

	f->cfg = load_config_ok("{}");
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 0);
	store_outbox_list_free(&list);
}

/* ---- Delivery failures ----------------------------------------------------- */

/* A loopback port with nothing listening: bound once, then closed. */
static int closed_port(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	port = ntohs(addr.sin_port);
	close(fd);
	return port;
}

static void deliver(struct fixture *f, int64_t now, size_t *delivered, size_t *failed)
{
	struct ch_error err = { 0 };

	if (notify_deliver_due(f->st, &f->cfg, now, delivered, failed, &err) != CH_OK)
		fail_msg("notify_deliver_due: %s", err.message);
}

static void test_deliver_backoff_then_dead(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;
	struct ch_error err = { 0 };
	char config[512];
	size_t delivered, failed;
	/* backoff 10 s doubling, capped at 25 s */
	const int64_t expected_delay[] = { 10, 20, 25 };
	int64_t now = NOW;

	snprintf(config, sizeof(config),
		 "{\"notify\": {\"max_attempts\": 4, \"backoff\": 10, \"backoff_max\": 25,"
		 " \"sinks\": [{\"name\": \"down\", \"type\": \"webhook\","
		 " \"url\": \"http://127.0.0.1:%d/hook\", \"timeout\": 2}]}}",
		 closed_port());
	f->cfg = load_config_ok(config);
	list = queue_and_read(f, &change);
	store_outbox_list_free(&list);

	for (int attempt = 1; attempt <= 3; attempt++) {
		deliver(f, now, &delivered, &failed);
		assert_int_equal(delivered, 0);
		assert_int_equal(failed, 1);
		assert_int_equal(store_outbox_list(f->st, "pending", 10, &list, &err), CH_OK);
		assert_int_equal(list.count, 1);
		assert_int_equal(list.items[0].attempts, attempt);
		assert_int_equal(list.items[0].next_attempt, now + expected_delay[attempt - 1]);
		assert_non_null(list.items[0].last_error);
		assert_null(strstr(list.items[0].last_error, "/hook"));
		store_outbox_list_free(&list);

		/* Not due again before its delay is over. */
		deliver(f, now + expected_delay[attempt - 1] - 1, &delivered, &failed);
		assert_int_equal(failed, 0);
		now += expected_delay[attempt - 1];
	}

	deliver(f, now, &delivered, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(store_outbox_list(f->st, "dead", 10, &list, &err), CH_OK);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].attempts, 4);

	/* A retry makes it due at once with its attempts reset. */
	assert_int_equal(store_outbox_retry(f->st, list.items[0].id, now + 100, &err), CH_OK);
	assert_int_equal(store_outbox_retry(f->st, list.items[0].id, now + 100, &err), CH_NOT_FOUND);
	store_outbox_list_free(&list);
	assert_int_equal(store_outbox_due(f->st, now + 100, 10, &list, &err), CH_OK);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].attempts, 0);
	store_outbox_list_free(&list);
}

static void test_deliver_unknown_sink_dead(void **state)
{
	struct fixture *f = *state;
	struct store_outbox_new row = { .sink = "removed", .event = "referral.created",
					.object = "LE-2026-0001", .idempotency_key = "ctihub-x",
					.payload = "{}", .created = NOW };
	struct store_outbox_list list;
	struct ch_error err = { 0 };
	size_t delivered, failed;
	int64_t id;

	f->cfg = load_config_ok(four_sinks);
	assert_int_equal(store_outbox_add(f->st, &row, &id, &err), CH_OK);
	assert_int_equal(store_outbox_add(f->st, &row, &id, &err), CH_CONFLICT);
	deliver(f, NOW, &delivered, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(store_outbox_list(f->st, "dead", 10, &list, &err), CH_OK);
	assert_int_equal(list.count, 1);
	assert_non_null(strstr(list.items[0].last_error, "sink 'removed' is not in the configuration"));
	store_outbox_list_free(&list);
}

/* ---- The delivery-time TLP check --------------------------------------------- */

/* One row checked against one sink: the sink's current settings, what the
 * row was rendered from, and the expected reason (NULL when allowed). */
struct row_check {
	enum notify_sink_type type;
	enum tlp_level tlp_max;
	const char *row_type; /* NULL as in a row queued before schema version 8 */
	enum tlp_level row_tlp;
	bool row_details;
	const char *reason;
};

static const struct row_check row_checks[] = {
	{ SINK_WEBHOOK, TLP_RED, "webhook", TLP_RED, true, NULL },
	{ SINK_WEBHOOK, TLP_GREEN, "webhook", TLP_GREEN, true, NULL },
	{ SINK_WEBHOOK, TLP_GREEN, "webhook", TLP_RED, false, NULL },
	{ SINK_WEBHOOK, TLP_GREEN, "webhook", TLP_RED, true,
	  "not sent: TLP:RED details exceed the sink's tlp_max GREEN; the sink's settings changed after it was queued" },
	{ SINK_EMAIL, TLP_AMBER, "email", TLP_AMBER_STRICT, true,
	  "TLP:AMBER+STRICT details exceed the sink's tlp_max AMBER" },
	{ SINK_MATTERMOST, TLP_AMBER, "mattermost", TLP_AMBER, true, NULL },
	{ SINK_SLACK, TLP_AMBER, "webhook", TLP_GREEN, true,
	  "not sent: the message was rendered for a webhook sink and the sink is now slack" },
	{ SINK_EMAIL, TLP_RED, "webhook", TLP_CLEAR, false,
	  "rendered for a webhook sink and the sink is now email" },
	{ SINK_WEBHOOK, TLP_GREEN, NULL, TLP_RED, true, "TLP:RED details exceed" },
	{ SINK_WEBHOOK, TLP_RED, NULL, TLP_RED, true, NULL },
};

static void test_row_allowed_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(row_checks) / sizeof(row_checks[0]); i++) {
		const struct row_check *c = &row_checks[i];
		struct notify_sink sink = { .name = "s", .type = c->type, .tlp_max = c->tlp_max };
		struct store_outbox_row row = { .sink = "s", .sink_type = (char *)c->row_type,
						.tlp = c->row_tlp, .details = c->row_details };
		char reason[300] = "";
		bool allowed = notify_row_allowed(&sink, &row, reason, sizeof(reason));

		if (c->reason == NULL && !allowed)
			fail_msg("case %zu rejected: %s", i, reason);
		if (c->reason != NULL && allowed)
			fail_msg("case %zu allowed, expected '%s'", i, c->reason);
		if (c->reason != NULL && !strstr(reason, c->reason))
			fail_msg("case %zu: expected '%s' in '%s'", i, c->reason, reason);
	}
}

/* A loopback socket that listens but never accepts, so a delivery that
 * connects shows up as a pending connection. */
static int listening_socket(int *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

/* Accepts a pending connection and reads what it sent; -1 when there is
 * none. */
static int take_connection(int listener, char *data, size_t cap)
{
	int fd = accept(listener, NULL, NULL);
	ssize_t n;

	if (fd < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return -1;
	}
	n = read(fd, data, cap - 1);
	data[n > 0 ? n : 0] = '\0';
	close(fd);
	return 0;
}

/* Replaces the configuration with one sink, "desk", posting to port. */
static void load_desk(struct fixture *f, int port, const char *type, const char *tlp_max)
{
	char config[512];

	snprintf(config, sizeof(config),
		 "{\"notify\": {\"sinks\": [{\"name\": \"desk\", \"type\": \"%s\","
		 " \"url\": \"http://127.0.0.1:%d/hook\", \"tlp_max\": \"%s\", \"timeout\": 1}]}}",
		 type, port, tlp_max);
	notify_config_free(&f->cfg);
	f->cfg = load_config_ok(config);
}

/* Delivers at now and checks that the one due row was not sent: nothing
 * connected to listener and the row is dead with reason in its error. */
static void assert_not_sent(struct fixture *f, int listener, int64_t now, const char *reason)
{
	struct store_outbox_list list;
	struct ch_error err = { 0 };
	char request[8192];
	size_t delivered, failed;

	deliver(f, now, &delivered, &failed);
	assert_int_equal(delivered, 0);
	assert_int_equal(failed, 1);
	assert_int_equal(take_connection(listener, request, sizeof(request)), -1);
	assert_int_equal(store_outbox_list(f->st, "dead", 10, &list, &err), CH_OK);
	assert_int_equal(list.count, 1);
	if (!strstr(list.items[0].last_error, reason))
		fail_msg("expected '%s' in '%s'", reason, list.items[0].last_error);
	store_outbox_list_free(&list);
}

static void test_deliver_rechecks_tlp_max(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_RED);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;
	struct ch_error err = { 0 };
	char request[8192];
	size_t delivered, failed;
	int64_t id;
	int port;
	int listener = listening_socket(&port);

	/* Queued for a desk that may read RED, so the payload has details. */
	load_desk(f, port, "webhook", "RED");
	list = queue_and_read(f, &change);
	assert_int_equal(list.count, 1);
	id = list.items[0].id;
	assert_string_equal(list.items[0].sink_type, "webhook");
	assert_int_equal(list.items[0].tlp, TLP_RED);
	assert_true(list.items[0].details);
	assert_non_null(strstr(list.items[0].payload, "Ransomware"));
	store_outbox_list_free(&list);

	/* The desk's tlp_max is lowered to GREEN before delivery. */
	load_desk(f, port, "webhook", "GREEN");
	assert_not_sent(f, listener, NOW, "TLP:RED details exceed the sink's tlp_max GREEN");

	/* A retry runs the same check again. */
	assert_int_equal(store_outbox_retry(f->st, id, NOW + 10, &err), CH_OK);
	assert_not_sent(f, listener, NOW + 10, "TLP:RED details exceed the sink's tlp_max GREEN");

	/* With tlp_max back at RED the retried message goes out, which also
	 * shows that the socket sees a delivery. The receiver never replies,
	 * so the attempt times out after 1 s. */
	load_desk(f, port, "webhook", "RED");
	assert_int_equal(store_outbox_retry(f->st, id, NOW + 20, &err), CH_OK);
	deliver(f, NOW + 20, &delivered, &failed);
	assert_int_equal(take_connection(listener, request, sizeof(request)), 0);
	assert_non_null(strstr(request, "POST /hook"));
	close(listener);
}

static void test_deliver_rechecks_sink_type(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_GREEN);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;
	int port;
	int listener = listening_socket(&port);

	load_desk(f, port, "webhook", "GREEN");
	list = queue_and_read(f, &change);
	store_outbox_list_free(&list);

	/* The same sink name now posts to a Slack channel. */
	load_desk(f, port, "slack", "GREEN");
	assert_not_sent(f, listener, NOW, "rendered for a webhook sink and the sink is now slack");
	close(listener);
}

/* A row queued before schema version 8 has NULLs where the TLP, the
 * details flag and the sink type are now recorded. */
static void test_outbox_old_row_reads_red(void **state)
{
	struct fixture *f = *state;
	struct store_referral r = sample_referral(TLP_CLEAR);
	struct notify_referral_change change = { .event = NOTIFY_REFERRAL_CREATED, .referral = &r };
	struct store_outbox_list list;
	struct ch_error err = { 0 };
	sqlite3 *db;

	f->cfg = load_config_ok(four_sinks);
	list = queue_and_read(f, &change);
	assert_int_equal(list.items[0].tlp, TLP_CLEAR);
	store_outbox_list_free(&list);

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE outbox SET tlp = NULL, details = NULL,"
					  " sink_type = NULL",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_outbox_list(f->st, "pending", 10, &list, &err), CH_OK);
	assert_int_equal(list.count, 5);
	for (size_t i = 0; i < list.count; i++) {
		assert_int_equal(list.items[i].tlp, TLP_RED);
		assert_true(list.items[i].details);
		assert_null(list.items[i].sink_type);
	}
	store_outbox_list_free(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_single_recipient),
		cmocka_unit_test(test_config_rejects_invalid),
		cmocka_unit_test(test_config_rejects_too_many_sinks),
		cmocka_unit_test_setup_teardown(test_render_created_all_sinks, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_withholds_above_tlp_max, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_red_never_to_chat, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_internal_reply_stays, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_public_reply_shown, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_state_change, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_render_event_subscription, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_render_keys_unique, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_render_no_sinks_no_rows, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_deliver_backoff_then_dead, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_deliver_unknown_sink_dead, setup_store,
						teardown_store),
		cmocka_unit_test(test_row_allowed_cases),
		cmocka_unit_test_setup_teardown(test_deliver_rechecks_tlp_max, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_deliver_rechecks_sink_type, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_outbox_old_row_reads_red, setup_store,
						teardown_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
