/*
 * The audit writer of ctihub serve: one thread with its own store handle
 * that appends the audit entries of HTTP requests. It writes everything
 * queued since its last commit in one transaction, so under load many
 * entries share one commit and the request threads never wait for
 * SQLite's write lock. A request's response is held (http_hold) until the
 * transaction with its entries has committed, so a client never gets a
 * reply whose audit entry could still be lost.
 */
#ifndef CTIHUB_HTTP_AUDIT_WRITER_H
#define CTIHUB_HTTP_AUDIT_WRITER_H

#include "http/server.h"
#include "store/store.h"
#include "util/error.h"

struct audit_writer;

/* Opens a store handle on db_path and starts the thread. Fails with the
 * store's code when the database cannot be opened. */
enum ch_code audit_writer_start(const char *db_path, struct audit_writer **out,
				struct ch_error *err);

/* Writes what is still queued, stops the thread and frees the writer.
 * Call it after the HTTP server has stopped. NULL is a no-op. */
void audit_writer_stop(struct audit_writer *w);

/* Queues a copy of entry for req and holds req's response until the entry
 * is committed. A failed write is logged with req's request id, and the
 * response is released all the same. */
void audit_writer_append(struct audit_writer *w, struct http_request *req,
			 const struct store_audit_entry *entry);

#endif
