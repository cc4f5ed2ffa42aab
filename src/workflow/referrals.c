/*
 * The referral workflow; the rules are in referrals.h. Every change
 * follows one pattern (see change_begin and change_end): check the role,
 * find the referral, open a transaction, change it, read it back for the
 * notice, queue the notice, write the audit entry, commit.
 */
#include "workflow/referrals.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timeutil.h"

bool workflow_is_le(const struct workflow *w)
{
	return w->who->authenticated && w->who->role == ROLE_LE;
}

/* Appends an audit entry, inside the open transaction when there is one. */
static enum ch_code audit(const struct workflow *w, const char *action, const char *object,
			  const char *outcome, const char *detail, struct ch_error *err)
{
	struct store_audit_entry entry = { 0 };

	entry.time = time_now();
	entry.actor_id = w->who->authenticated ? w->who->user_id : 0;
	entry.actor = w->who->authenticated ? w->who->user_name : "anonymous";
	entry.action = action;
	entry.object = object;
	entry.client = w->client ? w->client : "unknown";
	entry.outcome = outcome;
	entry.detail = detail ? detail : "";
	return store_audit_append(w->st, &entry, err);
}

/* Audits a refused or read-only action. Its reply does not depend on the
 * entry, so a failed write is logged rather than returned. */
static void audit_logged(const struct workflow *w, const char *action, const char *object,
			 const char *outcome, const char *detail)
{
	struct ch_error err = { 0 };

	if (audit(w, action, object, outcome, detail, &err) != CH_OK)
		log_error("-", "audit entry for %s %s was not written: %s", action, object,
			  err.message);
}

/* The audit object of a referral: its canonical number when key finds
 * one, so that every spelling of an id audits under one name, and the
 * key as given (shortened) otherwise. */
static void object_name(const struct workflow *w, const char *key, char *out, size_t cap)
{
	struct store_referral_view v;
	int64_t id;

	if (store_referral_find(w->st, key, &id, NULL) == CH_OK &&
	    store_referral_get(w->st, id, false, false, &v, NULL) == CH_OK) {
		snprintf(out, cap, "referral:%s", v.referral.ref);
		store_referral_view_free(&v);
		return;
	}
	snprintf(out, cap, "referral:%.40s", key);
}

static enum ch_code deny(const struct workflow *w, const char *action, const char *key,
			 const char *what, struct ch_error *err)
{
	char object[96];

	object_name(w, key, object, sizeof(object));
	audit_logged(w, action, object, "denied", "role is not le");
	return ch_fail(err, CH_DENIED, "only law-enforcement users may %s; your role is %s", what,
		       role_name(w->who->role));
}

/* Finds the referral and checks the caller may see it; a referral one may
 * not see is reported as missing, and the attempt is audited. */
static enum ch_code find_visible(const struct workflow *w, const char *key, const char *action,
				 int64_t *id, int64_t *reporter_id, struct ch_error *err)
{
	struct store_referral_view v;
	char object[96];
	enum ch_code rc;

	if (!w->who->authenticated)
		return ch_fail(err, CH_UNAUTHORIZED, "referrals need an API token");
	rc = store_referral_find(w->st, key, id, err);
	if (rc != CH_OK)
		return rc;
	rc = store_referral_get(w->st, *id, false, false, &v, err);
	if (rc != CH_OK)
		return rc;
	*reporter_id = v.referral.reporter_id;
	snprintf(object, sizeof(object), "referral:%s", v.referral.ref);
	store_referral_view_free(&v);
	if (workflow_is_le(w) || *reporter_id == w->who->user_id)
		return CH_OK;
	audit_logged(w, action, object, "denied", "not the reporter");
	return ch_fail(err, CH_NOT_FOUND, "referral %s not found", key);
}

/* Reads the referral back, as the caller sees it. */
static enum ch_code read_view(const struct workflow *w, int64_t id, bool with_thread,
			      struct store_referral_view *out, struct ch_error *err)
{
	enum ch_code rc = store_referral_get(w->st, id, with_thread, workflow_is_le(w), out, err);

	if (rc != CH_OK || workflow_is_le(w) || !with_thread)
		return rc;
	/* Reporters do not learn that internal replies exist. */
	size_t kept = 0;

	for (size_t i = 0; i < out->event_count; i++) {
		struct store_referral_event *e = &out->events[i];

		if (strcmp(e->action, "reply.internal") == 0) {
			free(e->actor);
			free(e->action);
			free(e->from_state);
			free(e->to_state);
			free(e->detail);
			continue;
		}
		out->events[kept++] = *e;
	}
	out->event_count = kept;
	return CH_OK;
}

/* Queues the notice, audits and commits; on failure rolls back. */
static enum ch_code change_end(const struct workflow *w, enum ch_code rc,
			       const struct notify_referral_change *change, const char *action,
			       const char *detail, int64_t now, struct ch_error *err)
{
	char object[96];

	if (rc == CH_OK && w->notify)
		rc = notify_referral(w->st, w->notify, change, now, err);
	if (rc == CH_OK) {
		snprintf(object, sizeof(object), "referral:%s", change->referral->ref);
		rc = audit(w, action, object, "ok", detail, err);
	}
	if (rc == CH_OK)
		rc = store_commit(w->st, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	if (w->queued && w->notify && w->notify->sink_count > 0)
		w->queued(w->queued_ctx);
	return CH_OK;
}

static enum ch_code check_reports(const struct workflow *w, const struct referral_input *in,
				  struct ch_error *err)
{
	for (size_t i = 0; i < in->report_count; i++) {
		struct store_report r;
		enum ch_code rc = store_report_get(w->st, in->report_ids[i], w->who, 0, &r, err);

		if (rc == CH_NOT_FOUND) {
			char field[32];

			snprintf(field, sizeof(field), "reports[%zu]", i);
			return ch_fail_field(err, CH_INVALID, field, "report %lld not found; link only "
								     "reports you can read",
					     (long long)in->report_ids[i]);
		}
		if (rc != CH_OK)
			return rc;
		store_report_free(&r);
	}
	return CH_OK;
}

enum ch_code workflow_referral_open(const struct workflow *w, const struct referral_input *in,
				    struct store_referral_view *out, struct ch_error *err)
{
	struct store_referral_new row = { 0 };
	struct notify_referral_change change = { 0 };
	int64_t now = time_now(), id;
	char ref[32];
	enum ch_code rc;

	if (!w->who->authenticated)
		return ch_fail(err, CH_UNAUTHORIZED, "opening a referral needs an API token");
	rc = check_reports(w, in, err);
	if (rc != CH_OK)
		return rc;

	row.reporter_id = w->who->user_id;
	row.reporter_handle = in->reporter_handle;
	row.org_id = w->who->org_id;
	row.tlp = in->tlp;
	row.summary = in->summary;
	row.details = in->details;
	row.incident_type = in->incident_type;
	row.objective = in->objective;
	row.illegal_reason = in->illegal_reason;
	row.victim_location = in->victim_location;
	row.suspect_location = in->suspect_location;
	row.suspect_info = in->suspect_info;
	row.documentation_available = in->documentation_available;
	row.documentation = in->documentation;
	row.contact_allowed = in->contact_allowed;
	row.contact_method = in->contact_method;
	row.created = now;
	row.report_ids = in->report_ids;
	row.report_count = in->report_count;
	row.indicators = &in->indicators;

	rc = store_begin(w->st, err);
	if (rc != CH_OK)
		return rc;
	rc = store_referral_create(w->st, &row, &id, ref, err);
	if (rc == CH_OK)
		rc = read_view(w, id, true, out, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	change.event = NOTIFY_REFERRAL_CREATED;
	change.referral = &out->referral;
	change.actor = w->who->user_name;
	rc = change_end(w, CH_OK, &change, "referral.create", in->incident_type, now, err);
	if (rc != CH_OK)
		store_referral_view_free(out);
	return rc;
}

enum ch_code workflow_referral_show(const struct workflow *w, const char *key,
				    struct store_referral_view *out, struct ch_error *err)
{
	int64_t id, reporter;
	char object[96];
	enum ch_code rc = find_visible(w, key, "referral.read", &id, &reporter, err);

	if (rc != CH_OK)
		return rc;
	rc = read_view(w, id, true, out, err);
	if (rc == CH_OK && access_read_is_audited(out->referral.tlp)) {
		snprintf(object, sizeof(object), "referral:%s", out->referral.ref);
		audit_logged(w, "referral.read", object, "ok", tlp_name(out->referral.tlp));
	}
	return rc;
}

enum ch_code workflow_referral_list(const struct workflow *w, struct store_referral_filter *filter,
				    bool mark_seen, struct store_referral_list *out,
				    struct ch_error *err)
{
	enum ch_code rc;

	if (!w->who->authenticated)
		return ch_fail(err, CH_UNAUTHORIZED, "listing referrals needs an API token");
	/* Everyone has a "last looked" mark; a member's covers their own
	 * referrals only. */
	filter->viewer_id = w->who->user_id;
	filter->reporter_id = workflow_is_le(w) ? 0 : w->who->user_id;
	rc = store_referral_list(w->st, filter, out, err);
	for (size_t i = 0; rc == CH_OK && i < out->count; i++) {
		char object[96];

		if (!access_read_is_audited(out->items[i].tlp))
			continue;
		snprintf(object, sizeof(object), "referral:%s", out->items[i].ref);
		audit_logged(w, "referral.read", object, "ok", "listed");
	}
	if (rc == CH_OK && mark_seen) {
		rc = store_referral_mark_seen(w->st, w->who->user_id, time_now(), err);
		if (rc != CH_OK)
			store_referral_list_free(out);
	}
	return rc;
}

enum ch_code workflow_require_le(const struct workflow *w, const char *key, const char *action,
				 const char *what, struct ch_error *err)
{
	if (!w->who->authenticated)
		return ch_fail(err, CH_UNAUTHORIZED, "this action needs an API token");
	if (!workflow_is_le(w))
		return deny(w, action, key, what, err);
	return CH_OK;
}

/* The start of every LE action: role, referral, transaction. */
static enum ch_code change_begin(const struct workflow *w, const char *key, const char *action,
				 const char *what, int64_t *id, struct ch_error *err)
{
	int64_t reporter;
	enum ch_code rc;

	rc = workflow_require_le(w, key, action, what, err);
	if (rc == CH_OK)
		rc = find_visible(w, key, action, id, &reporter, err);
	if (rc == CH_OK)
		rc = store_begin(w->st, err);
	return rc;
}

static enum ch_code state_of(const struct workflow *w, int64_t id, char *state, size_t cap,
			     struct ch_error *err)
{
	struct store_referral_view v;
	enum ch_code rc = store_referral_get(w->st, id, false, false, &v, err);

	if (rc == CH_OK)
		snprintf(state, cap, "%s", v.referral.state);
	store_referral_view_free(&v);
	return rc;
}

enum ch_code workflow_referral_reply(const struct workflow *w, const char *key, const char *body,
				     bool internal, struct store_referral_view *out,
				     struct ch_error *err)
{
	struct notify_referral_change change = { 0 };
	int64_t id, reply_id, now = time_now();
	enum ch_code rc;

	rc = change_begin(w, key, "referral.reply", "reply to referrals", &id, err);
	if (rc != CH_OK)
		return rc;
	rc = store_referral_reply_add(w->st, id, w->who->user_id, body, internal, now, &reply_id,
				      err);
	if (rc == CH_OK)
		rc = read_view(w, id, true, out, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	change.event = NOTIFY_REFERRAL_REPLY;
	change.referral = &out->referral;
	change.actor = w->who->user_name;
	change.reply_body = body;
	change.reply_internal = internal;
	rc = change_end(w, CH_OK, &change, "referral.reply", internal ? "internal" : "public", now,
			err);
	if (rc != CH_OK)
		store_referral_view_free(out);
	return rc;
}

/* Runs a state change that the caller checked, then the common tail. */
static enum ch_code finish_state(const struct workflow *w, int64_t id, const char *action,
				 const char *from, const char *to, const char *detail,
				 const char *audit_detail, int64_t now,
				 struct store_referral_view *out, struct ch_error *err)
{
	struct notify_referral_change change = { 0 };
	char audit_action[48];
	enum ch_code rc = read_view(w, id, true, out, err);

	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	change.event = NOTIFY_REFERRAL_STATE;
	change.referral = &out->referral;
	change.actor = w->who->user_name;
	change.action = action;
	change.from_state = from;
	change.to_state = to;
	change.detail = detail;
	snprintf(audit_action, sizeof(audit_action), "referral.%s", action);
	/* The audit entry names the change, never its free text: a close
	 * note or a reopen reason belongs to the referral and its TLP. */
	rc = change_end(w, CH_OK, &change, audit_action, audit_detail, now, err);
	if (rc != CH_OK)
		store_referral_view_free(out);
	return rc;
}

/* Ends the transaction of a refused change and passes its code on. */
static enum ch_code abandon(const struct workflow *w, enum ch_code rc)
{
	store_rollback(w->st);
	return rc;
}

enum ch_code workflow_referral_assign(const struct workflow *w, const char *key,
				      const char *officer, const char *agency,
				      struct store_referral_view *out, struct ch_error *err)
{
	struct store_user user = { 0 };
	char from[32], detail[320];
	int64_t id, now = time_now();
	enum ch_code rc;

	if (!officer && !agency)
		return ch_fail_field(err, CH_INVALID, "officer", "name an officer, an agency or both");
	if (agency && referral_check_note("agency", agency, true, err) != CH_OK)
		return CH_INVALID;
	rc = change_begin(w, key, "referral.assign", "assign referrals", &id, err);
	if (rc != CH_OK)
		return rc;
	if (officer) {
		rc = store_user_find(w->st, officer, &user, err);
		if (rc == CH_NOT_FOUND || (rc == CH_OK && user.role != ROLE_LE)) {
			store_user_free(&user);
			store_rollback(w->st);
			return ch_fail_field(err, CH_INVALID, "officer", "officer '%s' is not a "
									 "law-enforcement user; "
									 "check the name",
					     officer);
		}
		if (rc != CH_OK) {
			store_rollback(w->st);
			return rc;
		}
	}
	rc = state_of(w, id, from, sizeof(from), err);
	if (rc == CH_OK && strcmp(from, "closed") == 0) {
		store_user_free(&user);
		return abandon(w, ch_fail(err, CH_CONFLICT, "referral %s is %s; reopen it before assigning it", key, from));
	}
	if (officer && agency)
		snprintf(detail, sizeof(detail), "officer %s, agency %s", user.name, agency);
	else if (officer)
		snprintf(detail, sizeof(detail), "officer %s", user.name);
	else
		snprintf(detail, sizeof(detail), "agency %s", agency);
	if (rc == CH_OK)
		rc = store_referral_assign(w->st, id, w->who->user_id, officer ? user.id : 0, agency,
					   detail, now, err);
	store_user_free(&user);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	return finish_state(w, id, "assign", from,
			    strcmp(from, "new") == 0 ? "acknowledged" : from, detail,
			    officer ? officer : "agency only", now, out, err);
}

enum ch_code workflow_referral_set_state(const struct workflow *w, const char *key,
					 const char *state, struct store_referral_view *out,
					 struct ch_error *err)
{
	char from[32];
	int64_t id, now = time_now();
	enum ch_code rc;

	if (strcmp(state, "acknowledged") != 0 && strcmp(state, "in_progress") != 0)
		return ch_fail_field(err, CH_INVALID, "state", "state \"%s\" cannot be set here; use "
							       "acknowledged or in_progress, and "
							       "close or reopen for the rest",
				     state);
	rc = change_begin(w, key, "referral.state", "change the state of referrals", &id, err);
	if (rc != CH_OK)
		return rc;
	rc = state_of(w, id, from, sizeof(from), err);
	if (rc == CH_OK && strcmp(from, "closed") == 0)
		return abandon(w, ch_fail(err, CH_CONFLICT, "referral %s is %s; reopen it first", key, from));
	if (rc == CH_OK && strcmp(from, state) == 0)
		return abandon(w, ch_fail(err, CH_CONFLICT, "referral %s is %s already", key, from));
	if (rc == CH_OK)
		rc = store_referral_set_state(w->st, id, w->who->user_id, state, NULL, "state", NULL,
					      now, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	return finish_state(w, id, "state", from, state, NULL, state, now, out, err);
}

enum ch_code workflow_referral_close(const struct workflow *w, const char *key,
				     const char *resolution, const char *note,
				     struct store_referral_view *out, struct ch_error *err)
{
	const char *res = resolution ? referral_choice_find(referral_resolutions, resolution) : NULL;
	char from[32], detail[REFERRAL_NOTE_MAX + 64];
	int64_t id, now = time_now();
	enum ch_code rc;

	if (!res)
		return ch_fail_field(err, CH_INVALID, "resolution",
				     "resolution \"%s\" is not valid; use one of: actioned, "
				     "referred, no_action, duplicate",
				     resolution ? resolution : "");
	if (note && strlen(note) > REFERRAL_NOTE_MAX)
		return ch_fail_field(err, CH_INVALID, "note", "note is longer than %d bytes; "
							      "shorten it or send it as a reply",
				     REFERRAL_NOTE_MAX);
	if (note && referral_check_note("note", note, false, err) != CH_OK)
		return CH_INVALID;
	rc = change_begin(w, key, "referral.close", "close referrals", &id, err);
	if (rc != CH_OK)
		return rc;
	rc = state_of(w, id, from, sizeof(from), err);
	if (rc == CH_OK && strcmp(from, "closed") == 0)
		return abandon(w, ch_fail(err, CH_CONFLICT, "referral %s is %s already", key, from));
	snprintf(detail, sizeof(detail), "%s%s%s", res, note && *note ? ": " : "",
		 note ? note : "");
	if (rc == CH_OK)
		rc = store_referral_set_state(w->st, id, w->who->user_id, "closed", res, "close",
					      detail, now, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	return finish_state(w, id, "close", from, "closed", detail, res, now, out, err);
}

enum ch_code workflow_referral_reopen(const struct workflow *w, const char *key,
				      const char *reason, struct store_referral_view *out,
				      struct ch_error *err)
{
	char from[32];
	int64_t id, now = time_now();
	enum ch_code rc;

	if (reason && strlen(reason) > REFERRAL_NOTE_MAX)
		return ch_fail_field(err, CH_INVALID, "reason", "reason is longer than %d bytes; "
								"shorten it",
				     REFERRAL_NOTE_MAX);
	if (reason && referral_check_note("reason", reason, false, err) != CH_OK)
		return CH_INVALID;
	rc = change_begin(w, key, "referral.reopen", "reopen referrals", &id, err);
	if (rc != CH_OK)
		return rc;
	rc = state_of(w, id, from, sizeof(from), err);
	if (rc == CH_OK && strcmp(from, "closed") != 0)
		return abandon(w, ch_fail(err, CH_CONFLICT, "referral %s is %s, not closed; only closed referrals "
					"can be reopened", key, from));
	if (rc == CH_OK)
		rc = store_referral_set_state(w->st, id, w->who->user_id, "in_progress", NULL,
					      "reopen", reason, now, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	return finish_state(w, id, "reopen", from, "in_progress", reason, NULL, now, out, err);
}

static enum ch_code check_attachment(const char *name, const char *content_type, size_t size,
				     struct ch_error *err)
{
	size_t len;
	enum ch_code rc = referral_check_file_name(name, err);

	if (rc != CH_OK)
		return rc;
	len = strlen(content_type);
	if (len == 0 || len > 100)
		return ch_fail_field(err, CH_INVALID, "content_type", "content type must be 1 to "
								      "100 characters");
	for (const char *p = content_type; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("!#$&^_.+-/;= ", *p))
			return ch_fail_field(err, CH_INVALID, "content_type", "content type '%s' is "
									      "not valid; use a "
									      "type such as "
									      "application/pdf",
					     content_type);
	}
	if (size == 0)
		return ch_fail_field(err, CH_INVALID, "body", "the attachment is empty; send the "
							      "file's bytes as the request body");
	if (size > REFERRAL_ATTACHMENT_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, "body", "the attachment is %zu bytes, more "
								"than the %zu allowed",
				     size, REFERRAL_ATTACHMENT_MAX);
	return CH_OK;
}

enum ch_code workflow_referral_attach(const struct workflow *w, const char *key,
				      const char *name, const char *content_type,
				      const void *data, size_t size,
				      struct store_referral_attachment *out, struct ch_error *err)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[65], object[96];
	int64_t id, reporter, aid, now = time_now();
	void *copy = NULL;
	enum ch_code rc;

	rc = check_attachment(name, content_type, size, err);
	if (rc == CH_OK)
		rc = find_visible(w, key, "referral.attach", &id, &reporter, err);
	if (rc != CH_OK)
		return rc;
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));

	rc = store_begin(w->st, err);
	if (rc == CH_OK)
		rc = store_referral_attachment_add(w->st, id, w->who->user_id, name, content_type,
						   data, size, hex, now, &aid, err);
	if (rc == CH_OK) {
		char detail[160];

		object_name(w, key, object, sizeof(object));
		snprintf(detail, sizeof(detail), "attachment %lld sha256 %s",
			 (long long)aid, hex);
		rc = audit(w, "referral.attach", object, "ok", detail, err);
	}
	if (rc == CH_OK)
		rc = store_commit(w->st, err);
	if (rc != CH_OK) {
		store_rollback(w->st);
		return rc;
	}
	rc = store_referral_attachment_get(w->st, id, aid, out, &copy, err);
	free(copy);
	return rc;
}

enum ch_code workflow_referral_attachment(const struct workflow *w, const char *key,
					  int64_t attachment_id,
					  struct store_referral_attachment *meta, void **data,
					  struct ch_error *err)
{
	int64_t id, reporter;
	enum ch_code rc = find_visible(w, key, "referral.attachment.read", &id, &reporter, err);

	if (rc != CH_OK)
		return rc;
	return store_referral_attachment_get(w->st, id, attachment_id, meta, data, err);
}
