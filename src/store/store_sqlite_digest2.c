/*
 * SQLite backend: the report queries of audience digests. Each section of
 * a digest is one statement over the reports in scope (DIGEST_IN_SCOPE in
 * digest_scope_sql.h), found by time through the reports_created index.
 * The indicators of a digest are read in store_sqlite_digest_scan.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/digest_scope_sql.h"
#include "util/alloc.h"

void store_sqlite_bind_named(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int index = sqlite3_bind_parameter_index(stmt, name);

	if (index > 0)
		sqlite3_bind_int64(stmt, index, value);
}

void store_sqlite_bind_digest_scope(sqlite3_stmt *stmt, const struct store_digest_scope *scope)
{
	enum tlp_level max = scope->tlp_max > TLP_AMBER_STRICT ? TLP_AMBER_STRICT : scope->tlp_max;

	store_sqlite_bind_named(stmt, ":tlp_max", (int64_t)max);
	store_sqlite_bind_named(stmt, ":org", scope->org_id > 0 ? scope->org_id : -1);
	store_sqlite_bind_named(stmt, ":since", scope->since);
	store_sqlite_bind_named(stmt, ":until", scope->until);
	store_sqlite_bind_named(stmt, ":previous", scope->since - (scope->until - scope->since));
	store_sqlite_bind_named(stmt, ":referrals", scope->referrals ? 1 : 0);
}

enum ch_code store_digest_report_count(struct store *st, const struct store_digest_scope *scope,
				       int64_t *count, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT COUNT(*) FROM reports r WHERE r.created >= :since"
			       " AND r.created < :until AND " DIGEST_IN_SCOPE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest report count");
	store_sqlite_bind_digest_scope(stmt, scope);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*count = sqlite3_column_int64(stmt, 0);
	else
		rc = store_sqlite_fail(st, err, "counting the digest reports");
	store_sqlite_release(st, stmt);
	return rc;
}

/* ---- ATT&CK tactics ----------------------------------------------------------- */

enum ch_code store_digest_tactics(struct store *st, const struct store_digest_scope *scope,
				  store_digest_tactics_cb cb, void *ctx, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, "SELECT r.created >= :since,"
			       " coalesce(json_extract(r.fields, '$.tactic'), '') || ','"
			       " || coalesce((SELECT group_concat(t.tactics, ',')"
			       "   FROM report_techniques rt"
			       "   JOIN attack_techniques t ON t.id = rt.technique_id"
			       "   WHERE rt.report_id = r.id), '')"
			       " FROM reports r WHERE r.created >= :previous AND r.created < :until"
			       " AND (r.kind = 'attack' OR EXISTS (SELECT 1 FROM report_techniques rt"
			       "   WHERE rt.report_id = r.id)) AND " DIGEST_IN_SCOPE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest tactic query");
	store_sqlite_bind_digest_scope(stmt, scope);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *tactics = sqlite3_column_text(stmt, 1);

		rc = cb(ctx, sqlite3_column_int(stmt, 0) != 0, tactics ? (const char *)tactics : "",
			err);
		if (rc != CH_OK)
			break;
	}
	if (rc == CH_OK && step != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "reading the digest tactics");
	store_sqlite_release(st, stmt);
	return rc;
}

/* ---- Vulnerable organisations and hunting rules ------------------------------- */

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the items of a comma-separated list in place; returns list.
 * group_concat gives them in no defined order. */
static char *sort_list(char *list)
{
	size_t count = 1, len = strlen(list), at = 0;
	char **items;
	char *copy;

	for (size_t i = 0; i < len; i++)
		count += list[i] == ',';
	items = xcalloc(count, sizeof(*items));
	copy = xstrdup(list);
	count = 0;
	for (char *item = copy, *comma; item; item = comma ? comma + 1 : NULL) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		items[count++] = item;
	}
	qsort(items, count, sizeof(*items), compare_strings);
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(items[i]);

		if (i > 0)
			list[at++] = ',';
		memcpy(list + at, items[i], n);
		at += n;
	}
	list[at] = '\0';
	free(items);
	free(copy);
	return list;
}

void store_digest_vuln_list_free(struct store_digest_vuln_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].country);
		free(list->items[i].sector);
		free(list->items[i].cves);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

enum ch_code store_digest_vulnerable(struct store *st, const struct store_digest_scope *scope,
				     struct store_digest_vuln_list *out, struct ch_error *err)
{
	struct store_digest_vuln_list list = { 0 };
	sqlite3_stmt *stmt = NULL;
	int step;

	if (store_sqlite_statement(st, "SELECT country, sector, COUNT(DISTINCT lower(org)), COUNT(*),"
			       " group_concat(DISTINCT cve)"
			       " FROM (SELECT coalesce(json_extract(r.fields, '$.country'), '') AS country,"
			       "   coalesce(json_extract(r.fields, '$.sector'), '') AS sector,"
			       "   coalesce(json_extract(r.fields, '$.organisation'), '') AS org,"
			       "   json_extract(r.fields, '$.cve') AS cve"
			       "   FROM reports r WHERE r.kind = 'vuln' AND r.created >= :since"
			       "   AND r.created < :until AND " DIGEST_IN_SCOPE ")"
			       " GROUP BY country, sector ORDER BY 3 DESC, 4 DESC, country, sector",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest vulnerability query");
	store_sqlite_bind_digest_scope(stmt, scope);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_digest_vuln_group *g;
		char *cves = store_sqlite_strdup(stmt, 4);

		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		g = &list.items[list.count++];
		g->country = store_sqlite_strdup(stmt, 0);
		g->sector = store_sqlite_strdup(stmt, 1);
		g->organisations = sqlite3_column_int64(stmt, 2);
		g->reports = sqlite3_column_int64(stmt, 3);
		g->cves = cves ? sort_list(cves) : xstrdup("");
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_digest_vuln_list_free(&list);
		return store_sqlite_fail(st, err, "reading the digest vulnerability groups");
	}
	*out = list;
	return CH_OK;
}

void store_digest_rule_list_free(struct store_digest_rule_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].title);
		free(list->items[i].rule_type);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

enum ch_code store_digest_rules(struct store *st, const struct store_digest_scope *scope,
				size_t limit, struct store_digest_rule_list *out,
				struct ch_error *err)
{
	struct store_digest_rule_list list = { 0 };
	sqlite3_stmt *stmt = NULL;
	int step;

	if (store_sqlite_statement(st, "SELECT r.id, coalesce(r.title, ''),"
			       " CASE WHEN r.kind = 'hunting' THEN json_extract(r.fields, '$.rule_type') END,"
			       " r.created, COUNT(*) OVER ()"
			       " FROM reports r WHERE r.created >= :since AND r.created < :until"
			       " AND r.kind IN ('hunting', 'chat') AND " DIGEST_CATEGORY " = 3 AND " DIGEST_IN_SCOPE
			       " ORDER BY r.created DESC, r.id DESC LIMIT :limit", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest rule query");
	store_sqlite_bind_digest_scope(stmt, scope);
	store_sqlite_bind_named(stmt, ":limit", (int64_t)limit);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_digest_rule *r;

		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		r = &list.items[list.count++];
		r->report_id = sqlite3_column_int64(stmt, 0);
		r->title = store_sqlite_strdup(stmt, 1);
		r->rule_type = store_sqlite_strdup(stmt, 2);
		r->created = sqlite3_column_int64(stmt, 3);
		list.total = sqlite3_column_int64(stmt, 4);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_digest_rule_list_free(&list);
		return store_sqlite_fail(st, err, "reading the digest rules");
	}
	/* LIMIT 0 returns no row to carry the total, so count separately. */
	if (limit == 0 || list.count == 0)
		list.total = (int64_t)list.count;
	*out = list;
	return CH_OK;
}

/* ---- Referrals ------------------------------------------------------------------ */

void store_digest_referral_list_free(struct store_digest_referral_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct store_digest_referral_event *e = &list->items[i];

		free(e->summary);
		free(e->incident_type);
		free(e->org);
		free(e->state);
		free(e->action);
		free(e->from_state);
		free(e->to_state);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

enum ch_code store_digest_referrals(struct store *st, int64_t since, int64_t until,
				    struct store_digest_referral_list *out, struct ch_error *err)
{
	struct store_digest_referral_list list = { 0 };
	sqlite3_stmt *stmt = NULL;
	int step;

	if (store_sqlite_statement(st, "SELECT f.id, f.year, f.seq, f.tlp, f.summary,"
			       " f.incident_type, o.name, f.state, f.created, e.time, e.action,"
			       " e.from_state, e.to_state"
			       " FROM referral_events e JOIN referrals f ON f.id = e.referral_id"
			       " JOIN orgs o ON o.id = f.org_id"
			       " WHERE e.time >= ?1 AND e.time < ?2 AND (e.action = 'create'"
			       "   OR (e.to_state IS NOT NULL AND e.to_state IS NOT e.from_state))"
			       " ORDER BY f.id, e.time, e.id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest referral query");
	sqlite3_bind_int64(stmt, 1, since);
	sqlite3_bind_int64(stmt, 2, until);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_digest_referral_event *e;
		int tlp = sqlite3_column_int(stmt, 3);

		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		e = &list.items[list.count++];
		e->referral_id = sqlite3_column_int64(stmt, 0);
		/* The referral store formats numbers the same way. */
		snprintf(e->ref, sizeof(e->ref), "LE-%04d-%04d",
			 (int)(sqlite3_column_int64(stmt, 1) % 10000),
			 (int)(sqlite3_column_int64(stmt, 2) % 1000000000));
		e->tlp = tlp >= TLP_CLEAR && tlp < TLP_LEVEL_COUNT ? (enum tlp_level)tlp : TLP_RED;
		e->summary = store_sqlite_strdup(stmt, 4);
		e->incident_type = store_sqlite_strdup(stmt, 5);
		e->org = store_sqlite_strdup(stmt, 6);
		e->state = store_sqlite_strdup(stmt, 7);
		e->created = sqlite3_column_int64(stmt, 8);
		e->time = sqlite3_column_int64(stmt, 9);
		e->action = store_sqlite_strdup(stmt, 10);
		e->from_state = store_sqlite_strdup(stmt, 11);
		e->to_state = store_sqlite_strdup(stmt, 12);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_digest_referral_list_free(&list);
		return store_sqlite_fail(st, err, "reading the digest referral events");
	}
	*out = list;
	return CH_OK;
}

/* ---- Digest runs ------------------------------------------------------------------ */

enum ch_code store_digest_last_run(struct store *st, const char *name, const char *audience,
				   int64_t *period_end, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT coalesce(MAX(period_end), 0) FROM digest_runs"
			       " WHERE name = ?1 AND audience = ?2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest run query");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, audience, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*period_end = sqlite3_column_int64(stmt, 0);
	else
		rc = store_sqlite_fail(st, err, "reading the last digest run");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_digest_record_run(struct store *st, const char *name, const char *audience,
				     int64_t period_start, int64_t period_end, int64_t now,
				     bool *fresh, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT OR IGNORE INTO digest_runs (name, audience,"
			       " period_start, period_end, created) VALUES (?1, ?2, ?3, ?4, ?5)",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest run insert");
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, audience, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, period_start);
	sqlite3_bind_int64(stmt, 4, period_end);
	sqlite3_bind_int64(stmt, 5, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		*fresh = sqlite3_changes(st->db) > 0;
	else
		rc = store_sqlite_fail(st, err, "recording a digest run");
	store_sqlite_release(st, stmt);
	return rc;
}
