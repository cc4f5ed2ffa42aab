/*
 * Shared pieces of the command-line interface: the command table entry,
 * global options and the helpers every command uses to report errors and
 * open the store. Commands print; nothing below src/cli does.
 */
#ifndef CTIHUB_CLI_CLI_H
#define CTIHUB_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/warnlist.h"
#include "chat/chat.h"
#include "notify/notify.h"
#include "score/score.h"
#include "store/store.h"
#include "util/error.h"

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Options every command accepts, parsed before and after the command name. */
struct cli_globals {
	const char *db_path;          /* --db, CTIHUB_DB, or ./ctihub.db */
	const char *warnlist_paths[32]; /* --warninglist, then CTIHUB_WARNINGLISTS */
	size_t warnlist_count;
	const char *config_path;      /* --config, CTIHUB_CONFIG, or none */
};

extern struct cli_globals cli_globals;

/* Long options shared by every command; append them to a command's table. */
#define CLI_OPT_DB 1000
#define CLI_OPT_WARNLIST 1001
#define CLI_OPT_CONFIG 1002
#define CLI_GLOBAL_LONG_OPTIONS                                   \
	{ "db", required_argument, NULL, CLI_OPT_DB },              \
	{ "warninglist", required_argument, NULL, CLI_OPT_WARNLIST }, \
	{ "config", required_argument, NULL, CLI_OPT_CONFIG }

/* Handles a shared option; returns false when opt is not one of them. */
bool cli_global_option(int opt, const char *arg);

/* Prints "ctihub: MESSAGE" and returns the exit status for the code. */
int cli_fail(enum ch_code code, const struct ch_error *err);
/* Prints a usage error and a hint to --help; returns exit status 2. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the store at the configured path; prints and returns an exit status
 * on failure, 0 on success. */
int cli_open_store(struct store **st);
/* Loads the configured warning lists; *out is NULL when none are set. */
int cli_load_warnlists(struct ioc_warnlists **out);

/* Loads the notification settings of the configuration file (--config or
 * CTIHUB_CONFIG); without one, defaults and no sinks. Prints and returns an
 * exit status on failure, 0 on success. */
int cli_load_notify(struct notify_config *out);
/* Loads the chat workspaces of the same file; none without one. */
int cli_load_chat(struct chat_config *out);
/* Loads the scoring settings of the same file over the defaults. */
int cli_load_scoring(struct score_config *out);

/* Parses a whole decimal number between min and max; false for anything
 * else, such as "", "12x" or a value out of range. */
bool cli_parse_long(const char *text, long min, long max, long *out);

/* Checks a user or organisation name: 1 to 64 printable characters
 * without spaces at either end. */
enum ch_code cli_check_name(const char *what, const char *name, struct ch_error *err);
/* Writes an operator action to the audit log, with the login name as the
 * actor and "cli" as the client. */
enum ch_code cli_audit(struct store *st, const char *action, const char *object_kind,
		       int64_t object_id, const char *detail, struct ch_error *err);

/* Returns s as a JSON string. Where s is not valid UTF-8, each invalid
 * byte becomes U+FFFD, so that the field is kept: json_string would
 * return NULL and the field would go missing. */
struct json_t *cli_json_text(const char *s);

int cmd_init(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_attack(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_le(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_outbox(int argc, char **argv);

#endif
