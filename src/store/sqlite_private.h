/*
 * Private to the SQLite backend: the handle and helpers shared by the
 * backend's files, one file per area (open and migrations, indicators,
 * digest aggregates).
 */
#ifndef CTIHUB_STORE_SQLITE_PRIVATE_H
#define CTIHUB_STORE_SQLITE_PRIVATE_H

#include <sqlite3.h>

#include "store/store.h"

/* Statements kept prepared per handle. The server runs the same few dozen
 * queries over and over, and preparing one costs more than running it. */
#define STORE_STATEMENT_CACHE_MAX 96

struct store_cached_statement {
	char *sql;
	sqlite3_stmt *stmt;
};

/* Slots of the per-handle cache of successful token lookups. */
#define STORE_TOKEN_CACHE_SLOTS 64

/* A token that authenticated, found again by the SHA-256 of its secret. */
struct store_cached_token {
	bool used;
	unsigned char hash[STORE_TOKEN_HASH_BYTES];
	int64_t expires; /* 0 when it never expires */
	struct principal who;
};

/* Token lookups, reused only while the database is unchanged: every entry
 * was read when PRAGMA data_version (changes by other connections) and
 * sqlite3_total_changes64 (changes by this one) had the values below. */
struct store_token_cache {
	int64_t data_version;
	int64_t own_changes;
	struct store_cached_token slots[STORE_TOKEN_CACHE_SLOTS];
};

struct store {
	sqlite3 *db;
	struct store_token_cache tokens;
	struct store_cached_statement cache[STORE_STATEMENT_CACHE_MAX];
	size_t cache_count;
	/* Prepared once per handle for the ingest hot path. */
	sqlite3_stmt *insert_rows;
	sqlite3_stmt *update_existing;
	sqlite3_stmt *update_by_id;
	sqlite3_stmt *link;
	sqlite3_stmt *link_range;
	/* store_sightings_add's work arrays, kept for the next batch: a new
	 * pair for each batch of a bulk load cost page faults on the writer
	 * thread. */
	struct store_sort_entry *ingest_order;
	struct store_sqlite_row *ingest_rows;
	size_t ingest_capacity;
	int schema_version;
	struct store_checkpointer *checkpointer; /* set between store_bulk_begin and _end */
	/* A bulk load turned foreign-key checks off; they go back on at
	 * store_bulk_end, or at the end of the transaction open then. */
	bool foreign_keys_off;
};

/* Records "database error while WHAT: sqlite's message" and returns CH_DB. */
enum ch_code store_sqlite_fail(struct store *st, struct ch_error *err, const char *what);
enum ch_code store_sqlite_exec(struct store *st, const char *sql, const char *what,
			       struct ch_error *err);
/* Prepares a statement kept for the life of the handle. */
enum ch_code store_sqlite_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
				  struct ch_error *err);
/* Gives a ready statement for sql, prepared once per handle and reused.
 * Returns SQLITE_OK or SQLite's error code. Every statement obtained here
 * must be handed back with store_sqlite_release, on every path, because a
 * statement that is not reset keeps its read snapshot open. */
int store_sqlite_statement(struct store *st, const char *sql, sqlite3_stmt **stmt);
/* Resets a statement from store_sqlite_statement and clears its bindings
 * (or finalizes it when the cache was full). NULL is a no-op. */
void store_sqlite_release(struct store *st, sqlite3_stmt *stmt);
/* Finalizes every cached statement; called from store_close. */
void store_sqlite_cache_clear(struct store *st);

/* Runs a statement that returns no rows with ?1 and ?2 bound to first and
 * second (sql may use only ?2), such as a link insert or deletion. */
enum ch_code store_sqlite_run_pair(struct store *st, const char *sql, int64_t first,
				   int64_t second, const char *what, struct ch_error *err);

/* Runs a query whose first row's first column is a count. */
enum ch_code store_sqlite_count(struct store *st, const char *sql, int64_t *count,
				struct ch_error *err);

/* Copies a text column, or returns NULL for SQL NULL. */
char *store_sqlite_strdup(sqlite3_stmt *stmt, int col);

/* Reads one indicator row; with_sources also lists its sources and counts
 * its report links. */
enum ch_code store_sqlite_indicator_row(struct store *st, enum ioc_type type, const char *value,
					bool with_sources, struct store_indicator *out,
					struct ch_error *err);

/* One distinct value of a batch, with how many times the batch has it and
 * the hash that store_linked_ids is keyed by. */
struct store_sqlite_row {
	const struct store_sighting *sighting;
	int count;
	uint64_t hash;
};

/* The rows that ingest_rows(?1) reads, bound with sqlite3_bind_pointer
 * under this type name. */
struct store_sqlite_rows {
	const struct store_sqlite_row *items;
	size_t count;
};

#define STORE_SQLITE_ROWS_POINTER "ctihub_ingest_rows"

/* Registers the table-valued function ingest_rows on the handle; called
 * from store_open before the ingest statements are prepared. */
enum ch_code store_sqlite_register_rows(struct store *st, struct ch_error *err);

/* Turns foreign-key checks back on after a bulk load once no transaction
 * is open (the pragma does nothing inside one). */
void store_sqlite_restore_foreign_keys(struct store *st);

/* Prepares the ingest statements; called from store_open. */
enum ch_code store_sqlite_prepare_ingest(struct store *st, struct ch_error *err);
/* Finalizes them and frees the work arrays. store_close calls it. */
void store_sqlite_finalize_ingest(struct store *st);
/* Frees the work arrays that store_sightings_add keeps between the batches
 * of a bulk load. store_bulk_end calls it, and store_sightings_add outside
 * a bulk load. */
void store_sqlite_free_ingest_arrays(struct store *st);

#endif
