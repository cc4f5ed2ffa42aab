/*
 * SQLite backend of the storage interface. All of ctihub's SQL for SQLite
 * is in this file and in migrations_sqlite.c.
 *
 * The database runs in WAL mode with synchronous=NORMAL: a crash or kill -9
 * loses at most the transaction in flight, never a committed one, and
 * readers are not blocked by the ingest writer. Prepared statements for the
 * hot ingest path are created once per handle.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"
#include "util/alloc.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *upsert;
	sqlite3_stmt *link;
	int schema_version;
};

static enum ch_code db_fail(struct store *st, struct ch_error *err, const char *what)
{
	return ch_fail(err, CH_DB, "database error while %s: %s", what, sqlite3_errmsg(st->db));
}

static enum ch_code exec_sql(struct store *st, const char *sql, const char *what,
			     struct ch_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		ch_fail(err, CH_DB, "database error while %s: %s", what, msg ? msg : "unknown");
		sqlite3_free(msg);
		return CH_DB;
	}
	return CH_OK;
}

static enum ch_code prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
			    struct ch_error *err)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing a statement");
	return CH_OK;
}

static int read_user_version(struct store *st)
{
	sqlite3_stmt *stmt;
	int version = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

/* Applies each migration above the current user_version in its own
 * transaction, so a failure leaves the schema at the last good version. */
static enum ch_code migrate(struct store *st, struct ch_error *err)
{
	int version = read_user_version(st);

	if (version < 0)
		return db_fail(st, err, "reading the schema version");
	if ((size_t)version > sqlite_migration_count)
		return ch_fail(err, CH_DB,
			       "database schema version %d is newer than this ctihub (%zu); "
			       "upgrade ctihub before opening it",
			       version, sqlite_migration_count);

	for (size_t v = (size_t)version; v < sqlite_migration_count; v++) {
		char pragma[64];
		enum ch_code rc;

		rc = exec_sql(st, "BEGIN IMMEDIATE", "starting a migration", err);
		if (rc != CH_OK)
			return rc;
		rc = exec_sql(st, sqlite_migrations[v], "applying a migration", err);
		if (rc == CH_OK) {
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", v + 1);
			rc = exec_sql(st, pragma, "recording the schema version", err);
		}
		if (rc != CH_OK) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		rc = exec_sql(st, "COMMIT", "committing a migration", err);
		if (rc != CH_OK)
			return rc;
	}
	st->schema_version = (int)sqlite_migration_count;
	return CH_OK;
}

static const char upsert_sql[] =
	"INSERT INTO indicators (type, value, registrable, first_seen, last_seen, times_seen,"
	"  tlp, confidence, warnings, warnlist)"
	" VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5, ?6, ?7, ?8)"
	" ON CONFLICT (type, value) DO UPDATE SET"
	"  last_seen = max(last_seen, excluded.last_seen),"
	"  times_seen = times_seen + 1,"
	"  tlp = min(tlp, excluded.tlp),"
	"  confidence = max(confidence, excluded.confidence),"
	"  warnings = excluded.warnings,"
	"  warnlist = excluded.warnlist"
	" RETURNING id, times_seen";

static const char link_sql[] =
	"INSERT OR IGNORE INTO report_indicators (report_id, indicator_id) VALUES (?1, ?2)";

enum ch_code store_open(const char *path, struct store **out, struct ch_error *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	enum ch_code rc;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = ch_fail(err, CH_DB, "cannot open database '%s': %s; check the path and its permissions",
			     path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);

	rc = exec_sql(st,
		      "PRAGMA journal_mode = WAL;"
		      "PRAGMA synchronous = NORMAL;"
		      "PRAGMA foreign_keys = ON;"
		      "PRAGMA temp_store = MEMORY;"
		      "PRAGMA cache_size = -65536;",
		      "configuring the connection", err);
	if (rc != CH_OK)
		goto fail;
	rc = migrate(st, err);
	if (rc != CH_OK)
		goto fail;
	rc = prepare(st, upsert_sql, &st->upsert, err);
	if (rc != CH_OK)
		goto fail;
	rc = prepare(st, link_sql, &st->link, err);
	if (rc != CH_OK)
		goto fail;

	*out = st;
	return CH_OK;

fail:
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->upsert);
	sqlite3_finalize(st->link);
	sqlite3_close(st->db);
	free(st);
}

int store_schema_version(struct store *st)
{
	return st->schema_version;
}

enum ch_code store_begin(struct store *st, struct ch_error *err)
{
	return exec_sql(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

enum ch_code store_commit(struct store *st, struct ch_error *err)
{
	return exec_sql(st, "COMMIT", "committing a transaction", err);
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

enum ch_code store_source_ensure(struct store *st, const char *name, int64_t *id,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO sources (name, created) VALUES (?1, strftime('%s','now'))"
			       " ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing the source insert");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(st, err, "recording the source");
		goto out;
	}
	*id = sqlite3_column_int64(stmt, 0);

out:
	sqlite3_finalize(stmt);
	return rc;
}

enum ch_code store_report_ensure(struct store *st, const struct store_report_new *in,
				 int64_t *id, bool *existed, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;
	int step;

	if (in->content_sha256) {
		if (sqlite3_prepare_v2(st->db,
				       "SELECT id FROM reports WHERE source_id = ?1 AND content_sha256 = ?2",
				       -1, &stmt, NULL) != SQLITE_OK)
			return db_fail(st, err, "preparing the report lookup");
		sqlite3_bind_int64(stmt, 1, in->source_id);
		sqlite3_bind_text(stmt, 2, in->content_sha256, -1, SQLITE_STATIC);
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW) {
			*id = sqlite3_column_int64(stmt, 0);
			*existed = true;
			goto out;
		}
		if (step != SQLITE_DONE) {
			rc = db_fail(st, err, "looking up the report");
			goto out;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}

	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO reports (source_id, kind, title, content_sha256, tlp, created)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing the report insert");
	sqlite3_bind_int64(stmt, 1, in->source_id);
	sqlite3_bind_text(stmt, 2, in->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, in->content_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, (int)in->tlp);
	sqlite3_bind_int64(stmt, 6, in->created);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = db_fail(st, err, "recording the report");
		goto out;
	}
	*id = sqlite3_column_int64(stmt, 0);
	*existed = false;

out:
	sqlite3_finalize(stmt);
	return rc;
}

static int compare_sightings(const void *a, const void *b)
{
	const struct store_sighting *x = a;
	const struct store_sighting *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->value, y->value);
}

static enum ch_code add_one(struct store *st, int64_t report_id, const struct store_sighting *s,
			    bool *created, struct ch_error *err)
{
	sqlite3_stmt *up = st->upsert;
	int64_t indicator_id;

	sqlite3_bind_text(up, 1, ioc_type_name(s->type), -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, s->value, (int)s->value_len, SQLITE_STATIC);
	if (s->registrable)
		sqlite3_bind_text(up, 3, s->registrable, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 3);
	sqlite3_bind_int64(up, 4, s->seen);
	sqlite3_bind_int(up, 5, (int)s->tlp);
	sqlite3_bind_int(up, 6, s->confidence);
	sqlite3_bind_int64(up, 7, s->warnings);
	if (s->warnlist)
		sqlite3_bind_text(up, 8, s->warnlist, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 8);

	if (sqlite3_step(up) != SQLITE_ROW) {
		sqlite3_reset(up);
		return db_fail(st, err, "recording an indicator");
	}
	indicator_id = sqlite3_column_int64(up, 0);
	*created = sqlite3_column_int64(up, 1) == 1;
	sqlite3_reset(up);

	sqlite3_bind_int64(st->link, 1, report_id);
	sqlite3_bind_int64(st->link, 2, indicator_id);
	if (sqlite3_step(st->link) != SQLITE_DONE) {
		sqlite3_reset(st->link);
		return db_fail(st, err, "linking an indicator to its report");
	}
	sqlite3_reset(st->link);
	return CH_OK;
}

enum ch_code store_sightings_add(struct store *st, int64_t report_id,
				 struct store_sighting *batch, size_t count,
				 size_t *new_count, struct ch_error *err)
{
	size_t created_total = 0;

	/* Sorted keys touch the unique index in order, which keeps its pages in
	 * the cache; on a large batch this is several times faster. */
	qsort(batch, count, sizeof(*batch), compare_sightings);

	for (size_t i = 0; i < count; i++) {
		bool created = false;
		enum ch_code rc = add_one(st, report_id, &batch[i], &created, err);

		if (rc != CH_OK)
			return rc;
		created_total += created;
	}
	*new_count = created_total;
	return CH_OK;
}

static char *column_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);

	return text ? xstrdup((const char *)text) : NULL;
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

	if (sqlite3_prepare_v2(st->db,
			       "SELECT s.name, COUNT(*) FROM report_indicators ri"
			       " JOIN reports r ON r.id = ri.report_id"
			       " JOIN sources s ON s.id = r.source_id"
			       " WHERE ri.indicator_id = ?1 GROUP BY s.name ORDER BY s.name",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing the source lookup");
	sqlite3_bind_int64(stmt, 1, ind->id);

	ind->sources = xcalloc(1, sizeof(char *));
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ind->sources = xreallocarray(ind->sources, n + 2, sizeof(char *));
		ind->sources[n++] = column_strdup(stmt, 0);
		ind->sources[n] = NULL;
		ind->report_count += (size_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE)
		return db_fail(st, err, "reading the sources of an indicator");
	return CH_OK;
}

enum ch_code store_indicator_get(struct store *st, enum ioc_type type, const char *value,
				 struct store_indicator *out, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_indicator ind = { 0 };
	enum ch_code rc = CH_OK;
	int step;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT id, registrable, first_seen, last_seen, times_seen, tlp,"
			       " confidence, warnings, warnlist FROM indicators"
			       " WHERE type = ?1 AND value = ?2",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing the indicator lookup");
	sqlite3_bind_text(stmt, 1, ioc_type_name(type), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);

	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_NOT_FOUND, "%s %s: not found", ioc_type_name(type), value);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_fail(st, err, "looking up an indicator");
		goto out;
	}

	ind.id = sqlite3_column_int64(stmt, 0);
	ind.type = type;
	ind.value = xstrdup(value);
	ind.registrable = column_strdup(stmt, 1);
	ind.first_seen = sqlite3_column_int64(stmt, 2);
	ind.last_seen = sqlite3_column_int64(stmt, 3);
	ind.times_seen = sqlite3_column_int64(stmt, 4);
	ind.tlp = (enum tlp_level)sqlite3_column_int(stmt, 5);
	ind.confidence = sqlite3_column_int(stmt, 6);
	ind.warnings = (uint32_t)sqlite3_column_int64(stmt, 7);
	ind.warnlist = column_strdup(stmt, 8);

	rc = load_indicator_sources(st, &ind, err);
	if (rc != CH_OK) {
		store_indicator_free(&ind);
		goto out;
	}
	*out = ind;

out:
	sqlite3_finalize(stmt);
	return rc;
}

void store_count_list_free(struct store_count_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].key);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static void count_list_add(struct store_count_list *list, const char *key, int64_t count)
{
	list->items = xreallocarray(list->items, list->count + 1, sizeof(*list->items));
	list->items[list->count].key = xstrdup(key);
	list->items[list->count].count = count;
	list->count++;
}

/* Runs a query whose rows are (key TEXT, count INTEGER) with ?1 bound to
 * since and ?2 (when present) to limit. */
static enum ch_code query_counts(struct store *st, const char *sql, int64_t since, int64_t limit,
				 struct store_count_list *out, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_count_list list = { 0 };
	int step;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing a digest query");
	sqlite3_bind_int64(stmt, 1, since);
	if (sqlite3_bind_parameter_count(stmt) >= 2)
		sqlite3_bind_int64(stmt, 2, limit);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(stmt, 0);

		count_list_add(&list, key ? (const char *)key : "", sqlite3_column_int64(stmt, 1));
	}
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE) {
		store_count_list_free(&list);
		return db_fail(st, err, "running a digest query");
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_new_by_type(struct store *st, int64_t since, struct store_count_list *out,
			       struct ch_error *err)
{
	return query_counts(st,
			    "SELECT type, COUNT(*) FROM indicators WHERE first_seen >= ?1"
			    " GROUP BY type ORDER BY COUNT(*) DESC, type",
			    since, 0, out, err);
}

enum ch_code store_new_by_source(struct store *st, int64_t since, struct store_count_list *out,
				 struct ch_error *err)
{
	/* An indicator counts for each source that reported it in the period. */
	return query_counts(st,
			    "SELECT s.name, COUNT(DISTINCT ri.indicator_id)"
			    " FROM indicators i"
			    " JOIN report_indicators ri ON ri.indicator_id = i.id"
			    " JOIN reports r ON r.id = ri.report_id"
			    " JOIN sources s ON s.id = r.source_id"
			    " WHERE i.first_seen >= ?1"
			    " GROUP BY s.name ORDER BY 2 DESC, s.name",
			    since, 0, out, err);
}

enum ch_code store_top_registrable(struct store *st, int64_t since, size_t limit,
				   struct store_count_list *out, struct ch_error *err)
{
	return query_counts(st,
			    "SELECT registrable, COUNT(*) FROM indicators"
			    " WHERE first_seen >= ?1 AND registrable IS NOT NULL"
			    " GROUP BY registrable ORDER BY COUNT(*) DESC, registrable LIMIT ?2",
			    since, (int64_t)limit, out, err);
}

enum ch_code store_new_total(struct store *st, int64_t since, int64_t *out, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM indicators WHERE first_seen >= ?1",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing a count");
	sqlite3_bind_int64(stmt, 1, since);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		rc = db_fail(st, err, "counting new indicators");
	sqlite3_finalize(stmt);
	return rc;
}

static void count_list_bump(struct store_count_list *list, const char *key, int64_t count)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].key, key) == 0) {
			list->items[i].count += count;
			return;
		}
	}
	count_list_add(list, key, count);
}

enum ch_code store_new_warnings(struct store *st, int64_t since, struct store_count_list *out,
				struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_count_list list = { 0 };
	int step;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT warnings, warnlist, COUNT(*) FROM indicators"
			       " WHERE first_seen >= ?1 AND warnings != 0"
			       " GROUP BY warnings, warnlist",
			       -1, &stmt, NULL) != SQLITE_OK)
		return db_fail(st, err, "preparing the warning query");
	sqlite3_bind_int64(stmt, 1, since);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		uint32_t bits = (uint32_t)sqlite3_column_int64(stmt, 0);
		const unsigned char *list_name = sqlite3_column_text(stmt, 1);
		int64_t n = sqlite3_column_int64(stmt, 2);

		for (int b = 0; b < IOC_WARN_COUNT_BITS; b++) {
			char key[IOC_DOMAIN_MAX + 32];

			if (!(bits & (1u << b)))
				continue;
			if ((1u << b) == IOC_WARN_WARNINGLIST && list_name)
				snprintf(key, sizeof(key), "warninglist:%s", list_name);
			else
				snprintf(key, sizeof(key), "%s", ioc_warning_name((enum ioc_warning)(1u << b)));
			count_list_bump(&list, key, n);
		}
	}
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE) {
		store_count_list_free(&list);
		return db_fail(st, err, "counting warnings");
	}
	*out = list;
	return CH_OK;
}

static int64_t scalar(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

enum ch_code store_totals(struct store *st, struct store_totals *out, struct ch_error *err)
{
	struct store_totals t = { 0 };
	struct store_count_list by_type = { 0 };
	enum ch_code rc;

	t.indicators = scalar(st, "SELECT COUNT(*) FROM indicators");
	t.reports = scalar(st, "SELECT COUNT(*) FROM reports");
	t.sources = scalar(st, "SELECT COUNT(*) FROM sources");
	t.links = scalar(st, "SELECT COUNT(*) FROM report_indicators");
	t.warned = scalar(st, "SELECT COUNT(*) FROM indicators WHERE warnings != 0");
	if (t.indicators < 0 || t.reports < 0 || t.sources < 0 || t.links < 0 || t.warned < 0)
		return db_fail(st, err, "counting totals");

	rc = store_new_by_type(st, INT64_MIN, &by_type, err);
	if (rc != CH_OK)
		return rc;
	for (size_t i = 0; i < by_type.count; i++) {
		enum ioc_type type;

		if (ioc_type_from_name(by_type.items[i].key, &type, NULL) == CH_OK)
			t.by_type[type] = by_type.items[i].count;
	}
	store_count_list_free(&by_type);

	*out = t;
	return CH_OK;
}
