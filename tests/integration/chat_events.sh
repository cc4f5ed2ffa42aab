#!/usr/bin/env bash
# Channel ingestion end to end, through a real server configured with one
# Slack workspace and one Mattermost team. Requests are built the way
# Slack and Mattermost send them, with the Slack signature computed here:
#
# - url_verification gets its challenge back only with a valid signature;
# - an unknown team, a bad signature and a timestamp ten minutes off get
#   401 and store nothing;
# - a Slack message carrying a defanged analyst note becomes one report of
#   kind "chat" with the indicators that `ctihub ingest --format text`
#   finds in the same note;
# - a replayed request and a retry (same event_id, X-Slack-Retry-Num)
#   store nothing twice;
# - chatter, the bot's own messages and other channels store nothing;
# - a thread reply links to its thread's report, an edit updates the
#   report, and a deletion withdraws it (404 afterwards, even after a
#   later edit);
# - Mattermost outgoing webhooks, form-encoded and JSON, with good and bad
#   tokens.
. "$(dirname "$0")/api_lib.sh"

# The analyst note comes from the shared real data. Without it (a user's
# clone) the demo note of examples/ stands in, so the rest of the test
# still runs; CI sets CTIHUB_REQUIRE_SHARED=1 and must use the real one.
VALAK="$SHARED/pan-unit42-iocs/2020-analyst-notes/2020-07-06-TA551-IOCs-for-Valak-with-IcedID.txt"
if [ ! -f "$VALAK" ]; then
	if [ "${CTIHUB_REQUIRE_SHARED:-0}" = 1 ]; then
		echo "FAIL: $VALAK is missing and CTIHUB_REQUIRE_SHARED=1" >&2
		exit 1
	fi
	echo "SKIP: shared analyst note not found; using the demo note of examples/ instead" >&2
	VALAK="$EXAMPLES/notes/2026-12-02-pharmacy-smishing.txt"
fi
TEAM=T0CTIHUB
BOT=U0CTIBOT
MM_TEAM=mmteam0ctihub
export CHAT_TEST_SLACK_SECRET=8f742231b10e8888abcd99yyyzzz85a5
export CHAT_TEST_MM_TOKEN=zmigewsanbbsdf59xnmduzypjc

CONFIG="$TEST_DIR/chat.yaml"
cat >"$CONFIG" <<EOF
chat:
  workspaces:
    - platform: slack
      id: $TEAM
      name: acme
      signing_secret_env: CHAT_TEST_SLACK_SECRET
      bot_user_id: $BOT
      default_org: cert
      channels:
        - id: C0IOCS
          category: iocs
          tlp: AMBER
        - id: C0QUIET
          category: iocs
          ingest: false
    - platform: mattermost
      id: $MM_TEAM
      name: ops
      webhook_token_env: CHAT_TEST_MM_TOKEN
      bot_user_id: mmbot0ctihub
      default_org: cert
      channels:
        - id: mmchan0iocs
          category: hunting
          tlp: GREEN
EOF

api_org cert
api_user reader cert member
READER=$(api_token reader)
api_start --config "$CONFIG" --rate-limit 0 || { finish; exit 1; }

# slack_sign TIMESTAMP BODY: the X-Slack-Signature Slack sends for BODY.
slack_sign() {
	printf '%s' "$2" | python3 -c '
import hashlib, hmac, sys
secret, ts = sys.argv[1].encode(), sys.argv[2].encode()
print("v0=" + hmac.new(secret, b"v0:" + ts + b":" + sys.stdin.buffer.read(), hashlib.sha256).hexdigest())
' "$CHAT_TEST_SLACK_SECRET" "$1"
}

# slack_send BODY [TIMESTAMP [SIGNATURE [HEADER...]]]: posts BODY to the
# Events API route as Slack does and sets status and body. The signature
# is computed unless given; extra arguments are more headers.
slack_send() {
	local payload=$1 ts=${2:-$(date +%s)} sig=${3:-}
	local args=(-s -m 60 -o "$TEST_DIR/reply.body" -D "$HEADERS" -w '%{http_code}'
		-H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $ts")

	[ -n "$sig" ] || sig=$(slack_sign "$ts" "$payload")
	args+=(-H "X-Slack-Signature: $sig")
	shift $(($# < 3 ? $# : 3))
	for extra in "$@"; do
		args+=(-H "$extra")
	done
	status=$(printf '%s' "$payload" | curl "${args[@]}" --data-binary @- "$API_URL/chat/slack/events")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# slack_callback EVENT_ID EVENT_JSON [TEAM]: the event_callback envelope.
slack_callback() {
	json_build '{"token": "unused", "team_id": a[2], "api_app_id": "A0CTIHUB",
		"event": json.loads(a[1]), "type": "event_callback", "event_id": a[0],
		"event_time": 1700000000, "authorizations": [{"team_id": a[2], "user_id": "U0CTIBOT",
		"is_bot": True, "is_enterprise_install": False}]}' "$1" "$2" "${3:-$TEAM}"
}

# slack_message CHANNEL TS USER TEXT [THREAD_TS [EXTRA_JSON]]: a message
# event, with the text escaped the way Slack escapes &, < and >.
slack_message() {
	json_build 'dict({"type": "message", "channel": a[0], "user": a[2],
		"text": a[3].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
		"ts": a[1], "event_ts": a[1], "channel_type": "channel"},
		**({"thread_ts": a[4]} if a[4] else {}), **json.loads(a[5]))' \
		"$1" "$2" "$3" "$4" "${5:-}" "${6:-{\}}"
}

# slack_edit CHANNEL TS USER TEXT: a message_changed event for message TS.
slack_edit() {
	json_build '{"type": "message", "subtype": "message_changed", "hidden": True,
		"channel": a[0], "ts": "1700009999.000001", "event_ts": "1700009999.000001",
		"message": {"type": "message", "user": a[2], "text": a[3], "ts": a[1],
			"edited": {"user": a[2], "ts": "1700009999.000001"}},
		"previous_message": {"type": "message", "user": a[2], "text": "", "ts": a[1]}}' \
		"$1" "$2" "$3" "$4"
}

# slack_delete CHANNEL TS: a message_deleted event for message TS.
slack_delete() {
	json_build '{"type": "message", "subtype": "message_deleted", "hidden": True,
		"channel": a[0], "ts": "1700009998.000001", "deleted_ts": a[1],
		"event_ts": "1700009998.000001"}' "$1" "$2"
}

# report_of CHANNEL TS: the id of the report stored for a message, or "".
report_of() {
	sql "SELECT report_id FROM chat_messages WHERE channel = '$1' AND ts = '$2'"
}

chat_report_count() {
	sql "SELECT COUNT(*) FROM reports WHERE kind = 'chat'"
}

# ---- url_verification -------------------------------------------------------------

challenge='{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}'
slack_send "$challenge"
check_code "url_verification signed" 200
check_eq "url_verification challenge" 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P \
	"$(jget 'j["challenge"]')"
slack_send "$challenge" "$(date +%s)" "v0=$(printf '0%.0s' $(seq 64))"
check_code "url_verification with a bad signature" 401
check_eq "url_verification with a bad signature sends no challenge" "ERROR: KeyError('challenge')" \
	"$(jget 'j["challenge"]')"

# ---- rejected requests store nothing ------------------------------------------------

note_text=$(cat "$VALAK")
valak_event=$(slack_message C0IOCS 1700000100.000100 U0ALICE "$note_text")
valak=$(slack_callback Ev0VALAK "$valak_event")

slack_send "$(slack_callback Ev0UNKNOWN "$valak_event" T0STRANGER)"
check_code "unknown team" 401
slack_send "$valak" "$(date +%s)" "v0=$(printf 'ab%.0s' $(seq 32))"
check_code "bad signature" 401
slack_send "$valak" "$(date +%s)" "$(slack_sign "$(date +%s)" "$valak x")"
check_code "signature of other bytes" 401
old=$(($(date +%s) - 600))
slack_send "$valak" "$old" "$(slack_sign "$old" "$valak")"
check_code "timestamp ten minutes old" 401
future=$(($(date +%s) + 600))
slack_send "$valak" "$future" "$(slack_sign "$future" "$valak")"
check_code "timestamp ten minutes ahead" 401
check_eq "rejected requests store no report" 0 "$(chat_report_count)"
check_eq "rejected requests record no event" 0 "$(sql 'SELECT COUNT(*) FROM chat_events')"

# ---- a message with a defanged analyst note ---------------------------------------

ts=$(date +%s)
slack_send "$valak" "$ts"
check_code "analyst note" 200
check_eq "analyst note reply" "{}" "$body"
valak_id=$(report_of C0IOCS 1700000100.000100)
check_eq "analyst note stored once" 1 "$(chat_report_count)"

req GET "/api/v1/reports/$valak_id" "$READER"
check_code "analyst note report readable" 200
check_eq "kind" chat "$(jget 'j["kind"]')"
check_eq "tlp from the channel" AMBER "$(jget 'j["tlp"]')"
check_eq "title is the first line" "$(head -1 "$VALAK" | sed 's/[[:space:]]*$//')" "$(jget 'j["title"]')"
check_eq "organisation is the workspace default" cert "$(jget 'j["organisation"]')"
check_eq "unlinked author has no submitter" "ERROR: KeyError('submitter')" "$(jget 'j["submitter"]')"
check_eq "fields.platform" slack "$(jget 'j["fields"]["platform"]')"
check_eq "fields.workspace" "$TEAM" "$(jget 'j["fields"]["workspace"]')"
check_eq "fields.channel" C0IOCS "$(jget 'j["fields"]["channel"]')"
check_eq "fields.category" iocs "$(jget 'j["fields"]["category"]')"
check_eq "fields.ts" 1700000100.000100 "$(jget 'j["fields"]["ts"]')"
check_eq "fields.user" U0ALICE "$(jget 'j["fields"]["user"]')"
check_eq "fields.text is the note unescaped" true \
	"$(jget 'j["fields"]["text"] == open("'"$VALAK"'", newline="").read().rstrip("\n")')"
check_eq "no thread_ts outside a thread" "ERROR: KeyError('thread_ts')" "$(jget 'j["fields"]["thread_ts"]')"

# The same text ingested by the CLI, into a database of its own, is the
# reference for what the indicator engine finds.
CTIHUB_DB="$TEST_DIR/reference.db" ctihub ingest --format text "$VALAK" >/dev/null ||
	fail "reference ingest of the note failed"
reference=$(sqlite3 -batch -noheader "$TEST_DIR/reference.db" \
	"SELECT type || ' ' || value FROM indicators ORDER BY type, value")
check_eq "indicators match the CLI's extraction" "$reference" \
	"$(jget '"\n".join(sorted(i["type"] + " " + i["value"] for i in j["indicators"]))')"
if [ "$VALAK" != "$EXAMPLES/notes/2026-12-02-pharmacy-smishing.txt" ]; then
	check_eq "note sha256 count" 46 "$(jget 'sum(1 for i in j["indicators"] if i["type"] == "sha256")')"
	check_eq "note domains refanged" "dwniu8n.com eto9ve1.com g7bxxcu.com rlb9lmt.com wfpyutf.com wnrfa9y.com" \
		"$(jget '" ".join(sorted(i["value"] for i in j["indicators"] if i["type"] == "domain"))')"
fi
check_eq "note indicator_count" "$(wc -l <<<"$reference")" "$(jget 'j["indicator_count"]')"
check_eq "channel messages make no guest accounts" 0 "$(sql "SELECT COUNT(*) FROM users WHERE name LIKE 'chat:%'")"
check_eq "note audited" 1 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.create' AND object = 'report:$valak_id'")"
check_eq "note source names the channel" slack:acme/C0IOCS \
	"$(sql "SELECT s.name FROM reports r JOIN sources s ON s.id = r.source_id WHERE r.id = $valak_id")"

# ---- replays and retries -----------------------------------------------------------

events_before=$(sql 'SELECT COUNT(*) FROM chat_events')
indicators_before=$(sql 'SELECT SUM(times_seen) FROM indicators')
slack_send "$valak" "$ts"
case "$status" in
200 | 401) pass ;;
*) fail "replayed request: expected 200 (a repeat) or 401 (a replay), got $status; $body" ;;
esac
start_ms=$(date +%s%3N)
slack_send "$valak" "" "" "X-Slack-Retry-Num: 1" "X-Slack-Retry-Reason: http_timeout"
elapsed_ms=$(($(date +%s%3N) - start_ms))
check_code "retry" 200
if [ "$elapsed_ms" -lt 3000 ]; then pass; else fail "retry took $elapsed_ms ms, Slack waits 3000"; fi
slack_send "$valak" "" "" "X-Slack-Retry-Num: 2" "X-Slack-Retry-Reason: http_error"
check_code "second retry" 200
check_eq "retries store no second report" 1 "$(chat_report_count)"
check_eq "retries record no new event" "$events_before" "$(sql 'SELECT COUNT(*) FROM chat_events')"
check_eq "retries count no sighting twice" "$indicators_before" "$(sql 'SELECT SUM(times_seen) FROM indicators')"
check_eq "retries write no audit entry" 1 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.create'")"

# ---- what is not stored ------------------------------------------------------------

slack_send "$(slack_callback Ev0CHATTER "$(slack_message C0IOCS 1700000200.000001 U0ALICE 'good morning, anything new?')")"
check_code "chatter" 200
slack_send "$(slack_callback Ev0BOTSELF "$(slack_message C0IOCS 1700000201.000001 "$BOT" 'Blocked 198.51.100[.]23')")"
check_code "bot's own message" 200
slack_send "$(slack_callback Ev0BOTID "$(slack_message C0IOCS 1700000202.000001 U0OTHER 'seen evil-bot[.]example' '' '{"bot_id": "B0OTHER"}')")"
check_code "message with bot_id" 200
slack_send "$(slack_callback Ev0BOTMSG "$(json_build '{"type": "message", "subtype": "bot_message",
	"channel": "C0IOCS", "bot_id": "B0OTHER", "text": "seen evil-bot[.]example", "ts": "1700000203.000001"}')")"
check_code "bot_message subtype" 200
slack_send "$(slack_callback Ev0QUIET "$(slack_message C0QUIET 1700000204.000001 U0ALICE 'seen quiet-evil[.]example')")"
check_code "channel with ingest off" 200
slack_send "$(slack_callback Ev0OTHER "$(slack_message C0OTHER 1700000205.000001 U0ALICE 'seen other-evil[.]example')")"
check_code "channel not configured" 200
slack_send "$(slack_callback Ev0JOIN "$(slack_message C0IOCS 1700000206.000001 U0ALICE 'joined evil-join[.]example' '' '{"subtype": "channel_join"}')")"
check_code "channel_join subtype" 200
check_eq "nothing of those stored" 1 "$(chat_report_count)"
check_eq "no bot indicator stored" 0 "$(sql "SELECT COUNT(*) FROM indicators WHERE value LIKE '%evil-%' OR value = '198.51.100.23'")"

# ---- a thread reply -----------------------------------------------------------------

slack_send "$(slack_callback Ev0REPLY "$(slack_message C0IOCS 1700000300.000001 U0BOB 'also contacted 81.176.239[.]99' 1700000100.000100)")"
check_code "thread reply" 200
reply_id=$(report_of C0IOCS 1700000300.000001)
check_eq "thread reply links its thread's report" "$valak_id" \
	"$(sql "SELECT parent_report_id FROM chat_messages WHERE ts = '1700000300.000001'")"
req GET "/api/v1/reports/$reply_id" "$READER"
check_code "thread reply readable" 200
check_eq "thread reply keeps thread_ts" 1700000100.000100 "$(jget 'j["fields"]["thread_ts"]')"
check_eq "thread reply indicator" "ipv4 81.176.239.99" "$(jget '" ".join(i["type"] + " " + i["value"] for i in j["indicators"])')"

# ---- edits and deletions ------------------------------------------------------------

slack_send "$(slack_callback Ev0EDITME "$(slack_message C0IOCS 1700000400.000001 U0ALICE 'C2 at first-c2[.]example')")"
edit_id=$(report_of C0IOCS 1700000400.000001)
check_eq "message to edit stored" 3 "$(chat_report_count)"

slack_send "$(slack_callback Ev0EDIT1 "$(slack_edit C0IOCS 1700000400.000001 U0ALICE 'C2 moved to second-c2[.]example
and 45.61.136[.]5')")"
check_code "edit" 200
check_eq "edit keeps the report" "$edit_id" "$(report_of C0IOCS 1700000400.000001)"
check_eq "edit adds no report" 3 "$(chat_report_count)"
req GET "/api/v1/reports/$edit_id" "$READER"
check_eq "edit changes the title" "C2 moved to second-c2[.]example" "$(jget 'j["title"]')"
check_eq "edit changes the text" "C2 moved to second-c2[.]example
and 45.61.136[.]5" "$(jget 'j["fields"]["text"]')"
check_eq "edit relinks the indicators" "domain second-c2.example ipv4 45.61.136.5" \
	"$(jget '" ".join(sorted(i["type"] + " " + i["value"] for i in j["indicators"]))')"
check_eq "edit is audited" 1 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.update' AND object = 'report:$edit_id'")"

slack_send "$(slack_callback Ev0EDIT2 "$(slack_edit C0IOCS 1700000400.000001 U0ALICE 'never mind, false alarm')")"
check_code "edit removing every indicator" 200
req GET "/api/v1/reports/$edit_id" "$READER"
check_code "report of an edit without indicators is withdrawn" 404
slack_send "$(slack_callback Ev0EDIT3 "$(slack_edit C0IOCS 1700000400.000001 U0ALICE 'back: third-c2[.]example')")"
req GET "/api/v1/reports/$edit_id" "$READER"
check_code "edit naming indicators again restores the report" 200
check_eq "restored report's indicators" "domain third-c2.example" \
	"$(jget '" ".join(i["type"] + " " + i["value"] for i in j["indicators"])')"

slack_send "$(slack_callback Ev0DELETE "$(slack_delete C0IOCS 1700000400.000001)")"
check_code "deletion" 200
req GET "/api/v1/reports/$edit_id" "$READER"
check_code "deleted message's report is gone" 404
check_eq "deletion sets withdrawn" 1 "$(sql "SELECT withdrawn IS NOT NULL FROM reports WHERE id = $edit_id")"
# The edit that removed every indicator withdrew the report once before.
check_eq "deletion is audited" 2 "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'report.withdraw' AND object = 'report:$edit_id'")"
req GET "/api/v1/reports?limit=500" "$READER"
check_code "list reports" 200
check_eq "deleted report is not listed" 0 "$(jget 'sum(1 for r in j["reports"] if r["id"] == '"$edit_id"')')"

# Slack does not promise order: an edit that arrives after the deletion
# must not bring the report back.
slack_send "$(slack_callback Ev0LATEEDIT "$(slack_edit C0IOCS 1700000400.000001 U0ALICE 'late: fourth-c2[.]example')")"
check_code "edit after deletion" 200
req GET "/api/v1/reports/$edit_id" "$READER"
check_code "edit after deletion keeps the report withdrawn" 404

slack_send "$(slack_callback Ev0EARLYDEL "$(slack_delete C0IOCS 1700000500.000001)")"
slack_send "$(slack_callback Ev0LATEPOST "$(slack_message C0IOCS 1700000500.000001 U0ALICE 'late first delivery of fifth-c2[.]example')")"
check_code "message delivered after its deletion" 200
check_eq "message delivered after its deletion is not stored" "" "$(report_of C0IOCS 1700000500.000001)"

slack_send "$(slack_callback Ev0DELTHREAD "$(slack_delete C0IOCS 1700000100.000100)")"
req GET "/api/v1/reports/$valak_id" "$READER"
check_code "deleted analyst note is gone" 404
req GET "/api/v1/reports/$reply_id" "$READER"
check_code "reply outlives its thread's first message" 200

# ---- Mattermost outgoing webhooks ---------------------------------------------------

# mm_send CONTENT_TYPE BODY: posts an outgoing webhook request.
mm_send() {
	status=$(printf '%s' "$2" | curl -s -m 60 -o "$TEST_DIR/reply.body" -D "$HEADERS" -w '%{http_code}' \
		-H "Content-Type: $1" --data-binary @- "$API_URL/chat/mattermost/messages")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# mm_form TOKEN POST_ID TEXT [USER_ID]: the form-encoded webhook body.
mm_form() {
	python3 -c '
import sys, urllib.parse
token, post_id, text, user = sys.argv[1:5]
print(urllib.parse.urlencode({"channel_id": "mmchan0iocs", "channel_name": "iocs",
	"team_domain": "ops", "team_id": "'"$MM_TEAM"'", "post_id": post_id, "text": text,
	"timestamp": "1700000600000", "token": token, "trigger_word": "", "user_id": user,
	"user_name": "carol", "file_ids": ""}), end="")' "$1" "$2" "$3" "${4:-mmuser0carol}"
}

before=$(chat_report_count)
mm_send application/x-www-form-urlencoded "$(mm_form wrongtoken mmpost0bad 'seen 185.118.164[.]200')"
check_code "Mattermost bad token" 401
mm_send application/x-www-form-urlencoded "$(mm_form '' mmpost0empty 'seen 185.118.164[.]200')"
check_code "Mattermost empty token" 401
mm_send application/json "$(json_build '{"team_id": "nosuchteam", "token": a[0], "post_id": "mmpost0team",
	"channel_id": "mmchan0iocs", "user_id": "mmuser0carol", "text": "seen 185.118.164[.]200"}' "$CHAT_TEST_MM_TOKEN")"
check_code "Mattermost unknown team" 401
check_eq "rejected webhooks store nothing" "$before" "$(chat_report_count)"

mm_send application/x-www-form-urlencoded "$(mm_form "$CHAT_TEST_MM_TOKEN" mmpost0form 'Hunting lead: 185.118.164[.]200 & hxxp://g7bxxcu[.]com/x')"
check_code "Mattermost form webhook" 200
check_eq "Mattermost reply posts nothing" "{}" "$body"
mm_id=$(report_of mmchan0iocs mmpost0form)
req GET "/api/v1/reports/$mm_id" "$READER"
check_code "Mattermost report readable" 200
check_eq "Mattermost tlp" GREEN "$(jget 'j["tlp"]')"
check_eq "Mattermost platform" mattermost "$(jget 'j["fields"]["platform"]')"
check_eq "Mattermost category" hunting "$(jget 'j["fields"]["category"]')"
check_eq "Mattermost ts is the post id" mmpost0form "$(jget 'j["fields"]["ts"]')"
check_eq "Mattermost user name" carol "$(jget 'j["fields"]["user_name"]')"
check_eq "Mattermost indicators" "ipv4 185.118.164.200 url http://g7bxxcu.com/x" \
	"$(jget '" ".join(sorted(i["type"] + " " + i["value"] for i in j["indicators"]))')"

mm_send application/x-www-form-urlencoded "$(mm_form "$CHAT_TEST_MM_TOKEN" mmpost0form 'Hunting lead: 185.118.164[.]200 & hxxp://g7bxxcu[.]com/x')"
check_code "Mattermost repeat" 200
mm_send application/json "$(json_build '{"team_id": a[1], "token": a[0], "post_id": "mmpost0json",
	"channel_id": "mmchan0iocs", "channel_name": "iocs", "user_id": "mmuser0dave", "user_name": "dave",
	"text": "beacon to wnrfa9y[.]com", "timestamp": "1700000601000"}' "$CHAT_TEST_MM_TOKEN" "$MM_TEAM")"
check_code "Mattermost JSON webhook" 200
mm_send application/x-www-form-urlencoded "$(mm_form "$CHAT_TEST_MM_TOKEN" mmpost0bot 'bot says 93.189.42[.]58' mmbot0ctihub)"
check_code "Mattermost bot's own post" 200
check_eq "Mattermost stores the form and JSON posts once each" $((before + 2)) "$(chat_report_count)"
check_eq "Mattermost JSON post stored" 1 "$(sql "SELECT COUNT(*) FROM chat_messages WHERE ts = 'mmpost0json'")"

api_stop
check_stopped "server stop"
finish
