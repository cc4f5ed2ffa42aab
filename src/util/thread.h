/*
 * Background threads that sleep on a condition variable: the outbox
 * worker, the digest scheduler and the audit writer. Their condition
 * variables wait on CLOCK_MONOTONIC, so a change of the system clock
 * neither wakes them early nor makes them sleep too long.
 */
#ifndef CTIHUB_UTIL_THREAD_H
#define CTIHUB_UTIL_THREAD_H

#include <pthread.h>

#include "util/error.h"

/* Initialises lock and cond (on CLOCK_MONOTONIC) and starts main(arg) on
 * thread. On failure it destroys lock and cond again and fails with
 * CH_INTERNAL naming what, such as "the audit writer". */
enum ch_code thread_start_with_cond(pthread_t *thread, pthread_mutex_t *lock,
				    pthread_cond_t *cond, void *(*main)(void *), void *arg,
				    const char *what, struct ch_error *err);

/* Joins thread, then destroys lock and cond. The caller must first ask the
 * thread to stop. */
void thread_join_with_cond(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *cond);

#endif
