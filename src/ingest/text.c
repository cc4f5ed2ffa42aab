/*
 * The free-text reader: every indicator anywhere in an analyst write-up.
 * Hosts found inside a URL are linked to the URL by the extractor and are
 * not stored on their own; the URL carries its registrable domain.
 */
#include "ingest/batch.h"

enum ch_code ingest_text(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err)
{
	struct ioc_match_list matches;
	enum ch_code rc;

	ioc_match_list_init(&matches);
	rc = ioc_extract(data, len, run->opt->warnlists, &matches, err);
	if (rc != CH_OK)
		goto out;

	for (size_t i = 0; i < matches.count; i++) {
		if (matches.items[i].parent >= 0)
			continue;
		rc = batch_add(run, &matches.items[i].ioc, err);
		if (rc != CH_OK)
			goto out;
	}
	if (run->opt->on_progress_cb)
		run->opt->on_progress_cb(run->opt->ctx, len, len);

out:
	ioc_match_list_free(&matches);
	return rc;
}
