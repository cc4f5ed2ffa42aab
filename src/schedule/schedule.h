/*
 * Scheduled digests: the "digests" section of the configuration and the
 * scheduler thread of ctihub serve, which queues each digest in the
 * outbox once per audience and period.
 *
 * A digest's periods tile time: the one that ends at a scheduled time
 * starts at the scheduled time before it. The scheduler records each
 * period it queued in digest_runs, in the same transaction as the outbox
 * rows, so a period is never queued twice. After downtime it queues every
 * missed period, oldest first, up to SCHEDULE_CATCH_UP_MAX. On the first
 * start of a digest it queues only the most recent period.
 */
#ifndef CTIHUB_SCHEDULE_SCHEDULE_H
#define CTIHUB_SCHEDULE_SCHEDULE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "digest/digest2.h"
#include "notify/notify.h"
#include "schedule/cron.h"
#include "score/score.h"
#include "store/store.h"
#include "util/error.h"

/* Missed periods of one digest queued after downtime; older ones are
 * skipped with a warning in the log. */
#define SCHEDULE_CATCH_UP_MAX 100
/* Maximum sleep of the scheduler between two passes, in seconds. */
#define SCHEDULE_POLL_MAX 30

struct schedule_digest {
	char *name;                         /* unique, such as "le-daily" */
	struct digest_audience audience;
	struct cron_schedule schedule;      /* with its time zone */
	char period[8];                     /* "daily" or "weekly", a label for readers */
	size_t max_items;                   /* per section of the digest */
	const struct notify_sink **sinks;   /* into the notify configuration */
	size_t sink_count;
};

struct schedule_config {
	struct schedule_digest *digests;
	size_t count;
};

/* Reads the "digests" section of a configuration tree (root may be NULL,
 * which gives no digests). Sink names must be sinks of notify, which must
 * outlive the result. Errors name the key and its place. */
enum ch_code schedule_config_load(const json_t *root, const struct notify_config *notify,
				  struct schedule_config *out, struct ch_error *err);
void schedule_config_free(struct schedule_config *cfg);

/* Queues every period of every digest that is due at now and not yet
 * recorded. *queued counts the periods queued (may be NULL). A digest
 * that fails is logged and skipped, and is tried again on the next pass. */
enum ch_code schedule_run_due(struct store *st, const struct schedule_config *cfg,
			      const struct score_config *scoring, int64_t now, size_t *queued,
			      struct ch_error *err);

/* The scheduler thread of ctihub serve: opens its own store handle on
 * db_path, runs schedule_run_due at once and then every poll seconds (at
 * most SCHEDULE_POLL_MAX), and wakes the outbox worker after queueing.
 * Every pointer must outlive schedule_worker_stop. */
struct schedule_worker;
enum ch_code schedule_worker_start(const char *db_path, const struct schedule_config *cfg,
				   const struct score_config *scoring, int64_t poll,
				   struct notify_worker *outbox, struct schedule_worker **out,
				   struct ch_error *err);
/* Finishes the pass in progress, then joins the thread. NULL is a no-op. */
void schedule_worker_stop(struct schedule_worker *w);

#endif
