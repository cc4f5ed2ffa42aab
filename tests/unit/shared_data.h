/*
 * Helpers for unit tests that read the real public data set: find a file
 * under $CTIHUB_SHARED_DATA, skipping with a visible message when it is
 * missing, or failing when CTIHUB_REQUIRE_SHARED=1 (as CI sets it), and
 * read a whole file. Include after <cmocka.h>.
 */
#ifndef CTIHUB_TESTS_SHARED_DATA_H
#define CTIHUB_TESTS_SHARED_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Path of name under the shared data folder written into buf, or NULL
 * after printing why the test skips. */
static inline const char *shared_path(const char *name, char *buf, size_t cap)
{
	const char *root = getenv("CTIHUB_SHARED_DATA");
	const char *require = getenv("CTIHUB_REQUIRE_SHARED");
	struct stat st;

	snprintf(buf, cap, "%s/%s", root ? root : "", name);
	if (root && stat(buf, &st) == 0)
		return buf;
	if (require && strcmp(require, "1") == 0)
		fail_msg("shared data %s is missing and CTIHUB_REQUIRE_SHARED=1", buf);
	fprintf(stderr, "SKIPPED: shared data %s is missing (set CTIHUB_SHARED_DATA)\n", buf);
	return NULL;
}

/* Reads a whole file into a NUL-terminated buffer the caller frees; *len
 * (when not NULL) receives its size. Fails the test when it cannot. */
static inline char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long size;
	char *data;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return data;
}

#endif
