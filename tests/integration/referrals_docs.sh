#!/usr/bin/env bash
# Runs the walk-through of docs/referrals.md against a real server with the
# document's own configuration, pointed at the test receiver: every "$ "
# line of a ```console block, in order, in one shell. Then checks what the
# receiver got, and runs the README's referral commands on a fresh
# database.
. "$(dirname "$0")/api_lib.sh"

DOC="$CTIHUB_SOURCE_ROOT/docs/referrals.md"
work="$TEST_DIR/work"
mkdir -p "$work"
# Referral numbers carry the year; the document shows 2026.
export CTIHUB_NOW=1796385600

receiver_pid=""
stop_receiver() {
	[ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null
	api_cleanup
}
trap stop_receiver EXIT

python3 "$CTIHUB_SOURCE_ROOT/tests/integration/mock_receiver.py" \
	--port-file "$TEST_DIR/port" --log "$work/hooks.jsonl" 2>"$TEST_DIR/receiver.err" &
receiver_pid=$!
for _ in $(seq 100); do
	[ -s "$TEST_DIR/port" ] && break
	sleep 0.1
done
port=$(cat "$TEST_DIR/port" 2>/dev/null)
[ -n "$port" ] || { fail "the receiver did not start: $(cat "$TEST_DIR/receiver.err")"; finish; exit 1; }

# The document's configuration, with the receiver's real port.
awk '/^```yaml/ { inside = 1; next } inside && /^```/ { exit } inside { print }' "$DOC" |
	sed "s#http://127.0.0.1:9099#http://127.0.0.1:$port#" >"$work/ctihub.yaml"
check_contains "the document has a webhook sink" "type: webhook" "$(cat "$work/ctihub.yaml")"
export CTIHUB_CONFIG="$work/ctihub.yaml"
api_start || { finish; exit 1; }
export CTIHUB_URL=$API_URL

run_doc_commands "$DOC" "$work"
check_eq "referrals.md has its examples" 1 "$([ "$doc_commands" -ge 15 ] && echo 1)"

# The last command listed the events the receiver got; the document shows
# them after it.
check_eq "events as documented" "referral.created referral.state referral.reply referral.reply referral.state" \
	"$(tr '\n' ' ' <"$TEST_DIR/out" | sed 's/ $//')"
hooks=$(cat "$work/hooks.jsonl")
check_eq "the internal note never left the hub" "" "$(grep -o 'Registrant matches' <<<"$hooks")"
check_eq "one idempotency key per notice" 5 "$(python3 -c '
import json, sys
print(len({json.loads(line)["headers"]["idempotency-key"] for line in open(sys.argv[1])}))' "$work/hooks.jsonl")"
check_contains "every notice delivered" "no pending" "$(ctihub outbox --state pending)"
check_contains "the reporter saw the public reply" "asked the hosting provider" \
	"$(ctihub le show LE-2026-0001 --as alice)"

api_stop
check_stopped "referrals server"

# The README's referral commands, on a fresh database with the README's
# member, as a reader who followed the server walk-through would have.
export CTIHUB_DB="$TEST_DIR/readme.db"
unset CTIHUB_CONFIG
ctihub org add "Health ISAC" >/dev/null && ctihub user add alice --org "Health ISAC" --role member >/dev/null
readme_block=$(awk '/^## The LE referral queue/ { section = 1 } section && /^```sh/ { inside = 1; next }
	inside && /^```/ { exit } inside { print }' "$CTIHUB_SOURCE_ROOT/README.md")
check_contains "README has the referral commands" "le open-list" "$readme_block"
readme_block=${readme_block//build\/ctihub/$CTIHUB_BIN}
(cd "$work" && bash -e -o pipefail -c "$readme_block") >"$TEST_DIR/readme.out" 2>&1
check_eq "README referral commands run" 0 $?
check_contains "README: the reporter reads the reply" "We asked the host to suspend it." \
	"$(cat "$TEST_DIR/readme.out")"

finish
