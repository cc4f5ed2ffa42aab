# Helpers for the API tests: start `ctihub serve` on a free loopback port
# with a database in the test's temporary folder, create accounts with the
# CLI, send requests with curl and read JSON replies with python3. Every
# server started here is stopped when the script exits.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The running server: its process id, base URL and log files.
SERVER_PID=""
API_URL=""
SERVER_LOG=""
SERVER_OUT=""
# The admin token that `ctihub serve` prints once on a fresh database.
ADMIN_TOKEN=""
# Set by req: the HTTP status ("000" when curl got no response), the
# reply body and the file with the reply headers.
status=""
body=""
HEADERS="$TEST_DIR/reply.headers"
server_count=0

api_cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$TEST_DIR"
}
trap api_cleanup EXIT

# A port number in 20000..60000.
random_port() {
	echo $(((RANDOM * 32768 + RANDOM) % 40001 + 20000))
}

# wait_healthz URL PID [LOG]: waits up to 10 s for GET /healthz to return 200.
# Fails early when the process exits.
# With LOG, it also waits for the server to log that it listens on URL's
# address. Another test's server on the same port would also return 200
# for /healthz while this one is still starting and has yet to find the
# port taken.
wait_healthz() {
	local url=$1 pid=$2 log=${3:-} i

	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		if { [ -z "$log" ] || grep -qF "Listening on ${url#http://} " "$log"; } &&
			curl -sf -m 1 -o /dev/null "$url/healthz"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# keep_admin_token: takes the admin token from the last server's output,
# when it printed one.
keep_admin_token() {
	if grep -q '^cth_' "$SERVER_OUT"; then
		ADMIN_TOKEN=$(grep -m1 '^cth_' "$SERVER_OUT")
	fi
}

# api_start [SERVE OPTIONS...]: starts a server on a free loopback port
# and sets SERVER_PID, API_URL, SERVER_LOG and ADMIN_TOKEN (when the
# database was fresh). Returns 1 after recording a failure.
api_start() {
	local attempt port pid

	for attempt in $(seq 20); do
		server_count=$((server_count + 1))
		SERVER_OUT="$TEST_DIR/serve$server_count.out"
		SERVER_LOG="$TEST_DIR/serve$server_count.log"
		port=$(random_port)
		# At log level INFO, so that the server logs where it listens.
		env -u CTIHUB_LOG_LEVEL "$CTIHUB_BIN" serve --listen "127.0.0.1:$port" "$@" \
			>"$SERVER_OUT" 2>"$SERVER_LOG" &
		pid=$!
		if wait_healthz "http://127.0.0.1:$port" "$pid" "$SERVER_LOG"; then
			SERVER_PID=$pid
			API_URL="http://127.0.0.1:$port"
			keep_admin_token
			return 0
		fi
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			fail "serve did not answer /healthz within 10 s; log:
$(tail -20 "$SERVER_LOG")"
			return 1
		fi
		wait "$pid" 2>/dev/null
		# The admin is made before the port is bound, so a start that lost
		# the port may have printed the only token.
		keep_admin_token
		# Another process uses the port, so try the next one.
		grep -q 'in use' "$SERVER_LOG" && continue
		fail "serve exited at start; log:
$(tail -20 "$SERVER_LOG")"
		return 1
	done
	fail "serve found no free port in 20 attempts"
	return 1
}

# api_stop: sends SIGTERM, waits up to 30 s and sets stop_status to the
# server's exit status (or "timeout").
api_stop() {
	local i

	stop_status=""
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	for i in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		stop_status=timeout
	else
		wait "$SERVER_PID" 2>/dev/null
		stop_status=$?
	fi
	SERVER_PID=""
}

# check_stopped NAME: checks that the last api_stop saw exit status 0 and
# shows the end of the server's log otherwise.
check_stopped() {
	if [ "$stop_status" = 0 ]; then
		pass
	else
		fail "$1: server exit status $stop_status, expected 0; log:
$(tail -40 "$SERVER_LOG")"
	fi
}

# Accounts, through the CLI on the server's database.
api_org() {
	ctihub org add "$1" >/dev/null || fail "org add $1 failed"
}

# api_user NAME ORG ROLE
api_user() {
	ctihub user add "$1" --org "$2" --role "$3" >/dev/null || fail "user add $1 failed"
}

# api_token USER [--expires DURATION]: prints a new token.
api_token() {
	ctihub token create "$@" || fail "token create $* failed"
}

# req METHOD PATH TOKEN [BODY]: sends one request and sets status and body.
# An empty TOKEN sends no Authorization header. BODY is sent as it is.
req() {
	local method=$1 path=$2 token=$3
	local args=(-s -m 60 -X "$method" -o "$TEST_DIR/reply.body" -D "$HEADERS"
		-w '%{http_code}')

	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	if [ $# -ge 4 ]; then
		args+=(-H 'Content-Type: application/json' --data-binary @-)
		status=$(printf '%s' "$4" | curl "${args[@]}" "$API_URL$path")
	else
		status=$(curl "${args[@]}" "$API_URL$path")
	fi
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# req_file METHOD PATH TOKEN FILE: as req, with the body read from FILE.
req_file() {
	local args=(-s -m 60 -X "$1" -o "$TEST_DIR/reply.body" -D "$HEADERS" -w '%{http_code}'
		-H 'Content-Type: application/json' --data-binary "@$4")

	[ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
	status=$(curl "${args[@]}" "$API_URL$2")
	body=$(cat "$TEST_DIR/reply.body" 2>/dev/null)
}

# header NAME: the value of a header of the last reply, without the CR.
header() {
	grep -i "^$1:" "$HEADERS" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# jget EXPR: evaluates the Python expression EXPR with j bound to the
# last reply's JSON and prints the result: strings as they are, anything
# else as JSON. Prints "INVALID-JSON" when the body is not JSON.
jget() {
	python3 -c '
import json, sys
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    print("INVALID-JSON")
    sys.exit(0)
try:
    v = eval(sys.argv[1])
except (KeyError, IndexError, TypeError) as e:
    print("ERROR: %r" % e)
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1" <<<"$body"
}

# json_build EXPR [ARGS...]: prints the JSON of the Python expression
# EXPR, where a is the list of ARGS (for file names: open(a[0]).read()).
json_build() {
	python3 -c 'import json, sys; a = sys.argv[2:]; print(json.dumps(eval(sys.argv[1])))' "$@"
}

# check_code NAME EXPECTED: checks the status of the last reply and
# shows the body when it differs.
check_code() {
	if [ "$status" = "$2" ]; then
		pass
	else
		fail "$1: expected HTTP $2, got $status; body: ${body:0:600}"
	fi
}

# check_error NAME STATUS CODE FIELD: checks an error reply's status and
# its error.code and error.field.
check_error() {
	check_code "$1" "$2"
	check_eq "$1 (error.code)" "$3" "$(jget 'j["error"]["code"]')"
	check_eq "$1 (error.field)" "$4" "$(jget 'j["error"]["field"]')"
}

# report_count: rows in the reports table.
report_count() {
	sql 'SELECT COUNT(*) FROM reports'
}
