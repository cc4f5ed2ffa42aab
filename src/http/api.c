/*
 * The API route table and the helpers shared by its handlers:
 * per-thread store handles, bearer-token authentication with rate
 * limiting, JSON body parsing with a depth limit, and audit entries.
 */
#include "http/api.h"

#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chat/handlers.h"
#include "policy/token.h"
#include "util/log.h"
#include "util/timeutil.h"

const struct http_route api_routes[] = {
	{ "POST", "/api/v1/reports", api_report_create },
	{ "GET", "/api/v1/reports", api_report_list },
	{ "GET", "/api/v1/reports/{id}", api_report_get },
	{ "GET", "/api/v1/indicators/{type}/{value}", api_indicator_get },
	{ "GET", "/api/v1/search", api_search },
	{ "GET", "/api/v1/audit", api_audit_list },
	{ "GET", "/api/v1/me", api_me },
	{ "POST", "/api/v1/me/link-code", api_link_code },
	{ "POST", "/api/v1/referrals", api_referral_create },
	{ "GET", "/api/v1/referrals", api_referral_list },
	{ "GET", "/api/v1/referrals/{id}", api_referral_get },
	{ "POST", "/api/v1/referrals/{id}/replies", api_referral_reply },
	{ "POST", "/api/v1/referrals/{id}/assign", api_referral_assign },
	{ "POST", "/api/v1/referrals/{id}/state", api_referral_state },
	{ "POST", "/api/v1/referrals/{id}/close", api_referral_close },
	{ "POST", "/api/v1/referrals/{id}/reopen", api_referral_reopen },
	{ "POST", "/api/v1/referrals/{id}/attachments", api_referral_attach },
	{ "GET", "/api/v1/referrals/{id}/attachments/{attachment}", api_referral_attachment },
	{ "POST", "/chat/slack/commands", chat_slack_commands },
	{ "POST", "/chat/slack/interactions", chat_slack_interactions },
	{ "POST", "/chat/slack/events", chat_slack_events },
	{ "POST", "/chat/mattermost/commands", chat_mattermost_commands },
	{ "POST", "/chat/mattermost/dialogs", chat_mattermost_dialogs },
	{ "POST", "/chat/mattermost/messages", chat_mattermost_messages },
};

const size_t api_route_count = sizeof(api_routes) / sizeof(api_routes[0]);

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;

static void close_thread_store(void *st)
{
	store_close(st);
}

static void make_store_key(void)
{
	pthread_key_create(&store_key, close_thread_store);
}

/* Reads a positive whole number written with digits only: no sign, no
 * spaces, no leading zero, and no overflow. */
bool api_parse_id(const char *text, int64_t *id)
{
	char *end;
	long long v;

	if (*text < '1' || *text > '9')
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end || errno || v <= 0)
		return false;
	*id = v;
	return true;
}

struct store *api_store(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct store *st;
	struct ch_error err = { 0 };

	pthread_once(&store_key_once, make_store_key);
	st = pthread_getspecific(store_key);
	if (st)
		return st;

	if (store_open(app->db_path, &st, &err) != CH_OK) {
		log_error(req->request_id, "cannot open the database: %s", err.message);
		if (res)
			http_reply_fail(res, CH_DB, NULL,
					"the database is not available; try again later");
		return NULL;
	}
	pthread_setspecific(store_key, st);
	return st;
}

void api_audit(struct http_request *req, const struct principal *who, const char *action,
	       const char *object, const char *outcome, const char *detail)
{
	const struct api_app *app = req->app;
	struct store_audit_entry entry = { 0 };
	struct ch_error err = { 0 };
	struct store *st;

	entry.time = time_now();
	entry.actor_id = who && who->authenticated ? who->user_id : 0;
	entry.actor = who && who->authenticated ? who->user_name : "anonymous";
	entry.action = action;
	entry.object = object;
	entry.client = req->client ? req->client : "unknown";
	entry.outcome = outcome;
	entry.detail = detail;
	if (app->audit_writer) {
		/* Only reads reply before their entry commits. A write's entry
		 * and a rejected token's entry must not be lost to a crash after
		 * the client got its reply. */
		bool is_read = strcmp(action, "report.read") == 0 ||
			       strcmp(action, "indicator.read") == 0;

		audit_writer_append(app->audit_writer, req, &entry, !is_read);
		return;
	}
	st = api_store(req, NULL);
	if (st && store_audit_append(st, &entry, &err) != CH_OK)
		log_error(req->request_id, "audit entry for %s %s was not written: %s", action, object,
			  err.message);
}

/* Key for the per-client limiter: FNV-1a of the client address, with the
 * top bit set so it never equals a token id. */
static uint64_t client_key(const char *client)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = client ? client : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return h | (1ULL << 63);
}

/* Applies the per-client limit; false after writing a 429 reply. */
bool api_client_allowed(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	int retry_after = 0;

	if (!app->client_ratelimit ||
	    ratelimit_check(app->client_ratelimit, client_key(req->client), time_now_ms(),
			    &retry_after))
		return true;
	res->retry_after = retry_after;
	http_reply_fail(res, CH_RATE_LIMITED, NULL,
			"too many requests from this address; retry after %d s",
			retry_after);
	return false;
}

bool api_authenticate(struct http_request *req, struct http_response *res, bool required,
		      struct principal *who)
{
	const struct api_app *app = req->app;
	const char *header = http_header(req, "Authorization");
	unsigned char hash[TOKEN_HASH_BYTES];
	struct ch_error err = { 0 };
	struct store *st;
	int retry_after = 0;

	memset(who, 0, sizeof(*who));
	who->public_read = app->public_read;
	if (!header) {
		if (!required)
			return api_client_allowed(req, res);
		http_reply_fail(res, CH_UNAUTHORIZED, NULL,
				"this route needs an API token: send 'Authorization: Bearer TOKEN'");
		return false;
	}
	/* Rejected tokens are audited, so guessing is limited per address
	 * before any audit entry is written. */
	if (strncasecmp(header, "Bearer ", 7) != 0 || strlen(header + 7) > TOKEN_TEXT_MAX) {
		if (!api_client_allowed(req, res))
			return false;
		api_audit(req, NULL, "token.reject", "token:unknown", "rejected",
			  "malformed Authorization header");
		http_reply_fail(res, CH_UNAUTHORIZED, NULL,
				"invalid Authorization header: use 'Bearer TOKEN'");
		return false;
	}

	st = api_store(req, res);
	if (!st)
		return false;
	token_hash(header + 7, strlen(header + 7), hash);
	if (store_token_authenticate(st, hash, time_now(), who, &err) != CH_OK) {
		if (!api_client_allowed(req, res))
			return false;
		api_audit(req, NULL, "token.reject", "token:unknown", "rejected", err.message);
		log_warn(req->request_id, "rejected a token from %s: %s", req->client, err.message);
		who->authenticated = false;
		http_reply_fail(res, CH_UNAUTHORIZED, NULL,
				"invalid API token (%s); ask an operator for a new one", err.message);
		return false;
	}
	who->public_read = app->public_read;
	snprintf(res->log_note, sizeof(res->log_note), "user=%.58s", who->user_name);

	if (app->ratelimit &&
	    !ratelimit_check(app->ratelimit, (uint64_t)who->token_id, time_now_ms(), &retry_after)) {
		res->retry_after = retry_after;
		http_reply_fail(res, CH_RATE_LIMITED, NULL,
				"too many requests for this token; retry after %d s", retry_after);
		return false;
	}
	return true;
}

/* Rejects bodies that nest deeper than API_JSON_DEPTH_MAX before jansson
 * parses them, so a hostile body cannot exhaust the parser's stack. */
static bool depth_ok(const char *text, size_t len)
{
	int depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		if (depth > API_JSON_DEPTH_MAX)
			return false;
	}
	return true;
}

bool api_parse_body(struct http_request *req, struct http_response *res, json_t **body)
{
	json_error_t jerr;
	json_t *root;

	if (req->body_len == 0) {
		http_reply_fail(res, CH_INVALID, NULL, "the request body is empty; send a JSON object");
		return false;
	}
	if (!depth_ok(req->body, req->body_len)) {
		http_reply_fail(res, CH_INVALID, NULL, "JSON nests deeper than %d levels",
				API_JSON_DEPTH_MAX);
		return false;
	}
	root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		http_reply_fail(res, CH_INVALID, NULL, "invalid JSON at line %d, column %d: %s",
				jerr.line, jerr.column, jerr.text);
		return false;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		http_reply_fail(res, CH_INVALID, NULL, "the request body must be a JSON object");
		return false;
	}
	*body = root;
	return true;
}

static int64_t count_of(const struct store_count_list *list, const char *key)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].key, key) == 0)
			return list->items[i].count;
	}
	return 0;
}

void api_metrics(void *app_ptr, struct buf *out)
{
	const struct api_app *app = app_ptr;
	struct store *st = NULL;
	struct ch_error err = { 0 };
	int64_t indicators = 0, reports = 0;

	if (store_open(app->db_path, &st, &err) != CH_OK)
		return;
	if (store_count_rows(st, &indicators, &reports, &err) == CH_OK) {
		buf_printf(out, "# HELP ctihub_indicators Indicators in the store.\n"
				"# TYPE ctihub_indicators gauge\nctihub_indicators %lld\n",
			   (long long)indicators);
		buf_printf(out, "# HELP ctihub_reports Reports in the store.\n"
				"# TYPE ctihub_reports gauge\nctihub_reports %lld\n",
			   (long long)reports);
	}

	/* Every state gets a line, so a dashboard sees zeros rather than gaps. */
	static const char *const referral_states[] = { "new", "acknowledged", "in_progress",
							"closed" };
	static const char *const outbox_states[] = { "pending", "delivered", "dead" };
	struct store_count_list referrals = { 0 }, outbox = { 0 };

	if (store_queue_counts(st, &referrals, &outbox, &err) == CH_OK) {
		buf_printf(out, "# HELP ctihub_referrals Referrals by state.\n"
				"# TYPE ctihub_referrals gauge\n");
		for (size_t i = 0; i < 4; i++)
			buf_printf(out, "ctihub_referrals{state=\"%s\"} %lld\n", referral_states[i],
				   (long long)count_of(&referrals, referral_states[i]));
		buf_printf(out, "# HELP ctihub_outbox_messages Notifications by delivery state.\n"
				"# TYPE ctihub_outbox_messages gauge\n");
		for (size_t i = 0; i < 3; i++)
			buf_printf(out, "ctihub_outbox_messages{state=\"%s\"} %lld\n",
				   outbox_states[i], (long long)count_of(&outbox, outbox_states[i]));
	}
	store_count_list_free(&referrals);
	store_count_list_free(&outbox);
	store_close(st);
}
