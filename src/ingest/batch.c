/*
 * Batching of sightings: collect, then write and commit as one transaction.
 */
#include "ingest/batch.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/store.h"
#include "util/alloc.h"
#include "util/thread.h"

/* Values per transaction. A batch is sorted before it is written, and on a
 * fresh database a large sorted batch appends to every index instead of
 * inserting at random places, so bigger is faster: 250,000 values cost
 * about 35 MB of memory here. */
#define DEFAULT_BATCH_SIZE 250000

/* The smallest batch that the reader first hands to an idle writer. A full
 * batch takes the reader about 0.3 s on the benchmark machine, and the
 * writer would wait that long at the start. Handed over early, each batch
 * contains what the reader parsed while the writer stored the one before,
 * so the batches grow to the cap, and the small early commits are cheap.
 * The minimum doubles with each early batch. */
#define EARLY_BATCH_SIZE 40000

/* Every commit rewrites most pages of the unique index, however few values
 * it holds. So near the end of the input, batches grow by up to half the
 * cap when that saves a commit. */
#define LAST_BATCH_EXTRA 2

static void batch_setup(struct batch *b, size_t cap)
{
	b->sightings = xreallocarray(NULL, cap, sizeof(*b->sightings));
	b->count = 0;
	arena_init(&b->arena, 1 << 20);
}

/* Stores one batch and commits; runs on the writer thread. */
static enum ch_code store_batch(struct ingest_run *run, struct batch *b, struct ch_error *err)
{
	size_t created = 0;
	enum ch_code rc;

	if (b->count == 0 && !run->in_transaction)
		return CH_OK;
	if (!run->in_transaction) {
		rc = store_begin(run->store, err);
		if (rc != CH_OK)
			return rc;
		run->in_transaction = true;
	}
	rc = store_sightings_add(run->store, run->report_id, b->sightings, b->count, run->linked,
				 &created, err);
	if (rc == CH_OK)
		rc = run_finish_report(run, err);
	if (rc == CH_OK)
		rc = store_commit(run->store, err);
	if (rc == CH_OK)
		store_bulk_committed(run->store);
	if (rc != CH_OK) {
		store_rollback(run->store);
		run->in_transaction = false;
		return rc;
	}
	run->in_transaction = false;
	run->summary->new_indicators += created;
	return CH_OK;
}

/* Hashes the input, so that the writer can store the first batch
 * meanwhile instead of waiting for the hash. */
static void *hasher_main(void *arg)
{
	struct ingest_run *run = arg;

	run_hash_input(run, run->digest);
	pthread_mutex_lock(&run->lock);
	run->digest_ready = true;
	pthread_cond_broadcast(&run->changed);
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct ingest_run *run = arg;
	struct ch_error open_err = { 0 };
	enum ch_code open_rc = run_open_report(run, &open_err);

	pthread_mutex_lock(&run->lock);
	if (open_rc != CH_OK) {
		run->writer_rc = open_rc;
		run->writer_err = open_err;
	}
	for (;;) {
		while (!run->pending && !run->quit) {
			__atomic_store_n(&run->writer_idle, true, __ATOMIC_RELAXED);
			pthread_cond_wait(&run->changed, &run->lock);
		}
		__atomic_store_n(&run->writer_idle, false, __ATOMIC_RELAXED);
		if (!run->pending)
			break;

		struct batch *b = run->pending;
		struct ch_error err = { 0 };
		bool skip = run->writer_rc != CH_OK;

		pthread_mutex_unlock(&run->lock);
		enum ch_code rc = skip ? CH_OK : store_batch(run, b, &err);
		b->count = 0;
		arena_reset(&b->arena);
		pthread_mutex_lock(&run->lock);

		if (rc != CH_OK && run->writer_rc == CH_OK) {
			run->writer_rc = rc;
			run->writer_err = err;
		}
		run->pending = NULL;
		pthread_cond_broadcast(&run->changed);
	}
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* Estimates the distinct values in the input from its size: one per 32
 * bytes of a list (the benchmark's lines), one per 100 bytes of CSV (feed
 * rows run from 70 to 220 bytes), and far fewer in prose. */
static size_t expected_values(const struct ingest_run *run)
{
	switch (run->summary->format) {
	case INGEST_LIST:
		return run->len / 32;
	case INGEST_CSV:
		return run->len / 100;
	default:
		return run->len / 400;
	}
}

enum ch_code batch_init(struct ingest_run *run, struct ch_error *err)
{
	run->cap = run->opt->batch_size ? run->opt->batch_size : DEFAULT_BATCH_SIZE;
	/* A batch size given by the caller is kept exactly. */
	run->early = run->opt->batch_size ? run->cap : EARLY_BATCH_SIZE;
	run->cap_last = run->opt->batch_size ? run->cap : run->cap + run->cap / LAST_BATCH_EXTRA;
	run->target = run->cap;
	batch_setup(&run->batches[0], run->cap_last);
	batch_setup(&run->batches[1], run->cap_last);
	run->filling = &run->batches[0];
	run->linked = store_linked_ids_new(expected_values(run));
	run->pending = NULL;
	run->quit = false;
	run->writer_idle = false;
	run->writer_rc = CH_OK;
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->changed, NULL);
	/* Without a checkpoint thread the writer checkpoints, as it does
	 * outside an ingest, so a failure here changes only the speed. This
	 * comes first because from pthread_create on, the store is the
	 * writer's. */
	run->bulk = store_bulk_begin(run->store, run->len, NULL) == CH_OK;
	run->digest_ready = false;
	run->hasher_started = pthread_create(&run->hasher, NULL, hasher_main, run) == 0;
	run->writer_started = pthread_create(&run->writer, NULL, writer_main, run) == 0;
	if (!run->writer_started)
		return run_open_report(run, err);
	return CH_OK;
}

void batch_free(struct ingest_run *run)
{
	if (run->writer_started) {
		pthread_mutex_lock(&run->lock);
		run->quit = true;
		pthread_cond_broadcast(&run->changed);
		pthread_mutex_unlock(&run->lock);
		pthread_join(run->writer, NULL);
		run->writer_started = false;
	}
	if (run->hasher_started) {
		pthread_join(run->hasher, NULL);
		run->hasher_started = false;
	}
	if (run->bulk)
		store_bulk_end(run->store);
	pthread_mutex_destroy(&run->lock);
	pthread_cond_destroy(&run->changed);
	store_linked_ids_free(run->linked);
	run->linked = NULL;
	for (int i = 0; i < 2; i++) {
		free(run->batches[i].sightings);
		arena_free(&run->batches[i].arena);
		run->batches[i].sightings = NULL;
	}
}

/* Waits until the writer has stored the batch it holds; returns its first
 * error, if any. Called with the lock held. While it waits, the reader
 * starts the writeback of what the writer has written so far, so that the
 * checkpoints' fsyncs, the last of which the ingest waits for, have less
 * left to write. */
static enum ch_code wait_writer(struct ingest_run *run, struct ch_error *err)
{
	while (run->pending) {
		struct timespec until;

		if (!run->bulk) {
			pthread_cond_wait(&run->changed, &run->lock);
			continue;
		}
		thread_deadline_after(&until, CLOCK_REALTIME, STORE_BULK_FLUSH_INTERVAL_NS);
		if (pthread_cond_timedwait(&run->changed, &run->lock, &until) != 0 && run->pending) {
			pthread_mutex_unlock(&run->lock);
			store_bulk_flush(run->store);
			pthread_mutex_lock(&run->lock);
		}
	}
	if (run->writer_rc != CH_OK && err)
		*err = run->writer_err;
	return run->writer_rc;
}

/* Gives the filling batch to the writer and switches to the other one. */
static enum ch_code hand_over(struct ingest_run *run, struct ch_error *err)
{
	enum ch_code rc;

	/* Sorting here, on the reader's thread, takes that work off the
	 * writer, which is the slower of the two. An idle writer sorts the
	 * batch itself, so that the reader goes on parsing. */
	if (!__atomic_load_n(&run->writer_idle, __ATOMIC_RELAXED))
		store_sightings_sort(run->filling->sightings, run->filling->count);

	if (!run->writer_started) {
		/* No thread could be started: store in this thread instead. */
		rc = store_batch(run, run->filling, err);
		run->filling->count = 0;
		arena_reset(&run->filling->arena);
		return rc;
	}
	pthread_mutex_lock(&run->lock);
	rc = wait_writer(run, err);
	if (rc == CH_OK) {
		run->pending = run->filling;
		/* Cleared here, not when the writer wakes, so that the reader
		 * does not hand over the next batch early and then wait. */
		__atomic_store_n(&run->writer_idle, false, __ATOMIC_RELAXED);
		run->filling = run->filling == &run->batches[0] ? &run->batches[1] : &run->batches[0];
		pthread_cond_broadcast(&run->changed);
	}
	pthread_mutex_unlock(&run->lock);
	return rc;
}

/* Returns the count at which to hand over the filling batch, which has
 * count values. That is the cap, unless the rest of the input fits in one
 * or two batches of at most cap_last but needs one more at the cap. The
 * rest is estimated from the bytes per value so far. Of two such batches,
 * the first takes half. The last runs to the end of the input, or to
 * cap_last, since the estimate tends to come out a little low. */
static size_t hand_over_at(const struct ingest_run *run, size_t count)
{
	size_t values = run->summary->values;
	double total, with_cap, with_last;

	if (run->cap_last == run->cap || values == 0 || run->pos == 0)
		return run->cap;
	total = (double)count;
	if (run->pos < run->len)
		total += (double)(run->len - run->pos) * (double)values / (double)run->pos;
	with_cap = ceil(total / (double)run->cap);
	with_last = ceil(total / (double)run->cap_last);
	if (with_last >= with_cap || with_last > 2)
		return run->cap;
	return with_last == 1 ? run->cap_last : (size_t)ceil(total / 2);
}

enum ch_code batch_add(struct ingest_run *run, const struct ioc *ioc, struct ch_error *err)
{
	struct batch *b = run->filling;
	struct store_sighting *s = &b->sightings[b->count];

	s->type = ioc->type;
	s->value = arena_strndup(&b->arena, ioc->value, ioc->value_len);
	s->value_len = ioc->value_len;
	s->registrable = ioc->registrable[0]
			 ? arena_strndup(&b->arena, ioc->registrable, strlen(ioc->registrable))
			 : NULL;
	s->warnings = ioc->warnings;
	s->warnlist = ioc->warnlist_name;
	s->tlp = run->opt->tlp;
	s->confidence = run->opt->confidence;
	s->seen = run->opt->now;
	/* Hashed here, on the reader thread, while the value is in the
	 * cache; the writer needs the hash for the ingest's id table. */
	s->hash = store_linked_ids_hash(s->type, s->value, s->value_len);
	s->sorted = false;
	s->repeat = false;

	b->count++;
	run->summary->values++;
	if (ioc->warnings)
		run->summary->warned++;

	if (b->count == run->cap)
		run->target = hand_over_at(run, b->count);
	if (b->count >= run->target || b->count == run->cap_last) {
		run->target = run->cap;
		return hand_over(run, err);
	}
	if (b->count >= run->early && __atomic_load_n(&run->writer_idle, __ATOMIC_RELAXED)) {
		/* Each early batch at least doubles the next one's minimum, so
		 * that a writer faster than the reader does not get small
		 * batches, and their commits, all along. */
		run->early = run->early * 2 < run->cap ? run->early * 2 : run->cap;
		run->target = run->cap;
		return hand_over(run, err);
	}
	return CH_OK;
}

enum ch_code batch_finish(struct ingest_run *run, struct ch_error *err)
{
	enum ch_code rc;

	if (!run->writer_started) {
		/* No thread could be started: store in this thread instead. */
		rc = store_batch(run, run->filling, err);
		run->filling->count = 0;
		return rc;
	}
	rc = hand_over(run, err);
	if (rc != CH_OK)
		return rc;
	pthread_mutex_lock(&run->lock);
	rc = wait_writer(run, err);
	pthread_mutex_unlock(&run->lock);
	return rc;
}

void run_release_input(struct ingest_run *run, size_t upto)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t end = upto / page * page;

	if (!run->mapped || end <= run->released)
		return;
	/* The mapping starts on a page boundary, so end is one too. */
	(void)madvise((char *)run->data + run->released, end - run->released, MADV_DONTNEED);
	run->released = end;
}

void run_invalid(struct ingest_run *run, size_t line, const char *value, size_t len,
		 const char *reason)
{
	run->summary->invalid++;
	if (run->opt->on_invalid_cb)
		run->opt->on_invalid_cb(run->opt->ctx, run->name, line, value, len, reason);
}

bool run_stopped(const struct ingest_run *run)
{
	return run->opt->stop && *run->opt->stop;
}
