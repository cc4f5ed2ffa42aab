/*
 * The audit writer of ctihub serve: one thread with its own store handle
 * that appends the audit entries of HTTP requests. It writes everything
 * queued since its last commit in one transaction, at most once per
 * AUDIT_COMMIT_INTERVAL_MS, so request threads do not wait for SQLite's
 * write lock to audit a read, and commits stay rare under load.
 *
 * Durability: the response of a read does not wait for its entry, so the
 * entry is committed up to AUDIT_COMMIT_INTERVAL_MS (plus the time of one
 * commit) after the reply went out, and a crash of the process in that
 * time loses it. Entries queued with wait set (writes, rejected tokens,
 * refused actions) hold their response until they are committed. A normal
 * stop writes every queued entry. When another process holds the write
 * lock, entries wait for it and a failed batch is tried again; once
 * AUDIT_QUEUE_MAX are queued, responses wait for their entries (http_hold)
 * instead of the queue growing.
 */
#ifndef CTIHUB_HTTP_AUDIT_WRITER_H
#define CTIHUB_HTTP_AUDIT_WRITER_H

#include "http/server.h"
#include "store/store.h"
#include "util/error.h"

/* Shortest time between two commits of the writer, in milliseconds. */
#define AUDIT_COMMIT_INTERVAL_MS 10
/* Entries queued and not yet written beyond which a response waits for
 * its entry. */
#define AUDIT_QUEUE_MAX 10000

struct audit_writer;

/* Opens a store handle on db_path and starts the thread. Fails with the
 * store's code when the database cannot be opened. */
enum ch_code audit_writer_start(const char *db_path, struct audit_writer **out,
				struct ch_error *err);

/* Writes what is still queued, stops the thread and frees the writer.
 * Call it after the HTTP server has stopped. NULL is a no-op. */
void audit_writer_stop(struct audit_writer *w);

/* Queues a copy of entry for req. A failed write is logged with req's
 * request id. With wait set, or with AUDIT_QUEUE_MAX entries pending,
 * req's response is held until its entry is written. */
void audit_writer_append(struct audit_writer *w, struct http_request *req,
			 const struct store_audit_entry *entry, bool wait);

/* Waits until every entry queued before the call is written (or its
 * failure logged), so that a read of the audit log that follows includes it. */
void audit_writer_flush(struct audit_writer *w);

#endif
