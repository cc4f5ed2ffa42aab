/*
 * Reads the "chat" section of the configuration: the workspaces the bridge
 * serves, their secrets (from environment variables the file names), their
 * channels, and the command names. Every key is checked, as in the notify
 * section, so a typo stops the server with the key and its place.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat/chat.h"
#include "formats/config_tree.h"
#include "util/alloc.h"

#define WORKSPACES_MAX 64
#define CHANNELS_MAX 256
#define COMMAND_TOKENS_MAX 32
#define ID_MAX 64
#define NAME_MAX_CHARS 128
#define SECRET_MAX 512
#define URL_MAX 2048
#define DEFAULT_SLACK_API "https://slack.com/api"

static const char *const chat_keys[] = { "max_skew", "commands", "workspaces", NULL };
static const char *const workspace_keys[] = {
	"platform", "id", "name", "signing_secret_env", "bot_token_env", "bot_user_id",
	"command_token_env", "webhook_token_env", "api_url", "default_org", "ceiling",
	"default_tlp", "channels", NULL,
};
static const char *const channel_keys[] = { "id", "category", "tlp", "ceiling", "ingest", NULL };

static const char *const platform_names[] = { [CHAT_SLACK] = "slack",
					      [CHAT_MATTERMOST] = "mattermost" };
static const char *const category_names[CHAT_CATEGORY_COUNT] = {
	[CHAT_CATEGORY_IOC] = "iocs",       [CHAT_CATEGORY_HUNTING] = "hunting",
	[CHAT_CATEGORY_DARKNET] = "darknet", [CHAT_CATEGORY_DISINFO] = "disinfo",
	[CHAT_CATEGORY_FEED] = "feeds",
};
/* The default names, which are the community bot's. */
static const char *const default_commands[CHAT_CMD_COUNT] = {
	[CHAT_CMD_LENEW] = "lenew",       [CHAT_CMD_LEREPLY] = "lereply",
	[CHAT_CMD_LECLOSE] = "leclose",   [CHAT_CMD_LEOPENLIST] = "leopenlist",
	[CHAT_CMD_IOC] = "ioc",           [CHAT_CMD_ATTACK] = "attack",
	[CHAT_CMD_VULNTRIAGE] = "vulntriage", [CHAT_CMD_HUNT] = "hunt",
	[CHAT_CMD_SEARCH] = "ctisearch",  [CHAT_CMD_DIGEST] = "ctidigest",
	[CHAT_CMD_LINK] = "ctilink",
};

const char *chat_platform_name(enum chat_platform platform)
{
	return (unsigned)platform <= CHAT_MATTERMOST ? platform_names[platform] : "unknown";
}

const char *chat_category_name(enum chat_category category)
{
	return (unsigned)category < CHAT_CATEGORY_COUNT ? category_names[category] : "unknown";
}

/* A channel is shared with everyone in it, which AMBER+STRICT and RED
 * forbid, so an answer shown there may be AMBER at most. */
static enum ch_code get_ceiling(const json_t *obj, const char *where, enum tlp_level *out,
				struct ch_error *err);

static enum ch_code get_tlp(const json_t *obj, const char *key, const char *where,
			    enum tlp_level *out, struct ch_error *err)
{
	char *text = NULL;
	enum ch_code rc = config_get_text(obj, key, where, 32, false, &text, err);

	if (rc == CH_OK && text && tlp_parse(text, out, NULL) != CH_OK)
		rc = ch_fail(err, CH_INVALID, "%s.%s: '%.32s' is not a TLP level; use CLEAR, GREEN, "
					      "AMBER, AMBER+STRICT or RED",
			     where, key, text);
	free(text);
	return rc;
}

static enum ch_code get_ceiling(const json_t *obj, const char *where, enum tlp_level *out,
				struct ch_error *err)
{
	enum tlp_level level = *out;
	enum ch_code rc = get_tlp(obj, "ceiling", where, &level, err);

	if (rc == CH_OK && level > TLP_AMBER)
		return ch_fail(err, CH_INVALID, "%s.ceiling is %s; a channel is shared with everyone "
						"in it, so its ceiling can be CLEAR, GREEN or AMBER",
			       where, tlp_name(level));
	if (rc == CH_OK)
		*out = level;
	return rc;
}

/* Reads a required id: letters, digits, '-', '_' and '.', as Slack and
 * Mattermost ids are. */
static enum ch_code get_id(const json_t *obj, const char *key, const char *where, char **out,
			   struct ch_error *err)
{
	enum ch_code rc;

	if (!json_object_get(obj, key))
		return ch_fail(err, CH_INVALID, "%s: '%s' is missing", where, key);
	rc = config_get_text(obj, key, where, ID_MAX, false, out, err);
	for (const char *p = *out; rc == CH_OK && *p; p++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
			rc = ch_fail(err, CH_INVALID, "%s.%s: '%.64s' is not an id; ids have letters, "
						      "digits, '-', '_' and '.'",
				     where, key, *out);
	}
	return rc;
}

static enum ch_code load_commands(const json_t *obj, struct chat_config *cfg,
				  struct ch_error *err)
{
	const char *key;
	json_t *value;

	for (int i = 0; i < CHAT_CMD_COUNT; i++)
		cfg->command_names[i] = xstrdup(default_commands[i]);
	if (!obj)
		return CH_OK;
	if (!json_is_object(obj))
		return ch_fail(err, CH_INVALID, "chat.commands must be a mapping such as {lenew: "
						"escalate}, not %s",
			       config_kind(obj));
	if (config_check_keys(obj, default_commands, "chat.commands", err) != CH_OK)
		return CH_INVALID;
	json_object_foreach((json_t *)obj, key, value) {
		for (int i = 0; i < CHAT_CMD_COUNT; i++) {
			char *name = NULL;

			if (strcmp(key, default_commands[i]) != 0)
				continue;
			if (config_get_text(obj, key, "chat.commands", 32, false, &name, err) != CH_OK)
				return CH_INVALID;
			free(cfg->command_names[i]);
			cfg->command_names[i] = xstrdup(name[0] == '/' ? name + 1 : name);
			free(name);
		}
	}
	for (int i = 0; i < CHAT_CMD_COUNT; i++) {
		for (int k = 0; k < i; k++) {
			if (strcasecmp(cfg->command_names[i], cfg->command_names[k]) == 0)
				return ch_fail(err, CH_INVALID, "chat.commands: '%s' names two "
								"commands; give each its own name",
					       cfg->command_names[i]);
		}
	}
	return CH_OK;
}

static enum ch_code load_channel(const json_t *obj, const char *where, struct chat_workspace *ws,
				 struct chat_channel *ch, struct ch_error *err)
{
	char *category = NULL;
	enum ch_code rc;

	ch->tlp = ws->default_tlp;
	ch->ceiling = ws->ceiling;
	ch->ingest = true;
	ch->category = CHAT_CATEGORY_IOC;
	if (!json_is_object(obj))
		return ch_fail(err, CH_INVALID, "%s must be a mapping, not %s", where,
			       config_kind(obj));
	rc = config_check_keys(obj, channel_keys, where, err);
	if (rc == CH_OK)
		rc = get_id(obj, "id", where, &ch->id, err);
	if (rc == CH_OK)
		rc = config_get_text(obj, "category", where, 32, false, &category, err);
	if (rc == CH_OK && category) {
		int found = -1;

		for (int i = 0; i < CHAT_CATEGORY_COUNT; i++) {
			if (strcasecmp(category, category_names[i]) == 0)
				found = i;
		}
		if (found < 0)
			rc = ch_fail(err, CH_INVALID, "%s.category: '%.32s' is not a category; use "
						      "iocs, hunting, darknet, disinfo or feeds",
				     where, category);
		else
			ch->category = (enum chat_category)found;
	}
	if (rc == CH_OK)
		rc = get_tlp(obj, "tlp", where, &ch->tlp, err);
	if (rc == CH_OK)
		rc = get_ceiling(obj, where, &ch->ceiling, err);
	if (rc == CH_OK)
		rc = config_get_bool(obj, "ingest", where, &ch->ingest, err);
	free(category);
	return rc;
}

static enum ch_code load_channels(const json_t *value, const char *where,
				  struct chat_workspace *ws, struct ch_error *err)
{
	char path[CONFIG_WHERE_MAX + 32];
	const json_t *item;
	size_t i;

	if (!value)
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail(err, CH_INVALID, "%s.channels must be a list, not %s", where,
			       config_kind(value));
	if (json_array_size(value) > CHANNELS_MAX)
		return ch_fail(err, CH_INVALID, "%s.channels lists %zu channels; at most %d are "
						"allowed",
			       where, json_array_size(value), CHANNELS_MAX);
	ws->channels = xcalloc(json_array_size(value) + 1, sizeof(*ws->channels));
	json_array_foreach(value, i, item) {
		snprintf(path, sizeof(path), "%s.channels[%zu]", where, i);
		if (load_channel(item, path, ws, &ws->channels[i], err) != CH_OK) {
			ws->channel_count = i + 1;
			return CH_INVALID;
		}
		ws->channel_count = i + 1;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(ws->channels[k].id, ws->channels[i].id) == 0)
				return ch_fail(err, CH_INVALID, "%s.id: channel %s is listed twice",
					       path, ws->channels[i].id);
		}
	}
	return CH_OK;
}

/* Mattermost gives each slash command and each outgoing webhook its own
 * token, so command_token_env and webhook_token_env take one variable
 * name or a list of them. */
static enum ch_code load_tokens(const json_t *obj, const char *key, const char *where,
				char ***tokens, size_t *count, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, key);
	const json_t *item;
	size_t i;

	if (!value)
		return CH_OK;
	if (json_is_string(value)) {
		*tokens = xcalloc(1, sizeof(char *));
		*count = 1;
		return config_get_secret(obj, key, where, SECRET_MAX, &(*tokens)[0], err);
	}
	if (!json_is_array(value) || json_array_size(value) == 0 ||
	    json_array_size(value) > COMMAND_TOKENS_MAX)
		return ch_fail(err, CH_INVALID, "%s.%s must name one environment variable or a list "
						"of 1 to %d",
			       where, key, COMMAND_TOKENS_MAX);
	*tokens = xcalloc(json_array_size(value), sizeof(char *));
	json_array_foreach(value, i, item) {
		json_t *wrap = json_pack("{s:O}", key, item);
		enum ch_code rc = config_get_secret(wrap, key, where, SECRET_MAX, &(*tokens)[i], err);

		json_decref(wrap);
		*count = i + 1;
		if (rc != CH_OK)
			return rc;
	}
	return CH_OK;
}

static enum ch_code load_workspace(const json_t *obj, const char *where, struct chat_workspace *ws,
				   struct ch_error *err)
{
	char *platform = NULL;
	enum ch_code rc;

	ws->ceiling = TLP_GREEN;
	ws->default_tlp = TLP_AMBER;
	if (!json_is_object(obj))
		return ch_fail(err, CH_INVALID, "%s must be a mapping, not %s", where,
			       config_kind(obj));
	rc = config_check_keys(obj, workspace_keys, where, err);
	if (rc == CH_OK && !json_object_get(obj, "platform"))
		rc = ch_fail(err, CH_INVALID, "%s: 'platform' is missing; use slack or mattermost",
			     where);
	if (rc == CH_OK)
		rc = config_get_text(obj, "platform", where, 32, false, &platform, err);
	if (rc == CH_OK) {
		if (strcmp(platform, "slack") == 0)
			ws->platform = CHAT_SLACK;
		else if (strcmp(platform, "mattermost") == 0)
			ws->platform = CHAT_MATTERMOST;
		else
			rc = ch_fail(err, CH_INVALID, "%s.platform: '%.32s' is not supported; use "
						      "slack or mattermost",
				     where, platform);
	}
	free(platform);
	if (rc == CH_OK)
		rc = get_id(obj, "id", where, &ws->id, err);
	if (rc == CH_OK)
		rc = config_get_text(obj, "name", where, NAME_MAX_CHARS, true, &ws->name, err);
	if (rc == CH_OK && !ws->name)
		ws->name = xstrdup(ws->id);
	if (rc == CH_OK)
		rc = config_get_secret(obj, "signing_secret_env", where, SECRET_MAX,
				       &ws->signing_secret, err);
	if (rc == CH_OK)
		rc = config_get_secret(obj, "bot_token_env", where, SECRET_MAX, &ws->bot_token, err);
	if (rc == CH_OK && json_object_get(obj, "bot_user_id"))
		rc = get_id(obj, "bot_user_id", where, &ws->bot_user_id, err);
	if (rc == CH_OK)
		rc = load_tokens(obj, "command_token_env", where, &ws->command_tokens,
				 &ws->command_token_count, err);
	if (rc == CH_OK)
		rc = load_tokens(obj, "webhook_token_env", where, &ws->webhook_tokens,
				 &ws->webhook_token_count, err);
	if (rc == CH_OK)
		rc = config_get_text(obj, "api_url", where, URL_MAX, false, &ws->api_url, err);
	if (rc == CH_OK && ws->api_url)
		rc = config_check_url(ws->api_url, where, "api_url", "https", "http", err);
	if (rc == CH_OK && !ws->api_url && ws->platform == CHAT_SLACK)
		ws->api_url = xstrdup(DEFAULT_SLACK_API);
	if (rc == CH_OK)
		rc = config_get_text(obj, "default_org", where, 64, true, &ws->default_org, err);
	if (rc == CH_OK)
		rc = get_ceiling(obj, where, &ws->ceiling, err);
	if (rc == CH_OK)
		rc = get_tlp(obj, "default_tlp", where, &ws->default_tlp, err);
	if (rc == CH_OK)
		rc = load_channels(json_object_get(obj, "channels"), where, ws, err);
	if (rc != CH_OK)
		return rc;

	/* A workspace the bridge cannot verify requests from would accept
	 * anyone's, so each platform's secret is required. */
	if (ws->platform == CHAT_SLACK && !ws->signing_secret)
		return ch_fail(err, CH_INVALID, "%s: a Slack workspace needs signing_secret_env, the "
						"variable with the app's signing secret",
			       where);
	if (ws->platform == CHAT_MATTERMOST && !ws->command_tokens && !ws->webhook_tokens)
		return ch_fail(err, CH_INVALID, "%s: a Mattermost team needs command_token_env or "
						"webhook_token_env, the variables with its tokens",
			       where);
	/* Trailing slashes would double in "api_url/views.open". */
	if (ws->api_url) {
		size_t len = strlen(ws->api_url);

		while (len > 0 && ws->api_url[len - 1] == '/')
			ws->api_url[--len] = '\0';
	}
	return CH_OK;
}

static enum ch_code load_workspaces(const json_t *value, struct chat_config *cfg,
				    struct ch_error *err)
{
	char where[CONFIG_WHERE_MAX];
	const json_t *item;
	size_t i;

	if (!value)
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail(err, CH_INVALID, "chat.workspaces must be a list, not %s",
			       config_kind(value));
	if (json_array_size(value) > WORKSPACES_MAX)
		return ch_fail(err, CH_INVALID, "chat.workspaces lists %zu workspaces; at most %d "
						"are allowed",
			       json_array_size(value), WORKSPACES_MAX);
	cfg->workspaces = xcalloc(json_array_size(value) + 1, sizeof(*cfg->workspaces));
	json_array_foreach(value, i, item) {
		struct chat_workspace *ws = &cfg->workspaces[i];

		snprintf(where, sizeof(where), "chat.workspaces[%zu]", i);
		cfg->workspace_count = i + 1;
		if (load_workspace(item, where, ws, err) != CH_OK)
			return CH_INVALID;
		for (size_t k = 0; k < i; k++) {
			if (cfg->workspaces[k].platform == ws->platform &&
			    strcmp(cfg->workspaces[k].id, ws->id) == 0)
				return ch_fail(err, CH_INVALID, "%s.id: %s workspace %s is listed twice",
					       where, chat_platform_name(ws->platform), ws->id);
		}
	}
	return CH_OK;
}

enum ch_code chat_config_load(const json_t *root, struct chat_config *out,
			      struct ch_error *err)
{
	struct chat_config cfg = { .max_skew = 300 };
	const json_t *section = root ? json_object_get(root, "chat") : NULL;
	enum ch_code rc;

	memset(out, 0, sizeof(*out));
	if (section && !json_is_object(section)) {
		rc = ch_fail(err, CH_INVALID, "chat must be a mapping, not %s", config_kind(section));
		goto out;
	}
	rc = load_commands(section ? json_object_get(section, "commands") : NULL, &cfg, err);
	if (rc != CH_OK || !section)
		goto out;
	rc = config_check_keys(section, chat_keys, "chat", err);
	if (rc == CH_OK)
		rc = config_get_duration(section, "max_skew", "chat", 30, 3600, &cfg.max_skew, err);
	if (rc == CH_OK)
		rc = load_workspaces(json_object_get(section, "workspaces"), &cfg, err);
out:
	if (rc != CH_OK) {
		chat_config_free(&cfg);
		return rc;
	}
	*out = cfg;
	return CH_OK;
}

/* Wipes a secret before freeing it, so it does not linger in freed
 * memory. */
static void free_secret(char *secret)
{
	if (secret)
		sodium_memzero(secret, strlen(secret));
	free(secret);
}

void chat_config_free(struct chat_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->workspace_count; i++) {
		struct chat_workspace *ws = &cfg->workspaces[i];

		free(ws->id);
		free(ws->name);
		free_secret(ws->signing_secret);
		free_secret(ws->bot_token);
		free(ws->bot_user_id);
		for (size_t k = 0; k < ws->command_token_count; k++)
			free_secret(ws->command_tokens[k]);
		free(ws->command_tokens);
		for (size_t k = 0; k < ws->webhook_token_count; k++)
			free_secret(ws->webhook_tokens[k]);
		free(ws->webhook_tokens);
		free(ws->api_url);
		free(ws->default_org);
		for (size_t k = 0; k < ws->channel_count; k++)
			free(ws->channels[k].id);
		free(ws->channels);
	}
	free(cfg->workspaces);
	for (int i = 0; i < CHAT_CMD_COUNT; i++)
		free(cfg->command_names[i]);
	memset(cfg, 0, sizeof(*cfg));
}

enum ch_code chat_config_resolve(struct chat_config *cfg, struct store *st,
				 struct ch_error *err)
{
	for (size_t i = 0; i < cfg->workspace_count; i++) {
		struct chat_workspace *ws = &cfg->workspaces[i];

		if (!ws->default_org)
			continue;
		if (store_org_find(st, ws->default_org, &ws->default_org_id, NULL) != CH_OK)
			return ch_fail(err, CH_INVALID, "chat.workspaces[%zu].default_org: organisation "
							"'%s' not found; create it with ctihub org add",
				       i, ws->default_org);
	}
	return CH_OK;
}

const struct chat_workspace *chat_workspace_find(const struct chat_config *cfg,
						 enum chat_platform platform, const char *id)
{
	for (size_t i = 0; cfg && id && i < cfg->workspace_count; i++) {
		if (cfg->workspaces[i].platform == platform && strcmp(cfg->workspaces[i].id, id) == 0)
			return &cfg->workspaces[i];
	}
	return NULL;
}

const struct chat_channel *chat_channel_find(const struct chat_workspace *ws, const char *id)
{
	for (size_t i = 0; ws && id && i < ws->channel_count; i++) {
		if (strcmp(ws->channels[i].id, id) == 0)
			return &ws->channels[i];
	}
	return NULL;
}

bool chat_command_find(const struct chat_config *cfg, const char *name, enum chat_command *cmd)
{
	if (!name)
		return false;
	if (*name == '/')
		name++;
	for (int i = 0; i < CHAT_CMD_COUNT; i++) {
		const char *known = cfg->command_names[i] ? cfg->command_names[i] : default_commands[i];

		if (strcasecmp(name, known) == 0) {
			*cmd = (enum chat_command)i;
			return true;
		}
	}
	return false;
}
