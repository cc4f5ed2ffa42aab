/*
 * CSV reader for threat feeds. The ingest code maps a whole feed file into
 * memory and passes it here. csv_sniff guesses the delimiter and whether a
 * header comes first. csv_next splits the data into records with RFC 4180
 * quoting, plus the comment lines and the Zeek '#fields' header that feeds
 * use. csv_map_header, csv_find_column and csv_guess_column decide which
 * columns contain indicators. This is a library-style module, so it never
 * prints. It only reads the caller's data, which must stay mapped while a
 * reader uses it.
 */
#ifndef CTIHUB_FORMATS_CSV_H
#define CTIHUB_FORMATS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Maximum fields in one record. */
#define CSV_FIELDS_MAX 256
/* Maximum bytes of field text in one record after unquoting, not counting
 * the NUL that ends each field. */
#define CSV_RECORD_MAX (64 * 1024)
/* csv_sniff stops sampling at the first record that starts past this many bytes. */
#define CSV_SNIFF_WINDOW (16 * 1024)
/* csv_sniff and csv_guess_column sample at most this many records. */
#define CSV_SAMPLE_RECORDS 100
/* Maximum indicator columns that csv_map_header reports. */
#define CSV_INDICATOR_COLUMNS_MAX 16
/* Column index meaning "the file has no such column". */
#define CSV_COLUMN_NONE SIZE_MAX

struct csv_dialect {
	char delimiter;  /* ',', ';', '\t' or '|' */
	bool has_header; /* the first record is a header */
};

/*
 * One record. The fields are unquoted copies in reader-owned storage, each
 * followed by a NUL, and stay valid until the next csv_next or
 * csv_reader_free on the same reader. A field may contain NUL bytes from the
 * input, so lengths[i] is the field's true length.
 */
struct csv_record {
	const char *const *fields;
	const size_t *lengths;
	size_t count;
	size_t line; /* 1-based line number where the record starts */
};

/* Reader state. Initialise with csv_reader_init; the fields are private. */
struct csv_reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t line;  /* 1-based line number at pos */
	char delimiter;
	/* Field text of the current record, each field followed by a NUL.
	 * Allocated on the first read with CSV_RECORD_MAX + CSV_FIELDS_MAX
	 * bytes, which the limits never exceed, so it never moves. */
	char *text;
	size_t text_len;
	const char *fields[CSV_FIELDS_MAX];
	size_t lengths[CSV_FIELDS_MAX];
};

/*
 * Sniffs the dialect from at most CSV_SAMPLE_RECORDS records, stopping at
 * the first record that starts after CSV_SNIFF_WINDOW bytes.
 *
 * The delimiter is the candidate (',', '\t', ';' or '|') that splits the
 * most sampled records into one common number of fields, two or more,
 * provided that is more than half of the records; on a tie the larger
 * number of fields wins. If no candidate does, the data is taken as one
 * column and the delimiter is the candidate that splits the fewest records,
 * so a list of URLs with commas in some of them stays whole.
 *
 * A Zeek '#fields' line before the first record means tab and a header.
 * Otherwise has_header comes from a vote, column by column, between "the
 * first record looks like column names" and "it looks like the data below
 * it". Returns CH_NOT_FOUND when the data has no record at all.
 *
 * NOTE: has_header is a heuristic. A headerless file whose first values
 * look like column names (short words over numbers or addresses) reads as
 * having a header, so callers should let the user override it.
 */
enum ch_code csv_sniff(const char *data, size_t len, struct csv_dialect *out,
		       struct ch_error *err);

/* Prepares r to read data, skipping a UTF-8 byte order mark. The reader
 * borrows data and owns the field storage that csv_reader_free releases. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len, char delimiter);
void csv_reader_free(struct csv_reader *r);

/*
 * Reads the next record into rec. Fields follow RFC 4180: a field that
 * starts with '"' is quoted, "" inside it is one quote, and it may contain
 * the delimiter and line ends; a '"' inside an unquoted field is an
 * ordinary byte. Lines end in LF or CRLF. Blank lines and lines whose first
 * byte is '#' are skipped, except that a Zeek "#fields" line followed by
 * the delimiter is returned as a record of the column names after
 * "#fields".
 *
 * Returns CH_OK, or CH_NOT_FOUND at the end of the data. An error message
 * names the line where the record starts, and the next call goes on reading.
 * CH_TOO_LARGE means more than CSV_FIELDS_MAX fields or CSV_RECORD_MAX
 * bytes of field text, and reading resumes after the end of the record.
 * CH_INVALID means an unterminated quote, or a byte other than the
 * delimiter or a line end after a closing quote. Reading then resumes at
 * the line after the record's first line.
 */
enum ch_code csv_next(struct csv_reader *r, struct csv_record *rec, struct ch_error *err);

/* Feed columns that csv_map_header recognised; all indexes are 0-based. */
struct csv_columns {
	size_t indicators[CSV_INDICATOR_COLUMNS_MAX]; /* in header order */
	size_t indicator_count;
	size_t type;       /* indicator type, or CSV_COLUMN_NONE */
	size_t first_seen; /* time first seen, or CSV_COLUMN_NONE */
	size_t tlp;        /* TLP marking, or CSV_COLUMN_NONE */
};

/*
 * Maps header names to indicator columns with a table of the names that
 * common feeds use (url, ip, dst_ip, domain, sha256, FileHashValue,
 * indicator, value and others). Matching ignores case and the separators
 * ' ', '_', '-' and '.', so "File Hash", "file_hash" and "FileHash" are the
 * same name. Link columns such as urlhaus_link, reference or source_url are
 * never indicators. Beyond CSV_INDICATOR_COLUMNS_MAX, matching columns are
 * left out. The first type, first-seen and TLP columns are reported too,
 * where a specific type name such as indicator_type or FileHashType wins
 * over a plain "type".
 * Returns CH_NOT_FOUND when no column is an indicator column.
 */
enum ch_code csv_map_header(const struct csv_record *header, struct csv_columns *out,
			    struct ch_error *err);

/*
 * Finds the column that the user chose with --column: spec is a 1-based
 * number when it is all digits, else a header name compared without
 * regard to case. record is the header, or for a file without one the
 * first data record, which only sets the number of columns. Returns
 * CH_USAGE for column 0, an empty spec or a name when there is no header,
 * and CH_NOT_FOUND for a number past the last column or an unknown name.
 */
enum ch_code csv_find_column(const struct csv_record *record, bool has_header, const char *spec,
			     size_t *column, struct ch_error *err);

/* Returns true when field looks like an indicator. The indicator engine
 * supplies it, so this module does not depend on that engine. */
typedef bool (*csv_indicator_test_cb)(const char *field, size_t len, void *ctx);

/*
 * Guesses the indicator column of a file by content. It reads up to
 * CSV_SAMPLE_RECORDS data records, after the header if dialect->has_header
 * is set and skipping records with errors, and picks the column where test
 * accepts the most fields, the leftmost on a tie. Returns CH_NOT_FOUND
 * unless that column's fields pass in at least half of the sampled records.
 */
enum ch_code csv_guess_column(const char *data, size_t len, const struct csv_dialect *dialect,
			      csv_indicator_test_cb test, void *ctx, size_t *column,
			      struct ch_error *err);

#endif
