/*
 * Background threads that sleep on a condition variable: the outbox
 * worker, the digest scheduler and the audit writer. Their condition
 * variables wait on CLOCK_MONOTONIC, so a change of the system clock
 * neither wakes them early nor makes them sleep too long.
 *
 * struct thread_loop is a thread that repeats a pass and sleeps between
 * passes, as the outbox worker and the digest scheduler do. The owner
 * embeds one, starts its thread function with thread_loop_start, and
 * calls thread_loop_wait between passes.
 */
#ifndef CTIHUB_UTIL_THREAD_H
#define CTIHUB_UTIL_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/error.h"

/* Initialises lock and cond (on CLOCK_MONOTONIC) and starts main(arg) on
 * thread. On failure it destroys lock and cond again and fails with
 * CH_INTERNAL naming what, such as "the audit writer". */
enum ch_code thread_start_with_cond(pthread_t *thread, pthread_mutex_t *lock,
				    pthread_cond_t *cond, void *(*main)(void *), void *arg,
				    const char *what, struct ch_error *err);

/* Sets *deadline to ns nanoseconds from now on clock, the clock that the
 * condition variable it is meant for waits on. */
void thread_deadline_after(struct timespec *deadline, clockid_t clock, int64_t ns);

/* Joins thread, then destroys lock and cond. The caller must first ask the
 * thread to stop. */
void thread_join_with_cond(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *cond);

struct thread_loop {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* waits on CLOCK_MONOTONIC */
	bool woken;          /* guarded by lock */
	atomic_bool stop;    /* also read without the lock during a pass */
};

/* Initialises loop and runs fn(arg) on a new thread. Fails as
 * thread_start_with_cond does, with nothing left to free. */
enum ch_code thread_loop_start(struct thread_loop *loop, void *(*fn)(void *), void *arg,
			       const char *what, struct ch_error *err);
/* Sleeps up to seconds, or until thread_loop_wake or thread_loop_stop. */
void thread_loop_wait(struct thread_loop *loop, int64_t seconds);
/* Ends the current or next wait early. */
void thread_loop_wake(struct thread_loop *loop);
/* Returns true once thread_loop_stop was called. */
bool thread_loop_stopping(struct thread_loop *loop);
/* Sets stop, wakes the thread, waits for it to return, and frees the lock
 * and the condition variable. */
void thread_loop_stop(struct thread_loop *loop);

#endif
