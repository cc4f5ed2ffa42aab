/*
 * Notifications: the sinks an operator configures (a generic JSON webhook,
 * a Slack or Mattermost incoming webhook, email over SMTP), the messages
 * rendered for each of them, and the worker that delivers the outbox.
 *
 * A change that deserves a notice calls notify_referral inside its own
 * transaction: one outbox row per sink, so the notice commits or rolls
 * back with the change. The worker in ctihub serve then delivers due rows
 * with exponential backoff; after max_attempts a row goes to the
 * dead-letter list (ctihub outbox). Every message carries an idempotency
 * key that stays the same across retries.
 *
 * TLP: a sink carries details only up to its tlp_max (default AMBER). For
 * a referral above that, the message says only "new referral
 * LE-2026-0007, open it in ctihub" and the link. The body of an LE-internal
 * reply never leaves the hub.
 */
#ifndef CTIHUB_NOTIFY_NOTIFY_H
#define CTIHUB_NOTIFY_NOTIFY_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/tlp.h"
#include "store/store.h"
#include "util/error.h"

enum notify_sink_type {
	SINK_WEBHOOK = 0,
	SINK_SLACK,
	SINK_MATTERMOST,
	SINK_EMAIL,
};

/* Event bits a sink subscribes to. */
enum notify_event {
	NOTIFY_REFERRAL_CREATED = 1 << 0, /* "referral.created" */
	NOTIFY_REFERRAL_REPLY = 1 << 1,   /* "referral.reply" */
	NOTIFY_REFERRAL_STATE = 1 << 2,   /* "referral.state": assign, state, close, reopen */
};

struct notify_sink {
	char *name;
	enum notify_sink_type type;
	char *url;              /* webhook URL, or smtp:// / smtps:// for email */
	enum tlp_level tlp_max; /* details above this level are withheld */
	unsigned events;        /* enum notify_event bits */
	/* Email only. */
	char *mail_from;
	char **mail_to;
	size_t mail_to_count;
	char *username;
	char *password;         /* read from the variable named by password_env */
	long timeout_seconds;
};

struct notify_config {
	struct notify_sink *sinks;
	size_t sink_count;
	char *public_url;       /* base of links in messages, such as https://hub.example.org */
	int max_attempts;       /* attempts before a message is dead (default 12) */
	int64_t backoff;        /* first retry delay in seconds (default 30) */
	int64_t backoff_max;    /* longest delay in seconds (default 3600) */
	int64_t poll;           /* worker wake-up interval in seconds (default 1) */
};

/* Reads the "notify" section of a configuration tree (root may be NULL,
 * which gives defaults and no sinks). Errors name the key and the value. */
enum ch_code notify_config_load(const json_t *root, struct notify_config *out,
				struct ch_error *err);
void notify_config_free(struct notify_config *cfg);

/* One change to a referral, as the notice describes it. */
struct notify_referral_change {
	enum notify_event event;
	const struct store_referral *referral; /* as it is after the change */
	const char *actor;          /* user name of who made the change */
	const char *reply_body;     /* NOTIFY_REFERRAL_REPLY */
	bool reply_internal;
	const char *action;         /* NOTIFY_REFERRAL_STATE: "assign", "close", ... */
	const char *from_state;
	const char *to_state;
	const char *detail;         /* resolution, assignee, ... */
};

/* Queues one message per subscribed sink inside the caller's
 * transaction. With no sinks it does nothing. */
enum ch_code notify_referral(struct store *st, const struct notify_config *cfg,
			     const struct notify_referral_change *change, int64_t now,
			     struct ch_error *err);

/* One digest as rendered for one sink, which notify_digest queues. */
struct notify_digest {
	const char *name;       /* the digest's name in the configuration, "le-daily" */
	const char *audience;   /* "le", "member" or "org:NAME" */
	const char *period;     /* "daily" or "weekly" */
	int64_t period_start;   /* inclusive */
	int64_t period_end;     /* exclusive; the scheduled time */
	enum tlp_level tlp;     /* the most restrictive TLP the digest was built to show */
	const char *subject;    /* one line */
	const char *text;       /* plain text, for email */
	const char *html;       /* HTML for email, or NULL for plain text only */
	const char *markdown;   /* for Slack and Mattermost */
	const char *json;       /* the digest as a JSON document, for a webhook */
};

/* Queues the digest for one sink inside the caller's transaction, in the
 * form that the sink type takes. The idempotency key comes from the
 * digest's name, audience, period end and the sink, so the same digest
 * can never be queued twice for a sink: a second attempt fails with
 * CH_CONFLICT. The row records digest->tlp, which must be at or below
 * what the sink may carry. */
enum ch_code notify_digest(struct store *st, const struct notify_sink *sink,
			   const struct notify_digest *digest, int64_t now,
			   struct ch_error *err);

/* Delivers every message due now, one attempt each, and records the
 * outcome. *delivered and *failed count this pass (either may be NULL). */
enum ch_code notify_deliver_due(struct store *st, const struct notify_config *cfg, int64_t now,
				size_t *delivered, size_t *failed, struct ch_error *err);

/* Calls curl_global_init once per process. Every user of libcurl, the
 * chat bridge's Web API calls included, calls this first. */
void notify_curl_init(void);

/* The background worker of ctihub serve: opens its own store handle on
 * db_path and runs notify_deliver_due every cfg->poll seconds, or sooner
 * after notify_worker_wake, until notify_worker_stop. */
struct notify_worker;
enum ch_code notify_worker_start(const char *db_path, const struct notify_config *cfg,
				 struct notify_worker **out, struct ch_error *err);
void notify_worker_wake(struct notify_worker *w);
/* Finishes the delivery in progress, then joins the thread. NULL is a
 * no-op. */
void notify_worker_stop(struct notify_worker *w);

#endif
