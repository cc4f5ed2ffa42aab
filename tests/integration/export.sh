#!/usr/bin/env bash
# ctihub export and explain on a small hand-made database. The checks cover
# exact exports in each format, the TLP ceiling, the counts of what was
# left out, the scoring section of --config, and explain with the
# warning-list penalty and the referral bonus. Then export and explain run
# on real public feeds.
. "$(dirname "$0")/lib.sh"

NOW=1796385600 # 2026-12-04T12:00:00Z
export CTIHUB_NOW=$NOW
data="$TEST_DIR/data"
mkdir -p "$data"

# Six reports. shared-c2.net comes from two sources, 8.8.8.8 is on the
# demo warning list of public resolvers, 10.0.0.5 is private and
# 203.0.113.9 is a documentation address. The TLP of each value is the
# least restrictive TLP of the reports that carry it.
printf 'shared-c2.net\nonly-a.org\n10.0.0.5\n8.8.8.8\n44d88612fea8a8f36de82e1278abb02f\n' >"$data/a.txt"
printf 'shared-c2.net\nhxxp://shared-c2[.]net/gate.php\n' >"$data/b.txt"
printf 'amber-only.info\n' >"$data/c.txt"
printf 'strict-only.biz\n' >"$data/d.txt"
printf 'red-only.xyz\n' >"$data/e.txt"
printf 'stale-site.com\n203.0.113.9\n' >"$data/old.txt"

# stale-site.com was last seen 60 days ago, two half-lives of a domain.
CTIHUB_NOW=$((NOW - 60 * 86400)) ctihub ingest --source feed-old --tlp CLEAR "$data/old.txt" >/dev/null
ctihub ingest --warninglist "$EXAMPLES/warninglists" --source feed-a --tlp CLEAR --confidence 80 \
	"$data/a.txt" >/dev/null
ctihub ingest --source feed-b --tlp GREEN "$data/b.txt" >/dev/null
ctihub ingest --source feed-c --tlp AMBER "$data/c.txt" >/dev/null
ctihub ingest --source feed-d --tlp AMBER+STRICT "$data/d.txt" >/dev/null
ctihub ingest --source feed-e --tlp RED "$data/e.txt" >/dev/null
check_eq "indicators stored" 11 "$(sql 'SELECT COUNT(*) FROM indicators')"

# ---- Block list with the defaults: GREEN at most, score 40 or more ----

out=$(ctihub export 2>"$TEST_DIR/err")
check_eq "export exit status" 0 $?
check_eq "export txt" "shared-c2.net
only-a.org
44d88612fea8a8f36de82e1278abb02f
http://shared-c2.net/gate.php" "$out"
check_eq "export summary" "ctihub: exported 4 of 11 indicators; left out: 0 of other types, 3 above TLP:GREEN, 3 on warning lists or reserved ranges, 1 below score 40.0, 0 over --max" \
	"$(cat "$TEST_DIR/err")"

out=$(ctihub export --format csv 2>/dev/null)
check_eq "export csv" "type,value,score,tlp,first_seen,last_seen,organisations,warnings
domain,shared-c2.net,67.1,CLEAR,2026-12-04T12:00:00Z,2026-12-04T12:00:00Z,2,
domain,only-a.org,58.3,CLEAR,2026-12-04T12:00:00Z,2026-12-04T12:00:00Z,1,
md5,44d88612fea8a8f36de82e1278abb02f,58.3,CLEAR,2026-12-04T12:00:00Z,2026-12-04T12:00:00Z,1,
url,http://shared-c2.net/gate.php,52.3,GREEN,2026-12-04T12:00:00Z,2026-12-04T12:00:00Z,1," "$out"

# ---- TLP ceiling ----

out=$(ctihub export --tlp-max CLEAR 2>/dev/null)
check_eq "export CLEAR only" "shared-c2.net
only-a.org
44d88612fea8a8f36de82e1278abb02f" "$out"

out=$(ctihub export --tlp-max AMBER --min-score 0 2>"$TEST_DIR/err")
check_contains "AMBER value with --tlp-max AMBER" "amber-only.info" "$out"
case "$out" in
*strict-only.biz* | *red-only.xyz*) fail "export --tlp-max AMBER printed an AMBER+STRICT or RED value: $out" ;;
*) pass ;;
esac
check_contains "AMBER summary" "2 above TLP:AMBER," "$(cat "$TEST_DIR/err")"

out=$(ctihub export --tlp-max AMBER+STRICT --min-score 0 2>"$TEST_DIR/err")
check_contains "AMBER+STRICT value when asked for" "strict-only.biz" "$out"
case "$out" in
*red-only.xyz*) fail "export printed a RED value: $out" ;;
*) pass ;;
esac
check_contains "RED counted above AMBER+STRICT" "1 above TLP:AMBER+STRICT," "$(cat "$TEST_DIR/err")"

check_status "tlp-max RED rejected" 2 ctihub export --tlp-max RED
check_contains "tlp-max RED message" "never exported" "$(ctihub export --tlp-max RED 2>&1)"
check_status "tlp-max invalid" 2 ctihub export --tlp-max ORANGE

# ---- Type, score, max and since ----

out=$(ctihub export --type domain,md5 --max 2 2>"$TEST_DIR/err")
check_eq "export type and max" "shared-c2.net
only-a.org" "$out"
check_eq "type and max summary" "ctihub: exported 2 of 11 indicators; left out: 4 of other types, 3 above TLP:GREEN, 0 on warning lists or reserved ranges, 1 below score 40.0, 1 over --max" \
	"$(cat "$TEST_DIR/err")"

out=$(ctihub export --type url --type domain --min-score 60 2>/dev/null)
check_eq "export repeated type and min-score" "shared-c2.net" "$out"

out=$(ctihub export --min-score 0 2>/dev/null)
check_contains "stale value with min-score 0" "stale-site.com" "$out"
out=$(ctihub export --min-score 0 --since 30d 2>"$TEST_DIR/err")
case "$out" in
*stale-site.com*) fail "--since 30d exported a value last seen 60 days ago" ;;
*) pass ;;
esac
check_contains "since narrows the scan" "exported 4 of 9 indicators" "$(cat "$TEST_DIR/err")"

check_status "bad format" 2 ctihub export --format xml
check_status "bad min-score" 2 ctihub export --min-score 101
check_status "bad type" 2 ctihub export --type ip
check_status "bad max" 2 ctihub export --max -1
check_status "bad since" 2 ctihub export --since soon
check_status "stray argument" 2 ctihub export extra

# ---- JSON and --output ----

ctihub export --format json --output "$TEST_DIR/out.json" 2>/dev/null
check_eq "json output exit status" 0 $?
check_eq "no temporary file left" "" "$(ls "$TEST_DIR"/out.json.tmp 2>/dev/null)"
json_get() {
	sqlite3 :memory: "SELECT json_extract(readfile('$TEST_DIR/out.json'), '$1')"
}
check_eq "json exported" 4 "$(json_get '$.exported')"
check_eq "json first value" "shared-c2.net" "$(json_get '$.indicators[0].value')"
check_eq "json first score" 67.1 "$(json_get '$.indicators[0].score')"
check_eq "json first organisations" 2 "$(json_get '$.indicators[0].organisations')"
check_eq "json tlp_max" "GREEN" "$(json_get '$.tlp_max')"
check_eq "json left out above tlp" 3 "$(json_get '$.left_out.above_tlp_max')"
check_eq "json left out warnings" 3 "$(json_get '$.left_out.warnings')"
check_eq "json left out below score" 1 "$(json_get '$.left_out.below_min_score')"

ctihub export --output "$TEST_DIR/list.txt" 2>/dev/null
check_eq "txt --output matches standard output" "$(ctihub export 2>/dev/null)" "$(cat "$TEST_DIR/list.txt")"
check_status "output in a missing folder" 3 ctihub export --output "$TEST_DIR/missing/list.txt"

# ---- Scoring section of --config ----

printf 'scoring:\n  threshold: 60\n  half_life:\n    domain: 1d\n' >"$TEST_DIR/score.yaml"
out=$(ctihub --config "$TEST_DIR/score.yaml" export --min-score 0 --type domain 2>/dev/null)
check_contains "configured half-life ages the old domain" "stale-site.com" "$out"
out=$(ctihub --config "$TEST_DIR/score.yaml" export 2>"$TEST_DIR/err")
check_eq "configured threshold is the default min-score" "shared-c2.net" "$out"
check_contains "configured threshold in summary" "below score 60.0" "$(cat "$TEST_DIR/err")"
out=$(ctihub --config "$TEST_DIR/score.yaml" explain stale-site.com)
check_contains "explain shows configured half-life" "half-life 1d" "$out"

printf 'scoring:\n  weights:\n    organizations: 30\n' >"$TEST_DIR/bad.yaml"
out=$(ctihub --config "$TEST_DIR/bad.yaml" export 2>&1)
check_eq "bad scoring key exit status" 1 $?
check_contains "bad scoring key message" "scoring.weights: unknown key 'organizations'" "$out"

# ---- explain ----

out=$(ctihub explain 'shared-c2[.]net')
check_eq "explain exit status" 0 $?
check_eq "explain output" "domain	shared-c2.net
  TLP: CLEAR

  factor           points   weight  input
  organisations     +22.5     30.0  organisations or sources: 2
  confidence        +16.0     20.0  highest confidence: 80
  sightings          +3.6     15.0  times seen: 2
  recency           +25.0     25.0  last seen 2026-12-04T12:00:00Z, 0.0 days ago, half-life 30d
  warnings           +0.0    -50.0  warnings: none
  referrals          +0.0      5.0  LE referrals: 0
  attack             +0.0      5.0  ATT&CK reports: 0

  score:     67.1 of 100
  threshold: 40.0 (at or above: digests and exports include it)" "$out"

out=$(ctihub explain 8.8.8.8)
check_contains "warning-list penalty" "warnings          -50.0    -50.0  warnings: warninglist (Public DNS resolvers (demo))" "$out"
check_contains "penalised score" "score:     8.3 of 100" "$out"
check_contains "below threshold" "below: digests and exports leave it out" "$out"

out=$(ctihub explain 203.0.113.9)
check_contains "reserved range penalty" "warnings: documentation" "$out"

out=$(ctihub explain --json 8.8.8.8)
check_contains "json warnings points" '"points": -50.0' "$out"
check_contains "json above_threshold" '"above_threshold": false' "$out"

out=$(ctihub explain never-reported.example.org 2>&1)
check_eq "unknown value exit status" 1 $?
check_contains "unknown value message" "domain never-reported.example.org is not in the store" "$out"
check_status "invalid value" 1 ctihub explain 256.1.1.1
check_status "explain without value" 2 ctihub explain
check_status "explain two values" 2 ctihub explain a.org b.org

# A referral that names only-a.org adds the referral bonus.
ctihub org add "Health ISAC" >/dev/null
ctihub user add alice --org "Health ISAC" --role member >/dev/null
ctihub le new --as alice --summary "Phishing site" --type phishing --objective takedown \
	--tlp GREEN --indicators "only-a[.]org" >/dev/null 2>&1
check_eq "referral created" 0 $?
out=$(ctihub explain only-a.org)
check_contains "referral bonus" "referrals          +5.0      5.0  LE referrals: 1" "$out"
check_contains "score with referral" "score:     63.3 of 100" "$out"

# ---- Real public feeds ----

if ! [ -d "${SHARED:-/nonexistent}/abusech-feodotracker" ] ||
	! [ -d "${SHARED:-/nonexistent}/abusech-urlhaus" ]; then
	# require_shared exits 77 (skipped), so report the checks above first.
	finish || exit 1
	require_shared abusech-feodotracker
	require_shared abusech-urlhaus
fi
export CTIHUB_DB="$TEST_DIR/real.db"
ctihub ingest --source feodotracker --tlp CLEAR "$SHARED"/abusech-feodotracker/ipblocklist.csv \
	>/dev/null 2>&1
ctihub ingest --source urlhaus --tlp CLEAR "$SHARED"/abusech-urlhaus/*.csv >/dev/null 2>&1
total=$(sql 'SELECT COUNT(*) FROM indicators')
ipv4=$(sql "SELECT COUNT(*) FROM indicators WHERE type = 'ipv4'")

ctihub export --format json --min-score 0 --output "$TEST_DIR/out.json" 2>/dev/null
check_eq "real export exit status" 0 $?
exported=$(json_get '$.exported')
warned=$(json_get '$.left_out.warnings')
check_eq "real export accounts for every indicator" "$total" $((exported + warned))
if [ "$exported" -gt 1000 ]; then pass; else fail "real export: only $exported of $total exported"; fi

out=$(ctihub export --type ipv4 2>/dev/null)
lines=$(grep -c . <<<"$out")
if [ "$lines" -gt 0 ] && [ "$lines" -le "$ipv4" ]; then
	pass
else
	fail "real ipv4 export: $lines lines for $ipv4 ipv4 indicators"
fi
check_eq "real ipv4 export holds only addresses" "" "$(grep -vE '^[0-9]+(\.[0-9]+){3}$' <<<"$out")"

# Two months later every address is past eight half-lives.
CTIHUB_NOW=$((NOW + 60 * 86400)) ctihub export --type ipv4 >"$TEST_DIR/late.txt" 2>"$TEST_DIR/err"
check_eq "real addresses age out" 0 "$(grep -c . "$TEST_DIR/late.txt")"
check_contains "real aged addresses counted" "below score 40.0" "$(cat "$TEST_DIR/err")"

out=$(ctihub explain "$(head -1 <<<"$out")")
check_eq "real explain exit status" 0 $?
check_contains "real explain threshold" "at or above" "$out"

finish
