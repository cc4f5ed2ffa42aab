/*
 * ctihub parse: the indicator engine on the command line.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"

static void print_help(void)
{
	printf("Usage: ctihub parse [--json] VALUE...\n"
	       "\n"
	       "Refangs, classifies and canonicalises each VALUE and prints one line per\n"
	       "value: TYPE<TAB>CANONICAL, or invalid<TAB>REASON. Exits 1 when any value\n"
	       "is invalid.\n"
	       "\n"
	       "Options:\n"
	       "  --json              print a JSON array with warnings and registrable domains\n"
	       "  --warninglist PATH  flag values found on this MISP warning list (file or folder)\n"
	       "  -h, --help          show this help\n");
}

static json_t *warnings_json(uint32_t warnings)
{
	json_t *list = json_array();

	for (int b = 0; b < IOC_WARN_COUNT_BITS; b++) {
		if (warnings & (1u << b))
			json_array_append_new(list, json_string(ioc_warning_name((enum ioc_warning)(1u << b))));
	}
	return list;
}

static json_t *result_json(const char *input, enum ch_code rc, const struct ioc *ioc,
			   const struct ch_error *err)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "input", cli_json_text(input));
	if (rc != CH_OK) {
		json_object_set_new(obj, "type", json_string("invalid"));
		json_object_set_new(obj, "error", cli_json_text(err->message));
		return obj;
	}
	json_object_set_new(obj, "type", json_string(ioc_type_name(ioc->type)));
	json_object_set_new(obj, "value", json_stringn(ioc->value, ioc->value_len));
	if (ioc->registrable[0])
		json_object_set_new(obj, "registrable_domain", json_string(ioc->registrable));
	json_object_set_new(obj, "warnings", warnings_json(ioc->warnings));
	if (ioc->warnlist_name)
		json_object_set_new(obj, "warninglist", json_string(ioc->warnlist_name));
	return obj;
}

static void print_text(enum ch_code rc, const struct ioc *ioc, const struct ch_error *err)
{
	if (rc != CH_OK) {
		printf("invalid\t%s\n", err->message);
		return;
	}
	printf("%s\t%s\n", ioc_type_name(ioc->type), ioc->value);
}

int cmd_parse(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ioc_warnlists *wl = NULL;
	struct ioc *ioc;
	json_t *results = NULL;
	bool as_json = false;
	int status = 0, opt;

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
			return cli_usage_error("parse", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("parse", "no VALUE given");

	status = cli_load_warnlists(&wl);
	if (status != 0)
		return status;

	ioc = xmalloc(sizeof(*ioc));
	if (as_json)
		results = json_array();
	for (int i = optind; i < argc; i++) {
		struct ch_error err = { 0 };
		enum ch_code rc = ioc_parse(argv[i], strlen(argv[i]), wl, ioc, &err);

		if (rc != CH_OK)
			status = 1;
		if (as_json)
			json_array_append_new(results, result_json(argv[i], rc, ioc, &err));
		else
			print_text(rc, ioc, &err);
	}
	if (as_json) {
		json_dumpf(results, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(results);
	}

	free(ioc);
	ioc_warnlists_free(wl);
	return status;
}
