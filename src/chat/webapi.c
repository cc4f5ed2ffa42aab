/*
 * Outbound Slack and Mattermost API calls with libcurl; see webapi.h for
 * the limits every call shares. The bearer header is built in a buffer
 * that is wiped after the call, and no message carries it.
 */
#include "chat/webapi.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

/* Room for "Authorization: Bearer " and a token; longer tokens are refused. */
#define AUTH_HEADER_MAX 512
/* Characters of a platform's error text kept in a message. */
#define REASON_MAX 200

struct response {
	struct buf body;
	bool too_large;
};

/* Keeps the reply up to CHAT_WEBAPI_RESPONSE_MAX bytes; returning less
 * than given makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t keep_cb(char *data, size_t size, size_t count, void *ctx)
{
	struct response *r = ctx;

	if (buf_append(&r->body, data, size * count) != CH_OK) {
		r->too_large = true;
		return 0;
	}
	return size * count;
}

/*
 * POSTs body (JSON text) to url with the bot token. *status receives the
 * HTTP status and response the reply's bytes. CH_IO for a transfer that
 * failed, CH_TOO_LARGE for a reply over the maximum.
 */
static enum ch_code post_json(const char *what, const char *url, const char *token,
			      const char *body, long *status, struct response *response,
			      struct ch_error *err)
{
	char auth[AUTH_HEADER_MAX];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	enum ch_code rc = CH_OK;
	CURLcode code;
	CURL *h;
	int n;

	n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token ? token : "");
	if (n < 0 || (size_t)n >= sizeof(auth))
		return ch_fail(err, CH_INVALID, "%s: the bot token is longer than %d bytes", what,
			       AUTH_HEADER_MAX - 32);

	notify_curl_init();
	h = curl_easy_init();
	if (!h) {
		sodium_memzero(auth, sizeof(auth));
		return ch_fail(err, CH_INTERNAL, "%s: libcurl could not create a handle", what);
	}
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
	/* Without this, libcurl waits for "100 Continue" before larger bodies. */
	headers = curl_slist_append(headers, "Expect:");

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CHAT_WEBAPI_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CHAT_WEBAPI_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ctihub");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, response);

	code = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (response->too_large)
		rc = ch_fail(err, CH_TOO_LARGE, "%s: the reply is larger than %zu bytes", what,
			     CHAT_WEBAPI_RESPONSE_MAX);
	else if (code != CURLE_OK)
		rc = ch_fail(err, CH_IO, "%s failed: %.*s", what, REASON_MAX,
			     errbuf[0] ? errbuf : curl_easy_strerror(code));

	/* The header list contains a copy of the token too. */
	for (struct curl_slist *item = headers; item; item = item->next)
		sodium_memzero(item->data, strlen(item->data));
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	sodium_memzero(auth, sizeof(auth));
	return rc;
}

/* Calls url and parses the JSON reply; non-JSON replies give a NULL
 * *reply, which callers treat by the status alone. */
static enum ch_code call(const char *what, const char *url, const char *token,
			 const json_t *body, long *status, json_t **reply, struct ch_error *err)
{
	struct response response = { 0 };
	char *text = json_dumps(body, JSON_COMPACT);
	enum ch_code rc;

	*reply = NULL;
	if (!text)
		return ch_fail(err, CH_INTERNAL, "%s: the request body could not be written as JSON",
			       what);
	buf_init(&response.body, CHAT_WEBAPI_RESPONSE_MAX);
	rc = post_json(what, url, token, text, status, &response, err);
	if (rc == CH_OK && response.body.len > 0)
		*reply = json_loadb(response.body.data, response.body.len, 0, NULL);
	buf_free(&response.body);
	free(text);
	return rc;
}

static char *join_url(const char *base, const char *path)
{
	struct buf url;
	size_t len = strlen(base);

	/* "https://slack.com/api/" and "https://slack.com/api" are alike. */
	while (len > 0 && base[len - 1] == '/')
		len--;
	buf_init(&url, len + strlen(path) + 2);
	buf_append(&url, base, len);
	buf_append_char(&url, '/');
	buf_append_str(&url, path[0] == '/' ? path + 1 : path);
	return url.data;
}

enum ch_code chat_slack_api(const struct chat_workspace *ws, const char *method,
			    const json_t *body, json_t **reply, struct ch_error *err)
{
	char what[96];
	char *url = join_url(ws->api_url, method);
	const char *error;
	json_t *parsed = NULL;
	long status = 0;
	enum ch_code rc;

	snprintf(what, sizeof(what), "Slack %.64s", method);
	rc = call(what, url, ws->bot_token, body, &status, &parsed, err);
	free(url);
	if (rc != CH_OK)
		goto out;

	if (status != 200) {
		rc = ch_fail(err, CH_IO, "%s returned HTTP %ld", what, status);
		goto out;
	}
	if (!json_is_object(parsed)) {
		rc = ch_fail(err, CH_IO, "%s returned a reply that is not a JSON object", what);
		goto out;
	}
	if (!json_is_true(json_object_get(parsed, "ok"))) {
		error = json_string_value(json_object_get(parsed, "error"));
		rc = ch_fail(err, CH_IO, "%s failed: %.*s", what, REASON_MAX,
			     error ? error : "no error given");
		goto out;
	}
	if (reply) {
		*reply = parsed;
		parsed = NULL;
	}

out:
	json_decref(parsed);
	return rc;
}

/* POSTs body to a Mattermost API path; anything but 200 or 201 is CH_IO
 * with the "message" of Mattermost's error reply. */
static enum ch_code mattermost_call(const struct chat_workspace *ws, const char *what,
				    const char *path, const json_t *body, struct ch_error *err)
{
	char *url = join_url(ws->api_url, path);
	const char *message;
	json_t *parsed = NULL;
	long status = 0;
	enum ch_code rc;

	rc = call(what, url, ws->bot_token, body, &status, &parsed, err);
	free(url);
	if (rc == CH_OK && status != 200 && status != 201) {
		message = json_string_value(json_object_get(parsed, "message"));
		rc = ch_fail(err, CH_IO, "%s returned HTTP %ld: %.*s", what, status, REASON_MAX,
			     message ? message : "no message given");
	}
	json_decref(parsed);
	return rc;
}

enum ch_code chat_mattermost_dialog_open(const struct chat_workspace *ws, const char *trigger_id,
					 const char *url, const json_t *dialog,
					 struct ch_error *err)
{
	json_t *body;
	enum ch_code rc;

	if (!trigger_id || !*trigger_id)
		return ch_fail(err, CH_INVALID, "Mattermost sent no trigger_id, so no dialog can be "
						"opened; use the command with text instead");
	body = json_pack("{s:s, s:s, s:O}", "trigger_id", trigger_id, "url", url, "dialog",
			 dialog);
	if (!body)
		return ch_fail(err, CH_INVALID, "the dialog request could not be built; the "
						"trigger_id or URL is not valid UTF-8");
	rc = mattermost_call(ws, "Mattermost dialogs/open", "/api/v4/actions/dialogs/open", body,
			     err);
	json_decref(body);
	return rc;
}

/* ---- Messages in the background ------------------------------------------- */

/* The message of one chat_webapi_tell_user call, owned by its thread.
 * The workspace settings are copies, so the configuration may go away
 * meanwhile. */
struct tell_job {
	struct chat_workspace ws;
	json_t *body;
	char *request_id;
};

static void tell_job_free(struct tell_job *job)
{
	if (job->ws.bot_token)
		sodium_memzero(job->ws.bot_token, strlen(job->ws.bot_token));
	free(job->ws.bot_token);
	free(job->ws.api_url);
	json_decref(job->body);
	free(job->request_id);
	free(job);
}

static void *tell_thread(void *arg)
{
	struct tell_job *job = arg;
	struct ch_error err = { 0 };
	enum ch_code rc;

	if (job->ws.platform == CHAT_SLACK)
		rc = chat_slack_api(&job->ws, "chat.postMessage", job->body, NULL, &err);
	else
		rc = mattermost_call(&job->ws, "Mattermost posts/ephemeral", "/api/v4/posts/ephemeral",
				     job->body, &err);
	if (rc != CH_OK)
		log_warn(job->request_id, "The confirmation for a chat user was not sent: %s",
			 err.message);
	tell_job_free(job);
	return NULL;
}

void chat_webapi_tell_user(const struct chat_workspace *ws, const char *user, const char *channel,
			   const char *text, const char *request_id)
{
	struct tell_job *job;
	pthread_attr_t attr;
	pthread_t thread;

	if (!ws->api_url || !ws->bot_token || !user)
		return;
	job = xcalloc(1, sizeof(*job));
	job->ws.platform = ws->platform;
	job->ws.api_url = xstrdup(ws->api_url);
	job->ws.bot_token = xstrdup(ws->bot_token);
	job->request_id = xstrdup(request_id ? request_id : "-");
	/* A Slack message to a user id arrives in the bot's direct messages. */
	if (ws->platform == CHAT_SLACK)
		job->body = json_pack("{s:s, s:s}", "channel", user, "text", text);
	else if (channel)
		job->body = json_pack("{s:s, s:{s:s, s:s}}", "user_id", user, "post", "channel_id",
				      channel, "message", text);
	if (!job->body) {
		tell_job_free(job);
		return;
	}

	/* curl_global_init must not run for the first time on two threads at once. */
	notify_curl_init();
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, tell_thread, job) != 0) {
		log_warn(job->request_id, "The confirmation for a chat user was not sent: no thread "
					  "could be started.");
		tell_job_free(job);
	}
	pthread_attr_destroy(&attr);
}
