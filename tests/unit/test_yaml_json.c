/*
 * Unit tests for the YAML configuration reader: how scalars are typed,
 * nesting, JSON input, and each rejected input with the line and column
 * in its message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "formats/yaml_json.h"

/* Writes text to a new temporary file and returns its path (static). */
static const char *write_temp(const char *text, size_t len)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/ctihub-yaml-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static json_t *load_ok(const char *text)
{
	const char *path = write_temp(text, strlen(text));
	struct ch_error err = { 0 };
	json_t *root = NULL;

	if (yaml_json_load(path, &root, &err) != CH_OK)
		fail_msg("rejected: %s", err.message);
	unlink(path);
	return root;
}

/* Loads text that must be rejected and returns the message (static). */
static const char *load_error(const char *text, size_t len, enum ch_code expected)
{
	static struct ch_error err;
	const char *path = write_temp(text, len);
	json_t *root = NULL;

	memset(&err, 0, sizeof(err));
	assert_int_equal(yaml_json_load(path, &root, &err), expected);
	assert_null(root);
	unlink(path);
	return err.message;
}

static void test_yaml_scalar_types(void **state)
{
	json_t *root = load_ok("port: 8080\n"
			       "negative: -3\n"
			       "on: true\n"
			       "off: False\n"
			       "nothing: null\n"
			       "tilde: ~\n"
			       "empty:\n"
			       "duration: 30s\n"
			       "quoted_number: '12'\n"
			       "quoted_bool: \"true\"\n"
			       "float: 1.5\n"
			       "huge: 99999999999999999999\n"
			       "url: http://127.0.0.1:9000/hook\n");

	(void)state;
	assert_true(json_is_object(root));
	assert_int_equal(json_integer_value(json_object_get(root, "port")), 8080);
	assert_int_equal(json_integer_value(json_object_get(root, "negative")), -3);
	assert_true(json_is_true(json_object_get(root, "on")));
	assert_true(json_is_false(json_object_get(root, "off")));
	assert_true(json_is_null(json_object_get(root, "nothing")));
	assert_true(json_is_null(json_object_get(root, "tilde")));
	assert_true(json_is_null(json_object_get(root, "empty")));
	assert_string_equal(json_string_value(json_object_get(root, "duration")), "30s");
	assert_string_equal(json_string_value(json_object_get(root, "quoted_number")), "12");
	assert_string_equal(json_string_value(json_object_get(root, "quoted_bool")), "true");
	assert_string_equal(json_string_value(json_object_get(root, "float")), "1.5");
	assert_string_equal(json_string_value(json_object_get(root, "huge")),
			    "99999999999999999999");
	assert_string_equal(json_string_value(json_object_get(root, "url")),
			    "http://127.0.0.1:9000/hook");
	json_decref(root);
}

static void test_yaml_nested_sequences(void **state)
{
	json_t *root = load_ok("notify:\n"
			       "  sinks:\n"
			       "    - name: a\n"
			       "      events: [referral.created, referral.reply]\n"
			       "    - name: b\n"
			       "      to:\n"
			       "        - x@example.org\n");
	json_t *sinks = json_object_get(json_object_get(root, "notify"), "sinks");

	(void)state;
	assert_true(json_is_array(sinks));
	assert_int_equal(json_array_size(sinks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sinks, 0), "name")), "a");
	assert_int_equal(json_array_size(json_object_get(json_array_get(sinks, 0), "events")), 2);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(json_array_get(sinks, 1), "to"), 0)),
		"x@example.org");
	json_decref(root);
}

static void test_yaml_json_input(void **state)
{
	json_t *root = load_ok("{\"notify\": {\"max_attempts\": 3, \"sinks\": []}}");

	(void)state;
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(root, "notify"), "max_attempts")),
		3);
	json_decref(root);
}

static void test_yaml_empty_file(void **state)
{
	json_t *root = load_ok("");

	(void)state;
	assert_true(json_is_object(root));
	assert_int_equal(json_object_size(root), 0);
	json_decref(root);
}

static void test_yaml_utf8_values(void **state)
{
	json_t *root = load_ok("name: \"M\xc3\xbcnchen\"\n");

	(void)state;
	assert_string_equal(json_string_value(json_object_get(root, "name")), "M\xc3\xbcnchen");
	json_decref(root);
}

static void test_yaml_rejects_syntax_error(void **state)
{
	const char *text = "a: 1\nb: [1, 2\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "invalid YAML"));
	assert_non_null(strstr(message, ":3:"));
}

static void test_yaml_rejects_duplicate_key(void **state)
{
	const char *text = "a: 1\nb: 2\na: 3\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, ":3:1: duplicate key 'a'"));
}

static void test_yaml_rejects_anchor_and_alias(void **state)
{
	const char *anchor = "a: &x 1\n";
	const char *alias = "a: 1\nb: *x\n";
	const char *message = load_error(anchor, strlen(anchor), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "anchors"));
	/* An alias to an undefined anchor is a libyaml error or ours. */
	message = load_error(alias, strlen(alias), CH_INVALID);
	assert_non_null(strstr(message, ":2:"));
}

static void test_yaml_rejects_alias_bomb(void **state)
{
	const char *text = "a: &a [x, x]\n"
			   "b: &b [*a, *a]\n"
			   "c: &c [*b, *b]\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "anchors"));
}

static void test_yaml_rejects_tag(void **state)
{
	const char *text = "a: !!str 1\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "tags"));
}

static void test_yaml_rejects_complex_key(void **state)
{
	const char *text = "? [a, b]\n: 1\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "key must be a plain value"));
}

static void test_yaml_rejects_two_documents(void **state)
{
	const char *text = "a: 1\n---\nb: 2\n";
	const char *message = load_error(text, strlen(text), CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "more than one document"));
}

static void test_yaml_rejects_deep_nesting(void **state)
{
	char text[256] = "";
	const char *message;

	for (int i = 0; i < 40; i++)
		text[i] = '[';
	message = load_error(text, strlen(text), CH_INVALID);
	(void)state;
	assert_non_null(strstr(message, "32 levels"));
}

static void test_yaml_rejects_nul_in_value(void **state)
{
	const char text[] = "a: \"x\\0y\"\n";
	const char *message = load_error(text, sizeof(text) - 1, CH_INVALID);

	(void)state;
	assert_non_null(strstr(message, "NUL"));
}

static void test_yaml_rejects_large_file(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *text = malloc(len);
	const char *message;

	(void)state;
	memset(text, '#', len);
	message = load_error(text, len, CH_TOO_LARGE);
	free(text);
	assert_non_null(strstr(message, "1048576"));
}

static void test_yaml_missing_file(void **state)
{
	struct ch_error err = { 0 };
	json_t *root = NULL;

	(void)state;
	assert_int_equal(yaml_json_load("/nonexistent/ctihub.yaml", &root, &err), CH_IO);
	assert_null(root);
	assert_non_null(strstr(err.message, "/nonexistent/ctihub.yaml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_scalar_types),
		cmocka_unit_test(test_yaml_nested_sequences),
		cmocka_unit_test(test_yaml_json_input),
		cmocka_unit_test(test_yaml_empty_file),
		cmocka_unit_test(test_yaml_utf8_values),
		cmocka_unit_test(test_yaml_rejects_syntax_error),
		cmocka_unit_test(test_yaml_rejects_duplicate_key),
		cmocka_unit_test(test_yaml_rejects_anchor_and_alias),
		cmocka_unit_test(test_yaml_rejects_alias_bomb),
		cmocka_unit_test(test_yaml_rejects_tag),
		cmocka_unit_test(test_yaml_rejects_complex_key),
		cmocka_unit_test(test_yaml_rejects_two_documents),
		cmocka_unit_test(test_yaml_rejects_deep_nesting),
		cmocka_unit_test(test_yaml_rejects_nul_in_value),
		cmocka_unit_test(test_yaml_rejects_large_file),
		cmocka_unit_test(test_yaml_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
