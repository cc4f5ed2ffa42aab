# Mock receivers for the notification tests: the HTTP and SMTP modes of
# mock_receiver.py, started in the background and stopped on exit. Source
# after api_lib.sh.

MOCK="$CTIHUB_SOURCE_ROOT/tests/integration/mock_receiver.py"
mock_pids=()

mock_cleanup() {
	local pid

	for pid in "${mock_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	api_cleanup
}
trap mock_cleanup EXIT

# The SMTP mock needs aiosmtpd (Debian: python3-aiosmtpd), which may sit in
# the system Python only when python3 on PATH is another installation.
SMTP_PYTHON=""
for candidate in python3 /usr/bin/python3; do
	if "$candidate" -c 'import aiosmtpd' 2>/dev/null; then
		SMTP_PYTHON=$candidate
		break
	fi
done
if [ -z "$SMTP_PYTHON" ]; then
	echo "FAIL: no python3 with aiosmtpd found; install python3-aiosmtpd (scripts/bootstrap does)" >&2
	exit 1
fi

# start_mock PYTHON PORT_FILE [ARGS...]: starts a mock receiver in the
# background and waits up to 10 s for it to write its port. Returns 1
# after recording a failure.
start_mock() {
	local python=$1 port_file=$2 i
	shift 2

	rm -f "$port_file"
	"$python" "$MOCK" --port-file "$port_file" "$@" 2>>"$TEST_DIR/mock.err" &
	mock_pids+=($!)
	for i in $(seq 100); do
		[ -s "$port_file" ] && return 0
		sleep 0.1
	done
	fail "mock receiver $* did not start; $(tail -5 "$TEST_DIR/mock.err")"
	return 1
}
