/* Placeholder until the notify module lands. */
#include "formats/yaml_json.h"

enum ch_code yaml_json_load(const char *path, json_t **out, struct ch_error *err)
{
	*out = NULL;
	return ch_fail(err, CH_USAGE, "configuration files are not supported yet (%s)", path);
}
