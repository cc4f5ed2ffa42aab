/*
 * The background thread loop shared by the outbox worker and the digest
 * scheduler (see thread_loop.h).
 */
#include <errno.h>
#include <time.h>

#include "util/thread.h"
#include "util/thread_loop.h"

bool thread_loop_start(struct thread_loop *loop, void *(*fn)(void *), void *arg)
{
	loop->woken = false;
	atomic_init(&loop->stop, false);
	return thread_start_with_cond(&loop->thread, &loop->lock, &loop->cond, fn, arg,
				      "a background loop", NULL) == CH_OK;
}

void thread_loop_wait(struct thread_loop *loop, int64_t seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;

	pthread_mutex_lock(&loop->lock);
	while (!loop->woken && !atomic_load(&loop->stop)) {
		if (pthread_cond_timedwait(&loop->cond, &loop->lock, &deadline) == ETIMEDOUT)
			break;
	}
	loop->woken = false;
	pthread_mutex_unlock(&loop->lock);
}

void thread_loop_wake(struct thread_loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	loop->woken = true;
	pthread_cond_signal(&loop->cond);
	pthread_mutex_unlock(&loop->lock);
}

bool thread_loop_stopping(struct thread_loop *loop)
{
	return atomic_load(&loop->stop);
}

void thread_loop_stop(struct thread_loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	atomic_store(&loop->stop, true);
	pthread_cond_signal(&loop->cond);
	pthread_mutex_unlock(&loop->lock);

	thread_join_with_cond(loop->thread, &loop->lock, &loop->cond);
}
