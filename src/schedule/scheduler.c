/*
 * The digest scheduler. A pass looks at each configured digest, finds the
 * scheduled times after the last recorded period and up to now, and for
 * each of them, oldest first:
 *
 *   1. builds the digest for [previous scheduled time, scheduled time),
 *      once per TLP level its sinks may carry, and renders it in each
 *      sink's form (outside any write transaction);
 *   2. in one transaction, records the period with digest_record_run and
 *      queues one outbox row per sink. If the period was recorded already
 *      (another pass or process got there first), nothing is queued.
 *
 * So a period is queued once or not at all, and the outbox worker delivers
 * it with retries. A failed build leaves the period unrecorded, and the
 * next pass tries again.
 *
 * The thread (util/thread.h) runs a pass at start and then every
 * poll seconds until schedule_worker_stop, like the outbox worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule/schedule.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/thread.h"
#include "util/timeutil.h"

/* Bytes allowed for one rendering of a digest. */
#define RENDER_MAX (1024 * 1024)
#define SUBJECT_MAX 256

/* One digest as rendered for one sink. */
struct rendering {
	enum tlp_level tlp;
	char subject[SUBJECT_MAX];
	struct buf text, html, markdown, json;
};

/* The most restrictive TLP a sink's digest may show: the sink's tlp_max,
 * never RED (no digest shows RED), and at most AMBER for a chat channel. */
static enum tlp_level sink_level(const struct notify_sink *sink)
{
	enum tlp_level level = sink->tlp_max;

	if (level > TLP_AMBER_STRICT)
		level = TLP_AMBER_STRICT;
	if ((sink->type == SINK_SLACK || sink->type == SINK_MATTERMOST) && level > TLP_AMBER)
		level = TLP_AMBER;
	return level;
}

static void rendering_free(struct rendering *r)
{
	buf_free(&r->text);
	buf_free(&r->html);
	buf_free(&r->markdown);
	buf_free(&r->json);
}

/* Renders a built digest in the formats the sink type takes. */
static enum ch_code render_for_sink(const struct schedule_digest *d,
				    const struct digest_report *report,
				    const struct notify_sink *sink, struct rendering *r,
				    struct ch_error *err)
{
	enum ch_code rc = CH_OK;

	buf_init(&r->text, RENDER_MAX);
	buf_init(&r->html, RENDER_MAX);
	buf_init(&r->markdown, RENDER_MAX);
	buf_init(&r->json, RENDER_MAX);
	digest2_subject(report, d->name, r->subject, sizeof(r->subject));
	switch (sink->type) {
	case SINK_EMAIL:
		rc = digest2_render(report, DIGEST2_TEXT, &r->text, err);
		if (rc == CH_OK)
			rc = digest2_render(report, DIGEST2_HTML, &r->html, err);
		break;
	case SINK_SLACK:
	case SINK_MATTERMOST:
		rc = digest2_render(report, DIGEST2_MARKDOWN, &r->markdown, err);
		break;
	case SINK_WEBHOOK:
		rc = digest2_render(report, DIGEST2_JSON, &r->json, err);
		break;
	}
	return rc;
}

/* Builds the digest once per TLP level among the sinks and renders it for
 * each sink; renderings[i] belongs to d->sinks[i]. */
static enum ch_code build_all(struct store *st, const struct schedule_digest *d,
			      const struct digest_audience *audience,
			      const struct score_config *scoring, int64_t start, int64_t end,
			      struct rendering *renderings, struct ch_error *err)
{
	struct digest_report *built[TLP_RED + 1] = { 0 };
	enum ch_code rc = CH_OK;

	for (size_t i = 0; i < d->sink_count && rc == CH_OK; i++) {
		enum tlp_level level = sink_level(d->sinks[i]);

		if (!built[level]) {
			struct digest_request req = {
				.audience = *audience,
				.since = start,
				.until = end,
				.tlp_max = level,
				.max_items = d->max_items,
				.scoring = scoring,
			};

			rc = digest2_build(st, &req, &built[level], err);
			if (rc != CH_OK)
				break;
		}
		renderings[i].tlp = level;
		rc = render_for_sink(d, built[level], d->sinks[i], &renderings[i], err);
	}
	for (size_t level = 0; level <= TLP_RED; level++)
		digest2_free(built[level]);
	return rc;
}

static const char *text_or_null(const struct buf *b)
{
	return b->len > 0 ? b->data : NULL;
}

/* Records the period and queues one row per sink in one transaction.
 * *fresh is false when the period was recorded before. */
static enum ch_code queue_period(struct store *st, const struct schedule_digest *d,
				 const struct digest_audience *audience, int64_t start,
				 int64_t end, int64_t now, const struct rendering *renderings,
				 bool *fresh, struct ch_error *err)
{
	enum ch_code rc = store_begin(st, err);

	if (rc == CH_OK)
		rc = digest_record_run(st, d->name, audience->key, start, end, now, fresh, err);
	for (size_t i = 0; rc == CH_OK && *fresh && i < d->sink_count; i++) {
		const struct rendering *r = &renderings[i];
		struct notify_digest payload = {
			.name = d->name,
			.audience = audience->key,
			.period = d->period,
			.period_start = start,
			.period_end = end,
			.tlp = r->tlp,
			.subject = r->subject,
			.text = r->text.data ? r->text.data : "",
			.html = text_or_null(&r->html),
			.markdown = r->markdown.data ? r->markdown.data : "",
			.json = r->json.data ? r->json.data : "{}",
		};

		rc = notify_digest(st, d->sinks[i], &payload, now, err);
	}
	if (rc == CH_OK && *fresh)
		return store_commit(st, err);
	store_rollback(st);
	return rc;
}

/* Builds, renders and queues one period of a digest. */
static enum ch_code run_period(struct store *st, const struct schedule_digest *d,
			       const struct digest_audience *audience,
			       const struct score_config *scoring, int64_t end, int64_t now,
			       bool *queued, struct ch_error *err)
{
	struct rendering *renderings = xcalloc(d->sink_count, sizeof(*renderings));
	char start_text[TIME_ISO_MAX], end_text[TIME_ISO_MAX];
	bool fresh = false;
	int64_t start;
	enum ch_code rc;

	rc = cron_prev(&d->schedule, end, &start, err);
	if (rc == CH_OK)
		rc = build_all(st, d, audience, scoring, start, end, renderings, err);
	if (rc == CH_OK)
		rc = queue_period(st, d, audience, start, end, now, renderings, &fresh, err);

	time_format_iso(rc == CH_OK ? start : end, start_text, sizeof(start_text));
	time_format_iso(end, end_text, sizeof(end_text));
	if (rc == CH_OK && fresh)
		log_info(d->name, "Queued digest '%s' for %s, period %s to %s, to %zu sinks.",
			 d->name, audience->key, start_text, end_text, d->sink_count);
	else if (rc == CH_OK)
		log_info(d->name, "Digest '%s' for %s, period ending %s, was queued before; not queued again.",
			 d->name, audience->key, end_text);
	for (size_t i = 0; i < d->sink_count; i++)
		rendering_free(&renderings[i]);
	free(renderings);
	*queued = rc == CH_OK && fresh;
	return rc;
}

/* Fills ends with the scheduled times after last and up to now, oldest
 * first: all of them up to SCHEDULE_CATCH_UP_MAX, or only the latest
 * when the digest never ran (last is 0). */
static enum ch_code due_times(const struct schedule_digest *d, int64_t last, int64_t now,
			      int64_t *ends, size_t *count, struct ch_error *err)
{
	size_t limit = last == 0 ? 1 : SCHEDULE_CATCH_UP_MAX;
	size_t n = 0;
	int64_t t = now + 1;
	int64_t skipped_from = 0;
	enum ch_code rc;

	/* Walk back from now, so a long outage keeps the newest periods. */
	while ((rc = cron_prev(&d->schedule, t, &t, err)) == CH_OK && t > last) {
		if (n == limit) {
			skipped_from = t;
			break;
		}
		ends[n++] = t;
	}
	if (rc != CH_OK && rc != CH_NOT_FOUND)
		return rc;
	if (skipped_from && last != 0) {
		char from[TIME_ISO_MAX];

		time_format_iso(skipped_from, from, sizeof(from));
		log_warn(d->name, "Digest '%s' missed more than %d periods; periods ending at %s and before are skipped.",
			 d->name, SCHEDULE_CATCH_UP_MAX, from);
	}
	for (size_t i = 0; i < n / 2; i++) {
		int64_t swap = ends[i];

		ends[i] = ends[n - 1 - i];
		ends[n - 1 - i] = swap;
	}
	*count = n;
	return CH_OK;
}

/* Queues the due periods of one digest; *queued counts them. */
static enum ch_code run_digest(struct store *st, const struct schedule_digest *d,
			       const struct score_config *scoring, int64_t now, size_t *queued,
			       struct ch_error *err)
{
	struct digest_audience audience = d->audience;
	int64_t ends[SCHEDULE_CATCH_UP_MAX];
	int64_t last = 0;
	size_t count = 0;
	enum ch_code rc;

	/* Resolved at every pass, because the organisation of an org:NAME
	 * audience may be created after the server started. */
	rc = digest_audience_resolve(st, &audience, err);
	if (rc == CH_OK)
		rc = digest_last_run(st, d->name, audience.key, &last, err);
	if (rc == CH_OK)
		rc = due_times(d, last, now, ends, &count, err);
	for (size_t i = 0; rc == CH_OK && i < count; i++) {
		bool fresh;

		rc = run_period(st, d, &audience, scoring, ends[i], now, &fresh, err);
		if (rc == CH_OK && fresh)
			(*queued)++;
	}
	return rc;
}

enum ch_code schedule_run_due(struct store *st, const struct schedule_config *cfg,
			      const struct score_config *scoring, int64_t now, size_t *queued,
			      struct ch_error *err)
{
	size_t total = 0, failed = 0;

	for (size_t i = 0; i < cfg->count; i++) {
		struct ch_error digest_err = { 0 };

		if (run_digest(st, &cfg->digests[i], scoring, now, &total, &digest_err) != CH_OK) {
			failed++;
			log_error(cfg->digests[i].name,
				  "Digest '%s' for %s was not queued: %s; the next pass tries again.",
				  cfg->digests[i].name, cfg->digests[i].audience.key,
				  digest_err.message);
		}
	}
	if (queued)
		*queued = total;
	if (failed > 0)
		return ch_fail(err, CH_INTERNAL, "%zu of %zu digests failed; see the log", failed,
			       cfg->count);
	return CH_OK;
}

/* ---- The thread ------------------------------------------------------- */

struct schedule_worker {
	struct thread_loop loop;
	const struct schedule_config *cfg;
	const struct score_config *scoring;
	int64_t poll;
	struct notify_worker *outbox;
	struct store *st;
};

static void *worker_main(void *arg)
{
	struct schedule_worker *w = arg;

	log_info(NULL, "Digest scheduler started with %zu digests, checking every %lld s.",
		 w->cfg->count, (long long)w->poll);
	while (!thread_loop_stopping(&w->loop)) {
		struct ch_error err = { 0 };
		size_t queued = 0;

		/* Failures were logged per digest. */
		(void)schedule_run_due(w->st, w->cfg, w->scoring, time_now(), &queued, &err);
		if (queued > 0)
			notify_worker_wake(w->outbox);
		thread_loop_wait(&w->loop, w->poll);
	}
	log_info(NULL, "Digest scheduler stopped.");
	return NULL;
}

enum ch_code schedule_worker_start(const char *db_path, const struct schedule_config *cfg,
				   const struct score_config *scoring, int64_t poll,
				   struct notify_worker *outbox, struct schedule_worker **out,
				   struct ch_error *err)
{
	struct schedule_worker *w = xcalloc(1, sizeof(*w));
	enum ch_code rc;

	rc = store_open(db_path, &w->st, err);
	if (rc != CH_OK) {
		free(w);
		return rc;
	}
	w->cfg = cfg;
	w->scoring = scoring;
	w->poll = poll < 1 ? 1 : poll;
	if (w->poll > SCHEDULE_POLL_MAX)
		w->poll = SCHEDULE_POLL_MAX;
	w->outbox = outbox;
	rc = thread_loop_start(&w->loop, worker_main, w, "the digest scheduler", err);
	if (rc != CH_OK) {
		store_close(w->st);
		free(w);
		return rc;
	}
	*out = w;
	return CH_OK;
}

void schedule_worker_stop(struct schedule_worker *w)
{
	if (!w)
		return;
	thread_loop_stop(&w->loop);
	store_close(w->st);
	free(w);
}
