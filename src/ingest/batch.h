/*
 * Private to ingest: batches of sightings, each written in one
 * transaction. Values are copied into a string arena whose chunks never
 * move, so a batch of hundreds of thousands of sightings costs a few
 * allocations.
 *
 * Two batches alternate: the reader fills one while a writer thread sorts
 * and stores the other, so parsing and SQLite work overlap on two cores.
 * Only the writer thread touches the store between batch_init and
 * batch_finish; the reader waits for the writer before reusing a batch.
 */
#ifndef CTIHUB_INGEST_BATCH_H
#define CTIHUB_INGEST_BATCH_H

#include <pthread.h>

#include "ingest/ingest.h"
#include "util/arena.h"

struct batch {
	struct store_sighting *sightings;
	size_t count;
	struct arena arena;
};

/* Running state of one ingest: the store, the report, the batches. */
struct ingest_run {
	struct store *store;
	const struct ingest_options *opt;
	struct ingest_summary *summary;
	const char *name;
	const char *data;      /* the whole input, which the report's hash covers */
	size_t len;
	bool mapped;           /* data is a private file mapping that may be dropped */
	size_t released;       /* bytes of data dropped from memory so far */
	int64_t report_id;
	int64_t source_id;
	bool report_hashed;    /* the report has its content hash */
	bool in_transaction;   /* the store has a write transaction open */
	bool bulk;             /* store_bulk_begin succeeded */

	struct batch batches[2];
	struct store_linked_ids *linked; /* ids written by earlier batches */
	struct batch *filling; /* the batch the reader adds to */
	size_t cap;            /* values per batch, unless the rest needs fewer batches */
	size_t cap_last;       /* values per batch at most */
	size_t target;         /* hand over at this count: cap, or more near the end */
	size_t early;          /* hand over at this count when the writer is idle */
	size_t pos;            /* bytes of data read so far, as the reader last set it */

	/* Hand-over to the writer thread, guarded by lock. */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct batch *pending;  /* given to the writer, not yet stored */
	bool quit;
	bool writer_idle;       /* waiting for a batch; also read without lock */
	enum ch_code writer_rc; /* first failure of the writer */
	struct ch_error writer_err;

	/* The SHA-256 of the input, computed on a thread of its own. */
	pthread_t hasher;
	bool hasher_started;
	bool digest_ready;      /* guarded by lock */
	char digest[65];
};

/* Creates the source and the report in a transaction left open for the
 * first batch; defined in ingest.c. While the hasher thread runs, the
 * report is created without its hash, and run_finish_report gives it the
 * hash before the first commit. */
enum ch_code run_open_report(struct ingest_run *run, struct ch_error *err);
enum ch_code run_finish_report(struct ingest_run *run, struct ch_error *err);
/* Computes the SHA-256 of data into out as hex; defined in ingest.c. */
void run_hash_input(const struct ingest_run *run, char out[65]);

/* Starts the writer thread, which opens the report before its first
 * batch, so that hashing the input overlaps with parsing it. When no
 * thread can be started, opens the report itself and returns its error.
 * Otherwise a failure of the writer shows at the first hand-over. */
enum ch_code batch_init(struct ingest_run *run, struct ch_error *err);
/* Stops the writer thread and frees the batches. */
void batch_free(struct ingest_run *run);
/* Adds a parsed indicator; hands the batch to the writer when it is full,
 * or earlier when the writer is idle. Returns the writer's error when an
 * earlier batch failed. */
enum ch_code batch_add(struct ingest_run *run, const struct ioc *ioc, struct ch_error *err);
/* Hands the filling batch to the writer (even an empty one, which commits
 * an open transaction) and waits until everything is stored. */
enum ch_code batch_finish(struct ingest_run *run, struct ch_error *err);

/* Drops the pages of a mapped input before offset upto from memory, which
 * the reader calls for what it has read. The kernel reads them again from
 * the file if they are touched. Does nothing for an input in memory. */
void run_release_input(struct ingest_run *run, size_t upto);

/* Reports a value that does not parse, through the caller's callback. */
void run_invalid(struct ingest_run *run, size_t line, const char *value, size_t len,
		 const char *reason);
bool run_stopped(const struct ingest_run *run);

/* Per-format readers. */
enum ch_code ingest_list(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err);
enum ch_code ingest_text(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err);
enum ch_code ingest_csv(struct ingest_run *run, const char *data, size_t len,
			struct ch_error *err);
/* True when the data looks like a delimited feed. */
bool ingest_looks_like_csv(const char *name, const char *data, size_t len);

#endif
