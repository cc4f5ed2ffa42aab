/*
 * The list reader: one value per line. Blank lines and lines starting with
 * '#' are skipped; anything after the value on the same line is part of the
 * value, so "evil.com # note" is rejected with its reason, not half-read.
 */
#include "ingest/batch.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* Progress is reported every this many bytes. */
#define PROGRESS_STEP (1u << 20)

enum ch_code ingest_list(struct ingest_run *run, const char *data, size_t len,
			 struct ch_error *err)
{
	struct ioc *ioc = xmalloc(sizeof(*ioc));
	struct ch_error parse_err;
	size_t pos = 0, line_no = 0, next_progress = PROGRESS_STEP;
	enum ch_code rc = CH_OK;

	while (pos < len) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t start = 0, end = n;

		pos += n + 1;
		line_no++;
		while (start < end && (line[start] == ' ' || line[start] == '\t'))
			start++;
		while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t' ||
				       line[end - 1] == '\r'))
			end--;
		if (start == end || line[start] == '#')
			continue;

		if (ioc_parse(line + start, end - start, run->opt->warnlists, ioc, &parse_err) != CH_OK) {
			run_invalid(run, line_no, line + start, end - start, parse_err.message);
			continue;
		}
		run->pos = pos;
		rc = batch_add(run, ioc, err);
		if (rc != CH_OK)
			break;

		if (pos >= next_progress) {
			if (run->opt->on_progress_cb)
				run->opt->on_progress_cb(run->opt->ctx, pos, len);
			next_progress = pos + PROGRESS_STEP;
			run_release_input(run, pos);
			if (run_stopped(run)) {
				rc = ch_fail(err, CH_INTERRUPTED, "ingest of %s interrupted at line %zu",
					     run->name, line_no);
				break;
			}
		}
	}
	if (rc == CH_OK && run->opt->on_progress_cb)
		run->opt->on_progress_cb(run->opt->ctx, len, len);
	free(ioc);
	return rc;
}
