/*
 * Account routes: who am I, and the audit log for admins.
 */
#include <stdio.h>
#include <stdlib.h>

#include "http/api.h"
#include "util/timeutil.h"

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX 1000

void api_me(struct http_request *req, struct http_response *res)
{
	struct principal who;

	if (!api_authenticate(req, res, true, &who))
		return;
	http_reply_json(res, 200,
			json_pack("{s:s, s:s, s:I}", "user", who.user_name, "role", role_name(who.role),
				  "token_id", (json_int_t)who.token_id));
}

void api_link_code(struct http_request *req, struct http_response *res)
{
	char code[CHAT_LINK_CODE_TEXT_MAX], object[64], expires[TIME_ISO_MAX];
	struct ch_error err = { 0 };
	struct principal who;
	struct store *st;
	int64_t now = time_now();
	enum ch_code rc;

	if (!api_authenticate(req, res, true, &who))
		return;
	st = api_store(req, res);
	if (!st)
		return;
	rc = store_begin(st, &err);
	if (rc == CH_OK) {
		rc = chat_link_code_create(st, who.user_id, now, code, &err);
		if (rc == CH_OK)
			rc = store_commit(st, &err);
		if (rc != CH_OK)
			store_rollback(st);
	}
	if (rc != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	snprintf(object, sizeof(object), "user:%lld", (long long)who.user_id);
	api_audit(req, &who, "user.link_code", object, "ok", "one-time chat link code");
	time_format_iso(now + CHAT_LINK_CODE_TTL, expires, sizeof(expires));
	http_reply_json(res, 201, json_pack("{s:s, s:s}", "code", code, "expires", expires));
}

void api_audit_list(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	const char *since_text = http_query(req, "since");
	const char *limit_text = http_query(req, "limit");
	const char *after_text = http_query(req, "after");
	struct store_audit_list list = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct store *st;
	int64_t since = 0, after = 0;
	int64_t limit = AUDIT_PAGE_DEFAULT;
	json_t *items, *next;

	if (!api_authenticate(req, res, true, &who))
		return;
	if (who.role != ROLE_ADMIN) {
		api_audit(req, &who, "audit.read", "audit", "denied", role_name(who.role));
		http_reply_fail(res, CH_DENIED, NULL, "only admins may read the audit log");
		return;
	}
	if (since_text && *since_text && time_parse_iso(since_text, &since, &err) != CH_OK) {
		snprintf(err.field, sizeof(err.field), "since");
		http_reply_error(res, &err);
		return;
	}
	if (limit_text && *limit_text &&
	    (!api_parse_id(limit_text, &limit) || limit > AUDIT_PAGE_MAX)) {
		http_reply_fail(res, CH_INVALID, "limit", "invalid limit '%.40s': use 1 to %d",
				limit_text, AUDIT_PAGE_MAX);
		return;
	}
	if (after_text && *after_text && !api_parse_id(after_text, &after)) {
		http_reply_fail(res, CH_INVALID, "after", "invalid after '%.40s': use the id of an "
							  "entry, such as the next value of the "
							  "previous page",
				after_text);
		return;
	}
	st = api_store(req, res);
	if (!st)
		return;
	/* The entries that requests before this one queued are written first,
	 * so the list shows them. This blocks the worker thread for up to
	 * AUDIT_COMMIT_INTERVAL_MS, which only admins can cause. */
	if (app->audit_writer)
		audit_writer_flush(app->audit_writer);
	if (store_audit_list(st, since, after, (size_t)limit, &list, &err) != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < list.count; i++) {
		const struct store_audit_row *r = &list.items[i];
		char when[TIME_ISO_MAX];

		time_format_iso(r->time, when, sizeof(when));
		json_array_append_new(items,
				      json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
						(json_int_t)r->id, "time", when, "actor", r->actor,
						"action", r->action, "object", r->object, "client",
						r->client, "outcome", r->outcome, "detail", r->detail,
						"sha256", r->sha256));
	}
	/* A full page may have a next one; its cursor is the last id. */
	next = list.count == (size_t)limit ? json_integer(list.items[list.count - 1].id)
					   : json_null();
	store_audit_list_free(&list);
	http_reply_json(res, 200, json_pack("{s:o, s:o}", "entries", items, "next", next));
}
