/*
 * SQLite backend: chat identities and the one-time codes that link them.
 * Like API tokens, a link code is stored only as its SHA-256.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_private.h"

enum ch_code store_chat_identity_find(struct store *st, const char *platform,
				      const char *workspace, const char *chat_user,
				      struct principal *out, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT u.id, u.org_id, u.role, u.name FROM chat_identities c"
			       " JOIN users u ON u.id = c.user_id"
			       " WHERE c.platform = ?1 AND c.workspace = ?2 AND c.chat_user = ?3",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat identity lookup");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, chat_user, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->authenticated = true;
		out->user_id = sqlite3_column_int64(stmt, 0);
		out->org_id = sqlite3_column_int64(stmt, 1);
		if (role_parse((const char *)sqlite3_column_text(stmt, 2), &out->role, NULL) != CH_OK)
			out->role = ROLE_MEMBER;
		snprintf(out->user_name, sizeof(out->user_name), "%s",
			 (const char *)sqlite3_column_text(stmt, 3));
	} else if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_NOT_FOUND, "%s user %s of %s is not linked to a hub account",
			     platform, chat_user, workspace);
	} else {
		rc = store_sqlite_fail(st, err, "looking a chat identity up");
	}
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_chat_link_code_add(struct store *st, int64_t user_id,
				      const unsigned char hash[32], int64_t now, int64_t expires,
				      struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT INTO chat_link_codes (code_sha256, user_id, created,"
			       " expires) VALUES (?1, ?2, ?3, ?4)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the link code insert");
	sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, user_id);
	sqlite3_bind_int64(stmt, 3, now);
	sqlite3_bind_int64(stmt, 4, expires);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "storing a link code");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_chat_link_code_use(struct store *st, const unsigned char hash[32],
				      int64_t now, int64_t *user_id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "UPDATE chat_link_codes SET used = ?2"
			       " WHERE code_sha256 = ?1 AND used IS NULL AND expires > ?2"
			       " RETURNING user_id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the link code use");
	sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*user_id = sqlite3_column_int64(stmt, 0);
	else if (step == SQLITE_DONE)
		rc = ch_fail(err, CH_NOT_FOUND, "the link code is unknown, used or expired; ask an "
						"operator for a new one, or make one with POST "
						"/api/v1/me/link-code");
	else
		rc = store_sqlite_fail(st, err, "using a link code");
	/* RETURNING rows must be stepped to the end before the change is
	 * final. */
	while (step == SQLITE_ROW)
		step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_chat_identity_unlink(struct store *st, const char *platform,
					const char *workspace, const char *chat_user,
					struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "DELETE FROM chat_identities"
			       " WHERE platform = ?1 AND workspace = ?2 AND chat_user = ?3",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat identity removal");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, chat_user, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "removing a chat identity");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_chat_events_prune(struct store *st, const char *platform, int64_t before,
				     struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "DELETE FROM chat_events WHERE platform = ?1 AND received < ?2",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat event pruning");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, before);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "pruning chat event ids");
	store_sqlite_release(st, stmt);
	return rc;
}
