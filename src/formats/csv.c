/*
 * CSV reader for threat feeds: the tokenizer (csv_next), the dialect sniffer
 * (csv_sniff) and the mapping from feed columns to indicator columns. The
 * tokenizer copies each record's unquoted field text into one fixed buffer
 * per reader, so the caller's data is never written and every record is
 * bounded by CSV_FIELDS_MAX and CSV_RECORD_MAX. After an over-limit or
 * malformed record the reader moves to a known place and keeps going,
 * because one bad line in a feed of thousands should not lose the rest.
 */
#include "formats/csv.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/buf.h"

#define TEXT_SIZE (CSV_RECORD_MAX + CSV_FIELDS_MAX)
/* Maximum bytes of a header name that the name table and the header vote consider. */
#define COLUMN_NAME_MAX 64
/* Error messages list header names up to about this many bytes. */
#define COLUMN_LIST_SHOWN_MAX 240
/* Each header name in an error message is cut to this many bytes. */
#define COLUMN_NAME_SHOWN_MAX 40

static const char zeek_fields_tag[] = "#fields";
static const char utf8_bom[] = "\xEF\xBB\xBF";
/* In order of preference when two delimiters split a sample equally well. */
static const char candidate_delimiters[] = { ',', '\t', ';', '|' };

/* Progress through one record in read_record. */
struct record_state {
	size_t start_pos;   /* offset of the record's first byte */
	size_t start_line;
	size_t count;       /* fields seen, including any beyond CSV_FIELDS_MAX */
	size_t content_len; /* field text stored, without the NULs */
	bool too_long;      /* field text passed CSV_RECORD_MAX */
};

void csv_reader_init(struct csv_reader *r, const char *data, size_t len, char delimiter)
{
	/* These bytes have a fixed meaning in the syntax. */
	assert(delimiter != '"');
	assert(delimiter != '\n');
	assert(delimiter != '\r');

	r->data = data;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	r->delimiter = delimiter;
	r->text = NULL;
	r->text_len = 0;

	/* Spreadsheet exports often start with a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(data, utf8_bom, 3) == 0)
		r->pos = 3;
}

void csv_reader_free(struct csv_reader *r)
{
	free(r->text);
	r->text = NULL;
}

static void skip_line(struct csv_reader *r)
{
	const char *newline = memchr(r->data + r->pos, '\n', r->len - r->pos);

	if (!newline) {
		r->pos = r->len;
		return;
	}
	r->pos = (size_t)(newline - r->data) + 1;
	r->line++;
}

static bool is_blank_line(const struct csv_reader *r)
{
	const char *p = r->data + r->pos;
	size_t rest = r->len - r->pos;

	return p[0] == '\n' || (p[0] == '\r' && (rest == 1 || p[1] == '\n'));
}

/*
 * Moves past blank lines and '#' comment lines. Returns true when it stops
 * at a Zeek "#fields" line, with pos moved past the tag and its delimiter
 * so that the rest of the line reads as a record of column names.
 */
static bool skip_ignored_lines(struct csv_reader *r)
{
	size_t tag_len = sizeof(zeek_fields_tag) - 1;

	while (r->pos < r->len) {
		const char *p = r->data + r->pos;
		size_t rest = r->len - r->pos;

		if (p[0] == '#') {
			if (rest > tag_len && memcmp(p, zeek_fields_tag, tag_len) == 0
			    && p[tag_len] == r->delimiter) {
				r->pos += tag_len + 1;
				return true;
			}
			skip_line(r);
		} else if (is_blank_line(r)) {
			skip_line(r);
		} else {
			return false;
		}
	}
	return false;
}

static size_t count_newlines(const char *p, size_t len)
{
	size_t count = 0;
	const char *end = p + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		count++;
		p++;
	}
	return count;
}

/* Stores field text unless the record is already over a limit, in which
 * case the rest of the record is only scanned to find where it ends. */
static void append_text(struct csv_reader *r, struct record_state *st, const char *bytes,
			size_t len)
{
	if (st->too_long || st->count >= CSV_FIELDS_MAX)
		return;
	if (len > CSV_RECORD_MAX - st->content_len) {
		st->too_long = true;
		return;
	}
	memcpy(r->text + r->text_len, bytes, len);
	r->text_len += len;
	st->content_len += len;
}

static void read_unquoted(struct csv_reader *r, struct record_state *st)
{
	size_t start = r->pos;
	size_t end;

	while (r->pos < r->len && r->data[r->pos] != r->delimiter && r->data[r->pos] != '\n')
		r->pos++;
	end = r->pos;

	/* The CR of a CRLF line end is not field text. */
	if (end > start && r->data[end - 1] == '\r' && (end == r->len || r->data[end] == '\n'))
		end--;
	append_text(r, st, r->data + start, end - start);
}

static enum ch_code fail_after_quote(const struct csv_reader *r, const struct record_state *st,
				     struct ch_error *err)
{
	unsigned char byte = (unsigned char)r->data[r->pos];

	if (isprint(byte))
		return ch_fail(err, CH_INVALID,
			       "line %zu: field %zu has '%c' after its closing quote; quote the "
			       "whole field and write each quote inside it as \"\"",
			       st->start_line, st->count + 1, byte);
	return ch_fail(err, CH_INVALID,
		       "line %zu: field %zu has byte 0x%02x after its closing quote; quote the "
		       "whole field and write each quote inside it as \"\"",
		       st->start_line, st->count + 1, byte);
}

/* Reads a field that starts with '"' at pos, leaving pos after the closing
 * quote and a CR that ends the line. */
static enum ch_code read_quoted(struct csv_reader *r, struct record_state *st,
				struct ch_error *err)
{
	r->pos++;
	for (;;) {
		const char *quote = memchr(r->data + r->pos, '"', r->len - r->pos);
		size_t quote_pos;

		if (!quote)
			return ch_fail(err, CH_INVALID,
				       "line %zu: field %zu opens a quote that is never closed; add "
				       "the closing quote or write a quote inside a value as \"\"",
				       st->start_line, st->count + 1);
		quote_pos = (size_t)(quote - r->data);
		r->line += count_newlines(r->data + r->pos, quote_pos - r->pos);
		append_text(r, st, r->data + r->pos, quote_pos - r->pos);
		r->pos = quote_pos + 1;

		/* "" inside a quoted field is one literal quote. */
		if (r->pos < r->len && r->data[r->pos] == '"') {
			append_text(r, st, "\"", 1);
			r->pos++;
			continue;
		}
		break;
	}

	if (r->pos < r->len && r->data[r->pos] == '\r'
	    && (r->pos + 1 == r->len || r->data[r->pos + 1] == '\n'))
		r->pos++;
	if (r->pos == r->len || r->data[r->pos] == r->delimiter || r->data[r->pos] == '\n')
		return CH_OK;
	return fail_after_quote(r, st, err);
}

/* Ends the current field, storing where its text starts and NUL-terminating it. */
static void finish_field(struct csv_reader *r, struct record_state *st, size_t text_start)
{
	if (!st->too_long && st->count < CSV_FIELDS_MAX) {
		r->fields[st->count] = r->text + text_start;
		r->lengths[st->count] = r->text_len - text_start;
		r->text[r->text_len++] = '\0';
	}
	st->count++;
}

/* Reads fields up to the end of the line that ends the record, scanning
 * to the end even when a limit is passed. */
static enum ch_code read_record(struct csv_reader *r, struct record_state *st,
				struct ch_error *err)
{
	r->text_len = 0;
	for (;;) {
		size_t text_start = r->text_len;

		if (r->pos < r->len && r->data[r->pos] == '"') {
			enum ch_code rc = read_quoted(r, st, err);

			if (rc != CH_OK)
				return rc;
		} else {
			read_unquoted(r, st);
		}
		finish_field(r, st, text_start);

		if (r->pos < r->len && r->data[r->pos] == r->delimiter) {
			r->pos++;
			continue;
		}
		if (r->pos < r->len) {
			/* read_unquoted and read_quoted stop only at the delimiter, LF or the end. */
			r->pos++;
			r->line++;
		}
		break;
	}

	if (st->count > CSV_FIELDS_MAX)
		return ch_fail(err, CH_TOO_LARGE,
			       "line %zu: the record has %zu fields, more than the maximum of %d; "
			       "check the delimiter and look for a stray quote",
			       st->start_line, st->count, CSV_FIELDS_MAX);
	if (st->too_long)
		return ch_fail(err, CH_TOO_LARGE,
			       "line %zu: the record has more than the maximum of %d bytes of field "
			       "text; if it should be shorter, look for a stray quote that runs on "
			       "over many lines",
			       st->start_line, CSV_RECORD_MAX);
	return CH_OK;
}

enum ch_code csv_next(struct csv_reader *r, struct csv_record *rec, struct ch_error *err)
{
	struct record_state st = { 0 };
	bool zeek_header;
	enum ch_code rc;

	zeek_header = skip_ignored_lines(r);
	if (!zeek_header && r->pos >= r->len)
		return ch_fail(err, CH_NOT_FOUND, "no more records, because the data ends at line %zu",
			       r->line);

	if (!r->text)
		r->text = xmalloc(TEXT_SIZE);
	st.start_pos = r->pos;
	st.start_line = r->line;
	rc = read_record(r, &st, err);

	/* A malformed record may have read its quote from any later line, so
	 * the only safe place to go on is the line after its first line.
	 * NOTE: an unterminated quote scans to the end of the data, so a file
	 * with many of them costs time proportional to lines times file size. */
	if (rc == CH_INVALID) {
		r->pos = st.start_pos;
		r->line = st.start_line;
		skip_line(r);
	}
	if (rc != CH_OK)
		return rc;

	rec->fields = r->fields;
	rec->lengths = r->lengths;
	rec->count = st.count;
	rec->line = st.start_line;
	return CH_OK;
}

/*
 * Column name table. Names are in normalised form (see normalise_name), so
 * "dst_ip", "DstIP" and "dst-ip" all match "dstip". Only names whose
 * columns contain the indicator itself belong here: link columns such as
 * urlhaus_link, reference, link and source_url point to a report about the
 * indicator and must stay out. The Network*, Email*, DomainName, Url,
 * FileHash* and TrafficLightProtocolLevel names are columns of Microsoft
 * Sentinel's ThreatIntelligenceIndicator table, as listed in the Azure
 * Monitor Logs reference for that table.
 */
enum column_role {
	ROLE_NONE = 0,
	ROLE_INDICATOR,
	ROLE_TYPE,
	ROLE_TYPE_FALLBACK, /* a plain "type" column, used when no specific one exists */
	ROLE_FIRST_SEEN,
	ROLE_TLP,
};

static const struct {
	const char *name;
	enum column_role role;
} column_names[] = {
	/* Generic names for the indicator column. */
	{ "ioc", ROLE_INDICATOR },
	{ "iocvalue", ROLE_INDICATOR },
	{ "indicator", ROLE_INDICATOR },
	{ "indicatorvalue", ROLE_INDICATOR },
	{ "value", ROLE_INDICATOR },
	{ "observable", ROLE_INDICATOR },
	{ "observablevalue", ROLE_INDICATOR },
	/* Addresses. */
	{ "ip", ROLE_INDICATOR },
	{ "ipaddress", ROLE_INDICATOR },
	{ "ipaddr", ROLE_INDICATOR },
	{ "ipv4", ROLE_INDICATOR },
	{ "ipv6", ROLE_INDICATOR },
	{ "dstip", ROLE_INDICATOR },
	{ "srcip", ROLE_INDICATOR },
	{ "destinationip", ROLE_INDICATOR },
	{ "sourceip", ROLE_INDICATOR },
	{ "cidr", ROLE_INDICATOR },
	{ "networkip", ROLE_INDICATOR },
	{ "networkdestinationip", ROLE_INDICATOR },
	{ "networksourceip", ROLE_INDICATOR },
	{ "networkcidrblock", ROLE_INDICATOR },
	{ "networkdestinationcidrblock", ROLE_INDICATOR },
	{ "networksourcecidrblock", ROLE_INDICATOR },
	{ "emailsourceipaddress", ROLE_INDICATOR },
	{ "asn", ROLE_INDICATOR },
	{ "networkdestinationasn", ROLE_INDICATOR },
	{ "networksourceasn", ROLE_INDICATOR },
	/* Names and URLs. */
	{ "domain", ROLE_INDICATOR },
	{ "domainname", ROLE_INDICATOR },
	{ "hostname", ROLE_INDICATOR },
	{ "host", ROLE_INDICATOR },
	{ "fqdn", ROLE_INDICATOR },
	{ "url", ROLE_INDICATOR },
	{ "email", ROLE_INDICATOR },
	{ "emailaddress", ROLE_INDICATOR },
	{ "emailsenderaddress", ROLE_INDICATOR },
	{ "emailsourcedomain", ROLE_INDICATOR },
	/* File hashes. */
	{ "md5", ROLE_INDICATOR },
	{ "md5hash", ROLE_INDICATOR },
	{ "sha1", ROLE_INDICATOR },
	{ "sha1hash", ROLE_INDICATOR },
	{ "sha256", ROLE_INDICATOR },
	{ "sha256hash", ROLE_INDICATOR },
	{ "sha512", ROLE_INDICATOR },
	{ "sha512hash", ROLE_INDICATOR },
	{ "hash", ROLE_INDICATOR },
	{ "filehash", ROLE_INDICATOR },
	{ "filehashvalue", ROLE_INDICATOR },
	/* Vulnerabilities. */
	{ "cve", ROLE_INDICATOR },
	{ "cveid", ROLE_INDICATOR },
	/* The indicator's type, such as "sha256" or Zeek's "Intel::ADDR". A
	 * plain "type" is only a fallback because in the Sentinel table it
	 * contains the table's name. */
	{ "type", ROLE_TYPE_FALLBACK },
	{ "indicatortype", ROLE_TYPE },
	{ "ioctype", ROLE_TYPE },
	{ "observabletype", ROLE_TYPE },
	{ "filehashtype", ROLE_TYPE },
	/* When the feed first saw the indicator. */
	{ "firstseen", ROLE_FIRST_SEEN },
	{ "firstseenutc", ROLE_FIRST_SEEN },
	{ "datefirstseen", ROLE_FIRST_SEEN },
	{ "dateadded", ROLE_FIRST_SEEN },
	/* TLP marking. */
	{ "tlp", ROLE_TLP },
	{ "tlplevel", ROLE_TLP },
	{ "trafficlightprotocollevel", ROLE_TLP },
};

/* Writes name in lower case without ' ', '_', '-' and '.' into out.
 * Returns false when the result does not fit, which no table name needs. */
static bool normalise_name(const char *name, size_t len, char out[COLUMN_NAME_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == ' ' || c == '_' || c == '-' || c == '.')
			continue;
		if (n + 1 >= COLUMN_NAME_MAX)
			return false;
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
	return true;
}

static enum column_role column_role(const char *name, size_t len)
{
	char normalised[COLUMN_NAME_MAX];

	if (!normalise_name(name, len, normalised))
		return ROLE_NONE;
	for (size_t i = 0; i < sizeof(column_names) / sizeof(column_names[0]); i++) {
		if (strcmp(normalised, column_names[i].name) == 0)
			return column_names[i].role;
	}
	return ROLE_NONE;
}

/* Writes the header's names, comma-separated, into list, which needs a
 * maximum of at least COLUMN_LIST_SHOWN_MAX + 8. A long list ends in "...". */
static void format_column_list(const struct csv_record *header, struct buf *list)
{
	for (size_t i = 0; i < header->count; i++) {
		size_t len = header->lengths[i];

		if (len > COLUMN_NAME_SHOWN_MAX)
			len = COLUMN_NAME_SHOWN_MAX;
		if (list->len + len + 2 > COLUMN_LIST_SHOWN_MAX) {
			(void)buf_append_str(list, "...");
			return;
		}
		/* The check above keeps these appends inside the maximum. */
		if (i > 0)
			(void)buf_append_str(list, ", ");
		(void)buf_append(list, header->fields[i], len);
	}
}

enum ch_code csv_map_header(const struct csv_record *header, struct csv_columns *out,
			    struct ch_error *err)
{
	struct csv_columns columns = {
		.indicator_count = 0,
		.type = CSV_COLUMN_NONE,
		.first_seen = CSV_COLUMN_NONE,
		.tlp = CSV_COLUMN_NONE,
	};
	size_t type_fallback = CSV_COLUMN_NONE;
	struct buf list;
	enum ch_code rc;

	for (size_t i = 0; i < header->count; i++) {
		switch (column_role(header->fields[i], header->lengths[i])) {
		case ROLE_INDICATOR:
			if (columns.indicator_count < CSV_INDICATOR_COLUMNS_MAX)
				columns.indicators[columns.indicator_count++] = i;
			break;
		case ROLE_TYPE:
			if (columns.type == CSV_COLUMN_NONE)
				columns.type = i;
			break;
		case ROLE_TYPE_FALLBACK:
			if (type_fallback == CSV_COLUMN_NONE)
				type_fallback = i;
			break;
		case ROLE_FIRST_SEEN:
			if (columns.first_seen == CSV_COLUMN_NONE)
				columns.first_seen = i;
			break;
		case ROLE_TLP:
			if (columns.tlp == CSV_COLUMN_NONE)
				columns.tlp = i;
			break;
		case ROLE_NONE:
			break;
		}
	}
	if (columns.type == CSV_COLUMN_NONE)
		columns.type = type_fallback;
	if (columns.indicator_count > 0) {
		*out = columns;
		return CH_OK;
	}

	buf_init(&list, COLUMN_LIST_SHOWN_MAX + 8);
	format_column_list(header, &list);
	rc = ch_fail(err, CH_NOT_FOUND,
		     "no indicator column in the header at line %zu (columns: %s); use --column "
		     "NAME or a 1-based number",
		     header->line, list.data ? list.data : "");
	buf_free(&list);
	return rc;
}

/* Parses a 1-based column number of digits only. Returns false for other
 * text and sets *number to SIZE_MAX when the digits do not fit. */
static bool parse_column_number(const char *spec, size_t *number)
{
	size_t value = 0;

	if (spec[0] == '\0')
		return false;
	for (const char *p = spec; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
	}
	for (const char *p = spec; *p; p++) {
		size_t digit = (size_t)(*p - '0');

		if (value > (SIZE_MAX - digit) / 10) {
			value = SIZE_MAX;
			break;
		}
		value = value * 10 + digit;
	}
	*number = value;
	return true;
}

static enum ch_code find_column_number(const struct csv_record *record, const char *spec,
				       size_t number, size_t *column, struct ch_error *err)
{
	if (number == 0)
		return ch_fail(err, CH_USAGE,
			       "invalid column number 0; columns are numbered from 1 to %zu",
			       record->count);
	if (number > record->count)
		return ch_fail(err, CH_NOT_FOUND,
			       "column %s is out of range; the record at line %zu has columns 1 to %zu",
			       spec, record->line, record->count);
	*column = number - 1;
	return CH_OK;
}

enum ch_code csv_find_column(const struct csv_record *record, bool has_header, const char *spec,
			     size_t *column, struct ch_error *err)
{
	size_t spec_len = strlen(spec);
	size_t number;
	struct buf list;
	enum ch_code rc;

	if (parse_column_number(spec, &number))
		return find_column_number(record, spec, number, column, err);
	if (spec_len == 0)
		return ch_fail(err, CH_USAGE, "empty column name; use --column NAME or a 1-based number");
	if (!has_header)
		return ch_fail(err, CH_USAGE,
			       "column '%s' cannot be found by name because the data has no header; "
			       "use a 1-based number from 1 to %zu",
			       spec, record->count);

	for (size_t i = 0; i < record->count; i++) {
		if (record->lengths[i] == spec_len
		    && strncasecmp(record->fields[i], spec, spec_len) == 0) {
			*column = i;
			return CH_OK;
		}
	}

	buf_init(&list, COLUMN_LIST_SHOWN_MAX + 8);
	format_column_list(record, &list);
	rc = ch_fail(err, CH_NOT_FOUND,
		     "column '%s' not found in the header at line %zu (columns: %s); use --column "
		     "NAME or a 1-based number",
		     spec, record->line, list.data ? list.data : "");
	buf_free(&list);
	return rc;
}

enum ch_code csv_guess_column(const char *data, size_t len, const struct csv_dialect *dialect,
			      csv_indicator_test_cb test, void *ctx, size_t *column,
			      struct ch_error *err)
{
	struct csv_reader r;
	size_t hits[CSV_FIELDS_MAX] = { 0 };
	size_t sampled = 0;
	size_t best = 0;
	bool header_pending = dialect->has_header;
	enum ch_code rc;

	csv_reader_init(&r, data, len, dialect->delimiter);
	while (sampled < CSV_SAMPLE_RECORDS) {
		struct csv_record rec;

		rc = csv_next(&r, &rec, NULL);
		if (rc == CH_NOT_FOUND)
			break;
		if (header_pending) {
			header_pending = false;
			continue;
		}
		if (rc != CH_OK)
			continue;

		sampled++;
		for (size_t i = 0; i < rec.count; i++) {
			if (test(rec.fields[i], rec.lengths[i], ctx))
				hits[i]++;
		}
	}

	for (size_t i = 1; i < CSV_FIELDS_MAX; i++) {
		if (hits[i] > hits[best])
			best = i;
	}
	if (sampled == 0) {
		rc = ch_fail(err, CH_NOT_FOUND,
			     "the data has no readable records to find the indicator column in");
		goto out;
	}
	if (hits[best] * 2 < sampled) {
		rc = ch_fail(err, CH_NOT_FOUND,
			     "no column contains indicators in at least half of the first %zu "
			     "records (best: column %zu with %zu); use --column NUMBER",
			     sampled, best + 1, hits[best]);
		goto out;
	}
	*column = best;
	rc = CH_OK;
out:
	csv_reader_free(&r);
	return rc;
}

/* Split counts of one candidate delimiter over the sampled records. */
struct split_stats {
	size_t records;      /* records sampled, including ones with errors */
	size_t split;        /* records split into two or more fields */
	size_t mode_fields;  /* most common field count of two or more, or 0 */
	size_t mode_records; /* records with mode_fields fields */
};

/* Samples the records that start before CSV_SNIFF_WINDOW, at most
 * CSV_SAMPLE_RECORDS, read with delimiter. */
static void sample_delimiter(const char *data, size_t len, char delimiter,
			     struct split_stats *stats)
{
	struct csv_reader r;
	size_t histogram[CSV_FIELDS_MAX + 1] = { 0 };
	struct split_stats s = { 0 };

	csv_reader_init(&r, data, len, delimiter);
	while (s.records < CSV_SAMPLE_RECORDS && r.pos < CSV_SNIFF_WINDOW) {
		struct csv_record rec;
		enum ch_code rc = csv_next(&r, &rec, NULL);

		if (rc == CH_NOT_FOUND)
			break;
		s.records++;
		/* A record that fails to parse counts against the delimiter. */
		if (rc != CH_OK)
			continue;
		histogram[rec.count]++;
		if (rec.count > 1)
			s.split++;
	}
	for (size_t n = 2; n <= CSV_FIELDS_MAX; n++) {
		if (histogram[n] > s.mode_records) {
			s.mode_records = histogram[n];
			s.mode_fields = n;
		}
	}
	csv_reader_free(&r);
	*stats = s;
}

/* Returns true when the delimiter splits more than half of the sampled
 * records into one common number of fields, as it does in a real CSV file. */
static bool splits_consistently(const struct split_stats *s)
{
	return s->mode_fields > 0 && s->mode_records * 2 > s->records;
}

static bool splits_better(const struct split_stats *a, const struct split_stats *b)
{
	if (splits_consistently(a) != splits_consistently(b))
		return splits_consistently(a);
	if (a->mode_records != b->mode_records)
		return a->mode_records > b->mode_records;
	return a->mode_fields > b->mode_fields;
}

static enum ch_code choose_delimiter(const char *data, size_t len, char *delimiter,
				     struct ch_error *err)
{
	struct split_stats stats[sizeof(candidate_delimiters)];
	size_t count = sizeof(candidate_delimiters);
	size_t best = 0;

	for (size_t i = 0; i < count; i++)
		sample_delimiter(data, len, candidate_delimiters[i], &stats[i]);
	if (stats[0].records == 0)
		return ch_fail(err, CH_NOT_FOUND,
			       "the data contains no records, only blank lines and '#' comments");

	for (size_t i = 1; i < count; i++) {
		if (splits_better(&stats[i], &stats[best]))
			best = i;
	}

	/* One column: keep values whole by choosing the delimiter they contain least. */
	if (!splits_consistently(&stats[best])) {
		best = 0;
		for (size_t i = 1; i < count; i++) {
			if (stats[i].split < stats[best].split)
				best = i;
		}
	}
	*delimiter = candidate_delimiters[best];
	return CH_OK;
}

/* Returns true when s could be a column name: a letter or '_' first, then
 * letters, digits, '_', '-', ' ', '(' or ')'. Bytes from 0x80 count as
 * letters so that UTF-8 names pass. A long run of hex digits is a hash,
 * not a name. */
static bool looks_like_name(const char *s, size_t len)
{
	size_t hex_digits = 0;
	unsigned char first = (unsigned char)s[0];

	if (len == 0 || len > COLUMN_NAME_MAX)
		return false;
	if (!isalpha(first) && first != '_' && first < 0x80)
		return false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isxdigit(c))
			hex_digits++;
		if (!isalnum(c) && c < 0x80 && c != '_' && c != '-' && c != ' ' && c != '('
		    && c != ')')
			return false;
	}
	return !(len >= 32 && hex_digits == len);
}

/* Evidence from the records below the first about each of its columns. */
struct column_evidence {
	bool repeated[CSV_FIELDS_MAX];     /* the first value recurs below */
	size_t values[CSV_FIELDS_MAX];     /* non-empty values below */
	size_t data_like[CSV_FIELDS_MAX];  /* of those, ones that do not look like names */
};

static void gather_evidence(struct csv_reader *r, const struct csv_record *first,
			    struct column_evidence *ev)
{
	size_t sampled = 1;

	while (sampled < CSV_SAMPLE_RECORDS && r->pos < CSV_SNIFF_WINDOW) {
		struct csv_record rec;
		enum ch_code rc = csv_next(r, &rec, NULL);

		if (rc == CH_NOT_FOUND)
			break;
		sampled++;
		if (rc != CH_OK)
			continue;

		for (size_t i = 0; i < rec.count && i < first->count; i++) {
			size_t len = rec.lengths[i];

			if (len == first->lengths[i] && memcmp(rec.fields[i], first->fields[i], len) == 0)
				ev->repeated[i] = true;
			if (len == 0)
				continue;
			ev->values[i]++;
			if (!looks_like_name(rec.fields[i], len))
				ev->data_like[i]++;
		}
	}
}

/*
 * Returns +1 when column i of the first record reads as a header name, -1
 * when it reads as data and 0 when it could be either. A header name looks
 * like a name and does not recur as a value below it. It stands out most
 * when it is a known column name or the values below are not name-like.
 */
static int vote_column(const struct csv_record *first, const struct column_evidence *ev,
		       size_t i)
{
	const char *value = first->fields[i];
	size_t len = first->lengths[i];

	if (len == 0)
		return 0;
	if (ev->repeated[i] || !looks_like_name(value, len))
		return -1;
	if (column_role(value, len) != ROLE_NONE)
		return 1;
	if (ev->data_like[i] * 2 > ev->values[i])
		return 1;
	return 0;
}

/* Decides whether the first record is a header by a vote of its columns. */
static bool detect_header(const char *data, size_t len, char delimiter)
{
	struct csv_reader first_reader;
	struct csv_reader reader;
	struct csv_record first;
	struct csv_record skipped;
	struct column_evidence *ev = xcalloc(1, sizeof(*ev));
	int votes = 0;

	/* Two readers, so the first record stays valid while the second
	 * reader walks the records below it. */
	csv_reader_init(&first_reader, data, len, delimiter);
	csv_reader_init(&reader, data, len, delimiter);
	if (csv_next(&first_reader, &first, NULL) != CH_OK)
		goto out;
	(void)csv_next(&reader, &skipped, NULL);

	gather_evidence(&reader, &first, ev);
	for (size_t i = 0; i < first.count; i++)
		votes += vote_column(&first, ev, i);
out:
	csv_reader_free(&first_reader);
	csv_reader_free(&reader);
	free(ev);
	return votes > 0;
}

static bool starts_with_zeek_header(const char *data, size_t len)
{
	struct csv_reader r;
	bool found;

	csv_reader_init(&r, data, len, '\t');
	found = skip_ignored_lines(&r);
	csv_reader_free(&r);
	return found;
}

enum ch_code csv_sniff(const char *data, size_t len, struct csv_dialect *out,
		       struct ch_error *err)
{
	struct csv_dialect dialect = { .delimiter = '\t', .has_header = true };
	enum ch_code rc;

	if (starts_with_zeek_header(data, len)) {
		*out = dialect;
		return CH_OK;
	}

	rc = choose_delimiter(data, len, &dialect.delimiter, err);
	if (rc != CH_OK)
		return rc;
	dialect.has_header = detect_header(data, len, dialect.delimiter);
	*out = dialect;
	return CH_OK;
}
