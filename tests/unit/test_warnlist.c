/*
 * Unit tests for MISP warning lists: each list type, parent-domain matching
 * of hostname lists, IPv4 and IPv6 prefixes, the flag that ioc_parse sets,
 * the substring automaton and the regex alternation against the entry-by-
 * entry reference matcher, and the real lists from the shared data set.
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
#include "shared_data.h"

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

static void test_substring_overlaps(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	/* "she" ends inside "ushers" where "he" and "hers" also end, so the
	 * automaton must carry outputs along its failure links. */
	load_list(wl, "{\"name\": \"first\", \"type\": \"substring\", \"list\": [\"hers\", \"XYZ\"]}");
	load_list(wl, "{\"name\": \"second\", \"type\": \"substring\", \"list\": [\"she\", \"he\"]}");
	load_list(wl, "{\"name\": \"third\", \"type\": \"substring\", \"list\": [\"ushe\", \"a.b\"]}");
	assert_match(wl, "ushers.com", "first");
	assert_match(wl, "usher.com", "second");
	assert_match(wl, "the.com", "second");
	assert_match(wl, "USHE.com", "second");
	assert_match(wl, "xyz.org", "first");
	assert_match(wl, "http://a.b.example.net/", "third");
	assert_match(wl, "aab.com", NULL);
	assert_match(wl, "example.com", NULL);
	ioc_warnlists_free(wl);
}

static void test_regex_alternation(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	/* Entries with an alternation, anchors, a bracket expression holding
	 * ')' and an unmatched ')', which glibc takes as a literal: wrapped in
	 * the union as "(^a)|q\.com$)" it would mean "^a" or "q.com)", so it
	 * must stay out of the union. */
	load_list(wl, "{\"name\": \"alt\", \"type\": \"regex\", \"list\": "
		      "[\"^(www|mail)\\\\.alt\\\\.com$\", \"/^ICASE\\\\.net$/i\"]}");
	load_list(wl, "{\"name\": \"brackets\", \"type\": \"regex\", \"list\": "
		      "[\"^[[:digit:]]+\\\\.brackets\\\\.org$\", \"[)]x\\\\.org$\"]}");
	load_list(wl, "{\"name\": \"paren\", \"type\": \"regex\", \"list\": "
		      "[\"^a)|q\\\\.com$\"]}");
	assert_match(wl, "www.alt.com", "alt");
	assert_match(wl, "ftp.alt.com", NULL);
	assert_match(wl, "icase.net", "alt");
	assert_match(wl, "123.brackets.org", "brackets");
	assert_match(wl, "x1.brackets.org", NULL);
	assert_match(wl, "q.com", "paren");
	assert_match(wl, "a.q.com", "paren");
	assert_match(wl, "abc.com", NULL);
	ioc_warnlists_free(wl);
}

static void test_regex_required_literals(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	/* Each entry has a literal that every match contains, so values
	 * without one skip regexec. Optional characters, repeats, escapes
	 * that are classes and groups must not join that literal. */
	load_list(wl, "{\"name\": \"literals\", \"type\": \"regex\", \"list\": "
		      "[\"^x?yz\\\\.opt\\\\.org$\", \"^ab+cd\\\\.plus\\\\.com$\", "
		      "\"^\\\\w+\\\\.wordy\\\\.net$\", \"^(de|fr)\\\\.grouped\\\\.eu$\", "
		      "\"^q{0,2}rs\\\\.brace\\\\.io$\", \"/^MIXED\\\\.case\\\\.com$/i\", "
		      "\"^abcdefg?\\\\.io$\"]}");
	assert_match(wl, "yz.opt.org", "literals");
	assert_match(wl, "xyz.opt.org", "literals");
	assert_match(wl, "abbbcd.plus.com", "literals");
	assert_match(wl, "acd.plus.com", NULL);
	assert_match(wl, "w7.wordy.net", "literals");
	assert_match(wl, "fr.grouped.eu", "literals");
	assert_match(wl, "it.grouped.eu", NULL);
	assert_match(wl, "qqrs.brace.io", "literals");
	assert_match(wl, "rs.brace.io", "literals");
	assert_match(wl, "mixed.case.com", "literals");
	assert_match(wl, "abcdef.io", "literals");
	assert_match(wl, "example.com", NULL);
	ioc_warnlists_free(wl);
}

static void test_regex_back_reference(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();

	(void)state;
	/* Inside the union, \1 would name another entry's group. */
	load_list(wl, "{\"name\": \"alt\", \"type\": \"regex\", \"list\": "
		      "[\"^(www|mail)\\\\.alt\\\\.com$\"]}");
	load_list(wl, "{\"name\": \"backref\", \"type\": \"regex\", \"list\": "
		      "[\"^(ab)\\\\1\\\\.com$\"]}");
	assert_match(wl, "mail.alt.com", "alt");
	assert_match(wl, "abab.com", "backref");
	assert_match(wl, "abba.com", NULL);
	ioc_warnlists_free(wl);
}

/* Values for the equivalence tests: every indicator type, hits and misses
 * of each list in equivalence_lists. */
static const char *const equivalence_values[] = {
	"google.com", "mail.google.com", "evil.example", "s3.amazonaws.com",
	"http://x.amazonaws.com/a", "cdn12.example.net", "CDN7.EXAMPLE.NET", "8.8.8.8",
	"8.8.4.4", "10.1.2.3", "192.168.0.0/16", "2606:4700::1111", "2001:db8::1",
	"http://8.8.8.8/x", "https://[2606:4700::1]/a", "john@mail.google.com",
	"d41d8cd98f00b204e9800998ecf8427e", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"https://tracker.doubleclick.net/p?x=1", "ads.doubleclick.net", "CVE-2021-44228", "AS13335",
	"login.microsoftonline.com", "abab.com", "q.com", "http://foo.bar/ushers",
	"pastebin.com", "raw.githubusercontent.com", "http://185.1.2.3:8080/bin.sh",
};

static const char *const equivalence_lists[] = {
	"{\"name\": \"hosts\", \"type\": \"hostname\", \"list\": [\"google.com\", \"pastebin.com\"]}",
	"{\"name\": \"subs-a\", \"type\": \"substring\", \"list\": [\"doubleclick\", \"amazonaws\"]}",
	"{\"name\": \"nets\", \"type\": \"cidr\", \"list\": [\"8.8.8.0/24\", \"2606:4700::/32\", "
	"\"10.0.0.0/8\"]}",
	"{\"name\": \"re-a\", \"type\": \"regex\", \"list\": [\"/^cdn[0-9]+\\\\.example\\\\.net$/i\", "
	"\"^(ab)\\\\1\\\\.com$\", \"microsoft\"]}",
	"{\"name\": \"strings\", \"type\": \"string\", \"list\": [\"8.8.4.4\", "
	"\"d41d8cd98f00b204e9800998ecf8427e\", \"AS13335\"]}",
	"{\"name\": \"subs-b\", \"type\": \"substring\", \"list\": [\"she\", \"hers\", \"usher\", "
	"\"GITHUB\", \"8080\"]}",
	"{\"name\": \"re-b\", \"type\": \"regex\", \"list\": [\"^a)|q\\\\.com$\", \"google\", "
	"\"e3b0c4\"]}",
};

/* Fails when the indexed matcher and the reference scan disagree on value. */
static void assert_same_as_scan(const struct ioc_warnlists *wl, const char *value)
{
	struct ioc ioc;
	const char *indexed;
	const char *scanned;

	if (ioc_parse(value, strlen(value), NULL, &ioc, NULL) != CH_OK)
		return;
	indexed = ioc_warnlists_match(wl, &ioc);
	scanned = ioc_warnlists_match_scan(wl, &ioc);
	if ((indexed == NULL) != (scanned == NULL) ||
	    (indexed && strcmp(indexed, scanned) != 0))
		fail_msg("'%s': indexed match '%s', reference scan '%s'", value,
			 indexed ? indexed : "(none)", scanned ? scanned : "(none)");
}

static void test_indexed_equals_scan(void **state)
{
	const size_t list_count = sizeof(equivalence_lists) / sizeof(equivalence_lists[0]);
	const size_t value_count = sizeof(equivalence_values) / sizeof(equivalence_values[0]);

	(void)state;
	/* Each rotation of the load order changes which list comes first. */
	for (size_t rotation = 0; rotation < list_count; rotation++) {
		struct ioc_warnlists *wl = ioc_warnlists_new();

		for (size_t i = 0; i < list_count; i++)
			load_list(wl, equivalence_lists[(i + rotation) % list_count]);
		for (size_t i = 0; i < value_count; i++)
			assert_same_as_scan(wl, equivalence_values[i]);
		ioc_warnlists_free(wl);
	}
}

/* Deterministic generator, so that a failure repeats. */
static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Writes a random name of length [min, min + spread) over a small alphabet,
 * so that random patterns and values overlap often. */
static void random_text(uint32_t *seed, char *out, size_t min, size_t spread)
{
	static const char alphabet[] = "abcAB.-";
	size_t len = min + next_random(seed) % spread;

	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[next_random(seed) % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static void test_random_substrings_equal_scan(void **state)
{
	struct ioc_warnlists *wl = ioc_warnlists_new();
	uint32_t seed = 7;
	char json[4096];
	char text[64];

	(void)state;
	/* Eight lists of 40 random patterns of 1 to 4 characters. */
	for (int list = 0; list < 8; list++) {
		size_t n = (size_t)snprintf(json, sizeof(json),
					    "{\"name\": \"random-%d\", \"type\": \"substring\", "
					    "\"list\": [", list);

		for (int k = 0; k < 40; k++) {
			random_text(&seed, text, 1, 4);
			n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"%s\"", k ? ", " : "",
					      text);
		}
		snprintf(json + n, sizeof(json) - n, "]}");
		load_list(wl, json);
	}
	for (int i = 0; i < 5000; i++) {
		char value[80];

		random_text(&seed, text, 1, 12);
		snprintf(value, sizeof(value), "x%s.com", text);
		assert_same_as_scan(wl, value);
	}
	ioc_warnlists_free(wl);
}

/* Reads the lines of a shared data file that parse as indicators and checks
 * the indexed matcher against the reference scan on each. */
static void check_shared_lines(const struct ioc_warnlists *wl, const char *name,
			       size_t *checked)
{
	char buf[1024];
	const char *path = shared_path(name, buf, sizeof(buf));
	char *data;
	char *line;
	char *save = NULL;

	if (!path)
		return;
	data = read_whole_file(path, NULL);
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* URLhaus CSV rows carry the URL in the third quoted field. */
		char *url = strstr(line, "\",\"http");

		if (url) {
			char *end = strchr(url + 3, '"');

			if (end)
				*end = '\0';
			line = url + 3;
		}
		assert_same_as_scan(wl, line);
		(*checked)++;
	}
	free(data);
}

static void test_real_lists_equal_scan(void **state)
{
	char buf[1024];
	const char *dir = shared_path("misp-warninglists", buf, sizeof(buf));
	struct ioc_warnlists *wl;
	struct ch_error err = { 0 };
	size_t checked = 0;

	(void)state;
	if (!dir) {
		skip();
		return;
	}
	wl = ioc_warnlists_new();
	if (ioc_warnlists_load_dir(wl, dir, &err) != CH_OK)
		fail_msg("loading %s failed: %s", dir, err.message);
	/* The real lists are hostname lists, so substring and regex lists
	 * with entries that real URLs contain join them. */
	for (size_t i = 0; i < sizeof(equivalence_lists) / sizeof(equivalence_lists[0]); i++)
		load_list(wl, equivalence_lists[i]);
	load_list(wl, "{\"name\": \"url-parts\", \"type\": \"substring\", \"list\": "
		      "[\"/bin.sh\", \"mozi\", \".arm7\", \"/i\", \"covid\"]}");
	load_list(wl, "{\"name\": \"url-regex\", \"type\": \"regex\", \"list\": "
		      "[\"^http://[0-9.]+:[0-9]+/\", \"/corona/i\"]}");
	check_shared_lines(wl, "misp-warninglists/covid19/covid.json", &checked);
	check_shared_lines(wl, "urlhaus-filter/urlhaus-filter-domains-online.txt", &checked);
	check_shared_lines(wl, "abusech-urlhaus/urlhaus_online_2025-04-21.csv", &checked);
	check_shared_lines(wl, "abusech-feodotracker/ipblocklist.csv", &checked);
	assert_true(checked > 1000);
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
		cmocka_unit_test(test_substring_overlaps),
		cmocka_unit_test(test_regex_alternation),
		cmocka_unit_test(test_regex_required_literals),
		cmocka_unit_test(test_regex_back_reference),
		cmocka_unit_test(test_indexed_equals_scan),
		cmocka_unit_test(test_random_substrings_equal_scan),
		cmocka_unit_test(test_real_lists_equal_scan),
		cmocka_unit_test(test_first_list_wins),
		cmocka_unit_test(test_parse_sets_flag),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_bad_list_type),
		cmocka_unit_test(test_covid_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
