/*
 * ctihub attack: the MITRE ATT&CK catalogue. "attack import" reads STIX
 * bundles (whole releases, or folders of one-object bundles) and stores
 * every technique, so attack reports and Sigma tags can be checked
 * against it. The 14 Enterprise tactics are built in.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "model/attack.h"
#include "util/alloc.h"

/* Folders are searched this deep for *.json files. */
#define IMPORT_DEPTH_MAX 8

static enum ch_code store_technique(void *ctx, const struct attack_technique *t,
				    struct ch_error *err)
{
	return store_attack_technique_put(ctx, t->id, t->name, t->tactics, t->domain, t->revoked,
					  err);
}

static enum ch_code import_file(struct store *st, const char *path, size_t *total,
				struct ch_error *err)
{
	size_t count = 0;
	enum ch_code rc = store_begin(st, err);

	if (rc != CH_OK)
		return rc;
	rc = attack_import_file(path, store_technique, st, &count, err);
	if (rc == CH_OK)
		rc = store_commit(st, err);
	if (rc != CH_OK) {
		store_rollback(st);
		return rc;
	}
	*total += count;
	return CH_OK;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Imports a file, or every *.json below a folder in name order. A file
 * that fails is reported and the others are still read. */
static enum ch_code import_path(struct store *st, const char *path, int depth, size_t *total,
				size_t *failed)
{
	struct ch_error err = { 0 };
	struct stat sb;
	DIR *dir;
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "ctihub: %s: not found\n", path);
		(*failed)++;
		return CH_OK;
	}
	if (!S_ISDIR(sb.st_mode)) {
		enum ch_code rc = import_file(st, path, total, &err);

		if (rc == CH_DB) {
			cli_fail(rc, &err);
			return rc;
		}
		if (rc != CH_OK) {
			fprintf(stderr, "ctihub: %s\n", err.message);
			(*failed)++;
		}
		return CH_OK;
	}
	if (depth >= IMPORT_DEPTH_MAX)
		return CH_OK;

	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "ctihub: cannot read folder %s\n", path);
		(*failed)++;
		return CH_OK;
	}
	while ((entry = readdir(dir))) {
		size_t n = strlen(entry->d_name);

		if (entry->d_name[0] == '.')
			continue;
		names = xreallocarray(names, count + 1, sizeof(*names));
		names[count] = xmalloc(strlen(path) + n + 2);
		snprintf(names[count], strlen(path) + n + 2, "%s/%s", path, entry->d_name);
		count++;
	}
	closedir(dir);
	if (count > 0)
		qsort(names, count, sizeof(*names), compare_names);

	enum ch_code rc = CH_OK;

	for (size_t i = 0; i < count; i++) {
		struct stat child;
		size_t n = strlen(names[i]);

		if (rc == CH_OK && stat(names[i], &child) == 0 &&
		    (S_ISDIR(child.st_mode) || (n > 5 && strcmp(names[i] + n - 5, ".json") == 0)))
			rc = import_path(st, names[i], depth + 1, total, failed);
		free(names[i]);
	}
	free(names);
	return rc;
}

int cmd_attack(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ch_error err = { 0 };
	struct store *st;
	size_t total = 0, failed = 0;
	int64_t catalogue = 0;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (opt == 'h') {
			printf("Usage: ctihub attack import FILE|FOLDER...\n"
			       "       ctihub attack tactics\n"
			       "\n"
			       "import reads MITRE ATT&CK STIX 2.0 or 2.1 bundles (a whole release such\n"
			       "as enterprise-attack.json, or folders of one-object bundles, searched\n"
			       "for *.json) and stores every technique and sub-technique, marking revoked\n"
			       "and deprecated ones. Importing again updates them. tactics prints the\n"
			       "14 built-in Enterprise tactics.\n");
			return 0;
		}
		return cli_usage_error("attack", "invalid option");
	}
	if (optind < argc && strcmp(argv[optind], "tactics") == 0 && optind + 1 == argc) {
		for (size_t i = 0; i < attack_tactic_count; i++)
			printf("%s\t%s\t%s\n", attack_tactics[i].id, attack_tactics[i].name,
			       attack_tactics[i].shortname);
		return 0;
	}
	if (optind + 1 >= argc || strcmp(argv[optind], "import") != 0)
		return cli_usage_error("attack", "expected 'attack import FILE...' or 'attack tactics'");

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	for (int i = optind + 1; i < argc; i++) {
		if (import_path(st, argv[i], 0, &total, &failed) != CH_OK) {
			store_close(st);
			return ch_code_exit_status(CH_DB);
		}
	}
	if (store_attack_technique_count(st, &catalogue, &err) != CH_OK) {
		store_close(st);
		return cli_fail(CH_DB, &err);
	}
	cli_audit(st, "attack.import", "attack", catalogue, "catalogue import", &err);
	store_close(st);
	printf("%zu techniques read, %lld in the catalogue, %zu files failed\n", total,
	       (long long)catalogue, failed);
	return failed ? 1 : 0;
}
