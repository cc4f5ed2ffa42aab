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

static json_t *view_json(const struct store_indicator_view *v)
{
	const struct store_indicator *ind = &v->indicator;
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX], warnings[256];
	json_t *obj = json_object(), *sources = json_array(), *reports = json_array();

	time_format_iso(ind->first_seen, first, sizeof(first));
	time_format_iso(ind->last_seen, last, sizeof(last));
	json_object_set_new(obj, "type", json_string(ioc_type_name(ind->type)));
	json_object_set_new(obj, "value", json_string(ind->value));
	if (ind->registrable)
		json_object_set_new(obj, "registrable_domain", json_string(ind->registrable));
	json_object_set_new(obj, "first_seen", json_string(first));
	json_object_set_new(obj, "last_seen", json_string(last));
	json_object_set_new(obj, "times_seen", json_integer(ind->times_seen));
	json_object_set_new(obj, "confidence", json_integer(ind->confidence));
	ioc_warnings_format(ind->warnings, warnings, sizeof(warnings));
	json_object_set_new(obj, "warnings", json_string(warnings));
	if (ind->warnlist)
		json_object_set_new(obj, "warninglist", json_string(ind->warnlist));
	for (char **s = ind->sources; s && *s; s++)
		json_array_append_new(sources, json_string(*s));
	json_object_set_new(obj, "sources", sources);
	for (size_t i = 0; i < v->reports.count; i++)
		json_array_append_new(reports, api_report_json(&v->reports.items[i], false));
	json_object_set_new(obj, "reports", reports);
	json_object_set_new(obj, "report_count", json_integer((json_int_t)v->report_total));
	return obj;
}

/* Looks one canonical indicator up for the reader; NULL when not visible.
 * Audits the read when it shows AMBER+STRICT or RED reports. */
static json_t *lookup(struct http_request *req, struct store *st, const struct principal *who,
		      const struct ioc *ioc, struct ch_error *err)
{
	struct store_indicator_view view;
	char object[IOC_DOMAIN_MAX + 32];
	json_t *obj;

	if (store_indicator_view_get(st, ioc->type, ioc->value, who, INDICATOR_REPORTS_SHOWN, &view,
				     err) != CH_OK)
		return NULL;
	if (access_read_is_audited(view.max_tlp_read)) {
		snprintf(object, sizeof(object), "indicator:%lld", (long long)view.indicator.id);
		api_audit(req, who, "indicator.read", object, "ok", tlp_name(view.max_tlp_read));
	}
	obj = view_json(&view);
	store_indicator_view_free(&view);
	return obj;
}

void api_indicator_get(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct ch_error err = { 0 };
	struct principal who;
	enum ioc_type type;
	struct ioc *ioc;
	struct store *st;
	json_t *obj;

	/* One read transaction for the token check and the lookup: one
	 * snapshot and one round of file locks per request. */
	st = api_store(req, res);
	if (!st)
		return;
	store_read_begin(st, NULL);
	if (!api_authenticate(req, res, false, &who)) {
		store_read_end(st);
		return;
	}
	if (ioc_type_from_name(req->params[0], &type, &err) != CH_OK) {
		store_read_end(st);
		http_reply_fail(res, CH_NOT_FOUND, "type",
				"unknown indicator type '%s': use ipv4, ipv6, cidr, domain, url, email, "
				"md5, sha1, sha256, sha512, cve or asn",
				req->params[0]);
		return;
	}
	ioc = xmalloc(sizeof(*ioc));
	if (ioc_parse_as(type, req->params[1], strlen(req->params[1]), app->warnlists, ioc, &err) !=
	    CH_OK) {
		store_read_end(st);
		snprintf(err.field, sizeof(err.field), "value");
		http_reply_error(res, &err);
		goto out;
	}
	obj = lookup(req, st, &who, ioc, &err);
	store_read_end(st);
	if (!obj)
		http_reply_error(res, &err);
	else
		http_reply_json(res, 200, obj);

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
	json_t *indicators, *report_items, *obj;
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
		obj = lookup(req, st, &who, ioc, &err);
		if (obj)
			json_array_append_new(indicators, obj);
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
