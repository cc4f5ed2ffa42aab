/*
 * Delivers due outbox messages with libcurl: an HTTP POST for webhook,
 * Slack and Mattermost sinks, SMTP for email. Each message gets one
 * attempt per pass. A 2xx reply or an accepted SMTP transaction marks it
 * delivered. Anything else counts a failed attempt, and the next one is
 * due after backoff * 2^(attempts - 1) seconds, capped at backoff_max.
 * After max_attempts the message moves to the dead-letter list.
 *
 * Before each attempt, the row is checked against the sink's settings at
 * that time, because the configuration may have changed since the payload
 * was rendered. A payload with details above the sink's current tlp_max,
 * or rendered for another sink type, is not sent: it moves straight to the
 * dead-letter list. 'ctihub outbox retry' only requeues it, so the same
 * check runs again and rejects it again until the settings allow it.
 *
 * Every request has a connect and a total timeout, follows no redirect,
 * may use only the sink's own protocols and reads at most
 * RESPONSE_MAX bytes of reply. Errors recorded in the outbox name the HTTP
 * status or libcurl's message, never the URL or a credential.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/notify_internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Due messages read per query. */
#define DUE_BATCH 50
/* Bytes of a webhook's reply read before the transfer is cut off. */
#define RESPONSE_MAX (64 * 1024)
/* Maximum seconds for the connect phase, when the sink's timeout is longer. */
#define CONNECT_TIMEOUT_MAX 10
/* Length kept of an error message in the outbox. */
#define ERROR_MAX 200
/* RFC 5322 allows 998 bytes per line; body lines are broken well before. */
#define MAIL_LINE_MAX 900

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void notify_curl_init(void)
{
	pthread_once(&curl_once, init_curl);
}

/* Counts the reply's bytes without keeping them; returning less than
 * given makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t discard_cb(char *data, size_t size, size_t count, void *ctx)
{
	size_t *received = ctx;

	(void)data;
	*received += size * count;
	if (*received > RESPONSE_MAX)
		return 0;
	return size * count;
}

/* The options every request shares. */
static CURL *new_handle(const struct notify_sink *sink, const char *protocols, char *errbuf,
			size_t *received)
{
	CURL *h = curl_easy_init();
	long connect = sink->timeout_seconds < CONNECT_TIMEOUT_MAX ? sink->timeout_seconds
								   : CONNECT_TIMEOUT_MAX;

	if (!h)
		return NULL;
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, sink->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, sink->timeout_seconds);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, received);
	return h;
}

/* Writes libcurl's message for a failed transfer into error. */
static void transfer_error(CURLcode code, const char *errbuf, char *error, size_t cap)
{
	snprintf(error, cap, "%.*s", ERROR_MAX, errbuf[0] ? errbuf : curl_easy_strerror(code));
}

static bool post_http(const struct notify_sink *sink, const struct store_outbox_row *row,
		      char *error, size_t cap)
{
	char errbuf[CURL_ERROR_SIZE];
	char key_header[160];
	struct curl_slist *headers = NULL;
	size_t received = 0;
	long status = 0;
	CURLcode code;
	CURL *h = new_handle(sink, "http,https", errbuf, &received);

	if (!h) {
		snprintf(error, cap, "libcurl could not create a handle");
		return false;
	}
	snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", row->idempotency_key);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, key_header);
	/* Without this, libcurl waits for "100 Continue" before larger bodies. */
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ctihub");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, row->payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(row->payload));

	code = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);

	/* A reply cut off for its size still carries its status. */
	if ((code == CURLE_OK || code == CURLE_WRITE_ERROR) && status >= 200 && status < 300)
		return true;
	if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && status > 0))
		snprintf(error, cap, "HTTP %ld", status);
	else
		transfer_error(code, errbuf, error, cap);
	return false;
}

/* ---- Email ---------------------------------------------------------------- */

/* Writes the subject as is when it is printable ASCII, and as RFC 2047
 * base64 encoded words otherwise. Line breaks never reach the header. */
static void append_subject(struct buf *msg, const char *subject)
{
	bool ascii = true;
	size_t len = strlen(subject);

	for (const unsigned char *p = (const unsigned char *)subject; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			ascii = false;
	}
	buf_append_str(msg, "Subject: ");
	if (ascii) {
		buf_append_str(msg, subject);
		buf_append_str(msg, "\r\n");
		return;
	}

	/* 45 bytes give 60 base64 characters, so each word stays under the
	 * 75 characters RFC 2047 allows; words end on character boundaries. */
	for (size_t start = 0; start < len;) {
		size_t end = start + 45 < len ? start + 45 : len;
		char encoded[64];

		while (end < len && end > start + 1 && ((unsigned char)subject[end] & 0xc0) == 0x80)
			end--;
		sodium_bin2base64(encoded, sizeof(encoded), (const unsigned char *)subject + start,
				  end - start, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(msg, "%s=?UTF-8?B?%s?=", start ? "\r\n " : "", encoded);
		start = end;
	}
	buf_append_str(msg, "\r\n");
}

/* Appends the body with CRLF line ends, breaking lines longer than
 * MAIL_LINE_MAX bytes at a character boundary. */
static void append_body(struct buf *msg, const char *body)
{
	size_t column = 0;

	for (const char *p = body; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n') {
			buf_append_str(msg, "\r\n");
			column = 0;
			continue;
		}
		if (column >= MAIL_LINE_MAX && ((unsigned char)*p & 0xc0) != 0x80) {
			buf_append_str(msg, "\r\n");
			column = 0;
		}
		buf_append_char(msg, *p);
		column++;
	}
	if (column > 0)
		buf_append_str(msg, "\r\n");
}

/* Appends data in base64, 76 characters a line as RFC 2045 requires. */
static void append_base64(struct buf *msg, const char *data)
{
	size_t len = strlen(data);

	/* 57 bytes give exactly 76 base64 characters. */
	for (size_t start = 0; start < len; start += 57) {
		size_t n = len - start < 57 ? len - start : 57;
		char line[80];

		sodium_bin2base64(line, sizeof(line), (const unsigned char *)data + start, n,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_printf(msg, "%s\r\n", line);
	}
}

/* Appends a multipart/alternative body: the plain text, then the HTML,
 * which mail readers prefer when they can show it. The boundary is a hash
 * of both parts, so no text inside them can contain it, and a retry
 * builds the same message. The HTML goes in base64, because its lines
 * (an inline SVG chart, say) may be longer than the 998 bytes SMTP
 * allows and must not be broken. */
static void append_alternative(struct buf *msg, const char *text, const char *html)
{
	unsigned char hash[16];
	char hex[2 * sizeof(hash) + 1];
	crypto_generichash_state state;

	crypto_generichash_init(&state, NULL, 0, sizeof(hash));
	crypto_generichash_update(&state, (const unsigned char *)text, strlen(text) + 1);
	crypto_generichash_update(&state, (const unsigned char *)html, strlen(html));
	crypto_generichash_final(&state, hash, sizeof(hash));
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));

	buf_printf(msg,
		   "Content-Type: multipart/alternative; boundary=\"=_ctihub_%s\"\r\n"
		   "Auto-Submitted: auto-generated\r\n"
		   "\r\n"
		   "This is a MIME message with a plain-text and an HTML version.\r\n"
		   "--=_ctihub_%s\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: 8bit\r\n"
		   "\r\n",
		   hex, hex);
	append_body(msg, text);
	buf_printf(msg,
		   "--=_ctihub_%s\r\n"
		   "Content-Type: text/html; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: base64\r\n"
		   "\r\n",
		   hex);
	append_base64(msg, html);
	buf_printf(msg, "--=_ctihub_%s--\r\n", hex);
}

/* Builds the RFC 5322 message: plain text, or multipart/alternative when
 * the payload has an "html" part. The Date is when the message was queued
 * and the Message-ID comes from the idempotency key, so every retry sends
 * the same message. */
static enum ch_code build_mail(const struct notify_sink *sink, const struct store_outbox_row *row,
			       struct buf *msg, char *error, size_t cap)
{
	json_t *root = json_loads(row->payload, 0, NULL);
	const char *subject = root ? json_string_value(json_object_get(root, "subject")) : NULL;
	const char *body = root ? json_string_value(json_object_get(root, "body")) : NULL;
	const char *html = root ? json_string_value(json_object_get(root, "html")) : NULL;
	const char *domain = strchr(sink->mail_from, '@') + 1;
	time_t created = (time_t)row->created;
	struct tm tm;
	char date[64];

	if (!subject || !body) {
		json_decref(root);
		snprintf(error, cap, "the message was not rendered for email; it was queued for another sink type");
		return CH_INVALID;
	}
	gmtime_r(&created, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);

	buf_printf(msg, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, sink->mail_from);
	for (size_t i = 0; i < sink->mail_to_count; i++)
		buf_printf(msg, "%s<%s>", i ? ",\r\n " : "", sink->mail_to[i]);
	buf_append_str(msg, "\r\n");
	append_subject(msg, subject);
	buf_printf(msg,
		   "Message-ID: <%s@%s>\r\n"
		   "MIME-Version: 1.0\r\n",
		   row->idempotency_key, domain);
	if (html) {
		append_alternative(msg, body, html);
	} else {
		buf_append_str(msg,
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: 8bit\r\n"
			       "Auto-Submitted: auto-generated\r\n"
			       "\r\n");
		append_body(msg, body);
	}
	json_decref(root);
	return CH_OK;
}

struct upload {
	const char *data;
	size_t len;
	size_t pos;
};

static size_t upload_cb(char *out, size_t size, size_t count, void *ctx)
{
	struct upload *up = ctx;
	size_t room = size * count;
	size_t left = up->len - up->pos;
	size_t n = left < room ? left : room;

	memcpy(out, up->data + up->pos, n);
	up->pos += n;
	return n;
}

static bool send_mail(const struct notify_sink *sink, const struct store_outbox_row *row,
		      char *error, size_t cap)
{
	char errbuf[CURL_ERROR_SIZE];
	char address[300];
	struct curl_slist *rcpt = NULL;
	struct upload up = { 0 };
	struct buf msg;
	size_t received = 0;
	long status = 0;
	bool smtps = strncmp(sink->url, "smtps:", 6) == 0;
	CURLcode code;
	CURL *h;

	/* Base64 makes the HTML a third longer, and line ends add to both parts. */
	buf_init(&msg, 2 * NOTIFY_DIGEST_PAYLOAD_MAX);
	if (build_mail(sink, row, &msg, error, cap) != CH_OK) {
		buf_free(&msg);
		return false;
	}
	h = new_handle(sink, "smtp,smtps", errbuf, &received);
	if (!h) {
		buf_free(&msg);
		snprintf(error, cap, "libcurl could not create a handle");
		return false;
	}

	snprintf(address, sizeof(address), "<%s>", sink->mail_from);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, address);
	for (size_t i = 0; i < sink->mail_to_count; i++) {
		snprintf(address, sizeof(address), "<%s>", sink->mail_to[i]);
		rcpt = curl_slist_append(rcpt, address);
	}
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);

	/* smtps:// is TLS from the start. On smtp://, a login requires
	 * STARTTLS, so the password never crosses the network in clear text.
	 * Without a login, STARTTLS is used when the server offers it. */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			 smtps || sink->username ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (sink->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, sink->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, sink->password);
	}

	up.data = msg.data;
	up.len = msg.len;
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);

	code = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	buf_free(&msg);

	if (code == CURLE_OK)
		return true;
	if (status >= 400)
		snprintf(error, cap, "SMTP %ld: %.*s", status, ERROR_MAX,
			 errbuf[0] ? errbuf : curl_easy_strerror(code));
	else
		transfer_error(code, errbuf, error, cap);
	return false;
}

/* ---- The pass ------------------------------------------------------------- */

/* Seconds to wait after the given number of failed attempts. */
static int64_t retry_delay(const struct notify_config *cfg, int attempts)
{
	int64_t delay = cfg->backoff;

	for (int i = 1; i < attempts && delay < cfg->backoff_max; i++)
		delay *= 2;
	return delay < cfg->backoff_max ? delay : cfg->backoff_max;
}

static bool send_one(const struct notify_sink *sink, const struct store_outbox_row *row,
		     char *error, size_t cap)
{
	if (sink->type == SINK_EMAIL)
		return send_mail(sink, row, error, cap);
	return post_http(sink, row, error, cap);
}

bool notify_row_allowed(const struct notify_sink *sink, const struct store_outbox_row *row,
			char *reason, size_t cap)
{
	const char *type = notify_sink_type_name(sink->type);

	/* A payload rendered for another type has the wrong shape for this
	 * sink, so the receiver would reject it or show it in a form nobody
	 * checked, such as an email's plain-text body posted to a webhook. */
	if (row->sink_type && strcmp(row->sink_type, type) != 0) {
		snprintf(reason, cap,
			 "not sent: the message was rendered for a %.16s sink and the sink is now %s; the sink's settings changed after it was queued",
			 row->sink_type, type);
		return false;
	}
	if (row->details && !notify_details_allowed(sink, row->tlp)) {
		snprintf(reason, cap,
			 "not sent: TLP:%s details exceed the sink's tlp_max %s; the sink's settings changed after it was queued",
			 tlp_name(row->tlp), tlp_name(sink->tlp_max));
		return false;
	}
	return true;
}

/* Makes one attempt at a message and records the outcome. *ok is true
 * when it was delivered. */
static enum ch_code deliver_one(struct store *st, const struct notify_config *cfg,
				const struct store_outbox_row *row, int64_t now, bool *ok,
				struct ch_error *err)
{
	const struct notify_sink *sink = notify_sink_find(cfg, row->sink);
	char log_id[32];
	char error[ERROR_MAX + 64] = "";
	int attempts = row->attempts + 1;
	bool dead;

	snprintf(log_id, sizeof(log_id), "outbox:%lld", (long long)row->id);
	if (!sink) {
		snprintf(error, sizeof(error),
			 "sink '%.64s' is not in the configuration; add it back, then run 'ctihub outbox retry %lld'",
			 row->sink, (long long)row->id);
		*ok = false;
		log_warn(log_id, "Notification %s for %s cannot be delivered: sink '%s' is not configured; it moves to the dead-letter list.",
			 row->event, row->object, row->sink);
		return store_outbox_failed(st, row->id, attempts, now, true, error, err);
	}
	if (!notify_row_allowed(sink, row, error, sizeof(error))) {
		*ok = false;
		log_warn(log_id, "Notification %s for %s to sink '%s' moves to the dead-letter list (%s).",
			 row->event, row->object, row->sink, error);
		return store_outbox_failed(st, row->id, attempts, now, true, error, err);
	}

	*ok = send_one(sink, row, error, sizeof(error));
	if (*ok) {
		log_info(log_id, "Delivered notification %s for %s to sink '%s' on attempt %d.",
			 row->event, row->object, row->sink, attempts);
		return store_outbox_delivered(st, row->id, now, err);
	}

	dead = attempts >= cfg->max_attempts;
	if (dead)
		log_warn(log_id, "Notification %s for %s to sink '%s' failed on attempt %d of %d (%s); it moves to the dead-letter list, see 'ctihub outbox'.",
			 row->event, row->object, row->sink, attempts, cfg->max_attempts, error);
	else
		log_warn(log_id, "Notification %s for %s to sink '%s' failed on attempt %d of %d (%s); retrying in %lld s.",
			 row->event, row->object, row->sink, attempts, cfg->max_attempts, error,
			 (long long)retry_delay(cfg, attempts));
	return store_outbox_failed(st, row->id, attempts, now + retry_delay(cfg, attempts), dead,
				   error, err);
}

enum ch_code notify_deliver_pass(struct store *st, const struct notify_config *cfg, int64_t now,
				 const atomic_bool *stop, size_t *delivered, size_t *failed,
				 struct ch_error *err)
{
	size_t ok_count = 0, failed_count = 0;
	bool done = false;
	enum ch_code rc = CH_OK;

	notify_curl_init();

	/* Every row handled leaves the due set (delivered, dead, or due later
	 * than now), so each query returns new rows until none are left. */
	while (rc == CH_OK && !done) {
		struct store_outbox_list due;

		rc = store_outbox_due(st, now, DUE_BATCH, &due, err);
		if (rc != CH_OK || due.count == 0) {
			if (rc == CH_OK)
				store_outbox_list_free(&due);
			break;
		}
		for (size_t i = 0; i < due.count && rc == CH_OK; i++) {
			bool ok;

			if (stop && atomic_load(stop)) {
				done = true;
				break;
			}
			rc = deliver_one(st, cfg, &due.items[i], now, &ok, err);
			if (rc == CH_OK && ok)
				ok_count++;
			else if (rc == CH_OK)
				failed_count++;
		}
		if (due.count < DUE_BATCH)
			done = true;
		store_outbox_list_free(&due);
	}

	if (delivered)
		*delivered = ok_count;
	if (failed)
		*failed = failed_count;
	return rc;
}

enum ch_code notify_deliver_due(struct store *st, const struct notify_config *cfg, int64_t now,
				size_t *delivered, size_t *failed, struct ch_error *err)
{
	return notify_deliver_pass(st, cfg, now, NULL, delivered, failed, err);
}
