/*
 * Batching of sightings: collect, then write and commit as one transaction.
 */
#include "ingest/batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define DEFAULT_BATCH_SIZE 20000

void batch_init(struct ingest_run *run)
{
	size_t cap = run->opt->batch_size ? run->opt->batch_size : DEFAULT_BATCH_SIZE;

	run->cap = cap;
	run->count = 0;
	run->entries = xreallocarray(NULL, cap, sizeof(*run->entries));
	run->sightings = xreallocarray(NULL, cap, sizeof(*run->sightings));
	/* Each entry stores at most IOC_VALUE_MAX + IOC_DOMAIN_MAX bytes, so
	 * the arena can never exceed this bound. */
	buf_init(&run->arena, cap * (IOC_VALUE_MAX + IOC_DOMAIN_MAX + 2));
}

void batch_free(struct ingest_run *run)
{
	free(run->entries);
	free(run->sightings);
	buf_free(&run->arena);
	run->entries = NULL;
	run->sightings = NULL;
}

enum ch_code batch_add(struct ingest_run *run, const struct ioc *ioc, struct ch_error *err)
{
	struct batch_entry *e = &run->entries[run->count];
	enum ch_code rc;

	e->type = ioc->type;
	e->warnings = ioc->warnings;
	e->warnlist = ioc->warnlist_name;
	e->value_offset = run->arena.len;
	e->value_len = ioc->value_len;
	rc = buf_append(&run->arena, ioc->value, ioc->value_len + 1);
	if (rc == CH_OK && ioc->registrable[0]) {
		e->registrable_offset = run->arena.len;
		rc = buf_append(&run->arena, ioc->registrable, strlen(ioc->registrable) + 1);
	} else {
		e->registrable_offset = SIZE_MAX;
	}
	if (rc != CH_OK)
		return ch_fail(err, CH_INTERNAL, "ingest batch arena overflow");

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
	}

	for (size_t i = 0; i < run->count; i++) {
		const struct batch_entry *e = &run->entries[i];
		struct store_sighting *s = &run->sightings[i];

		s->type = e->type;
		s->value = run->arena.data + e->value_offset;
		s->value_len = e->value_len;
		s->registrable = e->registrable_offset == SIZE_MAX
				 ? NULL : run->arena.data + e->registrable_offset;
		s->warnings = e->warnings;
		s->warnlist = e->warnlist;
		s->tlp = run->opt->tlp;
		s->confidence = run->opt->confidence;
		s->seen = run->opt->now;
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
	buf_reset(&run->arena);
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
