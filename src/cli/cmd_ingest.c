/*
 * ctihub ingest: read files, feeds or text into the store and print what
 * happened. Bad values are listed as FILE:LINE: VALUE: REASON and counted;
 * only I/O and database errors make the command fail.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/ingest.h"
#include "util/timeutil.h"
#include "util/utf8.h"

/* Inputs at least this large get a progress bar on a terminal. */
#define PROGRESS_MIN_BYTES ((size_t)4 * 1024 * 1024)

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct ingest_output {
	size_t max_errors; /* invalid values printed per file; 0 means all */
	size_t printed;
	bool progress;
	int last_percent;
};

static void print_help(void)
{
	printf("Usage: ctihub ingest [OPTIONS] FILE...|-\n"
	       "\n"
	       "Reads indicators from each FILE (or standard input for -) into the store.\n"
	       "Each file becomes one report of its source; ingesting the same bytes from the\n"
	       "same source again adds no rows and only updates last_seen and times_seen.\n"
	       "\n"
	       "Options:\n"
	       "  --format FORMAT     auto (default), text (free text), list (one value per line)\n"
	       "                      or csv (delimited feed)\n"
	       "  --source NAME       source name recorded with the report (default: file name)\n"
	       "  --tlp LEVEL         TLP of the report: CLEAR, GREEN, AMBER (default),\n"
	       "                      AMBER+STRICT or RED\n"
	       "  --confidence N      reporter confidence, 0 to 100 (default 50)\n"
	       "  --column COLUMN     CSV indicator column, by header name or 1-based number\n"
	       "  --max-errors N      invalid values printed per file (default 100, 0 = all)\n"
	       "  --batch-size N      values per transaction (default: chosen by the ingest,\n"
	       "                      about 250000)\n"
	       "  --warninglist PATH  flag values found on this MISP warning list\n"
	       "  --db PATH           database file (default $CTIHUB_DB or ./ctihub.db)\n"
	       "  -h, --help          show this help\n");
}

static void on_invalid(void *ctx, const char *file, size_t line, const char *value,
		       size_t value_len, const char *reason)
{
	struct ingest_output *out = ctx;

	(void)value;
	(void)value_len;
	out->printed++;
	if (out->max_errors && out->printed > out->max_errors) {
		if (out->printed == out->max_errors + 1)
			fprintf(stderr, "%s: further invalid values are counted but not shown "
				"(use --max-errors 0 to show all)\n", file);
		return;
	}
	if (line)
		fprintf(stderr, "%s:%zu: %s\n", file, line, reason);
	else
		fprintf(stderr, "%s: %s\n", file, reason);
}

static void on_progress(void *ctx, size_t done, size_t total)
{
	struct ingest_output *out = ctx;
	int percent, filled;

	if (!out->progress || total == 0)
		return;
	percent = (int)(done * 100 / total);
	if (percent == out->last_percent)
		return;
	out->last_percent = percent;
	filled = percent / 5;
	fprintf(stderr, "\r[%.*s%*s] %3d%% of %.1f MB", filled, "####################",
		20 - filled, "", percent, (double)total / (1024.0 * 1024.0));
	if (done >= total)
		fputc('\n', stderr);
}

/* Copies path for display, "stdin" for "-", with control characters and
 * bytes that are not UTF-8 as '?', so that a file name cannot send escape
 * sequences to the terminal. Returns out. */
static const char *shown_path(const char *path, char *out, size_t size)
{
	return utf8_masked_copy(out, size, strcmp(path, "-") == 0 ? "stdin" : path);
}

static void print_summary(const char *path, const struct ingest_summary *s)
{
	printf("%s: %zu values read as %s", path, s->values, ingest_format_name(s->format));
	if (s->column[0])
		printf(" (column %s)", s->column);
	printf(", %zu new indicators, %zu invalid, %zu with warnings; source %s, report %lld%s\n",
	       s->new_indicators, s->invalid, s->warned, s->source, (long long)s->report_id,
	       s->report_existed ? " (seen before)" : "");
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "source", required_argument, NULL, 's' },
		{ "tlp", required_argument, NULL, 't' },
		{ "confidence", required_argument, NULL, 'c' },
		{ "column", required_argument, NULL, 'C' },
		{ "max-errors", required_argument, NULL, 'm' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_options opt = { .tlp = TLP_AMBER, .confidence = 50 };
	struct ingest_output out = { .max_errors = 100, .last_percent = -1 };
	struct ioc_warnlists *wl = NULL;
	struct store *st = NULL;
	struct ch_error err = { 0 };
	size_t total_values = 0, total_new = 0, total_invalid = 0;
	int status = 0, c;
	long n;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(c, optarg))
			continue;
		switch (c) {
		case 'f':
			if (ingest_format_parse(optarg, &opt.format, &err) != CH_OK)
				return cli_usage_error("ingest", "%s", err.message);
			break;
		case 's': {
			char shown[sizeof(((struct ingest_summary *)0)->source)];
			size_t len = strlen(optarg);

			if (len == 0)
				return cli_usage_error("ingest", "invalid --source: empty; give a name "
							 "or leave the option out");
			if (len >= sizeof(shown))
				return cli_usage_error("ingest", "invalid --source: %zu bytes, the "
							 "maximum is %zu; use a shorter name",
						       len, sizeof(shown) - 1);
			memcpy(shown, optarg, len + 1);
			if (utf8_mask_unprintable(shown, len))
				return cli_usage_error("ingest", "invalid --source '%s': use UTF-8 text "
							 "without control characters", shown);
			opt.source = optarg;
			break;
		}
		case 't':
			if (tlp_parse(optarg, &opt.tlp, &err) != CH_OK)
				return cli_usage_error("ingest", "%s", err.message);
			break;
		case 'c':
			if (!cli_parse_long(optarg, 0, 100, &n))
				return cli_usage_error("ingest", "invalid confidence '%s': use 0 to 100", optarg);
			opt.confidence = (int)n;
			break;
		case 'C':
			opt.column = optarg;
			break;
		case 'm':
			if (!cli_parse_long(optarg, 0, 1000000000, &n))
				return cli_usage_error("ingest", "invalid --max-errors '%s': use a count", optarg);
			out.max_errors = (size_t)n;
			break;
		case 'b':
			if (!cli_parse_long(optarg, 1, 10000000, &n))
				return cli_usage_error("ingest", "invalid --batch-size '%s': use 1 to 10000000", optarg);
			opt.batch_size = (size_t)n;
			break;
		case 'h':
			print_help();
			return 0;
		default:
			return cli_usage_error("ingest", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("ingest", "no FILE given (use - for standard input)");
	for (int j = optind, dashes = 0; j < argc; j++) {
		if (strcmp(argv[j], "-") == 0 && ++dashes > 1)
			return cli_usage_error("ingest", "standard input ('-') is given twice; "
						 "name it once");
	}

	status = cli_load_warnlists(&wl);
	if (status == 0)
		status = cli_open_store(&st);
	if (status != 0)
		goto out;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	opt.warnlists = wl;
	opt.now = time_now();
	opt.on_invalid_cb = on_invalid;
	opt.on_progress_cb = on_progress;
	opt.ctx = &out;
	opt.stop = &stop_requested;

	int i;

	for (i = optind; i < argc && !stop_requested; i++) {
		struct ingest_summary summary;
		enum ch_code rc;

		out.printed = 0;
		out.last_percent = -1;
		out.progress = false;
		if (isatty(STDERR_FILENO) && strcmp(argv[i], "-") != 0) {
			FILE *probe = fopen(argv[i], "rb");

			if (probe && fseek(probe, 0, SEEK_END) == 0 && ftell(probe) >= (long)PROGRESS_MIN_BYTES)
				out.progress = true;
			if (probe)
				fclose(probe);
		}

		rc = ingest_path(st, argv[i], &opt, &summary, &err);
		if ((rc == CH_OK || rc == CH_INTERRUPTED) && summary.report_id > 0) {
			struct ch_error audit_err = { 0 };
			char detail[192];

			/* The audit log records every write from the CLI too. */
			snprintf(detail, sizeof(detail), "%zu values, %zu new, source %s%s",
				 summary.values, summary.new_indicators, summary.source,
				 rc == CH_INTERRUPTED ? ", interrupted" : "");
			if (cli_audit(st, "ingest", "report", summary.report_id, detail, &audit_err) !=
			    CH_OK)
				fprintf(stderr, "ctihub: %s: the audit entry was not written: %s\n",
					shown_path(argv[i], detail, sizeof(detail)), audit_err.message);
		}
		if (rc == CH_OK || (rc == CH_INTERRUPTED && summary.report_id > 0)) {
			char shown[4096];

			print_summary(shown_path(argv[i], shown, sizeof(shown)), &summary);
			total_values += summary.values;
			total_new += summary.new_indicators;
			total_invalid += summary.invalid;
		}
		if (rc == CH_INTERRUPTED) {
			fprintf(stderr, "ctihub: %s; everything read so far is committed\n", err.message);
			status = ch_code_exit_status(rc);
			i++;
			break;
		}
		if (rc != CH_OK) {
			/* A file that cannot be read does not stop the others. */
			status = cli_fail(rc, &err);
			if (rc == CH_DB)
				break;
		}
	}
	if (argc - optind > 1)
		printf("total: %zu values, %zu new indicators, %zu invalid\n", total_values, total_new,
		       total_invalid);
	/* A signal that arrives between two files stops before the next one,
	 * so the files not started are named and the exit status is 130. */
	if (stop_requested && i < argc) {
		fprintf(stderr, "ctihub: interrupted; not ingested:");
		for (int j = i; j < argc; j++) {
			char shown[4096];

			fprintf(stderr, " %s", shown_path(argv[j], shown, sizeof(shown)));
		}
		fputc('\n', stderr);
		status = ch_code_exit_status(CH_INTERRUPTED);
	} else if (stop_requested && status == 0) {
		fprintf(stderr, "ctihub: interrupted after the input was read; everything is "
				"committed\n");
	}

out:
	store_close(st);
	ioc_warnlists_free(wl);
	return status;
}
