# The benchmark database shared by bench/http and bench/digest, sourced by
# both. bench_build_db expects these variables: ctihub (the binary), gen
# (bench/gen_indicators), tmp (a scratch folder), indicators, reports,
# links_per_report, bench_orgs and reader; and the functions fail and calc.
# It sets db, distinct (indicators made), token (the reader's API token)
# and fixture_s (seconds taken).
#
# Indicators are ingested with `ctihub ingest` from generated lists, and
# the reports are inserted with the sqlite3 shell, because 100,000 API
# calls would take minutes.

bench_build_db() {
	db=$tmp/bench.db
	fixture_start=$(date +%s.%N)
	"$ctihub" --db "$db" init >/dev/null

	# About 22% of generated rows repeat an earlier one, so 1.3 rows per wanted
	# indicator usually suffice. Another seed tops up any shortfall. Each
	# ingest links its indicators to one GREEN report, so the member can see
	# every indicator and every lookup returns 200.
	seed=1
	lines=$((indicators * 13 / 10 + 100))
	distinct=0
	while ((distinct < indicators)); do
		((seed <= 5)) || fail "only $distinct distinct indicators after $((seed - 1)) generator runs"
		"$gen" --seed "$seed" --count "$lines" "$tmp/list.txt"
		"$ctihub" --db "$db" ingest --format list --tlp GREEN --source bench "$tmp/list.txt" \
			>"$tmp/ingest.out" 2>"$tmp/ingest.err" ||
			{ cat "$tmp/ingest.err" >&2; fail "ctihub ingest failed"; }
		distinct=$(sqlite3 "$db" 'SELECT count(*) FROM indicators')
		lines=$(((indicators - distinct) * 13 / 10 + 100))
		seed=$((seed + 1))
	done
	rm -f "$tmp/list.txt"

	for ((org = 1; org <= bench_orgs; org++)); do
		"$ctihub" --db "$db" org add "bench-org-$org" >/dev/null
		for member in 0 1; do
			"$ctihub" --db "$db" user add "bench-user-$(((org - 1) * 2 + member))" \
				--org "bench-org-$org" --role member >/dev/null
		done
	done
	token=$("$ctihub" --db "$db" token create "$reader")

	# Reports as the API would store them: the submitter's organisation is the
	# source, AMBER+STRICT reports are shared with the submitter's organisation
	# and the next user's, RED reports with the submitter and the next user.
	# Indicator ids come from a multiplicative hash of the link number, so the
	# fixture is the same on every run. The indicators' first_seen, last_seen
	# and times_seen keep their ingest values, which the lookup replaces with
	# the readable reports' values whenever a report is hidden from the reader.
	sqlite3 "$db" >"$tmp/fixture.out" 2>&1 <<-EOF || { cat "$tmp/fixture.out" >&2; fail "inserting the reports failed"; }
	.bail on
	PRAGMA cache_size = -262144;
	BEGIN;
	CREATE TEMP TABLE bench_users AS
		SELECT row_number() OVER (ORDER BY u.id) - 1 AS slot, u.id AS user_id, u.org_id,
			o.name AS org
		FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.name LIKE 'bench-user-%';
	CREATE TEMP TABLE bench_params AS
		SELECT (SELECT count(*) FROM bench_users) AS users,
			(SELECT coalesce(max(id), 0) FROM reports) AS first_id,
			(SELECT max(id) FROM indicators) AS max_indicator,
			CAST(strftime('%s', 'now') AS INTEGER) AS now;
	CREATE TEMP TABLE kinds (i INTEGER PRIMARY KEY, kind TEXT, field TEXT);
	INSERT INTO kinds VALUES (0, 'ioc', 'details'), (1, 'attack', 'description'), (2, 'vuln', 'cve'),
		(3, 'hunting', 'description'), (4, 'darknet', 'summary'), (5, 'disinfo', 'description'),
		(6, 'feed', 'summary');
	CREATE TEMP TABLE seq AS
		WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $reports)
		SELECT n FROM s;
	INSERT OR IGNORE INTO sources (name, created)
		SELECT org, (SELECT now FROM bench_params) FROM bench_users;

	-- TLP shares: 20% CLEAR, 30% GREEN, 20% AMBER, 15% AMBER+STRICT, 15% RED.
	INSERT INTO reports (id, source_id, kind, title, tlp, created, submitter_id, org_id, anonymous,
		fields)
	SELECT p.first_id + 1 + seq.n, src.id, k.kind, 'Benchmark ' || k.kind || ' report ' || seq.n,
		CASE WHEN h < 20 THEN 0 WHEN h < 50 THEN 1 WHEN h < 70 THEN 2 WHEN h < 85 THEN 3 ELSE 4 END,
		p.now - ($reports - seq.n) * 30, u.user_id, u.org_id, 0,
		json_object(k.field, 'Benchmark fixture report ' || seq.n)
	FROM (SELECT n, n * 2654435761 % 4294967291 % 100 AS h FROM seq) seq
		CROSS JOIN bench_params p
		JOIN bench_users u ON u.slot = seq.n % p.users
		JOIN sources src ON src.name = u.org
		JOIN kinds k ON k.i = seq.n % 7;

	INSERT OR IGNORE INTO report_indicators (report_id, indicator_id)
	SELECT p.first_id + 1 + seq.n, i.id
	FROM seq CROSS JOIN bench_params p
		CROSS JOIN (WITH RECURSIVE l(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM l
			WHERE k + 1 < $links_per_report) SELECT k FROM l) l
		JOIN indicators i
			ON i.id = 1 + (seq.n * $links_per_report + l.k) * 2654435761 % 4294967291 % p.max_indicator;

	INSERT OR IGNORE INTO report_orgs (report_id, org_id)
	SELECT r.id, u.org_id FROM reports r JOIN bench_users u ON u.user_id = r.submitter_id
	WHERE r.tlp = 3 AND r.id > (SELECT first_id FROM bench_params)
	UNION ALL
	SELECT r.id, next.org_id FROM reports r JOIN bench_users u ON u.user_id = r.submitter_id
		JOIN bench_users next ON next.slot = (u.slot + 1) % (SELECT users FROM bench_params)
	WHERE r.tlp = 3 AND r.id > (SELECT first_id FROM bench_params);
	INSERT OR IGNORE INTO report_users (report_id, user_id)
	SELECT r.id, u.user_id FROM reports r JOIN bench_users u ON u.user_id = r.submitter_id
	WHERE r.tlp = 4 AND r.id > (SELECT first_id FROM bench_params)
	UNION ALL
	SELECT r.id, next.user_id FROM reports r JOIN bench_users u ON u.user_id = r.submitter_id
		JOIN bench_users next ON next.slot = (u.slot + 1) % (SELECT users FROM bench_params)
	WHERE r.tlp = 4 AND r.id > (SELECT first_id FROM bench_params);

	-- An indicator's TLP is the least restrictive of its reports' TLPs.
	UPDATE indicators SET tlp = 0 WHERE tlp > 0 AND id IN (
		SELECT ri.indicator_id FROM report_indicators ri JOIN reports r ON r.id = ri.report_id
		WHERE r.tlp = 0);
	COMMIT;
	EOF
	fixture_s=$(calc %.1f "$(date +%s.%N) - $fixture_start")
}
