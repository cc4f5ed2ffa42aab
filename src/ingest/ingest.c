/*
 * Ingest entry points: map the input, hash it, pick the format, create the
 * report and hand the bytes to the per-format reader.
 *
 * The SHA-256 of the input identifies a submission: the same bytes from the
 * same source map to the same report, so re-ingesting a file adds no rows.
 */
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/batch.h"
#include "util/alloc.h"
#include "util/utf8.h"

static const char *const format_names[] = {
	[INGEST_AUTO] = "auto",
	[INGEST_TEXT] = "text",
	[INGEST_LIST] = "list",
	[INGEST_CSV] = "csv",
};

const char *ingest_format_name(enum ingest_format format)
{
	if ((size_t)format >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[format];
}

enum ch_code ingest_format_parse(const char *name, enum ingest_format *format,
				 struct ch_error *err)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (strcasecmp(name, format_names[i]) == 0) {
			*format = (enum ingest_format)i;
			return CH_OK;
		}
	}
	return ch_fail(err, CH_USAGE, "invalid format '%s': use auto, text, list or csv", name);
}

/* A list is a file where most lines are one indicator each. The first 200
 * content lines decide; a list with some bad lines is still a list, so the
 * bad lines get reported one by one instead of silently skipped. */
static bool looks_like_list(const char *data, size_t len, const struct ioc_warnlists *wl)
{
	size_t pos = 0, lines = 0, good = 0;
	struct ioc *ioc = xmalloc(sizeof(*ioc));

	while (pos < len && lines < 200) {
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t start = 0;

		pos += n + 1;
		while (start < n && (line[start] == ' ' || line[start] == '\t' || line[start] == '\r'))
			start++;
		if (start == n || line[start] == '#')
			continue;
		lines++;
		if (ioc_parse(line + start, n - start, wl, ioc, NULL) == CH_OK)
			good++;
	}
	free(ioc);
	return lines > 0 && good * 2 >= lines;
}

static enum ingest_format detect_format(const char *name, const char *data, size_t len,
					const struct ioc_warnlists *wl)
{
	if (ingest_looks_like_csv(name, data, len))
		return INGEST_CSV;
	if (looks_like_list(data, len, wl))
		return INGEST_LIST;
	return INGEST_TEXT;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)data, len);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
}

void run_hash_input(const struct ingest_run *run, char out[65])
{
	sha256_hex(run->data, run->len, out);
}

/* Runs on the writer thread, before its first batch. */
enum ch_code run_open_report(struct ingest_run *run, struct ch_error *err)
{
	struct store_report_new report = { 0 };
	char digest[65];
	enum ch_code rc;

	rc = store_begin(run->store, err);
	if (rc != CH_OK)
		return rc;
	run->in_transaction = true;

	rc = store_source_ensure(run->store, run->summary->source, &run->source_id, err);
	if (rc != CH_OK)
		return rc;

	report.source_id = run->source_id;
	report.kind = "file";
	report.title = run->name;
	report.tlp = run->opt->tlp;
	report.created = run->opt->now;
	if (!run->hasher_started) {
		sha256_hex(run->data, run->len, digest);
		report.content_sha256 = digest;
		run->report_hashed = true;
	}
	return store_report_ensure(run->store, &report, &run->report_id,
				   &run->summary->report_existed, err);
}

/* Runs before the first commit: waits for the hasher thread, then gives
 * the report its hash, or merges it into the source's earlier report of
 * the same bytes. */
enum ch_code run_finish_report(struct ingest_run *run, struct ch_error *err)
{
	if (run->report_hashed)
		return CH_OK;
	pthread_mutex_lock(&run->lock);
	while (!run->digest_ready)
		pthread_cond_wait(&run->changed, &run->lock);
	pthread_mutex_unlock(&run->lock);
	run->report_hashed = true;
	return store_report_set_hash(run->store, run->source_id, run->digest, &run->report_id,
				     &run->summary->report_existed, err);
}

/* Ingests data. When mapped is true, data is a private read-only file
 * mapping, whose pages the readers may drop once read. */
static enum ch_code ingest_data(struct store *st, const char *name, const char *data, size_t len,
				bool mapped, const struct ingest_options *opt,
				struct ingest_summary *summary, struct ch_error *err)
{
	struct ingest_run run = { .store = st, .opt = opt, .summary = summary, .name = name,
				  .data = data, .len = len, .mapped = mapped };
	enum ch_code rc;

	memset(summary, 0, sizeof(*summary));
	summary->bytes = len;
	const char *source = opt->source ? opt->source : base_name(name);
	size_t cut = strlen(source);

	/* A long file name is cut at a character boundary. */
	if (cut >= sizeof(summary->source)) {
		cut = sizeof(summary->source) - 1;
		while (cut > 0 && ((unsigned char)source[cut] & 0xC0) == 0x80)
			cut--;
	}
	memcpy(summary->source, source, cut);
	summary->source[cut] = '\0';
	utf8_mask_unprintable(summary->source, strlen(summary->source));
	summary->format = opt->format != INGEST_AUTO
			  ? opt->format : detect_format(name, data, len, opt->warnlists);

	rc = batch_init(&run, err);
	if (rc != CH_OK)
		goto out;

	switch (summary->format) {
	case INGEST_LIST:
		rc = ingest_list(&run, data, len, err);
		break;
	case INGEST_CSV:
		rc = ingest_csv(&run, data, len, err);
		break;
	default:
		rc = ingest_text(&run, data, len, err);
		break;
	}

	/* Commit what was read even when stopped, so no accepted value is lost.
	 * After a failure the writer is still waited for, so the store is
	 * quiet before it is rolled back below. */
	if (rc == CH_OK || rc == CH_INTERRUPTED) {
		struct ch_error finish_err = { 0 };
		enum ch_code finish_rc = batch_finish(&run, &finish_err);

		if (finish_rc != CH_OK) {
			rc = finish_rc;
			*err = finish_err;
		}
	}

out:
	/* batch_free joins the writer, so the store is idle before rollback,
	 * and the report id that the writer set can be read. */
	batch_free(&run);
	summary->report_id = run.report_id;
	if (run.in_transaction)
		store_rollback(st);
	return rc;
}

enum ch_code ingest_buffer(struct store *st, const char *name, const char *data, size_t len,
			   const struct ingest_options *opt, struct ingest_summary *summary,
			   struct ch_error *err)
{
	return ingest_data(st, name, data, len, false, opt, summary, err);
}

/* Copies standard input into an anonymous temporary file so it can be
 * mapped and hashed like any other input. It waits for input at most
 * STDIN_POLL_MS at a time, so that a signal that sets *stop ends the wait
 * even when the writer of a pipe keeps it open. */
#define STDIN_POLL_MS 100

static enum ch_code spool_stdin(int *fd_out, volatile sig_atomic_t *stop, struct ch_error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	char chunk[65536];
	size_t total = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/ctihub-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return ch_fail(err, CH_IO, "cannot create a temporary file in %s: %s; set TMPDIR",
			       dir && *dir ? dir : "/tmp", strerror(errno));
	unlink(path);

	for (;;) {
		struct pollfd ready = { .fd = STDIN_FILENO, .events = POLLIN };

		if (stop && *stop) {
			close(fd);
			return ch_fail(err, CH_INTERRUPTED, "standard input was interrupted before "
							    "its end, and nothing from it was stored");
		}
		int waited = poll(&ready, 1, STDIN_POLL_MS);

		if (waited == 0 || (waited < 0 && errno == EINTR))
			continue;
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, chunk, (size_t)n) != n) {
			close(fd);
			return ch_fail(err, CH_IO, "cannot copy standard input: %s", strerror(errno));
		}
		total += (size_t)n;
		if (total > INGEST_FILE_MAX) {
			close(fd);
			return ch_fail(err, CH_TOO_LARGE,
				       "standard input is larger than the %zu-byte limit; split it",
				       INGEST_FILE_MAX);
		}
	}
	*fd_out = fd;
	return CH_OK;
}

enum ch_code ingest_path(struct store *st, const char *path, const struct ingest_options *opt,
			 struct ingest_summary *summary, struct ch_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	char shown[4096];
	const char *name = is_stdin ? "stdin" : shown;
	struct stat sb;
	void *map = NULL;
	enum ch_code rc;
	int fd = -1;

	memset(summary, 0, sizeof(*summary));
	/* Messages and the source name show the path with control characters
	 * and bytes that are not UTF-8 as '?'. */
	utf8_masked_copy(shown, sizeof(shown), path);
	if (is_stdin) {
		rc = spool_stdin(&fd, opt->stop, err);
		if (rc != CH_OK)
			return rc;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ch_fail(err, CH_IO, "cannot open '%s': %s", name, strerror(errno));
	}

	if (fstat(fd, &sb) < 0) {
		rc = ch_fail(err, CH_IO, "cannot read '%s': %s", name, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = ch_fail(err, CH_IO, "'%s' is not a regular file", name);
		goto out;
	}
	if ((uint64_t)sb.st_size > INGEST_FILE_MAX) {
		rc = ch_fail(err, CH_TOO_LARGE, "'%s' is larger than the %zu-byte limit; split it",
			     name, INGEST_FILE_MAX);
		goto out;
	}

	if (sb.st_size > 0) {
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			rc = ch_fail(err, CH_IO, "cannot map '%s': %s", name, strerror(errno));
			goto out;
		}
		madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	}
	rc = ingest_data(st, name, map ? map : "", (size_t)sb.st_size, map != NULL, opt, summary,
			 err);

out:
	if (map)
		munmap(map, (size_t)sb.st_size);
	close(fd);
	return rc;
}
