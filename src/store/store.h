/*
 * The storage interface. Every SQL statement in ctihub lives in a backend
 * file (store_sqlite.c today, a PostgreSQL backend later); the rest of the
 * code sees only these functions and plain structs.
 *
 * Model: an indicator is unique on (type, value). A report is one submission
 * (an ingested file, a chat message, an API post) from a source, under one
 * TLP. report_indicators links the two. Re-ingesting the same content from
 * the same source finds the existing report (same SHA-256), so it adds no
 * rows and only moves last_seen and times_seen.
 *
 * Times are seconds since the Unix epoch, UTC.
 *
 * Ownership: store_open returns an owned handle; store_close(NULL) is a
 * no-op. Result structs filled by the store own their strings; free them with
 * the matching _free function.
 */
#ifndef CTIHUB_STORE_STORE_H
#define CTIHUB_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"
#include "policy/tlp.h"
#include "util/error.h"

struct store;

/* Opens (creating when missing) the database and applies every pending
 * migration. */
enum ch_code store_open(const char *path, struct store **out, struct ch_error *err);
void store_close(struct store *st);
/* Schema version after migrations. */
int store_schema_version(struct store *st);

enum ch_code store_begin(struct store *st, struct ch_error *err);
enum ch_code store_commit(struct store *st, struct ch_error *err);
void store_rollback(struct store *st);

/* Finds or creates a source by name. */
enum ch_code store_source_ensure(struct store *st, const char *name, int64_t *id,
				 struct ch_error *err);

struct store_report_new {
	int64_t source_id;
	const char *kind;       /* "file", "chat", ... */
	const char *title;      /* file name or subject */
	const char *content_sha256; /* hex digest of the submitted bytes */
	enum tlp_level tlp;
	int64_t created;
};

/* Finds the report of this source with this content hash, or creates it.
 * *existed tells which. */
enum ch_code store_report_ensure(struct store *st, const struct store_report_new *in,
				 int64_t *id, bool *existed, struct ch_error *err);

/* One sighting of an indicator in a report. The strings are borrowed from
 * the caller for the duration of the call. */
struct store_sighting {
	enum ioc_type type;
	const char *value;       /* canonical form */
	size_t value_len;
	const char *registrable; /* NULL when none */
	uint32_t warnings;       /* enum ioc_warning bits */
	const char *warnlist;    /* first matching warning list, or NULL */
	enum tlp_level tlp;
	int confidence; /* 0..100 */
	int64_t seen;
};

/*
 * Records a batch of sightings for one report inside the current
 * transaction: inserts new indicators, updates last_seen, times_seen, the
 * least restrictive TLP and the highest confidence of known ones, and links
 * each to the report. new_count receives how many indicators were new.
 * The batch is written in (type, value) order for index locality; the
 * array itself is not reordered.
 */
enum ch_code store_sightings_add(struct store *st, int64_t report_id,
				 struct store_sighting *batch, size_t count,
				 size_t *new_count, struct ch_error *err);

struct store_indicator {
	int64_t id;
	enum ioc_type type;
	char *value;
	char *registrable; /* NULL when none */
	int64_t first_seen;
	int64_t last_seen;
	int64_t times_seen;
	enum tlp_level tlp;
	int confidence;
	uint32_t warnings;
	char *warnlist; /* NULL when none */
	char **sources; /* source names, NULL-terminated */
	size_t report_count;
};

void store_indicator_free(struct store_indicator *ind);

/* Looks an indicator up by its canonical (type, value). CH_NOT_FOUND when
 * absent. */
enum ch_code store_indicator_get(struct store *st, enum ioc_type type, const char *value,
				 struct store_indicator *out, struct ch_error *err);

struct store_count {
	char *key;
	int64_t count;
};

struct store_count_list {
	struct store_count *items;
	size_t count;
};

void store_count_list_free(struct store_count_list *list);

struct store_totals {
	int64_t indicators;
	int64_t reports;
	int64_t sources;
	int64_t links;
	int64_t warned;
	int64_t by_type[IOC_TYPE_COUNT];
};

enum ch_code store_totals(struct store *st, struct store_totals *out, struct ch_error *err);

/* Aggregates for the digest over indicators first seen at or after since. */
enum ch_code store_new_by_type(struct store *st, int64_t since, struct store_count_list *out,
			       struct ch_error *err);
enum ch_code store_new_by_source(struct store *st, int64_t since, struct store_count_list *out,
				 struct ch_error *err);
enum ch_code store_top_registrable(struct store *st, int64_t since, size_t limit,
				   struct store_count_list *out, struct ch_error *err);
/* Counts of new indicators per warning (keys are warning names, and
 * "warninglist:NAME" for each list). */
enum ch_code store_new_warnings(struct store *st, int64_t since, struct store_count_list *out,
				struct ch_error *err);
/* Number of indicators first seen at or after since. */
enum ch_code store_new_total(struct store *st, int64_t since, int64_t *out, struct ch_error *err);

#endif
