/*
 * The referral workflow: who may do what to a referral, and what each
 * action writes. The API, the CLI and the chat bridge all call these
 * functions, so the rules live in one place:
 *
 *   action                          member/admin           le
 *   open a referral                 yes                    yes
 *   list                            own referrals          all
 *   show, attachments               own referrals          all
 *   attach evidence                 own referrals          all
 *   reply, assign, acknowledge,
 *   set in progress, close, reopen  refused (CH_DENIED)    yes
 *
 * Admins manage accounts and sinks but cannot act on others' referrals. A
 * refused action returns CH_DENIED and writes an audit entry; reading a
 * referral one may not read returns CH_NOT_FOUND, like a missing one, and
 * is audited too.
 *
 * Each change runs in one transaction with its history event, its audit
 * entry and its outbox rows, so a notification commits with the change it
 * announces or not at all.
 */
#ifndef CTIHUB_WORKFLOW_REFERRALS_H
#define CTIHUB_WORKFLOW_REFERRALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/referral.h"
#include "notify/notify.h"
#include "policy/access.h"
#include "store/store.h"

/* Largest evidence attachment, in bytes. The server's --body-max also
 * applies to uploads over HTTP. */
#define REFERRAL_ATTACHMENT_MAX ((size_t)64 * 1024 * 1024)
#define REFERRAL_ATTACHMENT_NAME_MAX 200

struct workflow {
	struct store *st;
	const struct notify_config *notify; /* NULL: no sinks */
	const struct principal *who;
	const char *client;                 /* "cli", or the peer address */
	/* Called after a commit that queued notifications; may be NULL. */
	void (*queued)(void *ctx);
	void *queued_ctx;
};

bool workflow_is_le(const struct workflow *w);
/* Refuses (CH_DENIED, audited as action on key) a caller who is not LE,
 * so that front ends can check the role before they read the input. */
enum ch_code workflow_require_le(const struct workflow *w, const char *key, const char *action,
				 const char *what, struct ch_error *err);

enum ch_code workflow_referral_open(const struct workflow *w, const struct referral_input *in,
				    struct store_referral_view *out, struct ch_error *err);

/* Reads one referral with its thread, as the caller may see it. */
enum ch_code workflow_referral_show(const struct workflow *w, const char *key,
				    struct store_referral_view *out, struct ch_error *err);

/* Lists referrals: everything for LE, the caller's own otherwise. With
 * mark_seen, an officer's "new since I last looked" mark moves to now. */
enum ch_code workflow_referral_list(const struct workflow *w, struct store_referral_filter *filter,
				    bool mark_seen, struct store_referral_list *out,
				    struct ch_error *err);

enum ch_code workflow_referral_reply(const struct workflow *w, const char *key, const char *body,
				     bool internal, struct store_referral_view *out,
				     struct ch_error *err);
/* officer names an LE user (NULL for none); agency is free text. */
enum ch_code workflow_referral_assign(const struct workflow *w, const char *key,
				      const char *officer, const char *agency,
				      struct store_referral_view *out, struct ch_error *err);
/* state is "acknowledged" or "in_progress". */
enum ch_code workflow_referral_set_state(const struct workflow *w, const char *key,
					 const char *state, struct store_referral_view *out,
					 struct ch_error *err);
enum ch_code workflow_referral_close(const struct workflow *w, const char *key,
				     const char *resolution, const char *note,
				     struct store_referral_view *out, struct ch_error *err);
enum ch_code workflow_referral_reopen(const struct workflow *w, const char *key,
				      const char *reason, struct store_referral_view *out,
				      struct ch_error *err);

enum ch_code workflow_referral_attach(const struct workflow *w, const char *key,
				      const char *name, const char *content_type,
				      const void *data, size_t size,
				      struct store_referral_attachment *out, struct ch_error *err);
enum ch_code workflow_referral_attachment(const struct workflow *w, const char *key,
					  int64_t attachment_id,
					  struct store_referral_attachment *meta, void **data,
					  struct ch_error *err);

#endif
