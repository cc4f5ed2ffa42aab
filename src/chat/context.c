/*
 * Shared parts of the chat routes: the context built from the server's
 * settings and the request, and the replies in each platform's JSON.
 */
#include <string.h>

#include "chat/handlers.h"
#include "chat/interactions.h"
#include "http/api.h"

static void wake_worker(void *ctx)
{
	notify_worker_wake(ctx);
}

bool chat_context_from_request(struct http_request *req, struct http_response *res,
			       const struct chat_workspace *ws, struct chat_context *ctx)
{
	const struct api_app *app = req->app;

	memset(ctx, 0, sizeof(*ctx));
	ctx->st = api_store(req, res);
	if (!ctx->st)
		return false;
	ctx->cfg = app->chat;
	ctx->ws = ws;
	ctx->notify = app->notify;
	ctx->warnlists = app->warnlists;
	ctx->queued = wake_worker;
	ctx->queued_ctx = app->notify_worker;
	ctx->public_url = app->public_url;
	ctx->client = req->client;
	ctx->request_id = req->request_id;
	return true;
}

bool chat_open_requested_form(const struct chat_context *ctx, struct chat_reply *reply)
{
	struct ch_error err = { 0 };

	if (reply->open_form < 0)
		return false;
	if (chat_form_open(ctx, (enum chat_form)reply->open_form, &err) == CH_OK)
		return true;
	buf_printf(&reply->text, "The form could not be opened: %s. Type the fields instead, as "
				 "key: value; key: value.",
		   err.message);
	return false;
}
