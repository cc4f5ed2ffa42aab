/*
 * Sigma rule check for submitted hunting rules: parses one YAML document
 * with libyaml, checks the parts every Sigma backend needs (title,
 * logsource, detection with a condition) and reads the metadata that
 * ctihub shows: id, status, level, logsource and tags. Mapping tags such
 * as attack.t1059 to ATT&CK techniques is left to the caller.
 *
 * Ownership: sigma_check fills a struct sigma_rule that the caller releases
 * with sigma_rule_free, which also accepts a zeroed struct.
 */
#ifndef CTIHUB_FORMATS_SIGMA_H
#define CTIHUB_FORMATS_SIGMA_H

#include <stddef.h>

#include "util/error.h"

/* Hard limits on the metadata read from a rule. */
#define SIGMA_TAGS_MAX 100
#define SIGMA_SCALAR_MAX 1024 /* title, id, status, level, each tag, in bytes */

struct sigma_rule {
	char *title;
	char *id;                /* NULL when the rule has none */
	char *status;            /* NULL when absent; else one of the Sigma statuses */
	char *level;             /* NULL when absent; else one of the Sigma levels */
	char *logsource_product; /* NULL when absent */
	char *logsource_category;
	char *logsource_service;
	char **tags;             /* as written, in order ("attack.t1059.001") */
	size_t tag_count;
};

/*
 * Parses len bytes of Sigma YAML. On a YAML syntax error returns
 * CH_INVALID with "YAML syntax error at line L, column C: PROBLEM"; on a
 * missing or mistyped part, CH_INVALID naming the part. A file with more
 * than one YAML document (a Sigma rule collection) is rejected.
 */
enum ch_code sigma_check(const char *text, size_t len, struct sigma_rule *out,
			 struct ch_error *err);
void sigma_rule_free(struct sigma_rule *r);

#endif
