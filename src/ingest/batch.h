/*
 * Private to ingest: a batch of sightings waiting for one transaction.
 * Values are copied into a string arena whose chunks never move, so a
 * batch of hundreds of thousands of sightings costs a few allocations.
 */
#ifndef CTIHUB_INGEST_BATCH_H
#define CTIHUB_INGEST_BATCH_H

#include "ingest/ingest.h"
#include "util/arena.h"

/* Running state of one ingest: the store, the report, the open batch. */
struct ingest_run {
	struct store *store;
	const struct ingest_options *opt;
	struct ingest_summary *summary;
	const char *name;
	int64_t report_id;
	bool in_transaction;

	struct store_sighting *sightings;
	size_t count;
	size_t cap;
	struct arena arena;
};

void batch_init(struct ingest_run *run);
void batch_free(struct ingest_run *run);
/* Adds a parsed indicator; flushes (commits) when the batch is full. */
enum ch_code batch_add(struct ingest_run *run, const struct ioc *ioc, struct ch_error *err);
/* Writes the pending sightings and commits. */
enum ch_code batch_flush(struct ingest_run *run, struct ch_error *err);

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
