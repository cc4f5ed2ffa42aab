/*
 * SQLite backend: the indicators of an audience digest.
 *
 * A grouped join in SQL probes the reports table once per link, and a
 * digest over a large period follows millions of links. Here the reports
 * in scope are read once into an array indexed by report id, and the links
 * are read in indicator order and grouped in C. When the period carries
 * many indicators, the links come from one scan of the
 * report_indicators_indicator index. When it carries few, they come from
 * one seek per indicator. Both give the same groups.
 */
#include <stdlib.h>
#include <string.h>

#include "store/digest_scope_sql.h"
#include "util/alloc.h"

/* A period that carries more than one in SCAN_FRACTION of all indicators
 * is read with one whole scan, which then costs less than a seek each. */
#define SCAN_FRACTION 8

/* The fields of one report in scope that the digest reads. */
struct scope_report {
	int64_t created;
	int64_t org_key;        /* DIGEST_ORG_KEY */
	unsigned char category; /* enum store_digest_category */
	bool attack;
	bool in_scope;
};

/* The reports in scope created before until, as rows[id - base]. */
struct report_table {
	struct scope_report *rows;
	int64_t base;
	size_t count;
};

/* One organisation among an indicator's reports, and whether one of its
 * reports came before the period. */
struct org_mark {
	int64_t key;
	bool before;
};

/* The links of one indicator, folded as they are read. */
struct link_group {
	int64_t first, first_in_period, last, previous;
	bool has_previous, in_period;
	unsigned categories;
	int attack_reports;
	int64_t links;          /* every link, in scope or not */
	struct org_mark *orgs;
	size_t org_count, org_cap;
};

/* Referral counts by indicator, sorted by indicator id and read in step
 * with the indicators. */
struct referral_counts {
	int64_t (*rows)[2];
	size_t count, next;
};

struct scan {
	struct store *st;
	const struct store_digest_scope *scope;
	store_digest_indicator_cb cb;
	void *ctx;
	struct report_table reports;
	struct referral_counts referrals;
	struct link_group group;
};

static const char reports_sql[] =
	"SELECT r.id, r.created, " DIGEST_ORG_KEY ", " DIGEST_CATEGORY ", r.kind = 'attack'"
	" FROM reports r WHERE r.created < :until AND " DIGEST_IN_SCOPE " ORDER BY r.id";

static enum ch_code load_reports(struct scan *s, struct ch_error *err)
{
	struct scope_report *rows = NULL;
	int64_t *ids = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *stmt = NULL;
	struct report_table *t = &s->reports;
	int step;

	if (store_sqlite_statement(s->st, reports_sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(s->st, err, "preparing the digest report scan");
	store_sqlite_bind_digest_scope(stmt, s->scope);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		int category = sqlite3_column_int(stmt, 3);

		if (count == cap) {
			cap = cap ? cap * 2 : 1024;
			rows = xreallocarray(rows, cap, sizeof(*rows));
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[count] = sqlite3_column_int64(stmt, 0);
		rows[count].created = sqlite3_column_int64(stmt, 1);
		rows[count].org_key = sqlite3_column_int64(stmt, 2);
		rows[count].category = (unsigned char)(category >= 0 &&
						       category < STORE_DIGEST_CATEGORY_COUNT
						       ? category : STORE_DIGEST_IOCS);
		rows[count].attack = sqlite3_column_int(stmt, 4) != 0;
		rows[count].in_scope = true;
		count++;
	}
	store_sqlite_release(s->st, stmt);
	if (step != SQLITE_DONE) {
		free(rows);
		free(ids);
		return store_sqlite_fail(s->st, err, "reading the digest reports");
	}
	if (count > 0) {
		/* Report ids are rowids, so the span is at most the number of
		 * reports ever stored. */
		t->base = ids[0];
		t->count = (size_t)(ids[count - 1] - ids[0]) + 1;
		t->rows = xcalloc(t->count, sizeof(*t->rows));
		for (size_t i = 0; i < count; i++)
			t->rows[ids[i] - t->base] = rows[i];
	}
	free(rows);
	free(ids);
	return CH_OK;
}

static const struct scope_report *report_find(const struct report_table *t, int64_t id)
{
	if (id < t->base || (uint64_t)(id - t->base) >= t->count)
		return NULL;
	return t->rows[id - t->base].in_scope ? &t->rows[id - t->base] : NULL;
}

static enum ch_code load_referrals(struct scan *s, struct ch_error *err)
{
	struct referral_counts *r = &s->referrals;
	sqlite3_stmt *stmt = NULL;
	size_t cap = 0;
	int step;

	if (!s->scope->referrals)
		return CH_OK;
	if (store_sqlite_statement(s->st, "SELECT indicator_id, COUNT(*) FROM referral_indicators"
				   " GROUP BY indicator_id ORDER BY indicator_id", &stmt) != SQLITE_OK)
		return store_sqlite_fail(s->st, err, "preparing the digest referral counts");
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (r->count == cap) {
			cap = cap ? cap * 2 : 256;
			r->rows = xreallocarray(r->rows, cap, sizeof(*r->rows));
		}
		r->rows[r->count][0] = sqlite3_column_int64(stmt, 0);
		r->rows[r->count][1] = sqlite3_column_int64(stmt, 1);
		r->count++;
	}
	store_sqlite_release(s->st, stmt);
	if (step != SQLITE_DONE)
		return store_sqlite_fail(s->st, err, "reading the digest referral counts");
	return CH_OK;
}

/* Indicators come in increasing id order, so the cursor only moves on. */
static int referrals_of(struct referral_counts *r, int64_t indicator_id)
{
	while (r->next < r->count && r->rows[r->next][0] < indicator_id)
		r->next++;
	if (r->next < r->count && r->rows[r->next][0] == indicator_id)
		return (int)r->rows[r->next][1];
	return 0;
}

static void group_reset(struct link_group *g)
{
	struct org_mark *orgs = g->orgs;
	size_t cap = g->org_cap;

	memset(g, 0, sizeof(*g));
	g->orgs = orgs;
	g->org_cap = cap;
}

static void group_add(struct link_group *g, const struct scope_report *r, int64_t since)
{
	bool before = r->created < since;

	if (g->org_count == 0) {
		g->first = r->created;
		g->last = r->created;
	} else {
		if (r->created < g->first)
			g->first = r->created;
		if (r->created > g->last)
			g->last = r->created;
	}
	if (before) {
		if (!g->has_previous || r->created > g->previous)
			g->previous = r->created;
		g->has_previous = true;
	} else {
		if (!g->in_period || r->created < g->first_in_period)
			g->first_in_period = r->created;
		g->in_period = true;
		g->categories |= 1u << r->category;
	}
	g->attack_reports += r->attack;
	if (g->org_count == g->org_cap) {
		g->org_cap = g->org_cap ? g->org_cap * 2 : 16;
		g->orgs = xreallocarray(g->orgs, g->org_cap, sizeof(*g->orgs));
	}
	g->orgs[g->org_count].key = r->org_key;
	g->orgs[g->org_count].before = before;
	g->org_count++;
}

static int compare_marks(const void *a, const void *b)
{
	const struct org_mark *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/* Distinct organisations, overall and among reports before the period. */
static void group_count_orgs(struct link_group *g, int *all, int *before)
{
	size_t i = 0;

	*all = 0;
	*before = 0;
	if (g->org_count > 1)
		qsort(g->orgs, g->org_count, sizeof(*g->orgs), compare_marks);
	while (i < g->org_count) {
		bool any_before = false;
		size_t j = i;

		for (; j < g->org_count && g->orgs[j].key == g->orgs[i].key; j++)
			any_before |= g->orgs[j].before;
		(*all)++;
		*before += any_before;
		i = j;
	}
}

/* Columns 0 to 6 of an indicator row, as the two row statements give them. */
#define INDICATOR_COLUMNS \
	"id, type, value, warnings, warnlist IS NOT NULL, times_seen, confidence"

static bool read_indicator(sqlite3_stmt *stmt, struct store_digest_indicator *ind)
{
	const char *type = (const char *)sqlite3_column_text(stmt, 1);
	const char *value = (const char *)sqlite3_column_text(stmt, 2);

	memset(ind, 0, sizeof(*ind));
	ind->id = sqlite3_column_int64(stmt, 0);
	if (!type || ioc_type_from_name(type, &ind->type, NULL) != CH_OK)
		return false;
	ind->value = value ? value : "";
	ind->warnings = (uint32_t)sqlite3_column_int64(stmt, 3);
	ind->warnlisted = sqlite3_column_int(stmt, 4) != 0;
	ind->times_seen = sqlite3_column_int64(stmt, 5);
	ind->confidence = sqlite3_column_int(stmt, 6);
	return true;
}

/* Hands one indicator of the period to the callback, with its row read
 * from row_stmt (positioned on it). */
static enum ch_code emit(struct scan *s, sqlite3_stmt *row_stmt, struct ch_error *err)
{
	struct store_digest_indicator ind;
	struct link_group *g = &s->group;

	if (!read_indicator(row_stmt, &ind))
		return CH_OK;
	/* Sightings from reports out of scope must not show, so when there
	 * are any, the reports in scope are counted instead. */
	if ((int64_t)g->org_count < g->links)
		ind.times_seen = (int64_t)g->org_count;
	ind.first_seen = g->first;
	ind.first_in_period = g->first_in_period;
	ind.last_seen = g->last;
	ind.has_previous = g->has_previous;
	ind.previous = g->has_previous ? g->previous : 0;
	group_count_orgs(g, &ind.organisations, &ind.organisations_before);
	ind.categories = g->categories;
	ind.referrals = referrals_of(&s->referrals, ind.id);
	ind.attack_reports = g->attack_reports;
	return s->cb(s->ctx, &ind, err);
}

/* Many indicators: one pass over every link in indicator order, beside one
 * pass over the indicators table, which is in the same order. */
static enum ch_code scan_all(struct scan *s, struct ch_error *err)
{
	sqlite3_stmt *links = NULL, *rows = NULL;
	enum ch_code rc = CH_OK;
	int64_t current = 0, row_id = 0;
	bool rows_done = false;
	int step, row_step = SQLITE_ROW;

	if (store_sqlite_statement(s->st, "SELECT indicator_id, report_id FROM report_indicators"
				   " INDEXED BY report_indicators_indicator ORDER BY indicator_id",
				   &links) != SQLITE_OK)
		return store_sqlite_fail(s->st, err, "preparing the digest link scan");
	if (store_sqlite_statement(s->st, "SELECT " INDICATOR_COLUMNS " FROM indicators"
				   " ORDER BY id", &rows) != SQLITE_OK) {
		store_sqlite_release(s->st, links);
		return store_sqlite_fail(s->st, err, "preparing the digest indicator scan");
	}

	group_reset(&s->group);
	for (;;) {
		int64_t id = 0;
		const struct scope_report *r = NULL;

		step = sqlite3_step(links);
		if (step == SQLITE_ROW) {
			id = sqlite3_column_int64(links, 0);
			r = report_find(&s->reports, sqlite3_column_int64(links, 1));
		} else if (step != SQLITE_DONE) {
			break;
		}
		if (step == SQLITE_DONE || id != current) {
			/* The group of current is complete. */
			if (s->group.in_period) {
				while (!rows_done && row_id < current) {
					row_step = sqlite3_step(rows);
					if (row_step != SQLITE_ROW) {
						rows_done = true;
						break;
					}
					row_id = sqlite3_column_int64(rows, 0);
				}
				if (!rows_done && row_id == current)
					rc = emit(s, rows, err);
			}
			group_reset(&s->group);
			current = id;
			if (rc != CH_OK || step == SQLITE_DONE)
				break;
		}
		s->group.links++;
		if (r)
			group_add(&s->group, r, s->scope->since);
	}
	if (rc == CH_OK && step != SQLITE_DONE)
		rc = store_sqlite_fail(s->st, err, "reading the digest links");
	else if (rc == CH_OK && rows_done && row_step != SQLITE_DONE)
		rc = store_sqlite_fail(s->st, err, "reading the digest indicators");
	store_sqlite_release(s->st, links);
	store_sqlite_release(s->st, rows);
	return rc;
}

/* Few indicators: the links and the row of each, one seek each. */
static enum ch_code scan_some(struct scan *s, const unsigned char *marks, int64_t max_id,
			      struct ch_error *err)
{
	sqlite3_stmt *links = NULL, *row = NULL;
	enum ch_code rc = CH_OK;
	int step = SQLITE_DONE;

	if (store_sqlite_statement(s->st, "SELECT report_id FROM report_indicators"
				   " WHERE indicator_id = ?1", &links) != SQLITE_OK)
		return store_sqlite_fail(s->st, err, "preparing the digest link query");
	if (store_sqlite_statement(s->st, "SELECT " INDICATOR_COLUMNS " FROM indicators"
				   " WHERE id = ?1", &row) != SQLITE_OK) {
		store_sqlite_release(s->st, links);
		return store_sqlite_fail(s->st, err, "preparing the digest indicator query");
	}

	for (int64_t id = 1; id <= max_id && rc == CH_OK; id++) {
		if (!(marks[id >> 3] & (1u << (id & 7))))
			continue;
		group_reset(&s->group);
		sqlite3_bind_int64(links, 1, id);
		while ((step = sqlite3_step(links)) == SQLITE_ROW) {
			const struct scope_report *r =
				report_find(&s->reports, sqlite3_column_int64(links, 0));

			s->group.links++;
			if (r)
				group_add(&s->group, r, s->scope->since);
		}
		sqlite3_reset(links);
		if (step != SQLITE_DONE) {
			rc = store_sqlite_fail(s->st, err, "reading the digest links");
			break;
		}
		if (!s->group.in_period)
			continue;
		sqlite3_bind_int64(row, 1, id);
		step = sqlite3_step(row);
		if (step == SQLITE_ROW)
			rc = emit(s, row, err);
		else if (step != SQLITE_DONE)
			rc = store_sqlite_fail(s->st, err, "reading a digest indicator");
		sqlite3_reset(row);
	}
	store_sqlite_release(s->st, links);
	store_sqlite_release(s->st, row);
	return rc;
}

/* Marks the indicators that period reports in scope carry, in a bitmap
 * over indicator ids. Stops and sets *many once they pass the share past
 * which scan_all is cheaper. */
static enum ch_code mark_period(struct scan *s, unsigned char *marks, int64_t max_id,
				bool *many, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t marked = 0, limit = max_id / SCAN_FRACTION;
	int step;

	*many = false;
	if (store_sqlite_statement(s->st, "SELECT ri.indicator_id FROM reports r"
				   " JOIN report_indicators ri ON ri.report_id = r.id"
				   " WHERE r.created >= :since AND r.created < :until AND "
				   DIGEST_IN_SCOPE, &stmt) != SQLITE_OK)
		return store_sqlite_fail(s->st, err, "preparing the digest period links");
	store_sqlite_bind_digest_scope(stmt, s->scope);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(stmt, 0);

		if (id < 1 || id > max_id || (marks[id >> 3] & (1u << (id & 7))))
			continue;
		marks[id >> 3] |= (unsigned char)(1u << (id & 7));
		if (++marked > limit) {
			*many = true;
			break;
		}
	}
	store_sqlite_release(s->st, stmt);
	if (!*many && step != SQLITE_DONE)
		return store_sqlite_fail(s->st, err, "reading the digest period links");
	return CH_OK;
}

enum ch_code store_digest_indicators(struct store *st, const struct store_digest_scope *scope,
				     store_digest_indicator_cb cb, void *ctx,
				     struct ch_error *err)
{
	struct scan s = { .st = st, .scope = scope, .cb = cb, .ctx = ctx };
	unsigned char *marks = NULL;
	int64_t max_id = 0;
	bool many = false;
	enum ch_code rc;

	rc = store_sqlite_count(st, "SELECT coalesce(MAX(id), 0) FROM indicators", &max_id, err);
	if (rc == CH_OK)
		rc = load_reports(&s, err);
	if (rc == CH_OK)
		rc = load_referrals(&s, err);
	if (rc == CH_OK && max_id > 0 && s.reports.count > 0) {
		marks = xcalloc((size_t)(max_id >> 3) + 1, 1);
		rc = mark_period(&s, marks, max_id, &many, err);
		if (rc == CH_OK)
			rc = many ? scan_all(&s, err) : scan_some(&s, marks, max_id, err);
	}
	free(marks);
	free(s.group.orgs);
	free(s.reports.rows);
	free(s.referrals.rows);
	return rc;
}
