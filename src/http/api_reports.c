/*
 * Report routes: create (every kind, validated by model/report.c), read
 * one, and list with filters. TLP decides who reads what; see
 * policy/access.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "model/report.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "workflow/reports.h"

/* Indicators listed in one report reply. */
#define REPORT_INDICATORS_SHOWN 1000

/* Writes the stored fields, re-encoded compactly; nothing when the stored
 * text does not parse. Text that re-encoding would not change, as the
 * server stores it, is copied as it is. */
static void write_fields(struct json_out *out, const char *fields_json)
{
	json_t *fields;
	char *text;

	if (json_is_compact(fields_json)) {
		json_out_key(out, "fields");
		json_out_raw(out, fields_json, strlen(fields_json));
		return;
	}
	fields = json_loads(fields_json, 0, NULL);
	text = fields ? json_dumps(fields, JSON_COMPACT) : NULL;

	if (text) {
		json_out_key(out, "fields");
		json_out_raw(out, text, strlen(text));
	}
	free(text);
	json_decref(fields);
}

void api_report_write(struct json_out *out, const struct store_report *r, bool with_links)
{
	char created[TIME_ISO_MAX];

	time_format_iso(r->created, created, sizeof(created));
	json_out_object_begin(out);
	json_out_key(out, "id");
	json_out_int(out, r->id);
	json_out_key(out, "kind");
	json_out_string(out, r->kind ? r->kind : "");
	json_out_key(out, "tlp");
	json_out_string(out, tlp_name(r->tlp));
	json_out_key(out, "title");
	json_out_string(out, r->title ? r->title : "");
	json_out_key(out, "created");
	json_out_string(out, created);
	json_out_key(out, "source");
	json_out_string(out, r->source ? r->source : "");
	json_out_key(out, "anonymous");
	json_out_bool(out, r->anonymous);
	if (r->submitter) {
		json_out_key(out, "submitter");
		json_out_string(out, r->submitter);
	}
	if (r->org) {
		json_out_key(out, "organisation");
		json_out_string(out, r->org);
	}
	if (r->fields_json)
		write_fields(out, r->fields_json);
	if (!with_links) {
		json_out_object_end(out);
		return;
	}

	json_out_key(out, "indicators");
	json_out_array_begin(out);
	for (size_t i = 0; i < r->indicator_count; i++) {
		json_out_object_begin(out);
		json_out_key(out, "type");
		json_out_string(out, ioc_type_name(r->indicators[i].type));
		json_out_key(out, "value");
		json_out_string(out, r->indicators[i].value);
		json_out_object_end(out);
	}
	json_out_array_end(out);
	json_out_key(out, "indicator_count");
	json_out_int(out, (int64_t)r->indicator_total);

	json_out_key(out, "techniques");
	json_out_array_begin(out);
	for (size_t i = 0; i < r->technique_count; i++)
		json_out_string(out, r->techniques[i]);
	json_out_array_end(out);
	json_out_object_end(out);
}

json_t *api_report_json(const struct store_report *r, bool with_links)
{
	struct json_out out;
	struct buf text;
	json_t *obj = NULL;

	buf_init(&text, HTTP_RESPONSE_MAX);
	json_out_init(&out, &text);
	api_report_write(&out, r, with_links);
	if (json_out_finish(&out) == CH_OK)
		obj = json_loadb(text.data, text.len, 0, NULL);
	buf_free(&text);
	return obj;
}

void api_report_create(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct report_input in = { 0 };
	struct workflow_catalogue cat = { 0 };
	struct report_context ctx = { 0 };
	struct store_report saved = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	json_t *body = NULL, *reply;
	struct store *st;
	int64_t id;
	char object[64];
	enum ch_code rc;

	if (!api_authenticate(req, res, true, &who) || !api_parse_body(req, res, &body))
		return;
	st = api_store(req, res);
	if (!st)
		goto out;
	workflow_report_context(&cat, st, app->warnlists, &ctx);

	rc = report_validate(body, &ctx, &in, &err);
	if (rc == CH_OK && cat.failed)
		rc = ch_fail(&err, CH_DB, "the ATT&CK catalogue could not be read");
	if (rc == CH_OK)
		rc = workflow_report_save(st, &in, &who, &id, &err);
	if (rc != CH_OK) {
		if (rc == CH_DB)
			log_error(req->request_id, "report not saved: %s", err.message);
		http_reply_error(res, &err);
		goto out;
	}

	snprintf(object, sizeof(object), "report:%lld", (long long)id);
	api_audit(req, &who, "report.create", object, "ok", report_kind_name(in.kind));
	if (store_report_get(st, id, &who, REPORT_INDICATORS_SHOWN, &saved, &err) != CH_OK) {
		http_reply_error(res, &err);
		goto out;
	}
	reply = api_report_json(&saved, true);
	if (in.anonymous)
		json_object_set_new(reply, "anonymous", json_true());
	if (in.notes && json_array_size(in.notes))
		json_object_set(reply, "notes", in.notes);
	http_reply_json(res, 201, reply);

out:
	store_report_free(&saved);
	report_input_free(&in);
	json_decref(body);
}

void api_report_get(struct http_request *req, struct http_response *res)
{
	struct store_report r = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct store *st;
	int64_t id;
	char object[64];

	if (!api_authenticate(req, res, false, &who))
		return;
	if (!api_parse_id(req->params[0], &id)) {
		http_reply_fail(res, CH_NOT_FOUND, "id", "report '%s' not found", req->params[0]);
		return;
	}
	st = api_store(req, res);
	if (!st)
		return;
	store_read_begin(st, NULL);
	if (store_report_get(st, id, &who, REPORT_INDICATORS_SHOWN, &r, &err) != CH_OK) {
		store_read_end(st);
		http_reply_error(res, &err);
		return;
	}
	store_read_end(st);
	if (access_read_is_audited(r.tlp)) {
		snprintf(object, sizeof(object), "report:%lld", (long long)id);
		api_audit(req, &who, "report.read", object, "ok", tlp_name(r.tlp));
	}
	http_reply_json(res, 200, api_report_json(&r, true));
	store_report_free(&r);
}

void api_audit_listed(struct http_request *req, const struct principal *who,
		      const struct store_report *r)
{
	char object[64];

	if (!access_read_is_audited(r->tlp))
		return;
	snprintf(object, sizeof(object), "report:%lld", (long long)r->id);
	api_audit(req, who, "report.read", object, "ok", "listed");
}

static bool parse_list_filter(struct http_request *req, struct http_response *res,
			      struct store_report_filter *f)
{
	const char *kind = http_query(req, "kind");
	const char *since = http_query(req, "since");
	const char *tlp = http_query(req, "tlp");
	const char *limit = http_query(req, "limit");
	const char *before = http_query(req, "before");
	struct ch_error err = { 0 };
	enum report_kind k;
	enum tlp_level level;

	memset(f, 0, sizeof(*f));
	f->tlp = -1;
	f->limit = API_PAGE_DEFAULT;
	f->text = http_query(req, "q");
	if (f->text && !*f->text)
		f->text = NULL;
	/* Channel messages ("chat") and ingested files ("file") are reports
	 * too, though no one submits them through POST /reports. */
	if (kind && (strcmp(kind, "chat") == 0 || strcmp(kind, "file") == 0)) {
		f->kind = strcmp(kind, "chat") == 0 ? "chat" : "file";
	} else if (kind && *kind) {
		if (report_kind_parse(kind, &k, &err) != CH_OK) {
			err.code = CH_INVALID;
			snprintf(err.field, sizeof(err.field), "kind");
			http_reply_error(res, &err);
			return false;
		}
		f->kind = report_kind_name(k);
	}
	if (since && *since && time_parse_iso(since, &f->since, &err) != CH_OK) {
		snprintf(err.field, sizeof(err.field), "since");
		http_reply_error(res, &err);
		return false;
	}
	if (tlp && *tlp) {
		if (tlp_parse(tlp, &level, &err) != CH_OK) {
			snprintf(err.field, sizeof(err.field), "tlp");
			http_reply_error(res, &err);
			return false;
		}
		f->tlp = (int)level;
	}
	if (limit && *limit) {
		int64_t n;

		if (!api_parse_id(limit, &n) || n > API_PAGE_MAX) {
			http_reply_fail(res, CH_INVALID, "limit", "invalid limit '%s': use 1 to %d", limit,
					API_PAGE_MAX);
			return false;
		}
		f->limit = (size_t)n;
	}
	if (before && *before && !api_parse_id(before, &f->before)) {
		http_reply_fail(res, CH_INVALID, "before",
				"invalid cursor '%s': use the next_before value of the previous page",
				before);
		return false;
	}
	return true;
}

void api_report_list(struct http_request *req, struct http_response *res)
{
	struct store_report_filter filter;
	struct store_report_list list = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct store *st;
	json_t *items, *reply;
	enum ch_code rc;

	if (!api_authenticate(req, res, false, &who) || !parse_list_filter(req, res, &filter))
		return;
	st = api_store(req, res);
	if (!st)
		return;
	store_read_begin(st, NULL);
	rc = store_report_list(st, &who, &filter, &list, &err);
	store_read_end(st);
	if (rc != CH_OK) {
		http_reply_error(res, &err);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < list.count; i++) {
		const struct store_report *r = &list.items[i];

		api_audit_listed(req, &who, r);
		json_array_append_new(items, api_report_json(r, false));
	}
	reply = json_pack("{s:o}", "reports", items);
	if (list.next_before)
		json_object_set_new(reply, "next_before", json_integer(list.next_before));
	else
		json_object_set_new(reply, "next_before", json_null());
	http_reply_json(res, 200, reply);
	store_report_list_free(&list);
}
