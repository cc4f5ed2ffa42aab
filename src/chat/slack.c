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
	value = json_stringn(out.data ? out.data : "", out.len);
	buf_free(&out);
	return value ? value : json_string("");
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
		http_reply_fail(res, CH_UNAUTHORIZED, NULL, "this Slack workspace is not configured "
							    "on the hub");
		return false;
	}
	if (chat_slack_verify((*ws)->signing_secret, http_header(req, "X-Slack-Request-Timestamp"),
			      signature, req->body, req->body_len, now, app->chat->max_skew,
			      &err) != CH_OK ||
	    (once && chat_replay_check(signature, now, 2 * app->chat->max_skew, &err) != CH_OK)) {
		log_warn(req->request_id, "Slack request for %s from %s rejected: %s", (*ws)->id,
			 req->client, err.message);
		http_reply_error(res, &err);
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
	json_t *form = http_form_decode(req->body, req->body_len);

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
	json_t *form = http_form_decode(req->body, req->body_len);
	json_t *payload = NULL;
	const char *text = form ? field(form, "payload") : NULL;

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
