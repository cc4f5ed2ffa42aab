/*
 * Private to the SQLite backend: the handle and helpers shared by the
 * backend's files, one file per area (open and migrations, indicators,
 * digest aggregates).
 */
#ifndef CTIHUB_STORE_SQLITE_PRIVATE_H
#define CTIHUB_STORE_SQLITE_PRIVATE_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
	sqlite3 *db;
	/* Prepared once per handle for the ingest hot path. */
	sqlite3_stmt *insert_new;
	sqlite3_stmt *update_existing;
	sqlite3_stmt *link;
	sqlite3_stmt *link_range;
	int schema_version;
};

/* Records "database error while WHAT: sqlite's message" and returns CH_DB. */
enum ch_code store_sqlite_fail(struct store *st, struct ch_error *err, const char *what);
enum ch_code store_sqlite_exec(struct store *st, const char *sql, const char *what,
			       struct ch_error *err);
/* Prepares a statement kept for the life of the handle. */
enum ch_code store_sqlite_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
				  struct ch_error *err);
/* Copies a text column, or returns NULL for SQL NULL. */
char *store_sqlite_strdup(sqlite3_stmt *stmt, int col);

/* Prepares the ingest statements; called from store_open. */
enum ch_code store_sqlite_prepare_ingest(struct store *st, struct ch_error *err);
void store_sqlite_finalize_ingest(struct store *st);

#endif
