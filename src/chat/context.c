/*
 * Shared parts of the chat routes: the context built from the server's
 * settings and the request, and the replies in each platform's JSON.
 */
#include <string.h>

#include "chat/handlers.h"
#include "chat/interactions.h"
#include "http/api.h"
#include "util/log.h"

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
	/* The reason (often a host and port) goes to the operator's log. */
	log_warn(ctx->request_id, "Opening a form for %s failed: %s",
		 ctx->chat_user ? ctx->chat_user : "-", err.message);
	buf_append_str(&reply->text, "The form could not be opened. Type the fields instead, as "
				     "key: value; key: value.");
	return false;
}

/* The length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (need > len)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
		return 0;
	return need;
}

json_t *chat_json_text(const char *text, size_t len)
{
	struct buf out;
	json_t *value;

	buf_init(&out, len + 16);
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence((const unsigned char *)text + i, len - i);

		if (n == 0 || text[i] == '\0') {
			buf_append(&out, "?", 1);
			i++;
			continue;
		}
		buf_append(&out, text + i, n);
		i += n;
	}
	value = json_stringn(out.data ? out.data : "", out.len);
	buf_free(&out);
	return value ? value : json_string("");
}
