/*
 * Private to the SQLite digest files: the SQL fragments that select the
 * reports an audience digest reads, and the binding of their parameters.
 */
#ifndef CTIHUB_STORE_DIGEST_SCOPE_SQL_H
#define CTIHUB_STORE_DIGEST_SCOPE_SQL_H

#include "store/sqlite_private.h"

/* The audience's read rule on report r, narrowed by the sink's ceiling.
 * :tlp_max is at most 3, so RED reports never match; :org is -1 for an
 * audience without an organisation. */
#define DIGEST_IN_SCOPE                                                                 \
	"(r.withdrawn IS NULL AND r.tlp <= :tlp_max"                                    \
	" AND (r.tlp <= 2 OR (r.tlp = 3 AND EXISTS (SELECT 1 FROM report_orgs ro"       \
	"     WHERE ro.report_id = r.id AND ro.org_id = :org))))"

/* The enum store_digest_category of report r. */
#define DIGEST_CATEGORY                                                                 \
	"(CASE r.kind WHEN 'disinfo' THEN 1 WHEN 'darknet' THEN 2 WHEN 'hunting' THEN 3"  \
	" WHEN 'vuln' THEN 4 WHEN 'chat' THEN (CASE json_extract(r.fields, '$.category')" \
	"   WHEN 'disinfo' THEN 1 WHEN 'darknet' THEN 2 WHEN 'hunting' THEN 3 ELSE 0 END)" \
	" ELSE 0 END)"

/* Organisations count once each. A file ingest has no organisation, so
 * its source is used instead, negated because both ids start at 1. */
#define DIGEST_ORG_KEY "coalesce(r.org_id, -r.source_id)"

/* Binds :tlp_max, :org, :since, :until, :previous and :referrals where
 * the statement names them. */
void store_sqlite_bind_digest_scope(sqlite3_stmt *stmt, const struct store_digest_scope *scope);
void store_sqlite_bind_named(sqlite3_stmt *stmt, const char *name, int64_t value);

#endif
