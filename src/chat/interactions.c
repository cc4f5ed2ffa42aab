/*
 * Opening the forms and handling their submissions; see interactions.h.
 *
 * Mattermost does not sign dialog submissions, so chat_form_open puts a
 * state into each dialog: the hex HMAC-SHA256, under the workspace's bot
 * token, of "ctihub.dialog:TEAM:USER". Mattermost echoes the state back,
 * and a submission whose state does not match the user it names is
 * rejected, so a request made without the token cannot submit a form in
 * another user's name.
 */
#include "chat/interactions.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "chat/verify.h"
#include "chat/webapi.h"
#include "util/buf.h"
#include "util/log.h"

/* Hex of an HMAC-SHA256 and its NUL. */
#define DIALOG_STATE_SIZE (2 * crypto_auth_hmacsha256_BYTES + 1)

static void dialog_state(const struct chat_workspace *ws, const char *user,
			 char out[DIALOG_STATE_SIZE])
{
	crypto_auth_hmacsha256_state state;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	const char *token = ws->bot_token;

	assert(token && *token);
	/* The init function takes a key of any length, as HMAC does. */
	crypto_auth_hmacsha256_init(&state, (const unsigned char *)token, strlen(token));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)"ctihub.dialog:", 14);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)(ws->id ? ws->id : ""),
				      strlen(ws->id ? ws->id : ""));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)":", 1);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)user, strlen(user));
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_bin2hex(out, DIALOG_STATE_SIZE, mac, sizeof(mac));
	sodium_memzero(&state, sizeof(state));
}

static enum ch_code open_slack(const struct chat_context *ctx, const struct chat_form_def *def,
			       struct ch_error *err)
{
	json_t *body = json_pack("{s:s, s:o}", "trigger_id", ctx->trigger_id, "view",
				 chat_form_slack_view(def));
	enum ch_code rc;

	if (!body)
		return ch_fail(err, CH_INVALID, "the trigger_id Slack sent is not valid UTF-8");
	rc = chat_slack_api(ctx->ws, "views.open", body, NULL, err);
	json_decref(body);
	return rc;
}

static enum ch_code open_mattermost(const struct chat_context *ctx,
				    const struct chat_form_def *def, struct ch_error *err)
{
	char state[DIALOG_STATE_SIZE];
	struct buf url;
	json_t *dialog;
	enum ch_code rc;

	if (!ctx->public_url || !*ctx->public_url)
		return ch_fail(err, CH_INVALID, "no dialog can be opened because the hub's "
						"public_url is not set; set it in the configuration "
						"file, or use the command with text");
	if (!ctx->chat_user)
		return ch_fail(err, CH_INVALID, "Mattermost sent no user_id with the command");
	/* The bot token opens the dialog and keys its state. */
	if (!ctx->ws->bot_token || !*ctx->ws->bot_token)
		return ch_fail(err, CH_INVALID, "no dialog can be opened because Mattermost team %s "
						"has no bot token; set bot_token_env in the "
						"configuration, or use the command with text",
			       ctx->ws->id);

	dialog = chat_form_mattermost_dialog(def);
	dialog_state(ctx->ws, ctx->chat_user, state);
	json_object_set_new(dialog, "state", json_string(state));
	buf_init(&url, strlen(ctx->public_url) + 64);
	buf_printf(&url, "%s/chat/mattermost/dialogs", ctx->public_url);

	rc = chat_mattermost_dialog_open(ctx->ws, ctx->trigger_id, url.data, dialog, err);
	buf_free(&url);
	json_decref(dialog);
	return rc;
}

enum ch_code chat_form_open(const struct chat_context *ctx, enum chat_form form,
			    struct ch_error *err)
{
	const struct chat_form_def *def = chat_form_get(form);

	if (!def)
		return ch_fail(err, CH_INTERNAL, "form %d does not exist", (int)form);
	if (!ctx->ws)
		return ch_fail(err, CH_INTERNAL, "no workspace is set for the form %s",
			       def->callback_id);
	if (!ctx->trigger_id || !*ctx->trigger_id)
		return ch_fail(err, CH_INVALID, "the platform sent no trigger_id, so the form "
						"cannot be opened; use the command with text "
						"instead");
	if (ctx->ws->platform == CHAT_SLACK)
		return open_slack(ctx, def, err);
	return open_mattermost(ctx, def, err);
}

/* ---- Slack ---------------------------------------------------------------- */

/*
 * Reads view.state.values, {block_id: {action_id: state}}, into {field:
 * string}. A text input's state has "value" (null when empty) and a
 * select's has "selected_option" (null when nothing is chosen).
 */
static json_t *slack_values(const json_t *state_values)
{
	json_t *values = json_object();
	const char *block_id;
	const json_t *actions;

	json_object_foreach((json_t *)state_values, block_id, actions) {
		const char *action_id;
		const json_t *state;

		json_object_foreach((json_t *)actions, action_id, state) {
			const json_t *value = json_object_get(state, "value");
			const json_t *selected = json_object_get(state, "selected_option");

			if (json_is_object(selected))
				value = json_object_get(selected, "value");
			if (json_is_string(value))
				json_object_set(values, block_id, (json_t *)value);
			break;
		}
	}
	return values;
}

static void slack_view_submission(const struct chat_context *ctx, const json_t *payload,
				  struct http_response *res)
{
	const json_t *view = json_object_get(payload, "view");
	const char *callback_id = json_string_value(json_object_get(view, "callback_id"));
	const struct chat_form_def *form = chat_form_by_callback(callback_id);
	const json_t *state_values = json_object_get(json_object_get(view, "state"), "values");
	struct chat_reply reply;
	json_t *values;

	if (!form) {
		log_warn(ctx->request_id, "Slack submitted a view with the unknown callback_id "
					  "\"%s\"; it was ignored.",
			 callback_id ? callback_id : "");
		http_reply_fail(res, CH_INVALID, "view.callback_id",
				"unknown view callback_id \"%s\"", callback_id ? callback_id : "");
		return;
	}

	chat_reply_init(&reply);
	values = slack_values(state_values);
	chat_form_submit(ctx, form, values, &reply);
	if (reply.field_errors) {
		http_reply_json(res, 200,
				json_pack("{s:s, s:O}", "response_action", "errors", "errors",
					  reply.field_errors));
	} else {
		chat_webapi_tell_user(ctx->ws, ctx->chat_user, NULL,
				      reply.text.data ? reply.text.data : "", ctx->request_id);
		http_reply_json(res, 200, json_pack("{s:s}", "response_action", "clear"));
	}
	json_decref(values);
	chat_reply_free(&reply);
}

void chat_slack_interaction(const struct chat_context *ctx, const json_t *payload,
			    struct http_response *res)
{
	const char *type = json_string_value(json_object_get(payload, "type"));

	if (type && strcmp(type, "view_submission") == 0) {
		slack_view_submission(ctx, payload, res);
		return;
	}
	/* The forms have no buttons, and a closed view needs nothing. */
	if (type && (strcmp(type, "block_actions") == 0 || strcmp(type, "view_closed") == 0)) {
		http_reply_text(res, 200, "text/plain", "", 0);
		return;
	}
	log_warn(ctx->request_id, "Slack sent an interaction of the unsupported type \"%s\"; it "
				  "was ignored.",
		 type ? type : "");
	http_reply_fail(res, CH_INVALID, "type", "unsupported interaction type \"%s\"",
			type ? type : "");
}

/* ---- Mattermost ----------------------------------------------------------- */

static bool dialog_state_valid(const struct chat_context *ctx, const json_t *payload)
{
	char expected[DIALOG_STATE_SIZE];
	const char *state = json_string_value(json_object_get(payload, "state"));

	/* Without a bot token no dialog was opened, and an empty key would
	 * make the state easy to forge. */
	if (!ctx->chat_user || !state || !ctx->ws->bot_token || !*ctx->ws->bot_token)
		return false;
	dialog_state(ctx->ws, ctx->chat_user, expected);
	return chat_secret_equal(expected, state);
}

void chat_mattermost_dialog_submission(const struct chat_context *ctx, const json_t *payload,
				       struct http_response *res)
{
	const char *callback_id = json_string_value(json_object_get(payload, "callback_id"));
	const struct chat_form_def *form = chat_form_by_callback(callback_id);
	const json_t *submission = json_object_get(payload, "submission");
	struct chat_reply reply;

	if (!dialog_state_valid(ctx, payload)) {
		log_warn(ctx->request_id, "A Mattermost dialog submission for user %s carried a "
					  "state this hub did not issue; it was rejected.",
			 ctx->chat_user ? ctx->chat_user : "-");
		http_reply_fail(res, CH_UNAUTHORIZED, "state",
				"the dialog state does not match; open the form again");
		return;
	}
	if (json_is_true(json_object_get(payload, "cancelled"))) {
		http_reply_json(res, 200, json_object());
		return;
	}
	if (!form) {
		log_warn(ctx->request_id, "Mattermost submitted a dialog with the unknown "
					  "callback_id \"%s\"; it was ignored.",
			 callback_id ? callback_id : "");
		http_reply_fail(res, CH_INVALID, "callback_id", "unknown dialog callback_id \"%s\"",
				callback_id ? callback_id : "");
		return;
	}

	chat_reply_init(&reply);
	chat_form_submit(ctx, form, json_is_object(submission) ? submission : NULL, &reply);
	if (reply.field_errors) {
		http_reply_json(res, 200, json_pack("{s:O}", "errors", reply.field_errors));
	} else {
		chat_webapi_tell_user(ctx->ws, ctx->chat_user, ctx->channel,
				      reply.text.data ? reply.text.data : "", ctx->request_id);
		http_reply_json(res, 200, json_object());
	}
	chat_reply_free(&reply);
}
