#!/usr/bin/env bash
# Ingest of real public feeds and analyst notes with exact counts. The
# expected numbers were computed separately with grep, sed, awk, sort -u and
# Python's csv module on the same files, not with ctihub.
. "$(dirname "$0")/lib.sh"

require_shared pan-unit42-iocs
require_shared azure-sentinel
require_shared abusech-urlhaus
require_shared abusech-feodotracker
require_shared inquest-iocextract

# type_count TYPE: indicators of that type in the current database.
type_count() {
	sql "SELECT COUNT(*) FROM indicators WHERE type = '$1'"
}

# summary_number FIELD OUTPUT: the sum of the numbers before FIELD in the
# per-file summaries of an ingest (the closing "total:" line is left out).
summary_number() {
	grep -v '^total:' <<<"$2" | grep -oE "[0-9]+ $1" | awk '{ s += $1 } END { print s + 0 }'
}

# Unit 42 COVID-19 lists: 265 lines, all defanged or plain domains and
# three schemeless URLs, no duplicates, nothing invalid.
export CTIHUB_DB="$TEST_DIR/unit42.db"
out=$(CTIHUB_NOW=1700000000 ctihub ingest --source unit42 --tlp CLEAR \
	"$SHARED"/pan-unit42-iocs/covid19/*.txt 2>"$TEST_DIR/err")
check_eq "unit42 exit status" 0 $?
check_eq "unit42 values" 265 "$(summary_number 'values' "$out")"
check_eq "unit42 invalid" 0 "$(summary_number 'invalid' "$out")"
check_eq "unit42 stderr empty" "" "$(cat "$TEST_DIR/err")"
check_eq "unit42 domains" 262 "$(type_count domain)"
check_eq "unit42 urls" 3 "$(type_count url)"
check_eq "unit42 reports" 4 "$(sql 'SELECT COUNT(*) FROM reports')"
check_eq "unit42 list format" 4 "$(grep -c 'read as list' <<<"$out")"
check_eq "unit42 schemeless url" 1 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value = 'http://corona-masr21.com/boa/bankofamerica/login.php'")"

# Re-ingesting changes no counts; a defanged search finds a domain with its
# first and last sighting.
before=$(ctihub stats)
out=$(CTIHUB_NOW=1700086400 ctihub ingest --source unit42 --tlp CLEAR \
	"$SHARED"/pan-unit42-iocs/covid19/*.txt)
check_eq "unit42 rerun adds nothing" 0 "$(summary_number 'new indicators' "$out")"
check_eq "unit42 rerun stats unchanged" "$before" "$(ctihub stats)"
check_eq "unit42 rerun reports seen before" 4 "$(grep -c 'seen before' <<<"$out")"
out=$(ctihub search 'coronavirus-live-update[.]com')
check_eq "search exit status" 0 $?
check_contains "search canonical" "domain	coronavirus-live-update.com" "$out"
check_contains "search first seen" "first seen:  2023-11-14T22:13:20Z" "$out"
check_contains "search last seen" "last seen:   2023-11-15T22:13:20Z" "$out"
check_contains "search times seen" "times seen:  2" "$out"
check_contains "search source" "unit42" "$out"

# Microsoft's COVID-19 feed: headerless CSV, CRLF, 582 distinct SHA-256.
export CTIHUB_DB="$TEST_DIR/microsoft.db"
out=$(ctihub ingest --source microsoft "$SHARED/azure-sentinel/Microsoft.Covid19.Indicators.csv")
check_eq "microsoft values" 582 "$(summary_number 'values' "$out")"
check_eq "microsoft invalid" 0 "$(summary_number 'invalid' "$out")"
check_eq "microsoft sha256" 582 "$(type_count sha256)"
check_contains "microsoft read as csv" "read as csv (column 2)" "$out"

# URLhaus: 11125 rows, one URL each, all distinct after canonicalisation;
# the urlhaus_link column must not be read.
export CTIHUB_DB="$TEST_DIR/urlhaus.db"
out=$(ctihub ingest --source urlhaus "$SHARED"/abusech-urlhaus/*.csv)
check_eq "urlhaus values" 11125 "$(summary_number 'values' "$out")"
check_eq "urlhaus invalid" 0 "$(summary_number 'invalid' "$out")"
check_eq "urlhaus urls" 11125 "$(type_count url)"
check_eq "urlhaus no links" 0 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value LIKE 'https://urlhaus.abuse.ch/%'")"
check_contains "urlhaus column" "(column url)" "$out"

# Feodo Tracker: '#' banner, header, 28 distinct C2 addresses.
export CTIHUB_DB="$TEST_DIR/feodo.db"
out=$(ctihub ingest --source feodo "$SHARED/abusech-feodotracker/ipblocklist.csv")
check_eq "feodo values" 28 "$(summary_number 'values' "$out")"
check_eq "feodo ipv4" 28 "$(type_count ipv4)"
check_contains "feodo column" "(column dst_ip)" "$out"

# Unit 42 analyst notes, free text. Per file: the traffic history has 121
# domains and 4 URLs; the Valak note 46 SHA-256, 6 domains, 6 IPv4; the
# Ursnif note 104 SHA-256, 10 domains, 8 IPv4 and 1 URL. Together: 150
# SHA-256, 123 domains, 11 IPv4, 5 URLs. Paths such as
# "GET /iz5/yaca.php?l=tze1.cab" and file names such as info_03_23.doc
# are not indicators.
export CTIHUB_DB="$TEST_DIR/notes.db"
notes="$SHARED/pan-unit42-iocs/2020-analyst-notes"
out=$(ctihub ingest --source unit42-notes "$notes"/*.txt)
check_eq "notes read as text" 3 "$(grep -c 'read as text' <<<"$out")"
check_contains "history values" "traffic-pattern-history-since-Valak.txt: 125 values" "$out"
check_contains "valak values" "IOCs-for-Valak-with-IcedID.txt: 58 values" "$out"
check_contains "ursnif values" "IOCs-for-Ursnif-with-IcedID.txt: 123 values" "$out"
check_eq "notes sha256" 150 "$(type_count sha256)"
check_eq "notes domains" 123 "$(type_count domain)"
check_eq "notes ipv4" 11 "$(type_count ipv4)"
check_eq "notes urls" 5 "$(type_count url)"
check_eq "notes no cab file names" 0 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value LIKE '%.cab'")"

# iocextract's test data, read as lists. input.txt has 113 lines: 25 do
# not parse (commas for dots, spaces inside a value, an unclosed '[',
# 34 hex digits, phone numbers, 'tld' and 't' as suffixes) and the 88 that
# do reduce to 31 values: 192.168.0.1, fdc4:2581:575b:5a72::1, example.com,
# short.is, one hash of each length and 23 URLs (default ports dropped,
# [.] and [dot] refanged, schemeless host:port/path given http://).
# valid.txt repeats 44 of them and has 4 lines that do not parse.
# invalid.txt has 11 lines; only its last, 100.20.30.0/24, is valid.
export CTIHUB_DB="$TEST_DIR/inquest.db"
iq="$SHARED/inquest-iocextract/test_data"
out=$(ctihub ingest --format list --max-errors 0 --source iocextract "$iq/input.txt" \
	2>"$TEST_DIR/err")
check_eq "inquest input values" 88 "$(summary_number 'values' "$out")"
check_eq "inquest input invalid" 25 "$(summary_number 'invalid' "$out")"
check_eq "inquest input invalid lines printed" 25 "$(grep -c 'input.txt:[0-9]*: ' "$TEST_DIR/err")"
check_eq "inquest input new" 31 "$(summary_number 'new indicators' "$out")"
check_eq "inquest urls" 23 "$(type_count url)"
check_eq "inquest domains" 2 "$(type_count domain)"
check_eq "inquest ipv6" "fdc4:2581:575b:5a72::1" "$(sql "SELECT value FROM indicators WHERE type = 'ipv6'")"
check_contains "inquest octet reason" "input.txt:112: 123.102.1215: IPv4 octet 1215 is out of range" \
	"$(cat "$TEST_DIR/err")"
out=$(ctihub ingest --format list --source iocextract "$iq/valid.txt" 2>/dev/null)
check_eq "inquest valid values" 44 "$(summary_number 'values' "$out")"
check_eq "inquest valid invalid" 4 "$(summary_number 'invalid' "$out")"
check_eq "inquest valid adds nothing" 0 "$(summary_number 'new indicators' "$out")"
out=$(ctihub ingest --format list --source iocextract "$iq/invalid.txt" 2>/dev/null)
check_eq "inquest invalid values" 1 "$(summary_number 'values' "$out")"
check_eq "inquest invalid invalid" 10 "$(summary_number 'invalid' "$out")"
check_eq "inquest cidr" "100.20.30.0/24" "$(sql "SELECT value FROM indicators WHERE type = 'cidr'")"

# Everything in one database: a second pass changes no counts.
export CTIHUB_DB="$TEST_DIR/all.db"
all_inputs=("$SHARED"/pan-unit42-iocs/covid19/*.txt
	"$SHARED/azure-sentinel/Microsoft.Covid19.Indicators.csv"
	"$SHARED"/abusech-urlhaus/*.csv
	"$SHARED/abusech-feodotracker/ipblocklist.csv"
	"$notes"/*.txt
	"$SHARED"/inquest-iocextract/test_data/*.txt)
ctihub ingest --source all "${all_inputs[@]}" >/dev/null 2>&1
check_eq "all first pass exit" 0 $?
first=$(ctihub stats)
ctihub ingest --source all "${all_inputs[@]}" >/dev/null 2>&1
check_eq "all second pass stats unchanged" "$first" "$(ctihub stats)"

finish
