#!/usr/bin/env bash
# Slash commands through a real server, built as Slack and Mattermost send
# them: signatures good, bad, expired and replayed; linking a chat account
# with a one-time code; every command's text form end to end, with the
# results checked in the hub and in the LE queue; the LE-only commands
# refused to members; /ctisearch in the channel only within its TLP
# ceiling; Mattermost tokens; and the default organisation for unlinked
# users.
. "$(dirname "$0")/api_lib.sh"
. "$(dirname "$0")/chat_lib.sh"

config="$TEST_DIR/chat.yaml"
chat_config "$config"
api_start --config "$config" --rate-limit 0 || { finish; exit 1; }
api_org Members
api_org Police
api_user alice Members member
api_user olga Police le

# ---- signatures ----------------------------------------------------------------
slack_command U0ALICE C0IOC /ctisearch 'evil[.]example'
check_code "signed command" 200
data=$(form_encode team_id=T0CTI user_id=U0ALICE channel_id=C0IOC command=/ctisearch text=x)
slack_post /chat/slack/commands "$data" "$(date +%s)" wrong-secret
check_error "wrong secret" 401 unauthorized ""
slack_post /chat/slack/commands "$data" $(($(date +%s) - 400))
check_error "expired timestamp" 401 unauthorized ""
check_contains "expired: the log says why" "seconds away" "$(cat "$SERVER_LOG")"
slack_post /chat/slack/commands "$data" $(($(date +%s) + 400))
check_error "future timestamp" 401 unauthorized ""
ts=$(date +%s)
slack_post /chat/slack/commands "$data" "$ts"
check_code "first delivery" 200
slack_post /chat/slack/commands "$data" "$ts"
check_error "replayed request" 401 unauthorized ""
status=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "$data" "$API_URL/chat/slack/commands")
check_eq "unsigned request" 401 "$status"
slack_post /chat/slack/commands "$(form_encode team_id=T0OTHER user_id=U1 command=/ctisearch text=x)"
check_error "unknown workspace" 401 unauthorized ""
check_eq "unknown workspace and bad signature read alike" "the request could not be verified" \
	"$(jget 'j["error"]["message"]')"
slack_post /chat/slack/commands "$data" "+$(date +%s)"
check_error "signed timestamp with a sign" 401 unauthorized ""
slack_post /chat/slack/commands 'team_id=T0CTI&text=%ZZ'
check_error "malformed form" 400 invalid ""

# ---- identity ------------------------------------------------------------------
slack_command U0ALICE C0IOC /ioc 'hxxp://evil[.]example/login; purpose: blocking'
check_code "unlinked user" 200
check_contains "unlinked: how to link" "link code" "$(jget 'j["text"]')"
code=$(ctihub user link-code alice)
check_contains "link code shape" "-" "$code"
slack_command U0ALICE C0IOC /ctilink "$code"
check_contains "linked" "linked to the ctihub account alice" "$(jget 'j["text"]')"
slack_command U0MALLORY C0IOC /ctilink "$code"
check_contains "a code works once" "unknown, used or expired" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ctilink "$(ctihub user link-code olga)"
check_contains "a linked account stays linked" "linked to alice already" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ctilink 'not-a-code'
check_contains "bad code" "not a link code" "$(jget 'j["text"]')"
olga_token=$(api_token olga)
req POST /api/v1/me/link-code "$olga_token"
check_code "link code over the API" 201
slack_command U0OLGA C0LE /ctilink "$(jget 'j["code"]')"
check_contains "olga linked" "account olga" "$(jget 'j["text"]')"
check_eq "links audited" 2 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'chat.link'")"

# ---- the report commands, text form --------------------------------------------
reports_before=$(report_count)
slack_command U0ALICE C0IOC /ioc 'indicators: hxxp://covid-refund[.]example/pay, 198.51.100[.]23; purpose: blocking; tlp: GREEN'
check_code "/ioc" 200
check_eq "/ioc stored a report" $((reports_before + 1)) "$(report_count)"
check_eq "/ioc indicators refanged" 1 \
	"$(sql "SELECT count(*) FROM indicators WHERE value = 'http://covid-refund.example/pay'")"
check_eq "/ioc as alice" alice "$(sql "SELECT u.name FROM reports r JOIN users u ON u.id = r.submitter_id ORDER BY r.id DESC LIMIT 1")"
slack_command U0ALICE C0IOC /attack 'tactic: Initial Access; description: Smishing with refund links; exploitation: SMS about a pandemic refund'
check_eq "/attack stored a report" attack "$(sql 'SELECT kind FROM reports ORDER BY id DESC LIMIT 1')"
slack_command U0ALICE C0IOC /vulntriage 'time: 2026-12-01T09:30:00Z; ip: 203.0.113.10; cve: CVE-2023-4966; organisation: Example Clinic; country: NL'
check_eq "/vulntriage stored a report" vuln "$(sql 'SELECT kind FROM reports ORDER BY id DESC LIMIT 1')"
slack_command U0ALICE C0IOC /hunt 'rule_type: yara; rule: rule refund_kit { strings: $a = "covid-refund" condition: $a }'
check_eq "/hunt stored a report" hunting "$(sql 'SELECT kind FROM reports ORDER BY id DESC LIMIT 1')"
before=$(report_count)
slack_command U0ALICE C0IOC /hunt 'rule_type: yara; rule: rule broken {'
check_contains "/hunt: compiler error" "line" "$(jget 'j["text"]')"
check_eq "/hunt: nothing stored" "$before" "$(report_count)"

# ---- the LE queue from chat ----------------------------------------------------
slack_command U0ALICE C0IOC /lenew 'summary: Fake refund portal; incident_type: fraud; objective: takedown; victim_location: DE'
check_contains "/lenew opened a referral" "LE-" "$(jget 'j["text"]')"
check_eq "/lenew is ephemeral" ephemeral "$(jget 'j["response_type"]')"
ref=$(sql "SELECT 'LE-' || year || '-' || printf('%04d', seq) FROM referrals ORDER BY id DESC LIMIT 1")
check_eq "referral reporter" alice "$(sql 'SELECT u.name FROM referrals r JOIN users u ON u.id = r.reporter_id ORDER BY r.id DESC LIMIT 1')"
slack_command U0ALICE C0IOC /leopenlist
check_contains "members may not list" "Only law-enforcement" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /lereply "$ref thanks"
check_contains "members may not reply" "Only law-enforcement" "$(jget 'j["text"]')"
slack_command U0OLGA C0LE /leopenlist
check_contains "officer lists" "$ref" "$(jget 'j["text"]')"
check_eq "the list is ephemeral" ephemeral "$(jget 'j["response_type"]')"
slack_command U0OLGA C0LE /lereply "$ref We asked the host to suspend it."
check_contains "officer replies" "Reply added to $ref" "$(jget 'j["text"]')"
slack_command U0OLGA C0LE /lereply "$ref internal: same seller as case 12"
check_contains "internal reply" "Internal reply" "$(jget 'j["text"]')"
slack_command U0OLGA C0LE /leclose "$ref actioned site suspended"
check_contains "officer closes" "closed as actioned" "$(jget 'j["text"]')"
slack_command U0OLGA C0LE /leclose "$ref actioned"
check_contains "close twice" "closed already" "$(jget 'j["text"]')"
slack_command U0OLGA C0LE /leclose "$ref"
check_contains "close without a resolution" "Usage" "$(jget 'j["text"]')"
alice_token=$(api_token alice)
req GET "/api/v1/referrals/$ref" "$alice_token"
check_eq "the reporter sees the public reply" '["We asked the host to suspend it."]' \
	"$(jget '[r["body"] for r in j["replies"]]')"
check_eq "state from chat" "closed actioned" "$(jget 'j["state"] + " " + j["resolution"]')"

req GET "/api/v1/reports?kind=chat" "$alice_token"
check_code "chat reports can be listed" 200
req GET "/api/v1/reports?kind=file" "$alice_token"
check_code "file reports can be listed" 200

# ---- search and the channel's TLP ceiling ---------------------------------------
slack_command U0ALICE C0IOC /ctisearch '198.51.100[.]23'
check_contains "search finds the address" "198.51.100.23" "$(jget 'j["text"]')"
check_eq "GREEN fits a GREEN channel" in_channel "$(jget 'j["response_type"]')"
slack_command U0ALICE C0IOC /ioc 'indicators: amber-only[.]example; purpose: research; tlp: AMBER'
slack_command U0ALICE C0IOC /ctisearch 'amber-only[.]example'
check_eq "AMBER is above a GREEN channel" ephemeral "$(jget 'j["response_type"]')"
slack_command U0OLGA C0LE /ctisearch 'amber-only[.]example'
check_eq "AMBER fits an AMBER channel" in_channel "$(jget 'j["response_type"]')"
bob_org=$(api_org Bank; api_user bob Bank member; api_token bob)
req POST /api/v1/reports "$bob_org" '{"kind": "ioc", "tlp": "RED", "purpose": "blocking", "indicators": ["red-only.example"]}'
check_code "a RED report of another organisation" 201
slack_command U0OLGA C0LE /ctisearch 'red-only[.]example'
check_contains "search: not readable" "knows nothing" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ctisearch 'nothing-here[.]example'
check_contains "search: nothing" "knows nothing" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ctisearch 'not a value'
check_contains "search: not an indicator" "is not an indicator" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ctidigest
check_contains "digest" "ctihub digest for you" "$(jget 'j["text"]')"
check_eq "digest: no other organisation's RED value" 0 "$(jget 'int("red-only.example" in j["text"])')"
check_eq "digest: only for the caller" ephemeral "$(jget 'j["response_type"]')"
slack_command U0ALICE C0IOC /nosuch
check_contains "unknown command" "not a ctihub command" "$(jget 'j["text"]')"
slack_command U0ALICE C0IOC /ioc 'indicators: <!channel> &amp; <https://x.example|click>; purpose: research'
check_eq "mrkdwn escaped" 0 "$(jget 'int("<!channel>" in j["text"])')"

# ---- Mattermost ------------------------------------------------------------------
mm_command M0ALICE /ctisearch 'covid-refund[.]example'
check_code "Mattermost command" 200
check_contains "Mattermost: unlinked" "not linked" "$(jget 'j["text"]')"
mm_command M0ALICE /ctisearch x wrong-token
check_error "Mattermost: wrong token" 401 unauthorized token
mm_command M0ALICE /ctilink "$(ctihub user link-code alice)"
check_contains "Mattermost: linked" "mattermost account is now linked" "$(jget 'j["text"]')"
mm_command M0ALICE /ctisearch '198.51.100[.]23'
check_contains "Mattermost: search" "198.51.100.23" "$(jget 'j["text"]')"
mm_command M0ALICE /lenew 'summary: Mattermost referral; incident_type: phishing; objective: investigation'
check_contains "Mattermost: referral" "LE-" "$(jget 'j["text"]')"
check_eq "Mattermost: no mass mention" 0 "$(mm_command M0ALICE /ctisearch '@all'; jget 'int("@all" in j["text"])')"
mm_command M0ALICE /ctisearch '[reset](http://phish.example)'
check_eq "Mattermost: no Markdown link" 0 "$(jget 'int("[reset](" in j["text"])')"
slack_command U0ALICE C0IOC /ctisearch "$(printf 'a%.0s' $(seq 199))é"
check_contains "a reply cut inside a character survives" "is not an indicator" "$(jget 'j["text"]')"

api_stop
check_stopped "chat server"

# ---- the default organisation for unlinked users ---------------------------------
chat_config "$config" "" "      default_org: Slack guests"
ctihub org add "Slack guests" >/dev/null
api_start --config "$config" --rate-limit 0 || { finish; exit 1; }
slack_post /chat/slack/commands "$data" "$ts"
check_error "a replay after a restart" 401 unauthorized ""
before=$(report_count)
slack_command U0GUEST C0IOC /ioc 'indicators: guest-report[.]example; purpose: awareness'
check_eq "a guest may submit" $((before + 1)) "$(report_count)"
check_eq "as the default organisation" "Slack guests" "$(sql 'SELECT o.name FROM reports r JOIN orgs o ON o.id = r.org_id ORDER BY r.id DESC LIMIT 1')"
check_contains "in an account made for the guest" "chat:" "$(sql 'SELECT u.name FROM reports r JOIN users u ON u.id = r.submitter_id ORDER BY r.id DESC LIMIT 1')"
slack_command U0GUEST C0IOC /lenew 'summary: Guest referral; incident_type: other; objective: information_only'
check_contains "a guest may open a referral" "LE-" "$(jget 'j["text"]')"
slack_command U0GUEST C0IOC /ctilink "$(ctihub user link-code alice)"
check_contains "a guest links a real account" "account alice" "$(jget 'j["text"]')"
slack_command U0GUEST C0IOC /leopenlist
check_contains "a guest is no officer" "Only law-enforcement" "$(jget 'j["text"]')"
api_stop
check_stopped "chat server with guests"

chat_config "$config"
sed -i 's/ceiling: AMBER/ceiling: RED/' "$config"
"$CTIHUB_BIN" --config "$config" serve --listen 127.0.0.1:0 >/dev/null 2>"$TEST_DIR/bad.err"
check_eq "a RED channel ceiling stops the server" 1 $?
check_contains "and says why" "shared with everyone" "$(cat "$TEST_DIR/bad.err")"

chat_config "$config" "" "      default_org: Nobody"
"$CTIHUB_BIN" --config "$config" serve --listen 127.0.0.1:0 >/dev/null 2>"$TEST_DIR/bad.err"
check_eq "a missing default organisation stops the server" 1 $?
check_contains "and names it" "Nobody" "$(cat "$TEST_DIR/bad.err")"
finish
