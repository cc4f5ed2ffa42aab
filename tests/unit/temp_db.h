/*
 * A temporary SQLite database file for unit tests that open a real store:
 * its name, and removal with the WAL and shared-memory files that SQLite
 * creates beside it. Include after <cmocka.h>.
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

/* Removes the database file and its -wal and -shm files. */
static inline void temp_db_remove(const char *path)
{
	char extra[256];

	unlink(path);
	snprintf(extra, sizeof(extra), "%s-wal", path);
	unlink(extra);
	snprintf(extra, sizeof(extra), "%s-shm", path);
	unlink(extra);
}

#endif
