#!/usr/bin/env bash
# Runs the walk-through of docs/chat.md against a real server with the
# document's configuration and the stand-in for the Slack and Mattermost
# APIs: every "$ " line of a ```console block, in order, in one shell.
# Then checks what each command left in the hub and in the LE queue.
. "$(dirname "$0")/api_lib.sh"

DOC="$CTIHUB_SOURCE_ROOT/docs/chat.md"
work="$TEST_DIR/work"
mkdir -p "$work"
ln -s "$CTIHUB_SOURCE_ROOT/scripts" "$work/scripts"
export CHAT_SLACK_SECRET=8f742231b10e8888abcd99yyyzzz85a5 CHAT_SLACK_BOT=xoxb-test
export CHAT_MM_TOKEN=mm-command-token CHAT_MM_WEBHOOK=mm-webhook-token CHAT_MM_BOT=mm-bot

mock_pid=""
stop_mock() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null
	api_cleanup
}
trap stop_mock EXIT
python3 "$CTIHUB_SOURCE_ROOT/tests/integration/mock_chat_api.py" --port-file "$TEST_DIR/port" \
	--log "$work/api.jsonl" 2>"$TEST_DIR/mock.err" &
mock_pid=$!
for _ in $(seq 100); do
	[ -s "$TEST_DIR/port" ] && break
	sleep 0.1
done
port=$(cat "$TEST_DIR/port" 2>/dev/null)
[ -n "$port" ] || { fail "the API stand-in did not start: $(cat "$TEST_DIR/mock.err")"; finish; exit 1; }

awk '/^```yaml/ { inside = 1; next } inside && /^```/ { exit } inside { print }' "$DOC" |
	sed "s#http://127.0.0.1:9098#http://127.0.0.1:$port#" >"$work/chat.yaml"
check_contains "the document has a Slack workspace" "platform: slack" "$(cat "$work/chat.yaml")"
api_start --config "$work/chat.yaml" --rate-limit 0 || { finish; exit 1; }
export CTIHUB_URL=$API_URL

run_doc_commands "$DOC" "$work"
check_eq "chat.md has its examples" 1 "$([ "$doc_commands" -ge 20 ] && echo 1)"

all=$(cat "$TEST_DIR/doc.out")
check_contains "linked" "now linked to the ctihub account alice" "$all"
check_contains "LE refused to a member" "Only law-enforcement users" "$all"
check_contains "reply sent" "Reply added to LE-" "$all"
check_contains "closed" "closed as actioned" "$all"
check_contains "the reporter reads the reply" "We asked the host to suspend the site." "$all"
check_contains "Mattermost user told to link" "not linked" "$all"
for kind in ioc attack vuln hunting chat; do
	check_eq "a $kind report" 1 "$(sql "SELECT count(*) > 0 FROM reports WHERE kind = '$kind'")"
done
check_eq "the referral is closed" "closed actioned" "$(sql "SELECT state || ' ' || resolution FROM referrals")"
check_eq "the chat message's indicators" 2 "$(sql "SELECT count(*) FROM report_indicators ri JOIN reports r ON r.id = ri.report_id WHERE r.kind = 'chat'")"
check_eq "views.open called once" 1 "$(grep -c views.open "$work/api.jsonl")"

api_stop
check_stopped "chat docs server"
finish
