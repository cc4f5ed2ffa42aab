#!/usr/bin/env bash
# The chat forms end to end, through a real server and a mock Slack and
# Mattermost API (tests/integration/mock_chat_api.py):
#
# - a Slack view_submission of each of the five forms, signed like Slack
#   signs it, creates the report or referral, and the confirmation reaches
#   the user through chat.postMessage with the bot token;
# - invalid input comes back as Slack's per-block errors and stores nothing;
# - a bad signature, an unlinked user, an unknown callback_id, a block
#   that is not a field of the form and a block_actions payload store
#   nothing either;
# - /ioc without text opens the modal through views.open, and /ioc with
#   text creates the report at once;
# - on Mattermost, /ioc opens a dialog through dialogs/open, and its
#   submission creates the report only with the state the dialog was
#   opened with, and only once;
# - a replayed, expired, forged or missing state, a state of another user
#   or form, and a key that is not a field of the form are rejected.
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/chat_lib.sh"

MOCK="$CTIHUB_SOURCE_ROOT/tests/integration/mock_chat_api.py"
MOCK_LOG="$TEST_DIR/chat_api.jsonl"
MOCK_PID=""

chat_cleanup() {
	if [ -n "$MOCK_PID" ]; then
		kill -TERM "$MOCK_PID" 2>/dev/null
		wait "$MOCK_PID" 2>/dev/null
	fi
	api_cleanup
}
trap chat_cleanup EXIT

# The Mattermost team needs a bot token to open dialogs, which the
# configuration of chat_lib.sh does not give it.
export CHAT_MM_BOT=mm-bot-token-1
SLACK_TEAM=T0001
MM_TEAM=team0001

# ---- the mock platform API and the server ------------------------------------

rm -f "$TEST_DIR/mock.port"
python3 "$MOCK" --port-file "$TEST_DIR/mock.port" --log "$MOCK_LOG" 2>"$TEST_DIR/mock.err" &
MOCK_PID=$!
for i in $(seq 100); do
	[ -s "$TEST_DIR/mock.port" ] && break
	sleep 0.1
done
if [ ! -s "$TEST_DIR/mock.port" ]; then
	echo "FAIL: the mock chat API did not start: $(cat "$TEST_DIR/mock.err")" >&2
	exit 1
fi
MOCK_PORT=$(cat "$TEST_DIR/mock.port")
touch "$MOCK_LOG"

cat >"$TEST_DIR/config.yaml" <<EOF
public_url: https://hub.example.org
chat:
  workspaces:
    - platform: slack
      id: $SLACK_TEAM
      name: test-slack
      signing_secret_env: CHAT_SLACK_SECRET
      bot_token_env: CHAT_SLACK_BOT
      api_url: http://127.0.0.1:$MOCK_PORT/api
    - platform: mattermost
      id: $MM_TEAM
      name: test-mattermost
      command_token_env: CHAT_MM_TOKEN
      bot_token_env: CHAT_MM_BOT
      api_url: http://127.0.0.1:$MOCK_PORT
EOF
export CTIHUB_CONFIG="$TEST_DIR/config.yaml"

ctihub init >/dev/null 2>&1
api_org CERT-A
api_user alice CERT-A member
ctihub user link alice --platform slack --workspace "$SLACK_TEAM" --chat-user U0001 >/dev/null ||
	fail "user link (slack) failed"
ctihub user link alice --platform mattermost --workspace "$MM_TEAM" --chat-user mmuser0001 \
	>/dev/null || fail "user link (mattermost) failed"
api_start || exit 1

# ---- helpers ---------------------------------------------------------------------

# view_payload CALLBACK_ID USER VALUES_JSON: prints a view_submission
# payload whose state contains VALUES_JSON ({field: value}); a value in
# [brackets] is a select's chosen option.
view_payload() {
	python3 -c '
import json, sys
callback, user, values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
state = {}
for name, value in values.items():
    if isinstance(value, list):
        action = {"type": "static_select", "selected_option":
                  {"text": {"type": "plain_text", "text": value[0]}, "value": value[0]}}
    else:
        action = {"type": "plain_text_input", "value": value}
    state[name] = {name: action}
print(json.dumps({"type": "view_submission", "team": {"id": sys.argv[4]},
                  "user": {"id": user, "username": "alice", "team_id": sys.argv[4]},
                  "api_app_id": "A0001", "trigger_id": "13345224609.8534564800.6f8ab1f53e13d0cd15f96106292d5536",
                  "view": {"id": "V0001", "type": "modal", "callback_id": callback,
                           "team_id": sys.argv[4], "state": {"values": state}}}))
' "$1" "$2" "$3" "$SLACK_TEAM"
}

# submit_view CALLBACK_ID USER VALUES_JSON: posts a view_submission.
submit_view() {
	slack_post /chat/slack/interactions "$(form_encode "payload=$(view_payload "$@")")"
}

# mock_py EXPR: evaluates EXPR with records bound to the mock's requests.
mock_py() {
	python3 -c '
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$MOCK_LOG" "$1"
}

# wait_mock NAME PYTHON_CONDITION: waits up to 10 s for the mock log to
# satisfy the condition over records.
wait_mock() {
	local i

	for i in $(seq 50); do
		[ "$(mock_py "$2")" = true ] && { pass; return 0; }
		sleep 0.2
	done
	fail "$1: not seen by the mock API within 10 s; requests:
$(cat "$MOCK_LOG")"
	return 1
}

check_created() {
	check_code "$1" 200
	check_eq "$1 (response_action)" clear "$(jget 'j["response_action"]')"
}

reports_of_kind() {
	sql "SELECT COUNT(*) FROM reports WHERE kind = '$1'"
}

# ---- Slack: invalid input comes back per block ------------------------------------

submit_view ctihub.ioc U0001 '{"indicators": "hxxp://kit[.]example/login"}'
check_code "ioc without purpose" 200
check_eq "ioc without purpose (response_action)" errors "$(jget 'j["response_action"]')"
check_contains "ioc without purpose (message)" "purpose" "$(jget 'j["errors"]["purpose"]')"

submit_view ctihub.vuln U0001 '{"time": "2026-12-01T09:30:00Z", "ip": "203.0.113.10",
	"cve": "CVE-2023-4966", "organisation": "Example Clinic", "country": "XX"}'
check_contains "vuln with a bad country" "XX" "$(jget 'j["errors"]["country"]')"

submit_view ctihub.attack U0001 '{"description": "Smishing", "exploitation": "SMS link",
	"tactic": ["TA0001"], "techniques": "T1566.001"}'
check_contains "attack technique without catalogue" "catalogue" "$(jget 'j["errors"]["techniques"]')"

submit_view ctihub.ioc U0002 '{"indicators": "203.0.113.7", "purpose": ["research"]}'
check_eq "unlinked user (response_action)" errors "$(jget 'j["response_action"]')"
check_contains "unlinked user (message)" "link" "$(jget 'j["errors"]["indicators"]')"

check_eq "nothing stored after invalid input" 0 "$(report_count)"

# ---- Slack: the request must be Slack's ----------------------------------------------

slack_post /chat/slack/interactions \
	"$(form_encode "payload=$(view_payload ctihub.ioc U0001 '{"indicators": "203.0.113.7",
		"purpose": ["research"]}')")" "$(date +%s)" wrong-secret
check_code "bad signature" 401
submit_view ctihub.unknown U0001 '{"indicators": "203.0.113.7"}'
check_eq "unknown callback_id is not a 2xx" 4 "${status:0:1}"
slack_post /chat/slack/interactions "$(form_encode "payload=$(json_build '{"type": "block_actions",
	"team": {"id": a[0]}, "user": {"id": "U0001"}, "actions": []}' "$SLACK_TEAM")")"
check_code "block_actions acknowledged" 200
check_eq "block_actions body" "" "$body"
submit_view ctihub.ioc U0001 '{"indicators": "203.0.113.7", "purpose": ["research"],
	"extra": "x"}'
check_error "slack block that is not a field" 400 invalid extra
check_contains "slack block that is not a field (message)" 'unknown field "extra"' \
	"$(jget 'j["error"]["message"]')"
check_eq "nothing stored after rejected requests" 0 "$(report_count)"

# ---- Slack: each form creates its report -------------------------------------------

submit_view ctihub.ioc U0001 '{"indicators": "phishing kit at hxxps://covid-pass-renewal[.]com/login, sender 185.117.73[.]92",
	"purpose": ["blocking"], "tlp": ["GREEN"], "anonymous": ["yes"]}'
check_created "ioc form"
check_eq "ioc stored" 1 "$(reports_of_kind ioc)"
check_eq "ioc fields" "blocking GREEN 1" \
	"$(sql "SELECT json_extract(fields, '$.purpose') || ' ' || CASE tlp WHEN 1 THEN 'GREEN' ELSE tlp END || ' ' || anonymous FROM reports WHERE kind = 'ioc'")"
check_eq "ioc indicators linked" 2 \
	"$(sql "SELECT COUNT(*) FROM report_indicators ri JOIN reports r ON r.id = ri.report_id WHERE r.kind = 'ioc'")"
wait_mock "confirmation by chat.postMessage" \
	'any(r["path"] == "/api/chat.postMessage" and json.loads(r["body"])["channel"] == "U0001" and "Created report" in json.loads(r["body"])["text"] for r in records)'
check_eq "chat.postMessage bearer token" "Bearer $CHAT_SLACK_BOT" \
	"$(mock_py '[r for r in records if r["path"] == "/api/chat.postMessage"][-1]["headers"]["authorization"]')"
check_eq "chat.postMessage content type" "application/json; charset=utf-8" \
	"$(mock_py '[r for r in records if r["path"] == "/api/chat.postMessage"][-1]["headers"]["content-type"]')"

submit_view ctihub.attack U0001 '{"description": "Smishing against pharmacy customers",
	"exploitation": "SMS with a link to a fake refund page that asks for the card number",
	"tactic": ["TA0001"], "indicators": "mediq-refund-portal[.]net"}'
check_created "attack form"
check_eq "attack tactic stored" TA0001 \
	"$(sql "SELECT json_extract(fields, '$.tactic') FROM reports WHERE kind = 'attack'")"

submit_view ctihub.vuln U0001 '{"time": "2026-12-01T09:30:00+01:00", "ip": "203.0.113.10",
	"cve": "cve-2023-4966", "organisation": "Example Clinic", "country": "nl",
	"sector": "health", "tlp": ["AMBER+STRICT"]}'
check_created "vuln form"
check_eq "vuln fields" "CVE-2023-4966 NL 3" \
	"$(sql "SELECT json_extract(fields, '$.cve') || ' ' || json_extract(fields, '$.country') || ' ' || tlp FROM reports WHERE kind = 'vuln'")"

submit_view ctihub.hunt U0001 "$(json_build '{"rule_type": ["sigma"], "rule": a[0]}' \
	'title: Refund portal lookup
logsource:
  category: dns_query
  product: windows
detection:
  selection:
    QueryName|endswith: mediq-refund-portal.net
  condition: selection
')"
check_created "hunt form"
check_eq "hunt rule title" "Refund portal lookup" \
	"$(sql "SELECT json_extract(fields, '$.rule_title') FROM reports WHERE kind = 'hunting'")"

submit_view ctihub.lenew U0001 '{"summary": "Fake refund portal harvesting card numbers",
	"incident_type": ["fraud"], "objective": ["takedown"], "contact_allowed": ["yes"],
	"contact_method": "Signal, same handle", "indicators": "mediq-refund-portal[.]net"}'
check_created "lenew form"
check_eq "referral stored" "fraud takedown slack:alice" \
	"$(sql "SELECT incident_type || ' ' || objective || ' ' || reporter_handle FROM referrals")"
ref=$(sql "SELECT 'LE-' || year || '-' || printf('%04d', seq) FROM referrals")
wait_mock "referral confirmation" \
	"any(r['path'] == '/api/chat.postMessage' and 'Opened referral $ref' in json.loads(r['body'])['text'] for r in records)"

# ---- Slack: slash commands open the modal or submit the text -------------------------

slack_post /chat/slack/commands "$(form_encode command=/ioc text= team_id=$SLACK_TEAM \
	user_id=U0001 user_name=alice channel_id=C0001 trigger_id=trig.0001)"
check_code "/ioc without text" 200
wait_mock "views.open called" \
	'any(r["path"] == "/api/views.open" and json.loads(r["body"])["trigger_id"] == "trig.0001" and json.loads(r["body"])["view"]["callback_id"] == "ctihub.ioc" for r in records)'
check_eq "views.open bearer token" "Bearer $CHAT_SLACK_BOT" \
	"$(mock_py '[r for r in records if r["path"] == "/api/views.open"][-1]["headers"]["authorization"]')"

before=$(reports_of_kind ioc)
slack_post /chat/slack/commands "$(form_encode command=/ioc \
	'text=evil-refunds[.]example; purpose: takedown request; tlp: clear' team_id=$SLACK_TEAM \
	user_id=U0001 user_name=alice channel_id=C0001 trigger_id=trig.0002)"
check_code "/ioc with text" 200
check_contains "/ioc with text reply" "Created report" "$body"
check_eq "/ioc with text stored" $((before + 1)) "$(reports_of_kind ioc)"
check_eq "/ioc with text purpose" takedown_request \
	"$(sql "SELECT json_extract(fields, '$.purpose') FROM reports WHERE kind = 'ioc' ORDER BY id DESC LIMIT 1")"

# ---- Mattermost: a dialog and its submission --------------------------------------------

# mm_dialog_command COMMAND TEXT: a Mattermost slash command with the
# trigger_id that opening a dialog needs.
mm_dialog_command() {
	status=$(curl -s -m 30 -o "$TEST_DIR/reply.body" -w '%{http_code}' \
		--data-urlencode "token=$CHAT_MM_TOKEN" --data-urlencode "team_id=$MM_TEAM" \
		--data-urlencode "user_id=mmuser0001" --data-urlencode "user_name=alice" \
		--data-urlencode "channel_id=mmchannel01" --data-urlencode "command=$1" \
		--data-urlencode "text=$2" --data-urlencode "trigger_id=mmtrigger01" \
		"$API_URL/chat/mattermost/commands")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# mm_submit STATE SUBMISSION_JSON [CALLBACK_ID [USER_ID]]: posts a
# dialog submission, by default of the /ioc dialog from mmuser0001. A
# STATE of "-" leaves the state out.
mm_submit() {
	req POST /chat/mattermost/dialogs "" "$(json_build '{"type": "dialog_submission",
		"callback_id": a[3], "user_id": a[4], "channel_id": "mmchannel01",
		"team_id": a[1], "submission": json.loads(a[2]), "cancelled": False,
		**({} if a[0] == "-" else {"state": a[0]})}' \
		"$1" "$MM_TEAM" "$2" "${3:-ctihub.ioc}" "${4:-mmuser0001}")"
}

# mm_open_dialog COMMAND: opens a dialog with COMMAND and prints its state.
mm_open_dialog() {
	local opened i

	opened=$(mock_py 'sum(r["path"] == "/api/v4/actions/dialogs/open" for r in records)')
	mm_dialog_command "$1" ""
	for i in $(seq 50); do
		[ "$(mock_py 'sum(r["path"] == "/api/v4/actions/dialogs/open" for r in records)')" \
			-gt "$opened" ] && break
		sleep 0.2
	done
	mock_py 'json.loads([r for r in records if r["path"] == "/api/v4/actions/dialogs/open"][-1]["body"])["dialog"]["state"]'
}

# mm_craft_state EXPIRY CALLBACK_ID [USER_ID]: prints a state made with the
# bot token as the hub makes it, "EXPIRY.NONCE.MAC" with a new nonce.
mm_craft_state() {
	python3 -c '
import hashlib, hmac, secrets, sys
token, team, expiry, callback, user = sys.argv[1:6]
nonce = secrets.token_hex(16)
message = ":".join(["ctihub.dialog", team, user, callback, expiry, nonce])
mac = hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()
print("%s.%s.%s" % (expiry, nonce, mac))
' "$CHAT_MM_BOT" "$MM_TEAM" "$1" "$2" "${3:-mmuser0001}"
}

# check_state_rejected NAME MESSAGE: checks a 401 on the dialog state whose
# message contains MESSAGE.
check_state_rejected() {
	check_error "$1" 401 unauthorized state
	check_contains "$1 (message)" "$2" "$(jget 'j["error"]["message"]')"
}

ioc_values='{"indicators": "203.0.113.50", "purpose": "research"}'

mm_dialog_command /ioc ""
check_code "mattermost /ioc without text" 200
wait_mock "dialogs/open called" \
	'any(r["path"] == "/api/v4/actions/dialogs/open" for r in records)'
check_eq "dialog url and callback" "https://hub.example.org/chat/mattermost/dialogs ctihub.ioc" \
	"$(mock_py '" ".join([(b := json.loads([r for r in records if r["path"] == "/api/v4/actions/dialogs/open"][-1]["body"]))["url"], b["dialog"]["callback_id"]])')"
check_eq "dialogs/open bearer token" "Bearer $CHAT_MM_BOT" \
	"$(mock_py '[r for r in records if r["path"] == "/api/v4/actions/dialogs/open"][-1]["headers"]["authorization"]')"
state=$(mock_py 'json.loads([r for r in records if r["path"] == "/api/v4/actions/dialogs/open"][-1]["body"])["dialog"]["state"]')

before=$(reports_of_kind ioc)
mm_submit "$state" '{"indicators": "203.0.113.50", "purpose": "spam", "anonymous": false}'
check_code "mattermost invalid submission" 200
check_contains "mattermost error per element" "spam" "$(jget 'j["errors"]["purpose"]')"

mm_submit "0000$state" '{"indicators": "203.0.113.50", "purpose": "research"}'
check_code "mattermost forged state" 401

mm_submit "$state" '{"indicators": "203.0.113.50", "purpose": "research", "anonymous": true,
	"details": null}'
check_code "mattermost valid submission" 200
check_eq "mattermost reply" "{}" "$(jget 'j')"
check_eq "mattermost report stored" $((before + 1)) "$(reports_of_kind ioc)"
wait_mock "mattermost ephemeral confirmation" \
	'any(r["path"] == "/api/v4/posts/ephemeral" and json.loads(r["body"])["user_id"] == "mmuser0001" and "Created report" in json.loads(r["body"])["post"]["message"] for r in records)'

# ---- Mattermost: a dialog state is single-use, short-lived and bound to its form ----------

if [[ "$state" =~ ^([0-9]+)\.[0-9a-f]{32}\.[0-9a-f]{64}$ ]]; then
	pass
	expires_in=$((BASH_REMATCH[1] - $(date +%s)))
	if [ "$expires_in" -gt 840 ] && [ "$expires_in" -le 900 ]; then
		pass
	else
		fail "dialog state expiry: expected about 900 s from now, got $expires_in s"
	fi
else
	fail "dialog state format: expected EXPIRY.NONCE.MAC, got $state"
fi
check_eq "dialog nonce recorded" 1 \
	"$(sql "SELECT COUNT(*) FROM chat_events WHERE platform = 'mattermost-dialog' AND workspace = '$MM_TEAM' AND event_id = '$(cut -d. -f2 <<<"$state")'")"

stored=$(reports_of_kind ioc)
mm_submit "$state" '{"indicators": "203.0.113.50", "purpose": "research", "anonymous": true,
	"details": null}'
check_state_rejected "mattermost replay" "submitted already"
mm_submit "$state" '{"indicators": "203.0.113.51", "purpose": "spam"}'
check_state_rejected "mattermost replay with invalid values" "submitted already"
check_eq "nothing stored by replays" "$stored" "$(reports_of_kind ioc)"

state=$(mm_open_dialog /ioc)
before_referrals=$(sql 'SELECT COUNT(*) FROM referrals')
mm_submit "$state" '{"summary": "Fake refund portal", "incident_type": "fraud",
	"objective": "takedown", "contact_allowed": "yes", "contact_method": "Signal",
	"indicators": "mediq-refund-portal[.]net"}' ctihub.lenew
check_state_rejected "ioc state for the lenew form" "does not match"
check_eq "no referral from the ioc state" "$before_referrals" "$(sql 'SELECT COUNT(*) FROM referrals')"
mm_submit "$state" "$ioc_values" ctihub.ioc mmuser0002
check_state_rejected "state of another user" "does not match"
mm_submit - "$ioc_values"
check_state_rejected "missing state" "does not match"
mm_submit "" "$ioc_values"
check_state_rejected "empty state" "does not match"
mm_submit "${state%?}" "$ioc_values"
check_state_rejected "truncated state" "does not match"

mm_submit "$state" '{"indicators": "203.0.113.52", "purpose": "research", "extra": "x"}'
check_error "mattermost key that is not a field" 400 invalid extra
check_contains "mattermost key that is not a field (message)" 'unknown field "extra"' \
	"$(jget 'j["error"]["message"]')"
check_eq "nothing stored for a key that is not a field" "$stored" "$(reports_of_kind ioc)"
# The rejected submissions left the state unused.
mm_submit "$state" "$ioc_values"
check_code "state after rejected submissions" 200
check_eq "state after rejected submissions (reply)" "{}" "$(jget 'j')"
check_eq "state after rejected submissions stored" $((stored + 1)) "$(reports_of_kind ioc)"

mm_submit "$(mm_craft_state $(($(date +%s) - 1)) ctihub.ioc)" "$ioc_values"
check_state_rejected "expired state" "expired"
mm_submit "$(mm_craft_state $(($(date +%s) + 60)) ctihub.ioc mmuser0002)" "$ioc_values"
check_state_rejected "crafted state of another user" "does not match"
mm_submit "$(mm_craft_state $(($(date +%s) + 60)) ctihub.ioc)" "$ioc_values"
check_code "crafted state with the bot token" 200
check_eq "reports after the expiry checks" $((stored + 2)) "$(reports_of_kind ioc)"

# ---- secrets stay out of the log ----------------------------------------------------------

api_stop
check_stopped "server stops"
for secret in "$CHAT_SLACK_SECRET" "$CHAT_SLACK_BOT" "$CHAT_MM_BOT" \
	"$CHAT_MM_TOKEN"; do
	if grep -q -- "$secret" "$SERVER_LOG"; then
		fail "a secret appears in the server log"
	else
		pass
	fi
done

finish
