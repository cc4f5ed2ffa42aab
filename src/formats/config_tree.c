/*
 * Typed readers for the configuration tree; see config_tree.h. Messages
 * quote at most 64 bytes of a bad value.
 */
#include "formats/config_tree.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/timeutil.h"

const char *config_kind(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a number";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "a boolean";
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static bool in_list(const char *key, const char *const *keys)
{
	for (; *keys; keys++) {
		if (strcmp(key, *keys) == 0)
			return true;
	}
	return false;
}

enum ch_code config_check_keys(const json_t *obj, const char *const *keys, const char *where,
			       struct ch_error *err)
{
	const char *key;
	json_t *value;
	char expected[384] = "";
	size_t used = 0;

	json_object_foreach((json_t *)obj, key, value) {
		if (in_list(key, keys))
			continue;
		for (const char *const *k = keys; *k && used < sizeof(expected); k++)
			used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s",
						 k == keys ? "" : ", ", *k);
		return ch_fail(err, CH_INVALID, "%s: unknown key '%.64s'; expected one of %s", where,
			       key, expected);
	}
	return CH_OK;
}

bool config_printable(const char *text, bool spaces)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (!spaces && *p == ' '))
			return false;
	}
	return true;
}

enum ch_code config_get_text(const json_t *obj, const char *key, const char *where, size_t max,
			     bool spaces, char **out, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, key);
	const char *text;
	size_t len;

	if (!value)
		return CH_OK;
	if (!json_is_string(value))
		return ch_fail(err, CH_INVALID, "%s.%s must be a string, not %s", where, key,
			       config_kind(value));
	text = json_string_value(value);
	len = json_string_length(value);
	if (len == 0 || len > max)
		return ch_fail(err, CH_INVALID, "%s.%s must be 1 to %zu characters long", where, key,
			       max);
	if (strlen(text) != len || !config_printable(text, spaces))
		return ch_fail(err, CH_INVALID, "%s.%s must not contain %scontrol characters", where,
			       key, spaces ? "" : "spaces or ");
	free(*out);
	*out = xstrdup(text);
	return CH_OK;
}

enum ch_code config_get_duration(const json_t *obj, const char *key, const char *where,
				 int64_t min, int64_t max, int64_t *out, struct ch_error *err)
{
	const json_t *value = json_object_get(obj, key);
	int64_t seconds;

	if (!value)
		return CH_OK;
	if (json_is_integer(value)) {
		seconds = json_integer_value(value);
	} else if (json_is_string(value)) {
		if (time_parse_duration(json_string_value(value), &seconds, NULL) != CH_OK)
			return ch_fail(err, CH_INVALID,
				       "%s.%s: invalid duration '%.64s'; use seconds or a number followed by s, m, h or d, such as 30s or 1h",
				       where, key, json_string_value(value));
	} else {
		return ch_fail(err, CH_INVALID, "%s.%s must be a duration such as 30s, not %s", where,
			       key, config_kind(value));
	}
	if (seconds < min || seconds > max)
		return ch_fail(err, CH_INVALID,
			       "%s.%s is %lld seconds; use %lld to %lld seconds", where, key,
			       (long long)seconds, (long long)min, (long long)max);
	*out = seconds;
	return CH_OK;
}

enum ch_code config_get_bool(const json_t *obj, const char *key, const char *where, bool *out,
			     struct ch_error *err)
{
	const json_t *value = json_object_get(obj, key);

	if (!value)
		return CH_OK;
	if (!json_is_boolean(value))
		return ch_fail(err, CH_INVALID, "%s.%s must be true or false, not %s", where, key,
			       config_kind(value));
	*out = json_is_true(value);
	return CH_OK;
}

enum ch_code config_check_url(const char *url, const char *where, const char *key,
			      const char *scheme_a, const char *scheme_b, struct ch_error *err)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	enum ch_code rc = CH_OK;

	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		rc = ch_fail(err, CH_INVALID, "%s.%s is not a valid URL; write it as %s://HOST/PATH",
			     where, key, scheme_a);
	else if (strcmp(scheme, scheme_a) != 0 && strcmp(scheme, scheme_b) != 0)
		rc = ch_fail(err, CH_INVALID, "%s.%s uses '%s:'; use a %s:// or %s:// URL", where,
			     key, scheme, scheme_a, scheme_b);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return rc;
}

enum ch_code config_get_secret(const json_t *obj, const char *key, const char *where,
			       size_t max, char **out, struct ch_error *err)
{
	char *name = NULL;
	const char *secret;
	enum ch_code rc = config_get_text(obj, key, where, 128, false, &name, err);

	if (rc != CH_OK || !name)
		return rc;
	secret = getenv(name);
	if (!secret || !*secret)
		rc = ch_fail(err, CH_INVALID, "%s.%s names the environment variable %s, which is not "
					      "set; export it before starting ctihub",
			     where, key, name);
	else if (strlen(secret) > max)
		rc = ch_fail(err, CH_INVALID, "the secret in %s is longer than %zu bytes", name, max);
	if (rc == CH_OK) {
		free(*out);
		*out = xstrdup(secret);
	}
	free(name);
	return rc;
}
