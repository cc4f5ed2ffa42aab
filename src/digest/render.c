/*
 * Digest renderers: plain text for terminals and e-mail, Markdown for chat
 * and wikis, JSON for machines.
 */
#include <jansson.h>
#include <string.h>

#include "digest/digest.h"
#include "util/timeutil.h"

static void text_section(FILE *out, const char *title, const struct store_count_list *list,
			 const char *empty)
{
	fprintf(out, "\n%s\n", title);
	if (list->count == 0) {
		fprintf(out, "  %s\n", empty);
		return;
	}
	/* Keys such as warning-list names can be long; keep the counts aligned. */
	int width = 40;

	for (size_t i = 0; i < list->count; i++) {
		size_t n = strlen(list->items[i].key);

		if (n > (size_t)width && n < 200)
			width = (int)n;
	}
	for (size_t i = 0; i < list->count; i++)
		fprintf(out, "  %-*s %8lld\n", width, list->items[i].key,
			(long long)list->items[i].count);
}

static void render_text(const struct digest *d, FILE *out, const char *since, const char *until)
{
	fprintf(out, "ctihub digest from %s to %s\n", since, until);
	fprintf(out, "\nNew indicators: %lld\n", (long long)d->new_total);
	text_section(out, "New indicators by type", &d->by_type, "none");
	text_section(out, "New indicators by source", &d->by_source, "none");
	text_section(out, "Top registrable domains", &d->top_domains, "none");
	text_section(out, "Warned about (kept, but likely benign or internal)", &d->warnings, "none");
	fprintf(out, "\nTotals: %lld indicators, %lld reports, %lld sources, %lld with warnings\n",
		(long long)d->totals.indicators, (long long)d->totals.reports,
		(long long)d->totals.sources, (long long)d->totals.warned);
}

static void md_section(FILE *out, const char *title, const char *column,
		       const struct store_count_list *list)
{
	fprintf(out, "\n## %s\n\n", title);
	if (list->count == 0) {
		fprintf(out, "None.\n");
		return;
	}
	fprintf(out, "| %s | count |\n|---|---:|\n", column);
	for (size_t i = 0; i < list->count; i++)
		fprintf(out, "| `%s` | %lld |\n", list->items[i].key, (long long)list->items[i].count);
}

static void render_markdown(const struct digest *d, FILE *out, const char *since,
			    const char *until)
{
	fprintf(out, "# ctihub digest\n\n%s to %s\n\n**New indicators: %lld**\n", since, until,
		(long long)d->new_total);
	md_section(out, "New indicators by type", "type", &d->by_type);
	md_section(out, "New indicators by source", "source", &d->by_source);
	md_section(out, "Top registrable domains", "domain", &d->top_domains);
	md_section(out, "Warned about", "warning", &d->warnings);
	fprintf(out, "\n## Totals\n\n%lld indicators, %lld reports, %lld sources, %lld with warnings.\n",
		(long long)d->totals.indicators, (long long)d->totals.reports,
		(long long)d->totals.sources, (long long)d->totals.warned);
}

static json_t *counts_json(const struct store_count_list *list, const char *key_name)
{
	json_t *array = json_array();

	for (size_t i = 0; i < list->count; i++)
		json_array_append_new(array, json_pack("{s:s, s:I}", key_name, list->items[i].key,
						       "count", (json_int_t)list->items[i].count));
	return array;
}

static enum ch_code render_json(const struct digest *d, FILE *out, const char *since,
				const char *until, struct ch_error *err)
{
	json_t *root = json_pack("{s:s, s:s, s:I}", "since", since, "until", until, "new_indicators",
				 (json_int_t)d->new_total);
	int rc;

	json_object_set_new(root, "by_type", counts_json(&d->by_type, "type"));
	json_object_set_new(root, "by_source", counts_json(&d->by_source, "source"));
	json_object_set_new(root, "top_registrable_domains", counts_json(&d->top_domains, "domain"));
	json_object_set_new(root, "warnings", counts_json(&d->warnings, "warning"));
	json_object_set_new(root, "totals",
			    json_pack("{s:I, s:I, s:I, s:I}", "indicators",
				      (json_int_t)d->totals.indicators, "reports",
				      (json_int_t)d->totals.reports, "sources",
				      (json_int_t)d->totals.sources, "with_warnings",
				      (json_int_t)d->totals.warned));
	rc = json_dumpf(root, out, JSON_INDENT(2));
	json_decref(root);
	if (rc != 0)
		return ch_fail(err, CH_IO, "cannot write the digest");
	fputc('\n', out);
	return CH_OK;
}

enum ch_code digest_render(const struct digest *d, enum digest_format format, FILE *out,
			   struct ch_error *err)
{
	char since[TIME_ISO_MAX], until[TIME_ISO_MAX];

	time_format_iso(d->since, since, sizeof(since));
	time_format_iso(d->until, until, sizeof(until));

	switch (format) {
	case DIGEST_MARKDOWN:
		render_markdown(d, out, since, until);
		break;
	case DIGEST_JSON:
		return render_json(d, out, since, until, err);
	default:
		render_text(d, out, since, until);
		break;
	}
	if (ferror(out))
		return ch_fail(err, CH_IO, "cannot write the digest");
	return CH_OK;
}
