#!/usr/bin/env bash
# Indicator lookups that share a read transaction on a worker thread
# (CTIHUB_SHARED_READ_MS). The window is the longest allowed, 1 s, so that
# a shared transaction outlives the gap between two curl calls. A lookup
# must still return every write whose reply was sent before it, the
# janitor must end the transactions of idle threads, and a change made by
# another process must show once the window has passed.
. "$(dirname "$0")/api_lib.sh"

out=$(CTIHUB_SHARED_READ_MS=1001 ctihub serve 2>&1)
check_eq "window over 1000 ms (exit status)" 2 $?
check_contains "invalid window named" "CTIHUB_SHARED_READ_MS '1001' is invalid" "$out"
out=$(CTIHUB_SHARED_READ_MS=-1 ctihub serve 2>&1)
check_eq "negative window (exit status)" 2 $?

export CTIHUB_SHARED_READ_MS=1000
api_start --rate-limit 0 --threads 2 || { finish; exit 1; }
unset CTIHUB_SHARED_READ_MS
api_org acme
api_user alice acme member
TOKEN=$(api_token alice)

# ---- a lookup returns the writes replied to before it ---------------------
# Each round first makes a lookup fail, which leaves a shared transaction
# open on one of the two threads. Then it creates the indicator and looks
# it up again on a new connection, which either thread may serve.
stale=0
for i in $(seq 20); do
	domain="shared-read-$i.example"
	req GET "/api/v1/indicators/domain/$domain" "$TOKEN"
	[ "$status" = 404 ] || fail "round $i: lookup before the report returned $status"
	req POST /api/v1/reports "$TOKEN" \
		'{"kind": "ioc", "tlp": "GREEN", "purpose": "research", "indicators": ["'"$domain"'"]}'
	[ "$status" = 201 ] || fail "round $i: report create returned $status"
	req GET "/api/v1/indicators/domain/$domain" "$TOKEN"
	[ "$status" = 200 ] || stale=$((stale + 1))
done
check_eq "lookups after a write return it" 0 "$stale"

# ---- idle threads do not hold back checkpoints --------------------------------
req GET /api/v1/indicators/domain/shared-read-1.example "$TOKEN"
check_code "lookup opens a shared transaction" 200
ctihub org add globex >/dev/null
sleep 1.2
# The pragma prints busy, WAL frames and frames checkpointed. With no
# reader left on an old snapshot, every frame can be checkpointed.
check_eq "checkpoint after the window" 0 \
	"$(sqlite3 "$CTIHUB_DB" 'PRAGMA wal_checkpoint(PASSIVE)' | cut -d'|' -f1)"
frames=$(sqlite3 "$CTIHUB_DB" 'PRAGMA wal_checkpoint(PASSIVE)')
check_eq "every frame checkpointed" "$(cut -d'|' -f2 <<<"$frames")" "$(cut -d'|' -f3 <<<"$frames")"

# ---- another process's change shows once the window has passed ---------------
req GET /api/v1/indicators/domain/shared-read-2.example "$TOKEN"
check_code "lookup before the revocation" 200
token_id=$(sql "SELECT max(t.id) FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = 'alice'")
ctihub token revoke "$token_id" >/dev/null
sleep 1.1
req GET /api/v1/indicators/domain/shared-read-2.example "$TOKEN"
check_code "revoked token rejected after the window" 401

api_stop
check_eq "server stops cleanly" 0 "$stop_status"
finish
