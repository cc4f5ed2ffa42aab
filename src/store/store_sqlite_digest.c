/*
 * SQLite backend: totals and the aggregates the digest reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

void store_count_list_free(struct store_count_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].key);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static void count_list_add(struct store_count_list *list, const char *key, int64_t count)
{
	list->items = xreallocarray(list->items, list->count + 1, sizeof(*list->items));
	list->items[list->count].key = xstrdup(key);
	list->items[list->count].count = count;
	list->count++;
}

/* Runs a query whose rows are (key TEXT, count INTEGER) with ?1 bound to
 * since and ?2 (when present) to limit. */
static enum ch_code query_counts(struct store *st, const char *sql, int64_t since, int64_t limit,
				 struct store_count_list *out, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_count_list list = { 0 };
	int step;

	if (store_sqlite_statement(st, sql, &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a digest query");
	sqlite3_bind_int64(stmt, 1, since);
	if (sqlite3_bind_parameter_count(stmt) >= 2)
		sqlite3_bind_int64(stmt, 2, limit);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(stmt, 0);

		count_list_add(&list, key ? (const char *)key : "", sqlite3_column_int64(stmt, 1));
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_count_list_free(&list);
		return store_sqlite_fail(st, err, "running a digest query");
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_new_by_type(struct store *st, int64_t since, struct store_count_list *out,
			       struct ch_error *err)
{
	return query_counts(st,
			    "SELECT type, COUNT(*) FROM indicators WHERE first_seen >= ?1 AND tlp <= 2"
			    " GROUP BY type ORDER BY COUNT(*) DESC, type",
			    since, 0, out, err);
}

enum ch_code store_new_by_source(struct store *st, int64_t since, struct store_count_list *out,
				 struct ch_error *err)
{
	/* An indicator counts for each source that reported it in the period. */
	return query_counts(st,
			    "SELECT s.name, COUNT(DISTINCT ri.indicator_id)"
			    " FROM indicators i"
			    " JOIN report_indicators ri ON ri.indicator_id = i.id"
			    " JOIN reports r ON r.id = ri.report_id"
			    " JOIN sources s ON s.id = r.source_id"
			    " WHERE i.first_seen >= ?1 AND i.tlp <= 2"
			    " GROUP BY s.name ORDER BY 2 DESC, s.name",
			    since, 0, out, err);
}

enum ch_code store_top_registrable(struct store *st, int64_t since, size_t limit,
				   struct store_count_list *out, struct ch_error *err)
{
	/* Like every digest query, this counts only indicators released at
	 * AMBER or below somewhere (indicators.tlp is the least restrictive
	 * level), so what only AMBER+STRICT or RED reports or referrals carry
	 * stays out of a digest that may be passed on. */
	return query_counts(st,
			    "SELECT registrable, COUNT(*) FROM indicators"
			    " WHERE first_seen >= ?1 AND registrable IS NOT NULL AND tlp <= 2"
			    " GROUP BY registrable ORDER BY COUNT(*) DESC, registrable LIMIT ?2",
			    since, (int64_t)limit, out, err);
}

enum ch_code store_new_total(struct store *st, int64_t since, int64_t *out, struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	enum ch_code rc = CH_OK;

	if (store_sqlite_statement(st, "SELECT COUNT(*) FROM indicators WHERE first_seen >= ?1 AND tlp <= 2", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing a count");
	sqlite3_bind_int64(stmt, 1, since);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		rc = store_sqlite_fail(st, err, "counting new indicators");
	store_sqlite_release(st, stmt);
	return rc;
}

static void count_list_bump(struct store_count_list *list, const char *key, int64_t count)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].key, key) == 0) {
			list->items[i].count += count;
			return;
		}
	}
	count_list_add(list, key, count);
}

enum ch_code store_new_warnings(struct store *st, int64_t since, struct store_count_list *out,
				struct ch_error *err)
{
	sqlite3_stmt *stmt = NULL;
	struct store_count_list list = { 0 };
	int step;

	if (store_sqlite_statement(st, "SELECT warnings, warnlist, COUNT(*) FROM indicators"
			       " WHERE first_seen >= ?1 AND warnings != 0 AND tlp <= 2"
			       " GROUP BY warnings, warnlist", &stmt) != SQLITE_OK)
		return store_sqlite_fail(st, err, "preparing the warning query");
	sqlite3_bind_int64(stmt, 1, since);

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		uint32_t bits = (uint32_t)sqlite3_column_int64(stmt, 0);
		const unsigned char *list_name = sqlite3_column_text(stmt, 1);
		int64_t n = sqlite3_column_int64(stmt, 2);

		for (int b = 0; b < IOC_WARN_COUNT_BITS; b++) {
			char key[IOC_DOMAIN_MAX + 32];

			if (!(bits & (1u << b)))
				continue;
			if ((1u << b) == IOC_WARN_WARNINGLIST && list_name)
				snprintf(key, sizeof(key), "warninglist:%s", list_name);
			else
				snprintf(key, sizeof(key), "%s", ioc_warning_name((enum ioc_warning)(1u << b)));
			count_list_bump(&list, key, n);
		}
	}
	store_sqlite_release(st, stmt);
	if (step != SQLITE_DONE) {
		store_count_list_free(&list);
		return store_sqlite_fail(st, err, "counting warnings");
	}
	*out = list;
	return CH_OK;
}

enum ch_code store_totals(struct store *st, struct store_totals *out, struct ch_error *err)
{
	struct store_totals t = { 0 };
	struct store_count_list by_type = { 0 };
	enum ch_code rc;

	rc = store_sqlite_count(st, "SELECT COUNT(*) FROM indicators", &t.indicators, err);
	if (rc == CH_OK)
		rc = store_sqlite_count(st, "SELECT COUNT(*) FROM reports", &t.reports, err);
	if (rc == CH_OK)
		rc = store_sqlite_count(st, "SELECT COUNT(*) FROM sources", &t.sources, err);
	if (rc == CH_OK)
		rc = store_sqlite_count(st, "SELECT COUNT(*) FROM report_indicators", &t.links, err);
	if (rc == CH_OK)
		rc = store_sqlite_count(st, "SELECT COUNT(*) FROM indicators WHERE warnings != 0",
					&t.warned, err);
	if (rc != CH_OK)
		return rc;

	rc = store_new_by_type(st, INT64_MIN, &by_type, err);
	if (rc != CH_OK)
		return rc;
	for (size_t i = 0; i < by_type.count; i++) {
		enum ioc_type type;

		if (ioc_type_from_name(by_type.items[i].key, &type, NULL) == CH_OK)
			t.by_type[type] = by_type.items[i].count;
	}
	store_count_list_free(&by_type);

	*out = t;
	return CH_OK;
}
