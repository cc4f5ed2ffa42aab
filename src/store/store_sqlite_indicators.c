/*
 * SQLite backend: recording sightings and reading one indicator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/linked_ids.h"
#include "store/sqlite_private.h"
#include "util/alloc.h"

/*
 * The write path for sightings. A batch is sorted by (type, value) so equal
 * values sit together and the unique index is walked in order; each
 * distinct value then costs one statement:
 *
 *   - a new indicator is a plain INSERT OR IGNORE, and the ids it gets are
 *     consecutive (this connection holds the write lock, so nothing else
 *     inserts meanwhile), so one INSERT ... SELECT over that id range links
 *     all of them to the report at the end of the batch;
 *   - an indicator that an earlier batch of the same ingest recorded, and
 *     so linked to the report, is updated by its id, found in the
 *     store_linked_ids table;
 *   - any other indicator the store already had is updated in place, and
 *     linked one by one.
 *
 * On a fresh database every statement appends to its B-trees, which is
 * where most of the ingest speed comes from.
 */
static const char insert_new_sql[] =
	"INSERT OR IGNORE INTO indicators (type, value, registrable, first_seen, last_seen,"
	"  times_seen, tlp, confidence, warnings, warnlist)"
	" VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9)";

/* The update of a known indicator; bind_sighting lists the parameters. */
#define UPDATE_SIGHTING_SQL \
	"UPDATE indicators SET" \
	"  last_seen = max(last_seen, ?4)," \
	"  times_seen = times_seen + ?5," \
	"  tlp = min(tlp, ?6)," \
	"  confidence = max(confidence, ?7)," \
	"  warnings = ?8," \
	"  warnlist = ?9"

static const char update_existing_sql[] =
	UPDATE_SIGHTING_SQL " WHERE type = ?1 AND value = ?2 RETURNING id";

/* The type and value are checked because the id comes from a hash table
 * where two values may share a key. */
static const char update_by_id_sql[] =
	UPDATE_SIGHTING_SQL " WHERE id = ?3 AND type = ?1 AND value = ?2";

static const char link_sql[] =
	"INSERT OR IGNORE INTO report_indicators (report_id, indicator_id) VALUES (?1, ?2)";

static const char link_range_sql[] =
	"INSERT OR IGNORE INTO report_indicators (report_id, indicator_id)"
	" SELECT ?1, id FROM indicators WHERE id BETWEEN ?2 AND ?3";

enum ch_code store_sqlite_prepare_ingest(struct store *st, struct ch_error *err)
{
	enum ch_code rc;

	rc = store_sqlite_prepare(st, insert_new_sql, &st->insert_new, err);
	if (rc == CH_OK)
		rc = store_sqlite_prepare(st, update_existing_sql, &st->update_existing, err);
	if (rc == CH_OK)
		rc = store_sqlite_prepare(st, update_by_id_sql, &st->update_by_id, err);
	if (rc == CH_OK)
		rc = store_sqlite_prepare(st, link_sql, &st->link, err);
	if (rc == CH_OK)
		rc = store_sqlite_prepare(st, link_range_sql, &st->link_range, err);
	return rc;
}

void store_sqlite_finalize_ingest(struct store *st)
{
	sqlite3_finalize(st->insert_new);
	sqlite3_finalize(st->update_existing);
	sqlite3_finalize(st->update_by_id);
	sqlite3_finalize(st->link);
	sqlite3_finalize(st->link_range);
}

/* A sort entry: the type and the first fifteen bytes of the value packed
 * into two integers so that comparing them orders like (type, value). Most
 * comparisons end there without touching the strings, even for URLs that
 * all start with "http://". */
struct sort_entry {
	uint64_t key;
	uint64_t key2;
	const struct store_sighting *sighting;
};

static uint64_t pack_bytes(const char *s, size_t len, size_t from, size_t count)
{
	uint64_t key = 0;

	for (size_t i = 0; i < count; i++) {
		unsigned char c = from + i < len ? (unsigned char)s[from + i] : 0;

		key = key << 8 | c;
	}
	return key;
}

static void set_sort_keys(struct sort_entry *e, const struct store_sighting *s)
{
	e->key = (uint64_t)s->type << 56 | pack_bytes(s->value, s->value_len, 0, 7);
	e->key2 = pack_bytes(s->value, s->value_len, 7, 8);
	e->sighting = s;
}

static int compare_entries(const void *a, const void *b)
{
	const struct sort_entry *x = a;
	const struct sort_entry *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? -1 : 1;
	/* Equal keys mean equal types and equal first fifteen bytes, and a
	 * value shorter than that is then equal to the other one. */
	if (x->sighting->value_len <= 15 || y->sighting->value_len <= 15)
		return 0;
	return strcmp(x->sighting->value + 15, y->sighting->value + 15);
}

/* Binds the columns shared by the insert and the update: ?1 type, ?2 value,
 * ?4 seen, ?5 sightings in this batch, ?6 TLP, ?7 confidence, ?8 warning
 * bits, ?9 warning list. The insert also reads ?3, the registrable domain. */
static void bind_sighting(sqlite3_stmt *stmt, const struct store_sighting *s, int count)
{
	sqlite3_bind_text(stmt, 1, ioc_type_name(s->type), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, s->value, (int)s->value_len, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, s->seen);
	sqlite3_bind_int(stmt, 5, count);
	sqlite3_bind_int(stmt, 6, (int)s->tlp);
	sqlite3_bind_int(stmt, 7, s->confidence);
	sqlite3_bind_int64(stmt, 8, s->warnings);
	if (s->warnlist)
		sqlite3_bind_text(stmt, 9, s->warnlist, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 9);
}

/* Inserts the value when new. *id is its rowid, or 0 when it existed. */
static enum ch_code insert_new(struct store *st, const struct store_sighting *s, int count,
			       int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *stmt = st->insert_new;
	int step;

	bind_sighting(stmt, s, count);
	if (s->registrable)
		sqlite3_bind_text(stmt, 3, s->registrable, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, 3);
	step = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "recording an indicator");
	*id = sqlite3_changes(st->db) ? sqlite3_last_insert_rowid(st->db) : 0;
	return CH_OK;
}

/* Updates the indicator with this id when its type and value match the
 * sighting, and sets *updated to whether they did. */
static enum ch_code update_by_id(struct store *st, const struct store_sighting *s, int count,
				 int64_t id, bool *updated, struct ch_error *err)
{
	sqlite3_stmt *stmt = st->update_by_id;
	int step;

	bind_sighting(stmt, s, count);
	sqlite3_bind_int64(stmt, 3, id);
	step = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "updating an indicator");
	*updated = sqlite3_changes(st->db) > 0;
	return CH_OK;
}

static enum ch_code update_and_link(struct store *st, int64_t report_id,
				    const struct store_sighting *s, int count,
				    int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *up = st->update_existing;
	int64_t indicator_id;
	int step;

	bind_sighting(up, s, count);
	step = sqlite3_step(up);
	if (step != SQLITE_ROW) {
		sqlite3_reset(up);
		return store_sqlite_fail(st, err, "updating an indicator");
	}
	indicator_id = sqlite3_column_int64(up, 0);
	sqlite3_reset(up);
	*id = indicator_id;

	sqlite3_bind_int64(st->link, 1, report_id);
	sqlite3_bind_int64(st->link, 2, indicator_id);
	step = sqlite3_step(st->link);
	sqlite3_reset(st->link);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "linking an indicator to its report");
	return CH_OK;
}

static enum ch_code link_range(struct store *st, int64_t report_id, int64_t first, int64_t last,
			       struct ch_error *err)
{
	int step;

	sqlite3_bind_int64(st->link_range, 1, report_id);
	sqlite3_bind_int64(st->link_range, 2, first);
	sqlite3_bind_int64(st->link_range, 3, last);
	step = sqlite3_step(st->link_range);
	sqlite3_reset(st->link_range);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "linking new indicators to their report");
	return CH_OK;
}

void store_sightings_sort(struct store_sighting *batch, size_t count)
{
	struct sort_entry *order;
	struct store_sighting *sorted;

	if (count < 2)
		return;
	order = xreallocarray(NULL, count, sizeof(*order));
	for (size_t i = 0; i < count; i++)
		set_sort_keys(&order[i], &batch[i]);
	qsort(order, count, sizeof(*order), compare_entries);

	sorted = xreallocarray(NULL, count, sizeof(*sorted));
	for (size_t i = 0; i < count; i++)
		sorted[i] = *order[i].sighting;
	memcpy(batch, sorted, count * sizeof(*batch));
	free(sorted);
	free(order);
}

/* Records one distinct value seen count times in the batch. *new_id is its
 * id when it was inserted, or 0 when it existed. */
static enum ch_code record_value(struct store *st, int64_t report_id,
				 const struct store_sighting *s, int count,
				 struct store_linked_ids *linked, int64_t *new_id,
				 struct ch_error *err)
{
	uint64_t hash = 0;
	int64_t id = 0;
	bool updated = false;
	enum ch_code rc;

	*new_id = 0;
	if (linked) {
		hash = store_linked_ids_hash(s->type, s->value, s->value_len);
		if (store_linked_ids_find(linked, hash, &id)) {
			rc = update_by_id(st, s, count, id, &updated, err);
			if (rc != CH_OK || updated)
				return rc;
		}
	}

	rc = insert_new(st, s, count, &id, err);
	if (rc != CH_OK)
		return rc;
	if (id)
		*new_id = id;
	else
		rc = update_and_link(st, report_id, s, count, &id, err);
	if (rc == CH_OK && linked)
		store_linked_ids_add(linked, hash, id);
	return rc;
}

enum ch_code store_sightings_add(struct store *st, int64_t report_id,
				 struct store_sighting *batch, size_t count,
				 struct store_linked_ids *linked, size_t *new_count,
				 struct ch_error *err)
{
	struct sort_entry *order = xreallocarray(NULL, count ? count : 1, sizeof(*order));
	int64_t first_new = 0, last_new = 0;
	size_t created = 0;
	enum ch_code rc = CH_OK;

	bool sorted = true;

	if (linked)
		store_linked_ids_reset(linked, report_id);
	for (size_t i = 0; i < count; i++) {
		set_sort_keys(&order[i], &batch[i]);
		if (i > 0 && sorted && compare_entries(&order[i - 1], &order[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(order, count, sizeof(*order), compare_entries);

	for (size_t i = 0; i < count;) {
		size_t j = i + 1;
		int64_t id = 0;

		/* Equal values are adjacent after sorting: one statement each. */
		while (j < count && compare_entries(&order[i], &order[j]) == 0)
			j++;

		rc = record_value(st, report_id, order[i].sighting, (int)(j - i), linked, &id, err);
		if (rc != CH_OK)
			goto out;
		if (id) {
			if (!first_new)
				first_new = id;
			last_new = id;
			created++;
		}
		i = j;
	}

	/* The new ids form one consecutive range: see the comment above. */
	if (created) {
		if (last_new - first_new + 1 != (int64_t)created) {
			rc = ch_fail(err, CH_INTERNAL,
				     "new indicator ids are not consecutive (%lld to %lld for %zu rows)",
				     (long long)first_new, (long long)last_new, created);
			goto out;
		}
		rc = link_range(st, report_id, first_new, last_new, err);
		if (rc != CH_OK)
			goto out;
	}
	*new_count = created;

out:
	free(order);
	return rc;
}

void store_indicator_free(struct store_indicator *ind)
{
	if (!ind)
		return;
	free(ind->value);
	free(ind->registrable);
	free(ind->warnlist);
	if (ind->sources) {
		for (char **s = ind->sources; *s; s++)
			free(*s);
		free(ind->sources);
	}
	memset(ind, 0, sizeof(*ind));
}

static enum ch_code load_indicator_sources(struct store *st, struct store_indicator *ind,
					   struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t n = 0;
	int step;

	if (store_sqlite_statement(st, "SELECT s.name, COUNT(*) FROM report_indicators ri"
			       " JOIN reports r ON r.id = ri.report_id"
			       " JOIN sources s ON s.id = r.source_id"
			       " WHERE ri.indicator_id = ?1 GROUP BY s.name ORDER BY s.name", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the source lookup");
	sqlite3_bind_int64(stmt, 1, ind->id);

	ind->sources = xcalloc(1, sizeof(char *));
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ind->sources = xreallocarray(ind->sources, n + 2, sizeof(char *));
		ind->sources[n++] = store_sqlite_strdup(stmt, 0);
		ind->sources[n] = NULL;
		ind->report_count += (size_t)sqlite3_column_int64(stmt, 1);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "reading the sources of an indicator");
	return CH_OK;
}

enum ch_code store_sqlite_indicator_row(struct store *st, enum ioc_type type, const char *value,
					bool with_sources, struct store_indicator *out,
					struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_indicator ind = { 0 };
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT id, registrable, first_seen, last_seen, times_seen, tlp,"
			       " confidence, warnings, warnlist FROM indicators"
			       " WHERE type = ?1 AND value = ?2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the indicator lookup");
	sqlite3_bind_text(stmt, 1, ioc_type_name(type), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);

	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_NOT_FOUND, "%s %s: not found", ioc_type_name(type), value);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = store_sqlite_fail(st, err, "looking up an indicator");
		goto out;
	}

	ind.id = sqlite3_column_int64(stmt, 0);
	ind.type = type;
	ind.value = xstrdup(value);
	ind.registrable = store_sqlite_strdup(stmt, 1);
	ind.first_seen = sqlite3_column_int64(stmt, 2);
	ind.last_seen = sqlite3_column_int64(stmt, 3);
	ind.times_seen = sqlite3_column_int64(stmt, 4);
	ind.tlp = (enum tlp_level)sqlite3_column_int(stmt, 5);
	ind.confidence = sqlite3_column_int(stmt, 6);
	ind.warnings = (uint32_t)sqlite3_column_int64(stmt, 7);
	ind.warnlist = store_sqlite_strdup(stmt, 8);

	rc = with_sources ? load_indicator_sources(st, &ind, err) : CH_OK;
	if (rc != CH_OK) {
		store_indicator_free(&ind);
		goto out;
	}
	*out = ind;

out:
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_indicator_get(struct store *st, enum ioc_type type, const char *value,
				 struct store_indicator *out, struct ch_error *err)
{
	return store_sqlite_indicator_row(st, type, value, true, out, err);
}
