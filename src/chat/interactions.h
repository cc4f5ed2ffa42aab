/*
 * Forms opened from a slash command and their submissions: a Slack modal
 * (views.open, then a view_submission to /chat/slack/interactions) or a
 * Mattermost interactive dialog (dialogs/open, then a submission to
 * /chat/mattermost/dialogs). The route handlers in slack.c and
 * mattermost.c verify the request, find the workspace and fill the
 * context before they call these functions.
 */
#ifndef CTIHUB_CHAT_INTERACTIONS_H
#define CTIHUB_CHAT_INTERACTIONS_H

#include <jansson.h>

#include "chat/chat.h"
#include "chat/forms.h"
#include "http/server.h"

/*
 * Opens form for the user of ctx, with ctx->trigger_id: a Slack modal, or
 * a Mattermost dialog whose submission goes to public_url +
 * "/chat/mattermost/dialogs". CH_INVALID without a trigger id (or, for
 * Mattermost, without a public URL); CH_IO when the platform refuses.
 */
enum ch_code chat_form_open(const struct chat_context *ctx, enum chat_form form,
			    struct ch_error *err);

/*
 * Handles a Slack interaction payload (the JSON of the form-encoded
 * "payload" field). A view_submission of one of the forms is submitted.
 * A block_id that is not a field of the form gets a 400 error that names
 * it. Invalid input gets the reply {"response_action": "errors", "errors":
 * {block: message}}, so Slack shows each message under its input. Success
 * gets {"response_action": "clear"}, and the confirmation goes to the user
 * as a direct message from the bot. block_actions and view_closed
 * are acknowledged with an empty 200.
 */
void chat_slack_interaction(const struct chat_context *ctx, const json_t *payload,
			    struct http_response *res);

/*
 * Handles a Mattermost dialog submission ({"type": "dialog_submission",
 * "callback_id", "state", "submission", "user_id", "channel_id",
 * "cancelled"}). The state must be one that chat_form_open gave a dialog
 * of this form for this user less than 15 minutes ago, and no stored
 * submission may have used it, or the reply is 401. A submission key that
 * is not a field of the form gets a 400 error that names it. Invalid input
 * gets the reply {"errors": {element: message}} and leaves the state
 * unused, so the user can correct the dialog and submit it again. Success
 * gets {}, and the confirmation goes to the channel as an ephemeral
 * message for the user.
 */
void chat_mattermost_dialog_submission(const struct chat_context *ctx, const json_t *payload,
				       struct http_response *res);

#endif
