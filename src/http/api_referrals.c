/*
 * Referral routes: the LE queue over HTTP. Each handler authenticates,
 * parses its input and calls src/workflow/referrals.c, which decides who
 * may do what and writes the change, its audit entry and its
 * notifications in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "model/referral.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "workflow/referral_json.h"
#include "workflow/referrals.h"

static void wake_worker(void *ctx)
{
	notify_worker_wake(ctx);
}

/* Authenticates (a token is required) and prepares the workflow. */
static bool begin(struct http_request *req, struct http_response *res, struct principal *who,
		  struct workflow *w)
{
	const struct api_app *app = req->app;

	if (!api_authenticate(req, res, true, who))
		return false;
	memset(w, 0, sizeof(*w));
	w->st = api_store(req, res);
	if (!w->st)
		return false;
	w->notify = app->notify;
	w->who = who;
	w->client = req->client;
	w->queued = wake_worker;
	w->queued_ctx = app->notify_worker;
	return true;
}

static void reply_view(struct http_response *res, int status, struct store_referral_view *v)
{
	http_reply_json(res, status, referral_json(v, time_now()));
	store_referral_view_free(v);
}

void api_referral_create(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct referral_input in = { 0 };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	json_t *body = NULL, *reply;

	if (!begin(req, res, &who, &w) || !api_parse_body(req, res, &body))
		return;
	if (referral_validate(body, app->warnlists, &in, &err) != CH_OK ||
	    workflow_referral_open(&w, &in, &v, &err) != CH_OK) {
		if (err.code == CH_DB)
			log_error(req->request_id, "referral not saved: %s", err.message);
		http_reply_error(res, &err);
		goto out;
	}
	reply = referral_json(&v, time_now());
	if (json_array_size(in.notes))
		json_object_set(reply, "notes", in.notes);
	http_reply_json(res, 201, reply);
	store_referral_view_free(&v);
out:
	referral_input_free(&in);
	json_decref(body);
}

void api_referral_get(struct http_request *req, struct http_response *res)
{
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;

	if (!begin(req, res, &who, &w))
		return;
	if (workflow_referral_show(&w, req->params[0], &v, &err) != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	reply_view(res, 200, &v);
}

static bool query_bool(struct http_request *req, struct http_response *res, const char *name,
		       bool fallback, bool *out)
{
	const char *v = http_query(req, name);

	*out = fallback;
	if (!v || !*v)
		return true;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return true;
	}
	http_reply_fail(res, CH_INVALID, name, "invalid %s '%s': use true or false", name, v);
	return false;
}

static bool query_count(struct http_request *req, struct http_response *res, const char *name,
			long min, long max, size_t *out)
{
	const char *v = http_query(req, name);
	char *end;
	long n;

	if (!v || !*v)
		return true;
	n = strtol(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || n < min || n > max) {
		http_reply_fail(res, CH_INVALID, name, "invalid %s '%s': use %ld to %ld", name, v, min,
				max);
		return false;
	}
	*out = (size_t)n;
	return true;
}

static bool query_age(struct http_request *req, struct http_response *res, const char *name,
		      int64_t now, int64_t *bound)
{
	const char *v = http_query(req, name);
	struct ch_error err = { 0 };
	int64_t seconds;

	if (!v || !*v)
		return true;
	if (time_parse_duration(v, &seconds, &err) != CH_OK) {
		err.code = CH_INVALID;
		snprintf(err.field, sizeof(err.field), "%s", name);
		http_reply_error(res, &err);
		return false;
	}
	*bound = now - seconds;
	return true;
}

static bool parse_filter(struct http_request *req, struct http_response *res,
			 struct store_referral_filter *f, bool *mark_seen)
{
	static const char *const sorts[] = { "newest", "oldest", "updated", "unacknowledged",
					     NULL };
	const char *state = http_query(req, "state");
	const char *type = http_query(req, "type");
	const char *location = http_query(req, "location");
	const char *sort = http_query(req, "sort");
	int64_t now = time_now();

	memset(f, 0, sizeof(*f));
	f->limit = API_PAGE_DEFAULT;
	if (state && *state && strcmp(state, "all") != 0) {
		if (strcmp(state, "open") != 0 && !referral_state_valid(state)) {
			http_reply_fail(res, CH_INVALID, "state", "invalid state '%s': use open, new, "
								  "acknowledged, in_progress, "
								  "closed or all",
					state);
			return false;
		}
		f->state = state;
	}
	if (type && *type) {
		f->incident_type = referral_choice_find(referral_incident_types, type);
		if (!f->incident_type) {
			http_reply_fail(res, CH_INVALID, "type", "invalid type '%s': use phishing, "
								 "malware, ransomware, fraud, "
								 "data_breach, intrusion, ddos, "
								 "disinformation or other",
					type);
			return false;
		}
	}
	if (location && *location) {
		if (strlen(location) > REFERRAL_LOCATION_MAX) {
			http_reply_fail(res, CH_INVALID, "location", "location is longer than %d bytes",
					REFERRAL_LOCATION_MAX);
			return false;
		}
		f->location = location;
	}
	if (sort && *sort) {
		int i = 0;

		while (sorts[i] && strcmp(sorts[i], sort) != 0)
			i++;
		if (!sorts[i]) {
			http_reply_fail(res, CH_INVALID, "sort", "invalid sort '%s': use newest, oldest, "
								 "updated or unacknowledged",
					sort);
			return false;
		}
		f->sort = (enum store_referral_sort)i;
	}
	return query_age(req, res, "min_age", now, &f->created_before) &&
	       query_age(req, res, "max_age", now, &f->created_after) &&
	       query_bool(req, res, "new", false, &f->only_unseen) &&
	       query_bool(req, res, "mark_seen", true, mark_seen) &&
	       query_count(req, res, "limit", 1, API_PAGE_MAX, &f->limit) &&
	       query_count(req, res, "offset", 0, 1000000000L, &f->offset);
}

void api_referral_list(struct http_request *req, struct http_response *res)
{
	struct store_referral_filter filter;
	struct store_referral_list list = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	bool mark_seen;
	int64_t now = time_now();
	json_t *items, *reply;

	if (!begin(req, res, &who, &w) || !parse_filter(req, res, &filter, &mark_seen))
		return;
	if (workflow_referral_list(&w, &filter, mark_seen, &list, &err) != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < list.count; i++)
		json_array_append_new(items, referral_list_item_json(&list.items[i], now));
	reply = json_object();
	json_object_set_new(reply, "referrals", items);
	json_object_set_new(reply, "total", json_integer(list.total));
	json_object_set_new(reply, "new", json_integer(list.unseen));
	json_object_set_new(reply, "limit", json_integer((json_int_t)filter.limit));
	json_object_set_new(reply, "offset", json_integer((json_int_t)filter.offset));
	json_object_set_new(reply, "scope", json_string(workflow_is_le(&w) ? "all" : "own"));
	http_reply_json(res, 200, reply);
	store_referral_list_free(&list);
}

/* The role check of an LE action, made before the body is read so that a
 * refused caller is refused (and audited) whatever they sent. */
static bool require_le(struct http_response *res, const struct workflow *w, const char *key,
		       const char *action, const char *what)
{
	struct ch_error err = { 0 };

	if (workflow_require_le(w, key, action, what, &err) == CH_OK)
		return true;
	http_reply_error(res, &err);
	return false;
}

/* Reads an optional string member of an action body. */
static bool body_text(struct http_response *res, const json_t *body, const char *key,
		      const char **out)
{
	const json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || !*json_string_value(v)) {
		http_reply_fail(res, CH_INVALID, key, "%s must be a non-empty string", key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* Refuses members other than allowed, naming them. */
static bool body_keys(struct http_response *res, const json_t *body,
		      const char *const *allowed, const char *list)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)body, key, v) {
		bool ok = false;

		for (size_t i = 0; allowed[i]; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok) {
			http_reply_fail(res, CH_INVALID, key, "unknown field \"%s\"; the allowed fields "
							      "are: %s",
					key, list);
			return false;
		}
	}
	return true;
}

void api_referral_reply(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "body", "internal", NULL };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const json_t *internal;
	const char *text;
	size_t len;
	json_t *body = NULL;
	char *copy = NULL;

	if (!begin(req, res, &who, &w) ||
	    !require_le(res, &w, req->params[0], "referral.reply", "reply to referrals") ||
	    !api_parse_body(req, res, &body))
		return;
	if (!body_keys(res, body, keys, "body, internal"))
		goto out;
	internal = json_object_get(body, "internal");
	if (internal && !json_is_boolean(internal) && !json_is_null(internal)) {
		http_reply_fail(res, CH_INVALID, "internal", "internal must be true or false");
		goto out;
	}
	if (referral_check_reply(json_object_get(body, "body"), &text, &len, &err) != CH_OK) {
		http_reply_error(res, &err);
		goto out;
	}
	copy = strndup(text, len);
	if (workflow_referral_reply(&w, req->params[0], copy, json_is_true(internal), &v, &err) !=
	    CH_OK) {
		http_reply_error(res, &err);
		goto out;
	}
	reply_view(res, 201, &v);
out:
	free(copy);
	json_decref(body);
}

void api_referral_assign(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "officer", "agency", NULL };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *officer, *agency;
	json_t *body = NULL;

	if (!begin(req, res, &who, &w) ||
	    !require_le(res, &w, req->params[0], "referral.assign", "assign referrals") ||
	    !api_parse_body(req, res, &body))
		return;
	if (body_keys(res, body, keys, "officer, agency") &&
	    body_text(res, body, "officer", &officer) && body_text(res, body, "agency", &agency)) {
		if (workflow_referral_assign(&w, req->params[0], officer, agency, &v, &err) != CH_OK)
			http_reply_error(res, &err);
		else
			reply_view(res, 200, &v);
	}
	json_decref(body);
}

void api_referral_state(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "state", NULL };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *state;
	json_t *body = NULL;

	if (!begin(req, res, &who, &w) ||
	    !require_le(res, &w, req->params[0], "referral.state", "change the state of referrals") ||
	    !api_parse_body(req, res, &body))
		return;
	if (body_keys(res, body, keys, "state") && body_text(res, body, "state", &state)) {
		if (!state)
			http_reply_fail(res, CH_INVALID, "state", "state is required; use acknowledged "
								  "or in_progress");
		else if (workflow_referral_set_state(&w, req->params[0], state, &v, &err) != CH_OK)
			http_reply_error(res, &err);
		else
			reply_view(res, 200, &v);
	}
	json_decref(body);
}

void api_referral_close(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "resolution", "note", NULL };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *resolution, *note;
	json_t *body = NULL;

	if (!begin(req, res, &who, &w) ||
	    !require_le(res, &w, req->params[0], "referral.close", "close referrals") ||
	    !api_parse_body(req, res, &body))
		return;
	if (body_keys(res, body, keys, "resolution, note") &&
	    body_text(res, body, "resolution", &resolution) && body_text(res, body, "note", &note)) {
		if (workflow_referral_close(&w, req->params[0], resolution, note, &v, &err) != CH_OK)
			http_reply_error(res, &err);
		else
			reply_view(res, 200, &v);
	}
	json_decref(body);
}

void api_referral_reopen(struct http_request *req, struct http_response *res)
{
	static const char *const keys[] = { "reason", NULL };
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *reason = NULL;
	json_t *body = NULL;

	if (!begin(req, res, &who, &w) ||
	    !require_le(res, &w, req->params[0], "referral.reopen", "reopen referrals"))
		return;
	/* The body is optional: a reopen needs no reason. */
	if (req->body_len > 0 && !api_parse_body(req, res, &body))
		return;
	if (!body || (body_keys(res, body, keys, "reason") &&
		      body_text(res, body, "reason", &reason))) {
		if (workflow_referral_reopen(&w, req->params[0], reason, &v, &err) != CH_OK)
			http_reply_error(res, &err);
		else
			reply_view(res, 200, &v);
	}
	json_decref(body);
}

void api_referral_attach(struct http_request *req, struct http_response *res)
{
	struct store_referral_attachment a = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *name = http_query(req, "name");
	const char *type = http_header(req, "Content-Type");

	if (!begin(req, res, &who, &w))
		return;
	if (!type || !*type)
		type = "application/octet-stream";
	if (workflow_referral_attach(&w, req->params[0], name, type, req->body, req->body_len, &a,
				     &err) != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	http_reply_json(res, 201, referral_attachment_json(&a));
	store_referral_attachment_free(&a);
}

void api_referral_attachment(struct http_request *req, struct http_response *res)
{
	struct store_referral_attachment a = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	void *data = NULL;
	char *end;
	long long aid;

	if (!begin(req, res, &who, &w))
		return;
	errno = 0;
	aid = strtoll(req->params[1], &end, 10);
	if (*req->params[1] < '1' || *req->params[1] > '9' || *end || errno) {
		http_reply_fail(res, CH_INVALID, "attachment", "'%.40s' is not an attachment id; use "
							       "the id of the upload reply",
				req->params[1]);
		return;
	}
	if (workflow_referral_attachment(&w, req->params[0], aid, &a, &data, &err) != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	/* Served as plain bytes whatever the uploader claimed, so a browser
	 * never renders evidence as a page of this origin. */
	http_reply_text(res, 200, "application/octet-stream", data, (size_t)a.size);
	free(data);
	store_referral_attachment_free(&a);
}
