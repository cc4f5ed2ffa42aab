/*
 * The API route table and the helpers shared by its handlers:
 * per-thread store handles, bearer-token authentication with rate
 * limiting, JSON body parsing with a depth limit, and audit entries.
 */
#include "http/api.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chat/handlers.h"
#include "policy/token.h"
#include "util/alloc.h"
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

/*
 * Each worker thread has its own store handle. Indicator lookups on it
 * share one read transaction for up to api_app.shared_read_ns: 1 ms
 * unless CTIHUB_SHARED_READ_MS sets another value. Starting and ending a
 * transaction (locks on the WAL index, a check of the file size) cost
 * about a tenth of a lookup, as measured on the benchmark's database.
 *
 * A shared transaction sees what was committed when it began. So it is
 * not reused once this server has handled a write request since then.
 * Other processes' changes, such as a token revoked with the CLI, show
 * within that age.
 *
 * Every other use of the handle first ends the shared transaction
 * (api_store). The janitor thread (api_shared_reads_start) ends those of
 * idle threads, which would otherwise hold back WAL checkpoints. It and
 * the owner take the thread's lock to touch the transaction.
 */
/* The janitor's pass comes every 5 ms, or at the age when that is less. */
#define JANITOR_PERIOD_NS 5000000ULL

struct thread_store {
	struct store *st;
	pthread_mutex_t lock;
	atomic_bool open;      /* a shared read transaction is open */
	bool locked;           /* the owner holds lock; used by the owner only */
	uint64_t opened_ns;    /* guarded by lock */
	uint64_t writes;       /* http_write_count when it began; guarded by lock */
	struct thread_store *next; /* in the registry, guarded by registry_lock */
};

static pthread_key_t store_key;
static pthread_once_t store_key_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_store *registry;

struct api_shared_reads {
	pthread_t thread;
	uint64_t max_age_ns;
	atomic_bool stop;
};

/* Ends ts's shared transaction, if one is open. The caller holds ts->lock. */
static void end_shared_read(struct thread_store *ts)
{
	if (atomic_load(&ts->open)) {
		store_read_end(ts->st);
		atomic_store(&ts->open, false);
	}
}

static void close_thread_store(void *arg)
{
	struct thread_store *ts = arg;

	pthread_mutex_lock(&registry_lock);
	for (struct thread_store **p = &registry; *p; p = &(*p)->next) {
		if (*p == ts) {
			*p = ts->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	end_shared_read(ts);
	store_close(ts->st);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

static void make_store_key(void)
{
	pthread_key_create(&store_key, close_thread_store);
}

/* The calling thread's handle, opened on first use; NULL (with a 500
 * reply written when res is set) when the database cannot be opened. */
static struct thread_store *thread_store(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct thread_store *ts;
	struct ch_error err = { 0 };
	struct store *st;

	pthread_once(&store_key_once, make_store_key);
	ts = pthread_getspecific(store_key);
	if (ts)
		return ts;

	if (store_open(app->db_path, &st, &err) != CH_OK) {
		log_error(req->request_id, "cannot open the database: %s", err.message);
		if (res)
			http_reply_fail(res, CH_DB, NULL,
					"the database is not available; try again later");
		return NULL;
	}
	ts = xcalloc(1, sizeof(*ts));
	ts->st = st;
	pthread_mutex_init(&ts->lock, NULL);
	atomic_init(&ts->open, false);
	pthread_mutex_lock(&registry_lock);
	ts->next = registry;
	registry = ts;
	pthread_mutex_unlock(&registry_lock);
	pthread_setspecific(store_key, ts);
	return ts;
}

struct store *api_store(struct http_request *req, struct http_response *res)
{
	struct thread_store *ts = thread_store(req, res);

	if (!ts)
		return NULL;
	/* Between api_store_shared_read and _done the handler works inside
	 * the shared transaction, such as for its token check. Otherwise the
	 * transaction ends here. Only this thread opens one, so when it reads
	 * false here, none is open. */
	if (!ts->locked && atomic_load(&ts->open)) {
		pthread_mutex_lock(&ts->lock);
		end_shared_read(ts);
		pthread_mutex_unlock(&ts->lock);
	}
	return ts->st;
}

struct store *api_store_shared_read(struct http_request *req, struct http_response *res)
{
	const struct api_app *app = req->app;
	struct thread_store *ts = thread_store(req, res);
	uint64_t now, writes;

	if (!ts)
		return NULL;
	if (!app->shared_read_ns) {
		store_read_begin(ts->st, NULL);
		return ts->st;
	}
	pthread_mutex_lock(&ts->lock);
	ts->locked = true;
	/* Read before the transaction begins: a write request that ends in
	 * between is then in the snapshot and also ends it next time. */
	now = time_monotonic_ns();
	writes = http_write_count(req);
	/* A write in the last lookup (an audit entry without the audit
	 * writer) ends the transaction under the flag. */
	if (atomic_load(&ts->open) &&
	    (now - ts->opened_ns >= app->shared_read_ns || ts->writes != writes ||
	     !store_in_transaction(ts->st)))
		end_shared_read(ts);
	if (!atomic_load(&ts->open) && store_read_begin(ts->st, NULL) == CH_OK) {
		ts->opened_ns = now;
		ts->writes = writes;
		atomic_store(&ts->open, true);
	}
	return ts->st;
}

void api_store_shared_read_done(struct http_request *req)
{
	const struct api_app *app = req->app;
	struct thread_store *ts = pthread_getspecific(store_key);

	if (!ts)
		return;
	if (!app->shared_read_ns) {
		store_read_end(ts->st);
		return;
	}
	ts->locked = false;
	pthread_mutex_unlock(&ts->lock);
}

/* Ends the shared transactions that have outlived their age: those of
 * threads that have had no lookup since. A thread busy with a request is
 * skipped, because it checks the age itself. */
static void *janitor_main(void *arg)
{
	struct api_shared_reads *sr = arg;
	uint64_t period_ns = sr->max_age_ns < JANITOR_PERIOD_NS ? sr->max_age_ns : JANITOR_PERIOD_NS;
	const struct timespec period = { .tv_sec = (time_t)(period_ns / 1000000000ULL),
					 .tv_nsec = (long)(period_ns % 1000000000ULL) };

	while (!atomic_load(&sr->stop)) {
		uint64_t now;

		nanosleep(&period, NULL);
		now = time_monotonic_ns();
		pthread_mutex_lock(&registry_lock);
		for (struct thread_store *ts = registry; ts; ts = ts->next) {
			if (!atomic_load(&ts->open) || pthread_mutex_trylock(&ts->lock) != 0)
				continue;
			if (atomic_load(&ts->open) && now - ts->opened_ns >= sr->max_age_ns)
				end_shared_read(ts);
			pthread_mutex_unlock(&ts->lock);
		}
		pthread_mutex_unlock(&registry_lock);
	}
	return NULL;
}

enum ch_code api_shared_reads_start(uint64_t max_age_ns, struct api_shared_reads **out,
				    struct ch_error *err)
{
	struct api_shared_reads *sr = xcalloc(1, sizeof(*sr));

	sr->max_age_ns = max_age_ns;
	atomic_init(&sr->stop, false);
	if (pthread_create(&sr->thread, NULL, janitor_main, sr) != 0) {
		free(sr);
		return ch_fail(err, CH_INTERNAL, "cannot start the thread that ends shared read "
			       "transactions");
	}
	*out = sr;
	return CH_OK;
}

void api_shared_reads_stop(struct api_shared_reads *sr)
{
	if (!sr)
		return;
	atomic_store(&sr->stop, true);
	pthread_join(sr->thread, NULL);
	free(sr);
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
