/*
 * The HTTP routes of the chat bridge, called by the server core like the
 * API handlers. Each handler finds the workspace, verifies the request
 * before acting on it, and replies in the platform's JSON.
 */
#ifndef CTIHUB_CHAT_HANDLERS_H
#define CTIHUB_CHAT_HANDLERS_H

#include "chat/chat.h"
#include "http/server.h"

/* POST /chat/slack/commands: slash commands (form-encoded). */
void chat_slack_commands(struct http_request *req, struct http_response *res);
/* POST /chat/slack/interactions: block_actions and view_submission
 * (form-encoded "payload" JSON). */
void chat_slack_interactions(struct http_request *req, struct http_response *res);
/* POST /chat/slack/events: the Events API, url_verification included. */
void chat_slack_events(struct http_request *req, struct http_response *res);

/* POST /chat/mattermost/commands: slash commands, token-verified. */
void chat_mattermost_commands(struct http_request *req, struct http_response *res);
/* POST /chat/mattermost/dialogs: interactive dialog submissions. */
void chat_mattermost_dialogs(struct http_request *req, struct http_response *res);
/* POST /chat/mattermost/messages: outgoing webhooks for channel messages. */
void chat_mattermost_messages(struct http_request *req, struct http_response *res);

/* Fills the parts of a chat context that come from the server and the
 * request (store, settings, client); false after writing a 500 reply. */
bool chat_context_from_request(struct http_request *req, struct http_response *res,
			       const struct chat_workspace *ws, struct chat_context *ctx);

/* A JSON string of text, with every byte that is not valid UTF-8 (such
 * as half a character cut by a length limit) or a NUL replaced by '?', so
 * a reply is never lost to one bad byte. */
json_t *chat_json_text(const char *text, size_t len);

/* Opens the form a command requested (reply->open_form). Returns true
 * when it opened, so the form replaces the reply. Otherwise the reply text
 * explains why not and how to type the fields instead. */
bool chat_open_requested_form(const struct chat_context *ctx, struct chat_reply *reply);

#endif
