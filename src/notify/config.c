/*
 * Reads the notification settings from a configuration tree (the JSON form
 * of the YAML file). Every key is checked against the list of known keys,
 * so a typo is an error that names the key and its path, never a
 * setting that silently keeps its default. Secrets are not read from the
 * file: an SMTP password comes from the environment variable that
 * password_env names.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify_internal.h"
#include "formats/config_tree.h"
#include "util/alloc.h"
#include "util/timeutil.h"

#define DEFAULT_PUBLIC_URL "http://127.0.0.1:8080"

/* Hard limits on the configuration. */
#define SINKS_MAX 32
#define RECIPIENTS_MAX 16
#define SINK_NAME_MAX 64
#define URL_MAX 2048
#define ADDRESS_MAX 254 /* maximum forward path in RFC 5321, less the brackets */
#define ENV_NAME_MAX 128
#define USERNAME_MAX 256
#define PASSWORD_MAX 1024

/* A key path in messages, such as "notify.sinks[2]". */
#define WHERE_MAX 64

static const char *const root_keys[] = { "public_url", "notify", "chat", "scoring", "digests", NULL };
static const char *const notify_keys[] = { "max_attempts", "backoff", "backoff_max", "poll",
					   "sinks", NULL };
static const char *const sink_keys[] = { "name", "type", "url", "tlp_max", "events", "timeout",
					 "from", "to", "username", "password_env", NULL };

static const char *const sink_type_names[] = {
	[SINK_WEBHOOK] = "webhook",
	[SINK_SLACK] = "slack",
	[SINK_MATTERMOST] = "mattermost",
	[SINK_EMAIL] = "email",
};

static const struct {
	const char *name;
	enum notify_event event;
} event_names[] = {
	{ "referral.created", NOTIFY_REFERRAL_CREATED },
	{ "referral.reply", NOTIFY_REFERRAL_REPLY },
	{ "referral.state", NOTIFY_REFERRAL_STATE },
};

#define EVENT_COUNT (sizeof(event_names) / sizeof(event_names[0]))

const char *notify_event_name(enum notify_event event)
{
	for (size_t i = 0; i < EVENT_COUNT; i++) {
		if (event_names[i].event == event)
			return event_names[i].name;
	}
	return NULL;
}

bool notify_event_parse(const char *name, enum notify_event *event)
{
	for (size_t i = 0; i < EVENT_COUNT; i++) {
		if (strcmp(event_names[i].name, name) == 0) {
			*event = event_names[i].event;
			return true;
		}
	}
	return false;
}

const char *notify_sink_type_name(enum notify_sink_type type)
{
	if ((size_t)type < sizeof(sink_type_names) / sizeof(sink_type_names[0]))
		return sink_type_names[type];
	return "unknown";
}

const struct notify_sink *notify_sink_find(const struct notify_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->sink_count; i++) {
		if (strcmp(cfg->sinks[i].name, name) == 0)
			return &cfg->sinks[i];
	}
	return NULL;
}

/* config_check_keys, with a hint for the one secret people put in the file. */
static enum ch_code check_keys(const json_t *obj, const char *const *keys, const char *where,
			       struct ch_error *err)
{
	if (keys == sink_keys && json_object_get(obj, "password"))
		return ch_fail(err, CH_INVALID,
			       "%s: key 'password' is not allowed, because the configuration file must not hold secrets; set password_env to the name of an environment variable that holds the password",
			       where);
	return config_check_keys(obj, keys, where, err);
}

static bool url_has_user(const char *url)
{
	CURLU *h = curl_url();
	char *user = NULL;
	bool found;

	curl_url_set(h, CURLUPART_URL, url, 0);
	found = curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK;
	curl_free(user);
	curl_url_cleanup(h);
	return found;
}

static enum ch_code load_public_url(const json_t *root, struct notify_config *cfg,
				    struct ch_error *err)
{
	size_t len;

	cfg->public_url = xstrdup(DEFAULT_PUBLIC_URL);
	if (!root)
		return CH_OK;
	if (config_get_text(root, "public_url", "configuration", 512, false, &cfg->public_url, err) != CH_OK)
		return CH_INVALID;
	if (config_check_url(cfg->public_url, "configuration", "public_url", "https", "http", err) != CH_OK)
		return CH_INVALID;

	/* Links append "/api/v1/...", so a trailing slash would double. */
	len = strlen(cfg->public_url);
	while (len > 0 && cfg->public_url[len - 1] == '/')
		cfg->public_url[--len] = '\0';
	return CH_OK;
}

static enum ch_code load_sink_name(const json_t *obj, const char *where,
				   const struct notify_config *cfg, struct notify_sink *sink,
				   struct ch_error *err)
{
	if (!json_object_get(obj, "name"))
		return ch_fail(err, CH_INVALID, "%s has no name; add name: followed by a unique name",
			       where);
	if (config_get_text(obj, "name", where, SINK_NAME_MAX, false, &sink->name, err) != CH_OK)
		return CH_INVALID;
	for (const char *p = sink->name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return ch_fail(err, CH_INVALID,
				       "%s.name '%s' is invalid; use letters, digits, '-', '_' and '.'",
				       where, sink->name);
	}
	for (const struct notify_sink *other = cfg->sinks; other < sink; other++) {
		if (strcmp(other->name, sink->name) == 0)
			return ch_fail(err, CH_INVALID,
				       "%s.name '%s' is used by another sink; sink names must be unique",
				       where, sink->name);
	}
	return CH_OK;
}

static enum ch_code load_sink_type(const json_t *obj, const char *where,
				   struct notify_sink *sink, struct ch_error *err)
{
	char *type = NULL;
	size_t count = sizeof(sink_type_names) / sizeof(sink_type_names[0]);

	if (!json_object_get(obj, "type"))
		return ch_fail(err, CH_INVALID,
			       "%s has no type; use webhook, slack, mattermost or email", where);
	if (config_get_text(obj, "type", where, 32, false, &type, err) != CH_OK)
		return CH_INVALID;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(type, sink_type_names[i]) == 0) {
			sink->type = (enum notify_sink_type)i;
			free(type);
			return CH_OK;
		}
	}
	ch_fail(err, CH_INVALID, "%s.type '%s' is invalid; use webhook, slack, mattermost or email",
		where, type);
	free(type);
	return CH_INVALID;
}

static enum ch_code load_sink_url(const json_t *obj, const char *where,
				  struct notify_sink *sink, struct ch_error *err)
{
	bool email = sink->type == SINK_EMAIL;

	if (!json_object_get(obj, "url"))
		return ch_fail(err, CH_INVALID, "%s has no url; add the %s", where,
			       email ? "SMTP server as smtp://HOST:PORT or smtps://HOST:PORT"
				     : "incoming webhook URL");
	if (config_get_text(obj, "url", where, URL_MAX, false, &sink->url, err) != CH_OK)
		return CH_INVALID;
	if (!email)
		return config_check_url(sink->url, where, "url", "https", "http", err);
	if (config_check_url(sink->url, where, "url", "smtp", "smtps", err) != CH_OK)
		return CH_INVALID;

	/* The password must not sit in the file, so neither may the URL carry one. */
	if (url_has_user(sink->url))
		return ch_fail(err, CH_INVALID,
			       "%s.url must not contain a user name or password; use username and password_env",
			       where);
	return CH_OK;
}

static enum ch_code load_sink_tlp(const json_t *obj, const char *where, struct notify_sink *sink,
				  struct ch_error *err)
{
	const json_t *value = json_object_get(obj, "tlp_max");

	sink->tlp_max = TLP_AMBER;
	if (!value)
		return CH_OK;
	if (!json_is_string(value) || tlp_parse(json_string_value(value), &sink->tlp_max, NULL) != CH_OK)
		return ch_fail(err, CH_INVALID,
			       "%s.tlp_max is invalid; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED",
			       where);

	/* A chat channel is shared by everyone in it, which AMBER+STRICT and
	 * RED do not allow. */
	if ((sink->type == SINK_SLACK || sink->type == SINK_MATTERMOST) &&
	    sink->tlp_max > TLP_AMBER)
		return ch_fail(err, CH_INVALID,
			       "%s.tlp_max is %s, but a %s channel is shared, so details above AMBER may not go there; use CLEAR, GREEN or AMBER",
			       where, tlp_name(sink->tlp_max), notify_sink_type_name(sink->type));
	return CH_OK;
}

static enum ch_code load_sink_events(const json_t *obj, const char *where,
				     struct notify_sink *sink, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, "events");
	const json_t *item;
	size_t i;
	enum notify_event event;

	sink->events = NOTIFY_EVENTS_ALL;
	if (!value)
		return CH_OK;
	if (!json_is_array(value) || json_array_size(value) == 0)
		return ch_fail(err, CH_INVALID,
			       "%s.events must be a list such as [referral.created, referral.reply, referral.state]; leave it out for all events",
			       where);
	sink->events = 0;
	json_array_foreach(value, i, item) {
		if (!json_is_string(item) || !notify_event_parse(json_string_value(item), &event))
			return ch_fail(err, CH_INVALID,
				       "%s.events[%zu] is not an event; use referral.created, referral.reply or referral.state",
				       where, i);
		sink->events |= (unsigned)event;
	}
	return CH_OK;
}

static bool valid_address(const char *address)
{
	const char *at = strchr(address, '@');

	if (!at || at == address || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	return strpbrk(address, "<>,;:\"()[]\\") == NULL;
}

static enum ch_code load_address(const json_t *value, const char *where, const char *key,
				 char **out, struct ch_error *err)
{
	const char *text;

	if (!json_is_string(value))
		return ch_fail(err, CH_INVALID, "%s.%s must be an email address, not %s", where, key,
			       config_kind(value));
	text = json_string_value(value);
	if (json_string_length(value) > ADDRESS_MAX || strlen(text) != json_string_length(value) ||
	    !config_printable(text, false) || !valid_address(text))
		return ch_fail(err, CH_INVALID,
			       "%s.%s: '%.64s' is not a valid email address; write it as name@example.org",
			       where, key, text);
	*out = xstrdup(text);
	return CH_OK;
}

static enum ch_code load_recipients(const json_t *obj, const char *where,
				    struct notify_sink *sink, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, "to");
	const json_t *item;
	char key[32];
	size_t i;

	if (!value)
		return ch_fail(err, CH_INVALID, "%s has no to; add the recipient addresses", where);
	if (json_is_string(value)) {
		sink->mail_to = xcalloc(1, sizeof(*sink->mail_to));
		sink->mail_to_count = 1;
		return load_address(value, where, "to", &sink->mail_to[0], err);
	}
	if (!json_is_array(value) || json_array_size(value) == 0 ||
	    json_array_size(value) > RECIPIENTS_MAX)
		return ch_fail(err, CH_INVALID, "%s.to must be a list of 1 to %d email addresses",
			       where, RECIPIENTS_MAX);
	sink->mail_to = xcalloc(json_array_size(value), sizeof(*sink->mail_to));
	json_array_foreach(value, i, item) {
		snprintf(key, sizeof(key), "to[%zu]", i);
		if (load_address(item, where, key, &sink->mail_to[i], err) != CH_OK)
			return CH_INVALID;
		sink->mail_to_count++;
	}
	return CH_OK;
}

static enum ch_code load_password(const json_t *obj, const char *where, struct notify_sink *sink,
				  struct ch_error *err)
{
	char *env_name = NULL;
	const char *password;
	enum ch_code rc = CH_OK;

	if (config_get_text(obj, "password_env", where, ENV_NAME_MAX, false, &env_name, err) != CH_OK)
		return CH_INVALID;
	if (!env_name && !sink->username)
		return CH_OK;
	if (!env_name || !sink->username) {
		free(env_name);
		return ch_fail(err, CH_INVALID,
			       "%s: username and password_env go together; set both, or neither for a server that needs no login",
			       where);
	}

	password = getenv(env_name);
	if (!password || !*password)
		rc = ch_fail(err, CH_INVALID,
			     "%s.password_env names the environment variable %s, which is not set; export it with the SMTP password",
			     where, env_name);
	else if (strlen(password) > PASSWORD_MAX)
		rc = ch_fail(err, CH_INVALID,
			     "the password in %s is longer than %d bytes", env_name, PASSWORD_MAX);
	else
		sink->password = xstrdup(password);
	free(env_name);
	return rc;
}

/* Reads the keys only an email sink has, and rejects them on the others. */
static enum ch_code load_sink_email(const json_t *obj, const char *where,
				    struct notify_sink *sink, struct ch_error *err)
{
	static const char *const email_keys[] = { "from", "to", "username", "password_env", NULL };

	if (sink->type != SINK_EMAIL) {
		for (const char *const *k = email_keys; *k; k++) {
			if (json_object_get(obj, *k))
				return ch_fail(err, CH_INVALID,
					       "%s: key '%s' applies only to email sinks; remove it",
					       where, *k);
		}
		return CH_OK;
	}

	if (!json_object_get(obj, "from"))
		return ch_fail(err, CH_INVALID, "%s has no from; add the sender address", where);
	if (load_address(json_object_get(obj, "from"), where, "from", &sink->mail_from, err) != CH_OK)
		return CH_INVALID;
	if (load_recipients(obj, where, sink, err) != CH_OK)
		return CH_INVALID;
	if (config_get_text(obj, "username", where, USERNAME_MAX, false, &sink->username, err) != CH_OK)
		return CH_INVALID;
	return load_password(obj, where, sink, err);
}

static enum ch_code load_sink(const json_t *obj, const char *where, struct notify_config *cfg,
			      struct notify_sink *sink, struct ch_error *err)
{
	if (!json_is_object(obj))
		return ch_fail(err, CH_INVALID, "%s must be a mapping with name, type and url, not %s",
			       where, config_kind(obj));
	if (check_keys(obj, sink_keys, where, err) != CH_OK ||
	    load_sink_name(obj, where, cfg, sink, err) != CH_OK ||
	    load_sink_type(obj, where, sink, err) != CH_OK ||
	    load_sink_url(obj, where, sink, err) != CH_OK ||
	    load_sink_tlp(obj, where, sink, err) != CH_OK ||
	    load_sink_events(obj, where, sink, err) != CH_OK)
		return CH_INVALID;

	sink->timeout_seconds = 10;
	if (config_get_duration(obj, "timeout", where, 1, 300, &sink->timeout_seconds, err) != CH_OK)
		return CH_INVALID;
	return load_sink_email(obj, where, sink, err);
}

static enum ch_code load_sinks(const json_t *value, struct notify_config *cfg,
			       struct ch_error *err)
{
	const json_t *item;
	char where[WHERE_MAX];
	size_t i;

	if (!value)
		return CH_OK;
	if (!json_is_array(value))
		return ch_fail(err, CH_INVALID, "notify.sinks must be a list of sinks, not %s",
			       config_kind(value));
	if (json_array_size(value) > SINKS_MAX)
		return ch_fail(err, CH_INVALID, "notify.sinks lists %zu sinks; at most %d are allowed",
			       json_array_size(value), SINKS_MAX);

	cfg->sinks = xcalloc(json_array_size(value) + 1, sizeof(*cfg->sinks));
	json_array_foreach(value, i, item) {
		snprintf(where, sizeof(where), "notify.sinks[%zu]", i);
		/* Counted first, so a half-read sink is freed with the rest. */
		cfg->sink_count++;
		if (load_sink(item, where, cfg, &cfg->sinks[i], err) != CH_OK)
			return CH_INVALID;
	}
	return CH_OK;
}

static enum ch_code load_notify(const json_t *section, struct notify_config *cfg,
				struct ch_error *err)
{
	const json_t *value;

	if (!section || json_is_null(section))
		return CH_OK;
	if (!json_is_object(section))
		return ch_fail(err, CH_INVALID, "notify must be a mapping, not %s", config_kind(section));
	if (check_keys(section, notify_keys, "notify", err) != CH_OK)
		return CH_INVALID;

	value = json_object_get(section, "max_attempts");
	if (value) {
		if (!json_is_integer(value) || json_integer_value(value) < 1 ||
		    json_integer_value(value) > 100)
			return ch_fail(err, CH_INVALID,
				       "notify.max_attempts must be a whole number from 1 to 100");
		cfg->max_attempts = (int)json_integer_value(value);
	}
	if (config_get_duration(section, "backoff", "notify", 1, 86400, &cfg->backoff, err) != CH_OK ||
	    config_get_duration(section, "backoff_max", "notify", 1, 7 * 86400, &cfg->backoff_max, err) !=
		    CH_OK ||
	    config_get_duration(section, "poll", "notify", 1, 3600, &cfg->poll, err) != CH_OK)
		return CH_INVALID;
	if (cfg->backoff_max < cfg->backoff)
		return ch_fail(err, CH_INVALID,
			       "notify.backoff_max (%lld s) is shorter than notify.backoff (%lld s); make it at least as long",
			       (long long)cfg->backoff_max, (long long)cfg->backoff);
	return load_sinks(json_object_get(section, "sinks"), cfg, err);
}

enum ch_code notify_config_load(const json_t *root, struct notify_config *out,
				struct ch_error *err)
{
	struct notify_config cfg = {
		.max_attempts = 12,
		.backoff = 30,
		.backoff_max = 3600,
		.poll = 1,
	};
	enum ch_code rc = CH_OK;

	notify_curl_init();
	if (root && !json_is_object(root))
		rc = ch_fail(err, CH_INVALID,
			     "the configuration must be a mapping with keys such as public_url and notify, not %s",
			     config_kind(root));
	if (rc == CH_OK && root)
		rc = check_keys(root, root_keys, "configuration", err);
	if (rc == CH_OK)
		rc = load_public_url(root, &cfg, err);
	if (rc == CH_OK && root)
		rc = load_notify(json_object_get(root, "notify"), &cfg, err);
	if (rc != CH_OK) {
		notify_config_free(&cfg);
		return rc;
	}
	*out = cfg;
	return CH_OK;
}

void notify_config_free(struct notify_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->sink_count; i++) {
		struct notify_sink *s = &cfg->sinks[i];

		free(s->name);
		free(s->url);
		free(s->mail_from);
		for (size_t j = 0; j < s->mail_to_count; j++)
			free(s->mail_to[j]);
		free(s->mail_to);
		free(s->username);
		if (s->password) {
			sodium_memzero(s->password, strlen(s->password));
			free(s->password);
		}
	}
	free(cfg->sinks);
	free(cfg->public_url);
	memset(cfg, 0, sizeof(*cfg));
}
