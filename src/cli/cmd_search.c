/*
 * ctihub search: look indicators up by any spelling; the value goes through
 * the indicator engine first, so defanged input finds the canonical row.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/timeutil.h"

static void print_help(void)
{
	printf("Usage: ctihub search [--json] VALUE...\n"
	       "\n"
	       "Looks each VALUE up (defanged forms such as hxxp://evil[.]com accepted) and\n"
	       "prints what the store has: first and last seen, times seen, TLP, sources.\n"
	       "Exits 1 when none of the values is found.\n"
	       "\n"
	       "Options:\n"
	       "  --json      print a JSON array\n"
	       "  --db PATH   database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  -h, --help  show this help\n");
}

static void print_text(const struct store_indicator *ind)
{
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX], warnings[256];

	time_format_iso(ind->first_seen, first, sizeof(first));
	time_format_iso(ind->last_seen, last, sizeof(last));
	printf("%s\t%s\n", ioc_type_name(ind->type), ind->value);
	printf("  first seen:  %s\n", first);
	printf("  last seen:   %s\n", last);
	printf("  times seen:  %lld\n", (long long)ind->times_seen);
	printf("  TLP:         %s\n", tlp_name(ind->tlp));
	printf("  confidence:  %d\n", ind->confidence);
	if (ind->registrable)
		printf("  registrable domain: %s\n", ind->registrable);
	printf("  reports:     %zu\n", ind->report_count);
	printf("  sources:    ");
	for (char **s = ind->sources; s && *s; s++)
		printf(" %s", *s);
	printf("\n");
	if (ind->warnings) {
		ioc_warnings_format(ind->warnings, warnings, sizeof(warnings));
		printf("  warnings:    %s", warnings);
		if (ind->warnlist)
			printf(" (%s)", ind->warnlist);
		printf("\n");
	}
}

static json_t *indicator_json(const char *input, const struct store_indicator *ind)
{
	json_t *obj = json_object();
	json_t *sources = json_array();
	char first[TIME_ISO_MAX], last[TIME_ISO_MAX];

	time_format_iso(ind->first_seen, first, sizeof(first));
	time_format_iso(ind->last_seen, last, sizeof(last));
	json_object_set_new(obj, "input", cli_json_text(input));
	json_object_set_new(obj, "type", json_string(ioc_type_name(ind->type)));
	json_object_set_new(obj, "value", cli_json_text(ind->value));
	json_object_set_new(obj, "first_seen", json_string(first));
	json_object_set_new(obj, "last_seen", json_string(last));
	json_object_set_new(obj, "times_seen", json_integer(ind->times_seen));
	json_object_set_new(obj, "tlp", json_string(tlp_name(ind->tlp)));
	json_object_set_new(obj, "confidence", json_integer(ind->confidence));
	if (ind->registrable)
		json_object_set_new(obj, "registrable_domain", json_string(ind->registrable));
	json_object_set_new(obj, "report_count", json_integer((json_int_t)ind->report_count));
	for (char **s = ind->sources; s && *s; s++)
		json_array_append_new(sources, cli_json_text(*s));
	json_object_set_new(obj, "sources", sources);
	if (ind->warnlist)
		json_object_set_new(obj, "warninglist", json_string(ind->warnlist));
	return obj;
}

int cmd_search(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	struct ioc *ioc = NULL;
	json_t *results = NULL;
	bool as_json = false;
	size_t found = 0;
	int status, opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'j':
			as_json = true;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("search", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("search", "no VALUE given");

	status = cli_open_store(&st);
	if (status != 0)
		return status;

	ioc = xmalloc(sizeof(*ioc));
	if (as_json)
		results = json_array();
	for (int i = optind; i < argc; i++) {
		struct ch_error err = { 0 };
		struct store_indicator ind;
		enum ch_code rc = ioc_parse(argv[i], strlen(argv[i]), NULL, ioc, &err);

		if (rc == CH_OK)
			rc = store_indicator_get(st, ioc->type, ioc->value, &ind, &err);
		if (rc == CH_DB) {
			status = cli_fail(rc, &err);
			goto out;
		}
		if (rc != CH_OK) {
			fprintf(stderr, "ctihub: %s\n", err.message);
			continue;
		}
		found++;
		if (as_json)
			json_array_append_new(results, indicator_json(argv[i], &ind));
		else
			print_text(&ind);
		store_indicator_free(&ind);
	}
	if (as_json) {
		json_dumpf(results, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	status = found ? 0 : 1;

out:
	json_decref(results);
	free(ioc);
	store_close(st);
	return status;
}
