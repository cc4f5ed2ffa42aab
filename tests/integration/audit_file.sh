#!/usr/bin/env bash
# The audit log's own file: PATH-audit beside the database, the move of the
# entries out of a database made before it existed, and errors that name
# the file.
. "$(dirname "$0")/lib.sh"

audit_db="$CTIHUB_DB-audit"

ctihub init >/dev/null
ctihub org add acme >/dev/null
ctihub user add alice --org acme --role member >/dev/null
ctihub token create alice >/dev/null
check_eq "audit file beside the database" yes "$([ -f "$audit_db" ] && echo yes)"
check_eq "no audit table in the main file" 0 \
	"$(sqlite3 "$CTIHUB_DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_log'")"
check_eq "audit file in WAL mode" wal "$(sqlite3 "$audit_db" 'PRAGMA journal_mode')"
entries=$(sql "SELECT count(*) FROM audit_log")
check_eq "CLI writes are audited in the audit file" 3 "$entries"
last_hash=$(sql "SELECT sha256 FROM audit_log ORDER BY id DESC LIMIT 1")

# ---- a database from before the audit file: schema version 9 ---------------
# The entries go back into the main file as version 9 kept them, and the
# audit file is removed.
make_v9() {
	sqlite3 -batch "$CTIHUB_DB" >/dev/null <<EOF
ATTACH '$audit_db' AS audit;
CREATE TABLE main.audit_log (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,
	actor_id INTEGER, actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,
	client TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,
	prev_sha256 TEXT NOT NULL, sha256 TEXT NOT NULL);
INSERT INTO main.audit_log SELECT * FROM audit.audit_log;
PRAGMA main.user_version = 9;
EOF
}
make_v9
rm -f "$audit_db" "$audit_db-wal" "$audit_db-shm"
check_eq "version 9 keeps the entries in the main file" "$entries" \
	"$(sqlite3 "$CTIHUB_DB" "SELECT count(*) FROM audit_log")"

out=$(ctihub audit --verify 2>&1)
check_eq "upgrade and verify (exit status)" 0 $?
check_contains "chain verifies after the move" "intact" "$out"
check_eq "entries moved to the audit file" "$entries" "$(sqlite3 "$audit_db" "SELECT count(*) FROM audit_log")"
check_eq "last hash unchanged" "$last_hash" \
	"$(sqlite3 "$audit_db" "SELECT sha256 FROM audit_log ORDER BY id DESC LIMIT 1")"
check_eq "main table dropped" 0 \
	"$(sqlite3 "$CTIHUB_DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'audit_log'")"
check_eq "schema version 10" 10 "$(sqlite3 "$CTIHUB_DB" 'PRAGMA user_version')"

# A move whose copy committed while the main file did not: the next open
# copies again, and the rows already there are skipped.
make_v9
ctihub audit --verify >/dev/null 2>&1
check_eq "second move adds no rows" "$entries" "$(sqlite3 "$audit_db" "SELECT count(*) FROM audit_log")"
check_status "chain still verifies" 0 ctihub audit --verify

# New entries chain on from the moved ones.
ctihub org add globex >/dev/null
check_eq "new entry chains to the moved ones" "$last_hash" \
	"$(sql "SELECT prev_sha256 FROM audit_log ORDER BY id DESC LIMIT 1")"
check_status "chain verifies with the new entry" 0 ctihub audit --verify

# ---- ingests are audited too ----------------------------------------------------
printf 'audit-ingest.example\n' >"$TEST_DIR/in.txt"
ctihub ingest --source audit-test "$TEST_DIR/in.txt" >/dev/null
check_eq "ingest audited with its report" 1 "$(sql "SELECT count(*) FROM audit_log
	WHERE action = 'ingest' AND object = 'report:1' AND detail = '1 values, 1 new, source audit-test'")"
check_status "chain verifies with the ingest" 0 ctihub audit --verify

# ---- errors that name the audit file ----------------------------------------
mkdir "$TEST_DIR/blocked.db-audit"
out=$(ctihub --db "$TEST_DIR/blocked.db" init 2>&1)
check_eq "audit path is a folder (exit status)" 4 $?
check_contains "error names the audit file" "cannot open the audit log '$TEST_DIR/blocked.db-audit'" "$out"

ln -s /dev/null "$TEST_DIR/null.db-audit"
out=$(ctihub --db "$TEST_DIR/null.db" init 2>&1)
check_eq "audit file not SQLite (exit status)" 4 $?
check_contains "error names the unusable audit file" "cannot use the audit log '$TEST_DIR/null.db-audit'" "$out"

sqlite3 "$audit_db" 'PRAGMA user_version = 99'
out=$(ctihub stats 2>&1)
check_eq "newer audit schema (exit status)" 4 $?
check_contains "newer audit schema named" "audit log schema version 99 is newer than this ctihub" "$out"

finish
