/*
 * The SQLite schema, as a list of forward-only migrations.
 *
 * indicators.tlp is the least restrictive TLP of any report that carries
 * the indicator, because the value itself is disclosed at that level.
 * Readers are still checked against each report's own TLP.
 */
#include "store/migrations.h"

/* The audit log's columns, the same in migration 3 of the main file and
 * migration 1 of the audit file, which copies rows between the two. */
#define AUDIT_LOG_COLUMNS \
	"  id INTEGER PRIMARY KEY," \
	"  time INTEGER NOT NULL," \
	"  actor_id INTEGER," \
	"  actor TEXT NOT NULL," \
	"  action TEXT NOT NULL," \
	"  object TEXT NOT NULL," \
	"  client TEXT NOT NULL," \
	"  outcome TEXT NOT NULL," \
	"  detail TEXT NOT NULL," \
	"  prev_sha256 TEXT NOT NULL," \
	"  sha256 TEXT NOT NULL);"

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
	"CREATE TABLE audit_log (" AUDIT_LOG_COLUMNS
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

	/* 6: the LE referral queue and the notification outbox. A referral's
	 * number is unique per year (LE-2026-0001); its history, replies,
	 * attachments and links hang off it. The outbox has one row per
	 * message and sink, written in the transaction of the change it
	 * announces, so a crash between commit and delivery loses nothing. */
	"CREATE TABLE referrals ("
	"  id INTEGER PRIMARY KEY,"
	"  year INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  reporter_id INTEGER NOT NULL REFERENCES users(id),"
	"  reporter_handle TEXT,"
	"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
	"  tlp INTEGER NOT NULL CHECK (tlp BETWEEN 0 AND 4),"
	"  summary TEXT NOT NULL,"
	"  details TEXT,"
	"  incident_type TEXT NOT NULL,"
	"  objective TEXT NOT NULL,"
	"  illegal_reason TEXT,"
	"  victim_location TEXT,"
	"  suspect_location TEXT,"
	"  suspect_info TEXT,"
	"  documentation_available INTEGER NOT NULL DEFAULT 0,"
	"  documentation TEXT,"
	"  contact_allowed INTEGER NOT NULL DEFAULT 0,"
	"  contact_method TEXT,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('new', 'acknowledged', 'in_progress', 'closed')),"
	"  resolution TEXT,"
	"  assignee_id INTEGER REFERENCES users(id),"
	"  assignee_agency TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  acknowledged INTEGER,"
	"  closed INTEGER,"
	"  UNIQUE (year, seq));"
	"CREATE INDEX referrals_state ON referrals(state, created);"
	"CREATE INDEX referrals_reporter ON referrals(reporter_id);"
	"CREATE TABLE referral_events ("
	"  id INTEGER PRIMARY KEY,"
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id),"
	"  time INTEGER NOT NULL,"
	"  actor_id INTEGER REFERENCES users(id),"
	"  action TEXT NOT NULL,"
	"  from_state TEXT,"
	"  to_state TEXT,"
	"  detail TEXT);"
	"CREATE INDEX referral_events_referral ON referral_events(referral_id);"
	"CREATE INDEX referral_events_time ON referral_events(time);"
	"CREATE TABLE referral_replies ("
	"  id INTEGER PRIMARY KEY,"
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id),"
	"  author_id INTEGER NOT NULL REFERENCES users(id),"
	"  body TEXT NOT NULL,"
	"  internal INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX referral_replies_referral ON referral_replies(referral_id);"
	"CREATE TABLE referral_attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id),"
	"  name TEXT NOT NULL,"
	"  content_type TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sha256 TEXT NOT NULL,"
	"  uploader_id INTEGER NOT NULL REFERENCES users(id),"
	"  created INTEGER NOT NULL,"
	"  data BLOB NOT NULL);"
	"CREATE INDEX referral_attachments_referral ON referral_attachments(referral_id);"
	"CREATE TABLE referral_reports ("
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id),"
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  PRIMARY KEY (referral_id, report_id)) WITHOUT ROWID;"
	"CREATE TABLE referral_indicators ("
	"  referral_id INTEGER NOT NULL REFERENCES referrals(id),"
	"  indicator_id INTEGER NOT NULL REFERENCES indicators(id),"
	"  PRIMARY KEY (referral_id, indicator_id)) WITHOUT ROWID;"
	"CREATE INDEX referral_indicators_indicator ON referral_indicators(indicator_id);"
	"CREATE TABLE referral_looks ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
	"  last_id INTEGER NOT NULL,"
	"  time INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  sink TEXT NOT NULL,"
	"  event TEXT NOT NULL,"
	"  object TEXT NOT NULL,"
	"  idempotency_key TEXT NOT NULL UNIQUE,"
	"  payload TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'delivered', 'dead')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  delivered INTEGER);"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);",

	/* 7: the chat bridge. One-time codes let a chat user link their
	 * account (only the code's SHA-256 is stored); chat_events remembers
	 * delivered event ids so a retried event is stored once; chat_messages
	 * maps a channel message to its report for edits, deletions and
	 * threads. A withdrawn report (its message was deleted) is hidden
	 * from every reader but kept for the audit trail. */
	"CREATE TABLE chat_link_codes ("
	"  code_sha256 BLOB PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER);"
	"CREATE TABLE chat_events ("
	"  platform TEXT NOT NULL,"
	"  workspace TEXT NOT NULL,"
	"  event_id TEXT NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  PRIMARY KEY (platform, workspace, event_id)) WITHOUT ROWID;"
	"CREATE TABLE chat_messages ("
	"  platform TEXT NOT NULL,"
	"  workspace TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  ts TEXT NOT NULL,"
	"  report_id INTEGER NOT NULL REFERENCES reports(id),"
	"  thread_ts TEXT,"
	"  parent_report_id INTEGER REFERENCES reports(id),"
	"  PRIMARY KEY (platform, workspace, channel, ts)) WITHOUT ROWID;"
	"ALTER TABLE reports ADD COLUMN withdrawn INTEGER;",

	/* 8: the facts each outbox payload was rendered from, which are the
	 * referral's TLP, whether the payload carries its details, and the
	 * sink's type. Delivery compares them with the sink's settings at that
	 * time, so a sink whose tlp_max was lowered or whose type changed after
	 * queueing gets no details it may no longer have. Rows queued earlier
	 * keep NULLs, which the store reads as details at RED. */
	"ALTER TABLE outbox ADD COLUMN tlp INTEGER CHECK (tlp BETWEEN 0 AND 4);"
	"ALTER TABLE outbox ADD COLUMN details INTEGER CHECK (details IN (0, 1));"
	"ALTER TABLE outbox ADD COLUMN sink_type TEXT;",

	/* 9: digests. One row per digest sent (or rendered for the CLI with
	 * --record) and audience, so the next one starts where it ended and a
	 * scheduled period is never sent twice. */
	"CREATE TABLE digest_runs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  audience TEXT NOT NULL,"
	"  period_start INTEGER NOT NULL,"
	"  period_end INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (name, audience, period_end));",

	/* 10: the audit log moves to its own file (sqlite_audit_migrations
	 * below), so that appending to it does not make every reader of this
	 * file drop its page cache. Ids and hashes move unchanged, so the
	 * chain still verifies. The two files do not commit atomically
	 * together. Should the copy commit and this file not, the next open
	 * copies again, and OR IGNORE skips the rows already there. */
	("INSERT OR IGNORE INTO audit.audit_log SELECT * FROM main.audit_log;"
	 "DROP TABLE main.audit_log;"),
};

const size_t sqlite_migration_count = sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]);

const char *const sqlite_audit_migrations[] = {
	/* 1: the append-only audit log, as migration 3 made it in the main
	 * file. Each entry carries the hash of the one before it. */
	"CREATE TABLE audit.audit_log (" AUDIT_LOG_COLUMNS
	"CREATE INDEX audit.audit_log_time ON audit_log(time);"
	"CREATE TRIGGER audit.audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit.audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
};

const size_t sqlite_audit_migration_count =
	sizeof(sqlite_audit_migrations) / sizeof(sqlite_audit_migrations[0]);
