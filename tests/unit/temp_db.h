/*
 * A temporary SQLite database file for unit tests that open a real store:
 * its name, and removal with the audit log's file and the WAL and
 * shared-memory files that SQLite creates beside them. Include after
 * <cmocka.h>.
 */
#ifndef CTIHUB_TESTS_TEMP_DB_H
#define CTIHUB_TESTS_TEMP_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Creates an empty file named from template, which ends in XXXXXX, and
 * writes its name into path. Fails the test when it cannot. */
static inline void temp_db_create(char *path, size_t cap, const char *template)
{
	int fd;

	snprintf(path, cap, "%s", template);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

/* Removes the database file, the audit log's file beside it, and the
 * -wal and -shm files of both. */
static inline void temp_db_remove(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-audit", "-audit-wal",
						"-audit-shm" };
	char file[256];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
		unlink(file);
	}
}

#endif
