/*
 * Opening the forms and handling their submissions; see interactions.h.
 *
 * Mattermost does not sign dialog submissions, so chat_form_open puts a
 * state "EXPIRY.NONCE.MAC" into each dialog. EXPIRY is the Unix time 15
 * minutes after opening, and NONCE is 128 random bits in hex. MAC is the
 * hex HMAC-SHA256, under the workspace's bot token, of
 * "ctihub.dialog:TEAM:USER:CALLBACK_ID:EXPIRY:NONCE". Mattermost echoes
 * the state back with the submission. A submission is rejected when its
 * state was made for another team, user or form, has expired, or carries
 * a nonce that chat_events records as used. The nonce is recorded when
 * the submission is stored. So a request made without the token cannot
 * submit a form in another user's name, and a captured submission cannot
 * be sent again.
 */
#include "chat/interactions.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/webapi.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Seconds from opening a dialog until its state expires. */
#define DIALOG_STATE_TTL (15 * 60)
#define DIALOG_NONCE_BYTES 16
#define DIALOG_NONCE_HEX (2 * DIALOG_NONCE_BYTES)
#define DIALOG_MAC_HEX (2 * crypto_auth_hmacsha256_BYTES)
/* Characters of the longest int64_t with its sign, so a longer EXPIRY is
 * rejected. */
#define DIALOG_EXPIRY_DIGITS 20
/* "EXPIRY.NONCE.MAC" and its NUL. */
#define DIALOG_STATE_SIZE (DIALOG_EXPIRY_DIGITS + 1 + DIALOG_NONCE_HEX + 1 + DIALOG_MAC_HEX + 1)
/* The chat_events platform under which used nonces are recorded. */
#define DIALOG_EVENTS_PLATFORM "mattermost-dialog"

static const char hex_digits[] = "0123456789abcdef";

/* The parts of a state, each as its text with a NUL. */
struct dialog_state {
	char expiry[DIALOG_EXPIRY_DIGITS + 1];
	char nonce[DIALOG_NONCE_HEX + 1];
	char mac[DIALOG_MAC_HEX + 1];
};

/* Writes the hex HMAC-SHA256, under the bot token, of
 * "ctihub.dialog:TEAM:USER:CALLBACK_ID:EXPIRY:NONCE". */
static void dialog_mac(const struct chat_workspace *ws, const char *user, const char *callback_id,
		       const char *expiry, const char *nonce, char out[DIALOG_MAC_HEX + 1])
{
	const char *parts[] = { ws->id ? ws->id : "", user, callback_id, expiry, nonce };
	crypto_auth_hmacsha256_state state;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	const char *token = ws->bot_token;

	assert(token && *token);
	/* The init function takes a key of any length, as HMAC does. */
	crypto_auth_hmacsha256_init(&state, (const unsigned char *)token, strlen(token));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)"ctihub.dialog", 13);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		crypto_auth_hmacsha256_update(&state, (const unsigned char *)":", 1);
		crypto_auth_hmacsha256_update(&state, (const unsigned char *)parts[i],
					      strlen(parts[i]));
	}
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_bin2hex(out, DIALOG_MAC_HEX + 1, mac, sizeof(mac));
	sodium_memzero(&state, sizeof(state));
}

/* Makes the state of a new dialog of callback_id for user. */
static void dialog_state_new(const struct chat_workspace *ws, const char *user,
			     const char *callback_id, char out[DIALOG_STATE_SIZE])
{
	unsigned char nonce_bytes[DIALOG_NONCE_BYTES];
	struct dialog_state state;

	randombytes_buf(nonce_bytes, sizeof(nonce_bytes));
	sodium_bin2hex(state.nonce, sizeof(state.nonce), nonce_bytes, sizeof(nonce_bytes));
	snprintf(state.expiry, sizeof(state.expiry), "%lld",
		 (long long)(time_now() + DIALOG_STATE_TTL));
	dialog_mac(ws, user, callback_id, state.expiry, state.nonce, state.mac);
	snprintf(out, DIALOG_STATE_SIZE, "%s.%s.%s", state.expiry, state.nonce, state.mac);
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
	dialog_state_new(ctx->ws, ctx->chat_user, def->callback_id, state);
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

/*
 * Checks that every key of values is a field of form. Returns false after
 * replying 400 with the key in error.field otherwise. An unknown key has
 * no input for a per-field error to name, so it gets a 400 like the typed
 * forms of the API.
 */
static bool keys_accepted(const struct chat_context *ctx, const struct chat_form_def *form,
			  const json_t *values, struct http_response *res)
{
	struct ch_error err = { 0 };

	if (chat_form_check_keys(form, values, &err) == CH_OK)
		return true;
	log_warn(ctx->request_id, "A %s submission of the %s form for user %s had a key that is "
				  "not a field of the form; it was rejected.",
		 chat_platform_name(ctx->ws->platform), form->callback_id,
		 ctx->chat_user ? ctx->chat_user : "-");
	http_reply_error(res, &err);
	return false;
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

	/* Every input block of a modal has a field's name as its block_id. */
	if (!keys_accepted(ctx, form, state_values, res))
		return;

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

/* Splits "EXPIRY.NONCE.MAC". Returns false unless EXPIRY has 1 to 19
 * decimal digits, NONCE 32 and MAC 64 lowercase hex digits, as
 * dialog_state_new writes them. */
static bool dialog_state_parse(const char *text, struct dialog_state *out)
{
	size_t expiry_len = strspn(text, "0123456789");
	const char *nonce = text + expiry_len + 1;
	const char *mac = nonce + DIALOG_NONCE_HEX + 1;

	if (expiry_len == 0 || expiry_len > DIALOG_EXPIRY_DIGITS || text[expiry_len] != '.')
		return false;
	if (strspn(nonce, hex_digits) != DIALOG_NONCE_HEX || nonce[DIALOG_NONCE_HEX] != '.')
		return false;
	if (strspn(mac, hex_digits) != DIALOG_MAC_HEX || mac[DIALOG_MAC_HEX] != '\0')
		return false;

	memcpy(out->expiry, text, expiry_len);
	out->expiry[expiry_len] = '\0';
	memcpy(out->nonce, nonce, DIALOG_NONCE_HEX);
	out->nonce[DIALOG_NONCE_HEX] = '\0';
	memcpy(out->mac, mac, DIALOG_MAC_HEX + 1);
	return true;
}

/* Whether the state was made by dialog_state_new for this team, user and
 * callback_id, and has not expired. *expired is set when the state was
 * made for them but has expired. */
static bool dialog_state_valid(const struct chat_context *ctx, const char *callback_id,
			       const char *text, struct dialog_state *state, bool *expired)
{
	char expected[DIALOG_MAC_HEX + 1];
	long long expiry;

	*expired = false;
	/* Without a bot token no dialog was opened, and an empty key would
	 * make the state easy to forge. */
	if (!ctx->chat_user || !text || !ctx->ws->bot_token || !*ctx->ws->bot_token)
		return false;
	if (!dialog_state_parse(text, state))
		return false;

	dialog_mac(ctx->ws, ctx->chat_user, callback_id ? callback_id : "", state->expiry,
		   state->nonce, expected);
	if (sodium_memcmp(expected, state->mac, DIALOG_MAC_HEX) != 0)
		return false;

	errno = 0;
	expiry = strtoll(state->expiry, NULL, 10);
	*expired = errno == ERANGE || expiry <= time_now();
	return !*expired;
}

/* Checks the submission's state. Returns false after replying 401 when
 * the state is not valid or its nonce was used. */
static bool dialog_state_accepted(const struct chat_context *ctx, const json_t *payload,
				  struct dialog_state *state, struct http_response *res)
{
	const char *callback_id = json_string_value(json_object_get(payload, "callback_id"));
	const char *text = json_string_value(json_object_get(payload, "state"));
	const char *user = ctx->chat_user ? ctx->chat_user : "-";
	struct ch_error err = { 0 };
	bool expired, used = false;

	if (!dialog_state_valid(ctx, callback_id, text, state, &expired)) {
		log_warn(ctx->request_id, "A Mattermost dialog submission for user %s carried %s; "
					  "it was rejected.",
			 user, expired ? "an expired state" : "a state this hub did not issue for "
							      "that user and form");
		http_reply_fail(res, CH_UNAUTHORIZED, "state",
				expired ? "the dialog expired 15 minutes after it was opened; open "
					  "the form again"
					: "the dialog state does not match; open the form again");
		return false;
	}
	/* A replay with invalid values would otherwise get field errors, since
	 * the nonce is recorded only when the values are stored. */
	if (store_chat_event_seen(ctx->st, DIALOG_EVENTS_PLATFORM, ctx->ws->id, state->nonce, &used,
				  &err) != CH_OK) {
		log_error(ctx->request_id, "The nonce of a Mattermost dialog submission for user %s "
					   "could not be looked up: %s",
			  user, err.message);
		http_reply_error(res, &err);
		return false;
	}
	if (used) {
		log_warn(ctx->request_id, "A Mattermost dialog submission for user %s reused the "
					  "state of a submitted dialog; it was rejected.",
			 user);
		http_reply_fail(res, CH_UNAUTHORIZED, "state",
				"this dialog was submitted already; open the form again");
		return false;
	}
	return true;
}

/* Submits a dialog whose state was accepted, recording its nonce. */
static void dialog_submit(const struct chat_context *ctx, const struct chat_form_def *form,
			  const json_t *submission, const struct dialog_state *state,
			  struct http_response *res)
{
	struct chat_form_once once = { .platform = DIALOG_EVENTS_PLATFORM, .key = state->nonce };
	struct ch_error err = { 0 };
	struct chat_reply reply;

	/* A nonce is received after its state was made, so after twice the
	 * lifetime of a state its row rejects nothing that the expiry does
	 * not. The margin covers small clock steps. */
	store_chat_events_prune(ctx->st, DIALOG_EVENTS_PLATFORM, time_now() - 2 * DIALOG_STATE_TTL,
				NULL);
	chat_reply_init(&reply);
	if (chat_form_submit_once(ctx, form, submission, &once, &reply, &err) != CH_OK) {
		/* A concurrent submission of the same dialog recorded the nonce
		 * after dialog_state_accepted looked it up. */
		log_warn(ctx->request_id, "A Mattermost dialog submission for user %s reused the "
					  "state of a submitted dialog; it was rejected.",
			 ctx->chat_user);
		http_reply_fail(res, CH_UNAUTHORIZED, "state",
				"this dialog was submitted already; open the form again");
	} else if (reply.field_errors) {
		http_reply_json(res, 200, json_pack("{s:O}", "errors", reply.field_errors));
	} else {
		chat_webapi_tell_user(ctx->ws, ctx->chat_user, ctx->channel,
				      reply.text.data ? reply.text.data : "", ctx->request_id);
		http_reply_json(res, 200, json_object());
	}
	chat_reply_free(&reply);
}

void chat_mattermost_dialog_submission(const struct chat_context *ctx, const json_t *payload,
				       struct http_response *res)
{
	const char *callback_id = json_string_value(json_object_get(payload, "callback_id"));
	const struct chat_form_def *form = chat_form_by_callback(callback_id);
	const json_t *submission = json_object_get(payload, "submission");
	struct dialog_state state;

	if (!dialog_state_accepted(ctx, payload, &state, res))
		return;
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
	if (!json_is_object(submission))
		submission = NULL;
	if (!keys_accepted(ctx, form, submission, res))
		return;

	dialog_submit(ctx, form, submission, &state, res);
}
