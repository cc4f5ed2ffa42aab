/*
 * SQLite backend: the queries of audience digests. Each section of a
 * digest is one statement over the reports in scope (IN_SCOPE below),
 * found by time through the reports_created index; indicators are read in
 * one grouped pass that follows report_indicators by indicator id, so no
 * statement runs once per indicator from C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

/* The audience's read rule on report r, narrowed by the sink's ceiling.
 * :tlp_max is at most 3, so RED reports never match; :org is -1 for an
 * audience without an organisation. */
#define IN_SCOPE                                                                        \
	"(r.withdrawn IS NULL AND r.tlp <= :tlp_max"                                    \
	" AND (r.tlp <= 2 OR (r.tlp = 3 AND EXISTS (SELECT 1 FROM report_orgs ro"       \
	"     WHERE ro.report_id = r.id AND ro.org_id = :org))))"

/* The enum store_digest_category of report r. */
#define CATEGORY                                                                        \
	"(CASE r.kind WHEN 'disinfo' THEN 1 WHEN 'darknet' THEN 2 WHEN 'hunting' THEN 3"  \
	" WHEN 'vuln' THEN 4 WHEN 'chat' THEN (CASE json_extract(r.fields, '$.category')" \
	"   WHEN 'disinfo' THEN 1 WHEN 'darknet' THEN 2 WHEN 'hunting' THEN 3 ELSE 0 END)" \
	" ELSE 0 END)"

/* Organisations count once each; a file ingest has no organisation, so
 * its source stands in for one (negated, since both ids start at 1). */
#define ORG_KEY "coalesce(r.org_id, -r.source_id)"

static void bind_named(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int index = sqlite3_bind_parameter_index(stmt, name);

	if (index > 0)
		sqlite3_bind_int64(stmt, index, value);
}

static void bind_scope(sqlite3_stmt *stmt, const struct store_digest_scope *scope)
{
	enum tlp_level max = scope->tlp_max > TLP_AMBER_STRICT ? TLP_AMBER_STRICT : scope->tlp_max;

	bind_named(stmt, ":tlp_max", (int64_t)max);
	bind_named(stmt, ":org", scope->org_id > 0 ? scope->org_id : -1);
	bind_named(stmt, ":since", scope->since);
	bind_named(stmt, ":until", scope->until);
	bind_named(stmt, ":previous", scope->since - (scope->until - scope->since));
	bind_named(stmt, ":referrals", scope->referrals ? 1 : 0);
}

/* ---- Indicators ------------------------------------------------------------- */

/*
 * cand holds the indicators of period reports in scope; the outer pass
 * reads every report in scope that carries one of them, up to until. The
 * CROSS JOINs fix that order, so SQLite walks report_indicators by
 * indicator id instead of scanning reports. SUM(DISTINCT 1 << category)
 * is a bitwise OR, because each term is a distinct power of two.
 */
static const char indicators_sql[] =
	"WITH cand(iid) AS (SELECT DISTINCT ri.indicator_id FROM reports r"
	"  JOIN report_indicators ri ON ri.report_id = r.id"
	"  WHERE r.created >= :since AND r.created < :until AND " IN_SCOPE ")"
	" SELECT i.id, i.type, i.value, i.warnings, i.warnlist IS NOT NULL, i.times_seen,"
	"  i.confidence, MIN(r.created),"
	"  MIN(CASE WHEN r.created >= :since THEN r.created END), MAX(r.created),"
	"  MAX(CASE WHEN r.created < :since THEN r.created END),"
	"  COUNT(DISTINCT " ORG_KEY "),"
	"  COUNT(DISTINCT CASE WHEN r.created < :since THEN " ORG_KEY " END),"
	"  SUM(DISTINCT CASE WHEN r.created >= :since THEN 1 << " CATEGORY " END),"
	"  CASE WHEN :referrals THEN (SELECT COUNT(*) FROM referral_indicators rf"
	"    WHERE rf.indicator_id = i.id) ELSE 0 END,"
	"  COUNT(DISTINCT CASE WHEN r.kind = 'attack' THEN r.id END)"
	" FROM cand c CROSS JOIN report_indicators ri CROSS JOIN reports r"
	" CROSS JOIN indicators i"
	" WHERE ri.indicator_id = c.iid AND r.id = ri.report_id AND i.id = c.iid"
	"  AND r.created < :until AND " IN_SCOPE " GROUP BY i.id";

static void read_indicator(sqlite3_stmt *stmt, struct store_digest_indicator *ind)
{
	const char *type = (const char *)sqlite3_column_text(stmt, 1);
	const char *value = (const char *)sqlite3_column_text(stmt, 2);

	memset(ind, 0, sizeof(*ind));
	ind->id = sqlite3_column_int64(stmt, 0);
	if (!type || ioc_type_from_name(type, &ind->type, NULL) != CH_OK)
		ind->type = IOC_NONE;
	ind->value = value ? value : "";
	ind->warnings = (uint32_t)sqlite3_column_int64(stmt, 3);
	ind->warnlisted = sqlite3_column_int(stmt, 4) != 0;
	ind->times_seen = sqlite3_column_int64(stmt, 5);
	ind->confidence = sqlite3_column_int(stmt, 6);
	ind->first_seen = sqlite3_column_int64(stmt, 7);
	ind->first_in_period = sqlite3_column_int64(stmt, 8);
	ind->last_seen = sqlite3_column_int64(stmt, 9);
	ind->has_previous = sqlite3_column_type(stmt, 10) != SQLITE_NULL;
	ind->previous = ind->has_previous ? sqlite3_column_int64(stmt, 10) : 0;
	ind->organisations = sqlite3_column_int(stmt, 11);
	ind->organisations_before = sqlite3_column_int(stmt, 12);
	ind->categories = (unsigned)sqlite3_column_int64(stmt, 13);
	ind->referrals = sqlite3_column_int(stmt, 14);
	ind->attack_reports = sqlite3_column_int(stmt, 15);
}

enum ch_code store_digest_indicators(struct store *st, const struct store_digest_scope *scope,
				     store_digest_indicator_cb cb, void *ctx,
				     struct ch_error *err)
{
	struct store_digest_indicator ind;
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, indicators_sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest indicator query");
	bind_scope(stmt, scope);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		read_indicator(stmt, &ind);
		if (ind.type == IOC_NONE)
			continue;
		rc = cb(ctx, &ind, err);
		if (rc != CH_OK)
			break;
	}
	if (rc == CH_OK && step != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "reading the digest indicators");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_digest_report_count(struct store *st, const struct store_digest_scope *scope,
				       int64_t *count, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT COUNT(*) FROM reports r WHERE r.created >= :since"
			       " AND r.created < :until AND " IN_SCOPE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest report count");
	bind_scope(stmt, scope);
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
			       "   WHERE rt.report_id = r.id)) AND " IN_SCOPE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest tactic query");
	bind_scope(stmt, scope);

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
			       "   AND r.created < :until AND " IN_SCOPE ")"
			       " GROUP BY country, sector ORDER BY 3 DESC, 4 DESC, country, sector",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest vulnerability query");
	bind_scope(stmt, scope);

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
			       " AND r.kind IN ('hunting', 'chat') AND " CATEGORY " = 3 AND " IN_SCOPE
			       " ORDER BY r.created DESC, r.id DESC LIMIT :limit", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the digest rule query");
	bind_scope(stmt, scope);
	bind_named(stmt, ":limit", (int64_t)limit);

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
