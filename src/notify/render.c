/*
 * Renders referral notices and queues them in the outbox, one row per
 * subscribed sink. The payload is stored as the sink will receive it:
 * webhook JSON, a Slack Block Kit message or a Mattermost incoming-webhook
 * message. Email is stored as JSON with a subject and a plain-text body,
 * and the delivery step wraps it in an RFC 5322 message.
 *
 * TLP: details (summary, type, objective, locations, people, a reply's
 * text, a resolution) go only to a sink whose tlp_max is at or above the
 * referral's TLP, and never to a chat channel above AMBER. Otherwise the
 * notice names the referral number and links to it, nothing more. The
 * text of an LE-internal reply is never rendered at all. Each outbox row
 * records the TLP and whether details were rendered, and delivery checks
 * them again against the sink's settings at that time.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timeutil.h"

/* Maximum bytes copied from one field. Longer text is cut at a character
 * boundary and ends in "...". The Slack limits are 150
 * characters for a header, 2000 for a field and 3000 for a section. */
#define SHORT_TEXT_MAX 300
#define LONG_TEXT_MAX 2000
#define HEADER_TEXT_MAX 150

/* "ctihub-" and 32 hex digits of a random 128-bit value. */
#define KEY_PREFIX "ctihub-"
#define KEY_RANDOM_BYTES 16
#define KEY_MAX (sizeof(KEY_PREFIX) + 2 * KEY_RANDOM_BYTES)

#define LINK_MAX 1024

/* A labelled detail of a referral, shared by every renderer. */
struct fact {
	const char *label; /* "Incident type" */
	const char *key;   /* "incident_type" */
	const char *value; /* NULL when absent */
};

#define FACT_MAX 8

/* The facts every renderer needs: the event, whether details may go to
 * this sink, the title line and the link. */
struct notice {
	const struct notify_referral_change *change;
	const struct store_referral *referral;
	const char *event;
	const char *key;
	bool details;
	bool reply_shown;  /* the reply's text goes out */
	char title[256];
	char link[LINK_MAX];
	char created[TIME_ISO_MAX];
	char now[TIME_ISO_MAX];
	struct fact facts[FACT_MAX];
	size_t fact_count;
};

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static bool present(const char *s)
{
	return s && *s;
}

/* Copies text, cut to at most max bytes at a UTF-8 character boundary
 * and marked with "..." when cut. */
char *notify_clip(const char *text, size_t max)
{
	size_t len = strlen(text);
	char *out;

	if (len <= max)
		return xstrdup(text);
	len = max - 3;
	/* Step back over continuation bytes (10xxxxxx) to a character start. */
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	out = xmalloc(len + 4);
	memcpy(out, text, len);
	memcpy(out + len, "...", 4);
	return out;
}

/* Sets key to a clipped copy of text; nothing when text is absent. */
static void set_text(json_t *obj, const char *key, const char *text, size_t max)
{
	char *copy;
	json_t *value;

	if (!present(text))
		return;
	copy = notify_clip(text, max);
	value = json_string(copy);
	free(copy);
	/* The store keeps valid UTF-8; anything else is left out, not sent. */
	if (value)
		json_object_set_new(obj, key, value);
}

static void add_fact(struct notice *n, const char *label, const char *key, const char *value)
{
	if (present(value) && n->fact_count < FACT_MAX)
		n->facts[n->fact_count++] = (struct fact){ label, key, value };
}

static void make_title(struct notice *n)
{
	const struct notify_referral_change *c = n->change;
	const char *ref = n->referral->ref;

	switch (c->event) {
	case NOTIFY_REFERRAL_CREATED:
		snprintf(n->title, sizeof(n->title), "New referral %s", ref);
		break;
	case NOTIFY_REFERRAL_REPLY:
		snprintf(n->title, sizeof(n->title), "New %sreply on referral %s",
			 c->reply_internal ? "internal " : "", ref);
		break;
	case NOTIFY_REFERRAL_STATE:
		if (present(c->to_state))
			snprintf(n->title, sizeof(n->title), "Referral %s: %.32s, now %.32s", ref,
				 or_empty(c->action), c->to_state);
		else
			snprintf(n->title, sizeof(n->title), "Referral %s: %.32s", ref,
				 or_empty(c->action));
		break;
	}
}

bool notify_details_allowed(const struct notify_sink *sink, enum tlp_level tlp)
{
	bool chat = sink->type == SINK_SLACK || sink->type == SINK_MATTERMOST;

	return tlp <= sink->tlp_max && !(chat && tlp > TLP_AMBER);
}

static void make_notice(const struct notify_config *cfg, const struct notify_sink *sink,
			const struct notify_referral_change *c, const char *key, int64_t now,
			struct notice *n)
{
	const struct store_referral *r = c->referral;

	memset(n, 0, sizeof(*n));
	n->change = c;
	n->referral = r;
	n->event = notify_event_name(c->event);
	n->key = key;
	n->details = notify_details_allowed(sink, r->tlp);
	n->reply_shown = n->details && c->event == NOTIFY_REFERRAL_REPLY && !c->reply_internal &&
			 present(c->reply_body);
	make_title(n);
	snprintf(n->link, sizeof(n->link), "%s/api/v1/referrals/%s", cfg->public_url, r->ref);
	time_format_iso(r->created, n->created, sizeof(n->created));
	time_format_iso(now, n->now, sizeof(n->now));

	add_fact(n, "Incident type", "incident_type", r->incident_type);
	add_fact(n, "Objective", "objective", r->objective);
	add_fact(n, "Victim location", "victim_location", r->victim_location);
	add_fact(n, "Suspect location", "suspect_location", r->suspect_location);
	add_fact(n, "Organisation", "org", r->org);
	add_fact(n, "Reporter", "reporter", r->reporter);
	add_fact(n, "Assignee", "assignee", r->assignee);
	add_fact(n, "Agency", "assignee_agency", r->assignee_agency);
}

/* The one line a sink gets when the details are withheld. */
static void minimal_text(const struct notice *n, struct buf *out)
{
	buf_printf(out, "%s, open it in ctihub: %s", n->title, n->link);
}

/* ---- Generic webhook ------------------------------------------------------ */

static json_t *webhook_change(const struct notice *n)
{
	const struct notify_referral_change *c = n->change;
	json_t *change = json_object();

	if (c->event == NOTIFY_REFERRAL_REPLY) {
		json_object_set_new(change, "internal", json_boolean(c->reply_internal));
		if (n->reply_shown)
			set_text(change, "body", c->reply_body, LONG_TEXT_MAX);
	} else if (c->event == NOTIFY_REFERRAL_STATE) {
		set_text(change, "action", c->action, SHORT_TEXT_MAX);
		set_text(change, "from_state", c->from_state, SHORT_TEXT_MAX);
		set_text(change, "to_state", c->to_state, SHORT_TEXT_MAX);
		if (n->details)
			set_text(change, "detail", c->detail, LONG_TEXT_MAX);
	}
	return change;
}

static json_t *render_webhook(const struct notice *n)
{
	const struct store_referral *r = n->referral;
	json_t *root = json_object();
	json_t *ref = json_object();

	json_object_set_new(root, "event", json_string(n->event));
	json_object_set_new(root, "idempotency_key", json_string(n->key));
	json_object_set_new(root, "time", json_string(n->now));

	set_text(ref, "id", r->ref, SHORT_TEXT_MAX);
	json_object_set_new(ref, "url", json_string(n->link));
	set_text(ref, "state", r->state, SHORT_TEXT_MAX);
	json_object_set_new(ref, "tlp", json_string(tlp_name(r->tlp)));
	json_object_set_new(ref, "details_withheld", json_boolean(!n->details));
	if (n->details) {
		set_text(ref, "summary", r->summary, LONG_TEXT_MAX);
		for (size_t i = 0; i < n->fact_count; i++)
			set_text(ref, n->facts[i].key, n->facts[i].value, SHORT_TEXT_MAX);
		json_object_set_new(ref, "created", json_string(n->created));
		set_text(root, "actor", n->change->actor, SHORT_TEXT_MAX);
	}
	json_object_set_new(root, "referral", ref);
	json_object_set_new(root, "change", webhook_change(n));
	return root;
}

/* ---- Slack ---------------------------------------------------------------- */

/* Slack's mrkdwn treats &, < and > as control characters, and <!channel>
 * would notify everyone, so user text escapes them. */
void notify_slack_escape(struct buf *out, const char *text, size_t max)
{
	char *copy = notify_clip(text, max);

	for (const char *p = copy; *p; p++) {
		if (*p == '&')
			buf_append_str(out, "&amp;");
		else if (*p == '<')
			buf_append_str(out, "&lt;");
		else if (*p == '>')
			buf_append_str(out, "&gt;");
		else
			buf_append_char(out, *p);
	}
	free(copy);
}

static json_t *slack_text(const char *type, const char *text)
{
	return json_pack("{s:s, s:s}", "type", type, "text", text);
}

static json_t *slack_field(const char *label, const char *value)
{
	struct buf b;
	json_t *field;

	buf_init(&b, NOTIFY_PAYLOAD_MAX / 2);
	buf_printf(&b, "*%s*\n", label);
	notify_slack_escape(&b, value, SHORT_TEXT_MAX);
	field = slack_text("mrkdwn", b.data);
	buf_free(&b);
	return field;
}

static json_t *slack_section(const char *text)
{
	return json_pack("{s:s, s:o}", "type", "section", "text", slack_text("mrkdwn", text));
}

/* The section with the referral's summary and facts, or the withheld note. */
static json_t *slack_details(const struct notice *n)
{
	const struct store_referral *r = n->referral;
	json_t *fields = json_array();
	struct buf b;
	json_t *section;

	buf_init(&b, NOTIFY_PAYLOAD_MAX / 2);
	if (n->details && present(r->summary))
		notify_slack_escape(&b, r->summary, LONG_TEXT_MAX);
	else if (n->details)
		buf_append_str(&b, "Open the referral in ctihub for its details.");
	else
		buf_append_str(&b, "Details are withheld from this channel by TLP; open the referral in ctihub.");
	section = slack_section(b.data);
	buf_free(&b);

	json_array_append_new(fields, slack_field("TLP", tlp_name(r->tlp)));
	json_array_append_new(fields, slack_field("State", or_empty(r->state)));
	for (size_t i = 0; n->details && i < n->fact_count && json_array_size(fields) < 10; i++)
		json_array_append_new(fields, slack_field(n->facts[i].label, n->facts[i].value));
	json_object_set_new(section, "fields", fields);
	return section;
}

/* The section that describes the change, or NULL for a new referral. */
static json_t *slack_change(const struct notice *n)
{
	const struct notify_referral_change *c = n->change;
	struct buf b;
	json_t *section = NULL;

	buf_init(&b, NOTIFY_PAYLOAD_MAX / 2);
	if (c->event == NOTIFY_REFERRAL_REPLY && n->reply_shown) {
		buf_append_str(&b, "*Reply");
		if (present(c->actor)) {
			buf_append_str(&b, " by ");
			notify_slack_escape(&b, c->actor, SHORT_TEXT_MAX);
		}
		buf_append_str(&b, "*\n");
		notify_slack_escape(&b, c->reply_body, LONG_TEXT_MAX);
	} else if (c->event == NOTIFY_REFERRAL_REPLY && c->reply_internal) {
		buf_append_str(&b, "An internal reply was added; its text stays in ctihub.");
	} else if (c->event == NOTIFY_REFERRAL_STATE) {
		buf_append_str(&b, "*Change:* ");
		notify_slack_escape(&b, or_empty(c->action), SHORT_TEXT_MAX);
		if (present(c->from_state) || present(c->to_state)) {
			buf_append_str(&b, " (");
			notify_slack_escape(&b, or_empty(c->from_state), SHORT_TEXT_MAX);
			buf_append_str(&b, " to ");
			notify_slack_escape(&b, or_empty(c->to_state), SHORT_TEXT_MAX);
			buf_append_str(&b, ")");
		}
		if (n->details && present(c->detail)) {
			buf_append_str(&b, "\n");
			notify_slack_escape(&b, c->detail, LONG_TEXT_MAX);
		}
	}
	if (b.len > 0)
		section = slack_section(b.data);
	buf_free(&b);
	return section;
}

static json_t *render_slack(const struct notice *n)
{
	json_t *blocks = json_array();
	json_t *change = slack_change(n);
	char *header = notify_clip(n->title, HEADER_TEXT_MAX);
	struct buf fallback;
	json_t *root;

	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "header", "text",
						slack_text("plain_text", header)));
	free(header);
	json_array_append_new(blocks, slack_details(n));
	if (change)
		json_array_append_new(blocks, change);
	json_array_append_new(
		blocks, json_pack("{s:s, s:[{s:s, s:o, s:s}]}", "type", "actions", "elements", "type",
				  "button", "text", slack_text("plain_text", "Open in ctihub"), "url",
				  n->link));
	json_array_append_new(
		blocks,
		json_pack("{s:s, s:[o]}", "type", "context", "elements",
			  slack_text("mrkdwn", n->details ? "Sent by ctihub" :
							    "Sent by ctihub; details withheld by TLP")));

	/* The notification text that phones and screen readers show. */
	buf_init(&fallback, 2 * LINK_MAX);
	minimal_text(n, &fallback);
	root = json_pack("{s:s, s:o}", "text", fallback.data, "blocks", blocks);
	buf_free(&fallback);
	return root;
}

/* ---- Mattermost ----------------------------------------------------------- */

/* Escapes Markdown punctuation with a backslash and breaks @mentions
 * (@channel, @all, @user) with a zero-width space after the @, so text
 * from a referral cannot format the message or notify a channel. Line
 * breaks become spaces unless multiline, where they start a new quoted
 * line. */
static void mattermost_escape(struct buf *out, const char *text, size_t max, bool multiline)
{
	char *copy = notify_clip(text, max);

	for (const char *p = copy; *p; p++) {
		if (*p == '@')
			buf_append_str(out, "@\xe2\x80\x8b");
		else if (*p == '\n')
			buf_append_str(out, multiline ? "\n> " : " ");
		else if (*p == '\r')
			continue;
		else if (strchr("\\`*_[]()#|<>~", *p)) {
			buf_append_char(out, '\\');
			buf_append_char(out, *p);
		} else
			buf_append_char(out, *p);
	}
	free(copy);
}

static void mattermost_change(const struct notice *n, struct buf *b)
{
	const struct notify_referral_change *c = n->change;

	if (c->event == NOTIFY_REFERRAL_REPLY && n->reply_shown) {
		buf_append_str(b, "\n**Reply");
		if (present(c->actor)) {
			buf_append_str(b, " by ");
			mattermost_escape(b, c->actor, SHORT_TEXT_MAX, false);
		}
		buf_append_str(b, ":**\n> ");
		mattermost_escape(b, c->reply_body, LONG_TEXT_MAX, true);
		buf_append_str(b, "\n");
	} else if (c->event == NOTIFY_REFERRAL_REPLY && c->reply_internal) {
		buf_append_str(b, "\nAn internal reply was added; its text stays in ctihub.\n");
	} else if (c->event == NOTIFY_REFERRAL_STATE) {
		buf_append_str(b, "\n**Change:** ");
		mattermost_escape(b, or_empty(c->action), SHORT_TEXT_MAX, false);
		if (present(c->from_state) || present(c->to_state)) {
			buf_append_str(b, " (");
			mattermost_escape(b, or_empty(c->from_state), SHORT_TEXT_MAX, false);
			buf_append_str(b, " to ");
			mattermost_escape(b, or_empty(c->to_state), SHORT_TEXT_MAX, false);
			buf_append_str(b, ")");
		}
		if (n->details && present(c->detail)) {
			buf_append_str(b, "\n> ");
			mattermost_escape(b, c->detail, LONG_TEXT_MAX, true);
		}
		buf_append_str(b, "\n");
	}
}

static json_t *render_mattermost(const struct notice *n)
{
	const struct store_referral *r = n->referral;
	struct buf b;
	json_t *root;

	buf_init(&b, NOTIFY_PAYLOAD_MAX / 2);
	if (!n->details) {
		minimal_text(n, &b);
	} else {
		buf_printf(&b, "#### %s\n", n->title);
		if (present(r->summary)) {
			buf_append_str(&b, "> ");
			mattermost_escape(&b, r->summary, LONG_TEXT_MAX, true);
			buf_append_str(&b, "\n");
		}
		buf_printf(&b, "\n**TLP:** %s  \n**State:** ", tlp_name(r->tlp));
		mattermost_escape(&b, or_empty(r->state), SHORT_TEXT_MAX, false);
		for (size_t i = 0; i < n->fact_count; i++) {
			buf_printf(&b, "  \n**%s:** ", n->facts[i].label);
			mattermost_escape(&b, n->facts[i].value, SHORT_TEXT_MAX, false);
		}
		buf_append_str(&b, "\n");
		mattermost_change(n, &b);
		buf_printf(&b, "\n[Open in ctihub](%s)", n->link);
	}
	root = json_pack("{s:s, s:s}", "text", b.data, "username", "ctihub");
	buf_free(&b);
	return root;
}

/* ---- Email ---------------------------------------------------------------- */

static void email_change(const struct notice *n, struct buf *b)
{
	const struct notify_referral_change *c = n->change;
	char *text;

	if (c->event == NOTIFY_REFERRAL_REPLY && n->reply_shown) {
		text = notify_clip(c->reply_body, LONG_TEXT_MAX);
		buf_printf(b, "\nReply%s%s:\n%s\n", present(c->actor) ? " by " : "",
			   present(c->actor) ? c->actor : "", text);
		free(text);
	} else if (c->event == NOTIFY_REFERRAL_REPLY && c->reply_internal) {
		buf_append_str(b, "\nAn internal reply was added; its text stays in ctihub.\n");
	} else if (c->event == NOTIFY_REFERRAL_STATE) {
		buf_printf(b, "\nChange: %.64s", or_empty(c->action));
		if (present(c->from_state) || present(c->to_state))
			buf_printf(b, " (%.32s to %.32s)", or_empty(c->from_state),
				   or_empty(c->to_state));
		buf_append_str(b, "\n");
		if (n->details && present(c->detail)) {
			text = notify_clip(c->detail, LONG_TEXT_MAX);
			buf_printf(b, "%s\n", text);
			free(text);
		}
	}
}

static json_t *render_email(const struct notice *n)
{
	const struct store_referral *r = n->referral;
	struct buf b;
	char *text;
	json_t *root;

	buf_init(&b, NOTIFY_PAYLOAD_MAX / 2);
	if (!n->details) {
		minimal_text(n, &b);
		buf_append_str(&b, "\n");
	} else {
		buf_printf(&b, "%s\n\n", n->title);
		if (present(r->summary)) {
			text = notify_clip(r->summary, LONG_TEXT_MAX);
			buf_printf(&b, "Summary: %s\n", text);
			free(text);
		}
		buf_printf(&b, "TLP: %s\nState: %s\n", tlp_name(r->tlp), or_empty(r->state));
		for (size_t i = 0; i < n->fact_count; i++) {
			text = notify_clip(n->facts[i].value, SHORT_TEXT_MAX);
			buf_printf(&b, "%s: %s\n", n->facts[i].label, text);
			free(text);
		}
		buf_printf(&b, "Created: %s\n", n->created);
		email_change(n, &b);
		buf_printf(&b, "\nOpen it in ctihub: %s\n", n->link);
	}
	root = json_pack("{s:s, s:s}", "subject", n->title, "body", b.data);
	buf_free(&b);
	return root;
}

enum ch_code notify_render(const struct notify_config *cfg, const struct notify_sink *sink,
			   const struct notify_referral_change *change, const char *key,
			   int64_t now, char **payload, struct ch_error *err)
{
	struct notice n;
	json_t *root = NULL;
	char *text;

	make_notice(cfg, sink, change, key, now, &n);
	switch (sink->type) {
	case SINK_WEBHOOK:
		root = render_webhook(&n);
		break;
	case SINK_SLACK:
		root = render_slack(&n);
		break;
	case SINK_MATTERMOST:
		root = render_mattermost(&n);
		break;
	case SINK_EMAIL:
		root = render_email(&n);
		break;
	}
	if (!root)
		return ch_fail(err, CH_INTERNAL,
			       "rendering the %s notice for sink '%s' failed; a referral field is not valid UTF-8",
			       n.event, sink->name);

	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return ch_fail(err, CH_INTERNAL, "serialising the notice for sink '%s' failed",
			       sink->name);
	if (strlen(text) > NOTIFY_PAYLOAD_MAX) {
		free(text);
		return ch_fail(err, CH_TOO_LARGE, "the notice for sink '%s' is larger than %d bytes",
			       sink->name, NOTIFY_PAYLOAD_MAX);
	}
	*payload = xstrdup(text);
	free(text);
	return CH_OK;
}

static void make_key(char key[KEY_MAX])
{
	unsigned char random[KEY_RANDOM_BYTES];

	randombytes_buf(random, sizeof(random));
	memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
	sodium_bin2hex(key + sizeof(KEY_PREFIX) - 1, 2 * KEY_RANDOM_BYTES + 1, random,
		       sizeof(random));
}

enum ch_code notify_referral(struct store *st, const struct notify_config *cfg,
			     const struct notify_referral_change *change, int64_t now,
			     struct ch_error *err)
{
	const char *event = notify_event_name(change->event);
	enum ch_code rc = CH_OK;

	if (!event || !change->referral)
		return ch_fail(err, CH_INTERNAL, "notify_referral needs a known event and a referral");
	if (!cfg || cfg->sink_count == 0)
		return CH_OK;
	if (sodium_init() < 0)
		return ch_fail(err, CH_INTERNAL, "libsodium could not be initialised");

	for (size_t i = 0; i < cfg->sink_count && rc == CH_OK; i++) {
		const struct notify_sink *sink = &cfg->sinks[i];
		struct store_outbox_new row = { 0 };
		char key[KEY_MAX];
		char *payload = NULL;
		int64_t id;

		if (!(sink->events & (unsigned)change->event))
			continue;
		make_key(key);
		rc = notify_render(cfg, sink, change, key, now, &payload, err);
		if (rc != CH_OK)
			break;
		row.sink = sink->name;
		row.event = event;
		row.object = change->referral->ref;
		row.idempotency_key = key;
		row.payload = payload;
		/* Recorded so that delivery can check the payload against the
		 * sink's settings then, which may have changed. */
		row.sink_type = notify_sink_type_name(sink->type);
		row.tlp = change->referral->tlp;
		row.details = notify_details_allowed(sink, change->referral->tlp);
		row.created = now;
		rc = store_outbox_add(st, &row, &id, err);
		free(payload);
	}
	return rc;
}
