/*
 * Batching of sightings: collect, then write and commit as one transaction.
 */
#include "ingest/batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* Values per transaction. A batch is sorted before it is written, and on a
 * fresh database a large sorted batch appends to every index instead of
 * inserting at random places, so bigger is faster: 250,000 values cost
 * about 35 MB of memory here. */
#define DEFAULT_BATCH_SIZE 250000

void batch_init(struct ingest_run *run)
{
	size_t cap = run->opt->batch_size ? run->opt->batch_size : DEFAULT_BATCH_SIZE;

	run->cap = cap;
	run->count = 0;
	run->sightings = xreallocarray(NULL, cap, sizeof(*run->sightings));
	arena_init(&run->arena, 1 << 20);
}

void batch_free(struct ingest_run *run)
{
	free(run->sightings);
	arena_free(&run->arena);
	run->sightings = NULL;
}

enum ch_code batch_add(struct ingest_run *run, const struct ioc *ioc, struct ch_error *err)
{
	struct store_sighting *s = &run->sightings[run->count];

	s->type = ioc->type;
	s->value = arena_strndup(&run->arena, ioc->value, ioc->value_len);
	s->value_len = ioc->value_len;
	s->registrable = ioc->registrable[0]
			 ? arena_strndup(&run->arena, ioc->registrable, strlen(ioc->registrable))
			 : NULL;
	s->warnings = ioc->warnings;
	s->warnlist = ioc->warnlist_name;
	s->tlp = run->opt->tlp;
	s->confidence = run->opt->confidence;
	s->seen = run->opt->now;

	run->count++;
	run->summary->values++;
	if (ioc->warnings)
		run->summary->warned++;

	if (run->count == run->cap)
		return batch_flush(run, err);
	return CH_OK;
}

enum ch_code batch_flush(struct ingest_run *run, struct ch_error *err)
{
	size_t created = 0;
	enum ch_code rc;

	if (run->count == 0 && !run->in_transaction)
		return CH_OK;
	if (!run->in_transaction) {
		rc = store_begin(run->store, err);
		if (rc != CH_OK)
			return rc;
		run->in_transaction = true;
	}

	rc = store_sightings_add(run->store, run->report_id, run->sightings, run->count,
				 &created, err);
	if (rc == CH_OK)
		rc = store_commit(run->store, err);
	if (rc != CH_OK) {
		store_rollback(run->store);
		run->in_transaction = false;
		return rc;
	}

	run->in_transaction = false;
	run->summary->new_indicators += created;
	run->count = 0;
	arena_reset(&run->arena);
	return CH_OK;
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
