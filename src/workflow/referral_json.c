/*
 * JSON for referrals. Absent optional fields are left out rather than
 * sent as null, except the ages, which are null when they do not apply.
 */
#include "workflow/referral_json.h"

#include "util/timeutil.h"

static void set_text(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

static void set_time(json_t *obj, const char *key, int64_t t)
{
	char iso[TIME_ISO_MAX];

	if (t <= 0)
		return;
	time_format_iso(t, iso, sizeof(iso));
	json_object_set_new(obj, key, json_string(iso));
}

static json_t *base_json(const struct store_referral *r, int64_t now)
{
	json_t *obj = json_object();
	bool waiting = r->acknowledged == 0 && r->closed == 0;

	json_object_set_new(obj, "id", json_string(r->ref));
	json_object_set_new(obj, "number", json_integer(r->id));
	set_text(obj, "state", r->state);
	set_text(obj, "resolution", r->resolution);
	json_object_set_new(obj, "tlp", json_string(tlp_name(r->tlp)));
	set_text(obj, "summary", r->summary);
	set_text(obj, "incident_type", r->incident_type);
	set_text(obj, "objective", r->objective);
	set_text(obj, "victim_location", r->victim_location);
	set_text(obj, "suspect_location", r->suspect_location);
	set_text(obj, "reporter", r->reporter);
	set_text(obj, "reporter_handle", r->reporter_handle);
	set_text(obj, "organisation", r->org);
	set_text(obj, "assignee", r->assignee);
	set_text(obj, "agency", r->assignee_agency);
	set_time(obj, "created", r->created);
	set_time(obj, "updated", r->updated);
	set_time(obj, "acknowledged", r->acknowledged);
	set_time(obj, "closed", r->closed);
	json_object_set_new(obj, "age_seconds", json_integer(now - r->created));
	json_object_set_new(obj, "unacknowledged_seconds",
			    waiting ? json_integer(now - r->created) : json_null());
	return obj;
}

json_t *referral_list_item_json(const struct store_referral *r, int64_t now)
{
	json_t *obj = base_json(r, now);

	json_object_set_new(obj, "new", json_boolean(r->unseen));
	return obj;
}

json_t *referral_attachment_json(const struct store_referral_attachment *a)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "id", json_integer(a->id));
	set_text(obj, "name", a->name);
	set_text(obj, "content_type", a->content_type);
	json_object_set_new(obj, "size", json_integer(a->size));
	json_object_set_new(obj, "sha256", json_string(a->sha256));
	set_text(obj, "uploader", a->uploader);
	set_time(obj, "uploaded", a->created);
	return obj;
}

json_t *referral_json(const struct store_referral_view *v, int64_t now)
{
	const struct store_referral *r = &v->referral;
	json_t *obj = base_json(r, now);
	json_t *list;

	set_text(obj, "details", r->details);
	set_text(obj, "illegal_reason", r->illegal_reason);
	set_text(obj, "suspect_info", r->suspect_info);
	json_object_set_new(obj, "documentation_available",
			    json_boolean(r->documentation_available));
	set_text(obj, "documentation", r->documentation);
	json_object_set_new(obj, "contact_allowed", json_boolean(r->contact_allowed));
	set_text(obj, "contact_method", r->contact_method);

	list = json_array();
	for (size_t i = 0; i < r->report_count; i++)
		json_array_append_new(list, json_integer(r->report_ids[i]));
	json_object_set_new(obj, "reports", list);

	list = json_array();
	for (size_t i = 0; i < r->indicator_count; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "type",
						      ioc_type_name(r->indicators[i].type), "value",
						      r->indicators[i].value));
	json_object_set_new(obj, "indicators", list);

	list = json_array();
	for (size_t i = 0; i < v->reply_count; i++) {
		json_t *reply = json_object();
		const struct store_referral_reply *p = &v->replies[i];

		json_object_set_new(reply, "id", json_integer(p->id));
		set_text(reply, "author", p->author);
		set_text(reply, "body", p->body);
		json_object_set_new(reply, "internal", json_boolean(p->internal));
		set_time(reply, "created", p->created);
		json_array_append_new(list, reply);
	}
	json_object_set_new(obj, "replies", list);

	list = json_array();
	for (size_t i = 0; i < v->attachment_count; i++)
		json_array_append_new(list, referral_attachment_json(&v->attachments[i]));
	json_object_set_new(obj, "attachments", list);

	list = json_array();
	for (size_t i = 0; i < v->event_count; i++) {
		json_t *event = json_object();
		const struct store_referral_event *e = &v->events[i];

		set_time(event, "time", e->time);
		set_text(event, "actor", e->actor);
		set_text(event, "action", e->action);
		set_text(event, "from", e->from_state);
		set_text(event, "to", e->to_state);
		set_text(event, "detail", e->detail);
		json_array_append_new(list, event);
	}
	json_object_set_new(obj, "history", list);
	return obj;
}
