#!/usr/bin/env bash
# Values that repeat across the batches of one ingest: each is stored once,
# linked to the report once, and counted at every occurrence, whether an
# earlier batch of the same ingest or an earlier ingest wrote it first.
. "$(dirname "$0")/lib.sh"

ctihub init >/dev/null
printf 'known.example.net\n' >"$TEST_DIR/old.txt"
ctihub ingest --format list --source old --tlp RED "$TEST_DIR/old.txt" >/dev/null

# Batches of 3: [a b c] [a d known] [b a e] [known]
printf '%s\n' alpha.example.com beta.example.com gamma.example.com \
	alpha.example.com delta.example.com known.example.net \
	beta.example.com alpha.example.com epsilon.example.com \
	known.example.net >"$TEST_DIR/list.txt"
out=$(ctihub ingest --format list --source new --tlp GREEN --batch-size 3 "$TEST_DIR/list.txt")
check_contains "summary counts new values once" "10 values read as list, 5 new indicators" "$out"

times() {
	sql "SELECT times_seen FROM indicators WHERE value = '$1'"
}
check_eq "alpha counted three times" 3 "$(times alpha.example.com)"
check_eq "beta counted twice" 2 "$(times beta.example.com)"
check_eq "epsilon counted once" 1 "$(times epsilon.example.com)"
check_eq "known counted in both ingests" 3 "$(times known.example.net)"
check_eq "known takes the lower TLP" 1 \
	"$(sql "SELECT tlp FROM indicators WHERE value = 'known.example.net'")"
check_eq "one row per value" 6 "$(sql 'SELECT COUNT(*) FROM indicators')"
report=$(sql "SELECT r.id FROM reports r JOIN sources s ON s.id = r.source_id WHERE s.name = 'new'")
check_eq "one link per value" 6 \
	"$(sql "SELECT COUNT(*) FROM report_indicators WHERE report_id = $report")"

# Ingesting the same file again adds no rows and counts every value again.
counts() {
	sql "SELECT (SELECT COUNT(*) FROM indicators), (SELECT COUNT(*) FROM reports),
		(SELECT COUNT(*) FROM report_indicators)"
}
before=$(counts)
ctihub ingest --format list --source new --tlp GREEN --batch-size 3 "$TEST_DIR/list.txt" >/dev/null
check_eq "rerun adds no rows" "$before" "$(counts)"
# The report's hash is computed on a thread of its own while the first
# batch is stored, and a rerun merges its new report into the first one.
check_eq "report keeps the file's SHA-256" "$(sha256sum "$TEST_DIR/list.txt" | cut -d' ' -f1)" \
	"$(sql "SELECT content_sha256 FROM reports WHERE id = $report")"
check_eq "rerun leaves no report without a hash" 0 \
	"$(sql 'SELECT COUNT(*) FROM reports WHERE content_sha256 IS NULL')"
check_eq "rerun counts alpha again" 6 "$(times alpha.example.com)"
check_eq "rerun counts known again" 5 "$(times known.example.net)"
check_eq "integrity" ok "$(sql 'PRAGMA integrity_check')"
# The ingest writes with foreign-key checks off, so check every link here.
check_eq "every link has both rows" "" "$(sql 'PRAGMA foreign_key_check')"
check_eq "new database pages" 8192 "$(sql 'PRAGMA page_size')"

# The ingest reserves disk space for the WAL (8 bytes per input byte) and
# frees what it did not use. Another connection, as a server would, keeps
# the WAL file after the ingest, so its blocks must match its size.
for i in $(seq 2000); do echo "wal-reserve-$i.example.org"; done >"$TEST_DIR/reserve.txt"
python3 -c "import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM sources').fetchall()
time.sleep(6)" "$CTIHUB_DB" &
holder=$!
sleep 0.5
ctihub ingest --format text --source reserve "$TEST_DIR/reserve.txt" >/dev/null
wal_size=$(stat -c %s "$CTIHUB_DB-wal")
wal_blocks=$(du -B1 "$CTIHUB_DB-wal" | cut -f1)
check_eq "no reserved WAL space left" 1 "$((wal_blocks < wal_size + 65536))"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check_eq "integrity after the reservation" ok "$(sql 'PRAGMA integrity_check')"

# An ingest keeps SQLite's locks on the database file for its whole run, so
# a reader that closes meanwhile cannot take the file over, checkpoint and
# delete the WAL under it. Closing any descriptor of the file drops a
# process's locks: an earlier version lost them after the first file of a
# command. SQLite holds a read lock on the file while a connection is open.
printf 'first.example.com\n' >"$TEST_DIR/first.txt"
seq 1 300000 | awk '{ printf "host-%d.lock-%d.com\n", $1, $1 % 997 }' >"$TEST_DIR/second.txt"
db="$TEST_DIR/locks.db"
ctihub --db "$db" init >/dev/null
"$CTIHUB_BIN" --db "$db" ingest --format list --batch-size 2000 "$TEST_DIR/first.txt" \
	"$TEST_DIR/second.txt" >/dev/null 2>&1 &
ingest=$!
inode=$(stat -c %i "$db")
for _ in $(seq 100); do
	[[ $(sqlite3 "$db" 'SELECT COUNT(*) FROM reports' 2>/dev/null) == 2 ]] && break
	sleep 0.05
done
if kill -0 "$ingest" 2>/dev/null; then
	locks=$(grep -c " POSIX .* $ingest [0-9a-f]*:[0-9a-f]*:$inode " /proc/locks || true)
	check_eq "second file ingested under a lock" 1 "$((locks > 0))"
else
	fail "the ingest of the second file ended before its lock could be checked"
fi
wait "$ingest"
check_eq "ingest beside a reader exits 0" 0 "$?"
check_eq "all indicators beside a reader" 300001 \
	"$(sqlite3 "$db" 'SELECT COUNT(*) FROM indicators' 2>&1)"
check_eq "integrity beside a reader" ok "$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)"

# The batch sort compares the first 15 bytes of two values as integers. A
# value of exactly 15 bytes and a longer one that starts with it are two
# indicators, in one batch as in two.
printf '%s\n' http://a.com/xy http://a.com/xyz abcdefghijk.com abcdefghijk.com.au \
	>"$TEST_DIR/prefix.txt"
for size in 1 4; do
	db="$TEST_DIR/prefix-$size.db"
	ctihub --db "$db" init >/dev/null
	ctihub --db "$db" ingest --format list --batch-size "$size" "$TEST_DIR/prefix.txt" >/dev/null
	check_eq "15-byte prefixes kept apart, batches of $size" 4 \
		"$(sqlite3 "$db" 'SELECT COUNT(*) FROM indicators WHERE times_seen = 1')"
done

# Spellings of one CIDR differ in the host-bits warning (64). The latest
# sighting's warnings are kept, whatever the batches: within one batch as
# across batches. 10.0.0.0/8 is private (1) and 192.0.2.0/24 documentation
# (8) as well.
printf '%s\n' 10.1.2.3/8 192.0.2.0/24 10.0.0.0/8 192.0.2.7/24 >"$TEST_DIR/spellings.txt"
for size in 1 2 4; do
	db="$TEST_DIR/spellings-$size.db"
	ctihub --db "$db" init >/dev/null
	ctihub --db "$db" ingest --format list --batch-size "$size" "$TEST_DIR/spellings.txt" >/dev/null
	check_eq "latest spelling's warnings, batches of $size" "1 72" \
		"$(sqlite3 "$db" "SELECT group_concat(warnings, ' ') FROM (SELECT warnings FROM indicators ORDER BY value)")"
done

# Free text is extracted in chunks of 256 KiB that end at a line break. A
# value in several chunks is stored once and counted once, a host that one
# chunk names only inside a URL and a later chunk on its own is stored, and
# a host only ever inside a URL is not.
text="$TEST_DIR/long-notes.txt"
{
	echo "Beacon to hxxp://c2[.]example[.]org/gate.php seen, also evil-one.example.com."
	for i in $(seq 8000); do
		echo "Line $i of the notes, with nothing to extract in it at all, only words."
	done
	echo "Again evil-one.example.com, and now c2.example.org on its own."
	echo "Only in a URL: http://hidden.example.net/x and a hash d41d8cd98f00b204e9800998ecf8427e."
} >"$text"
db="$TEST_DIR/chunks.db"
ctihub --db "$db" init >/dev/null
check_eq "notes span more than one chunk" 1 "$(($(stat -c %s "$text") > 262144))"
ctihub --db "$db" ingest --format text --source notes "$text" >/dev/null
check_eq "text values across chunks" \
	"domain|c2.example.org|1 domain|evil-one.example.com|1 md5|d41d8cd98f00b204e9800998ecf8427e|1 url|http://c2.example.org/gate.php|1 url|http://hidden.example.net/x|1" \
	"$(sqlite3 "$db" "SELECT type, value, times_seen FROM indicators ORDER BY type, value" | tr '\n' ' ' | sed 's/ $//')"

# A line longer than a chunk is extracted whole: a value across byte
# 262,144 of a one-line text, and "ASN 13335" across it, stay intact.
line="$TEST_DIR/one-line.txt"
{
	head -c 262130 /dev/zero | tr '\0' 'x'
	printf ' split-here.example.com ASN 13335 '
	head -c 50000 /dev/zero | tr '\0' 'y'
} >"$line"
db="$TEST_DIR/one-line.db"
ctihub --db "$db" init >/dev/null
ctihub --db "$db" ingest --format text --source line "$line" >/dev/null
check_eq "values across byte 262144 of one line" "AS13335 split-here.example.com" \
	"$(sqlite3 "$db" "SELECT group_concat(value, ' ') FROM (SELECT value FROM indicators ORDER BY value)")"

finish
