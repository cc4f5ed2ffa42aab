/*
 * Helpers shared by the CLI commands: global options, error output, store
 * and warning-list set-up.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/yaml_json.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/utf8.h"

struct cli_globals cli_globals;

bool cli_global_option(int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_DB:
		cli_globals.db_path = arg;
		return true;
	case CLI_OPT_CONFIG:
		cli_globals.config_path = arg;
		return true;
	case CLI_OPT_WARNLIST:
		if (cli_globals.warnlist_count == sizeof(cli_globals.warnlist_paths) /
							 sizeof(cli_globals.warnlist_paths[0])) {
			fprintf(stderr, "ctihub: too many --warninglist options; pass a directory instead\n");
			exit(2);
		}
		cli_globals.warnlist_paths[cli_globals.warnlist_count++] = arg;
		return true;
	default:
		return false;
	}
}

int cli_fail(enum ch_code code, const struct ch_error *err)
{
	if (err && err->message[0])
		fprintf(stderr, "ctihub: %s\n", err->message);
	else
		fprintf(stderr, "ctihub: %s\n", ch_code_name(code));
	return ch_code_exit_status(code);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("ctihub: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'ctihub %s --help' for usage.\n", command);
	return 2;
}

int cli_open_store(struct store **st)
{
	struct ch_error err = { 0 };
	enum ch_code rc = store_open(cli_globals.db_path, st, &err);

	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}

static enum ch_code load_one(struct ioc_warnlists *wl, const char *path, struct ch_error *err)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return ch_fail(err, CH_IO, "warning list '%s' not found; check --warninglist or CTIHUB_WARNINGLISTS",
			       path);
	if (S_ISDIR(sb.st_mode))
		return ioc_warnlists_load_dir(wl, path, err);
	return ioc_warnlists_load_file(wl, path, err);
}

int cli_load_warnlists(struct ioc_warnlists **out)
{
	struct ch_error err = { 0 };
	struct ioc_warnlists *wl = NULL;
	const char *env = getenv("CTIHUB_WARNINGLISTS");
	char *env_copy = NULL;
	enum ch_code rc = CH_OK;

	*out = NULL;
	if (cli_globals.warnlist_count == 0 && (!env || !*env))
		return 0;

	wl = ioc_warnlists_new();
	for (size_t i = 0; i < cli_globals.warnlist_count && rc == CH_OK; i++)
		rc = load_one(wl, cli_globals.warnlist_paths[i], &err);

	/* CTIHUB_WARNINGLISTS is a colon-separated list of files or folders. */
	if (rc == CH_OK && env && *env) {
		char *save = NULL;

		env_copy = xstrdup(env);
		for (char *p = strtok_r(env_copy, ":", &save); p && rc == CH_OK;
		     p = strtok_r(NULL, ":", &save))
			rc = load_one(wl, p, &err);
		free(env_copy);
	}

	if (rc != CH_OK) {
		ioc_warnlists_free(wl);
		return cli_fail(rc, &err);
	}
	*out = wl;
	return 0;
}

enum ch_code cli_check_name(const char *what, const char *name, struct ch_error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64)
		return ch_fail(err, CH_INVALID, "invalid %s name '%s': use 1 to 64 characters", what,
			       name);
	if (name[0] == ' ' || name[len - 1] == ' ')
		return ch_fail(err, CH_INVALID, "invalid %s name '%s': remove the spaces at either end",
			       what, name);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return ch_fail(err, CH_INVALID,
				       "invalid %s name: control characters are not allowed", what);
	}
	return CH_OK;
}

enum ch_code cli_audit(struct store *st, const char *action, const char *object_kind,
		       int64_t object_id, const char *detail, struct ch_error *err)
{
	const char *login = getenv("USER");
	char actor[PRINCIPAL_NAME_MAX + 16];
	char object[64];
	struct store_audit_entry entry = { 0 };

	snprintf(actor, sizeof(actor), "operator:%s", login && *login ? login : "unknown");
	snprintf(object, sizeof(object), "%s:%lld", object_kind, (long long)object_id);
	entry.time = time_now();
	entry.actor = actor;
	entry.action = action;
	entry.object = object;
	entry.client = "cli";
	entry.outcome = "ok";
	entry.detail = detail;
	return store_audit_append(st, &entry, err);
}

bool cli_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || *end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Reads the configuration file into *root, NULL when there is none. */
static enum ch_code load_config_tree(json_t **root, struct ch_error *err)
{
	const char *path = cli_globals.config_path;

	*root = NULL;
	if (!path || !*path)
		path = getenv("CTIHUB_CONFIG");
	if (path && *path)
		return yaml_json_load(path, root, err);
	return CH_OK;
}

int cli_load_notify(struct notify_config *out)
{
	struct ch_error err = { 0 };
	json_t *root = NULL;
	enum ch_code rc = load_config_tree(&root, &err);

	if (rc == CH_OK)
		rc = notify_config_load(root, out, &err);
	json_decref(root);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}

int cli_load_chat(struct chat_config *out)
{
	struct ch_error err = { 0 };
	json_t *root = NULL;
	enum ch_code rc = load_config_tree(&root, &err);

	if (rc == CH_OK)
		rc = chat_config_load(root, out, &err);
	json_decref(root);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}

int cli_load_scoring(struct score_config *out)
{
	struct ch_error err = { 0 };
	json_t *root = NULL;
	enum ch_code rc = load_config_tree(&root, &err);

	if (rc == CH_OK)
		rc = score_config_load(root, out, &err);
	json_decref(root);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	return 0;
}

json_t *cli_json_text(const char *s)
{
	json_t *text = json_string(s);
	struct buf fixed;
	const unsigned char *p = (const unsigned char *)s;

	if (text || !s)
		return text;
	/* Each byte becomes at most three. */
	buf_init(&fixed, strlen(s) * 3 + 1);
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_sequence_len(p);

		if (n == 0) {
			buf_append(&fixed, "\xEF\xBF\xBD", 3);
			p++;
			continue;
		}
		buf_append(&fixed, (const char *)p, n);
		p += n;
	}
	text = json_stringn(fixed.data ? fixed.data : "", fixed.len);
	buf_free(&fixed);
	return text;
}
