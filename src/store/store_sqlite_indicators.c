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
 * values sit together and the unique index is walked in order, and each
 * distinct value is written once:
 *
 *   - an indicator that an earlier batch of the same ingest recorded, and
 *     so linked to the report, is updated by its id, found in the
 *     store_linked_ids table;
 *   - all other values go to one INSERT OR IGNORE ... SELECT over the
 *     table-valued function ingest_rows (store_sqlite_rows.c). The rows it
 *     inserts get consecutive ids in the order of the batch (this
 *     connection holds the write lock, so nothing else inserts meanwhile),
 *     so one INSERT ... SELECT over that id range links them all to the
 *     report;
 *   - a value that the insert ignored because the store already had it is
 *     updated in place and linked one by one.
 *
 * On a fresh database every statement appends to its B-trees, which is
 * where most of the ingest speed comes from.
 */
/* Rows between a slot prefetch in store_linked_ids and its probe. */
#define LINKED_PREFETCH_AHEAD 8

static const char insert_rows_sql[] =
	"INSERT OR IGNORE INTO indicators (type, value, registrable, first_seen, last_seen,"
	"  times_seen, tlp, confidence, warnings, warnlist)"
	" SELECT type, value, registrable, seen, seen, count, tlp, confidence, warnings, warnlist"
	" FROM ingest_rows(?1)";

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

	rc = store_sqlite_prepare(st, insert_rows_sql, &st->insert_rows, err);
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
	sqlite3_finalize(st->insert_rows);
	sqlite3_finalize(st->update_existing);
	sqlite3_finalize(st->update_by_id);
	sqlite3_finalize(st->link);
	sqlite3_finalize(st->link_range);
	store_sqlite_free_ingest_arrays(st);
}

void store_sqlite_free_ingest_arrays(struct store *st)
{
	free(st->ingest_order);
	free(st->ingest_rows);
	st->ingest_order = NULL;
	st->ingest_rows = NULL;
	st->ingest_capacity = 0;
}

/* A sort entry: the type and the first fifteen bytes of the value packed
 * into two integers so that comparing them orders like (type, value). Most
 * comparisons end there without touching the strings, even for URLs that
 * all start with "http://". */
struct store_sort_entry {
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

static void set_sort_keys(struct store_sort_entry *e, const struct store_sighting *s)
{
	if (s->value_len >= 15) {
		/* The same bytes as below, read as big-endian words. */
		uint64_t head, tail;

		memcpy(&head, s->value, 8);
		memcpy(&tail, s->value + 7, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		head = __builtin_bswap64(head);
		tail = __builtin_bswap64(tail);
#endif
		e->key = (uint64_t)s->type << 56 | head >> 8;
		e->key2 = tail;
	} else {
		e->key = (uint64_t)s->type << 56 | pack_bytes(s->value, s->value_len, 0, 7);
		e->key2 = pack_bytes(s->value, s->value_len, 7, 8);
	}
	e->sighting = s;
}

static int compare_entries(const void *a, const void *b)
{
	const struct store_sort_entry *x = a;
	const struct store_sort_entry *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->key2 != y->key2)
		return x->key2 < y->key2 ? -1 : 1;
	/* Equal keys mean equal types and equal first fifteen bytes. A value
	 * of fifteen bytes or fewer is then a prefix of the other one, or the
	 * same value. */
	if (x->sighting->value_len <= 15 || y->sighting->value_len <= 15)
		return (x->sighting->value_len > y->sighting->value_len) -
		       (x->sighting->value_len < y->sighting->value_len);
	return strcmp(x->sighting->value + 15, y->sighting->value + 15);
}

/* The order of a sort: by (type, value), and equal values by their place
 * in the batch, which is the order they were read in, whatever qsort does
 * with ties. */
static int compare_sort(const void *a, const void *b)
{
	const struct store_sort_entry *x = a;
	const struct store_sort_entry *y = b;
	int c = compare_entries(a, b);

	if (c != 0)
		return c;
	return x->sighting < y->sighting ? -1 : x->sighting > y->sighting;
}

/* Entries up to this count are sorted by insertion, not by their bytes. */
#define RADIX_MIN 32

/* Returns byte digit of the 16 bytes that key and key2 pack, counting
 * from the most significant. */
static unsigned key_byte(const struct store_sort_entry *e, int digit)
{
	uint64_t word = digit < 8 ? e->key : e->key2;

	return (unsigned)(word >> (56 - 8 * (digit % 8))) & 0xff;
}

static void insertion_sort(struct store_sort_entry *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct store_sort_entry e = a[i];
		size_t j = i;

		while (j > 0 && compare_sort(&a[j - 1], &e) > 0) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = e;
	}
}

/* Sorts a[0..n) into compare_sort order, bucket by bucket on the packed
 * bytes from digit on (a most-significant-digit radix sort, which moves
 * entries through tmp). Small buckets, and entries whose 16 bytes are all
 * equal, are left to comparisons. On the list benchmark of bench/run the
 * sorting took less than half of its time with qsort. */
static void radix_sort(struct store_sort_entry *a, struct store_sort_entry *tmp, size_t n, int digit)
{
	size_t count[256], next[256];
	size_t pos = 0;
	unsigned first;

	while (n > RADIX_MIN && digit < 16) {
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[key_byte(&a[i], digit)]++;
		first = key_byte(&a[0], digit);
		if (count[first] < n)
			break;
		digit++; /* one bucket: nothing to move at this digit */
	}
	if (n <= RADIX_MIN) {
		insertion_sort(a, n);
		return;
	}
	if (digit == 16) {
		qsort(a, n, sizeof(*a), compare_sort);
		return;
	}

	for (unsigned b = 0; b < 256; b++) {
		next[b] = pos;
		pos += count[b];
	}
	/* In order within each bucket, so that ties keep their places. */
	for (size_t i = 0; i < n; i++)
		tmp[next[key_byte(&a[i], digit)]++] = a[i];
	memcpy(a, tmp, n * sizeof(*a));

	pos = 0;
	for (unsigned b = 0; b < 256; b++) {
		if (count[b] > 1)
			radix_sort(a + pos, tmp + pos, count[b], digit + 1);
		pos += count[b];
	}
}

static void sort_entries(struct store_sort_entry *order, size_t count)
{
	struct store_sort_entry *tmp;

	if (count < 2)
		return;
	tmp = xreallocarray(NULL, count, sizeof(*tmp));
	radix_sort(order, tmp, count, 0);
	free(tmp);
}

/* Binds the parameters of the updates: ?1 type, ?2 value, ?4 seen, ?5
 * sightings in this batch, ?6 TLP, ?7 confidence, ?8 warning bits, ?9
 * warning list. ?3 is left to the caller. */
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
	struct store_sort_entry *order;

	if (count < 2)
		return;
	order = xreallocarray(NULL, count, sizeof(*order));
	for (size_t i = 0; i < count; i++)
		set_sort_keys(&order[i], &batch[i]);
	sort_entries(order, count);

	/* The runs of equal values are marked here too, because this runs
	 * on the ingest's reader thread, which has time to spare. */
	for (size_t i = 0; i < count; i++) {
		size_t from = (size_t)(order[i].sighting - batch);

		batch[from].sorted = true;
		batch[from].repeat = i > 0 && compare_entries(&order[i - 1], &order[i]) == 0;
	}

	/* Moves each sighting to its place in the batch itself, one cycle of
	 * the permutation at a time, instead of through a sorted copy: for a
	 * batch of 375,000 that copy took 30 MB. A placed entry is marked by
	 * a NULL sighting. */
	for (size_t i = 0; i < count; i++) {
		struct store_sighting first;
		size_t to = i;

		if (!order[i].sighting)
			continue;
		first = batch[i];
		for (;;) {
			size_t from = (size_t)(order[to].sighting - batch);

			order[to].sighting = NULL;
			if (from == i) {
				batch[to] = first;
				break;
			}
			batch[to] = batch[from];
			to = from;
		}
	}
	free(order);
}

/* Inserts the rows that the store does not have yet in one statement.
 * *first is the id of the first inserted row and *inserted their number;
 * the ids run from there in the order of rows. */
static enum ch_code insert_rows(struct store *st, const struct store_sqlite_row *rows,
				size_t count, int64_t *first, size_t *inserted,
				struct ch_error *err)
{
	struct store_sqlite_rows bound = { .items = rows, .count = count };
	sqlite3_stmt *stmt = st->insert_rows;
	int64_t before = 0, last;
	enum ch_code rc;
	int step;

	rc = store_sqlite_count(st, "SELECT coalesce(max(id), 0) FROM indicators", &before, err);
	if (rc != CH_OK)
		return rc;

	sqlite3_bind_pointer(stmt, 1, &bound, STORE_SQLITE_ROWS_POINTER, NULL);
	step = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_bind_null(stmt, 1);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "recording indicators");

	*first = before + 1;
	*inserted = (size_t)sqlite3_changes64(st->db);
	last = sqlite3_last_insert_rowid(st->db);
	if (*inserted && last - before != (int64_t)*inserted)
		return ch_fail(err, CH_INTERNAL,
			       "new indicator ids are not consecutive (%lld to %lld for %zu rows)",
			       (long long)*first, (long long)last, *inserted);
	return CH_OK;
}

static bool row_matches(sqlite3_stmt *stmt, const struct store_sighting *s)
{
	const char *type = (const char *)sqlite3_column_text(stmt, 1);
	const void *value = sqlite3_column_text(stmt, 2);

	return type && value && strcmp(type, ioc_type_name(s->type)) == 0 &&
	       (size_t)sqlite3_column_bytes(stmt, 2) == s->value_len &&
	       memcmp(value, s->value, s->value_len) == 0;
}

/* Runs after an insert that skipped some rows. It reads the inserted rows
 * back in id order, which is the order of rows. Each row then either gets
 * its new id recorded in linked or is marked in skipped[] as stored before. */
static enum ch_code find_skipped(struct store *st, const struct store_sqlite_row *rows,
				 size_t count, int64_t first, struct store_linked_ids *linked,
				 bool *skipped, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int step;

	if (store_sqlite_statement(st, "SELECT id, type, value FROM indicators WHERE id >= ?1"
				   " ORDER BY id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the new indicator scan");
	sqlite3_bind_int64(stmt, 1, first);
	step = sqlite3_step(stmt);
	for (size_t k = 0; k < count; k++) {
		skipped[k] = step != SQLITE_ROW || !row_matches(stmt, rows[k].sighting);
		if (skipped[k])
			continue;
		if (linked)
			store_linked_ids_add(linked, rows[k].hash, sqlite3_column_int64(stmt, 0));
		step = sqlite3_step(stmt);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "reading new indicators");
	return CH_OK;
}

/* Stores the rows that earlier batches did not write: one insert for all,
 * then an update and a link for each that the store already had. */
static enum ch_code store_rows(struct store *st, int64_t report_id,
			       const struct store_sqlite_row *rows, size_t count,
			       struct store_linked_ids *linked, size_t *created,
			       struct ch_error *err)
{
	bool *skipped = NULL;
	int64_t first = 0;
	size_t inserted = 0;
	enum ch_code rc;

	rc = insert_rows(st, rows, count, &first, &inserted, err);
	if (rc != CH_OK)
		return rc;

	if (inserted == count) {
		for (size_t k = 0; linked && k < count; k++)
			store_linked_ids_add(linked, rows[k].hash, first + (int64_t)k);
	} else {
		skipped = xcalloc(count, sizeof(*skipped));
		rc = find_skipped(st, rows, count, first, linked, skipped, err);
		for (size_t k = 0; rc == CH_OK && k < count; k++) {
			int64_t id = 0;

			if (!skipped[k])
				continue;
			rc = update_and_link(st, report_id, rows[k].sighting, rows[k].count, &id, err);
			if (rc == CH_OK && linked)
				store_linked_ids_add(linked, rows[k].hash, id);
		}
		free(skipped);
		if (rc != CH_OK)
			return rc;
	}

	/* The new ids form one consecutive range: see the comment above. */
	if (inserted) {
		rc = link_range(st, report_id, first, first + (int64_t)inserted - 1, err);
		if (rc != CH_OK)
			return rc;
	}
	*created = inserted;
	return CH_OK;
}

/* Updates the value by the id an earlier batch gave it. *done is false when
 * linked has no id for its hash or that id belongs to another value. */
static enum ch_code update_linked(struct store *st, struct store_linked_ids *linked,
				  const struct store_sqlite_row *row, bool *done,
				  struct ch_error *err)
{
	int64_t id;

	*done = false;
	if (!linked || !store_linked_ids_find(linked, row->hash, &id))
		return CH_OK;
	return update_by_id(st, row->sighting, row->count, id, done, err);
}

enum ch_code store_sightings_add(struct store *st, int64_t report_id,
				 struct store_sighting *batch, size_t count,
				 struct store_linked_ids *linked, size_t *new_count,
				 struct ch_error *err)
{
	struct store_sort_entry *order;
	struct store_sqlite_row *rows;
	size_t row_count = 0, created = 0;
	enum ch_code rc = CH_OK;
	bool presorted = count > 0 && batch[0].sorted;
	bool sorted = true;

	if (count > st->ingest_capacity || !st->ingest_order) {
		size_t capacity = count ? count : 1;

		store_sqlite_free_ingest_arrays(st);
		st->ingest_order = xreallocarray(NULL, capacity, sizeof(*st->ingest_order));
		st->ingest_rows = xreallocarray(NULL, capacity, sizeof(*st->ingest_rows));
		st->ingest_capacity = capacity;
	}
	order = st->ingest_order;
	rows = st->ingest_rows;

	if (linked)
		store_linked_ids_reset(linked, report_id);
	for (size_t i = 0; i < count; i++) {
		if (presorted) {
			order[i].sighting = &batch[i];
			continue;
		}
		set_sort_keys(&order[i], &batch[i]);
		if (i > 0 && sorted && compare_entries(&order[i - 1], &order[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		sort_entries(order, count);

	for (size_t i = 0; i < count;) {
		const struct store_sighting *s = order[i].sighting;
		struct store_sqlite_row row = { .sighting = s };
		size_t j = i + 1;
		bool done;

		/* Equal values are adjacent after sorting: one row each. */
		while (j < count && (presorted ? order[j].sighting->repeat
					       : compare_entries(&order[i], &order[j]) == 0))
			j++;
		row.count = (int)(j - i);
		/* Spellings of one value can differ in their warnings (host bits
		 * of a CIDR), and the store keeps those of the latest sighting,
		 * as an update by a later batch does. */
		row.sighting = order[j - 1].sighting;
		if (linked)
			row.hash = s->hash ? s->hash
					   : store_linked_ids_hash(s->type, s->value, s->value_len);
		/* The table is large and read at random, so the slot of a row
		 * further on is fetched into the cache ahead of its probe. */
		if (linked && j + LINKED_PREFETCH_AHEAD < count)
			store_linked_ids_prefetch(linked,
						  order[j + LINKED_PREFETCH_AHEAD].sighting->hash);
		i = j;

		rc = update_linked(st, linked, &row, &done, err);
		if (rc != CH_OK)
			goto out;
		if (!done)
			rows[row_count++] = row;
	}

	if (row_count)
		rc = store_rows(st, report_id, rows, row_count, linked, &created, err);
	if (rc == CH_OK)
		*new_count = created;

out:
	/* Outside a bulk load nothing frees them later. */
	if (!st->checkpointer)
		store_sqlite_free_ingest_arrays(st);
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
