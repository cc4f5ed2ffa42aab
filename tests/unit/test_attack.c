/*
 * Unit tests for the ATT&CK module: the built-in tactics table checked
 * against the real x-mitre-tactic objects, tactic lookup, technique id
 * syntax, and the STIX reader on synthetic bundles and on real ATT&CK
 * releases (Enterprise one-object bundles, Mobile 17.1, ICS 18.1). The
 * expected counts were taken with Python's json module.
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
#include <unistd.h>

#include <cmocka.h>

#include "shared_data.h"

#include "model/attack.h"

/* Totals over every technique an import hands to the callback. */
struct tally {
	size_t count;
	size_t revoked;
	size_t subtechniques;
	size_t stop_after; /* 0: never stop */
	char domain[32];   /* domain of every technique, or "mixed" */
	struct attack_technique wanted;
};

static enum ch_code tally_cb(void *ctx, const struct attack_technique *t, struct ch_error *err)
{
	struct tally *tally = ctx;

	tally->count++;
	if (t->revoked)
		tally->revoked++;
	if (strchr(t->id, '.'))
		tally->subtechniques++;
	if (tally->count == 1)
		snprintf(tally->domain, sizeof(tally->domain), "%s", t->domain);
	else if (strcmp(tally->domain, t->domain) != 0)
		snprintf(tally->domain, sizeof(tally->domain), "mixed");
	if (strcmp(t->id, tally->wanted.id) == 0)
		tally->wanted = *t;
	if (tally->stop_after && tally->count == tally->stop_after)
		return ch_fail(err, CH_INTERRUPTED, "stopped by the test");
	return CH_OK;
}

static char *write_temp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_attack_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_tactic_table_order(void **state)
{
	static const char *const ids[] = {
		"TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005",
		"TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040",
	};

	(void)state;
	assert_int_equal(attack_tactic_count, 14);
	for (size_t i = 0; i < 14; i++)
		assert_string_equal(attack_tactics[i].id, ids[i]);
}

static void test_tactic_table_matches_stix(void **state)
{
	char dir_path[4096];
	char file[8192];
	DIR *dir;
	struct dirent *entry;
	size_t checked = 0;

	(void)state;
	if (!shared_path("mitre-cti-enterprise/x-mitre-tactic", dir_path, sizeof(dir_path))) {
		skip();
		return;
	}
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		json_t *root, *tactic;
		json_error_t jerr;
		const struct attack_tactic *found;
		const char *id = NULL;
		size_t i;
		json_t *ref;

		if (!strstr(entry->d_name, ".json"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir_path, entry->d_name);
		root = json_load_file(file, 0, &jerr);
		assert_non_null(root);
		tactic = json_array_get(json_object_get(root, "objects"), 0);
		json_array_foreach(json_object_get(tactic, "external_references"), i, ref) {
			if (strcmp(json_string_value(json_object_get(ref, "source_name")),
				   "mitre-attack") == 0)
				id = json_string_value(json_object_get(ref, "external_id"));
		}
		assert_non_null(id);
		found = attack_tactic_find(id);
		if (!found)
			fail_msg("tactic %s from %s is not in the table", id, entry->d_name);
		assert_string_equal(found->name,
				    json_string_value(json_object_get(tactic, "name")));
		assert_string_equal(found->shortname, json_string_value(json_object_get(
							      tactic, "x_mitre_shortname")));
		checked++;
		json_decref(root);
	}
	closedir(dir);
	assert_int_equal(checked, 14);
}

static void test_tactic_find(void **state)
{
	static const struct {
		const char *text;
		const char *id; /* NULL: not found */
	} cases[] = {
		{ "TA0001", "TA0001" },
		{ "ta0011", "TA0011" },
		{ "Initial Access", "TA0001" },
		{ "initial access", "TA0001" },
		{ "COMMAND AND CONTROL", "TA0011" },
		{ "initial-access", "TA0001" },
		{ "command-and-control", "TA0011" },
		{ "Reconnaissance", "TA0043" },
		{ "resource-development", "TA0042" },
		{ "Impact", "TA0040" },
		{ "TA0000", NULL },
		{ "TA0012", NULL },
		{ "initial_access", NULL },
		{ "Initial Access ", NULL },
		{ "", NULL },
		{ "T1566", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct attack_tactic *t = attack_tactic_find(cases[i].text);

		if (!cases[i].id && t)
			fail_msg("'%s' found %s, expected none", cases[i].text, t->id);
		if (cases[i].id && (!t || strcmp(t->id, cases[i].id) != 0))
			fail_msg("'%s' found %s, expected %s", cases[i].text, t ? t->id : "none",
				 cases[i].id);
	}
}

static void test_technique_id_syntax(void **state)
{
	static const struct {
		const char *text;
		const char *canonical; /* NULL: invalid */
	} cases[] = {
		{ "T1566", "T1566" },
		{ "t1566", "T1566" },
		{ "T1566.001", "T1566.001" },
		{ "t1059.001", "T1059.001" },
		{ "T0817", "T0817" },
		{ "T156", NULL },
		{ "T15660", NULL },
		{ "T1566.01", NULL },
		{ "T1566.0011", NULL },
		{ "T1566-001", NULL },
		{ "TA0001", NULL },
		{ "1566", NULL },
		{ "T1566.", NULL },
		{ "T15a6", NULL },
		{ " T1566", NULL },
		{ "", NULL },
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = attack_technique_id_canonical(cases[i].text, out, sizeof(out));

		if (ok != (cases[i].canonical != NULL))
			fail_msg("'%s' was %s", cases[i].text, ok ? "accepted" : "rejected");
		if (ok)
			assert_string_equal(out, cases[i].canonical);
	}
}

static void test_technique_id_small_buffer(void **state)
{
	char out[10];

	(void)state;
	assert_true(attack_technique_id_canonical("t1566.001", out, 10));
	assert_string_equal(out, "T1566.001");
	assert_false(attack_technique_id_canonical("T1566.001", out, 9));
	assert_true(attack_technique_id_canonical("T1566", out, 6));
}

static void test_import_synthetic_bundle(void **state)
{
	const char *bundle =
		"{\"type\": \"bundle\", \"objects\": ["
		"{\"type\": \"attack-pattern\", \"name\": \"Phishing\","
		" \"external_references\": [{\"source_name\": \"mitre-attack\", \"external_id\": \"T1566\"}],"
		" \"kill_chain_phases\": [{\"kill_chain_name\": \"mitre-attack\", \"phase_name\": \"initial-access\"}],"
		" \"x_mitre_domains\": [\"enterprise-attack\"]},"
		"{\"type\": \"attack-pattern\", \"name\": \"Scripting\", \"x_mitre_deprecated\": true,"
		" \"external_references\": [{\"source_name\": \"mitre-attack\", \"external_id\": \"t1064\"}],"
		" \"kill_chain_phases\": [{\"kill_chain_name\": \"mitre-attack\", \"phase_name\": \"defense-evasion\"},"
		"  {\"kill_chain_name\": \"mitre-attack\", \"phase_name\": \"execution\"}]},"
		"{\"type\": \"attack-pattern\", \"name\": \"Old\", \"revoked\": true,"
		" \"external_references\": [{\"source_name\": \"mitre-mobile-attack\", \"external_id\": \"T1454\"}]},"
		"{\"type\": \"attack-pattern\", \"name\": \"CAPEC only\","
		" \"external_references\": [{\"source_name\": \"capec\", \"external_id\": \"CAPEC-98\"}]},"
		"{\"type\": \"x-mitre-tactic\", \"name\": \"Execution\","
		" \"external_references\": [{\"source_name\": \"mitre-attack\", \"external_id\": \"TA0002\"}]},"
		"{\"type\": \"malware\", \"name\": \"x\"}"
		"]}";
	struct tally tally = { 0 };
	struct ch_error err = { 0 };
	size_t count = 99;
	char *path = write_temp(bundle);

	(void)state;
	snprintf(tally.wanted.id, sizeof(tally.wanted.id), "T1064");
	assert_int_equal(attack_import_file(path, tally_cb, &tally, &count, &err), CH_OK);
	unlink(path);
	assert_int_equal(count, 3);
	assert_int_equal(tally.count, 3);
	assert_int_equal(tally.revoked, 2);
	assert_string_equal(tally.wanted.name, "Scripting");
	assert_string_equal(tally.wanted.tactics, "defense-evasion,execution");
	/* No x_mitre_domains: the domain comes from the kill chain name. */
	assert_string_equal(tally.wanted.domain, "enterprise-attack");
	assert_true(tally.wanted.revoked);
}

static void test_import_errors(void **state)
{
	static const struct {
		const char *text; /* NULL: the file does not exist */
		enum ch_code code;
		const char *message;
	} cases[] = {
		{ NULL, CH_IO, "cannot read ATT&CK file" },
		{ "{\"objects\": [", CH_INVALID, "invalid JSON at line 1" },
		{ "{\"type\": \"bundle\"}", CH_INVALID, "no \"objects\" array" },
		{ "[1, 2]", CH_INVALID, "no \"objects\" array" },
		{ "{\"objects\": [{\"type\": \"attack-pattern\", \"name\": \"x\", \"external_references\":"
		  " [{\"source_name\": \"mitre-attack\", \"external_id\": \"TX99\"}]}]}",
		  CH_INVALID, "'TX99', which is not a technique id" },
		{ "{\"objects\": [{\"type\": \"attack-pattern\", \"external_references\":"
		  " [{\"source_name\": \"mitre-attack\", \"external_id\": \"T1000\"}]}]}",
		  CH_INVALID, "technique T1000 has no name" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tally tally = { 0 };
		struct ch_error err = { 0 };
		size_t count = 77;
		const char *path = cases[i].text ? write_temp(cases[i].text)
						 : "/tmp/test_attack_missing.json";
		enum ch_code rc = attack_import_file(path, tally_cb, &tally, &count, &err);

		if (cases[i].text)
			unlink(path);
		if (rc != cases[i].code || !strstr(err.message, cases[i].message))
			fail_msg("case %zu: code %d, message '%s'; expected %d with '%s'", i, rc,
				 err.message, cases[i].code, cases[i].message);
		assert_int_equal(count, 77);
	}
}

static void test_import_callback_stops(void **state)
{
	const char *bundle =
		"{\"objects\": ["
		"{\"type\": \"attack-pattern\", \"name\": \"A\", \"external_references\":"
		" [{\"source_name\": \"mitre-attack\", \"external_id\": \"T1001\"}]},"
		"{\"type\": \"attack-pattern\", \"name\": \"B\", \"external_references\":"
		" [{\"source_name\": \"mitre-attack\", \"external_id\": \"T1002\"}]}]}";
	struct tally tally = { .stop_after = 1 };
	struct ch_error err = { 0 };
	size_t count = 5;
	char *path = write_temp(bundle);

	(void)state;
	assert_int_equal(attack_import_file(path, tally_cb, &tally, &count, &err), CH_INTERRUPTED);
	unlink(path);
	assert_int_equal(tally.count, 1);
	assert_int_equal(count, 5);
	assert_string_equal(err.message, "stopped by the test");
}

static void test_import_ics_release(void **state)
{
	char path[4096];
	struct tally tally = { 0 };
	struct ch_error err = { 0 };
	size_t count = 0;

	(void)state;
	if (!shared_path("mitre-attack-stix-data/ics-attack-18.1.json", path, sizeof(path))) {
		skip();
		return;
	}
	snprintf(tally.wanted.id, sizeof(tally.wanted.id), "T0817");
	if (attack_import_file(path, tally_cb, &tally, &count, &err) != CH_OK)
		fail_msg("import failed: %s", err.message);
	/* 83 current techniques plus 12 deprecated ones under mitre-ics-attack. */
	assert_int_equal(count, 95);
	assert_int_equal(tally.revoked, 12);
	assert_int_equal(tally.subtechniques, 0);
	assert_string_equal(tally.domain, "ics-attack");
	assert_string_equal(tally.wanted.name, "Drive-by Compromise");
	assert_string_equal(tally.wanted.tactics, "initial-access");
}

static void test_import_mobile_release(void **state)
{
	char path[4096];
	struct tally tally = { 0 };
	struct ch_error err = { 0 };
	size_t count = 0;

	(void)state;
	if (!shared_path("mitre-attack-stix-data/mobile-attack-17.1.json", path, sizeof(path))) {
		skip();
		return;
	}
	snprintf(tally.wanted.id, sizeof(tally.wanted.id), "T1660");
	if (attack_import_file(path, tally_cb, &tally, &count, &err) != CH_OK)
		fail_msg("import failed: %s", err.message);
	/* 170 under mitre-attack (49 revoked or deprecated) plus 18 old ones
	 * under mitre-mobile-attack, all revoked or deprecated. */
	assert_int_equal(count, 188);
	assert_int_equal(tally.revoked, 67);
	assert_int_equal(tally.subtechniques, 46);
	assert_string_equal(tally.domain, "mobile-attack");
	assert_string_equal(tally.wanted.name, "Phishing");
	assert_false(tally.wanted.revoked);
}

static void test_import_enterprise_objects(void **state)
{
	char dir_path[4096];
	char file[8192];
	struct tally tally = { 0 };
	DIR *dir;
	struct dirent *entry;
	size_t files = 0;

	(void)state;
	if (!shared_path("mitre-cti-enterprise/attack-pattern", dir_path, sizeof(dir_path))) {
		skip();
		return;
	}
	snprintf(tally.wanted.id, sizeof(tally.wanted.id), "T1566.001");
	dir = opendir(dir_path);
	assert_non_null(dir);
	while ((entry = readdir(dir)) != NULL) {
		struct ch_error err = { 0 };
		size_t count = 0;

		if (!strstr(entry->d_name, ".json"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir_path, entry->d_name);
		if (attack_import_file(file, tally_cb, &tally, &count, &err) != CH_OK)
			fail_msg("import of %s failed: %s", entry->d_name, err.message);
		assert_int_equal(count, 1);
		files++;
	}
	closedir(dir);
	assert_int_equal(files, 835);
	assert_int_equal(tally.count, 835);
	assert_int_equal(tally.revoked, 144);
	assert_int_equal(tally.subtechniques, 479);
	assert_string_equal(tally.domain, "enterprise-attack");
	assert_string_equal(tally.wanted.name, "Spearphishing Attachment");
	assert_string_equal(tally.wanted.tactics, "initial-access");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tactic_table_order),
		cmocka_unit_test(test_tactic_table_matches_stix),
		cmocka_unit_test(test_tactic_find),
		cmocka_unit_test(test_technique_id_syntax),
		cmocka_unit_test(test_technique_id_small_buffer),
		cmocka_unit_test(test_import_synthetic_bundle),
		cmocka_unit_test(test_import_errors),
		cmocka_unit_test(test_import_callback_stops),
		cmocka_unit_test(test_import_ics_release),
		cmocka_unit_test(test_import_mobile_release),
		cmocka_unit_test(test_import_enterprise_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
