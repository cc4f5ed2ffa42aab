/*
 * SQLite backend: reports submitted through the API, and what a reader may
 * see of reports and indicators.
 *
 * Every read here applies the TLP rule of policy/access.h as the SQL
 * condition READABLE below, bound to the reader with bind_reader. A report
 * the reader may not read is filtered out exactly like a missing one, and
 * an indicator is visible only through a report the reader may read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

/* The TLP read rule: r is the report. Parameters: :auth (1 for an
 * authenticated reader), :public (1 when anonymous readers may see CLEAR),
 * :org and :user (the reader's organisation and user ids). A withdrawn
 * report (a deleted chat message) is readable by nobody. */
#define READABLE                                                                        \
	"(r.withdrawn IS NULL AND"                                                      \
	" ((r.tlp = 0 AND (:auth OR :public))"                                          \
	" OR (r.tlp IN (1, 2) AND :auth)"                                               \
	" OR (r.tlp = 3 AND :auth AND EXISTS (SELECT 1 FROM report_orgs ro"            \
	"     WHERE ro.report_id = r.id AND ro.org_id = :org))"                         \
	" OR (r.tlp = 4 AND :auth AND EXISTS (SELECT 1 FROM report_users ru"           \
	"     WHERE ru.report_id = r.id AND ru.user_id = :user))))"

static void bind_named_int(sqlite3_stmt *stmt, const char *name, int64_t value)
{
	int index = sqlite3_bind_parameter_index(stmt, name);

	if (index > 0)
		sqlite3_bind_int64(stmt, index, value);
}

static void bind_reader(sqlite3_stmt *stmt, const struct principal *reader)
{
	bind_named_int(stmt, ":auth", reader->authenticated);
	bind_named_int(stmt, ":public", reader->public_read);
	bind_named_int(stmt, ":org", reader->authenticated ? reader->org_id : -1);
	bind_named_int(stmt, ":user", reader->authenticated ? reader->user_id : -1);
}

/* ---- Writing ---------------------------------------------------------------- */

static enum ch_code org_name(struct store *st, int64_t org_id, char *out, size_t cap,
			     struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT name FROM orgs WHERE id = ?1", &stmt) !=
	    SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the organisation lookup");
	sqlite3_bind_int64(stmt, 1, org_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(stmt, 0));
	else
		rc = ch_fail(err, CH_NOT_FOUND, "organisation %lld not found", (long long)org_id);
	store_sqlite_release(st, stmt);
	return rc;
}

static enum ch_code insert_pairs(struct store *st, const char *sql, int64_t report_id,
				 const int64_t *ids, size_t count, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (count == 0)
		return CH_OK;
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a reader insert");
	for (size_t i = 0; i < count && rc == CH_OK; i++) {
		sqlite3_bind_int64(stmt, 1, report_id);
		sqlite3_bind_int64(stmt, 2, ids[i]);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = store_sqlite_fail(st, err, "recording the readers of a report");
		sqlite3_reset(stmt);
	}
	store_sqlite_release(st, stmt);
	return rc;
}

static enum ch_code insert_techniques(struct store *st, int64_t report_id,
				      char *const *techniques, size_t count, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (count == 0)
		return CH_OK;
	if (store_sqlite_statement(st, "INSERT OR IGNORE INTO report_techniques (report_id, technique_id)"
			       " VALUES (?1, ?2)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the technique link");
	for (size_t i = 0; i < count && rc == CH_OK; i++) {
		sqlite3_bind_int64(stmt, 1, report_id);
		sqlite3_bind_text(stmt, 2, techniques[i], -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = store_sqlite_fail(st, err, "linking a technique");
		sqlite3_reset(stmt);
	}
	store_sqlite_release(st, stmt);
	return rc;
}

static enum ch_code link_indicators(struct store *st, int64_t report_id,
				    const struct store_report_write *in, struct ch_error *err)
{
	const struct ioc_match_list *list = in->indicators;
	struct store_sighting *batch;
	size_t n = 0, created = 0;
	enum ch_code rc;

	if (!list || list->count == 0)
		return CH_OK;
	batch = xreallocarray(NULL, list->count, sizeof(*batch));
	for (size_t i = 0; i < list->count; i++) {
		const struct ioc *ioc = &list->items[i].ioc;

		if (list->items[i].parent >= 0)
			continue;
		batch[n].type = ioc->type;
		batch[n].value = ioc->value;
		batch[n].value_len = ioc->value_len;
		batch[n].registrable = ioc->registrable[0] ? ioc->registrable : NULL;
		batch[n].warnings = ioc->warnings;
		batch[n].warnlist = ioc->warnlist_name;
		batch[n].tlp = in->tlp;
		batch[n].confidence = in->confidence;
		batch[n].seen = in->created;
		batch[n].hash = 0;
		batch[n].sorted = false;
		batch[n].repeat = false;
		n++;
	}
	rc = store_sightings_add(st, report_id, batch, n, NULL, &created, err);
	free(batch);
	return rc;
}

enum ch_code store_report_create(struct store *st, const struct store_report_write *in,
				 int64_t *id, struct ch_error *err)
{
	char source[256];
	int64_t source_id, report_id;
	sqlite3_stmt *stmt;
	enum ch_code rc;

	/* An anonymous report's source must not name the organisation. */
	if (in->anonymous) {
		snprintf(source, sizeof(source), "anonymous");
	} else {
		rc = org_name(st, in->org_id, source, sizeof(source), err);
		if (rc != CH_OK)
			return rc;
	}
	rc = store_source_ensure(st, source, &source_id, err);
	if (rc != CH_OK)
		return rc;

	if (store_sqlite_statement(st, "INSERT INTO reports (source_id, kind, title, tlp, created,"
			       " submitter_id, org_id, anonymous, fields)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report insert");
	sqlite3_bind_int64(stmt, 1, source_id);
	sqlite3_bind_text(stmt, 2, in->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, in->title, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, (int)in->tlp);
	sqlite3_bind_int64(stmt, 5, in->created);
	/* Only the audit log keeps who sent an anonymous report. */
	if (in->anonymous)
		sqlite3_bind_null(stmt, 6);
	else
		sqlite3_bind_int64(stmt, 6, in->submitter_id);
	sqlite3_bind_int64(stmt, 7, in->org_id);
	sqlite3_bind_int(stmt, 8, in->anonymous);
	sqlite3_bind_text(stmt, 9, in->fields_json, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt) == SQLITE_DONE ? CH_OK
					       : store_sqlite_fail(st, err, "recording the report");
	store_sqlite_release(st, stmt);
	if (rc != CH_OK)
		return rc;
	report_id = sqlite3_last_insert_rowid(st->db);

	rc = insert_pairs(st, "INSERT OR IGNORE INTO report_orgs (report_id, org_id) VALUES (?1, ?2)",
			  report_id, in->reader_org_ids, in->reader_org_count, err);
	if (rc == CH_OK)
		rc = insert_pairs(st,
				  "INSERT OR IGNORE INTO report_users (report_id, user_id) VALUES (?1, ?2)",
				  report_id, in->reader_user_ids, in->reader_user_count, err);
	if (rc == CH_OK)
		rc = insert_techniques(st, report_id, in->techniques, in->technique_count, err);
	if (rc == CH_OK)
		rc = link_indicators(st, report_id, in, err);
	if (rc == CH_OK)
		*id = report_id;
	return rc;
}

/* ---- Reading reports ------------------------------------------------------- */

void store_report_free(struct store_report *r)
{
	if (!r)
		return;
	free(r->kind);
	free(r->title);
	free(r->fields_json);
	free(r->source);
	free(r->submitter);
	free(r->org);
	for (size_t i = 0; i < r->indicator_count; i++)
		free(r->indicators[i].value);
	free(r->indicators);
	for (size_t i = 0; i < r->technique_count; i++)
		free(r->techniques[i]);
	free(r->techniques);
	memset(r, 0, sizeof(*r));
}

void store_report_list_free(struct store_report_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		store_report_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* Columns read by read_report, in this order. The submitter and the
 * organisation of an anonymous report are never selected. */
#define REPORT_COLUMNS                                                                  \
	"r.id, r.kind, r.tlp, r.title, r.fields, s.name, r.anonymous, r.created,"       \
	" CASE WHEN r.anonymous THEN NULL ELSE u.name END,"                             \
	" CASE WHEN r.anonymous THEN NULL ELSE o.name END"
#define REPORT_JOINS                                                                    \
	" FROM reports r JOIN sources s ON s.id = r.source_id"                          \
	" LEFT JOIN users u ON u.id = r.submitter_id"                                   \
	" LEFT JOIN orgs o ON o.id = r.org_id"

static void read_report(sqlite3_stmt *stmt, struct store_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->kind = store_sqlite_strdup(stmt, 1);
	r->tlp = (enum tlp_level)sqlite3_column_int(stmt, 2);
	r->title = store_sqlite_strdup(stmt, 3);
	r->fields_json = store_sqlite_strdup(stmt, 4);
	r->source = store_sqlite_strdup(stmt, 5);
	r->anonymous = sqlite3_column_int(stmt, 6) != 0;
	r->created = sqlite3_column_int64(stmt, 7);
	r->submitter = store_sqlite_strdup(stmt, 8);
	r->org = store_sqlite_strdup(stmt, 9);
}

static enum ch_code load_report_links(struct store *st, struct store_report *r, size_t max,
				      struct ch_error *err)
{
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT i.type, i.value FROM report_indicators ri"
			       " JOIN indicators i ON i.id = ri.indicator_id"
			       " WHERE ri.report_id = ?1 ORDER BY i.type, i.value LIMIT ?2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report indicators query");
	sqlite3_bind_int64(stmt, 1, r->id);
	sqlite3_bind_int64(stmt, 2, (int64_t)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_indicator_ref *ref;

		r->indicators = xreallocarray(r->indicators, r->indicator_count + 1,
					      sizeof(*r->indicators));
		ref = &r->indicators[r->indicator_count++];
		if (ioc_type_from_name((const char *)sqlite3_column_text(stmt, 0), &ref->type,
				       NULL) != CH_OK)
			ref->type = IOC_NONE;
		ref->value = store_sqlite_strdup(stmt, 1);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "reading the indicators of a report");

	if (store_sqlite_statement(st, "SELECT COUNT(*) FROM report_indicators WHERE report_id = ?1", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the indicator count");
	sqlite3_bind_int64(stmt, 1, r->id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		r->indicator_total = (size_t)sqlite3_column_int64(stmt, 0);
	store_sqlite_release(st, stmt);

	if (store_sqlite_statement(st, "SELECT technique_id FROM report_techniques WHERE report_id = ?1"
			       " ORDER BY technique_id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the technique query");
	sqlite3_bind_int64(stmt, 1, r->id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->techniques = xreallocarray(r->techniques, r->technique_count + 1,
					      sizeof(*r->techniques));
		r->techniques[r->technique_count++] = store_sqlite_strdup(stmt, 0);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(st, err, "reading the techniques of a report");
	return CH_OK;
}

enum ch_code store_report_get(struct store *st, int64_t id, const struct principal *reader,
			      size_t max_indicators, struct store_report *out,
			      struct ch_error *err)
{
	struct store_report r;
	sqlite3_stmt *stmt;
	enum ch_code rc;
	int step;

	if (store_sqlite_statement(st, "SELECT " REPORT_COLUMNS REPORT_JOINS " WHERE r.id = :id AND " READABLE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report query");
	bind_named_int(stmt, ":id", id);
	bind_reader(stmt, reader);
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		store_sqlite_release(st, stmt);
		return ch_fail(err, CH_NOT_FOUND, "report %lld not found", (long long)id);
	}
	if (step != SQLITE_ROW) {
		store_sqlite_release(st, stmt);
		return store_sqlite_fail(st, err, "reading a report");
	}
	read_report(stmt, &r);
	store_sqlite_release(st, stmt);

	rc = load_report_links(st, &r, max_indicators, err);
	if (rc != CH_OK) {
		store_report_free(&r);
		return rc;
	}
	*out = r;
	return CH_OK;
}

enum ch_code store_report_list(struct store *st, const struct principal *reader,
			       const struct store_report_filter *filter,
			       struct store_report_list *out, struct ch_error *err)
{
	struct store_report_list list = { 0 };
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT " REPORT_COLUMNS REPORT_JOINS
			       " WHERE (:kind IS NULL OR r.kind = :kind)"
			       " AND r.created >= :since"
			       " AND (:tlp < 0 OR r.tlp = :tlp)"
			       " AND (:text IS NULL OR instr(lower(r.title), lower(:text)) > 0)"
			       " AND (:before = 0 OR r.id < :before)"
			       " AND " READABLE " ORDER BY r.id DESC LIMIT :limit", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the report list");
	if (filter->kind)
		sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":kind"), filter->kind, -1,
				  SQLITE_STATIC);
	if (filter->text)
		sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":text"), filter->text, -1,
				  SQLITE_STATIC);
	bind_named_int(stmt, ":since", filter->since);
	bind_named_int(stmt, ":tlp", filter->tlp);
	bind_named_int(stmt, ":before", filter->before);
	/* Fetching one row more than requested shows whether a next page exists. */
	bind_named_int(stmt, ":limit", (int64_t)filter->limit + 1);
	bind_reader(stmt, reader);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (list.count == filter->limit) {
			list.next_before = list.items[list.count - 1].id;
			break;
		}
		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		read_report(stmt, &list.items[list.count++]);
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		store_report_list_free(&list);
		return store_sqlite_fail(st, err, "listing reports");
	}
	*out = list;
	return CH_OK;
}

/* ---- Indicators as a reader sees them -------------------------------------- */

void store_indicator_view_free(struct store_indicator_view *view)
{
	if (!view)
		return;
	store_indicator_free(&view->indicator);
	store_report_list_free(&view->reports);
}

/* Column of the reader's permission in the view query, after the
 * report columns. */
#define VIEW_READABLE_COLUMN 10

/* Adds one linked report to the view: it counts towards the totals, and
 * when the reader may read it, towards the dates and, up to max_reports,
 * the list. */
static void view_add_report(struct store_indicator_view *view, sqlite3_stmt *stmt,
			    size_t max_reports, size_t *total, int64_t *first, int64_t *last)
{
	int64_t created = sqlite3_column_int64(stmt, 7);
	enum tlp_level tlp = (enum tlp_level)sqlite3_column_int(stmt, 2);

	(*total)++;
	if (!sqlite3_column_int(stmt, VIEW_READABLE_COLUMN))
		return;
	if (view->report_total == 0 || created < *first)
		*first = created;
	if (view->report_total == 0 || created > *last)
		*last = created;
	if (view->report_total == 0 || tlp > view->max_tlp_read)
		view->max_tlp_read = tlp;
	view->report_total++;
	if (view->reports.count == max_reports)
		return;
	view->reports.items = xreallocarray(view->reports.items, view->reports.count + 1,
					    sizeof(*view->reports.items));
	read_report(stmt, &view->reports.items[view->reports.count++]);
}

enum ch_code store_indicator_view_get(struct store *st, enum ioc_type type, const char *value,
				      const struct principal *reader, size_t max_reports,
				      struct store_indicator_view *out, struct ch_error *err)
{
	struct store_indicator_view view;
	sqlite3_stmt *stmt = NULL;
	int64_t first = 0, last = 0;
	size_t total = 0;
	enum ch_code rc;
	int step;

	memset(&view, 0, sizeof(view));
	rc = store_sqlite_indicator_row(st, type, value, false, &view.indicator, err);
	if (rc != CH_OK)
		return rc;

	/* Every linked report, newest first, with whether the reader may read
	 * it: one pass gives the counts, the dates and the list. The order
	 * follows the (indicator_id, report_id) index, so no sort is needed. */
	if (store_sqlite_statement(st, "SELECT " REPORT_COLUMNS ", " READABLE REPORT_JOINS
			       " JOIN report_indicators ri ON ri.report_id = r.id"
			       " WHERE ri.indicator_id = :id ORDER BY ri.report_id DESC", &stmt) != SQLITE_OK) {
		rc = store_sqlite_fail(st, err, "preparing the indicator reports query");
		goto fail;
	}
	bind_named_int(stmt, ":id", view.indicator.id);
	bind_reader(stmt, reader);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		view_add_report(&view, stmt, max_reports, &total, &first, &last);
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		rc = store_sqlite_fail(st, err, "reading the reports of an indicator");
		goto fail;
	}
	if (view.report_total == 0) {
		rc = ch_fail(err, CH_NOT_FOUND, "%s %s: not found", ioc_type_name(type), value);
		goto fail;
	}
	/* Dates and counts from the reports this reader may see only, so a
	 * hidden earlier report cannot be inferred from first_seen. */
	if (view.report_total < total) {
		view.indicator.first_seen = first;
		view.indicator.last_seen = last;
		view.indicator.times_seen = (int64_t)view.report_total;
	}

	/* Sources from readable reports only. */
	view.indicator.sources = xcalloc(view.reports.count + 1, sizeof(char *));
	for (size_t i = 0, n = 0; i < view.reports.count; i++) {
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen = seen || strcmp(view.indicator.sources[k], view.reports.items[i].source) == 0;
		if (!seen)
			view.indicator.sources[n++] = xstrdup(view.reports.items[i].source);
	}
	view.indicator.report_count = view.report_total;
	*out = view;
	return CH_OK;

fail:
	store_indicator_view_free(&view);
	return rc;
}

enum ch_code store_indicator_search(struct store *st, const char *text,
				    const struct principal *reader, size_t limit,
				    struct store_indicator_ref **out, size_t *count,
				    struct ch_error *err)
{
	struct store_indicator_ref *refs = NULL;
	size_t n = 0;
	sqlite3_stmt *stmt;
	int step;

	if (store_sqlite_statement(st, "SELECT type, value, max_tlp, id FROM (SELECT i.id, i.type, i.value,"
			       "  (SELECT MAX(r.tlp) FROM report_indicators ri"
			       "   JOIN reports r ON r.id = ri.report_id"
			       "   WHERE ri.indicator_id = i.id AND " READABLE ") AS max_tlp"
			       " FROM indicators i WHERE instr(i.value, :text) > 0)"
			       " WHERE max_tlp IS NOT NULL ORDER BY id DESC LIMIT :limit", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the indicator search");
	sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":text"), text, -1, SQLITE_STATIC);
	bind_named_int(stmt, ":limit", (int64_t)limit);
	bind_reader(stmt, reader);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		refs = xreallocarray(refs, n + 1, sizeof(*refs));
		if (ioc_type_from_name((const char *)sqlite3_column_text(stmt, 0), &refs[n].type,
				       NULL) != CH_OK)
			refs[n].type = IOC_NONE;
		refs[n].value = store_sqlite_strdup(stmt, 1);
		refs[n].max_tlp_read = (enum tlp_level)sqlite3_column_int(stmt, 2);
		refs[n].id = sqlite3_column_int64(stmt, 3);
		n++;
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			free(refs[i].value);
		free(refs);
		return store_sqlite_fail(st, err, "searching indicators");
	}
	*out = refs;
	*count = n;
	return CH_OK;
}
