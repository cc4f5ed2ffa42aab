/*
 * SQLite backend: the table-valued function ingest_rows(?1), which reads a
 * C array of distinct sightings bound with sqlite3_bind_pointer. It lets
 * one INSERT ... SELECT store a whole batch, so SQLite opens its cursors and
 * runs its statement setup once per batch instead of once per row. On the
 * list benchmark of bench/run that cut the writer thread's CPU time by
 * about a fifth.
 *
 * Its columns are the values that the indicator insert binds; the hidden
 * column rows takes the pointer, which must carry the type name
 * STORE_SQLITE_ROWS_POINTER.
 */
#include <stdlib.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"

enum {
	COLUMN_TYPE,
	COLUMN_VALUE,
	COLUMN_REGISTRABLE,
	COLUMN_SEEN,
	COLUMN_COUNT,
	COLUMN_TLP,
	COLUMN_CONFIDENCE,
	COLUMN_WARNINGS,
	COLUMN_WARNLIST,
	COLUMN_ROWS, /* hidden: the pointer argument */
};

struct rows_cursor {
	sqlite3_vtab_cursor base;
	const struct store_sqlite_rows *rows; /* NULL when no pointer was bound */
	size_t next;
};

static int rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
			sqlite3_vtab **out, char **err)
{
	sqlite3_vtab *vtab;
	int rc;

	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(type, value, registrable, seen, count, tlp,"
				  " confidence, warnings, warnlist, rows HIDDEN)");
	if (rc != SQLITE_OK)
		return rc;
	vtab = xcalloc(1, sizeof(*vtab));
	*out = vtab;
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vtab)
{
	free(vtab);
	return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out)
{
	struct rows_cursor *cur = xcalloc(1, sizeof(*cur));

	(void)vtab;
	*out = &cur->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *base)
{
	free(base);
	return SQLITE_OK;
}

/* Requires an equality constraint on the hidden column: the function is
 * only ever called as ingest_rows(?1). */
static int rows_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
	(void)vtab;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];

		if (c->iColumn != COLUMN_ROWS || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		if (!c->usable)
			return SQLITE_CONSTRAINT;
		info->aConstraintUsage[i].argvIndex = 1;
		info->aConstraintUsage[i].omit = 1;
		info->estimatedCost = 1.0;
		info->orderByConsumed = 0;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT;
}

static int rows_filter(sqlite3_vtab_cursor *base, int plan, const char *plan_name, int argc,
		       sqlite3_value **argv)
{
	struct rows_cursor *cur = (struct rows_cursor *)base;

	(void)plan;
	(void)plan_name;
	cur->rows = argc > 0 ? sqlite3_value_pointer(argv[0], STORE_SQLITE_ROWS_POINTER) : NULL;
	cur->next = 0;
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *base)
{
	((struct rows_cursor *)base)->next++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *base)
{
	const struct rows_cursor *cur = (const struct rows_cursor *)base;

	return !cur->rows || cur->next >= cur->rows->count;
}

static void result_text_or_null(sqlite3_context *ctx, const char *text)
{
	if (text)
		sqlite3_result_text(ctx, text, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static int rows_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int column)
{
	const struct rows_cursor *cur = (const struct rows_cursor *)base;
	const struct store_sqlite_row *row = &cur->rows->items[cur->next];
	const struct store_sighting *s = row->sighting;

	switch (column) {
	case COLUMN_TYPE:
		sqlite3_result_text(ctx, ioc_type_name(s->type), -1, SQLITE_STATIC);
		break;
	case COLUMN_VALUE:
		sqlite3_result_text(ctx, s->value, (int)s->value_len, SQLITE_STATIC);
		break;
	case COLUMN_REGISTRABLE:
		result_text_or_null(ctx, s->registrable);
		break;
	case COLUMN_SEEN:
		sqlite3_result_int64(ctx, s->seen);
		break;
	case COLUMN_COUNT:
		sqlite3_result_int(ctx, row->count);
		break;
	case COLUMN_TLP:
		sqlite3_result_int(ctx, (int)s->tlp);
		break;
	case COLUMN_CONFIDENCE:
		sqlite3_result_int(ctx, s->confidence);
		break;
	case COLUMN_WARNINGS:
		sqlite3_result_int64(ctx, s->warnings);
		break;
	case COLUMN_WARNLIST:
		result_text_or_null(ctx, s->warnlist);
		break;
	default:
		sqlite3_result_null(ctx);
		break;
	}
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct rows_cursor *)base)->next;
	return SQLITE_OK;
}

/* Eponymous-only: xCreate is NULL, so no CREATE VIRTUAL TABLE can name it
 * and nothing about it is ever written to the database file. */
static const sqlite3_module rows_module = {
	.iVersion = 0,
	.xConnect = rows_connect,
	.xBestIndex = rows_best_index,
	.xDisconnect = rows_disconnect,
	.xOpen = rows_open,
	.xClose = rows_close,
	.xFilter = rows_filter,
	.xNext = rows_next,
	.xEof = rows_eof,
	.xColumn = rows_column,
	.xRowid = rows_rowid,
};

enum ch_code store_sqlite_register_rows(struct store *st, struct ch_error *err)
{
	if (sqlite3_create_module_v2(st->db, "ingest_rows", &rows_module, NULL, NULL) != SQLITE_OK)
		return store_sqlite_fail(st, err, "registering the ingest_rows function");
	return CH_OK;
}
