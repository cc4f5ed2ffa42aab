/*
 * Submitting a filled form: the values (strings from a Slack modal or the
 * text form, strings and booleans from a Mattermost dialog) become the
 * JSON body of the API, which report_validate or referral_validate
 * checks. A report is stored through workflow_report_save and a referral
 * through workflow_referral_open, as the caller's principal, exactly as
 * POST /api/v1/reports and POST /api/v1/referrals do.
 *
 * Every reply is ephemeral: it may name the TLP and the indicators' notes
 * of what was sent, which must not reach a channel whose ceiling is lower.
 * On any failure reply->field_errors is set, keyed by a field of the form
 * (the one at fault, or the main or first field when the failure belongs
 * to none), so a modal can show it and the caller can tell success from
 * failure.
 *
 * A submission with a single-use key (chat_form_submit_once) records the
 * key in chat_events between validation and storing.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat/forms.h"
#include "model/referral.h"
#include "model/report.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "workflow/referrals.h"
#include "workflow/reports.h"

/* Notes of the validators shown in a reply; the rest are counted. */
#define NOTES_SHOWN 5
/* Maximum length of a chat user name copied into reporter_handle, in bytes. */
#define HANDLE_NAME_MAX 100

static bool parse_bool(const char *text, bool *value)
{
	static const char *const yes[] = { "yes", "y", "true", "1", "on" };
	static const char *const no[] = { "no", "n", "false", "0", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return true;
		}
	}
	return false;
}

/* Splits "T1566, T1566.001" (commas, spaces or new lines) into an array. */
static json_t *split_list(const char *text)
{
	json_t *items = json_array();
	const char *p = text;

	while (*p) {
		size_t n = 0;

		while (*p && (*p == ',' || isspace((unsigned char)*p)))
			p++;
		while (p[n] && p[n] != ',' && !isspace((unsigned char)p[n]))
			n++;
		if (n > 0)
			json_array_append_new(items, json_stringn(p, n));
		p += n;
	}
	return items;
}

static bool blank(const char *text)
{
	while (*text && isspace((unsigned char)*text))
		text++;
	return *text == '\0';
}

/* Converts one submitted value for the body; *out stays NULL for an
 * empty value, which the body leaves out. */
static enum ch_code convert_value(const struct chat_field *field, const json_t *value,
				  json_t **out, struct ch_error *err)
{
	const char *text = json_string_value(value);
	const char *option;
	bool flag;

	*out = NULL;
	if (field->type == CHAT_FIELD_BOOL && json_is_boolean(value)) {
		*out = json_boolean(json_is_true(value));
		return CH_OK;
	}
	if (!text)
		return ch_fail_field(err, CH_INVALID, field->name, "%s must be text", field->name);
	if (blank(text))
		return CH_OK;

	switch (field->type) {
	case CHAT_FIELD_BOOL:
		if (!parse_bool(text, &flag))
			return ch_fail_field(err, CH_INVALID, field->name, "%s must be yes or no, "
									   "not \"%s\"",
					     field->name, text);
		*out = json_boolean(flag);
		return CH_OK;
	case CHAT_FIELD_SELECT:
		/* A label such as "Initial Access" becomes its value; anything
		 * else goes to the validator, whose message lists the choices. */
		option = chat_field_option(field, text);
		*out = json_string(option ? option : text);
		return CH_OK;
	case CHAT_FIELD_TEXT:
	case CHAT_FIELD_TEXTAREA:
		break;
	}
	*out = field->list ? split_list(text) : json_string(text);
	return CH_OK;
}

enum ch_code chat_form_check_keys(const struct chat_form_def *form, const json_t *values,
				  struct ch_error *err)
{
	const char *key;
	json_t *value;
	struct buf fields;
	enum ch_code rc;

	json_object_foreach((json_t *)values, key, value) {
		(void)value;
		if (chat_form_field(form, key))
			continue;

		buf_init(&fields, 1024);
		for (size_t i = 0; i < form->field_count; i++)
			buf_printf(&fields, "%s%s", i ? ", " : "", form->fields[i].name);
		rc = ch_fail_field(err, CH_INVALID, key, "unknown field \"%s\" in the %s form; the "
							 "fields are: %s",
				   key, form->kind, fields.data ? fields.data : "");
		buf_free(&fields);
		return rc;
	}
	return CH_OK;
}

/* Builds the API body of a form from its values. Keys that are not
 * fields of the form are ignored here, because the text form parser and
 * chat_form_check_keys reject them. */
static enum ch_code build_body(const struct chat_form_def *form, const json_t *values,
			       json_t **body, struct ch_error *err)
{
	json_t *out = json_object();

	for (size_t i = 0; i < form->field_count; i++) {
		const struct chat_field *field = &form->fields[i];
		const json_t *value = json_object_get(values, field->name);
		json_t *converted;
		enum ch_code rc;

		if (!value || json_is_null(value))
			continue;
		rc = convert_value(field, value, &converted, err);
		if (rc != CH_OK) {
			json_decref(out);
			return rc;
		}
		if (converted)
			json_object_set_new(out, field->name, converted);
	}
	*body = out;
	return CH_OK;
}

/* Sets "slack:alice", or the user id in place of a name that is missing,
 * too long or contains control characters. */
static void set_reporter_handle(const struct chat_context *ctx, json_t *body)
{
	const char *name = ctx->chat_user_name;
	char handle[HANDLE_NAME_MAX + 32];

	for (const char *p = name; p && *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			name = NULL;
	}
	if (!name || !*name || strlen(name) > HANDLE_NAME_MAX)
		name = ctx->chat_user;
	if (!name || !ctx->ws)
		return;
	snprintf(handle, sizeof(handle), "%s:%s", chat_platform_name(ctx->ws->platform), name);
	json_object_set_new(body, "reporter_handle", json_string(handle));
}

static void append_notes(struct buf *text, const json_t *notes)
{
	size_t count = json_array_size(notes);

	for (size_t i = 0; i < count && i < NOTES_SHOWN; i++)
		buf_printf(text, "\nNote: %s", json_string_value(json_array_get(notes, i)));
	if (count > NOTES_SHOWN)
		buf_printf(text, "\n%zu more notes are not shown.", count - NOTES_SHOWN);
}

static void audit_report(const struct chat_context *ctx, const struct principal *who, int64_t id,
			 const char *kind)
{
	struct store_audit_entry entry = { 0 };
	struct ch_error err = { 0 };
	char object[64];
	char detail[64];

	snprintf(object, sizeof(object), "report:%lld", (long long)id);
	snprintf(detail, sizeof(detail), "%s, from %s", kind,
		 ctx->ws ? chat_platform_name(ctx->ws->platform) : "chat");
	entry.time = time_now();
	entry.actor_id = who->user_id;
	entry.actor = who->user_name;
	entry.action = "report.create";
	entry.object = object;
	entry.client = ctx->client ? ctx->client : "chat";
	entry.outcome = "ok";
	entry.detail = detail;
	if (store_audit_append(ctx->st, &entry, &err) != CH_OK)
		log_error(ctx->request_id, "audit entry for report.create %s was not written: %s",
			  object, err.message);
}

/* Records the submission's single-use key, if it has one. CH_CONFLICT
 * with *replayed set when the key was recorded before. */
static enum ch_code claim_once(const struct chat_context *ctx, const struct chat_form_once *once,
			       bool *replayed, struct ch_error *err)
{
	bool fresh = false;
	enum ch_code rc;

	if (!once)
		return CH_OK;
	rc = store_chat_event_claim(ctx->st, once->platform, ctx->ws ? ctx->ws->id : "", once->key,
				    time_now(), &fresh, err);
	if (rc == CH_OK && !fresh) {
		*replayed = true;
		rc = ch_fail(err, CH_CONFLICT, "this form was submitted already; open it again");
	}
	return rc;
}

static enum ch_code submit_report(const struct chat_context *ctx, const json_t *body,
				  const struct principal *who, const struct chat_form_once *once,
				  bool *replayed, struct chat_reply *reply, struct ch_error *err)
{
	struct workflow_catalogue catalogue;
	struct report_context rctx = { 0 };
	struct report_input in = { 0 };
	int64_t id = 0;
	enum ch_code rc;

	workflow_report_context(&catalogue, ctx->st, ctx->warnlists, &rctx);
	rc = report_validate(body, &rctx, &in, err);
	if (rc == CH_OK && catalogue.failed)
		rc = ch_fail(err, CH_DB, "the ATT&CK catalogue could not be read");
	/* NOTE: workflow_report_save runs its own transaction, so the key is
	 * recorded just before it, and a save that fails uses the key up. */
	if (rc == CH_OK)
		rc = claim_once(ctx, once, replayed, err);
	if (rc == CH_OK)
		rc = workflow_report_save(ctx->st, &in, who, &id, err);
	if (rc != CH_OK)
		goto out;

	audit_report(ctx, who, id, report_kind_name(in.kind));
	buf_printf(&reply->text, "Created report %lld (%s, TLP:%s).", (long long)id,
		   report_kind_name(in.kind), tlp_name(in.tlp));
	if (ctx->public_url)
		buf_printf(&reply->text, "\n%s/api/v1/reports/%lld", ctx->public_url, (long long)id);
	append_notes(&reply->text, in.notes);

out:
	report_input_free(&in);
	return rc;
}

static enum ch_code submit_referral(const struct chat_context *ctx, const json_t *body,
				    const struct principal *who, const struct chat_form_once *once,
				    bool *replayed, struct chat_reply *reply, struct ch_error *err)
{
	struct referral_input in = { 0 };
	struct store_referral_view view = { 0 };
	struct workflow w = { 0 };
	enum ch_code rc;

	w.st = ctx->st;
	w.notify = ctx->notify;
	w.who = who;
	w.client = ctx->client ? ctx->client : "chat";
	w.queued = ctx->queued;
	w.queued_ctx = ctx->queued_ctx;

	rc = referral_validate(body, ctx->warnlists, &in, err);
	/* As for reports, workflow_referral_open runs its own transaction. */
	if (rc == CH_OK)
		rc = claim_once(ctx, once, replayed, err);
	if (rc == CH_OK)
		rc = workflow_referral_open(&w, &in, &view, err);
	if (rc != CH_OK)
		goto out;

	buf_printf(&reply->text, "Opened referral %s (TLP:%s); law enforcement sees it in its "
				 "queue.",
		   view.referral.ref, tlp_name(view.referral.tlp));
	if (ctx->public_url)
		buf_printf(&reply->text, "\n%s/api/v1/referrals/%s", ctx->public_url,
			   view.referral.ref);
	append_notes(&reply->text, in.notes);
	store_referral_view_free(&view);

out:
	referral_input_free(&in);
	return rc;
}

/* The form field an error belongs to: err->field without its index or
 * sub-field ("indicators[3]" is indicators), or the main or first field
 * when the error names no field of the form. */
static const char *error_field(const struct chat_form_def *form, const struct ch_error *err)
{
	char name[CH_ERROR_FIELD_MAX];
	const struct chat_field *field;

	snprintf(name, sizeof(name), "%s", err->field);
	name[strcspn(name, "[.")] = '\0';
	field = chat_form_field(form, name);
	if (!field)
		field = chat_form_field(form, form->main_field);
	if (!field)
		field = &form->fields[0];
	return field->name;
}

static void reply_failure(const struct chat_form_def *form, const struct ch_error *err,
			  struct chat_reply *reply)
{
	const char *message = err->message[0] ? err->message : ch_code_name(err->code);

	buf_reset(&reply->text);
	buf_printf(&reply->text, "Nothing was created: %s", message);
	json_decref(reply->field_errors);
	reply->field_errors = json_pack("{s:s}", error_field(form, err), message);
}

/* Runs a submission. *replayed is set, and the reply left without a
 * failure, when once was recorded before. */
static void submit_form(const struct chat_context *ctx, const struct chat_form_def *form,
			const json_t *values, const struct chat_form_once *once, bool *replayed,
			struct chat_reply *reply, struct ch_error *err_out)
{
	struct ch_error err = { 0 };
	struct principal who;
	bool linked = false;
	bool referral = strcmp(form->kind, "referral") == 0;
	json_t *body = NULL;
	enum ch_code rc;

	reply->ephemeral = true;
	rc = chat_principal(ctx, &who, &linked, &err);
	if (rc == CH_OK)
		rc = build_body(form, values, &body, &err);
	if (rc == CH_OK && referral)
		set_reporter_handle(ctx, body);
	else if (rc == CH_OK)
		json_object_set_new(body, "kind", json_string(form->kind));

	if (rc == CH_OK && referral)
		rc = submit_referral(ctx, body, &who, once, replayed, reply, &err);
	else if (rc == CH_OK)
		rc = submit_report(ctx, body, &who, once, replayed, reply, &err);

	if (rc != CH_OK && *replayed) {
		*err_out = err;
	} else if (rc != CH_OK) {
		if (rc == CH_DB || rc == CH_INTERNAL)
			log_error(ctx->request_id, "the %s form of chat user %s was not stored: %s",
				  form->kind, ctx->chat_user ? ctx->chat_user : "-", err.message);
		reply_failure(form, &err, reply);
	}
	json_decref(body);
}

void chat_form_submit(const struct chat_context *ctx, const struct chat_form_def *form,
		      const json_t *values, struct chat_reply *reply)
{
	struct ch_error err = { 0 };
	bool replayed = false;

	submit_form(ctx, form, values, NULL, &replayed, reply, &err);
}

enum ch_code chat_form_submit_once(const struct chat_context *ctx,
				   const struct chat_form_def *form, const json_t *values,
				   const struct chat_form_once *once, struct chat_reply *reply,
				   struct ch_error *err)
{
	bool replayed = false;

	assert(once);
	assert(once->platform);
	assert(once->key);
	submit_form(ctx, form, values, once, &replayed, reply, err);
	return replayed ? CH_CONFLICT : CH_OK;
}
