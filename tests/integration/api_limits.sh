#!/usr/bin/env bash
# Drives a real server as a hostile or careless client would. It sends
# missing, wrong, revoked and expired tokens, calls admin routes as a member
# and bursts past the rate limit. It sends bodies over the limit, malformed
# and deeply nested JSON, unknown routes and methods, and oversized request
# targets and headers. Then it checks /healthz and /metrics, and a SIGTERM
# while slow requests are in flight.
. "$(dirname "$0")/api_lib.sh"

api_start --rate-limit 0 --body-max 4096 || { finish; exit 1; }
api_org A
api_org LE
api_user m1 A member
api_user le1 LE le
MEMBER=$(api_token m1)
LE=$(api_token le1)
IOC='{"kind": "ioc", "purpose": "research", "indicators": ["81.29.134.120"]}'

# audit_count ACTION: entries with that action, through the API as admin.
audit_count() {
	req GET "/api/v1/audit?limit=1000" "$ADMIN_TOKEN"
	jget 'sum(1 for e in j["entries"] if e["action"] == "'"$1"'")'
}

# ---- tokens ---------------------------------------------------------------
req POST /api/v1/reports "" "$IOC"
check_error "POST without a token" 401 unauthorized ""
req GET /api/v1/me ""
check_error "me without a token" 401 unauthorized ""
req GET /api/v1/audit ""
check_error "audit without a token" 401 unauthorized ""

rejects=$(audit_count token.reject)
req POST /api/v1/reports "cth_not-a-real-token" "$IOC"
check_error "POST with a wrong token" 401 unauthorized ""
req GET /api/v1/reports "cth_not-a-real-token"
check_error "GET with a wrong token" 401 unauthorized ""
check_eq "wrong tokens are audited" $((rejects + 2)) "$(audit_count token.reject)"

status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic bTE6cGFzcw==" \
	"$API_URL/api/v1/me")
check_eq "Basic authorization" 401 "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer " "$API_URL/api/v1/me")
check_eq "empty bearer token" 401 "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(head -c 5000 /dev/zero | tr '\0' x)" \
	"$API_URL/api/v1/me")
check_eq "token of 5000 bytes" 401 "$status"
check_eq "malformed headers are audited" $((rejects + 5)) "$(audit_count token.reject)"

req GET /api/v1/me "$MEMBER"
check_code "me" 200
check_eq "me user" m1 "$(jget 'j["user"]')"
check_eq "me role" member "$(jget 'j["role"]')"

doomed=$(api_token m1)
req GET /api/v1/me "$doomed"
check_code "token before revoking" 200
ctihub token revoke "$(jget 'j["token_id"]')" >/dev/null || fail "token revoke failed"
req GET /api/v1/me "$doomed"
check_error "revoked token" 401 unauthorized ""
check_contains "revoked token message" "revoked" "$(jget 'j["error"]["message"]')"
req POST /api/v1/reports "$doomed" "$IOC"
check_error "revoked token POST" 401 unauthorized ""

short=$(api_token m1 --expires 1s)
sleep 2
req GET /api/v1/me "$short"
check_error "expired token" 401 unauthorized ""
check_contains "expired token message" "expired" "$(jget 'j["error"]["message"]')"

# ---- roles ----------------------------------------------------------------
denied=$(audit_count audit.read)
req GET /api/v1/audit "$MEMBER"
check_error "member reads the audit log" 403 forbidden ""
req GET /api/v1/audit "$LE"
check_error "le reads the audit log" 403 forbidden ""
check_eq "refused admin actions are audited" $((denied + 2)) "$(audit_count audit.read)"
req GET "/api/v1/audit?limit=2" "$ADMIN_TOKEN"
check_code "admin reads the audit log" 200
check_eq "audit limit" 2 "$(jget 'len(j["entries"])')"
check_eq "audit entry fields" '["action", "actor", "client", "detail", "id", "object", "outcome", "sha256", "time"]' \
	"$(jget 'sorted(j["entries"][0])')"
req GET "/api/v1/audit?limit=1001" "$ADMIN_TOKEN"
check_error "audit limit over the maximum" 400 invalid limit
req GET "/api/v1/audit?since=2999-01-01T00:00:00Z" "$ADMIN_TOKEN"
check_eq "audit since the future" "[]" "$(jget 'j["entries"]')"
check_eq "audit short page has no next" null "$(jget 'j["next"]')"

# Pages follow each other through the next cursor, with no gap or overlap.
req GET "/api/v1/audit?limit=3" "$ADMIN_TOKEN"
first_ids=$(jget '[e["id"] for e in j["entries"]]')
next=$(jget 'j["next"]')
check_eq "audit next is the last id" "$next" "$(jget 'j["entries"][-1]["id"]')"
req GET "/api/v1/audit?limit=3&after=$next" "$ADMIN_TOKEN"
check_eq "audit next page starts after the cursor" true \
	"$(jget "j['entries'][0]['id'] > $next")"
req GET "/api/v1/audit?limit=6" "$ADMIN_TOKEN"
check_eq "audit pages join up" "$first_ids" "$(jget '[e["id"] for e in j["entries"][:3]]')"
fourth=$(jget 'j["entries"][3]["id"]')
for bad in -1 abc 1.5 +3 07; do
	req GET "/api/v1/audit?after=$bad" "$ADMIN_TOKEN"
	check_error "audit after $bad" 400 invalid after
done
req GET "/api/v1/audit?limit=+5" "$ADMIN_TOKEN"
check_error "audit limit with a sign" 400 invalid limit
check_eq "cli audit --after pages on" "$fourth" "$(ctihub audit --after "$next" --limit 1 | cut -f1)"
check_status "cli audit --after abc" 2 ctihub audit --after abc

# ---- bodies ---------------------------------------------------------------
before=$(report_count)
req POST /api/v1/reports "$MEMBER" "$(json_build '{"kind": "ioc", "purpose": "research",
	"indicators": ["81.29.134.120"], "details": "x" * 5000}')"
check_error "body over --body-max" 413 too_large ""
# The same without Content-Length: the server reads and drops the rest.
status=$(json_build '{"kind": "ioc", "purpose": "research", "indicators": ["81.29.134.120"],
	"details": "x" * 5000}' | curl -s -o "$TEST_DIR/chunked" -w '%{http_code}' \
	-H "Authorization: Bearer $MEMBER" -H 'Transfer-Encoding: chunked' --data-binary @- \
	"$API_URL/api/v1/reports")
check_eq "chunked body over --body-max" 413 "$status"
req POST /api/v1/reports "$MEMBER" ""
check_error "empty body" 400 invalid ""

req POST /api/v1/reports "$MEMBER" '{"kind": "ioc",
  "purpose": }'
check_error "malformed JSON" 400 invalid ""
# The value is missing where "}" is: line 2, column 14.
check_contains "malformed JSON position" "line 2, column 14" "$(jget 'j["error"]["message"]')"
req POST /api/v1/reports "$MEMBER" '{"kind": "ioc"'
check_error "truncated JSON" 400 invalid ""
check_contains "truncated JSON position" "line 1" "$(jget 'j["error"]["message"]')"
req POST /api/v1/reports "$MEMBER" "$(printf '{"kind": "ioc\xff"}')"
check_error "invalid UTF-8" 400 invalid ""

# Depth 32 parses (and then fails on the unknown field x); depth 33 does not.
nested() {
	printf '{"kind": "ioc", "x": %s1%s}' "$(printf '[%.0s' $(seq "$1"))" \
		"$(printf ']%.0s' $(seq "$1"))"
}
req POST /api/v1/reports "$MEMBER" "$(nested 31)"
check_error "JSON nested 32 deep" 400 invalid x
req POST /api/v1/reports "$MEMBER" "$(nested 32)"
check_error "JSON nested 33 deep" 400 invalid ""
check_contains "JSON nested 33 deep message" "deeper than 32" "$(jget 'j["error"]["message"]')"
# Brackets inside strings do not count.
req POST /api/v1/reports "$MEMBER" "{\"kind\": \"ioc\", \"purpose\": \"research\",
	\"indicators\": [\"81.29.134.120\"], \"details\": \"$(printf '[%.0s' $(seq 100))\"}"
check_code "brackets inside a string" 201
before=$((before + 1))

req POST /api/v1/reports "$MEMBER" '{"kind": "ioc", "kind": "vuln"}'
check_error "duplicate keys" 400 invalid ""
check_contains "duplicate keys message" "duplicate" "$(jget 'j["error"]["message"]')"
for json in '[]' '"ioc"' 42 null true '[{"kind": "ioc"}]'; do
	req POST /api/v1/reports "$MEMBER" "$json"
	check_error "non-object body $json" 400 invalid ""
done
req POST /api/v1/reports "$MEMBER" '{"kind": "ioc", "purpose": "research", "indicators": ["\u0000"]}'
check_error "NUL in a string" 400 invalid ""
check_eq "rejected bodies store nothing" "$before" "$(report_count)"

# ---- routes and methods --------------------------------------------------------
for path in /api/v1/nope /api/v2/reports /api/v1/reports/1/extra /api/v1/indicators/ipv4 / /api; do
	req GET "$path" "$MEMBER"
	check_error "unknown route $path" 404 not_found ""
done
req GET "/api/v1/reports/%00" "$MEMBER"
check_error "encoded NUL in the path" 400 invalid ""

while IFS='|' read -r method path allow; do
	req "$method" "$path" "$MEMBER"
	check_error "$method $path" 405 method_not_allowed ""
	check_eq "$method $path Allow" "$allow" "$(header Allow)"
	check_eq "$method $path is JSON" application/json "$(header Content-Type)"
done <<'EOF'
DELETE|/api/v1/reports|POST, GET, HEAD
PUT|/api/v1/reports/1|GET, HEAD
POST|/api/v1/me|GET, HEAD
POST|/healthz|GET, HEAD
PATCH|/api/v1/audit|GET, HEAD
EOF

status=$(curl -s -o /dev/null -w '%{http_code}' "$API_URL/api/v1/search?q=$(head -c 9000 /dev/zero | tr '\0' a)")
check_eq "request target over 8192 bytes" 414 "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Padding: $(head -c 17000 /dev/zero | tr '\0' a)" \
	"$API_URL/healthz")
check_eq "headers over 16384 bytes" 431 "$status"
req GET "/api/v1/search?q=$(head -c 5000 /dev/zero | tr '\0' a)" "$MEMBER"
check_error "search text over the maximum" 400 invalid q
req GET "/api/v1/search" "$MEMBER"
check_error "search without q" 400 invalid q

# ---- health and metrics ------------------------------------------------------
req GET /healthz ""
check_code "healthz" 200
check_eq "healthz body" '{"status":"ok"}' "$body"
status=$(curl -s -I -o "$TEST_DIR/head" -w '%{http_code}' "$API_URL/healthz")
check_eq "HEAD healthz" 200 "$status"

req GET /metrics ""
check_code "metrics" 200
check_contains "metrics content type" "text/plain" "$(header Content-Type)"
check_contains "metrics requests by route" \
	'ctihub_http_requests_total{route="/api/v1/reports",method="POST",status="201"} 1' "$body"
check_contains "metrics 401 on POST" \
	'ctihub_http_requests_total{route="/api/v1/reports",method="POST",status="401"}' "$body"
check_contains "metrics route pattern, not path" \
	'ctihub_http_requests_total{route="/api/v1/reports/{id}",method="PUT",status="405"} 1' "$body"
check_contains "metrics unknown paths share one label" \
	'ctihub_http_requests_total{route="unmatched",method="GET",status="404"}' "$body"
check_eq "metrics never label a raw path" "" "$(grep -o 'route="/api/v1/nope"' <<<"$body")"
check_contains "metrics latency histogram" \
	'ctihub_http_request_duration_seconds_count{route="/api/v1/me"}' "$body"
check_eq "metrics indicators gauge" "$(sql 'SELECT COUNT(*) FROM indicators')" \
	"$(sed -n 's/^ctihub_indicators //p' <<<"$body")"
check_eq "metrics reports gauge" "$(report_count)" "$(sed -n 's/^ctihub_reports //p' <<<"$body")"

api_stop
check_stopped "first server stops"

# ---- metrics token -------------------------------------------------------------
check_status "metrics token too short" 2 env CTIHUB_METRICS_TOKEN=short \
	"$CTIHUB_BIN" serve --listen 127.0.0.1:1
metrics_token=metrics-token-0123456789abcdef

# ---- rate limit: 2 requests per second per token, bursts of 4 ---------------
CTIHUB_METRICS_TOKEN=$metrics_token api_start --rate-limit 2 || { finish; exit 1; }
req GET /metrics ""
check_error "metrics without the token" 401 unauthorized ""
req GET /metrics "$MEMBER"
check_error "metrics with an API token" 401 unauthorized ""
req GET /metrics "${metrics_token}x"
check_error "metrics with a longer token" 401 unauthorized ""
req GET /metrics "$metrics_token"
check_code "metrics with the token" 200
check_contains "metrics body with the token" "ctihub_indicators" "$body"
check_eq "metrics token not logged" "" "$(grep -o "$metrics_token" "$SERVER_LOG" | head -1)"
codes=""
for i in $(seq 10); do
	req GET /api/v1/me "$MEMBER"
	codes="$codes $status"
	if [ "$status" = 429 ]; then
		retry_after=$(header Retry-After)
		limited_body=$body
	fi
done
check_contains "burst gets 429" 429 "$codes"
check_eq "burst starts with the burst allowance" " 200 200 200 200" "${codes:0:16}"
check_eq "Retry-After is whole seconds from 1" 1 "$([[ "${retry_after:-}" =~ ^[1-9][0-9]*$ ]] && echo 1)"
body=$limited_body
status=429
check_error "rate-limited reply" 429 rate_limited ""
req GET /api/v1/me "$LE"
check_code "another token is not limited" 200
sleep "${retry_after:-1}"
req GET /api/v1/me "$MEMBER"
check_code "after Retry-After" 200

# Rejected tokens and anonymous reads are limited per client address, and
# a rejected token over the limit writes no audit entry.
rejects=$(audit_count token.reject)
codes=""
for i in $(seq 10); do
	req GET /api/v1/me "cth_wrong$i"
	codes="$codes $status"
done
check_eq "wrong tokens: burst of 4, then 429" " 401 401 401 401 429 429 429 429 429 429" "$codes"
check_eq "limited rejects are not audited" $((rejects + 4)) "$(audit_count token.reject)"
sleep 2
codes=""
for i in $(seq 6); do
	req GET /api/v1/reports ""
	codes="$codes $status"
done
check_contains "anonymous reads are limited" 429 "$codes"
api_stop
check_stopped "rate-limited server stops"

# ---- SIGTERM with requests in flight ------------------------------------------------
# Three uploads of about 300 KB at 100 KB/s take about 3 s each, so they are
# still being read when SIGTERM arrives. Eight reads of the large report at
# the same time, at 200 KB/s. Every one must finish with its normal status.
api_start --rate-limit 0 --threads 4 || { finish; exit 1; }
require_shared sigmahq-sigma
json_build '{"kind": "hunting", "rule_type": "sigma", "rule": open(a[0]).read()}' \
	"$SHARED/sigmahq-sigma/windows_driver_load/driver_load_win_vuln_drivers.yml" >"$TEST_DIR/big.json"
req_file POST /api/v1/reports "$MEMBER" "$TEST_DIR/big.json"
check_code "large report" 201
big_id=$(jget 'j["id"]')
reports_before=$(report_count)

pids=()
for i in 1 2 3; do
	curl -s -m 60 --limit-rate 100k -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $MEMBER" \
		--data-binary "@$TEST_DIR/big.json" "$API_URL/api/v1/reports" >"$TEST_DIR/post$i" 2>&1 &
	pids+=($!)
done
for i in $(seq 8); do
	curl -s -m 60 --limit-rate 200k -o "$TEST_DIR/get$i.body" -w '%{http_code}' \
		-H "Authorization: Bearer $MEMBER" "$API_URL/api/v1/reports/$big_id" >"$TEST_DIR/get$i" 2>&1 &
	pids+=($!)
done
# Wait (at most 5 s) until the uploads are in flight (the gauge counts the
# metrics request too) and every read has started to receive its body. A
# read leaves the gauge once its response is queued, and waiting for the
# uploads alone let a slow machine send SIGTERM before the last read had
# connected, so that read was refused.
for i in $(seq 50); do
	in_flight=$(curl -s -m 2 "$API_URL/metrics" | sed -n 's/^ctihub_http_requests_in_flight //p')
	reading=0
	for j in $(seq 8); do
		[ -s "$TEST_DIR/get$j.body" ] && reading=$((reading + 1))
	done
	[ "${in_flight:-0}" -ge 4 ] && [ "$reading" -eq 8 ] && break
	sleep 0.1
done
kill -TERM "$SERVER_PID"

# A client that connects once the server is draining is refused at once,
# instead of waiting in the backlog and being reset when the drain ends.
for i in $(seq 50); do
	grep -q 'Stopping:' "$SERVER_LOG" && break
	sleep 0.1
done
late_start=$(date +%s%N)
curl -s -m 20 -o /dev/null "$API_URL/healthz"
late_exit=$?
late_ms=$((($(date +%s%N) - late_start) / 1000000))
check_eq "connection while draining is refused" 7 "$late_exit"
check_eq "connection while draining fails within 1 s" 1 "$([ "$late_ms" -lt 1000 ] && echo 1)"

for pid in "${pids[@]}"; do
	wait "$pid"
done
for i in 1 2 3; do
	check_eq "upload $i in flight at SIGTERM" 201 "$(cat "$TEST_DIR/post$i")"
done
for i in $(seq 8); do
	check_eq "read $i in flight at SIGTERM" 200 "$(cat "$TEST_DIR/get$i")"
	check_eq "read $i complete" "$(wc -c <"$TEST_DIR/get1.body")" "$(wc -c <"$TEST_DIR/get$i.body")"
done
check_eq "read body is the report" "$big_id" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TEST_DIR/get1.body")"
api_stop
check_stopped "server stops after draining"
check_contains "drain logged" "Requests in flight:" "$(cat "$SERVER_LOG")"
check_eq "database intact" ok "$(sql 'PRAGMA integrity_check')"
check_eq "uploads stored" $((reports_before + 3)) "$(report_count)"

finish
