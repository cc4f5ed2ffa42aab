/*
 * Reads a YAML configuration file (JSON is accepted too) into a jansson
 * tree: mappings become objects, sequences arrays. Plain scalars that read
 * as integers become integers, true/false booleans, null and ~ null;
 * everything else, and every quoted scalar, is a string. Anchors, aliases
 * and tags are refused. The file may be at most 1 MiB.
 */
#ifndef CTIHUB_FORMATS_YAML_JSON_H
#define CTIHUB_FORMATS_YAML_JSON_H

#include <jansson.h>

#include "util/error.h"

/* Errors name the file, line and column. *out is owned by the caller. */
enum ch_code yaml_json_load(const char *path, json_t **out, struct ch_error *err);

#endif
