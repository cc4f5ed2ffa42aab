/*
 * YARA rule check with libyara 4.x. A fresh compiler per call collects the
 * first error and the warnings through its callback. Includes are disabled
 * by setting no include callback, which makes libyara reject every
 * include with "includes are disabled". The rules are compiled only to be
 * checked and then destroyed.
 */
#include "formats/yara_check.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yara.h>

#include "util/alloc.h"

/* Errors collected by the compiler callback during one yara_check call. */
struct compile_log {
	bool have_error;
	int error_line;
	char error[256];
	struct yara_check_result *result;
};

/*
 * String externals that the LOKI, THOR and SPARK scanners define for the
 * scanned file. Many published rules use them, so they are declared (as
 * empty strings) to let those rules compile. Any other external is still
 * an "undefined identifier" error.
 */
static const char *const scanner_externals[] = {
	"filename", "filepath", "extension", "filetype", "owner",
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = ERROR_SUCCESS;

/* yr_initialize is reference-counted but not thread-safe, so one thread
 * calls it once. The matching yr_finalize is never called because the
 * library stays in use until the process exits. */
static void initialize_yara(void)
{
	init_status = yr_initialize();
}

static void add_warning(struct yara_check_result *r, int line, const char *message)
{
	char text[320];

	if (r->warning_count == YARA_WARNINGS_MAX) {
		r->warnings_dropped++;
		return;
	}
	snprintf(text, sizeof(text), "line %d: %s", line, message);
	r->warnings = xreallocarray(r->warnings, r->warning_count + 1, sizeof(*r->warnings));
	r->warnings[r->warning_count++] = xstrdup(text);
}

static void compiler_cb(int error_level, const char *file_name, int line_number,
			const YR_RULE *rule, const char *message, void *user_data)
{
	struct compile_log *log = user_data;

	(void)file_name;
	(void)rule;
	if (error_level == YARA_ERROR_LEVEL_WARNING) {
		add_warning(log->result, line_number, message);
		return;
	}
	if (log->have_error)
		return;
	log->have_error = true;
	log->error_line = line_number;
	snprintf(log->error, sizeof(log->error), "%s", message);
}

static enum ch_code declare_externals(YR_COMPILER *compiler, struct ch_error *err)
{
	for (size_t i = 0; i < sizeof(scanner_externals) / sizeof(scanner_externals[0]); i++) {
		if (yr_compiler_define_string_variable(compiler, scanner_externals[i], "") !=
		    ERROR_SUCCESS)
			return ch_fail(err, CH_INTERNAL, "libyara could not define the external "
							 "variable %s",
				       scanner_externals[i]);
	}
	return CH_OK;
}

static void collect_rule_names(YR_RULES *rules, struct yara_check_result *r)
{
	const YR_RULE *rule;

	yr_rules_foreach(rules, rule) {
		r->rule_names = xreallocarray(r->rule_names, r->rule_count + 1,
					      sizeof(*r->rule_names));
		r->rule_names[r->rule_count++] = xstrdup(rule->identifier);
	}
}

enum ch_code yara_check(const char *text, size_t len, struct yara_check_result *out,
			struct ch_error *err)
{
	struct yara_check_result result = { 0 };
	struct compile_log log = { .result = &result };
	YR_COMPILER *compiler = NULL;
	YR_RULES *rules = NULL;
	enum ch_code rc;

	if (strlen(text) != len)
		return ch_fail(err, CH_INVALID, "the YARA rule contains a NUL byte; remove it");

	pthread_once(&init_once, initialize_yara);
	if (init_status != ERROR_SUCCESS)
		return ch_fail(err, CH_INTERNAL, "libyara failed to initialise (error %d)",
			       init_status);
	if (yr_compiler_create(&compiler) != ERROR_SUCCESS)
		return ch_fail(err, CH_INTERNAL, "libyara could not create a compiler");

	yr_compiler_set_callback(compiler, compiler_cb, &log);
	yr_compiler_set_include_callback(compiler, NULL, NULL, NULL);
	rc = declare_externals(compiler, err);
	if (rc != CH_OK)
		goto out;

	/* NOTE: compile time is not bounded. Many complex regular expressions
	 * within REPORT_RULE_MAX can keep a worker busy for a while. */
	if (yr_compiler_add_string(compiler, text, NULL) != 0) {
		if (log.have_error)
			rc = ch_fail(err, CH_INVALID, "line %d: %s", log.error_line, log.error);
		else
			rc = ch_fail(err, CH_INVALID, "the YARA rule does not compile");
		goto out;
	}
	if (yr_compiler_get_rules(compiler, &rules) != ERROR_SUCCESS) {
		rc = ch_fail(err, CH_INTERNAL, "libyara could not build the compiled rules");
		goto out;
	}
	collect_rule_names(rules, &result);
	if (result.rule_count == 0) {
		rc = ch_fail(err, CH_INVALID, "the YARA text defines no rule; add at least one "
					      "'rule NAME { condition: ... }'");
		goto out;
	}

	*out = result;
	memset(&result, 0, sizeof(result));
	rc = CH_OK;

out:
	if (rules)
		yr_rules_destroy(rules);
	yr_compiler_destroy(compiler);
	yara_check_result_free(&result);
	return rc;
}

void yara_check_result_free(struct yara_check_result *r)
{
	for (size_t i = 0; i < r->rule_count; i++)
		free(r->rule_names[i]);
	for (size_t i = 0; i < r->warning_count; i++)
		free(r->warnings[i]);
	free(r->rule_names);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}
