/*
 * The outbox worker of ctihub serve: one thread with its own store handle
 * that runs a delivery pass, then sleeps on a condition variable until the
 * poll interval passes, notify_worker_wake is called, or the worker is
 * stopped. The thread runs passes and sleeps until notify_worker_stop sets
 * stop. It then ends after the message in progress, and
 * notify_worker_stop joins it and frees everything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "notify/notify_internal.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/thread.h"
#include "util/timeutil.h"

struct notify_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* waits on CLOCK_MONOTONIC */
	bool woken;          /* guarded by lock */
	atomic_bool stop;    /* also read without the lock between messages */
	const struct notify_config *cfg;
	struct store *st;
};

/* Sleeps up to seconds, or until woken or stopped. */
static void wait_for_work(struct notify_worker *w, int64_t seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;

	pthread_mutex_lock(&w->lock);
	while (!w->woken && !atomic_load(&w->stop)) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
			break;
	}
	w->woken = false;
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct notify_worker *w = arg;

	log_info(NULL, "Notification worker started with %zu sinks, polling every %lld s.",
		 w->cfg->sink_count, (long long)w->cfg->poll);
	while (!atomic_load(&w->stop)) {
		struct ch_error err = { 0 };
		size_t delivered = 0, failed = 0;

		if (notify_deliver_pass(w->st, w->cfg, time_now(), &w->stop, &delivered, &failed,
					&err) != CH_OK)
			log_error(NULL, "Notification delivery pass failed: %s; retrying after %lld s.",
				  err.message, (long long)w->cfg->poll);
		wait_for_work(w, w->cfg->poll);
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
	atomic_init(&w->stop, false);
	rc = thread_start_with_cond(&w->thread, &w->lock, &w->cond, worker_main, w,
				    "the notification worker", err);
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
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void notify_worker_stop(struct notify_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);

	thread_join_with_cond(w->thread, &w->lock, &w->cond);
	store_close(w->st);
	free(w);
}
