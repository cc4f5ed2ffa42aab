/*
 * Outbound calls of the chat bridge, made with libcurl: the Slack Web API
 * (views.open, chat.postMessage) and the Mattermost REST API (opening an
 * interactive dialog, posting an ephemeral message). Each call sends JSON
 * with the workspace's bot token as a bearer token, follows no redirect,
 * speaks only HTTP or HTTPS, gives up after CHAT_WEBAPI_TIMEOUT seconds
 * and reads at most CHAT_WEBAPI_RESPONSE_MAX bytes of reply. Errors name
 * the method and the platform's reason, never the token.
 */
#ifndef CTIHUB_CHAT_WEBAPI_H
#define CTIHUB_CHAT_WEBAPI_H

#include <jansson.h>

#include "chat/chat.h"

/* Seconds a call may take in all, connecting included. */
#define CHAT_WEBAPI_TIMEOUT 5
/* Bytes of a reply read before the call fails as too large. */
#define CHAT_WEBAPI_RESPONSE_MAX ((size_t)256 * 1024)

/*
 * Calls a Slack Web API method ("views.open", "chat.postMessage") with a
 * JSON body (borrowed) at ws->api_url + "/" + method. Slack reports a
 * failed call with HTTP 200 and {"ok": false, "error": "..."}, which
 * becomes CH_IO with that error. *reply, when reply is not NULL, receives
 * the parsed reply on success; the caller frees it.
 */
enum ch_code chat_slack_api(const struct chat_workspace *ws, const char *method,
			    const json_t *body, json_t **reply, struct ch_error *err);

/*
 * Opens a Mattermost interactive dialog (borrowed) for the slash command
 * or action that gave trigger_id; its submission goes to url. CH_IO with
 * the server's message when Mattermost does not return 200.
 */
enum ch_code chat_mattermost_dialog_open(const struct chat_workspace *ws, const char *trigger_id,
					 const char *url, const json_t *dialog,
					 struct ch_error *err);

/*
 * Shows text to one user in the background: a Slack direct message from
 * the bot (chat.postMessage to the user id), or a Mattermost ephemeral
 * post in channel. A thread of its own makes the call, so a slow platform
 * cannot delay the reply that Slack expects within 3 seconds. A failure
 * is logged with request_id. The thread copies everything it needs.
 */
void chat_webapi_tell_user(const struct chat_workspace *ws, const char *user, const char *channel,
			   const char *text, const char *request_id);

#endif
