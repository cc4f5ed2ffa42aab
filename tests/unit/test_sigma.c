/*
 * Unit tests for the Sigma rule check: the metadata read from a rule, each
 * structural error, YAML syntax errors with line and column, and every
 * real SigmaHQ rule in the shared data set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shared_data.h"

#include "formats/sigma.h"

#define MINIMAL_RULE                                                                  \
	"title: Suspicious Sc.exe\n"                                                  \
	"logsource:\n"                                                                \
	"    category: process_creation\n"                                            \
	"detection:\n"                                                                \
	"    selection:\n"                                                            \
	"        Image|endswith: '\\sc.exe'\n"                                        \
	"    condition: selection\n"

static void test_sigma_minimal_rule(void **state)
{
	struct sigma_rule r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	if (sigma_check(MINIMAL_RULE, strlen(MINIMAL_RULE), &r, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	assert_string_equal(r.title, "Suspicious Sc.exe");
	assert_string_equal(r.logsource_category, "process_creation");
	assert_null(r.logsource_product);
	assert_null(r.id);
	assert_null(r.level);
	assert_int_equal(r.tag_count, 0);
	sigma_rule_free(&r);
	sigma_rule_free(&r);
}

static void test_sigma_metadata(void **state)
{
	const char *text = "title: Test\n"
			   "id: 85c312b7-f44d-4a51-a024-d671c40b49fc\n"
			   "status: experimental\n"
			   "level: high\n"
			   "tags:\n"
			   "    - attack.execution\n"
			   "    - attack.t1059.001\n"
			   "    - cve.2021-44228\n"
			   "logsource:\n"
			   "    product: windows\n"
			   "    service: security\n"
			   "detection:\n"
			   "    sel1: {EventID: 4688}\n"
			   "    sel2: {EventID: 4689}\n"
			   "    condition:\n"
			   "        - sel1\n"
			   "        - sel2\n";
	struct sigma_rule r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	if (sigma_check(text, strlen(text), &r, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	assert_string_equal(r.id, "85c312b7-f44d-4a51-a024-d671c40b49fc");
	assert_string_equal(r.status, "experimental");
	assert_string_equal(r.level, "high");
	assert_string_equal(r.logsource_product, "windows");
	assert_string_equal(r.logsource_service, "security");
	assert_int_equal(r.tag_count, 3);
	assert_string_equal(r.tags[0], "attack.execution");
	assert_string_equal(r.tags[1], "attack.t1059.001");
	assert_string_equal(r.tags[2], "cve.2021-44228");
	sigma_rule_free(&r);
}

static void test_sigma_errors(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *message;
	} cases[] = {
		{ "no condition",
		  "title: t\nlogsource:\n    product: windows\ndetection:\n    selection:\n"
		  "        EventID: 1\n",
		  "detection at line 5 has no condition" },
		{ "empty condition",
		  "title: t\nlogsource: {product: windows}\ndetection:\n    sel: {a: 1}\n"
		  "    condition: ''\n",
		  "detection.condition at line 5 must be a non-empty expression" },
		{ "condition mapping",
		  "title: t\nlogsource: {product: windows}\ndetection:\n    sel: {a: 1}\n"
		  "    condition: {a: b}\n",
		  "detection.condition at line 5" },
		{ "condition only",
		  "title: t\nlogsource: {product: windows}\ndetection:\n    condition: sel\n",
		  "has a condition but no search identifier" },
		{ "no detection", "title: t\nlogsource: {product: windows}\n",
		  "the Sigma rule has no detection" },
		{ "detection list",
		  "title: t\nlogsource: {product: windows}\ndetection:\n    - a\n",
		  "detection at line 4 must be a mapping" },
		{ "no title",
		  "logsource: {product: windows}\ndetection: {sel: {a: 1}, condition: sel}\n",
		  "the Sigma rule has no title" },
		{ "title list",
		  "title: [a, b]\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "title at line 1 must be a single value, not a list" },
		{ "empty title",
		  "title: ''\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "title at line 1 is empty" },
		{ "no logsource", "title: t\ndetection: {sel: {a: 1}, condition: sel}\n",
		  "the Sigma rule has no logsource" },
		{ "logsource scalar",
		  "title: t\nlogsource: windows\ndetection: {sel: {a: 1}, condition: sel}\n",
		  "logsource at line 2 must be a mapping" },
		{ "logsource without source",
		  "title: t\nlogsource: {definition: x}\ndetection: {sel: {a: 1}, condition: sel}\n",
		  "names no category, product or service" },
		{ "bad level",
		  "title: t\nlevel: severe\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "level 'severe' is not a Sigma level" },
		{ "bad status",
		  "title: t\nstatus: production\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "status 'production' is not a Sigma status" },
		{ "tags scalar",
		  "title: t\ntags: attack.t1059\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "tags at line 2 must be a list" },
		{ "tag mapping",
		  "title: t\ntags:\n    - {a: b}\nlogsource: {product: windows}\n"
		  "detection: {sel: {a: 1}, condition: sel}\n",
		  "tag at line 3 must be a single value, not a mapping" },
		{ "not a mapping", "- a\n- b\n", "must be a YAML mapping" },
		{ "scalar document", "just text\n", "must be a YAML mapping" },
		{ "empty", "", "the Sigma rule is empty" },
		{ "comment only", "# nothing\n", "the Sigma rule is empty" },
		{ "two documents", MINIMAL_RULE "---\n" MINIMAL_RULE,
		  "more than one YAML document" },
		{ "bad indentation",
		  "title: t\nlogsource:\n    product: windows\n  bad: x\n", "YAML syntax error at line 4" },
		{ "unclosed flow sequence", "title: t\ntags: [a, b\nlevel: low\n",
		  "YAML syntax error at line 3, column 6: did not find expected" },
		{ "tab indentation", "title: t\nlogsource:\n\tproduct: windows\n",
		  "YAML syntax error at line 3, column 1" },
		{ "syntax error after first document", MINIMAL_RULE "---\ntitle: [\n",
		  "YAML syntax error at line" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sigma_rule r = { 0 };
		struct ch_error err = { 0 };
		enum ch_code rc = sigma_check(cases[i].text, strlen(cases[i].text), &r, &err);

		if (rc != CH_INVALID || !strstr(err.message, cases[i].message))
			fail_msg("%s: code %d, message '%s'; expected '%s'", cases[i].name, rc,
				 err.message, cases[i].message);
		assert_null(r.title);
	}
}

static void test_sigma_real_rule(void **state)
{
	char path[4096];
	struct sigma_rule r = { 0 };
	struct ch_error err = { 0 };
	size_t len;
	char *text;

	(void)state;
	if (!shared_path("sigmahq-sigma/windows_process_creation/"
			 "proc_creation_win_sc_disable_service.yml",
			 path, sizeof(path))) {
		skip();
		return;
	}
	text = read_whole_file(path, &len);
	if (sigma_check(text, len, &r, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	assert_string_equal(r.title, "Service StartupType Change Via Sc.EXE");
	assert_string_equal(r.id, "85c312b7-f44d-4a51-a024-d671c40b49fc");
	assert_string_equal(r.status, "test");
	assert_string_equal(r.level, "medium");
	assert_string_equal(r.logsource_category, "process_creation");
	assert_string_equal(r.logsource_product, "windows");
	assert_int_equal(r.tag_count, 3);
	assert_string_equal(r.tags[2], "attack.t1685");
	sigma_rule_free(&r);
	free(text);
}

/* Every rule in the SigmaHQ sample parses, one folder level deep. */
static void test_sigma_all_real_rules(void **state)
{
	char root[4096];
	char sub[8192];
	char file[12288];
	DIR *top;
	struct dirent *group;
	size_t rules = 0;

	(void)state;
	if (!shared_path("sigmahq-sigma", root, sizeof(root))) {
		skip();
		return;
	}
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
			struct sigma_rule r = { 0 };
			struct ch_error err = { 0 };
			size_t len;
			char *text;

			if (!strstr(entry->d_name, ".yml"))
				continue;
			snprintf(file, sizeof(file), "%s/%s", sub, entry->d_name);
			text = read_whole_file(file, &len);
			if (sigma_check(text, len, &r, &err) != CH_OK)
				fail_msg("%s was rejected: %s", file, err.message);
			assert_non_null(r.title);
			sigma_rule_free(&r);
			free(text);
			rules++;
		}
		closedir(dir);
	}
	closedir(top);
	assert_int_equal(rules, 216);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigma_minimal_rule),
		cmocka_unit_test(test_sigma_metadata),
		cmocka_unit_test(test_sigma_errors),
		cmocka_unit_test(test_sigma_real_rule),
		cmocka_unit_test(test_sigma_all_real_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
