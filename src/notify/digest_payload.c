/*
 * Outbox rows for scheduled digests, one per sink, in the form each sink
 * type takes:
 *   - email: {"subject", "body" (plain text), "html"}; delivery wraps them
 *     in a multipart/alternative message;
 *   - slack: {"text": mrkdwn}, with &, < and > escaped;
 *   - mattermost: {"text": Markdown, "username": "ctihub"}, with every @
 *     followed by a zero-width space so that no mention notifies anyone;
 *   - webhook: {"event": "digest", "name", "audience", "period",
 *     "idempotency_key", "time", "digest": the digest's JSON}.
 *
 * The digest was already built for the sink's tlp_max, so the row records
 * that level with details set, and the delivery-time check in deliver.c
 * rejects it if the sink's tlp_max was lowered since.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_internal.h"
#include "util/alloc.h"
#include "util/timeutil.h"

/* Text limits of the receivers: Slack cuts a message's text at 40,000
 * characters and Mattermost rejects posts over 16,383 by default. */
#define SLACK_TEXT_MAX 39000
#define MATTERMOST_TEXT_MAX 16000

#define DIGEST_EVENT "digest"
#define KEY_PREFIX "ctihub-"
#define KEY_HASH_BYTES 16
#define KEY_MAX (sizeof(KEY_PREFIX) + 2 * KEY_HASH_BYTES)

/* Derives the idempotency key from what makes the message unique, so a
 * retried or repeated queueing of the same digest for the same sink hits
 * the outbox's unique key instead of sending twice. */
static void digest_key(const struct notify_sink *sink, const struct notify_digest *d,
		       char key[KEY_MAX])
{
	unsigned char hash[KEY_HASH_BYTES];
	crypto_generichash_state state;
	char end[32];

	snprintf(end, sizeof(end), "%lld", (long long)d->period_end);
	crypto_generichash_init(&state, NULL, 0, sizeof(hash));
	/* Each part ends in its NUL, so no two lists of parts hash alike. */
	crypto_generichash_update(&state, (const unsigned char *)"digest", 7);
	crypto_generichash_update(&state, (const unsigned char *)d->name, strlen(d->name) + 1);
	crypto_generichash_update(&state, (const unsigned char *)d->audience,
				  strlen(d->audience) + 1);
	crypto_generichash_update(&state, (const unsigned char *)end, strlen(end) + 1);
	crypto_generichash_update(&state, (const unsigned char *)sink->name, strlen(sink->name) + 1);
	crypto_generichash_final(&state, hash, sizeof(hash));

	memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
	sodium_bin2hex(key + sizeof(KEY_PREFIX) - 1, 2 * KEY_HASH_BYTES + 1, hash, sizeof(hash));
}

/* Breaks every @mention with a zero-width space after the @. */
static char *mattermost_text(const char *markdown)
{
	char *copy = notify_clip(markdown, MATTERMOST_TEXT_MAX);
	struct buf b;
	char *out;

	buf_init(&b, 2 * NOTIFY_DIGEST_PAYLOAD_MAX);
	for (const char *p = copy; *p; p++) {
		if (*p == '@')
			buf_append_str(&b, "@\xe2\x80\x8b");
		else
			buf_append_char(&b, *p);
	}
	out = xstrdup(b.data ? b.data : "");
	buf_free(&b);
	free(copy);
	return out;
}

static json_t *render_webhook(const struct notify_digest *d, const char *key, int64_t now,
			      struct ch_error *err)
{
	char start[TIME_ISO_MAX], end[TIME_ISO_MAX], time[TIME_ISO_MAX];
	json_error_t jerr;
	json_t *digest = json_loads(d->json, 0, &jerr);

	if (!digest) {
		ch_fail(err, CH_INTERNAL, "the JSON of digest '%s' does not parse: %s", d->name,
			jerr.text);
		return NULL;
	}
	time_format_iso(d->period_start, start, sizeof(start));
	time_format_iso(d->period_end, end, sizeof(end));
	time_format_iso(now, time, sizeof(time));
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:o}", "event",
			 DIGEST_EVENT, "name", d->name, "audience", d->audience, "period", "kind",
			 d->period, "start", start, "end", end, "tlp", tlp_name(d->tlp),
			 "idempotency_key", key, "time", time, "digest", digest);
}

static json_t *render(const struct notify_sink *sink, const struct notify_digest *d,
		      const char *key, int64_t now, struct ch_error *err)
{
	json_t *root = NULL;
	struct buf b;
	char *text;

	switch (sink->type) {
	case SINK_WEBHOOK:
		return render_webhook(d, key, now, err);
	case SINK_SLACK:
		buf_init(&b, 2 * NOTIFY_DIGEST_PAYLOAD_MAX);
		notify_slack_escape(&b, d->markdown, SLACK_TEXT_MAX);
		root = json_pack("{s:s}", "text", b.data ? b.data : "");
		buf_free(&b);
		break;
	case SINK_MATTERMOST:
		text = mattermost_text(d->markdown);
		root = json_pack("{s:s, s:s}", "text", text, "username", "ctihub");
		free(text);
		break;
	case SINK_EMAIL:
		root = json_pack("{s:s, s:s}", "subject", d->subject, "body", d->text);
		if (root && d->html)
			json_object_set_new(root, "html", json_string(d->html));
		break;
	}
	if (!root)
		ch_fail(err, CH_INTERNAL,
			"rendering digest '%s' for sink '%s' failed; its text is not valid UTF-8",
			d->name, sink->name);
	return root;
}

enum ch_code notify_digest(struct store *st, const struct notify_sink *sink,
			   const struct notify_digest *d, int64_t now, struct ch_error *err)
{
	struct store_outbox_new row = { 0 };
	char key[KEY_MAX];
	char object[160];
	char end[TIME_ISO_MAX];
	char *payload;
	json_t *root;
	int64_t id;
	enum ch_code rc;

	if (sodium_init() < 0)
		return ch_fail(err, CH_INTERNAL, "libsodium could not be initialised");
	digest_key(sink, d, key);
	root = render(sink, d, key, now, err);
	if (!root)
		return CH_INTERNAL;
	payload = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!payload)
		return ch_fail(err, CH_INTERNAL, "serialising digest '%s' for sink '%s' failed",
			       d->name, sink->name);
	if (strlen(payload) > NOTIFY_DIGEST_PAYLOAD_MAX) {
		free(payload);
		return ch_fail(err, CH_TOO_LARGE,
			       "digest '%s' for sink '%s' is larger than %d bytes; lower its max_items",
			       d->name, sink->name, NOTIFY_DIGEST_PAYLOAD_MAX);
	}

	/* The object names the digest and its period in 'ctihub outbox' and
	 * the delivery log. */
	time_format_iso(d->period_end, end, sizeof(end));
	snprintf(object, sizeof(object), "%.64s %s", d->name, end);
	row.sink = sink->name;
	row.event = DIGEST_EVENT;
	row.object = object;
	row.idempotency_key = key;
	row.payload = payload;
	row.sink_type = notify_sink_type_name(sink->type);
	row.tlp = d->tlp;
	row.details = true;
	row.created = now;
	rc = store_outbox_add(st, &row, &id, err);
	free(payload);
	return rc;
}
