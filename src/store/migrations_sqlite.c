/*
 * The SQLite schema, as a list of forward-only migrations.
 *
 * indicators.tlp is the least restrictive TLP of any report that carries
 * the indicator, because the value itself is disclosed at that level.
 * Readers are still checked against each report's own TLP.
 */
#include "store/migrations.h"

const char *const sqlite_migrations[] = {
	/* 1: sources, reports, indicators and their link. */
	"CREATE TABLE sources ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE reports ("
	"  id INTEGER PRIMARY KEY,"
	"  source_id INTEGER NOT NULL REFERENCES sources(id),"
	"  kind TEXT NOT NULL,"
	"  title TEXT,"
	"  content_sha256 TEXT,"
	"  tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
	"  created INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX reports_source_content"
	"  ON reports(source_id, content_sha256) WHERE content_sha256 IS NOT NULL;"
	"CREATE TABLE indicators ("
	"  id INTEGER PRIMARY KEY,"
	"  type TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  registrable TEXT,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  times_seen INTEGER NOT NULL DEFAULT 1,"
	"  tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
	"  confidence INTEGER NOT NULL DEFAULT 50,"
	"  warnings INTEGER NOT NULL DEFAULT 0,"
	"  warnlist TEXT,"
	"  UNIQUE (type, value));"
	"CREATE TABLE report_indicators ("
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  indicator_id INTEGER NOT NULL REFERENCES indicators(id),"
	"  PRIMARY KEY (report_id, indicator_id)) WITHOUT ROWID;"
	"CREATE INDEX report_indicators_indicator ON report_indicators(indicator_id);",

	/* 2: indexes for the digest and for finding URLs by their domain. */
	"CREATE INDEX indicators_first_seen ON indicators(first_seen);"
	"CREATE INDEX indicators_registrable ON indicators(registrable)"
	"  WHERE registrable IS NOT NULL;",
};

const size_t sqlite_migration_count = sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]);
