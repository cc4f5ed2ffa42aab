/*
 * Starting and joining the server's background threads (see thread.h).
 */
#include "util/thread.h"

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
