/*
 * Unit tests for the chat forms. The definitions are checked against the
 * validators (every field name accepted, every select option valid) and
 * the platforms' limits on labels and hints. The text form parser runs on
 * a table of cases, and the Slack modal and Mattermost dialog are checked
 * for shape. chat_form_submit runs on a real temporary SQLite store for
 * each form, and the stored report or referral is read back.
 * chat_form_submit_once is checked to store a submission once per key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "chat/forms.h"
#include "model/referral.h"
#include "model/report.h"
#include "temp_db.h"

/* ---- Definitions ------------------------------------------------------------ */

/* Validates a body of one field (plus "kind" for reports) and returns
 * whether the validator accepts the field name, whatever else it rejects. */
static bool validator_knows(const struct chat_form_def *form, const char *name)
{
	struct report_input report = { 0 };
	struct referral_input referral = { 0 };
	struct ch_error err = { 0 };
	json_t *body = json_pack("{s:s}", name, "x");
	enum ch_code rc;

	if (strcmp(form->kind, "referral") == 0) {
		rc = referral_validate(body, NULL, &referral, &err);
		referral_input_free(&referral);
	} else {
		json_object_set_new(body, "kind", json_string(form->kind));
		rc = report_validate(body, NULL, &report, &err);
		report_input_free(&report);
	}
	json_decref(body);
	return rc == CH_OK || !strstr(err.message, "unknown field");
}

static void test_fields_known_to_validators(void **state)
{
	(void)state;
	for (int i = 0; i < CHAT_FORM_COUNT; i++) {
		const struct chat_form_def *form = chat_form_get((enum chat_form)i);

		for (size_t k = 0; k < form->field_count; k++) {
			if (!validator_knows(form, form->fields[k].name))
				fail_msg("form %s: field %s is unknown to its validator",
					 form->callback_id, form->fields[k].name);
		}
	}
}

static void test_definitions_within_limits(void **state)
{
	(void)state;
	for (int i = 0; i < CHAT_FORM_COUNT; i++) {
		const struct chat_form_def *form = chat_form_get((enum chat_form)i);

		assert_int_equal(form->id, i);
		assert_true(strlen(form->title) <= 24);
		assert_ptr_equal(chat_form_by_callback(form->callback_id), form);
		if (form->main_field)
			assert_non_null(chat_form_field(form, form->main_field));
		for (size_t k = 0; k < form->field_count; k++) {
			const struct chat_field *f = &form->fields[k];
			size_t n = 0;

			if (strlen(f->label) > 24)
				fail_msg("label \"%s\" is over 24 characters", f->label);
			if (f->hint && strlen(f->hint) > 150)
				fail_msg("hint of %s is over 150 characters", f->name);
			if (f->type != CHAT_FIELD_SELECT && f->type != CHAT_FIELD_BOOL)
				continue;
			assert_non_null(f->options);
			for (; f->options[n]; n++) {
				if (f->option_labels)
					assert_true(strlen(f->option_labels[n]) <= 75);
				assert_true(strlen(f->options[n]) <= 75);
			}
			assert_true(n >= 2);
			assert_true(n <= 100);
		}
	}
	assert_null(chat_form_by_callback("ctihub.unknown"));
	assert_null(chat_form_by_callback(NULL));
	assert_null(chat_form_get(CHAT_FORM_COUNT));
}

/* Each option of a report select, in a body that is valid otherwise. */
static void check_report_options(enum chat_form id, const char *name, const char *base)
{
	const struct chat_form_def *form = chat_form_get(id);
	const struct chat_field *field = chat_form_field(form, name);

	for (size_t i = 0; field->options[i]; i++) {
		struct report_input in = { 0 };
		struct ch_error err = { 0 };
		json_t *body = json_loads(base, 0, NULL);

		assert_non_null(body);
		json_object_set_new(body, name, json_string(field->options[i]));
		if (report_validate(body, NULL, &in, &err) != CH_OK)
			fail_msg("%s option %s rejected: %s", name, field->options[i], err.message);
		report_input_free(&in);
		json_decref(body);
	}
}

static void check_referral_options(const char *name)
{
	const struct chat_form_def *form = chat_form_get(CHAT_FORM_LENEW);
	const struct chat_field *field = chat_form_field(form, name);

	for (size_t i = 0; field->options[i]; i++) {
		struct referral_input in = { 0 };
		struct ch_error err = { 0 };
		json_t *body = json_pack("{s:s, s:s, s:s}", "summary", "Phishing site",
					 "incident_type", "phishing", "objective", "takedown");

		json_object_set_new(body, name, json_string(field->options[i]));
		if (referral_validate(body, NULL, &in, &err) != CH_OK)
			fail_msg("%s option %s rejected: %s", name, field->options[i], err.message);
		referral_input_free(&in);
		json_decref(body);
	}
}

/* The rule types, each with a rule of its type. */
static void check_rule_types(void)
{
	static const char *const rules[] = {
		"rule kit_page { condition: true }",
		"title: T\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n"
		"  condition: sel\n",
	};
	const struct chat_field *field =
		chat_form_field(chat_form_get(CHAT_FORM_HUNT), "rule_type");

	for (size_t i = 0; field->options[i]; i++) {
		struct report_input in = { 0 };
		struct ch_error err = { 0 };
		json_t *body = json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type",
					 field->options[i], "rule", rules[i]);

		assert_true(i < sizeof(rules) / sizeof(rules[0]));
		if (report_validate(body, NULL, &in, &err) != CH_OK)
			fail_msg("rule_type option %s rejected: %s", field->options[i], err.message);
		report_input_free(&in);
		json_decref(body);
	}
}

static void test_select_options_valid(void **state)
{
	(void)state;
	check_report_options(CHAT_FORM_IOC, "purpose",
			     "{\"kind\": \"ioc\", \"indicators\": \"203.0.113.7\"}");
	check_report_options(CHAT_FORM_IOC, "tlp",
			     "{\"kind\": \"ioc\", \"purpose\": \"research\", "
			     "\"indicators\": \"203.0.113.7\"}");
	check_report_options(CHAT_FORM_ATTACK, "tactic",
			     "{\"kind\": \"attack\", \"exploitation\": \"a link\", "
			     "\"description\": \"Smishing\"}");
	check_rule_types();
	check_referral_options("incident_type");
	check_referral_options("objective");
	check_referral_options("tlp");
}

static void test_field_option_lookup(void **state)
{
	const struct chat_form_def *attack = chat_form_get(CHAT_FORM_ATTACK);
	const struct chat_form_def *lenew = chat_form_get(CHAT_FORM_LENEW);
	const struct chat_form_def *ioc = chat_form_get(CHAT_FORM_IOC);

	(void)state;
	assert_string_equal(chat_field_option(chat_form_field(attack, "tactic"), "initial access"),
			    "TA0001");
	assert_string_equal(chat_field_option(chat_form_field(attack, "tactic"), "ta0040"),
			    "TA0040");
	assert_string_equal(chat_field_option(chat_form_field(lenew, "incident_type"),
					      "Data breach or leak"),
			    "data_breach");
	assert_string_equal(chat_field_option(chat_form_field(ioc, "tlp"), " amber+strict "),
			    "AMBER+STRICT");
	assert_string_equal(chat_field_option(chat_form_field(ioc, "purpose"), "Takedown request"),
			    "takedown_request");
	assert_null(chat_field_option(chat_form_field(ioc, "purpose"), "spam"));
}

/* ---- The text form ------------------------------------------------------------ */

static void test_parse_text_cases(void **state)
{
	static const struct {
		enum chat_form form;
		const char *text;
		const char *expected; /* JSON object, or NULL for CH_INVALID */
		const char *message;  /* a part of the error message */
	} cases[] = {
		{ CHAT_FORM_IOC, "", "{}", NULL },
		{ CHAT_FORM_IOC, "   ", "{}", NULL },
		{ CHAT_FORM_IOC, "hxxp://evil[.]com 203.0.113.7",
		  "{\"indicators\": \"hxxp://evil[.]com 203.0.113.7\"}", NULL },
		{ CHAT_FORM_IOC, "indicators: a.example; purpose: blocking; tlp: green",
		  "{\"indicators\": \"a.example\", \"purpose\": \"blocking\", \"tlp\": \"green\"}",
		  NULL },
		{ CHAT_FORM_IOC, "evil[.]com ;purpose:  Blocking ",
		  "{\"indicators\": \"evil[.]com\", \"purpose\": \"Blocking\"}", NULL },
		{ CHAT_FORM_IOC, "Phishing kit: hxxp://kit[.]example",
		  "{\"indicators\": \"Phishing kit: hxxp://kit[.]example\"}", NULL },
		{ CHAT_FORM_IOC, "2001:db8::1; Share anonymously: yes",
		  "{\"indicators\": \"2001:db8::1\", \"anonymous\": \"yes\"}", NULL },
		{ CHAT_FORM_IOC, "details: see hxxp://x[.]example/a;b; tlp: red",
		  "{\"details\": \"see hxxp://x[.]example/a;b\", \"tlp\": \"red\"}", NULL },
		{ CHAT_FORM_IOC, "purpose: blocking; tlp:", "{\"purpose\": \"blocking\"}", NULL },
		{ CHAT_FORM_IOC, "purpose: blocking; severity: high", NULL,
		  "unknown key \"severity\" in the ioc form; the keys are: indicators, purpose, "
		  "tlp, details, anonymous" },
		{ CHAT_FORM_IOC, "purpose: blocking; Purpose: research", NULL, "given twice" },
		{ CHAT_FORM_VULN, "CVE-2023-4966 at Example Clinic", NULL, "key: value" },
		{ CHAT_FORM_VULN, "severity: high", NULL, "unknown key \"severity\"" },
		{ CHAT_FORM_VULN, "Tagged org: ACME;cve:   cve-2023-4966",
		  "{\"tagged_org\": \"ACME\", \"cve\": \"cve-2023-4966\"}", NULL },
		{ CHAT_FORM_VULN, "IP address: 203.0.113.10; TIME_SEEN: 2026-12-01T09:30:00Z",
		  "{\"ip\": \"203.0.113.10\", \"time\": \"2026-12-01T09:30:00Z\"}", NULL },
		{ CHAT_FORM_LENEW, "summary: a;; b; objective: takedown",
		  "{\"summary\": \"a; b\", \"objective\": \"takedown\"}", NULL },
		{ CHAT_FORM_LENEW, "Phishing wave; incident type: phishing",
		  "{\"summary\": \"Phishing wave\", \"incident_type\": \"phishing\"}", NULL },
		{ CHAT_FORM_ATTACK, "Smishing; ATT&CK techniques: T1566, T1059.001",
		  "{\"description\": \"Smishing\", \"techniques\": \"T1566, T1059.001\"}", NULL },
		{ CHAT_FORM_HUNT, "rule_type: yara; rule: rule a { condition: true }",
		  "{\"rule_type\": \"yara\", \"rule\": \"rule a { condition: true }\"}", NULL },
		{ CHAT_FORM_HUNT, "title: Refund portal\nlogsource:\n  product: windows\n",
		  "{\"rule\": \"title: Refund portal\\nlogsource:\\n  product: windows\\n\"}", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct chat_form_def *form = chat_form_get(cases[i].form);
		struct ch_error err = { 0 };
		json_t *values = NULL, *expected;
		enum ch_code rc = chat_form_parse_text(form, cases[i].text, &values, &err);

		if (!cases[i].expected) {
			if (rc != CH_INVALID)
				fail_msg("case %zu (%s): expected CH_INVALID, got %d", i,
					 cases[i].text, rc);
			if (!strstr(err.message, cases[i].message))
				fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.message,
					 cases[i].message);
			continue;
		}
		if (rc != CH_OK)
			fail_msg("case %zu (%s): %s", i, cases[i].text, err.message);
		expected = json_loads(cases[i].expected, 0, NULL);
		assert_non_null(expected);
		if (!json_equal(values, expected)) {
			char *got = json_dumps(values, JSON_SORT_KEYS);

			fail_msg("case %zu (%s): got %s, expected %s", i, cases[i].text, got,
				 cases[i].expected);
		}
		json_decref(expected);
		json_decref(values);
	}
}

/* ---- Renderings ------------------------------------------------------------- */

static void test_slack_view_shape(void **state)
{
	(void)state;
	for (int i = 0; i < CHAT_FORM_COUNT; i++) {
		const struct chat_form_def *form = chat_form_get((enum chat_form)i);
		json_t *view = chat_form_slack_view(form);
		json_t *blocks = json_object_get(view, "blocks");

		assert_string_equal(json_string_value(json_object_get(view, "type")), "modal");
		assert_string_equal(json_string_value(json_object_get(view, "callback_id")),
				    form->callback_id);
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(view, "title"), "text")),
				    form->title);
		assert_non_null(json_object_get(view, "submit"));
		assert_non_null(json_object_get(view, "close"));
		assert_int_equal(json_array_size(blocks), form->field_count);

		for (size_t k = 0; k < form->field_count; k++) {
			const struct chat_field *f = &form->fields[k];
			json_t *block = json_array_get(blocks, k);
			json_t *element = json_object_get(block, "element");
			const char *type = json_string_value(json_object_get(element, "type"));

			assert_string_equal(json_string_value(json_object_get(block, "type")), "input");
			assert_string_equal(json_string_value(json_object_get(block, "block_id")),
					    f->name);
			assert_string_equal(json_string_value(json_object_get(element, "action_id")),
					    f->name);
			assert_int_equal(json_is_true(json_object_get(block, "optional")),
					 !f->required);
			if (f->type == CHAT_FIELD_SELECT || f->type == CHAT_FIELD_BOOL) {
				json_t *first = json_array_get(json_object_get(element, "options"), 0);

				assert_string_equal(type, "static_select");
				assert_string_equal(json_string_value(json_object_get(first, "value")),
						    f->options[0]);
				continue;
			}
			assert_string_equal(type, "plain_text_input");
			assert_int_equal(json_is_true(json_object_get(element, "multiline")),
					 f->type == CHAT_FIELD_TEXTAREA);
			assert_true(json_integer_value(json_object_get(element, "max_length")) > 0);
			assert_true(json_integer_value(json_object_get(element, "max_length")) <= 3000);
		}
		json_decref(view);
	}
}

static void test_slack_view_labels(void **state)
{
	json_t *view = chat_form_slack_view(chat_form_get(CHAT_FORM_ATTACK));
	json_t *tactic = json_array_get(json_object_get(view, "blocks"), 2);
	json_t *option = json_array_get(
		json_object_get(json_object_get(tactic, "element"), "options"), 2);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(tactic, "block_id")), "tactic");
	assert_string_equal(json_string_value(json_object_get(option, "value")), "TA0001");
	assert_string_equal(json_string_value(json_object_get(json_object_get(option, "text"),
							      "text")),
			    "Initial Access");
	json_decref(view);
}

static void test_mattermost_dialog_shape(void **state)
{
	static const char *const types[] = { "text", "textarea", "select", "bool" };

	(void)state;
	for (int i = 0; i < CHAT_FORM_COUNT; i++) {
		const struct chat_form_def *form = chat_form_get((enum chat_form)i);
		json_t *dialog = chat_form_mattermost_dialog(form);
		json_t *elements = json_object_get(dialog, "elements");

		assert_string_equal(json_string_value(json_object_get(dialog, "callback_id")),
				    form->callback_id);
		assert_string_equal(json_string_value(json_object_get(dialog, "title")),
				    form->title);
		assert_non_null(json_object_get(dialog, "submit_label"));
		assert_int_equal(json_array_size(elements), form->field_count);

		for (size_t k = 0; k < form->field_count; k++) {
			const struct chat_field *f = &form->fields[k];
			json_t *e = json_array_get(elements, k);
			json_t *options = json_object_get(e, "options");

			assert_string_equal(json_string_value(json_object_get(e, "name")), f->name);
			assert_string_equal(json_string_value(json_object_get(e, "display_name")),
					    f->label);
			assert_string_equal(json_string_value(json_object_get(e, "type")),
					    types[f->type]);
			assert_int_equal(json_is_true(json_object_get(e, "optional")), !f->required);
			if (f->type == CHAT_FIELD_SELECT) {
				assert_string_equal(json_string_value(json_object_get(
							    json_array_get(options, 0), "value")),
						    f->options[0]);
				assert_non_null(json_object_get(json_array_get(options, 0), "text"));
			} else {
				assert_null(options);
			}
			if (f->type == CHAT_FIELD_TEXT || f->type == CHAT_FIELD_TEXTAREA)
				assert_true(json_integer_value(json_object_get(e, "max_length")) > 0);
		}
		json_decref(dialog);
	}
}

/* ---- Submitting to a real store ------------------------------------------------ */

struct fixture {
	char path[64];
	struct store *st;
	struct chat_workspace ws;
	struct chat_config cfg;
	struct chat_context ctx;
	sqlite3 *db;
};

static int setup_store(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ch_error err = { 0 };
	int64_t org, user;

	temp_db_create(f->path, sizeof(f->path), "/tmp/ctihub-chatforms-XXXXXX");
	if (store_open(f->path, &f->st, &err) != CH_OK)
		fail_msg("store_open: %s", err.message);
	assert_int_equal(store_org_add(f->st, "CERT-A", &org, &err), CH_OK);
	assert_int_equal(store_user_add(f->st, "alice", org, ROLE_MEMBER, &user, &err), CH_OK);
	assert_int_equal(store_chat_identity_link(f->st, user, "slack", "T0001", "U0001", &err),
			 CH_OK);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);

	f->ws.platform = CHAT_SLACK;
	f->ws.id = "T0001";
	f->ws.name = "test";
	f->cfg.workspaces = &f->ws;
	f->cfg.workspace_count = 1;
	f->ctx.st = f->st;
	f->ctx.cfg = &f->cfg;
	f->ctx.ws = &f->ws;
	f->ctx.public_url = "https://hub.example.org";
	f->ctx.chat_user = "U0001";
	f->ctx.chat_user_name = "alice";
	f->ctx.client = "127.0.0.1";
	f->ctx.request_id = "test";
	*state = f;
	return 0;
}

static int teardown_store(void **state)
{
	struct fixture *f = *state;

	sqlite3_close(f->db);
	store_close(f->st);
	temp_db_remove(f->path);
	free(f);
	return 0;
}

/* The first column of the first row of sql, as an owned string or NULL. */
static char *query_text(struct fixture *f, const char *sql)
{
	sqlite3_stmt *stmt;
	char *out = NULL;

	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
		out = strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return out;
}

/* Submits values (JSON text) to form and returns the reply. */
static void submit(struct fixture *f, enum chat_form form, const char *values_json,
		   struct chat_reply *reply)
{
	json_t *values = json_loads(values_json, 0, NULL);

	assert_non_null(values);
	chat_reply_init(reply);
	chat_form_submit(&f->ctx, chat_form_get(form), values, reply);
	json_decref(values);
}

/* Checks that the newest report has this kind and that its fields
 * contain every key and value of expected (JSON text). */
static void check_last_report(struct fixture *f, const char *kind, const char *expected_json)
{
	char *stored_kind = query_text(f, "SELECT kind FROM reports ORDER BY id DESC LIMIT 1");
	char *fields_text = query_text(f, "SELECT fields FROM reports ORDER BY id DESC LIMIT 1");
	json_t *fields = json_loads(fields_text ? fields_text : "null", 0, NULL);
	json_t *expected = json_loads(expected_json, 0, NULL);
	const char *key;
	json_t *value;

	assert_non_null(stored_kind);
	assert_string_equal(stored_kind, kind);
	assert_non_null(expected);
	json_object_foreach(expected, key, value) {
		if (!json_equal(json_object_get(fields, key), value))
			fail_msg("report field %s: stored %s", key, fields_text);
	}
	json_decref(fields);
	json_decref(expected);
	free(stored_kind);
	free(fields_text);
}

static void check_success(struct chat_reply *reply, const char *text)
{
	if (reply->field_errors) {
		char *errors = json_dumps(reply->field_errors, 0);

		fail_msg("submission failed: %s", errors);
	}
	assert_true(reply->ephemeral);
	assert_non_null(strstr(reply->text.data, text));
}

static void test_submit_ioc(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;
	char *anonymous;

	submit(f, CHAT_FORM_IOC,
	       "{\"indicators\": \"hxxp://kit[.]example/login 203.0.113.7\","
	       " \"purpose\": \"Takedown request\", \"tlp\": \"green\", \"anonymous\": \"Yes\","
	       " \"details\": \"\", \"unrelated\": \"ignored\"}",
	       &reply);
	check_success(&reply, "Created report 1 (ioc, TLP:GREEN).");
	assert_non_null(strstr(reply.text.data, "https://hub.example.org/api/v1/reports/1"));
	check_last_report(f, "ioc", "{\"purpose\": \"takedown_request\"}");
	anonymous = query_text(f, "SELECT anonymous FROM reports WHERE id = 1");
	assert_string_equal(anonymous, "1");
	free(anonymous);
	chat_reply_free(&reply);
}

static void test_submit_attack(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;

	submit(f, CHAT_FORM_ATTACK,
	       "{\"description\": \"Smishing against pharmacy customers\","
	       " \"exploitation\": \"SMS with a link to a fake refund page\","
	       " \"tactic\": \"Initial Access\", \"indicators\": \"mediq-refund-portal[.]net\"}",
	       &reply);
	check_success(&reply, "(attack, TLP:AMBER)");
	check_last_report(f, "attack", "{\"tactic\": \"TA0001\"}");
	chat_reply_free(&reply);
}

static void test_submit_vuln(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;

	submit(f, CHAT_FORM_VULN,
	       "{\"time\": \"2026-12-01T09:30:00+01:00\", \"ip\": \"203.0.113.10\","
	       " \"cve\": \"cve-2023-4966\", \"organisation\": \"Example Clinic\","
	       " \"country\": \"nl\", \"tagged_org\": \"Example Holding\", \"tlp\": \"AMBER+STRICT\"}",
	       &reply);
	check_success(&reply, "(vuln, TLP:AMBER+STRICT)");
	check_last_report(f, "vuln",
			  "{\"cve\": \"CVE-2023-4966\", \"country\": \"NL\","
			  " \"time\": \"2026-12-01T08:30:00Z\", \"tagged_org\": \"Example Holding\"}");
	chat_reply_free(&reply);
}

static void test_submit_hunt(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;

	submit(f, CHAT_FORM_HUNT,
	       "{\"rule_type\": \"YARA\", \"rule\": \"rule kit_page { strings: $a = \\\"refund\\\" "
	       "condition: $a }\", \"description\": \"Kit landing page\"}",
	       &reply);
	check_success(&reply, "(hunting, TLP:AMBER)");
	check_last_report(f, "hunting",
			  "{\"rule_type\": \"yara\", \"rule_names\": [\"kit_page\"],"
			  " \"description\": \"Kit landing page\"}");
	chat_reply_free(&reply);
}

static void test_submit_referral(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;
	char *handle;

	submit(f, CHAT_FORM_LENEW,
	       "{\"summary\": \"Fake refund portal\", \"incident_type\": \"Fraud or scam\","
	       " \"objective\": \"takedown\", \"contact_allowed\": \"yes\","
	       " \"contact_method\": \"Signal\", \"indicators\": \"mediq-refund-portal[.]net\"}",
	       &reply);
	check_success(&reply, "Opened referral LE-");
	assert_non_null(strstr(reply.text.data, "https://hub.example.org/api/v1/referrals/LE-"));
	handle = query_text(f, "SELECT reporter_handle FROM referrals ORDER BY id DESC LIMIT 1");
	assert_non_null(handle);
	assert_string_equal(handle, "slack:alice");
	free(handle);
	handle = query_text(f, "SELECT incident_type FROM referrals ORDER BY id DESC LIMIT 1");
	assert_string_equal(handle, "fraud");
	free(handle);
	chat_reply_free(&reply);
}

static void test_submit_booleans_from_dialog(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;

	/* Mattermost sends a bool element as a JSON boolean. */
	submit(f, CHAT_FORM_IOC,
	       "{\"indicators\": \"203.0.113.9\", \"purpose\": \"research\","
	       " \"anonymous\": false, \"details\": null}",
	       &reply);
	check_success(&reply, "(ioc, TLP:AMBER)");
	chat_reply_free(&reply);
}

/* Invalid submissions: the field error must name the field of the form. */
static void test_submit_errors(void **state)
{
	static const struct {
		enum chat_form form;
		const char *values;
		const char *field;
		const char *message;
	} cases[] = {
		{ CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\"}", "purpose", "purpose" },
		{ CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\", \"purpose\": \"spam\"}",
		  "purpose", "spam" },
		{ CHAT_FORM_IOC,
		  "{\"indicators\": \"203.0.113.7\", \"purpose\": \"research\","
		  " \"anonymous\": \"maybe\"}",
		  "anonymous", "yes or no" },
		{ CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\", \"purpose\": 7}", "purpose",
		  "must be text" },
		{ CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\", \"purpose\": \"research\","
				 " \"tlp\": \"PURPLE\"}",
		  "tlp", "PURPLE" },
		{ CHAT_FORM_VULN,
		  "{\"time\": \"2026-12-01T09:30:00Z\", \"ip\": \"203.0.113.10\","
		  " \"cve\": \"CVE-2023-4966\", \"organisation\": \"Clinic\", \"country\": \"XX\"}",
		  "country", "XX" },
		{ CHAT_FORM_ATTACK,
		  "{\"description\": \"d\", \"exploitation\": \"e\", \"tactic\": \"Initial Access\","
		  " \"techniques\": \"T1566, T1059\"}",
		  "techniques", "catalogue" },
		{ CHAT_FORM_HUNT, "{\"rule_type\": \"yara\", \"rule\": \"rule broken {\"}", "rule",
		  "rule" },
		{ CHAT_FORM_LENEW,
		  "{\"summary\": \"s\", \"incident_type\": \"phishing\", \"objective\": \"takedown\","
		  " \"contact_method\": \"Signal\"}",
		  "contact_method", "contact_allowed" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chat_reply reply;
		const char *message;

		submit(f, cases[i].form, cases[i].values, &reply);
		if (!reply.field_errors)
			fail_msg("case %zu: accepted: %s", i, reply.text.data);
		message = json_string_value(json_object_get(reply.field_errors, cases[i].field));
		if (!message) {
			char *errors = json_dumps(reply.field_errors, 0);

			fail_msg("case %zu: errors %s do not name %s", i, errors, cases[i].field);
		}
		if (!strstr(message, cases[i].message))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, message, cases[i].message);
		assert_true(reply.ephemeral);
		assert_non_null(strstr(reply.text.data, message));
		chat_reply_free(&reply);
	}
	assert_null(query_text(f, "SELECT id FROM reports"));
	assert_null(query_text(f, "SELECT id FROM referrals"));
}

static void test_submit_unlinked_user(void **state)
{
	struct fixture *f = *state;
	struct chat_reply reply;

	f->ctx.chat_user = "U9999";
	submit(f, CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\", \"purpose\": \"research\"}",
	       &reply);
	assert_non_null(reply.field_errors);
	assert_non_null(json_object_get(reply.field_errors, "indicators"));
	assert_null(query_text(f, "SELECT id FROM reports"));
	chat_reply_free(&reply);
}

static void test_check_keys_cases(void **state)
{
	static const struct {
		enum chat_form form;
		const char *values;
		const char *unknown; /* the key named in err.field, or NULL when accepted */
	} cases[] = {
		{ CHAT_FORM_IOC, "{}", NULL },
		{ CHAT_FORM_IOC, "{\"indicators\": \"x\", \"purpose\": \"research\"}", NULL },
		{ CHAT_FORM_IOC, "{\"indicators\": \"x\", \"extra\": \"x\"}", "extra" },
		{ CHAT_FORM_IOC, "{\"summary\": \"a field of another form\"}", "summary" },
		{ CHAT_FORM_IOC, "{\"Purpose\": \"research\"}", "Purpose" },
		{ CHAT_FORM_LENEW, "{\"summary\": \"s\", \"contact_allowed\": null}", NULL },
		{ CHAT_FORM_LENEW, "{\"summary\": \"s\", \"kind\": \"ioc\"}", "kind" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct chat_form_def *form = chat_form_get(cases[i].form);
		json_t *values = json_loads(cases[i].values, 0, NULL);
		struct ch_error err = { 0 };
		enum ch_code rc;

		assert_non_null(values);
		rc = chat_form_check_keys(form, values, &err);
		if (!cases[i].unknown && rc != CH_OK)
			fail_msg("case %zu: rejected: %s", i, err.message);
		if (cases[i].unknown) {
			assert_int_equal(rc, CH_INVALID);
			assert_string_equal(err.field, cases[i].unknown);
			assert_non_null(strstr(err.message, "unknown field"));
			assert_non_null(strstr(err.message, form->fields[0].name));
		}
		json_decref(values);
	}
	assert_int_equal(chat_form_check_keys(chat_form_get(CHAT_FORM_IOC), NULL, NULL), CH_OK);
}

/* Submits values (JSON text) to form with a single-use key and returns
 * the code. */
static enum ch_code submit_once(struct fixture *f, enum chat_form form, const char *values_json,
				const char *key, struct chat_reply *reply, struct ch_error *err)
{
	struct chat_form_once once = { .platform = "mattermost-dialog", .key = key };
	json_t *values = json_loads(values_json, 0, NULL);
	enum ch_code rc;

	assert_non_null(values);
	chat_reply_init(reply);
	rc = chat_form_submit_once(&f->ctx, chat_form_get(form), values, &once, reply, err);
	json_decref(values);
	return rc;
}

static void test_submit_once_stores_once(void **state)
{
	static const char *const valid = "{\"indicators\": \"203.0.113.7\","
					 " \"purpose\": \"research\"}";
	struct fixture *f = *state;
	struct ch_error err = { 0 };
	struct chat_reply reply;
	char *count;

	/* Invalid values leave the key unused. */
	assert_int_equal(submit_once(f, CHAT_FORM_IOC, "{\"indicators\": \"203.0.113.7\"}", "n1",
				     &reply, &err),
			 CH_OK);
	assert_non_null(json_object_get(reply.field_errors, "purpose"));
	chat_reply_free(&reply);
	assert_null(query_text(f, "SELECT event_id FROM chat_events"));

	assert_int_equal(submit_once(f, CHAT_FORM_IOC, valid, "n1", &reply, &err), CH_OK);
	check_success(&reply, "Created report 1 (ioc, TLP:AMBER).");
	chat_reply_free(&reply);
	count = query_text(f, "SELECT COUNT(*) FROM chat_events WHERE platform = "
			      "'mattermost-dialog' AND workspace = 'T0001' AND event_id = 'n1'");
	assert_string_equal(count, "1");
	free(count);

	/* The same key again, for a report or a referral, stores nothing. */
	assert_int_equal(submit_once(f, CHAT_FORM_IOC, valid, "n1", &reply, &err), CH_CONFLICT);
	assert_null(reply.field_errors);
	assert_non_null(strstr(err.message, "submitted already"));
	chat_reply_free(&reply);
	assert_int_equal(submit_once(f, CHAT_FORM_LENEW,
				     "{\"summary\": \"Fake refund portal\", \"incident_type\":"
				     " \"fraud\", \"objective\": \"takedown\","
				     " \"contact_allowed\": \"no\"}",
				     "n1", &reply, &err),
			 CH_CONFLICT);
	chat_reply_free(&reply);
	count = query_text(f, "SELECT COUNT(*) FROM reports");
	assert_string_equal(count, "1");
	free(count);
	assert_null(query_text(f, "SELECT id FROM referrals"));

	/* Another key stores again. */
	assert_int_equal(submit_once(f, CHAT_FORM_IOC, valid, "n2", &reply, &err), CH_OK);
	check_success(&reply, "Created report 2");
	chat_reply_free(&reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_known_to_validators),
		cmocka_unit_test(test_definitions_within_limits),
		cmocka_unit_test(test_select_options_valid),
		cmocka_unit_test(test_field_option_lookup),
		cmocka_unit_test(test_parse_text_cases),
		cmocka_unit_test(test_slack_view_shape),
		cmocka_unit_test(test_slack_view_labels),
		cmocka_unit_test(test_mattermost_dialog_shape),
		cmocka_unit_test_setup_teardown(test_submit_ioc, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_attack, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_vuln, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_hunt, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_referral, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_booleans_from_dialog, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_errors, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_submit_unlinked_user, setup_store,
						teardown_store),
		cmocka_unit_test(test_check_keys_cases),
		cmocka_unit_test_setup_teardown(test_submit_once_stores_once, setup_store,
						teardown_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
