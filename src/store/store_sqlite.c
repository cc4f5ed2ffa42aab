/*
 * SQLite backend of the storage interface: opening, migrations,
 * transactions, sources and reports. Every SQL statement for SQLite lives
 * in this folder's store_sqlite*.c and migrations_sqlite.c files.
 *
 * The database runs in WAL mode with synchronous=NORMAL: a crash or kill -9
 * loses at most the transaction in flight, never a committed one, and
 * readers are not blocked by the ingest writer.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/sqlite_private.h"
#include "util/alloc.h"

enum ch_code store_sqlite_fail(struct store *st, struct ch_error *err, const char *what)
{
	return ch_fail(err, CH_DB, "database error while %s: %s", what, sqlite3_errmsg(st->db));
}

enum ch_code store_sqlite_exec(struct store *st, const char *sql, const char *what,
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

enum ch_code store_sqlite_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
			    struct ch_error *err)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a statement");
	return CH_OK;
}

int store_sqlite_statement(struct store *st, const char *sql, sqlite3_stmt **stmt)
{
	int rc;

	for (size_t i = 0; i < st->cache_count; i++) {
		if (strcmp(st->cache[i].sql, sql) == 0) {
			*stmt = st->cache[i].stmt;
			return SQLITE_OK;
		}
	}
	if (st->cache_count == STORE_STATEMENT_CACHE_MAX)
		return sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	st->cache[st->cache_count].sql = xstrdup(sql);
	st->cache[st->cache_count].stmt = *stmt;
	st->cache_count++;
	return SQLITE_OK;
}

void store_sqlite_release(struct store *st, sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	for (size_t i = 0; i < st->cache_count; i++) {
		if (st->cache[i].stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return;
		}
	}
	/* Prepared while the cache was full: not kept. */
	sqlite3_finalize(stmt);
}

void store_sqlite_cache_clear(struct store *st)
{
	for (size_t i = 0; i < st->cache_count; i++) {
		sqlite3_finalize(st->cache[i].stmt);
		free(st->cache[i].sql);
	}
	st->cache_count = 0;
}

enum ch_code store_sqlite_count(struct store *st, const char *sql, int64_t *count,
				struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a count");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*count = sqlite3_column_int64(stmt, 0);
	else
		rc = store_sqlite_fail(st, err, "counting rows");
	store_sqlite_release(st, stmt);
	return rc;
}

char *store_sqlite_strdup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *text = sqlite3_column_text(stmt, col);

	return text ? xstrdup((const char *)text) : NULL;
}

static int read_user_version(struct store *st, const char *sql)
{
	sqlite3_stmt *stmt;
	int version = -1;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	store_sqlite_release(st, stmt);
	return version;
}

/* Applies each migration of one schema ("main" or "audit") above its
 * user_version in its own transaction, so a failure leaves the schema at
 * the last good version. */
static enum ch_code migrate(struct store *st, const char *schema, const char *const *migrations,
			    size_t count, struct ch_error *err)
{
	char pragma[64];
	int version;

	snprintf(pragma, sizeof(pragma), "PRAGMA %s.user_version", schema);
	version = read_user_version(st, pragma);
	if (version < 0)
		return store_sqlite_fail(st, err, "reading the schema version");
	if ((size_t)version > count)
		return ch_fail(err, CH_DB,
			       "%s schema version %d is newer than this ctihub (%zu); "
			       "upgrade ctihub before opening it",
			       strcmp(schema, "main") == 0 ? "database" : "audit log", version, count);

	for (size_t v = (size_t)version; v < count; v++) {
		enum ch_code rc;
		int now;

		rc = store_sqlite_exec(st, "BEGIN IMMEDIATE", "starting a migration", err);
		if (rc != CH_OK)
			return rc;
		/* Another process may have migrated while this one waited for the
		 * write lock, so the version is read again under it. */
		snprintf(pragma, sizeof(pragma), "PRAGMA %s.user_version", schema);
		now = read_user_version(st, pragma);
		if (now < 0 || (size_t)now > v) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			if (now < 0)
				return store_sqlite_fail(st, err, "reading the schema version");
			v = (size_t)now - 1;
			continue;
		}
		rc = store_sqlite_exec(st, migrations[v], "applying a migration", err);
		if (rc == CH_OK) {
			snprintf(pragma, sizeof(pragma), "PRAGMA %s.user_version = %zu", schema, v + 1);
			rc = store_sqlite_exec(st, pragma, "recording the schema version", err);
		}
		if (rc != CH_OK) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		rc = store_sqlite_exec(st, "COMMIT", "committing a migration", err);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

/* Attaches the audit log's file, PATH-audit beside the database (or a
 * memory database beside a memory one), as schema "audit". Appends to the
 * audit log then commit to that file only, and readers of the main file
 * keep their page caches. */
static enum ch_code attach_audit(struct store *st, const char *path, struct ch_error *err)
{
	bool memory = !*path || strcmp(path, ":memory:") == 0;
	size_t len = strlen(path) + sizeof(":memory:") + sizeof(STORE_AUDIT_SUFFIX);
	char *audit_path = xmalloc(len);
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	snprintf(audit_path, len, "%s%s", memory ? ":memory:" : path, memory ? "" : STORE_AUDIT_SUFFIX);
	if (sqlite3_prepare_v2(st->db, "ATTACH ?1 AS audit", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, audit_path, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		rc = ch_fail(err, CH_DB, "cannot open the audit log '%s': %s; check the path and its "
			     "permissions", audit_path, sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	free(audit_path);
	if (rc != CH_OK)
		return rc;
	rc = store_sqlite_exec(st, "PRAGMA audit.journal_mode = WAL; PRAGMA audit.synchronous = NORMAL;",
			       "configuring the audit log", err);
	if (rc != CH_OK)
		ch_fail(err, CH_DB, "cannot use the audit log '%s%s': %s; it must be a SQLite file "
			"beside the database", memory ? ":memory:" : path, memory ? "" : STORE_AUDIT_SUFFIX,
			sqlite3_errmsg(st->db));
	return rc;
}

/* Busy handler: a writer waits for another connection's write lock in
 * short steps (0.1 ms, doubling to at most 2 ms) for up to 5 s. SQLite's
 * default handler sleeps up to 100 ms at a time, which stalls every
 * connection a server thread serves while one short audit insert waits. */
static int wait_for_lock(void *ctx, int attempts)
{
	long step_us = 100L << (attempts < 5 ? attempts : 5);
	long waited_us = 0;

	(void)ctx;
	for (int i = 0; i < attempts; i++)
		waited_us += 100L << (i < 5 ? i : 5);
	if (waited_us >= 5000000L)
		return 0;
	usleep((useconds_t)step_us);
	return 1;
}

/* Process-wide SQLite settings, applied once before the first connection:
 * every connection is used by one thread at a time, so SQLite's own
 * mutexes and its memory statistics (one global lock per allocation) are
 * pure overhead for the server's worker threads. */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

static pthread_once_t configure_once = PTHREAD_ONCE_INIT;

enum ch_code store_open(const char *path, struct store **out, struct ch_error *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	enum ch_code rc;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	pthread_once(&configure_once, configure_sqlite);

	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		rc = ch_fail(err, CH_DB, "cannot open database '%s': %s; check the path and its permissions",
			     path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_handler(st->db, wait_for_lock, NULL);

	/* page_size takes effect only while the file has no tables, so only
	 * for a new database. 8 KiB pages cut the pages a bulk ingest writes,
	 * and the system calls that write them, by about half against the
	 * default of 4 KiB.
	 *
	 * The first GiB of the main file is read through a memory map, so all
	 * server threads share the kernel's copy of each page. With read(),
	 * lookups over a large database kept missing each thread's 64 MiB
	 * cache. Pages that a writer changed still come from the WAL. */
	rc = store_sqlite_exec(st,
		      "PRAGMA page_size = 8192;"
		      "PRAGMA journal_mode = WAL;"
		      "PRAGMA synchronous = NORMAL;"
		      "PRAGMA foreign_keys = ON;"
		      "PRAGMA temp_store = MEMORY;"
		      "PRAGMA cache_size = -65536;"
		      "PRAGMA main.mmap_size = 1073741824;",
		      "configuring the connection", err);
	if (rc != CH_OK)
		goto fail;
	rc = attach_audit(st, path, err);
	if (rc == CH_OK)
		rc = migrate(st, "audit", sqlite_audit_migrations, sqlite_audit_migration_count, err);
	if (rc == CH_OK)
		rc = migrate(st, "main", sqlite_migrations, sqlite_migration_count, err);
	if (rc != CH_OK)
		goto fail;
	st->schema_version = (int)sqlite_migration_count;
	rc = store_sqlite_register_rows(st, err);
	if (rc != CH_OK)
		goto fail;
	rc = store_sqlite_prepare_ingest(st, err);
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
	store_bulk_end(st);
	store_sqlite_finalize_ingest(st);
	store_sqlite_cache_clear(st);
	sqlite3_close(st->db);
	free(st);
}

int store_schema_version(struct store *st)
{
	return st->schema_version;
}

enum ch_code store_begin(struct store *st, struct ch_error *err)
{
	return store_sqlite_exec(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

/* Runs a cached statement that returns no rows. */
static enum ch_code run_cached(struct store *st, const char *sql, const char *what,
			       struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, what);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, what);
	return CH_OK;
}

enum ch_code store_read_begin(struct store *st, struct ch_error *err)
{
	return run_cached(st, "BEGIN DEFERRED", "starting a read transaction", err);
}

void store_read_end(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		run_cached(st, "COMMIT", "ending a read transaction", NULL);
}

bool store_in_transaction(struct store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

enum ch_code store_commit(struct store *st, struct ch_error *err)
{
	enum ch_code rc = store_sqlite_exec(st, "COMMIT", "committing a transaction", err);

	store_sqlite_restore_foreign_keys(st);
	return rc;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	store_sqlite_restore_foreign_keys(st);
}

void store_sqlite_restore_foreign_keys(struct store *st)
{
	if (!st->foreign_keys_off || st->checkpointer || !sqlite3_get_autocommit(st->db))
		return;
	if (sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) == SQLITE_OK)
		st->foreign_keys_off = false;
}

enum ch_code store_source_ensure(struct store *st, const char *name, int64_t *id,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT INTO sources (name, created) VALUES (?1, strftime('%s','now'))"
			       " ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the source insert");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = store_sqlite_fail(st, err, "recording the source");
		goto out;
	}
	*id = sqlite3_column_int64(stmt, 0);

out:
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_sqlite_run_pair(struct store *st, const char *sql, int64_t first,
				   int64_t second, const char *what, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, what);
	sqlite3_bind_int64(stmt, 1, first);
	sqlite3_bind_int64(stmt, 2, second);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, what);
	return CH_OK;
}

enum ch_code store_report_set_hash(struct store *st, int64_t source_id, const char *content_sha256,
				   int64_t *id, bool *existed, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t older = 0;
	enum ch_code rc;
	int step;

	if (store_sqlite_statement(st, "SELECT id FROM reports WHERE source_id = ?1 AND content_sha256 = ?2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report lookup");
	sqlite3_bind_int64(stmt, 1, source_id);
	sqlite3_bind_text(stmt, 2, content_sha256, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		older = sqlite3_column_int64(stmt, 0);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "looking up the report");

	if (!older) {
		if (store_sqlite_statement(st, "UPDATE reports SET content_sha256 = ?2 WHERE id = ?1", &stmt) != SQLITE_OK)
			return store_sqlite_fail(st, err, "preparing the report hash");
		sqlite3_bind_int64(stmt, 1, *id);
		sqlite3_bind_text(stmt, 2, content_sha256, -1, SQLITE_STATIC);
		step = sqlite3_step(stmt);
		store_sqlite_release(st, stmt);
		if (step != SQLITE_DONE)
			return store_sqlite_fail(st, err, "recording the report hash");
		*existed = false;
		return CH_OK;
	}

	rc = store_sqlite_run_pair(st, "INSERT OR IGNORE INTO report_indicators"
				   " (report_id, indicator_id) SELECT ?1, indicator_id"
				   " FROM report_indicators WHERE report_id = ?2",
				   older, *id, "moving links to the earlier report", err);
	if (rc == CH_OK)
		rc = store_sqlite_run_pair(st, "DELETE FROM report_indicators WHERE report_id = ?2",
					   older, *id, "deleting the links of a repeated report", err);
	if (rc == CH_OK)
		rc = store_sqlite_run_pair(st, "DELETE FROM reports WHERE id = ?2", older, *id,
					   "deleting a repeated report", err);
	if (rc != CH_OK)
		return rc;
	*id = older;
	*existed = true;
	return CH_OK;
}

enum ch_code store_report_ensure(struct store *st, const struct store_report_new *in,
				 int64_t *id, bool *existed, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;
	int step;

	if (in->content_sha256) {
		if (store_sqlite_statement(st, "SELECT id FROM reports WHERE source_id = ?1 AND content_sha256 = ?2", &stmt) != SQLITE_OK)
			return store_sqlite_fail(st, err, "preparing the report lookup");
		sqlite3_bind_int64(stmt, 1, in->source_id);
		sqlite3_bind_text(stmt, 2, in->content_sha256, -1, SQLITE_STATIC);
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW) {
			*id = sqlite3_column_int64(stmt, 0);
			*existed = true;
			goto out;
		}
		if (step != SQLITE_DONE) {
			rc = store_sqlite_fail(st, err, "looking up the report");
			goto out;
		}
		store_sqlite_release(st, stmt);
		stmt = NULL;
	}

	if (store_sqlite_statement(st, "INSERT INTO reports (source_id, kind, title, content_sha256, tlp, created)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report insert");
	sqlite3_bind_int64(stmt, 1, in->source_id);
	sqlite3_bind_text(stmt, 2, in->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, in->content_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, (int)in->tlp);
	sqlite3_bind_int64(stmt, 6, in->created);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		rc = store_sqlite_fail(st, err, "recording the report");
		goto out;
	}
	*id = sqlite3_column_int64(stmt, 0);
	*existed = false;

out:
	store_sqlite_release(st, stmt);
	return rc;
}

