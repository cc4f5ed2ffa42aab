#!/usr/bin/env bash
# The LE referral queue through a real server: a member opens a referral,
# an officer lists, replies (public and internal), assigns, moves it on,
# closes and reopens it, and the reporter sees the public replies only.
# Then the table of every role against every action, the refusals'
# audit entries, evidence attachments with their SHA-256, the list
# filters and "new since I last looked", and bad input.
. "$(dirname "$0")/api_lib.sh"

api_start --rate-limit 0 || { finish; exit 1; }
api_org Members
api_org Police
api_user alice Members member
api_user mallory Members member
api_user officer1 Police le
api_user officer2 Police le
declare -A token=([none]="" [admin]="$ADMIN_TOKEN")
for user in alice mallory officer1 officer2; do
	token[$user]=$(api_token "$user")
done
year=$(date -u +%Y)

# ---- the whole flow ------------------------------------------------------------
req POST /api/v1/referrals "${token[alice]}" '{
	"summary": "Phishing kit imitating a hospital login",
	"incident_type": "fraud or scam",
	"objective": "takedown",
	"illegal_reason": "credential theft from patients",
	"victim_location": "DE",
	"suspect_location": "unknown, hosted in NL",
	"suspect_info": "registrant email kit@evil.example",
	"documentation": "screenshots and the kit archive",
	"contact_allowed": true,
	"contact_method": "email alice@members.example",
	"indicators": "login page at hxxps://portal-login[.]example/auth and 203.0.113[.]7",
	"tlp": "AMBER"}'
check_code "open referral" 201
ref=$(jget 'j["id"]')
check_eq "referral id" "LE-$year-0001" "$ref"
check_eq "new state" new "$(jget 'j["state"]')"
check_eq "incident type id" fraud "$(jget 'j["incident_type"]')"
check_eq "documentation implied" true "$(jget 'j["documentation_available"]')"
check_eq "indicators refanged" \
	'[["ipv4", "203.0.113.7"], ["url", "https://portal-login.example/auth"]]' \
	"$(jget '[[i["type"], i["value"]] for i in j["indicators"]]')"
check_eq "waiting since creation" true "$(jget 'j["unacknowledged_seconds"] is not None')"

req POST /api/v1/referrals "${token[mallory]}" '{"summary": "DDoS on a clinic",
	"incident_type": "DDoS", "objective": "investigation", "victim_location": "FR"}'
check_code "second referral" 201
ref2=$(jget 'j["id"]')
check_eq "numbers grow" "LE-$year-0002" "$ref2"

req GET "/api/v1/referrals?state=open" "${token[officer1]}"
check_code "officer lists" 200
check_eq "officer sees all" all "$(jget 'j["scope"]')"
check_eq "both new to officer1" "2 2" "$(jget '"%d %d" % (j["total"], j["new"])')"
check_eq "flagged new" "[true, true]" "$(jget '[r["new"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?state=open" "${token[officer1]}"
check_eq "nothing new on the second look" 0 "$(jget 'j["new"]')"
req GET "/api/v1/referrals?new=true" "${token[officer2]}"
check_eq "officer2 has their own mark" 2 "$(jget 'len(j["referrals"])')"
req GET "/api/v1/referrals?new=true&mark_seen=false" "${token[officer2]}"
check_eq "mark moved for officer2" 0 "$(jget 'len(j["referrals"])')"

req GET /api/v1/referrals "${token[alice]}"
check_eq "member sees own only" "own [\"$ref\"]" "$(jget 'j["scope"] + " " + json.dumps([r["id"] for r in j["referrals"]])')"

req POST "/api/v1/referrals/$ref/replies" "${token[officer1]}" \
	'{"body": "Thank you, we have asked the host to take it down."}'
check_code "public reply" 201
req POST "/api/v1/referrals/$ref/replies" "${token[officer1]}" \
	'{"body": "Registrant matches case 4711.", "internal": true}'
check_code "internal reply" 201
check_eq "officer sees both replies" 2 "$(jget 'len(j["replies"])')"

req POST "/api/v1/referrals/$ref/assign" "${token[officer1]}" \
	'{"officer": "officer2", "agency": "National cybercrime unit"}'
check_code "assign" 200
check_eq "assigning acknowledges" "acknowledged officer2 National cybercrime unit" \
	"$(jget 'j["state"] + " " + j["assignee"] + " " + j["agency"]')"
check_eq "no longer waiting" None "$(jget 'str(j["unacknowledged_seconds"])')"

req POST "/api/v1/referrals/$ref/state" "${token[officer2]}" '{"state": "in_progress"}'
check_code "in progress" 200
check_eq "state moved" in_progress "$(jget 'j["state"]')"
req POST "/api/v1/referrals/$ref/state" "${token[officer2]}" '{"state": "in_progress"}'
check_error "same state again" 409 conflict ""

req POST "/api/v1/referrals/$ref/close" "${token[officer2]}" \
	'{"resolution": "actioned", "note": "site suspended by the host"}'
check_code "close" 200
check_eq "closed with resolution" "closed actioned" "$(jget 'j["state"] + " " + j["resolution"]')"
req POST "/api/v1/referrals/$ref/close" "${token[officer2]}" '{"resolution": "duplicate"}'
check_error "close twice" 409 conflict ""
req POST "/api/v1/referrals/$ref/assign" "${token[officer2]}" '{"agency": "Other"}'
check_error "assign a closed referral" 409 conflict ""

req GET "/api/v1/referrals/$ref" "${token[alice]}"
check_code "reporter reads" 200
check_eq "reporter sees the public reply only" \
	'["Thank you, we have asked the host to take it down."]' \
	"$(jget '[r["body"] for r in j["replies"]]')"
check_eq "no trace of the internal reply" "[]" \
	"$(jget '[e for e in j["history"] if "internal" in e["action"]]')"
check_eq "reporter sees the state changes" '["create", "reply", "assign", "state", "close"]' \
	"$(jget '[e["action"] for e in j["history"]]')"

req POST "/api/v1/referrals/$ref/reopen" "${token[officer1]}" '{"reason": "kit is back"}'
check_code "reopen" 200
check_eq "reopened" "in_progress None" "$(jget 'j["state"] + " " + str(j.get("resolution"))')"
req POST "/api/v1/referrals/$ref/reopen" "${token[officer1]}"
check_error "reopen an open referral" 409 conflict ""
req GET "/api/v1/referrals/$(echo "$ref" | tr 'A-Z' 'a-z')" "${token[officer1]}"
check_code "ids ignore case" 200

# ---- every role against every action -------------------------------------------
# Expected status per action for: reporter (alice), another member
# (mallory), an officer, an admin and a request without a token.
attach_file="$TEST_DIR/evidence.bin"
head -c 3000 /dev/urandom >"$attach_file"
upload() {
	local args=(-s -m 60 -o "$TEST_DIR/reply.body" -w '%{http_code}'
		-H 'Content-Type: application/pdf' --data-binary "@$attach_file")
	[ -n "$1" ] && args+=(-H "Authorization: Bearer $1")
	status=$(curl "${args[@]}" "$API_URL/api/v1/referrals/$ref/attachments?name=${2:-evidence.pdf}")
	body=$(cat "$TEST_DIR/reply.body")
}
declare -A expect=(
	[show]="200 404 200 404 401"
	[reply]="403 403 201 403 401"
	[assign]="403 403 200 403 401"
	[state]="403 403 200 403 401"
	[close]="403 403 200 403 401"
	[reopen]="403 403 200 403 401"
	[attach]="201 404 201 404 401"
)
roles=(alice mallory officer1 admin none)
for action in show reply assign state close reopen attach; do
	read -r -a want <<<"${expect[$action]}"
	for i in "${!roles[@]}"; do
		who=${roles[$i]}
		t=${token[$who]}
		case $action in
		show) req GET "/api/v1/referrals/$ref" "$t" ;;
		reply) req POST "/api/v1/referrals/$ref/replies" "$t" '{"body": "table"}' ;;
		assign) req POST "/api/v1/referrals/$ref/assign" "$t" '{"officer": "officer1"}' ;;
		state) req POST "/api/v1/referrals/$ref/state" "$t" '{"state": "acknowledged"}' ;;
		close) req POST "/api/v1/referrals/$ref/close" "$t" '{"resolution": "no_action"}' ;;
		reopen) req POST "/api/v1/referrals/$ref/reopen" "$t" ;;
		attach) upload "$t" ;;
		esac
		check_code "$action as $who" "${want[$i]}"
	done
done
req POST /api/v1/referrals "" '{"summary": "x", "incident_type": "other", "objective": "information_only"}'
check_code "open without a token" 401
req POST /api/v1/referrals "${token[admin]}" '{"summary": "admin report", "incident_type": "other",
	"objective": "information_only"}'
check_code "an admin opens a referral" 201
req GET /api/v1/referrals "${token[admin]}"
check_eq "an admin lists their own" "own 1" "$(jget 'j["scope"] + " " + str(j["total"])')"

denied=$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'referral.%' AND outcome = 'denied'")
# 5 LE-only actions x 3 refused roles with a token, plus the show and
# attach of mallory and of the admin.
check_eq "every refusal audited" 19 "$denied"
check_eq "refusals name the actor" 1 \
	"$(sql "SELECT count(*) FROM audit_log WHERE action = 'referral.reply' AND outcome = 'denied' AND actor = 'mallory'")"
ctihub audit verify >/dev/null
check_eq "audit chain intact" 0 $?

# ---- attachments ---------------------------------------------------------------
upload "${token[alice]}" "kit%20screenshot.png"
check_code "upload" 201
aid=$(jget 'j["id"]')
check_eq "sha256 recorded" "$(sha256sum "$attach_file" | cut -d' ' -f1)" "$(jget 'j["sha256"]')"
check_eq "name, size and uploader" "kit screenshot.png 3000 alice" \
	"$(jget '"%s %d %s" % (j["name"], j["size"], j["uploader"])')"
curl -s -o "$TEST_DIR/download" -H "Authorization: Bearer ${token[officer1]}" \
	"$API_URL/api/v1/referrals/$ref/attachments/$aid"
check_eq "download is byte-identical" "$(sha256sum <"$attach_file")" "$(sha256sum <"$TEST_DIR/download")"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token[mallory]}" \
	"$API_URL/api/v1/referrals/$ref/attachments/$aid")
check_eq "other member cannot download" 404 "$status"
upload "${token[alice]}" "../etc/passwd"
check_error "file name with a slash" 400 invalid name
status=$(curl -s -o "$TEST_DIR/reply.body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer ${token[alice]}" "$API_URL/api/v1/referrals/$ref/attachments?name=e.txt")
body=$(cat "$TEST_DIR/reply.body")
check_error "empty attachment" 400 invalid body

# ---- filters and sorting -------------------------------------------------------
req GET "/api/v1/referrals?state=all&type=ddos" "${token[officer1]}"
check_eq "filter by type" "[\"$ref2\"]" "$(jget '[r["id"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?state=all&location=nl" "${token[officer1]}"
check_eq "filter by suspect location" "[\"$ref\"]" "$(jget '[r["id"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?state=all&location=fr" "${token[officer1]}"
check_eq "filter by victim location" "[\"$ref2\"]" "$(jget '[r["id"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?state=all&min_age=1h" "${token[officer1]}"
check_eq "nothing is an hour old" 0 "$(jget 'j["total"]')"
req GET "/api/v1/referrals?state=all&max_age=1h" "${token[officer1]}"
check_eq "all are younger than an hour" 3 "$(jget 'j["total"]')"
req GET "/api/v1/referrals?state=new&sort=unacknowledged" "${token[officer1]}"
check_eq "unacknowledged first, oldest first" "[\"$ref2\", \"LE-$year-0003\"]" \
	"$(jget '[r["id"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?state=all&limit=1&offset=1&sort=oldest" "${token[officer1]}"
check_eq "paging" "[\"$ref2\"] 3" "$(jget 'json.dumps([r["id"] for r in j["referrals"]]) + " " + str(j["total"])')"

# ---- bad input -----------------------------------------------------------------
req POST /api/v1/referrals "${token[alice]}" '{"incident_type": "phishing", "objective": "takedown"}'
check_error "summary required" 400 invalid summary
req POST /api/v1/referrals "${token[alice]}" '{"summary": "s", "incident_type": "spam", "objective": "takedown"}'
check_error "unknown incident type" 400 invalid incident_type
check_contains "choices listed" "data_breach" "$(jget 'j["error"]["message"]')"
req POST /api/v1/referrals "${token[alice]}" '{"summary": "s", "incident_type": "phishing", "objective": "takedown", "victim": "x"}'
check_error "unknown field" 400 invalid victim
req POST /api/v1/referrals "${token[alice]}" '{"summary": "s", "incident_type": "phishing", "objective": "takedown", "contact_method": "phone"}'
check_error "contact method without consent" 400 invalid contact_method
req POST /api/v1/reports "${token[mallory]}" '{"kind": "ioc", "purpose": "research", "tlp": "RED", "indicators": ["198.51.100.9"]}'
red_report=$(jget 'j["id"]')
req POST /api/v1/referrals "${token[alice]}" "{\"summary\": \"s\", \"incident_type\": \"phishing\", \"objective\": \"takedown\", \"reports\": [$red_report]}"
check_error "linking a report one cannot read" 400 invalid "reports[0]"
before=$(sql 'SELECT count(*) FROM referrals')
req POST /api/v1/referrals "${token[alice]}" '{"summary": "s", "incident_type": "phishing", "objective": "takedown", "indicators": ["not a value"]}'
check_code "bad indicator refused" 400
check_eq "nothing stored by refused input" "$before" "$(sql 'SELECT count(*) FROM referrals')"
req POST "/api/v1/referrals/$ref/close" "${token[officer1]}" '{"resolution": "solved"}'
check_error "bad resolution" 400 invalid resolution
req POST "/api/v1/referrals/$ref/assign" "${token[officer1]}" '{"officer": "alice"}'
check_error "assign to a non-officer" 400 invalid officer
req GET "/api/v1/referrals?state=pending" "${token[officer1]}"
check_error "bad state filter" 400 invalid state
req GET "/api/v1/referrals?sort=age" "${token[officer1]}"
check_error "bad sort" 400 invalid sort
req GET "/api/v1/referrals?min_age=soon" "${token[officer1]}"
check_error "bad age" 400 invalid min_age
req GET /api/v1/referrals/LE-1-1 "${token[officer1]}"
check_code "malformed id" 400
req GET "/api/v1/referrals/LE-$year-0099" "${token[officer1]}"
check_code "unknown id" 404

# ---- what a reporter cannot learn, and what the audit log keeps -----------------
req GET "/api/v1/referrals/$ref2" "${token[mallory]}"
updated=$(jget 'j["updated"]')
sleep 1.1
req POST "/api/v1/referrals/$ref2/replies" "${token[officer1]}" '{"body": "note", "internal": true}'
check_code "internal reply on the second referral" 201
req GET "/api/v1/referrals/$ref2" "${token[mallory]}"
check_eq "an internal reply leaves updated alone" "$updated" "$(jget 'j["updated"]')"
refusals() {
	sql "SELECT count(*) FROM audit_log WHERE action = 'referral.close' AND actor = 'mallory' AND outcome = 'denied'"
}
before=$(refusals)
req POST "/api/v1/referrals/$ref2/close" "${token[mallory]}" '{}'
check_error "refused before the body is read" 403 forbidden ""
check_eq "that refusal is audited" $((before + 1)) "$(refusals)"
req POST "/api/v1/referrals/$(echo "$ref2" | tr 'A-Z' 'a-z')/reopen" "${token[mallory]}"
check_eq "audit names the canonical id" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'referral.reopen' AND actor = 'mallory' AND object = 'referral:$ref2'")"
check_eq "no close note in the audit log" 0 "$(sql "SELECT count(*) FROM audit_log WHERE detail LIKE '%site suspended%'")"
req POST /api/v1/referrals "${token[alice]}" '{"summary": "Victim list", "incident_type": "data breach", "objective": "victim notification", "tlp": "RED", "indicators": ["victim-clinic-redsecret.org"]}'
check_code "a RED referral" 201
red_ref=$(jget 'j["id"]')
check_eq "a RED referral's domain stays out of the digest" "" \
	"$(ctihub digest --since 1d --format json | grep -o redsecret)"
req GET "/api/v1/referrals?state=all" "${token[officer1]}"
check_eq "listing a RED referral is audited" 1 "$(sql "SELECT count(*) FROM audit_log WHERE action = 'referral.read' AND object = 'referral:$red_ref' AND detail = 'listed'")"
req GET "/api/v1/referrals?new=true" "${token[alice]}"
check_eq "a member's own new referrals" "[\"$red_ref\"]" "$(jget '[r["id"] for r in j["referrals"]]')"
req GET "/api/v1/referrals?new=true" "${token[alice]}"
check_eq "and none on the next look" 0 "$(jget 'len(j["referrals"])')"

# ---- encoded tricks in names and parameters ----------------------------------------
for name in 'a%00b' '%C3%28' '%E2%80%AEtxt.exe' '%20lead' 'line%0Abreak'; do
	upload "${token[alice]}" "$name"
	check_error "attachment name $name" 400 invalid name
done
req GET "/api/v1/referrals?location=%00" "${token[officer1]}"
check_error "NUL in a query parameter" 400 invalid location
req GET "/api/v1/referrals/$ref/attachments/99999999999999999999" "${token[officer1]}"
check_error "attachment id overflow" 400 invalid attachment
req GET "/api/v1/referrals/$ref/attachments/01" "${token[officer1]}"
check_error "attachment id with a leading zero" 400 invalid attachment
req POST "/api/v1/referrals/$ref/assign" "${token[officer1]}" '{"agency": "Unit\u202eX"}'
check_error "bidi override in an agency" 400 invalid agency

metrics=$(curl -s "$API_URL/metrics")
check_contains "metrics: open referrals" 'ctihub_referrals{state="new"} 3' "$metrics"
check_contains "metrics: in progress" 'ctihub_referrals{state="in_progress"} 1' "$metrics"
check_contains "metrics: no sinks, no messages" 'ctihub_outbox_messages{state="dead"} 0' "$metrics"

api_stop
check_stopped "referral server"
finish
