/*
 * The outbox worker of ctihub serve: one thread loop (util/thread.h)
 * with its own store handle that runs a delivery pass, then sleeps until
 * the poll interval passes, notify_worker_wake is called, or the worker
 * is stopped. notify_worker_stop lets the message in progress finish,
 * waits for the thread and frees everything.
 */
#include <stdlib.h>

#include "notify/notify_internal.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/thread.h"
#include "util/timeutil.h"

struct notify_worker {
	struct thread_loop loop;
	const struct notify_config *cfg;
	struct store *st;
};

static void *worker_main(void *arg)
{
	struct notify_worker *w = arg;

	log_info(NULL, "Notification worker started with %zu sinks, polling every %lld s.",
		 w->cfg->sink_count, (long long)w->cfg->poll);
	while (!thread_loop_stopping(&w->loop)) {
		struct ch_error err = { 0 };
		size_t delivered = 0, failed = 0;

		if (notify_deliver_pass(w->st, w->cfg, time_now(), &w->loop.stop, &delivered,
					&failed, &err) != CH_OK)
			log_error(NULL, "Notification delivery pass failed: %s; retrying after %lld s.",
				  err.message, (long long)w->cfg->poll);
		thread_loop_wait(&w->loop, w->cfg->poll);
	}
	log_info(NULL, "Notification worker stopped.");
	return NULL;
}

enum ch_code notify_worker_start(const char *db_path, const struct notify_config *cfg,
				 struct notify_worker **out, struct ch_error *err)
{
	struct notify_worker *w = xcalloc(1, sizeof(*w));
	enum ch_code rc;

	rc = store_open(db_path, &w->st, err);
	if (rc != CH_OK) {
		free(w);
		return rc;
	}
	w->cfg = cfg;
	rc = thread_loop_start(&w->loop, worker_main, w, "the notification worker", err);
	if (rc != CH_OK) {
		store_close(w->st);
		free(w);
		return rc;
	}
	*out = w;
	return CH_OK;
}

void notify_worker_wake(struct notify_worker *w)
{
	if (w)
		thread_loop_wake(&w->loop);
}

void notify_worker_stop(struct notify_worker *w)
{
	if (!w)
		return;
	thread_loop_stop(&w->loop);
	store_close(w->st);
	free(w);
}
