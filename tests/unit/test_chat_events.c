/*
 * Unit tests for the database-free parts of src/chat/events.c. They cover
 * reading a Slack event into a platform-neutral message (and which
 * subtypes and bots are ignored), turning Slack markup into the typed
 * text, the title taken from a message's first line, and the marker of a
 * deleted message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "chat/events.h"

#define BOT "U0BOT"

/* Parses a JSON literal that a test wrote, failing the test on a typo. */
static json_t *parse(const char *text)
{
	json_error_t error;
	json_t *value = json_loads(text, 0, &error);

	if (!value)
		fail_msg("test JSON does not parse: %s", error.text);
	return value;
}

/* ---- chat_slack_message_read ----------------------------------------------------- */

struct read_case {
	const char *name;
	const char *event;
	enum chat_message_action action;
	const char *ts;
	const char *thread_ts;
	const char *user;
	const char *text;
};

static const struct read_case read_cases[] = {
	{ "plain message",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\",\"text\":\"evil[.]com\","
	  "\"ts\":\"100.000001\"}",
	  CHAT_MESSAGE_POST, "100.000001", NULL, "U1", "evil[.]com" },
	{ "thread reply",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\",\"text\":\"x\","
	  "\"ts\":\"101.000001\",\"thread_ts\":\"100.000001\"}",
	  CHAT_MESSAGE_POST, "101.000001", "100.000001", "U1", "x" },
	{ "thread broadcast",
	  "{\"type\":\"message\",\"subtype\":\"thread_broadcast\",\"channel\":\"C1\","
	  "\"user\":\"U1\",\"text\":\"x\",\"ts\":\"102.1\",\"thread_ts\":\"100.000001\"}",
	  CHAT_MESSAGE_POST, "102.1", "100.000001", "U1", "x" },
	{ "edit reads the new message",
	  "{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C1\","
	  "\"ts\":\"200.1\",\"message\":{\"type\":\"message\",\"user\":\"U1\","
	  "\"text\":\"new text\",\"ts\":\"100.000001\"},"
	  "\"previous_message\":{\"user\":\"U1\",\"text\":\"old\",\"ts\":\"100.000001\"}}",
	  CHAT_MESSAGE_EDIT, "100.000001", NULL, "U1", "new text" },
	{ "deletion uses deleted_ts",
	  "{\"type\":\"message\",\"subtype\":\"message_deleted\",\"channel\":\"C1\","
	  "\"ts\":\"300.1\",\"deleted_ts\":\"100.000001\"}",
	  CHAT_MESSAGE_DELETE, "100.000001", NULL, NULL, NULL },
	{ "deletion falls back to previous message",
	  "{\"type\":\"message\",\"subtype\":\"message_deleted\",\"channel\":\"C1\","
	  "\"ts\":\"300.1\",\"previous_message\":{\"ts\":\"100.5\"}}",
	  CHAT_MESSAGE_DELETE, "100.5", NULL, NULL, NULL },
};

/* Events the bridge does not store; each must come with a reason. */
static const struct {
	const char *name;
	const char *event;
} ignored_cases[] = {
	{ "bot's own user ignored",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"" BOT "\",\"text\":\"x\","
	  "\"ts\":\"1.1\"}" },
	{ "bot_id ignored",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\",\"bot_id\":\"B1\","
	  "\"text\":\"x\",\"ts\":\"1.1\"}" },
	{ "bot_message subtype ignored",
	  "{\"type\":\"message\",\"subtype\":\"bot_message\",\"channel\":\"C1\","
	  "\"text\":\"x\",\"ts\":\"1.1\"}" },
	{ "edit of a bot message ignored",
	  "{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C1\","
	  "\"message\":{\"user\":\"" BOT "\",\"text\":\"x\",\"ts\":\"1.1\"}}" },
	{ "channel_join ignored",
	  "{\"type\":\"message\",\"subtype\":\"channel_join\",\"channel\":\"C1\","
	  "\"user\":\"U1\",\"text\":\"joined\",\"ts\":\"1.1\"}" },
	{ "other event type ignored",
	  "{\"type\":\"reaction_added\",\"user\":\"U1\",\"reaction\":\"eyes\"}" },
	{ "missing channel ignored",
	  "{\"type\":\"message\",\"user\":\"U1\",\"text\":\"x\",\"ts\":\"1.1\"}" },
	{ "missing user ignored",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"text\":\"x\",\"ts\":\"1.1\"}" },
	{ "text not a string ignored",
	  "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\",\"text\":5,\"ts\":\"1.1\"}" },
	{ "edit without message ignored",
	  "{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C1\"}" },
	{ "deletion without ts ignored",
	  "{\"type\":\"message\",\"subtype\":\"message_deleted\",\"channel\":\"C1\"}" },
};

static void assert_optional_string(const char *expected, const char *actual,
				   const char *case_name)
{
	if (!expected) {
		if (actual)
			fail_msg("%s: expected NULL, got \"%s\"", case_name, actual);
		return;
	}
	if (!actual || strcmp(expected, actual) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", case_name, expected,
			 actual ? actual : "(null)");
}

static void slack_read_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++) {
		const struct read_case *c = &read_cases[i];
		json_t *event = parse(c->event);
		struct chat_message msg;
		const char *reason = NULL;

		if (!chat_slack_message_read(event, BOT, &msg, &reason))
			fail_msg("%s: ignored (%s)", c->name, reason ? reason : "no reason");
		assert_int_equal(msg.action, c->action);
		assert_string_equal(msg.channel, "C1");
		assert_optional_string(c->ts, msg.ts, c->name);
		assert_optional_string(c->thread_ts, msg.thread_ts, c->name);
		assert_optional_string(c->user, msg.user, c->name);
		assert_optional_string(c->text, msg.text, c->name);
		if (c->text)
			assert_int_equal(msg.text_len, strlen(c->text));
		json_decref(event);
	}
}

static void slack_read_ignored_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ignored_cases) / sizeof(ignored_cases[0]); i++) {
		json_t *event = parse(ignored_cases[i].event);
		struct chat_message msg;
		const char *reason = NULL;

		if (chat_slack_message_read(event, BOT, &msg, &reason))
			fail_msg("%s: accepted, expected ignored", ignored_cases[i].name);
		assert_non_null(reason);
		json_decref(event);
	}
}

static void slack_read_without_bot_id(void **state)
{
	json_t *event = parse("{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U1\","
			      "\"text\":\"x\",\"ts\":\"1.1\"}");
	struct chat_message msg;
	const char *reason = NULL;

	(void)state;
	/* A workspace without a configured bot user still reads messages. */
	assert_true(chat_slack_message_read(event, NULL, &msg, &reason));
	json_decref(event);
}

/* ---- chat_slack_plain_text ------------------------------------------------------- */

static const struct {
	const char *markup;
	const char *plain;
} plain_cases[] = {
	{ "no markup at all", "no markup at all" },
	{ "C2 at evil[.]com", "C2 at evil[.]com" },
	/* Slack links a typed domain; the reader typed the domain only. */
	{ "seen <http://evil.example|evil.example> today", "seen evil.example today" },
	{ "<https://evil.example/a?b=1&amp;c=2>", "https://evil.example/a?b=1&c=2" },
	{ "mail <mailto:bad@evil.example|bad@evil.example>", "mail bad@evil.example" },
	/* A label that hides its target keeps the target. */
	{ "<http://evil.example/x|click here>", "click here (http://evil.example/x)" },
	{ "hi <@U123|alice> and <@U456>", "hi @alice and @U456" },
	{ "see <#C123|threat-intel>", "see #threat-intel" },
	{ "ping <!subteam^S1|@cti-team>", "ping @cti-team" },
	{ "<#C123>", "#C123" },
	{ "<!here> heads up", "@here heads up" },
	{ "a &lt;b&gt; &amp; c", "a <b> & c" },
	{ "lone < stays", "lone < stays" },
	{ "", "" },
};

static void slack_plain_text_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		struct buf out;

		buf_init(&out, 1024);
		assert_int_equal(chat_slack_plain_text(plain_cases[i].markup,
						       strlen(plain_cases[i].markup), &out),
				 CH_OK);
		assert_string_equal(out.data, plain_cases[i].plain);
		assert_int_equal(out.len, strlen(plain_cases[i].plain));
		buf_free(&out);
	}
}

static void slack_plain_text_too_large(void **state)
{
	const char *markup = "0123456789 <http://evil.example/x|label>";
	struct buf out;

	(void)state;
	buf_init(&out, 8);
	assert_int_equal(chat_slack_plain_text(markup, strlen(markup), &out), CH_TOO_LARGE);
	buf_free(&out);
}

/* ---- chat_message_title ---------------------------------------------------------- */

static void title_first_line(void **state)
{
	char title[CHAT_TITLE_MAX + 4];

	(void)state;
	chat_message_title("\n\n  TA551 IOCs for Valak  \nmore text", title, sizeof(title));
	assert_string_equal(title, "TA551 IOCs for Valak");
	chat_message_title("one line\r\nsecond", title, sizeof(title));
	assert_string_equal(title, "one line");
	chat_message_title("", title, sizeof(title));
	assert_string_equal(title, "chat message");
	chat_message_title(" \n\t\n", title, sizeof(title));
	assert_string_equal(title, "chat message");
}

static void title_cut_on_character(void **state)
{
	char text[3 * CHAT_TITLE_MAX];
	char title[CHAT_TITLE_MAX + 4];
	size_t len;

	(void)state;
	/* "é" is two bytes, so byte CHAT_TITLE_MAX falls inside a character
	 * when the text starts with one ASCII byte. */
	text[0] = 'x';
	len = 1;
	while (len + 2 < sizeof(text) - 1) {
		memcpy(text + len, "\xc3\xa9", 2);
		len += 2;
	}
	text[len] = '\0';
	chat_message_title(text, title, sizeof(title));
	assert_int_equal(strlen(title), CHAT_TITLE_MAX - 1 + 3);
	assert_memory_equal(title + strlen(title) - 3, "...", 3);
	assert_int_equal((unsigned char)title[strlen(title) - 4], 0xa9);
}

/* ---- chat_deleted_marker ------------------------------------------------------------ */

static void deleted_marker_names_message(void **state)
{
	char marker[2 * CHAT_ID_MAX + 16];

	(void)state;
	chat_deleted_marker("C1", "100.000001", marker, sizeof(marker));
	assert_string_equal(marker, "deleted:C1:100.000001");
	/* The prefix keeps markers apart from platform event ids, such as
	 * Slack's "Ev..." ids. */
	assert_memory_not_equal(marker, "Ev", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slack_read_cases),
		cmocka_unit_test(slack_read_ignored_cases),
		cmocka_unit_test(slack_read_without_bot_id),
		cmocka_unit_test(slack_plain_text_cases),
		cmocka_unit_test(slack_plain_text_too_large),
		cmocka_unit_test(title_first_line),
		cmocka_unit_test(title_cut_on_character),
		cmocka_unit_test(deleted_marker_names_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
