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

	/* 3: accounts, API tokens, report authorship and readers, ATT&CK
	 * catalogue and the audit log. Token secrets are never stored: only
	 * their SHA-256. The audit log is append-only, enforced by triggers,
	 * and each entry carries the hash of the one before it. */
	"CREATE TABLE orgs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
	"  role TEXT NOT NULL CHECK (role IN ('member', 'le', 'admin')),"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  secret_sha256 BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER,"
	"  revoked INTEGER);"
	"CREATE TABLE chat_identities ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  platform TEXT NOT NULL,"
	"  workspace TEXT NOT NULL,"
	"  chat_user TEXT NOT NULL,"
	"  UNIQUE (platform, workspace, chat_user));"
	"ALTER TABLE reports ADD COLUMN submitter_id INTEGER REFERENCES users(id);"
	"ALTER TABLE reports ADD COLUMN org_id INTEGER REFERENCES orgs(id);"
	"ALTER TABLE reports ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE reports ADD COLUMN fields TEXT;"
	"CREATE INDEX reports_kind_created ON reports(kind, created);"
	"CREATE INDEX reports_created ON reports(created);"
	"CREATE TABLE report_orgs ("
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
	"  PRIMARY KEY (report_id, org_id)) WITHOUT ROWID;"
	"CREATE TABLE report_users ("
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  PRIMARY KEY (report_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE attack_techniques ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  tactics TEXT NOT NULL,"
	"  domain TEXT NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE report_techniques ("
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  technique_id TEXT NOT NULL,"
	"  PRIMARY KEY (report_id, technique_id)) WITHOUT ROWID;"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  actor_id INTEGER,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT NOT NULL,"
	"  client TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev_sha256 TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL);"
	"CREATE INDEX audit_log_time ON audit_log(time);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",

	/* 4: no query reads indicators by registrable domain (the digest groups
	 * over a full scan), and keeping the index cost random B-tree inserts
	 * on every domain and URL ingested. */
	"DROP INDEX indicators_registrable;",

	/* 5: the digest's "first seen since" queries scan the table (about
	 * 0.2 s for a million rows), while keeping this index cost about 10%
	 * of the time of every bulk ingest. */
	"DROP INDEX indicators_first_seen;",
};

const size_t sqlite_migration_count = sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]);
