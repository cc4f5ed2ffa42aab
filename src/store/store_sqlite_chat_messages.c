/*
 * SQLite backend: channel messages of the chat bridge as reports.
 *
 * chat_events contains every event id that changed something, so a
 * retried delivery is recognised, and the nonce of every Mattermost
 * dialog state that was used (platform "mattermost-dialog"), so a state
 * is used once. chat_messages maps (platform, workspace, channel, ts) to
 * the message's report, for edits, deletions and thread replies. An edit
 * replaces the report's title, fields and indicator links in place; a
 * deletion sets reports.withdrawn, which hides the report from every
 * reader (see READABLE in store_sqlite_reports.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

enum ch_code store_chat_event_claim(struct store *st, const char *platform,
				    const char *workspace, const char *event_id, int64_t now,
				    bool *fresh, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "INSERT OR IGNORE INTO chat_events (platform, workspace,"
				       " event_id, received) VALUES (?1, ?2, ?3, ?4)",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat event insert");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "recording a chat event id");
	*fresh = sqlite3_changes(st->db) > 0;
	return CH_OK;
}

enum ch_code store_chat_event_seen(struct store *st, const char *platform,
				   const char *workspace, const char *event_id, bool *seen,
				   struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT 1 FROM chat_events WHERE platform = ?1"
				       " AND workspace = ?2 AND event_id = ?3",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat event lookup");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, event_id, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "looking up a chat event id");
	*seen = step == SQLITE_ROW;
	return CH_OK;
}

enum ch_code store_chat_message_find(struct store *st, const char *platform,
				     const char *workspace, const char *channel, const char *ts,
				     int64_t *report_id, bool *withdrawn, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT m.report_id, r.withdrawn IS NOT NULL"
				       " FROM chat_messages m JOIN reports r ON r.id = m.report_id"
				       " WHERE m.platform = ?1 AND m.workspace = ?2"
				       " AND m.channel = ?3 AND m.ts = ?4",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat message lookup");
	sqlite3_bind_text(stmt, 1, platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, ts, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*report_id = sqlite3_column_int64(stmt, 0);
		*withdrawn = sqlite3_column_int(stmt, 1) != 0;
	} else if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_NOT_FOUND, "%s message %s in channel %s has no report",
			     platform, ts, channel);
	} else {
		rc = store_sqlite_fail(st, err, "looking up a chat message");
	}
	store_sqlite_release(st, stmt);
	return rc;
}

/* Sets *id to the indicator's id, or 0 when the store has no such value. */
static enum ch_code indicator_id(struct store *st, const struct ioc *ioc, int64_t *id,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT id FROM indicators WHERE type = ?1 AND value = ?2",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the indicator id lookup");
	sqlite3_bind_text(stmt, 1, ioc_type_name(ioc->type), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, ioc->value, (int)ioc->value_len, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	*id = step == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "looking up an indicator id");
	return CH_OK;
}

/* Sets *linked to whether the report links the indicator already. */
static enum ch_code is_linked(struct store *st, int64_t report_id, const struct ioc *ioc,
			      bool *linked, struct ch_error *err)
{
	int64_t id = 0;
	sqlite3_stmt *stmt;
	enum ch_code rc = indicator_id(st, ioc, &id, err);
	int step;

	*linked = false;
	if (rc != CH_OK || id == 0)
		return rc;
	if (store_sqlite_statement(st, "SELECT 1 FROM report_indicators"
				       " WHERE report_id = ?1 AND indicator_id = ?2",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the link lookup");
	sqlite3_bind_int64(stmt, 1, report_id);
	sqlite3_bind_int64(stmt, 2, id);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "looking up an indicator link");
	*linked = step == SQLITE_ROW;
	return CH_OK;
}

/* Records a sighting of every top-level indicator the report does not link
 * yet, so repeating an edit counts nothing twice. */
static enum ch_code add_sightings(struct store *st, int64_t report_id, enum tlp_level tlp,
				  int64_t seen, const struct ioc_match_list *list,
				  struct ch_error *err)
{
	struct store_sighting *batch;
	size_t n = 0, created = 0;
	enum ch_code rc = CH_OK;

	if (!list || list->count == 0)
		return CH_OK;
	batch = xcalloc(list->count, sizeof(*batch));
	for (size_t i = 0; i < list->count && rc == CH_OK; i++) {
		const struct ioc *ioc = &list->items[i].ioc;
		bool linked = false;

		if (list->items[i].parent >= 0)
			continue;
		rc = is_linked(st, report_id, ioc, &linked, err);
		if (rc != CH_OK || linked)
			continue;
		batch[n] = (struct store_sighting){
			.type = ioc->type,
			.value = ioc->value,
			.value_len = ioc->value_len,
			.registrable = ioc->registrable[0] ? ioc->registrable : NULL,
			.warnings = ioc->warnings,
			.warnlist = ioc->warnlist_name,
			.tlp = tlp,
			.confidence = 50,
			.seen = seen,
		};
		n++;
	}
	if (rc == CH_OK && n > 0)
		rc = store_sightings_add(st, report_id, batch, n, NULL, &created, err);
	free(batch);
	return rc;
}

static bool in_list(const int64_t *ids, size_t count, int64_t id)
{
	for (size_t i = 0; i < count; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

/* Removes the links to indicators that the edited text no longer names.
 * The indicators themselves stay, with their counts, because other
 * reports may carry them. */
static enum ch_code drop_stale_links(struct store *st, int64_t report_id,
				     const struct ioc_match_list *list, struct ch_error *err)
{
	int64_t *keep = xcalloc(list && list->count ? list->count : 1, sizeof(*keep));
	int64_t *stale = NULL;
	size_t keep_count = 0, stale_count = 0;
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;
	int step;

	for (size_t i = 0; list && i < list->count && rc == CH_OK; i++) {
		if (list->items[i].parent < 0)
			rc = indicator_id(st, &list->items[i].ioc, &keep[keep_count++], err);
	}
	if (rc != CH_OK)
		goto out;

	if (store_sqlite_statement(st, "SELECT indicator_id FROM report_indicators"
				       " WHERE report_id = ?1",
				   &stmt) != SQLITE_OK) {
		rc = store_sqlite_fail(st, err, "preparing the report links query");
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, report_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(stmt, 0);

		if (in_list(keep, keep_count, id))
			continue;
		stale = xreallocarray(stale, stale_count + 1, sizeof(*stale));
		stale[stale_count++] = id;
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		rc = store_sqlite_fail(st, err, "reading the links of a report");
		goto out;
	}

	for (size_t i = 0; i < stale_count && rc == CH_OK; i++)
		rc = store_sqlite_run_pair(st, "DELETE FROM report_indicators WHERE report_id = ?1"
				  " AND indicator_id = ?2",
			      report_id, stale[i], "removing an indicator link", err);

out:
	free(keep);
	free(stale);
	return rc;
}

/* Sets *parent to the report of the thread's first message, or 0. */
static enum ch_code parent_report(struct store *st, const struct store_chat_message *in,
				  int64_t *parent, struct ch_error *err)
{
	bool withdrawn = false;
	enum ch_code rc;

	*parent = 0;
	if (!in->thread_ts || strcmp(in->thread_ts, in->ts) == 0)
		return CH_OK;
	rc = store_chat_message_find(st, in->platform, in->workspace, in->channel, in->thread_ts,
				     parent, &withdrawn, err);
	if (rc == CH_NOT_FOUND) {
		*parent = 0;
		return CH_OK;
	}
	return rc;
}

static void bind_optional_id(sqlite3_stmt *stmt, int index, int64_t id)
{
	if (id)
		sqlite3_bind_int64(stmt, index, id);
	else
		sqlite3_bind_null(stmt, index);
}

static void bind_optional_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, index);
}

static enum ch_code insert_report(struct store *st, const struct store_chat_message *in,
				  int64_t source_id, int64_t *report_id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "INSERT INTO reports (source_id, kind, title, tlp, created,"
				       " submitter_id, org_id, anonymous, fields)"
				       " VALUES (?1, 'chat', ?2, ?3, ?4, ?5, ?6, 0, ?7)",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat report insert");
	sqlite3_bind_int64(stmt, 1, source_id);
	sqlite3_bind_text(stmt, 2, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, (int)in->tlp);
	sqlite3_bind_int64(stmt, 4, in->created);
	bind_optional_id(stmt, 5, in->submitter_id);
	bind_optional_id(stmt, 6, in->org_id);
	sqlite3_bind_text(stmt, 7, in->fields_json, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "recording a chat report");
	*report_id = sqlite3_last_insert_rowid(st->db);
	return CH_OK;
}

static enum ch_code insert_message_row(struct store *st, const struct store_chat_message *in,
				       int64_t report_id, int64_t parent, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "INSERT INTO chat_messages (platform, workspace, channel, ts,"
				       " report_id, thread_ts, parent_report_id)"
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat message insert");
	sqlite3_bind_text(stmt, 1, in->platform, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, in->workspace, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, in->ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, report_id);
	bind_optional_text(stmt, 6, in->thread_ts);
	bind_optional_id(stmt, 7, parent);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "recording a chat message");
	return CH_OK;
}

/* Names the readers of a restricted report. A report without the
 * organisation or the user that its TLP needs is readable by nobody. */
static enum ch_code insert_readers(struct store *st, const struct store_chat_message *in,
				   int64_t report_id, struct ch_error *err)
{
	if (in->tlp == TLP_AMBER_STRICT && in->org_id)
		return store_sqlite_run_pair(st, "INSERT OR IGNORE INTO report_orgs (report_id, org_id)"
				    " VALUES (?1, ?2)",
				report_id, in->org_id, "recording the readers of a report", err);
	if (in->tlp == TLP_RED && in->submitter_id)
		return store_sqlite_run_pair(st, "INSERT OR IGNORE INTO report_users (report_id, user_id)"
				    " VALUES (?1, ?2)",
				report_id, in->submitter_id, "recording the readers of a report", err);
	return CH_OK;
}

enum ch_code store_chat_message_create(struct store *st, const struct store_chat_message *in,
				       int64_t *report_id, struct ch_error *err)
{
	int64_t source_id = 0, parent = 0, id = 0;
	enum ch_code rc;

	rc = store_source_ensure(st, in->source, &source_id, err);
	if (rc == CH_OK)
		rc = parent_report(st, in, &parent, err);
	if (rc == CH_OK)
		rc = insert_report(st, in, source_id, &id, err);
	if (rc == CH_OK)
		rc = insert_readers(st, in, id, err);
	if (rc == CH_OK)
		rc = add_sightings(st, id, in->tlp, in->created, in->indicators, err);
	if (rc == CH_OK)
		rc = insert_message_row(st, in, id, parent, err);
	if (rc == CH_OK)
		*report_id = id;
	return rc;
}

enum ch_code store_chat_message_update(struct store *st, int64_t report_id,
				       const struct store_chat_message *in, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum tlp_level tlp;
	enum ch_code rc;
	int step;

	/* The report keeps the TLP it was created with, and so do the
	 * sightings the edit adds. */
	if (store_sqlite_statement(st, "UPDATE reports SET title = ?2, fields = ?3, withdrawn = NULL"
				       " WHERE id = ?1 RETURNING tlp",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the chat report update");
	sqlite3_bind_int64(stmt, 1, report_id);
	sqlite3_bind_text(stmt, 2, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->fields_json, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	tlp = step == SQLITE_ROW ? (enum tlp_level)sqlite3_column_int(stmt, 0) : in->tlp;
	store_sqlite_release(st, stmt);
	if (step == SQLITE_DONE)
		return ch_fail(err, CH_NOT_FOUND, "report %lld not found", (long long)report_id);
	if (step != SQLITE_ROW)
		return store_sqlite_fail(st, err, "updating a chat report");

	rc = drop_stale_links(st, report_id, in->indicators, err);
	if (rc == CH_OK)
		rc = add_sightings(st, report_id, tlp, in->created, in->indicators, err);
	return rc;
}

enum ch_code store_chat_report_withdraw(struct store *st, int64_t report_id, int64_t when,
					struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "UPDATE reports SET withdrawn = ?2 WHERE id = ?1",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report withdrawal");
	sqlite3_bind_int64(stmt, 1, report_id);
	sqlite3_bind_int64(stmt, 2, when);
	step = sqlite3_step(stmt);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "withdrawing a report");
	if (sqlite3_changes(st->db) == 0)
		return ch_fail(err, CH_NOT_FOUND, "report %lld not found", (long long)report_id);
	return CH_OK;
}
