/*
 * libFuzzer target for the form decoder that reads Slack and Mattermost
 * slash commands: any body must decode or be refused without a crash, and
 * a decoded value must hold no NUL and stay within the value limit.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *form = http_form_decode((const char *)data, size);
	const char *key;
	json_t *value;

	if (!form)
		return 0;
	json_object_foreach(form, key, value) {
		size_t len = json_string_length(value);

		if (!json_is_string(value) || strlen(json_string_value(value)) != len ||
		    len > HTTP_FORM_VALUE_MAX)
			abort();
	}
	json_decref(form);
	return 0;
}
