/*
 * Sigma rule check with libyaml's document loader. The loader builds the
 * node tree without expanding aliases, and this file only looks at a few
 * keys near the root, so an alias bomb costs no more than its text. The
 * checks follow the Sigma rule specification (v2): title, logsource with
 * at least one of category, product and service, and detection with a
 * condition and at least one search identifier.
 */
#include "formats/sigma.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/alloc.h"

static const char *const sigma_statuses[] = {
	"stable", "test", "experimental", "deprecated", "unsupported", NULL,
};

static const char *const sigma_levels[] = {
	"informational", "low", "medium", "high", "critical", NULL,
};

static yaml_node_t *mapping_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	size_t key_len = strlen(key);
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == key_len &&
		    memcmp(k->data.scalar.value, key, key_len) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

static size_t mapping_size(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/*
 * Copies the scalar node into *out. A missing node leaves *out NULL unless
 * required. Rejects sequences and mappings, empty text and text over
 * SIGMA_SCALAR_MAX. name is the key path used in messages.
 */
static enum ch_code read_scalar(const yaml_node_t *node, const char *name, bool required,
				char **out, struct ch_error *err)
{
	const char *value;
	size_t len;

	if (!node) {
		if (required)
			return ch_fail(err, CH_INVALID, "the Sigma rule has no %s; add one", name);
		return CH_OK;
	}
	if (node->type != YAML_SCALAR_NODE)
		return ch_fail(err, CH_INVALID, "%s at line %zu must be a single value, not a %s",
			       name, node->start_mark.line + 1,
			       node->type == YAML_MAPPING_NODE ? "mapping" : "list");

	value = (const char *)node->data.scalar.value;
	len = node->data.scalar.length;
	if (len == 0)
		return ch_fail(err, CH_INVALID, "%s at line %zu is empty; give it a value", name,
			       node->start_mark.line + 1);
	if (len > SIGMA_SCALAR_MAX)
		return ch_fail(err, CH_INVALID, "%s at line %zu is %zu bytes long, more than the "
						"%d allowed",
			       name, node->start_mark.line + 1, len, SIGMA_SCALAR_MAX);
	if (strlen(value) != len)
		return ch_fail(err, CH_INVALID, "%s at line %zu contains a NUL character", name,
			       node->start_mark.line + 1);
	*out = xstrndup(value, len);
	return CH_OK;
}

/* Checks that *value, when set, is one of allowed. */
static enum ch_code check_enum(const char *value, const char *name,
			       const char *const *allowed, const char *allowed_text,
			       struct ch_error *err)
{
	if (!value)
		return CH_OK;
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(value, allowed[i]) == 0)
			return CH_OK;
	}
	return ch_fail(err, CH_INVALID, "%s '%s' is not a Sigma %s; use one of: %s", name, value,
		       name, allowed_text);
}

static enum ch_code read_logsource(yaml_document_t *doc, yaml_node_t *root,
				   struct sigma_rule *r, struct ch_error *err)
{
	yaml_node_t *logsource = mapping_get(doc, root, "logsource");
	enum ch_code rc;

	if (!logsource)
		return ch_fail(err, CH_INVALID, "the Sigma rule has no logsource; add a mapping "
						"with category, product or service");
	if (logsource->type != YAML_MAPPING_NODE)
		return ch_fail(err, CH_INVALID, "logsource at line %zu must be a mapping with "
						"category, product or service",
			       logsource->start_mark.line + 1);

	rc = read_scalar(mapping_get(doc, logsource, "product"), "logsource.product", false,
			 &r->logsource_product, err);
	if (rc == CH_OK)
		rc = read_scalar(mapping_get(doc, logsource, "category"), "logsource.category",
				 false, &r->logsource_category, err);
	if (rc == CH_OK)
		rc = read_scalar(mapping_get(doc, logsource, "service"), "logsource.service",
				 false, &r->logsource_service, err);
	if (rc != CH_OK)
		return rc;
	if (!r->logsource_product && !r->logsource_category && !r->logsource_service)
		return ch_fail(err, CH_INVALID, "logsource at line %zu names no category, product "
						"or service; add at least one",
			       logsource->start_mark.line + 1);
	return CH_OK;
}

/* A condition is one expression or, in older rules, a list of them. */
static bool condition_present(yaml_document_t *doc, const yaml_node_t *condition)
{
	yaml_node_item_t *item;

	if (condition->type == YAML_SCALAR_NODE)
		return condition->data.scalar.length > 0;
	if (condition->type != YAML_SEQUENCE_NODE)
		return false;
	if (condition->data.sequence.items.top == condition->data.sequence.items.start)
		return false;
	for (item = condition->data.sequence.items.start; item < condition->data.sequence.items.top;
	     item++) {
		const yaml_node_t *node = yaml_document_get_node(doc, *item);

		if (!node || node->type != YAML_SCALAR_NODE || node->data.scalar.length == 0)
			return false;
	}
	return true;
}

static enum ch_code check_detection(yaml_document_t *doc, yaml_node_t *root,
				    struct ch_error *err)
{
	yaml_node_t *detection = mapping_get(doc, root, "detection");
	yaml_node_t *condition;

	if (!detection)
		return ch_fail(err, CH_INVALID, "the Sigma rule has no detection; add a mapping "
						"with search identifiers and a condition");
	if (detection->type != YAML_MAPPING_NODE)
		return ch_fail(err, CH_INVALID, "detection at line %zu must be a mapping with "
						"search identifiers and a condition",
			       detection->start_mark.line + 1);

	condition = mapping_get(doc, detection, "condition");
	if (!condition)
		return ch_fail(err, CH_INVALID, "detection at line %zu has no condition; add one "
						"such as 'condition: selection'",
			       detection->start_mark.line + 1);
	if (!condition_present(doc, condition))
		return ch_fail(err, CH_INVALID, "detection.condition at line %zu must be a "
						"non-empty expression or list of expressions",
			       condition->start_mark.line + 1);
	if (mapping_size(detection) < 2)
		return ch_fail(err, CH_INVALID, "detection at line %zu has a condition but no "
						"search identifier such as 'selection:'",
			       detection->start_mark.line + 1);
	return CH_OK;
}

static enum ch_code read_tags(yaml_document_t *doc, yaml_node_t *root, struct sigma_rule *r,
			      struct ch_error *err)
{
	yaml_node_t *tags = mapping_get(doc, root, "tags");
	yaml_node_item_t *item;
	size_t count;
	enum ch_code rc;

	if (!tags)
		return CH_OK;
	if (tags->type != YAML_SEQUENCE_NODE)
		return ch_fail(err, CH_INVALID, "tags at line %zu must be a list such as "
						"'- attack.execution'",
			       tags->start_mark.line + 1);

	count = (size_t)(tags->data.sequence.items.top - tags->data.sequence.items.start);
	if (count > SIGMA_TAGS_MAX)
		return ch_fail(err, CH_INVALID, "tags at line %zu has %zu entries, more than the "
						"%d allowed",
			       tags->start_mark.line + 1, count, SIGMA_TAGS_MAX);

	r->tags = xcalloc(count, sizeof(*r->tags));
	for (item = tags->data.sequence.items.start; item < tags->data.sequence.items.top; item++) {
		rc = read_scalar(yaml_document_get_node(doc, *item), "tag", true,
				 &r->tags[r->tag_count], err);
		if (rc != CH_OK)
			return rc;
		r->tag_count++;
	}
	return CH_OK;
}

static enum ch_code read_rule(yaml_document_t *doc, struct sigma_rule *r, struct ch_error *err)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	enum ch_code rc;

	if (!root)
		return ch_fail(err, CH_INVALID, "the Sigma rule is empty");
	if (root->type != YAML_MAPPING_NODE)
		return ch_fail(err, CH_INVALID, "a Sigma rule must be a YAML mapping with title, "
						"logsource and detection");

	rc = read_scalar(mapping_get(doc, root, "title"), "title", true, &r->title, err);
	if (rc == CH_OK)
		rc = read_scalar(mapping_get(doc, root, "id"), "id", false, &r->id, err);
	if (rc == CH_OK)
		rc = read_scalar(mapping_get(doc, root, "status"), "status", false, &r->status,
				 err);
	if (rc == CH_OK)
		rc = check_enum(r->status, "status", sigma_statuses,
				"stable, test, experimental, deprecated, unsupported", err);
	if (rc == CH_OK)
		rc = read_scalar(mapping_get(doc, root, "level"), "level", false, &r->level, err);
	if (rc == CH_OK)
		rc = check_enum(r->level, "level", sigma_levels,
				"informational, low, medium, high, critical", err);
	if (rc == CH_OK)
		rc = read_logsource(doc, root, r, err);
	if (rc == CH_OK)
		rc = check_detection(doc, root, err);
	if (rc == CH_OK)
		rc = read_tags(doc, root, r, err);
	return rc;
}

static enum ch_code syntax_error(const yaml_parser_t *parser, struct ch_error *err)
{
	const char *problem = parser->problem ? parser->problem : "the YAML does not parse";

	if (parser->error == YAML_MEMORY_ERROR)
		return ch_fail(err, CH_INTERNAL, "libyaml ran out of memory");
	if (parser->context)
		return ch_fail(err, CH_INVALID, "YAML syntax error at line %zu, column %zu: %s %s",
			       parser->problem_mark.line + 1, parser->problem_mark.column + 1,
			       problem, parser->context);
	return ch_fail(err, CH_INVALID, "YAML syntax error at line %zu, column %zu: %s",
		       parser->problem_mark.line + 1, parser->problem_mark.column + 1, problem);
}

/* Loads the only document in the text into doc; a second one is an error. */
static enum ch_code load_document(yaml_parser_t *parser, yaml_document_t *doc,
				  struct ch_error *err)
{
	yaml_document_t next;
	bool more;

	if (!yaml_parser_load(parser, doc)) {
		yaml_document_delete(doc);
		return syntax_error(parser, err);
	}
	if (!yaml_parser_load(parser, &next)) {
		yaml_document_delete(&next);
		return syntax_error(parser, err);
	}
	more = yaml_document_get_root_node(&next) != NULL;
	yaml_document_delete(&next);
	if (more)
		return ch_fail(err, CH_INVALID, "the text contains more than one YAML document; "
						"submit one Sigma rule per report");
	return CH_OK;
}

enum ch_code sigma_check(const char *text, size_t len, struct sigma_rule *out,
			 struct ch_error *err)
{
	struct sigma_rule rule = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	enum ch_code rc;

	memset(&doc, 0, sizeof(doc));
	if (!yaml_parser_initialize(&parser))
		return ch_fail(err, CH_INTERNAL, "libyaml could not create a parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

	rc = load_document(&parser, &doc, err);
	if (rc != CH_OK)
		goto out;
	rc = read_rule(&doc, &rule, err);
	if (rc != CH_OK)
		goto out;

	*out = rule;
	memset(&rule, 0, sizeof(rule));

out:
	sigma_rule_free(&rule);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

void sigma_rule_free(struct sigma_rule *r)
{
	free(r->title);
	free(r->id);
	free(r->status);
	free(r->level);
	free(r->logsource_product);
	free(r->logsource_category);
	free(r->logsource_service);
	for (size_t i = 0; i < r->tag_count; i++)
		free(r->tags[i]);
	free(r->tags);
	memset(r, 0, sizeof(*r));
}
