/*
 * Report kinds and their validation. A report arrives as a JSON object
 * (from the API, and later from chat forms); report_validate checks every
 * field of its kind, rejects unknown fields, runs every indicator through
 * the indicator engine and returns a normalised report ready to store.
 * Validation never touches the store: the ATT&CK catalogue is reached
 * through a callback, so this module stays testable on its own.
 *
 * Ownership: report_validate fills a struct report_input that the caller
 * releases with report_input_free, which also accepts a zeroed struct.
 */
#ifndef CTIHUB_MODEL_REPORT_H
#define CTIHUB_MODEL_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ioc/ioc.h"
#include "policy/tlp.h"
#include "util/error.h"

enum report_kind {
	REPORT_IOC = 0,
	REPORT_ATTACK,
	REPORT_VULN,
	REPORT_HUNTING,
	REPORT_DARKNET,
	REPORT_DISINFO,
	REPORT_FEED,
	REPORT_KIND_COUNT
};

/* "ioc", "attack", "vuln", "hunting", "darknet", "disinfo", "feed". */
const char *report_kind_name(enum report_kind kind);
enum ch_code report_kind_parse(const char *name, enum report_kind *kind, struct ch_error *err);

/* Hard limits on report input. Characters are UTF-8 code points. */
#define REPORT_TEXT_MAX 20000       /* any free-text field, in bytes */
#define REPORT_EXPLOITATION_MAX 3000 /* attack: how the event was exploited, in characters */
#define REPORT_SHORT_TEXT_MAX 500    /* attack: description, in characters */
#define REPORT_TITLE_MAX 200         /* in characters, one line */
#define REPORT_NAME_MAX 200          /* one-line names such as organisation, in characters */
#define REPORT_INDICATORS_MAX 10000  /* indicators in one report */
#define REPORT_INDICATOR_TEXT_MAX ((size_t)1024 * 1024) /* "indicators" as text, in bytes */
/* A YARA or Sigma rule, in bytes. Real rules that list hashes are large:
 * SigmaHQ's driver_load_win_vuln_drivers.yml is 288 KiB. */
#define REPORT_RULE_MAX (1024 * 1024)
#define REPORT_LIST_MAX 100          /* techniques, CVEs, share_with entries, ... */

/* Looks an ATT&CK technique id up in the imported catalogue. Returns true
 * when known; *revoked tells whether it was revoked or deprecated. */
typedef bool (*report_technique_lookup_cb)(void *ctx, const char *technique_id, bool *revoked);

struct report_context {
	report_technique_lookup_cb technique_lookup; /* NULL: no catalogue */
	void *technique_ctx;
	size_t technique_catalogue_size;             /* 0 when nothing was imported */
	const struct ioc_warnlists *warnlists;       /* may be NULL */
};

struct report_input {
	enum report_kind kind;
	enum tlp_level tlp;
	bool anonymous;
	char *title;            /* one-line summary for lists and digests */
	/* Normalised kind-specific fields as stored and returned by the API:
	 * canonical values, TA ids for tactics, upper-case CVE and country. */
	json_t *fields;
	/* Every indicator the report names, canonical and deduplicated, in the
	 * order of the fields. start and end are byte offsets into the
	 * "indicators" text when it was given as text, and 0 otherwise;
	 * parent is always -1. */
	struct ioc_match_list indicators;
	/* ATT&CK technique ids (T1566, T1566.001) to link, deduplicated. */
	char **techniques;
	size_t technique_count;
	/* Organisation names (AMBER+STRICT) and user names (RED) that may read
	 * the report besides the submitter; taken from "share_with". */
	char **share_orgs;
	size_t share_org_count;
	char **share_users;
	size_t share_user_count;
	/* Non-fatal notes returned to the submitter, such as Sigma tags that
	 * name techniques missing from the catalogue. A JSON array of strings. */
	json_t *notes;
};

/*
 * Validates a report body. Common fields: "kind" (required), "tlp"
 * (default AMBER; WHITE is read as CLEAR), "title", and "share_with"
 * ({"orgs": [...], "users": [...]}). On failure err names the field (in
 * err->field, dotted for nested fields such as "share_with.orgs", with an
 * index for array elements such as "indicators[3]") and the reason, and
 * out is untouched. ctx may be NULL: no catalogue and no warning lists.
 * The field list of each kind is report_kind_fields in report_kinds.c.
 */
enum ch_code report_validate(const json_t *body, const struct report_context *ctx,
			     struct report_input *out, struct ch_error *err);
void report_input_free(struct report_input *in);

#endif
