# Helpers for the chat bridge tests: a configuration with one Slack
# workspace and one Mattermost team, and requests signed or tokened as the
# platforms send them. Source after api_lib.sh.

export CHAT_SLACK_SECRET=8f742231b10e8888abcd99yyyzzz85a5
export CHAT_SLACK_BOT=xoxb-test-bot-token
export CHAT_MM_TOKEN=mm-command-token-1
export CHAT_MM_WEBHOOK=mm-outgoing-token-1

# chat_config FILE [MOCK_URL] [EXTRA_WORKSPACE_KEYS]: writes a configuration
# with workspace T0CTI (channels C0IOC, ingested, ceiling GREEN, and C0LE,
# ceiling AMBER) and Mattermost team mmteam.
chat_config() {
	local api=${2:-http://127.0.0.1:9/api}
	cat >"$1" <<CONF
public_url: http://127.0.0.1:8080
chat:
  workspaces:
    - platform: slack
      id: T0CTI
      name: CTI community
      signing_secret_env: CHAT_SLACK_SECRET
      bot_token_env: CHAT_SLACK_BOT
      bot_user_id: U0BOT
      api_url: $api
${3:-}
      channels:
        - id: C0IOC
          category: iocs
          ceiling: GREEN
        - id: C0LE
          category: iocs
          ingest: false
          ceiling: AMBER
    - platform: mattermost
      id: mmteam
      api_url: ${api%/api}
      command_token_env: CHAT_MM_TOKEN
      webhook_token_env: CHAT_MM_WEBHOOK
CONF
}

# slack_post PATH BODY [TIMESTAMP] [SECRET]: posts BODY to PATH signed as
# Slack signs it (HMAC-SHA256 of v0:TIMESTAMP:BODY), and sets status and
# body like req. TIMESTAMP defaults to now.
slack_post() {
	local path=$1 data=$2 ts=${3:-$(date +%s)} secret=${4:-$CHAT_SLACK_SECRET} sig
	sig=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' \
		"$secret" < <(printf 'v0:%s:%s' "$ts" "$data"))
	status=$(printf '%s' "$data" | curl -s -m 30 -o "$TEST_DIR/reply.body" -D "$HEADERS" \
		-w '%{http_code}' -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$sig" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @- "$API_URL$path")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# form_encode NAME=VALUE...: prints an application/x-www-form-urlencoded body.
form_encode() {
	python3 -c 'import sys, urllib.parse
print(urllib.parse.urlencode([tuple(a.split("=", 1)) for a in sys.argv[1:]]), end="")' "$@"
}

# slack_command USER CHANNEL COMMAND [TEXT]: a signed slash command.
slack_command() {
	slack_post /chat/slack/commands "$(form_encode team_id=T0CTI "user_id=$1" "channel_id=$2" \
		"command=$3" "text=${4:-}" trigger_id=13345224609.738474920.8088930838d88f008e0)"
}

# mm_command USER COMMAND [TEXT] [TOKEN]: a Mattermost slash command.
mm_command() {
	local data
	data=$(form_encode "token=${4:-$CHAT_MM_TOKEN}" team_id=mmteam "user_id=$1" channel_id=mmchan \
		"command=$2" "text=${3:-}")
	status=$(printf '%s' "$data" | curl -s -m 30 -o "$TEST_DIR/reply.body" -w '%{http_code}' \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @- \
		"$API_URL/chat/mattermost/commands")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}
