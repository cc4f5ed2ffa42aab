/*
 * YARA rule check for submitted hunting rules: compiles the text with
 * libyara to prove it is valid and lists the rule names it defines. The
 * compiled rules are thrown away because ctihub stores rules as text.
 * Includes are disabled, so a client's rule text can never make the
 * server open a file.
 *
 * Ownership: yara_check fills a struct yara_check_result that the caller
 * releases with yara_check_result_free, which also accepts a zeroed struct.
 */
#ifndef CTIHUB_FORMATS_YARA_CHECK_H
#define CTIHUB_FORMATS_YARA_CHECK_H

#include <stddef.h>

#include "util/error.h"

/* Compiler warnings kept in a result; the rest are counted only. */
#define YARA_WARNINGS_MAX 20

struct yara_check_result {
	char **rule_names;        /* identifiers in source order, private rules too */
	size_t rule_count;
	char **warnings;          /* "line N: MESSAGE", at most YARA_WARNINGS_MAX */
	size_t warning_count;
	size_t warnings_dropped;  /* warnings beyond YARA_WARNINGS_MAX */
};

/*
 * Compiles len bytes of YARA source. text must be NUL-terminated at
 * text[len], because libyara reads a C string, and must not contain NUL
 * before that. On a compile error returns CH_INVALID with the first error
 * as "line N: MESSAGE". Calls from several threads are safe because
 * each call uses its own compiler.
 */
enum ch_code yara_check(const char *text, size_t len, struct yara_check_result *out,
			struct ch_error *err);
void yara_check_result_free(struct yara_check_result *r);

#endif
