#!/usr/bin/env bash
# The demo set that `make run` ingests: exact counts, warnings, bad values
# reported as FILE:LINE: VALUE: REASON, re-ingest idempotence and the digest
# in every format.
. "$(dirname "$0")/lib.sh"

export CTIHUB_NOW=1796400000 # 2026-12-04T16:00:00Z
wl="$EXAMPLES/warninglists"

out=$(ctihub --warninglist "$wl" ingest --source demo-feeds --tlp CLEAR \
	"$EXAMPLES"/feeds/* 2>"$TEST_DIR/err")
check_eq "feeds exit status" 0 $?
check_contains "phishing list summary" \
	"pharmacy-phishing-domains.txt: 10 values read as list, 10 new indicators, 1 invalid, 2 with warnings" "$out"
check_contains "c2 csv summary" \
	"c2-blocklist.csv: 7 values read as csv (column dst_ip), 7 new indicators, 1 invalid, 2 with warnings" "$out"
check_contains "hash list summary" \
	"hospital-ransomware-hashes.txt: 4 values read as list, 4 new indicators, 1 invalid, 0 with warnings" "$out"
err=$(cat "$TEST_DIR/err")
check_contains "invalid domain reported with line" "pharmacy-phishing-domains.txt:13: invoice.pdf:" "$err"
check_contains "invalid ip reported with line" "c2-blocklist.csv:13: 45.137.22.018:" "$err"
check_contains "invalid hash line reported" "hospital-ransomware-hashes.txt:6: not-a-hash-value:" "$err"

out=$(ctihub --warninglist "$wl" ingest --source analyst-notes --tlp AMBER "$EXAMPLES"/notes/*)
check_contains "note read as text" "read as text" "$out"

check_eq "domains" 7 "$(sql "SELECT COUNT(*) FROM indicators WHERE type = 'domain'")"
check_eq "private ip warned" 1 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value = '10.20.30.40' AND warnings != 0")"
check_eq "warning list hit" "Known-good public health sites (demo)" \
	"$(sql "SELECT warnlist FROM indicators WHERE value = 'www.who.int'")"
check_eq "hash lower-cased" 1 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value = '7b5a6e1c2f0d4c3e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f'")"
check_eq "ip seen in feed and note keeps CLEAR" "0" \
	"$(sql "SELECT tlp FROM indicators WHERE value = '185.117.73.92'")"
check_eq "ip seen in feed and note has two reports" "2" \
	"$(sql "SELECT COUNT(*) FROM report_indicators ri JOIN indicators i ON i.id = ri.indicator_id WHERE i.value = '185.117.73.92'")"

# A second run of the same files adds no rows anywhere.
counts() {
	sql "SELECT (SELECT COUNT(*) FROM indicators), (SELECT COUNT(*) FROM reports),
		(SELECT COUNT(*) FROM report_indicators), (SELECT COUNT(*) FROM sources)"
}
before=$(counts)
ctihub --warninglist "$wl" ingest --source demo-feeds --tlp CLEAR "$EXAMPLES"/feeds/* >/dev/null 2>&1
ctihub --warninglist "$wl" ingest --source analyst-notes --tlp AMBER "$EXAMPLES"/notes/* >/dev/null 2>&1
check_eq "rerun adds no rows" "$before" "$(counts)"
check_eq "rerun bumps times_seen" 2 \
	"$(sql "SELECT times_seen FROM indicators WHERE value = 'cdc.gov'")"

out=$(ctihub digest --since 1d)
check_contains "digest header" "ctihub digest for member" "$out"
check_contains "digest period" \
	"2026-12-03T16:00:00Z to 2026-12-04T16:00:01Z, reports up to TLP:AMBER" "$out"
check_contains "digest counts" "4 reports, 32 new indicators, 5 left out" "$out"
check_contains "digest warning list" "on a warning list                    2" "$out"
check_contains "digest private" "other warnings (private, reserved)   3" "$out"
out=$(ctihub digest --since 1d --max-items 100)
check_contains "digest lists a phishing domain" "mediq-refund-portal.net" "$out"
out=$(ctihub digest --since 1d --format md)
check_contains "markdown table" "| type | value | score |" "$out"
out=$(ctihub digest --since 1d --format json)
check_contains "json new count" '"new_indicators": 32' "$out"
python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out"
check_eq "digest json parses" 0 $?
check_eq "digest json lists or counts each kept indicator" 27 "$(python3 -c '
import json, sys
s = json.load(sys.stdin)["indicators"]["iocs"]
print(len(s["items"]) + s["more"])' <<<"$out")"

# A period that starts after every sighting is empty.
out=$(CTIHUB_NOW=1796500000 ctihub digest --since 1h --format json)
check_contains "later period is empty" '"new_indicators": 0' "$out"

# CSV with the indicator column chosen by name and by number; a name that
# is not in the header is a usage error that names the columns.
out=$(ctihub ingest --source column-by-name --column dst_ip "$EXAMPLES/feeds/c2-blocklist.csv" 2>/dev/null)
check_contains "column by name" "(column dst_ip)" "$out"
out=$(ctihub ingest --source column-by-number --column 2 "$EXAMPLES/feeds/c2-blocklist.csv" 2>/dev/null)
check_contains "column by number" "7 values read as csv" "$out"
err=$(ctihub ingest --source bad-column --column nope "$EXAMPLES/feeds/c2-blocklist.csv" 2>&1 >/dev/null)
check_contains "unknown column named" "nope" "$err"
check_contains "unknown column lists the header" "dst_ip" "$err"

# Ingest from standard input.
out=$(printf 'evil-stdin-test[.]com\n' | ctihub ingest --source pipe -)
check_contains "stdin ingest" "stdin: 1 values read as list, 1 new indicators" "$out"

finish
