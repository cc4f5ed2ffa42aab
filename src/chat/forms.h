/*
 * The forms of the chat bridge: one definition per form, rendered as a
 * Slack modal (views.open) or a Mattermost interactive dialog, and filled
 * in three ways that all end in chat_form_submit: a modal's
 * view_submission, a dialog's submission, or the text form of a slash
 * command ("/ioc indicator: hxxp://evil[.]com; purpose: blocking").
 *
 * A form's field names are the JSON field names of the API body it
 * builds (report kinds of model/report.h, or the referral of
 * model/referral.h), so validation and its error messages are shared.
 */
#ifndef CTIHUB_CHAT_FORMS_H
#define CTIHUB_CHAT_FORMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "chat/chat.h"

enum chat_form {
	CHAT_FORM_LENEW = 0, /* a referral */
	CHAT_FORM_IOC,       /* report kind ioc */
	CHAT_FORM_ATTACK,    /* report kind attack */
	CHAT_FORM_VULN,      /* report kind vuln */
	CHAT_FORM_HUNT,      /* report kind hunting */
	CHAT_FORM_COUNT
};

enum chat_field_type {
	CHAT_FIELD_TEXT = 0,  /* one line */
	CHAT_FIELD_TEXTAREA,  /* several lines */
	CHAT_FIELD_SELECT,    /* one of options */
	CHAT_FIELD_BOOL,      /* a yes/no select; the body gets true or false */
};

struct chat_field {
	const char *name;     /* JSON field of the body, and the form element id */
	const char *label;
	enum chat_field_type type;
	bool required;
	const char *const *options; /* CHAT_FIELD_SELECT: values, NULL-terminated */
	/* CHAT_FIELD_SELECT: the text shown for each option, in the order of
	 * options; NULL shows the values themselves. */
	const char *const *option_labels;
	const char *hint;     /* placeholder or help text, may be NULL */
	size_t max_length;    /* characters; 0 for the platform's maximum */
	bool list;            /* the body gets an array of the comma-separated items */
};

struct chat_form_def {
	enum chat_form id;
	const char *callback_id; /* "ctihub.lenew", ... */
	const char *title;       /* at most 24 characters (Slack's modal title limit) */
	const char *kind;        /* report kind, or "referral" */
	const struct chat_field *fields;
	size_t field_count;
	/* Field that a text form without "key: value" pairs fills, such as
	 * "indicators" for /ioc; NULL when none. */
	const char *main_field;
};

const struct chat_form_def *chat_form_get(enum chat_form form);
/* Finds the form of a callback id; NULL when unknown. */
const struct chat_form_def *chat_form_by_callback(const char *callback_id);

/* The field of form with this JSON name; NULL when it has none. */
const struct chat_field *chat_form_field(const struct chat_form_def *form, const char *name);

/* The option of a select or bool field that text names: its value or
 * its label, ignoring case, spaces, underscores and hyphens. NULL when
 * none matches. */
const char *chat_field_option(const struct chat_field *field, const char *text);

/* Parses a command's text form, "key: value; key: value", into an object
 * of field name -> string. Keys match field names or labels, ignoring
 * case, spaces and underscores. Text without pairs fills main_field.
 * CH_INVALID names an unknown key and lists the known ones. */
enum ch_code chat_form_parse_text(const struct chat_form_def *form, const char *text,
				  json_t **values, struct ch_error *err);

/* Validates and stores a filled form (values: field name -> string, as a
 * modal, a dialog or chat_form_parse_text gives them) as the caller's
 * principal. On success the reply says what was created; on invalid input
 * reply->field_errors maps the field at fault to the message, and the
 * reply text repeats it for front ends without per-field errors. */
void chat_form_submit(const struct chat_context *ctx, const struct chat_form_def *form,
		      const json_t *values, struct chat_reply *reply);

/* Rejects a key of values that is not a field of form: CH_INVALID with
 * the key in err->field and the form's fields in the message. A modal or
 * a dialog sends only its own fields, so such a key comes from a forged
 * request or a form that changed since it was opened. */
enum ch_code chat_form_check_keys(const struct chat_form_def *form, const json_t *values,
				  struct ch_error *err);

/* A single-use key of a submission, such as a Mattermost dialog's nonce.
 * It is recorded as the chat_events row (platform, the context's
 * workspace, key). */
struct chat_form_once {
	const char *platform;    /* such as "mattermost-dialog" */
	const char *key;
};

/* Submits as chat_form_submit does, and records once after the values
 * are validated and just before they are stored. Invalid values leave the
 * key unused, so the user can correct them and submit again, but a
 * failure to store after the key was recorded uses it up. Returns
 * CH_CONFLICT, with the reason in err and no reply, when the key was
 * recorded before. Otherwise returns CH_OK with the reply of
 * chat_form_submit, which may carry field errors. */
enum ch_code chat_form_submit_once(const struct chat_context *ctx,
				   const struct chat_form_def *form, const json_t *values,
				   const struct chat_form_once *once, struct chat_reply *reply,
				   struct ch_error *err);

/* The Slack modal (a view object for views.open) and the Mattermost
 * dialog (the "dialog" object for dialogs/open) of a form. */
json_t *chat_form_slack_view(const struct chat_form_def *form);
json_t *chat_form_mattermost_dialog(const struct chat_form_def *form);

#endif
