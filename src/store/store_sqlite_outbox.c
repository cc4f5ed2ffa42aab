/*
 * SQLite backend: the notification outbox. A row is written in the
 * transaction of the change it announces and then moves between states:
 *
 *   pending --delivered-->          delivered
 *   pending --failed, retries left--> pending (attempts + 1, later next_attempt)
 *   pending --failed, no retries-->  dead
 *   dead    --retry-->               pending (attempts 0, due now)
 *
 * The worker reads due rows through the outbox_due index on (state,
 * next_attempt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

static const char outbox_columns[] =
	"SELECT id, sink, event, object, idempotency_key, payload, state, attempts,"
	" next_attempt, last_error, created, delivered, sink_type, tlp, details FROM outbox";

enum ch_code store_outbox_add(struct store *st, const struct store_outbox_new *in,
			      int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;
	int step;

	if (store_sqlite_statement(st, "INSERT INTO outbox (sink, event, object, idempotency_key,"
				       " payload, next_attempt, created, sink_type, tlp, details)"
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9)",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the outbox insert");
	sqlite3_bind_text(stmt, 1, in->sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, in->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, in->idempotency_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, in->payload, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, in->created);
	sqlite3_bind_text(stmt, 7, in->sink_type, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 8, (int)in->tlp);
	sqlite3_bind_int(stmt, 9, in->details ? 1 : 0);
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE)
		rc = CH_OK;
	else if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE)
		rc = ch_fail(err, CH_CONFLICT,
			     "outbox message with idempotency key '%s' exists already",
			     in->idempotency_key);
	else
		rc = store_sqlite_fail(st, err, "queueing a notification");
	store_sqlite_release(st, stmt);
	if (rc == CH_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static void read_row(sqlite3_stmt *stmt, struct store_outbox_row *r)
{
	r->id = sqlite3_column_int64(stmt, 0);
	r->sink = store_sqlite_strdup(stmt, 1);
	r->event = store_sqlite_strdup(stmt, 2);
	r->object = store_sqlite_strdup(stmt, 3);
	r->idempotency_key = store_sqlite_strdup(stmt, 4);
	r->payload = store_sqlite_strdup(stmt, 5);
	r->state = store_sqlite_strdup(stmt, 6);
	r->attempts = sqlite3_column_int(stmt, 7);
	r->next_attempt = sqlite3_column_int64(stmt, 8);
	r->last_error = store_sqlite_strdup(stmt, 9);
	r->created = sqlite3_column_int64(stmt, 10);
	r->delivered = sqlite3_column_int64(stmt, 11);

	/* Rows queued before schema version 8 have NULLs here. Nothing tells
	 * what their payload carries, so they read as details at RED. */
	r->sink_type = store_sqlite_strdup(stmt, 12);
	if (sqlite3_column_type(stmt, 13) == SQLITE_NULL)
		r->tlp = TLP_RED;
	else
		r->tlp = (enum tlp_level)sqlite3_column_int(stmt, 13);
	if (sqlite3_column_type(stmt, 14) == SQLITE_NULL)
		r->details = true;
	else
		r->details = sqlite3_column_int(stmt, 14) != 0;
}

void store_outbox_list_free(struct store_outbox_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct store_outbox_row *r = &list->items[i];

		free(r->sink);
		free(r->event);
		free(r->object);
		free(r->idempotency_key);
		free(r->payload);
		free(r->state);
		free(r->last_error);
		free(r->sink_type);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* Runs a query over outbox_columns whose parameters the caller bound and
 * collects every row; the statement is released on every path. */
static enum ch_code collect(struct store *st, sqlite3_stmt *stmt, struct store_outbox_list *out,
			    struct ch_error *err)
{
	struct store_outbox_list list = { 0 };
	int step;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		memset(&list.items[list.count], 0, sizeof(list.items[0]));
		read_row(stmt, &list.items[list.count++]);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_outbox_list_free(&list);
		return store_sqlite_fail(st, err, "reading the outbox");
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_outbox_due(struct store *st, int64_t now, size_t limit,
			      struct store_outbox_list *out, struct ch_error *err)
{
	char sql[512];
	sqlite3_stmt *stmt;

	snprintf(sql, sizeof(sql),
		 "%s WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id"
		 " LIMIT ?2",
		 outbox_columns);
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the due outbox query");
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
	return collect(st, stmt, out, err);
}

enum ch_code store_outbox_list(struct store *st, const char *state, size_t limit,
			       struct store_outbox_list *out, struct ch_error *err)
{
	char sql[512];
	sqlite3_stmt *stmt;

	snprintf(sql, sizeof(sql), "%s WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2",
		 outbox_columns);
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the outbox list");
	if (state)
		sqlite3_bind_text(stmt, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
	return collect(st, stmt, out, err);
}

/* Steps an UPDATE whose parameters the caller bound; CH_NOT_FOUND with
 * the message when it changed no row. */
static enum ch_code update_one(struct store *st, sqlite3_stmt *stmt, int64_t id,
			       const char *what, const char *missing, struct ch_error *err)
{
	enum ch_code rc = CH_OK;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, what);
	else if (sqlite3_changes(st->db) == 0)
		rc = ch_fail(err, CH_NOT_FOUND, "%s %lld not found", missing, (long long)id);
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_outbox_delivered(struct store *st, int64_t id, int64_t now,
				    struct ch_error *err)
{
	sqlite3_stmt *stmt;

	if (store_sqlite_statement(st, "UPDATE outbox SET state = 'delivered', delivered = ?2,"
				       " attempts = attempts + 1, last_error = NULL"
				       " WHERE id = ?1 AND state = 'pending'",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the outbox update");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	return update_one(st, stmt, id, "marking a notification delivered", "pending outbox message",
			  err);
}

enum ch_code store_outbox_failed(struct store *st, int64_t id, int attempts,
				 int64_t next_attempt, bool dead, const char *error,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt;

	if (store_sqlite_statement(st, "UPDATE outbox SET attempts = ?2, next_attempt = ?3,"
				       " state = CASE WHEN ?4 THEN 'dead' ELSE 'pending' END,"
				       " last_error = ?5 WHERE id = ?1 AND state = 'pending'",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the outbox update");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, attempts);
	sqlite3_bind_int64(stmt, 3, next_attempt);
	sqlite3_bind_int(stmt, 4, dead ? 1 : 0);
	sqlite3_bind_text(stmt, 5, error, -1, SQLITE_STATIC);
	return update_one(st, stmt, id, "recording a failed delivery", "pending outbox message",
			  err);
}

enum ch_code store_outbox_retry(struct store *st, int64_t id, int64_t now,
				struct ch_error *err)
{
	sqlite3_stmt *stmt;

	if (store_sqlite_statement(st, "UPDATE outbox SET state = 'pending', attempts = 0,"
				       " next_attempt = ?2 WHERE id = ?1 AND state = 'dead'",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the outbox retry");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	return update_one(st, stmt, id, "requeueing a notification", "dead outbox message", err);
}
