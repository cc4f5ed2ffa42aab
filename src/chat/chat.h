/*
 * The chat bridge: Slack and Mattermost workspaces as front ends of the
 * hub. Slash commands, forms (Slack modals, Mattermost interactive
 * dialogs) and channel messages arrive over HTTP under /chat/; each is
 * verified (Slack: HMAC-SHA256 request signature; Mattermost: per-team
 * tokens), mapped to a hub account, and handled by the same code as the
 * API: model/report.c and model/referral.c validate, workflow/referrals.c
 * decides who may do what.
 *
 * Layout of src/chat/:
 *   config.c    the "chat" section of the configuration file
 *   verify.c    Slack signatures, Mattermost tokens, replay protection
 *   identity.c  chat user -> hub principal, one-time link codes
 *   commands.c  the commands, platform-neutral: text in, struct chat_reply out
 *   forms.c     the form definitions shared by Slack modals and Mattermost dialogs
 *   slack.c     Slack request parsing and Block Kit replies
 *   mattermost.c  Mattermost request parsing and replies
 *   events.c    channel messages into chat reports (Slack Events API,
 *               Mattermost outgoing webhooks)
 *   webapi.c    outbound calls: Slack views.open and chat.postMessage,
 *               Mattermost dialogs/open (libcurl)
 */
#ifndef CTIHUB_CHAT_CHAT_H
#define CTIHUB_CHAT_CHAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/warnlist.h"
#include "notify/notify.h"
#include "policy/access.h"
#include "policy/tlp.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

enum chat_platform {
	CHAT_SLACK = 0,
	CHAT_MATTERMOST,
};

/* "slack" or "mattermost", as stored in chat_identities.platform. */
const char *chat_platform_name(enum chat_platform platform);

/* The category of a channel. Its messages become reports of kind "chat"
 * with this category in their fields. */
enum chat_category {
	CHAT_CATEGORY_IOC = 0,   /* "iocs" */
	CHAT_CATEGORY_HUNTING,   /* "hunting" */
	CHAT_CATEGORY_DARKNET,   /* "darknet" */
	CHAT_CATEGORY_DISINFO,   /* "disinfo" */
	CHAT_CATEGORY_FEED,      /* "feeds" */
	CHAT_CATEGORY_COUNT
};

const char *chat_category_name(enum chat_category category);

struct chat_channel {
	char *id;                 /* C0123ABC, or a Mattermost channel id */
	enum chat_category category;
	enum tlp_level tlp;       /* TLP of reports made from its messages (default AMBER) */
	enum tlp_level ceiling;   /* most restrictive TLP an in-channel reply may carry */
	bool ingest;              /* store its messages (default true) */
};

struct chat_workspace {
	enum chat_platform platform;
	char *id;                 /* Slack team_id, or Mattermost team_id */
	char *name;               /* for logs and messages */
	/* Secrets are read from the environment variables the file names. */
	char *signing_secret;     /* Slack: request signing secret */
	char *bot_token;          /* Slack bot token, or Mattermost bot access token */
	char *bot_user_id;        /* the bot's own user id: its messages are ignored */
	char **command_tokens;    /* Mattermost: slash command tokens */
	size_t command_token_count;
	char **webhook_tokens;    /* Mattermost: outgoing webhook tokens, one per webhook */
	size_t webhook_token_count;
	char *api_url;            /* Slack Web API base (default https://slack.com/api),
				   * or the Mattermost server URL */
	char *default_org;        /* unlinked users act as members of this org; NULL: refused */
	int64_t default_org_id;   /* resolved at start; 0 when default_org is NULL */
	enum tlp_level ceiling;   /* default channel ceiling (default GREEN) */
	enum tlp_level default_tlp; /* default TLP of channel reports (default AMBER) */
	struct chat_channel *channels;
	size_t channel_count;
};

/* The commands; their names are configurable (chat.commands). */
enum chat_command {
	CHAT_CMD_LENEW = 0,   /* /lenew */
	CHAT_CMD_LEREPLY,     /* /lereply ID TEXT */
	CHAT_CMD_LECLOSE,     /* /leclose ID RESOLUTION [NOTE] */
	CHAT_CMD_LEOPENLIST,  /* /leopenlist */
	CHAT_CMD_IOC,         /* /ioc */
	CHAT_CMD_ATTACK,      /* /attack */
	CHAT_CMD_VULNTRIAGE,  /* /vulntriage */
	CHAT_CMD_HUNT,        /* /hunt */
	CHAT_CMD_SEARCH,      /* /ctisearch VALUE */
	CHAT_CMD_DIGEST,      /* /ctidigest */
	CHAT_CMD_LINK,        /* /ctilink CODE */
	CHAT_CMD_COUNT
};

struct chat_config {
	struct chat_workspace *workspaces;
	size_t workspace_count;
	/* Command names without the slash, such as "lenew". */
	char *command_names[CHAT_CMD_COUNT];
	int64_t max_skew;          /* Slack timestamp tolerance, seconds (300) */
};

/* Reads the "chat" section (root may be NULL: no workspaces). Errors name
 * the key and its place, like notify_config_load. */
enum ch_code chat_config_load(const json_t *root, struct chat_config *out,
			      struct ch_error *err);
void chat_config_free(struct chat_config *cfg);
/* Looks up each workspace's default organisation; CH_INVALID names a
 * missing one. Called once the store is open. */
enum ch_code chat_config_resolve(struct chat_config *cfg, struct store *st,
				 struct ch_error *err);
const struct chat_workspace *chat_workspace_find(const struct chat_config *cfg,
						 enum chat_platform platform, const char *id);
/* The channel's settings, or NULL when the channel is not configured. */
const struct chat_channel *chat_channel_find(const struct chat_workspace *ws, const char *id);
/* Finds a command by its configured name (with or without the slash). */
bool chat_command_find(const struct chat_config *cfg, const char *name,
		       enum chat_command *cmd);

/* Everything a command or form handler needs about the request. */
struct chat_context {
	struct store *st;
	const struct chat_config *cfg;
	const struct chat_workspace *ws;
	const struct notify_config *notify;
	const struct ioc_warnlists *warnlists;
	void (*queued)(void *ctx);   /* wakes the outbox worker; may be NULL */
	void *queued_ctx;
	const char *public_url;
	const char *chat_user;       /* the platform's user id */
	const char *chat_user_name;  /* display or handle, may be NULL */
	const char *channel;         /* channel id, may be NULL (a form submission) */
	const char *trigger_id;      /* for opening a form, may be NULL */
	const char *client;          /* peer address, for the audit log */
	const char *request_id;
};

/* A reply to a command or form. text is Markdown-like (Slack mrkdwn
 * and Mattermost Markdown agree on *bold*, `code` and links for what the
 * bridge writes). */
struct chat_reply {
	bool ephemeral;          /* only the caller sees it */
	struct buf text;
	/* A form to open instead of (or besides) the text, or -1. */
	int open_form;           /* enum chat_form */
	/* Field errors of a form submission: an object of field -> message. */
	json_t *field_errors;
};

void chat_reply_init(struct chat_reply *reply);
void chat_reply_free(struct chat_reply *reply);

/* Maps the chat user to a hub principal: a linked account, or, when the
 * operator allows it, a member account of the workspace's default
 * organisation that the bridge makes on first use (named "chat:HASH:USER";
 * *linked is false for it, and /ctilink replaces it). CH_UNAUTHORIZED with
 * a message that explains how to link otherwise. */
enum ch_code chat_principal(const struct chat_context *ctx, struct principal *who,
			    bool *linked, struct ch_error *err);

/* One-time link codes: an operator (ctihub user link-code) or the user
 * (POST /api/v1/me/link-code) makes one, and the user sends it from chat
 * with /ctilink CODE within CHAT_LINK_CODE_TTL seconds. The code has 50
 * random bits, written as two groups of five characters (ABCDE-23456);
 * only its SHA-256 is stored. */
#define CHAT_LINK_CODE_TTL (15 * 60)
#define CHAT_LINK_CODE_TEXT_MAX 16
enum ch_code chat_link_code_create(struct store *st, int64_t user_id, int64_t now,
				   char out[CHAT_LINK_CODE_TEXT_MAX], struct ch_error *err);
/* Links the context's chat user to the code's account, in one
 * transaction with its audit entry; *who is that account. CH_CONFLICT
 * when the chat user is linked already. */
enum ch_code chat_link_code_redeem(const struct chat_context *ctx, const char *code,
				   struct principal *who, struct ch_error *err);

/* Runs a slash command with its text. Never fails: problems become an
 * ephemeral reply that explains what to do. */
void chat_command_run(const struct chat_context *ctx, enum chat_command cmd, const char *text,
		      struct chat_reply *reply);

#endif
