/*
 * Unit tests for the YARA rule check: rule names and warnings, compile
 * errors with their line, disabled includes, the scanner externals, every
 * real signature-base file, the real Yara-Rules index (whose includes must
 * be rejected) and concurrent checks from several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "shared_data.h"

#include "formats/yara_check.h"

static enum ch_code check(const char *text, struct yara_check_result *r, struct ch_error *err)
{
	return yara_check(text, strlen(text), r, err);
}

static void test_yara_rule_names(void **state)
{
	const char *text = "import \"pe\"\n"
			   "private rule is_pe { condition: uint16(0) == 0x5A4D }\n"
			   "rule one : tag1 { strings: $a = \"covid\" nocase condition: $a }\n"
			   "rule two { condition: is_pe and one }\n";
	struct yara_check_result r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	if (check(text, &r, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	assert_int_equal(r.rule_count, 3);
	assert_string_equal(r.rule_names[0], "is_pe");
	assert_string_equal(r.rule_names[1], "one");
	assert_string_equal(r.rule_names[2], "two");
	assert_int_equal(r.warning_count, 0);
	yara_check_result_free(&r);
	yara_check_result_free(&r);
}

static void test_yara_warnings_kept(void **state)
{
	const char *text = "rule slow {\n strings: $a = /a.*/\n condition: $a\n}\n";
	struct yara_check_result r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(check(text, &r, &err), CH_OK);
	assert_true(r.warning_count >= 1);
	assert_non_null(strstr(r.warnings[0], "line 2: "));
	yara_check_result_free(&r);
}

static void test_yara_errors(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "rule a {\n strings: $a = \"x\"\n condition: $a and\n}\n", "line 4: syntax error" },
		{ "rule a { condition: true }\nrule a { condition: true }\n",
		  "line 2: duplicated identifier \"a\"" },
		{ "rule a {\n condition: owner_name == \"x\"\n}\n",
		  "line 2: undefined identifier \"owner_name\"" },
		{ "\n\ninclude \"other.yar\"\nrule a { condition: true }\n",
		  "line 3: includes are disabled" },
		{ "include \"/etc/passwd\"\n", "line 1: includes are disabled" },
		{ "import \"no_such_module\"\nrule a { condition: true }\n",
		  "line 1: unknown module \"no_such_module\"" },
		{ "rule a {\n strings: $a = { 4D 5 }\n condition: $a\n}\n", "line 2: " },
		{ "", "defines no rule" },
		{ "/* only a comment */\n", "defines no rule" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct yara_check_result r = { 0 };
		struct ch_error err = { 0 };
		enum ch_code rc = check(cases[i].text, &r, &err);

		if (rc != CH_INVALID || !strstr(err.message, cases[i].message))
			fail_msg("case %zu: code %d, message '%s'; expected '%s'", i, rc,
				 err.message, cases[i].message);
		assert_null(r.rule_names);
	}
}

static void test_yara_nul_rejected(void **state)
{
	const char text[] = "rule a { condition: true }\0rule b { condition: true }";
	struct yara_check_result r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(yara_check(text, sizeof(text) - 1, &r, &err), CH_INVALID);
	assert_non_null(strstr(err.message, "NUL byte"));
}

static void test_yara_scanner_externals(void **state)
{
	const char *text = "rule ext {\n condition: filename == \"a.exe\" and "
			   "filepath contains \"Temp\" and extension == \".exe\" and "
			   "filetype == \"EXE\" and owner == \"SYSTEM\"\n}\n";
	struct yara_check_result r = { 0 };
	struct ch_error err = { 0 };

	(void)state;
	if (check(text, &r, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	yara_check_result_free(&r);
}

static void test_yara_signature_base(void **state)
{
	char dir_path[4096];
	char file[8192];
	DIR *dir;
	struct dirent *entry;
	size_t files = 0;

	(void)state;
	if (!shared_path("neo23x0-signature-base/yara", dir_path, sizeof(dir_path))) {
		skip();
		return;
	}
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		struct yara_check_result r = { 0 };
		struct ch_error err = { 0 };
		size_t len;
		char *text;

		if (!strstr(entry->d_name, ".yar"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir_path, entry->d_name);
		text = read_whole_file(file, &len);
		if (yara_check(text, len, &r, &err) != CH_OK)
			fail_msg("%s was rejected: %s", entry->d_name, err.message);
		assert_true(r.rule_count > 0);
		if (strcmp(entry->d_name, "crime_covid_ransom.yar") == 0) {
			assert_int_equal(r.rule_count, 1);
			assert_string_equal(r.rule_names[0], "MAL_RANSOM_COVID19_Apr20_1");
		}
		yara_check_result_free(&r);
		free(text);
		files++;
	}
	closedir(dir);
	assert_int_equal(files, 21);
}

static void test_yara_index_includes_rejected(void **state)
{
	char path[4096];
	struct yara_check_result r = { 0 };
	struct ch_error err = { 0 };
	size_t len;
	char *text;

	(void)state;
	if (!shared_path("yara-rules/malware_index.yar", path, sizeof(path))) {
		skip();
		return;
	}
	text = read_whole_file(path, &len);
	/* The first include is on line 5, after a four-line comment. */
	assert_int_equal(yara_check(text, len, &r, &err), CH_INVALID);
	assert_string_equal(err.message, "line 5: includes are disabled");
	assert_null(r.rule_names);
	free(text);
}

static void *check_in_thread(void *arg)
{
	const char *text = arg;

	for (int i = 0; i < 20; i++) {
		struct yara_check_result r = { 0 };
		struct ch_error err = { 0 };

		if (yara_check(text, strlen(text), &r, &err) != CH_OK || r.rule_count != 1)
			return (void *)1;
		yara_check_result_free(&r);
	}
	return NULL;
}

static void test_yara_threads(void **state)
{
	char text[4][96];
	pthread_t threads[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(text[i], sizeof(text[i]),
			 "rule thread_%d { strings: $a = \"abc%d\" condition: $a }", i, i);
		assert_int_equal(pthread_create(&threads[i], NULL, check_in_thread, text[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *result;

		assert_int_equal(pthread_join(threads[i], &result), 0);
		assert_null(result);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yara_rule_names),
		cmocka_unit_test(test_yara_warnings_kept),
		cmocka_unit_test(test_yara_errors),
		cmocka_unit_test(test_yara_nul_rejected),
		cmocka_unit_test(test_yara_scanner_externals),
		cmocka_unit_test(test_yara_signature_base),
		cmocka_unit_test(test_yara_index_includes_rejected),
		cmocka_unit_test(test_yara_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
