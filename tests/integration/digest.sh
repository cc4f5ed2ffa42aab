#!/usr/bin/env bash
# Audience digests on a small hand-made database with exact expected
# output: TLP scoping per audience (member, org:NAME, le), referrals and
# their reduction above --tlp-max, "+N more" with --max-items, the ATT&CK
# comparison with the previous period, notable changes, the left-out
# counts, HTML escaping and the SVG chart, JSON, and --period with
# --record. Then a digest over real public data, when it is present.
. "$(dirname "$0")/api_lib.sh"

NOW=1796400000 # 2026-12-04T16:00:00Z; the digest period is the day before
HOUR=3600
DAY=86400
work="$TEST_DIR/work"
mkdir -p "$work"

# Every weight 0 gives every indicator score 0, so sections sort by value
# and the expected output does not depend on the default weights.
cat >"$work/flat.yaml" <<'EOF'
scoring:
  weights: {organisations: 0, confidence: 0, sightings: 0, recency: 0, referrals: 0, attack: 0}
  warnlist_penalty: 0
  threshold: 0
EOF

# digest OPTIONS...: the digest at NOW with flat scores.
digest() {
	CTIHUB_NOW=$NOW ctihub digest --config "$work/flat.yaml" "$@"
}

# post TOKEN BODY: submits a report and records a failure unless 201.
post() {
	req POST /api/v1/reports "$1" "$2"
	[ "$status" = 201 ] || fail "report not created: HTTP $status: ${body:0:300}"
}

# ---- The database --------------------------------------------------------------

for org in acme beta gamma police; do
	api_org "$org"
done
api_user alice acme member
api_user bob beta member
api_user carol gamma member
api_user olga police le
declare -A token
for user in alice bob carol olga; do
	token[$user]=$(api_token "$user")
done

# Forty days before: a feed reports a domain that then goes quiet.
printf 'silent-again.net\n' >"$work/old.txt"
CTIHUB_NOW=$((NOW - 40 * DAY)) ctihub ingest --source old-feed --tlp CLEAR "$work/old.txt" >/dev/null

# The previous period: one Initial Access and one Execution report.
CTIHUB_NOW=$((NOW - 30 * HOUR)) api_start || { finish; exit 1; }
attack() {
	post "${token[$1]}" "{\"kind\": \"attack\", \"tlp\": \"GREEN\", \"tactic\": \"$2\",
		\"exploitation\": \"Mail with a macro document\", \"description\": \"Wave $3\"}"
}
attack alice TA0001 1
attack bob TA0002 2
api_stop

# The period itself.
CTIHUB_NOW=$((NOW - 2 * HOUR)) api_start || { finish; exit 1; }
post "${token[alice]}" '{"kind": "ioc", "tlp": "GREEN", "purpose": "blocking",
	"indicators": ["dgst-evil-one.net", "dgst-evil-two.net", "dgst-evil-three.net",
	"shared-c2.net", "10.1.2.3"]}'
post "${token[bob]}" '{"kind": "ioc", "tlp": "GREEN", "purpose": "blocking",
	"indicators": ["shared-c2.net"]}'
post "${token[carol]}" '{"kind": "ioc", "tlp": "AMBER", "purpose": "blocking",
	"indicators": ["shared-c2.net"]}'
post "${token[alice]}" '{"kind": "ioc", "tlp": "AMBER+STRICT", "purpose": "research",
	"indicators": ["strict-acme.net"]}'
post "${token[alice]}" '{"kind": "ioc", "tlp": "RED", "purpose": "research",
	"indicators": ["red-only.net"]}'
post "${token[bob]}" '{"kind": "disinfo", "tlp": "CLEAR", "campaign": "Fake ministry",
	"domains": ["fake-ministry-news.net"]}'
post "${token[bob]}" '{"kind": "darknet", "tlp": "GREEN", "category": "alert",
	"summary": "Clinic credentials offered", "indicators": ["leak-market.net"]}'
post "${token[carol]}" "$(json_build '{"kind": "hunting", "tlp": "GREEN", "rule_type": "sigma",
	"rule": "title: Loader <script>alert(1)</script> & co\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection:\n    Image|endswith: \"\\\\evil.exe\"\n  condition: selection\n"}')"
vuln() {
	post "${token[$1]}" "{\"kind\": \"vuln\", \"tlp\": \"$2\", \"time\": \"2026-12-04T10:00:00Z\",
		\"ip\": \"$3\", \"cve\": \"$4\", \"organisation\": \"$5\", \"country\": \"$6\",
		\"sector\": \"$7\"}"
}
vuln alice GREEN 81.29.134.120 CVE-2021-44228 "Clinic A" NL health
vuln bob GREEN 81.29.134.121 CVE-2023-4966 "Clinic B" NL health
vuln carol GREEN 81.29.134.122 CVE-2021-44228 "Grid Co" DE energy
vuln alice AMBER+STRICT 81.29.134.123 CVE-2024-3400 "Secret Clinic" NL health
attack alice TA0001 3
attack bob "Initial Access" 4
attack carol TA0040 5
api_stop

# The quiet domain comes back an hour before the end.
printf 'silent-again.net\n' >"$work/new.txt"
CTIHUB_NOW=$((NOW - HOUR)) ctihub ingest --source new-feed --tlp GREEN "$work/new.txt" >/dev/null

# Referrals: one GREEN that olga takes, one RED, one AMBER.
CTIHUB_NOW=$((NOW - 3 * HOUR)) ctihub le new --as alice --tlp GREEN \
	--summary 'Fake shop <script>alert(1)</script>' --type "fraud or scam" \
	--objective takedown >/dev/null || fail "le new GREEN failed"
CTIHUB_NOW=$((NOW - 2 * HOUR)) ctihub le assign LE-2026-0001 --officer olga --as olga \
	>/dev/null || fail "le assign failed"
CTIHUB_NOW=$((NOW - HOUR)) ctihub le new --as bob --tlp RED --summary 'Secret matter' \
	--type "fraud or scam" --objective takedown >/dev/null || fail "le new RED failed"
CTIHUB_NOW=$((NOW - HOUR / 2)) ctihub le new --as carol --tlp AMBER --summary 'Phishing kit' \
	--type "fraud or scam" --objective takedown >/dev/null || fail "le new AMBER failed"

# ---- Member -------------------------------------------------------------------------

out=$(digest --since 24h --until 0m)
expected='ctihub digest for member
2026-12-03T16:00:00Z to 2026-12-04T16:00:00Z, reports up to TLP:AMBER
13 reports, 7 new indicators, 1 left out

New IoCs
  domain  dgst-evil-one.net  score 0
  domain  dgst-evil-three.net  score 0
  domain  dgst-evil-two.net  score 0
  domain  shared-c2.net  score 0

New disinformation indicators
  domain  fake-ministry-news.net  score 0

New darknet indicators
  domain  leak-market.net  score 0

New hunting rules
  sigma   Sigma rule: Loader <script>alert(1)</script> & co

Vulnerable organisations by country and sector
  NL / health: 2 organisations, 2 reports (CVE-2021-44228, CVE-2023-4966)
  DE / energy: 1 organisation, 1 report (CVE-2021-44228)

ATT&CK tactics, this period against the previous one
  tactic                           previous     this  change
  Initial Access (TA0001)                 1        2      +1
  Execution (TA0002)                      1        0      -1
  Impact (TA0040)                         0        1      +1

Seen again after a long silence
  domain  silent-again.net  score 0, silent since 2026-10-25T16:00:00Z

Now reported by three or more organisations
  domain  shared-c2.net  score 0, 3 organisations

Left out
  on a warning list                    0
  other warnings (private, reserved)   1
  below the score threshold            0'
check_eq "member digest" "$expected" "$out"
for secret in strict-acme.net red-only.net "Secret Clinic" CVE-2024-3400 LE-2026; do
	check_eq "member digest leaves out $secret" "" "$(grep -F "$secret" <<<"$out")"
done

# ---- org:NAME -----------------------------------------------------------------------

out=$(digest --since 24h --until 0m --audience org:ACME)
check_contains "org digest header" "ctihub digest for org:acme" "$out"
check_contains "org digest ceiling" "reports up to TLP:AMBER+STRICT" "$out"
check_contains "org digest counts its strict report" "15 reports, 8 new indicators, 1 left out" "$out"
check_contains "org digest lists its AMBER+STRICT value" "strict-acme.net" "$out"
check_contains "org digest counts its AMBER+STRICT victim" \
	"NL / health: 3 organisations, 3 reports (CVE-2021-44228, CVE-2023-4966, CVE-2024-3400)" "$out"
check_eq "org digest leaves out RED" "" "$(grep -F red-only.net <<<"$out")"
out=$(digest --since 24h --until 0m --audience org:beta)
check_eq "other org does not see acme's AMBER+STRICT" "" "$(grep -F strict-acme.net <<<"$out")"
out=$(digest --since 24h --until 0m --audience org:acme --tlp-max AMBER)
check_eq "tlp-max AMBER cuts AMBER+STRICT" "" "$(grep -F strict-acme.net <<<"$out")"
out=$(digest --since 24h --until 0m --tlp-max GREEN)
check_eq "tlp-max GREEN cuts AMBER reports" "" "$(grep -F 'score 0, 3 organisations' <<<"$out")"
check_status "unknown org" 1 digest --audience org:nobody
check_contains "unknown org named" "organisation 'nobody'" "$(digest --audience org:nobody 2>&1)"

# ---- le -----------------------------------------------------------------------------

out=$(digest --since 24h --until 0m --audience le)
expected='Referrals
  LE-2026-0001  TLP:GREEN  acknowledged  Fake shop <script>alert(1)</script> (fraud, from acme)
    2026-12-04T13:00:00Z  opened
    2026-12-04T14:00:00Z  new -> acknowledged
  LE-2026-0002 (TLP:RED, open it in ctihub)
  LE-2026-0003  TLP:AMBER  new  Phishing kit (fraud, from gamma)
    2026-12-04T15:30:00Z  opened'
check_contains "le digest referrals" "$expected" "$out"
check_eq "le digest hides the RED summary" "" "$(grep -F 'Secret matter' <<<"$out")"
check_contains "le digest sections as member" "13 reports, 7 new indicators" "$out"
out=$(digest --since 24h --until 0m --audience le --tlp-max GREEN)
check_contains "le digest reduces above tlp-max" "LE-2026-0003 (TLP:AMBER, open it in ctihub)" "$out"
check_eq "le digest hides the AMBER summary" "" "$(grep -F 'Phishing kit' <<<"$out")"
out=$(digest --since 24h --until 0m --audience le --max-items 1)
check_contains "referrals cut at max-items" "    2026-12-04T14:00:00Z  new -> acknowledged
  +2 more" "$out"
out=$(digest --since 24h --until 0m)
check_eq "member digest has no referrals" "" "$(grep -F Referrals <<<"$out")"

# ---- max-items ------------------------------------------------------------------------

out=$(digest --since 24h --until 0m --max-items 2)
check_contains "iocs cut at max-items" "New IoCs
  domain  dgst-evil-one.net  score 0
  domain  dgst-evil-three.net  score 0
  +2 more" "$out"
check_contains "vulnerable groups cut at max-items" "DE / energy: 1 organisation" "$out"
out=$(digest --since 24h --until 0m --max-items 1)
check_contains "vulnerable groups +N more" "(CVE-2021-44228, CVE-2023-4966)
  +1 more" "$out"
check_status "max-items 0" 2 digest --max-items 0
check_status "max-items too large" 2 digest --max-items 1001

# ---- Markdown, HTML and JSON ----------------------------------------------------------

out=$(digest --since 24h --until 0m --format md --audience le)
check_contains "md tactic table" "| tactic | previous | this | change |
|---|---:|---:|---:|
| Initial Access (TA0001) | 1 | 2 | +1 |" "$out"
check_contains "md escapes a referral summary" 'Fake shop \<script\>alert\(1\)\</script\>' "$out"
check_contains "md value as code" '| domain | `dgst-evil-one.net` | 0 |' "$out"

html=$(digest --since 24h --until 0m --format html --audience le)
check_contains "html document" "<!DOCTYPE html>" "$html"
check_contains "html has an svg chart" "<svg xmlns=\"http://www.w3.org/2000/svg\"" "$html"
check_contains "html chart labels a tactic" ">Initial Access</text>" "$html"
check_contains "html escapes a rule title" \
	"Sigma rule: Loader &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" "$html"
check_contains "html escapes a referral summary" "Fake shop &lt;script&gt;" "$html"
check_eq "html has no raw script tag" "" "$(grep -io '<script' <<<"$html")"
check_eq "html loads nothing" "" "$(grep -Eio '(src|href)=' <<<"$html")"
python3 -c '
import sys, xml.dom.minidom
html = sys.stdin.read()
svg = html[html.index("<svg"):html.index("</svg>") + 6]
xml.dom.minidom.parseString(svg)' <<<"$html"
check_eq "html svg is well-formed XML" 0 $?

json=$(digest --since 24h --until 0m --format json --audience le --max-items 2)
check_eq "json parses" 0 "$(python3 -c 'import json, sys; json.load(sys.stdin); print(0)' <<<"$json")"
jq_py() {
	python3 -c "import json, sys; j = json.load(sys.stdin); print(json.dumps($1, sort_keys=True))" <<<"$json"
}
check_eq "json keys" '["attack_tactics", "audience", "hunting_rules", "indicators", "left_out", "notable", "period", "referrals", "report_tlp_max", "summary", "tlp_max", "vulnerable_organisations"]' \
	"$(jq_py 'sorted(j)')"
check_eq "json iocs" '[["dgst-evil-one.net", "dgst-evil-three.net"], 2]' \
	"$(jq_py '[[i["value"] for i in j["indicators"]["iocs"]["items"]], j["indicators"]["iocs"]["more"]]')"
check_eq "json tactic TA0001" '{"current": 2, "id": "TA0001", "name": "Initial Access", "previous": 1}' \
	"$(jq_py '[t for t in j["attack_tactics"] if t["id"] == "TA0001"][0]')"
check_eq "json reduced referral" '{"reduced": true, "ref": "LE-2026-0002", "tlp": "RED"}' \
	"$(jq_py 'j["referrals"]["items"][1]')"
check_eq "json referral more" 1 "$(jq_py 'j["referrals"]["more"]')"
check_eq "json left out" '{"below_threshold": 0, "other_warnings": 1, "threshold": 0.0, "warning_list": 0}' \
	"$(jq_py 'j["left_out"]')"
check_eq "json seen again" '["silent-again.net", "2026-10-25T16:00:00Z"]' \
	"$(jq_py '[j["notable"]["seen_again"]["items"][0][k] for k in ("value", "previous_seen")]')"
json=$(digest --since 24h --until 0m --format json)
check_eq "json member referrals null" null "$(jq_py 'j["referrals"]')"

# A threshold above every score leaves every candidate out, counted.
sed 's/threshold: 0/threshold: 50/' "$work/flat.yaml" >"$work/high.yaml"
out=$(CTIHUB_NOW=$NOW ctihub digest --config "$work/high.yaml" --since 24h --until 0m)
check_contains "threshold leaves out" "below the score threshold            7" "$out"

# ---- Periods and runs -------------------------------------------------------------------

check_status "period and since together" 2 digest --period daily --since 1d
check_status "bad period" 2 digest --period monthly
check_status "bad since" 2 digest --since yesterday
check_status "empty period" 2 digest --since 1h --until 2h
out=$(digest --since 2026-12-03T16:00:00Z --until 2026-12-04T16:00:00Z)
check_contains "ISO period" "2026-12-03T16:00:00Z to 2026-12-04T16:00:00Z" "$out"
out=$(digest --period daily --record --audience le)
check_contains "first daily run starts a day back" "2026-12-03T16:00:00Z to 2026-12-04T16:00:01Z" "$out"
check_eq "run recorded" "cli|le|1796313600|1796400001" \
	"$(sql "SELECT name, audience, period_start, period_end FROM digest_runs")"
out=$(CTIHUB_NOW=$((NOW + 2 * HOUR)) ctihub digest --period daily --audience le)
check_contains "next daily run starts at the last end" \
	"2026-12-04T16:00:01Z to 2026-12-04T18:00:01Z" "$out"
check_contains "nothing new since the last run" "0 reports, 0 new indicators" "$out"
out=$(CTIHUB_NOW=$((NOW + 2 * HOUR)) ctihub digest --period daily --audience member)
check_contains "another audience has its own runs" "2026-12-03T18:00:00Z to" "$out"

# ---- Hidden sightings -----------------------------------------------------------------------

# Sightings that only a RED report carries must not raise a member's
# score. Both domains below have one GREEN report, and the second also
# has a RED one, ingested five times.
printf 'dgst-shown-once.org\ndgst-shown-and-hidden.org\n' >"$work/shown.txt"
printf 'dgst-shown-and-hidden.org\n' >"$work/hidden.txt"
(
	export CTIHUB_DB="$TEST_DIR/hidden.db" CTIHUB_NOW=$((NOW - HOUR))
	ctihub ingest --source feed --tlp GREEN "$work/shown.txt" >/dev/null
	for _ in 1 2 3 4 5; do
		ctihub ingest --source secret --tlp RED "$work/hidden.txt" >/dev/null
	done
)
sed 's/sightings: 0/sightings: 100/' "$work/flat.yaml" >"$work/sightings.yaml"
json=$(CTIHUB_DB="$TEST_DIR/hidden.db" CTIHUB_NOW=$NOW ctihub digest \
	--config "$work/sightings.yaml" --since 24h --until 0m --format json)
check_eq "hidden sightings not scored" '[["dgst-shown-and-hidden.org", "dgst-shown-once.org"], 1]' \
	"$(jq_py '[[i["value"] for i in j["indicators"]["iocs"]["items"]],
		len({i["score"] for i in j["indicators"]["iocs"]["items"]})]')"
check_eq "hidden sightings kept" 6 \
	"$(CTIHUB_DB="$TEST_DIR/hidden.db" sqlite3 "$TEST_DIR/hidden.db" \
		"SELECT times_seen FROM indicators WHERE value = 'dgst-shown-and-hidden.org'")"

# ---- Real data ------------------------------------------------------------------------------

real_digest() {
	if [ -z "$SHARED" ] || [ ! -d "$SHARED/abusech-urlhaus" ] || [ ! -d "$SHARED/pan-unit42-iocs" ]; then
		if [ "${CTIHUB_REQUIRE_SHARED:-0}" = 1 ]; then
			fail "shared data is missing and CTIHUB_REQUIRE_SHARED=1"
		else
			echo "SKIP: shared data folders not found; real-data digest checks skipped" >&2
		fi
		return
	fi
	export CTIHUB_DB="$TEST_DIR/real.db"
	CTIHUB_NOW=$((NOW - 40 * DAY)) ctihub ingest --source unit42 --tlp CLEAR \
		"$SHARED"/pan-unit42-iocs/covid19/*.txt >/dev/null 2>&1
	CTIHUB_NOW=$((NOW - HOUR)) ctihub ingest --source urlhaus --tlp GREEN \
		"$SHARED"/abusech-urlhaus/* >/dev/null 2>&1
	CTIHUB_NOW=$((NOW - HOUR)) ctihub ingest --source unit42-again --tlp GREEN \
		"$SHARED"/pan-unit42-iocs/covid19/*.txt >/dev/null 2>&1
	json=$(CTIHUB_NOW=$NOW ctihub digest --since 1d --format json)
	check_eq "real digest runs" 0 $?
	check_eq "real digest lists new IoCs" true "$(jq_py 'len(j["indicators"]["iocs"]["items"]) == 10')"
	check_eq "real digest counts new indicators" true "$(jq_py 'j["summary"]["new_indicators"] > 100')"
	check_eq "real digest finds domains seen again" true \
		"$(jq_py 'j["notable"]["seen_again"]["more"] + len(j["notable"]["seen_again"]["items"]) > 100')"
	CTIHUB_NOW=$NOW ctihub digest --since 1d --format html >/dev/null
	check_eq "real digest renders HTML" 0 $?
}
real_digest

finish
