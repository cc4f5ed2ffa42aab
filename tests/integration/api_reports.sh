#!/usr/bin/env bash
# Creates every report kind through POST /api/v1/reports on a real server,
# with Sigma and YARA rules, ATT&CK catalogues and analyst notes from the
# shared real-world data, and reads each report back. Checks that invalid
# bodies get 400 naming the field and store nothing, and the list filters
# and pagination of GET /api/v1/reports.
. "$(dirname "$0")/api_lib.sh"

require_shared sigmahq-sigma
require_shared neo23x0-signature-base
require_shared yara-rules
require_shared mitre-cti-enterprise
require_shared mitre-attack-stix-data
require_shared pan-unit42-iocs

SIGMA="$SHARED/sigmahq-sigma/windows_process_creation/proc_creation_win_csc_susp_parent.yml"
VALAK="$SHARED/pan-unit42-iocs/2020-analyst-notes/2020-07-06-TA551-IOCs-for-Valak-with-IcedID.txt"
ENTERPRISE="$SHARED/mitre-cti-enterprise"
ICS=$(ls "$SHARED"/mitre-attack-stix-data/ics-attack-*.json | head -1)

api_start --rate-limit 0 || { finish; exit 1; }
api_org A
api_user a1 A member
TOKEN=$(api_token a1)

# post NAME BODY: creates a report, expects 201 and sets id to its id.
post() {
	req POST /api/v1/reports "$TOKEN" "$2"
	check_code "$1 create" 201
	id=$(jget 'j["id"]')
}

# reread NAME: reads the report just created and expects 200 with the same id.
reread() {
	req GET "/api/v1/reports/$id" "$TOKEN"
	check_code "$1 read back" 200
	check_eq "$1 read back id" "$id" "$(jget 'j["id"]')"
}

# Techniques that a Sigma rule's attack.tNNNN tags name and that the STIX
# objects under the given paths contain as current (not revoked, not
# deprecated) attack-patterns, sorted, as a JSON array.
sigma_techniques() {
	python3 - "$@" <<'EOF'
import glob, json, os, re, sys
rule, paths = sys.argv[1], sys.argv[2:]
tags = re.findall(r"^\s*-\s*attack\.(t\d{4}(?:\.\d{3})?)\s*$", open(rule).read(), re.M | re.I)
current = set()
files = []
for p in paths:
    files += glob.glob(os.path.join(p, "**", "*.json"), recursive=True) if os.path.isdir(p) else [p]
for f in files:
    for o in json.load(open(f)).get("objects", []):
        if o.get("type") != "attack-pattern" or o.get("revoked") or o.get("x_mitre_deprecated"):
            continue
        for ref in o.get("external_references", []):
            if ref.get("source_name", "").startswith("mitre") and ref.get("external_id", "").startswith("T"):
                current.add(ref["external_id"])
print(json.dumps(sorted(t.upper() for t in set(tags) if t.upper() in current)))
EOF
}

# YARA rule names declared in a file, in order, as a JSON array.
yara_rule_names() {
	python3 - "$1" <<'EOF'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
text = re.sub(r"//[^\n]*", "", text)
names = re.findall(r"^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_]\w*)", text, re.M)
print(json.dumps(names, sort_keys=True))
EOF
}

# ---- hunting: Sigma, before and after the ATT&CK import ------------------
# With an empty catalogue a Sigma rule is accepted, its technique tags are
# notes, and nothing is linked.
post "sigma without catalogue" "$(json_build \
	'{"kind": "hunting", "rule_type": "sigma", "rule": open(a[0]).read()}' "$SIGMA")"
check_eq "sigma without catalogue techniques" "[]" "$(jget 'j["techniques"]')"
check_contains "sigma without catalogue note" "catalogue is empty" "$(jget 'j["notes"]')"

# Techniques in attack reports need the catalogue.
req POST /api/v1/reports "$TOKEN" '{"kind": "attack", "exploitation": "Phishing mail",
	"description": "Mail with a macro document", "tactic": "TA0001", "techniques": ["T1566.001"]}'
check_error "attack technique without catalogue" 400 invalid techniques

ctihub attack import "$ENTERPRISE" >/dev/null || fail "attack import of $ENTERPRISE failed"

expected_techniques=$(sigma_techniques "$SIGMA" "$ENTERPRISE")
check_eq "sigma rule names four current techniques" 4 \
	"$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$expected_techniques")"
post "sigma" "$(json_build \
	'{"kind": "hunting", "rule_type": "sigma", "rule": open(a[0]).read(), "tlp": "GREEN"}' \
	"$SIGMA")"
check_eq "sigma techniques in reply" "$expected_techniques" "$(jget 'sorted(j["techniques"])')"
reread "sigma"
check_eq "sigma techniques" "$expected_techniques" "$(jget 'sorted(j["techniques"])')"
check_eq "sigma rule_title" "$(sed -n 's/^title: //p' "$SIGMA")" "$(jget 'j["fields"]["rule_title"]')"
check_eq "sigma rule_id" "$(sed -n 's/^id: //p' "$SIGMA")" "$(jget 'j["fields"]["rule_id"]')"
check_eq "sigma logsource" "process_creation windows" \
	"$(jget 'j["fields"]["logsource"]["category"] + " " + j["fields"]["logsource"]["product"]')"
check_eq "sigma non-technique tags stay tags" '["attack.execution", "attack.stealth"]' \
	"$(jget 'sorted(j["fields"]["tags"])')"
check_eq "sigma rule stored verbatim" "$(cat "$SIGMA")" "$(jget 'j["fields"]["rule"]')"
check_eq "sigma tlp" GREEN "$(jget 'j["tlp"]')"
check_eq "sigma kind" hunting "$(jget 'j["kind"]')"

# SigmaHQ's largest rule (about 290 KB of hashes) fits the default body limit.
post "large sigma" "$(json_build '{"kind": "hunting", "rule_type": "sigma",
	"rule": open(a[0]).read()}' "$SHARED/sigmahq-sigma/windows_driver_load/driver_load_win_vuln_drivers.yml")"

# ---- hunting: YARA --------------------------------------------------------
for yar in "$SHARED"/neo23x0-signature-base/yara/*.yar; do
	name=$(basename "$yar")
	post "yara $name" "$(json_build \
		'{"kind": "hunting", "rule_type": "yara", "rule": open(a[0]).read()}' "$yar")"
	[ "$status" = 201 ] || continue
	reread "yara $name"
	check_eq "yara $name rule_names" "$(yara_rule_names "$yar")" \
		"$(jget 'j["fields"]["rule_names"]')"
	check_eq "yara $name rule_type" yara "$(jget 'j["fields"]["rule_type"]')"
done

# An index file of includes: the compiler's line and message come back.
index="$SHARED/yara-rules/malware_index.yar"
include_line=$(grep -n -m1 '^include' "$index" | cut -d: -f1)
before=$(report_count)
req POST /api/v1/reports "$TOKEN" "$(json_build \
	'{"kind": "hunting", "rule_type": "yara", "rule": open(a[0]).read()}' "$index")"
check_error "yara includes" 400 invalid rule
check_contains "yara includes line" "line $include_line:" "$(jget 'j["error"]["message"]')"
check_contains "yara includes message" "includes are disabled" "$(jget 'j["error"]["message"]')"
check_eq "yara includes stores nothing" "$before" "$(report_count)"

req POST /api/v1/reports "$TOKEN" '{"kind": "hunting", "rule_type": "yara",
	"rule": "rule broken {\n condition:\n  true and\n}"}'
check_error "yara syntax error" 400 invalid rule
check_contains "yara syntax error line" "line 4" "$(jget 'j["error"]["message"]')"

req POST /api/v1/reports "$TOKEN" '{"kind": "hunting", "rule_type": "sigma",
	"rule": "title: [unclosed\n"}'
check_error "sigma invalid YAML" 400 invalid rule

# ---- attack ---------------------------------------------------------------
# T1566.001 (Spearphishing Attachment) and T1204.002 (Malicious File) are
# current in the enterprise catalogue, as the check below confirms.
check_eq "catalogue has the attack techniques" '["T1204.002", "T1566.001"]' "$(python3 - "$ENTERPRISE" <<'EOF'
import glob, json, sys
found = set()
for f in glob.glob(sys.argv[1] + "/**/*.json", recursive=True):
    for o in json.load(open(f)).get("objects", []):
        if o.get("type") == "attack-pattern" and not o.get("revoked") and not o.get("x_mitre_deprecated"):
            for ref in o.get("external_references", []):
                if ref.get("external_id") in ("T1566.001", "T1204.002"):
                    found.add(ref["external_id"])
print(json.dumps(sorted(found)))
EOF
)"
post "attack by tactic name" '{"kind": "attack", "tlp": "GREEN",
	"exploitation": "A mail with a password-protected zip of a Word document with macros.",
	"description": "TA551 malspam delivering Valak", "event": "TA551 wave",
	"tactic": "initial access", "techniques": ["t1566.001", "T1566.001", "T1204.002"],
	"indicators": ["dwniu8n[.]com", "81.176.239[.]52"]}'
reread "attack by tactic name"
check_eq "attack tactic name becomes TA id" TA0001 "$(jget 'j["fields"]["tactic"]')"
check_eq "attack techniques canonical, deduplicated" '["T1566.001", "T1204.002"]' \
	"$(jget 'j["fields"]["techniques"]')"
check_eq "attack technique links" '["T1204.002", "T1566.001"]' "$(jget 'j["techniques"]')"
check_eq "attack indicators" '["domain dwniu8n.com", "ipv4 81.176.239.52"]' \
	"$(jget 'sorted(i["type"] + " " + i["value"] for i in j["indicators"])')"
check_eq "attack title from event and description" "TA551 wave: TA551 malspam delivering Valak" \
	"$(jget 'j["title"]')"

post "attack by tactic id" '{"kind": "attack", "exploitation": "regsvr32 runs the DLL",
	"description": "Valak installer DLL", "tactic": "ta0002"}'
reread "attack by tactic id"
check_eq "attack tactic id canonical" TA0002 "$(jget 'j["fields"]["tactic"]')"
check_eq "attack default tlp" AMBER "$(jget 'j["tlp"]')"

# An ICS technique after importing the ICS release from mitre-attack-stix-data.
ctihub attack import "$ICS" >/dev/null || fail "attack import of $ICS failed"
ics_technique=$(python3 - "$ICS" <<'EOF'
import json, sys
for o in json.load(open(sys.argv[1]))["objects"]:
    if o.get("type") == "attack-pattern" and not o.get("revoked") and not o.get("x_mitre_deprecated"):
        ids = [r["external_id"] for r in o.get("external_references", []) if r.get("external_id", "").startswith("T0")]
        if ids:
            print(ids[0])
            break
EOF
)
post "attack with ICS technique" "{\"kind\": \"attack\", \"exploitation\": \"Engineering workstation compromise\",
	\"description\": \"ICS intrusion\", \"tactic\": \"Execution\", \"techniques\": [\"$ics_technique\"]}"
check_eq "attack ICS technique linked" "[\"$ics_technique\"]" "$(jget 'j["techniques"]')"

req POST /api/v1/reports "$TOKEN" '{"kind": "attack", "exploitation": "x", "description": "y",
	"tactic": "TA0001", "techniques": ["T1566.001", "T9999"]}'
check_error "attack unknown technique" 400 invalid "techniques[1]"
req POST /api/v1/reports "$TOKEN" '{"kind": "attack", "exploitation": "x", "description": "y",
	"tactic": "Teleportation"}'
check_error "attack unknown tactic" 400 invalid tactic

# ---- ioc: free text from an analyst note -----------------------------------
# Expected counts come from the note itself: every 64-hex-digit hash, every
# defanged .com domain and every defanged IPv4 address.
valak_sha256=$(grep -oE '\b[0-9a-f]{64}\b' "$VALAK" | sort -u | wc -l)
valak_domains=$(grep -oE '\b[a-z0-9]+\[\.\]com\b' "$VALAK" | sed 's/\[\.\]/./g' | LC_ALL=C sort -u)
valak_ipv4=$(grep -oE '\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\[\.\][0-9]{1,3}\b' "$VALAK" |
	sed 's/\[\.\]/./g' | LC_ALL=C sort -u)
check_eq "Valak note sha256 count" 46 "$valak_sha256"
check_eq "Valak note domain count" 6 "$(wc -l <<<"$valak_domains")"
check_eq "Valak note ipv4 count" 6 "$(wc -l <<<"$valak_ipv4")"

post "ioc free text" "$(json_build '{"kind": "ioc", "purpose": "blocking", "tlp": "AMBER",
	"indicators": open(a[0]).read(), "details": "TA551 Valak wave of 2020-07-06"}' "$VALAK")"
reread "ioc free text"
check_eq "ioc sha256 count" 46 "$(jget 'sum(1 for i in j["indicators"] if i["type"] == "sha256")')"
check_eq "ioc domains" "$(tr '\n' ' ' <<<"$valak_domains")" \
	"$(jget '"".join(v + " " for v in sorted(i["value"] for i in j["indicators"] if i["type"] == "domain"))')"
check_eq "ioc ipv4" "$(tr '\n' ' ' <<<"$valak_ipv4")" \
	"$(jget '"".join(v + " " for v in sorted(i["value"] for i in j["indicators"] if i["type"] == "ipv4"))')"
check_eq "ioc indicator_count" 58 "$(jget 'j["indicator_count"]')"
check_eq "ioc purpose" blocking "$(jget 'j["fields"]["purpose"]')"
check_eq "ioc title" "Blocking: c52b0211af278f226cd457d9a38cd9b1a74b6b6fd93b0ca55996f965e2aeb81f and 57 more indicators" \
	"$(jget 'j["title"]')"
check_eq "ioc submitter" a1 "$(jget 'j["submitter"]')"
check_eq "ioc organisation" A "$(jget 'j["organisation"]')"
check_eq "ioc source" A "$(jget 'j["source"]')"
ioc_id=$id

# ---- vuln -----------------------------------------------------------------
post "vuln" '{"kind": "vuln", "tlp": "amber+strict", "time": "2024-03-01T12:30:00+02:00",
	"ip": "81.29.134[.]120", "cve": "cve-2021-44228", "organisation": "Example Clinic",
	"country": "de", "isp": "Example ISP", "sector": "health"}'
reread "vuln"
check_eq "vuln time in UTC" 2024-03-01T10:30:00Z "$(jget 'j["fields"]["time"]')"
check_eq "vuln ip refanged" 81.29.134.120 "$(jget 'j["fields"]["ip"]')"
check_eq "vuln cve upper case" CVE-2021-44228 "$(jget 'j["fields"]["cve"]')"
check_eq "vuln country upper case" DE "$(jget 'j["fields"]["country"]')"
check_eq "vuln tlp" AMBER+STRICT "$(jget 'j["tlp"]')"
check_eq "vuln indicators" '["cve CVE-2021-44228", "ipv4 81.29.134.120"]' \
	"$(jget 'sorted(i["type"] + " " + i["value"] for i in j["indicators"])')"
check_eq "vuln title" "CVE-2021-44228 at Example Clinic (DE)" "$(jget 'j["title"]')"
vuln_id=$id

req POST /api/v1/reports "$TOKEN" '{"kind": "vuln", "time": "2024-03-01T10:00:00Z",
	"ip": "81.29.134.120", "cve": "CVE-2021-44228", "organisation": "X", "country": "UK"}'
check_error "vuln country UK" 400 invalid country
check_contains "vuln country UK suggests GB" "GB" "$(jget 'j["error"]["message"]')"
req POST /api/v1/reports "$TOKEN" '{"kind": "vuln", "time": "2024-03-01 10:00:00",
	"ip": "81.29.134.120", "cve": "CVE-2021-44228", "organisation": "X", "country": "DE"}'
check_error "vuln time without zone" 400 invalid time

# ---- darknet ----------------------------------------------------------------
post "darknet" '{"kind": "darknet", "tlp": "GREEN", "category": "Compromised_Data",
	"summary": "Staff credentials of a clinic offered on a forum", "source": "forum post",
	"indicators": ["eto9ve1[.]com"], "cves": ["cve-2023-4966"]}'
reread "darknet"
check_eq "darknet category canonical" compromised_data "$(jget 'j["fields"]["category"]')"
check_eq "darknet cves" '["CVE-2023-4966"]' "$(jget 'j["fields"]["cves"]')"
check_eq "darknet indicators" '["cve CVE-2023-4966", "domain eto9ve1.com"]' \
	"$(jget 'sorted(i["type"] + " " + i["value"] for i in j["indicators"])')"
check_eq "darknet title from summary" "Staff credentials of a clinic offered on a forum" \
	"$(jget 'j["title"]')"

# ---- disinfo --------------------------------------------------------------
post "disinfo" '{"kind": "disinfo", "tlp": "CLEAR", "campaign": "Fake ministry statements",
	"description": "Look-alike news sites", "domains": ["g7bxxcu[.]com"],
	"ips": ["93.189.42[.]58"], "urls": ["hxxps://rlb9lmt[.]com/news/1"]}'
reread "disinfo"
check_eq "disinfo domains" '["g7bxxcu.com"]' "$(jget 'j["fields"]["domains"]')"
check_eq "disinfo ips" '["93.189.42.58"]' "$(jget 'j["fields"]["ips"]')"
check_eq "disinfo urls" '["https://rlb9lmt.com/news/1"]' "$(jget 'j["fields"]["urls"]')"
check_eq "disinfo indicators" \
	'["domain g7bxxcu.com", "ipv4 93.189.42.58", "url https://rlb9lmt.com/news/1"]' \
	"$(jget 'sorted(i["type"] + " " + i["value"] for i in j["indicators"])')"
check_eq "disinfo tlp" CLEAR "$(jget 'j["tlp"]')"

req POST /api/v1/reports "$TOKEN" '{"kind": "disinfo", "campaign": "Empty"}'
check_error "disinfo without values" 400 invalid domains
req POST /api/v1/reports "$TOKEN" '{"kind": "disinfo", "campaign": "Wrong type",
	"domains": ["93.189.42.58"]}'
check_error "disinfo IP in domains" 400 invalid "domains[0]"

# ---- feed -----------------------------------------------------------------
post "feed" '{"kind": "feed", "tlp": "WHITE", "title": "TA551 pushes Valak with IcedID",
	"url": "https://unit42.example.org/ta551-valak", "published": "2020-07-06T18:00:00-04:00",
	"summary": "Analyst notes of the week",
	"indicators": "c52b0211af278f226cd457d9a38cd9b1a74b6b6fd93b0ca55996f965e2aeb81f at wnrfa9y[.]com"}'
reread "feed"
check_eq "feed WHITE stored as CLEAR" CLEAR "$(jget 'j["tlp"]')"
check_eq "feed published in UTC" 2020-07-06T22:00:00Z "$(jget 'j["fields"]["published"]')"
check_eq "feed url kept" https://unit42.example.org/ta551-valak "$(jget 'j["fields"]["url"]')"
check_eq "feed url is not an indicator" \
	'["domain wnrfa9y.com", "sha256 c52b0211af278f226cd457d9a38cd9b1a74b6b6fd93b0ca55996f965e2aeb81f"]' \
	"$(jget 'sorted(i["type"] + " " + i["value"] for i in j["indicators"])')"
check_eq "feed title" "TA551 pushes Valak with IcedID" "$(jget 'j["title"]')"

# ---- rejected bodies store nothing -----------------------------------------
reports_before=$(report_count)
indicators_before=$(sql 'SELECT COUNT(*) FROM indicators')

req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research",
	"indicators": ["1.2.3.4"], "severity": "high"}'
check_error "unknown field" 400 invalid severity
check_contains "unknown field message" '"severity"' "$(jget 'j["error"]["message"]')"
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "tlp": "RED",
	"indicators": ["1.2.3.4"], "share_with": {"users": ["a1"], "teams": ["x"]}}'
check_error "unknown share_with field" 400 invalid share_with.teams
req POST /api/v1/reports "$TOKEN" '{"purpose": "research", "indicators": ["1.2.3.4"]}'
check_error "missing kind" 400 invalid kind
req POST /api/v1/reports "$TOKEN" '{"kind": "report", "indicators": ["1.2.3.4"]}'
check_error "unknown kind" 400 invalid kind

# One body per kind, each missing a required field.
while IFS='|' read -r kind field json; do
	req POST /api/v1/reports "$TOKEN" "$json"
	check_error "$kind without $field" 400 invalid "$field"
done <<'EOF'
ioc|indicators|{"kind": "ioc", "purpose": "research"}
ioc|purpose|{"kind": "ioc", "indicators": ["81.29.134.120"]}
attack|exploitation|{"kind": "attack", "description": "d", "tactic": "TA0001"}
attack|description|{"kind": "attack", "exploitation": "e", "tactic": "TA0001"}
attack|tactic|{"kind": "attack", "exploitation": "e", "description": "d"}
vuln|time|{"kind": "vuln", "ip": "81.29.134.120", "cve": "CVE-2021-44228", "organisation": "X", "country": "DE"}
vuln|ip|{"kind": "vuln", "time": "2024-03-01T10:00:00Z", "cve": "CVE-2021-44228", "organisation": "X", "country": "DE"}
vuln|cve|{"kind": "vuln", "time": "2024-03-01T10:00:00Z", "ip": "81.29.134.120", "organisation": "X", "country": "DE"}
vuln|organisation|{"kind": "vuln", "time": "2024-03-01T10:00:00Z", "ip": "81.29.134.120", "cve": "CVE-2021-44228", "country": "DE"}
vuln|country|{"kind": "vuln", "time": "2024-03-01T10:00:00Z", "ip": "81.29.134.120", "cve": "CVE-2021-44228", "organisation": "X"}
hunting|rule_type|{"kind": "hunting", "rule": "rule a { condition: true }"}
hunting|rule|{"kind": "hunting", "rule_type": "yara"}
darknet|category|{"kind": "darknet", "summary": "s"}
darknet|summary|{"kind": "darknet", "category": "trend"}
disinfo|campaign|{"kind": "disinfo", "domains": ["g7bxxcu.com"]}
feed|url|{"kind": "feed", "title": "t"}
feed|title|{"kind": "feed", "url": "https://unit42.example.org/a"}
EOF

# Wrong types and values in common fields.
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "tlp": "PURPLE"}'
check_error "invalid tlp" 400 invalid tlp
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "tlp": 3}'
check_error "tlp as number" 400 invalid tlp
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4", "not an indicator"]}'
check_error "invalid indicator in array" 400 invalid "indicators[1]"
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "title": "two\nlines"}'
check_error "title with a newline" 400 invalid title
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "tlp": "GREEN", "share_with": {"users": ["a1"]}}'
check_error "share_with.users on GREEN" 400 invalid share_with.users
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "tlp": "AMBER+STRICT", "share_with": {"orgs": ["No Such Org"]}}'
check_error "share_with unknown org" 400 invalid share_with.orgs
req POST /api/v1/reports "$TOKEN" '{"kind": "ioc", "purpose": "research", "indicators": ["1.2.3.4"], "tlp": "RED", "share_with": {"users": ["nobody"]}}'
check_error "share_with unknown user" 400 invalid share_with.users
req POST /api/v1/reports "$TOKEN" "$(json_build '{"kind": "ioc", "purpose": "research", "indicators": ["10.0.%d.%d" % (i // 250, i % 250 + 1) for i in range(10001)]}')"
check_error "more than 10000 indicators" 413 too_large indicators

check_eq "rejected bodies store no report" "$reports_before" "$(report_count)"
check_eq "rejected bodies store no indicator" "$indicators_before" \
	"$(sql 'SELECT COUNT(*) FROM indicators')"

# ---- reading --------------------------------------------------------------
req GET /api/v1/reports/999999 "$TOKEN"
check_error "missing report" 404 not_found ""
for bad in 0 -1 abc 1.5 99999999999999999999; do
	req GET "/api/v1/reports/$bad" "$TOKEN"
	check_code "report id $bad" 404
done

req GET "/api/v1/indicators/ipv4/81.29.134.120" "$TOKEN"
check_code "indicator by value" 200
check_eq "indicator reports" "[$ioc_id, $vuln_id]" "$(jget 'sorted(r["id"] for r in j["reports"])')"
req GET "/api/v1/indicators/ipv4/81.29.134%5B.%5D120" "$TOKEN"
check_code "indicator defanged in the path" 200
check_eq "indicator defanged value" 81.29.134.120 "$(jget 'j["value"]')"
req GET "/api/v1/indicators/url/https:%2F%2Frlb9lmt.com%2Fnews%2F1" "$TOKEN"
check_code "url indicator with encoded slashes" 200
req GET "/api/v1/indicators/colour/red" "$TOKEN"
check_error "unknown indicator type" 404 not_found type
req GET "/api/v1/indicators/ipv4/not-an-ip" "$TOKEN"
check_error "invalid indicator value" 400 invalid value

# ---- list filters and pagination -------------------------------------------
total=$(report_count)
req GET "/api/v1/reports?kind=vuln" "$TOKEN"
check_eq "list kind=vuln" "[$vuln_id]" "$(jget '[r["id"] for r in j["reports"]]')"
req GET "/api/v1/reports?tlp=AMBER%2BSTRICT" "$TOKEN"
check_eq "list tlp=AMBER+STRICT" "[$vuln_id]" "$(jget '[r["id"] for r in j["reports"]]')"
req GET "/api/v1/reports?q=VALAK%20installer" "$TOKEN"
check_eq "list q matches title, ignoring case" 1 "$(jget 'len(j["reports"])')"
req GET "/api/v1/reports?since=2999-01-01T00:00:00Z" "$TOKEN"
check_eq "list since the future" "[]" "$(jget 'j["reports"]')"

# Walk every page of 3 and compare with the table.
seen=""
cursor=""
for page in $(seq 100); do
	req GET "/api/v1/reports?limit=3${cursor:+&before=$cursor}" "$TOKEN"
	check_code "page $page" 200
	seen="$seen$(jget '"".join("%d " % r["id"] for r in j["reports"])')"
	cursor=$(jget 'j["next_before"] if j["next_before"] is not None else ""')
	[ -n "$cursor" ] || break
done
check_eq "pages list every report once, newest first" \
	"$(sql 'SELECT id FROM reports ORDER BY id DESC' | tr '\n' ' ')" "$seen"
check_eq "page count" $(((total + 2) / 3)) "$page"

while IFS='|' read -r query field; do
	req GET "/api/v1/reports?$query" "$TOKEN"
	check_error "list $query" 400 invalid "$field"
done <<'EOF'
kind=bogus|kind
tlp=PURPLE|tlp
since=yesterday|since
limit=0|limit
limit=501|limit
limit=ten|limit
before=abc|before
before=-5|before
limit=+5|limit
limit=%205|limit
limit=05|limit
before=99999999999999999999|before
EOF

req GET "/api/v1/reports?since=2026-01-01T01:00:00%2B01:00&limit=1" "$TOKEN"
check_code "since with a zone offset" 200

for id in +1 %201 01 99999999999999999999; do
	req GET "/api/v1/reports/$id" "$TOKEN"
	check_error "report id $id" 404 not_found id
done

finish
