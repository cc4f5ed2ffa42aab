/*
 * Typed readers for the configuration tree (the jansson form of the YAML
 * file that yaml_json_load reads). Each reader names the key and where it
 * is ("notify.sinks[2].url") in its error, and leaves *out alone when
 * the key is missing, so defaults are set before reading.
 */
#ifndef CTIHUB_FORMATS_CONFIG_TREE_H
#define CTIHUB_FORMATS_CONFIG_TREE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* A key path in messages, such as "chat.workspaces[1].channels[0]". */
#define CONFIG_WHERE_MAX 96

/* "a mapping", "a list", "a string", ... for messages. */
const char *config_kind(const json_t *value);
/* Rejects a key not in keys (NULL-terminated), naming it, where it is and
 * the keys known there. */
enum ch_code config_check_keys(const json_t *obj, const char *const *keys, const char *where,
			       struct ch_error *err);
/* Whether text has no control characters, nor white space unless spaces
 * is set. */
bool config_printable(const char *text, bool spaces);
/* A string of 1 to max bytes; spaces allowed only when spaces is set,
 * control characters never. */
enum ch_code config_get_text(const json_t *obj, const char *key, const char *where, size_t max,
			     bool spaces, char **out, struct ch_error *err);
/* A duration from a number of seconds or text such as "30s" or "1h",
 * between min and max seconds. */
enum ch_code config_get_duration(const json_t *obj, const char *key, const char *where,
				 int64_t min, int64_t max, int64_t *out, struct ch_error *err);
enum ch_code config_get_bool(const json_t *obj, const char *key, const char *where, bool *out,
			     struct ch_error *err);
/* Checks that url parses, has a host and uses one of the two schemes. */
enum ch_code config_check_url(const char *url, const char *where, const char *key,
			      const char *scheme_a, const char *scheme_b, struct ch_error *err);
/* Reads the secret from the environment variable that obj[key] names
 * (such as signing_secret_env: SLACK_SIGNING_SECRET). The variable must
 * be set and not empty. The secret never appears in a message. */
enum ch_code config_get_secret(const json_t *obj, const char *key, const char *where,
			       size_t max, char **out, struct ch_error *err);

#endif
