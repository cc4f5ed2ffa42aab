/*
 * Ingest: turns a file of indicators (a plain list, free text or a CSV
 * feed) into a report and its sightings in the store.
 *
 * Bad values never stop an ingest: each is passed to the on_invalid
 * callback and counted. Sightings are committed in batches, so an
 * interrupted ingest (a signal that sets *stop, Ctrl-C, kill -9) keeps every
 * batch committed before it. The module never prints; the CLI owns output.
 */
#ifndef CTIHUB_INGEST_INGEST_H
#define CTIHUB_INGEST_INGEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"
#include "policy/tlp.h"
#include "store/store.h"
#include "util/error.h"

enum ingest_format {
	INGEST_AUTO = 0,
	INGEST_TEXT, /* free text: every indicator anywhere in the input */
	INGEST_LIST, /* one value per line; '#' starts a comment line */
	INGEST_CSV,  /* delimited feed with indicator columns */
};

const char *ingest_format_name(enum ingest_format format);
enum ch_code ingest_format_parse(const char *name, enum ingest_format *format,
				 struct ch_error *err);

/* Hard limit on one input file. */
#define INGEST_FILE_MAX ((size_t)4 * 1024 * 1024 * 1024)

struct ingest_options {
	enum ingest_format format;
	const char *source;   /* source name; NULL means the file's base name */
	enum tlp_level tlp;
	int confidence;       /* 0..100 */
	const char *column;   /* CSV indicator column (name or 1-based number), or NULL */
	const struct ioc_warnlists *warnlists; /* may be NULL */
	size_t batch_size;    /* sightings per transaction; 0 means the default */
	int64_t now;          /* sighting time */

	/* Called for each value that does not parse. line is 1-based; 0 when
	 * the format has no lines. */
	void (*on_invalid_cb)(void *ctx, const char *file, size_t line, const char *value,
			      size_t value_len, const char *reason);
	/* Called now and then with bytes processed so far. */
	void (*on_progress_cb)(void *ctx, size_t done, size_t total);
	void *ctx;
	/* Set from a signal handler to stop after the current batch. */
	volatile sig_atomic_t *stop;
};

struct ingest_summary {
	enum ingest_format format;  /* the format used after detection */
	char source[128];
	bool report_existed;        /* same content from the same source seen before */
	int64_t report_id;
	size_t values;              /* valid values read, duplicates included */
	size_t new_indicators;      /* indicators the store did not have */
	size_t invalid;             /* values rejected with a reason */
	size_t warned;              /* valid values with at least one warning */
	size_t bytes;
	char column[128];           /* CSV column used, for the summary */
};

/* Ingests one file, or standard input when path is "-". */
enum ch_code ingest_path(struct store *st, const char *path, const struct ingest_options *opt,
			 struct ingest_summary *summary, struct ch_error *err);

/* Ingests a buffer that the caller keeps alive for the call. name is used
 * in messages and as the default source. */
enum ch_code ingest_buffer(struct store *st, const char *name, const char *data, size_t len,
			   const struct ingest_options *opt, struct ingest_summary *summary,
			   struct ch_error *err);

#endif
