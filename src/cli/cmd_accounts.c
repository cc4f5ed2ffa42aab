/*
 * Operator commands for accounts: ctihub org, user and token. Each change
 * is written to the audit log with the operator's login name as the actor
 * and "cli" as the client.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "policy/token.h"
#include "util/timeutil.h"

/* Parses "--opt value" style options shared by the account commands. */
static int parse_options(int argc, char **argv, const char *command, const struct option *options,
			 const char *help, int (*on_option)(int opt, const char *arg, void *ctx),
			 void *ctx)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (opt == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (!on_option || on_option(opt, optarg, ctx) != 0)
			return cli_usage_error(command, "invalid option");
	}
	return 0;
}

static const char org_help[] =
	"Usage: ctihub org add NAME\n"
	"\n"
	"Adds an organisation. Names are unique, ignoring case.\n";

int cmd_org(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ch_error err = { 0 };
	struct store *st;
	int64_t id;
	enum ch_code rc;
	int status;

	status = parse_options(argc, argv, "org", options, org_help, NULL, NULL);
	if (status != 0)
		return status < 0 ? 0 : status;
	if (optind + 2 != argc || strcmp(argv[optind], "add") != 0)
		return cli_usage_error("org", "expected 'org add NAME'");

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	rc = cli_check_name("organisation", argv[optind + 1], &err);
	if (rc == CH_OK)
		rc = store_org_add(st, argv[optind + 1], &id, &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "org.add", "org", id, argv[optind + 1], &err);
	store_close(st);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("organisation %s added (id %lld)\n", argv[optind + 1], (long long)id);
	return 0;
}

struct user_add_options {
	const char *org;
	const char *role;
};

static int user_option(int opt, const char *arg, void *ctx)
{
	struct user_add_options *o = ctx;

	if (opt == 'o')
		o->org = arg;
	else if (opt == 'r')
		o->role = arg;
	else
		return -1;
	return 0;
}

static const char user_help[] =
	"Usage: ctihub user add NAME --org ORG --role member|le|admin\n"
	"       ctihub user list\n"
	"       ctihub user link NAME --platform slack|mattermost --workspace ID --chat-user ID\n"
	"       ctihub user link-code NAME\n"
	"\n"
	"Adds a user to an organisation with a role (member, le for law enforcement,\n"
	"or admin), lists users with their active token count, or links a chat\n"
	"identity to a user for the chat bridge. link-code prints a one-time code\n"
	"that the user sends from chat with /ctilink CODE within 15 minutes to link\n"
	"their chat account themselves.\n";

static int user_add(struct store *st, const char *name, const struct user_add_options *o)
{
	struct ch_error err = { 0 };
	enum role role;
	int64_t org_id, id;
	enum ch_code rc;

	if (!o->org || !o->role)
		return cli_usage_error("user", "'user add' needs --org ORG and --role ROLE");
	rc = role_parse(o->role, &role, &err);
	if (rc == CH_OK)
		rc = cli_check_name("user", name, &err);
	if (rc == CH_OK)
		rc = store_org_find(st, o->org, &org_id, &err);
	if (rc == CH_NOT_FOUND)
		snprintf(err.message, sizeof(err.message),
			 "organisation '%s' not found; add it first with 'ctihub org add %s'", o->org,
			 o->org);
	if (rc == CH_OK)
		rc = store_user_add(st, name, org_id, role, &id, &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "user.add", "user", id, role_name(role), &err);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("user %s added to %s as %s (id %lld)\n", name, o->org, role_name(role), (long long)id);
	return 0;
}

static int user_list(struct store *st)
{
	struct store_user_list list;
	struct ch_error err = { 0 };
	enum ch_code rc = store_user_list(st, &list, &err);

	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("%-6s %-24s %-24s %-7s %s\n", "ID", "USER", "ORGANISATION", "ROLE", "TOKENS");
	for (size_t i = 0; i < list.count; i++) {
		const struct store_user *u = &list.items[i];

		printf("%-6lld %-24s %-24s %-7s %zu\n", (long long)u->id, u->name, u->org,
		       role_name(u->role), u->active_tokens);
	}
	store_user_list_free(&list);
	return 0;
}

struct user_link_options {
	const char *platform;
	const char *workspace;
	const char *chat_user;
};

static int link_option(int opt, const char *arg, void *ctx)
{
	struct user_link_options *o = ctx;

	if (opt == 'p')
		o->platform = arg;
	else if (opt == 'w')
		o->workspace = arg;
	else if (opt == 'u')
		o->chat_user = arg;
	else
		return -1;
	return 0;
}

static int user_link(struct store *st, const char *name, const struct user_link_options *o)
{
	struct ch_error err = { 0 };
	struct store_user user = { 0 };
	enum ch_code rc;

	if (!o->platform || !o->workspace || !o->chat_user)
		return cli_usage_error("user",
				       "'user link' needs --platform, --workspace and --chat-user");
	if (strcmp(o->platform, "slack") != 0 && strcmp(o->platform, "mattermost") != 0)
		return cli_usage_error("user", "invalid platform '%s': use slack or mattermost",
				       o->platform);
	rc = store_user_find(st, name, &user, &err);
	if (rc == CH_OK)
		rc = store_chat_identity_link(st, user.id, o->platform, o->workspace, o->chat_user,
					      &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "user.link", "user", user.id, o->platform, &err);
	store_user_free(&user);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("%s user %s in workspace %s linked to %s\n", o->platform, o->chat_user, o->workspace,
	       name);
	return 0;
}

static int user_link_code(struct store *st, const char *name)
{
	struct ch_error err = { 0 };
	struct store_user user = { 0 };
	char code[CHAT_LINK_CODE_TEXT_MAX];
	enum ch_code rc;

	rc = store_user_find(st, name, &user, &err);
	if (rc == CH_OK)
		rc = store_begin(st, &err);
	if (rc == CH_OK) {
		rc = chat_link_code_create(st, user.id, time_now(), code, &err);
		if (rc == CH_OK)
			rc = cli_audit(st, "user.link_code", "user", user.id, "one-time chat link code",
				       &err);
		if (rc == CH_OK)
			rc = store_commit(st, &err);
		if (rc != CH_OK)
			store_rollback(st);
	}
	store_user_free(&user);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("%s\n", code);
	return 0;
}

int cmd_user(int argc, char **argv)
{
	static const struct option options[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "role", required_argument, NULL, 'r' },
		{ "platform", required_argument, NULL, 'p' },
		{ "workspace", required_argument, NULL, 'w' },
		{ "chat-user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct user_add_options add = { 0 };
	struct user_link_options link = { 0 };
	struct store *st;
	const char *action;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		if (user_option(opt, optarg, &add) == 0 || link_option(opt, optarg, &link) == 0)
			continue;
		if (opt == 'h') {
			fputs(user_help, stdout);
			return 0;
		}
		return cli_usage_error("user", "invalid option");
	}
	if (optind >= argc)
		return cli_usage_error("user", "expected add, list or link");
	action = argv[optind];

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	if (strcmp(action, "list") == 0 && optind + 1 == argc)
		status = user_list(st);
	else if (strcmp(action, "add") == 0 && optind + 2 == argc)
		status = user_add(st, argv[optind + 1], &add);
	else if (strcmp(action, "link") == 0 && optind + 2 == argc)
		status = user_link(st, argv[optind + 1], &link);
	else if (strcmp(action, "link-code") == 0 && optind + 2 == argc)
		status = user_link_code(st, argv[optind + 1]);
	else
		status = cli_usage_error("user", "expected 'user add NAME', 'user list', 'user link "
						 "NAME' or 'user link-code NAME'");
	store_close(st);
	return status;
}

static const char token_help[] =
	"Usage: ctihub token create USER [--expires DURATION]\n"
	"       ctihub token revoke ID\n"
	"\n"
	"create prints a new API token for USER and nothing else; it is shown once\n"
	"and only its SHA-256 is stored. --expires sets a lifetime such as 90d.\n"
	"revoke disables the token with that id at once.\n";

static int token_create(struct store *st, const char *name, int64_t lifetime)
{
	char text[TOKEN_TEXT_MAX];
	unsigned char hash[TOKEN_HASH_BYTES];
	struct ch_error err = { 0 };
	struct store_user user = { 0 };
	int64_t now = time_now(), id;
	enum ch_code rc;

	rc = store_user_find(st, name, &user, &err);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	token_generate(text, hash);
	rc = store_token_add(st, user.id, hash, now, lifetime ? now + lifetime : 0, &id, &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "token.create", "token", id, user.name, &err);
	store_user_free(&user);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("%s\n", text);
	return 0;
}

static int token_revoke(struct store *st, const char *id_text)
{
	struct ch_error err = { 0 };
	long id;
	enum ch_code rc;

	if (!cli_parse_long(id_text, 1, LONG_MAX, &id))
		return cli_usage_error("token", "invalid token id '%s': use the number 'token create' "
				       "logged in the audit log", id_text);
	rc = store_token_revoke(st, id, time_now(), &err);
	if (rc == CH_OK)
		rc = cli_audit(st, "token.revoke", "token", id, "", &err);
	if (rc != CH_OK)
		return cli_fail(rc, &err);
	printf("token %ld revoked\n", id);
	return 0;
}

int cmd_token(int argc, char **argv)
{
	static const struct option options[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		CLI_GLOBAL_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ch_error err = { 0 };
	int64_t lifetime = 0;
	struct store *st;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (cli_global_option(opt, optarg))
			continue;
		switch (opt) {
		case 'e':
			if (time_parse_duration(optarg, &lifetime, &err) != CH_OK)
				return cli_usage_error("token", "%s", err.message);
			if (lifetime <= 0)
				return cli_usage_error("token", "invalid --expires '%s': use a lifetime "
						       "above zero, such as 90d, or leave it out for none",
						       optarg);
			break;
		case 'h':
			fputs(token_help, stdout);
			return 0;
		default:
			return cli_usage_error("token", "invalid option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error("token", "expected 'token create USER' or 'token revoke ID'");

	status = cli_open_store(&st);
	if (status != 0)
		return status;
	if (strcmp(argv[optind], "create") == 0)
		status = token_create(st, argv[optind + 1], lifetime);
	else if (strcmp(argv[optind], "revoke") == 0)
		status = token_revoke(st, argv[optind + 1]);
	else
		status = cli_usage_error("token", "unknown action '%s': use create or revoke",
					 argv[optind]);
	store_close(st);
	return status;
}
