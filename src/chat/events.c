/*
 * Channel ingestion: messages posted in configured chat channels become
 * reports of kind "chat", with the indicators the engine finds in them.
 *
 * Two front ends read their platform's request into a struct
 * chat_message: chat_slack_events (the Events API, signed with the
 * workspace's signing secret) and chat_mattermost_messages (outgoing
 * webhooks, carrying a token). Both then call chat_ingest_message, which
 * does the work in one transaction:
 *
 *   new message    stored only when it names at least one indicator, so
 *                  greetings and chatter add no reports; a thread reply is
 *                  linked to the report of the thread's first message
 *   edit           replaces the report's title, fields and indicator
 *                  links; an edit that removes every indicator withdraws
 *                  the report; an edit of a message without a report
 *                  stores it when it now names indicators
 *   deletion       withdraws the report (reports.withdrawn), which hides
 *                  it from every reader but keeps it for the audit trail
 *
 * Every change records the delivery's event id in chat_events in the same
 * transaction, so a retried delivery changes nothing twice, and writes an
 * audit entry. A deletion also records a marker id for the message, so an
 * edit or a first delivery that arrives after the deletion (Slack does not
 * promise order) cannot bring the report back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat/events.h"
#include "chat/handlers.h"
#include "chat/verify.h"
#include "http/api.h"
#include "ioc/ioc.h"
#include "util/log.h"
#include "util/timeutil.h"

/* ---- Reading a Slack event ------------------------------------------------- */

const char *chat_ingest_outcome_name(enum chat_ingest_outcome outcome)
{
	switch (outcome) {
	case CHAT_INGEST_CREATED: return "created";
	case CHAT_INGEST_UPDATED: return "updated";
	case CHAT_INGEST_WITHDRAWN: return "withdrawn";
	case CHAT_INGEST_REPEAT: return "repeat";
	case CHAT_INGEST_SKIPPED: return "skipped";
	}
	return "unknown";
}

/* A string member no longer than max bytes, or NULL. */
static const char *string_member(const json_t *obj, const char *key, size_t max)
{
	const json_t *value = json_object_get(obj, key);

	if (!json_is_string(value) || json_string_length(value) > max)
		return NULL;
	return json_string_value(value);
}

static bool from_bot(const json_t *message, const char *bot_user_id)
{
	const char *user = string_member(message, "user", CHAT_ID_MAX);
	const char *subtype = string_member(message, "subtype", CHAT_ID_MAX);
	const json_t *bot_id = json_object_get(message, "bot_id");

	if (bot_id && !json_is_null(bot_id))
		return true;
	if (subtype && strcmp(subtype, "bot_message") == 0)
		return true;
	return user && bot_user_id && strcmp(user, bot_user_id) == 0;
}

/* Reads the user, ts, thread and text of a posted or edited message. */
static bool read_posted(const json_t *message, struct chat_message *msg, const char **reason)
{
	const json_t *text = json_object_get(message, "text");

	msg->ts = string_member(message, "ts", CHAT_ID_MAX);
	msg->user = string_member(message, "user", CHAT_ID_MAX);
	msg->thread_ts = string_member(message, "thread_ts", CHAT_ID_MAX);
	if (!msg->ts || !msg->user) {
		*reason = "the message has no valid ts or user";
		return false;
	}
	if (!json_is_string(text) || json_string_length(text) > CHAT_TEXT_MAX) {
		*reason = "the message text is missing or longer than the maximum";
		return false;
	}
	msg->text = json_string_value(text);
	msg->text_len = json_string_length(text);
	return true;
}

bool chat_slack_message_read(const json_t *event, const char *bot_user_id,
			     struct chat_message *msg, const char **reason)
{
	const char *type = string_member(event, "type", CHAT_ID_MAX);
	const char *subtype = string_member(event, "subtype", CHAT_ID_MAX);
	const json_t *inner;

	memset(msg, 0, sizeof(*msg));
	if (!type || strcmp(type, "message") != 0) {
		*reason = "not a message event";
		return false;
	}
	msg->channel = string_member(event, "channel", CHAT_ID_MAX);
	if (!msg->channel) {
		*reason = "the event has no valid channel";
		return false;
	}

	if (!subtype || strcmp(subtype, "thread_broadcast") == 0) {
		msg->action = CHAT_MESSAGE_POST;
		inner = event;
	} else if (strcmp(subtype, "message_changed") == 0) {
		msg->action = CHAT_MESSAGE_EDIT;
		inner = json_object_get(event, "message");
		if (!json_is_object(inner)) {
			*reason = "message_changed without a message object";
			return false;
		}
	} else if (strcmp(subtype, "message_deleted") == 0) {
		msg->action = CHAT_MESSAGE_DELETE;
		msg->ts = string_member(event, "deleted_ts", CHAT_ID_MAX);
		if (!msg->ts)
			msg->ts = string_member(json_object_get(event, "previous_message"), "ts",
						CHAT_ID_MAX);
		if (!msg->ts) {
			*reason = "message_deleted without deleted_ts";
			return false;
		}
		return true;
	} else {
		*reason = "a message subtype the bridge does not store";
		return false;
	}

	if (from_bot(inner, bot_user_id)) {
		*reason = "a message from a bot";
		return false;
	}
	return read_posted(inner, msg, reason);
}

/* ---- Message text --------------------------------------------------------------- */

/* Appends text with Slack's three escapes (&amp; &lt; &gt;) decoded. */
static enum ch_code append_unescaped(struct buf *out, const char *s, size_t len)
{
	static const struct {
		const char *escape;
		char c;
	} escapes[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' } };
	const size_t escape_count = sizeof(escapes) / sizeof(escapes[0]);
	enum ch_code rc = CH_OK;

	for (size_t i = 0; i < len && rc == CH_OK; i++) {
		size_t k = 0;

		for (; k < escape_count; k++) {
			size_t n = strlen(escapes[k].escape);

			if (len - i >= n && memcmp(s + i, escapes[k].escape, n) == 0)
				break;
		}
		if (k < escape_count) {
			rc = buf_append_char(out, escapes[k].c);
			i += strlen(escapes[k].escape) - 1;
		} else {
			rc = buf_append_char(out, s[i]);
		}
	}
	return rc;
}

/* The part of a link target a reader sees as its text: without the
 * scheme for http, https and mailto. */
static void visible_target(const char *target, size_t len, const char **start, size_t *n)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	*start = target;
	*n = len;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t k = strlen(schemes[i]);

		if (len >= k && memcmp(target, schemes[i], k) == 0) {
			*start = target + k;
			*n = len - k;
			return;
		}
	}
}

/* Appends one <...> element; inner is what sits between the brackets. */
static enum ch_code append_element(struct buf *out, const char *inner, size_t len)
{
	const char *bar = memchr(inner, '|', len);
	size_t target_len = bar ? (size_t)(bar - inner) : len;
	const char *label = bar ? bar + 1 : NULL;
	size_t label_len = bar ? len - target_len - 1 : 0;
	const char *shown;
	size_t shown_len;
	enum ch_code rc;

	/* Mentions: <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>.
	 * A labelled special mention carries its own sigil in the label. */
	if (len > 0 && (inner[0] == '@' || inner[0] == '#' || inner[0] == '!')) {
		if (label && inner[0] == '!')
			return append_unescaped(out, label, label_len);
		rc = buf_append_char(out, inner[0] == '#' ? '#' : '@');
		if (rc == CH_OK && label)
			rc = append_unescaped(out, label, label_len);
		else if (rc == CH_OK)
			rc = append_unescaped(out, inner + 1, target_len - 1);
		return rc;
	}

	if (!label)
		return append_unescaped(out, inner, len);
	rc = append_unescaped(out, label, label_len);
	visible_target(inner, target_len, &shown, &shown_len);
	if (rc != CH_OK || (shown_len == label_len && memcmp(shown, label, label_len) == 0))
		return rc;
	/* The label hides the target, which is the part worth keeping. */
	rc = buf_append_str(out, " (");
	if (rc == CH_OK)
		rc = append_unescaped(out, inner, target_len);
	return rc == CH_OK ? buf_append_char(out, ')') : rc;
}

enum ch_code chat_slack_plain_text(const char *text, size_t len, struct buf *out)
{
	enum ch_code rc = CH_OK;
	size_t i = 0;

	while (i < len && rc == CH_OK) {
		const char *open = memchr(text + i, '<', len - i);
		size_t plain = open ? (size_t)(open - text) - i : len - i;
		const char *close;

		rc = append_unescaped(out, text + i, plain);
		i += plain;
		if (!open || rc != CH_OK)
			break;
		close = memchr(open + 1, '>', len - i - 1);
		if (!close) {
			/* Slack escapes a typed '<', so a lone one is kept as it is. */
			rc = append_unescaped(out, open, len - i);
			break;
		}
		rc = append_element(out, open + 1, (size_t)(close - open) - 1);
		i = (size_t)(close - text) + 1;
	}
	if (rc == CH_OK)
		rc = buf_append(out, "", 0);
	return rc;
}

void chat_message_title(const char *text, char *out, size_t cap)
{
	const char *start = text ? text : "";
	const char *end;
	size_t len;

	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strcspn(start, "\r\n");
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - start);
	if (len == 0) {
		snprintf(out, cap, "chat message");
		return;
	}
	if (len <= CHAT_TITLE_MAX) {
		snprintf(out, cap, "%.*s", (int)len, start);
		return;
	}
	/* Back up over UTF-8 continuation bytes so no character is split. */
	len = CHAT_TITLE_MAX;
	while (len > 0 && ((unsigned char)start[len] & 0xC0) == 0x80)
		len--;
	snprintf(out, cap, "%.*s...", (int)len, start);
}

json_t *chat_message_fields(const struct chat_workspace *ws, const struct chat_channel *channel,
			    const struct chat_message *msg, const char *text)
{
	json_t *fields = json_object();
	json_t *text_value;

	json_object_set_new(fields, "platform", json_string(chat_platform_name(ws->platform)));
	json_object_set_new(fields, "workspace", json_string(ws->id));
	json_object_set_new(fields, "channel", json_string(msg->channel));
	json_object_set_new(fields, "category", json_string(chat_category_name(channel->category)));
	json_object_set_new(fields, "ts", json_string(msg->ts));
	if (msg->thread_ts && strcmp(msg->thread_ts, msg->ts) != 0)
		json_object_set_new(fields, "thread_ts", json_string(msg->thread_ts));
	json_object_set_new(fields, "user", json_string(msg->user));
	if (msg->user_name)
		json_object_set_new(fields, "user_name", json_string(msg->user_name));
	/* json_string rejects invalid UTF-8. Both platforms send UTF-8 only,
	 * so such a text is left out rather than stored mangled. */
	text_value = json_string(text);
	json_object_set_new(fields, "text", text_value ? text_value : json_string(""));
	return fields;
}

void chat_deleted_marker(const char *channel, const char *ts, char *out, size_t cap)
{
	snprintf(out, cap, "deleted:%s:%s", channel, ts);
}

/* ---- Ingestion ------------------------------------------------------------------ */

/* Inputs of one message's report. */
struct ingest {
	const struct chat_context *ctx;
	const struct chat_channel *channel;
	const struct chat_message *msg;
	const char *platform;
	struct buf text;              /* the text as the user typed it */
	struct ioc_match_list found;
	size_t indicator_count;       /* matches that are not the host of a URL */
	char title[CHAT_TITLE_MAX + 4];
	char source[2 * CHAT_ID_MAX + 16];
	struct principal who;         /* valid when linked */
	bool linked;
	int64_t org_id;
	int64_t now;
};

/* Finds the indicators of an edited or new message. */
static enum ch_code read_indicators(struct ingest *in, struct ch_error *err)
{
	const struct chat_message *msg = in->msg;
	enum ch_code rc;

	if (in->ctx->ws->platform == CHAT_SLACK)
		rc = chat_slack_plain_text(msg->text, msg->text_len, &in->text);
	else
		rc = buf_append(&in->text, msg->text, msg->text_len);
	if (rc != CH_OK)
		return ch_fail(err, rc, "the text of message %s is longer than %zu bytes", msg->ts,
			       in->text.max);

	rc = ioc_extract(in->text.data, in->text.len, in->ctx->warnlists, &in->found, err);
	if (rc != CH_OK)
		return rc;
	for (size_t i = 0; i < in->found.count; i++) {
		if (in->found.items[i].parent < 0)
			in->indicator_count++;
	}
	chat_message_title(in->text.data, in->title, sizeof(in->title));
	return CH_OK;
}

/* Finds the hub user linked to the message's author. An unlinked author's
 * report belongs to the workspace's default organisation, or to none. A
 * channel message makes no guest account (chat_principal would): only
 * what a user sends to the bot does. */
static enum ch_code resolve_author(struct ingest *in, struct ch_error *err)
{
	const char *platform = chat_platform_name(in->ctx->ws->platform);
	enum ch_code rc;

	in->linked = false;
	if (in->msg->user) {
		rc = store_chat_identity_find(in->ctx->st, platform, in->ctx->ws->id, in->msg->user,
					      &in->who, err);
		if (rc != CH_OK && rc != CH_NOT_FOUND)
			return rc;
		in->linked = rc == CH_OK && strncmp(in->who.user_name, "chat:", 5) != 0;
	}
	in->org_id = in->linked ? in->who.org_id : in->ctx->ws->default_org_id;
	return CH_OK;
}

static void fill_store_message(const struct ingest *in, struct store_chat_message *out,
			       char *fields_json)
{
	const struct chat_message *msg = in->msg;

	memset(out, 0, sizeof(*out));
	out->platform = in->platform;
	out->workspace = in->ctx->ws->id;
	out->channel = msg->channel;
	out->ts = msg->ts;
	out->thread_ts = msg->thread_ts;
	out->source = in->source;
	out->tlp = in->channel->tlp;
	out->title = in->title;
	out->fields_json = fields_json;
	out->submitter_id = in->linked ? in->who.user_id : 0;
	out->org_id = in->org_id;
	out->created = in->now;
	out->indicators = &in->found;
}

/* Creates or updates the report (report_id 0 creates one). */
static enum ch_code write_report(struct ingest *in, int64_t *report_id, struct ch_error *err)
{
	struct store_chat_message row;
	json_t *fields = chat_message_fields(in->ctx->ws, in->channel, in->msg, in->text.data);
	char *fields_json = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	enum ch_code rc;

	fill_store_message(in, &row, fields_json);
	if (*report_id)
		rc = store_chat_message_update(in->ctx->st, *report_id, &row, err);
	else
		rc = store_chat_message_create(in->ctx->st, &row, report_id, err);
	free(fields_json);
	json_decref(fields);
	return rc;
}

static enum ch_code deleted_before(const struct ingest *in, bool *deleted,
				   struct ch_error *err)
{
	char marker[2 * CHAT_ID_MAX + 16];

	chat_deleted_marker(in->msg->channel, in->msg->ts, marker, sizeof(marker));
	return store_chat_event_seen(in->ctx->st, in->platform, in->ctx->ws->id, marker, deleted,
				     err);
}

/* Sets *report_id to the message's report, 0 when it has none. */
static enum ch_code find_report(const struct ingest *in, int64_t *report_id, bool *withdrawn,
				struct ch_error *err)
{
	enum ch_code rc = store_chat_message_find(in->ctx->st, in->platform, in->ctx->ws->id,
						  in->msg->channel, in->msg->ts, report_id,
						  withdrawn, err);

	if (rc == CH_NOT_FOUND) {
		*report_id = 0;
		*withdrawn = false;
		return CH_OK;
	}
	return rc;
}

/* Finds the message's report, unless the message was deleted before. */
static enum ch_code find_live_report(const struct ingest *in, bool *deleted, int64_t *report_id,
				     bool *withdrawn, struct ch_error *err)
{
	enum ch_code rc = deleted_before(in, deleted, err);

	if (rc != CH_OK || *deleted)
		return rc;
	return find_report(in, report_id, withdrawn, err);
}

static enum ch_code apply_post(struct ingest *in, enum chat_ingest_outcome *outcome,
			       int64_t *report_id, struct ch_error *err)
{
	bool deleted = false, withdrawn = false;
	enum ch_code rc = find_live_report(in, &deleted, report_id, &withdrawn, err);

	/* A second delivery of a stored message under another event id, such
	 * as a thread_broadcast of a reply, changes nothing. */
	if (rc != CH_OK || deleted || *report_id)
		return rc;
	rc = write_report(in, report_id, err);
	if (rc == CH_OK)
		*outcome = CHAT_INGEST_CREATED;
	return rc;
}

static enum ch_code apply_edit(struct ingest *in, enum chat_ingest_outcome *outcome,
			       int64_t *report_id, struct ch_error *err)
{
	bool deleted = false, withdrawn = false, existed;
	enum ch_code rc = find_live_report(in, &deleted, report_id, &withdrawn, err);

	if (rc != CH_OK || deleted)
		return rc;

	existed = *report_id != 0;
	if (in->indicator_count > 0) {
		rc = write_report(in, report_id, err);
		if (rc == CH_OK)
			*outcome = existed ? CHAT_INGEST_UPDATED : CHAT_INGEST_CREATED;
		return rc;
	}
	/* The edit removed every indicator, so the message is chatter now. */
	if (!existed || withdrawn)
		return CH_OK;
	rc = store_chat_report_withdraw(in->ctx->st, *report_id, in->now, err);
	if (rc == CH_OK)
		*outcome = CHAT_INGEST_WITHDRAWN;
	return rc;
}

static enum ch_code apply_delete(struct ingest *in, enum chat_ingest_outcome *outcome,
				 int64_t *report_id, struct ch_error *err)
{
	char marker[2 * CHAT_ID_MAX + 16];
	bool fresh = false, withdrawn = false;
	enum ch_code rc;

	chat_deleted_marker(in->msg->channel, in->msg->ts, marker, sizeof(marker));
	rc = store_chat_event_claim(in->ctx->st, in->platform, in->ctx->ws->id, marker, in->now,
				    &fresh, err);
	if (rc == CH_OK)
		rc = find_report(in, report_id, &withdrawn, err);
	if (rc != CH_OK || *report_id == 0 || withdrawn)
		return rc;
	rc = store_chat_report_withdraw(in->ctx->st, *report_id, in->now, err);
	if (rc == CH_OK)
		*outcome = CHAT_INGEST_WITHDRAWN;
	return rc;
}

/* Writes the audit entry of a change inside the open transaction, so a
 * change whose entry fails is rolled back with it. */
static enum ch_code audit_change(const struct ingest *in, enum chat_ingest_outcome outcome,
				 int64_t report_id, struct ch_error *err)
{
	static const char *const actions[] = {
		[CHAT_INGEST_CREATED] = "report.create",
		[CHAT_INGEST_UPDATED] = "report.update",
		[CHAT_INGEST_WITHDRAWN] = "report.withdraw",
	};
	struct store_audit_entry entry = { 0 };
	char actor[CHAT_ID_MAX + 16], object[32], detail[4 * CHAT_ID_MAX + 64];

	snprintf(actor, sizeof(actor), "%s:%s", in->platform, in->msg->user ? in->msg->user : "");
	snprintf(object, sizeof(object), "report:%lld", (long long)report_id);
	snprintf(detail, sizeof(detail), "%s message %s in channel %s of workspace %s, %zu indicators",
		 in->platform, in->msg->ts, in->msg->channel, in->ctx->ws->id, in->indicator_count);
	entry.time = in->now;
	entry.actor_id = in->linked ? in->who.user_id : 0;
	/* A deletion carries no author, and an unlinked author has no user. */
	entry.actor = "anonymous";
	if (in->linked)
		entry.actor = in->who.user_name;
	else if (in->msg->user)
		entry.actor = actor;
	entry.action = actions[outcome];
	entry.object = object;
	entry.client = in->ctx->client ? in->ctx->client : "unknown";
	entry.outcome = "ok";
	entry.detail = detail;
	return store_audit_append(in->ctx->st, &entry, err);
}

/* Runs the change in one transaction with its event id and audit entry. */
static enum ch_code apply_change(struct ingest *in, enum chat_ingest_outcome *outcome,
				 int64_t *report_id, struct ch_error *err)
{
	struct store *st = in->ctx->st;
	bool fresh = false;
	enum ch_code rc;

	rc = store_begin(st, err);
	if (rc != CH_OK)
		return rc;
	rc = store_chat_event_claim(st, in->platform, in->ctx->ws->id, in->msg->event_id, in->now,
				    &fresh, err);
	if (rc == CH_OK && !fresh) {
		*outcome = CHAT_INGEST_REPEAT;
		store_rollback(st);
		return CH_OK;
	}
	if (rc == CH_OK) {
		switch (in->msg->action) {
		case CHAT_MESSAGE_POST: rc = apply_post(in, outcome, report_id, err); break;
		case CHAT_MESSAGE_EDIT: rc = apply_edit(in, outcome, report_id, err); break;
		case CHAT_MESSAGE_DELETE: rc = apply_delete(in, outcome, report_id, err); break;
		}
	}
	if (rc == CH_OK && *outcome != CHAT_INGEST_SKIPPED)
		rc = audit_change(in, *outcome, *report_id, err);

	/* A deletion commits even when it changed nothing, to keep its marker. */
	if (rc == CH_OK && (*outcome != CHAT_INGEST_SKIPPED || in->msg->action == CHAT_MESSAGE_DELETE))
		rc = store_commit(st, err);
	else
		store_rollback(st);
	if (rc != CH_OK) {
		*outcome = CHAT_INGEST_SKIPPED;
		*report_id = 0;
	}
	return rc;
}

enum ch_code chat_ingest_message(const struct chat_context *ctx,
				 const struct chat_channel *channel,
				 const struct chat_message *msg, enum chat_ingest_outcome *outcome,
				 int64_t *report_id, struct ch_error *err)
{
	const struct chat_workspace *ws = ctx->ws;
	struct ingest in = { .ctx = ctx, .channel = channel, .msg = msg };
	enum ch_code rc = CH_OK;

	*outcome = CHAT_INGEST_SKIPPED;
	*report_id = 0;
	in.platform = chat_platform_name(ws->platform);
	in.now = time_now();
	snprintf(in.source, sizeof(in.source), "%s:%s/%s", in.platform, ws->name ? ws->name : ws->id,
		 msg->channel);
	buf_init(&in.text, 2 * CHAT_TEXT_MAX);
	ioc_match_list_init(&in.found);

	if (msg->action != CHAT_MESSAGE_DELETE) {
		rc = read_indicators(&in, err);
		/* A new message without indicators is chatter: it is not stored,
		 * and no transaction is opened for it. */
		if (rc != CH_OK || (msg->action == CHAT_MESSAGE_POST && in.indicator_count == 0))
			goto out;
		rc = resolve_author(&in, err);
		if (rc != CH_OK)
			goto out;
	}
	rc = apply_change(&in, outcome, report_id, err);

out:
	buf_free(&in.text);
	ioc_match_list_free(&in.found);
	return rc;
}

/* ---- HTTP handlers ---------------------------------------------------------------- */

static void reply_empty(struct http_response *res)
{
	http_reply_json(res, 200, json_object());
}

static const struct chat_config *chat_settings(const struct http_request *req)
{
	const struct api_app *app = req->app;

	return app ? app->chat : NULL;
}

/* Ingests a message read from a verified request and writes the reply:
 * 200 with an empty object, or the error (500 for a database failure, so
 * the platform delivers the event again). */
static void ingest_and_reply(struct http_request *req, struct http_response *res,
			     const struct chat_workspace *ws, const struct chat_message *msg)
{
	const struct chat_channel *channel = chat_channel_find(ws, msg->channel);
	struct chat_context ctx;
	struct ch_error err = { 0 };
	enum chat_ingest_outcome outcome;
	int64_t report_id;
	enum ch_code rc;

	if (!channel || !channel->ingest) {
		log_debug(req->request_id, "ignored a message in channel %s of %s %s: the channel is "
					   "not configured for ingestion",
			  msg->channel, chat_platform_name(ws->platform), ws->id);
		reply_empty(res);
		return;
	}
	if (!chat_context_from_request(req, res, ws, &ctx))
		return;
	ctx.chat_user = msg->user;
	ctx.chat_user_name = msg->user_name;
	ctx.channel = msg->channel;

	rc = chat_ingest_message(&ctx, channel, msg, &outcome, &report_id, &err);
	if (rc != CH_OK) {
		log_error(req->request_id, "message %s in channel %s of %s %s was not stored: %s",
			  msg->ts, msg->channel, chat_platform_name(ws->platform), ws->id, err.message);
		http_reply_error(res, &err);
		return;
	}
	if (report_id)
		log_info(req->request_id, "%s report %lld from %s message %s in channel %s",
			 chat_ingest_outcome_name(outcome), (long long)report_id,
			 chat_platform_name(ws->platform), msg->ts, msg->channel);
	reply_empty(res);
}

/* Verifies the request's signature with the workspace's signing secret. */
static bool slack_signed_by(const struct http_request *req, const struct chat_config *cfg,
			    const struct chat_workspace *ws, struct ch_error *err)
{
	return chat_slack_verify(ws->signing_secret, http_header(req, "X-Slack-Request-Timestamp"),
				 http_header(req, "X-Slack-Signature"), req->body, req->body_len,
				 time_now(), cfg->max_skew, err) == CH_OK;
}

/* Replies to Slack's url_verification. The request names no team, so any
 * configured Slack workspace's secret may have signed it. */
static void slack_url_verification(struct http_request *req, struct http_response *res,
				   const struct chat_config *cfg, const json_t *body)
{
	const char *challenge = string_member(body, "challenge", CHAT_ID_MAX);
	struct ch_error err = { 0 };
	bool verified = false;

	ch_fail(&err, CH_UNAUTHORIZED, "no Slack workspace is configured");
	for (size_t i = 0; i < cfg->workspace_count && !verified; i++) {
		if (cfg->workspaces[i].platform == CHAT_SLACK)
			verified = slack_signed_by(req, cfg, &cfg->workspaces[i], &err);
	}
	if (!verified) {
		log_warn(req->request_id, "rejected a Slack url_verification from %s: %s", req->client,
			 err.message);
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "request signature rejected: %s",
				err.message);
		return;
	}
	if (!challenge) {
		http_reply_fail(res, CH_INVALID, "challenge", "url_verification has no valid challenge");
		return;
	}
	http_reply_json(res, 200, json_pack("{s:s}", "challenge", challenge));
}

void chat_slack_events(struct http_request *req, struct http_response *res)
{
	const struct chat_config *cfg = chat_settings(req);
	const struct chat_workspace *ws;
	const char *type, *team, *retry, *event_id, *reason = NULL;
	struct chat_message msg;
	struct ch_error err = { 0 };
	json_t *body = NULL;

	if (!api_client_allowed(req, res))
		return;
	if (!api_parse_body(req, res, &body))
		return;
	type = string_member(body, "type", CHAT_ID_MAX);
	if (!cfg) {
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "no chat workspace is configured");
		goto out;
	}
	if (type && strcmp(type, "url_verification") == 0) {
		slack_url_verification(req, res, cfg, body);
		goto out;
	}

	team = string_member(body, "team_id", CHAT_ID_MAX);
	ws = team ? chat_workspace_find(cfg, CHAT_SLACK, team) : NULL;
	if (!ws) {
		log_warn(req->request_id, "rejected a Slack event from %s: unknown team_id %.64s",
			 req->client, team ? team : "(none)");
		http_reply_fail(res, CH_UNAUTHORIZED, "team_id",
				"team_id %.64s is not a configured Slack workspace", team ? team : "(none)");
		goto out;
	}
	if (!slack_signed_by(req, cfg, ws, &err)) {
		log_warn(req->request_id, "rejected a Slack event for %s from %s: %s", ws->id,
			 req->client, err.message);
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "request signature rejected: %s",
				err.message);
		goto out;
	}

	/* Other callbacks, such as app_rate_limited, need only the 200. */
	if (!type || strcmp(type, "event_callback") != 0) {
		reply_empty(res);
		goto out;
	}
	/* A retry carries the event id of the first delivery, which
	 * chat_ingest_message recognises. */
	retry = http_header(req, "X-Slack-Retry-Num");
	event_id = string_member(body, "event_id", CHAT_ID_MAX);
	if (retry)
		log_info(req->request_id, "Slack retry %.8s of event %.64s", retry,
			 event_id ? event_id : "(none)");
	if (!chat_slack_message_read(json_object_get(body, "event"), ws->bot_user_id, &msg,
				     &reason)) {
		log_debug(req->request_id, "ignored a Slack event for %s: %s", ws->id, reason);
		reply_empty(res);
		goto out;
	}
	msg.event_id = event_id;
	if (!msg.event_id) {
		http_reply_fail(res, CH_INVALID, "event_id", "the event_callback has no valid event_id");
		goto out;
	}
	ingest_and_reply(req, res, ws, &msg);

out:
	json_decref(body);
}

/* ---- Mattermost outgoing webhooks ---------------------------------------------------- */

/* Reads a JSON or form-encoded webhook body; false after a 400 reply. */
static bool mattermost_body(struct http_request *req, struct http_response *res, json_t **body)
{
	const char *type = http_header(req, "Content-Type");

	if (type && strncasecmp(type, "application/json", 16) == 0)
		return api_parse_body(req, res, body);
	*body = http_form_decode(req->body, req->body_len);
	if (!*body) {
		http_reply_fail(res, CH_INVALID, NULL,
				"the form body is invalid: a bad %%-escape, invalid UTF-8 or too "
				"many or too long fields");
		return false;
	}
	return true;
}

void chat_mattermost_messages(struct http_request *req, struct http_response *res)
{
	const struct chat_config *cfg = chat_settings(req);
	const struct chat_workspace *ws = NULL;
	const char *team, *token;
	const json_t *text;
	struct chat_message msg = { .action = CHAT_MESSAGE_POST };
	json_t *body = NULL;

	if (!api_client_allowed(req, res))
		return;
	if (!mattermost_body(req, res, &body))
		return;
	team = string_member(body, "team_id", CHAT_ID_MAX);
	token = string_member(body, "token", CHAT_ID_MAX);
	if (cfg && team)
		ws = chat_workspace_find(cfg, CHAT_MATTERMOST, team);
	if (!ws || !chat_secret_in(ws->webhook_tokens, ws->webhook_token_count, token)) {
		log_warn(req->request_id, "rejected a Mattermost webhook from %s: %s", req->client,
			 ws ? "invalid token" : "unknown team_id");
		http_reply_fail(res, CH_UNAUTHORIZED, NULL,
				ws ? "invalid outgoing webhook token"
				   : "team_id is not a configured Mattermost team");
		goto out;
	}

	msg.event_id = string_member(body, "post_id", CHAT_ID_MAX);
	msg.ts = msg.event_id;
	msg.channel = string_member(body, "channel_id", CHAT_ID_MAX);
	msg.user = string_member(body, "user_id", CHAT_ID_MAX);
	msg.user_name = string_member(body, "user_name", CHAT_ID_MAX);
	text = json_object_get(body, "text");
	if (!msg.ts || !msg.channel || !msg.user || !json_is_string(text)) {
		http_reply_fail(res, CH_INVALID, NULL,
				"the webhook needs post_id, channel_id, user_id and text");
		goto out;
	}
	if (ws->bot_user_id && strcmp(msg.user, ws->bot_user_id) == 0) {
		reply_empty(res);
		goto out;
	}
	msg.text = json_string_value(text);
	msg.text_len = json_string_length(text);
	if (msg.text_len > CHAT_TEXT_MAX) {
		http_reply_fail(res, CH_TOO_LARGE, "text", "the text is longer than %zu bytes",
				CHAT_TEXT_MAX);
		goto out;
	}
	ingest_and_reply(req, res, ws, &msg);

out:
	json_decref(body);
}
