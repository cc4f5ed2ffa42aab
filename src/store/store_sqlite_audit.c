/*
 * SQLite backend: the audit log, in its own file attached as schema
 * "audit" (see store_open), so that appending to it does not change the
 * main file under the server's readers. Entries are only ever appended (triggers
 * reject UPDATE and DELETE), and each stores the SHA-256 of its own fields
 * and of the entry before it, so editing or removing a row through any
 * other tool breaks the chain that store_audit_verify recomputes.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

#define HEX_SHA256 (crypto_hash_sha256_BYTES * 2 + 1)

static const char genesis[HEX_SHA256] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* Feeds one field with its length first, so that ("ab", "c") and
 * ("a", "bc") hash differently. */
static void hash_field(crypto_hash_sha256_state *h, const char *text)
{
	uint64_t len = strlen(text);
	unsigned char prefix[8];

	for (int i = 0; i < 8; i++)
		prefix[i] = (unsigned char)(len >> (8 * i));
	crypto_hash_sha256_update(h, prefix, sizeof(prefix));
	crypto_hash_sha256_update(h, (const unsigned char *)text, len);
}

static void entry_hash(const char *prev, int64_t time, int64_t actor_id, const char *actor,
		       const char *action, const char *object, const char *client,
		       const char *outcome, const char *detail, char out[HEX_SHA256])
{
	crypto_hash_sha256_state h;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char numbers[64];

	crypto_hash_sha256_init(&h);
	hash_field(&h, prev);
	snprintf(numbers, sizeof(numbers), "%lld %lld", (long long)time, (long long)actor_id);
	hash_field(&h, numbers);
	hash_field(&h, actor);
	hash_field(&h, action);
	hash_field(&h, object);
	hash_field(&h, client);
	hash_field(&h, outcome);
	hash_field(&h, detail);
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(out, HEX_SHA256, digest, sizeof(digest));
}

static enum ch_code last_hash(struct store *st, char out[HEX_SHA256], struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT sha256 FROM audit.audit_log ORDER BY id DESC LIMIT 1", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the audit chain lookup");
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		snprintf(out, HEX_SHA256, "%s", (const char *)sqlite3_column_text(stmt, 0));
	else
		memcpy(out, genesis, HEX_SHA256);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "reading the audit chain");
	return CH_OK;
}

static enum ch_code insert_entry(struct store *st, const struct store_audit_entry *e,
				 struct ch_error *err)
{
	char prev[HEX_SHA256], hash[HEX_SHA256];
	const char *actor = e->actor ? e->actor : "anonymous";
	const char *detail = e->detail ? e->detail : "";
	sqlite3_stmt *stmt;
	enum ch_code rc;

	rc = last_hash(st, prev, err);
	if (rc != CH_OK)
		return rc;
	entry_hash(prev, e->time, e->actor_id, actor, e->action, e->object, e->client, e->outcome,
		   detail, hash);

	if (store_sqlite_statement(st, "INSERT INTO audit.audit_log (time, actor_id, actor, action, object, client,"
			       " outcome, detail, prev_sha256, sha256)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the audit insert");
	sqlite3_bind_int64(stmt, 1, e->time);
	if (e->actor_id)
		sqlite3_bind_int64(stmt, 2, e->actor_id);
	else
		sqlite3_bind_null(stmt, 2);
	sqlite3_bind_text(stmt, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, e->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, e->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, e->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 9, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt) == SQLITE_DONE ? CH_OK
					       : store_sqlite_fail(st, err, "appending to the audit log");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_audit_append(struct store *st, const struct store_audit_entry *entry,
				struct ch_error *err)
{
	/* Inside the caller's write transaction the entry commits with the
	 * change it records. */
	if (sqlite3_txn_state(st->db, NULL) == SQLITE_TXN_WRITE)
		return insert_entry(st, entry, err);
	return store_audit_append_batch(st, entry, 1, err);
}

enum ch_code store_audit_append_batch(struct store *st, const struct store_audit_entry *entries,
				      size_t count, struct ch_error *err)
{
	enum ch_code rc;

	/* A read transaction cannot safely become a write one once another
	 * writer has committed, so it ends here. The write lock comes first,
	 * so two writers cannot both chain to the same previous entry. */
	store_read_end(st);
	rc = store_sqlite_exec(st, "BEGIN IMMEDIATE", "starting an audit transaction", err);
	if (rc != CH_OK)
		return rc;
	for (size_t i = 0; i < count && rc == CH_OK; i++)
		rc = insert_entry(st, &entries[i], err);
	if (rc == CH_OK)
		rc = store_sqlite_exec(st, "COMMIT", "committing audit entries", err);
	if (rc != CH_OK)
		store_rollback(st);
	return rc;
}

void store_audit_list_free(struct store_audit_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct store_audit_row *r = &list->items[i];

		free(r->actor);
		free(r->action);
		free(r->object);
		free(r->client);
		free(r->outcome);
		free(r->detail);
		free(r->sha256);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

enum ch_code store_audit_list(struct store *st, int64_t since, int64_t after_id, size_t limit,
			      struct store_audit_list *out, struct ch_error *err)
{
	struct store_audit_list list = { 0 };
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT id, time, actor, action, object, client, outcome, detail, sha256"
			       " FROM audit.audit_log WHERE time >= ?1 AND id > ?3 ORDER BY id LIMIT ?2",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the audit query");
	sqlite3_bind_int64(stmt, 1, since);
	sqlite3_bind_int64(stmt, 2, (int64_t)limit);
	sqlite3_bind_int64(stmt, 3, after_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_audit_row *r;

		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		r = &list.items[list.count++];
		r->id = sqlite3_column_int64(stmt, 0);
		r->time = sqlite3_column_int64(stmt, 1);
		r->actor = store_sqlite_strdup(stmt, 2);
		r->action = store_sqlite_strdup(stmt, 3);
		r->object = store_sqlite_strdup(stmt, 4);
		r->client = store_sqlite_strdup(stmt, 5);
		r->outcome = store_sqlite_strdup(stmt, 6);
		r->detail = store_sqlite_strdup(stmt, 7);
		r->sha256 = store_sqlite_strdup(stmt, 8);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_audit_list_free(&list);
		return store_sqlite_fail(st, err, "reading the audit log");
	}
	*out = list;
	return CH_OK;
}

static const char *text_or_empty(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t ? (const char *)t : "";
}

enum ch_code store_audit_verify(struct store *st, int64_t *bad_id, struct ch_error *err)
{
	char prev[HEX_SHA256], hash[HEX_SHA256];
	sqlite3_stmt *stmt;
	int step;

	memcpy(prev, genesis, HEX_SHA256);
	*bad_id = 0;
	if (store_sqlite_statement(st, "SELECT id, time, COALESCE(actor_id, 0), actor, action, object, client,"
			       " outcome, detail, prev_sha256, sha256 FROM audit.audit_log ORDER BY id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the audit check");
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		entry_hash(prev, sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
			   text_or_empty(stmt, 3), text_or_empty(stmt, 4), text_or_empty(stmt, 5),
			   text_or_empty(stmt, 6), text_or_empty(stmt, 7), text_or_empty(stmt, 8),
			   hash);
		if (strcmp(prev, text_or_empty(stmt, 9)) != 0 ||
		    strcmp(hash, text_or_empty(stmt, 10)) != 0) {
			*bad_id = sqlite3_column_int64(stmt, 0);
			break;
		}
		memcpy(prev, hash, HEX_SHA256);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "checking the audit log");
	return CH_OK;
}
