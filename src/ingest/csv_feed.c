/*
 * The CSV feed reader: picks the indicator columns (from --column, from the
 * header, or by content for a file without one) and parses each of their
 * fields. A record the tokenizer rejects is reported like a bad value and
 * reading goes on with the next one.
 */
#include "ingest/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/csv.h"
#include "util/alloc.h"

#define PROGRESS_STEP (1u << 20)

struct csv_plan {
	struct csv_dialect dialect;
	size_t columns[CSV_INDICATOR_COLUMNS_MAX];
	size_t column_count;
};

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

/* A file is a feed when its name says so, when it has a Zeek "#fields"
 * header, or when its first records all split into three or more fields
 * on one delimiter. Prose with a few commas does not pass the last test. */
bool ingest_looks_like_csv(const char *name, const char *data, size_t len)
{
	struct csv_dialect dialect;
	struct csv_reader reader;
	struct csv_record rec;
	size_t records = 0, width = 0;
	bool uniform = true;

	if (has_suffix(name, ".csv") || has_suffix(name, ".tsv"))
		return true;
	if (csv_sniff(data, len, &dialect, NULL) != CH_OK)
		return false;

	csv_reader_init(&reader, data, len < CSV_SNIFF_WINDOW ? len : CSV_SNIFF_WINDOW,
			dialect.delimiter);
	while (records < 20 && csv_next(&reader, &rec, NULL) == CH_OK) {
		if (records == 0)
			width = rec.count;
		else if (rec.count != width)
			uniform = false;
		records++;
	}
	csv_reader_free(&reader);
	return uniform && records >= 2 && width >= 3;
}

static bool field_is_indicator(const char *field, size_t len, void *ctx)
{
	struct ioc *ioc = ctx;

	return ioc_parse(field, len, NULL, ioc, NULL) == CH_OK;
}

static void describe_columns(struct ingest_run *run, const struct csv_plan *plan,
			     const struct csv_record *header)
{
	char *out = run->summary->column;
	size_t cap = sizeof(run->summary->column), used = 0;

	for (size_t i = 0; i < plan->column_count && used < cap; i++) {
		size_t col = plan->columns[i];
		int n;

		if (header && col < header->count)
			n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", header->fields[col]);
		else
			n = snprintf(out + used, cap - used, "%s%zu", i ? ", " : "", col + 1);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Chooses the indicator columns. Leaves the reader after the header. */
static enum ch_code plan_columns(struct ingest_run *run, struct csv_reader *reader,
				 const char *data, size_t len, struct csv_plan *plan,
				 struct ch_error *err)
{
	struct csv_record first;
	struct csv_columns mapped;
	enum ch_code rc;

	rc = csv_next(reader, &first, err);
	if (rc == CH_NOT_FOUND)
		return CH_NOT_FOUND;
	if (rc != CH_OK)
		return rc;

	if (run->opt->column) {
		struct ch_error column_err = { 0 };

		rc = csv_find_column(&first, plan->dialect.has_header, run->opt->column,
				     &plan->columns[0], &column_err);
		if (rc != CH_OK)
			return ch_fail(err, CH_USAGE, "%s: %s", run->name, column_err.message);
		plan->column_count = 1;
	} else if (plan->dialect.has_header &&
		   csv_map_header(&first, &mapped, NULL) == CH_OK) {
		memcpy(plan->columns, mapped.indicators, mapped.indicator_count * sizeof(size_t));
		plan->column_count = mapped.indicator_count;
	} else {
		struct ioc *scratch = xmalloc(sizeof(*scratch));

		rc = csv_guess_column(data, len, &plan->dialect, field_is_indicator, scratch,
				      &plan->columns[0], NULL);
		free(scratch);
		if (rc != CH_OK)
			return ch_fail(err, CH_INVALID,
				       "%s: no column holds indicators; name one with --column NAME "
				       "or a 1-based number",
				       run->name);
		plan->column_count = 1;
	}

	describe_columns(run, plan, plan->dialect.has_header ? &first : NULL);
	if (!plan->dialect.has_header) {
		/* The first record is data: start again from the top. */
		csv_reader_free(reader);
		csv_reader_init(reader, data, len, plan->dialect.delimiter);
	}
	return CH_OK;
}

static enum ch_code ingest_record(struct ingest_run *run, const struct csv_plan *plan,
				  const struct csv_record *rec, struct ioc *ioc,
				  struct ch_error *err)
{
	struct ch_error parse_err;

	for (size_t i = 0; i < plan->column_count; i++) {
		size_t col = plan->columns[i];
		enum ch_code rc;

		if (col >= rec->count || rec->lengths[col] == 0)
			continue;
		if (ioc_parse(rec->fields[col], rec->lengths[col], run->opt->warnlists, ioc,
			      &parse_err) != CH_OK) {
			run_invalid(run, rec->line, rec->fields[col], rec->lengths[col],
				    parse_err.message);
			continue;
		}
		rc = batch_add(run, ioc, err);
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

enum ch_code ingest_csv(struct ingest_run *run, const char *data, size_t len,
			struct ch_error *err)
{
	struct csv_plan plan = { 0 };
	struct csv_reader reader;
	struct csv_record rec;
	struct ch_error rec_err;
	struct ioc *ioc = xmalloc(sizeof(*ioc));
	size_t next_progress = PROGRESS_STEP;
	enum ch_code rc;

	rc = csv_sniff(data, len, &plan.dialect, err);
	if (rc == CH_NOT_FOUND) {
		free(ioc);
		return CH_OK; /* an empty feed has nothing to ingest */
	}
	if (rc != CH_OK)
		goto out_no_reader;

	csv_reader_init(&reader, data, len, plan.dialect.delimiter);
	rc = plan_columns(run, &reader, data, len, &plan, err);
	if (rc == CH_NOT_FOUND) {
		rc = CH_OK;
		goto out;
	}
	if (rc != CH_OK)
		goto out;

	for (;;) {
		rc = csv_next(&reader, &rec, &rec_err);
		if (rc == CH_NOT_FOUND) {
			rc = CH_OK;
			break;
		}
		if (rc != CH_OK) {
			run_invalid(run, 0, "", 0, rec_err.message);
			continue;
		}
		run->pos = reader.pos;
		rc = ingest_record(run, &plan, &rec, ioc, err);
		if (rc != CH_OK)
			break;

		if (reader.pos >= next_progress) {
			if (run->opt->on_progress_cb)
				run->opt->on_progress_cb(run->opt->ctx, reader.pos, len);
			next_progress = reader.pos + PROGRESS_STEP;
			run_release_input(run, reader.pos);
			if (run_stopped(run)) {
				rc = ch_fail(err, CH_INTERRUPTED, "ingest of %s interrupted at line %zu",
					     run->name, rec.line);
				break;
			}
		}
	}
	if (rc == CH_OK && run->opt->on_progress_cb)
		run->opt->on_progress_cb(run->opt->ctx, len, len);

out:
	csv_reader_free(&reader);
out_no_reader:
	free(ioc);
	return rc;
}
