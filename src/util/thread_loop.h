/*
 * A background thread that repeats a pass and sleeps between passes, as
 * the outbox worker and the digest scheduler of ctihub serve do. The
 * owner embeds a struct thread_loop, starts its thread function with
 * thread_loop_start, and calls thread_loop_wait between passes.
 */
#ifndef CTIHUB_UTIL_THREAD_LOOP_H
#define CTIHUB_UTIL_THREAD_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct thread_loop {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* waits on CLOCK_MONOTONIC */
	bool woken;          /* guarded by lock */
	atomic_bool stop;    /* also read without the lock during a pass */
};

/* Initialises loop and runs fn(arg) on a new thread. Returns false, with
 * nothing left to free, when the thread cannot be created. */
bool thread_loop_start(struct thread_loop *loop, void *(*fn)(void *), void *arg);
/* Sleeps up to seconds, or until thread_loop_wake or thread_loop_stop. */
void thread_loop_wait(struct thread_loop *loop, int64_t seconds);
/* Ends the current or next wait early. */
void thread_loop_wake(struct thread_loop *loop);
/* Tells whether thread_loop_stop was called. */
bool thread_loop_stopping(struct thread_loop *loop);
/* Sets stop, wakes the thread, waits for it to return, and frees the lock
 * and the condition variable. */
void thread_loop_stop(struct thread_loop *loop);

#endif
