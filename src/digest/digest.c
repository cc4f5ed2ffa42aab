/*
 * Digest assembly from store aggregates.
 */
#include "digest/digest.h"

#include <string.h>
#include <strings.h>

enum ch_code digest_format_parse(const char *name, enum digest_format *format,
				 struct ch_error *err)
{
	if (strcasecmp(name, "text") == 0)
		*format = DIGEST_TEXT;
	else if (strcasecmp(name, "md") == 0 || strcasecmp(name, "markdown") == 0)
		*format = DIGEST_MARKDOWN;
	else if (strcasecmp(name, "json") == 0)
		*format = DIGEST_JSON;
	else
		return ch_fail(err, CH_USAGE, "invalid digest format '%s': use text, md or json", name);
	return CH_OK;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	store_count_list_free(&d->by_type);
	store_count_list_free(&d->by_source);
	store_count_list_free(&d->top_domains);
	store_count_list_free(&d->warnings);
}

enum ch_code digest_build(struct store *st, int64_t since, int64_t until, struct digest *out,
			  struct ch_error *err)
{
	struct digest d;
	enum ch_code rc;

	memset(&d, 0, sizeof(d));
	d.since = since;
	d.until = until;

	rc = store_totals(st, &d.totals, err);
	if (rc == CH_OK)
		rc = store_new_total(st, since, &d.new_total, err);
	if (rc == CH_OK)
		rc = store_new_by_type(st, since, &d.by_type, err);
	if (rc == CH_OK)
		rc = store_new_by_source(st, since, &d.by_source, err);
	if (rc == CH_OK)
		rc = store_top_registrable(st, since, DIGEST_TOP_DOMAINS, &d.top_domains, err);
	if (rc == CH_OK)
		rc = store_new_warnings(st, since, &d.warnings, err);
	if (rc != CH_OK) {
		digest_free(&d);
		return rc;
	}
	*out = d;
	return CH_OK;
}
