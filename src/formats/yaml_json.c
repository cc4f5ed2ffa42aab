/*
 * YAML configuration reader built on libyaml's event parser. Each event
 * adds to a stack of open containers, so the tree is built in one pass with
 * no recursion, and the depth and size limits bound the memory it uses.
 * Anchors, aliases and tags are rejected: a configuration file needs none,
 * and refusing aliases rules out alias bombs.
 */
#include "formats/yaml_json.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/alloc.h"

/* Largest configuration file read, in bytes. */
#define YAML_JSON_FILE_MAX (1024 * 1024)
/* Deepest nesting of mappings and sequences. */
#define YAML_JSON_DEPTH_MAX 32

/* One open mapping or sequence. A mapping alternates between waiting for
 * a key (key == NULL) and waiting for that key's value. */
struct frame {
	json_t *container;
	char *key;
};

struct loader {
	const char *path;
	struct frame stack[YAML_JSON_DEPTH_MAX];
	size_t depth;
	json_t *root;
};

static enum ch_code fail_at(const struct loader *ld, const yaml_mark_t *mark,
			    struct ch_error *err, const char *what)
{
	return ch_fail(err, CH_INVALID, "%s:%zu:%zu: %s", ld->path, mark->line + 1,
		       mark->column + 1, what);
}

static enum ch_code read_file(const char *path, char **out, size_t *len, struct ch_error *err)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *data = NULL;
	size_t got;

	if (!f)
		return ch_fail(err, CH_IO, "cannot open configuration file '%s': %s", path,
			       strerror(errno));
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return ch_fail(err, CH_IO, "configuration file '%s' is not a regular file", path);
	}
	if (sb.st_size > YAML_JSON_FILE_MAX) {
		fclose(f);
		return ch_fail(err, CH_TOO_LARGE,
			       "configuration file '%s' is %lld bytes, more than the %d allowed", path,
			       (long long)sb.st_size, YAML_JSON_FILE_MAX);
	}

	/* Read one byte past the limit so a file that grew meanwhile is caught. */
	data = xmalloc(YAML_JSON_FILE_MAX + 2);
	got = fread(data, 1, YAML_JSON_FILE_MAX + 1, f);
	if (ferror(f)) {
		free(data);
		fclose(f);
		return ch_fail(err, CH_IO, "cannot read configuration file '%s'", path);
	}
	fclose(f);
	if (got > YAML_JSON_FILE_MAX) {
		free(data);
		return ch_fail(err, CH_TOO_LARGE,
			       "configuration file '%s' is more than the %d bytes allowed", path,
			       YAML_JSON_FILE_MAX);
	}
	data[got] = '\0';
	*out = data;
	*len = got;
	return CH_OK;
}

static bool is_integer(const char *s, long long *value)
{
	const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
	char *end;

	if (*digits < '0' || *digits > '9')
		return false;
	errno = 0;
	*value = strtoll(s, &end, 10);
	return *end == '\0' && errno == 0;
}

static bool is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++) {
		if (strcmp(s, *words) == 0)
			return true;
	}
	return false;
}

/* Types a plain scalar as the YAML 1.2 core schema does for integers,
 * booleans and null. Any other scalar, and every quoted one, is a string. */
static json_t *scalar_value(const yaml_event_t *ev)
{
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const nulls[] = { "null", "Null", "NULL", "~", "", NULL };
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	long long number;

	/* jansson would keep a NUL byte, but C strings read from the tree
	 * would end there. */
	if (strlen(text) != len)
		return NULL;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (is_one_of(text, nulls))
			return json_null();
		if (is_one_of(text, trues))
			return json_true();
		if (is_one_of(text, falses))
			return json_false();
		if (is_integer(text, &number))
			return json_integer(number);
	}
	return json_stringn(text, len);
}

/* Adds value to the innermost open container, or makes it the root.
 * Takes ownership of value. */
static void attach(struct loader *ld, json_t *value)
{
	struct frame *top;

	if (ld->depth == 0) {
		ld->root = value;
		return;
	}
	top = &ld->stack[ld->depth - 1];
	if (json_is_array(top->container)) {
		json_array_append_new(top->container, value);
		return;
	}
	json_object_set_new(top->container, top->key, value);
	free(top->key);
	top->key = NULL;
}

/* A scalar inside a mapping that waits for a key is that key. */
static enum ch_code take_key(struct loader *ld, const yaml_event_t *ev, struct ch_error *err)
{
	struct frame *top = &ld->stack[ld->depth - 1];
	const char *text = (const char *)ev->data.scalar.value;
	char message[CH_ERROR_MESSAGE_MAX];

	if (strlen(text) != ev->data.scalar.length)
		return fail_at(ld, &ev->start_mark, err, "a key contains a NUL character");
	if (json_object_get(top->container, text)) {
		snprintf(message, sizeof(message), "duplicate key '%.200s'; remove one of them", text);
		return fail_at(ld, &ev->start_mark, err, message);
	}
	top->key = xstrdup(text);
	return CH_OK;
}

static bool waiting_for_key(const struct loader *ld)
{
	const struct frame *top;

	if (ld->depth == 0)
		return false;
	top = &ld->stack[ld->depth - 1];
	return json_is_object(top->container) && top->key == NULL;
}

static enum ch_code open_container(struct loader *ld, const yaml_event_t *ev, json_t *container,
				   struct ch_error *err)
{
	if (waiting_for_key(ld)) {
		json_decref(container);
		return fail_at(ld, &ev->start_mark, err,
			       "a key must be a plain value, not a mapping or a list");
	}
	if (ld->depth == YAML_JSON_DEPTH_MAX) {
		json_decref(container);
		return fail_at(ld, &ev->start_mark, err, "nested more than 32 levels deep");
	}

	/* The container is attached first and filled later; the frame borrows it. */
	attach(ld, container);
	ld->stack[ld->depth].container = container;
	ld->stack[ld->depth].key = NULL;
	ld->depth++;
	return CH_OK;
}

/* Rejects the YAML features a configuration does not need. */
static enum ch_code check_plain(const struct loader *ld, const yaml_event_t *ev,
				const yaml_char_t *anchor, const yaml_char_t *tag,
				bool implicit_tag, struct ch_error *err)
{
	if (anchor)
		return fail_at(ld, &ev->start_mark, err,
			       "anchors (&name) are not supported; write the value out");
	if (tag && !implicit_tag)
		return fail_at(ld, &ev->start_mark, err,
			       "tags (!name) are not supported; remove the tag");
	return CH_OK;
}

static enum ch_code on_scalar(struct loader *ld, const yaml_event_t *ev, struct ch_error *err)
{
	bool implicit = ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit;
	json_t *value;

	if (check_plain(ld, ev, ev->data.scalar.anchor, ev->data.scalar.tag, implicit, err) != CH_OK)
		return CH_INVALID;
	if (waiting_for_key(ld))
		return take_key(ld, ev, err);

	value = scalar_value(ev);
	if (!value)
		return fail_at(ld, &ev->start_mark, err,
			       "a value contains a NUL character or invalid UTF-8");
	attach(ld, value);
	return CH_OK;
}

static enum ch_code on_event(struct loader *ld, const yaml_event_t *ev, struct ch_error *err)
{
	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		return CH_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (ld->root)
			return fail_at(ld, &ev->start_mark, err,
				       "more than one document; keep one document per file");
		return CH_OK;
	case YAML_ALIAS_EVENT:
		return fail_at(ld, &ev->start_mark, err,
			       "aliases (*name) are not supported; write the value out");
	case YAML_SCALAR_EVENT:
		return on_scalar(ld, ev, err);
	case YAML_SEQUENCE_START_EVENT:
		if (check_plain(ld, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag,
				ev->data.sequence_start.implicit, err) != CH_OK)
			return CH_INVALID;
		return open_container(ld, ev, json_array(), err);
	case YAML_MAPPING_START_EVENT:
		if (check_plain(ld, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag,
				ev->data.mapping_start.implicit, err) != CH_OK)
			return CH_INVALID;
		return open_container(ld, ev, json_object(), err);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		ld->depth--;
		return CH_OK;
	}
	return fail_at(ld, &ev->start_mark, err, "unexpected YAML event");
}

static enum ch_code parse(struct loader *ld, const char *text, size_t len, struct ch_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	enum ch_code rc = CH_OK;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return ch_fail(err, CH_INTERNAL, "libyaml could not set up a parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	while (!done && rc == CH_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = ch_fail(err, CH_INVALID, "%s:%zu:%zu: invalid YAML: %s", ld->path,
				     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				     parser.problem ? parser.problem : "syntax error");
			break;
		}
		rc = on_event(ld, &ev, err);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

enum ch_code yaml_json_load(const char *path, json_t **out, struct ch_error *err)
{
	struct loader ld = { .path = path };
	char *text = NULL;
	size_t len = 0;
	enum ch_code rc;

	rc = read_file(path, &text, &len, err);
	if (rc == CH_OK)
		rc = parse(&ld, text, len, err);
	free(text);

	/* Keys of mappings left open by an error are owned by their frames. */
	for (size_t i = 0; i < YAML_JSON_DEPTH_MAX; i++)
		free(ld.stack[i].key);
	if (rc != CH_OK) {
		json_decref(ld.root);
		return rc;
	}

	/* An empty file is an empty configuration. */
	*out = ld.root ? ld.root : json_object();
	return CH_OK;
}
