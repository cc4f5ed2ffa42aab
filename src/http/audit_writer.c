/*
 * The audit writer thread (see audit_writer.h). Request threads append to
 * a linked list under a mutex and signal a condition variable. The thread
 * takes the whole list, writes it with store_audit_append_batch, and then
 * releases the holds of the requests that wait for it. Entries keep their
 * queue order, which is the order of their ids in the audit log.
 *
 * Entries are numbered as they are queued. After each batch the thread
 * records the number of the last entry written, and audit_writer_flush
 * waits until that number reaches the last one queued.
 */
#include "http/audit_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/log.h"
#include "util/thread.h"

/* Shortest time from one commit to the next, in microseconds. Every
 * commit makes each other connection drop its page cache when it next
 * starts a read transaction, and a lookup then reads its pages again, so
 * commits are spaced out under load. An entry that arrives after a quiet
 * period is written at once. */
static const long commit_interval_us = AUDIT_COMMIT_INTERVAL_MS * 1000L;

/* Pause after a failed batch before it is tried again, in milliseconds.
 * A lock wait already took the busy timeout of the store (5 s); other
 * errors would otherwise be retried in a tight loop. */
static const long retry_delay_ms = 100;

struct queued_entry {
	struct queued_entry *next;
	struct store_audit_entry entry; /* strings point into text */
	struct http_hold *hold;
	char request_id[HTTP_REQUEST_ID_MAX];
	char text[];
};

struct audit_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* the thread waits here for entries */
	pthread_cond_t committed; /* audit_writer_flush waits here */
	/* Guarded by lock. */
	struct queued_entry *head, *tail;
	size_t pending;           /* queued or being written */
	uint64_t queued_count;    /* entries ever queued */
	uint64_t written_count;   /* entries ever written or given up */
	bool stopping;
	struct store *st;
	struct timespec last_commit; /* CLOCK_MONOTONIC; used by the thread only */
};

/* Copies the entry's strings into one allocation. */
static struct queued_entry *copy_entry(const struct store_audit_entry *e)
{
	const char *fields[] = { e->actor ? e->actor : "anonymous", e->action, e->object,
				 e->client, e->outcome, e->detail ? e->detail : "" };
	const size_t field_count = sizeof(fields) / sizeof(fields[0]);
	size_t lens[sizeof(fields) / sizeof(fields[0])];
	size_t total = 0;
	struct queued_entry *q;
	char *p;

	for (size_t i = 0; i < field_count; i++) {
		lens[i] = strlen(fields[i]);
		total += lens[i] + 1;
	}
	q = xmalloc(sizeof(*q) + total);
	p = q->text;
	for (size_t i = 0; i < field_count; i++) {
		memcpy(p, fields[i], lens[i] + 1);
		fields[i] = p;
		p += lens[i] + 1;
	}
	q->next = NULL;
	q->entry = *e;
	q->entry.actor = fields[0];
	q->entry.action = fields[1];
	q->entry.object = fields[2];
	q->entry.client = fields[3];
	q->entry.outcome = fields[4];
	q->entry.detail = fields[5];
	return q;
}

/* Returns whether the writer is stopping, read under the lock. */
static bool is_stopping(struct audit_writer *w)
{
	bool stopping;

	pthread_mutex_lock(&w->lock);
	stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return stopping;
}

/* Waits retry_delay_ms, or less when the writer is asked to stop. */
static void wait_before_retry(struct audit_writer *w)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += retry_delay_ms * 1000000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000;
	deadline.tv_nsec %= 1000000000;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

/* Writes the entries of list in one transaction, then releases their
 * requests and frees them. A failed transaction, such as one that waited
 * longer than the busy timeout for another process's write lock, is
 * tried again until it commits, so entries are not dropped while an
 * ingest holds the lock. Only a writer that is stopping gives up after
 * one more failure, and logs each entry it could not write. */
static void write_batch(struct audit_writer *w, struct queued_entry *list)
{
	struct store_audit_entry *entries;
	struct ch_error err = { 0 };
	struct queued_entry *q, *next;
	size_t count = 0, i = 0;
	unsigned attempts = 0;
	enum ch_code rc;

	for (q = list; q; q = q->next)
		count++;
	entries = xreallocarray(NULL, count, sizeof(*entries));
	for (q = list; q; q = q->next)
		entries[i++] = q->entry;
	for (;;) {
		bool stopping = is_stopping(w);

		rc = store_audit_append_batch(w->st, entries, count, &err);
		attempts++;
		if (rc == CH_OK || stopping)
			break;
		log_warn(list->request_id,
			 "writing %zu audit entries failed (attempt %u), trying again: %s", count,
			 attempts, err.message);
		wait_before_retry(w);
	}
	free(entries);

	for (q = list; q; q = next) {
		next = q->next;
		if (rc != CH_OK)
			log_error(q->request_id, "audit entry for %s %s was not written: %s",
				  q->entry.action, q->entry.object, err.message);
		if (q->hold)
			http_hold_release(q->hold);
		free(q);
	}
}

/* Waits until commit_interval_us after the last commit, so that entries
 * queued meanwhile join the batch. Called with lock held. */
static void wait_for_interval(struct audit_writer *w)
{
	struct timespec deadline = w->last_commit;

	deadline.tv_nsec += commit_interval_us * 1000;
	deadline.tv_sec += deadline.tv_nsec / 1000000000;
	deadline.tv_nsec %= 1000000000;
	while (!w->stopping &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
}

static void *writer_main(void *arg)
{
	struct audit_writer *w = arg;
	struct queued_entry *list;

	for (;;) {
		uint64_t last;
		size_t count;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		wait_for_interval(w);
		list = w->head;
		w->head = w->tail = NULL;
		last = w->queued_count;
		count = w->pending;
		pthread_mutex_unlock(&w->lock);

		/* Stopping with an empty queue: everything is written. */
		if (!list)
			break;
		write_batch(w, list);
		clock_gettime(CLOCK_MONOTONIC, &w->last_commit);

		pthread_mutex_lock(&w->lock);
		w->written_count = last;
		w->pending -= count;
		pthread_cond_broadcast(&w->committed);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

enum ch_code audit_writer_start(const char *db_path, struct audit_writer **out,
				struct ch_error *err)
{
	struct audit_writer *w = xcalloc(1, sizeof(*w));
	enum ch_code rc;

	pthread_cond_init(&w->committed, NULL);
	rc = store_open(db_path, &w->st, err);
	if (rc == CH_OK)
		rc = thread_start_with_cond(&w->thread, &w->lock, &w->cond, writer_main, w,
					    "the audit writer", err);
	if (rc != CH_OK) {
		pthread_cond_destroy(&w->committed);
		store_close(w->st);
		free(w);
		return rc;
	}
	*out = w;
	return CH_OK;
}

void audit_writer_stop(struct audit_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);

	thread_join_with_cond(w->thread, &w->lock, &w->cond);
	pthread_cond_destroy(&w->committed);
	store_close(w->st);
	free(w);
}

void audit_writer_append(struct audit_writer *w, struct http_request *req,
			 const struct store_audit_entry *entry, bool wait)
{
	struct queued_entry *q = copy_entry(entry);

	memcpy(q->request_id, req->request_id, sizeof(q->request_id));
	q->hold = NULL;

	pthread_mutex_lock(&w->lock);
	/* A full queue holds the response back until the entry is written,
	 * which slows clients down to the pace of the writer. */
	if (wait || w->pending >= AUDIT_QUEUE_MAX)
		q->hold = http_hold(req);
	w->pending++;
	w->queued_count++;
	if (w->tail)
		w->tail->next = q;
	else
		w->head = q;
	w->tail = q;
	/* The writer sleeps on an empty queue only; while it waits for the
	 * commit interval, waking it would only put it back to sleep. */
	if (w->head == q)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void audit_writer_flush(struct audit_writer *w)
{
	uint64_t target;

	pthread_mutex_lock(&w->lock);
	target = w->queued_count;
	while (w->written_count < target)
		pthread_cond_wait(&w->committed, &w->lock);
	pthread_mutex_unlock(&w->lock);
}
