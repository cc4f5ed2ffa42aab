/*
 * SQLite backend: organisations, users, API tokens, chat identities, the
 * ATT&CK catalogue and row counts.
 *
 * A token is looked up by the SHA-256 of its secret through a unique
 * index, so the secret itself never reaches the database and the lookup
 * time does not depend on how much of a guessed secret is right.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

/* Steps a statement whose arguments the caller bound, mapping a UNIQUE
 * violation to CH_CONFLICT with the name that clashed. */
static enum ch_code step_done(struct store *st, sqlite3_stmt *stmt, const char *what,
			      const char *name, struct ch_error *err)
{
	int step = sqlite3_step(stmt);

	if (step == SQLITE_DONE || step == SQLITE_ROW)
		return CH_OK;
	if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE)
		return ch_fail(err, CH_CONFLICT, "%s '%s' exists already", what, name);
	return store_sqlite_fail(st, err, what);
}

enum ch_code store_org_add(struct store *st, const char *name, int64_t *id,
			   struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;

	if (store_sqlite_statement(st, "INSERT INTO orgs (name, created) VALUES (?1, strftime('%s', 'now'))", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the organisation insert");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	rc = step_done(st, stmt, "organisation", name, err);
	store_sqlite_release(st, stmt);
	if (rc == CH_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

static enum ch_code find_id(struct store *st, const char *sql, const char *key,
			    const char *what, int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a lookup");
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	else if (step == SQLITE_DONE)
		rc = ch_fail(err, CH_NOT_FOUND, "%s '%s' not found", what, key);
	else
		rc = store_sqlite_fail(st, err, "looking up a name");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_org_find(struct store *st, const char *name, int64_t *id,
			    struct ch_error *err)
{
	return find_id(st, "SELECT id FROM orgs WHERE name = ?1", name, "organisation", id, err);
}

enum ch_code store_user_add(struct store *st, const char *name, int64_t org_id, enum role role,
			    int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;

	if (store_sqlite_statement(st, "INSERT INTO users (name, org_id, role, created)"
			       " VALUES (?1, ?2, ?3, strftime('%s', 'now'))", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the user insert");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, org_id);
	sqlite3_bind_text(stmt, 3, role_name(role), -1, SQLITE_STATIC);
	rc = step_done(st, stmt, "user", name, err);
	store_sqlite_release(st, stmt);
	if (rc == CH_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

void store_user_free(struct store_user *user)
{
	if (!user)
		return;
	free(user->name);
	free(user->org);
	memset(user, 0, sizeof(*user));
}

void store_user_list_free(struct store_user_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		store_user_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static const char user_columns[] =
	"SELECT u.id, u.name, o.name, o.id, u.role, u.created,"
	" (SELECT COUNT(*) FROM tokens t WHERE t.user_id = u.id AND t.revoked IS NULL)"
	" FROM users u JOIN orgs o ON o.id = u.org_id";

static void read_user(sqlite3_stmt *stmt, struct store_user *u)
{
	const char *role = (const char *)sqlite3_column_text(stmt, 4);

	u->id = sqlite3_column_int64(stmt, 0);
	u->name = store_sqlite_strdup(stmt, 1);
	u->org = store_sqlite_strdup(stmt, 2);
	u->org_id = sqlite3_column_int64(stmt, 3);
	if (role_parse(role ? role : "", &u->role, NULL) != CH_OK)
		u->role = ROLE_MEMBER;
	u->created = sqlite3_column_int64(stmt, 5);
	u->active_tokens = (size_t)sqlite3_column_int64(stmt, 6);
}

/* Runs the user query with one condition on ?1, bound by the caller's
 * text or id; key names the user in the not-found message. */
static enum ch_code find_user(struct store *st, const char *where, const char *name, int64_t id,
			      const char *key, struct store_user *out, struct ch_error *err)
{
	char sql[512];
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	snprintf(sql, sizeof(sql), "%s WHERE %s", user_columns, where);
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the user lookup");
	if (name)
		sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		read_user(stmt, out);
	else if (step == SQLITE_DONE)
		rc = ch_fail(err, CH_NOT_FOUND, "user '%s' not found; 'ctihub user list' shows the users",
			     key);
	else
		rc = store_sqlite_fail(st, err, "looking up a user");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_user_find(struct store *st, const char *name, struct store_user *out,
			     struct ch_error *err)
{
	return find_user(st, "u.name = ?1", name, 0, name, out, err);
}

enum ch_code store_user_find_id(struct store *st, int64_t id, struct store_user *out,
				struct ch_error *err)
{
	char key[32];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return find_user(st, "u.id = ?1", NULL, id, key, out, err);
}

enum ch_code store_user_list(struct store *st, struct store_user_list *out,
			     struct ch_error *err)
{
	struct store_user_list list = { 0 };
	char sql[512];
	sqlite3_stmt *stmt;
	int step;

	snprintf(sql, sizeof(sql), "%s ORDER BY o.name, u.name", user_columns);
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the user list");
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		read_user(stmt, &list.items[list.count++]);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_user_list_free(&list);
		return store_sqlite_fail(st, err, "listing users");
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_user_count(struct store *st, int64_t *count, struct ch_error *err)
{
	return store_sqlite_count(st, "SELECT COUNT(*) FROM users", count, err);
}

enum ch_code store_count_rows(struct store *st, int64_t *indicators, int64_t *reports,
			      struct ch_error *err)
{
	enum ch_code rc = store_sqlite_count(st, "SELECT COUNT(*) FROM indicators", indicators, err);

	if (rc == CH_OK)
		rc = store_sqlite_count(st, "SELECT COUNT(*) FROM reports", reports, err);
	return rc;
}

enum ch_code store_token_add(struct store *st, int64_t user_id,
			     const unsigned char hash[STORE_TOKEN_HASH_BYTES], int64_t created,
			     int64_t expires, int64_t *id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT INTO tokens (user_id, secret_sha256, created, expires)"
			       " VALUES (?1, ?2, ?3, ?4)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the token insert");
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_blob(stmt, 2, hash, STORE_TOKEN_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, created);
	if (expires)
		sqlite3_bind_int64(stmt, 4, expires);
	else
		sqlite3_bind_null(stmt, 4);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "recording the token");
	else
		*id = sqlite3_last_insert_rowid(st->db);
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_token_revoke(struct store *st, int64_t token_id, int64_t now,
				struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the token revocation");
	sqlite3_bind_int64(stmt, 1, token_id);
	sqlite3_bind_int64(stmt, 2, now);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "revoking the token");
	else if (sqlite3_changes(st->db) == 0)
		rc = ch_fail(err, CH_NOT_FOUND, "token %lld not found or already revoked",
			     (long long)token_id);
	store_sqlite_release(st, stmt);
	return rc;
}

/* Reads and checks the token row of hash. Sets *out and *expires (0 for
 * none) when the token is valid at now. */
static enum ch_code query_token(struct store *st, const unsigned char hash[STORE_TOKEN_HASH_BYTES],
				int64_t now, struct principal *out, int64_t *expires,
				struct ch_error *err)
{
	sqlite3_stmt *stmt;
	struct principal who = { 0 };
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT t.id, t.expires, t.revoked, u.id, u.org_id, u.role, u.name,"
			       " t.secret_sha256"
			       " FROM tokens t JOIN users u ON u.id = t.user_id"
			       " WHERE t.secret_sha256 = ?1", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the token lookup");
	sqlite3_bind_blob(stmt, 1, hash, STORE_TOKEN_HASH_BYTES, SQLITE_STATIC);

	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_UNAUTHORIZED, "unknown token");
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = store_sqlite_fail(st, err, "looking up a token");
		goto out;
	}

	/* The index compared the hash already; compare again in constant time
	 * so a collation or blob-compare quirk can never let a wrong hash in. */
	if (sqlite3_column_bytes(stmt, 7) != STORE_TOKEN_HASH_BYTES ||
	    sodium_memcmp(sqlite3_column_blob(stmt, 7), hash, STORE_TOKEN_HASH_BYTES) != 0) {
		rc = ch_fail(err, CH_UNAUTHORIZED, "unknown token");
		goto out;
	}
	who.token_id = sqlite3_column_int64(stmt, 0);
	if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
		rc = ch_fail(err, CH_UNAUTHORIZED, "token %lld was revoked", (long long)who.token_id);
		goto out;
	}
	if (sqlite3_column_type(stmt, 1) != SQLITE_NULL && sqlite3_column_int64(stmt, 1) <= now) {
		rc = ch_fail(err, CH_UNAUTHORIZED, "token %lld has expired", (long long)who.token_id);
		goto out;
	}

	who.authenticated = true;
	who.user_id = sqlite3_column_int64(stmt, 3);
	who.org_id = sqlite3_column_int64(stmt, 4);
	if (role_parse((const char *)sqlite3_column_text(stmt, 5), &who.role, NULL) != CH_OK)
		who.role = ROLE_MEMBER;
	snprintf(who.user_name, sizeof(who.user_name), "%s",
		 (const char *)sqlite3_column_text(stmt, 6));
	*out = who;
	*expires = sqlite3_column_int64(stmt, 1);

out:
	store_sqlite_release(st, stmt);
	return rc;
}

/* Empties the token cache when the database changed since it was filled:
 * through another connection (PRAGMA data_version) or through this one
 * (sqlite3_total_changes64). The pragma also starts the caller's read
 * transaction, so the cache then matches that transaction's snapshot. */
static enum ch_code check_token_cache(struct store *st, struct ch_error *err)
{
	struct store_token_cache *cache = &st->tokens;
	int64_t own_changes = sqlite3_total_changes64(st->db);
	int64_t version;
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "PRAGMA data_version", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the data version check");
	step = sqlite3_step(stmt);
	version = sqlite3_column_int64(stmt, 0);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW)
		return store_sqlite_fail(st, err, "reading the data version");

	if (version != cache->data_version || own_changes != cache->own_changes) {
		memset(cache->slots, 0, sizeof(cache->slots));
		cache->data_version = version;
		cache->own_changes = own_changes;
	}
	return CH_OK;
}

enum ch_code store_token_authenticate(struct store *st,
				      const unsigned char hash[STORE_TOKEN_HASH_BYTES],
				      int64_t now, struct principal *out, struct ch_error *err)
{
	/* The hash is SHA-256 output, so its first bytes spread evenly. */
	struct store_cached_token *slot =
		&st->tokens.slots[(hash[0] | (unsigned)hash[1] << 8) % STORE_TOKEN_CACHE_SLOTS];
	int64_t expires = 0;
	enum ch_code rc;

	rc = check_token_cache(st, err);
	if (rc != CH_OK)
		return rc;
	/* An expired entry falls through to the query, which names the reason. */
	if (slot->used && sodium_memcmp(slot->hash, hash, STORE_TOKEN_HASH_BYTES) == 0 &&
	    (slot->expires == 0 || slot->expires > now)) {
		*out = slot->who;
		return CH_OK;
	}

	rc = query_token(st, hash, now, out, &expires, err);
	if (rc != CH_OK)
		return rc;
	slot->used = true;
	memcpy(slot->hash, hash, STORE_TOKEN_HASH_BYTES);
	slot->expires = expires;
	slot->who = *out;
	return CH_OK;
}

enum ch_code store_chat_identity_link(struct store *st, int64_t user_id, const char *platform,
				      const char *workspace, const char *chat_user,
				      struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;

	if (store_sqlite_statement(st, "INSERT INTO chat_identities (user_id, platform, workspace, chat_user)"
			       " VALUES (?1, ?2, ?3, ?4)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat identity insert");
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_text(stmt, 2, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, chat_user, -1, SQLITE_STATIC);
	rc = step_done(st, stmt, "chat identity", chat_user, err);
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_attack_technique_put(struct store *st, const char *id, const char *name,
					const char *tactics, const char *domain, bool revoked,
					struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT INTO attack_techniques (id, name, tactics, domain, revoked)"
			       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET"
			       " name = excluded.name, tactics = excluded.tactics,"
			       " domain = excluded.domain, revoked = excluded.revoked", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the technique insert");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, tactics, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 5, revoked);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "recording a technique");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_attack_technique_get(struct store *st, const char *id, bool *found,
					bool *revoked, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT revoked FROM attack_techniques WHERE id = ?1", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the technique lookup");
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*found = true;
		*revoked = sqlite3_column_int(stmt, 0) != 0;
	} else if (step == SQLITE_DONE) {
		*found = false;
		*revoked = false;
	} else {
		rc = store_sqlite_fail(st, err, "looking up a technique");
	}
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_attack_technique_count(struct store *st, int64_t *count,
					  struct ch_error *err)
{
	return store_sqlite_count(st, "SELECT COUNT(*) FROM attack_techniques", count, err);
}
