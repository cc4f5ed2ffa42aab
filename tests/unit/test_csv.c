/*
 * Unit tests for src/formats/csv: the tokenizer with its quoting, comment
 * and limit rules, dialect sniffing, header-to-column mapping, the
 * --column lookup, guessing the column of a headerless file, and the same
 * steps end to end on real feed files from CTIHUB_SHARED_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/csv.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"

#define CASE_RECORDS_MAX 4
#define CASE_FIELDS_MAX 6
#define CASE_STEPS_MAX 6
#define CASE_COLUMNS_MAX 4

struct expected_record {
	size_t line;
	size_t count;
	const char *fields[CASE_FIELDS_MAX];
};

/* Reads every record of input and checks each against expected. */
static void check_records(const char *name, const char *input, char delimiter, size_t count,
			  const struct expected_record *expected)
{
	struct csv_reader r;
	struct csv_record rec;
	struct ch_error err;

	csv_reader_init(&r, input, strlen(input), delimiter);
	for (size_t i = 0; i < count; i++) {
		enum ch_code rc = csv_next(&r, &rec, &err);

		if (rc != CH_OK)
			fail_msg("%s: record %zu: %s", name, i + 1, err.message);
		assert_int_equal(rec.line, expected[i].line);
		assert_int_equal(rec.count, expected[i].count);
		for (size_t f = 0; f < rec.count; f++) {
			assert_int_equal(rec.lengths[f], strlen(expected[i].fields[f]));
			assert_string_equal(rec.fields[f], expected[i].fields[f]);
		}
	}
	if (csv_next(&r, &rec, &err) != CH_NOT_FOUND)
		fail_msg("%s: expected the end of data after %zu records", name, count);
	csv_reader_free(&r);
}

static void csv_next_tokenizes_cases(void **state)
{
	static const struct {
		const char *name;
		const char *input;
		char delimiter;
		size_t record_count;
		struct expected_record records[CASE_RECORDS_MAX];
	} cases[] = {
		{ "plain fields", "a,b,c\n1,2,3\n", ',', 2,
		  { { 1, 3, { "a", "b", "c" } }, { 2, 3, { "1", "2", "3" } } } },
		{ "quoted delimiter", "\"a,b\",c\n", ',', 1, { { 1, 2, { "a,b", "c" } } } },
		{ "escaped quotes", "\"say \"\"hi\"\"\",x\n", ',', 1,
		  { { 1, 2, { "say \"hi\"", "x" } } } },
		{ "quoted newline", "\"one\ntwo\",x\nnext,y\n", ',', 2,
		  { { 1, 2, { "one\ntwo", "x" } }, { 3, 2, { "next", "y" } } } },
		{ "quoted crlf kept", "\"a\r\nb\",c\r\nd,e\r\n", ',', 2,
		  { { 1, 2, { "a\r\nb", "c" } }, { 3, 2, { "d", "e" } } } },
		{ "crlf line ends", "a,b\r\nc,d\r\n", ',', 2,
		  { { 1, 2, { "a", "b" } }, { 2, 2, { "c", "d" } } } },
		{ "quoted field before crlf", "\"a\",\"b\"\r\n\"c\",d\r\n", ',', 2,
		  { { 1, 2, { "a", "b" } }, { 2, 2, { "c", "d" } } } },
		{ "no final newline", "a,b\nc,d", ',', 2,
		  { { 1, 2, { "a", "b" } }, { 2, 2, { "c", "d" } } } },
		{ "cr at end of data", "a,b\r\nc,d\r", ',', 2,
		  { { 1, 2, { "a", "b" } }, { 2, 2, { "c", "d" } } } },
		{ "quoted field ends data", "a,\"b\"", ',', 1, { { 1, 2, { "a", "b" } } } },
		{ "comment banner", "# banner\n#\n\"h1\",\"h2\"\nx,y\n# END 1 entries", ',', 2,
		  { { 3, 2, { "h1", "h2" } }, { 4, 2, { "x", "y" } } } },
		{ "blank lines skipped", "\n\na\n\r\n\nb\n", ',', 2,
		  { { 3, 1, { "a" } }, { 6, 1, { "b" } } } },
		{ "empty fields", ",a,,\n", ',', 1, { { 1, 4, { "", "a", "", "" } } } },
		{ "empty quoted field", "\"\",x\n", ',', 1, { { 1, 2, { "", "x" } } } },
		{ "quote inside unquoted field", "5\" disk,x\n", ',', 1,
		  { { 1, 2, { "5\" disk", "x" } } } },
		{ "hash inside record", "a,#b\n", ',', 1, { { 1, 2, { "a", "#b" } } } },
		{ "byte order mark", "\xEF\xBB\xBFSHA256,MD5\n", ',', 1,
		  { { 1, 2, { "SHA256", "MD5" } } } },
		{ "zeek fields header",
		  "#separator \\x09\n#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n", '\t',
		  2,
		  { { 2, 2, { "indicator", "indicator_type" } },
		    { 3, 2, { "1.2.3.4", "Intel::ADDR" } } } },
		{ "fields tag needs delimiter", "#fieldsx,a\nb\n", ',', 1, { { 2, 1, { "b" } } } },
		{ "zeek fields with comma", "#fields,a,b\n1,2\n", ',', 2,
		  { { 1, 2, { "a", "b" } }, { 2, 2, { "1", "2" } } } },
		{ "semicolon delimiter", "a;b,c\n", ';', 1, { { 1, 2, { "a", "b,c" } } } },
		{ "tab delimiter", "a\t\"b\tc\"\n", '\t', 1, { { 1, 2, { "a", "b\tc" } } } },
		{ "pipe delimiter", "a|\"b|c\"\n", '|', 1, { { 1, 2, { "a", "b|c" } } } },
		{ "only comments", "# x\n\n#y\r\n", ',', 0, { { 0 } } },
		{ "empty data", "", ',', 0, { { 0 } } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_records(cases[i].name, cases[i].input, cases[i].delimiter,
			      cases[i].record_count, cases[i].records);
}

static void csv_next_keeps_nul_bytes(void **state)
{
	static const char input[] = "a\0b,c\n";
	struct csv_reader r;
	struct csv_record rec;

	(void)state;
	csv_reader_init(&r, input, sizeof(input) - 1, ',');
	assert_int_equal(csv_next(&r, &rec, NULL), CH_OK);
	assert_int_equal(rec.count, 2);
	assert_int_equal(rec.lengths[0], 3);
	assert_memory_equal(rec.fields[0], "a\0b", 4);
	csv_reader_free(&r);
}

/* One call of csv_next: its code, the record's line, and for CH_OK the
 * first field or for an error a piece of the message. */
struct step {
	enum ch_code code;
	size_t line;
	const char *text;
};

static void check_steps(const char *name, const char *input, size_t len, char delimiter,
			size_t count, const struct step *steps)
{
	struct csv_reader r;

	csv_reader_init(&r, input, len, delimiter);
	for (size_t i = 0; i < count; i++) {
		struct csv_record rec;
		struct ch_error err;
		enum ch_code rc;

		ch_error_clear(&err);
		rc = csv_next(&r, &rec, &err);
		if (rc != steps[i].code)
			fail_msg("%s: step %zu returned %s (%s), expected %s", name, i + 1,
				 ch_code_name(rc), err.message, ch_code_name(steps[i].code));
		if (rc == CH_OK) {
			assert_int_equal(rec.line, steps[i].line);
			assert_string_equal(rec.fields[0], steps[i].text);
		} else if (steps[i].text && !strstr(err.message, steps[i].text)) {
			fail_msg("%s: step %zu message '%s' lacks '%s'", name, i + 1, err.message,
				 steps[i].text);
		}
	}
	csv_reader_free(&r);
}

static void csv_next_recovers_from_bad_quotes(void **state)
{
	static const struct {
		const char *name;
		const char *input;
		size_t step_count;
		struct step steps[CASE_STEPS_MAX];
	} cases[] = {
		{ "unterminated quote",
		  "a,\"b\nc,d\ne,f\n",
		  4,
		  { { CH_INVALID, 0, "line 1: field 2 opens a quote that is never closed" },
		    { CH_OK, 2, "c" },
		    { CH_OK, 3, "e" },
		    { CH_NOT_FOUND, 0, NULL } } },
		{ "unterminated quote on last line",
		  "a,b\n\"c",
		  3,
		  { { CH_OK, 1, "a" }, { CH_INVALID, 0, "line 2" }, { CH_NOT_FOUND, 0, NULL } } },
		{ "text after closing quote",
		  "\"a\"b,c\nd,e\n",
		  3,
		  { { CH_INVALID, 0, "line 1: field 1 has 'b' after its closing quote" },
		    { CH_OK, 2, "d" },
		    { CH_NOT_FOUND, 0, NULL } } },
		{ "control byte after closing quote",
		  "x,\"a\"\x01\nd\n",
		  3,
		  { { CH_INVALID, 0, "field 2 has byte 0x01" },
		    { CH_OK, 2, "d" },
		    { CH_NOT_FOUND, 0, NULL } } },
		/* The bad record's quote spans two lines, and reading resumes
		 * inside it at its second line. */
		{ "bad record over two lines",
		  "x,\"a\nb\"c\nd,e\n",
		  4,
		  { { CH_INVALID, 0, "line 1" },
		    { CH_OK, 2, "b\"c" },
		    { CH_OK, 3, "d" },
		    { CH_NOT_FOUND, 0, NULL } } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_steps(cases[i].name, cases[i].input, strlen(cases[i].input), ',',
			    cases[i].step_count, cases[i].steps);
}

/* Builds a record of field_count fields "x" followed by the line "ok,1". */
static void build_wide_record(struct buf *b, size_t field_count)
{
	buf_init(b, 4 * CSV_RECORD_MAX);
	for (size_t i = 0; i < field_count; i++)
		assert_int_equal(buf_append_str(b, i == 0 ? "x" : ",x"), CH_OK);
	assert_int_equal(buf_append_str(b, "\nok,1\n"), CH_OK);
}

static void csv_next_limits_field_count(void **state)
{
	static const struct step at_max[] = {
		{ CH_OK, 1, "x" }, { CH_OK, 2, "ok" }, { CH_NOT_FOUND, 0, NULL },
	};
	static const struct step over_max[] = {
		{ CH_TOO_LARGE, 0, "line 1: the record has 257 fields, more than the maximum of 256" },
		{ CH_OK, 2, "ok" },
		{ CH_NOT_FOUND, 0, NULL },
	};
	struct buf b;

	(void)state;
	build_wide_record(&b, CSV_FIELDS_MAX);
	check_steps("256 fields", b.data, b.len, ',', 3, at_max);
	buf_free(&b);

	build_wide_record(&b, CSV_FIELDS_MAX + 1);
	check_steps("257 fields", b.data, b.len, ',', 3, over_max);
	buf_free(&b);
}

/* Builds "line 1" then one field of text_len bytes, quoted with a line end
 * every 100 bytes when quoted is set, then the line "ok". */
static void build_long_record(struct buf *b, size_t text_len, bool quoted)
{
	buf_init(b, 4 * CSV_RECORD_MAX);
	assert_int_equal(buf_append_str(b, "line 1\n"), CH_OK);
	if (quoted)
		assert_int_equal(buf_append_char(b, '"'), CH_OK);
	for (size_t i = 0; i < text_len; i++) {
		char c = (quoted && i % 100 == 99) ? '\n' : 'a';

		assert_int_equal(buf_append_char(b, c), CH_OK);
	}
	if (quoted)
		assert_int_equal(buf_append_char(b, '"'), CH_OK);
	assert_int_equal(buf_append_str(b, "\nok\n"), CH_OK);
}

static void csv_next_limits_record_size(void **state)
{
	/* The quoted field has a line end every 100 bytes, so the record after
	 * it starts at line 2 plus one line per 100 bytes plus one. */
	const size_t quoted_next_line = 2 + (CSV_RECORD_MAX + 1) / 100 + 1;
	const struct step over_max[] = {
		{ CH_OK, 1, "line 1" },
		{ CH_TOO_LARGE, 0, "line 2: the record has more than the maximum of 65536 bytes" },
		{ CH_OK, 3, "ok" },
		{ CH_NOT_FOUND, 0, NULL },
	};
	const struct step quoted_over_max[] = {
		{ CH_OK, 1, "line 1" },
		{ CH_TOO_LARGE, 0, "line 2:" },
		{ CH_OK, quoted_next_line, "ok" },
		{ CH_NOT_FOUND, 0, NULL },
	};
	struct csv_reader r;
	struct csv_record rec;
	struct buf b;

	(void)state;
	build_long_record(&b, CSV_RECORD_MAX, false);
	csv_reader_init(&r, b.data, b.len, ',');
	assert_int_equal(csv_next(&r, &rec, NULL), CH_OK);
	assert_int_equal(csv_next(&r, &rec, NULL), CH_OK);
	assert_int_equal(rec.lengths[0], CSV_RECORD_MAX);
	assert_int_equal(csv_next(&r, &rec, NULL), CH_OK);
	assert_string_equal(rec.fields[0], "ok");
	csv_reader_free(&r);
	buf_free(&b);

	build_long_record(&b, CSV_RECORD_MAX + 1, false);
	check_steps("record over maximum", b.data, b.len, ',', 4, over_max);
	buf_free(&b);

	build_long_record(&b, CSV_RECORD_MAX + 1, true);
	check_steps("quoted record over maximum", b.data, b.len, ',', 4, quoted_over_max);
	buf_free(&b);
}

static void csv_next_sets_nothing_on_error(void **state)
{
	static const char input[] = "\"a";
	struct csv_reader r;
	struct csv_record rec = { .count = 99, .line = 99 };

	(void)state;
	csv_reader_init(&r, input, strlen(input), ',');
	assert_int_equal(csv_next(&r, &rec, NULL), CH_INVALID);
	assert_int_equal(rec.count, 99);
	assert_int_equal(rec.line, 99);
	csv_reader_free(&r);
}

static void csv_sniff_detects_dialects(void **state)
{
	static const struct {
		const char *name;
		const char *input;
		char delimiter;
		bool has_header;
	} cases[] = {
		{ "comma with header",
		  "id,url,status\n1,http://a.example/x,online\n2,http://b.example/y,offline\n", ',',
		  true },
		{ "semicolon with header",
		  "md5;comment\nd41d8cd98f00b204e9800998ecf8427e;empty file\n"
		  "0cc175b9c0f1b6a831c399e269772661;one letter\n",
		  ';', true },
		{ "tab without header",
		  "1.2.3.4\tIntel::ADDR\tsrc\n5.6.7.8\tIntel::ADDR\tsrc\n9.9.9.9\tIntel::ADDR\tsrc\n",
		  '\t', false },
		{ "pipe with header",
		  "domain|first_seen\nevil.example|2024-01-01\nbad.example|2024-01-02\n", '|', true },
		{ "comma without header",
		  "5/11/2020 1:38:47 PM,76888b745714b1d0db8cd883eaac756c560b052462cae240c3917c441c07d611,"
		  "sha256,white\r\n"
		  "6/3/2020 12:53:03 PM,3adda6c23f01cecac1ce8a51c8dcdab4129088a4e4abcf8f66d8a09b7fe5c84a,"
		  "sha256,white\r\n",
		  ',', false },
		{ "zeek fields line", "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n", '\t',
		  true },
		{ "banner then quoted header",
		  "#####\n# Feed banner, with a comma\n#\n\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n"
		  "\"2023-05-23 17:51:44\",\"192.9.135.73\",\"1194\"\n"
		  "\"2024-02-08 19:20:49\",\"85.239.243.155\",\"5000\"\n",
		  ',', true },
		/* One column of URLs: a comma in one URL must not make ',' the
		 * delimiter, so the first candidate that splits nothing wins. */
		{ "one column of urls",
		  "http://a.example/x,y\nhttp://b.example/z\nhttp://c.example/w\n", '\t', false },
		{ "hashes with semicolon comments",
		  "ce583821191345274cd954b2db7da9742c239fe413fc17dcb97ffdd7b51cb072;Dark Caracal, one\n"
		  "ba4e063472a2559b4baa82d5272304a1cdae6968145c5ef221295c90e88458e2;Dark Caracal - PE32\n"
		  "26419a0b6e033cdcb7bf4ca6b0b24fda35490cc6f2796682fb9403620f63d428;Other\n",
		  ';', false },
		/* A hash that starts with a letter would pass for a name. */
		{ "md5 list without header",
		  "d41d8cd98f00b204e9800998ecf8427e\n0cc175b9c0f1b6a831c399e269772661\n"
		  "92eb5ffee6ae2fec3ad71c777531578f\n",
		  ',', false },
		/* "md5" is a known column name, but it recurs as a value below. */
		{ "repeated type names", "md5,Emotet\nmd5,Trickbot\nsha1,Qakbot\n", ',', false },
		{ "unknown names over numbers", "alpha,beta\n1,2\n3,4\n", ',', true },
		{ "more fields wins a tie", "a\tb, c\td\ne\tf, g\th\n", '\t', false },
		{ "header line only", "url\n", ',', true },
		{ "one data line only", "1.2.3.4,5.6.7.8\n", ',', false },
		{ "byte order mark",
		  "\xEF\xBB\xBFSHA256,SHA1,MD5\n"
		  "0b2a794bac4bf650b6ba537137504162520b67266449be979679afbb14e8e5c0,"
		  "89a7861acb7983ad712ae9206131c96454a1b3d8,8d42c01180be7588a2a68ad96dd0cf85\n",
		  ',', true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_dialect dialect;
		struct ch_error err;
		enum ch_code rc = csv_sniff(cases[i].input, strlen(cases[i].input), &dialect, &err);

		if (rc != CH_OK)
			fail_msg("%s: %s", cases[i].name, err.message);
		if (dialect.delimiter != cases[i].delimiter)
			fail_msg("%s: delimiter '%c', expected '%c'", cases[i].name, dialect.delimiter,
				 cases[i].delimiter);
		if (dialect.has_header != cases[i].has_header)
			fail_msg("%s: has_header %d, expected %d", cases[i].name, dialect.has_header,
				 cases[i].has_header);
	}
}

static void csv_sniff_rejects_empty_data(void **state)
{
	static const char *const inputs[] = { "", "# only a comment\n\n", "\xEF\xBB\xBF\r\n" };

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct csv_dialect dialect = { .delimiter = 'x', .has_header = true };
		struct ch_error err;

		assert_int_equal(csv_sniff(inputs[i], strlen(inputs[i]), &dialect, &err),
				 CH_NOT_FOUND);
		assert_non_null(strstr(err.message, "no records"));
		assert_int_equal(dialect.delimiter, 'x');
	}
}

/* Reads the first record of input, which the caller frees with r. */
static void read_first_record(struct csv_reader *r, const char *input, char delimiter,
			      struct csv_record *rec)
{
	struct ch_error err;

	csv_reader_init(r, input, strlen(input), delimiter);
	if (csv_next(r, rec, &err) != CH_OK)
		fail_msg("reading '%s': %s", input, err.message);
}

static void csv_map_header_finds_columns(void **state)
{
	static const size_t none = CSV_COLUMN_NONE;
	static const struct {
		const char *name;
		const char *header;
		char delimiter;
		size_t indicator_count;
		size_t indicators[CASE_COLUMNS_MAX];
		size_t type;
		size_t first_seen;
		size_t tlp;
	} cases[] = {
		/* urlhaus_link also contains URLs, but it links to the report. */
		{ "urlhaus", "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter",
		  ',', 1, { 2 }, none, 1, none },
		{ "feodo tracker",
		  "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"",
		  ',', 1, { 1 }, none, 0, none },
		{ "zeek intel",
		  "#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc", '\t', 1,
		  { 0 }, 1, none, none },
		/* Sentinel's Type column contains the table name, so FileHashType wins. */
		{ "sentinel table",
		  "TimeGenerated,NetworkIP,Type,FileHashValue,FileHashType,TrafficLightProtocolLevel,Url",
		  ',', 3, { 1, 3, 6 }, 4, none, 5 },
		{ "hash feed", "first_seen_utc,sha256_hash,md5_hash,sha1_hash,reporter,file_name", ',', 3,
		  { 1, 2, 3 }, none, 0, none },
		{ "separators ignored", "File Hash;IP-Address;Domain.Name;TLP", ';', 3, { 0, 1, 2 },
		  none, none, 3 },
		{ "hash table", "SHA256,SHA1,MD5,Compile Timestamp,File Type,C2 Server,", ',', 3,
		  { 0, 1, 2 }, none, none, none },
		{ "type and indicator", "Type,Indicator,Name", ',', 1, { 1 }, 0, none, none },
		{ "threatfox", "first_seen_utc,ioc_id,ioc_value,ioc_type,threat_type,reference", ',', 1,
		  { 2 }, 3, 0, none },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_reader r;
		struct csv_record header;
		struct csv_columns columns;
		struct ch_error err;

		read_first_record(&r, cases[i].header, cases[i].delimiter, &header);
		if (csv_map_header(&header, &columns, &err) != CH_OK)
			fail_msg("%s: %s", cases[i].name, err.message);
		assert_int_equal(columns.indicator_count, cases[i].indicator_count);
		for (size_t c = 0; c < columns.indicator_count; c++)
			assert_int_equal(columns.indicators[c], cases[i].indicators[c]);
		assert_int_equal(columns.type, cases[i].type);
		assert_int_equal(columns.first_seen, cases[i].first_seen);
		assert_int_equal(columns.tlp, cases[i].tlp);
		csv_reader_free(&r);
	}
}

static void csv_map_header_skips_link_columns(void **state)
{
	struct csv_reader r;
	struct csv_record header;
	struct csv_columns columns = { .indicator_count = 7 };
	struct ch_error err;

	(void)state;
	read_first_record(&r, "urlhaus_link,reference,link,source_url,id", ',', &header);
	assert_int_equal(csv_map_header(&header, &columns, &err), CH_NOT_FOUND);
	assert_string_equal(err.message,
			    "no indicator column in the header at line 1 (columns: urlhaus_link, "
			    "reference, link, source_url, id); use --column NAME or a 1-based number");
	assert_int_equal(columns.indicator_count, 7);
	csv_reader_free(&r);
}

static void csv_map_header_shortens_long_lists(void **state)
{
	struct csv_reader r;
	struct csv_record header;
	struct csv_columns columns;
	struct ch_error err;
	struct buf line;

	(void)state;
	buf_init(&line, 4096);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_printf(&line, "%scolumn_number_%d", i ? "," : "", i), CH_OK);
	read_first_record(&r, line.data, ',', &header);
	assert_int_equal(csv_map_header(&header, &columns, &err), CH_NOT_FOUND);
	assert_non_null(strstr(err.message, "column_number_0, column_number_1"));
	assert_non_null(strstr(err.message, "...); use --column NAME"));
	csv_reader_free(&r);
	buf_free(&line);
}

static void csv_find_column_by_name_or_number(void **state)
{
	static const struct {
		const char *spec;
		bool has_header;
		enum ch_code code;
		size_t column;
		const char *message;
	} cases[] = {
		{ "url", true, CH_OK, 2, NULL },
		{ "URL", true, CH_OK, 2, NULL },
		{ "urlhaus_link", true, CH_OK, 7, NULL },
		{ "3", true, CH_OK, 2, NULL },
		{ "9", false, CH_OK, 8, NULL },
		{ "0", true, CH_USAGE, 0, "invalid column number 0; columns are numbered from 1 to 9" },
		{ "10", true, CH_NOT_FOUND, 0,
		  "column 10 is out of range; the record at line 1 has columns 1 to 9" },
		{ "99999999999999999999999", true, CH_NOT_FOUND, 0, "is out of range" },
		{ "foo", true, CH_NOT_FOUND, 0,
		  "column 'foo' not found in the header at line 1 (columns: id, dateadded, url, "
		  "url_status, last_online, threat, tags, urlhaus_link, reporter); use --column NAME "
		  "or a 1-based number" },
		{ "ur", true, CH_NOT_FOUND, 0, "column 'ur' not found" },
		{ "url", false, CH_USAGE, 0,
		  "column 'url' cannot be found by name because the data has no header; use a "
		  "1-based number from 1 to 9" },
		{ "", true, CH_USAGE, 0, "empty column name" },
		{ "-1", true, CH_NOT_FOUND, 0, "column '-1' not found" },
	};
	struct csv_reader r;
	struct csv_record header;

	(void)state;
	read_first_record(&r,
			  "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter",
			  ',', &header);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ch_error err;
		size_t column = 77;
		enum ch_code rc = csv_find_column(&header, cases[i].has_header, cases[i].spec,
						  &column, &err);

		if (rc != cases[i].code)
			fail_msg("spec '%s': returned %s, expected %s", cases[i].spec,
				 ch_code_name(rc), ch_code_name(cases[i].code));
		if (rc == CH_OK) {
			assert_int_equal(column, cases[i].column);
			continue;
		}
		assert_int_equal(column, 77);
		if (!strstr(err.message, cases[i].message))
			fail_msg("spec '%s': message '%s' lacks '%s'", cases[i].spec, err.message,
				 cases[i].message);
	}
	csv_reader_free(&r);
}

/* Stands in for the indicator engine: accepts 64 hex digits. */
static bool looks_like_sha256_cb(const char *field, size_t len, void *ctx)
{
	size_t *calls = ctx;

	(*calls)++;
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)field[i]))
			return false;
	}
	return true;
}

static void csv_guess_column_by_content(void **state)
{
	static const char *const hashes[] = {
		"76888b745714b1d0db8cd883eaac756c560b052462cae240c3917c441c07d611",
		"bbb0f2855d1444cae835700f58acb51b6a6fd2f48046e94850982753cb4a7268",
		"3adda6c23f01cecac1ce8a51c8dcdab4129088a4e4abcf8f66d8a09b7fe5c84a",
	};
	struct csv_dialect headerless = { .delimiter = ',', .has_header = false };
	struct csv_dialect with_header = { .delimiter = ',', .has_header = true };
	struct ch_error err;
	struct buf data;
	size_t column = 77;
	size_t calls = 0;

	(void)state;
	buf_init(&data, 4096);
	assert_int_equal(buf_append_str(&data, "when,value,note\n"), CH_OK);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(buf_printf(&data, "2020-05-1%zu,%s,x\n", i, hashes[i]), CH_OK);
	/* A bad record is skipped and not counted. */
	assert_int_equal(buf_append_str(&data, "\"broken\"x,y,z\n"), CH_OK);

	assert_int_equal(csv_guess_column(data.data, data.len, &with_header, looks_like_sha256_cb,
					  &calls, &column, &err),
			 CH_OK);
	assert_int_equal(column, 1);
	assert_int_equal(calls, 9);

	/* Without the header skipped, the hashes still pass in 3 of 4 records. */
	column = 77;
	assert_int_equal(csv_guess_column(data.data, data.len, &headerless, looks_like_sha256_cb,
					  &calls, &column, &err),
			 CH_OK);
	assert_int_equal(column, 1);
	buf_free(&data);
}

static void csv_guess_column_needs_half(void **state)
{
	static const char data[] = "a,b\nc,d\ne,f\n"
				   "76888b745714b1d0db8cd883eaac756c560b052462cae240c3917c441c07d611,x\n";
	struct csv_dialect dialect = { .delimiter = ',', .has_header = false };
	struct ch_error err;
	size_t column = 77;
	size_t calls = 0;

	(void)state;
	assert_int_equal(csv_guess_column(data, strlen(data), &dialect, looks_like_sha256_cb, &calls,
					  &column, &err),
			 CH_NOT_FOUND);
	assert_string_equal(err.message,
			    "no column contains indicators in at least half of the first 4 records "
			    "(best: column 1 with 1); use --column NUMBER");
	assert_int_equal(column, 77);

	assert_int_equal(csv_guess_column("# nothing\n", 10, &dialect, looks_like_sha256_cb, &calls,
					  &column, &err),
			 CH_NOT_FOUND);
	assert_non_null(strstr(err.message, "no readable records"));
}

/*
 * Real feeds. The record counts come from Python's csv module (rows whose
 * first field does not start with '#', less the header) and agree with awk
 * counts of the data lines, because no record in these files has a quoted
 * line end.
 */
struct feed_case {
	const char *path;
	char delimiter;
	bool has_header;
	size_t header_line;
	size_t records;
	size_t indicator_column;
	size_t type_column;
	size_t first_seen_column;
	const char *first_indicator;
	const char *last_indicator;
};

static const struct feed_case feed_cases[] = {
	{ "abusech-urlhaus/urlhaus_online_2025-04-21.csv", ',', true, 1, 11125, 2, CSV_COLUMN_NONE,
	  1, "http://117.209.87.242:60905/bin.sh",
	  "http://p3.zbjimg.com/task/2009-06/06/98428/07c9mfhe.zip" },
	{ "abusech-feodotracker/ipblocklist.csv", ',', true, 9, 28, 1, CSV_COLUMN_NONE, 0,
	  "192.9.135.73", "172.233.221.61" },
	/* No header, CRLF line ends and no line end after the last record. */
	{ "azure-sentinel/Microsoft.Covid19.Indicators.csv", ',', false, 0, 582, 1,
	  CSV_COLUMN_NONE, CSV_COLUMN_NONE,
	  "76888b745714b1d0db8cd883eaac756c560b052462cae240c3917c441c07d611",
	  "2e942ccf265a32c7a84eda0e71da06702284c318ddbd4ebcfc2fe1e3381ac5d7" },
	{ "criticalpathsecurity-zeek-intel/cps-collected-iocs.intel", '\t', true, 1, 49868, 0, 1,
	  CSV_COLUMN_NONE, "3.135.207.58", "64.227.190.95" },
	{ "criticalpathsecurity-zeek-intel/abuse-ch-malware.intel", '\t', true, 1, 828, 0, 1,
	  CSV_COLUMN_NONE, "392c59924103a45553b1e4bd1f5845e42d4f1c9b", NULL },
	/* Only the #fields line. */
	{ "criticalpathsecurity-zeek-intel/abuse-ch-urlhaus.intel", '\t', true, 1, 0, 0, 1,
	  CSV_COLUMN_NONE, NULL, NULL },
};

/* Reads a file under CTIHUB_SHARED_DATA. Skips the test when that
 * directory is missing, unless CTIHUB_REQUIRE_SHARED=1. */
static char *read_shared_file(const char *relative, size_t *len)
{
	const char *dir = getenv("CTIHUB_SHARED_DATA");
	const char *require = getenv("CTIHUB_REQUIRE_SHARED");
	struct stat st;
	char path[4096];
	char *data;
	FILE *f;

	if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (require && strcmp(require, "1") == 0)
			fail_msg("shared data directory '%s' not found and CTIHUB_REQUIRE_SHARED=1",
				 dir ? dir : "(CTIHUB_SHARED_DATA unset)");
		fprintf(stderr,
			"test_csv: SKIPPED real-feed test: shared data directory '%s' not found; "
			"set CTIHUB_SHARED_DATA to run it\n",
			dir ? dir : "(CTIHUB_SHARED_DATA unset)");
		skip();
	}

	snprintf(path, sizeof(path), "%s/%s", dir, relative);
	f = fopen(path, "rb");
	if (!f || stat(path, &st) != 0)
		fail_msg("cannot open '%s'", path);
	data = xmalloc((size_t)st.st_size + 1);
	*len = fread(data, 1, (size_t)st.st_size, f);
	assert_int_equal(*len, (size_t)st.st_size);
	fclose(f);
	return data;
}

/* Finds the indicator column from the header, or by content without one. */
static size_t feed_indicator_column(const struct feed_case *fc, const char *data, size_t len,
				    const struct csv_dialect *dialect,
				    const struct csv_record *header)
{
	struct csv_columns columns;
	struct ch_error err;
	size_t column;
	size_t calls = 0;

	if (!dialect->has_header) {
		if (csv_guess_column(data, len, dialect, looks_like_sha256_cb, &calls, &column,
				     &err) != CH_OK)
			fail_msg("%s: %s", fc->path, err.message);
		return column;
	}
	if (csv_map_header(header, &columns, &err) != CH_OK)
		fail_msg("%s: %s", fc->path, err.message);
	assert_int_equal(columns.indicator_count, 1);
	assert_int_equal(columns.type, fc->type_column);
	assert_int_equal(columns.first_seen, fc->first_seen_column);
	return columns.indicators[0];
}

static void check_feed(const struct feed_case *fc)
{
	struct csv_dialect dialect;
	struct csv_reader r;
	struct csv_record rec;
	struct ch_error err;
	size_t len;
	size_t records = 0;
	size_t column;
	char *data = read_shared_file(fc->path, &len);
	enum ch_code rc;

	if (csv_sniff(data, len, &dialect, &err) != CH_OK)
		fail_msg("%s: %s", fc->path, err.message);
	assert_int_equal(dialect.delimiter, fc->delimiter);
	assert_int_equal(dialect.has_header, fc->has_header);

	csv_reader_init(&r, data, len, dialect.delimiter);
	if (dialect.has_header) {
		assert_int_equal(csv_next(&r, &rec, &err), CH_OK);
		assert_int_equal(rec.line, fc->header_line);
	}
	column = feed_indicator_column(fc, data, len, &dialect, &rec);
	assert_int_equal(column, fc->indicator_column);

	while ((rc = csv_next(&r, &rec, &err)) == CH_OK) {
		assert_true(column < rec.count);
		records++;
		if (records == 1 && fc->first_indicator)
			assert_string_equal(rec.fields[column], fc->first_indicator);
		if (records == fc->records && fc->last_indicator)
			assert_string_equal(rec.fields[column], fc->last_indicator);
	}
	if (rc != CH_NOT_FOUND)
		fail_msg("%s: after %zu records: %s", fc->path, records, err.message);
	assert_int_equal(records, fc->records);

	csv_reader_free(&r);
	free(data);
}

static void csv_reads_urlhaus_feed(void **state)
{
	(void)state;
	check_feed(&feed_cases[0]);
}

static void csv_reads_feodo_feed(void **state)
{
	(void)state;
	check_feed(&feed_cases[1]);
}

static void csv_reads_sentinel_feed(void **state)
{
	(void)state;
	check_feed(&feed_cases[2]);
}

static void csv_reads_zeek_intel_feeds(void **state)
{
	(void)state;
	check_feed(&feed_cases[3]);
	check_feed(&feed_cases[4]);
	check_feed(&feed_cases[5]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_next_tokenizes_cases),
		cmocka_unit_test(csv_next_keeps_nul_bytes),
		cmocka_unit_test(csv_next_recovers_from_bad_quotes),
		cmocka_unit_test(csv_next_limits_field_count),
		cmocka_unit_test(csv_next_limits_record_size),
		cmocka_unit_test(csv_next_sets_nothing_on_error),
		cmocka_unit_test(csv_sniff_detects_dialects),
		cmocka_unit_test(csv_sniff_rejects_empty_data),
		cmocka_unit_test(csv_map_header_finds_columns),
		cmocka_unit_test(csv_map_header_skips_link_columns),
		cmocka_unit_test(csv_map_header_shortens_long_lists),
		cmocka_unit_test(csv_find_column_by_name_or_number),
		cmocka_unit_test(csv_guess_column_by_content),
		cmocka_unit_test(csv_guess_column_needs_half),
		cmocka_unit_test(csv_reads_urlhaus_feed),
		cmocka_unit_test(csv_reads_feodo_feed),
		cmocka_unit_test(csv_reads_sentinel_feed),
		cmocka_unit_test(csv_reads_zeek_intel_feeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
