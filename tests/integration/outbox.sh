#!/usr/bin/env bash
# Referral notifications end to end, through a real server, a mock webhook
# receiver and a local aiosmtpd server (tests/integration/mock_receiver.py):
#
# - a referral committed while no receiver runs survives a SIGKILL of the
#   server and is delivered after the restart;
# - the receiver fails the first two attempts of every message, and each
#   idempotency key still ends in exactly one successful delivery;
# - email goes out over SMTP as an RFC 5322 message;
# - the Slack and Mattermost payloads have the documented shape;
# - a sink that never accepts a connection ends in the dead-letter list, which
#   'ctihub outbox' shows and 'ctihub outbox retry' requeues;
# - details of an AMBER+STRICT referral and the text of an internal reply
#   reach no sink that may not have them;
# - a message queued with RED details is not sent after its sink's tlp_max
#   was lowered, even through 'ctihub outbox retry'.
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/mock_lib.sh"

HOOK_LOG="$TEST_DIR/hook.jsonl"
MAIL_LOG="$TEST_DIR/mail.jsonl"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for NAME SECONDS COMMAND...: runs COMMAND every 0.2 s until it
# succeeds, and records a failure if it does not within SECONDS.
wait_for() {
	local name=$1 seconds=$2 i
	shift 2

	for i in $(seq $((seconds * 5))); do
		"$@" && { pass; return 0; }
		sleep 0.2
	done
	fail "$name: not true after $seconds s; outbox:
$(ctihub outbox --state all 2>&1 | head -30)"
	return 1
}

outbox_count() {
	sql "SELECT COUNT(*) FROM outbox WHERE state = '$1'${2:+ AND $2}"
}

no_pending_except_broken() {
	[ "$(outbox_count pending "sink != 'broken'")" = 0 ]
}

broken_is_dead() {
	[ "$(outbox_count dead "sink = 'broken'")" -ge 1 ]
}

all_delivered() {
	[ "$(outbox_count pending)" = 0 ]
}

# hook_py EXPR: evaluates the Python expression EXPR with records bound
# to the list of webhook requests and prints the result like jget.
hook_py() {
	python3 -c '
import json, sys
records = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1" "$HOOK_LOG"
}

HOOK_PORT=$(free_port)
SMTP_PORT=$(free_port)
BROKEN_PORT=$(free_port)
export CTIHUB_CONFIG="$TEST_DIR/ctihub.yaml"
cat >"$CTIHUB_CONFIG" <<EOF
public_url: https://hub.example.org
notify:
  max_attempts: 6
  backoff: 1s
  backoff_max: 2s
  poll: 1s
  sinks:
    - name: desk
      type: webhook
      url: http://127.0.0.1:$HOOK_PORT/desk
      tlp_max: RED
      timeout: 5s
    - name: hook
      type: webhook
      url: http://127.0.0.1:$HOOK_PORT/hook
    - name: slack
      type: slack
      url: http://127.0.0.1:$HOOK_PORT/slack
    - name: mm
      type: mattermost
      url: http://127.0.0.1:$HOOK_PORT/mm
    - name: mail
      type: email
      url: smtp://127.0.0.1:$SMTP_PORT
      from: ctihub@example.org
      to: [le-desk@example.org]
    - name: broken
      type: webhook
      url: http://127.0.0.1:$BROKEN_PORT/never
      events: [referral.created]
      timeout: 2s
EOF
year=$(date -u +%Y)

# ---- a bad configuration stops the server at start ---------------------------
printf 'notify:\n  sinks:\n    - name: x\n      type: webhook\n      url: http://127.0.0.1/\n      tlpmax: RED\n' \
	>"$TEST_DIR/bad.yaml"
out=$(ctihub --config "$TEST_DIR/bad.yaml" serve --listen 127.0.0.1:1 2>&1)
check_contains "bad key named with its place" "notify.sinks[0]: unknown key 'tlpmax'" "$out"
out=$(ctihub --config "$TEST_DIR/missing.yaml" outbox deliver 2>&1)
check_contains "missing configuration file" "missing.yaml" "$out"

# ---- the example of docs/configuration.md loads ------------------------------------
awk '/^```yaml/ { inside = 1; next } /^```/ { if (inside) exit } inside' \
	"$CTIHUB_SOURCE_ROOT/docs/configuration.md" >"$TEST_DIR/doc.yaml"
check_contains "documented example extracted" "password_env: CTIHUB_SMTP_PASSWORD" "$(cat "$TEST_DIR/doc.yaml")"
out=$(CTIHUB_SMTP_PASSWORD=example ctihub --db "$TEST_DIR/doc.db" --config "$TEST_DIR/doc.yaml" \
	outbox deliver 2>&1)
check_eq "documented example loads" "delivered 0, failed 0" "$out"
out=$(ctihub --db "$TEST_DIR/doc.db" --config "$TEST_DIR/doc.yaml" outbox deliver 2>&1)
check_contains "password variable must be set" "CTIHUB_SMTP_PASSWORD, which is not set" "$out"

# ---- committed, then SIGKILL before any delivery ------------------------------
api_start --rate-limit 0 || { finish; exit 1; }
api_org Members
api_org Police
api_user alice Members member
api_user officer Police le
alice=$(api_token alice)
officer=$(api_token officer)

req POST /api/v1/referrals "$alice" '{"summary": "Phishing kit imitating a hospital login",
	"incident_type": "fraud or scam", "objective": "takedown", "victim_location": "DE",
	"tlp": "AMBER"}'
check_code "open referral" 201
ref1=$(jget 'j["id"]')
check_eq "referral number" "LE-$year-0001" "$ref1"
check_eq "one message per sink" 6 "$(sql "SELECT COUNT(*) FROM outbox WHERE object = '$ref1'")"

kill -KILL "$SERVER_PID"
{ wait "$SERVER_PID"; } 2>/dev/null
SERVER_PID=""
check_eq "nothing delivered before the crash" 0 "$(outbox_count delivered)"
check_eq "all six survive the crash" 6 "$(outbox_count pending)"

# ---- restart with the receivers up ---------------------------------------------
start_mock python3 "$TEST_DIR/hook.port" --port "$HOOK_PORT" --log "$HOOK_LOG" --fail-first 2 ||
	{ finish; exit 1; }
start_mock "$SMTP_PYTHON" "$TEST_DIR/smtp.port" --smtp --port "$SMTP_PORT" --log "$MAIL_LOG" ||
	{ finish; exit 1; }
api_start --rate-limit 0 || { finish; exit 1; }
wait_for "delivered after the restart" 60 no_pending_except_broken
check_eq "five delivered" 5 "$(outbox_count delivered)"

# ---- retries and idempotency keys ------------------------------------------------
check_eq "each webhook message tried three times, ending in one 200" \
	'{"/desk": [503, 503, 200], "/hook": [503, 503, 200], "/mm": [503, 503, 200], "/slack": [503, 503, 200]}' \
	"$(hook_py '{p: [r["status"] for r in records if r["path"] == p] for p in sorted({r["path"] for r in records})}')"
check_eq "one key per message, the same on every attempt" 4 \
	"$(hook_py 'len({r["headers"]["idempotency-key"] for r in records})')"
check_eq "each key delivered successfully exactly once" '[1, 1, 1, 1]' \
	"$(hook_py 'sorted(sum(1 for r in records if r["status"] == 200 and r["headers"]["idempotency-key"] == k) for k in {r["headers"]["idempotency-key"] for r in records})')"
check_eq "keys match the outbox" \
	"$(sql "SELECT idempotency_key FROM outbox WHERE sink IN ('desk', 'hook', 'mm', 'slack') ORDER BY idempotency_key" | tr '\n' ' ')" \
	"$(hook_py '" ".join(sorted({r["headers"]["idempotency-key"] for r in records})) + " "')"
check_eq "headers" '["application/json", "ctihub"]' \
	"$(hook_py 'sorted({r["headers"]["content-type"] for r in records} | {r["headers"]["user-agent"] for r in records})')"
# Three attempts after the restart, plus one refused before the crash
# when the worker reached the message in time.
attempts=$(sql "SELECT attempts FROM outbox WHERE sink = 'hook'")
case "$attempts" in
3 | 4) pass ;;
*) fail "attempts recorded: expected 3 or 4, got [$attempts]" ;;
esac

# ---- payload shapes ------------------------------------------------------------------
check_eq "webhook payload" "referral.created $ref1 AMBER https://hub.example.org/api/v1/referrals/$ref1 Phishing kit imitating a hospital login" \
	"$(hook_py '" ".join([(b := json.loads([r for r in records if r["path"] == "/hook"][-1]["body"]))["event"], b["referral"]["id"], b["referral"]["tlp"], b["referral"]["url"], b["referral"]["summary"]])')"
check_eq "webhook key in the body matches the header" true \
	"$(hook_py 'all(json.loads(r["body"])["idempotency_key"] == r["headers"]["idempotency-key"] for r in records if r["path"] in ("/hook", "/desk"))')"
check_eq "slack block kit shape" "str header section actions context" \
	"$(hook_py '" ".join([type((b := json.loads([r for r in records if r["path"] == "/slack"][-1]["body"]))["text"]).__name__] + [blk["type"] for blk in b["blocks"]])')"
check_eq "slack header and button" "New referral $ref1 https://hub.example.org/api/v1/referrals/$ref1" \
	"$(hook_py '" ".join([(b := json.loads([r for r in records if r["path"] == "/slack"][-1]["body"]))["blocks"][0]["text"]["text"], b["blocks"][2]["elements"][0]["url"]])')"
check_eq "slack fields" true \
	"$(hook_py 'any(f["text"] == "*TLP*\nAMBER" for f in json.loads([r for r in records if r["path"] == "/slack"][-1]["body"])["blocks"][1]["fields"])')"
check_eq "mattermost shape" '["text", "username"] ctihub' \
	"$(hook_py 'json.dumps(sorted((b := json.loads([r for r in records if r["path"] == "/mm"][-1]["body"])).keys())) + " " + b["username"]')"
check_contains "mattermost text" "Phishing kit imitating a hospital login" \
	"$(hook_py 'json.loads([r for r in records if r["path"] == "/mm"][-1]["body"])["text"]')"

# ---- email ---------------------------------------------------------------------------
mail_key=$(sql "SELECT idempotency_key FROM outbox WHERE sink = 'mail'")
mail=$(python3 -c '
import email, json, sys
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
m = email.message_from_string(records[0]["data"])
print(len(records), records[0]["mail_from"], ",".join(records[0]["rcpt_tos"]))
print(m["From"], m["To"], m["Subject"], m["Message-ID"], m.get_content_type(), m.get_content_charset())
print(m["Date"] is not None)
print(m.get_payload())
' "$MAIL_LOG")
check_contains "one message, envelope" "1 ctihub@example.org le-desk@example.org" "$mail"
check_contains "headers" "<ctihub@example.org> <le-desk@example.org> New referral $ref1 <$mail_key@example.org> text/plain utf-8" "$mail"
check_contains "date header" "True" "$mail"
check_contains "body" "Summary: Phishing kit imitating a hospital login" "$mail"
check_contains "link" "Open it in ctihub: https://hub.example.org/api/v1/referrals/$ref1" "$mail"

# ---- dead letters --------------------------------------------------------------------
wait_for "unreachable sink ends dead" 60 broken_is_dead
out=$(ctihub outbox)
check_contains "dead list header" "LAST ERROR" "$out"
check_contains "dead list row" "broken" "$out"
check_contains "dead list error" "Failed to connect to 127.0.0.1 port $BROKEN_PORT" "$out"
check_eq "six attempts" 6 "$(sql "SELECT attempts FROM outbox WHERE sink = 'broken'")"
dead_id=$(ctihub outbox --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
check_eq "json lists the dead message" "broken dead 6" \
	"$(ctihub outbox --json | python3 -c 'import json, sys; r = json.load(sys.stdin)[0]; print(r["sink"], r["state"], r["attempts"])')"
check_eq "pending list is empty" "no pending notifications" "$(ctihub outbox --state pending)"
check_contains "all lists every state" "delivered" "$(ctihub outbox --state all)"
check_status "unknown state" 2 ctihub outbox --state lost
check_status "retry needs an id" 2 ctihub outbox retry
check_status "retry of a delivered message" 1 ctihub outbox retry \
	"$(sql "SELECT id FROM outbox WHERE sink = 'hook'")"

start_mock python3 "$TEST_DIR/broken.port" --port "$BROKEN_PORT" --log "$TEST_DIR/broken.jsonl" ||
	{ finish; exit 1; }
out=$(ctihub outbox retry "$dead_id")
check_contains "retry requeues" "notification $dead_id requeued" "$out"
check_eq "retry audited" "outbox.retry outbox:$dead_id" \
	"$(sql "SELECT action || ' ' || object FROM audit_log ORDER BY id DESC LIMIT 1")"
wait_for "requeued message delivered" 30 all_delivered
check_eq "dead list empty" "no dead notifications" "$(ctihub outbox)"

# ---- TLP withholding and internal replies -------------------------------------------
: >"$HOOK_LOG"
req POST /api/v1/referrals "$alice" '{"summary": "Extortion of a named hospital director",
	"incident_type": "fraud", "objective": "investigation", "victim_location": "Ulm",
	"tlp": "AMBER+STRICT"}'
check_code "open AMBER+STRICT referral" 201
ref2=$(jget 'j["id"]')
req POST "/api/v1/referrals/$ref1/replies" "$officer" \
	'{"body": "Internal: the registrant is a known informant", "internal": true}'
check_code "internal reply" 201
req POST "/api/v1/referrals/$ref1/replies" "$officer" '{"body": "Thank you, we asked the host."}'
check_code "public reply" 201
wait_for "TLP messages delivered" 60 all_delivered

check_eq "AMBER+STRICT details only to the RED desk" '["/desk"]' \
	"$(hook_py 'sorted({r["path"] for r in records if "hospital director" in r["body"]})')"
check_eq "every sink told about the AMBER+STRICT referral" '["/desk", "/hook", "/mm", "/slack"]' \
	"$(hook_py 'sorted({r["path"] for r in records if r["status"] == 200 and "'"$ref2"'" in r["body"]})')"
check_contains "slack gets the minimal text" \
	"New referral $ref2, open it in ctihub: https://hub.example.org/api/v1/referrals/$ref2" \
	"$(hook_py '[json.loads(r["body"])["text"] for r in records if r["path"] == "/slack" and "'"$ref2"'" in r["body"]][-1]')"
check_eq "webhook marks the details withheld" '[true, false]' \
	"$(hook_py '[(ref := json.loads([r for r in records if r["path"] == "/hook" and "'"$ref2"'" in r["body"]][-1]["body"])["referral"])["details_withheld"], "summary" in ref]')"
check_eq "internal reply text reaches no webhook" 0 "$(grep -c informant "$HOOK_LOG")"
check_eq "internal reply text reaches no mailbox" 0 "$(grep -c informant "$MAIL_LOG")"
check_eq "internal reply text not even in the outbox" 0 \
	"$(sql "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%informant%'")"
check_eq "public reply reaches the sinks" '["/desk", "/hook", "/mm", "/slack"]' \
	"$(hook_py 'sorted({r["path"] for r in records if r["status"] == 200 and "we asked the host" in r["body"]})')"
check_contains "public reply by mail" "we asked the host" "$(cat "$MAIL_LOG")"
check_eq "AMBER+STRICT details not in the mailbox above its tlp_max" 0 \
	"$(grep -c 'hospital director' "$MAIL_LOG")"

# ---- delivery by hand ------------------------------------------------------------------
api_stop
check_stopped "server stops with the worker"
out=$(ctihub outbox deliver)
check_eq "nothing due" "delivered 0, failed 0" "$out"
out=$(CTIHUB_CONFIG= ctihub outbox deliver 2>&1)
check_contains "deliver needs sinks" "no notification sinks are configured" "$out"

# ---- a sink's tlp_max lowered while its message waits ------------------------------
# The desk's message for a RED referral is rendered with the details while
# the desk's receiver is down. The desk's tlp_max then drops to GREEN, so the
# details must not go out after the restart, nor after 'ctihub outbox retry'.
kill -TERM "${mock_pids[0]}"
wait "${mock_pids[0]}" 2>/dev/null
: >"$HOOK_LOG"
api_start --rate-limit 0 || { finish; exit 1; }
req POST /api/v1/referrals "$alice" '{"summary": "Seized ledger of a RED-only operation",
	"incident_type": "fraud", "objective": "investigation", "tlp": "RED"}'
check_code "open RED referral" 201
ref3=$(jget 'j["id"]')
api_stop
check_stopped "server stops while the desk's receiver is down"
check_eq "desk message queued with RED details" "pending|4|1|webhook" \
	"$(sql "SELECT state, tlp, details, sink_type FROM outbox WHERE object = '$ref3' AND sink = 'desk'")"
desk_id=$(sql "SELECT id FROM outbox WHERE object = '$ref3' AND sink = 'desk'")

sed -i 's/tlp_max: RED/tlp_max: GREEN/' "$CTIHUB_CONFIG"
check_contains "desk lowered to GREEN" "tlp_max: GREEN" "$(cat "$CTIHUB_CONFIG")"
start_mock python3 "$TEST_DIR/hook.port" --port "$HOOK_PORT" --log "$HOOK_LOG" ||
	{ finish; exit 1; }
api_start --rate-limit 0 || { finish; exit 1; }
wait_for "RED referral's messages handled" 60 all_delivered
api_stop
check_eq "desk message dead, not sent" "dead" "$(sql "SELECT state FROM outbox WHERE id = $desk_id")"
check_contains "dead-letter reason" \
	"not sent: TLP:RED details exceed the sink's tlp_max GREEN; the sink's settings changed after it was queued" \
	"$(sql "SELECT last_error FROM outbox WHERE id = $desk_id")"
check_contains "dead list shows the reason" "tlp_max GREEN" "$(ctihub outbox)"
check_eq "desk receiver got nothing" 0 "$(hook_py 'sum(1 for r in records if r["path"] == "/desk")')"
check_eq "other sinks got the minimal notice" '["/hook", "/mm", "/slack"]' \
	"$(hook_py 'sorted({r["path"] for r in records if r["status"] == 200 and "'"$ref3"'" in r["body"]})')"
check_eq "RED summary reaches no webhook" 0 "$(grep -c 'Seized ledger' "$HOOK_LOG")"
check_eq "RED summary reaches no mailbox" 0 "$(grep -c 'Seized ledger' "$MAIL_LOG")"

out=$(ctihub outbox retry "$desk_id")
check_contains "blocked message requeued" "notification $desk_id requeued" "$out"
out=$(ctihub outbox deliver 2>/dev/null)
check_eq "retry rejected again at delivery" "delivered 0, failed 1" "$out"
check_eq "dead again after the retry" "dead" "$(sql "SELECT state FROM outbox WHERE id = $desk_id")"
check_eq "desk receiver still got nothing" 0 \
	"$(hook_py 'sum(1 for r in records if r["path"] == "/desk")')"
check_eq "RED summary still reaches no webhook" 0 "$(grep -c 'Seized ledger' "$HOOK_LOG")"

finish
