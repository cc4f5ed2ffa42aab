/*
 * LE referrals: the fields of the escalation form, their validation, and
 * the states a referral moves through.
 *
 *   new --assign/acknowledge--> acknowledged --> in_progress --close--> closed
 *    \___________________________________________________close__/       |
 *                             in_progress <-------reopen---------------+
 *
 * Validation never touches the store, like report_validate: it checks a
 * JSON body (from the API, the CLI or a chat form), runs every indicator
 * through the indicator engine and fills a struct referral_input that the
 * caller frees with referral_input_free (a zeroed struct is fine too).
 */
#ifndef CTIHUB_MODEL_REFERRAL_H
#define CTIHUB_MODEL_REFERRAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"
#include "ioc/warnlist.h"
#include "policy/tlp.h"
#include "util/error.h"

#define REFERRAL_SUMMARY_MAX 500   /* characters, one line */
#define REFERRAL_LOCATION_MAX 200  /* characters, one line */
#define REFERRAL_REPLY_MAX 20000   /* bytes */
#define REFERRAL_REPORTS_MAX 100   /* linked reports */
#define REFERRAL_AGENCY_MAX 200    /* characters, one line */
#define REFERRAL_NOTE_MAX 800      /* close note or reopen reason, bytes */

/* Incident types and objectives, in the order forms list them. The
 * stored value is the id; the label is what forms show. */
struct referral_choice {
	const char *id;
	const char *label;
};

extern const struct referral_choice referral_incident_types[];
extern const struct referral_choice referral_objectives[];
extern const struct referral_choice referral_resolutions[];
extern const char *const referral_states[]; /* new, acknowledged, in_progress, closed */

/* Finds a choice by id or label, case-insensitive, with spaces, hyphens
 * and underscores alike ("data breach", "Data-Breach" and "data_breach").
 * Returns the canonical id, or NULL. */
const char *referral_choice_find(const struct referral_choice *choices, const char *text);

/* true when text names a state; "open" is not a state. */
bool referral_state_valid(const char *text);

struct referral_input {
	enum tlp_level tlp;           /* default AMBER */
	char *summary;
	char *details;
	const char *incident_type;    /* static canonical id */
	const char *objective;        /* static canonical id */
	char *illegal_reason;
	char *victim_location;
	char *suspect_location;
	char *suspect_info;
	bool documentation_available;
	char *documentation;
	bool contact_allowed;
	char *contact_method;
	char *reporter_handle;
	int64_t *report_ids;
	size_t report_count;
	struct ioc_match_list indicators; /* canonical, deduplicated */
	json_t *notes;                    /* array of strings for the submitter */
};

/*
 * Validates a referral body. Fields: summary (required), incident_type
 * (required), objective (required), tlp, details, illegal_reason,
 * victim_location, suspect_location, suspect_info,
 * documentation_available, documentation, contact_allowed,
 * contact_method, reporter_handle, reports (array of report ids),
 * indicators (text or array of strings). Unknown fields are refused.
 * On failure err names the field and out is untouched.
 */
enum ch_code referral_validate(const json_t *body, const struct ioc_warnlists *warnlists,
			       struct referral_input *out, struct ch_error *err);
void referral_input_free(struct referral_input *in);

/* Checks an attachment's file name: UTF-8, one line of at most 200
 * characters without control characters, slashes or "." and "..". */
enum ch_code referral_check_file_name(const char *name, struct ch_error *err);

/* Checks the free text of an action (an agency, a close note, a reopen
 * reason) like a form field: one line of at most 200 characters, or
 * prose, without the control characters report fields reject. */
enum ch_code referral_check_note(const char *field, const char *text, bool one_line,
				 struct ch_error *err);

/* Checks a reply body: 1 to REFERRAL_REPLY_MAX bytes of text. */
enum ch_code referral_check_reply(const json_t *value, const char **text, size_t *len,
				  struct ch_error *err);

#endif
