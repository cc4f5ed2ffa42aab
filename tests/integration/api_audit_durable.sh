#!/usr/bin/env bash
# Checks that the audit writer of `ctihub serve` loses no entry. Reads of
# a RED report made while another process holds the database's write
# lock for longer than the busy timeout (5 s) are all written once the
# lock is free. The entries of a write and of a rejected token are
# committed before their replies go out, so a kill -9 right after the
# replies keeps them.
. "$(dirname "$0")/api_lib.sh"

api_start --rate-limit 0 || { finish; exit 1; }
api_org A
api_user a1 A member
token=$(api_token a1)

req POST /api/v1/reports "$token" \
	'{"kind": "ioc", "tlp": "RED", "purpose": "research", "indicators": ["audit-durable.example"]}'
check_code "RED report create" 201
red_id=$(jget 'j["id"]')

# ---- reads while another process holds the write lock for 8 s -------------
audited_reads() {
	sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.read' AND object = 'report:$red_id'"
}

reads_before=$(audited_reads)
printf 'BEGIN IMMEDIATE;\nSELECT 1;\n.shell sleep 8\nCOMMIT;\n' |
	sqlite3 -batch "$CTIHUB_DB" >/dev/null &
lock_pid=$!
sleep 0.5
read_count=5
for i in $(seq "$read_count"); do
	req GET "/api/v1/reports/$red_id" "$token"
	check_code "RED read $i during the lock" 200
done
wait "$lock_pid"

# The admin's audit read waits for the entries queued before it.
req GET "/api/v1/audit?limit=1000" "$ADMIN_TOKEN"
check_code "audit list after the lock" 200
check_eq "RED reads audited after the lock" "$read_count" \
	"$(($(audited_reads) - reads_before))"
check_eq "no audit entry given up" "" "$(grep 'was not written' "$SERVER_LOG")"

# ---- a write and a rejected token, then kill -9 -----------------------------
# The RED read first makes the writer wait for its commit interval, the
# window in which an entry whose reply does not wait for it is lost. One
# curl sends the three requests on one connection, back to back, and the
# server is killed as soon as the replies are in.
curl -s -m 60 -o /dev/null -H "Authorization: Bearer $token" "$API_URL/api/v1/reports/$red_id" \
	-: -s -m 60 -o "$TEST_DIR/created.json" -H "Authorization: Bearer $token" \
	-d '{"kind": "ioc", "tlp": "GREEN", "purpose": "research", "indicators": ["audit-crash.example"]}' \
	"$API_URL/api/v1/reports" \
	-: -s -m 60 -o /dev/null -H "Authorization: Bearer cth_not_a_real_token" "$API_URL/api/v1/me"
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
body=$(cat "$TEST_DIR/created.json")
created_id=$(jget 'j["id"]')

check_eq "report.create entry survives kill -9" 1 \
	"$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.create'
		AND object = 'report:$created_id'")"
check_eq "token.reject entry survives kill -9" 1 \
	"$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'token.reject'
		AND detail = 'unknown token'")"
check_status "audit chain intact" 0 ctihub audit --verify

# ---- a held reply whose client left is freed ----------------------------------
# A write's reply waits for its audit entry, which waits for the lock, so
# the client gives up and disconnects first. The server must free the
# reply it held; LeakSanitizer checks that when the server stops.
api_start --rate-limit 0 || { finish; exit 1; }
printf 'BEGIN IMMEDIATE;\nSELECT 1;\n.shell sleep 3\nCOMMIT;\n' |
	sqlite3 -batch "$CTIHUB_DB" >/dev/null &
lock_pid=$!
sleep 0.5
curl -s -m 1 -o /dev/null -H "Authorization: Bearer $token" \
	-d '{"kind": "ioc", "tlp": "GREEN", "purpose": "research", "indicators": ["audit-left.example"]}' \
	"$API_URL/api/v1/reports"
check_eq "client left during the lock (curl exit status)" 28 $?
wait "$lock_pid"
sleep 0.5
api_stop
check_stopped "server stops without a leak"

finish
