/*
 * The hub account of a chat user: the account linked to their chat
 * identity, or, when the operator allows it for the workspace, a member of
 * its default organisation. Linking is done by an admin (ctihub user
 * link) or by the user with a one-time code.
 */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "chat/chat.h"
#include "util/timeutil.h"

/* Crockford's base32 alphabet: no I, L, O or U, so codes read aloud or
 * typed from a screen are hard to get wrong. */
static const char code_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
#define CODE_CHARS 10

/* The name of the account made for an unlinked chat user: "chat:", eight
 * hex digits of a hash of platform, workspace and user (so names from two
 * workspaces never clash), and the chat user id. */
static void guest_name(const struct chat_context *ctx, char *out, size_t cap)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	char key[256];

	snprintf(key, sizeof(key), "%s/%s/%s", chat_platform_name(ctx->ws->platform), ctx->ws->id,
		 ctx->chat_user);
	crypto_hash_sha256(digest, (const unsigned char *)key, strlen(key));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(out, cap, "chat:%.8s:%.40s", hex, ctx->chat_user);
}

/*
 * Makes a member account in the workspace's default organisation for an
 * unlinked chat user and links it, so that what they send has an owner
 * who can read it back. A later /ctilink moves the chat account to a
 * real one. Two requests racing to do this both end with the same link.
 */
static enum ch_code provision(const struct chat_context *ctx, struct principal *who,
			      struct ch_error *err)
{
	const char *platform = chat_platform_name(ctx->ws->platform);
	struct store_audit_entry entry = { 0 };
	char name[PRINCIPAL_NAME_MAX], object[96];
	int64_t user_id;
	enum ch_code rc;

	guest_name(ctx, name, sizeof(name));
	rc = store_begin(ctx->st, err);
	if (rc != CH_OK)
		return rc;
	rc = store_user_add(ctx->st, name, ctx->ws->default_org_id, ROLE_MEMBER, &user_id, err);
	if (rc == CH_OK)
		rc = store_chat_identity_link(ctx->st, user_id, platform, ctx->ws->id, ctx->chat_user,
					      err);
	if (rc == CH_OK) {
		snprintf(object, sizeof(object), "user:%lld", (long long)user_id);
		entry.time = time_now();
		entry.actor_id = user_id;
		entry.actor = name;
		entry.action = "chat.provision";
		entry.object = object;
		entry.client = ctx->client ? ctx->client : "chat";
		entry.outcome = "ok";
		entry.detail = ctx->ws->default_org;
		rc = store_audit_append(ctx->st, &entry, err);
	}
	if (rc == CH_OK)
		rc = store_commit(ctx->st, err);
	if (rc != CH_OK)
		store_rollback(ctx->st);
	if (rc != CH_OK && rc != CH_CONFLICT)
		return rc;
	return store_chat_identity_find(ctx->st, platform, ctx->ws->id, ctx->chat_user, who, err);
}

enum ch_code chat_principal(const struct chat_context *ctx, struct principal *who, bool *linked,
			    struct ch_error *err)
{
	const char *platform = chat_platform_name(ctx->ws->platform);
	enum ch_code rc;

	*linked = false;
	rc = store_chat_identity_find(ctx->st, platform, ctx->ws->id, ctx->chat_user, who, err);
	if (rc == CH_OK) {
		*linked = strncmp(who->user_name, "chat:", 5) != 0;
		return CH_OK;
	}
	if (rc != CH_NOT_FOUND)
		return rc;
	if (!ctx->ws->default_org_id)
		return ch_fail(err, CH_UNAUTHORIZED, "your %s account is not linked to a ctihub "
						     "account. Ask an operator for a link code "
						     "(ctihub user link-code NAME) and send /%s CODE",
			       platform, ctx->cfg->command_names[CHAT_CMD_LINK]);
	return provision(ctx, who, err);
}

/* Hashes a code after normalising it: upper case, without '-' or spaces,
 * and with the letters Crockford reads as digits (O, I, L) mapped. */
static bool code_hash(const char *code, unsigned char hash[crypto_hash_sha256_BYTES])
{
	char norm[CODE_CHARS + 1];
	size_t n = 0;

	for (const char *p = code; *p; p++) {
		char c = (char)toupper((unsigned char)*p);

		if (c == '-' || c == ' ')
			continue;
		if (c == 'O')
			c = '0';
		if (c == 'I' || c == 'L')
			c = '1';
		if (n == CODE_CHARS || !strchr(code_alphabet, c))
			return false;
		norm[n++] = c;
	}
	if (n != CODE_CHARS)
		return false;
	norm[n] = '\0';
	crypto_hash_sha256(hash, (const unsigned char *)norm, n);
	return true;
}

enum ch_code chat_link_code_create(struct store *st, int64_t user_id, int64_t now,
				   char out[CHAT_LINK_CODE_TEXT_MAX], struct ch_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	size_t n = 0;

	for (int i = 0; i < CODE_CHARS; i++) {
		if (i == CODE_CHARS / 2)
			out[n++] = '-';
		out[n++] = code_alphabet[randombytes_uniform(32)];
	}
	out[n] = '\0';
	code_hash(out, hash);
	return store_chat_link_code_add(st, user_id, hash, now, now + CHAT_LINK_CODE_TTL, err);
}

enum ch_code chat_link_code_redeem(const struct chat_context *ctx, const char *code,
				   struct principal *who, struct ch_error *err)
{
	const char *platform = chat_platform_name(ctx->ws->platform);
	unsigned char hash[crypto_hash_sha256_BYTES];
	struct store_audit_entry entry = { 0 };
	struct store_user user = { 0 };
	char object[160];
	int64_t user_id, now = time_now();
	enum ch_code rc;

	if (!code || !code_hash(code, hash))
		return ch_fail(err, CH_INVALID, "'%.32s' is not a link code; codes look like "
						"ABCDE-23456",
			       code ? code : "");
	if (store_chat_identity_find(ctx->st, platform, ctx->ws->id, ctx->chat_user, who, NULL) ==
		    CH_OK &&
	    strncmp(who->user_name, "chat:", 5) != 0)
		return ch_fail(err, CH_CONFLICT, "your %s account is linked to %s already", platform,
			       who->user_name);

	rc = store_begin(ctx->st, err);
	if (rc != CH_OK)
		return rc;
	rc = store_chat_link_code_use(ctx->st, hash, now, &user_id, err);
	if (rc == CH_OK)
		rc = store_user_find_id(ctx->st, user_id, &user, err);
	/* A guest account made by provision() gives way to the real one. */
	if (rc == CH_OK)
		rc = store_chat_identity_unlink(ctx->st, platform, ctx->ws->id, ctx->chat_user, err);
	if (rc == CH_OK)
		rc = store_chat_identity_link(ctx->st, user_id, platform, ctx->ws->id, ctx->chat_user,
					      err);
	if (rc == CH_OK) {
		snprintf(object, sizeof(object), "chat:%s/%.40s/%.40s", platform, ctx->ws->id,
			 ctx->chat_user);
		entry.time = now;
		entry.actor_id = user_id;
		entry.actor = user.name;
		entry.action = "chat.link";
		entry.object = object;
		entry.client = ctx->client ? ctx->client : "chat";
		entry.outcome = "ok";
		entry.detail = "one-time code";
		rc = store_audit_append(ctx->st, &entry, err);
	}
	if (rc == CH_OK)
		rc = store_commit(ctx->st, err);
	if (rc != CH_OK) {
		store_rollback(ctx->st);
		store_user_free(&user);
		return rc;
	}
	store_user_free(&user);
	return store_chat_identity_find(ctx->st, platform, ctx->ws->id, ctx->chat_user, who, err);
}
