/*
 * Report validation: the entry point, the fields common to every kind
 * (kind, tlp, title, share_with) and the title derived when a body has
 * none. The kinds' own fields live in report_kinds.c and the typed field
 * readers in report_fields.c. The report is built in a local struct and
 * handed to the caller only when every check passed.
 */
#include "model/report.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/report_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

static const char *const kind_names[REPORT_KIND_COUNT] = {
	[REPORT_IOC] = "ioc",
	[REPORT_ATTACK] = "attack",
	[REPORT_VULN] = "vuln",
	[REPORT_HUNTING] = "hunting",
	[REPORT_DARKNET] = "darknet",
	[REPORT_DISINFO] = "disinfo",
	[REPORT_FEED] = "feed",
};

static const char *const common_fields[] = { "kind", "tlp", "title", "share_with", NULL };

/* The ellipsis that ends a shortened title, U+2026. */
static const char title_ellipsis[] = "\xE2\x80\xA6";

const char *report_kind_name(enum report_kind kind)
{
	if ((unsigned)kind >= REPORT_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

enum ch_code report_kind_parse(const char *name, enum report_kind *kind, struct ch_error *err)
{
	for (int i = 0; i < REPORT_KIND_COUNT; i++) {
		if (strcasecmp(name, kind_names[i]) == 0) {
			*kind = (enum report_kind)i;
			return CH_OK;
		}
	}
	return ch_fail_field(err, CH_INVALID, "kind", "kind \"%s\" is not a report kind; use one "
						      "of: ioc, attack, vuln, hunting, darknet, "
						      "disinfo, feed",
			     name);
}

static bool name_in(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i]; i++) {
		if (strcmp(name, list[i]) == 0)
			return true;
	}
	return false;
}

static void append_list(struct buf *out, const char *const *list)
{
	for (size_t i = 0; list[i]; i++) {
		if (out->len)
			buf_append_str(out, ", ");
		buf_append_str(out, list[i]);
	}
}

static enum ch_code check_known_fields(const struct report_build *b, struct ch_error *err)
{
	const char *const *kind_fields = report_kind_fields[b->in->kind];
	const char *key;
	const json_t *value;
	struct buf allowed;
	enum ch_code rc;

	json_object_foreach((json_t *)b->body, key, value) {
		if (name_in(key, common_fields) || name_in(key, kind_fields))
			continue;

		buf_init(&allowed, 1024);
		append_list(&allowed, common_fields);
		append_list(&allowed, kind_fields);
		rc = ch_fail_field(err, CH_INVALID, key, "unknown field \"%s\" for kind %s; the "
							 "allowed fields are: %s",
				   key, report_kind_name(b->in->kind), allowed.data);
		buf_free(&allowed);
		return rc;
	}
	return CH_OK;
}

static enum ch_code read_kind(const json_t *body, enum report_kind *kind, struct ch_error *err)
{
	const json_t *value = json_object_get(body, "kind");

	if (!value || json_is_null(value))
		return ch_fail_field(err, CH_INVALID, "kind", "kind is required; use one of: ioc, "
							      "attack, vuln, hunting, darknet, "
							      "disinfo, feed");
	if (!json_is_string(value))
		return ch_fail_field(err, CH_INVALID, "kind", "kind must be a string, not %s",
				     report_json_type_word(value));
	return report_kind_parse(json_string_value(value), kind, err);
}

static enum ch_code read_tlp(struct report_build *b, struct ch_error *err)
{
	const json_t *value = json_object_get(b->body, "tlp");
	enum ch_code rc;

	b->in->tlp = TLP_AMBER;
	if (!value || json_is_null(value))
		return CH_OK;
	if (!json_is_string(value))
		return ch_fail_field(err, CH_INVALID, "tlp", "tlp must be a string such as "
							     "\"AMBER\", not %s",
				     report_json_type_word(value));
	rc = tlp_parse(json_string_value(value), &b->in->tlp, err);
	if (rc != CH_OK)
		snprintf(err->field, sizeof(err->field), "tlp");
	return rc;
}

/* Reads share_with.orgs or share_with.users into a deduplicated list. */
static enum ch_code read_names(const json_t *value, const char *path, char ***names,
			       size_t *count, struct ch_error *err)
{
	const json_t *item;
	char item_path[REPORT_PATH_MAX];
	const char *text;
	size_t len;
	size_t i;
	enum ch_code rc;

	if (!json_is_array(value))
		return ch_fail_field(err, CH_INVALID, path, "%s must be an array of names, not %s",
				     path, report_json_type_word(value));
	if (json_array_size(value) > REPORT_LIST_MAX)
		return ch_fail_field(err, CH_TOO_LARGE, path, "%s has %zu entries, more than the %d "
							      "allowed",
				     path, json_array_size(value), REPORT_LIST_MAX);

	json_array_foreach(value, i, item) {
		bool repeated = false;

		snprintf(item_path, sizeof(item_path), "%s[%zu]", path, i);
		if (json_is_null(item))
			return ch_fail_field(err, CH_INVALID, item_path, "%s must be a name, not null",
					     item_path);
		rc = report_check_text(item, item_path, REPORT_TEXT_NAME, true, NULL, &text,
				       &len, err);
		if (rc != CH_OK)
			return rc;
		for (size_t k = 0; k < *count; k++) {
			if (strlen((*names)[k]) == len && strncasecmp((*names)[k], text, len) == 0)
				repeated = true;
		}
		if (repeated)
			continue;
		*names = xreallocarray(*names, *count + 1, sizeof(**names));
		(*names)[(*count)++] = xstrndup(text, len);
	}
	return CH_OK;
}

static enum ch_code read_share_with(struct report_build *b, struct ch_error *err)
{
	const json_t *share = json_object_get(b->body, "share_with");
	const json_t *orgs, *users;
	const char *key;
	const json_t *value;
	struct report_input *in = b->in;
	enum ch_code rc;

	if (!share || json_is_null(share))
		return CH_OK;
	if (!json_is_object(share))
		return ch_fail_field(err, CH_INVALID, "share_with", "share_with must be an object "
								    "such as {\"orgs\": [...]}, "
								    "not %s",
				     report_json_type_word(share));
	json_object_foreach((json_t *)share, key, value) {
		char path[REPORT_PATH_MAX];

		if (strcmp(key, "orgs") == 0 || strcmp(key, "users") == 0)
			continue;
		snprintf(path, sizeof(path), "share_with.%s", key);
		return ch_fail_field(err, CH_INVALID, path, "unknown field \"%s\" in share_with; the "
							    "allowed fields are: orgs, users",
				     key);
	}

	orgs = json_object_get(share, "orgs");
	users = json_object_get(share, "users");
	if (orgs && !json_is_null(orgs)) {
		rc = read_names(orgs, "share_with.orgs", &in->share_orgs, &in->share_org_count,
				err);
		if (rc != CH_OK)
			return rc;
	}
	if (users && !json_is_null(users)) {
		rc = read_names(users, "share_with.users", &in->share_users, &in->share_user_count,
				err);
		if (rc != CH_OK)
			return rc;
	}

	/* TLP 2.0: AMBER+STRICT limits a report to the recipient's organisation,
	 * so share_with names the other organisations that may read it. RED is
	 * for named people only. The other levels define their readers. */
	if (in->share_org_count > 0 && in->tlp != TLP_AMBER_STRICT)
		return ch_fail_field(err, CH_INVALID, "share_with.orgs", "share_with.orgs is only "
									 "allowed with TLP "
									 "AMBER+STRICT, which "
									 "limits a report to named "
									 "organisations; this report "
									 "is TLP:%s",
				     tlp_name(in->tlp));
	if (in->share_user_count > 0 && in->tlp != TLP_RED)
		return ch_fail_field(err, CH_INVALID, "share_with.users", "share_with.users is only "
									  "allowed with TLP RED, "
									  "which limits a report to "
									  "named people; this report "
									  "is TLP:%s",
				     tlp_name(in->tlp));
	return CH_OK;
}

/*
 * Builds a title from the first line of hint, shortened to
 * REPORT_TITLE_MAX characters with an ellipsis, or "<kind> report".
 */
static char *derive_title(const char *hint, enum report_kind kind)
{
	size_t len, chars = 0, cut = 0;
	struct buf title;
	char *result;

	while (hint && (*hint == ' ' || *hint == '\t'))
		hint++;
	len = hint ? strcspn(hint, "\r\n") : 0;
	while (len > 0 && (hint[len - 1] == ' ' || hint[len - 1] == '\t'))
		len--;

	buf_init(&title, 4 * REPORT_TITLE_MAX + 8);
	if (len == 0) {
		buf_printf(&title, "%s report", report_kind_name(kind));
		goto out;
	}

	/* cut is the byte offset after REPORT_TITLE_MAX - 1 characters, which
	 * leaves room for the ellipsis. */
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)hint[i] & 0xC0) == 0x80)
			continue;
		if (chars == REPORT_TITLE_MAX - 1)
			cut = i;
		chars++;
	}
	if (chars <= REPORT_TITLE_MAX) {
		buf_append(&title, hint, len);
	} else {
		buf_append(&title, hint, cut);
		buf_append_str(&title, title_ellipsis);
	}

out:
	result = xstrdup(title.data);
	buf_free(&title);
	/* Tabs are allowed in descriptions but not in a one-line title. */
	for (char *p = result; *p; p++) {
		if (*p == '\t')
			*p = ' ';
	}
	return result;
}

static enum ch_code read_title(struct report_build *b, struct ch_error *err)
{
	const char *title;
	bool required = b->in->kind == REPORT_FEED;
	enum ch_code rc;

	rc = report_read_text(b, "title", REPORT_TEXT_TITLE, required, false, &title, err);
	if (rc != CH_OK)
		return rc;
	if (title)
		b->in->title = xstrdup(title);
	else
		b->in->title = derive_title(b->title_hint, b->in->kind);
	return CH_OK;
}

static void build_init(struct report_build *b, const json_t *body,
		       const struct report_context *ctx, struct report_input *in)
{
	memset(b, 0, sizeof(*b));
	memset(in, 0, sizeof(*in));
	b->body = body;
	b->ctx = ctx;
	b->in = in;
	b->scratch = xmalloc(sizeof(*b->scratch));
	b->hold = json_array();
	ioc_match_list_init(&in->indicators);
	in->fields = json_object();
	in->notes = json_array();
}

static void build_free(struct report_build *b)
{
	free(b->seen);
	free(b->listed_by);
	free(b->scratch);
	free(b->title_hint);
	json_decref(b->hold);
}

enum ch_code report_validate(const json_t *body, const struct report_context *ctx,
			     struct report_input *out, struct ch_error *err)
{
	struct report_input in;
	struct report_build b;
	enum ch_code rc;

	build_init(&b, body, ctx, &in);
	if (!json_is_object(body)) {
		rc = ch_fail_field(err, CH_INVALID, "", "the report must be a JSON object, not %s",
				   body ? report_json_type_word(body) : "empty");
		goto out;
	}

	rc = read_kind(body, &in.kind, err);
	if (rc == CH_OK)
		rc = check_known_fields(&b, err);
	if (rc == CH_OK)
		rc = read_tlp(&b, err);
	if (rc == CH_OK)
		rc = read_share_with(&b, err);
	if (rc == CH_OK)
		rc = report_kind_validators[in.kind](&b, err);
	if (rc == CH_OK)
		rc = read_title(&b, err);
	if (rc != CH_OK)
		goto out;

	if (b.indicator_notes == REPORT_INDICATOR_NOTES_MAX + 1)
		report_add_note(&b, "1 more indicator carries warnings");
	else if (b.indicator_notes > REPORT_INDICATOR_NOTES_MAX)
		report_add_note(&b, "%zu more indicators carry warnings",
				b.indicator_notes - REPORT_INDICATOR_NOTES_MAX);
	*out = in;
	memset(&in, 0, sizeof(in));

out:
	report_input_free(&in);
	build_free(&b);
	return rc;
}

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

void report_input_free(struct report_input *in)
{
	if (!in)
		return;
	free(in->title);
	json_decref(in->fields);
	ioc_match_list_free(&in->indicators);
	free_names(in->techniques, in->technique_count);
	free_names(in->share_orgs, in->share_org_count);
	free_names(in->share_users, in->share_user_count);
	json_decref(in->notes);
	memset(in, 0, sizeof(*in));
}
