/*
 * The digest: what is new in a period, built from store aggregates and
 * rendered as text, Markdown or JSON. Building and rendering are separate
 * so later renderers (HTML, chat blocks) reuse the same struct.
 *
 * Ownership: digest_build fills a struct the caller frees with digest_free.
 */
#ifndef CTIHUB_DIGEST_DIGEST_H
#define CTIHUB_DIGEST_DIGEST_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "util/error.h"

enum digest_format { DIGEST_TEXT, DIGEST_MARKDOWN, DIGEST_JSON };

/* Registrable domains listed in the "top" section. */
#define DIGEST_TOP_DOMAINS 10

struct digest {
	int64_t since;
	int64_t until;
	int64_t new_total;
	struct store_totals totals;
	struct store_count_list by_type;
	struct store_count_list by_source;
	struct store_count_list top_domains;
	struct store_count_list warnings;
};

enum ch_code digest_format_parse(const char *name, enum digest_format *format,
				 struct ch_error *err);
enum ch_code digest_build(struct store *st, int64_t since, int64_t until, struct digest *out,
			  struct ch_error *err);
void digest_free(struct digest *d);
/* Writes the digest to out; CH_IO when writing fails. */
enum ch_code digest_render(const struct digest *d, enum digest_format format, FILE *out,
			   struct ch_error *err);

#endif
