#!/usr/bin/env bash
# Scheduled digests end to end: `ctihub serve` with digests in its
# configuration, sinks pointing at tests/integration/mock_receiver.py (HTTP
# and SMTP), and the clock moved with CTIHUB_NOW to simulate days passing:
#
# - on its first start a digest sends only the most recent period, one
#   message per sink;
# - a restart at the same time sends nothing again;
# - a restart three days later sends the three missed periods, oldest
#   first, and each period reaches each sink exactly once;
# - the email is multipart/alternative with a plain-text and an HTML part,
#   and the HTML carries the SVG chart;
# - Slack gets mrkdwn text, Mattermost Markdown, a webhook the digest JSON;
# - a member digest carries no value that only AMBER+STRICT or RED
#   reports contain;
# - the configuration rejects an unknown key, a bad schedule, an unknown
#   time zone and an unknown sink.
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/mock_lib.sh"

HOOK_LOG="$TEST_DIR/hook.jsonl"
MAIL_LOG="$TEST_DIR/mail.jsonl"

epoch() {
	date -u -d "$1" +%s
}

# records FILE EXPR: evaluates EXPR with r bound to the JSON lines of FILE
# (an empty list when it does not exist) and prints the result.
records() {
	python3 -c '
import json, os, sys
path = sys.argv[1]
r = [json.loads(line) for line in open(path, encoding="utf-8")] if os.path.exists(path) else []
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1" "$2"
}

# hook_count PATH: webhook requests to PATH that got status 200.
hook_count() {
	records "$HOOK_LOG" "len([x for x in r if x['path'] == '$1' and x['status'] == 200])"
}

mail_count() {
	records "$MAIL_LOG" "len(r)"
}

outbox_pending() {
	sql "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
}

# wait_delivered NAME COUNT: waits up to 30 s until the outbox contains
# COUNT delivered digests and nothing pending.
wait_delivered() {
	local i delivered

	for i in $(seq 150); do
		delivered=$(sql "SELECT COUNT(*) FROM outbox WHERE event = 'digest' AND state = 'delivered'")
		if [ "$delivered" = "$2" ] && [ "$(outbox_pending)" = 0 ]; then
			pass
			return 0
		fi
		sleep 0.2
	done
	fail "$1: expected $2 delivered digests, have $delivered; outbox:
$(sql "SELECT id, sink, object, state, last_error FROM outbox")
log:
$(tail -20 "$SERVER_LOG")"
}

# serve_at TIME: runs the server with its clock pinned at TIME until the
# outbox is empty, then stops it.
serve_at() {
	CTIHUB_NOW=$(epoch "$1") api_start || exit 1
	# The scheduler's first pass runs at start; give it a moment to queue.
	sleep 1
}

stop_server() {
	api_stop
	check_stopped "$1"
}

HOOK_PORT=$(random_port)
start_mock python3 "$TEST_DIR/hook.port" --log "$HOOK_LOG" || { finish; exit 1; }
HOOK_PORT=$(cat "$TEST_DIR/hook.port")
start_mock "$SMTP_PYTHON" "$TEST_DIR/smtp.port" --smtp --log "$MAIL_LOG" || { finish; exit 1; }
SMTP_PORT=$(cat "$TEST_DIR/smtp.port")

export CTIHUB_CONFIG="$TEST_DIR/ctihub.yaml"
write_config() {
	cat >"$CTIHUB_CONFIG" <<EOF
public_url: https://hub.example.org
notify:
  backoff: 1s
  backoff_max: 2s
  poll: 1s
  sinks:
    - name: slack
      type: slack
      url: http://127.0.0.1:$HOOK_PORT/slack
    - name: mm
      type: mattermost
      url: http://127.0.0.1:$HOOK_PORT/mm
      tlp_max: GREEN
    - name: le-hook
      type: webhook
      url: http://127.0.0.1:$HOOK_PORT/le-hook
      tlp_max: RED
    - name: member-hook
      type: webhook
      url: http://127.0.0.1:$HOOK_PORT/member-hook
      tlp_max: RED
    - name: mail
      type: email
      url: smtp://127.0.0.1:$SMTP_PORT
      from: ctihub@example.org
      to: le-desk@example.org
      tlp_max: RED
digests:
  - name: le-daily
    audience: le
    schedule: "0 7 * * *"
    timezone: Europe/Berlin
    period: daily
    sinks: [slack, mail, le-hook, mm]
  - name: member-daily
    audience: member
    schedule: "0 7 * * *"
    sinks: [member-hook]
    max_items: 20
$1
EOF
}
write_config ""

# ---- Data: reports at four TLP levels, ingested on 3 December ----------

DAY0=2026-12-03T12:00:00Z

# An attack report gives the tactic counts that the HTML email charts. It
# goes through a server without digests, so that no period is recorded yet.
CTIHUB_CONFIG="" CTIHUB_NOW=$(epoch "$DAY0") api_start || exit 1
req POST /api/v1/reports "$ADMIN_TOKEN" '{"kind": "attack", "exploitation": "Phishing mail",
	"description": "Mail with a macro document", "tactic": "TA0001", "tlp": "GREEN"}'
check_code "attack report" 201
stop_server "data server"

printf 'green-marker-q7.net\n' >"$TEST_DIR/green.txt"
printf 'amber-marker-q7.net\n' >"$TEST_DIR/amber.txt"
printf 'strict-marker-q7.net\n' >"$TEST_DIR/strict.txt"
printf 'red-marker-q7.net\n' >"$TEST_DIR/red.txt"
for level in green:GREEN amber:AMBER strict:AMBER+STRICT red:RED; do
	CTIHUB_NOW=$(epoch "$DAY0") ctihub ingest --format list --tlp "${level#*:}" \
		--source "feed-${level%%:*}" --confidence 90 "$TEST_DIR/${level%%:*}.txt" >/dev/null ||
		fail "ingest ${level%%:*} failed"
done

# ---- First start: only the latest period -------------------------------

# 08:00 UTC on 4 December: le-daily last ran at 07:00 Berlin (06:00 UTC),
# member-daily at 07:00 UTC.
serve_at 2026-12-04T08:00:00Z
wait_delivered "first start" 5
check_eq "first start: slack" 1 "$(hook_count /slack)"
check_eq "first start: mattermost" 1 "$(hook_count /mm)"
check_eq "first start: LE webhook" 1 "$(hook_count /le-hook)"
check_eq "first start: member webhook" 1 "$(hook_count /member-hook)"
check_eq "first start: mail" 1 "$(mail_count)"
check_eq "first start: runs recorded" \
	"le-daily|le|2026-12-03T06:00:00Z|2026-12-04T06:00:00Z
member-daily|member|2026-12-03T07:00:00Z|2026-12-04T07:00:00Z" \
	"$(sql "SELECT name, audience, strftime('%Y-%m-%dT%H:%M:%SZ', period_start, 'unixepoch'),
		strftime('%Y-%m-%dT%H:%M:%SZ', period_end, 'unixepoch') FROM digest_runs ORDER BY name")"
stop_server "first start"

# ---- Restart at the same time: nothing new ------------------------------

serve_at 2026-12-04T09:00:00Z
wait_delivered "restart" 5
sleep 1
check_eq "restart: no second slack message" 1 "$(hook_count /slack)"
check_eq "restart: no second mail" 1 "$(mail_count)"
check_eq "restart: runs recorded" 2 "$(sql 'SELECT COUNT(*) FROM digest_runs')"
stop_server "restart"

# ---- Three days of downtime: catch-up ----------------------------------

serve_at 2026-12-07T08:00:00Z
wait_delivered "catch-up" 20
check_eq "catch-up: slack" 4 "$(hook_count /slack)"
check_eq "catch-up: mattermost" 4 "$(hook_count /mm)"
check_eq "catch-up: member webhook" 4 "$(hook_count /member-hook)"
check_eq "catch-up: mail" 4 "$(mail_count)"
check_eq "catch-up: LE webhook periods, oldest first" \
	'[["2026-12-03T06:00:00Z", "2026-12-04T06:00:00Z"], ["2026-12-04T06:00:00Z", "2026-12-05T06:00:00Z"], ["2026-12-05T06:00:00Z", "2026-12-06T06:00:00Z"], ["2026-12-06T06:00:00Z", "2026-12-07T06:00:00Z"]]' \
	"$(records "$HOOK_LOG" "[[json.loads(x['body'])['period']['start'], json.loads(x['body'])['period']['end']] for x in r if x['path'] == '/le-hook']")"
check_eq "catch-up: one idempotency key per message" 16 \
	"$(records "$HOOK_LOG" "len(set(x['headers']['idempotency-key'] for x in r))")"
stop_server "catch-up"

serve_at 2026-12-07T09:00:00Z
wait_delivered "restart after catch-up" 20
sleep 1
check_eq "restart after catch-up: no repeats" 16 "$(records "$HOOK_LOG" "len(r)")"
check_eq "restart after catch-up: no repeated mail" 4 "$(mail_count)"
stop_server "restart after catch-up"

# ---- What each sink received -------------------------------------------

webhook=$(records "$HOOK_LOG" "[x['body'] for x in r if x['path'] == '/le-hook'][0]")
check_eq "webhook: event" digest "$(body=$webhook jget 'j["event"]')"
check_eq "webhook: name" le-daily "$(body=$webhook jget 'j["name"]')"
check_eq "webhook: audience" le "$(body=$webhook jget 'j["audience"]')"
check_eq "webhook: period kind" daily "$(body=$webhook jget 'j["period"]["kind"]')"
check_eq "webhook: digest is an object" dict "$(body=$webhook jget 'type(j["digest"]).__name__')"
check_eq "webhook: TLP capped below RED" AMBER+STRICT "$(body=$webhook jget 'j["tlp"]')"

slack=$(records "$HOOK_LOG" "[x['body'] for x in r if x['path'] == '/slack'][0]")
check_eq "slack: text only" '["text"]' "$(body=$slack jget 'sorted(j)')"
mm=$(records "$HOOK_LOG" "[x['body'] for x in r if x['path'] == '/mm'][0]")
check_eq "mattermost: username" ctihub "$(body=$mm jget 'j["username"]')"
# The outbox stores the TLP as its number: 1 is GREEN, 2 is AMBER.
check_eq "outbox: mattermost rows record GREEN" 1 \
	"$(sql "SELECT DISTINCT tlp FROM outbox WHERE sink = 'mm'")"
check_eq "outbox: slack rows record AMBER" 2 \
	"$(sql "SELECT DISTINCT tlp FROM outbox WHERE sink = 'slack'")"

mail_parts=$(records "$MAIL_LOG" '
(lambda m: "|".join([m.get_content_type()] + [p.get_content_type() for p in m.get_payload()]
	+ [str("<svg" in m.get_payload()[1].get_payload(decode=True).decode("utf-8"))]))(
	__import__("email").message_from_string(r[0]["data"]))')
check_eq "mail: multipart with text and HTML carrying the chart" \
	"multipart/alternative|text/plain|text/html|True" "$mail_parts"
check_contains "mail: subject names the digest" "le-daily" \
	"$(records "$MAIL_LOG" '__import__("email").message_from_string(r[0]["data"])["Subject"]')"

# ---- A member digest contains nothing above AMBER ----------------------

member=$(records "$HOOK_LOG" "'\n'.join(x['body'] for x in r if x['path'] == '/member-hook')")
check_contains "member digest: GREEN value" "green-marker-q7.net" "$member"
case "$member" in
*strict-marker-q7* | *red-marker-q7*) fail "member digest carries an AMBER+STRICT or RED value" ;;
*) pass ;;
esac
le_all=$(records "$HOOK_LOG" "'\n'.join(x['body'] for x in r if x['path'] in ('/le-hook', '/slack', '/mm'))")
case "$le_all" in
*red-marker-q7*) fail "an LE digest carries a RED value" ;;
*) pass ;;
esac
mm_all=$(records "$HOOK_LOG" "'\n'.join(x['body'] for x in r if x['path'] == '/mm')")
case "$mm_all" in
*amber-marker-q7*) fail "the GREEN Mattermost sink received an AMBER value" ;;
*) pass ;;
esac

# ---- Configuration errors -----------------------------------------------

check_config_error() {
	local name=$1 extra=$2 expected=$3 out

	write_config "$extra"
	out=$(timeout 10 "$CTIHUB_BIN" serve --listen 127.0.0.1:1 2>&1 </dev/null)
	check_contains "$name" "$expected" "$out"
}
check_config_error "config: unknown key" "  - {name: x, audience: le, schedule: '0 7 * * *', sinks: [slack], tz: UTC}" \
	"digests[2]: unknown key 'tz'"
check_config_error "config: bad schedule" "  - {name: x, audience: le, schedule: '0 25 * * *', sinks: [slack]}" \
	"the hour field '25' is out of range"
check_config_error "config: unknown zone" "  - {name: x, audience: le, schedule: '0 7 * * *', timezone: Mars/Olympus, sinks: [slack]}" \
	"time zone 'Mars/Olympus' is not in the tz database"
check_config_error "config: unknown sink" "  - {name: x, audience: le, schedule: '0 7 * * *', sinks: [pager]}" \
	"digests[2].sinks[0] 'pager' is not a sink"
check_config_error "config: duplicate name" "  - {name: le-daily, audience: le, schedule: '0 7 * * *', sinks: [slack]}" \
	"is used by another digest"
check_config_error "config: never runs" "  - {name: x, audience: le, schedule: '0 0 30 2 *', sinks: [slack]}" \
	"matches no time"

finish
