/*
 * Starting and joining the server's background threads, and the thread
 * loop of the outbox worker and the digest scheduler (see thread.h).
 */
#include "util/thread.h"

#include <errno.h>
#include <time.h>

enum ch_code thread_start_with_cond(pthread_t *thread, pthread_mutex_t *lock,
				    pthread_cond_t *cond, void *(*main)(void *), void *arg,
				    const char *what, struct ch_error *err)
{
	pthread_condattr_t attr;

	pthread_mutex_init(lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);

	if (pthread_create(thread, NULL, main, arg) != 0) {
		pthread_cond_destroy(cond);
		pthread_mutex_destroy(lock);
		return ch_fail(err, CH_INTERNAL, "cannot start the thread of %s", what);
	}
	return CH_OK;
}

void thread_join_with_cond(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *cond)
{
	pthread_join(thread, NULL);
	pthread_cond_destroy(cond);
	pthread_mutex_destroy(lock);
}

enum ch_code thread_loop_start(struct thread_loop *loop, void *(*fn)(void *), void *arg,
			       const char *what, struct ch_error *err)
{
	loop->woken = false;
	atomic_init(&loop->stop, false);
	return thread_start_with_cond(&loop->thread, &loop->lock, &loop->cond, fn, arg, what,
				      err);
}

void thread_deadline_after(struct timespec *deadline, clockid_t clock, int64_t ns)
{
	clock_gettime(clock, deadline);
	deadline->tv_sec += (time_t)(ns / 1000000000);
	deadline->tv_nsec += (long)(ns % 1000000000);
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
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
