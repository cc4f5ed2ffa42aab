/*
 * SQLite backend: the LE referral queue. A referral row holds the form's
 * fields and the current state; referral_events keeps every change, so a
 * referral's history and the digest's "state changes this period" read
 * the same rows. Who may do what is decided above the store, in
 * src/workflow/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

static void bind_text_or_null(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text)
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, index);
}

static void format_ref(char out[32], int64_t year, int64_t seq)
{
	/* Years have four digits and numbers at most nine (parse_key). */
	snprintf(out, 32, "LE-%04d-%04d", (int)(year % 10000), (int)(seq % 1000000000));
}

static enum ch_code add_event(struct store *st, int64_t id, int64_t actor_id, int64_t now,
			      const char *action, const char *from, const char *to,
			      const char *detail, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "INSERT INTO referral_events (referral_id, time, actor_id,"
			       " action, from_state, to_state, detail)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral event insert");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	if (actor_id > 0)
		sqlite3_bind_int64(stmt, 3, actor_id);
	else
		sqlite3_bind_null(stmt, 3);
	sqlite3_bind_text(stmt, 4, action, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 5, from);
	bind_text_or_null(stmt, 6, to);
	bind_text_or_null(stmt, 7, detail);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "recording a referral event");
	store_sqlite_release(st, stmt);
	return rc;
}

/* Steps a write statement the caller bound, then hands it back. */
static enum ch_code step_write(struct store *st, sqlite3_stmt *stmt, const char *what,
			       struct ch_error *err)
{
	enum ch_code rc = CH_OK;

	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, what);
	store_sqlite_release(st, stmt);
	return rc;
}

/* Moves a referral's updated time. */
static enum ch_code touch(struct store *st, int64_t id, int64_t now, struct ch_error *err)
{
	sqlite3_stmt *stmt;

	if (store_sqlite_statement(st, "UPDATE referrals SET updated = ?2 WHERE id = ?1", &stmt) !=
	    SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral update");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	return step_write(st, stmt, "updating the referral", err);
}

static enum ch_code link_reports(struct store *st, int64_t id, const int64_t *ids, size_t count,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (count == 0)
		return CH_OK;
	if (store_sqlite_statement(st, "INSERT OR IGNORE INTO referral_reports (referral_id, report_id)"
			       " VALUES (?1, ?2)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral report link");
	for (size_t i = 0; i < count && rc == CH_OK; i++) {
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, ids[i]);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			rc = store_sqlite_fail(st, err, "linking a report to a referral");
		sqlite3_reset(stmt);
	}
	store_sqlite_release(st, stmt);
	return rc;
}

/* Stores each top-level indicator once (a new one carries the referral's
 * TLP) and links it. A known indicator keeps its dates: a referral is
 * not a sighting. */
static enum ch_code link_indicators(struct store *st, int64_t id,
				    const struct store_referral_new *in, struct ch_error *err)
{
	const struct ioc_match_list *list = in->indicators;
	sqlite3_stmt *insert = NULL, *link = NULL;
	enum ch_code rc = CH_OK;

	if (!list || list->count == 0)
		return CH_OK;
	if (store_sqlite_statement(st, "INSERT INTO indicators (type, value, registrable, first_seen,"
			       " last_seen, times_seen, tlp, warnings, warnlist)"
			       " VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5, ?6, ?7)"
			       " ON CONFLICT (type, value) DO UPDATE SET type = excluded.type"
			       " RETURNING id", &insert) != SQLITE_OK ||
	    store_sqlite_statement(st, "INSERT OR IGNORE INTO referral_indicators (referral_id,"
			       " indicator_id) VALUES (?1, ?2)", &link) != SQLITE_OK) {
		rc = store_sqlite_fail(st, err, "preparing the referral indicator link");
		goto out;
	}
	for (size_t i = 0; i < list->count && rc == CH_OK; i++) {
		const struct ioc *ioc = &list->items[i].ioc;

		if (list->items[i].parent >= 0)
			continue;
		sqlite3_bind_text(insert, 1, ioc_type_name(ioc->type), -1, SQLITE_STATIC);
		sqlite3_bind_text(insert, 2, ioc->value, (int)ioc->value_len, SQLITE_STATIC);
		bind_text_or_null(insert, 3, ioc->registrable[0] ? ioc->registrable : NULL);
		sqlite3_bind_int64(insert, 4, in->created);
		sqlite3_bind_int(insert, 5, (int)in->tlp);
		sqlite3_bind_int64(insert, 6, ioc->warnings);
		bind_text_or_null(insert, 7, ioc->warnlist_name);
		if (sqlite3_step(insert) != SQLITE_ROW) {
			rc = store_sqlite_fail(st, err, "storing a referral indicator");
			break;
		}
		sqlite3_bind_int64(link, 1, id);
		sqlite3_bind_int64(link, 2, sqlite3_column_int64(insert, 0));
		sqlite3_reset(insert);
		if (sqlite3_step(link) != SQLITE_DONE)
			rc = store_sqlite_fail(st, err, "linking an indicator to a referral");
		sqlite3_reset(link);
	}
out:
	store_sqlite_release(st, insert);
	store_sqlite_release(st, link);
	return rc;
}

enum ch_code store_referral_create(struct store *st, const struct store_referral_new *in,
				   int64_t *id, char ref[32], struct ch_error *err)
{
	time_t t = (time_t)in->created;
	struct tm tm;
	int64_t year, seq = 0, new_id;
	sqlite3_stmt *stmt;
	enum ch_code rc;

	gmtime_r(&t, &tm);
	year = (int64_t)tm.tm_year + 1900;
	if (store_sqlite_statement(st, "SELECT coalesce(max(seq), 0) + 1 FROM referrals WHERE year = ?1",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral number");
	sqlite3_bind_int64(stmt, 1, year);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		seq = sqlite3_column_int64(stmt, 0);
	store_sqlite_release(st, stmt);
	if (seq <= 0)
		return store_sqlite_fail(st, err, "numbering the referral");

	if (store_sqlite_statement(st, "INSERT INTO referrals (year, seq, reporter_id, reporter_handle,"
			       " org_id, tlp, summary, details, incident_type, objective,"
			       " illegal_reason, victim_location, suspect_location, suspect_info,"
			       " documentation_available, documentation, contact_allowed,"
			       " contact_method, state, created, updated)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
			       " ?14, ?15, ?16, ?17, ?18, 'new', ?19, ?19)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral insert");
	sqlite3_bind_int64(stmt, 1, year);
	sqlite3_bind_int64(stmt, 2, seq);
	sqlite3_bind_int64(stmt, 3, in->reporter_id);
	bind_text_or_null(stmt, 4, in->reporter_handle);
	sqlite3_bind_int64(stmt, 5, in->org_id);
	sqlite3_bind_int(stmt, 6, (int)in->tlp);
	sqlite3_bind_text(stmt, 7, in->summary, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 8, in->details);
	sqlite3_bind_text(stmt, 9, in->incident_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 10, in->objective, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 11, in->illegal_reason);
	bind_text_or_null(stmt, 12, in->victim_location);
	bind_text_or_null(stmt, 13, in->suspect_location);
	bind_text_or_null(stmt, 14, in->suspect_info);
	sqlite3_bind_int(stmt, 15, in->documentation_available);
	bind_text_or_null(stmt, 16, in->documentation);
	sqlite3_bind_int(stmt, 17, in->contact_allowed);
	bind_text_or_null(stmt, 18, in->contact_method);
	sqlite3_bind_int64(stmt, 19, in->created);
	rc = step_write(st, stmt, "recording the referral", err);
	if (rc != CH_OK)
		return rc;
	new_id = sqlite3_last_insert_rowid(st->db);

	rc = add_event(st, new_id, in->reporter_id, in->created, "create", NULL, "new", NULL, err);
	if (rc == CH_OK)
		rc = link_reports(st, new_id, in->report_ids, in->report_count, err);
	if (rc == CH_OK)
		rc = link_indicators(st, new_id, in, err);
	if (rc != CH_OK)
		return rc;
	*id = new_id;
	format_ref(ref, year, seq);
	return CH_OK;
}

/* Reads "LE-2026-0001" (any case), or a plain id. */
static bool parse_key(const char *key, int64_t *year, int64_t *seq, int64_t *id)
{
	char *end;
	long long a, b;

	*year = *seq = *id = 0;
	if (strncasecmp(key, "LE-", 3) == 0) {
		key += 3;
		if (*key < '0' || *key > '9')
			return false;
		a = strtoll(key, &end, 10);
		if (*end != '-' || end - key != 4 || end[1] < '0' || end[1] > '9')
			return false;
		key = end + 1;
		b = strtoll(key, &end, 10);
		if (*end || end - key > 9 || b <= 0)
			return false;
		*year = a;
		*seq = b;
		return true;
	}
	if (*key < '1' || *key > '9' || strlen(key) > 15)
		return false;
	a = strtoll(key, &end, 10);
	if (*end)
		return false;
	*id = a;
	return true;
}

enum ch_code store_referral_find(struct store *st, const char *key, int64_t *id,
				 struct ch_error *err)
{
	int64_t year, seq, plain;
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (!parse_key(key, &year, &seq, &plain))
		return ch_fail(err, CH_INVALID, "'%s' is not a referral id; use the form LE-2026-0001",
			       key);
	if (store_sqlite_statement(st, "SELECT id FROM referrals WHERE (?1 > 0 AND id = ?1)"
			       " OR (?1 = 0 AND year = ?2 AND seq = ?3)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral lookup");
	sqlite3_bind_int64(stmt, 1, plain);
	sqlite3_bind_int64(stmt, 2, year);
	sqlite3_bind_int64(stmt, 3, seq);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	else if (step == SQLITE_DONE)
		rc = ch_fail(err, CH_NOT_FOUND, "referral %s not found", key);
	else
		rc = store_sqlite_fail(st, err, "looking a referral up");
	store_sqlite_release(st, stmt);
	return rc;
}

/* ---- Reading ------------------------------------------------------------------ */

#define REFERRAL_COLUMNS                                                                \
	"r.id, r.year, r.seq, r.reporter_id, u.name, r.reporter_handle, r.org_id, o.name,"  \
	" r.tlp, r.summary, r.details, r.incident_type, r.objective, r.illegal_reason,"     \
	" r.victim_location, r.suspect_location, r.suspect_info,"                           \
	" r.documentation_available, r.documentation, r.contact_allowed, r.contact_method," \
	" r.state, r.resolution, r.assignee_id, a.name, r.assignee_agency, r.created,"      \
	" r.updated, r.acknowledged, r.closed"
#define REFERRAL_JOINS                                                                  \
	" FROM referrals r JOIN users u ON u.id = r.reporter_id"                        \
	" JOIN orgs o ON o.id = r.org_id LEFT JOIN users a ON a.id = r.assignee_id"

static void read_referral(sqlite3_stmt *stmt, struct store_referral *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	format_ref(r->ref, sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2));
	r->reporter_id = sqlite3_column_int64(stmt, 3);
	r->reporter = store_sqlite_strdup(stmt, 4);
	r->reporter_handle = store_sqlite_strdup(stmt, 5);
	r->org_id = sqlite3_column_int64(stmt, 6);
	r->org = store_sqlite_strdup(stmt, 7);
	r->tlp = (enum tlp_level)sqlite3_column_int(stmt, 8);
	r->summary = store_sqlite_strdup(stmt, 9);
	r->details = store_sqlite_strdup(stmt, 10);
	r->incident_type = store_sqlite_strdup(stmt, 11);
	r->objective = store_sqlite_strdup(stmt, 12);
	r->illegal_reason = store_sqlite_strdup(stmt, 13);
	r->victim_location = store_sqlite_strdup(stmt, 14);
	r->suspect_location = store_sqlite_strdup(stmt, 15);
	r->suspect_info = store_sqlite_strdup(stmt, 16);
	r->documentation_available = sqlite3_column_int(stmt, 17) != 0;
	r->documentation = store_sqlite_strdup(stmt, 18);
	r->contact_allowed = sqlite3_column_int(stmt, 19) != 0;
	r->contact_method = store_sqlite_strdup(stmt, 20);
	r->state = store_sqlite_strdup(stmt, 21);
	r->resolution = store_sqlite_strdup(stmt, 22);
	r->assignee_id = sqlite3_column_int64(stmt, 23);
	r->assignee = store_sqlite_strdup(stmt, 24);
	r->assignee_agency = store_sqlite_strdup(stmt, 25);
	r->created = sqlite3_column_int64(stmt, 26);
	r->updated = sqlite3_column_int64(stmt, 27);
	r->acknowledged = sqlite3_column_int64(stmt, 28);
	r->closed = sqlite3_column_int64(stmt, 29);
}

void store_referral_free(struct store_referral *r)
{
	if (!r)
		return;
	free(r->reporter);
	free(r->reporter_handle);
	free(r->org);
	free(r->summary);
	free(r->details);
	free(r->incident_type);
	free(r->objective);
	free(r->illegal_reason);
	free(r->victim_location);
	free(r->suspect_location);
	free(r->suspect_info);
	free(r->documentation);
	free(r->contact_method);
	free(r->state);
	free(r->resolution);
	free(r->assignee);
	free(r->assignee_agency);
	free(r->report_ids);
	for (size_t i = 0; i < r->indicator_count; i++)
		free(r->indicators[i].value);
	free(r->indicators);
	memset(r, 0, sizeof(*r));
}

void store_referral_attachment_free(struct store_referral_attachment *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->content_type);
	free(a->uploader);
	memset(a, 0, sizeof(*a));
}

void store_referral_view_free(struct store_referral_view *v)
{
	if (!v)
		return;
	store_referral_free(&v->referral);
	for (size_t i = 0; i < v->reply_count; i++) {
		free(v->replies[i].author);
		free(v->replies[i].body);
	}
	free(v->replies);
	for (size_t i = 0; i < v->attachment_count; i++)
		store_referral_attachment_free(&v->attachments[i]);
	free(v->attachments);
	for (size_t i = 0; i < v->event_count; i++) {
		free(v->events[i].actor);
		free(v->events[i].action);
		free(v->events[i].from_state);
		free(v->events[i].to_state);
		free(v->events[i].detail);
	}
	free(v->events);
	memset(v, 0, sizeof(*v));
}

void store_referral_list_free(struct store_referral_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		store_referral_free(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* Runs a prepared statement with ?1 = referral id and hands each row to
 * row(); grows *items by size bytes per row. */
static enum ch_code read_rows(struct store *st, const char *sql, int64_t id, void **items,
			      size_t *count, size_t size,
			      void (*row)(sqlite3_stmt *stmt, void *item), struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a referral query");
	sqlite3_bind_int64(stmt, 1, id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		*items = xreallocarray(*items, *count + 1, size);
		row(stmt, (char *)*items + *count * size);
		(*count)++;
	}
	if (step != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "reading a referral");
	store_sqlite_release(st, stmt);
	return rc;
}

static void row_report_id(sqlite3_stmt *stmt, void *item)
{
	*(int64_t *)item = sqlite3_column_int64(stmt, 0);
}

static void row_indicator(sqlite3_stmt *stmt, void *item)
{
	struct store_indicator_ref *ref = item;

	memset(ref, 0, sizeof(*ref));
	ref->id = sqlite3_column_int64(stmt, 0);
	if (ioc_type_from_name((const char *)sqlite3_column_text(stmt, 1), &ref->type, NULL) !=
	    CH_OK)
		ref->type = IOC_NONE;
	ref->value = store_sqlite_strdup(stmt, 2);
}

static void row_reply(sqlite3_stmt *stmt, void *item)
{
	struct store_referral_reply *r = item;

	r->id = sqlite3_column_int64(stmt, 0);
	r->author = store_sqlite_strdup(stmt, 1);
	r->body = store_sqlite_strdup(stmt, 2);
	r->internal = sqlite3_column_int(stmt, 3) != 0;
	r->created = sqlite3_column_int64(stmt, 4);
}

static void row_attachment(sqlite3_stmt *stmt, void *item)
{
	struct store_referral_attachment *a = item;
	const char *sha = (const char *)sqlite3_column_text(stmt, 5);

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(stmt, 0);
	a->name = store_sqlite_strdup(stmt, 1);
	a->content_type = store_sqlite_strdup(stmt, 2);
	a->size = sqlite3_column_int64(stmt, 3);
	a->uploader = store_sqlite_strdup(stmt, 4);
	snprintf(a->sha256, sizeof(a->sha256), "%s", sha ? sha : "");
	a->created = sqlite3_column_int64(stmt, 6);
}

static void row_event(sqlite3_stmt *stmt, void *item)
{
	struct store_referral_event *e = item;

	e->id = sqlite3_column_int64(stmt, 0);
	e->time = sqlite3_column_int64(stmt, 1);
	e->actor = store_sqlite_strdup(stmt, 2);
	e->action = store_sqlite_strdup(stmt, 3);
	e->from_state = store_sqlite_strdup(stmt, 4);
	e->to_state = store_sqlite_strdup(stmt, 5);
	e->detail = store_sqlite_strdup(stmt, 6);
}

enum ch_code store_referral_get(struct store *st, int64_t id, bool with_thread,
				bool include_internal, struct store_referral_view *out,
				struct ch_error *err)
{
	struct store_referral_view v;
	struct store_referral *r = &v.referral;
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	memset(&v, 0, sizeof(v));
	if (store_sqlite_statement(st, "SELECT " REFERRAL_COLUMNS REFERRAL_JOINS " WHERE r.id = ?1",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral read");
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		read_referral(stmt, r);
	else if (step == SQLITE_DONE)
		rc = ch_fail(err, CH_NOT_FOUND, "referral %lld not found", (long long)id);
	else
		rc = store_sqlite_fail(st, err, "reading a referral");
	store_sqlite_release(st, stmt);
	if (rc != CH_OK)
		return rc;

	rc = read_rows(st, "SELECT report_id FROM referral_reports WHERE referral_id = ?1"
		       " ORDER BY report_id", id, (void **)&r->report_ids, &r->report_count,
		       sizeof(int64_t), row_report_id, err);
	if (rc == CH_OK)
		rc = read_rows(st, "SELECT i.id, i.type, i.value FROM referral_indicators ri"
			       " JOIN indicators i ON i.id = ri.indicator_id"
			       " WHERE ri.referral_id = ?1 ORDER BY i.type, i.value", id,
			       (void **)&r->indicators, &r->indicator_count,
			       sizeof(struct store_indicator_ref), row_indicator, err);
	if (rc == CH_OK && with_thread)
		rc = read_rows(st, include_internal
				   ? "SELECT p.id, u.name, p.body, p.internal, p.created"
				     " FROM referral_replies p JOIN users u ON u.id = p.author_id"
				     " WHERE p.referral_id = ?1 ORDER BY p.id"
				   : "SELECT p.id, u.name, p.body, p.internal, p.created"
				     " FROM referral_replies p JOIN users u ON u.id = p.author_id"
				     " WHERE p.referral_id = ?1 AND p.internal = 0 ORDER BY p.id",
			       id, (void **)&v.replies, &v.reply_count,
			       sizeof(struct store_referral_reply), row_reply, err);
	if (rc == CH_OK && with_thread)
		rc = read_rows(st, "SELECT t.id, t.name, t.content_type, t.size, u.name, t.sha256,"
			       " t.created FROM referral_attachments t"
			       " JOIN users u ON u.id = t.uploader_id"
			       " WHERE t.referral_id = ?1 ORDER BY t.id", id,
			       (void **)&v.attachments, &v.attachment_count,
			       sizeof(struct store_referral_attachment), row_attachment, err);
	if (rc == CH_OK && with_thread)
		rc = read_rows(st, "SELECT e.id, e.time, coalesce(u.name, 'system'), e.action,"
			       " e.from_state, e.to_state, e.detail FROM referral_events e"
			       " LEFT JOIN users u ON u.id = e.actor_id"
			       " WHERE e.referral_id = ?1 ORDER BY e.id", id, (void **)&v.events,
			       &v.event_count, sizeof(struct store_referral_event), row_event, err);
	if (rc != CH_OK) {
		store_referral_view_free(&v);
		return rc;
	}
	*out = v;
	return CH_OK;
}

#define REFERRAL_FILTER                                                                 \
	" WHERE (:reporter = 0 OR r.reporter_id = :reporter)"                           \
	" AND (:state IS NULL OR (:state = 'open' AND r.state <> 'closed')"              \
	"      OR r.state = :state)"                                                    \
	" AND (:type IS NULL OR r.incident_type = :type)"                               \
	" AND (:loc IS NULL OR instr(lower(coalesce(r.victim_location, '')), lower(:loc)) > 0" \
	"      OR instr(lower(coalesce(r.suspect_location, '')), lower(:loc)) > 0)"      \
	" AND (:before = 0 OR r.created < :before)"                                     \
	" AND (:after = 0 OR r.created >= :after)"                                      \
	" AND (:only_unseen = 0 OR r.id > :last)"

static void bind_filter(sqlite3_stmt *stmt, const struct store_referral_filter *f, int64_t last)
{
	int i;

	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":reporter"), f->reporter_id);
	if ((i = sqlite3_bind_parameter_index(stmt, ":state")) > 0 && f->state)
		sqlite3_bind_text(stmt, i, f->state, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(stmt, ":type")) > 0 && f->incident_type)
		sqlite3_bind_text(stmt, i, f->incident_type, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(stmt, ":loc")) > 0 && f->location)
		sqlite3_bind_text(stmt, i, f->location, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":before"), f->created_before);
	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":after"), f->created_after);
	sqlite3_bind_int(stmt, sqlite3_bind_parameter_index(stmt, ":only_unseen"), f->only_unseen);
	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":last"), last);
}

static enum ch_code last_look(struct store *st, int64_t user_id, int64_t *last,
			      struct ch_error *err)
{
	sqlite3_stmt *stmt;

	*last = 0;
	if (user_id <= 0)
		return CH_OK;
	if (store_sqlite_statement(st, "SELECT last_id FROM referral_looks WHERE user_id = ?1",
				   &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the last-look query");
	sqlite3_bind_int64(stmt, 1, user_id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*last = sqlite3_column_int64(stmt, 0);
	store_sqlite_release(st, stmt);
	return CH_OK;
}

enum ch_code store_referral_list(struct store *st, const struct store_referral_filter *filter,
				 struct store_referral_list *out, struct ch_error *err)
{
	static const char *const orders[] = {
		[REFERRAL_SORT_NEWEST] = " ORDER BY r.id DESC",
		[REFERRAL_SORT_OLDEST] = " ORDER BY r.id ASC",
		[REFERRAL_SORT_UPDATED] = " ORDER BY r.updated DESC, r.id DESC",
		[REFERRAL_SORT_UNACKNOWLEDGED] =
			(" ORDER BY (r.acknowledged IS NULL AND r.state <> 'closed') DESC,"
			 " r.created ASC, r.id ASC"),
	};
	char sql[2048];
	struct store_referral_list list;
	sqlite3_stmt *stmt;
	int64_t last;
	enum ch_code rc;
	int step;

	memset(&list, 0, sizeof(list));
	rc = last_look(st, filter->viewer_id, &last, err);
	if (rc != CH_OK)
		return rc;

	if (store_sqlite_statement(st, "SELECT count(*), coalesce(sum(r.id > :last), 0)"
			       " FROM referrals r" REFERRAL_FILTER, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral count");
	bind_filter(stmt, filter, last);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		list.total = sqlite3_column_int64(stmt, 0);
		list.unseen = filter->viewer_id > 0 ? sqlite3_column_int64(stmt, 1) : 0;
	}
	store_sqlite_release(st, stmt);

	snprintf(sql, sizeof(sql), "SELECT " REFERRAL_COLUMNS ", r.id > :last" REFERRAL_JOINS
		 REFERRAL_FILTER "%s LIMIT :limit OFFSET :offset",
		 orders[(unsigned)filter->sort < 4 ? filter->sort : 0]);
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the referral list");
	bind_filter(stmt, filter, last);
	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":limit"),
			   (int64_t)filter->limit);
	sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":offset"),
			   (int64_t)filter->offset);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		list.items = xreallocarray(list.items, list.count + 1, sizeof(*list.items));
		read_referral(stmt, &list.items[list.count]);
		list.items[list.count].unseen =
			filter->viewer_id > 0 && sqlite3_column_int(stmt, 30) != 0;
		list.count++;
	}
	if (step != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "listing referrals");
	store_sqlite_release(st, stmt);
	if (rc != CH_OK) {
		store_referral_list_free(&list);
		return rc;
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_referral_mark_seen(struct store *st, int64_t user_id, int64_t now,
				      struct ch_error *err)
{
	sqlite3_stmt *stmt;

	if (store_sqlite_statement(st, "INSERT INTO referral_looks (user_id, last_id, time)"
			       " VALUES (?1, (SELECT coalesce(max(id), 0) FROM referrals), ?2)"
			       " ON CONFLICT (user_id) DO UPDATE SET last_id = excluded.last_id,"
			       " time = excluded.time", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the last-look update");
	sqlite3_bind_int64(stmt, 1, user_id);
	sqlite3_bind_int64(stmt, 2, now);
	return step_write(st, stmt, "recording the last look", err);
}

/* ---- Changes ------------------------------------------------------------------- */

static enum ch_code current_state(struct store *st, int64_t id, char *state, size_t cap,
				  struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT state FROM referrals WHERE id = ?1", &stmt) !=
	    SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the state read");
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		snprintf(state, cap, "%s", (const char *)sqlite3_column_text(stmt, 0));
	else
		rc = ch_fail(err, CH_NOT_FOUND, "referral %lld not found", (long long)id);
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_referral_set_state(struct store *st, int64_t id, int64_t actor_id,
				      const char *state, const char *resolution,
				      const char *action, const char *detail, int64_t now,
				      struct ch_error *err)
{
	char from[32];
	sqlite3_stmt *stmt;
	enum ch_code rc;

	rc = current_state(st, id, from, sizeof(from), err);
	if (rc != CH_OK)
		return rc;
	if (store_sqlite_statement(st, "UPDATE referrals SET state = ?2, updated = ?3,"
			       " resolution = ?4,"
			       " acknowledged = CASE WHEN acknowledged IS NULL AND ?2 <> 'new'"
			       "   AND ?2 <> 'closed' THEN ?3 ELSE acknowledged END,"
			       " closed = CASE WHEN ?2 = 'closed' THEN ?3 ELSE NULL END"
			       " WHERE id = ?1", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the state change");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now);
	bind_text_or_null(stmt, 4, resolution);
	rc = step_write(st, stmt, "changing a referral's state", err);
	if (rc == CH_OK)
		rc = add_event(st, id, actor_id, now, action, from, state, detail, err);
	return rc;
}

enum ch_code store_referral_assign(struct store *st, int64_t id, int64_t actor_id,
				   int64_t assignee_id, const char *agency, const char *detail,
				   int64_t now, struct ch_error *err)
{
	char from[32];
	const char *to;
	sqlite3_stmt *stmt;
	enum ch_code rc;

	rc = current_state(st, id, from, sizeof(from), err);
	if (rc != CH_OK)
		return rc;
	/* Taking a new referral is acknowledging it. */
	to = strcmp(from, "new") == 0 ? "acknowledged" : from;
	if (store_sqlite_statement(st, "UPDATE referrals SET assignee_id = ?2, assignee_agency = ?3,"
			       " state = ?4, updated = ?5,"
			       " acknowledged = coalesce(acknowledged, ?5) WHERE id = ?1",
			       &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the assignment");
	sqlite3_bind_int64(stmt, 1, id);
	if (assignee_id > 0)
		sqlite3_bind_int64(stmt, 2, assignee_id);
	else
		sqlite3_bind_null(stmt, 2);
	bind_text_or_null(stmt, 3, agency);
	sqlite3_bind_text(stmt, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, now);
	rc = step_write(st, stmt, "assigning a referral", err);
	if (rc == CH_OK)
		rc = add_event(st, id, actor_id, now, "assign", from, to, detail, err);
	return rc;
}

enum ch_code store_referral_reply_add(struct store *st, int64_t id, int64_t author_id,
				      const char *body, bool internal, int64_t now,
				      int64_t *reply_id, struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;

	if (store_sqlite_statement(st, "INSERT INTO referral_replies (referral_id, author_id, body,"
			       " internal, created) VALUES (?1, ?2, ?3, ?4, ?5)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the reply insert");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, author_id);
	sqlite3_bind_text(stmt, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, internal);
	sqlite3_bind_int64(stmt, 5, now);
	rc = step_write(st, stmt, "recording a reply", err);
	if (rc != CH_OK)
		return rc;
	*reply_id = sqlite3_last_insert_rowid(st->db);
	/* An internal reply leaves updated alone, so the reporter cannot
	 * tell from it that one was written. */
	if (!internal)
		rc = touch(st, id, now, err);
	if (rc == CH_OK)
		rc = add_event(st, id, author_id, now, internal ? "reply.internal" : "reply", NULL,
			       NULL, NULL, err);
	return rc;
}

enum ch_code store_referral_attachment_add(struct store *st, int64_t id, int64_t uploader_id,
					   const char *name, const char *content_type,
					   const void *data, size_t size, const char sha256[65],
					   int64_t now, int64_t *attachment_id,
					   struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc;

	if (store_sqlite_statement(st, "INSERT INTO referral_attachments (referral_id, name,"
			       " content_type, size, sha256, uploader_id, created, data)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the attachment insert");
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, (int64_t)size);
	sqlite3_bind_text(stmt, 5, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, uploader_id);
	sqlite3_bind_int64(stmt, 7, now);
	sqlite3_bind_blob64(stmt, 8, size ? data : "", size, SQLITE_STATIC);
	rc = step_write(st, stmt, "storing an attachment", err);
	if (rc != CH_OK)
		return rc;
	*attachment_id = sqlite3_last_insert_rowid(st->db);
	rc = touch(st, id, now, err);
	if (rc == CH_OK)
		rc = add_event(st, id, uploader_id, now, "attach", NULL, NULL, sha256, err);
	return rc;
}

enum ch_code store_referral_attachment_get(struct store *st, int64_t referral_id,
					   int64_t attachment_id,
					   struct store_referral_attachment *meta, void **data,
					   struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	*data = NULL;
	memset(meta, 0, sizeof(*meta));
	if (store_sqlite_statement(st, "SELECT t.id, t.name, t.content_type, t.size, u.name,"
			       " t.sha256, t.created, t.data FROM referral_attachments t"
			       " JOIN users u ON u.id = t.uploader_id"
			       " WHERE t.referral_id = ?1 AND t.id = ?2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the attachment read");
	sqlite3_bind_int64(stmt, 1, referral_id);
	sqlite3_bind_int64(stmt, 2, attachment_id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		int n = sqlite3_column_bytes(stmt, 7);

		row_attachment(stmt, meta);
		*data = xmalloc((size_t)n + 1);
		if (n > 0)
			memcpy(*data, sqlite3_column_blob(stmt, 7), (size_t)n);
	} else if (step == SQLITE_DONE) {
		rc = ch_fail(err, CH_NOT_FOUND, "attachment %lld not found on this referral",
			     (long long)attachment_id);
	} else {
		rc = store_sqlite_fail(st, err, "reading an attachment");
	}
	store_sqlite_release(st, stmt);
	return rc;
}

static enum ch_code group_counts(struct store *st, const char *sql, struct store_count_list *out,
				 struct ch_error *err)
{
	sqlite3_stmt *stmt;
	enum ch_code rc = CH_OK;
	int step;

	memset(out, 0, sizeof(*out));
	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a state count");
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		out->items = xreallocarray(out->items, out->count + 1, sizeof(*out->items));
		out->items[out->count].key = store_sqlite_strdup(stmt, 0);
		out->items[out->count].count = sqlite3_column_int64(stmt, 1);
		out->count++;
	}
	if (step != SQLITE_DONE)
		rc = store_sqlite_fail(st, err, "counting states");
	store_sqlite_release(st, stmt);
	return rc;
}

enum ch_code store_queue_counts(struct store *st, struct store_count_list *referrals,
				struct store_count_list *outbox, struct ch_error *err)
{
	enum ch_code rc = group_counts(st, "SELECT state, count(*) FROM referrals GROUP BY state",
				       referrals, err);

	if (rc == CH_OK)
		rc = group_counts(st, "SELECT state, count(*) FROM outbox GROUP BY state", outbox,
				  err);
	return rc;
}
