/*
 * The JSON API under /api/v1: the route table, the application state the
 * handlers share, and the helpers every handler uses to authenticate the
 * caller, reach the store and write the audit log.
 *
 * Each worker thread opens its own store handle on first use (SQLite
 * connections are not shared between threads); WAL mode lets them read
 * while one of them writes.
 */
#ifndef CTIHUB_HTTP_API_H
#define CTIHUB_HTTP_API_H

#include <jansson.h>
#include <stdbool.h>

#include "http/audit_writer.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "ioc/warnlist.h"
#include "chat/chat.h"
#include "notify/notify.h"
#include "policy/access.h"
#include "store/store.h"
#include "util/json_out.h"

/* JSON bodies nest at most this deep. */
#define API_JSON_DEPTH_MAX 32
/* Page size bounds for lists. */
#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 500

struct api_app {
	const char *db_path;
	bool public_read;                   /* anonymous readers may see CLEAR */
	struct ratelimit *ratelimit;        /* per token; NULL when disabled */
	/* Per client address, for requests without a valid token: rejected
	 * tokens (each one is audited) and anonymous reads. NULL: no limit. */
	struct ratelimit *client_ratelimit;
	const struct ioc_warnlists *warnlists;
	const struct notify_config *notify; /* sinks; NULL when none */
	struct notify_worker *notify_worker; /* woken after a change queues notices */
	const struct chat_config *chat;     /* workspaces; NULL when none */
	const char *public_url;             /* as the configuration gives it */
	/* Writes the audit entries of api_audit; NULL writes each one on the
	 * request's own store handle. */
	struct audit_writer *audit_writer;
	/* Nanoseconds for which indicator lookups share a read transaction
	 * (see api_store_shared_read); 0 turns sharing off. Set only while
	 * api_shared_reads_start's thread runs. */
	uint64_t shared_read_ns;
};

extern const struct http_route api_routes[];
extern const size_t api_route_count;

/* Appends indicator and report counts to /metrics. */
void api_metrics(void *app, struct buf *out);

/* The store handle of the calling thread; NULL (with a 500 reply written)
 * when it cannot be opened. */
struct store *api_store(struct http_request *req, struct http_response *res);
/* The store handle of the calling thread inside a read transaction, which
 * may have begun up to shared_read_ns earlier for an earlier lookup, but
 * not before this server's last write request. For read-only handlers;
 * end with api_store_shared_read_done, and do not call it again before. */
struct store *api_store_shared_read(struct http_request *req, struct http_response *res);
void api_store_shared_read_done(struct http_request *req);

/* The thread that ends the shared read transactions of idle threads. */
struct api_shared_reads;
/* Starts the thread that ends the shared read transactions of idle
 * threads once they are max_age_ns old. */
enum ch_code api_shared_reads_start(uint64_t max_age_ns, struct api_shared_reads **out,
				    struct ch_error *err);
void api_shared_reads_stop(struct api_shared_reads *sr);
/* Reads a positive whole number written with digits only: no sign, no
 * spaces, no leading zero, and no overflow. */
bool api_parse_id(const char *text, int64_t *id);

/* Applies the per-address limit to a request without a valid token (the
 * chat routes use it for every request); false after writing a 429. */
bool api_client_allowed(struct http_request *req, struct http_response *res);

/* Works out who is calling from the Authorization header. Returns false
 * after writing a 401 or 429 reply; an absent header gives an anonymous
 * principal unless required is set. */
bool api_authenticate(struct http_request *req, struct http_response *res, bool required,
		      struct principal *who);

/* Parses a JSON request body within the depth limit; false after writing a
 * 400 reply. */
bool api_parse_body(struct http_request *req, struct http_response *res, json_t **body);

/* Writes an audit entry, through the audit writer when the app has one
 * (see audit_writer.h for when it is committed). Failures are logged,
 * never shown to the client. */
void api_audit(struct http_request *req, const struct principal *who, const char *action,
	       const char *object, const char *outcome, const char *detail);

/* Audits a report shown in a list or in search results when its level
 * is one whose reads are audited (AMBER+STRICT, RED). */
void api_audit_listed(struct http_request *req, const struct principal *who,
		      const struct store_report *r);

/* Handlers, one file per area. */
void api_report_create(struct http_request *req, struct http_response *res);
void api_report_get(struct http_request *req, struct http_response *res);
void api_report_list(struct http_request *req, struct http_response *res);
void api_indicator_get(struct http_request *req, struct http_response *res);
void api_search(struct http_request *req, struct http_response *res);
void api_audit_list(struct http_request *req, struct http_response *res);
void api_me(struct http_request *req, struct http_response *res);
/* POST /api/v1/me/link-code: a one-time code to link a chat account. */
void api_link_code(struct http_request *req, struct http_response *res);
void api_referral_create(struct http_request *req, struct http_response *res);
void api_referral_list(struct http_request *req, struct http_response *res);
void api_referral_get(struct http_request *req, struct http_response *res);
void api_referral_reply(struct http_request *req, struct http_response *res);
void api_referral_assign(struct http_request *req, struct http_response *res);
void api_referral_state(struct http_request *req, struct http_response *res);
void api_referral_close(struct http_request *req, struct http_response *res);
void api_referral_reopen(struct http_request *req, struct http_response *res);
void api_referral_attach(struct http_request *req, struct http_response *res);
void api_referral_attachment(struct http_request *req, struct http_response *res);

/* Writes a report as a JSON object; with_links adds its indicators and
 * ATT&CK techniques. The one definition of a report's JSON. */
void api_report_write(struct json_out *out, const struct store_report *r, bool with_links);
/* The object of api_report_write as a jansson value, for replies that
 * are built as jansson trees; NULL when it could not be built. */
json_t *api_report_json(const struct store_report *r, bool with_links);

#endif
