/*
 * Mattermost routes: slash commands, verified with the token Mattermost
 * gives each slash command, and interactive dialog submissions, verified
 * with the state the bridge gave the dialog. Replies are Mattermost's
 * {"response_type", "text"}.
 */
#include <string.h>
#include <strings.h>

#include "chat/handlers.h"
#include "chat/interactions.h"
#include "chat/verify.h"
#include "http/api.h"
#include "util/log.h"

/* Mattermost turns "@all" or "@channel" in a reply into a notification
 * for everyone, so every '@' gets a zero-width space after it; and square
 * brackets are escaped, so that stored text cannot make a Markdown link
 * or image. */
static json_t *mattermost_text(const char *text)
{
	struct buf out;
	json_t *value;

	buf_init(&out, 128 * 1024);
	for (const char *p = text; *p; p++) {
		if (*p == '[' || *p == ']')
			buf_append(&out, "\\", 1);
		buf_append(&out, p, 1);
		if (*p == '@')
			buf_append_str(&out, "\xE2\x80\x8B");
	}
	value = chat_json_text(out.data ? out.data : "", out.len);
	buf_free(&out);
	return value;
}

static const char *field(const json_t *obj, const char *key)
{
	const char *value = json_string_value(json_object_get(obj, key));

	return value && *value ? value : NULL;
}

/* Mattermost sends slash commands form-encoded, and JSON when the
 * integration is set up that way. */
static json_t *decode_body(struct http_request *req)
{
	const char *type = http_header(req, "Content-Type");

	if (type && strncasecmp(type, "application/json", 16) == 0) {
		json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);

		if (json_is_object(body))
			return body;
		json_decref(body);
		return NULL;
	}
	return http_form_decode(req->body, req->body_len);
}

void chat_mattermost_commands(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	const struct chat_workspace *ws = NULL;
	struct chat_context ctx;
	struct chat_reply reply;
	enum chat_command cmd;
	json_t *body, *out;

	if (!api_client_allowed(req, res))
		return;
	body = decode_body(req);

	if (!body) {
		http_reply_fail(res, CH_INVALID, NULL, "the body is not a valid form or JSON object");
		return;
	}
	if (app->chat)
		ws = chat_workspace_find(app->chat, CHAT_MATTERMOST, field(body, "team_id"));
	if (!ws ||
	    !chat_secret_in(ws->command_tokens, ws->command_token_count, field(body, "token"))) {
		log_warn(req->request_id, "Mattermost command from %s rejected: %s", req->client,
			 ws ? "bad token" : "unknown team");
		http_reply_fail(res, CH_UNAUTHORIZED, "token", "the request could not be verified; "
							       "check the slash command's token in the "
							       "configuration");
		goto out;
	}
	if (!chat_context_from_request(req, res, ws, &ctx))
		goto out;
	ctx.chat_user = field(body, "user_id");
	ctx.chat_user_name = field(body, "user_name");
	ctx.channel = field(body, "channel_id");
	ctx.trigger_id = field(body, "trigger_id");
	snprintf(res->log_note, sizeof(res->log_note), "mattermost:%.24s",
		 ctx.chat_user ? ctx.chat_user : "-");

	chat_reply_init(&reply);
	if (!ctx.chat_user)
		buf_append_str(&reply.text, "The request names no user.");
	else if (!chat_command_find(app->chat, field(body, "command"), &cmd))
		buf_printf(&reply.text, "%.64s is not a ctihub command.",
			   field(body, "command") ? field(body, "command") : "This");
	else
		chat_command_run(&ctx, cmd, field(body, "text") ? field(body, "text") : "", &reply);

	if (chat_open_requested_form(&ctx, &reply)) {
		/* The dialog replaces a text reply; an empty object posts nothing. */
		http_reply_json(res, 200, json_object());
	} else {
		out = json_object();
		json_object_set_new(out, "response_type",
				    json_string(reply.ephemeral ? "ephemeral" : "in_channel"));
		json_object_set_new(out, "text",
				    mattermost_text(reply.text.data ? reply.text.data : ""));
		http_reply_json(res, 200, out);
	}
	chat_reply_free(&reply);
out:
	json_decref(body);
}

void chat_mattermost_dialogs(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	const struct chat_workspace *ws = NULL;
	struct chat_context ctx;
	json_t *payload;

	if (!api_client_allowed(req, res))
		return;
	payload = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(payload)) {
		http_reply_fail(res, CH_INVALID, NULL, "the body is not a JSON object");
		goto out;
	}
	if (app->chat)
		ws = chat_workspace_find(app->chat, CHAT_MATTERMOST, field(payload, "team_id"));
	if (!ws) {
		http_reply_fail(res, CH_UNAUTHORIZED, "team_id", "this Mattermost team is not "
								 "configured on the hub");
		goto out;
	}
	if (!chat_context_from_request(req, res, ws, &ctx))
		goto out;
	ctx.chat_user = field(payload, "user_id");
	ctx.channel = field(payload, "channel_id");
	if (!ctx.chat_user) {
		http_reply_fail(res, CH_INVALID, "user_id", "the submission names no user");
		goto out;
	}
	/* The submission carries no token; chat_mattermost_dialog_submission
	 * checks the state that chat_form_open gave the dialog. */
	chat_mattermost_dialog_submission(&ctx, payload, res);
out:
	json_decref(payload);
}
