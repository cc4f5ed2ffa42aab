/*
 * The free-text reader: every indicator anywhere in an analyst write-up.
 * Hosts found inside a URL are linked to the URL by the extractor and are
 * not stored on their own; the URL carries its registrable domain.
 *
 * The text is extracted in chunks that end at a line break, because each
 * match the extractor lists costs about 4 KB until it is stored: a whole
 * 34 MB text of 800,000 distinct values took 3.8 GB at once. A line longer
 * than a chunk is extracted whole. A value is stored once per text, at its
 * first top-level match in any chunk, and a host that some chunk names on
 * its own is stored as well, as when the whole text is extracted in one
 * pass.
 */
#include <string.h>

#include "ingest/batch.h"

/* Bytes of text per extraction. Dense text lists about 6,000 matches in
 * that much, about 25 MB. */
#define CHUNK_BYTES (256 * 1024)

/* Returns the end of the chunk that starts at from: just after the last line
 * break within CHUNK_BYTES, or else just after the first one beyond, or the
 * end of the text. A cut anywhere else could split a value, or "ASN 13335",
 * which spans a space. */
static size_t chunk_end(const char *data, size_t len, size_t from)
{
	size_t limit = len - from > CHUNK_BYTES ? from + CHUNK_BYTES : len;
	const char *next;

	if (limit == len)
		return len;
	for (size_t i = limit; i > from; i--) {
		if (data[i - 1] == '\n')
			return i;
	}
	next = memchr(data + limit, '\n', len - limit);
	return next ? (size_t)(next - data) + 1 : len;
}

enum ch_code ingest_text(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err)
{
	struct ioc_match_list matches;
	struct ioc_value_set *stored = ioc_value_set_new();
	enum ch_code rc = CH_OK;
	size_t pos = 0;

	ioc_match_list_init(&matches);
	while (pos < len && rc == CH_OK) {
		size_t end = chunk_end(data, len, pos);

		matches.count = 0;
		rc = ioc_extract(data + pos, end - pos, run->opt->warnlists, &matches, err);
		for (size_t i = 0; rc == CH_OK && i < matches.count; i++) {
			if (matches.items[i].parent >= 0 ||
			    !ioc_value_set_add(stored, &matches.items[i].ioc))
				continue;
			rc = batch_add(run, &matches.items[i].ioc, err);
		}
		pos = end;
		run->pos = pos;
		run_release_input(run, pos);
		if (rc == CH_OK && run->opt->on_progress_cb)
			run->opt->on_progress_cb(run->opt->ctx, pos, len);
		if (rc == CH_OK && pos < len && run_stopped(run))
			rc = ch_fail(err, CH_INTERRUPTED, "ingest of %s interrupted at byte %zu",
				     run->name, pos);
	}
	ioc_match_list_free(&matches);
	ioc_value_set_free(stored);
	return rc;
}
