# Shared helpers for the integration tests: each test is a bash script that
# drives the real ctihub binary on a database in its own temporary folder.
# Meson passes CTIHUB_BIN, CTIHUB_SOURCE_ROOT and CTIHUB_SHARED_DATA.
set -u

: "${CTIHUB_BIN:?set CTIHUB_BIN to the ctihub binary}"
: "${CTIHUB_SOURCE_ROOT:?set CTIHUB_SOURCE_ROOT to the repository}"
SHARED="${CTIHUB_SHARED_DATA:-}"
EXAMPLES="$CTIHUB_SOURCE_ROOT/examples"

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ctihub-test.XXXXXX")
trap 'rm -rf "$TEST_DIR"' EXIT
export CTIHUB_DB="$TEST_DIR/test.db"
unset CTIHUB_WARNINGLISTS

passed=0
failed=0

ctihub() {
	"$CTIHUB_BIN" "$@"
}

pass() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n' "$*" >&2
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: expected [$2], got [$3]"
	fi
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
	case "$3" in
	*"$2"*) pass ;;
	*) fail "$1: [$2] not found in output:
$3" ;;
	esac
}

# check_status NAME EXPECTED_STATUS COMMAND...
check_status() {
	local name=$1 expected=$2 status
	shift 2
	"$@" >/dev/null 2>&1
	status=$?
	check_eq "$name (exit status)" "$expected" "$status"
}

# sql QUERY: runs QUERY on the test database, with the audit log's file
# attached, so that audit_log names the table in it.
sql() {
	sqlite3 -batch -noheader -cmd "ATTACH '$CTIHUB_DB-audit' AS audit" "$CTIHUB_DB" "$1"
}

# Skips the test (exit 77) when the shared real-world data is missing,
# unless CTIHUB_REQUIRE_SHARED=1 (set by CI), where that is a failure.
require_shared() {
	if [ -n "$SHARED" ] && [ -d "$SHARED/$1" ]; then
		return 0
	fi
	if [ "${CTIHUB_REQUIRE_SHARED:-0}" = 1 ]; then
		echo "FAIL: shared data $SHARED/$1 is missing and CTIHUB_REQUIRE_SHARED=1" >&2
		exit 1
	fi
	echo "SKIP: shared data folder ../shared/data/$1 not found; real-data checks skipped" >&2
	exit 77
}

# console_commands DOC: prints the command of each line that starts with
# "$ " inside a ```console block of a Markdown document, one per line.
console_commands() {
	awk '/^```console/ { inside = 1; next } /^```/ { inside = 0; next }
		inside && /^\$ / { print substr($0, 3) }' "$1"
}

# expected_status COMMAND: the exit status a documented command must give,
# 0 unless the line ends in "# exit N".
expected_status() {
	if [[ "$1" =~ \#\ exit\ ([0-9]+)$ ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo 0
	fi
}

# run_doc_commands DOC WORKDIR: runs every documented command of DOC
# (console_commands) in order, in this shell so that variables set by one
# line reach the next, from WORKDIR. Each must exit as expected_status
# says. The last command's output is in $TEST_DIR/out, every output in
# $TEST_DIR/doc.out, and doc_commands counts the commands.
run_doc_commands() {
	local doc=$1 workdir=$2 here=$PWD cmd expected line_status

	doc_commands=0
	: >"$TEST_DIR/doc.out"
	while IFS= read -r cmd; do
		expected=$(expected_status "$cmd")
		doc_commands=$((doc_commands + 1))
		cd "$workdir" || return 99
		eval "$cmd" >"$TEST_DIR/out" 2>&1
		line_status=$?
		cd "$here" || return 99
		cat "$TEST_DIR/out" >>"$TEST_DIR/doc.out"
		if [ "$line_status" = "$expected" ]; then
			pass
		else
			fail "$(basename "$doc"): '$cmd' exited $line_status, expected $expected; output:
$(head -c 2000 "$TEST_DIR/out")"
		fi
	done < <(console_commands "$doc")
}

finish() {
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
}
