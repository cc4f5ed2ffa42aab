/*
 * Unit tests for MISP warning lists: each list type, parent-domain matching
 * of hostname lists, IPv4 and IPv6 prefixes, the flag that ioc_parse sets,
 * and the real COVID-19 lists from the shared data set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ioc/ioc.h"
#include "ioc/warnlist.h"

/* Writes a list file into a temporary directory and loads it into wl. */
static void load_list(struct ioc_warnlists *wl, const char *json)
{
	char path[] = "/tmp/test_warnlist_XXXXXX";
	int fd = mkstemp(path);
	struct ch_error err = { 0 };
	enum ch_code rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	rc = ioc_warnlists_load_file(wl, path, &err);
	unlink(path);
	if (rc != CH_OK)
		fail_msg("loading list failed: %s", err.message);
}

/* Name of the list that matches input, or NULL. */
static const char *match(const struct ioc_warnlists *wl, const char *input)
{
	struct ioc ioc;
	struct ch_error err = { 0 };

	if (ioc_parse(input, strlen(input), NULL, &ioc, &err) != CH_OK)
		fail_msg("'%s' was rejected: %s", input, err.message);
	return ioc_warnlists_match(wl, &ioc);
}

static void assert_match(const struct ioc_warnlists *wl, const char *input, const char *name)
{
	const char *got = match(wl, input);

	if (name == NULL && got != NULL)
		fail_msg("'%s' matched list '%s', expected none", input, got);
	if (name != NULL && (got == NULL || strcmp(got, name) != 0))
		fail_msg("'%s' matched '%s', expected '%s'", input, got ? got : "(none)", name);
}

static void test_string_list(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	load_list(wl, "{\"name\": \"strings\", \"type\": \"string\", \"list\": "
		      "[\"8.8.8.8\", \"HXXP://Evil[.]COM/a\", \"D41D8CD98F00B204E9800998ECF8427E\"]}");
	assert_int_equal(ioc_warnlists_count(wl), 1);
	assert_match(wl, "8.8.8.8", "strings");
	assert_match(wl, "http://evil.com/a", "strings");
	assert_match(wl, "d41d8cd98f00b204e9800998ecf8427e", "strings");
	assert_match(wl, "http://evil.com/b", NULL);
	assert_match(wl, "evil.com", NULL);
	ioc_warnlists_free(wl);
}

static void test_hostname_list_parents(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	load_list(wl, "{\"name\": \"hosts\", \"type\": \"hostname\", \"list\": "
		      "[\"Google.com.\", \"*.bücher.de\", \"co.uk\"]}");
	assert_match(wl, "google.com", "hosts");
	assert_match(wl, "mail.google.com", "hosts");
	assert_match(wl, "a.b.c.google.com", "hosts");
	assert_match(wl, "https://www.google.com/search?q=x", "hosts");
	assert_match(wl, "john@mail.google.com", "hosts");
	assert_match(wl, "www.xn--bcher-kva.de", "hosts");
	assert_match(wl, "evil.co.uk", "hosts");
	assert_match(wl, "notgoogle.com", NULL);
	assert_match(wl, "google.com.evil.net", NULL);
	ioc_warnlists_free(wl);
}

static void test_cidr_list(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	load_list(wl, "{\"name\": \"nets\", \"type\": \"cidr\", \"list\": "
		      "[\"8.8.8.0/24\", \"1.1.1.1\", \"2606:4700::/32\", \"10.1.2.3/8\", \"junk\"]}");
	assert_match(wl, "8.8.8.8", "nets");
	assert_match(wl, "8.8.9.8", NULL);
	assert_match(wl, "1.1.1.1", "nets");
	assert_match(wl, "1.1.1.2", NULL);
	assert_match(wl, "10.200.0.1", "nets");
	assert_match(wl, "8.8.8.128/25", "nets");
	assert_match(wl, "8.8.0.0/16", NULL);
	assert_match(wl, "2606:4700::1111", "nets");
	assert_match(wl, "2606:4701::1", NULL);
	assert_match(wl, "http://8.8.8.8/x", "nets");
	assert_match(wl, "http://[2606:4700::1]/x", "nets");
	ioc_warnlists_free(wl);
}

static void test_substring_and_regex(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	load_list(wl, "{\"name\": \"subs\", \"type\": \"substring\", \"list\": [\"AmazonAWS\"]}");
	load_list(wl, "{\"name\": \"re\", \"type\": \"regex\", \"list\": "
		      "[\"/^cdn[0-9]+\\\\.example\\\\.net$/i\"]}");
	assert_int_equal(ioc_warnlists_count(wl), 2);
	assert_match(wl, "s3.amazonaws.com", "subs");
	assert_match(wl, "http://x.amazonaws.com/a", "subs");
	assert_match(wl, "cdn12.example.net", "re");
	assert_match(wl, "cdnx.example.net", NULL);
	ioc_warnlists_free(wl);
}

static void test_first_list_wins(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	load_list(wl, "{\"name\": \"first\", \"type\": \"hostname\", \"list\": [\"example.org\"]}");
	load_list(wl, "{\"name\": \"second\", \"type\": \"hostname\", \"list\": "
		      "[\"www.example.org\", \"example.org\"]}");
	assert_match(wl, "www.example.org", "first");
	ioc_warnlists_free(wl);
}

static void test_parse_sets_flag(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();
	struct ioc ioc;
	struct ch_error err = { 0 };

	(void)state;
	load_list(wl, "{\"name\": \"hosts\", \"type\": \"hostname\", \"list\": [\"google.com\"]}");
	assert_int_equal(ioc_parse("www[.]google[.]com", 18, wl, &ioc, &err), CH_OK);
	assert_true(ioc.warnings & IOC_WARN_WARNINGLIST);
	assert_string_equal(ioc.warnlist_name, "hosts");
	assert_int_equal(ioc_parse("evil.com", 8, wl, &ioc, &err), CH_OK);
	assert_false(ioc.warnings & IOC_WARN_WARNINGLIST);
	assert_null(ioc.warnlist_name);
	ioc_warnlists_free(wl);
}

static void test_load_errors(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();
	struct ch_error err = { 0 };

	(void)state;
	assert_int_equal(ioc_warnlists_load_file(wl, "/nonexistent/list.json", &err), CH_IO);
	assert_non_null(strstr(err.message, "/nonexistent/list.json"));
	assert_int_equal(ioc_warnlists_count(wl), 0);
	ioc_warnlists_free(NULL);
	ioc_warnlists_free(wl);
}

static void test_bad_list_type(void **state)
{
	char path[] = "/tmp/test_warnlist_XXXXXX";
	int fd = mkstemp(path);
	const char *json = "{\"name\": \"x\", \"type\": \"fuzzy\", \"list\": []}";
	struct ioc_warnlists *wl = ioc_warnlists_new();
	struct ch_error err = { 0 };

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	assert_int_equal(ioc_warnlists_load_file(wl, path, &err), CH_INVALID);
	assert_non_null(strstr(err.message, "'fuzzy' is not supported"));
	unlink(path);
	ioc_warnlists_free(wl);
}

/* Directory of the real lists, or NULL after printing why the test skips. */
static const char *covid_dir(char *buf, size_t cap)
{
	const char *root = getenv("CTIHUB_SHARED_DATA");
	const char *require = getenv("CTIHUB_REQUIRE_SHARED");
	struct stat st;

	snprintf(buf, cap, "%s/misp-warninglists/covid19", root ? root : "");
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return buf;
	if (require && strcmp(require, "1") == 0)
		fail_msg("shared data directory %s is missing and CTIHUB_REQUIRE_SHARED=1", buf);
	fprintf(stderr, "test_warnlist: SKIPPED, shared data directory %s is missing "
			"(set CTIHUB_SHARED_DATA)\n", buf);
	return NULL;
}

static void test_covid_lists(void **state)
{
	char buf[1024];
	const char *dir = covid_dir(buf, sizeof(buf));
	struct ioc_warnlists *wl;
	struct ch_error err = { 0 };

	(void)state;
	if (!dir) {
		skip();
		return;
	}
	wl = ioc_warnlists_new();
	if (ioc_warnlists_load_dir(wl, dir, &err) != CH_OK)
		fail_msg("loading %s failed: %s", dir, err.message);
	assert_int_equal(ioc_warnlists_count(wl), 3);
	/* Files load in sorted order: the Cyber Threat Coalition list first. */
	assert_match(wl, "2019novelcoronavirusoracle.com", "Covid-19 Cyber Threat Coalition's Whitelist");
	assert_match(wl, "akkure4covid.com", "Covid-19 Krassi's Whitelist");
	assert_match(wl, "www.bestcoronavirusprotect.tk", "Valid covid-19 related domains");
	assert_match(wl, "deep.sub.www.nicovideo.jp", "Covid-19 Cyber Threat Coalition's Whitelist");
	assert_match(wl, "hxxps://api[.]covid19india[.]org/data.json",
		     "Covid-19 Cyber Threat Coalition's Whitelist");
	assert_match(wl, "corona-masr21.com", NULL);
	ioc_warnlists_free(wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_list),
		cmocka_unit_test(test_hostname_list_parents),
		cmocka_unit_test(test_cidr_list),
		cmocka_unit_test(test_substring_and_regex),
		cmocka_unit_test(test_first_list_wins),
		cmocka_unit_test(test_parse_sets_flag),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_bad_list_type),
		cmocka_unit_test(test_covid_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
