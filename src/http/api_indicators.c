/*
 * Indicator routes: one indicator with the reports the reader may see,
 * and search. Input goes through the indicator engine, so defanged and
 * non-canonical spellings find the stored value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"
#include "util/alloc.h"
#include "util/timeutil.h"

/* Reports listed with one indicator, and search results per kind. */
#define INDICATOR_REPORTS_SHOWN 50
#define SEARCH_RESULTS_MAX 50

/* Writes the indicator as the reader sees it, with its readable reports. */
static void write_view(struct json_out *out, const struct store_indicator_view *v)
{
	const struct store_indicator *ind = &v->indicator;
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX], warnings[256];

	time_format_iso(ind->first_seen, first, sizeof(first));
	time_format_iso(ind->last_seen, last, sizeof(last));
	ioc_warnings_format(ind->warnings, warnings, sizeof(warnings));

	json_out_object_begin(out);
	json_out_key(out, "type");
	json_out_string(out, ioc_type_name(ind->type));
	json_out_key(out, "value");
	json_out_string(out, ind->value);
	if (ind->registrable) {
		json_out_key(out, "registrable_domain");
		json_out_string(out, ind->registrable);
	}
	json_out_key(out, "first_seen");
	json_out_string(out, first);
	json_out_key(out, "last_seen");
	json_out_string(out, last);
	json_out_key(out, "times_seen");
	json_out_int(out, ind->times_seen);
	json_out_key(out, "confidence");
	json_out_int(out, ind->confidence);
	json_out_key(out, "warnings");
	json_out_string(out, warnings);
	if (ind->warnlist) {
		json_out_key(out, "warninglist");
		json_out_string(out, ind->warnlist);
	}

	json_out_key(out, "sources");
	json_out_array_begin(out);
	for (char **s = ind->sources; s && *s; s++)
		json_out_string(out, *s);
	json_out_array_end(out);
	json_out_key(out, "reports");
	json_out_array_begin(out);
	for (size_t i = 0; i < v->reports.count; i++)
		api_report_write(out, &v->reports.items[i], false);
	json_out_array_end(out);
	json_out_key(out, "report_count");
	json_out_int(out, (int64_t)v->report_total);
	json_out_object_end(out);
}

/* Looks one canonical indicator up for the reader; false when it is not
 * visible. Audits the read when it shows AMBER+STRICT or RED reports. On
 * success the caller frees view. */
static bool lookup(struct http_request *req, struct store *st, const struct principal *who,
		   const struct ioc *ioc, struct store_indicator_view *view, struct ch_error *err)
{
	char object[IOC_DOMAIN_MAX + 32];

	if (store_indicator_view_get(st, ioc->type, ioc->value, who, INDICATOR_REPORTS_SHOWN, view,
				     err) != CH_OK)
		return false;
	if (access_read_is_audited(view->max_tlp_read)) {
		snprintf(object, sizeof(object), "indicator:%lld", (long long)view->indicator.id);
		api_audit(req, who, "indicator.read", object, "ok", tlp_name(view->max_tlp_read));
	}
	return true;
}

/* The object of write_view as a jansson value, or NULL. */
static json_t *view_json(const struct store_indicator_view *view)
{
	struct json_out out;
	struct buf text;
	json_t *obj = NULL;

	buf_init(&text, HTTP_RESPONSE_MAX);
	json_out_init(&out, &text);
	write_view(&out, view);
	if (json_out_finish(&out) == CH_OK)
		obj = json_loadb(text.data, text.len, 0, NULL);
	buf_free(&text);
	return obj;
}

void api_indicator_get(struct http_request *req, struct http_response *res)
{
	struct store_indicator_view view;
	struct ch_error err = { 0 };
	struct principal who;
	struct json_out out;
	enum ioc_type type;
	struct ioc *ioc;
	struct store *st;
	bool found;

	/* One read transaction for the token check and the lookup, shared
	 * with the lookups of the last millisecond on this thread. */
	st = api_store_shared_read(req, res);
	if (!st)
		return;
	if (!api_authenticate(req, res, false, &who)) {
		api_store_shared_read_done(req);
		return;
	}
	if (ioc_type_from_name(req->params[0], &type, &err) != CH_OK) {
		api_store_shared_read_done(req);
		http_reply_fail(res, CH_NOT_FOUND, "type",
				"unknown indicator type '%s': use ipv4, ipv6, cidr, domain, url, email, "
				"md5, sha1, sha256, sha512, cve or asn",
				req->params[0]);
		return;
	}
	/* Without warning lists: the reply shows the warnings stored with the
	 * indicator, and the lookup needs only the canonical value. */
	ioc = xmalloc(sizeof(*ioc));
	if (ioc_parse_as(type, req->params[1], strlen(req->params[1]), NULL, ioc, &err) !=
	    CH_OK) {
		api_store_shared_read_done(req);
		snprintf(err.field, sizeof(err.field), "value");
		http_reply_error(res, &err);
		goto out;
	}
	found = lookup(req, st, &who, ioc, &view, &err);
	api_store_shared_read_done(req);
	if (!found) {
		http_reply_error(res, &err);
		goto out;
	}
	buf_reset(&res->body);
	json_out_init(&out, &res->body);
	write_view(&out, &view);
	http_reply_written_json(res, 200, json_out_finish(&out));
	store_indicator_view_free(&view);

out:
	free(ioc);
}

void api_search(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	const char *q = http_query(req, "q");
	struct store_report_filter filter = { .tlp = -1, .limit = SEARCH_RESULTS_MAX };
	struct store_report_list reports = { 0 };
	struct store_indicator_ref *refs = NULL;
	struct ch_error err = { 0 };
	struct principal who;
	struct store *st;
	struct ioc *ioc;
	json_t *indicators, *report_items;
	size_t ref_count = 0;
	enum ch_code rc;

	if (!api_authenticate(req, res, false, &who))
		return;
	if (!q || !*q || strlen(q) > IOC_VALUE_MAX) {
		http_reply_fail(res, CH_INVALID, "q", "give the text to search for as ?q=, at most %d bytes",
				IOC_VALUE_MAX);
		return;
	}
	st = api_store(req, res);
	if (!st)
		return;

	store_read_begin(st, NULL);
	indicators = json_array();
	ioc = xmalloc(sizeof(*ioc));
	if (ioc_parse(q, strlen(q), app->warnlists, ioc, NULL) == CH_OK) {
		/* A whole indicator, in any spelling: the exact canonical match. */
		struct store_indicator_view view;

		if (lookup(req, st, &who, ioc, &view, &err)) {
			json_array_append_new(indicators, view_json(&view));
			store_indicator_view_free(&view);
		}
	} else if (store_indicator_search(st, q, &who, SEARCH_RESULTS_MAX, &refs, &ref_count, &err) ==
		   CH_OK) {
		for (size_t i = 0; i < ref_count; i++) {
			if (access_read_is_audited(refs[i].max_tlp_read)) {
				char object[64];

				snprintf(object, sizeof(object), "indicator:%lld", (long long)refs[i].id);
				api_audit(req, &who, "indicator.read", object, "ok", "search");
			}
			json_array_append_new(indicators,
					      json_pack("{s:s, s:s}", "type", ioc_type_name(refs[i].type),
							"value", refs[i].value));
			free(refs[i].value);
		}
		free(refs);
	}
	free(ioc);

	filter.text = q;
	report_items = json_array();
	rc = store_report_list(st, &who, &filter, &reports, &err);
	/* The audit entries are writes, so they come after the read
	 * transaction ends. */
	store_read_end(st);
	if (rc == CH_OK) {
		for (size_t i = 0; i < reports.count; i++) {
			api_audit_listed(req, &who, &reports.items[i]);
			json_array_append_new(report_items, api_report_json(&reports.items[i], false));
		}
		store_report_list_free(&reports);
	}
	http_reply_json(res, 200,
			json_pack("{s:s, s:o, s:o}", "query", q, "indicators", indicators, "reports",
				  report_items));
}
