/*
 * Numbered, forward-only schema migrations for the SQLite backend. Entry i
 * moves the schema from version i to i+1; the applied version is kept in
 * PRAGMA user_version. Never edit a shipped entry: add a new one.
 */
#ifndef CTIHUB_STORE_MIGRATIONS_H
#define CTIHUB_STORE_MIGRATIONS_H

#include <stddef.h>

extern const char *const sqlite_migrations[];
extern const size_t sqlite_migration_count;

/* The same for the audit log's own file, attached as schema "audit"; its
 * version is that file's user_version. They run before the main ones. */
extern const char *const sqlite_audit_migrations[];
extern const size_t sqlite_audit_migration_count;

#endif
