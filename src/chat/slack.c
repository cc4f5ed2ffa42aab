/*
 * Slack routes: slash commands and interactivity. Every request is
 * verified with the workspace's signing secret before anything else
 * happens, and a signed request is accepted once. Replies are Block Kit
 * JSON, ephemeral unless the command decided the channel may see them.
 */
#include <string.h>

#include "chat/handlers.h"
#include "chat/interactions.h"
#include "chat/verify.h"
#include "http/api.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Slack's mrkdwn treats &, < and > as markup, so text from users and
 * from the store is escaped before it is sent. */
static json_t *slack_text(const char *text)
{
	struct buf out;
	json_t *value;

	buf_init(&out, 128 * 1024);
	for (const char *p = text; *p; p++) {
		if (*p == '&')
			buf_append_str(&out, "&amp;");
		else if (*p == '<')
			buf_append_str(&out, "&lt;");
		else if (*p == '>')
			buf_append_str(&out, "&gt;");
		else
			buf_append(&out, p, 1);
	}
	value = chat_json_text(out.data ? out.data : "", out.len);
	buf_free(&out);
	return value;
}

static void reply_slack(struct http_response *res, const struct chat_reply *reply)
{
	const char *text = reply->text.data ? reply->text.data : "";
	json_t *body = json_object();
	json_t *block;

	json_object_set_new(body, "response_type",
			    json_string(reply->ephemeral ? "ephemeral" : "in_channel"));
	json_object_set_new(body, "text", slack_text(text));
	block = json_pack("{s:s, s:{s:s, s:o}}", "type", "section", "text", "type", "mrkdwn", "text",
			  slack_text(text));
	json_object_set_new(body, "blocks", json_pack("[o]", block));
	http_reply_json(res, 200, body);
}

/* Platform name under which chat_events keeps the signatures of
 * commands and interactions already accepted. */
#define SIGNATURE_RECORD "slack-signature"

/* Refuses a signed request that was accepted before. Signatures are kept
 * in the database for twice the timestamp window, which covers every
 * request whose timestamp can still pass, across restarts. */
static enum ch_code check_replay(struct http_request *req, const struct chat_workspace *ws,
				 const char *signature, int64_t now, int64_t window,
				 struct ch_error *err)
{
	struct store *st = api_store(req, NULL);
	bool fresh = false;
	enum ch_code rc;

	if (!st)
		return ch_fail(err, CH_DB, "the database could not be opened");
	store_chat_events_prune(st, SIGNATURE_RECORD, now - 2 * window, NULL);
	rc = store_chat_event_claim(st, SIGNATURE_RECORD, ws->id, signature, now, &fresh, err);
	if (rc == CH_OK && !fresh)
		rc = ch_fail(err, CH_UNAUTHORIZED, "this request was sent before; a signed request is "
						   "accepted once");
	return rc;
}

/* Finds the workspace named in the request and checks the signature.
 * False after writing a 401 reply. */
static bool verify(struct http_request *req, struct http_response *res, const char *team,
		   bool once, const struct chat_workspace **ws)
{
	const struct api_app *app = req->app;
	const char *signature = http_header(req, "X-Slack-Signature");
	struct ch_error err = { 0 };
	int64_t now = time_now();

	*ws = app->chat ? chat_workspace_find(app->chat, CHAT_SLACK, team) : NULL;
	if (!*ws) {
		log_warn(req->request_id, "Slack request for unknown workspace %.64s from %s",
			 team ? team : "(none)", req->client);
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "the request could not be verified");
		return false;
	}
	if (chat_slack_verify((*ws)->signing_secret, http_header(req, "X-Slack-Request-Timestamp"),
			      signature, req->body, req->body_len, now, app->chat->max_skew,
			      &err) != CH_OK ||
	    (once && check_replay(req, *ws, signature, now, app->chat->max_skew, &err) != CH_OK)) {
		log_warn(req->request_id, "Slack request for %s from %s rejected: %s", (*ws)->id,
			 req->client, err.message);
		/* The reason goes to the log only: a caller without the secret
		 * learns nothing, not even whether the workspace exists. */
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "the request could not be verified");
		return false;
	}
	return true;
}

static const char *field(const json_t *obj, const char *key)
{
	const char *value = json_string_value(json_object_get(obj, key));

	return value && *value ? value : NULL;
}

void chat_slack_commands(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	const struct chat_workspace *ws;
	struct chat_context ctx;
	struct chat_reply reply;
	enum chat_command cmd;
	json_t *form;

	if (!api_client_allowed(req, res))
		return;
	form = http_form_decode(req->body, req->body_len);
	if (!form) {
		http_reply_fail(res, CH_INVALID, NULL, "the body is not a valid form");
		return;
	}
	if (!verify(req, res, field(form, "team_id"), true, &ws) ||
	    !chat_context_from_request(req, res, ws, &ctx))
		goto out;
	ctx.chat_user = field(form, "user_id");
	ctx.chat_user_name = field(form, "user_name");
	ctx.channel = field(form, "channel_id");
	ctx.trigger_id = field(form, "trigger_id");
	snprintf(res->log_note, sizeof(res->log_note), "slack:%.24s", ctx.chat_user ? ctx.chat_user
										    : "-");

	chat_reply_init(&reply);
	if (!ctx.chat_user)
		buf_append_str(&reply.text, "The request names no user.");
	else if (!chat_command_find(app->chat, field(form, "command"), &cmd))
		buf_printf(&reply.text, "%.64s is not a ctihub command.",
			   field(form, "command") ? field(form, "command") : "This");
	else
		chat_command_run(&ctx, cmd, field(form, "text") ? field(form, "text") : "", &reply);

	if (chat_open_requested_form(&ctx, &reply)) {
		/* The modal replaces a text reply; an empty 200 acknowledges the command. */
		http_reply_text(res, 200, "text/plain", "", 0);
	} else {
		reply_slack(res, &reply);
	}
	chat_reply_free(&reply);
out:
	json_decref(form);
}

void chat_slack_interactions(struct http_request *req, struct http_response *res)
{
	const struct chat_workspace *ws;
	struct chat_context ctx;
	json_t *form, *payload = NULL;
	const char *text;

	if (!api_client_allowed(req, res))
		return;
	form = http_form_decode(req->body, req->body_len);
	text = form ? field(form, "payload") : NULL;

	if (!text || !(payload = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) ||
	    !json_is_object(payload)) {
		http_reply_fail(res, CH_INVALID, "payload", "the body has no JSON payload field");
		goto out;
	}
	if (!verify(req, res, field(json_object_get(payload, "team"), "id"), true, &ws) ||
	    !chat_context_from_request(req, res, ws, &ctx))
		goto out;
	ctx.chat_user = field(json_object_get(payload, "user"), "id");
	ctx.chat_user_name = field(json_object_get(payload, "user"), "username");
	ctx.channel = field(json_object_get(payload, "channel"), "id");
	ctx.trigger_id = field(payload, "trigger_id");
	if (!ctx.chat_user) {
		http_reply_fail(res, CH_INVALID, "user", "the payload names no user");
		goto out;
	}
	chat_slack_interaction(&ctx, payload, res);
out:
	json_decref(payload);
	json_decref(form);
}
