#!/usr/bin/env bash
# Runs every command shown in docs/api.md, and the README's server
# walk-through, against a real server: each line
# that starts with "$ " inside a ```console block, in order, in one shell,
# so variables set by one line (TOKEN, BOB_TOKEN, ID) reach the next ones.
# The database first gets the demo files, as `make run` does. A command
# must exit 0 unless its line ends in "# exit N".
. "$(dirname "$0")/api_lib.sh"

DOC="$CTIHUB_SOURCE_ROOT/docs/api.md"
work="$TEST_DIR/work"
mkdir -p "$work"

ctihub init >/dev/null || fail "init failed"
ctihub --warninglist "$EXAMPLES/warninglists" ingest --source demo-feeds --tlp CLEAR \
	"$EXAMPLES"/feeds/* >/dev/null || fail "ingest of the demo feeds failed"
ctihub --warninglist "$EXAMPLES/warninglists" ingest --source analyst-notes --tlp AMBER \
	"$EXAMPLES"/notes/* >/dev/null || fail "ingest of the demo notes failed"
api_start --warninglist "$EXAMPLES/warninglists" || { finish; exit 1; }
check_contains "serve prints the admin token" cth_ "$ADMIN_TOKEN"

# The variables that the "Try it" section tells the reader to set.
export CTIHUB_URL=$API_URL
export ADMIN_TOKEN

run_doc_commands "$DOC" "$work"

# Guards against a change in the block markup that would skip every example.
check_eq "api.md has its examples" 1 "$([ "$doc_commands" -ge 30 ] && echo 1)"

# The README's server walk-through, run as a new user would after `make run`,
# with its fixed address and binary path pointed at this test's server.
readme_block=$(awk '/^## The hub server/ { section = 1 } section && /^```sh/ { inside = 1; next }
	inside && /^```/ { exit } inside { print }' "$CTIHUB_SOURCE_ROOT/README.md")
check_contains "README has the server walk-through" "api/v1/reports" "$readme_block"
readme_block=${readme_block//http:\/\/127.0.0.1:8080/$API_URL}
readme_block=${readme_block//build\/ctihub/$CTIHUB_BIN}
readme_block=${readme_block//Health ISAC/Readme ISAC}
readme_block=${readme_block//alice/readme-alice}
(cd "$work" && bash -e -c "$readme_block") >"$TEST_DIR/readme.out" 2>&1
check_eq "README walk-through runs" 0 $?
check_contains "README search finds the submitted domain" '"value":"covid-pass-renewal.com"' \
	"$(cat "$TEST_DIR/readme.out")"
check_contains "README report was created" '"purpose":"blocking"' "$(cat "$TEST_DIR/readme.out")"

finish
