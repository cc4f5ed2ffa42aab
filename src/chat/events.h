/*
 * Channel ingestion, private to src/chat: the platform-neutral message
 * that both the Slack Events API and Mattermost outgoing webhooks are
 * read into, the helpers that turn it into a report, and the one
 * ingestion function both handlers call. Declared here so the unit tests
 * reach the helpers that touch no database.
 */
#ifndef CTIHUB_CHAT_EVENTS_H
#define CTIHUB_CHAT_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat/chat.h"
#include "util/buf.h"
#include "util/error.h"

/* Maximum message text read, in bytes; a longer message is skipped.
 * NOTE: a generous bound of this program, not a limit taken from either
 * platform's documentation. */
#define CHAT_TEXT_MAX ((size_t)256 * 1024)
/* Maximum length of an id (event, channel, user, ts), in bytes. */
#define CHAT_ID_MAX 128
/* Maximum length of a title taken from a message's first line, in bytes. */
#define CHAT_TITLE_MAX 120

enum chat_message_action {
	CHAT_MESSAGE_POST = 0, /* a new message, or a thread reply */
	CHAT_MESSAGE_EDIT,     /* the message with this ts now has this text */
	CHAT_MESSAGE_DELETE,   /* the message with this ts was deleted */
};

/* One channel message, whatever the platform. The strings are borrowed
 * from the request. */
struct chat_message {
	enum chat_message_action action;
	const char *event_id;  /* repeat key: Slack event_id, Mattermost post_id */
	const char *channel;
	const char *ts;        /* the message's id in its channel */
	const char *thread_ts; /* the thread's first message, or NULL */
	const char *user;      /* chat user id; NULL for a deletion */
	const char *user_name; /* handle, or NULL */
	const char *text;      /* as sent, Slack markup included; NULL for a deletion */
	size_t text_len;
};

/* Outcome of chat_ingest_message for one message. */
enum chat_ingest_outcome {
	CHAT_INGEST_CREATED = 0,
	CHAT_INGEST_UPDATED,
	CHAT_INGEST_WITHDRAWN,
	CHAT_INGEST_REPEAT,  /* the event id was seen before: nothing changed */
	CHAT_INGEST_SKIPPED, /* no indicator, or nothing to change */
};

const char *chat_ingest_outcome_name(enum chat_ingest_outcome outcome);

/*
 * Reads the "event" object of a Slack event_callback into msg, leaving
 * event_id to the caller. Returns false, with *reason naming why, for an
 * event the bridge ignores. Those are events other than messages, the
 * subtypes other than none, thread_broadcast, message_changed and
 * message_deleted, and messages from a bot (bot_id, subtype bot_message,
 * or user equal to bot_user_id). Missing or oversized fields are ignored
 * too.
 */
bool chat_slack_message_read(const json_t *event, const char *bot_user_id,
			     struct chat_message *msg, const char **reason);

/*
 * Turns Slack message markup into the text the user typed: <URL|label>
 * becomes the label, followed by " (URL)" when the label is not the URL
 * without its scheme; <URL> becomes the URL; <@U123|name> and
 * <#C123|name> become @name and #name; <!here> becomes @here; &amp;,
 * &lt; and &gt; become &, < and >. CH_TOO_LARGE when out's maximum is
 * reached.
 */
enum ch_code chat_slack_plain_text(const char *text, size_t len, struct buf *out);

/* Writes the first non-blank line of text, trimmed and cut to at most
 * CHAT_TITLE_MAX bytes on a UTF-8 character boundary (then "..." follows),
 * into out, whose cap should be at least CHAT_TITLE_MAX + 4. An empty text
 * gives "chat message". */
void chat_message_title(const char *text, char *out, size_t cap);

/* The report's fields: platform, workspace, channel, category, ts,
 * thread_ts (in a thread only), user, user_name (when known) and text. */
json_t *chat_message_fields(const struct chat_workspace *ws, const struct chat_channel *channel,
			    const struct chat_message *msg, const char *text);

/* The chat_events id that marks the message (channel, ts) deleted, so an
 * edit or a late first delivery cannot bring its report back. */
void chat_deleted_marker(const char *channel, const char *ts, char *out, size_t cap);

/*
 * Stores, updates or withdraws the report of one message from a channel
 * whose settings are channel, in one transaction with its audit entry and
 * the event id. A new message is stored only when it names at least one
 * indicator. CH_DB when the database fails, so the platform retries the
 * delivery.
 */
enum ch_code chat_ingest_message(const struct chat_context *ctx,
				 const struct chat_channel *channel,
				 const struct chat_message *msg, enum chat_ingest_outcome *outcome,
				 int64_t *report_id, struct ch_error *err);

#endif
