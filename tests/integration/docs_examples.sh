#!/usr/bin/env bash
# Runs every command shown in README.md and docs/*.md: each line that starts
# with "$ " inside a ```console block, in order, in a folder that has the
# examples. A command must exit 0 unless its line ends in "# exit N".
. "$(dirname "$0")/lib.sh"

work="$TEST_DIR/work"
mkdir -p "$work/bin"
cp -r "$EXAMPLES" "$work/examples"
ln -s "$CTIHUB_BIN" "$work/bin/ctihub"
unset CTIHUB_DB
# Referral numbers carry the year (LE-2026-0001), so the documents'
# examples run on a fixed clock.
export CTIHUB_NOW=1796385600

run_doc() {
	local doc=$1 cmd expected status
	while IFS= read -r cmd; do
		expected=$(expected_status "$cmd")
		(cd "$work" && PATH="$work/bin:$PATH" bash -c "$cmd") >"$TEST_DIR/out" 2>&1
		status=$?
		if [ "$status" = "$expected" ]; then
			pass
		else
			fail "$(basename "$doc"): '$cmd' exited $status, expected $expected; output:
$(head -20 "$TEST_DIR/out")"
		fi
	done < <(console_commands "$doc")
}

for doc in "$CTIHUB_SOURCE_ROOT/README.md" "$CTIHUB_SOURCE_ROOT"/docs/*.md; do
	# These need a server: api_docs.sh, referrals_docs.sh and chat_docs.sh run them.
	case $(basename "$doc") in api.md | referrals.md | chat.md) continue ;; esac
	# Each document starts from an empty database, as a reader would.
	rm -f "$work"/ctihub.db*
	run_doc "$doc"
done

finish
