#!/usr/bin/env bash
# Checks the TLP read rule of docs/tlp.md on every read route of a real
# server: each reader (no token, members of two organisations, a
# law-enforcement user, an admin) against a report at each TLP level,
# through GET by id, the list, the indicator route and search. Also the
# rule with --public-read, an indicator shared by an AMBER and a RED
# report, anonymous reports and the audit entries for restricted reads.
. "$(dirname "$0")/api_lib.sh"

api_start --rate-limit 0 || { finish; exit 1; }
for org in A B LE; do
	api_org "$org"
done
api_user a1 A member
api_user a2 A member
api_user b1 B member
api_user le1 LE le
declare -A token=([none]="" [public]="" [admin]="$ADMIN_TOKEN")
for user in a1 a2 b1 le1; do
	token[$user]=$(api_token "$user")
done

# A sha256 that no other report in this test carries.
unique_sha256() {
	printf 'ctihub api_tlp %s' "$1" | sha256sum | cut -d' ' -f1
}

# new_ioc NAME TOKEN EXTRA_JSON: submits an ioc report with the indicator
# $sha and sets id. EXTRA_JSON contains the tlp and share_with members.
new_ioc() {
	req POST /api/v1/reports "$2" "{\"kind\": \"ioc\", \"purpose\": \"research\",
		\"indicators\": [\"$sha\"], $3}"
	check_code "$1 create" 201
	id=$(jget 'j["id"]')
}

# ---- one report per level, submitted by a1 ----------------------------------
levels=(CLEAR GREEN AMBER STRICT STRICT_LE RED WHITE)
declare -A body=(
	[CLEAR]='"tlp": "CLEAR"'
	[GREEN]='"tlp": "GREEN"'
	[AMBER]='"tlp": "AMBER"'
	[STRICT]='"tlp": "AMBER+STRICT"'
	[STRICT_LE]='"tlp": "AMBER+STRICT", "share_with": {"orgs": ["LE"]}'
	[RED]='"tlp": "RED", "share_with": {"users": ["a2"]}'
	[WHITE]='"tlp": "WHITE"'
)
declare -A stored_tlp=([CLEAR]=CLEAR [GREEN]=GREEN [AMBER]=AMBER [STRICT]=AMBER+STRICT
	[STRICT_LE]=AMBER+STRICT [RED]=RED [WHITE]=CLEAR)
declare -A report_id indicator
for level in "${levels[@]}"; do
	sha=$(unique_sha256 "$level")
	new_ioc "$level" "${token[a1]}" "${body[$level]}"
	check_eq "$level stored level" "${stored_tlp[$level]}" "$(jget 'j["tlp"]')"
	report_id[$level]=$id
	indicator[$level]=$sha
done

# Who may read what, from docs/tlp.md. STRICT is AMBER+STRICT for the
# submitter's organisation A; STRICT_LE adds the organisation LE; RED names
# the user a2 besides the submitter a1. "public" is a reader without a token
# on a server started with --public-read.
expectations='
reader  CLEAR GREEN AMBER STRICT STRICT_LE RED WHITE
none    0     0     0     0      0         0   0
a1      1     1     1     1      1         1   1
a2      1     1     1     1      1         1   1
b1      1     1     1     0      0         0   1
le1     1     1     1     0      1         0   1
admin   1     1     1     0      0         0   1
public  1     0     0     0      0         0   1
'

# expected READER LEVEL: 1 when the table lets READER read LEVEL.
expected() {
	awk -v reader="$1" -v level="$2" '
		$1 == "reader" { for (i = 2; i <= NF; i++) column[$i] = i }
		$1 == reader { print $(column[level]) }' <<<"$expectations"
}

# check_reader READER: every read route for every report, as READER.
check_reader() {
	local reader=$1 tok=${token[$1]} level want id sha listed

	req GET "/api/v1/reports?limit=500" "$tok"
	check_code "$reader list" 200
	listed=" $(jget '" ".join(str(r["id"]) for r in j["reports"])') "

	for level in "${levels[@]}"; do
		want=$(expected "$reader" "$level")
		id=${report_id[$level]}
		sha=${indicator[$level]}

		req GET "/api/v1/reports/$id" "$tok"
		if [ "$want" = 1 ]; then
			check_code "$reader reads $level by id" 200
			check_eq "$reader reads $level by id (id)" "$id" "$(jget 'j["id"]')"
		else
			check_error "$reader reads $level by id" 404 not_found ""
		fi

		case "$listed" in
		*" $id "*) check_eq "$reader list shows $level" "$want" 1 ;;
		*) check_eq "$reader list shows $level" "$want" 0 ;;
		esac

		req GET "/api/v1/indicators/sha256/$sha" "$tok"
		if [ "$want" = 1 ]; then
			check_code "$reader reads the $level indicator" 200
			check_eq "$reader reads the $level indicator (reports)" "[$id]" \
				"$(jget '[r["id"] for r in j["reports"]]')"
		else
			check_error "$reader reads the $level indicator" 404 not_found ""
		fi

		req GET "/api/v1/search?q=$sha" "$tok"
		check_code "$reader searches for $level" 200
		check_eq "$reader search finds the $level indicator" "$want" \
			"$(jget 'int(any(i["value"] == "'"$sha"'" for i in j["indicators"]))')"
		check_eq "$reader search finds the $level report" "$want" \
			"$(jget "int(any(r['id'] == $id for r in j['reports']))")"

		# Part of a value is not an indicator, so search matches it
		# as a substring.
		req GET "/api/v1/search?q=${sha:8:20}" "$tok"
		check_code "$reader searches for part of $level" 200
		check_eq "$reader substring search finds the $level indicator" "$want" \
			"$(jget 'int(any(i["value"] == "'"$sha"'" for i in j["indicators"]))')"
	done
}

for reader in none a1 a2 b1 le1 admin; do
	check_reader "$reader"
done

# ---- audit entries for restricted reads ---------------------------------------
# audit_has ACTOR ACTION OBJECT DETAIL: whether the audit log, read through
# the API as admin, has that entry.
audit_has() {
	req GET "/api/v1/audit?limit=1000" "$ADMIN_TOKEN"
	jget 'int(any(e["actor"] == "'"$1"'" and e["action"] == "'"$2"'" and e["object"] == "'"$3"'"
		and e["detail"] == "'"$4"'" for e in j["entries"]))'
}

indicator_db_id() {
	sql "SELECT id FROM indicators WHERE type = 'sha256' AND value = '$1'"
}

for pair in a1:STRICT a1:STRICT_LE a1:RED a2:STRICT a2:STRICT_LE a2:RED le1:STRICT_LE; do
	reader=${pair%%:*}
	level=${pair#*:}
	object="report:${report_id[$level]}"
	check_eq "audit: $reader read $level by id" 1 \
		"$(audit_has "$reader" report.read "$object" "${stored_tlp[$level]}")"
	check_eq "audit: $reader listed $level" 1 "$(audit_has "$reader" report.read "$object" listed)"
	check_eq "audit: $reader read the $level indicator" 1 \
		"$(audit_has "$reader" indicator.read "indicator:$(indicator_db_id "${indicator[$level]}")" \
			"${stored_tlp[$level]}")"
done
req GET "/api/v1/audit?limit=1000" "$ADMIN_TOKEN"
check_eq "audit: reads of CLEAR, GREEN and AMBER are not logged" 0 \
	"$(jget 'sum(1 for e in j["entries"] if e["action"] == "report.read" and e["object"] in
		("report:'"${report_id[CLEAR]}"'", "report:'"${report_id[GREEN]}"'", "report:'"${report_id[AMBER]}"'"))')"

# Search lists reports whose title matches, and a RED report listed there is
# a restricted read too. The query is part of the RED report's title, which
# contains its indicator. The reader is a2, who is named on the report.
count_search_audit() {
	req GET "/api/v1/audit?limit=1000" "$ADMIN_TOKEN"
	jget 'sum(1 for e in j["entries"] if e["actor"] == "a2" and e["action"] == "report.read"
		and e["object"] == "report:'"${report_id[RED]}"'")'
}
audit_before=$(count_search_audit)
req GET "/api/v1/search?q=${indicator[RED]:3:12}" "${token[a2]}"
check_eq "search by title lists the RED report" 1 \
	"$(jget "int(any(r['id'] == ${report_id[RED]} for r in j['reports']))")"
check_eq "audit: a RED report listed by search is logged" $((audit_before + 1)) "$(count_search_audit)"
check_eq "search by part of a value finds the RED indicator" 1 \
	"$(jget "int(any(i['value'] == '${indicator[RED]}' for i in j['indicators']))")"
check_eq "audit: an indicator found by search is logged" 1 \
	"$(audit_has a2 indicator.read "indicator:$(indicator_db_id "${indicator[RED]}")" search)"

# ---- an indicator in an AMBER and a RED report -----------------------------
# The RED report comes first, so its date differs from the AMBER one and a
# leaked first_seen would show.
sha=$(unique_sha256 shared)
new_ioc "shared RED" "${token[a1]}" '"tlp": "RED", "share_with": {"users": ["a2"]}'
red_id=$id
red_created=$(jget 'j["created"]')
sleep 1.2
new_ioc "shared AMBER" "${token[a1]}" '"tlp": "AMBER"'
amber_id=$id
amber_created=$(jget 'j["created"]')

req GET "/api/v1/indicators/sha256/$sha" "${token[b1]}"
check_code "b1 reads the shared indicator" 200
check_eq "b1 sees only the AMBER report" "[$amber_id]" "$(jget '[r["id"] for r in j["reports"]]')"
check_eq "b1 report_count" 1 "$(jget 'j["report_count"]')"
check_eq "b1 times_seen" 1 "$(jget 'j["times_seen"]')"
check_eq "b1 first_seen is the AMBER report's" "$amber_created" "$(jget 'j["first_seen"]')"
check_eq "b1 last_seen" "$amber_created" "$(jget 'j["last_seen"]')"
check_eq "b1 sources" '["A"]' "$(jget 'j["sources"]')"
req GET "/api/v1/search?q=$sha" "${token[b1]}"
check_eq "b1 search shows only the AMBER report" "[$amber_id]" \
	"$(jget '[r["id"] for r in j["indicators"][0]["reports"]]')"

req GET "/api/v1/indicators/sha256/$sha" "${token[a2]}"
check_eq "a2 sees both reports" "[$amber_id, $red_id]" "$(jget '[r["id"] for r in j["reports"]]')"
check_eq "a2 report_count" 2 "$(jget 'j["report_count"]')"
check_eq "a2 first_seen is the RED report's" "$red_created" "$(jget 'j["first_seen"]')"
check_eq "a2 last_seen is the AMBER report's" "$amber_created" "$(jget 'j["last_seen"]')"

# ---- anonymous reports -----------------------------------------------------------
# no_identity NAME JSON_EXPR: the report at JSON_EXPR has no submitter or
# organisation and the source "anonymous".
no_identity() {
	check_eq "$1: no submitter or organisation" "[]" \
		"$(jget "sorted(k for k in $2 if k in ('submitter', 'organisation'))")"
	check_eq "$1: source" anonymous "$(jget "$2['source']")"
}

sha=$(unique_sha256 anonymous)
new_ioc "anonymous GREEN" "${token[a1]}" '"tlp": "GREEN", "anonymous": true'
anon_id=$id
no_identity "anonymous create reply" j
check_eq "anonymous create reply flag" true "$(jget 'j["anonymous"]')"
for reader in a1 b1 admin; do
	req GET "/api/v1/reports/$anon_id" "${token[$reader]}"
	check_code "$reader reads the anonymous report" 200
	no_identity "$reader reads the anonymous report" j
	req GET "/api/v1/reports?limit=500" "${token[$reader]}"
	no_identity "$reader lists the anonymous report" \
		"[r for r in j['reports'] if r['id'] == $anon_id][0]"
	req GET "/api/v1/indicators/sha256/$sha" "${token[$reader]}"
	no_identity "$reader reads the anonymous indicator" "j['reports'][0]"
	check_eq "$reader anonymous indicator sources" '["anonymous"]' "$(jget 'j["sources"]')"
	req GET "/api/v1/search?q=$sha" "${token[$reader]}"
	no_identity "$reader searches the anonymous report" "j['reports'][0]"
done
# Neither the name nor the organisation appears anywhere in the reply.
req GET "/api/v1/reports/$anon_id" "${token[b1]}"
check_eq "anonymous reply does not name a1" "" "$(grep -o '"a1"' <<<"$body")"
check_eq "anonymous reply does not name A" "" "$(grep -o '"A"' <<<"$body")"
check_eq "audit: the anonymous report's submitter" 1 \
	"$(audit_has a1 report.create "report:$anon_id" ioc)"

# An anonymous AMBER+STRICT report stays readable by the submitter's organisation.
sha=$(unique_sha256 anonymous-strict)
new_ioc "anonymous AMBER+STRICT" "${token[a1]}" '"tlp": "AMBER+STRICT", "anonymous": true'
req GET "/api/v1/reports/$id" "${token[a2]}"
check_code "a2 reads the anonymous AMBER+STRICT report" 200
no_identity "a2 reads the anonymous AMBER+STRICT report" j
req GET "/api/v1/reports/$id" "${token[b1]}"
check_code "b1 reads the anonymous AMBER+STRICT report" 404

# ---- readers without a token on a --public-read server -----------------------------
api_stop
check_stopped "first server stops"
api_start --rate-limit 0 --public-read || { finish; exit 1; }
check_reader public

finish
