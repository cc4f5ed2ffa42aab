#!/usr/bin/env bash
# Command-line basics: help on every command, parse output and exit codes,
# usage errors.
. "$(dirname "$0")/lib.sh"

for cmd in init ingest search parse stats digest; do
	out=$(ctihub "$cmd" --help)
	check_eq "$cmd --help exit status" 0 $?
	check_contains "$cmd --help usage line" "Usage: ctihub $cmd" "$out"
done
check_contains "top-level help lists commands" "digest" "$(ctihub --help)"
check_status "no command" 2 ctihub
check_status "unknown command" 2 ctihub frobnicate
check_status "unknown option" 2 ctihub parse --frob x

out=$(ctihub parse 'hxxps://Evil[.]example[.]com:443/a?b=C' 'AS 13335' cve-2021-44228 \
	'bücher。de' 192.168.1.77/24 5F2B8C1D9E4A7F3B6C0D8E2A9F5B1C7D)
check_eq "parse exit status" 0 $?
check_eq "parse output" "url	https://evil.example.com/a?b=C
asn	AS13335
cve	CVE-2021-44228
domain	xn--bcher-kva.de
cidr	192.168.1.0/24
md5	5f2b8c1d9e4a7f3b6c0d8e2a9f5b1c7d" "$out"

out=$(ctihub parse invoice.pdf 10.0.0.1 256.1.1.1)
check_eq "parse with invalid exits 1" 1 $?
check_contains "invalid line for invoice.pdf" "invalid	invoice.pdf" "$out"
check_contains "valid value still printed" "ipv4	10.0.0.1" "$out"
check_contains "invalid line for 256.1.1.1" "invalid	256.1.1.1" "$out"

out=$(ctihub parse --json 10.1.2.3)
check_contains "json type" '"type": "ipv4"' "$out"
check_contains "json private warning" '"private"' "$out"

out=$(ctihub --warninglist "$EXAMPLES/warninglists" parse --json 'hxxps://www.who[.]int/news')
check_contains "warning list name in json" "Known-good public health sites" "$out"

check_status "ingest without file" 2 ctihub ingest
check_status "ingest bad tlp" 2 ctihub ingest --tlp ORANGE "$EXAMPLES/feeds/c2-blocklist.csv"
check_status "ingest missing file" 3 ctihub ingest "$TEST_DIR/does-not-exist.txt"
check_status "digest bad duration" 2 ctihub digest --since 7x
check_status "digest bad format" 2 ctihub digest --format xml
check_status "search on empty store" 1 ctihub search evil.com
ctihub org add testers >/dev/null
ctihub user add tess --org testers --role member >/dev/null
check_status "token with zero lifetime" 2 ctihub token create tess --expires 0s

out=$(ctihub --db "$TEST_DIR/other.db" init)
check_contains "init with --db" "other.db ready" "$out"
out=$(ctihub init --db "$TEST_DIR/third.db")
check_contains "--db after the command" "third.db ready" "$out"

# Bytes that are not UTF-8 never make a JSON field disappear: the input
# is echoed with U+FFFD (EF BF BD) in their place.
out=$(ctihub parse --json "$(printf 'http://a.com/\xff')")
check_contains "parse --json keeps a non-UTF-8 input" \
	"$(printf '"input": "http://a.com/\xef\xbf\xbd"')" "$out"
check_contains "and names the byte" "byte 0xFF is not valid UTF-8" "$out"
ctihub ingest --source "$(printf 'feed\001')" "$TEST_DIR/list.txt" >/dev/null 2>"$TEST_DIR/err"
check_eq "--source with a control character is a usage error" 2 "$?"
check_contains "and says why" "use UTF-8 text without control characters" "$(cat "$TEST_DIR/err")"
check_status "standard input twice" 2 ctihub ingest - -
check_status "empty --source" 2 ctihub ingest --source '' "$TEST_DIR/list.txt"

finish
