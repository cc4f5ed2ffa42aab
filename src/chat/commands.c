/*
 * The slash commands, platform-neutral: each takes the command's text and
 * fills a struct chat_reply that slack.c or mattermost.c turns into the
 * platform's JSON. Problems become an ephemeral reply that explains what
 * to do, so the user never gets a bare HTTP error.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/forms.h"
#include "digest/digest2.h"
#include "model/referral.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "workflow/referrals.h"

/* Referrals listed by /leopenlist. */
#define OPEN_LIST_MAX 20
/* Reports named in a /ctisearch reply. */
#define SEARCH_REPORTS_MAX 5

void chat_reply_init(struct chat_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->ephemeral = true;
	reply->open_form = -1;
	buf_init(&reply->text, 64 * 1024);
}

void chat_reply_free(struct chat_reply *reply)
{
	buf_free(&reply->text);
	json_decref(reply->field_errors);
	reply->field_errors = NULL;
}

static void say(struct chat_reply *reply, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct chat_reply *reply, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&reply->text, fmt, ap);
	va_end(ap);
}

static void say_error(struct chat_reply *reply, const struct ch_error *err)
{
	reply->ephemeral = true;
	say(reply, "%s", err->message[0] ? err->message : "the command failed");
}

static void workflow_from(const struct chat_context *ctx, const struct principal *who,
			  struct workflow *w)
{
	memset(w, 0, sizeof(*w));
	w->st = ctx->st;
	w->notify = ctx->notify;
	w->who = who;
	w->client = ctx->client ? ctx->client : "chat";
	w->queued = ctx->queued;
	w->queued_ctx = ctx->queued_ctx;
}

/* Splits "WORD REST" into the first word (copied into word) and the rest
 * (trimmed, pointing into text). False when there is no word. */
static bool first_word(const char *text, char *word, size_t cap, const char **rest)
{
	size_t len;

	while (*text && isspace((unsigned char)*text))
		text++;
	len = strcspn(text, " \t\r\n");
	if (len == 0 || len >= cap)
		return false;
	memcpy(word, text, len);
	word[len] = '\0';
	text += len;
	while (*text && isspace((unsigned char)*text))
		text++;
	*rest = text;
	return true;
}

/* LE commands act for a linked account with the role le; the default
 * organisation of a workspace never reaches them. */
static bool le_principal(const struct chat_context *ctx, struct principal *who,
			 struct chat_reply *reply)
{
	struct ch_error err = { 0 };
	bool linked;

	if (chat_principal(ctx, who, &linked, &err) != CH_OK) {
		say_error(reply, &err);
		return false;
	}
	if (!linked || who->role != ROLE_LE) {
		say(reply, "Only law-enforcement users may use this command. Link your chat "
			   "account to a ctihub account with the role le first.");
		return false;
	}
	return true;
}

static void referral_link(const struct chat_context *ctx, const char *ref,
			  struct chat_reply *reply)
{
	if (ctx->public_url)
		say(reply, " %s/api/v1/referrals/%s", ctx->public_url, ref);
}

static void run_reply(const struct chat_context *ctx, const char *text, struct chat_reply *reply)
{
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *body;
	char key[40];
	bool internal = false;

	if (!le_principal(ctx, &who, reply))
		return;
	if (!first_word(text, key, sizeof(key), &body) || !*body) {
		say(reply, "Usage: /%s LE-2026-0001 TEXT (start TEXT with \"internal:\" for a note "
			   "that only LE sees)",
		    ctx->cfg->command_names[CHAT_CMD_LEREPLY]);
		return;
	}
	if (strncmp(body, "internal:", 9) == 0) {
		internal = true;
		body += 9;
		while (*body == ' ')
			body++;
	}
	workflow_from(ctx, &who, &w);
	if (strlen(body) > REFERRAL_REPLY_MAX ||
	    referral_check_note("body", body, false, &err) != CH_OK ||
	    workflow_referral_reply(&w, key, body, internal, &v, &err) != CH_OK) {
		say_error(reply, &err);
		return;
	}
	say(reply, "%s added to %s.", internal ? "Internal reply" : "Reply", v.referral.ref);
	referral_link(ctx, v.referral.ref, reply);
	store_referral_view_free(&v);
}

static void run_close(const struct chat_context *ctx, const char *text, struct chat_reply *reply)
{
	struct store_referral_view v = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	const char *rest, *note;
	char key[40], resolution[40];

	if (!le_principal(ctx, &who, reply))
		return;
	if (!first_word(text, key, sizeof(key), &rest) ||
	    !first_word(rest, resolution, sizeof(resolution), &note)) {
		say(reply, "Usage: /%s LE-2026-0001 RESOLUTION [NOTE], where RESOLUTION is actioned, "
			   "referred, no_action or duplicate",
		    ctx->cfg->command_names[CHAT_CMD_LECLOSE]);
		return;
	}
	workflow_from(ctx, &who, &w);
	if (workflow_referral_close(&w, key, resolution, *note ? note : NULL, &v, &err) != CH_OK) {
		say_error(reply, &err);
		return;
	}
	say(reply, "%s closed as %s.", v.referral.ref, v.referral.resolution);
	referral_link(ctx, v.referral.ref, reply);
	store_referral_view_free(&v);
}

static void run_open_list(const struct chat_context *ctx, const char *text,
			  struct chat_reply *reply)
{
	struct store_referral_filter f = { 0 };
	struct store_referral_list list = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct workflow w;
	int64_t now = time_now();

	if (!le_principal(ctx, &who, reply))
		return;
	f.state = "open";
	f.sort = REFERRAL_SORT_UNACKNOWLEDGED;
	f.limit = OPEN_LIST_MAX;
	f.only_unseen = strcmp(text, "new") == 0;
	workflow_from(ctx, &who, &w);
	if (workflow_referral_list(&w, &f, true, &list, &err) != CH_OK) {
		say_error(reply, &err);
		return;
	}
	say(reply, "*%lld open referral%s*, %lld new since you last looked", (long long)list.total,
	    list.total == 1 ? "" : "s", (long long)list.unseen);
	for (size_t i = 0; i < list.count; i++) {
		const struct store_referral *r = &list.items[i];
		int64_t age = now - r->created;

		say(reply, "\n%s `%s` %s, %s, %lld h%s: %s", r->unseen ? "•" : "◦", r->ref,
		    r->state, r->incident_type, (long long)(age / 3600),
		    r->acknowledged ? "" : " unacknowledged", r->summary);
	}
	if (list.total > (int64_t)list.count)
		say(reply, "\n+%lld more", (long long)(list.total - (int64_t)list.count));
	store_referral_list_free(&list);
}

/* The TLP ceiling of the channel the command came from. */
static enum tlp_level channel_ceiling(const struct chat_context *ctx)
{
	const struct chat_channel *ch = chat_channel_find(ctx->ws, ctx->channel);

	return ch ? ch->ceiling : ctx->ws->ceiling;
}

static void run_search(const struct chat_context *ctx, const char *text, struct chat_reply *reply)
{
	struct store_indicator_view view = { 0 };
	struct ch_error err = { 0 };
	struct principal who;
	struct ioc *ioc = xmalloc(sizeof(*ioc));
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX];
	bool linked;
	enum ch_code rc;

	if (chat_principal(ctx, &who, &linked, &err) != CH_OK) {
		say_error(reply, &err);
		goto out;
	}
	if (!*text) {
		say(reply, "Usage: /%s VALUE, such as /%s hxxp://evil[.]example",
		    ctx->cfg->command_names[CHAT_CMD_SEARCH], ctx->cfg->command_names[CHAT_CMD_SEARCH]);
		goto out;
	}
	if (ioc_parse(text, strlen(text), ctx->warnlists, ioc, &err) != CH_OK) {
		say(reply, "'%.200s' is not an indicator: %s", text, err.message);
		goto out;
	}
	rc = store_indicator_view_get(ctx->st, ioc->type, ioc->value, &who, SEARCH_REPORTS_MAX,
				      &view, &err);
	if (rc == CH_NOT_FOUND) {
		say(reply, "The hub knows nothing you may read about %s `%s`.",
		    ioc_type_name(ioc->type), ioc->value);
		goto out;
	}
	if (rc != CH_OK) {
		say_error(reply, &err);
		goto out;
	}

	/* The reply goes to the channel only when the channel may carry the
	 * most restrictive report it draws on. */
	reply->ephemeral = view.max_tlp_read > channel_ceiling(ctx);
	time_format_iso(view.indicator.first_seen, first, sizeof(first));
	time_format_iso(view.indicator.last_seen, last, sizeof(last));
	say(reply, "*%s* `%s` (TLP:%s)\nfirst seen %s, last seen %s, in %zu report%s",
	    ioc_type_name(ioc->type), ioc->value, tlp_name(view.max_tlp_read), first, last,
	    view.report_total, view.report_total == 1 ? "" : "s");
	if (view.indicator.warnings)
		say(reply, "\nwarning: %s", view.indicator.warnlist ? view.indicator.warnlist
								    : "reserved or special range");
	for (size_t i = 0; i < view.reports.count; i++) {
		const struct store_report *r = &view.reports.items[i];

		say(reply, "\n• report %lld, %s, TLP:%s: %s", (long long)r->id, r->kind,
		    tlp_name(r->tlp), r->title ? r->title : "");
	}
	store_indicator_view_free(&view);
out:
	free(ioc);
}

/* The caller's digest of the last 24 hours, in Markdown: their
 * organisation's audience (every member's reports plus its own
 * AMBER+STRICT ones), and the referral queue for LE users. Only the
 * caller sees it. */
static void run_digest(const struct chat_context *ctx, struct chat_reply *reply)
{
	struct digest_request req = { 0 };
	struct digest_report *d = NULL;
	struct score_config scoring;
	struct ch_error err = { 0 };
	struct principal who;
	int64_t now = time_now();
	bool linked;

	if (chat_principal(ctx, &who, &linked, &err) != CH_OK) {
		say_error(reply, &err);
		return;
	}
	score_config_default(&scoring);
	if (linked && who.role == ROLE_LE) {
		req.audience.kind = DIGEST_AUDIENCE_LE;
		snprintf(req.audience.key, sizeof(req.audience.key), "le");
	} else {
		req.audience.kind = DIGEST_AUDIENCE_ORG;
		req.audience.org_id = who.org_id;
		snprintf(req.audience.key, sizeof(req.audience.key), "you");
	}
	req.since = now - 86400;
	req.until = now + 1;
	req.tlp_max = TLP_AMBER_STRICT;
	req.max_items = 5;
	req.scoring = &scoring;

	store_read_begin(ctx->st, NULL);
	if (digest2_build(ctx->st, &req, &d, &err) != CH_OK ||
	    digest2_render(d, DIGEST2_MARKDOWN, &reply->text, &err) != CH_OK) {
		store_read_end(ctx->st);
		buf_reset(&reply->text);
		say_error(reply, &err);
		digest2_free(d);
		return;
	}
	store_read_end(ctx->st);
	digest2_free(d);
}

static void run_link(const struct chat_context *ctx, const char *text, struct chat_reply *reply)
{
	struct ch_error err = { 0 };
	struct principal who;

	if (chat_link_code_redeem(ctx, text, &who, &err) != CH_OK) {
		/* Failed codes are logged, so that guessing shows in the log. */
		log_warn(ctx->request_id, "Link code from %s user %.40s of %s rejected: %s",
			 chat_platform_name(ctx->ws->platform), ctx->chat_user, ctx->ws->id,
			 err.message);
		say_error(reply, &err);
		return;
	}
	say(reply, "Your %s account is now linked to the ctihub account %s.",
	    chat_platform_name(ctx->ws->platform), who.user_name);
}

/* A form command: empty text opens the form, other text is its text form. */
static void run_form(const struct chat_context *ctx, enum chat_form form, const char *text,
		     struct chat_reply *reply)
{
	const struct chat_form_def *def = chat_form_get(form);
	struct ch_error err = { 0 };
	json_t *values = NULL;

	if (!*text) {
		reply->open_form = (int)form;
		return;
	}
	if (chat_form_parse_text(def, text, &values, &err) != CH_OK) {
		say_error(reply, &err);
		return;
	}
	chat_form_submit(ctx, def, values, reply);
	json_decref(values);
}

void chat_command_run(const struct chat_context *ctx, enum chat_command cmd, const char *text,
		      struct chat_reply *reply)
{
	char *trimmed = xstrdup(text ? text : "");
	size_t len = strlen(trimmed);
	const char *start = trimmed;

	while (len > 0 && isspace((unsigned char)trimmed[len - 1]))
		trimmed[--len] = '\0';
	while (*start && isspace((unsigned char)*start))
		start++;

	reply->ephemeral = true;
	switch (cmd) {
	case CHAT_CMD_LENEW: run_form(ctx, CHAT_FORM_LENEW, start, reply); break;
	case CHAT_CMD_IOC: run_form(ctx, CHAT_FORM_IOC, start, reply); break;
	case CHAT_CMD_ATTACK: run_form(ctx, CHAT_FORM_ATTACK, start, reply); break;
	case CHAT_CMD_VULNTRIAGE: run_form(ctx, CHAT_FORM_VULN, start, reply); break;
	case CHAT_CMD_HUNT: run_form(ctx, CHAT_FORM_HUNT, start, reply); break;
	case CHAT_CMD_LEREPLY: run_reply(ctx, start, reply); break;
	case CHAT_CMD_LECLOSE: run_close(ctx, start, reply); break;
	case CHAT_CMD_LEOPENLIST: run_open_list(ctx, start, reply); break;
	case CHAT_CMD_SEARCH: run_search(ctx, start, reply); break;
	case CHAT_CMD_DIGEST: run_digest(ctx, reply); break;
	case CHAT_CMD_LINK: run_link(ctx, start, reply); break;
	case CHAT_CMD_COUNT: break;
	}
	free(trimmed);
}
