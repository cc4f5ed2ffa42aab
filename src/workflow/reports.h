/*
 * Storing a validated report: the ATT&CK catalogue lookup that
 * report_validate needs, and the one transaction that writes the report
 * with its readers, technique links and sightings. The API and the chat
 * bridge both create reports through these functions, so the readers of
 * an AMBER+STRICT or RED report are worked out the same way everywhere.
 */
#ifndef CTIHUB_WORKFLOW_REPORTS_H
#define CTIHUB_WORKFLOW_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ioc/warnlist.h"
#include "model/report.h"
#include "policy/access.h"
#include "store/store.h"

/* The store behind report_context.technique_lookup. failed is set when a
 * lookup hit a store error, so the validation result cannot be trusted. */
struct workflow_catalogue {
	struct store *st;
	bool failed;
};

/* Fills ctx so that report_validate looks techniques up in the store's
 * catalogue through cat, which must outlive the validation. */
void workflow_report_context(struct workflow_catalogue *cat, struct store *st,
			     const struct ioc_warnlists *warnlists, struct report_context *ctx);

/*
 * Stores a validated report submitted by who in one transaction. The
 * submitter's organisation (AMBER+STRICT) or the submitter (RED) is added
 * to the readers named in share_with, so the submitter can always read
 * what they sent. CH_INVALID names a share_with organisation or user that
 * does not exist.
 */
enum ch_code workflow_report_save(struct store *st, const struct report_input *in,
				  const struct principal *who, int64_t *id, struct ch_error *err);

#endif
