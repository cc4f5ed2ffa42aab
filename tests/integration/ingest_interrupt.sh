#!/usr/bin/env bash
# An interrupted ingest leaves the database consistent: kill -9 keeps every
# committed batch whole, Ctrl-C (SIGINT) commits what was read and exits
# 130, and ingesting the file again completes it.
. "$(dirname "$0")/lib.sh"

rows=400000
batch=10000
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "host%d.interrupt-test.net\n", i }' \
	>"$TEST_DIR/big.txt"

# Waits until at least one batch is committed, or the ingest has ended.
wait_for_rows() {
	local pid=$1 i
	for i in $(seq 1 600); do
		if [ "$(sql 'SELECT COUNT(*) FROM indicators' 2>/dev/null || echo 0)" -gt 0 ]; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# kill -9 in the middle of an ingest. The binary runs directly in the
# background, not through the ctihub shell function, so that $! is the
# ingest process itself and not a subshell that the signal would leave
# its child behind.
ctihub init >/dev/null
"$CTIHUB_BIN" ingest --format list --source big --batch-size "$batch" "$TEST_DIR/big.txt" \
	>/dev/null 2>&1 &
pid=$!
if wait_for_rows "$pid"; then
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	check_eq "integrity after kill -9" "ok" "$(sql 'PRAGMA integrity_check')"
	count=$(sql 'SELECT COUNT(*) FROM indicators')
	check_eq "whole batches after kill -9" 0 $((count % batch))
	check_eq "links match indicators after kill -9" "$count" \
		"$(sql 'SELECT COUNT(*) FROM report_indicators')"
else
	fail "ingest finished before any batch could be observed"
fi

# Ingesting again completes the file, with the same single report.
ctihub ingest --format list --source big --batch-size "$batch" "$TEST_DIR/big.txt" >/dev/null 2>&1
check_eq "complete after rerun" "$rows" "$(sql 'SELECT COUNT(*) FROM indicators')"
check_eq "one report after rerun" 1 "$(sql 'SELECT COUNT(*) FROM reports')"

# SIGINT commits what was read and exits 130.
rm -f "$CTIHUB_DB"*
"$CTIHUB_BIN" ingest --format list --source big --batch-size "$batch" "$TEST_DIR/big.txt" \
	>"$TEST_DIR/out" 2>"$TEST_DIR/err" &
pid=$!
if wait_for_rows "$pid"; then
	kill -INT "$pid"
	wait "$pid"
	status=$?
	if [ "$status" = 130 ]; then
		pass
		check_contains "interrupt message" "committed" "$(cat "$TEST_DIR/err")"
		count=$(sql 'SELECT COUNT(*) FROM indicators')
		check_contains "summary counts what was kept" "$count new indicators" \
			"$(cat "$TEST_DIR/out")"
	elif [ "$status" = 0 ]; then
		echo "note: ingest finished before SIGINT arrived" >&2
		pass
	else
		fail "SIGINT exit status: expected 130, got $status"
	fi
	check_eq "integrity after SIGINT" "ok" "$(sql 'PRAGMA integrity_check')"
else
	fail "ingest finished before any batch could be observed"
fi

# SIGINT during the second of three inputs: the first stays stored, the
# third is not started, and the ingest exits 130 and names it. The second
# is standard input, which stays open for three seconds, so the signal
# arrives while the ingest waits for it.
rm -f "$CTIHUB_DB"*
ctihub init >/dev/null
printf 'first.interrupt-test.net\n' >"$TEST_DIR/first.txt"
printf 'third.interrupt-test.net\n' >"$TEST_DIR/third.txt"
(sleep 3; printf 'second.interrupt-test.net\n') |
	"$CTIHUB_BIN" ingest --format list --source files "$TEST_DIR/first.txt" - \
		"$TEST_DIR/third.txt" >"$TEST_DIR/out" 2>"$TEST_DIR/err" &
pid=$!
for i in $(seq 1 40); do
	grep -q 'first.txt:' "$TEST_DIR/out" && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
check_eq "SIGINT between files exits 130" 130 "$?"
check_contains "files not started are named" \
	"interrupted; not ingested: $TEST_DIR/third.txt" "$(cat "$TEST_DIR/err")"
check_eq "the first file is stored" 1 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value = 'first.interrupt-test.net'")"
check_eq "the file after the signal is not" 0 \
	"$(sql "SELECT COUNT(*) FROM indicators WHERE value = 'third.interrupt-test.net'")"

# SIGINT while standard input waits for more: a pipe whose writer stays
# open does not hold the ingest, and nothing from that input is stored.
rm -f "$CTIHUB_DB"*
ctihub init >/dev/null
mkfifo "$TEST_DIR/stdin.fifo"
(printf 'piped.interrupt-test.net\n'; sleep 30) >"$TEST_DIR/stdin.fifo" &
writer=$!
"$CTIHUB_BIN" ingest --format list --source pipe - <"$TEST_DIR/stdin.fifo" \
	>"$TEST_DIR/out" 2>"$TEST_DIR/err" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
check_eq "SIGINT while stdin waits exits 130" 130 "$?"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
check_contains "and says nothing from it was stored" "nothing from it was stored" \
	"$(cat "$TEST_DIR/err")"
check_eq "nothing from stdin is stored" 0 "$(sql 'SELECT COUNT(*) FROM indicators')"

finish
