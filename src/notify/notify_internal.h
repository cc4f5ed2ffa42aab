/*
 * Private to the notify module: the names of events and sink types, the
 * renderer and the delivery pass that the worker shares with
 * notify_deliver_due.
 */
#ifndef CTIHUB_NOTIFY_NOTIFY_INTERNAL_H
#define CTIHUB_NOTIFY_NOTIFY_INTERNAL_H

#include <stdatomic.h>

#include "notify/notify.h"
#include "util/buf.h"

/* Events a sink subscribes to when its configuration lists none. */
#define NOTIFY_EVENTS_ALL (NOTIFY_REFERRAL_CREATED | NOTIFY_REFERRAL_REPLY | NOTIFY_REFERRAL_STATE)

/* Largest rendered payload, in bytes. Text fields are cut well below it. */
#define NOTIFY_PAYLOAD_MAX (64 * 1024)
/* Largest digest payload, in bytes: an email carries the plain text and
 * the HTML with its inline SVG chart. */
#define NOTIFY_DIGEST_PAYLOAD_MAX (1024 * 1024)


/* "referral.created", "referral.reply", "referral.state", or NULL. */
const char *notify_event_name(enum notify_event event);
/* Parses an event name; false for an unknown one. */
bool notify_event_parse(const char *name, enum notify_event *event);
/* "webhook", "slack", "mattermost" or "email". */
const char *notify_sink_type_name(enum notify_sink_type type);
/* The configured sink with this name, or NULL. */
const struct notify_sink *notify_sink_find(const struct notify_config *cfg, const char *name);

/* Returns true when a message for this sink may carry the details of a
 * referral at this TLP: at most the sink's tlp_max, and never above AMBER
 * for a chat channel. Rendering and delivery both apply it. */
bool notify_details_allowed(const struct notify_sink *sink, enum tlp_level tlp);

/* Checks a queued row against the sink's current settings. Returns false,
 * with the reason in reason, when the payload carries details the sink may
 * no longer have or was rendered for another sink type. */
bool notify_row_allowed(const struct notify_sink *sink, const struct store_outbox_row *row,
			char *reason, size_t cap);

/* Copies text, cut to at most max bytes at a UTF-8 character boundary
 * and marked with "..." when cut. The caller frees the copy. */
char *notify_clip(const char *text, size_t max);
/* Appends text cut to max bytes, with Slack's control characters &, <
 * and > escaped. */
void notify_slack_escape(struct buf *out, const char *text, size_t max);

/* Renders the message for one sink as the text stored in the outbox:
 * a JSON document whose shape depends on the sink type. *payload is
 * owned by the caller. */
enum ch_code notify_render(const struct notify_config *cfg, const struct notify_sink *sink,
			   const struct notify_referral_change *change, const char *key,
			   int64_t now, char **payload, struct ch_error *err);

/* One delivery pass over the due messages, as notify_deliver_due, which
 * stops between two messages once *stop is set (stop may be NULL). */
enum ch_code notify_deliver_pass(struct store *st, const struct notify_config *cfg, int64_t now,
				 const atomic_bool *stop, size_t *delivered, size_t *failed,
				 struct ch_error *err);

#endif
