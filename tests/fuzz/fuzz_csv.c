/*
 * libFuzzer target for the CSV feed reader: sniffing, reading every record
 * and mapping the header must never crash, and every record must respect
 * the field and size limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct csv_dialect dialect;
	struct csv_reader reader;
	struct csv_record rec;
	struct csv_columns columns;
	struct ch_error err;
	size_t records = 0;
	enum ch_code rc;

	if (csv_sniff(text, size, &dialect, &err) != CH_OK)
		return 0;

	csv_reader_init(&reader, text, size, dialect.delimiter);
	while ((rc = csv_next(&reader, &rec, &err)) != CH_NOT_FOUND) {
		if (rc != CH_OK)
			continue;
		if (rec.count == 0 || rec.count > CSV_FIELDS_MAX)
			abort();
		if (records++ == 0)
			csv_map_header(&rec, &columns, &err);
	}
	csv_reader_free(&reader);
	return 0;
}
