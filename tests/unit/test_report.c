/*
 * Unit tests for report validation: one table of rejected bodies that
 * covers every field rule of every kind and the common fields, then
 * accepted bodies per kind with their normalised fields, indicators,
 * techniques, titles and notes. Hunting reports use real YARA and Sigma
 * rules; one test runs every real Sigma rule against the real ATT&CK
 * Enterprise catalogue. Other tests use a small fake catalogue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shared_data.h"

#include "ioc/warnlist.h"
#include "model/attack.h"
#include "model/report.h"

struct fake_technique {
	const char *id;
	bool revoked;
};

static const struct fake_technique fake_catalogue[] = {
	{ "T1566", false },  { "T1566.001", false }, { "T1059", false },
	{ "T1059.001", false }, { "T1190", false },   { "T1064", true },
};

static bool fake_lookup(void *ctx, const char *id, bool *revoked)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(fake_catalogue) / sizeof(fake_catalogue[0]); i++) {
		if (strcmp(fake_catalogue[i].id, id) == 0) {
			*revoked = fake_catalogue[i].revoked;
			return true;
		}
	}
	return false;
}

static const struct report_context fake_ctx = {
	.technique_lookup = fake_lookup,
	.technique_catalogue_size = sizeof(fake_catalogue) / sizeof(fake_catalogue[0]),
};

static const struct report_context empty_ctx = { 0 };

static json_t *parse_body(const char *text)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);

	if (!body)
		fail_msg("test body does not parse: %s: %s", jerr.text, text);
	return body;
}

/* Validates a body that must pass; fails the test with the message if not. */
static void accept(const char *text, const struct report_context *ctx, struct report_input *out)
{
	json_t *body = parse_body(text);
	struct ch_error err = { 0 };

	if (report_validate(body, ctx, out, &err) != CH_OK)
		fail_msg("rejected (field '%s'): %s\nbody: %s", err.field, err.message, text);
	json_decref(body);
}

static void accept_json(json_t *body, const struct report_context *ctx, struct report_input *out)
{
	struct ch_error err = { 0 };

	if (report_validate(body, ctx, out, &err) != CH_OK)
		fail_msg("rejected (field '%s'): %s", err.field, err.message);
	json_decref(body);
}

static const char *field_string(const struct report_input *in, const char *key)
{
	return json_string_value(json_object_get(in->fields, key));
}

/* Checks that array contains exactly the given strings, in order. */
static void assert_array(const json_t *array, const char *const *want, size_t count)
{
	if (json_array_size(array) != count)
		fail_msg("array has %zu entries, expected %zu: %s", json_array_size(array), count,
			 json_dumps(array, JSON_COMPACT));
	for (size_t i = 0; i < count; i++)
		assert_string_equal(json_string_value(json_array_get(array, i)), want[i]);
}

static bool notes_mention(const struct report_input *in, const char *text)
{
	const json_t *note;
	size_t i;

	json_array_foreach(in->notes, i, note) {
		if (strstr(json_string_value(note), text))
			return true;
	}
	return false;
}

/* A string of n copies of unit. */
static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

struct reject_case {
	const char *name;
	const char *body;
	bool empty_catalogue;
	enum ch_code code;
	const char *field;
	const char *message; /* a substring of the message */
};

#define IOC_BASE "\"kind\": \"ioc\", \"purpose\": \"blocking\", "
#define ATTACK_BASE                                                                    \
	"\"kind\": \"attack\", \"exploitation\": \"Lures about vaccines.\", "           \
	"\"description\": \"Phishing wave\", \"tactic\": \"TA0001\", "
#define VULN_BASE                                                                      \
	"\"kind\": \"vuln\", \"time\": \"2020-04-02T10:00:00Z\", \"ip\": \"192.0.2.10\", " \
	"\"cve\": \"CVE-2019-19781\", \"organisation\": \"City Hospital\", "
#define YARA_OK "rule a { condition: true }"
#define SIGMA_OK                                                                       \
	"title: t\\nlogsource:\\n  product: windows\\ndetection:\\n  sel:\\n    a: 1\\n" \
	"  condition: sel\\n"

static const struct reject_case reject_cases[] = {
	/* Body and common fields. */
	{ "body array", "[1]", false, CH_INVALID, "", "must be a JSON object, not an array" },
	{ "kind missing", "{}", false, CH_INVALID, "kind", "kind is required" },
	{ "kind number", "{\"kind\": 3}", false, CH_INVALID, "kind",
	  "kind must be a string, not a number" },
	{ "kind unknown", "{\"kind\": \"blog\"}", false, CH_INVALID, "kind",
	  "kind \"blog\" is not a report kind; use one of: ioc, attack" },
	{ "unknown field", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"severity\": 3}", false,
	  CH_INVALID, "severity",
	  "unknown field \"severity\" for kind ioc; the allowed fields are: kind, tlp, title, "
	  "share_with, indicators, details, purpose, anonymous" },
	{ "field of another kind", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tactic\": "
				   "\"TA0001\"}",
	  false, CH_INVALID, "tactic", "unknown field \"tactic\" for kind ioc" },
	{ "tlp unknown", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"PURPLE\"}",
	  false, CH_INVALID, "tlp", "invalid TLP level 'PURPLE'" },
	{ "tlp number", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": 2}", false,
	  CH_INVALID, "tlp", "tlp must be a string" },
	{ "share_with array", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"share_with\": []}",
	  false, CH_INVALID, "share_with", "share_with must be an object" },
	{ "share_with unknown key",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"RED\", "
	  "\"share_with\": {\"groups\": [\"a\"]}}",
	  false, CH_INVALID, "share_with.groups", "unknown field \"groups\" in share_with" },
	{ "share_with orgs under AMBER",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"share_with\": {\"orgs\": [\"CERT-EU\"]}}",
	  false, CH_INVALID, "share_with.orgs",
	  "share_with.orgs is only allowed with TLP AMBER+STRICT, which limits a report to named "
	  "organisations; this report is TLP:AMBER" },
	{ "share_with orgs under RED",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"RED\", "
	  "\"share_with\": {\"orgs\": [\"CERT-EU\"]}}",
	  false, CH_INVALID, "share_with.orgs", "this report is TLP:RED" },
	{ "share_with users under AMBER+STRICT",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"AMBER+STRICT\", "
	  "\"share_with\": {\"users\": [\"alice\"]}}",
	  false, CH_INVALID, "share_with.users",
	  "share_with.users is only allowed with TLP RED, which limits a report to named people; "
	  "this report is TLP:AMBER+STRICT" },
	{ "share_with users under CLEAR",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"WHITE\", "
	  "\"share_with\": {\"users\": [\"alice\"]}}",
	  false, CH_INVALID, "share_with.users", "this report is TLP:CLEAR" },
	{ "share_with orgs not array",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"AMBER+STRICT\", "
	  "\"share_with\": {\"orgs\": \"CERT-EU\"}}",
	  false, CH_INVALID, "share_with.orgs", "share_with.orgs must be an array of names" },
	{ "share_with org number",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"AMBER+STRICT\", "
	  "\"share_with\": {\"orgs\": [\"CERT-EU\", 7]}}",
	  false, CH_INVALID, "share_with.orgs[1]", "share_with.orgs[1] must be a string, not a number" },
	{ "share_with org blank",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"AMBER+STRICT\", "
	  "\"share_with\": {\"orgs\": [\"  \"]}}",
	  false, CH_INVALID, "share_with.orgs[0]", "share_with.orgs[0] is empty" },
	{ "title number", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"title\": 5}", false,
	  CH_INVALID, "title", "title must be a string, not a number" },
	{ "title two lines", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"title\": \"a\\nb\"}",
	  false, CH_INVALID, "title", "title contains the control character U+000A at byte 1" },

	/* ioc */
	{ "ioc indicators missing", "{" IOC_BASE "\"details\": \"x\"}", false, CH_INVALID,
	  "indicators", "indicators is required for kind ioc" },
	{ "ioc indicators number", "{" IOC_BASE "\"indicators\": 5}", false, CH_INVALID,
	  "indicators", "indicators must be a string of text or an array of strings, not a number" },
	{ "ioc indicators empty array", "{" IOC_BASE "\"indicators\": []}", false, CH_INVALID,
	  "indicators", "indicators contains no indicator" },
	{ "ioc indicators text without any", "{" IOC_BASE "\"indicators\": \"nothing to see\"}",
	  false, CH_INVALID, "indicators", "indicators contains no indicator" },
	{ "ioc indicator element invalid",
	  "{" IOC_BASE "\"indicators\": [\"evil.com\", \"8.8.8.8\", \"CVE-2021-44228\", "
	  "\"256.1.1.1\"]}",
	  false, CH_INVALID, "indicators[3]",
	  "indicators[3] is not a valid indicator (256.1.1.1: IPv4 octet 256 is out of range "
	  "0-255)" },
	{ "ioc indicator element number", "{" IOC_BASE "\"indicators\": [\"evil.com\", 1]}", false,
	  CH_INVALID, "indicators[1]", "indicators[1] must be a string, not a number" },
	{ "ioc purpose missing", "{\"kind\": \"ioc\", \"indicators\": [\"evil.com\"]}", false,
	  CH_INVALID, "purpose", "purpose is required for kind ioc; use one of: awareness, blocking" },
	{ "ioc purpose unknown", "{\"kind\": \"ioc\", \"purpose\": \"block\", \"indicators\": "
				 "[\"evil.com\"]}",
	  false, CH_INVALID, "purpose",
	  "purpose \"block\" is not valid; use one of: awareness, blocking, takedown_request, "
	  "le_referral, research, victim_notification" },
	{ "ioc anonymous string", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"anonymous\": "
				  "\"yes\"}",
	  false, CH_INVALID, "anonymous", "anonymous must be true or false, not a string" },
	{ "ioc details NUL", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"details\": "
			     "\"a\\u0000b\"}",
	  false, CH_INVALID, "details", "details contains a NUL character" },
	{ "ioc details control", "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"details\": "
				 "\"a\\u0007b\"}",
	  false, CH_INVALID, "details", "details contains the control character U+0007 at byte 1" },

	/* attack */
	{ "attack exploitation missing",
	  "{\"kind\": \"attack\", \"description\": \"d\", \"tactic\": \"TA0001\"}", false,
	  CH_INVALID, "exploitation", "exploitation is required for kind attack" },
	{ "attack exploitation blank",
	  "{\"kind\": \"attack\", \"exploitation\": \" \\n \", \"description\": \"d\", "
	  "\"tactic\": \"TA0001\"}",
	  false, CH_INVALID, "exploitation", "exploitation is required for kind attack" },
	{ "attack description missing",
	  "{\"kind\": \"attack\", \"exploitation\": \"e\", \"tactic\": \"TA0001\"}", false,
	  CH_INVALID, "description", "description is required for kind attack" },
	{ "attack tactic missing",
	  "{\"kind\": \"attack\", \"exploitation\": \"e\", \"description\": \"d\"}", false,
	  CH_INVALID, "tactic", "tactic is required for kind attack" },
	{ "attack tactic unknown", "{" ATTACK_BASE "\"tactic\": \"Hacking\"}", false, CH_INVALID,
	  "tactic", "tactic \"Hacking\" is not an ATT&CK Enterprise tactic" },
	{ "attack event two lines", "{" ATTACK_BASE "\"event\": \"COVID-19\\npandemic\"}", false,
	  CH_INVALID, "event", "event contains the control character U+000A" },
	{ "attack techniques string", "{" ATTACK_BASE "\"techniques\": \"T1566\"}", false,
	  CH_INVALID, "techniques", "techniques must be an array of ids" },
	{ "attack technique syntax", "{" ATTACK_BASE "\"techniques\": [\"T1566\", \"T15\"]}",
	  false, CH_INVALID, "techniques[1]",
	  "techniques[1] \"T15\" is not an ATT&CK technique id such as T1566 or T1566.001" },
	{ "attack technique number", "{" ATTACK_BASE "\"techniques\": [1566]}", false, CH_INVALID,
	  "techniques[0]", "techniques[0] must be a string, not a number" },
	{ "attack technique unknown", "{" ATTACK_BASE "\"techniques\": [\"T9999\"]}", false,
	  CH_INVALID, "techniques[0]",
	  "techniques[0]: technique T9999 is not in the ATT&CK catalogue" },
	{ "attack technique revoked", "{" ATTACK_BASE "\"techniques\": [\"t1064\"]}", false,
	  CH_INVALID, "techniques[0]",
	  "techniques[0]: technique T1064 is revoked or deprecated in ATT&CK" },
	{ "attack catalogue empty", "{" ATTACK_BASE "\"techniques\": [\"T1566\"]}", true,
	  CH_INVALID, "techniques",
	  "the ATT&CK catalogue is empty; import it with 'ctihub attack import FILE'" },
	{ "attack indicators invalid", "{" ATTACK_BASE "\"indicators\": [\"evil..com\"]}", false,
	  CH_INVALID, "indicators[0]", "indicators[0] is not a valid indicator" },

	/* vuln */
	{ "vuln time missing",
	  "{\"kind\": \"vuln\", \"ip\": \"192.0.2.1\", \"cve\": \"CVE-2019-19781\", "
	  "\"organisation\": \"o\", \"country\": \"DE\"}",
	  false, CH_INVALID, "time", "time is required for kind vuln" },
	{ "vuln time without zone", "{" VULN_BASE "\"country\": \"DE\", \"time\": "
				    "\"2020-04-02T10:00:00\"}",
	  false, CH_INVALID, "time",
	  "time \"2020-04-02T10:00:00\" is not a valid ISO 8601 date and time with a zone, "
	  "such as 2020-04-02T10:00:00Z" },
	{ "vuln time date only", "{" VULN_BASE "\"country\": \"DE\", \"time\": \"2020-04-02\"}",
	  false, CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln time day 30 February",
	  "{" VULN_BASE "\"country\": \"DE\", \"time\": \"2020-02-30T10:00:00Z\"}", false,
	  CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln time 29 February 2019",
	  "{" VULN_BASE "\"country\": \"DE\", \"time\": \"2019-02-29T10:00:00Z\"}", false,
	  CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln time hour 24", "{" VULN_BASE "\"country\": \"DE\", \"time\": "
			       "\"2020-04-02T24:00:00Z\"}",
	  false, CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln time before 1970", "{" VULN_BASE "\"country\": \"DE\", \"time\": "
				   "\"1969-12-31T23:59:59Z\"}",
	  false, CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln time trailing text", "{" VULN_BASE "\"country\": \"DE\", \"time\": "
				     "\"2020-04-02T10:00:00Zx\"}",
	  false, CH_INVALID, "time", "is not a valid ISO 8601 date and time" },
	{ "vuln ip missing",
	  "{\"kind\": \"vuln\", \"time\": \"2020-04-02T10:00:00Z\", \"cve\": \"CVE-2019-19781\", "
	  "\"organisation\": \"o\", \"country\": \"DE\"}",
	  false, CH_INVALID, "ip", "ip is required for kind vuln" },
	{ "vuln ip domain", "{" VULN_BASE "\"country\": \"DE\", \"ip\": \"hospital.example\"}",
	  false, CH_INVALID, "ip",
	  "ip is not a valid IP address (hospital.example: 'h' is not allowed in an IPv4 "
	  "address)" },
	{ "vuln ip octet", "{" VULN_BASE "\"country\": \"DE\", \"ip\": \"256.1.1.1\"}", false,
	  CH_INVALID, "ip", "ip is not a valid IP address (256.1.1.1: IPv4 octet 256" },
	{ "vuln ipv6 invalid", "{" VULN_BASE "\"country\": \"DE\", \"ip\": \"2001:db8::zz\"}",
	  false, CH_INVALID, "ip", "(2001:db8::zz: not a valid IPv6 address)" },
	{ "vuln cve invalid", "{" VULN_BASE "\"country\": \"DE\", \"cve\": \"CVE-20-1\"}", false,
	  CH_INVALID, "cve", "cve is not a valid CVE id such as CVE-2021-44228 (CVE-20-1: " },
	{ "vuln organisation blank", "{" VULN_BASE "\"country\": \"DE\", \"organisation\": "
				     "\"  \"}",
	  false, CH_INVALID, "organisation", "organisation is required for kind vuln" },
	{ "vuln country missing", "{" VULN_BASE "\"isp\": \"x\"}", false, CH_INVALID, "country",
	  "country is required for kind vuln" },
	{ "vuln country unassigned", "{" VULN_BASE "\"country\": \"XX\"}", false, CH_INVALID,
	  "country", "country \"XX\" is not an assigned ISO 3166-1 alpha-2 country code" },
	{ "vuln country alpha-3", "{" VULN_BASE "\"country\": \"DEU\"}", false, CH_INVALID,
	  "country", "country \"DEU\" is not an assigned ISO 3166-1 alpha-2" },
	{ "vuln country UK", "{" VULN_BASE "\"country\": \"uk\"}", false, CH_INVALID, "country",
	  "country \"uk\" is not an ISO 3166-1 code; use GB" },
	{ "vuln isp number", "{" VULN_BASE "\"country\": \"DE\", \"isp\": 3320}", false,
	  CH_INVALID, "isp", "isp must be a string, not a number" },

	/* hunting */
	{ "hunting rule_type missing", "{\"kind\": \"hunting\", \"rule\": \"" YARA_OK "\"}", false,
	  CH_INVALID, "rule_type", "rule_type is required for kind hunting" },
	{ "hunting rule_type snort", "{\"kind\": \"hunting\", \"rule_type\": \"snort\", "
				     "\"rule\": \"alert\"}",
	  false, CH_INVALID, "rule_type", "rule_type \"snort\" is not valid; use one of: yara, sigma" },
	{ "hunting rule missing", "{\"kind\": \"hunting\", \"rule_type\": \"yara\"}", false,
	  CH_INVALID, "rule", "rule is required for kind hunting" },
	{ "hunting rule array", "{\"kind\": \"hunting\", \"rule_type\": \"yara\", \"rule\": []}",
	  false, CH_INVALID, "rule", "rule must be a string, not an array" },
	{ "hunting yara syntax error",
	  "{\"kind\": \"hunting\", \"rule_type\": \"yara\", \"rule\": "
	  "\"rule a {\\n strings: $a = \\\"x\\\"\\n condition: $a and\\n}\\n\"}",
	  false, CH_INVALID, "rule", "rule: line 4: syntax error" },
	{ "hunting yara include",
	  "{\"kind\": \"hunting\", \"rule_type\": \"yara\", \"rule\": "
	  "\"include \\\"/etc/passwd\\\"\\nrule a { condition: true }\"}",
	  false, CH_INVALID, "rule", "rule: line 1: includes are disabled" },
	{ "hunting sigma without condition",
	  "{\"kind\": \"hunting\", \"rule_type\": \"sigma\", \"rule\": "
	  "\"title: t\\nlogsource:\\n  product: windows\\ndetection:\\n  sel:\\n    a: 1\\n\"}",
	  false, CH_INVALID, "rule", "rule: detection at line 5 has no condition" },
	{ "hunting sigma yaml error",
	  "{\"kind\": \"hunting\", \"rule_type\": \"sigma\", \"rule\": "
	  "\"title: t\\nlogsource:\\n\\tproduct: windows\\n\"}",
	  false, CH_INVALID, "rule", "rule: YAML syntax error at line 3, column 1" },
	{ "hunting sigma given yara",
	  "{\"kind\": \"hunting\", \"rule_type\": \"sigma\", \"rule\": \"" YARA_OK "\"}", false,
	  CH_INVALID, "rule", "rule: the Sigma rule has no title" },
	{ "hunting description number",
	  "{\"kind\": \"hunting\", \"rule_type\": \"sigma\", \"rule\": \"" SIGMA_OK "\", "
	  "\"description\": 1}",
	  false, CH_INVALID, "description", "description must be a string" },

	/* darknet */
	{ "darknet category missing", "{\"kind\": \"darknet\", \"summary\": \"s\"}", false,
	  CH_INVALID, "category", "category is required for kind darknet" },
	{ "darknet category unknown", "{\"kind\": \"darknet\", \"category\": \"leak\", "
				      "\"summary\": \"s\"}",
	  false, CH_INVALID, "category",
	  "category \"leak\" is not valid; use one of: compromised_data, trend, alert, cve" },
	{ "darknet summary missing", "{\"kind\": \"darknet\", \"category\": \"alert\"}", false,
	  CH_INVALID, "summary", "summary is required for kind darknet" },
	{ "darknet cves string", "{\"kind\": \"darknet\", \"category\": \"cve\", \"summary\": "
				 "\"s\", \"cves\": \"CVE-2021-44228\"}",
	  false, CH_INVALID, "cves", "cves must be an array of strings, not a string" },
	{ "darknet cve invalid", "{\"kind\": \"darknet\", \"category\": \"cve\", \"summary\": "
				 "\"s\", \"cves\": [\"CVE-2021-44228\", \"CVE-21\"]}",
	  false, CH_INVALID, "cves[1]", "cves[1] is not a valid CVE id" },
	{ "darknet cve given a domain", "{\"kind\": \"darknet\", \"category\": \"cve\", "
					"\"summary\": \"s\", \"cves\": [\"evil.com\"]}",
	  false, CH_INVALID, "cves[0]", "cves[0] is not a valid CVE id" },
	{ "darknet source two lines", "{\"kind\": \"darknet\", \"category\": \"trend\", "
				      "\"summary\": \"s\", \"source\": \"a\\nb\"}",
	  false, CH_INVALID, "source", "source contains the control character" },

	/* disinfo */
	{ "disinfo campaign missing", "{\"kind\": \"disinfo\", \"domains\": [\"evil.com\"]}", false,
	  CH_INVALID, "campaign", "campaign is required for kind disinfo" },
	{ "disinfo without indicators", "{\"kind\": \"disinfo\", \"campaign\": \"5G hoax\"}", false,
	  CH_INVALID, "domains",
	  "kind disinfo needs at least one domain, IP address or URL; give domains, ips, urls or "
	  "indicators" },
	{ "disinfo empty lists", "{\"kind\": \"disinfo\", \"campaign\": \"c\", \"domains\": [], "
				 "\"ips\": [], \"urls\": []}",
	  false, CH_INVALID, "domains", "kind disinfo needs at least one" },
	{ "disinfo domain given a URL", "{\"kind\": \"disinfo\", \"campaign\": \"c\", "
					"\"domains\": [\"http://evil.com/x\"]}",
	  false, CH_INVALID, "domains[0]", "domains[0] is not a valid domain" },
	{ "disinfo ip given a domain", "{\"kind\": \"disinfo\", \"campaign\": \"c\", "
				       "\"ips\": [\"1.2.3.4\", \"evil.com\"]}",
	  false, CH_INVALID, "ips[1]", "ips[1] is not a valid IP address" },
	{ "disinfo url invalid", "{\"kind\": \"disinfo\", \"campaign\": \"c\", "
				 "\"urls\": [\"not a url\"]}",
	  false, CH_INVALID, "urls[0]", "urls[0] is not a valid URL" },
	{ "disinfo urls object", "{\"kind\": \"disinfo\", \"campaign\": \"c\", \"urls\": {}}",
	  false, CH_INVALID, "urls", "urls must be an array of strings, not an object" },

	/* feed */
	{ "feed url missing", "{\"kind\": \"feed\", \"title\": \"t\"}", false, CH_INVALID, "url",
	  "url is required for kind feed" },
	{ "feed url invalid", "{\"kind\": \"feed\", \"title\": \"t\", \"url\": \"not a url\"}",
	  false, CH_INVALID, "url", "url is not a valid URL (not a url: " },
	{ "feed title missing", "{\"kind\": \"feed\", \"url\": \"https://example.org/a\"}", false,
	  CH_INVALID, "title", "title is required for kind feed" },
	{ "feed published invalid", "{\"kind\": \"feed\", \"title\": \"t\", \"url\": "
				    "\"https://example.org/a\", \"published\": \"yesterday\"}",
	  false, CH_INVALID, "published", "published \"yesterday\" is not a valid ISO 8601" },
};

static void test_report_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];
		struct report_input out;
		struct ch_error err = { 0 };
		json_t *body;
		enum ch_code rc;

		body = parse_body(c->body);
		memset(&out, 0x5A, sizeof(out));
		rc = report_validate(body, c->empty_catalogue ? &empty_ctx : &fake_ctx, &out, &err);
		json_decref(body);
		if (rc != c->code || strcmp(err.field, c->field) != 0 ||
		    !strstr(err.message, c->message))
			fail_msg("%s: code %d, field '%s', message '%s'; expected code %d, field "
				 "'%s', message with '%s'",
				 c->name, rc, err.field, err.message, c->code, c->field, c->message);
		/* Outputs are written only on success. */
		for (size_t k = 0; k < sizeof(out); k++) {
			if (((unsigned char *)&out)[k] != 0x5A)
				fail_msg("%s: out was written on failure", c->name);
		}
	}
}

/* Builds {"kind": KIND, <base fields>, KEY: VALUE} from a JSON base text. */
static json_t *body_with(const char *base, const char *key, json_t *value)
{
	json_t *body = parse_body(base);

	json_object_set_new(body, key, value);
	return body;
}

static void expect_reject(json_t *body, enum ch_code code, const char *field,
			  const char *message)
{
	struct report_input out = { 0 };
	struct ch_error err = { 0 };
	enum ch_code rc = report_validate(body, &fake_ctx, &out, &err);

	json_decref(body);
	if (rc != code || strcmp(err.field, field) != 0 || !strstr(err.message, message))
		fail_msg("code %d, field '%s', message '%s'; expected %d, '%s', '%s'", rc,
			 err.field, err.message, code, field, message);
}

static void test_report_length_limits(void **state)
{
	const char *attack = "{" ATTACK_BASE "\"event\": \"e\"}";
	const char *ioc = "{" IOC_BASE "\"indicators\": [\"evil.com\"]}";
	const char *vuln = "{" VULN_BASE "\"country\": \"DE\"}";
	char *text;

	(void)state;
	/* exploitation counts characters: 3001 two-byte characters are too many. */
	text = repeat("\xC3\xA9", REPORT_EXPLOITATION_MAX + 1);
	expect_reject(body_with(attack, "exploitation", json_string(text)), CH_INVALID,
		      "exploitation", "exploitation is 3001 characters long, more than the 3000 "
				      "allowed; shorten it");
	free(text);

	text = repeat("x", REPORT_SHORT_TEXT_MAX + 1);
	expect_reject(body_with(attack, "description", json_string(text)), CH_INVALID,
		      "description", "description is 501 characters long, more than the 500");
	free(text);

	text = repeat("x", REPORT_TEXT_MAX + 1);
	expect_reject(body_with(ioc, "details", json_string(text)), CH_TOO_LARGE, "details",
		      "details is 20001 bytes long, more than the 20000 allowed");
	free(text);

	text = repeat("\xE2\x82\xAC", REPORT_TITLE_MAX + 1);
	expect_reject(body_with(ioc, "title", json_string(text)), CH_INVALID, "title",
		      "title is 201 characters long, more than the 200 allowed");
	free(text);

	text = repeat("s", REPORT_NAME_MAX + 1);
	expect_reject(body_with(vuln, "sector", json_string(text)), CH_INVALID, "sector",
		      "sector is 201 characters long");
	free(text);

	text = repeat("y", REPORT_RULE_MAX + 1);
	expect_reject(body_with("{\"kind\": \"hunting\", \"rule_type\": \"yara\"}", "rule",
				json_string(text)),
		      CH_TOO_LARGE, "rule", "rule is 1048577 bytes long, more than the 1048576");
	free(text);

	text = repeat("x ", REPORT_INDICATOR_TEXT_MAX / 2 + 1);
	expect_reject(body_with(ioc, "indicators", json_string(text)), CH_TOO_LARGE, "indicators",
		      "indicators is 1048578 bytes of text, more than the 1048576 allowed");
	free(text);
}

static void test_report_list_limits(void **state)
{
	const char *strict = "{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": "
			     "\"AMBER+STRICT\"}";
	json_t *orgs = json_array();
	json_t *techniques = json_array();
	json_t *cves = json_array();
	json_t *indicators = json_array();
	char text[32];

	(void)state;
	for (int i = 0; i <= REPORT_LIST_MAX; i++) {
		snprintf(text, sizeof(text), "Org %d", i);
		json_array_append_new(orgs, json_string(text));
		json_array_append_new(techniques, json_string("T1566"));
		snprintf(text, sizeof(text), "CVE-2021-%05d", i + 10000);
		json_array_append_new(cves, json_string(text));
	}
	expect_reject(body_with(strict, "share_with", json_pack("{s:o}", "orgs", orgs)),
		      CH_TOO_LARGE, "share_with.orgs", "share_with.orgs has 101 entries, more "
						       "than the 100 allowed");
	expect_reject(body_with("{" ATTACK_BASE "\"event\": \"e\"}", "techniques", techniques),
		      CH_TOO_LARGE, "techniques", "techniques has 101 entries");
	expect_reject(body_with("{\"kind\": \"darknet\", \"category\": \"cve\", \"summary\": "
				"\"s\"}",
				"cves", cves),
		      CH_TOO_LARGE, "cves", "cves has 101 entries, more than the 100 allowed");

	for (int i = 0; i <= REPORT_INDICATORS_MAX; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
		json_array_append_new(indicators, json_string(text));
	}
	expect_reject(body_with("{\"kind\": \"ioc\", \"purpose\": \"research\"}", "indicators",
				indicators),
		      CH_TOO_LARGE, "indicators", "indicators has 10001 entries");
}

/* Indicators from all fields count together towards the maximum. */
static void test_report_indicator_total_limit(void **state)
{
	json_t *ips = json_array();
	json_t *urls = json_array();
	char text[48];

	(void)state;
	for (int i = 0; i < REPORT_INDICATORS_MAX; i++) {
		snprintf(text, sizeof(text), "198.%d.%d.%d", 18 + i / 65536, (i / 256) % 256,
			 i % 256);
		json_array_append_new(ips, json_string(text));
	}
	json_array_append_new(urls, json_string("http://evil.com/a"));
	expect_reject(json_pack("{s:s, s:s, s:o, s:o}", "kind", "disinfo", "campaign", "c", "ips",
				ips, "urls", urls),
		      CH_TOO_LARGE, "urls[0]", "the report names more than 10000 indicators");
}

static void test_report_kind_names(void **state)
{
	struct ch_error err = { 0 };
	enum report_kind kind;

	(void)state;
	for (int i = 0; i < REPORT_KIND_COUNT; i++) {
		assert_int_equal(report_kind_parse(report_kind_name((enum report_kind)i), &kind,
						   &err),
				 CH_OK);
		assert_int_equal(kind, i);
	}
	assert_string_equal(report_kind_name(REPORT_DISINFO), "disinfo");
	assert_int_equal(report_kind_parse("FEED", &kind, &err), CH_OK);
	assert_int_equal(kind, REPORT_FEED);
	assert_int_equal(report_kind_parse("misp", &kind, &err), CH_INVALID);
	assert_string_equal(err.field, "kind");
	assert_string_equal(report_kind_name(REPORT_KIND_COUNT), "unknown");
}

static void test_report_free_zeroed(void **state)
{
	struct report_input in = { 0 };

	(void)state;
	report_input_free(&in);
	report_input_free(NULL);
}

static void test_report_ioc_text(void **state)
{
	struct report_input in;
	static const char *const want[] = {
		"http://evil.com/login", "evil.com", "198.51.100.7", "CVE-2021-44228",
	};

	(void)state;
	accept("{\"kind\": \"ioc\", \"purpose\": \"Blocking\", \"indicators\": "
	       "\"Phishing from hxxp://evil[.]com/login and 198.51.100.7, see CVE-2021-44228. "
	       "Also evil[.]com.\", \"details\": \"  Seen in March.  \"}",
	       &fake_ctx, &in);
	assert_int_equal(in.kind, REPORT_IOC);
	assert_int_equal(in.tlp, TLP_AMBER);
	assert_false(in.anonymous);
	/* The host inside the URL is not listed on its own. The later bare
	 * evil[.]com is listed, because the analyst named it. */
	assert_int_equal(in.indicators.count, 4);
	assert_string_equal(in.indicators.items[0].ioc.value, "http://evil.com/login");
	assert_int_equal(in.indicators.items[0].start, 14);
	assert_int_equal(in.indicators.items[0].end, 37);
	for (size_t i = 0; i < in.indicators.count; i++)
		assert_int_equal(in.indicators.items[i].parent, -1);
	assert_array(json_object_get(in.fields, "indicators"), want, 4);
	assert_string_equal(field_string(&in, "purpose"), "blocking");
	assert_string_equal(field_string(&in, "details"), "Seen in March.");
	assert_null(json_object_get(in.fields, "anonymous"));
	assert_null(json_object_get(in.fields, "kind"));
	assert_null(json_object_get(in.fields, "tlp"));
	assert_null(json_object_get(in.fields, "title"));
	assert_string_equal(in.title, "Blocking: http://evil.com/login and 3 more indicators");
	assert_int_equal(in.technique_count, 0);
	/* 198.51.100.0/24 is reserved for documentation (RFC 5737). */
	assert_int_equal(json_array_size(in.notes), 1);
	assert_true(notes_mention(&in, "indicator 198.51.100.7 has the warnings: documentation"));
	report_input_free(&in);
}

static void test_report_ioc_array(void **state)
{
	struct report_input in;
	static const char *const want[] = { "evil.com", "10.0.0.1", "https://bad.example.org/a" };

	(void)state;
	accept("{\"kind\": \"ioc\", \"purpose\": \"takedown_request\", \"anonymous\": true, "
	       "\"title\": \"  Fake relief fund  \", \"tlp\": \"green\", \"indicators\": "
	       "[\"evil[.]com\", \"EVIL.COM\", \"10.0.0.1\", \"hxxps://bad[.]example[.]org/a\"]}",
	       NULL, &in);
	assert_int_equal(in.tlp, TLP_GREEN);
	assert_true(in.anonymous);
	assert_true(json_is_true(json_object_get(in.fields, "anonymous")));
	assert_string_equal(in.title, "Fake relief fund");
	assert_int_equal(in.indicators.count, 3);
	assert_int_equal(in.indicators.items[1].start, 0);
	assert_array(json_object_get(in.fields, "indicators"), want, 3);
	/* Warning flags from the engine reach the submitter as notes. */
	assert_true(notes_mention(&in, "indicator 10.0.0.1 has the warnings: private"));
	assert_true(notes_mention(&in, "indicator https://bad.example.org/a has the warnings: "
				       "documentation"));
	report_input_free(&in);
}

static void test_report_optional_null_and_empty(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"ioc\", \"purpose\": \"research\", \"indicators\": [\"evil.com\"], "
	       "\"details\": \"\", \"title\": null, \"tlp\": null, \"share_with\": null, "
	       "\"anonymous\": null}",
	       &fake_ctx, &in);
	assert_int_equal(in.tlp, TLP_AMBER);
	assert_null(json_object_get(in.fields, "details"));
	assert_string_equal(in.title, "Research: evil.com");
	report_input_free(&in);
}

static void test_report_tlp_levels(void **state)
{
	static const struct {
		const char *text;
		enum tlp_level level;
	} cases[] = {
		{ "WHITE", TLP_CLEAR },      { "TLP:WHITE", TLP_CLEAR },
		{ "clear", TLP_CLEAR },      { "GREEN", TLP_GREEN },
		{ "TLP:AMBER", TLP_AMBER },  { "amber+strict", TLP_AMBER_STRICT },
		{ "RED", TLP_RED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report_input in;

		accept_json(json_pack("{s:s, s:s, s:[s], s:s}", "kind", "ioc", "purpose",
				      "awareness", "indicators", "evil.com", "tlp", cases[i].text),
			    &fake_ctx, &in);
		if (in.tlp != cases[i].level)
			fail_msg("tlp '%s' gave level %d, expected %d", cases[i].text, in.tlp,
				 cases[i].level);
		report_input_free(&in);
	}
}

static void test_report_share_with(void **state)
{
	struct report_input in;

	(void)state;
	accept("{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"TLP:AMBER+STRICT\", "
	       "\"share_with\": {\"orgs\": [\"CERT-EU\", \" cert-eu \", \"Health-ISAC\"], "
	       "\"users\": []}}",
	       &fake_ctx, &in);
	assert_int_equal(in.share_org_count, 2);
	assert_string_equal(in.share_orgs[0], "CERT-EU");
	assert_string_equal(in.share_orgs[1], "Health-ISAC");
	assert_int_equal(in.share_user_count, 0);
	assert_null(json_object_get(in.fields, "share_with"));
	report_input_free(&in);

	accept("{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"RED\", "
	       "\"share_with\": {\"users\": [\"alice\", \"bob\"]}}",
	       &fake_ctx, &in);
	assert_int_equal(in.share_user_count, 2);
	assert_string_equal(in.share_users[1], "bob");
	report_input_free(&in);

	/* Empty lists name no reader, so they are allowed at any level. */
	accept("{" IOC_BASE "\"indicators\": [\"evil.com\"], \"tlp\": \"GREEN\", "
	       "\"share_with\": {\"orgs\": [], \"users\": []}}",
	       &fake_ctx, &in);
	assert_int_equal(in.share_org_count, 0);
	report_input_free(&in);
}

static void test_report_attack(void **state)
{
	struct report_input in;
	static const char *const techniques[] = { "T1566.001", "T1059" };
	static const char *const indicators[] = { "covid-relief.example" };

	(void)state;
	accept("{\"kind\": \"attack\", \"event\": \"COVID-19 pandemic\", "
	       "\"exploitation\": \"Lures offering vaccine appointments.\", "
	       "\"description\": \"Spearphishing with fake vaccine bookings\", "
	       "\"tactic\": \"initial access\", \"techniques\": [\"t1566.001\", \"T1566.001\", "
	       "\"T1059\"], \"indicators\": \"Sender domain covid-relief[.]example\"}",
	       &fake_ctx, &in);
	assert_string_equal(field_string(&in, "tactic"), "TA0001");
	assert_string_equal(field_string(&in, "event"), "COVID-19 pandemic");
	assert_array(json_object_get(in.fields, "techniques"), techniques, 2);
	assert_int_equal(in.technique_count, 2);
	assert_string_equal(in.techniques[0], "T1566.001");
	assert_string_equal(in.techniques[1], "T1059");
	assert_array(json_object_get(in.fields, "indicators"), indicators, 1);
	assert_string_equal(in.title,
			    "COVID-19 pandemic: Spearphishing with fake vaccine bookings");
	report_input_free(&in);
}

static void test_report_attack_limits_in_characters(void **state)
{
	struct report_input in;
	char *exploitation = repeat("\xC3\xA9", REPORT_EXPLOITATION_MAX);
	char *description = repeat("\xE2\x82\xAC", REPORT_SHORT_TEXT_MAX);

	(void)state;
	/* 3000 two-byte characters and 500 three-byte ones fit; an empty
	 * catalogue does not matter without techniques. */
	accept_json(json_pack("{s:s, s:s, s:s, s:s, s:[]}", "kind", "attack", "exploitation",
			      exploitation, "description", description, "tactic", "ta0040",
			      "techniques"),
		    &empty_ctx, &in);
	assert_string_equal(field_string(&in, "tactic"), "TA0040");
	assert_null(json_object_get(in.fields, "techniques"));
	/* The derived title is cut to the maximum, ending in an ellipsis. */
	assert_int_equal(strlen(in.title), 199 * 3 + 3);
	assert_string_equal(in.title + 199 * 3, "\xE2\x80\xA6");
	report_input_free(&in);
	free(exploitation);
	free(description);
}

static void test_report_vuln(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"vuln\", \"time\": \"2020-04-02T12:30:00.250+02:00\", "
	       "\"ip\": \"2001:DB8::1\", \"cve\": \"cve-2019-19781\", "
	       "\"organisation\": \"Universit\\u00e4tsklinikum\", \"country\": \"de\", "
	       "\"isp\": \"DFN\", \"sector\": \"healthcare\", \"tagged_org\": \"hospital-17\"}",
	       &fake_ctx, &in);
	assert_string_equal(field_string(&in, "time"), "2020-04-02T10:30:00Z");
	assert_string_equal(field_string(&in, "ip"), "2001:db8::1");
	assert_string_equal(field_string(&in, "cve"), "CVE-2019-19781");
	assert_string_equal(field_string(&in, "country"), "DE");
	assert_string_equal(field_string(&in, "sector"), "healthcare");
	assert_string_equal(field_string(&in, "tagged_org"), "hospital-17");
	assert_int_equal(in.indicators.count, 2);
	assert_int_equal(in.indicators.items[0].ioc.type, IOC_IPV6);
	assert_int_equal(in.indicators.items[1].ioc.type, IOC_CVE);
	assert_string_equal(in.title, "CVE-2019-19781 at Universit\xC3\xA4tsklinikum (DE)");
	report_input_free(&in);
}

static void test_report_vuln_times(void **state)
{
	static const struct {
		const char *text;
		const char *stored;
	} cases[] = {
		{ "2020-04-02T10:00:00Z", "2020-04-02T10:00:00Z" },
		{ "2020-04-02t10:00:00z", "2020-04-02T10:00:00Z" },
		{ "2020-04-02 10:00:00Z", "2020-04-02T10:00:00Z" },
		{ "2020-02-29T23:59:59Z", "2020-02-29T23:59:59Z" },
		{ "2020-04-02T01:00:00+0300", "2020-04-01T22:00:00Z" },
		{ "2020-12-31T23:00:00-02", "2021-01-01T01:00:00Z" },
		{ "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z" },
		{ "2000-02-29T00:00:00,5Z", "2000-02-29T00:00:00Z" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report_input in;

		accept_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "vuln", "time",
				      cases[i].text, "ip", "192.0.2.1", "cve", "CVE-2020-0796",
				      "organisation", "o", "country", "fr"),
			    &fake_ctx, &in);
		if (strcmp(field_string(&in, "time"), cases[i].stored) != 0)
			fail_msg("time '%s' was stored as '%s', expected '%s'", cases[i].text,
				 field_string(&in, "time"), cases[i].stored);
		report_input_free(&in);
	}
}

static void test_report_hunting_yara(void **state)
{
	char path[4096];
	struct report_input in;
	json_t *names;
	char *rule;

	(void)state;
	if (!shared_path("neo23x0-signature-base/yara/crime_covid_ransom.yar", path,
			 sizeof(path))) {
		skip();
		return;
	}
	rule = read_whole_file(path, NULL);
	accept_json(json_pack("{s:s, s:s, s:s, s:s}", "kind", "hunting", "rule_type", "YARA", "rule",
			      rule, "description", "COVID-19 themed ransomware"),
		    &fake_ctx, &in);
	assert_string_equal(field_string(&in, "rule_type"), "yara");
	/* The rule is stored exactly as sent, so line numbers stay right. */
	assert_string_equal(field_string(&in, "rule"), rule);
	names = json_object_get(in.fields, "rule_names");
	assert_int_equal(json_array_size(names), 1);
	assert_string_equal(json_string_value(json_array_get(names, 0)),
			    "MAL_RANSOM_COVID19_Apr20_1");
	assert_string_equal(in.title, "YARA rule MAL_RANSOM_COVID19_Apr20_1");
	assert_int_equal(in.indicators.count, 0);
	report_input_free(&in);
	free(rule);
}

static void test_report_hunting_yara_index(void **state)
{
	char path[4096];
	struct report_input in = { 0 };
	struct ch_error err = { 0 };
	json_t *body;
	char *rule;

	(void)state;
	if (!shared_path("yara-rules/malware_index.yar", path, sizeof(path))) {
		skip();
		return;
	}
	rule = read_whole_file(path, NULL);
	body = json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type", "yara", "rule", rule);
	assert_int_equal(report_validate(body, &fake_ctx, &in, &err), CH_INVALID);
	assert_string_equal(err.field, "rule");
	assert_string_equal(err.message, "rule: line 5: includes are disabled");
	json_decref(body);
	free(rule);
}

static void test_report_hunting_yara_warnings(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"hunting\", \"rule_type\": \"yara\", \"title\": \"Slow rule\", "
	       "\"rule\": \"rule slow {\\n strings: $a = /a.*/\\n condition: $a\\n}\\n\"}",
	       &fake_ctx, &in);
	assert_true(notes_mention(&in, "YARA warning at line 2: "));
	assert_string_equal(in.title, "Slow rule");
	report_input_free(&in);
}

static void test_report_hunting_sigma(void **state)
{
	char path[4096];
	struct report_input in;
	json_t *logsource;
	char *rule;
	static const char *const techniques[] = { "T1190", "T1059.001" };
	static const char *const tags[] = {
		"attack.initial-access", "attack.execution", "attack.s0190", "cve.2020-10189",
		"detection.emerging-threats",
	};

	(void)state;
	if (!shared_path("sigmahq-sigma/emerging-threats/"
			 "proc_creation_win_exploit_cve_2020_10189.yml",
			 path, sizeof(path))) {
		skip();
		return;
	}
	rule = read_whole_file(path, NULL);
	accept_json(json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type", "sigma", "rule",
			      rule),
		    &fake_ctx, &in);
	assert_string_equal(field_string(&in, "rule_title"),
			    "Exploited CVE-2020-10189 Zoho ManageEngine");
	assert_string_equal(field_string(&in, "rule_id"), "846b866e-2a57-46ee-8e16-85fa92759be7");
	assert_string_equal(field_string(&in, "status"), "test");
	assert_string_equal(field_string(&in, "level"), "high");
	logsource = json_object_get(in.fields, "logsource");
	assert_string_equal(json_string_value(json_object_get(logsource, "category")),
			    "process_creation");
	assert_string_equal(json_string_value(json_object_get(logsource, "product")), "windows");
	assert_null(json_object_get(logsource, "service"));
	assert_array(json_object_get(in.fields, "techniques"), techniques, 2);
	assert_array(json_object_get(in.fields, "tags"), tags, 5);
	assert_int_equal(in.technique_count, 2);
	/* T1059.003 is missing from the fake catalogue: a note, not an error. */
	assert_int_equal(json_array_size(in.notes), 1);
	assert_true(notes_mention(&in, "Sigma tag attack.t1059.003 names technique T1059.003, "
				       "which is not in the ATT&CK catalogue"));
	assert_string_equal(in.title, "Sigma rule: Exploited CVE-2020-10189 Zoho ManageEngine");
	report_input_free(&in);
	free(rule);
}

static void test_report_hunting_sigma_t1685(void **state)
{
	char path[4096];
	struct report_input in;
	char *rule;
	static const char *const tags[] = { "attack.execution", "attack.defense-impairment" };

	(void)state;
	if (!shared_path("sigmahq-sigma/windows_process_creation/"
			 "proc_creation_win_sc_disable_service.yml",
			 path, sizeof(path))) {
		skip();
		return;
	}
	rule = read_whole_file(path, NULL);
	accept_json(json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type", "sigma", "rule",
			      rule),
		    &fake_ctx, &in);
	assert_int_equal(in.technique_count, 0);
	assert_int_equal(json_array_size(json_object_get(in.fields, "techniques")), 0);
	assert_array(json_object_get(in.fields, "tags"), tags, 2);
	assert_true(notes_mention(&in, "attack.t1685 names technique T1685, which is not in the "
				       "ATT&CK catalogue, so the report is not linked to it"));
	report_input_free(&in);

	/* Without a catalogue the rule is still accepted. */
	accept_json(json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type", "sigma", "rule",
			      rule),
		    &empty_ctx, &in);
	assert_true(notes_mention(&in, "but the ATT&CK catalogue is empty"));
	report_input_free(&in);
	free(rule);
}

static void test_report_hunting_sigma_revoked(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"hunting\", \"rule_type\": \"sigma\", \"rule\": \"title: t\\n"
	       "tags: [attack.t1064, attack.T1566]\\nlogsource: {product: windows}\\n"
	       "detection: {sel: {a: 1}, condition: sel}\\n\"}",
	       &fake_ctx, &in);
	assert_int_equal(in.technique_count, 1);
	assert_string_equal(in.techniques[0], "T1566");
	assert_true(notes_mention(&in, "T1064, which is revoked or deprecated"));
	report_input_free(&in);
}

/* A catalogue of the real Enterprise techniques, read with attack_import_file. */
struct catalogue {
	struct attack_technique *items;
	size_t count;
};

static enum ch_code collect_cb(void *ctx, const struct attack_technique *t,
			       struct ch_error *err)
{
	struct catalogue *c = ctx;

	(void)err;
	c->items = realloc(c->items, (c->count + 1) * sizeof(*c->items));
	assert_non_null(c->items);
	c->items[c->count++] = *t;
	return CH_OK;
}

static bool catalogue_lookup(void *ctx, const char *id, bool *revoked)
{
	const struct catalogue *c = ctx;

	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->items[i].id, id) == 0) {
			*revoked = c->items[i].revoked;
			return true;
		}
	}
	return false;
}

static bool load_enterprise(struct catalogue *c)
{
	char dir_path[4096];
	char file[8192];
	DIR *dir;
	struct dirent *entry;

	if (!shared_path("mitre-cti-enterprise/attack-pattern", dir_path, sizeof(dir_path)))
		return false;
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		struct ch_error err = { 0 };
		size_t count;

		if (!strstr(entry->d_name, ".json"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir_path, entry->d_name);
		if (attack_import_file(file, collect_cb, c, &count, &err) != CH_OK)
			fail_msg("%s: %s", entry->d_name, err.message);
	}
	closedir(dir);
	return true;
}

/* Every real Sigma rule validates against the real catalogue; exactly the
 * 11 tags that name T1685, T1685.001 and T1686.003 stay unlinked. */
static void test_report_all_sigma_rules(void **state)
{
	struct catalogue catalogue = { 0 };
	struct report_context ctx = { 0 };
	char root[4096];
	char sub[8192];
	char file[12288];
	size_t rules = 0, linked = 0, unlinked = 0;
	DIR *top;
	struct dirent *group;

	(void)state;
	if (!load_enterprise(&catalogue) || !shared_path("sigmahq-sigma", root, sizeof(root))) {
		free(catalogue.items);
		skip();
		return;
	}
	ctx.technique_lookup = catalogue_lookup;
	ctx.technique_ctx = &catalogue;
	ctx.technique_catalogue_size = catalogue.count;
	assert_int_equal(catalogue.count, 835);

	top = opendir(root);
	assert_non_null(top);
	while ((group = readdir(top)) != NULL) {
		DIR *dir;
		struct dirent *entry;

		if (group->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", root, group->d_name);
		dir = opendir(sub);
		if (!dir)
			continue;
		while ((entry = readdir(dir)) != NULL) {
			struct report_input in;
			char *rule;
			const json_t *note;
			size_t i;

			if (!strstr(entry->d_name, ".yml"))
				continue;
			snprintf(file, sizeof(file), "%s/%s", sub, entry->d_name);
			rule = read_whole_file(file, NULL);
			accept_json(json_pack("{s:s, s:s, s:s}", "kind", "hunting", "rule_type",
					      "sigma", "rule", rule),
				    &ctx, &in);
			linked += in.technique_count;
			json_array_foreach(in.notes, i, note) {
				const char *text = json_string_value(note);

				if (!strstr(text, "T1685") && !strstr(text, "T1686.003"))
					fail_msg("%s: unexpected note: %s", file, text);
				unlinked++;
			}
			report_input_free(&in);
			free(rule);
			rules++;
		}
		closedir(dir);
	}
	closedir(top);
	free(catalogue.items);
	assert_int_equal(rules, 216);
	assert_int_equal(linked, 259);
	assert_int_equal(unlinked, 11);
}

static void test_report_darknet(void **state)
{
	struct report_input in;
	static const char *const cves[] = { "CVE-2021-44228", "CVE-2020-0796" };

	(void)state;
	accept("{\"kind\": \"darknet\", \"category\": \"CVE\", \"summary\": \"Exploit for sale "
	       "on a forum\\nwith details\", \"source\": \"XSS forum\", \"cves\": "
	       "[\"cve-2021-44228\", \"CVE-2020-0796\", \"CVE-2021-44228\"], \"indicators\": "
	       "\"Contact via seller[@]mail[.]example and CVE-2021-44228\"}",
	       &fake_ctx, &in);
	assert_string_equal(field_string(&in, "category"), "cve");
	assert_string_equal(field_string(&in, "source"), "XSS forum");
	assert_array(json_object_get(in.fields, "cves"), cves, 2);
	/* The CVE named in the text and in cves is one indicator. */
	assert_int_equal(in.indicators.count, 3);
	assert_string_equal(in.title, "Exploit for sale on a forum");
	report_input_free(&in);
}

static void test_report_disinfo(void **state)
{
	struct report_input in;
	static const char *const domains[] = { "5g-cure.example", "vaccine-truth.example" };
	static const char *const ips[] = { "203.0.113.5", "2001:db8::5" };

	(void)state;
	accept("{\"kind\": \"disinfo\", \"campaign\": \"5G causes COVID-19\", "
	       "\"description\": \"Network of copy sites\", \"domains\": [\"5g-cure[.]example\", "
	       "\"vaccine-truth.example\"], \"ips\": [\"203.0.113.5\", \"2001:DB8::5\"], "
	       "\"urls\": [\"hxxp://5g-cure[.]example/article\"]}",
	       &fake_ctx, &in);
	assert_array(json_object_get(in.fields, "domains"), domains, 2);
	assert_array(json_object_get(in.fields, "ips"), ips, 2);
	assert_int_equal(json_array_size(json_object_get(in.fields, "urls")), 1);
	assert_int_equal(in.indicators.count, 5);
	assert_string_equal(in.title, "5G causes COVID-19");
	report_input_free(&in);

	/* indicators alone also satisfy the rule of at least one. */
	accept("{\"kind\": \"disinfo\", \"campaign\": \"c\", \"indicators\": [\"evil.com\"]}",
	       &fake_ctx, &in);
	assert_int_equal(in.indicators.count, 1);
	report_input_free(&in);
}

static void test_report_feed(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"feed\", \"title\": \"New COVID-19 phishing kit\", "
	       "\"url\": \"HTTPS://Blog.Example.org/2020/04/kit\", \"summary\": \"s\", "
	       "\"published\": \"2020-04-03T08:00:00Z\", \"indicators\": \"kit hosted on "
	       "198.51.100.23\"}",
	       &fake_ctx, &in);
	assert_string_equal(in.title, "New COVID-19 phishing kit");
	assert_string_equal(field_string(&in, "published"), "2020-04-03T08:00:00Z");
	assert_non_null(strstr(field_string(&in, "url"), "blog.example.org/2020/04/kit"));
	/* The article link is not an indicator. */
	assert_int_equal(in.indicators.count, 1);
	assert_string_equal(in.indicators.items[0].ioc.value, "198.51.100.23");
	report_input_free(&in);
}

static void test_report_text_without_indicators_note(void **state)
{
	struct report_input in;

	(void)state;
	accept("{\"kind\": \"feed\", \"title\": \"t\", \"url\": \"https://example.org/a\", "
	       "\"indicators\": \"no values here\"}",
	       &fake_ctx, &in);
	assert_int_equal(in.indicators.count, 0);
	assert_null(json_object_get(in.fields, "indicators"));
	assert_true(notes_mention(&in, "no indicator was found in the indicators text"));
	report_input_free(&in);
}

static void test_report_warning_list_note(void **state)
{
	char path[4096];
	struct report_context ctx = { 0 };
	struct ioc_warnlists *wl;
	struct ch_error err = { 0 };
	struct report_input in;

	(void)state;
	if (!shared_path("misp-warninglists/covid19/covid.json", path, sizeof(path))) {
		skip();
		return;
	}
	wl = ioc_warnlists_new();
	if (ioc_warnlists_load_file(wl, path, &err) != CH_OK)
		fail_msg("loading %s failed: %s", path, err.message);
	ctx.warnlists = wl;
	accept("{\"kind\": \"ioc\", \"purpose\": \"awareness\", \"indicators\": "
	       "[\"againstcovid19.com\", \"evil.com\"]}",
	       &ctx, &in);
	/* A known-good COVID-19 site is kept, with a note to the submitter. */
	assert_int_equal(in.indicators.count, 2);
	assert_int_equal(json_array_size(in.notes), 1);
	assert_true(notes_mention(&in, "indicator againstcovid19.com is on the warning list "
				       "\"Valid covid-19 related domains\""));
	report_input_free(&in);
	ioc_warnlists_free(wl);
}

static void test_report_warning_notes_capped(void **state)
{
	json_t *indicators = json_array();
	struct report_input in;
	char text[32];

	(void)state;
	for (int i = 0; i < 25; i++) {
		snprintf(text, sizeof(text), "10.0.0.%d", i + 1);
		json_array_append_new(indicators, json_string(text));
	}
	accept_json(json_pack("{s:s, s:s, s:o}", "kind", "ioc", "purpose", "research",
			      "indicators", indicators),
		    &fake_ctx, &in);
	assert_int_equal(in.indicators.count, 25);
	assert_int_equal(json_array_size(in.notes), 21);
	assert_string_equal(json_string_value(json_array_get(in.notes, 20)),
			    "5 more indicators carry warnings");
	report_input_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_rejects),
		cmocka_unit_test(test_report_length_limits),
		cmocka_unit_test(test_report_list_limits),
		cmocka_unit_test(test_report_indicator_total_limit),
		cmocka_unit_test(test_report_kind_names),
		cmocka_unit_test(test_report_free_zeroed),
		cmocka_unit_test(test_report_ioc_text),
		cmocka_unit_test(test_report_ioc_array),
		cmocka_unit_test(test_report_optional_null_and_empty),
		cmocka_unit_test(test_report_tlp_levels),
		cmocka_unit_test(test_report_share_with),
		cmocka_unit_test(test_report_attack),
		cmocka_unit_test(test_report_attack_limits_in_characters),
		cmocka_unit_test(test_report_vuln),
		cmocka_unit_test(test_report_vuln_times),
		cmocka_unit_test(test_report_hunting_yara),
		cmocka_unit_test(test_report_hunting_yara_index),
		cmocka_unit_test(test_report_hunting_yara_warnings),
		cmocka_unit_test(test_report_hunting_sigma),
		cmocka_unit_test(test_report_hunting_sigma_t1685),
		cmocka_unit_test(test_report_hunting_sigma_revoked),
		cmocka_unit_test(test_report_all_sigma_rules),
		cmocka_unit_test(test_report_darknet),
		cmocka_unit_test(test_report_disinfo),
		cmocka_unit_test(test_report_feed),
		cmocka_unit_test(test_report_text_without_indicators_note),
		cmocka_unit_test(test_report_warning_list_note),
		cmocka_unit_test(test_report_warning_notes_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
